"""What every wire protocol shares: bounded body reading, request bodies handed to an
operation unread, timestamps in the formats AWS puts on the wire, and turning output
members into JSON-able values by their shapes."""

from __future__ import annotations

import base64
import calendar
import datetime
import email.utils
import json
import math
import re
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from starlette.requests import Request

from altus.api.errors import RequestTooLarge
from altus.api.payload import Payload, is_streaming, rules_of
from altus.api.validate import Lazy

_HEADERS = "altus.headers"


def header_map(request: Request) -> dict[str, str]:
    """The request's headers by lowercase name (the first of a repeated one, as
    Starlette's ``Headers.get``), made once per request: a protocol looks several up,
    and a dict finds each at once where ``Headers`` scans the list."""
    scope = request.scope
    found: dict[str, str] | None = scope.get(_HEADERS)
    if found is None:
        found = {}
        for name, value in scope["headers"]:
            key = name.decode("latin-1").lower()
            if key not in found:
                found[key] = value.decode("latin-1")
        scope[_HEADERS] = found
    return found


#: Scope key: the body once read (by the dispatcher for a signature, or for a form's
#: Version), so that whatever reads it next gets it again.
BODY = "altus.body"


async def read_body(request: Request, limit: int, operation: str) -> bytes:
    """The whole request body, refused (RequestTooLarge) unread past ``limit`` bytes when
    its Content-Length says so, and as soon as it passes ``limit`` otherwise. Read once
    per request: later calls get it again."""
    cached: bytes | None = request.scope.get(BODY)
    if cached is not None:
        if len(cached) > limit:
            raise _too_large(limit, operation)
        return cached
    declared = header_map(request).get("content-length")
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit, operation)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit, operation)
        chunks.append(chunk)
    body = b"".join(chunks)
    request.scope[BODY] = body
    return body


def _too_large(limit: int, operation: str) -> RequestTooLarge:
    return RequestTooLarge(
        f"Request must be smaller than {limit} bytes for the {operation} operation"
    )


class Body(Lazy):
    """A blob payload (Lambda's Invoke payload, an S3 object), handed to the operation
    unread: it decides the limit, and may stream it. What it reads is the payload with its
    wire form taken off and checked (``altus.api.payload``: aws-chunked, checksums,
    Content-MD5); ``checksums`` holds the verified checksums once it has ended."""

    def __init__(self, request: Request) -> None:
        self._request = request
        headers = header_map(request)
        self._payload = Payload(headers, rules_of(request.scope))
        self._plain = not (
            is_streaming(headers.get("x-amz-content-sha256"))
            or "aws-chunked" in headers.get("content-encoding", "")
            or "content-md5" in headers
            or self._payload.rules.sha256 is not None
            or any(name.startswith("x-amz-checksum-") for name in headers)
        )

    @property
    def checksums(self) -> dict[str, str]:
        """Upper-case algorithm -> base64 value, each verified (after the stream ends)."""
        return self._payload.checksums

    @property
    def content_md5_verified(self) -> bool:
        return self._payload.content_md5_verified

    async def read(self, limit: int, operation: str) -> bytes:
        """All of it; RequestTooLarge past ``limit`` bytes (worded for ``operation``)."""
        if self._plain:
            return await read_body(self._request, limit, operation)
        chunks: list[bytes] = []
        size = 0
        async for chunk in self.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(limit, operation)
            chunks.append(chunk)
        return b"".join(chunks)

    def stream(self) -> AsyncIterator[bytes]:
        if self._plain:
            return self._request.stream()
        return self._payload.stream(self._request.stream())


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


def parse_json(raw: bytes | str) -> Any:
    """Strict JSON as AWS's parsers read it: no NaN or Infinity. ValueError for anything
    unreadable, including nesting too deep for the parser."""
    if not isinstance(raw, str):
        # As json.loads reads bytes (UTF-8, -16 or -32), with one decoder made once
        # rather than one per call.
        raw = raw.decode(json.detect_encoding(raw), "surrogatepass")
    try:
        return _DECODER.decode(raw)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


#: A ``\uD800``-``\uDFFF`` escape: how a lone surrogate gets into decoded JSON once the
#: bytes themselves are read strictly.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def parse_members(raw: bytes) -> Any:
    """A body of members in JSON (awsJson, rest-json): as ``parse_json``, and Unicode
    text only. A lone surrogate, encoded or escaped, is refused (ValueError): no text
    holds one, and a member holding one could be neither stored nor answered (UTF-8
    cannot encode it). A payload handed to a function (Invoke's) is not read this way:
    it reaches the function as it was sent."""
    text = raw.decode(json.detect_encoding(raw))  # strictly: encoded surrogates refused
    value = parse_json(text)
    # Escaped pairs decode to one character; what is left of an escape is alone.
    if "\\u" in text and _SURROGATE_ESCAPE.search(text):
        try:
            json.dumps(value, ensure_ascii=False).encode()
        except UnicodeEncodeError:
            raise ValueError("JSON text holds a lone surrogate") from None
    return value


def dump_json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


# --- numbers as text ----------------------------------------------------------------------

#: Numbers as text (a query string, a header, a form field), as AWS's parsers read them.
#: Python's ``int`` and ``float`` also take surrounding blanks and ``_`` between digits
#: (``1_0`` is 10), and ``float`` takes ``nan`` and ``inf``, which no range check refuses.
_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def integer_text(text: str) -> int:
    """An integer written as text; ValueError for anything else."""
    if not _INTEGER.fullmatch(text):
        raise ValueError(f"not an integer: {text!r}")
    return int(text)


def decimal_text(text: str) -> float:
    """A finite number written as text; ValueError for anything else."""
    value = float(text) if _DECIMAL.fullmatch(text) else math.nan
    if not math.isfinite(value):  # 1e400 is infinite
        raise ValueError(f"not a number: {text!r}")
    return value


# --- timestamps ---------------------------------------------------------------------------


def timestamp_from_wire(value: Any, fmt: str) -> datetime.datetime:
    """A timestamp as a protocol carries it: epoch seconds (a number or its text),
    ISO 8601 or RFC 822 text. ValueError if it is none of them."""
    if isinstance(value, bool):
        raise ValueError("not a timestamp")
    if isinstance(value, (int, float)):
        return datetime.datetime.fromtimestamp(value, datetime.UTC)
    if not isinstance(value, str):
        raise ValueError("not a timestamp")
    text = value.strip()
    try:
        return datetime.datetime.fromtimestamp(float(text), datetime.UTC)
    except ValueError:
        pass
    if fmt == "rfc822" or (text[:3].isalpha() and "," in text[:5]):
        parsed = email.utils.parsedate_to_datetime(text)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)
    parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def timestamp_to_wire(value: Any, fmt: str) -> Any:
    """A timestamp (a datetime, or epoch seconds) in a protocol's format:
    ``unixTimestamp`` (a number), ``iso8601`` or ``rfc822`` (text)."""
    if isinstance(value, datetime.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
        epoch = calendar.timegm(moment.utctimetuple()) + moment.microsecond / 1e6
    else:
        epoch = float(value)
        moment = datetime.datetime.fromtimestamp(epoch, datetime.UTC)
    if fmt == "unixTimestamp":
        return int(epoch) if epoch == int(epoch) else round(epoch, 3)
    if fmt == "rfc822":
        return email.utils.format_datetime(moment.astimezone(datetime.UTC), usegmt=True)
    text = moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    millis = moment.microsecond // 1000
    return f"{text}.{millis:03d}Z" if millis else f"{text}Z"


_BODY_NAMES: dict[Any, dict[str, str]] = {}


def body_names(shape: Any) -> dict[str, str]:
    """A structure's body members by their wire names (``locationName`` or their own),
    computed once per shape (botocore's shapes live as long as their cached model)."""
    found = _BODY_NAMES.get(shape)
    if found is None:
        found = {
            member.serialization.get("name", name): name
            for name, member in shape.members.items()
            if not member.serialization.get("location")
        }
        _BODY_NAMES[shape] = found
    return found


# --- output members -> JSON ---------------------------------------------------------------


def to_wire(shape: Any, value: Any, leaf: Callable[[Any, Any], Any]) -> Any:
    """Output members as a protocol lays them out: structures by their wire names with
    absent (None) members left out, lists and maps item by item, and every other value
    as ``leaf(shape, value)`` makes it (the protocol's blobs and timestamps)."""
    kind = shape.type_name
    if kind == "structure":
        members = shape.members
        out: dict[str, Any] = {}
        for name, item in value.items():
            if item is None:
                continue
            member = members.get(name)
            wire = member.serialization.get("name", name) if member is not None else name
            out[wire] = to_wire(member, item, leaf) if member is not None else item
        return out
    if kind == "list":
        return [to_wire(shape.member, item, leaf) for item in value]
    if kind == "map":
        return {key: to_wire(shape.value, item, leaf) for key, item in value.items()}
    return leaf(shape, value)


def to_json(shape: Any, value: Any, timestamps: str = "unixTimestamp") -> Any:
    """Output members as the JSON protocols put them on the wire: blobs in base64,
    timestamps as epoch seconds (or the shape's ``timestampFormat``), absent (None)
    members left out."""

    def leaf(shape: Any, value: Any) -> Any:
        kind = shape.type_name
        if kind == "blob":
            raw = value.encode() if isinstance(value, str) else bytes(value)
            return base64.b64encode(raw).decode()
        if kind == "timestamp":
            return timestamp_to_wire(value, shape.serialization.get("timestampFormat", timestamps))
        return value

    return to_wire(shape, value, leaf)


def from_json(shape: Any, value: Any) -> Any:
    """Input members from JSON: timestamps (epoch seconds) become datetimes; the rest is
    left for validation (which decodes blobs and checks types)."""
    kind = shape.type_name
    if kind == "structure" and isinstance(value, Mapping):
        names = body_names(shape)
        members = shape.members
        out: dict[str, Any] = {}
        for key, item in value.items():
            name = names.get(key)
            # A key the model does not know stays as it is: validation refuses it.
            out[name or key] = from_json(members[name], item) if name else item
        return out
    if kind == "list" and isinstance(value, list):
        return [from_json(shape.member, item) for item in value]
    if kind == "map" and isinstance(value, Mapping):
        return {key: from_json(shape.value, item) for key, item in value.items()}
    if kind == "timestamp" and value is not None and not isinstance(value, datetime.datetime):
        try:
            return timestamp_from_wire(value, "unixTimestamp")
        except (ValueError, OverflowError, OSError):
            return value  # validation reports it as not a timestamp
    return value

"""What rest-json and rest-xml share: the operation from the method and path (each
operation's ``requestUri`` in the model, labels and greedy labels, literal query
parameters), members bound to the URI, the query string and headers, and output members
bound to the status code and headers.

Paths are matched as the client encoded them (``raw_path``), and labels decoded after,
so a label may hold an encoded ``/`` (a function ARN, an object key).
"""

from __future__ import annotations

import base64
import json
import re
from abc import abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.requests import Request
from starlette.responses import Response

from altus.api.chunked import ChunkedResponse
from altus.api.protocols.base import WireProtocol, request_id_header
from altus.api.protocols.common import (
    Body,
    decimal_text,
    header_map,
    integer_text,
    read_body,
    timestamp_from_wire,
    timestamp_to_wire,
)
from altus.api.spec import Call, Members
from altus.api.validate import Unreadable, camel

_LABEL = re.compile(r"\{([A-Za-z0-9_\-]+)(\+?)\}")


@dataclass(frozen=True, slots=True)
class _Template:
    operation: str
    method: str
    pattern: re.Pattern[str]
    #: Literal query parameters the URI requires (``?List=ALL``, ``?versioning``).
    literals: tuple[tuple[str, str | None], ...]
    #: Required members in headers and the query string, by wire name: where one URI
    #: serves several operations (S3's ``PUT /{Bucket}/{Key+}`` is PutObject, CopyObject
    #: with ``x-amz-copy-source``, UploadPart with ``partNumber`` and ``uploadId``), the
    #: one whose required members are all present.
    headers: tuple[str, ...]
    query: tuple[str, ...]
    #: How specific it is: literal query parameters first (``?List=ALL`` before none),
    #: then literal characters (``/functions/{F}/url`` before ``/functions/{F}``), then
    #: required members.
    weight: tuple[int, int, int]
    #: The path's last segment when it is literal (``invocations``), else None: a
    #: request can only be this operation if its path ends with that segment.
    last: str | None
    #: The labels' wire names, in order (their groups are ``l0``, ``l1`` ...: a wire
    #: name may hold what a group name cannot, API Gateway's ``{resource-arn}``).
    labels: tuple[str, ...] = ()


def _required(shape: Any, location: str) -> tuple[str, ...]:
    if shape is None:
        return ()
    return tuple(
        member.serialization.get("name", name)
        for name, member in shape.members.items()
        if name in shape.required_members and member.serialization.get("location") == location
    )


def _compile(operation: str, method: str, uri: str, input_shape: Any = None) -> _Template:
    path, _, query = uri.partition("?")
    regex = ["^"]
    position = 0
    literal = 0
    labels: list[str] = []
    for match in _LABEL.finditer(path):
        regex.append(re.escape(path[position : match.start()]))
        literal += match.start() - position
        greedy = match.group(2) == "+"
        regex.append(f"(?P<l{len(labels)}>{'.+' if greedy else '[^/]+'})")
        labels.append(match.group(1))
        position = match.end()
    tail = path[position:]
    regex.append(re.escape(tail.rstrip("/")))
    literal += len(path) - position
    # With or without a trailing slash, as the services themselves accept it.
    regex.append("/?$")
    literals = tuple(
        (name, value if sep else None)
        for name, sep, value in (part.partition("=") for part in query.split("&") if part)
    )
    headers = tuple(name.lower() for name in _required(input_shape, "header"))
    query_members = _required(input_shape, "querystring")
    last = _last_segment(path)
    return _Template(
        operation,
        method,
        re.compile("".join(regex)),
        literals,
        headers,
        query_members,
        (len(literals), literal, len(headers) + len(query_members)),
        None if "{" in last else last,
        tuple(labels),
    )


def _last_segment(path: str) -> str:
    return path.rstrip("/").rpartition("/")[2]


class Router:
    """Finds a request's operation among every operation of a REST model."""

    def __init__(self, model: Any) -> None:
        by_method: dict[str, list[_Template]] = {}
        # Where a deprecated operation and its successor share a URI (S3's
        # PutBucketNotification and PutBucketNotificationConfiguration), the successor
        # is tried first: the sort below keeps this order among equals.
        names = sorted(
            model.operation_names, key=lambda n: bool(model.operation_model(n).deprecated)
        )
        for name in names:
            operation = model.operation_model(name)
            http = operation.http
            template = _compile(name, http["method"], http["requestUri"], operation.input_shape)
            by_method.setdefault(template.method, []).append(template)
        # Per method and last path segment, the operations a request could be, most
        # specific first: those whose URI ends with that literal segment, and those
        # whose URI ends with a label. A request's path is matched against these few,
        # not against every operation of the method.
        self._candidates: dict[str, tuple[dict[str, list[_Template]], list[_Template]]] = {}
        for method, templates in by_method.items():
            templates.sort(key=lambda t: t.weight, reverse=True)
            ending = [t for t in templates if t.last is None]
            keyed: dict[str, list[_Template]] = {}
            for key in {t.last for t in templates if t.last is not None}:
                keyed[key] = [t for t in templates if t.last is None or t.last == key]
            self._candidates[method] = (keyed, ending)

    def could_match(self, method: str, raw_path: str) -> bool:
        """Whether any operation could fit a request (its method and last path segment):
        most requests another service serves are told apart here, before their query
        and headers are read."""
        keyed, ending = self._candidates.get(method, _NONE)
        return bool(ending) or _last_segment(raw_path) in keyed

    def match(
        self,
        method: str,
        raw_path: str,
        query: Mapping[str, list[str]],
        headers: Mapping[str, str] | None = None,
    ) -> tuple[str, dict[str, str]] | None:
        """(operation, its labels decoded) for a request, or None: the operation whose
        URI fits most specifically. Where several fit equally (the same path and literal
        query), the one whose required header and query members are all present; failing
        that, the first, so a missing member is refused as that operation's own error
        rather than answered as another operation."""
        headers = headers or {}
        fallback: tuple[_Template, re.Match[str]] | None = None
        keyed, ending = self._candidates.get(method, _NONE)
        for template in keyed.get(_last_segment(raw_path), ending):
            if fallback is not None and template.weight[:2] < fallback[0].weight[:2]:
                break
            found = template.pattern.match(raw_path)
            if found is None:
                continue
            if any(
                name not in query or (value is not None and value not in query[name])
                for name, value in template.literals
            ):
                continue
            if all(name in headers for name in template.headers) and all(
                name in query for name in template.query
            ):
                return _matched(template, found)
            fallback = fallback or (template, found)
        return None if fallback is None else _matched(*fallback)


_NONE: tuple[dict[str, list[_Template]], list[_Template]] = ({}, [])


def _matched(template: _Template, found: re.Match[str]) -> tuple[str, dict[str, str]]:
    return template.operation, {
        name: unquote(value) for name, value in zip(template.labels, found.groups(), strict=True)
    }


def query_params(request: Request) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    raw: bytes = request.scope.get("query_string", b"")
    if raw:
        for key, value in parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True):
            params.setdefault(key, []).append(value)
    return params


def scalar_from_text(shape: Any, text: str, member: str, where: str) -> Any:
    """A URI label, query parameter or header value as its shape's type."""
    kind = shape.type_name
    path = camel(member)
    if kind == "string":
        if shape.serialization.get("jsonvalue"):
            try:
                return json.loads(base64.b64decode(text))
            except ValueError:
                raise Unreadable(member, path, "base64-encoded JSON") from None
        return text
    if kind in ("integer", "long"):
        try:
            return integer_text(text)
        except ValueError:
            raise Unreadable(member, path, "an integer", text) from None
    if kind in ("double", "float"):
        try:
            return decimal_text(text)
        except ValueError:
            raise Unreadable(member, path, "a number", text) from None
    if kind == "boolean":
        if text.lower() not in ("true", "false"):
            raise Unreadable(member, path, "true or false", text)
        return text.lower() == "true"
    if kind == "timestamp":
        fmt = shape.serialization.get(
            "timestampFormat", "rfc822" if where == "header" else "iso8601"
        )
        try:
            return timestamp_from_wire(text, fmt)
        except (ValueError, OverflowError, OSError):
            raise Unreadable(member, path, "a timestamp", text) from None
    if kind == "blob":
        return text.encode()
    return text


@dataclass(frozen=True, slots=True)
class _Binding:
    """Where one input member is read from outside the body, worked out once per
    operation from the model (not per request)."""

    name: str
    location: str  # uri | querystring | header | headers | querymap
    wire: str
    shape: Any
    #: A list's member shape (a list is read item by item).
    item: Any


def bindings(shape: Any) -> tuple[_Binding, ...]:
    """The members of ``shape`` bound to the URI, the query string and headers."""
    found = []
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        if location not in ("uri", "querystring", "header", "headers"):
            continue
        wire = member.serialization.get("name", name)
        if location in ("header", "headers"):
            wire = wire.lower()
        elif location == "querystring" and member.type_name == "map":
            location = "querymap"
        item = member.member if member.type_name == "list" else None
        found.append(_Binding(name, location, wire, member, item))
    return tuple(found)


def bound_members(
    plan: tuple[_Binding, ...],
    headers: Mapping[str, str],
    labels: Mapping[str, str],
    query: Mapping[str, list[str]],
) -> dict[str, Any]:
    """The input members bound to the URI, the query string and headers."""
    out: dict[str, Any] = {}
    query_map: _Binding | None = None
    for binding in plan:
        location, name, wire = binding.location, binding.name, binding.wire
        if location == "header":
            value = headers.get(wire)
            if value is None:
                continue
            if binding.item is not None:
                out[name] = [
                    scalar_from_text(binding.item, v.strip(), name, "header")
                    for v in value.split(",")
                    if v.strip()
                ]
            else:
                out[name] = scalar_from_text(binding.shape, value, name, "header")
        elif location == "uri":
            if wire in labels:
                out[name] = scalar_from_text(binding.shape, labels[wire], name, "uri")
        elif location == "querystring":
            values = query.get(wire)
            if values is None:
                continue
            if binding.item is not None:
                out[name] = [scalar_from_text(binding.item, v, name, "querystring") for v in values]
            else:
                out[name] = scalar_from_text(binding.shape, values[0], name, "querystring")
        elif location == "headers":
            found = {k[len(wire) :]: v for k, v in headers.items() if k.startswith(wire)}
            if found:
                out[name] = found
        else:
            query_map = binding
    if query_map is not None:
        bound_query = {b.wire for b in plan if b.location == "querystring"}
        rest = {k: v[0] for k, v in query.items() if k not in bound_query}
        if rest:
            out[query_map.name] = rest
    return out


def header_value(shape: Any, value: Any) -> str:
    kind = shape.type_name
    if kind == "timestamp":
        return str(timestamp_to_wire(value, shape.serialization.get("timestampFormat", "rfc822")))
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "list":
        return ",".join(header_value(shape.member, item) for item in value)
    if kind == "string" and shape.serialization.get("jsonvalue"):
        return base64.b64encode(json.dumps(value).encode()).decode()
    return str(value)


def bound_output(
    shape: Any, output: Mapping[str, Any], status: int
) -> tuple[int, dict[str, str], dict[str, Any]]:
    """(status, headers, the members left for the body) of an operation's output."""
    headers: dict[str, str] = {}
    body: dict[str, Any] = {}
    for name, value in output.items():
        if value is None:
            continue
        member = shape.members.get(name)
        location = member.serialization.get("location") if member is not None else None
        if location == "statusCode":
            status = int(value)
        elif location == "header":
            headers[member.serialization.get("name", name)] = header_value(member, value)
        elif location == "headers":
            prefix = member.serialization.get("name", "")
            headers.update({f"{prefix}{k}": str(v) for k, v in value.items()})
        else:
            body[name] = value
    return status, headers, body


_ROUTE = "altus.route"

#: An output key that sets the response's status where the model has no ``statusCode``
#: member for it (S3's 206 for a ranged GetObject).
STATUS = "altus.status"


class RestProtocol(WireProtocol):
    """What rest-json and rest-xml do alike: routing, reading a request's members, and the
    head of a response. A subclass says how its body format decodes (``decode``)."""

    def __init__(self, spec: Any, model: Any) -> None:
        super().__init__(spec, model)
        self.router = Router(model)
        self._plans: dict[str, tuple[_Binding, ...]] = {}

    async def operation(self, request: Request) -> str | None:
        path = (request.scope.get("raw_path") or request.url.path.encode()).decode("latin-1")
        if not self.router.could_match(request.method, path):
            return None
        query = query_params(request)
        found = self.router.match(request.method, path, query, header_map(request))
        if found is None:
            return None
        request.scope[_ROUTE] = (found[1], query)
        return found[0]

    async def parse(self, request: Request, operation: Any) -> Members:
        shape = operation.input_shape
        if shape is None:
            return {}
        labels, query = self.route(request)
        plan = self._plans.get(operation.name)
        if plan is None:
            plan = self._plans[operation.name] = bindings(shape)
        try:
            members = bound_members(plan, header_map(request), labels, query)
            payload = shape.serialization.get("payload")
            if payload is not None:
                target = shape.members[payload]
                if target.type_name == "blob":
                    members[payload] = Body(request)
                else:
                    raw = await self.read(request, operation)
                    if raw.strip():
                        members[payload] = (
                            raw.decode("utf-8", "replace")
                            if target.type_name == "string"
                            else self.decode(target, raw)
                        )
            elif self.has_body(shape):
                raw = await self.read(request, operation)
                if raw.strip():
                    for name, value in self.decode(shape, raw).items():
                        members.setdefault(name, value)
        except Unreadable as error:
            raise self.spec.violations.unreadable(error) from None
        return self.checked(request, operation, members)

    @abstractmethod
    def decode(self, shape: Any, raw: bytes) -> Any:
        """A body (``raw``, not empty) read as ``shape``: for a structure, its members.
        Raises Unreadable where the body is not of the protocol's format."""

    @staticmethod
    def route(request: Request) -> tuple[dict[str, str], dict[str, list[str]]]:
        """The labels and query parameters ``operation`` found."""
        labels, query = request.scope[_ROUTE]
        return labels, query

    async def read(self, request: Request, operation: Any) -> bytes:
        limit = self.spec.body_limits.get(operation.name, self.spec.body_limit)
        return await read_body(request, limit, operation.name)

    def head(
        self, call: Call, operation: Any, output: Members
    ) -> tuple[Any, int, dict[str, str], Members]:
        """What an output is answered with before its body: the output shape (None: the
        operation has no output), the status, the headers, and the members left for the
        body."""
        shape = operation.output_shape
        status = int(operation.http.get("responseCode", 200))
        headers = request_id_header(call.request_id)
        body: Members = {}
        if shape is not None:
            status, bound, body = bound_output(shape, output, status)
            headers.update(bound)
            body.pop(STATUS, None)
        status = int(output.get(STATUS, status))
        headers.update(call.response_headers)
        return shape, status, headers, body

    @staticmethod
    def has_body(shape: Any) -> bool:
        """Whether a shape has members outside the URI, query string and headers."""
        return any(not m.serialization.get("location") for m in shape.members.values())


def raw_payload(shape: Any, value: Any, status: int, headers: dict[str, str]) -> Response:
    """A blob payload (bytes, or an async iterator of them, sent as it comes) or a string
    payload, as the body; a blob's Content-Type is what the operation said, if it did."""
    if shape.type_name == "string":
        return Response(str(value).encode(), status, headers, media_type="text/plain")
    # A Content-Type the operation gave is sent as it is (S3's stored one: no charset
    # added to a text type).
    given = headers.get("Content-Type") or headers.get("content-type")
    media = None if given else "application/octet-stream"
    if not isinstance(value, (bytes, bytearray, memoryview)):
        return ChunkedResponse(value, status, headers, media_type=media)
    return Response(bytes(value), status, headers, media_type=media)

"""What the fuzz suite (``test_fuzz.py``) is made of: requests generated from botocore's
models of every registered service, mutated on the wire, sent over a real socket, and
the checks every answer must pass.

- ``params``: a hypothesis strategy of an operation's input members, of the model's
  types (so botocore can serialise them) and mostly within its constraints; strings are
  drawn from the names of resources that exist (``targets``) when the request is meant
  to hit them.
- ``Wire``: a request as bytes on the wire (method, raw path, raw query, headers,
  body) and the protocol its error must come back in.
- ``serialise``: params to a ``Wire``, by botocore's own serialisers, as the SDKs send
  them.
- ``broken``: the mutations that must make any request fail (a required member left
  out, a member of the wrong JSON type, a number or length outside the model's range, a
  value outside its enum, an unknown member inside a structure, a body that is not
  UTF-8 or holds a lone surrogate).
- ``send`` and ``check_error``: the answer, and that it is an error in AWS's shape for
  the protocol: awsJson ``{"__type", "message"}``, rest-json ``x-amzn-ErrorType`` and a
  JSON body, query ``<ErrorResponse><Error><Code/><Message/></Error>``, rest-xml
  ``<Error><Code/><Message/></Error>``; botocore's own
  parser must read its code.
- ``Snapshot``: every List/Get of the resources the tests made, to prove an error
  changed nothing.
"""

from __future__ import annotations

import datetime
import json
import socket
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from http.client import HTTPResponse
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from botocore.awsrequest import prepare_request_dict
from botocore.exceptions import ClientError
from botocore.parsers import create_parser
from botocore.serialize import create_serializer
from hypothesis import assume
from hypothesis import strategies as st

from altus.api.model import Overrides, service_model
from altus.api.spec import ServiceSpec
from altus.httpd.connection import MAX_HEAD_BYTES
from altus.registry import SERVICES

#: A number no generated value takes: put where a member's value goes, then replaced on
#: the wire by text of the wrong type.
MARK_NUMBER = 7_654_321
#: How long one answer may take before the test fails (a hang is a finding too).
ANSWER_TIMEOUT = 30.0


# --- which operations ------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One operation of one service, in one of the protocols the service serves."""

    spec: ServiceSpec
    protocol: str
    operation: str

    @property
    def model(self) -> Any:
        return service_model(self.spec.name)

    @property
    def op(self) -> Any:
        return self.model.operation_model(self.operation)

    def __repr__(self) -> str:
        return f"{self.spec.name}/{self.protocol}/{self.operation}"


def protocols_of(spec: ServiceSpec) -> list[str]:
    model = service_model(spec.name)
    return [*(model.metadata.get("protocols") or [model.protocol]), *spec.extra_protocols]


def served_cases() -> list[Case]:
    """Every operation every registered service serves, in each of its protocols."""
    return [
        Case(spec, protocol, name)
        for spec in SERVICES
        for protocol in protocols_of(spec)
        for name in sorted(spec.operations)
    ]


def unserved_cases() -> list[Case]:
    """The operations of the registered models that their services do not serve, but
    for those whose requests are the same as a served operation's on the wire (S3's
    ListDirectoryBuckets is ``GET /``, as ListBuckets is: only the endpoint of S3
    Express tells them apart), which no server can refuse."""
    cases = []
    for spec in SERVICES:
        model = service_model(spec.name)
        served = {
            (http.get("method"), http.get("requestUri"))
            for name in spec.operations
            if name in model.operation_names
            and (http := model.operation_model(name).http).get("requestUri")
        }
        for protocol in protocols_of(spec):
            for name in model.operation_names:
                http = model.operation_model(name).http
                twin = http.get("requestUri") and (http.get("method"), http["requestUri"]) in served
                if name not in spec.operations and not (protocol.startswith("rest") and twin):
                    cases.append(Case(spec, protocol, name))
    return cases


# --- members -----------------------------------------------------------------------------------

#: Members whose valid values would make a request wait (a long poll): always 0.
_NO_WAIT = {"WaitTimeSeconds"}
#: How deep optional members are drawn (past it, required ones only).
_DEPTH = 4
_UTC = datetime.UTC


def _limits(shape: Any, overrides: Overrides) -> Mapping[str, Any]:
    return overrides.limit(shape)


def _text(low: int, high: int) -> st.SearchStrategy[str]:
    alphabet = st.characters(codec="utf-8")  # no lone surrogates: they are not UTF-8
    return st.one_of(
        st.text("abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=low, max_size=high),
        st.text(alphabet, min_size=low, max_size=high),
    )


def params(
    shape: Any,
    overrides: Overrides,
    targets: Sequence[str] = (),
    name: str = "",
    depth: int = 0,
) -> st.SearchStrategy[Any]:
    """Values of ``shape``, of its type and mostly within its constraints. With
    ``targets``, a string is often one of them (the names and ARNs of resources that
    exist), so that a request reaches a real resource."""
    kind = shape.type_name
    limits = _limits(shape, overrides)
    if kind == "structure":
        required = set(shape.required_members)

        def member_values(member: str) -> st.SearchStrategy[Any]:
            drawn = params(shape.members[member], overrides, targets, member, depth + 1)
            if shape.members[member].serialization.get("location") == "uri":
                # An empty path label names no resource: the path would be another
                # operation's (S3's ``/?uploads`` with no bucket is ListBuckets'), and no
                # SDK sends it (botocore refuses an empty bucket name itself).
                return drawn.filter(lambda value: value != "")
            return drawn

        fixed = {member: member_values(member) for member in shape.members if member in required}
        optional = (
            {member: member_values(member) for member in shape.members if member not in required}
            if depth < _DEPTH
            else {}
        )
        return st.fixed_dictionaries(fixed, optional=optional)
    if kind == "list":
        low = int(limits.get("min", 0))
        high = max(low, min(int(limits.get("max", 3)), 3))
        return st.lists(
            params(shape.member, overrides, targets, name, depth + 1), min_size=low, max_size=high
        )
    if kind == "map":
        keys = params(shape.key, overrides, targets, name, depth + 1)
        return st.dictionaries(
            keys, params(shape.value, overrides, targets, name, depth + 1), max_size=2
        )
    if kind in ("integer", "long"):
        if name in _NO_WAIT:
            return st.just(0)
        bits = 31 if kind == "integer" else 63
        low = int(limits.get("min", -(1 << bits)))
        high = int(limits.get("max", (1 << bits) - 1))
        return st.integers(low, high)
    if kind in ("double", "float"):
        low_f = float(limits.get("min", -1e9))
        high_f = float(limits.get("max", 1e9))
        return st.floats(low_f, high_f, allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "blob":
        return st.binary(max_size=48)
    if kind == "timestamp":
        return st.datetimes(
            datetime.datetime(2000, 1, 1), datetime.datetime(2100, 1, 1), timezones=st.just(_UTC)
        )
    enum = getattr(shape, "enum", None)
    if enum:
        return st.sampled_from(list(enum))
    low = int(limits.get("min", 0))
    high = max(low, min(int(limits.get("max", 24)), 24))
    drawn = _text(low, high)
    if targets:
        fitting = [t for t in targets if low <= len(t) <= int(limits.get("max", 1 << 20))]
        if fitting:
            return st.one_of(st.sampled_from(fitting), drawn)
    return drawn


def members_of(case: Case, targets: Sequence[str] = ()) -> st.SearchStrategy[dict[str, Any]]:
    shape = case.op.input_shape
    if shape is None:
        return st.just({})
    strategy: st.SearchStrategy[dict[str, Any]] = params(shape, case.spec.overrides, targets)
    return strategy


# --- requests on the wire --------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class Wire:
    """A request as it goes on the wire. ``protocol``: the one its error must be in
    (None: any of AWS's); ``operation``: the model operation (for botocore's parser)."""

    method: str
    path: bytes
    query: bytes
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    protocol: str | None = None
    service: str | None = None
    operation: str | None = None
    #: What the test did to it, for the report of a failure.
    note: str = ""

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Shown short in hypothesis's report of a failing example: the huge strings
        drawn would bury it."""
        printer.text(repr(self))

    def __repr__(self) -> str:
        return (
            f"Wire({self.service}/{self.protocol}/{self.operation} {self.method} "
            f"{_short(self.path)}?{_short(self.query)} headers={_short(self.headers)} "
            f"body={_short(self.body)} note={_short(self.note)})"
        )

    @property
    def head_size(self) -> int:
        """The request line and headers, as the HTTP server counts them."""
        return len(self.path) + len(self.query) + sum(len(k) + len(v) for k, v in self.headers)

    def with_header(self, name: bytes, value: bytes) -> Wire:
        kept = tuple((k, v) for k, v in self.headers if k.lower() != name.lower())
        return replace(self, headers=(*kept, (name, value)))

    def header(self, name: bytes) -> bytes | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def serialise(case: Case, members: Mapping[str, Any]) -> Wire:
    """The request botocore makes of ``members`` for ``case`` (unsigned: the server runs
    with ``--auth open``)."""
    op = case.op
    request = create_serializer(case.protocol, include_validation=False).serialize_to_request(
        dict(members), op
    )
    prepare_request_dict(request, "http://127.0.0.1")
    body = request["body"]
    if isinstance(body, dict):  # the query serialiser leaves the form as a dict
        body = urlencode(body)
    raw = body.encode() if isinstance(body, str) else bytes(body or b"")
    # A header holding text past Latin-1 (a drawn metadata key, a value) goes as its UTF-8
    # bytes, as raw clients send it.
    headers = [(k.encode(), str(v).encode()) for k, v in request["headers"].items()]
    # A drawn ContentLength member (S3's) is not what an HTTP client sends: it sends the
    # body's length (a longer one would leave the server waiting for bytes never sent).
    headers = [
        (k, str(len(raw)).encode() if k.lower() == b"content-length" else v) for k, v in headers
    ]
    if case.protocol == "query":
        headers = [h for h in headers if h[0].lower() != b"content-type"]
        headers.append((b"Content-Type", b"application/x-www-form-urlencoded; charset=utf-8"))
    if case.spec.name == "s3":
        # What every S3 client sends (S3's paths fit any path: an unsigned request is
        # S3's where it says so, altus.s3.hosts).
        headers.append((b"x-amz-content-sha256", b"UNSIGNED-PAYLOAD"))
    url = urlsplit(request["url"])
    return Wire(
        method=request["method"],
        path=(url.path or "/").encode("latin-1"),
        query=url.query.encode("latin-1"),
        headers=tuple(headers),
        body=raw,
        protocol=case.protocol,
        service=case.spec.name,
        operation=case.operation,
    )


# --- mutations that must make a request fail -------------------------------------------------


def _body_shape(case: Case) -> tuple[Any, bool]:
    """The shape the JSON body is laid out by, and whether its top is the operation's
    input (unknown members ignored there) rather than a payload member (refused)."""
    shape = case.op.input_shape
    payload = shape.serialization.get("payload") if shape is not None else None
    if payload is not None:
        return shape.members[payload], False
    return shape, True


def json_nodes(
    shape: Any, doc: Any, path: tuple[Any, ...] = ()
) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """(path, shape) of every value in a JSON body, by the model's wire names."""
    yield path, shape
    kind = shape.type_name
    if kind == "structure" and isinstance(doc, dict):
        by_wire = {m.serialization.get("name", n): m for n, m in shape.members.items()}
        for key, value in doc.items():
            member = by_wire.get(key)
            if member is not None and not member.serialization.get("location"):
                yield from json_nodes(member, value, (*path, key))
    elif kind == "list" and isinstance(doc, list):
        for index, value in enumerate(doc):
            yield from json_nodes(shape.member, value, (*path, index))
    elif kind == "map" and isinstance(doc, dict):
        for key, value in doc.items():
            yield from json_nodes(shape.value, value, (*path, key))


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(doc, list):
        copy_list = list(doc)
        copy_list[head] = _set(doc[head], rest, value)
        return copy_list
    copy = dict(doc)
    copy[head] = _set(doc[head], rest, value)
    return copy


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        doc = doc[key]
    return doc


#: A value of another JSON type, for each kind of member.
_WRONG: dict[str, list[Any]] = {
    "structure": [[], "text", 1, True],
    "list": [{}, "text", 1],
    "map": [[], "text", 1],
    "string": [1, 2.5, True, [], {}],
    "integer": ["twelve", 1.5, True, [], {}],
    "long": ["twelve", 1.5, True, {}],
    "double": ["one and a half", True, [], {}],
    "float": ["one and a half", True, {}],
    "boolean": ["yes", 1, [], {}],
    "blob": [1, True, [], {}, "not base64!"],
    "timestamp": [True, [], {}, "not a time"],
}


@st.composite
def broken(draw: st.DrawFn, case: Case, members: dict[str, Any]) -> Wire:
    """``members`` serialised for ``case`` with one thing wrong that the service must
    refuse whatever else the request says."""
    shape = case.op.input_shape
    overrides = case.spec.overrides
    # A REST path with junk after it is no operation's.
    kinds = ["path"] if case.protocol == "rest-json" else []
    if _reads_body(case):
        kinds += ["utf8", "surrogate"] if case.protocol != "query" else ["utf8"]
    # A URI label left out makes another path, maybe another operation's (GetAlias
    # without its name is ListAliases): only members elsewhere must be missed.
    required = [
        name
        for name in (shape.required_members if shape is not None else ())
        if shape.members[name].serialization.get("location") != "uri"
    ]
    if required:
        kinds.append("required")
    ranged = list(_ranged(shape, members, overrides)) if shape is not None else []
    if ranged:
        kinds.append("range")
    wire = serialise(case, members)
    doc = None
    if case.protocol in ("json", "rest-json") and wire.body.strip() and shape is not None:
        try:
            doc = json.loads(wire.body)
        except ValueError:
            doc = None
    body_shape, top = _body_shape(case) if shape is not None else (None, True)
    nodes = list(json_nodes(body_shape, doc)) if isinstance(doc, (dict, list)) else []
    typed = [(p, s) for p, s in nodes if p or not top]
    if typed:
        kinds.append("type")
    nested = [(p, s) for p, s in nodes if s.type_name == "structure" and (p or not top)]
    if nested:
        kinds.append("unknown")
    numbers = _numbers(shape, members)
    if numbers:
        kinds.append("number-text")
    # Some operations have nothing a request can get wrong (S3's ListBuckets): no such
    # request is drawn.
    assume(kinds)
    kind = draw(st.sampled_from(kinds))
    if kind == "required":
        missing = draw(st.sampled_from(sorted(required)))
        left = {k: v for k, v in members.items() if k != missing}
        return replace(serialise(case, left), note=f"without required {missing}")
    if kind == "path":
        return replace(wire, path=wire.path.rstrip(b"/") + b"/fuzz%ZZ/..", note="junk path")
    if kind == "range":
        path, bad = draw(st.sampled_from(ranged))
        return replace(serialise(case, _set(members, path, bad)), note=f"{path} = {_short(bad)}")
    if kind == "number-text":
        path = draw(st.sampled_from(numbers))
        marked = serialise(case, _set(members, path, MARK_NUMBER))
        text = draw(st.sampled_from(["ten", "1e3x", "0x10", "", "1 2", "1_0"]))
        return _replace_mark(marked, str(MARK_NUMBER).encode(), text, f"{path} = {text!r}")
    if kind == "type":
        path, node = draw(st.sampled_from(typed))
        wrong = draw(st.sampled_from(_WRONG[node.type_name]))
        body = json.dumps(_set(doc, path, wrong)).encode()
        return replace(wire, body=body, note=f"{path} = {wrong!r} (a {node.type_name})")
    if kind == "unknown":
        path, _ = draw(st.sampled_from(nested))
        inner = dict(_get(doc, path))
        inner["FuzzUnknownMember"] = 1
        body = json.dumps(_set(doc, path, inner)).encode()
        return replace(wire, body=body, note=f"unknown member in {path}")
    # Text that is not UTF-8, or a lone surrogate, in the body.
    return _bad_text(case, wire, doc, kind)


def _reads_body(case: Case) -> bool:
    """Whether the service parses the body of ``case`` (awsJson and query always;
    rest-json and rest-xml where members or a structure payload are in it, not a blob
    payload)."""
    if case.protocol not in ("rest-json", "rest-xml"):
        return True
    shape = case.op.input_shape
    if shape is None:
        return False
    payload = shape.serialization.get("payload")
    if payload is not None:
        return bool(shape.members[payload].type_name == "structure")
    return any(not m.serialization.get("location") for m in shape.members.values())


def _bad_text(case: Case, wire: Wire, doc: Any, kind: str) -> Wire:
    marker = "FUZZMARKQQ"
    if case.protocol == "query":
        body = wire.body + b"&FuzzText=" + marker.encode()
        bad = b"\xff\xfe"
    else:
        # A doc with no string to spoil gets one, in a member of its own.
        base = doc if isinstance(doc, dict) else {}
        spoiled = json.dumps({**base, "FuzzText": marker}).encode()
        body = spoiled
        bad = b"\xc3\x28" if kind == "utf8" else b"\\ud800"
    return replace(wire, body=body.replace(marker.encode(), bad), note=f"{kind} text in the body")


def _replace_mark(wire: Wire, mark: bytes, text: str, note: str) -> Wire:
    encoded = text.encode()
    quoted = quote(text, safe="").encode()  # in a URI or a form, percent-encoded
    path = wire.path.replace(mark, quoted)
    query = wire.query.replace(mark, quoted)
    headers = tuple((k, v.replace(mark, encoded)) for k, v in wire.headers)
    body = wire.body
    if wire.protocol == "query":
        body = body.replace(mark, quoted)
    elif mark in body:
        body = body.replace(mark, json.dumps(text).encode())
    return replace(wire, path=path, query=query, headers=headers, body=body, note=note)


def _numbers(shape: Any, members: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """Paths of the numbers among the top-level members (their text is replaced)."""
    if shape is None:
        return []
    return [
        (name,)
        for name, value in members.items()
        if shape.members[name].type_name in ("integer", "long", "double", "float")
        and isinstance(value, (int, float))
        and not isinstance(value, bool)
    ]


def _ranged(
    shape: Any, members: Mapping[str, Any], overrides: Overrides, path: tuple[Any, ...] = ()
) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """(path, a value outside the member's model constraints) for members present."""
    for name, value in members.items():
        member = shape.members.get(name)
        if member is None:
            continue
        where = (*path, name)
        limits = _limits(member, overrides)
        kind = member.type_name
        if kind in ("integer", "long"):
            if "min" in limits:
                yield where, int(limits["min"]) - 1
            if "max" in limits:
                yield where, int(limits["max"]) + 1
            bits = 31 if kind == "integer" else 63
            yield where, 1 << bits  # past the type itself
        elif kind == "string":
            if getattr(member, "enum", None) and member.name not in overrides.open_enums:
                yield where, "FUZZ_NOT_IN_ENUM"
            empty_label = limits.get("min") == 1 and member.serialization.get("location") == "uri"
            if int(limits.get("min", 0)) >= 1 and not empty_label:
                yield where, "x" * (int(limits["min"]) - 1)
            if "max" in limits and int(limits["max"]) < 70_000:
                yield where, "x" * (int(limits["max"]) + 1)
        elif kind == "list" and isinstance(value, list):
            if "max" in limits and int(limits["max"]) < 200 and value:
                yield where, [value[0]] * (int(limits["max"]) + 1)
        elif kind == "structure" and isinstance(value, dict):
            yield from _ranged(member, value, overrides, where)


def _short(value: Any, size: int = 120) -> str:
    text = repr(value)
    return text if len(text) < size else f"{text[: size - 20]}...({len(text)} chars)"


# --- answers ---------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    #: The server closed the connection without an answer (a request it could not read).
    closed: bool = False

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def send(
    base_url: str, wire: Wire, *, raw_head: bytes | None = None, half_close: bool = False
) -> Answer:
    """Send ``wire`` on a connection of its own and read the answer. ``raw_head``
    replaces the head botocore would write (for heads no client library sends);
    ``half_close`` ends the sending side after the request (a client that stops
    half-way through a body it announced)."""
    url = urlsplit(base_url)
    sock = socket.create_connection(
        (url.hostname or "127.0.0.1", url.port or 80), timeout=ANSWER_TIMEOUT
    )
    try:
        if raw_head is None:
            target = wire.path + (b"?" + wire.query if wire.query else b"")
            lines = [
                wire.method.encode() + b" " + target + b" HTTP/1.1",
                b"Host: " + url.netloc.encode(),
            ]
            lines += [k + b": " + v for k, v in wire.headers]
            if wire.header(b"content-length") is None:
                lines.append(b"Content-Length: %d" % len(wire.body))
            raw_head = b"\r\n".join(lines) + b"\r\n\r\n"
        sock.sendall(raw_head + wire.body)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        response = HTTPResponse(sock, method=wire.method)
        try:
            response.begin()
        except (ConnectionError, OSError) as error:
            if isinstance(error, TimeoutError):
                raise
            return Answer(0, {}, b"", closed=True)
        except Exception as error:  # http.client.RemoteDisconnected / BadStatusLine
            if type(error).__name__ in ("RemoteDisconnected", "BadStatusLine"):
                return Answer(0, {}, b"", closed=True)
            raise
        body = response.read()
        headers = {k.lower(): v for k, v in response.getheaders()}
        return Answer(response.status, headers, body)
    finally:
        sock.close()


#: The plain answers of the HTTP server itself to what is not an HTTP request it can read
#: (no service could be told of it), as AWS's own front ends answer them.
HTTP_LEVEL = {400, 431}


def check_error(answer: Answer, wire: Wire) -> str:
    """That ``answer`` is a client error in the AWS shape of the request's protocol (or,
    for a request no protocol can be told, of the one its content type says). Returns
    the error code."""
    assert not answer.closed, f"no answer to {wire.note}"
    if wire.head_size > MAX_HEAD_BYTES and answer.status == 431:
        # Refused by the HTTP server before any service saw it, in plain text, as AWS's
        # front ends refuse a head too large.
        assert answer.header("connection") == "close", answer.headers
        return "RequestHeaderFieldsTooLarge"
    assert 400 <= answer.status < 500, f"{answer.status} for {wire.note}: {answer.body[:300]!r}"
    protocol = wire.protocol or _protocol_of(answer)
    assert answer.header("x-amzn-requestid") or (
        protocol == "rest-xml" and answer.header("x-amz-request-id")
    ), f"no request id: {answer.headers}"
    if protocol == "query":
        code = _query_error(answer)
    elif protocol == "json":
        code = _json_error(answer)
    elif protocol == "rest-xml":
        code = _rest_xml_error(answer)
    elif protocol == "smithy-rpc-v2-cbor":
        code = _cbor_error(answer)
    else:
        code = _rest_json_error(answer)
    if wire.service is not None and wire.operation is not None and wire.protocol is not None:
        _botocore_reads(answer, wire, code)
    return code


def _protocol_of(answer: Answer) -> str:
    content_type = answer.header("content-type") or ""
    if content_type.startswith("text/xml"):
        return "query"
    if content_type.startswith("application/x-amz-json-"):
        return "json"
    if content_type.startswith("application/xml"):
        return "rest-xml"
    if content_type.startswith("application/cbor"):
        return "smithy-rpc-v2-cbor"
    return "rest-json"


def _message(document: Mapping[str, Any]) -> None:
    message = document.get("message", document.get("Message"))
    assert isinstance(message, str), f"no message in {document}"


def _json_error(answer: Answer) -> str:
    assert (answer.header("content-type") or "").startswith("application/x-amz-json-"), (
        answer.headers
    )
    document = json.loads(answer.body)
    assert isinstance(document, dict), document
    code = document.get("__type")
    assert isinstance(code, str) and code, document
    _message(document)
    return code


def _cbor_error(answer: Answer) -> str:
    """Smithy RPC v2 CBOR: a CBOR map with ``__type`` and the message."""
    import cbor2

    assert answer.header("smithy-protocol") == "rpc-v2-cbor", answer.headers
    document = cbor2.loads(answer.body)
    assert isinstance(document, dict), document
    code = document.get("__type")
    assert isinstance(code, str) and code, document
    _message(document)
    return code


def _rest_json_error(answer: Answer) -> str:
    code = answer.header("x-amzn-errortype")
    assert code, f"no x-amzn-ErrorType: {answer.headers} {answer.body[:200]!r}"
    document = json.loads(answer.body)
    assert isinstance(document, dict), document
    _message(document)
    return code


def _rest_xml_error(answer: Answer) -> str:
    """S3's ``<Error><Code/><Message/><RequestId/></Error>``; a HEAD's error has no body,
    its status says it all."""
    if not answer.body:
        return str(answer.status)
    assert (answer.header("content-type") or "").startswith("application/xml"), answer.headers
    root = ElementTree.fromstring(answer.body)
    assert root.tag == "Error", answer.body
    code = root.findtext("Code")
    assert code, answer.body
    assert root.find("Message") is not None, answer.body
    assert root.findtext("RequestId"), answer.body
    return code


def _query_error(answer: Answer) -> str:
    assert (answer.header("content-type") or "").startswith("text/xml"), answer.headers
    root = ElementTree.fromstring(answer.body)
    assert root.tag.endswith("ErrorResponse"), answer.body
    namespace = root.tag[: -len("ErrorResponse")]
    error = root.find(f"{namespace}Error")
    assert error is not None, answer.body
    code = error.findtext(f"{namespace}Code")
    assert code, answer.body
    assert error.find(f"{namespace}Message") is not None, answer.body
    assert root.findtext(f"{namespace}RequestId"), answer.body
    return code


def _botocore_reads(answer: Answer, wire: Wire, code: str) -> None:
    """botocore's own parser for the protocol reads the same error (what an SDK user
    gets as ``ClientError``)."""
    from botocore.awsrequest import HeadersDict

    assert wire.service is not None and wire.operation is not None and wire.protocol is not None
    op = service_model(wire.service).operation_model(wire.operation)
    headers = HeadersDict(answer.headers)
    parsed = create_parser(wire.protocol).parse(
        {"status_code": answer.status, "headers": headers, "body": answer.body}, op.output_shape
    )
    found = parsed.get("Error", {}).get("Code")
    assert found, f"botocore reads no error code from {answer.headers} {answer.body[:200]!r}"
    # A query-compatible JSON service's code is the legacy one in x-amzn-query-error.
    legacy = (answer.header("x-amzn-query-error") or "").split(";")[0]
    assert found in (code, legacy, code.rsplit("#", 1)[-1]), (found, code, legacy)


# --- state -----------------------------------------------------------------------------------


@dataclass
class Snapshot:
    """Every List/Get of the resources the fuzz tests made, and the lists of each kind:
    equal before and after a refused request, or the request changed something."""

    reads: list[tuple[str, Callable[[], Any]]] = field(default_factory=list)

    def add(self, name: str, read: Callable[[], Any]) -> None:
        self.reads.append((name, read))

    def take(self) -> dict[str, Any]:
        taken: dict[str, Any] = {}
        for name, read in self.reads:
            try:
                answer = read()
            except ClientError as error:
                answer = ("error", error.response["Error"].get("Code"))
            if isinstance(answer, dict):
                answer = {k: v for k, v in answer.items() if k != "ResponseMetadata"}
            taken[name] = answer
        return taken

    def settled(self, attempts: int = 100) -> dict[str, Any]:
        """A snapshot that a second one agrees with (what a successful request set going
        in the background, a function's activation, has finished)."""
        last = self.take()
        for _ in range(attempts):
            time.sleep(0.02)
            again = self.take()
            if again == last:
                return again
            last = again
        raise AssertionError("the server's state did not settle")


def difference(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    return {
        name: (before.get(name), after.get(name))
        for name in set(before) | set(after)
        if before.get(name) != after.get(name)
    }

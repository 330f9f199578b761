"""Smithy RPC v2 CBOR: ``POST /service/<service>/operation/<Op>`` with ``smithy-protocol:
rpc-v2-cbor``, the input members as one CBOR map, the output members as one CBOR map.

What botocore sends (``botocore.serialize.RpcV2CBORSerializer``): the path names the
model's ``targetPrefix`` as the service (the Smithy service shape's name: CloudWatch's
``GraniteServiceVersion20100801``), ``Content-Type: application/cbor`` where there is a
body, ``Accept: application/cbor``, and ``x-amzn-query-mode: true`` for a service that
moved from the query protocol. Timestamps are CBOR tag 1 (epoch seconds, an integer or
a float), blobs byte strings, members by their wire names.

What it reads back (``botocore.parsers.RpcV2CBORParser``): the output as a CBOR map; an
error as a map with ``__type`` (the shape, ``namespace#Name`` or bare) and ``message``,
and for a query-compatible service (``awsQueryCompatible``) the legacy code in
``x-amzn-query-error: <code>;Sender|Receiver``, which is how it finds the modelled
exception class.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from typing import Any

import cbor2
from starlette.requests import Request
from starlette.responses import Response

from altus.api.errors import Unparsable
from altus.api.protocols.base import WireProtocol, request_id_header
from altus.api.protocols.common import (
    body_names,
    header_map,
    read_body,
    timestamp_from_wire,
    to_wire,
)
from altus.api.spec import Call, Members
from altus.errors import AltusError

CONTENT_TYPE = "application/cbor"
#: The header every request and response of the protocol carries.
HEADER = "smithy-protocol"
VALUE = "rpc-v2-cbor"
_PREFIX = "/service/"
_OPERATION = "/operation/"
#: Deeper than any model's shapes nest: a body nested past it is not a request.
_DEPTH = 64


def path_parts(path: str) -> tuple[str, str] | None:
    """``(service, operation)`` of a ``/service/<service>/operation/<Op>`` path."""
    if not path.startswith(_PREFIX):
        return None
    service, found, operation = path[len(_PREFIX) :].partition(_OPERATION)
    if not found or not service or not operation or "/" in service or "/" in operation:
        return None
    return service, operation


def service_names(model: Any) -> set[str]:
    """The names a request's path may give the service: botocore's (the model's
    ``targetPrefix``) and the Smithy shape name other SDKs derive from the service id."""
    names = {str(model.metadata.get("serviceId", "")).replace(" ", "")}
    if model.metadata.get("targetPrefix"):
        names.add(model.metadata["targetPrefix"])
    return names - {""}


class RpcV2CborProtocol(WireProtocol):
    name = "smithy-rpc-v2-cbor"

    def __init__(self, spec: Any, model: Any) -> None:
        super().__init__(spec, model)
        self.names = service_names(model)
        self._query_compatible = "awsQueryCompatible" in model.metadata

    async def operation(self, request: Request) -> str | None:
        parts = path_parts(request.scope["path"])
        if parts is None or parts[0] not in self.names or request.method != "POST":
            return None
        return parts[1] if parts[1] in self.model.operation_names else None

    async def parse(self, request: Request, operation: Any) -> Members:
        limit = self.spec.body_limits.get(operation.name, self.spec.body_limit)
        raw = await read_body(request, limit, operation.name)
        body: Any = {}
        if raw:
            try:
                body = cbor2.loads(raw)
            except Exception:  # cbor2 raises several kinds for broken input
                raise Unparsable("Request body is not valid CBOR") from None
            _check_tree(body, len(raw))
        if not isinstance(body, dict):
            raise Unparsable("Request body must be a CBOR map")
        shape = operation.input_shape
        members = from_cbor(shape, body) if shape is not None else {}
        return self.checked(request, operation, members)

    def respond(self, call: Call, operation: Any, output: Members) -> Response:
        shape = operation.output_shape
        body = to_cbor(shape, output) if shape is not None else {}
        return Response(
            cbor2.dumps(body),
            200,
            {**request_id_header(call.request_id), HEADER: VALUE, **call.response_headers},
            media_type=CONTENT_TYPE,
        )

    def error(self, request: Request, request_id: str, error: AltusError) -> Response:
        shown = self.view(error)
        headers = {**request_id_header(request_id), HEADER: VALUE, **shown.headers}
        if self._query_compatible:
            fault = "Sender" if shown.sender else "Receiver"
            headers["x-amzn-query-error"] = f"{shown.query_code};{fault}"
        body = {"__type": shown.code, **shown.body}
        return Response(cbor2.dumps(body), shown.status, headers, media_type=CONTENT_TYPE)


def speaks(request: Request) -> bool:
    """Whether a request says it is in this protocol."""
    return header_map(request).get(HEADER) == VALUE


_PLAIN = (str, bytes, int, float, bool, datetime.datetime, type(None))


def _check_tree(value: Any, size: int) -> None:
    """Refuse what CBOR can say and no request does: tags other than timestamps (decoded
    as ``CBORTag``), ``undefined``, sets, nesting deeper than any model's shapes, and
    anything shared references (tags 28/29) or string references (tags 25/256) make
    of a few bytes: a container met twice (one list referenced a thousand times, each
    holding itself referenced a thousand times, is billions of items to every later
    walk), or more items and text than the body's ``size`` in bytes could spell out
    plainly (each item takes a byte at least, each character a byte at least)."""
    seen: set[int] = set()
    budget = size
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > _DEPTH:
            raise Unparsable("Request body is nested too deeply")
        budget -= 1 + (len(item) if isinstance(item, (str, bytes)) else 0)
        if budget < 0:
            raise Unparsable("Request body holds more than its bytes spell out (CBOR references)")
        if isinstance(item, (dict, list)):
            if id(item) in seen:
                raise Unparsable("Request body holds a shared reference (CBOR tag 29)")
            seen.add(id(item))
        if isinstance(item, dict):
            for key, member in item.items():
                if not isinstance(key, str):
                    raise Unparsable("Request body has a map key that is not text")
                budget -= 1 + len(key)
                stack.append((member, depth + 1))
        elif isinstance(item, list):
            stack.extend((member, depth + 1) for member in item)
        elif not isinstance(item, _PLAIN):
            raise Unparsable(f"Request body holds an unsupported CBOR item ({type(item).__name__})")


def from_cbor(shape: Any, value: Any) -> Any:
    """Input members from CBOR: wire names to member names, epoch-second numbers of
    timestamp shapes to datetimes (tag 1 arrives as one already); the rest is left for
    validation."""
    kind = shape.type_name
    if kind == "structure" and isinstance(value, Mapping):
        names = body_names(shape)
        members = shape.members
        out: dict[str, Any] = {}
        for key, item in value.items():
            if item is None:
                continue  # CBOR null: the member is absent (as botocore reads it)
            name = names.get(key)
            out[name or key] = from_cbor(members[name], item) if name else item
        return out
    if kind == "list" and isinstance(value, list):
        return [from_cbor(shape.member, item) for item in value]
    if kind == "map" and isinstance(value, Mapping):
        return {key: from_cbor(shape.value, item) for key, item in value.items()}
    if kind == "timestamp" and isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return timestamp_from_wire(value, "unixTimestamp")
        except (ValueError, OverflowError, OSError):
            return value  # validation reports it as not a timestamp
    return value


def to_cbor(shape: Any, value: Any) -> Any:
    """Output members as CBOR items: timestamps as tag 1 epoch seconds, blobs as byte
    strings, absent (None) members left out."""
    return to_wire(shape, value, _cbor_leaf)


def _cbor_leaf(shape: Any, value: Any) -> Any:
    kind = shape.type_name
    if kind == "blob":
        return value.encode() if isinstance(value, str) else bytes(value)
    if kind == "timestamp":
        return cbor2.CBORTag(1, _epoch(value))
    if kind in ("double", "float") and isinstance(value, int):
        return float(value)
    return value


def _epoch(value: Any) -> int | float:
    if isinstance(value, datetime.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
        seconds = moment.timestamp()
    else:
        seconds = float(value)
    whole = math.floor(seconds)
    return int(whole) if whole == seconds else round(seconds, 3)

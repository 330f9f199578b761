"""rest-json (Lambda, API Gateway, Scheduler ...): the operation from the method and
path; members in the URI, the query string, headers and a JSON body (or one payload
member: a blob handed over unread, or a structure); output members in the status code,
headers and a JSON body (or a payload: bytes, a stream, an event stream).

Errors carry their shape name in ``x-amzn-ErrorType`` and the model's members in a JSON
body (Lambda's: ``{"Type": "User", "message": ...}``).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from altus.api import eventstream
from altus.api.chunked import ChunkedResponse
from altus.api.protocols.base import request_id_header
from altus.api.protocols.common import dump_json, from_json, parse_members, to_json
from altus.api.protocols.rest import RestProtocol, raw_payload
from altus.api.spec import Call, Members
from altus.api.validate import Unreadable
from altus.errors import AltusError

JSON = "application/json"


class RestJsonProtocol(RestProtocol):
    name = "rest-json"

    def decode(self, shape: Any, raw: bytes) -> Any:
        try:
            document = parse_members(raw)
        except ValueError as error:
            raise Unreadable("", "", str(error)) from None
        if shape.type_name == "structure" and not isinstance(document, dict):
            raise Unreadable("", "", "a JSON object", document)
        return from_json(shape, document)

    def respond(self, call: Call, operation: Any, output: Members) -> Response:
        shape, status, headers, body = self.head(call, operation, output)
        if shape is None:
            return Response(b"", status, headers)
        payload = shape.serialization.get("payload")
        if payload is None:
            has_body = self.has_body(shape)
            content = dump_json(to_json(shape, body)) if has_body else b""
            return Response(content, status, headers, media_type=JSON if has_body else None)
        target = shape.members[payload]
        value = body.get(payload)
        if value is None:
            return Response(b"", status, headers)
        if target.serialization.get("eventstream"):
            headers["content-type"] = eventstream.EVENT_STREAM
            return ChunkedResponse(_events(target, value), status, headers)
        if target.type_name in ("blob", "string"):
            return raw_payload(target, value, status, headers)
        return Response(dump_json(to_json(target, value)), status, headers, media_type=JSON)

    def error(self, request: Request, request_id: str, error: AltusError) -> Response:
        shown = self.view(error)
        headers = {**request_id_header(request_id), "x-amzn-ErrorType": shown.code, **shown.headers}
        return Response(dump_json(shown.body), shown.status, headers, media_type=JSON)


async def _events(
    shape: Any, batches: AsyncIterator[Sequence[tuple[str, Members]]]
) -> AsyncGenerator[bytes, None]:
    """An operation's event stream, each batch of events as one write. Closed with the
    response, so the operation's stream ends (its ``finally`` runs) when the client goes."""
    try:
        async for batch in batches:
            yield b"".join(eventstream.encode(shape, name, members) for name, members in batch)
    finally:
        close = getattr(batches, "aclose", None)
        if close is not None:
            await close()

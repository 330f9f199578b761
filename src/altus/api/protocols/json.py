"""awsJson 1.0 and 1.1: ``POST /``, the operation in ``X-Amz-Target: <prefix>.<Op>``, the
input members as one JSON object, the output members as one JSON object.

Errors are ``{"__type": <shape>, "message": ...}`` with the model's members. A service
that moved from the query protocol (``awsQueryCompatible`` in its model: SQS) also says
each error's legacy code in ``x-amzn-query-error: <code>;Sender|Receiver``, which is how
botocore finds ``client.exceptions.QueueDoesNotExist`` among them.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from altus.api.errors import Unparsable
from altus.api.protocols.base import WireProtocol, request_id_header
from altus.api.protocols.common import (
    dump_json,
    from_json,
    header_map,
    parse_members,
    read_body,
    to_json,
)
from altus.api.spec import Call, Members
from altus.errors import AltusError


class JsonProtocol(WireProtocol):
    name = "json"

    def __init__(self, spec: Any, model: Any) -> None:
        super().__init__(spec, model)
        self.target_prefix: str = model.metadata["targetPrefix"]
        self.content_type = f"application/x-amz-json-{model.metadata.get('jsonVersion', '1.0')}"
        self._query_compatible = "awsQueryCompatible" in model.metadata

    async def operation(self, request: Request) -> str | None:
        prefix, _, name = header_map(request).get("x-amz-target", "").partition(".")
        if prefix != self.target_prefix or name not in self.model.operation_names:
            return None
        return name

    async def parse(self, request: Request, operation: Any) -> Members:
        limit = self.spec.body_limits.get(operation.name, self.spec.body_limit)
        raw = await read_body(request, limit, operation.name)
        try:
            body: Any = parse_members(raw) if raw.strip() else {}
        except ValueError:
            raise Unparsable("Request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise Unparsable("Request body must be a JSON object")
        shape = operation.input_shape
        return self.checked(request, operation, from_json(shape, body) if shape is not None else {})

    def respond(self, call: Call, operation: Any, output: Members) -> Response:
        shape = operation.output_shape
        body = to_json(shape, output) if shape is not None else {}
        return Response(
            dump_json(body),
            200,
            {**request_id_header(call.request_id), **call.response_headers},
            media_type=self.content_type,
        )

    def error(self, request: Request, request_id: str, error: AltusError) -> Response:
        shown = self.view(error)
        headers = {**request_id_header(request_id), **shown.headers}
        if self._query_compatible:
            fault = "Sender" if shown.sender else "Receiver"
            headers["x-amzn-query-error"] = f"{shown.query_code};{fault}"
        body = {"__type": shown.code, **shown.body}
        return Response(dump_json(body), shown.status, headers, media_type=self.content_type)

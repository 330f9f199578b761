"""Response helpers: JSON bodies and AWS-shaped errors, each with a request id."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from altus.control.errors import InvalidRequestContent
from altus.engine.errors import RequestTooLarge
from altus.errors import AltusError

#: Errors whose model shape spells the message ``Message``; the rest use ``message``.
_CAPITAL_MESSAGE = {"ResourceNotFoundException", "ServiceException"}


def request_id(request: Request) -> str:
    rid = request.scope.get("altus.request_id")
    if rid is None:
        rid = str(uuid.uuid4())
        request.scope["altus.request_id"] = rid
    return str(rid)


def json_response(
    request: Request, body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    content = json.dumps(body, separators=(",", ":")).encode()
    all_headers = {"x-amzn-RequestId": request_id(request)}
    if headers:
        all_headers.update(headers)
    return Response(content, status, all_headers, media_type="application/json")


def empty_response(request: Request, status: int = 204) -> Response:
    return Response(b"", status, {"x-amzn-RequestId": request_id(request)})


def error_response(request: Request, error: AltusError) -> Response:
    """Lambda's REST error shape: the code in ``x-amzn-ErrorType`` and the body."""
    key = "Message" if error.code in _CAPITAL_MESSAGE else "message"
    body: dict[str, Any] = {"Type": error.fault, key: error.message}
    body.update(error.fields)
    headers = {"x-amzn-ErrorType": error.code, **error.headers}
    return json_response(request, body, error.status, headers)


def json_error_response(request: Request, error: AltusError, content_type: str) -> Response:
    """The awsJson protocols' error shape (``__type``), e.g. for the Logs API."""
    body = {"__type": error.code, "message": error.message, **error.fields}
    return Response(
        json.dumps(body).encode(),
        error.status,
        {"x-amzn-RequestId": request_id(request), **error.headers},
        media_type=content_type,
    )


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(raw: bytes | str) -> Any:
    """Strict JSON as AWS's parsers read it: no NaN or Infinity. ValueError for anything
    unreadable, including nesting too deep for the parser."""
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


async def read_json(request: Request, operation: str, limit: int = 70_167_211) -> dict[str, Any]:
    """The request body as a JSON object, refusing bodies past ``limit`` bytes (Lambda's
    limit on a CreateFunction request, whose zip arrives base64-encoded)."""
    body = await read_body(request, limit, operation)
    if not body:
        return {}
    try:
        value = parse_json(body)
    except ValueError as error:
        raise InvalidRequestContent(f"Could not parse request body into json: {error}") from None
    if not isinstance(value, dict):
        raise InvalidRequestContent("Could not parse request body into json: not an object")
    return value


async def read_body(request: Request, limit: int, operation: str) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestTooLarge(
            f"Request must be smaller than {limit} bytes for the {operation} operation"
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestTooLarge(
                f"Request must be smaller than {limit} bytes for the {operation} operation"
            )
        chunks.append(chunk)
    return b"".join(chunks)

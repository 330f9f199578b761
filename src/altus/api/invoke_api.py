"""Invoke and InvokeAsync: the data-plane operations of the Lambda API."""

from __future__ import annotations

import base64
import binascii

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from altus.api.responses import json_response, parse_json, read_body
from altus.api.responses import request_id as request_id_of
from altus.control.arns import parse_function_ref
from altus.control.errors import InvalidRequestContent, ValidationFailed
from altus.engine.invoker import InvokeRequest
from altus.platform import Platform

#: Lambda's payload quotas: 6 MB for a synchronous request, 1 MB for an Event (since
#: late 2025; 256 KB before) and 256 KB for the legacy InvokeAsync.
SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024
EVENT_PAYLOAD_LIMIT = 1024 * 1024
INVOKE_ASYNC_LIMIT = 256 * 1024
CLIENT_CONTEXT_LIMIT = 3583

_INVOCATION_TYPES = ("Event", "RequestResponse", "DryRun")
LOG_TYPES = ("None", "Tail")


def check_enum(value: str, allowed: tuple[str, ...], member: str) -> str:
    if value not in allowed:
        raise ValidationFailed(
            f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
            f"constraint: Member must satisfy enum value set: [{', '.join(allowed)}]"
        )
    return value


def event_payload(body: bytes) -> bytes:
    """The event as the runtime receives it: JSON, ``{}`` when the caller sent nothing."""
    if not body.strip():
        return b"{}"
    try:
        parse_json(body)
    except ValueError as error:
        raise InvalidRequestContent(
            f"Could not parse request body into json: Could not parse payload into json: {error}"
        ) from None
    return body


def parse_client_context(header: str | None) -> str | None:
    if not header:
        return None
    if len(header) > CLIENT_CONTEXT_LIMIT:
        raise InvalidRequestContent(
            f"Client context must be at most {CLIENT_CONTEXT_LIMIT} bytes of base64."
        )
    try:
        text = base64.b64decode(header, validate=True).decode()
        if not isinstance(parse_json(text), dict):
            raise ValueError
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidRequestContent(
            "Client context must be a valid Base64-encoded JSON object."
        ) from None
    return text


async def invoke(request: Request) -> Response:
    platform: Platform = request.app.state.platform
    headers = request.headers
    ref = parse_function_ref(
        request.path_params["name"], platform.account, request.query_params.get("Qualifier")
    )
    invocation_type = check_enum(
        headers.get("x-amz-invocation-type", "RequestResponse"), _INVOCATION_TYPES, "invocationType"
    )
    log_type = check_enum(headers.get("x-amz-log-type", "None"), LOG_TYPES, "logType")
    if invocation_type == "Event":
        payload = event_payload(await read_body(request, EVENT_PAYLOAD_LIMIT, "InvokeAsync"))
        await platform.functions.resolve_invoke(ref)  # 404 now, not in the background
        request_id = await platform.async_invoker.submit(ref, payload)
        return Response(b"", 202, {"x-amzn-RequestId": request_id})
    payload = event_payload(await read_body(request, SYNC_PAYLOAD_LIMIT, "InvokeFunction"))
    client_context = parse_client_context(headers.get("x-amz-client-context"))
    if invocation_type == "DryRun":
        config, _ = await platform.functions.resolve_invoke(ref)
        return Response(
            b"",
            204,
            {"x-amzn-RequestId": request_id_of(request), "X-Amz-Executed-Version": config.version},
        )
    result = await platform.invoker.invoke(
        InvokeRequest(
            ref=ref,
            payload=payload,
            client_context=client_context,
            want_log=log_type == "Tail",
        )
    )
    response_headers = {
        "x-amzn-RequestId": result.request_id,
        "X-Amz-Executed-Version": result.executed_version,
    }
    if result.function_error:
        response_headers["X-Amz-Function-Error"] = result.function_error
    if result.log_tail is not None:
        response_headers["X-Amz-Log-Result"] = result.log_tail
    return Response(result.payload, 200, response_headers, media_type="application/json")


async def invoke_async(request: Request) -> Response:
    """The deprecated InvokeAsync: an Event invoke answering ``{"Status": 202}``."""
    platform: Platform = request.app.state.platform
    ref = parse_function_ref(request.path_params["name"], platform.account)
    payload = event_payload(await read_body(request, INVOKE_ASYNC_LIMIT, "InvokeAsync"))
    await platform.functions.resolve_invoke(ref)
    request_id = await platform.async_invoker.submit(ref, payload)
    request.scope["altus.request_id"] = request_id
    return json_response(request, {"Status": 202}, 202)


routes = [
    Route("/2015-03-31/functions/{name}/invocations", invoke, methods=["POST"]),
    Route("/2014-11-13/functions/{name}/invoke-async", invoke_async, methods=["POST"]),
]

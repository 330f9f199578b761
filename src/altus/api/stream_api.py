"""InvokeWithResponseStream: the response as an event stream, while the function runs.

``POST /2021-11-15/functions/{FunctionName}/response-streaming-invocations`` answers 200
with ``Content-Type: application/vnd.amazon.eventstream`` (the header botocore reports
as ``ResponseStreamContentType``) and ``X-Amz-Executed-Version``; the body is
``PayloadChunk`` events as the function produces its response, then one
``InvokeComplete``: ``{}`` on success, ``LogResult`` with ``X-Amz-Log-Type: Tail``, and
``ErrorCode`` (the error type) with ``ErrorDetails`` (the error document, as Invoke would
have answered it) when the function failed, timed out or crashed, even mid-stream. The
HTTP status stays 200 then, as on Lambda. A function that does not stream is one chunk.

Anything that stops the function from running (not found, throttled, a bad payload) is
an ordinary Lambda REST error, before any event, exactly as for Invoke.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from altus.api import eventstream
from altus.api.chunked import ChunkedResponse
from altus.api.invoke_api import (
    LOG_TYPES,
    SYNC_PAYLOAD_LIMIT,
    check_enum,
    event_payload,
    parse_client_context,
)
from altus.api.responses import read_body
from altus.api.responses import request_id as request_id_of
from altus.control.arns import parse_function_ref
from altus.engine.invoker import InvokeRequest
from altus.engine.streaming import StreamedInvocation
from altus.platform import Platform

_INVOCATION_TYPES = ("RequestResponse", "DryRun")


async def invoke_with_response_stream(request: Request) -> Response:
    platform: Platform = request.app.state.platform
    headers = request.headers
    ref = parse_function_ref(
        request.path_params["name"], platform.account, request.query_params.get("Qualifier")
    )
    invocation_type = check_enum(
        headers.get("x-amz-invocation-type", "RequestResponse"), _INVOCATION_TYPES, "invocationType"
    )
    log_type = check_enum(headers.get("x-amz-log-type", "None"), LOG_TYPES, "logType")
    payload = event_payload(
        await read_body(request, SYNC_PAYLOAD_LIMIT, "InvokeWithResponseStream")
    )
    client_context = parse_client_context(headers.get("x-amz-client-context"))
    if invocation_type == "DryRun":
        config, _ = await platform.functions.resolve_invoke(ref)
        return Response(
            b"",
            204,
            {"x-amzn-RequestId": request_id_of(request), "X-Amz-Executed-Version": config.version},
        )
    streamed = await platform.invoker.invoke_stream(
        InvokeRequest(
            ref=ref,
            payload=payload,
            client_context=client_context,
            want_log=log_type == "Tail",
        )
    )
    return ChunkedResponse(
        _events(streamed),
        200,
        {
            "x-amzn-RequestId": streamed.request_id,
            "X-Amz-Executed-Version": streamed.executed_version,
        },
        media_type=eventstream.EVENT_STREAM,
    )


async def _events(streamed: StreamedInvocation) -> AsyncGenerator[bytes, None]:
    finished = False
    try:
        while chunks := await streamed.read():
            yield eventstream.payload_chunks(chunks)
        result = await streamed.result()
        finished = True
        if result.function_error:
            yield eventstream.invoke_complete(
                result.error_type or result.function_error,
                result.payload.decode("utf-8", "replace"),
                result.log_tail,
            )
        else:
            yield eventstream.invoke_complete(log_result=result.log_tail)
    finally:
        if not finished:
            streamed.abandon()


routes = [
    Route(
        "/2021-11-15/functions/{name}/response-streaming-invocations",
        invoke_with_response_stream,
        methods=["POST"],
    ),
]

"""The data plane of the Lambda API: Invoke (``RequestResponse``, ``Event``, ``DryRun``),
the legacy InvokeAsync, and InvokeWithResponseStream (the response as an event stream
of ``PayloadChunk`` events and one ``InvokeComplete``, while the function runs).

Payloads arrive unread (a ``Body``): each invocation type reads with its own quota.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import AsyncIterator
from typing import Any

from altus.api.protocols.common import Body, header_map, parse_json
from altus.api.spec import Call, Members
from altus.awslambda.common import ref_of
from altus.awslambda.component import Lambda
from altus.control.arns import FunctionRef, parse_function_ref
from altus.control.errors import InvalidRequestContent
from altus.engine.invoker import InvokeRequest
from altus.engine.streaming import StreamedInvocation

#: Lambda's payload quotas: 6 MB for a synchronous request, 1 MB for an Event (since
#: late 2025; 256 KB before) and 256 KB for the legacy InvokeAsync.
SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024
EVENT_PAYLOAD_LIMIT = 1024 * 1024
INVOKE_ASYNC_LIMIT = 256 * 1024
CLIENT_CONTEXT_LIMIT = 3583
#: A chunk larger than this goes out as several PayloadChunk events: SDKs refuse event
#: messages past 16 MB (botocore's decoder among them); Lambda's own chunks are small.
MAX_CHUNK = 1024 * 1024


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
    """The decoded JSON text of ``X-Amz-Client-Context`` (base64 JSON, 3,583 bytes)."""
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


async def invoke(lam: Lambda, call: Call, input: Members) -> Members:
    ref = ref_of(lam, input)
    body: Body = input["Payload"]
    invocation_type = input.get("InvocationType", "RequestResponse")
    if invocation_type == "Event":
        payload = event_payload(await body.read(EVENT_PAYLOAD_LIMIT, "InvokeAsync"))
        await lam.functions.resolve_invoke(ref)  # 404 now, not in the background
        call.request_id = await lam.async_invoker.submit(ref, payload, _trace(call))
        return {"StatusCode": 202}
    request = await _synchronous(lam, call, input, ref, "InvokeFunction")
    if invocation_type == "DryRun":
        return await _dry_run(lam, ref)
    result = await lam.invoker.invoke(request)
    call.request_id = result.request_id
    call.response_headers["Content-Type"] = "application/json"
    return {
        "StatusCode": 200,
        "ExecutedVersion": result.executed_version,
        "FunctionError": result.function_error,
        "LogResult": result.log_tail,
        "Payload": result.payload,
    }


async def invoke_async(lam: Lambda, call: Call, input: Members) -> Members:
    """The deprecated InvokeAsync: an Event invoke answering 202."""
    ref = parse_function_ref(input["FunctionName"], lam.account)
    body: Body = input["InvokeArgs"]
    payload = event_payload(await body.read(INVOKE_ASYNC_LIMIT, "InvokeAsync"))
    await lam.functions.resolve_invoke(ref)
    call.request_id = await lam.async_invoker.submit(ref, payload, _trace(call))
    return {"Status": 202}


async def invoke_with_response_stream(lam: Lambda, call: Call, input: Members) -> Members:
    """Anything that stops the function from running (not found, throttled, a bad
    payload) is an ordinary Lambda error, before any event, exactly as for Invoke; after
    the first event the status stays 200, failures included (InvokeComplete's
    ``ErrorCode`` and ``ErrorDetails``: the error document Invoke would have answered)."""
    ref = ref_of(lam, input)
    request = await _synchronous(lam, call, input, ref, "InvokeWithResponseStream")
    if input.get("InvocationType") == "DryRun":
        return await _dry_run(lam, ref)
    streamed = await lam.invoker.invoke_stream(request)
    call.request_id = streamed.request_id
    return {
        "StatusCode": 200,
        "ExecutedVersion": streamed.executed_version,
        "EventStream": _events(streamed),
    }


async def _synchronous(
    lam: Lambda, call: Call, input: Members, ref: FunctionRef, operation: str
) -> InvokeRequest:
    """A synchronous invocation's request: its payload (read within 6 MB, JSON), client
    context and log type. The call's request id is the invocation's, as on Lambda."""
    body: Body = input["Payload"]
    return InvokeRequest(
        ref=ref,
        payload=event_payload(await body.read(SYNC_PAYLOAD_LIMIT, operation)),
        client_context=parse_client_context(input.get("ClientContext")),
        want_log=input.get("LogType") == "Tail",
        request_id=call.request_id,
        trace_id=_trace(call),
    )


def _trace(call: Call) -> str | None:
    """The caller's X-Ray trace header (``X-Amzn-Trace-Id``), which the invocation
    joins (``altus.observe.trace_header``)."""
    return header_map(call.request).get("x-amzn-trace-id")


async def _dry_run(lam: Lambda, ref: FunctionRef) -> Members:
    """DryRun: the function exists and would run this version."""
    config, _ = await lam.functions.resolve_invoke(ref)
    return {"StatusCode": 204, "ExecutedVersion": config.version}


def payload_chunks(chunks: list[bytes]) -> list[tuple[str, dict[str, Any]]]:
    """PayloadChunk events for ``chunks``, in order: empty chunks skipped, large ones
    split."""
    return [
        ("PayloadChunk", {"Payload": chunk[start : start + MAX_CHUNK]})
        for chunk in chunks
        for start in range(0, len(chunk), MAX_CHUNK)
    ]


async def _events(streamed: StreamedInvocation) -> AsyncIterator[list[tuple[str, dict[str, Any]]]]:
    """Chunks read together go out together (one write, one event each); a function
    that does not stream is one chunk. If the client goes away, the function runs to its
    end unread, as on Lambda, which bills it (``abandon``)."""
    finished = False
    try:
        while chunks := await streamed.read():
            yield payload_chunks(chunks)
        result = await streamed.result()
        finished = True
        if result.function_error:
            yield [
                (
                    "InvokeComplete",
                    {
                        "ErrorCode": result.error_type or result.function_error,
                        "ErrorDetails": result.payload.decode("utf-8", "replace"),
                        "LogResult": result.log_tail,
                    },
                )
            ]
        else:
            yield [("InvokeComplete", {"LogResult": result.log_tail})]
    finally:
        if not finished:
            streamed.abandon()

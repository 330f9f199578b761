"""The recorded invocations under ``/_altus/recordings`` (what ``altus replay``,
``altus recordings`` and the console call): a list, one recording whole, and a replay
that invokes the function again with the same event and client context and answers how
the two differ. Under ``--auth iam`` the framework requires ``altus:Admin`` for them,
and a replay also ``lambda:InvokeFunction`` on the function (as an ``Invoke`` would)."""

from __future__ import annotations

import asyncio
import base64
import re
import time
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from altus.awslambda.common import authorize_invoke, json_object
from altus.awslambda.component import Lambda
from altus.awslambda.recording import LATEST, capture
from altus.awslambda.recording_diff import compare
from altus.awslambda.recording_store import Recording, Summary
from altus.control.arns import FunctionRef, parse_function_ref
from altus.control.errors import InvalidParameterValue, ResourceNotFound
from altus.engine.invoker import InvokeRequest
from altus.engine.results import InvokeInput, InvokeResult
from altus.observe import trace_header

_DEFAULT_LIMIT = 50
_MAX_LIMIT = 1000
#: Lambda's Qualifier (botocore's model).
_QUALIFIER = re.compile(r"[a-zA-Z0-9$_-]{1,128}")
#: A page token is a row's ``seq``: a BIGINT.
_MAX_SEQ = 2**63 - 1


def routes(lam: Lambda) -> list[BaseRoute]:
    recorder = lam.recorder

    async def listing(request: Request) -> Response:
        query = request.query_params
        limit = _int(query.get("Limit"), "Limit", _DEFAULT_LIMIT, 1, _MAX_LIMIT)
        token = query.get("NextToken")
        before = _int(token, "NextToken", 0, 1, _MAX_SEQ) if token else None
        name = query.get("FunctionName") or None
        # Any form Lambda takes (a name, a partial or a whole ARN): its function's name.
        function = parse_function_ref(name, lam.account).name if name else None
        await recorder.flush()
        found = await recorder.store.recent(function, limit + 1, before)
        body: dict[str, Any] = {"Recordings": [_summary(s) for s in found[:limit]]}
        if len(found) > limit:
            body["NextToken"] = str(found[limit - 1].seq)
        return JSONResponse(body)

    async def one(request: Request) -> Response:
        return JSONResponse(_whole(await _find(request.path_params["request_id"])))

    async def _find(request_id: str) -> Recording:
        await recorder.flush()
        found = await recorder.store.get(request_id)
        if found is None:
            raise ResourceNotFound(f"No recorded invocation has the request id {request_id}")
        return found

    async def replay(request: Request) -> Response:
        original = await _find(request.path_params["request_id"])
        qualifier = _qualifier(await json_object(request, 1 << 16)) or reproducing(original)
        ref = FunctionRef(original.function, qualifier)
        invoked_arn = lam.account.function_arn(original.function, qualifier)
        authorize_invoke(lam, request, ref)
        # A trace of its own (as an edge service starts one), known here in case the
        # replay is not recorded.
        trace = trace_header.ensure(None)
        started = time.time()
        invoke = InvokeRequest(
            ref=ref,
            payload=original.event,
            client_context=original.client_context,
            trace_id=trace,
        )
        if original.streamed_bytes is not None:
            result = await _streamed(lam, invoke)
        else:
            result = await lam.invoker.invoke(invoke)
        await recorder.flush()
        again = await recorder.store.get(result.request_id)
        if again is None:
            # Not recorded (recording is off, or it was over the size cap): as it ran.
            given = InvokeInput(
                request_id=result.request_id,
                payload=original.event,
                invoked_arn=invoked_arn,
                client_context=original.client_context,
                trace_id=trace,
                started=started,
            )
            again = capture(original.function, given, result)
        # Off the event loop: a diff costs up to about a second of CPU (bounded:
        # ``recording_diff``).
        compared = await asyncio.to_thread(compare, original, again)
        return JSONResponse(
            {
                "Original": _whole(original),
                "Replay": _whole(again),
                "Qualifier": qualifier,
                "ExecutedVersion": again.executed_version,
                "Same": compared.same,
                "ResultDiff": compared.result_diff,
                "LogDiff": compared.log_diff,
            }
        )

    return [
        Route("/_altus/recordings", listing, methods=["GET"]),
        Route("/_altus/recordings/{request_id}", one, methods=["GET"]),
        Route("/_altus/recordings/{request_id}/replay", replay, methods=["POST"]),
    ]


def reproducing(original: Recording) -> str:
    """What a replay runs by default: the version that ran originally when it was invoked
    by an alias (which may point elsewhere now, or route by weight), else the qualifier
    it was invoked by."""
    qualifier = original.qualifier
    if qualifier == LATEST or qualifier.isdigit():
        return qualifier
    return original.executed_version


async def _streamed(lam: Lambda, invoke: InvokeRequest) -> InvokeResult:
    """A streamed invocation, read to its end (the environment keeps its first bytes for
    the result, as for the original: ``altus.engine.results.KEPT_STREAM_BYTES``), with
    streaming's response limit."""
    streamed = await lam.invoker.invoke_stream(invoke)
    try:
        while await streamed.read():
            pass
    except BaseException:
        streamed.abandon()
        raise
    return await streamed.result()


def _int(raw: str | None, name: str, default: int, low: int, high: int | None) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise InvalidParameterValue(f"{name} must be an integer {bound}")
    return value


def _qualifier(body: dict[str, Any]) -> str | None:
    qualifier = body.get("Qualifier")
    if qualifier is None or qualifier == "":
        return None
    if not isinstance(qualifier, str) or not _QUALIFIER.fullmatch(qualifier):
        raise InvalidParameterValue(
            "Qualifier must be a version, an alias or $LATEST "
            "(1 to 128 of a-z, A-Z, 0-9, $, _ and -)"
        )
    return qualifier


def _iso(epoch: float) -> str:
    return (
        datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def _summary(s: Summary | Recording) -> dict[str, Any]:
    return {
        "RequestId": s.request_id,
        "FunctionName": s.function,
        "Qualifier": s.qualifier,
        "ExecutedVersion": s.executed_version,
        "Started": _iso(s.started),
        "DurationMs": round(s.duration_ms, 2) if s.duration_ms is not None else None,
        "BilledMs": s.billed_ms,
        "FunctionError": s.function_error,
        "ErrorType": s.error_type,
    }


def _text(data: bytes, name: str) -> dict[str, str]:
    """``{name: text}``, or ``{name + "Base64": ...}`` for bytes that are not UTF-8."""
    try:
        return {name: data.decode()}
    except UnicodeDecodeError:
        return {f"{name}Base64": base64.b64encode(data).decode()}


def _whole(r: Recording) -> dict[str, Any]:
    return {
        **_summary(r),
        **_text(r.event, "Event"),
        "ClientContext": r.client_context,
        "TraceId": r.trace_id,
        **_text(r.result, "Result"),
        "ContentType": r.content_type,
        "MemorySize": r.memory_size_mb,
        "MaxMemoryUsedMb": r.max_memory_used_mb,
        "InitDurationMs": r.init_duration_ms,
        "Log": list(r.log),
        "StreamedBytes": r.streamed_bytes,
    }

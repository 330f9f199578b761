"""The recorded invocations under ``/_altus/recordings`` (what ``altus replay``,
``altus recordings`` and the console call): a list, one recording whole, and a replay
that invokes the function again with the same event and client context and answers how
the two differ. Under ``--auth iam`` the framework requires ``altus:Admin`` for them."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from altus.api.protocols.common import parse_json, read_body
from altus.awslambda.component import Lambda
from altus.awslambda.recording import capture
from altus.awslambda.recording_diff import compare
from altus.awslambda.recording_store import Recording, Summary
from altus.control.arns import FunctionRef
from altus.control.errors import InvalidParameterValue, ResourceNotFound
from altus.engine.invoker import InvokeRequest
from altus.engine.results import InvokeInput

_DEFAULT_LIMIT = 50
_MAX_LIMIT = 1000
#: Lambda's Qualifier (botocore's model).
_QUALIFIER = re.compile(r"[a-zA-Z0-9$_-]{1,128}")


def routes(lam: Lambda) -> list[BaseRoute]:
    recorder = lam.recorder

    async def listing(request: Request) -> Response:
        query = request.query_params
        limit = _int(query.get("Limit"), "Limit", _DEFAULT_LIMIT, 1, _MAX_LIMIT)
        token = query.get("NextToken")
        before = _int(token, "NextToken", 0, 1, None) if token else None
        await recorder.flush()
        found = await recorder.store.recent(query.get("FunctionName") or None, limit + 1, before)
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
        qualifier = _qualifier(await _body(request)) or original.qualifier
        ref = FunctionRef(original.function, qualifier)
        result = await lam.invoker.invoke(
            InvokeRequest(ref=ref, payload=original.event, client_context=original.client_context)
        )
        await recorder.flush()
        again = await recorder.store.get(result.request_id)
        if again is None:
            # Not recorded (recording is off, or it was over the size cap): as it ran.
            given = InvokeInput(
                request_id=result.request_id,
                payload=original.event,
                invoked_arn=lam.account.function_arn(original.function, qualifier),
                client_context=original.client_context,
            )
            again = capture(original.function, given, result)
        compared = compare(original, again)
        return JSONResponse(
            {
                "Original": _whole(original),
                "Replay": _whole(again),
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


async def _body(request: Request) -> dict[str, Any]:
    raw = await read_body(request, 1 << 16, "the request")
    try:
        body = parse_json(raw) if raw.strip() else {}
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise InvalidParameterValue("The request body must be a JSON object")
    return body


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
        "DurationMs": s.duration_ms,
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
    }

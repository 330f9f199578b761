"""Lambda's own X-Ray segments, written for every sampled invocation (an invocation
hook): the ``AWS::Lambda`` service segment (the invoke as Lambda's front end saw it,
child of the caller's segment) and the ``AWS::Lambda::Function`` segment (child of the
service segment) with its ``Initialization`` (a cold start's INIT), ``Invocation`` and
``Overhead`` subsegments, as Lambda emits them. The function's ``_X_AMZN_TRACE_ID``
names the function segment as parent (``altus.observe.trace_header.for_function``), so
what its SDK sends to the daemon nests under it.

Both segments carry the invocation's request id (``aws.request_id``): the X-Ray store
finds an invocation's trace by it (``GET /_altus/traces/by-request/{id}``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from altus.control.model import FunctionConfig
from altus.engine.hooks import InvocationHook
from altus.engine.results import InvokeInput, InvokeResult
from altus.observe.trace_header import new_id

#: The daemon's address inside an isolated network (init relays it), and the variable
#: that tells init where to relay it to (popped before the function sees it).
XRAY_INSIDE = "127.0.0.1:2000"
XRAY_RELAY_VARIABLE = "ALTUS_XRAY_DAEMON"


class SegmentSink(Protocol):
    """Where the segments go (the X-Ray service's component)."""

    def record(self, documents: Sequence[Mapping[str, Any]]) -> None:
        """Keep ``documents`` soon; never blocks."""
        ...


class PlatformSegments(InvocationHook):
    def __init__(self, sink: SegmentSink) -> None:
        self._sink = sink

    def finished(self, config: FunctionConfig, given: InvokeInput, result: InvokeResult) -> None:
        tracing = given.tracing
        if tracing is None or not tracing.sampled:
            return
        self._sink.record(segments(config, given, result, time.time()))


def hooks(sink: SegmentSink | None) -> list[InvocationHook]:
    """The hooks tracing adds to the invoker (none without the X-Ray service)."""
    return [PlatformSegments(sink)] if sink is not None else []


def segments(
    config: FunctionConfig, given: InvokeInput, result: InvokeResult, now: float
) -> list[dict[str, Any]]:
    """The two platform segments of a sampled invocation that ended at ``now``."""
    tracing = given.tracing
    assert tracing is not None and tracing.service_id and tracing.function_id
    usage = result.usage
    start = min(given.started, now)
    if usage is not None:
        invoke_start = max(start, now - usage.duration_ms / 1000)
        init_start = (
            max(start, invoke_start - usage.init_duration_ms / 1000)
            if usage.init_duration_ms is not None
            else None
        )
    else:  # its environment failed to start: all of it was initialisation
        invoke_start, init_start = now, start
    function_arn = given.invoked_arn
    aws = {"request_id": result.request_id}
    common = {"trace_id": tracing.root, "name": config.name}
    failed = result.function_error is not None
    subsegments: list[dict[str, Any]] = []
    if init_start is not None:
        subsegments.append(
            _sub("Initialization", init_start, invoke_start, function_arn, usage is None)
        )
    if usage is not None:
        invocation = _sub("Invocation", invoke_start, now, function_arn, failed)
        if failed:
            invocation["cause"] = {
                "exceptions": [{"id": new_id(), "message": result.error_type or "Unhandled"}]
            }
        subsegments.append(invocation)
        subsegments.append(_sub("Overhead", now, now, function_arn, False))
    service: dict[str, Any] = {
        **common,
        "id": tracing.service_id,
        "start_time": start,
        "end_time": now,
        "origin": "AWS::Lambda",
        "resource_arn": function_arn,
        "http": {"response": {"status": 200}},
        "aws": aws,
    }
    if tracing.caller:
        service["parent_id"] = tracing.caller
    function: dict[str, Any] = {
        **common,
        "id": tracing.function_id,
        "parent_id": tracing.service_id,
        "start_time": init_start if init_start is not None else invoke_start,
        "end_time": now,
        "origin": "AWS::Lambda::Function",
        "resource_arn": function_arn,
        "aws": {**aws, "function_arn": function_arn, "version": result.executed_version},
        "subsegments": subsegments,
    }
    if failed or usage is None:
        function["fault"] = True
    return [service, function]


def _sub(name: str, start: float, end: float, function_arn: str, fault: bool) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": new_id(),
        "name": name,
        "start_time": start,
        "end_time": max(start, end),
        "aws": {"function_arn": function_arn},
    }
    if fault:
        found["fault"] = True
    return found

"""``arn:aws:states:::states:startExecution`` (and ``.sync``, ``.sync:2``,
``.waitForTaskToken``): an execution that starts another.

The request-response form answers StartExecution's response (``ExecutionArn``,
``StartDate``, with the ``SdkHttpMetadata`` AWS adds). ``.sync`` and ``.sync:2`` record
that response (``TaskSubmitted``), wait for the child to end and answer its description
(DescribeExecution's members, capitalised: ``ExecutionArn``, ``Status``, ``Output`` ...),
``Output`` as JSON text for ``.sync`` and parsed for ``.sync:2``; a child that failed,
timed out or was aborted fails the task with ``States.TaskFailed`` and that description as
the cause. A ``.sync`` task resumed after a restart waits for the child it had started.

A child without a ``Name`` is named by the task's attempt (a UUID of the parent and the
attempt's journal key), so an attempt whose start was made but not recorded before a
restart reaches the same child again instead of starting a second; so does a resumed
attempt whose ``Name`` was given. An EXPRESS child waited for (``.sync``) runs in memory:
one lost to a restart fails the task (``StepFunctions.ExecutionDoesNotExistException``).

``Input`` given as a JSON value is sent as its JSON text (AWS's implicit serialisation;
none: ``{}``).
"""

from __future__ import annotations

import contextlib
import datetime
import json
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from altus.asl.errors import TASK_FAILED, StatesError
from altus.asl.host import TaskProgress, TaskRequest
from altus.asl.resources import SYNC, SYNC2
from altus.errors import AltusError
from altus.stepfunctions.integrations.common import members, role_of
from altus.stepfunctions.integrations.naming import new_request_id, optimized_failure
from altus.stepfunctions.integrations.ports import ChildExecutions
from altus.stepfunctions.integrations.wire import (
    as_text,
    compact,
    http_date,
    http_metadata,
    iso_date,
    json_service_headers,
    response_metadata,
)

#: A child's statuses that fail the task.
_FAILED = frozenset({"FAILED", "TIMED_OUT", "ABORTED"})


class Children:
    def __init__(self, children: ChildExecutions, now: Callable[[], float]) -> None:
        self._children = children
        self._now = now

    async def start_execution(self, request: TaskRequest, progress: TaskProgress) -> Any:
        pattern = request.resource.pattern
        waits = pattern in (SYNC, SYNC2)
        if waits and isinstance(request.submitted, dict):
            started = request.submitted  # resumed: wait for the child it had started
        else:
            started = await self._start(request, waits)
            if waits:
                await progress.submitted(started)
        if not waits:
            return started
        arn = started.get("ExecutionArn")
        if not isinstance(arn, str):
            raise StatesError("States.Runtime", "The recorded submission names no execution.")
        try:
            described = await self._children.wait(arn)
        except AltusError as failed:
            raise optimized_failure(
                "stepfunctions", failed.code, failed.message, failed.status, ""
            ) from None
        result = description(described, parse_output=pattern == SYNC2)
        if result.get("Status") in _FAILED:
            raise StatesError(TASK_FAILED, compact(result))
        return result

    async def _start(self, request: TaskRequest, waits: bool) -> dict[str, Any]:
        params = members(request)
        machine = params.get("StateMachineArn")
        name = params.get("Name")
        given = params.get("Input")
        repeat = request.resumed
        if not isinstance(name, str) and request.key:
            # A name of the attempt's own: a start made again after a restart (its
            # outcome lost) reaches the child it started, not a second one.
            name = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{request.execution.arn}#{request.key}"))
            repeat = True
        if not isinstance(machine, str):
            raise optimized_failure(
                "stepfunctions",
                "ValidationException",
                "StateMachineArn is required, and must be a string.",
                400,
                "",
            )
        try:
            arn, start = await self._children.start(
                machine,
                name if isinstance(name, str) else None,
                "{}" if given is None else as_text(given),
                request.execution.arn,
                role_of(request),
                repeat=repeat,
                wait=waits,
            )
        except AltusError as refused:
            raise optimized_failure(
                "stepfunctions", refused.code, refused.message, refused.status, ""
            ) from None
        request_id = new_request_id()
        # The length of StartExecution's own answer, as the JSON protocol sends it.
        length = len(compact({"executionArn": arn, "startDate": start}))
        headers = json_service_headers(request_id, length, http_date(self._now()))
        return {
            "ExecutionArn": arn,
            "SdkHttpMetadata": http_metadata(headers, 200),
            "SdkResponseMetadata": response_metadata(request_id),
            "StartDate": iso_date(start),
        }


def description(described: Mapping[str, Any], *, parse_output: bool) -> dict[str, Any]:
    """DescribeExecution's members as ``.sync`` answers them: names capitalised, dates as
    ISO text, ``Output`` parsed where asked."""
    result = {_capital(name): _value(name, value) for name, value in described.items()}
    if parse_output and isinstance(result.get("Output"), str):
        with contextlib.suppress(ValueError):  # not JSON: kept as the text it is
            result["Output"] = json.loads(result["Output"])
    return result


def _capital(name: str) -> str:
    return name[:1].upper() + name[1:]


def _value(name: str, value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return iso_date(value)
    if name.endswith("Date") and isinstance(value, int | float) and not isinstance(value, bool):
        return iso_date(float(value))
    if isinstance(value, Mapping):
        return {_capital(str(key)): _value(str(key), item) for key, item in value.items()}
    return value

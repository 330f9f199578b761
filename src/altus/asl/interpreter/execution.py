"""An execution from ``ExecutionStarted`` to ``ExecutionSucceeded``/``Failed``/``TimedOut``:
the top frame run under the definition's ``TimeoutSeconds``.

The service calls ``run_execution`` to start an execution, to resume one after a restart
(on the journal it had: what is recorded is not done again) and to redrive one (with
``info.redrive_count`` n: the states that failed run again under keys of generation n;
the service records ``ExecutionRedriven``). Cancelling the task running it stops it
(StopExecution: the service records ``ExecutionAborted``): the cancellation propagates
once tokens are closed; cancelled with ``SUSPEND``, nothing is closed (the server is
stopping; the execution resumes later)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from altus.asl import errors
from altus.asl.errors import StatesError
from altus.asl.host import ExecutionInfo, Host, NewRecord, Record
from altus.asl.interpreter import events, flow_states, mapping, parallel, task
from altus.asl.interpreter.failures import Failed, Fatal
from altus.asl.interpreter.frames import JSONPATH, Frame, Run, StateHandler
from altus.asl.interpreter.walk import run_frame

SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
TIMED_OUT = "TIMED_OUT"

HANDLERS: Mapping[str, StateHandler] = {
    "Pass": flow_states.run_pass,
    "Choice": flow_states.run_choice,
    "Wait": flow_states.run_wait,
    "Succeed": flow_states.run_succeed,
    "Fail": flow_states.run_fail,
    "Task": task.run_task,
    "Parallel": parallel.run_parallel,
    "Map": mapping.run_map,
}

DEADLINE = "~deadline"


@dataclass(frozen=True, slots=True)
class Outcome:
    #: ``SUCCEEDED``, ``FAILED`` or ``TIMED_OUT``.
    status: str
    #: The output, JSON text (SUCCEEDED).
    output: str | None = None
    error: str | None = None
    cause: str | None = None


class _TimedOut(Exception):
    pass


async def run_execution(
    definition: Mapping[str, Any], info: ExecutionInfo, host: Host, *, redrive: bool = False
) -> Outcome:
    """Run (or resume, or redrive) the execution to its end and return how it ended.

    ``redrive`` says the service is redriving it now; the keys come from
    ``info.redrive_count`` alone, so a redriven execution resumed after a restart is run
    with the same count and ``redrive`` False or True alike. Raises ``OSError`` (or the
    store's error) when the journal cannot be written: the execution resumes later."""
    del redrive
    run = Run(definition, info, host, HANDLERS)
    generation = run.generation
    ended = run.find(f"x:end@{generation}")
    if ended is not None:
        return _outcome(ended)
    if run.find("x:started") is None:
        details = events.execution_started(
            info.input, info.role_arn, alias_arn=info.alias_arn, version_arn=info.version_arn
        )
        await run.append([NewRecord("x:started", "ExecutionStarted", details)])
    top = Frame(
        run,
        "",
        definition["States"],
        definition["StartAt"],
        definition.get("QueryLanguage", JSONPATH),
        {},
    )
    until = await _deadline(run, definition)
    try:
        output = await _within(run, run_frame(top, info.input), until)
    except _TimedOut:
        error = StatesError(errors.TIMEOUT)
        return await _end(run, top, "ExecutionTimedOut", events.with_error(error), TIMED_OUT)
    except (Failed, Fatal) as failure:
        details = events.with_error(failure.error)
        return await _end(run, top, "ExecutionFailed", details, FAILED)
    return await _end(run, top, "ExecutionSucceeded", events.with_output(output), SUCCEEDED)


async def _deadline(run: Run, definition: Mapping[str, Any]) -> float | None:
    """When the execution times out (recorded: a resumed run keeps it), None: never."""
    seconds = definition.get("TimeoutSeconds")
    if seconds is None:
        return None
    key = f"x:deadline@{run.generation}"
    found = run.find(key)
    if found is None:
        start = run.info.start_time if run.generation == 0 else run.host.now()
        until = start + float(seconds) * run.scale
        found = await run.note(key, DEADLINE, {"until": until})
    return float(found.details["until"])


async def _within(run: Run, work: Any, until: float | None) -> Any:
    job = asyncio.ensure_future(work)
    timer = asyncio.ensure_future(
        run.host.sleep_until(until) if until is not None else asyncio.Event().wait()
    )
    try:
        await asyncio.wait({job, timer}, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError as stop:
        timer.cancel()
        job.cancel(stop.args[0] if stop.args else None)
        with contextlib.suppress(BaseException):
            await job
        raise
    if job.done():
        timer.cancel()
        return job.result()
    job.cancel()
    with contextlib.suppress(BaseException):
        await job
    raise _TimedOut


async def _end(run: Run, top: Frame, type_: str, details: Any, status: str) -> Outcome:
    new = NewRecord(f"x:end@{run.generation}", type_, details, previous_id=top.cursor)
    record = (await run.append([new]))[0]
    return _outcome(record, status)


def _outcome(record: Record, status: str | None = None) -> Outcome:
    kind = {
        "ExecutionSucceeded": SUCCEEDED,
        "ExecutionFailed": FAILED,
        "ExecutionTimedOut": TIMED_OUT,
    }
    details = record.details
    return Outcome(
        status or kind[record.type],
        output=details.get("output"),
        error=details.get("error"),
        cause=details.get("cause"),
    )

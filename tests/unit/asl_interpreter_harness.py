"""Running executions in tests: a ``MemoryHost`` on a ``FakeClock`` moved to the next
moment something waits for whenever the run is idle, histories as plain tuples, and the
kill-and-resume check (stop the run at every journal append, run it again on the same
journal, compare with the run that was never stopped)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from altus.asl.errors import StatesError
from altus.asl.host import ExecutionInfo, Record, TaskProgress, TaskRequest
from altus.asl.interpreter import Outcome, run_execution
from altus.asl.memory import MemoryHost, ScriptedTasks
from altus.clock import FakeClock

ROLE = "arn:aws:iam::000000000000:role/sfn"
LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:f"
SQS_TOKEN = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
ACTIVITY = "arn:aws:states:us-east-1:000000000000:activity:work"

#: Turns of the event loop before the clock moves (the run is idle by then).
TURNS = 30
#: Clock moves before a test gives up (no test needs nearly as many).
MAX_MOVES = 2000


def info(value: Any = None, **changes: Any) -> ExecutionInfo:
    fields: dict[str, Any] = {
        "arn": "arn:aws:states:us-east-1:000000000000:execution:sm:run",
        "name": "run",
        "state_machine_arn": "arn:aws:states:us-east-1:000000000000:stateMachine:sm",
        "state_machine_name": "sm",
        "role_arn": ROLE,
        "start_time": 1_700_000_000.0,
        "input": {} if value is None else value,
    }
    fields.update(changes)
    return ExecutionInfo(**fields)


def new_host(tasks: ScriptedTasks | None = None, **options: Any) -> MemoryHost:
    clock = FakeClock()
    return MemoryHost(clock, tasks=tasks or ScriptedTasks(), **options)


async def turns(count: int = TURNS) -> None:
    for _ in range(count):
        await asyncio.sleep(0)


async def drive(
    host: MemoryHost,
    work: Awaitable[Any],
    *,
    idle: Callable[[], None] | None = None,
) -> Any:
    """``work``'s result, moving the clock to the next deadline whenever the run is idle
    (``idle``, if given, is called first: a test's chance to answer a token)."""
    assert isinstance(host.clock, FakeClock)
    job = asyncio.ensure_future(work)
    for _ in range(MAX_MOVES):
        await turns()
        if job.done():
            return job.result()
        if idle is not None:
            before = len(host.log.records())
            idle()
            await turns()
            if job.done():
                return job.result()
            if len(host.log.records()) != before:
                continue  # the answer moved the run on: let it go on before time does
        deadlines = host.deadlines()
        if deadlines:
            host.clock.set(deadlines[0])
    job.cancel()
    raise AssertionError("the execution did not end")


def execute(
    definition: Mapping[str, Any],
    value: Any = None,
    host: MemoryHost | None = None,
    *,
    idle: Callable[[], None] | None = None,
    **changes: Any,
) -> tuple[Outcome, MemoryHost]:
    host = host or new_host()

    async def main() -> Outcome:
        outcome: Outcome = await drive(
            host, run_execution(definition, info(value, **changes), host), idle=idle
        )
        return outcome

    return asyncio.run(main()), host


def history(host: MemoryHost) -> list[tuple[Any, ...]]:
    """``(id, previousEventId, type, details)`` of each event."""
    return [(e.id, e.previous_id, e.type, dict(e.details)) for e in host.log.events()]


def types(host: MemoryHost) -> list[str]:
    return [event.type for event in host.log.events()]


def event(host: MemoryHost, type_: str, nth: int = 0) -> Record:
    return [e for e in host.log.events() if e.type == type_][nth]


def returning(value: Any) -> Callable[[TaskRequest, TaskProgress], Awaitable[Any]]:
    async def handler(request: TaskRequest, progress: TaskProgress) -> Any:
        return value

    return handler


def failing(error: str, cause: str = "") -> Callable[[TaskRequest, TaskProgress], Awaitable[Any]]:
    async def handler(request: TaskRequest, progress: TaskProgress) -> Any:
        raise StatesError(error, cause)

    return handler


_TOKEN = re.compile(r"[0-9a-f]{32}")


def normalized(events: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Histories with task tokens replaced (a resumed run draws its own)."""
    normal: list[tuple[Any, ...]] = json.loads(_TOKEN.sub("<token>", json.dumps(events)))
    return normal

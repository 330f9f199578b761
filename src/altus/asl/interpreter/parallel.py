"""The Parallel state: its branches run together on the same input; its result is the
array of their outputs, in order. A failed branch fails the state with its error (the
others are aborted), which the state's Retry (all branches again) and Catch handle.

Events: ``ParallelStateStarted`` (each attempt), the branches' own, then
``ParallelStateSucceeded`` or ``ParallelStateFailed``; the Exited event follows the
same event as ``ParallelStateSucceeded`` does, as in AWS's histories."""

from __future__ import annotations

from typing import Any

from altus.asl.host import NewRecord
from altus.asl.interpreter import crew
from altus.asl.interpreter.dataflow import DataFlow
from altus.asl.interpreter.failures import Failed
from altus.asl.interpreter.frames import Exit, Tally, Visit
from altus.asl.interpreter.recovery import run_attempts
from altus.asl.interpreter.walk import run_frame

BASE = "~base"


async def run_parallel(visit: Visit) -> Exit:
    async def attempt(number: int, retries: int, previous: int | None) -> tuple[Any, int]:
        return await _attempt(visit, number, retries, previous)

    return await run_attempts(visit, attempt, "ParallelStateFailed")


async def _attempt(
    visit: Visit, number: int, retries: int, previous: int | None
) -> tuple[list[Any], int]:
    at = f"#{number}"
    flow = DataFlow(visit, visit.context(retry_count=retries))
    branch_input = flow.arguments(flow.effective_input())
    started = await started_event(visit, number, "ParallelStateStarted", {}, previous)
    base = base_of(visit, number)
    tally = Tally(started.id or 0, visit.frame.tally)
    frames = [
        visit.frame.child(f"{base}.b{index}", branch, cursor=started.id or 0, tally=tally)
        for index, branch in enumerate(visit.state["Branches"])
    ]

    halt = crew.Halt(tally)

    def job(frame: Any) -> crew.Job:
        async def branch() -> Any:
            try:
                return await run_frame(frame, branch_input)
            except Failed as failure:
                halt.now(frame.cursor)
                raise Failed(failure.error, last_id=frame.cursor) from None

        return branch

    try:
        outputs = await crew.run_all(
            visit.run,
            [job(frame) for frame in frames],
            limit=len(frames),
            tolerated=_none,
            halt=halt,
        )
    except crew.Stopped as stopped:
        raise stopped.failure from None
    succeeded = await visit.event(
        f"{at}:succeeded", "ParallelStateSucceeded", {}, previous_id=tally.any
    )
    return outputs, succeeded.previous_id


def _none(failures: int) -> bool:
    return failures == 0


async def started_event(
    visit: Visit, number: int, type_: str, details: Any, previous: int | None
) -> Any:
    """The attempt's ``*StateStarted``, written with the key base of its frames."""
    at = f"#{number}"
    found = visit.find(f"{at}:started")
    if found is not None:
        return found
    base = NewRecord(
        f"{visit.key}{at}:base", BASE, {"base": _new_base(visit, number)}, public=False
    )
    return await visit.event(f"{at}:started", type_, details, previous_id=previous, extra=[base])


def base_of(visit: Visit, number: int) -> str:
    record = visit.run.find(f"{visit.key}#{number}:base")
    assert record is not None, "the attempt's Started event is written first"
    return str(record.details["base"])


def _new_base(visit: Visit, number: int) -> str:
    """The key prefix of the attempt's branch or iteration frames: a new one per retry,
    and, for a redrive's first attempt, the one of the last attempt redriven (the
    branches and iterations that succeeded there are replayed, not run again)."""
    if number == 0:
        earlier = redriven_attempt(visit)
        if earlier is not None:
            record = visit.run.find(f"{earlier}:base")
            assert record is not None
            return str(record.details["base"])
    return f"{visit.key}#{number}"


def redriven_attempt(visit: Visit) -> str | None:
    """The key of the attempt a redrive's first attempt of this state takes on (the
    last attempt of the latest earlier generation that started one: ``<state>@<g>#<n>``),
    None outside a redrive or when no earlier generation entered the state."""
    run = visit.run
    stem, _, generation = visit.key.rpartition("@")
    for earlier in range(int(generation) - 1, -1, -1):
        last = None
        attempt = 0
        while run.find(f"{stem}@{earlier}#{attempt}:base") is not None:
            last = f"{stem}@{earlier}#{attempt}"
            attempt += 1
        if last is not None:
            return last
    return None

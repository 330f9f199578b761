"""The Map state: its item processor run once per item, the results in item order.

INLINE: items from ``ItemsPath`` (JSONPath, on the effective input) or ``Items``
(JSONata), each through ``ItemSelector`` (or the older ``Parameters``) with
``$$.Map.Item``; ``MaxConcurrency`` at once (0: no limit of its own; AWS runs about 40 at
once, and so does this). Events: ``MapStateStarted{length}``, per iteration
``MapIterationStarted`` / ``Succeeded`` / ``Failed`` / ``Aborted {name, index}`` around
its states' events, then ``MapStateSucceeded`` or ``MapStateFailed``. A failed iteration
fails the state (the others are aborted).

DISTRIBUTED (``distributed``): items also from an ``ItemReader``, in batches, with a
tolerated share of failures and a ``ResultWriter``; each iteration a child execution
with its own history (``children``; the parent's history shows the Map Run's events)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from altus.asl import errors
from altus.asl.errors import StatesError
from altus.asl.interpreter import crew, distributed
from altus.asl.interpreter import items as items_
from altus.asl.interpreter.dataflow import DataFlow
from altus.asl.interpreter.failures import Failed, Fatal
from altus.asl.interpreter.frames import Exit, Tally, Visit
from altus.asl.interpreter.parallel import base_of, started_event
from altus.asl.interpreter.recovery import run_attempts
from altus.asl.interpreter.walk import run_frame

#: How many iterations of an inline Map run at once when ``MaxConcurrency`` sets no
#: limit (AWS's documented practice).
INLINE_CONCURRENCY = 40
DISTRIBUTED_CONCURRENCY = 10_000


async def run_map(visit: Visit) -> Exit:
    async def attempt(number: int, retries: int, previous: int | None) -> tuple[Any, int | None]:
        return await _attempt(visit, number, retries, previous)

    return await run_attempts(visit, attempt, "MapStateFailed")


def _processor(state: Mapping[str, Any]) -> Mapping[str, Any]:
    processor: Mapping[str, Any] = state.get("ItemProcessor") or state["Iterator"]
    return processor


def is_distributed(state: Mapping[str, Any]) -> bool:
    config = _processor(state).get("ProcessorConfig") or {}
    return config.get("Mode") == "DISTRIBUTED"


async def _attempt(
    visit: Visit, number: int, retries: int, previous: int | None
) -> tuple[Any, int | None]:
    at = f"#{number}"
    flow = DataFlow(visit, visit.context(retry_count=retries))
    effective = flow.effective_input()
    wide = is_distributed(visit.state)
    if wide:
        items = await distributed.items(visit, flow, effective, number, retries)
    else:
        items = items_.from_input(flow, effective)
    concurrency = _concurrency(flow, effective, wide)
    started = await started_event(
        visit, number, "MapStateStarted", {"length": len(items)}, previous
    )
    base = base_of(visit, number)
    tally = Tally(started.id or 0, visit.frame.tally)
    if wide:
        jobs = _job_maker(visit, retries, base, tally, items, False)
        return await distributed.run(visit, number, items, concurrency, jobs), None
    halt = crew.Halt(tally)
    jobs = _job_maker(visit, retries, base, tally, items, True, halt)
    try:
        results = await crew.run_all(
            visit.run,
            [jobs(index) for index in range(len(items))],
            limit=concurrency,
            tolerated=_none,
            halt=halt,
        )
    except crew.Stopped as stopped:
        raise stopped.failure from None
    succeeded = await visit.event(f"{at}:succeeded", "MapStateSucceeded", {}, previous_id=tally.any)
    return results, succeeded.previous_id


def _none(failures: int) -> bool:
    return failures == 0


def _concurrency(flow: DataFlow, effective: Any, wide: bool) -> int:
    value = flow.number("MaxConcurrency", effective)
    if value is None or value == 0:
        return DISTRIBUTED_CONCURRENCY if wide else INLINE_CONCURRENCY
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Fatal(
            flow.visit.error(
                StatesError(
                    errors.RUNTIME, f"MaxConcurrency must be a non-negative integer: {value!r}"
                )
            )
        )
    return value


def _job_maker(
    visit: Visit,
    retries: int,
    base: str,
    tally: Tally,
    items: list[Any],
    public: bool,
    halt: crew.Halt | None = None,
) -> Any:
    """The jobs of the iterations; an inline one selects its item itself (a distributed
    Map's items come selected and batched)."""
    processor = _processor(visit.state)
    run = visit.run

    def job(index: int) -> crew.Job:
        async def iteration() -> Any:
            item = items[index]
            key = f"{base}.i{index}"
            frame = visit.frame.child(
                key,
                processor,
                cursor=0,
                tally=tally,
                map_item=(index, item),
                public=public,
            )
            details = {"name": visit.name, "index": index}
            if frame.public:
                started = await frame.event(
                    f"{key}:started",
                    "MapIterationStarted",
                    details,
                    previous_id=tally.state,
                    bookkeeping=True,
                )
                frame.cursor = started.id or 0
                # The iteration's states begin on a later turn: iterations started
                # together write their ``MapIterationStarted`` first, all after the same
                # event, as AWS's histories show.
                await asyncio.sleep(0)
            try:
                given = item if not public else items_.select(visit, retries, index, item)
                output = await run_frame(frame, given)
            except Failed as failure:
                if halt is not None:
                    halt.now(frame.cursor)
                if frame.public:
                    await frame.event(
                        f"{key}:failed@{run.generation}",
                        "MapIterationFailed",
                        details,
                        bookkeeping=True,
                    )
                raise Failed(failure.error, last_id=frame.cursor) from None
            except asyncio.CancelledError as stop:
                if frame.public and crew.ABORT in stop.args:
                    await frame.event(
                        f"{key}:aborted@{run.generation}",
                        "MapIterationAborted",
                        details,
                        previous_id=tally.aborted_after(),
                        bookkeeping=True,
                    )
                raise
            if frame.public:
                await frame.event(
                    f"{key}:succeeded", "MapIterationSucceeded", details, bookkeeping=True
                )
            return output

        return iteration

    return job

"""Branches and iterations running together: at most ``limit`` at once, started in
order; the first failure past what is tolerated stops them all.

What stops the others says why, in the cancellation's message: ``ABORT`` (a sibling
failed: tokens are closed, Map iterations record ``MapIterationAborted``), ``SUSPEND``
(the journal could not be written, or the server stops: nothing is closed or written),
or the message the execution's own cancellation came with."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from altus.asl.interpreter.failures import Failed, Fatal
from altus.asl.interpreter.frames import SUSPEND, Run, Tally

ABORT = "altus.asl.abort"

Job = Callable[[], Awaitable[Any]]


class Halt:
    """A failing job's way to stop its siblings at once, before they take another step
    (AWS's histories show the failed iteration's ``MapIterationFailed`` followed by the
    others' ``...Aborted`` events, none of them failing after it). ``now`` cancels them
    with ``ABORT``; ``tally.abort_after`` keeps the id of the failed frame's last event,
    which their aborted events follow."""

    def __init__(self, tally: Tally) -> None:
        self.tally = tally
        self.halted = False
        self._running: dict[asyncio.Future[Any], int] = {}

    def now(self, after: int) -> None:
        if self.halted:
            return
        self.halted = True
        self.tally.abort_after = after
        current = asyncio.current_task()
        for future in self._running:
            if future is not current:
                future.cancel(ABORT)


class Stopped(Exception):
    """More failed than tolerated; ``failure`` is the one that went past."""

    def __init__(self, failure: Failed) -> None:
        super().__init__(str(failure))
        self.failure = failure


async def run_all(
    run: Run,
    jobs: Sequence[Job],
    *,
    limit: int,
    tolerated: Callable[[int], bool],
    halt: Halt | None = None,
) -> list[Any]:
    """Each job's result (a tolerated one's ``Failed`` in its place), in order. Raises
    ``Stopped`` when ``tolerated(failures)`` says no, ``Fatal`` as a job raised it.
    ``halt``: the jobs' own way to stop the others when one fails."""
    waiting = deque(enumerate(jobs))
    running: dict[asyncio.Future[Any], int] = {}
    if halt is not None:
        halt._running = running
    results: list[Any] = [None] * len(jobs)
    failures = 0
    try:
        while waiting or running:
            while waiting and len(running) < max(1, limit) and not (halt and halt.halted):
                index, job = waiting.popleft()
                running[asyncio.ensure_future(job())] = index
            done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for finished in sorted(done, key=lambda future: running[future]):
                index = running.pop(finished)
                if finished.cancelled():
                    if halt is not None and halt.halted:
                        continue  # a sibling the failed job halted
                    raise asyncio.CancelledError()
                problem = finished.exception()
                if problem is None:
                    results[index] = finished.result()
                    continue
                if not isinstance(problem, Failed):
                    raise problem
                failures += 1
                results[index] = problem
                if not tolerated(failures):
                    raise Stopped(problem)
    except asyncio.CancelledError as stop:
        await _cancel(running, stop.args[0] if stop.args else None)
        raise
    except (Stopped, Fatal):
        await _cancel(running, ABORT)
        raise
    except BaseException:
        run.suspending = True
        await _cancel(running, SUSPEND)
        raise
    return results


async def _cancel(running: dict[asyncio.Future[Any], int], message: str | None) -> None:
    for future in running:
        future.cancel(message)
    for future in running:
        with contextlib.suppress(BaseException):
            await future

"""Retry and Catch of a Task, Parallel or Map: after each failed attempt, the first
retrier whose ``ErrorEquals`` matches retries it while its own attempts last, after its
delay; else the first matching catcher sends the state on to its ``Next`` with the error
output; else the state fails.

Attempts are numbered in the visit (``<visit>#<n>``). A retry's wake time is recorded
before the wait (with the random draw of ``JitterStrategy: FULL`` in it), so a resumed
execution waits for the same moment; the counts per retrier need no record, since
replaying the attempts' recorded outcomes counts them again."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from altus.asl import errors, retrying
from altus.asl.errors import StatesError
from altus.asl.interpreter.dataflow import DataFlow
from altus.asl.interpreter.failures import Failed
from altus.asl.interpreter.frames import Exit, Visit
from altus.asl.interpreter.walk import next_of

RETRY = "~retry"


class Recovery:
    def __init__(self, visit: Visit) -> None:
        self.visit = visit
        self._retriers: Sequence[Mapping[str, Any]] = visit.state.get("Retry", [])
        self._catchers: Sequence[Mapping[str, Any]] = visit.state.get("Catch", [])
        self._counts = [0] * len(self._retriers)
        #: Retries done so far: ``$$.State.RetryCount`` of the next attempt.
        self.retries = 0

    async def retry(self, attempt: int, error: StatesError) -> bool:
        """Whether to run another attempt after attempt ``attempt`` failed with
        ``error``; if so, returns once its delay has passed."""
        if error.error in errors.TERMINAL:
            return False
        index = retrying.find(self._retriers, error.error)
        if index is None:
            return False
        retrier = self._retriers[index]
        done = self._counts[index]
        if done >= retrying.max_attempts(retrier):
            return False
        run = self.visit.run
        record = self.visit.find(f"#{attempt}:retry")
        if record is None:
            draw = run.host.draw() if retrier.get("JitterStrategy") == "FULL" else 0.0
            delay = retrying.delay(retrier, done, draw) * run.scale
            record = await self.visit.note(
                f"#{attempt}:retry", RETRY, {"until": run.host.now() + delay, "draw": draw}
            )
        await run.host.sleep_until(float(record.details["until"]))
        self._counts[index] = done + 1
        self.retries += 1
        return True

    def catcher(self, error: StatesError) -> Mapping[str, Any] | None:
        """The catcher that takes ``error``, if one does."""
        if error.error in errors.TERMINAL and error.error != errors.DATA_LIMIT_EXCEEDED:
            return None
        index = retrying.find(self._catchers, error.error)
        return None if index is None else self._catchers[index]


#: One attempt: (attempt number, retries so far, the event its first event follows, or
#: None for the visit's last) -> (the selected result, the event the Exited follows).
Attempt = Callable[[int, int, int | None], Awaitable[tuple[Any, int | None]]]


async def run_attempts(visit: Visit, attempt: Attempt, failed_type: str | None = None) -> Exit:
    """The state's attempts under its Retry, then its result or its Catch.

    ``failed_type`` (``MapStateFailed``, ``ParallelStateFailed``) is written when the
    state fails for good (caught or not), after the failed frame's last event; a retried
    attempt writes none, and the next one starts after that event, as AWS's histories
    show."""
    recovery = Recovery(visit)
    number = 0
    previous: int | None = None
    while True:
        try:
            result, exit_previous = await attempt(number, recovery.retries, previous)
            flow = DataFlow(visit, visit.context(retry_count=recovery.retries))
            output, assign = flow.finish(flow.select(result))
            return Exit(output, next_of(visit.state), assign, exit_previous)
        except Failed as failure:
            if await recovery.retry(number, failure.error):
                number += 1
                previous = failure.last_id or None
                continue
            if failed_type is not None:
                await visit.event(
                    f"#{number}:failed", failed_type, {}, previous_id=failure.last_id or None
                )
            catcher = recovery.catcher(failure.error)
            if catcher is None:
                raise
            flow = DataFlow(visit, visit.context(retry_count=recovery.retries))
            output, assign = flow.caught(catcher, failure.error)
            return Exit(output, catcher["Next"], assign)

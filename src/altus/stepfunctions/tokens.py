"""Task tokens on the store: answering them (SendTask*) and handing activity tasks to
workers (GetActivityTask's long poll). A runtime builds its ``TokenBoard`` on this.

What is durable is the store's: a token is answered once (compare-and-set), an activity
task is taken by one worker. What is in memory is only who to wake: a poller waiting
for an activity's next task, and whoever waits for a token's next event (``changed``),
both woken on this frontend by the calls made here (a poller elsewhere finds the task at
its next claim).
"""

from __future__ import annotations

import asyncio
import json

from altus.clock import Clock
from altus.stepfunctions.errors import invalid_token, task_timed_out
from altus.stepfunctions.model import (
    ANSWERABLE,
    ANSWERED_FAILURE,
    ANSWERED_SUCCESS,
    TaskToken,
)
from altus.stepfunctions.store import StepFunctionsStore


class TokenDesk:
    def __init__(self, store: StepFunctionsStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._offers: dict[str, asyncio.Event] = {}
        self._changes: dict[str, asyncio.Event] = {}
        self._closing = False

    # --- waking ----------------------------------------------------------------------------

    def _offered(self, activity_arn: str) -> asyncio.Event:
        return self._offers.setdefault(activity_arn, asyncio.Event())

    def offer(self, activity_arn: str) -> None:
        """A task of the activity became available: wake its pollers."""
        self._offers.pop(activity_arn, asyncio.Event()).set()

    def changed(self, token: str) -> asyncio.Event:
        """An event set the next time the token is answered, beaten for or taken here
        (a fresh one after each: wait on the one got before reading the store)."""
        return self._changes.setdefault(token, asyncio.Event())

    def _touch(self, token: str) -> None:
        self._changes.pop(token, asyncio.Event()).set()

    def forget(self, token: str) -> None:
        """The token is done with: drop its waiters' event."""
        self._changes.pop(token, None)

    def interrupt(self) -> None:
        """A shutdown began: every poller answers with no task now."""
        self._closing = True
        for event in self._offers.values():
            event.set()
        self._offers.clear()

    # --- the calls ---------------------------------------------------------------------------

    async def open(self, token: TaskToken) -> TaskToken:
        """Store the token unless it is (a resumed execution's); an activity task is
        offered to its pollers. Returns it as stored."""
        stored = await self.store.open_token(token)
        if stored.activity_arn is not None and stored.status in ANSWERABLE:
            self.offer(stored.activity_arn)
        return stored

    @staticmethod
    def _answerable(token: str, was: TaskToken | None) -> None:
        if was is None:
            raise invalid_token(token)
        if was.status not in ANSWERABLE:
            raise task_timed_out()

    async def succeed(self, token: str, output: str) -> None:
        was = await self.store.answer_token(token, ANSWERED_SUCCESS, output, self.clock.now())
        self._answerable(token, was)
        self._touch(token)

    async def fail(self, token: str, error: str | None, cause: str | None) -> None:
        answer = json.dumps({"error": error, "cause": cause})
        was = await self.store.answer_token(token, ANSWERED_FAILURE, answer, self.clock.now())
        self._answerable(token, was)
        self._touch(token)

    async def beat(self, token: str) -> None:
        was = await self.store.beat_token(token, self.clock.now())
        self._answerable(token, was)
        self._touch(token)

    async def take(self, activity_arn: str, worker: str | None, timeout: float) -> TaskToken | None:
        """The activity's oldest open task, taken for ``worker``; None after ``timeout``
        seconds of the clock (or at a shutdown) with none."""
        deadline = self.clock.now() + timeout
        while True:
            offered = self._offered(activity_arn)
            taken = await self.store.claim_task(activity_arn, worker, self.clock.now())
            if taken is not None:
                self._touch(taken.token)
                return taken
            remaining = deadline - self.clock.now()
            if remaining <= 0 or self._closing:
                return None
            await self.clock.wait(offered, remaining)

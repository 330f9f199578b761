"""Time, for everything that waits for a moment to come: queue visibility and retention,
asynchronous retries and backoff, and later schedules and Wait states.

``SystemClock`` is the wall clock. ``FakeClock`` (tests, ``altus.testing``) stands still
until it is advanced; waiting on it ends when it is advanced past the deadline, or when
what the waiter waits for happens, so an hour of retries runs in a test's millisecond
and in the order the real clock would have run it.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import time
from typing import Any, Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Wall-clock seconds since the epoch."""
        ...

    async def wait(self, event: asyncio.Event, timeout: float | None) -> bool:
        """Until ``event`` is set (True) or ``timeout`` seconds of this clock have passed
        (False); ``timeout`` None waits for the event alone."""
        ...

    async def sleep(self, seconds: float) -> None:
        """``seconds`` of this clock."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.time()

    async def wait(self, event: asyncio.Event, timeout: float | None) -> bool:
        if timeout is not None and timeout <= 0:
            # Yield all the same: a loop waiting on a deadline already past must not
            # keep the event loop from everything else.
            await asyncio.sleep(0)
            return event.is_set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)
            return True
        return False

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class FakeClock:
    """A clock that moves only when ``advance`` (or ``set``) moves it."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start
        self._order = itertools.count()
        self._waiters: list[tuple[float, int, asyncio.Future[None]]] = []

    def now(self) -> float:
        return self._now

    async def wait(self, event: asyncio.Event, timeout: float | None) -> bool:
        if event.is_set():
            return True
        if timeout is not None and timeout <= 0:
            await asyncio.sleep(0)  # as SystemClock: a past deadline still yields
            return event.is_set()
        deadline: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if timeout is not None:
            heapq.heappush(self._waiters, (self._now + timeout, next(self._order), deadline))
        happened: asyncio.Future[bool] = asyncio.ensure_future(event.wait())
        waits: set[asyncio.Future[Any]] = {happened, deadline}
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            happened.cancel()
            deadline.cancel()
        return event.is_set()

    async def sleep(self, seconds: float) -> None:
        await self.wait(asyncio.Event(), seconds)

    def advance(self, seconds: float) -> None:
        """Move time forward; every waiter whose deadline passed wakes."""
        self.set(self._now + seconds)

    def set(self, now: float) -> None:
        self._now = max(self._now, now)
        while self._waiters and self._waiters[0][0] <= self._now:
            _, _, waiter = heapq.heappop(self._waiters)
            if not waiter.done():
                waiter.set_result(None)


SYSTEM = SystemClock()

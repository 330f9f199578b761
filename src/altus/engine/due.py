"""A queue of items that become ready at a time: what waits for a retry or a backoff.

Any number of consumers ``await get()``; each gets the earliest item whose time has come.
Times are wall-clock milliseconds of the platform's ``Clock``, as the store keeps them,
so that a retry scheduled before a restart is still due at the same moment after it.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from typing import Generic, TypeVar

from altus.clock import SYSTEM, Clock

T = TypeVar("T")


class DueQueue(Generic[T]):
    def __init__(self, clock: Clock = SYSTEM) -> None:
        self._clock = clock
        self._heap: list[tuple[int, int, T]] = []
        self._order = itertools.count()  # ties keep insertion order; items never compare
        self._changed = asyncio.Event()

    def __len__(self) -> int:
        return len(self._heap)

    def push(self, due_ms: int, item: T) -> None:
        heapq.heappush(self._heap, (due_ms, next(self._order), item))
        self._changed.set()

    async def get(self) -> T:
        while True:
            timeout: float | None = None
            if self._heap:
                wait_ms = self._heap[0][0] - self._clock.now() * 1000
                if wait_ms <= 0:
                    return heapq.heappop(self._heap)[2]
                timeout = wait_ms / 1000
            # No await between the check above and this wait: a push cannot slip between.
            self._changed.clear()
            await self._clock.wait(self._changed, timeout)

    def items(self) -> list[tuple[int, T]]:
        """What is waiting and when it is due (for inspection), earliest first."""
        return [(due, item) for due, _, item in sorted(self._heap, key=lambda e: e[:2])]

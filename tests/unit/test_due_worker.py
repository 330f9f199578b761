"""The delivery workers' skeleton (altus.engine.due.DueWorker): items start as they come
due, a bounded number at once, and an attempt that crashes leaves its item to be tried
again rather than stranded."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import anyio

from altus.clock import FakeClock
from altus.engine.due import CRASHED_RETRY_MS, DueWorker


@dataclass(frozen=True, slots=True)
class Item:
    seq: int
    due_ms: int


class Worker(DueWorker[Item]):
    def __init__(self, clock: FakeClock, crashes: int) -> None:
        super().__init__(clock, 2)
        self.crashes = crashes
        self.done: list[int] = []

    def add(self, item: Item) -> None:
        self._schedule(item)

    async def _attempt(self, item: Item) -> None:
        if self.crashes:
            self.crashes -= 1
            raise RuntimeError("a bug in an attempt")
        self.done.append(item.seq)
        del self._pending[item.seq]


async def _turns(count: int = 20) -> None:
    for _ in range(count):
        await asyncio.sleep(0)


def test_items_start_when_due_and_a_crashed_attempt_is_tried_again() -> None:
    async def main() -> None:
        clock = FakeClock()
        worker = Worker(clock, crashes=1)
        worker.start()
        now = int(clock.now() * 1000)
        worker.add(Item(1, now + 1000))
        await _turns()
        assert worker.done == []  # not due yet
        clock.advance(1)
        await _turns()
        assert worker.done == [] and [i.seq for i in worker.pending()] == [1]  # crashed
        clock.advance(CRASHED_RETRY_MS / 1000)
        await _turns()
        assert worker.done == [1] and worker.pending() == []
        await worker.close()

    anyio.run(main)

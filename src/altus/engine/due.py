"""Items that become ready at a time: what waits for a retry or a backoff.

``DueQueue``: any number of consumers ``await get()``; each gets the earliest item whose
time has come. ``DueWorker``: a worker that runs an attempt for each item as it comes
due, a bounded number at a time. Times are wall-clock milliseconds of the platform's
``Clock``, as the store keeps them, so that a retry scheduled before a restart is still
due at the same moment after it.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import dataclasses
import functools
import heapq
import itertools
import logging
from typing import Any, ClassVar, Generic, Protocol, TypeVar, cast

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


class Due(Protocol):
    """What a ``DueWorker`` runs: an item with a stable key and the time it is due."""

    @property
    def seq(self) -> int: ...

    @property
    def due_ms(self) -> int: ...


D = TypeVar("D", bound=Due)

#: When an item whose attempt crashed is tried again.
CRASHED_RETRY_MS = 30_000


class DueWorker(abc.ABC, Generic[D]):
    """The skeleton of a durable delivery worker (SNS deliveries, EventBridge and
    Scheduler targets, S3 notifications), so that it is written, and fixed, once.

    Items wait in memory by ``seq`` (mirrored by their rows in a store, which the
    subclass writes) and in a heap of ``(due_ms, seq)``; a (re)scheduled item wakes the
    worker, so it starts at once at low load instead of at the next poll. At most
    ``concurrency`` attempts run at a time. An item re-queued for another time leaves
    its old heap entry behind: an entry is stale, and skipped, once its item is gone or
    due at another time (cheaper than removing it from the heap).

    A subclass writes ``_attempt`` (one try, which ends the item or re-queues it), and
    may write ``_admit`` (whether a due item starts now: one it holds back it parks
    itself, and queues again with ``_push`` when it may go), ``_released`` (an attempt's
    task ended) and ``_task`` (what the task runs: the attempt, maybe guarded). An
    attempt that raises (a bug: a failed delivery is the attempt's to handle) is logged
    and its item tried again ``CRASHED_RETRY_MS`` later, never left without a time.
    """

    #: Where, and how, an attempt's task that ended in an exception is reported.
    _log: ClassVar[logging.Logger] = logging.getLogger(__name__)
    _crash_message: ClassVar[str] = "a delivery attempt failed"

    def __init__(self, clock: Clock, concurrency: int) -> None:
        self._clock = clock
        self._concurrency = concurrency
        self._heap: list[tuple[int, int]] = []
        self._pending: dict[int, D] = {}
        self._running: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._closing = False
        self._worker: asyncio.Task[None] | None = None

    def pending(self) -> list[D]:
        return sorted(self._pending.values(), key=lambda item: item.seq)

    def _schedule(self, item: D) -> None:
        """``item`` (its row written) is due at its ``due_ms``, replacing any earlier
        version of it."""
        self._pending[item.seq] = item
        self._push(item.due_ms, item.seq)

    def _requeue(self, item: D) -> None:
        """As ``_schedule``, if the item is still pending (one ended or forgotten
        meanwhile stays gone)."""
        if item.seq in self._pending:
            self._schedule(item)

    def _push(self, due_ms: int, seq: int) -> None:
        heapq.heappush(self._heap, (due_ms, seq))
        self._wake.set()

    # --- life ----------------------------------------------------------------------------

    def start(self) -> None:
        self._worker = asyncio.get_running_loop().create_task(self._run())

    def interrupt(self) -> None:
        self._closing = True
        self._wake.set()

    async def close(self) -> None:
        """Stop; attempts under way are cut short (their rows stay: tried again after a
        restart)."""
        self.interrupt()
        tasks = [*self._running, *([self._worker] if self._worker else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # --- the worker ----------------------------------------------------------------------

    async def _run(self) -> None:
        while not self._closing:
            self._wake.clear()
            now = int(self._clock.now() * 1000)
            self._start_due(now)
            timeout: float | None = None
            if self._heap and len(self._running) < self._concurrency:
                timeout = max(self._heap[0][0] - now, 0) / 1000
            await self._clock.wait(self._wake, timeout)

    def _start_due(self, now: int) -> None:
        while self._heap and self._heap[0][0] <= now and len(self._running) < self._concurrency:
            due, seq = heapq.heappop(self._heap)
            item = self._pending.get(seq)
            if item is None or item.due_ms != due:
                continue  # gone, or re-queued for another time
            if not self._admit(item):
                continue
            task = asyncio.get_running_loop().create_task(self._task(item))
            self._running.add(task)
            task.add_done_callback(functools.partial(self._finished, item=item))

    def _finished(self, task: asyncio.Task[None], item: D) -> None:
        self._running.discard(task)
        self._released(item)
        self._wake.set()
        if not task.cancelled() and task.exception() is not None:
            self._log.warning(self._crash_message, exc_info=task.exception())
            # An attempt that crashed (a bug, not a failed delivery) ended nothing: the
            # item is tried again later, not left in memory with no time to run.
            if self._pending.get(item.seq) is item and not self._closing:
                due = int(self._clock.now() * 1000) + CRASHED_RETRY_MS
                self._schedule(cast(D, dataclasses.replace(cast(Any, item), due_ms=due)))

    # --- hooks ---------------------------------------------------------------------------

    def _admit(self, item: D) -> bool:
        """Whether a due item starts now; one that does not is the subclass's to park
        (and to ``_push`` again when it may go)."""
        return True

    def _released(self, item: D) -> None:
        """An admitted item's attempt ended (however it ended)."""

    async def _task(self, item: D) -> None:
        """What an attempt's task runs."""
        await self._attempt(item)

    @abc.abstractmethod
    async def _attempt(self, item: D) -> None:
        """One try: it ends the item (memory and row) or re-queues it."""

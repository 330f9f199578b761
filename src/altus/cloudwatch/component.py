"""The CloudWatch component: the platform's ``MetricSink`` and the store the metrics
API reads.

The platform's parts (Lambda's invocation metrics, a queue's depth) aggregate in memory
and register a ``MetricSource``; some hand aggregates over with ``put``. Every
``metrics_flush_seconds`` the component drains every source and what was put, merges
it all into each rollup in memory (``rollups.plan``), and writes it in one transaction;
once more when the server closes. A crash loses at most one interval of the parts'
metrics; a client's PutMetricData is written before it is answered, through the same
merge.

Pruning runs every ten minutes, pass after pass of a bounded number of rows (each its
own transaction) until a pass finds fewer, for a minute at most (the next run goes on):
the points each resolution no longer keeps, and series not put to for longer than any
resolution keeps. Closing stops both loops once they finish what they are doing (a
flush is never cut off in its write), then flushes once more.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence

from altus.api.spec import Context
from altus.clock import Clock
from altus.cloudwatch.rollups import plan
from altus.cloudwatch.sql_store import SqlMetricStore
from altus.cloudwatch.store import MetricStore
from altus.observe.metrics import Aggregate, MetricSource

log = logging.getLogger(__name__)

#: How often old points are looked for, and how many rows of each kind a pass deletes.
PRUNE_INTERVAL = 600.0
PRUNE_LIMIT = 5000
#: How long one run of pruning may go on, pass after pass (the next run goes on).
PRUNE_SECONDS = 60.0


async def prune_all(
    store: MetricStore,
    now: int,
    limit: int = PRUNE_LIMIT,
    seconds: float = PRUNE_SECONDS,
    stopping: asyncio.Event | None = None,
) -> int:
    """Pass after pass (each its own short transaction, the loop free between them)
    until one deletes fewer rows than its batch: points arrive faster than one batch
    every ten minutes. Bounded by ``seconds`` (and ``stopping``): what is left waits
    for the next run. How many rows went."""
    deadline = time.monotonic() + seconds
    total = 0
    while True:
        deleted = await store.prune(now, limit)
        total += deleted
        if deleted < limit or time.monotonic() >= deadline:
            return total
        if stopping is not None and stopping.is_set():
            return total
        await asyncio.sleep(0)


class Metrics:
    """``altus.observe.metrics.MetricSink``, and the store behind the CloudWatch API."""

    def __init__(self, context: Context, store: MetricStore | None = None) -> None:
        self.store: MetricStore = store or SqlMetricStore(
            context.storage.database("metrics", durable=False)
        )
        self.account = context.account
        self.clock: Clock = context.clock
        self._interval = context.settings.metrics_flush_seconds
        self._sources: list[MetricSource] = []
        self._queued: list[Aggregate] = []
        self._tasks: list[asyncio.Task[None]] = []
        #: One flush at a time: a flush and the final one at close never interleave.
        self._flushing = asyncio.Lock()
        #: Set by ``close``: the periodic work ends after what it is doing (never cut
        #: off halfway: a flush cancelled in its write would lose what it drained).
        self._stopping = asyncio.Event()

    # --- MetricSink ------------------------------------------------------------------------

    def register(self, source: MetricSource) -> None:
        self._sources.append(source)

    def put(self, aggregates: Iterable[Aggregate]) -> None:
        self._queued.extend(aggregates)

    # --- writing -----------------------------------------------------------------------------

    def now(self) -> int:
        return int(self.clock.now())

    async def keep(self, aggregates: Sequence[Aggregate]) -> None:
        """Write a client's aggregates now (PutMetricData: before it answers)."""
        await self.store.add(plan(aggregates, self.now()), self.now())

    async def flush(self) -> None:
        """Drain every source and what was put, and write it all in one transaction.
        What a failing write held is lost (and logged): metrics are not retried into an
        ever-growing backlog."""
        async with self._flushing:
            drained: list[Aggregate] = self._queued
            self._queued = []
            for source in self._sources:
                try:
                    drained.extend(source.drain())
                except Exception:
                    log.exception("draining metrics from %r failed", source)
            if not drained:
                return
            try:
                # Shielded: a flush cancelled now (the server cut short) still writes
                # what it drained, which nothing else holds.
                await asyncio.shield(self.store.add(plan(drained, self.now()), self.now()))
            except Exception:
                log.exception("writing %d metric aggregates failed", len(drained))

    async def prune(self) -> int:
        return await prune_all(self.store, self.now(), stopping=self._stopping)

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._every(self._interval, self.flush)),
            loop.create_task(self._every(PRUNE_INTERVAL, self.prune)),
        ]

    def interrupt(self) -> None:
        """Nothing here waits on a client."""

    async def close(self) -> None:
        # Stop the loops and let each finish what it is doing; then drain once more.
        self._stopping.set()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        await self.flush()

    async def _every(self, seconds: float, work: Callable[[], Awaitable[object]]) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), seconds)
                return
            try:
                await work()
            except Exception:
                log.exception("periodic metrics work failed")

"""Metering: every invocation as Lambda bills it, summed in memory and written to the
usage store every ``metrics_flush_seconds`` (one transaction) and at close.

On the invocation path the meter adds 1 request and the billed milliseconds to a cell
per (function, version, architecture, memory, ephemeral storage, hour, served by
provisioned concurrency): a dict lookup and two additions. GB-seconds are worked out
when the cells are written. Provisioned concurrency is billed for as long as it is
configured: at each flush (a *sample*), every configured environment's memory x the
seconds since the last sample, split at the hours' boundaries into the hours they fell
in. The configuration is read at the sample only: a change made between two samples
(at most ``metrics_flush_seconds`` apart) is charged from the earlier sample, as if made
there. An invocation whose environment failed to start is billed its request (as Lambda
counts it among Invocations) and no duration.

Invocations of a transient version (``altus tune``'s) are billed like any other, under
their function and the version ``TUNING_VERSION``.

A crash loses at most one flush interval of metering; a failed write is kept in memory
and tried again at the next flush. A flush cancelled while it writes (the server
stopping) lets the write finish: only a write that failed is kept for the next flush,
so nothing is written twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Callable, Iterable

from altus.awslambda.usage_store import UsageStore
from altus.control.functions import TRANSIENT_PREFIX
from altus.control.model import FunctionConfig
from altus.engine.hooks import InvocationHook
from altus.engine.results import InvokeInput, InvokeResult
from altus.observe.billing import HOUR, UsageRow, ephemeral_gb_seconds, gb_seconds

log = logging.getLogger(__name__)

#: (function, version, architecture, memory MB, ephemeral MB, hour, provisioned).
CellKey = tuple[str, str, str, int, int, int, bool]
#: The environments provisioned concurrency keeps now: (configuration, how many).
Provisioned = Callable[[], Iterable[tuple[FunctionConfig, int]]]
#: Provisioned invocations in flight remembered at most.
_MAX_MARKED = 100_000
#: The version usage of transient versions (power tuning) is kept under.
TUNING_VERSION = "$TUNING"


class Meter(InvocationHook):
    def __init__(
        self,
        store: UsageStore,
        provisioned: Provisioned,
        flush_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._provisioned = provisioned
        self._flush_seconds = flush_seconds
        self._now = clock
        #: key -> [requests, billed ms]
        self._cells: dict[CellKey, list[int]] = {}
        #: key -> provisioned GB-seconds configured.
        self._configured: dict[CellKey, float] = {}
        self._on_provisioned: set[str] = set()
        self._sampled = clock()
        #: The hour invocations are metered in now (epoch seconds of its start).
        self._hour = 0
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        #: A write a cancelled flush left going (the next flush waits for it).
        self._writing: asyncio.Task[None] | None = None

    # --- the invocation path -----------------------------------------------------------

    def served_provisioned(self, config: FunctionConfig, request_id: str) -> None:
        self._on_provisioned.add(request_id)

    def finished(self, config: FunctionConfig, given: InvokeInput, result: InvokeResult) -> None:
        provisioned = False
        if self._on_provisioned and given.request_id in self._on_provisioned:
            self._on_provisioned.discard(given.request_id)
            provisioned = True
        now = self._now()
        if not self._hour <= now < self._hour + HOUR:
            self._hour = int(now // HOUR) * HOUR
        version = config.version
        if version.startswith(TRANSIENT_PREFIX):
            version = TUNING_VERSION
        key = (
            config.name,
            version,
            config.architectures[0],
            config.memory_size,
            config.ephemeral_storage,
            self._hour,
            provisioned,
        )
        cell = self._cells.get(key)
        if cell is None:
            cell = self._cells[key] = [0, 0]
        cell[0] += 1
        usage = result.usage
        if usage is not None:
            cell[1] += usage.billed_ms

    # --- off the path ----------------------------------------------------------------------

    def start(self) -> None:
        self._sampled = self._now()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        with contextlib.suppress(Exception):
            await self.flush()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._flush_seconds)
            try:
                await self.flush()
            except Exception:
                log.exception("metering could not be written (kept for the next flush)")

    def sample(self) -> None:
        """Add the provisioned concurrency configured since the last sample (as it is
        configured now), in the hours the time fell in."""
        now = self._now()
        start, self._sampled = self._sampled, now
        if now <= start:
            return
        # The seconds of each hour between the samples.
        spans: list[tuple[int, float]] = []
        at = start
        while at < now:
            hour = int(at // HOUR) * HOUR
            end = min(hour + HOUR, now)
            spans.append((hour, end - at))
            at = end
        for config, count in self._provisioned():
            if count <= 0:
                continue
            gb = count * config.memory_size / 1024
            for hour, seconds in spans:
                key = (
                    config.name,
                    config.version,
                    config.architectures[0],
                    config.memory_size,
                    config.ephemeral_storage,
                    hour,
                    True,
                )
                self._configured[key] = self._configured.get(key, 0.0) + gb * seconds

    async def flush(self) -> None:
        """Write what was metered since the last flush, in one transaction."""
        async with self._lock:
            left = self._writing
            if left is not None:
                # A cancelled flush's write: its outcome (kept or restored) comes first.
                with contextlib.suppress(Exception):
                    await asyncio.shield(left)
            self.sample()
            if len(self._on_provisioned) > _MAX_MARKED:
                # Invocations cut short never finish: their marks must not pile up.
                self._on_provisioned.clear()
            cells, self._cells = self._cells, {}
            configured, self._configured = self._configured, {}
            rows = _rows(cells, configured)
            if not rows:
                return
            # Shielded: cancelling the flush (the server stopping) must not leave a write
            # that commits after all while its cells are restored, to be written again.
            write = asyncio.get_running_loop().create_task(self._store.add(rows))
            write.add_done_callback(functools.partial(self._written, cells, configured))
            self._writing = write
            await asyncio.shield(write)

    def _written(
        self,
        cells: dict[CellKey, list[int]],
        configured: dict[CellKey, float],
        write: asyncio.Task[None],
    ) -> None:
        """A write ended: its cells are kept for the next flush if it failed."""
        if self._writing is write:
            self._writing = None
        if write.cancelled() or write.exception() is not None:
            self._restore(cells, configured)

    def _restore(self, cells: dict[CellKey, list[int]], configured: dict[CellKey, float]) -> None:
        for key, (requests, billed) in cells.items():
            cell = self._cells.setdefault(key, [0, 0])
            cell[0] += requests
            cell[1] += billed
        for key, amount in configured.items():
            self._configured[key] = self._configured.get(key, 0.0) + amount


def _rows(cells: dict[CellKey, list[int]], configured: dict[CellKey, float]) -> list[UsageRow]:
    rows: list[UsageRow] = []
    for key in {*cells, *configured}:
        name, version, arch, memory, ephemeral, hour, provisioned = key
        requests, billed = cells.get(key, (0, 0))
        rows.append(
            UsageRow(
                hour=hour,
                function=name,
                version=version,
                architecture=arch,
                memory_mb=memory,
                ephemeral_mb=ephemeral,
                provisioned=provisioned,
                requests=requests,
                billed_ms=billed,
                gb_seconds=gb_seconds(billed, memory),
                ephemeral_gb_seconds=ephemeral_gb_seconds(billed, ephemeral),
                provisioned_gb_seconds=configured.get(key, 0.0),
            )
        )
    rows.sort(key=lambda r: r.key)
    return rows

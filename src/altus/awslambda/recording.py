"""Recording invocations for replay (``altus replay``, the console): an invocation hook
that keeps each finished invocation's event, context, result and log.

The warm path pays for a tuple on a deque: ``finished`` queues references to what the
invoker already made (the input, the result) and returns. A burst writer
(``altus.store.bursts``) turns what queued into rows and writes them in bursts, one
transaction each, lingering half a second so that a burst of invokes costs one write;
the rows are serialised on the database's thread. Readers (the routes) ``flush`` first,
so what they read includes every invocation finished before they asked. A burst the
database refuses is written again row by row, so that a recording it cannot take loses
only itself (the server log says so), never an invocation. What waits is bounded in
count and in bytes (events, results and logs: the environment counts a log's bytes as
it comes), and holds its bytes until its write is over.

Retention runs off the path too: a pass every minute for age, and one as soon as the
stored bytes may be over the size cap (``recording_retention.py``). The stored bytes are
summed by the database at the first pass and hourly after, and kept up to date in
between from what is written and what each pass frees. A recording larger than the
whole cap is not kept. Invocations of a tuning's transient versions are not recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from altus.awslambda import recording_retention as retention
from altus.awslambda.recording_store import Recording, RecordingStore
from altus.control.functions import TRANSIENT_PREFIX
from altus.control.model import FunctionConfig
from altus.engine.hooks import InvocationHook
from altus.engine.results import InvokeInput, InvokeResult
from altus.store.bursts import BurstWriter

log = logging.getLogger(__name__)

#: What an unqualified invoke ran, as a qualifier.
LATEST = "$LATEST"
#: Most invocations written in one transaction.
_BURST = 500
#: How long the writer lets invocations gather before it writes (unless a reader waits
#: in ``flush``): much of a write's cost is per transaction (measured on SQLite: ~40 µs
#: of CPU a recording in bursts of 5, ~15 µs in bursts of 50), and a crash loses at
#: most this much of the recordings.
_LINGER = 0.5
#: Invocations waiting for the writer beyond these are not recorded (the server log says
#: how many): a database that cannot keep up must not take the server's memory with it.
_MAX_QUEUED = 10_000
_MAX_QUEUED_BYTES = 64 * 1024 * 1024
#: How often retention by age runs.
_PRUNE_INTERVAL = 60.0
#: How often the stored bytes are summed again (in between they are counted): another
#: server writing the same database, or a write whose outcome was unknown, is then
#: accounted for.
_RESUM_INTERVAL = 3600.0
#: How long ``close`` lets the write under way finish before it cancels it.
_CLOSE_GRACE = 10.0

#: An invocation waiting to be written: its function, what it was given, what came of it,
#: and the bytes it holds.
_Queued = tuple[str, InvokeInput, InvokeResult, int]


def _queued_size(queued: _Queued) -> int:
    return queued[3]


def qualifier_of(invoked_arn: str) -> str:
    """The qualifier an invocation was invoked by (``$LATEST`` when unqualified)."""
    parts = invoked_arn.split(":")
    return parts[7] if len(parts) > 7 and parts[7] else LATEST


def capture(function: str, given: InvokeInput, result: InvokeResult) -> Recording:
    """An invocation as a recording."""
    usage = result.usage
    payload = result.payload
    return Recording(
        request_id=given.request_id,
        function=function,
        qualifier=qualifier_of(given.invoked_arn),
        executed_version=result.executed_version,
        started=given.started,
        event=given.payload,
        client_context=given.client_context,
        trace_id=given.trace_id,
        result=payload,
        content_type=result.content_type,
        function_error=result.function_error,
        error_type=result.error_type,
        duration_ms=usage.duration_ms if usage else None,
        billed_ms=usage.billed_ms if usage else None,
        memory_size_mb=usage.memory_size_mb if usage else None,
        max_memory_used_mb=usage.max_memory_used_mb if usage else None,
        init_duration_ms=usage.init_duration_ms if usage else None,
        log=tuple(event.message for event in result.log),
        streamed_bytes=result.streamed_bytes,
    )


class Recorder(InvocationHook):
    """Records finished invocations into ``store`` and keeps it within retention.

    Hooked into the invoker only when recording is on; the store stays readable (and is
    still pruned) when it is off."""

    def __init__(
        self,
        store: RecordingStore,
        *,
        retention_seconds: float,
        max_bytes: int,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self._retention = retention_seconds
        self._cap = max_bytes
        # The wall clock: invocations' start times are the wall clock's.
        self._now = now
        self.bursts: BurstWriter[_Queued] = BurstWriter(
            self._write_queued,
            what="recordings of invocations",
            burst=_BURST,
            linger=_LINGER,
            max_items=_MAX_QUEUED,
            max_bytes=_MAX_QUEUED_BYTES,
            size=_queued_size,
        )
        self._prune_now: asyncio.Event | None = None
        self._pruner: asyncio.Task[None] | None = None
        #: The stored bytes: summed by the database (``_summed_at``, monotonic; None:
        #: not yet), plus what was written since, less what retention freed.
        self._estimate = 0
        self._summed_at: float | None = None
        #: Bytes written since the server started (how a sum under way learns of the
        #: writes made while it ran).
        self._written = 0

    # --- the invocation path -------------------------------------------------------------

    def finished(self, config: FunctionConfig, given: InvokeInput, result: InvokeResult) -> None:
        if config.version.startswith(TRANSIENT_PREFIX):
            return  # a tuning's run: never nameable, so never replayable
        size = len(given.payload) + len(result.payload) + result.log_bytes
        self.bursts.append((config.name, given, result, size))

    # --- life ----------------------------------------------------------------------------

    async def start(self) -> None:
        self._prune_now = asyncio.Event()
        self._prune_now.set()  # a first pass at start: what aged while the server was down
        await self.bursts.start()
        self._pruner = asyncio.get_running_loop().create_task(self._prune_loop())

    async def flush(self) -> None:
        """Return once everything finished so far is stored (or was lost to a failing
        database, which the server log reports)."""
        await self.bursts.flush()

    async def close(self) -> None:
        """Write what is queued, then stop: the write under way is let finish (within
        ``_CLOSE_GRACE``), not cut off mid-burst."""
        pruner, self._pruner = self._pruner, None
        if pruner is not None:
            pruner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pruner
        await self.bursts.close(_CLOSE_GRACE)

    # --- writing -------------------------------------------------------------------------

    async def _write_queued(self, queued: list[_Queued]) -> None:
        await self._write([capture(name, given, result) for name, given, result, _ in queued])

    async def _write(self, burst: list[Recording]) -> None:
        kept = []
        written = 0
        for recording in burst:
            size = recording.size
            if size > self._cap:
                log.info(
                    "invocation %s not recorded: %d bytes, over record_max_mb",
                    recording.request_id,
                    size,
                )
                continue
            kept.append(recording)
            written += size
        if not kept:
            return
        try:
            await self.store.add(kept)
        except Exception:
            written = await self._write_one_by_one(kept)
        self._written += written
        self._estimate += written
        if self._estimate > self._cap and self._prune_now is not None:
            self._prune_now.set()

    async def _write_one_by_one(self, burst: list[Recording]) -> int:
        """After a burst failed: each recording in a transaction of its own, so that one
        the database cannot take loses only itself. The bytes written."""
        if len(burst) == 1:
            log.exception("lost the recording of invocation %s", burst[0].request_id)
            return 0
        log.warning("a burst of %d recordings failed: writing them one by one", len(burst))
        written = 0
        lost: list[str] = []
        for recording in burst:
            try:
                await self.store.add([recording])
            except Exception:
                if not lost:
                    log.exception("lost the recording of invocation %s", recording.request_id)
                lost.append(recording.request_id)
            else:
                written += recording.size
        if len(lost) > 1:
            log.error("lost the recordings of %d invocations in all", len(lost))
        return written

    # --- retention -----------------------------------------------------------------------

    async def prune(self, now: float | None = None) -> tuple[int, bool]:
        """One retention pass (at ``now``, else now): how many recordings it deleted, and
        whether more is left to do at once."""
        cutoff = retention.age_cutoff(self._now() if now is None else now, self._retention)
        summed = self._summed_at
        if summed is None or time.monotonic() - summed > _RESUM_INTERVAL:
            await self._sum()
        oldest = await self.store.oldest(retention.PASS_ROWS)
        chosen = retention.plan(oldest, cutoff=cutoff, total=self._estimate, cap=self._cap)
        deleted = 0
        if chosen.through is not None:
            deleted = await self.store.delete_through(chosen.through)
            self._estimate = max(0, self._estimate - chosen.freed)
        return deleted, chosen.more

    async def _sum(self) -> None:
        """The stored bytes, summed by the database. A burst written while the sum runs
        is added too: the sum may have missed it (or counted it: then the estimate is
        high by a burst, and a pass frees a little early)."""
        before = self._written
        total = await self.store.total_bytes()
        self._estimate = total + (self._written - before)
        self._summed_at = time.monotonic()

    async def prune_all(self, now: float | None = None) -> int:
        """Passes until retention has nothing more to do; how many recordings went."""
        deleted = 0
        while True:
            gone, more = await self.prune(now)
            deleted += gone
            if not more or not gone:
                return deleted

    async def _prune_loop(self) -> None:
        assert self._prune_now is not None
        loop = asyncio.get_running_loop()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._prune_now.wait(), _PRUNE_INTERVAL)
            self._prune_now.clear()
            try:
                gone, more = await self.prune()
            except Exception:
                log.exception("pruning recorded invocations failed")
                continue
            if more and gone:
                # Bounded passes, one after another, with the loop free between them.
                loop.call_soon(self._prune_now.set)

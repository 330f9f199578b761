"""A distributed Map's Map Run as it goes: its iterations held to its concurrency,
counted by status, reported to the host's ``MapRunBoard`` (DescribeMapRun's
``itemCounts`` and ``executionCounts``), and its tolerance and concurrency read back from
the board (UpdateMapRun changes them while it runs).

Reports are coalesced: at most one is being written at a time, and whatever changed
meanwhile goes in the next, so a thousand iterations ending together make a few writes,
not a thousand. The last report (the close) is exact. A resumed execution counts again
from its start (its finished iterations come back from the journal at once); a Map Run
the board has closed already (replayed after its end) is not reported again."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

from altus.asl.host import (
    MAP_RUN_RUNNING,
    MapRunBoard,
    MapRunCounts,
    MapRunSettings,
    MapRunStart,
)
from altus.asl.interpreter import crew
from altus.asl.interpreter.failures import Failed

log = logging.getLogger(__name__)

#: The concurrency a Map Run has when nothing limits it (``MaxConcurrency`` 0 or absent;
#: ``mapping.DISTRIBUTED_CONCURRENCY``).
UNLIMITED = 10_000

_PENDING, _RUNNING, _SUCCEEDED, _FAILED, _ABORTED, _TIMED_OUT = range(6)
#: How a child execution that did not succeed ended, as counted.
_ENDED = {"TIMED_OUT": _TIMED_OUT, "ABORTED": _ABORTED}


class Tracker:
    def __init__(
        self, board: MapRunBoard | None, arn: str, sizes: list[int], settings: MapRunSettings
    ) -> None:
        self._board = board
        self._arn = arn
        #: Items per iteration (a batch carries several).
        self._sizes = sizes
        self._status = [_PENDING] * len(sizes)
        self.settings = settings
        self._running = 0
        self._room = asyncio.Event()
        self._active = board is not None
        self._dirty = False
        self._flusher: asyncio.Task[None] | None = None

    # --- the board -------------------------------------------------------------------------

    async def open(
        self, execution_arn: str, start: float, definition: Mapping[str, Any], label: str
    ) -> None:
        """Record the Map Run (once); take the settings the board has for it."""
        if self._board is None:
            return
        items, executions = self._counts()
        status, self.settings = await self._board.start(
            MapRunStart(
                self._arn, execution_arn, start, self.settings, items, executions, definition, label
            )
        )
        self._active = status == MAP_RUN_RUNNING

    async def close(self, status: str, stop: float, *, quietly: bool = False) -> None:
        """The last report: the exact counts and the status the Map Run ended in."""
        await self.pause()
        if self._board is None or not self._active:
            return
        self._active = False
        items, executions = self._counts()
        try:
            await self._board.report(self._arn, items, executions, status=status, stop=stop)
        except Exception:
            if not quietly:
                raise
            log.exception("Map Run %s could not be closed %s", self._arn, status)

    async def pause(self) -> None:
        """Stop reporting (the run stops here, to end or to resume later)."""
        flusher, self._flusher = self._flusher, None
        if flusher is not None:
            flusher.cancel()
            with contextlib.suppress(BaseException):
                await flusher

    def _changed(self) -> None:
        if not self._active or self._board is None:
            return
        self._dirty = True
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush())

    async def _flush(self) -> None:
        assert self._board is not None
        for _ in range(10**9):  # while something changed since the last report
            if not self._dirty or not self._active:
                return
            self._dirty = False
            items, executions = self._counts()
            try:
                self.settings = await self._board.report(self._arn, items, executions)
            except Exception:
                # Counts are progress only: the next report (at the latest the close)
                # says them again.
                log.exception("Map Run %s: counts not reported", self._arn)
                return
            self._room.set()

    def _counts(self) -> tuple[MapRunCounts, MapRunCounts]:
        return _tally(self._status, self._sizes), _tally(self._status, [1] * len(self._sizes))

    # --- the iterations --------------------------------------------------------------------

    def tolerated(self, failures: int) -> bool:
        """Whether ``failures`` failed iterations are within the Map Run's tolerance
        (as it is now: UpdateMapRun may have changed it)."""
        most = self.settings.tolerated_failure_count
        share = self.settings.tolerated_failure_percentage
        if most is None and share is None:
            return failures == 0
        if most is not None and failures > most:
            return False
        return not (share is not None and failures * 100 > share * max(len(self._sizes), 1))

    def wrap(self, index: int, job: crew.Job) -> crew.Job:
        """``job`` held until the Map Run's concurrency has room, counted as it goes."""

        async def counted() -> Any:
            await self._enter()
            self._set(index, _RUNNING)
            try:
                result = await job()
            except Failed as failure:
                self._set(index, _ENDED.get(str(getattr(failure, "status", "")), _FAILED))
                raise
            except asyncio.CancelledError:
                self._set(index, _ABORTED)
                raise
            finally:
                self._running -= 1
                self._room.set()
            self._set(index, _SUCCEEDED)
            return result

        return counted

    async def _enter(self) -> None:
        for _ in range(10**9):  # until there is room (each wake-up is an iteration ending)
            limit = self.settings.max_concurrency or UNLIMITED
            if self._running < limit:
                self._running += 1
                return
            self._room.clear()
            await self._room.wait()

    def _set(self, index: int, status: int) -> None:
        self._status[index] = status
        self._changed()


def _tally(statuses: list[int], sizes: list[int]) -> MapRunCounts:
    totals = [0] * 6
    for status, size in zip(statuses, sizes, strict=True):
        totals[status] += size
    return MapRunCounts(
        pending=totals[_PENDING],
        running=totals[_RUNNING],
        succeeded=totals[_SUCCEEDED],
        failed=totals[_FAILED],
        aborted=totals[_ABORTED],
        timed_out=totals[_TIMED_OUT],
        total=sum(sizes),
        results_written=totals[_SUCCEEDED] + totals[_FAILED] + totals[_TIMED_OUT],
    )

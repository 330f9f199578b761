"""Writing in bursts, off the request path: what a hot path produces (function logs,
recordings of invocations, trace segments) is queued with one append, and a task writes
what queued a burst per transaction.

The writer lets items gather for ``linger`` seconds after the first arrives (a burst of
invokes then costs one transaction and one hand-off to the database's thread, not one
each), then writes what is queued *at that moment*, in bursts of at most ``burst``;
what arrives meanwhile waits for the next linger. Writing it at once would make a burst
of each item that arrived during the previous write: many small transactions, each
costing a hand-off, a commit and its pages. A ``flush`` cuts the linger short and returns
once everything appended before it was written (or failed: the server log says so).

What waits is bounded, in count and, given a size per item, in bytes; an item is held
(counted against both) until its write is over, since the burst holds it until then.
Past a bound new items are dropped, counted, and reported once the writer catches up: a
database that cannot keep up must not take the server's memory with it.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class BurstWriter(Generic[T]):
    """Queues items and writes them with ``write`` (given a burst, in order; what it
    raises is logged and the burst let go: a writer that can save part of a failed burst
    does so itself). ``what`` names the items, plural, for the server log."""

    def __init__(
        self,
        write: Callable[[list[T]], Awaitable[None]],
        *,
        what: str,
        burst: int,
        linger: float,
        max_items: int | None = None,
        max_bytes: int | None = None,
        size: Callable[[T], int] | None = None,
    ) -> None:
        self._write = write
        self._what = what
        self._burst = burst
        self._linger = linger
        self._max_items = max_items
        self._max_bytes = max_bytes
        self._size = size
        self._queued: collections.deque[T | asyncio.Future[None]] = collections.deque()
        #: The items (and their bytes) queued or being written.
        self.held = 0
        self.held_bytes = 0
        #: Items dropped over a bound (since the start), and since the last report.
        self.dropped = 0
        self._unreported = 0
        self._wake: asyncio.Event | None = None
        self._urgent: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    # --- the hot path --------------------------------------------------------------------

    def append(self, item: T) -> bool:
        """Queue ``item``; False (and counted) if a bound left no room for it."""
        size = self._size(item) if self._size is not None else 0
        if (self._max_items is not None and self.held >= self._max_items) or (
            self._max_bytes is not None and self.held_bytes + size > self._max_bytes
        ):
            self.dropped += 1
            self._unreported += 1
            return False
        self.held += 1
        self.held_bytes += size
        self._queued.append(item)
        wake = self._wake
        if wake is not None and not wake.is_set():
            wake.set()
        return True

    # --- life ----------------------------------------------------------------------------

    async def start(self) -> None:
        assert self._task is None, "started twice"
        self._wake = asyncio.Event()
        self._urgent = asyncio.Event()
        self._closing = False
        if self._queued:
            self._wake.set()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def flush(self) -> None:
        """Return once everything appended so far is written (or failed)."""
        task = self._task
        # Closing, the queue is close's to drain (its marker with it): draining here too
        # could return before a burst close is writing.
        if task is None or (task.done() and not self._closing):
            await self._write_queued(drain=True)
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queued.append(done)
        self._hurry()
        await done

    async def close(self, grace: float) -> None:
        """Write what is queued, then stop. The write under way is given ``grace``
        seconds to finish before the writer stops waiting for it (the database may still
        complete it); what is queued after it is written then. A flush meanwhile returns
        once that is done."""
        task = self._task
        try:
            if task is not None:
                self._closing = True
                self._hurry()
                done, _ = await asyncio.wait({task}, timeout=grace)
                if not done:
                    log.warning("stopped waiting for %s being written at shutdown", self._what)
                    task.cancel()
                    # wait(), not await: a cancel of close itself must still end close.
                    await asyncio.wait({task})
                if not task.cancelled() and task.exception() is not None:
                    log.error("the writer of %s failed", self._what, exc_info=task.exception())
            await self._write_queued(drain=True)
        finally:
            # Cut short too: a later flush then drains on its own, never waits for a
            # marker nobody takes.
            self._task = None

    def _hurry(self) -> None:
        assert self._wake is not None and self._urgent is not None
        self._urgent.set()
        self._wake.set()

    # --- writing -------------------------------------------------------------------------

    async def _run(self) -> None:
        assert self._wake is not None and self._urgent is not None
        while not self._closing:
            await self._wake.wait()
            if not self._urgent.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._urgent.wait(), self._linger)
            self._wake.clear()
            self._urgent.clear()
            await self._write_queued()

    async def _write_queued(self, drain: bool = False) -> None:
        """Write what is queued now, a burst per write, waking flushes on the way; with
        ``drain``, what queues meanwhile too."""
        left = len(self._queued)
        while self._queued and (left > 0 or drain):
            burst: list[T] = []
            waiters: list[asyncio.Future[None]] = []
            held = 0
            try:
                while self._queued and len(burst) < self._burst and (left > 0 or drain):
                    left -= 1
                    item = self._queued.popleft()
                    if isinstance(item, asyncio.Future):
                        waiters.append(item)
                    else:
                        burst.append(item)
                        if self._size is not None:
                            held += self._size(item)
                if burst:
                    await self._write(burst)
            except Exception:
                log.exception("lost a burst of %d %s", len(burst), self._what)
            finally:
                self.held -= len(burst)
                self.held_bytes -= held
                for waiter in waiters:
                    if not waiter.done():
                        waiter.set_result(None)
        if self._unreported:
            log.warning(
                "%d %s were not written: their writer fell behind", self._unreported, self._what
            )
            self._unreported = 0

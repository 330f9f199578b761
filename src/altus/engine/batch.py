"""Group commit: callers that write at the same time share one durable write.

``await commit(item)`` returns once a write containing ``item`` is done (or raises what
that write raised). While one write is on its way to disk, the items that arrive queue
up and go together in the next, so an fsync is paid per batch and not per item, and no
caller waits for more than the write in progress and its own.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


class GroupCommit(Generic[T]):
    def __init__(
        self,
        write: Callable[[Sequence[T]], None],
        written: Callable[[Sequence[T]], None] | None = None,
    ) -> None:
        """``write`` runs in a thread (it blocks on the disk); ``written`` on the event
        loop right after each successful write, whether or not its callers still wait."""
        self._write = write
        self._written = written
        self._queued: list[tuple[T, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def __call__(self, item: T) -> None:
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        self._queued.append((item, done))
        if self._writer is None or self._writer.done():
            self._writer = loop.create_task(self._drain())
        # Shielded: a caller that goes away does not take the write with it.
        await asyncio.shield(done)

    async def _drain(self) -> None:
        while self._queued:
            batch, self._queued = self._queued, []
            items = [item for item, _ in batch]
            try:
                await asyncio.to_thread(self._write, items)
            except Exception as error:
                for _, done in batch:
                    if not done.done():
                        done.set_exception(error)
                continue
            if self._written is not None:
                self._written(items)
            for _, done in batch:
                if not done.done():
                    done.set_result(None)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._writer

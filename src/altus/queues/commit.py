"""Group commit: concurrent plans share one store transaction (and one fsync).

Each plan carries what to do in memory once it is written (``applied``) or if it could
not be (``failed``). Both run here, in commit order, on the event loop, so the memory
view follows the store exactly, even when the caller stopped waiting (a client gone, a
cancelled request): a written plan is always applied.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from altus.queues.base import QueueChange, QueueStore
from altus.queues.errors import QueueStoreFailure

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Pending:
    plan: Sequence[QueueChange]
    applied: Callable[[], Any]
    failed: Callable[[], None]
    future: asyncio.Future[Any]


class GroupCommit:
    """Writes plans to ``store`` one transaction at a time, batching those that arrive
    while a transaction is being written. ``offload`` runs the store on a worker thread
    (for a store that blocks on fsync)."""

    def __init__(self, store: QueueStore, *, offload: bool) -> None:
        self._store = store
        self._offload = offload
        self._pending: list[_Pending] = []
        self._writer: asyncio.Task[None] | None = None

    async def write(
        self,
        plan: Sequence[QueueChange],
        applied: Callable[[], Any],
        failed: Callable[[], None] = lambda: None,
    ) -> Any:
        """Write ``plan``, then return what ``applied()`` returns; raises
        QueueStoreFailure (after ``failed()``) if the store refused it."""
        if not plan:
            return applied()
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append(_Pending(plan, applied, failed, future))
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._write_all())
        return await asyncio.shield(future)

    async def _write_all(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                plans = [p.plan for p in batch]
                try:
                    if self._offload:
                        results = await asyncio.to_thread(self._store.apply, plans)
                    else:
                        results = self._store.apply(plans)
                except Exception as failure:
                    log.exception("the queue store failed to write %d plans", len(plans))
                    results = [failure] * len(batch)
                for pending, result in zip(batch, results, strict=True):
                    self._settle(pending, result)
        finally:
            self._writer = None

    @staticmethod
    def _settle(pending: _Pending, error: Exception | None) -> None:
        problem: Exception | None = error
        try:
            if error is None:
                value = pending.applied()
                if not pending.future.done():
                    pending.future.set_result(value)
                return
            pending.failed()
        except Exception as exc:  # a bug in memory bookkeeping: say so, answer 500
            log.exception("applying a written queue plan failed")
            problem = exc
        if not pending.future.done():
            pending.future.set_exception(QueueStoreFailure(f"The queue store failed: {problem}"))

    async def drain(self) -> None:
        """Wait until everything submitted is written and applied."""
        while self._writer is not None:
            await asyncio.shield(self._writer)

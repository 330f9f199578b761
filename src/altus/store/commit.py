"""Group commit: plans that arrive while a transaction is being written go together in
the next one, so a durable write (an fsync, a PostgreSQL commit) is paid per batch, not
per plan, and no caller waits for more than the write in progress and its own.

``write(plans)`` is the store's: it writes every plan of a batch in one transaction,
each inside a savepoint, and returns per plan None or the error that kept it out (a
plan is all-or-nothing on its own). A plan carries what to do in memory once it is
written (``applied``) or refused (``failed``); both run here, on the event loop, in
commit order, even when the caller stopped waiting (a client gone, a cancelled request),
so the memory view follows the store exactly: a written plan is always applied.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from altus.store.database import DatabaseError, Transaction

log = logging.getLogger(__name__)

P = TypeVar("P")

Write = Callable[[Sequence[P]], Awaitable[Sequence[Exception | None]]]
C = TypeVar("C")


def apply_plans(
    tx: Transaction,
    plans: Sequence[Sequence[C]],
    run: Callable[[Transaction, Sequence[C]], None],
) -> list[Exception | None]:
    """The store side of a group commit: write each plan (a sequence of changes, which
    ``run`` applies in order) all-or-nothing, in the one transaction ``tx``. Every plan
    at once, in one savepoint: the usual case, where none fails, costs no statements but
    the plans' own (and ``run`` sees them all together, to batch them). Only when that
    fails is each written again in a savepoint of its own, so that the one at fault
    alone is left out. Per plan None or the error that kept it out."""
    try:
        with tx.savepoint():
            run(tx, [change for plan in plans for change in plan])
    except DatabaseError:
        pass
    else:
        return [None] * len(plans)
    results: list[Exception | None] = []
    for plan in plans:
        try:
            with tx.savepoint():
                run(tx, plan)
        except DatabaseError as error:
            results.append(error)
        else:
            results.append(None)
    return results


def _nothing() -> None:
    return None


@dataclass(slots=True)
class _Pending(Generic[P]):
    plan: P
    applied: Callable[[], Any]
    failed: Callable[[], None]
    future: asyncio.Future[Any]


class GroupCommit(Generic[P]):
    """``failure`` turns a refused plan's error into what its caller raises (a service's
    own error, with the code its API reports)."""

    def __init__(
        self, write: Write[P], failure: Callable[[Exception], Exception] = lambda error: error
    ) -> None:
        self._write = write
        self._failure = failure
        self._pending: list[_Pending[P]] = []
        self._writer: asyncio.Task[None] | None = None

    async def write(
        self, plan: P, applied: Callable[[], Any] = _nothing, failed: Callable[[], None] = _nothing
    ) -> Any:
        """Write ``plan`` durably, then return what ``applied()`` returns. If the store
        refused it: ``failed()``, then raise ``failure(error)``."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._pending.append(_Pending(plan, applied, failed, future))
        if self._writer is None:
            self._writer = loop.create_task(self._write_all())
        # Shielded: a caller that goes away takes neither the write nor its memory update.
        return await asyncio.shield(future)

    async def _write_all(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                try:
                    results = list(await self._write([p.plan for p in batch]))
                except Exception as error:
                    log.exception("the store failed to write %d plans", len(batch))
                    results = [error] * len(batch)
                for pending, result in zip(batch, results, strict=True):
                    self._settle(pending, result)
        finally:
            self._writer = None

    def _settle(self, pending: _Pending[P], error: Exception | None) -> None:
        problem: Exception | None = error
        try:
            if error is None:
                value = pending.applied()
                if not pending.future.done():
                    pending.future.set_result(value)
                return
            pending.failed()
        except Exception as exc:  # a bug in memory bookkeeping: say so, fail the caller
            log.exception("applying a written plan failed")
            problem = exc
        if not pending.future.done():
            assert problem is not None
            pending.future.set_exception(self._failure(problem))

    async def drain(self) -> None:
        """Wait until everything submitted is written and applied."""
        while self._writer is not None:
            await asyncio.shield(self._writer)

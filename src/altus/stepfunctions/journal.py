"""``altus.asl.host.Journal`` on the Step Functions store: what the interpreter of a
STANDARD execution writes every step to.

The records an execution already has are loaded once, when it starts or resumes
(``open``), and looked up in memory by key (``find`` does no I/O); ``append`` writes
through to the store before the records count as made.

Appends go through one ``JournalWriter``, a group commit: those made while a write is in
progress (the iterations of a Map, the branches of a Parallel, other executions) go
together in the next transaction, one durable write for them all, in the order they
were made, so that one execution's event ids follow the order of its appends. (Measured
on this 2-core machine: a Map of 1,000 Lambda tasks made 7 commits per iteration, one
append at a time, and spent most of its time in them.) A batch the store fails to
write is written again after a pause, a few times, before its executions are told.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from altus.asl.host import NewRecord, Record
from altus.clock import Clock
from altus.stepfunctions.store import StepFunctionsStore
from altus.store.commit import GroupCommit

log = logging.getLogger(__name__)

#: Pauses before a failed batch of appends is written again (then it fails: the
#: executions stop and resume from their journals).
RETRY_PAUSES = (0.1, 0.5, 2.0)


@dataclass(slots=True)
class _Append:
    execution_arn: str
    records: list[NewRecord]
    #: The records as the store recorded them, once written.
    written: list[Record] = field(default_factory=list)


class JournalWriter:
    """Every execution's appends, group-committed (``StepFunctionsStore.append_batch``)."""

    def __init__(self, store: StepFunctionsStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._commit: GroupCommit[_Append] = GroupCommit(self._write)

    async def append(self, execution_arn: str, records: Sequence[NewRecord]) -> list[Record]:
        """``StepFunctionsStore.append``, durably, in one transaction with whatever other
        appends are waiting. Raises ValueError for a key already recorded, or the
        store's error when the transaction fails."""
        plan = _Append(execution_arn, list(records))
        written: list[Record] = await self._commit.write(plan, applied=lambda: plan.written)
        return written

    async def _write(self, plans: Sequence[_Append]) -> list[Exception | None]:
        appends = [(plan.execution_arn, plan.records) for plan in plans]
        for pause in (*RETRY_PAUSES, None):
            try:
                results = await self._store.append_batch(appends, self._clock.now())
                break
            except Exception:
                if pause is None:
                    raise
                # A passing fault (a dropped connection, a busy database) would stop
                # every execution in the batch, cancelling their tasks under way: the
                # batch is written again first. One whose first commit landed unseen
                # is found recorded as given, and answered as recorded.
                log.warning("Step Functions' journal write failed; trying again", exc_info=True)
                await self._clock.sleep(pause)
        errors: list[Exception | None] = []
        for plan, result in zip(plans, results, strict=True):
            if isinstance(result, Exception):
                errors.append(result)
            else:
                plan.written = result
                errors.append(None)
        return errors

    async def drain(self) -> None:
        """Wait until every append made so far is written."""
        await self._commit.drain()


class SqlJournal:
    def __init__(
        self,
        store: StepFunctionsStore,
        execution_arn: str,
        records: Sequence[Record],
        clock: Clock,
        writer: JournalWriter | None = None,
    ) -> None:
        self.store = store
        self.execution_arn = execution_arn
        self.clock = clock
        self._by_key = {record.key: record for record in records}
        self._writer = writer or JournalWriter(store, clock)

    @classmethod
    async def open(
        cls,
        store: StepFunctionsStore,
        execution_arn: str,
        clock: Clock,
        writer: JournalWriter | None = None,
    ) -> SqlJournal:
        """The journal of ``execution_arn`` with every record it has so far, appending
        through ``writer`` (the runtime's, shared by every execution; else its own)."""
        records = await store.load_journal(execution_arn)
        return cls(store, execution_arn, records, clock, writer)

    def find(self, key: str) -> Record | None:
        return self._by_key.get(key)

    @property
    def records(self) -> list[Record]:
        """What the journal holds, in the order appended."""
        return list(self._by_key.values())

    async def append(self, records: Sequence[NewRecord]) -> list[Record]:
        """As ``Journal.append``: durable and all-or-nothing (the store's), in order, the
        public records numbered on; a key already recorded is a ValueError."""
        for new in records:
            if new.key in self._by_key:
                raise ValueError(f"journal key {new.key!r} is already recorded")
        appended = await self._writer.append(self.execution_arn, records)
        for record in appended:
            self._by_key[record.key] = record
        return appended

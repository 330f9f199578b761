"""``altus.asl.host.Journal`` on the Step Functions store: what the interpreter of a
STANDARD execution writes every step to.

The records an execution already has are loaded once, when it starts or resumes
(``open``), and looked up in memory by key (``find`` does no I/O); ``append`` writes
through to the store before the records count as made. Appends of one execution are
taken one at a time (the branches of a Parallel or iterations of a Map append from
tasks of their own): the next event id is computed in the appending transaction, and
two such transactions at once would race for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from altus.asl.host import NewRecord, Record
from altus.clock import Clock
from altus.stepfunctions.store import StepFunctionsStore


class SqlJournal:
    def __init__(
        self,
        store: StepFunctionsStore,
        execution_arn: str,
        records: Sequence[Record],
        clock: Clock,
    ) -> None:
        self.store = store
        self.execution_arn = execution_arn
        self.clock = clock
        self._by_key = {record.key: record for record in records}
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, store: StepFunctionsStore, execution_arn: str, clock: Clock) -> SqlJournal:
        """The journal of ``execution_arn`` with every record it has so far."""
        return cls(store, execution_arn, await store.load_journal(execution_arn), clock)

    def find(self, key: str) -> Record | None:
        return self._by_key.get(key)

    @property
    def records(self) -> list[Record]:
        """What the journal holds, in the order appended."""
        return list(self._by_key.values())

    async def append(self, records: Sequence[NewRecord]) -> list[Record]:
        """As ``Journal.append``: durable and all-or-nothing (the store's), in order, the
        public records numbered on; a key already recorded is a ValueError."""
        async with self._lock:
            for new in records:
                if new.key in self._by_key:
                    raise ValueError(f"journal key {new.key!r} is already recorded")
            appended = await self.store.append(self.execution_arn, records, self.clock.now())
            for record in appended:
                self._by_key[record.key] = record
            return appended

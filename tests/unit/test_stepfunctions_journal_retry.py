"""The journal writer writes a batch the store failed to write again, a few times, before
its executions are told (a passing fault would otherwise stop them all, cancelling their
tasks under way); a store that keeps failing fails the appends."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, cast

import pytest

from altus.asl.host import NewRecord, Record
from altus.clock import FakeClock
from altus.stepfunctions.journal import RETRY_PAUSES, JournalWriter
from altus.stepfunctions.store import StepFunctionsStore
from altus.store.database import DatabaseError


class FlakyStore:
    """``append_batch`` failing its first ``failures`` calls, then recording."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    async def append_batch(
        self, appends: Sequence[tuple[str, Sequence[NewRecord]]], now: float
    ) -> list[list[Record] | Exception]:
        self.calls += 1
        if self.calls <= self.failures:
            raise DatabaseError("connection lost")
        return [
            [Record(r.key, r.type, r.details, now, None, r.previous_id) for r in records]
            for _, records in appends
        ]


async def _append(store: FlakyStore, clock: FakeClock) -> Any:
    writer = JournalWriter(cast(StepFunctionsStore, store), clock)
    job = asyncio.ensure_future(writer.append("arn:e", [NewRecord("k", "~x", {}, False)]))
    for _ in range(100):  # let the writer reach each pause, then pass it
        await asyncio.sleep(0)
        if job.done():
            break
        clock.advance(max(RETRY_PAUSES))
    return await job


def test_a_passing_fault_is_written_again() -> None:
    store = FlakyStore(failures=len(RETRY_PAUSES))
    written = asyncio.run(_append(store, FakeClock()))
    assert [record.key for record in written] == ["k"]
    assert store.calls == len(RETRY_PAUSES) + 1


def test_a_store_that_keeps_failing_fails_the_append() -> None:
    store = FlakyStore(failures=len(RETRY_PAUSES) + 1)
    with pytest.raises(DatabaseError):
        asyncio.run(_append(store, FakeClock()))
    assert store.calls == len(RETRY_PAUSES) + 1

"""The usage store's contract (``awslambda.usage_store``) on every backend: SQLite in
memory, SQLite in a file and the machine's PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from altus.awslambda.usage_store import SCHEMA, SqlUsageStore
from altus.observe.billing import HOUR, UsageRow
from altus.store.database import Database
from altus.store.storage import Storage

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

HOUR_0 = 1_700_000_000 // HOUR * HOUR


@pytest.fixture
async def database(store_url: str) -> AsyncIterator[Database]:
    storage = Storage(store_url)
    db = storage.database()
    db.migrate([SCHEMA])
    yield db
    await asyncio.to_thread(storage.close)


def row(**changes: object) -> UsageRow:
    base = UsageRow(
        hour=HOUR_0,
        function="f",
        version="$LATEST",
        architecture="x86_64",
        memory_mb=128,
        ephemeral_mb=512,
        provisioned=False,
        requests=2,
        billed_ms=30,
        gb_seconds=0.00375,
        ephemeral_gb_seconds=0.0,
        provisioned_gb_seconds=0.0,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


async def test_rows_of_one_key_add_up_and_others_stay_apart(database: Database) -> None:
    store = SqlUsageStore(database)
    await store.add([row(), row(provisioned=True, provisioned_gb_seconds=1.5)])
    await store.add([row(), row(hour=HOUR_0 + HOUR, function="g", memory_mb=2048)])
    await store.add([])
    rows = await store.usage(HOUR_0, HOUR_0 + 2 * HOUR)
    assert [(r.hour, r.function, r.provisioned) for r in rows] == [
        (HOUR_0, "f", False),
        (HOUR_0, "f", True),
        (HOUR_0 + HOUR, "g", False),
    ]
    summed = rows[0]
    assert (summed.requests, summed.billed_ms) == (4, 60)
    assert summed.gb_seconds == pytest.approx(0.0075)
    assert rows[1].provisioned_gb_seconds == pytest.approx(1.5)
    assert rows[2].memory_mb == 2048


async def test_reads_by_hours_and_function(database: Database) -> None:
    store = SqlUsageStore(database)
    await store.add([row(hour=HOUR_0 + i * HOUR, function=f"f{i % 2}") for i in range(4)])
    assert [r.hour for r in await store.usage(HOUR_0 + HOUR, HOUR_0 + 3 * HOUR)] == [
        HOUR_0 + HOUR,
        HOUR_0 + 2 * HOUR,
    ]
    assert [r.hour for r in await store.usage(0, 2**40, function="f1")] == [
        HOUR_0 + HOUR,
        HOUR_0 + 3 * HOUR,
    ]


async def test_large_amounts_keep_their_precision(database: Database) -> None:
    store = SqlUsageStore(database)
    big = row(requests=3_000_000_000, billed_ms=9_000_000_000_000, gb_seconds=1.234567891234e9)
    await store.add([big])
    [found] = await store.usage(0, 2**40)
    assert (found.requests, found.billed_ms) == (3_000_000_000, 9_000_000_000_000)
    assert found.gb_seconds == pytest.approx(1.234567891234e9, rel=1e-12)

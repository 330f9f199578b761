"""The trace store's contract (``altus.xray.store.TraceStore``) on every backend: SQLite
in memory, SQLite in a file and the machine's PostgreSQL. Documents kept and replaced by
(trace, id); appended ones written in the background and seen after ``flush``; traces
found by time and by an invocation's request id; retention."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator

import pytest

from altus.store.storage import Storage
from altus.xray.segments import parse
from altus.xray.sql_store import SCHEMA, SqlTraceStore

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

A = "1-5759e988-00000000000000000000000a"
B = "1-5759e988-00000000000000000000000b"


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[SqlTraceStore]:
    storage = Storage(store_url)
    db = storage.database("traces", durable=False)
    db.migrate([SCHEMA])
    made = SqlTraceStore(db)
    await made.start()
    yield made
    await made.close()
    await asyncio.to_thread(storage.close)


def doc(trace: str, n: int, start: float, **extra: object) -> str:
    return json.dumps(
        {
            "trace_id": trace,
            "id": f"{n:016x}",
            "name": "svc",
            "start_time": start,
            "end_time": start + 1,
            **extra,
        }
    )


async def test_documents_are_kept_replaced_and_found(store: SqlTraceStore) -> None:
    await store.put([parse(doc(A, 2, 20.0)), parse(doc(A, 1, 10.0))], now_ms=1000)
    await store.put([parse(doc(A, 2, 20.0, annotations={"v": 2}))], now_ms=1000)
    store.append([parse(doc(B, 1, 30.0, origin="AWS::Lambda", aws={"request_id": "req-1"}))], 2000)
    await store.flush()
    found = await store.documents([A, B, "1-5759e988-0000000000000000000000ff"])
    assert [json.loads(d)["id"] for d in found[A]] == [f"{1:016x}", f"{2:016x}"]
    assert json.loads(found[A][1])["annotations"] == {"v": 2}
    assert set(found) == {A, B}
    assert await store.traces_between(0, 25_000_000, 10) == [(10_000_000, A)]
    assert await store.traces_between(0, 40_000_000, 1) == [(10_000_000, A)]
    assert await store.traces_between(0, 40_000_000, 10) == [(10_000_000, A), (30_000_000, B)]
    # Keyset paging: the traces after the last one a page had.
    assert await store.traces_between(0, 40_000_000, 10, (10_000_000, A)) == [(30_000_000, B)]
    assert await store.trace_of_request("req-1") == B
    assert await store.trace_of_request("req-2") is None
    assert await store.prune(before_ms=1500) == 2
    assert set(await store.documents([A, B])) == {B}


async def test_close_writes_what_was_appended(store_url: str) -> None:
    storage = Storage(store_url)
    db = storage.database("traces", durable=False)
    db.migrate([SCHEMA])
    first = SqlTraceStore(db)
    await first.start()
    first.append([parse(doc(A, 1, 10.0))], 1)
    await first.close()
    assert list(await SqlTraceStore(db).documents([A])) == [A]
    await asyncio.to_thread(storage.close)


async def test_flush_returns_while_segments_keep_arriving(store: SqlTraceStore) -> None:
    stop = asyncio.Event()

    async def produce() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            store.append([parse(doc(A, n, 10.0))], 1)
            await asyncio.sleep(0.002)

    producing = asyncio.create_task(produce())
    try:
        await asyncio.sleep(0.1)
        first = parse(doc(B, 1, 10.0))
        store.append([first], 1)
        # The old flush waited for an idle moment steady traffic never gives.
        await asyncio.wait_for(store.flush(), 20)
        assert B in await store.documents([B])
    finally:
        stop.set()
        await producing


async def test_a_row_the_database_refuses_costs_itself_not_its_batch(
    store: SqlTraceStore,
) -> None:
    good = [parse(doc(A, n, 10.0)) for n in range(1, 4)]
    # Past any integer column (what a 1e300 start_time once made): refused on every backend.
    poison = dataclasses.replace(parse(doc(B, 1, 10.0)), start_us=10**30)
    store.append([*good[:2], poison, good[2]], 1)
    await store.flush()
    assert len((await store.documents([A]))[A]) == 3
    assert store.dropped == 1


async def test_many_traces_are_read_in_batches_of_ids(store: SqlTraceStore) -> None:
    many = [f"1-5759e988-{n:024x}" for n in range(1, 1201)]
    await store.put([parse(doc(trace, 1, 10.0)) for trace in many], now_ms=1)
    assert len(await store.documents(many)) == 1200

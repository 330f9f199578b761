"""The recordings store's contract (``altus.awslambda.recording_store.RecordingStore``)
on every backend: SQLite in memory, SQLite in a file and the machine's PostgreSQL.
Recordings written in one transaction and read back whole (bytes that are not UTF-8
included); a request id written again kept again, the newest read; lists newest first
in pages, per function; retention's reads of the oldest rows and its deletes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from altus.awslambda.recording_store import Oldest, Recording
from altus.awslambda.sql_recording_store import SCHEMA, SqlRecordingStore
from altus.store.storage import Storage

pytestmark = [pytest.mark.integration, pytest.mark.anyio]


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[SqlRecordingStore]:
    storage = Storage(store_url)
    db = storage.database("recordings", durable=False)
    db.migrate([SCHEMA])
    yield SqlRecordingStore(db)
    await asyncio.to_thread(storage.close)


def recording(n: int, function: str = "f", **changes: object) -> Recording:
    made = Recording(
        request_id=f"r{n}",
        function=function,
        qualifier="live",
        executed_version="3",
        started=1_700_000_000.0 + n,
        event=b'{"n": %d}' % n,
        client_context='{"custom": {"a": 1}}',
        trace_id="Root=1-00000000-000000000000000000000000;Sampled=0",
        result=b"\xff\x00 not text",
        content_type="application/octet-stream",
        function_error="Unhandled",
        error_type="Unhandled.ValueError",
        duration_ms=1.25,
        billed_ms=2,
        memory_size_mb=256,
        max_memory_used_mb=40,
        init_duration_ms=12.5,
        log=("START", "héllo\tthere", "END"),
    )
    return replace(made, **changes)  # type: ignore[arg-type]


async def test_a_recording_reads_back_whole(store: SqlRecordingStore) -> None:
    await store.add([recording(1), recording(2, init_duration_ms=None, duration_ms=None)])
    found = await store.get("r1")
    assert found is not None and found.seq > 0
    assert replace(found, seq=0) == recording(1)
    second = await store.get("r2")
    assert second is not None and second.init_duration_ms is None and second.duration_ms is None
    assert await store.get("r3") is None


async def test_lists_are_newest_first_in_pages_and_per_function(store: SqlRecordingStore) -> None:
    await store.add([recording(n, "f" if n % 2 else "g") for n in range(1, 7)])
    everything = await store.recent()
    assert [s.request_id for s in everything] == ["r6", "r5", "r4", "r3", "r2", "r1"]
    page = await store.recent("f", limit=2)
    assert [s.request_id for s in page] == ["r5", "r3"]
    rest = await store.recent("f", limit=2, before=page[-1].seq)
    assert [s.request_id for s in rest] == ["r1"]
    assert await store.recent("nobody") == []
    one = everything[-1]
    assert (one.qualifier, one.executed_version, one.started) == ("live", "3", 1_700_000_001.0)
    assert (one.duration_ms, one.billed_ms, one.function_error) == (1.25, 2, "Unhandled")


async def test_a_request_id_written_again_is_kept_twice_the_newest_read(
    store: SqlRecordingStore,
) -> None:
    await store.add([recording(1), recording(2)])
    await store.add([recording(1, result=b"retried")])
    assert [s.request_id for s in await store.recent()] == ["r1", "r2", "r1"]
    found = await store.get("r1")
    assert found is not None and found.result == b"retried"


async def test_sizes_and_the_oldest_rows(store: SqlRecordingStore) -> None:
    assert await store.total_bytes() == 0
    assert await store.oldest(5) == []
    made = [recording(n) for n in range(1, 5)]
    await store.add(made)
    assert await store.total_bytes() == sum(r.size for r in made)
    oldest = await store.oldest(2)
    assert [(o.size, o.started) for o in oldest] == [
        (made[0].size, made[0].started),
        (made[1].size, made[1].started),
    ]
    assert oldest[0].seq < oldest[1].seq
    assert await store.delete_through(oldest[1].seq) == 2
    assert [s.request_id for s in await store.recent()] == ["r4", "r3"]
    assert await store.get("r1") is None
    assert await store.total_bytes() == made[2].size + made[3].size
    # Sequence numbers go on after the deleted ones.
    await store.add([recording(5)])
    newest = (await store.recent())[0]
    assert newest.request_id == "r5" and newest.seq > made_seqs(oldest)


def made_seqs(rows: list[Oldest]) -> int:
    return max(o.seq for o in rows)


async def test_text_no_database_takes_loses_only_that_character(store: SqlRecordingStore) -> None:
    # PostgreSQL's text refuses NUL; no UTF-8 codec takes a lone surrogate.
    await store.add(
        [
            recording(
                1, log=("START", "a\x00b", "c\udcffd", "END"), client_context='{"k": "\x00"}'
            ),
            recording(2, error_type="Bad\x00Type"),
        ]
    )
    found = await store.get("r1")
    assert found is not None and found.log == ("START", "a\ufffdb", "c\ufffdd", "END")
    assert found.client_context == '{"k": "\ufffd"}'
    second = await store.get("r2")
    assert second is not None and second.error_type == "Bad\ufffdType"


async def test_seqs_are_never_used_again_even_after_emptying(store: SqlRecordingStore) -> None:
    await store.add([recording(1), recording(2)])
    last = (await store.recent())[0].seq
    assert await store.delete_through(last) == 2
    await store.add([recording(3)])
    assert (await store.recent())[0].seq == last + 1


async def test_a_streamed_response_reads_back_with_its_size(store: SqlRecordingStore) -> None:
    await store.add([recording(1, result=b"first;", streamed_bytes=12)])
    found = await store.get("r1")
    assert found is not None and (found.result, found.streamed_bytes) == (b"first;", 12)


async def test_bodies_over_several_chunks_each_read_back(store: SqlRecordingStore) -> None:
    # Bodies are stored a chunk of about a megabyte at a time: events of 300 KB make a
    # burst of 10 span several chunks, and retention may delete part of one.
    made = [recording(n, event=bytes([n]) * 300_000) for n in range(1, 11)]
    await store.add(made)
    for r in made:
        found = await store.get(r.request_id)
        assert found is not None and replace(found, seq=0) == r
    seqs = sorted(s.seq for s in await store.recent())
    assert await store.delete_through(seqs[4]) == 5
    for r in made[:5]:
        assert await store.get(r.request_id) is None
    for r in made[5:]:
        found = await store.get(r.request_id)
        assert found is not None and found.event == r.event
    await store.add([recording(11)])
    assert (await store.get("r11")) is not None
    assert await store.delete_through(seqs[-1] + 1) == 6
    assert await store.get("r11") is None and await store.total_bytes() == 0

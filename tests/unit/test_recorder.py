"""The recorder (``altus.awslambda.recording.Recorder``) against a store in memory: what
its queue counts and holds, how it writes bursts (one by one after a burst fails), how
it closes, and how a retention run learns the stored bytes (one sum, then counting)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from altus.awslambda import recording as recording_module
from altus.awslambda.recording import Recorder
from altus.awslambda.recording_store import ROW_OVERHEAD, Oldest, Recording, Summary
from altus.engine.results import InvokeInput, InvokeResult
from altus.observe.logs import LogEvent

ARN = "arn:aws:lambda:us-east-1:000000000000:function:f"


@dataclass
class Config:
    name: str = "f"
    version: str = "$LATEST"


class MemoryStore:
    def __init__(self) -> None:
        self.rows: list[Recording] = []
        self.gate: asyncio.Event | None = None
        self.adding = asyncio.Event()
        self.sums = 0
        self.sum_gate: asyncio.Event | None = None
        self.refuse: str | None = None

    async def add(self, recordings: Sequence[Recording]) -> None:
        self.adding.set()
        if self.gate is not None:
            await self.gate.wait()
        if any(r.request_id == self.refuse for r in recordings):
            raise RuntimeError("the database refused a row")
        for r in recordings:
            r.seq = len(self.rows) + 1
            self.rows.append(r)

    async def recent(
        self, function: str | None = None, limit: int = 50, before: int | None = None
    ) -> list[Summary]:
        raise NotImplementedError

    async def get(self, request_id: str) -> Recording | None:
        raise NotImplementedError

    async def total_bytes(self) -> int:
        self.sums += 1
        if self.sum_gate is not None:
            await self.sum_gate.wait()
        return sum(r.size for r in self.rows)

    async def oldest(self, limit: int) -> list[Oldest]:
        return [Oldest(r.seq, r.size, r.started) for r in self.rows[:limit]]

    async def delete_through(self, seq: int) -> int:
        before = len(self.rows)
        self.rows = [r for r in self.rows if r.seq > seq]
        return before - len(self.rows)


def finish(
    recorder: Recorder,
    n: int,
    log: list[LogEvent] | None = None,
    log_bytes: int = 0,
    **config: str,
) -> None:
    recorder.finished(
        Config(**config),  # type: ignore[arg-type]
        InvokeInput(f"r{n}", b"{}", ARN, started=float(n)),
        InvokeResult(
            f"r{n}", b"1", "$LATEST", None, None, None, log=log or [], log_bytes=log_bytes
        ),
    )


def test_log_bytes_count_against_the_queue_bound() -> None:
    async def run() -> None:
        recorder = Recorder(MemoryStore(), retention_seconds=3600, max_bytes=1 << 30)
        # 4 MB of log each (one shared list: the environment counted its bytes).
        log = [LogEvent(0, "x")]
        for n in range(40):
            finish(recorder, n, log, log_bytes=4 * 1024 * 1024)
        assert recorder.bursts.held == 15 and recorder.bursts.dropped == 25

    asyncio.run(run())


def test_queued_bytes_are_held_until_the_write_is_over() -> None:
    async def run() -> None:
        store = MemoryStore()
        store.gate = asyncio.Event()
        recorder = Recorder(store, retention_seconds=3600, max_bytes=1 << 30)
        await recorder.start()
        finish(recorder, 1, [LogEvent(0, "x")], log_bytes=1000)
        flushed = asyncio.ensure_future(recorder.flush())
        await asyncio.wait_for(store.adding.wait(), 10)
        assert recorder.bursts.held_bytes >= 1000  # being written: still held
        store.gate.set()
        await asyncio.wait_for(flushed, 10)
        assert recorder.bursts.held_bytes == 0 and len(store.rows) == 1
        await recorder.close()

    asyncio.run(run())


def test_a_tunings_transient_versions_are_not_recorded() -> None:
    async def run() -> None:
        store = MemoryStore()
        recorder = Recorder(store, retention_seconds=3600, max_bytes=1 << 30)
        finish(recorder, 1, version="$TRANSIENT.abc.512")
        finish(recorder, 2, version="3")
        await recorder.flush()
        assert [r.request_id for r in store.rows] == ["r2"]

    asyncio.run(run())


def test_a_failed_burst_is_written_again_row_by_row() -> None:
    async def run() -> None:
        store = MemoryStore()
        store.refuse = "r2"
        recorder = Recorder(store, retention_seconds=3600, max_bytes=1 << 30)
        for n in range(1, 5):
            finish(recorder, n)
        await recorder.flush()
        assert [r.request_id for r in store.rows] == ["r1", "r3", "r4"]

    asyncio.run(run())


def test_close_lets_the_burst_under_way_finish() -> None:
    async def run() -> None:
        store = MemoryStore()
        store.gate = asyncio.Event()
        recorder = Recorder(store, retention_seconds=3600, max_bytes=1 << 30)
        await recorder.start()
        finish(recorder, 1)
        flushed = asyncio.ensure_future(recorder.flush())
        await asyncio.wait_for(store.adding.wait(), 10)
        closing = asyncio.ensure_future(recorder.close())
        await asyncio.sleep(0.05)
        store.gate.set()
        await asyncio.wait_for(closing, 10)
        assert [r.request_id for r in store.rows] == ["r1"]
        await asyncio.wait_for(flushed, 10)

    asyncio.run(run())


def test_flushes_are_released_when_a_write_is_cut_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recording_module, "_CLOSE_GRACE", 0.05)

    async def run() -> None:
        store = MemoryStore()
        store.gate = asyncio.Event()  # never set: the database hangs
        recorder = Recorder(store, retention_seconds=3600, max_bytes=1 << 30)
        await recorder.start()
        finish(recorder, 1)
        flushed = asyncio.ensure_future(recorder.flush())
        await asyncio.wait_for(store.adding.wait(), 10)
        await asyncio.wait_for(recorder.close(), 10)
        await asyncio.wait_for(flushed, 10)

    asyncio.run(run())


def test_a_retention_run_sums_the_stored_bytes_once() -> None:
    async def run() -> None:
        store = MemoryStore()
        recorder = Recorder(store, retention_seconds=3600, max_bytes=1 << 30)
        for n in range(2500):
            finish(recorder, n)
        await recorder.flush()
        # Everything is past its age: three passes (1,000 rows each at most), one sum.
        assert await recorder.prune_all(now=1e9) == 2500
        assert store.sums == 1 and recorder._estimate == 0

    asyncio.run(run())


def test_writes_made_while_the_sum_runs_are_counted() -> None:
    async def run() -> None:
        store = MemoryStore()
        recorder = Recorder(store, retention_seconds=1e12, max_bytes=1 << 30)
        finish(recorder, 1)
        await recorder.flush()
        first = store.rows[0].size
        store.sum_gate = asyncio.Event()
        pruning = asyncio.ensure_future(recorder.prune(now=0))
        while store.sums == 0:
            await asyncio.sleep(0)
        # The sum has read the table (one row); a burst is written before it answers.
        finish(recorder, 2)
        await recorder.flush()
        written = store.rows[1].size
        store.rows = store.rows[:1]  # as the sum saw it
        store.sum_gate.set()
        await pruning
        assert recorder._estimate == first + written

    asyncio.run(run())


def test_sizes_are_counted_in_utf8_bytes() -> None:
    made = Recording("r", "f", "$LATEST", "$LATEST", 0.0, b"", "é", "", b"", None, None, None,
                     None, None, None, None, None, ("héllo",))  # fmt: skip
    assert made.size == 2 + 6 + 1 + ROW_OVERHEAD

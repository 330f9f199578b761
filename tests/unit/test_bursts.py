"""The burst writer (``altus.store.bursts.BurstWriter``): what it writes together, when a
flush returns, what its bounds hold and drop, how a failed burst and a stuck write end."""

from __future__ import annotations

import asyncio
import logging

import pytest

from altus.store.bursts import BurstWriter


class Sink:
    """A write that records its bursts, optionally held at a gate or refusing."""

    def __init__(self) -> None:
        self.bursts: list[list[int]] = []
        self.gate: asyncio.Event | None = None
        self.writing = asyncio.Event()
        self.refuse = False

    async def write(self, burst: list[int]) -> None:
        self.writing.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.refuse:
            raise RuntimeError("refused")
        self.bursts.append(burst)


def writer(sink: Sink, **options: object) -> BurstWriter[int]:
    settings: dict[str, object] = {"what": "numbers", "burst": 3, "linger": 60.0}
    settings.update(options)
    return BurstWriter(sink.write, **settings)  # type: ignore[arg-type]


def test_a_flush_writes_what_waits_in_bursts_without_the_linger() -> None:
    async def run() -> None:
        sink = Sink()
        bursts = writer(sink)
        await bursts.start()
        for n in range(7):
            bursts.append(n)
        # The linger is a minute: the flush cut it short.
        await asyncio.wait_for(bursts.flush(), 10)
        assert sink.bursts == [[0, 1, 2], [3, 4, 5], [6]]
        assert bursts.held == 0
        await bursts.close(10)

    asyncio.run(run())


def test_items_gather_for_the_linger_then_go_in_one_write() -> None:
    async def run() -> None:
        sink = Sink()
        bursts = writer(sink, burst=100, linger=0.05)
        await bursts.start()
        bursts.append(1)
        await asyncio.sleep(0)
        bursts.append(2)
        await asyncio.wait_for(sink.writing.wait(), 10)
        await asyncio.sleep(0)
        assert sink.bursts == [[1, 2]]
        await bursts.close(10)

    asyncio.run(run())


def test_what_arrives_during_a_write_waits_for_the_next_and_a_flush_still_ends() -> None:
    async def run() -> None:
        sink = Sink()
        sink.gate = asyncio.Event()
        bursts = writer(sink, burst=100, linger=0.01)
        await bursts.start()
        bursts.append(1)
        await asyncio.wait_for(sink.writing.wait(), 10)
        bursts.append(2)  # while [1] is being written
        flushed = asyncio.ensure_future(bursts.flush())
        bursts.append(3)  # after the flush: it need not wait for this one
        sink.gate.set()
        await asyncio.wait_for(flushed, 10)
        assert sink.bursts[0] == [1] and 2 in sink.bursts[1]
        await bursts.close(10)
        assert [n for burst in sink.bursts for n in burst] == [1, 2, 3]

    asyncio.run(run())


def test_bounds_drop_new_items_and_hold_bytes_until_written() -> None:
    async def run() -> None:
        sink = Sink()
        sink.gate = asyncio.Event()
        bursts = writer(sink, max_items=4, max_bytes=250, size=lambda n: 100)
        await bursts.start()
        assert bursts.append(1) and bursts.append(2)
        assert not bursts.append(3)  # 300 bytes would be over 250
        assert (bursts.held, bursts.held_bytes, bursts.dropped) == (2, 200, 1)
        flushed = asyncio.ensure_future(bursts.flush())
        await asyncio.wait_for(sink.writing.wait(), 10)
        # Being written, still held: memory is held until the write is over.
        assert not bursts.append(4)
        assert bursts.held_bytes == 200
        sink.gate.set()
        await asyncio.wait_for(flushed, 10)
        assert (bursts.held, bursts.held_bytes, bursts.dropped) == (0, 0, 2)
        assert bursts.append(5)
        await bursts.close(10)
        assert sink.bursts == [[1, 2], [5]]

    asyncio.run(run())


def test_a_count_bound_alone() -> None:
    bursts = writer(Sink(), max_items=2)
    assert [bursts.append(n) for n in range(4)] == [True, True, False, False]
    assert bursts.dropped == 2


def test_a_failed_burst_is_logged_and_its_flush_released(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def run() -> None:
        sink = Sink()
        sink.refuse = True
        bursts = writer(sink, size=lambda n: 10)
        await bursts.start()
        bursts.append(1)
        await asyncio.wait_for(bursts.flush(), 10)
        assert (bursts.held, bursts.held_bytes) == (0, 0)
        sink.refuse = False
        bursts.append(2)
        await asyncio.wait_for(bursts.flush(), 10)
        assert sink.bursts == [[2]]
        await bursts.close(10)

    with caplog.at_level(logging.ERROR, "altus.store.bursts"):
        asyncio.run(run())
    assert "lost a burst of 1 numbers" in caplog.text


def test_what_was_appended_before_the_start_is_written() -> None:
    async def run() -> None:
        sink = Sink()
        bursts = writer(sink, linger=0.01)
        bursts.append(1)
        await bursts.start()
        await asyncio.wait_for(sink.writing.wait(), 10)
        await bursts.close(10)
        assert sink.bursts == [[1]]

    asyncio.run(run())


def test_a_flush_before_the_start_writes_at_once() -> None:
    async def run() -> None:
        sink = Sink()
        bursts = writer(sink)
        bursts.append(1)
        await bursts.flush()
        assert sink.bursts == [[1]]

    asyncio.run(run())


def test_close_writes_what_waits_and_cuts_off_a_stuck_write(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def run() -> None:
        sink = Sink()
        bursts = writer(sink)
        await bursts.start()
        bursts.append(1)
        await bursts.close(10)
        assert sink.bursts == [[1]]

        stuck = Sink()
        stuck.gate = asyncio.Event()  # never set
        held = writer(stuck, linger=0.0)
        await held.start()
        held.append(1)
        await asyncio.wait_for(stuck.writing.wait(), 10)
        await asyncio.wait_for(held.close(0.05), 10)
        assert stuck.bursts == [] and held.held == 0

    with caplog.at_level(logging.WARNING, "altus.store.bursts"):
        asyncio.run(run())
    assert "stopped waiting for numbers being written at shutdown" in caplog.text


async def writing_one() -> tuple[Sink, BurstWriter[int], asyncio.Event]:
    """A started writer whose first burst, [1], is being written, held at the sink's gate
    (returned: set it to let the write end)."""
    sink = Sink()
    gate = sink.gate = asyncio.Event()
    bursts = writer(sink, linger=0.0)
    await bursts.start()
    bursts.append(1)
    await asyncio.wait_for(sink.writing.wait(), 10)
    return sink, bursts, gate


def test_a_flush_while_closing_waits_for_the_burst_being_written() -> None:
    async def run() -> None:
        sink, bursts, gate = await writing_one()
        closing = asyncio.ensure_future(bursts.close(10))
        await asyncio.sleep(0)
        bursts.append(2)
        flushed = asyncio.ensure_future(bursts.flush())
        await asyncio.sleep(0.05)
        assert not flushed.done()  # [1] is still being written
        gate.set()
        await asyncio.wait_for(flushed, 10)
        assert sink.bursts == [[1], [2]]
        await asyncio.wait_for(closing, 10)

    asyncio.run(run())


def test_a_cancelled_close_still_ends_and_leaves_flush_working() -> None:
    async def run() -> None:
        sink, bursts, gate = await writing_one()
        closing = asyncio.ensure_future(bursts.close(60))
        await asyncio.sleep(0.01)
        closing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(closing, 10)
        gate.set()
        bursts.append(2)
        await asyncio.wait_for(bursts.flush(), 10)
        assert [2] in sink.bursts

    asyncio.run(run())

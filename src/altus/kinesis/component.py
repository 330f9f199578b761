"""The Kinesis service's component: streams over their store, and the stream source
event source mappings read (``altus.sources.StreamSource``).

Streams and per-shard bookkeeping live in memory (``state``); records only in the
store, in the ``kinesis`` schema of the main database. Every change is a plan written
through one ``GroupCommit`` before memory takes it, so concurrent puts share commits and
are durable before they are answered. Plans are submitted in the order their keys were
handed out (each submission is a task made at once, never a coroutine left to start
later), so records are written, and become visible to readers, in key order.

A stream is ACTIVE as soon as CreateStream has written it (Kinesis takes seconds in
CREATING; boto3's ``stream_exists`` waiter then succeeds at its first poll). Resharding
is written at once too: puts wait the moment it takes, so none goes to a shard being
closed. A sweep on the platform clock deletes records past their stream's retention
period (reads never return them meanwhile) and forgets closed shards nothing is kept of.
Per-shard throughput limits are not enforced.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from altus.api.spec import Context
from altus.arns import parse_arn
from altus.kinesis import keys, resharding, sequences
from altus.kinesis.errors import (
    InternalFailure,
    KinesisError,
    ResourceInUse,
    stream_not_found,
)
from altus.kinesis.model import (
    DEFAULT_RETENTION,
    ON_DEMAND,
    SHARD_LIMIT,
    AddRecords,
    Change,
    DropStream,
    NewRecord,
    PutStream,
    Shard,
    StoredRecord,
    Stream,
    shard_id,
)
from altus.kinesis.sql_store import SqlStreamStore
from altus.kinesis.state import ShardState, StreamState
from altus.kinesis.store import StreamStore
from altus.sources import ShardInfo, ShardRead, StreamInfo, StreamRecord
from altus.store.commit import GroupCommit

log = logging.getLogger(__name__)

#: How often (platform clock seconds) records past their retention are deleted.
SWEEP_INTERVAL = 60.0
#: Records deleted per transaction when a stream is deleted: other writes go between.
PURGE_STEP = 5000
_HOUR_MS = 3_600_000


def _failure(error: Exception) -> Exception:
    if isinstance(error, KinesisError):
        return error
    return InternalFailure("Internal Service Failure")


def _nothing() -> None:
    return None


@dataclass(frozen=True, slots=True)
class Entry:
    """A record PutRecord(s) was asked to write, its hash key computed."""

    partition_key: str
    hash_key: int
    data: bytes


@dataclass(frozen=True, slots=True)
class Written:
    shard_id: str
    sequence_number: str


@dataclass(frozen=True, slots=True)
class Records:
    """What a read of one shard found."""

    records: list[StoredRecord]
    #: The key the next read continues after.
    last: int
    millis_behind: int
    #: The shard is closed and nothing is left after ``last``.
    ended: bool


class Kinesis:
    def __init__(self, context: Context, store: StreamStore | None = None) -> None:
        self.account = context.account
        self.clock = context.clock
        self.store: StreamStore = store or SqlStreamStore(context.storage.database())
        self._commit: GroupCommit[Sequence[Change]] = GroupCommit(self._apply, failure=_failure)
        self._streams: dict[str, StreamState] = {}
        self._admin = asyncio.Lock()
        self._closing = False
        self._sweeper: asyncio.Task[None] | None = None
        self._deletions: list[asyncio.Task[None]] = []
        context.sources.register("kinesis", self)

    # --- life ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Load every stream and what its shards hold; start the sweeps."""
        snapshot = await self.store.load()
        resumed: list[StreamState] = []
        for stream in snapshot.streams:
            loaded = self._streams[stream.name] = StreamState(stream)
            if stream.deleting:
                loaded.deleting = True
                resumed.append(loaded)
        for counts in snapshot.shards:
            state = self._streams.get(counts.stream)
            if state is None:
                continue
            state.last_key = max(state.last_key, counts.last_key)
            shard = state.shards.get(counts.shard)
            if shard is not None:
                shard.last_key = max(shard.last_key, counts.last_key)
                shard.records = counts.records
        loop = asyncio.get_running_loop()
        self._sweeper = loop.create_task(self._sweep_forever())
        # Deletions a stop cut short go on.
        self._deletions = [loop.create_task(self._finish_deleting(s)) for s in resumed]

    def interrupt(self) -> None:
        """Every reader waiting for records returns now, and later ones at once: the
        server is shutting down."""
        self._closing = True
        for state in self._streams.values():
            state.wake_all()

    async def close(self) -> None:
        self.interrupt()
        for task in [*self._deletions, *([self._sweeper] if self._sweeper else [])]:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._commit.drain()

    async def _apply(self, plans: Sequence[Sequence[Change]]) -> list[Exception | None]:
        # The store as it is now (a test may wrap it to make some writes fail).
        return await self.store.apply(plans)

    def _submit(
        self,
        plan: Sequence[Change],
        applied: Callable[[], Any],
        failed: Callable[[], None] = _nothing,
    ) -> asyncio.Future[Any]:
        """Queue ``plan`` for writing now, in this order among all plans; the future
        gives what ``applied()`` returns once it is written (or the error)."""
        return asyncio.ensure_future(self._commit.write(plan, applied, failed))

    # --- names -------------------------------------------------------------------------------

    @property
    def account_id(self) -> str:
        return self.account.account_id

    def arn(self, name: str) -> str:
        return self.account.arn("kinesis", f"stream/{name}")

    def name_of_arn(self, arn: str) -> tuple[str, str] | None:
        """(stream name, account) of a stream ARN; None if it is not one. The name is
        this server's only if the region and account are."""
        parts = parse_arn(arn)
        if parts is None or parts.service != "kinesis" or not parts.resource.startswith("stream/"):
            return None
        name = parts.resource.removeprefix("stream/")
        if not name or "/" in name:
            return None
        return name, parts.account

    def is_local(self, arn: str) -> bool:
        parts = parse_arn(arn)
        return (
            parts is not None
            and parts.region == self.account.region
            and parts.account == self.account.account_id
        )

    def now_ms(self) -> int:
        return int(self.clock.now() * 1000)

    def floor(self, stream: Stream) -> int:
        """The smallest key still within the stream's retention period."""
        return sequences.key_at(self.now_ms() - stream.retention_hours * _HOUR_MS)

    # --- reading what is there ---------------------------------------------------------------

    def found(self, name: str) -> StreamState:
        """The stream ``name`` in any state (DescribeStream shows one being deleted)."""
        state = self._streams.get(name)
        if state is None:
            raise stream_not_found(name, self.account_id)
        return state

    def active(self, name: str) -> StreamState:
        """The stream ``name``, ACTIVE or UPDATING (what data calls need)."""
        state = self._streams.get(name)
        if state is None or state.deleting:
            raise stream_not_found(name, self.account_id)
        return state

    def streams(self) -> list[StreamState]:
        """Every stream, by name (bytewise)."""
        return [self._streams[name] for name in sorted(self._streams)]

    def kept(self, state: StreamState) -> list[Shard]:
        """The shards a stream still lists: open ones, and closed ones not yet past
        the retention period."""
        floor = self.floor(state.stream)
        return [s for s in state.stream.shards if s.end_key is None or s.end_key >= floor]

    def open_shard_count(self) -> int:
        return sum(len(s.stream.open_shards) for s in self._streams.values())

    # --- writing streams ---------------------------------------------------------------------

    async def create(
        self,
        name: str,
        mode: str,
        shard_count: int,
        tags: Mapping[str, str],
        max_record_kib: int,
    ) -> Stream:
        async with self._admin:
            if name in self._streams:
                raise ResourceInUse(
                    f"Stream {name} under account {self.account_id} already exists."
                )
            self._check_shard_limit(shard_count)
            now = self.now_ms()
            start = sequences.key_at(now)
            shards = tuple(
                Shard(index, low, high, start)
                for index, (low, high) in enumerate(keys.even_ranges(shard_count))
            )
            stream = Stream(
                name=name,
                tag=now * 1000 + random.randrange(1000),
                created_ms=now,
                mode=mode,
                retention_hours=DEFAULT_RETENTION,
                shards=shards,
                tags=dict(tags),
                max_record_kib=max_record_kib,
                base_key=start,
            )

            def applied() -> Stream:
                self._streams[name] = StreamState(stream)
                return stream

            made: Stream = await self._submit([PutStream(stream)], applied)
            return made

    def _check_shard_limit(self, added: int) -> None:
        current = self.open_shard_count()
        if current + added > SHARD_LIMIT:
            raise resharding.shard_limit_error(self.account_id, self.account.region, current, added)

    def on_demand_count(self) -> int:
        return sum(1 for s in self._streams.values() if s.stream.mode == ON_DEMAND)

    async def delete(self, name: str) -> None:
        """Mark the stream deleted (durably: a restart goes on with it), then delete its
        records a bounded step at a time, so that other streams' writes are not held up
        behind a big one, then the stream itself."""
        async with self._admin:
            state = self.active(name)
            state.deleting = True
            state.wake_all()

            def failed() -> None:
                state.deleting = False

            marked = dataclasses.replace(state.stream, deleting=True)
            await self._submit([PutStream(marked)], lambda: state.configure(marked), failed)
        await self._finish_deleting(state)

    async def _finish_deleting(self, state: StreamState) -> None:
        name = state.name
        # Bounded: each step deletes PURGE_STEP records or ends the loop.
        for _ in range(1 << 40):
            if await self.store.purge(name, PURGE_STEP) < PURGE_STEP:
                break

        def applied() -> None:
            if self._streams.get(name) is state:
                del self._streams[name]
            state.wake_all()

        await self._submit([DropStream(name)], applied)

    async def reconfigure(self, name: str, change: Callable[[Stream], Stream]) -> Stream:
        """Write ``change(stream)`` (its errors change nothing); the stream as written."""
        async with self._admin:
            state = self.active(name)
            new = change(state.stream)
            if new == state.stream:
                return new
            return await self._put_stream(state, new)

    async def _put_stream(self, state: StreamState, new: Stream) -> Stream:
        new = dataclasses.replace(new, base_key=max(new.base_key, state.last_key))

        def applied() -> Stream:
            state.configure(new)
            return new

        written: Stream = await self._submit([PutStream(new)], applied)
        return written

    async def reshard(self, name: str, change: Callable[[Stream, int], Stream]) -> Stream:
        """Write ``change(stream, key)``: the stream resharded, closing shards at
        ``key`` (above every key handed out so far). Puts wait until it is written."""
        async with self._admin:
            state = self.active(name)
            new = change(state.stream, state.last_key)
            if new == state.stream:
                return new
            added = len(new.open_shards) - len(state.stream.open_shards)
            if added > 0:
                self._check_shard_limit(added)
            pause = asyncio.Event()
            state.pause = pause
            try:
                return await self._put_stream(state, new)
            finally:
                state.pause = None
                pause.set()

    # --- writing records ---------------------------------------------------------------------

    async def writable(self, name: str) -> StreamState:
        """The stream ``name``, once no resharding of it is being written."""
        state = self.active(name)
        while state.pause is not None:
            await state.pause.wait()
            state = self.active(name)
        return state

    def put(self, state: StreamState, entries: Sequence[Entry]) -> list[asyncio.Future[Any]]:
        """Write each entry as a record of its own plan (so one that fails fails
        alone); per entry, a future of its ``Written`` or error. Keys are handed out and
        plans queued here, at once, in order."""
        now = self.now_ms()
        name, tag = state.name, state.stream.tag
        futures = []
        for entry in entries:
            shard = state.route(entry.hash_key)
            key = state.allocate(now)
            record = NewRecord(shard.shard.index, key, entry.partition_key, entry.data)
            written = Written(
                shard.shard.shard_id, sequences.sequence_number(tag, key, record.shard)
            )
            futures.append(self._submit([AddRecords(name, (record,))], _Added(shard, key, written)))
        return futures

    # --- reading records ---------------------------------------------------------------------

    def shard_state(self, name: str, index: int) -> ShardState | None:
        state = self._streams.get(name)
        if state is None or state.deleting:
            return None
        return state.shards.get(index)

    async def read_shard(
        self, name: str, index: int, after: int, limit: int, max_bytes: int
    ) -> Records | None:
        """Records of shard ``index`` after key ``after`` within retention; None if the
        stream or shard is gone."""
        state = self._streams.get(name)
        shard = self.shard_state(name, index)
        if state is None or shard is None:
            return None
        floor = self.floor(state.stream)
        rows = await self.store.read(name, index, after, floor, limit, max_bytes)
        last = rows[-1].key if rows else max(after, shard.shard.start_key)
        # Caught up: nothing newer, or nothing newer still kept. Otherwise at least 1 ms
        # (0 means caught up: consumers stop there), growing as the backlog waits, as on
        # AWS: how long ago the last record read arrived.
        caught_up = last >= shard.last_key or shard.last_key < floor
        behind = 0 if caught_up else max(1, self.now_ms() - sequences.arrival_ms(last))
        return Records(rows, last, max(behind, 0), shard.shard.closed and caught_up)

    # --- the stream source (event source mappings) -------------------------------------------

    def _source_state(self, arn: str) -> StreamState | None:
        named = self.name_of_arn(arn) if self.is_local(arn) else None
        state = self._streams.get(named[0]) if named is not None else None
        return None if state is None or state.deleting else state

    def stream_info(self, arn: str) -> StreamInfo | None:
        """The stream ``arn`` names (active or updating), or None if there is none."""
        state = self._source_state(arn)
        if state is None:
            return None
        return StreamInfo(self.arn(state.name), state.name, state.stream.retention_hours)

    def shards(self, arn: str) -> list[ShardInfo]:
        """Every shard the stream still keeps records of, parents before children
        (children always number after their parents); [] if the stream is gone."""
        state = self._source_state(arn)
        if state is None:
            return []
        return [
            ShardInfo(
                shard.shard_id,
                None if shard.parent is None else shard_id(shard.parent),
                None if shard.adjacent_parent is None else shard_id(shard.adjacent_parent),
                shard.closed,
            )
            for shard in self.kept(state)
        ]

    def _source_shard(self, arn: str, shard_id: str) -> tuple[StreamState, ShardState] | None:
        state = self._source_state(arn)
        number = keys.shard_number(shard_id)
        shard = state.shards.get(number) if state is not None and number is not None else None
        if state is None or shard is None:
            return None
        return state, shard

    def position(
        self, arn: str, shard_id: str, starting: str, timestamp: float | None = None
    ) -> str | None:
        """Where a new reader of the shard starts, as the sequence number it reads after
        (None: from the oldest record kept): ``TRIM_HORIZON``, ``LATEST`` (after the
        newest record written now) or ``AT_TIMESTAMP`` (the first record that arrived
        at or after ``timestamp``). A stream or shard that is gone reads from its
        oldest (the read then finds it gone)."""
        found = self._source_shard(arn, shard_id)
        if found is None or starting == "TRIM_HORIZON":
            return None
        state, shard = found
        if starting == "AT_TIMESTAMP":
            key = sequences.key_at(int((timestamp or 0) * 1000)) - 1
            if key <= shard.shard.start_key:
                return None
        else:
            key = shard.last_key
        return sequences.sequence_number(state.stream.tag, key, shard.shard.index)

    async def read(
        self, arn: str, shard_id: str, after: str | None, limit: int, max_bytes: int
    ) -> ShardRead:
        """Records of the shard after sequence number ``after`` (None: the oldest
        kept), at most ``limit`` and about ``max_bytes`` (at least one if any is there),
        none past the retention period. Raises LookupError if the stream or shard is
        gone (or ``after`` is no sequence number of it)."""
        found = self._source_shard(arn, shard_id)
        if found is None:
            raise LookupError(f"no shard {shard_id} of {arn}")
        state, shard = found
        start = -1
        if after is not None:
            decoded = sequences.decode(after)
            if decoded is None:
                raise LookupError(f"{after} is no sequence number of {arn}")
            start = decoded.key
        read = await self.read_shard(state.name, shard.shard.index, start, limit, max_bytes)
        if read is None:
            raise LookupError(f"no shard {shard_id} of {arn}")
        tag, index = state.stream.tag, shard.shard.index
        records = [
            StreamRecord(
                sequences.sequence_number(tag, row.key, index),
                row.partition_key,
                row.data,
                sequences.arrival_ms(row.key) / 1000,
            )
            for row in read.records
        ]
        return ShardRead(records, read.millis_behind, read.ended)

    async def wait(self, arn: str, shard_id: str, after: str | None, timeout: float) -> None:
        """Return when the shard has a record after ``after``, it ended, or ``timeout``
        seconds (platform clock) passed; at once if the server is shutting down."""
        found = self._source_shard(arn, shard_id)
        if found is None or self._closing:
            return
        state, shard = found
        start = -1
        if after is not None:
            decoded = sequences.decode(after)
            if decoded is None:
                return  # the read refuses it
            start = decoded.key
        # Records past the retention period (not yet swept) are nothing to read.
        newest_kept = shard.records and shard.last_key > max(start, self.floor(state.stream) - 1)
        if shard.shard.closed or newest_kept:
            return
        await self.clock.wait(shard.waiter(), timeout)

    # --- retention ---------------------------------------------------------------------------

    async def _sweep_forever(self) -> None:
        while True:
            await self.clock.sleep(SWEEP_INTERVAL)
            try:
                await self.sweep()
            except Exception:
                log.exception("kinesis retention sweep failed")

    async def sweep(self) -> None:
        """Delete records past each stream's retention period, and forget closed shards
        that nothing is kept of any more."""
        for state in list(self._streams.values()):
            if state.deleting:
                continue
            floor = self.floor(state.stream)
            held = [s.shard.index for s in state.shards.values() if s.records]
            if held:
                gone = await self.store.trim(state.name, floor, held)
                for index, count in gone.items():
                    shard = state.shards.get(index)
                    if shard is not None:
                        shard.records = max(shard.records - count, 0)
            stale = {
                shard.index
                for shard in state.stream.shards
                if shard.end_key is not None and shard.end_key < floor
            }
            if stale and self._streams.get(state.name) is state:
                try:
                    await self.reconfigure(
                        state.name,
                        functools.partial(_without, stale=stale, tag=state.stream.tag),
                    )
                except KinesisError:
                    continue  # deleted meanwhile: the other streams' sweep goes on


class _Added:
    """What a record's plan does to memory once it is written."""

    __slots__ = ("key", "shard", "written")

    def __init__(self, shard: ShardState, key: int, written: Written) -> None:
        self.shard = shard
        self.key = key
        self.written = written

    def __call__(self) -> Written:
        self.shard.added(self.key)
        return self.written


def _without(stream: Stream, stale: set[int], tag: int) -> Stream:
    """``stream`` without its ``stale`` shards, if it is still the stream they were
    stale in (not one made again under its name meanwhile: ``tag`` tells them apart)."""
    if stream.tag != tag:
        return stream
    return dataclasses.replace(
        stream, shards=tuple(s for s in stream.shards if s.index not in stale)
    )

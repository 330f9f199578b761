"""The tables' streams as readers see them: which streams are listed, their one shard,
the records in Lambda's JSON form, and ``TableStreamSource``, the
``altus.sources.StreamSource`` that event source mappings on a stream ARN read.

A stream is listed (ListStreams, DescribeStream, readable) while its table exists and
it is enabled, or was disabled less than 24 hours ago (its records stay readable that
long, as DynamoDB's do). Each stream has one shard for its whole life (DynamoDB rotates
shards every few hours and splits hot ones; one shard keeps every item's records in
commit order, which is the order DynamoDB promises), named after the stream's creation
as DynamoDB names shards (``shardId-<20 digits>-<8 hex>``). The shard is closed when the
stream is disabled: no record comes after that.

Sequence numbers are the store's (``stream_records.sequence_number``): one counter per
stream, in commit order.

``position`` is synchronous (the protocol's), so LATEST is read from the newest
sequence number this source keeps per stream: loaded for every stream at start, and
refreshed after every write to a table with a stream for the streams a reader asked
about (a mapping asks when it is created, before its poller starts). A mapping created
in the instant after a write may so start a record or two early: delivered at least
once, never skipped.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import zlib
from collections.abc import Mapping
from typing import Any

from altus.dynamodb.component import STREAM_RETENTION, DynamoDB
from altus.dynamodb.model import Stream, Table
from altus.dynamodb.stream_records import sequence_number, sequence_of
from altus.sources import ShardInfo, ShardRead, StreamInfo, StreamRecord

log = logging.getLogger(__name__)

#: How long a stream's records are kept, in hours (StreamInfo's retention).
RETENTION_HOURS = int(STREAM_RETENTION // 3600)


# --- streams, shards, records (pure) -----------------------------------------------------------


def listed(stream: Stream, now: float) -> bool:
    """Whether ``stream`` is still shown and readable: enabled, or disabled less than 24
    hours ago."""
    return stream.disabled is None or now - stream.disabled < STREAM_RETENTION


def shard_id(stream: Stream) -> str:
    """The stream's one shard: its creation in milliseconds (20 digits) and 8 hex digits
    of its ARN's CRC-32, as DynamoDB's ``shardId-00000001573689847184-864758bb``."""
    created_ms = round(stream.created * 1000)
    return f"shardId-{created_ms:020d}-{zlib.crc32(stream.arn.encode()):08x}"


def table_name_of(arn: str) -> str | None:
    """The table a stream ARN (``...:table/<name>/stream/<label>``) names, if it is one."""
    _, found, rest = arn.partition(":table/")
    name, found_stream, label = rest.partition("/stream/")
    if not found or not found_stream or not name or not label:
        return None
    return name


def find(tables: Mapping[str, Table], arn: str, now: float) -> tuple[Table, Stream] | None:
    """The table and listed stream ``arn`` names, or None."""
    name = table_name_of(arn)
    table = tables.get(name) if name is not None else None
    if table is None:
        return None
    stream = next((s for s in table.streams if s.arn == arn), None)
    if stream is None or not listed(stream, now):
        return None
    return table, stream


def _blob(value: Any) -> str:
    return base64.b64encode(bytes(value)).decode() if not isinstance(value, str) else value


def wire_value(value: Mapping[str, Any]) -> dict[str, Any]:
    """An attribute value as it travels in JSON: binaries (``B``, ``BS``) in base64,
    maps and lists converted all the way down."""
    out: dict[str, Any] = {}
    for kind, inner in value.items():
        if kind == "B":
            out[kind] = _blob(inner)
        elif kind == "BS":
            out[kind] = [_blob(item) for item in inner]
        elif kind == "M":
            out[kind] = {name: wire_value(item) for name, item in inner.items()}
        elif kind == "L":
            out[kind] = [wire_value(item) for item in inner]
        else:
            out[kind] = inner
    return out


def wire_image(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: wire_value(value) for name, value in item.items()}


def lambda_form(record: Mapping[str, Any]) -> dict[str, Any]:
    """A stored record in the JSON Lambda puts in its events: images with binaries in
    base64, ``ApproximateCreationDateTime`` a number (epoch seconds), ``userIdentity``
    with Lambda's lower-camel keys (as stored). ``eventSourceARN`` is the poller's to
    add."""
    change = dict(record["dynamodb"])
    for name in ("Keys", "NewImage", "OldImage"):
        if name in change:
            change[name] = wire_image(change[name])
    change["ApproximateCreationDateTime"] = float(change["ApproximateCreationDateTime"])
    return {**record, "dynamodb": change}


def partition_key(table: Table, record: Mapping[str, Any]) -> str:
    """What keeps one item's records together (ParallelizationFactor's lanes): the
    item's partition key value, as JSON text."""
    value = record["dynamodb"]["Keys"].get(table.key.hash_name, {})
    return json.dumps(wire_value(value), sort_keys=True)


# --- the source of event source mappings ------------------------------------------------------


class TableStreamSource:
    """``altus.sources.StreamSource`` over the tables' streams (see the module's
    docstring). ``start`` after the DynamoDB component has loaded its tables: before
    that, a stream ARN of this account is taken as there with no shard yet, so a poller
    started first (Lambda's component starts before DynamoDB's) keeps its checkpoints."""

    def __init__(self, tables: DynamoDB) -> None:
        self._tables = tables
        self._ready = False
        #: The newest sequence of each stream, as last read (LATEST's answer).
        self._newest: dict[str, int] = {}
        #: Streams a reader asked about: refreshed after each write.
        self._watched: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._follower: asyncio.Task[None] | None = None

    # --- life -----------------------------------------------------------------------------

    async def start(self) -> None:
        for table in list(self._tables.tables.values()):
            for stream in table.streams:
                await self._refresh(stream.arn)
        self._ready = True
        self._follower = asyncio.get_running_loop().create_task(self._follow())

    async def close(self) -> None:
        tasks = [*self._tasks, *([self._follower] if self._follower else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        self._follower = None

    async def _follow(self) -> None:
        for _ in range(10**12):  # until the component closes
            if self._tables.closing:
                return
            # Taken before the reads: a write meanwhile sets it, and we read again.
            changed = self._tables.stream_changed
            for arn in sorted(self._watched):
                await self._refresh_logged(arn)
            await changed.wait()

    async def _refresh_logged(self, arn: str) -> None:
        try:
            await self._refresh(arn)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("DynamoDB Streams could not read the newest record of %s", arn)

    async def _refresh(self, arn: str) -> None:
        if find(self._tables.tables, arn, self._tables.now()) is None:
            self._watched.discard(arn)
            self._newest.pop(arn, None)
            return
        _, newest = await self._tables.store.stream_bounds(arn)
        if newest is not None:
            self._newest[arn] = newest

    def _watch(self, arn: str) -> None:
        """From now on ``arn``'s newest sequence is kept current; read now the first
        time (a mapping's poller starts moments after the mapping is created)."""
        if arn in self._watched:
            return
        self._watched.add(arn)
        task = asyncio.get_running_loop().create_task(self._refresh_logged(arn))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _found(self, arn: str) -> tuple[Table, Stream] | None:
        return find(self._tables.tables, arn, self._tables.now())

    def _shard(self, arn: str, shard: str) -> tuple[Table, Stream] | None:
        found = self._found(arn)
        if found is None or shard_id(found[1]) != shard:
            return None
        return found

    def _ours(self, arn: str) -> bool:
        """Whether ``arn`` is a stream ARN of this account and region (before the tables
        are loaded, the only thing that can be told)."""
        prefix = self._tables.account.arn("dynamodb", "table/")
        return arn.startswith(prefix) and table_name_of(arn) is not None

    # --- StreamSource -----------------------------------------------------------------------

    def stream_info(self, arn: str) -> StreamInfo | None:
        if not self._ready:
            if not self._ours(arn):
                return None
            return StreamInfo(arn, table_name_of(arn) or "", RETENTION_HOURS)
        found = self._found(arn)
        if found is None:
            return None
        self._watch(arn)
        return StreamInfo(arn, found[0].name, RETENTION_HOURS)

    def shards(self, arn: str) -> list[ShardInfo]:
        found = self._found(arn) if self._ready else None
        if found is None:
            return []
        stream = found[1]
        return [ShardInfo(shard_id(stream), closed=not stream.enabled)]

    def position(
        self, arn: str, shard_id: str, starting: str, timestamp: float | None = None
    ) -> str | None:
        """TRIM_HORIZON (and AT_TIMESTAMP, which mappings on DynamoDB refuse): None;
        LATEST: after the newest record this source has seen (see the module)."""
        if starting != "LATEST":
            return None
        self._watch(arn)
        newest = self._newest.get(arn)
        return None if newest is None else sequence_number(newest)

    async def read(
        self, arn: str, shard_id: str, after: str | None, limit: int, max_bytes: int
    ) -> ShardRead:
        found = self._shard(arn, shard_id)
        if found is None:
            raise LookupError(f"no shard {shard_id} of {arn}")
        table, stream = found
        try:
            start = None if after is None else sequence_of(after)
        except ValueError:
            raise LookupError(f"{after} is no sequence number of {arn}") from None
        rows = await self._tables.store.stream_records(arn, start, limit)
        records: list[StreamRecord] = []
        size = 0
        for seq, stored in rows:
            shown = lambda_form(stored)
            data = json.dumps(shown).encode()
            if records and size + len(data) > max_bytes:
                break
            size += len(data)
            records.append(
                StreamRecord(
                    sequence_number(seq),
                    partition_key(table, shown),
                    data,
                    float(shown["dynamodb"]["ApproximateCreationDateTime"]),
                    {"record": shown},
                )
            )
        more = len(records) < len(rows) or len(rows) >= limit
        behind = 0
        if more and records:
            behind = max(1, int((self._tables.now() - records[-1].arrival) * 1000))
        return ShardRead(records, behind, ended=not stream.enabled and not more)

    async def wait(self, arn: str, shard_id: str, after: str | None, timeout: float) -> None:
        found = self._shard(arn, shard_id)
        if found is None or self._tables.closing or not found[1].enabled:
            return  # gone, shutting down, or closed: nothing to wait for
        # Taken before the look: a write in between sets it.
        changed = self._tables.stream_changed
        try:
            start = 0 if after is None else sequence_of(after)
        except ValueError:
            return  # the read refuses it
        _, newest = await self._tables.store.stream_bounds(arn)
        if newest is not None and (after is None or newest > start):
            return
        await self._tables.clock.wait(changed, timeout)

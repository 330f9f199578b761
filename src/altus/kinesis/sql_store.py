"""``StreamStore`` in SQL, in the main database (the ``kinesis`` schema).

``kinesis_streams`` has a row per stream: its configuration as JSON (shards and all: a
few hundred shards at most, rewritten on each change of it) and ``base_key``.
``kinesis_records`` has a row per record, keyed (stream, shard, key) so that a shard is
read, and trimmed, as one range of the primary key. ``size`` (data plus partition key,
bytes) comes before the data, so a read can bound its bytes from the sizes alone,
without reading the data of records it will not return. Hash keys (128-bit) are kept as
decimal text in the JSON; keys are 63-bit integers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from altus.kinesis.model import (
    AddRecords,
    Change,
    DropStream,
    NewRecord,
    PutStream,
    Shard,
    ShardCounts,
    Snapshot,
    StoredRecord,
    Stream,
)
from altus.store.commit import apply_plans
from altus.store.database import Database, Migration, Schema, Transaction

SCHEMA = Schema(
    "kinesis",
    (
        Migration(
            """
        CREATE TABLE kinesis_streams (
            name TEXT PRIMARY KEY,
            config TEXT NOT NULL,
            base_key INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE kinesis_records (
            stream TEXT NOT NULL,
            shard INTEGER NOT NULL,
            seq_key INTEGER NOT NULL,
            size INTEGER NOT NULL,
            partition_key TEXT NOT NULL,
            data BLOB NOT NULL,
            PRIMARY KEY (stream, shard, seq_key)
        )
        """,
            postgresql="""
        CREATE TABLE kinesis_streams (
            name TEXT COLLATE "C" PRIMARY KEY,
            config TEXT NOT NULL,
            base_key BIGINT NOT NULL DEFAULT 0
        );
        CREATE TABLE kinesis_records (
            stream TEXT COLLATE "C" NOT NULL,
            shard INTEGER NOT NULL,
            seq_key BIGINT NOT NULL,
            size INTEGER NOT NULL,
            partition_key TEXT NOT NULL,
            data BYTEA NOT NULL,
            PRIMARY KEY (stream, shard, seq_key)
        )
        """,
        ),
    ),
)

_INSERT = (
    "INSERT INTO kinesis_records (stream, shard, seq_key, size, partition_key, data) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)


def record_size(record: NewRecord) -> int:
    return len(record.data) + len(record.partition_key.encode())


# --- configurations as JSON ------------------------------------------------------------------


def _shard_json(shard: Shard) -> dict[str, Any]:
    return {
        "index": shard.index,
        "start_hash": str(shard.start_hash),
        "end_hash": str(shard.end_hash),
        "start_key": shard.start_key,
        "end_key": shard.end_key,
        "parent": shard.parent,
        "adjacent_parent": shard.adjacent_parent,
    }


def _shard(data: Mapping[str, Any]) -> Shard:
    return Shard(
        index=int(data["index"]),
        start_hash=int(data["start_hash"]),
        end_hash=int(data["end_hash"]),
        start_key=int(data["start_key"]),
        end_key=None if data["end_key"] is None else int(data["end_key"]),
        parent=data["parent"],
        adjacent_parent=data["adjacent_parent"],
    )


def config_json(stream: Stream) -> str:
    return json.dumps(
        {
            "tag": stream.tag,
            "created_ms": stream.created_ms,
            "mode": stream.mode,
            "retention_hours": stream.retention_hours,
            "shards": [_shard_json(shard) for shard in stream.shards],
            "tags": dict(stream.tags),
            "metrics": list(stream.metrics),
            "max_record_kib": stream.max_record_kib,
            "deleting": stream.deleting,
        },
        separators=(",", ":"),
    )


def stream_of(name: str, config: str, base_key: int) -> Stream:
    data = json.loads(config)
    return Stream(
        name=name,
        tag=int(data["tag"]),
        created_ms=int(data["created_ms"]),
        mode=data["mode"],
        retention_hours=int(data["retention_hours"]),
        shards=tuple(_shard(shard) for shard in data["shards"]),
        tags=data["tags"],
        metrics=tuple(data["metrics"]),
        max_record_kib=int(data["max_record_kib"]),
        base_key=int(base_key),
        deleting=bool(data.get("deleting", False)),
    )


# --- the store -------------------------------------------------------------------------------


class SqlStreamStore:
    """``StreamStore`` on one database."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def load(self) -> Snapshot:
        def work(tx: Transaction) -> Snapshot:
            streams = [
                stream_of(name, config, base_key)
                for name, config, base_key in tx.execute(
                    "SELECT name, config, base_key FROM kinesis_streams ORDER BY name"
                )
            ]
            shards = [
                ShardCounts(stream, int(shard), int(count), int(last))
                for stream, shard, count, last in tx.execute(
                    "SELECT stream, shard, count(*), max(seq_key) FROM kinesis_records "
                    "GROUP BY stream, shard"
                )
            ]
            return Snapshot(streams, shards)

        return await self._db.read(work)

    async def apply(self, plans: Sequence[Sequence[Change]]) -> list[Exception | None]:
        # All plans' records together in one statement where none fails.
        return await self._db.write(lambda tx: apply_plans(tx, plans, _apply_all))

    async def read(
        self,
        stream: str,
        shard: int,
        after: int,
        floor: int,
        limit: int,
        max_bytes: int,
    ) -> list[StoredRecord]:
        start = max(after, floor - 1)

        def work(tx: Transaction) -> list[StoredRecord]:
            sizes = tx.execute(
                "SELECT seq_key, size FROM kinesis_records WHERE stream = ? AND shard = ? "
                "AND seq_key > ? ORDER BY seq_key LIMIT ?",
                (stream, shard, start, limit),
            ).fetchall()
            if not sizes:
                return []
            last, total = sizes[0][0], 0
            for key, size in sizes:
                total += int(size)
                if total > max_bytes and key != sizes[0][0]:
                    break
                last = key
            rows = tx.execute(
                "SELECT seq_key, partition_key, data FROM kinesis_records WHERE stream = ? "
                "AND shard = ? AND seq_key > ? AND seq_key <= ? ORDER BY seq_key",
                (stream, shard, start, last),
            )
            return [StoredRecord(int(key), pk, bytes(data)) for key, pk, data in rows]

        return await self._db.read(work)

    async def purge(self, stream: str, limit: int) -> int:
        def work(tx: Transaction) -> int:
            # A row-value IN: both dialects bound a DELETE this way (neither's own LIMIT
            # form is common to them).
            cursor = tx.execute(
                "DELETE FROM kinesis_records WHERE (stream, shard, seq_key) IN "
                "(SELECT stream, shard, seq_key FROM kinesis_records WHERE stream = ? "
                "LIMIT ?)",
                (stream, limit),
            )
            return max(cursor.rowcount, 0)

        return await self._db.write(work)

    async def trim(self, stream: str, floor: int, shards: Sequence[int]) -> Mapping[int, int]:
        def work(tx: Transaction) -> dict[int, int]:
            gone = {}
            for shard in shards:
                cursor = tx.execute(
                    "DELETE FROM kinesis_records WHERE stream = ? AND shard = ? AND seq_key < ?",
                    (stream, shard, floor),
                )
                gone[shard] = max(cursor.rowcount, 0)
            tx.execute(
                "UPDATE kinesis_streams SET base_key = ? WHERE name = ? AND base_key < ?",
                (floor, stream, floor),
            )
            return gone

        return await self._db.write(work)


def _apply_all(tx: Transaction, changes: Sequence[Change]) -> None:
    """Run ``changes`` in order, consecutive records in one ``executemany``."""
    rows: list[tuple[Any, ...]] = []
    for change in changes:
        if isinstance(change, AddRecords):
            rows.extend(
                (change.stream, r.shard, r.key, record_size(r), r.partition_key, r.data)
                for r in change.records
            )
            continue
        if rows:
            tx.executemany(_INSERT, rows)
            rows = []
        if isinstance(change, PutStream):
            stream = change.stream
            tx.execute(
                "INSERT INTO kinesis_streams (name, config, base_key) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET config = excluded.config, base_key = "
                "CASE WHEN excluded.base_key > kinesis_streams.base_key "
                "THEN excluded.base_key ELSE kinesis_streams.base_key END",
                (stream.name, config_json(stream), stream.base_key),
            )
        elif isinstance(change, DropStream):
            tx.execute("DELETE FROM kinesis_records WHERE stream = ?", (change.name,))
            tx.execute("DELETE FROM kinesis_streams WHERE name = ?", (change.name,))
    if rows:
        tx.executemany(_INSERT, rows)

"""``MappingStore`` in SQL, on any ``altus.store`` database: a mapping is a JSON document
in a row keyed by its UUID; a checkpoint is a row keyed by mapping and shard."""

from __future__ import annotations

import json
from collections.abc import Sequence

from altus.events.mapping import EventSourceMapping
from altus.events.store import (
    Checkpoint,
    DropCheckpoints,
    DropMapping,
    MappingChange,
    PutCheckpoint,
    PutMapping,
    Snapshot,
)
from altus.store.commit import apply_plans
from altus.store.database import Database, Migration, Schema, Transaction

SCHEMA = Schema(
    "event_source_mappings",
    (
        Migration(
            """
        CREATE TABLE event_source_mappings (
            uuid TEXT PRIMARY KEY,
            mapping TEXT NOT NULL
        );
        CREATE TABLE mapping_checkpoints (
            uuid TEXT NOT NULL REFERENCES event_source_mappings(uuid) ON DELETE CASCADE,
            shard TEXT NOT NULL,
            position TEXT,
            state TEXT NOT NULL DEFAULT '{}',
            PRIMARY KEY (uuid, shard)
        );
        """,
            postgresql="""
        CREATE TABLE event_source_mappings (
            uuid TEXT COLLATE "C" PRIMARY KEY,
            mapping TEXT NOT NULL
        );
        CREATE TABLE mapping_checkpoints (
            uuid TEXT COLLATE "C" NOT NULL
                REFERENCES event_source_mappings(uuid) ON DELETE CASCADE,
            shard TEXT COLLATE "C" NOT NULL,
            position TEXT,
            state TEXT NOT NULL DEFAULT '{}',
            PRIMARY KEY (uuid, shard)
        );
        """,
        ),
    ),
)


class SqlMappingStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def load(self) -> Snapshot:
        def work(tx: Transaction) -> Snapshot:
            mappings = [
                EventSourceMapping.from_json(json.loads(document))
                for (document,) in tx.execute(
                    "SELECT mapping FROM event_source_mappings ORDER BY uuid"
                )
            ]
            checkpoints: dict[str, dict[str, Checkpoint]] = {}
            for uuid, shard, position, state in tx.execute(
                "SELECT uuid, shard, position, state FROM mapping_checkpoints"
            ):
                checkpoints.setdefault(uuid, {})[shard] = Checkpoint(position, json.loads(state))
            return Snapshot(mappings, checkpoints)

        return await self._db.read(work)

    async def apply(self, plans: Sequence[Sequence[MappingChange]]) -> list[Exception | None]:
        return await self._db.write(lambda tx: apply_plans(tx, plans, _apply_all))


def _apply_all(tx: Transaction, changes: Sequence[MappingChange]) -> None:
    for change in changes:
        _apply_one(tx, change)


def _apply_one(tx: Transaction, change: MappingChange) -> None:
    if isinstance(change, PutMapping):
        tx.execute(
            "INSERT INTO event_source_mappings (uuid, mapping) VALUES (?, ?) "
            "ON CONFLICT (uuid) DO UPDATE SET mapping = excluded.mapping",
            (change.mapping.uuid, json.dumps(change.mapping.to_json())),
        )
    elif isinstance(change, DropMapping):
        tx.execute("DELETE FROM mapping_checkpoints WHERE uuid = ?", (change.uuid,))
        tx.execute("DELETE FROM event_source_mappings WHERE uuid = ?", (change.uuid,))
    elif isinstance(change, DropCheckpoints):
        tx.execute("DELETE FROM mapping_checkpoints WHERE uuid = ?", (change.uuid,))
    else:
        assert isinstance(change, PutCheckpoint)
        # Only for a mapping still stored: a poller finishing a batch of a mapping just
        # deleted must not bring a row back.
        tx.execute(
            "INSERT INTO mapping_checkpoints (uuid, shard, position, state) "
            "SELECT ?, ?, ?, ? WHERE EXISTS "
            "(SELECT 1 FROM event_source_mappings WHERE uuid = ?) "
            "ON CONFLICT (uuid, shard) DO UPDATE SET position = excluded.position, "
            "state = excluded.state",
            (
                change.uuid,
                change.shard,
                change.checkpoint.position,
                json.dumps(change.checkpoint.state),
                change.uuid,
            ),
        )

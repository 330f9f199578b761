"""``StackStore`` in SQL, in the main database (the ``cloudformation`` schema).

``cfn_stacks`` has a row per stack: its whole document (``model.Stack.to_json``), with
its name and status beside it for reading; ``cfn_events`` a row per stack event, by stack
and sequence; ``cfn_change_sets`` a row per change set.
"""

from __future__ import annotations

import json
from typing import Any

from altus.cloudformation.model import ChangeSet, Stack, StackEvent
from altus.cloudformation.store import Write
from altus.store.database import Database, Migration, Schema, Transaction

SCHEMA = Schema(
    "cloudformation",
    (
        Migration(
            """
        CREATE TABLE cfn_stacks (
            stack_id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            status TEXT NOT NULL,
            document TEXT NOT NULL
        );
        CREATE TABLE cfn_events (
            stack_id TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            document TEXT NOT NULL,
            PRIMARY KEY (stack_id, sequence)
        );
        CREATE TABLE cfn_change_sets (
            change_set_id TEXT PRIMARY KEY,
            stack_id TEXT NOT NULL,
            document TEXT NOT NULL
        )
        """,
            postgresql="""
        CREATE TABLE cfn_stacks (
            stack_id TEXT COLLATE "C" PRIMARY KEY,
            name TEXT NOT NULL,
            status TEXT NOT NULL,
            document TEXT NOT NULL
        );
        CREATE TABLE cfn_events (
            stack_id TEXT COLLATE "C" NOT NULL,
            sequence BIGINT NOT NULL,
            document TEXT NOT NULL,
            PRIMARY KEY (stack_id, sequence)
        );
        CREATE TABLE cfn_change_sets (
            change_set_id TEXT COLLATE "C" PRIMARY KEY,
            stack_id TEXT NOT NULL,
            document TEXT NOT NULL
        )
        """,
        ),
    ),
)


def _text(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


class SqlStackStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def load(self) -> tuple[list[Stack], list[ChangeSet]]:
        def work(tx: Transaction) -> tuple[list[Stack], list[ChangeSet]]:
            stacks = [
                Stack.from_json(json.loads(row[0]))
                for row in tx.execute("SELECT document FROM cfn_stacks").fetchall()
            ]
            change_sets = [
                ChangeSet.from_json(json.loads(row[0]))
                for row in tx.execute("SELECT document FROM cfn_change_sets").fetchall()
            ]
            return stacks, change_sets

        return await self._db.read(work)

    async def write(self, write: Write) -> None:
        stacks = [(s.stack_id, s.name, s.status, _text(s.to_json())) for s in write.stacks]
        events = [(e.stack_id, e.sequence, _text(e.to_json())) for e in write.events]
        change_sets = [(c.change_set_id, c.stack_id, _text(c.to_json())) for c in write.change_sets]

        def work(tx: Transaction) -> None:
            for purged in write.purged_stacks:
                tx.execute("DELETE FROM cfn_stacks WHERE stack_id = ?", (purged,))
                tx.execute("DELETE FROM cfn_events WHERE stack_id = ?", (purged,))
                tx.execute("DELETE FROM cfn_change_sets WHERE stack_id = ?", (purged,))
            for row in stacks:
                tx.execute(
                    "INSERT INTO cfn_stacks (stack_id, name, status, document) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (stack_id) DO UPDATE SET "
                    "name = excluded.name, status = excluded.status, "
                    "document = excluded.document",
                    row,
                )
            for event_row in events:
                tx.execute(
                    "INSERT INTO cfn_events (stack_id, sequence, document) VALUES (?, ?, ?) "
                    "ON CONFLICT (stack_id, sequence) DO NOTHING",
                    event_row,
                )
            for dropped in write.dropped_change_sets:
                tx.execute("DELETE FROM cfn_change_sets WHERE change_set_id = ?", (dropped,))
            for change_set_row in change_sets:
                tx.execute(
                    "INSERT INTO cfn_change_sets (change_set_id, stack_id, document) "
                    "VALUES (?, ?, ?) ON CONFLICT (change_set_id) DO UPDATE SET "
                    "stack_id = excluded.stack_id, document = excluded.document",
                    change_set_row,
                )

        await self._db.write(work)

    async def events(self, stack_id: str, before: int | None, limit: int) -> list[StackEvent]:
        def work(tx: Transaction) -> list[StackEvent]:
            if before is None:
                rows = tx.execute(
                    "SELECT document FROM cfn_events WHERE stack_id = ? "
                    "ORDER BY sequence DESC LIMIT ?",
                    (stack_id, limit),
                ).fetchall()
            else:
                rows = tx.execute(
                    "SELECT document FROM cfn_events WHERE stack_id = ? AND sequence < ? "
                    "ORDER BY sequence DESC LIMIT ?",
                    (stack_id, before, limit),
                ).fetchall()
            return [StackEvent.from_json(json.loads(row[0])) for row in rows]

        return await self._db.read(work)

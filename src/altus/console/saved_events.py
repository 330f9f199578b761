"""Saved test events: named JSON payloads kept per function, to invoke it with again from
the console (what AWS's console calls private test events). The console's own table in
the main database (schema ``console``), on every store backend.

Kept by function name: a function deleted and made again under its name finds them,
as it does on AWS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from altus.store.database import Database, Migration, Schema, Transaction

SCHEMA = Schema(
    "console",
    (
        Migration(
            """
        CREATE TABLE console_test_events (
            function_name TEXT NOT NULL,
            name TEXT NOT NULL,
            payload TEXT NOT NULL,
            updated_ms BIGINT NOT NULL,
            PRIMARY KEY (function_name, name)
        )
        """
        ),
    ),
)

#: Limits, so that the table stays small: AWS's console allows 10 per function.
MAX_EVENTS = 10
MAX_PAYLOAD = 256 * 1024
MAX_NAME = 25


@dataclass(frozen=True, slots=True)
class SavedEvent:
    function_name: str
    name: str
    payload: str
    updated_ms: int


class TooMany(Exception):
    """The function has ``MAX_EVENTS`` saved events already."""


class SavedEventStore(Protocol):
    async def list(self, function_name: str) -> list[SavedEvent]:
        """The function's events by name."""
        ...

    async def put(self, event: SavedEvent) -> None:
        """Adds the event or replaces the one of its name (committed before it returns).
        TooMany where it would be one more than ``MAX_EVENTS``."""
        ...

    async def delete(self, function_name: str, name: str) -> bool:
        """Whether there was such an event."""
        ...


class SqlSavedEventStore:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def list(self, function_name: str) -> list[SavedEvent]:
        def work(tx: Transaction) -> list[SavedEvent]:
            rows = tx.execute(
                "SELECT function_name, name, payload, updated_ms FROM console_test_events "
                "WHERE function_name = ? ORDER BY name",
                (function_name,),
            )
            return [SavedEvent(*row) for row in rows]

        return await self._db.read(work)

    async def put(self, event: SavedEvent) -> None:
        def work(tx: Transaction) -> None:
            row = tx.execute(
                "SELECT COUNT(*) FROM console_test_events WHERE function_name = ? AND name <> ?",
                (event.function_name, event.name),
            ).fetchone()
            if row[0] >= MAX_EVENTS:
                raise TooMany(f"A function keeps at most {MAX_EVENTS} saved test events.")
            tx.execute(
                "INSERT INTO console_test_events (function_name, name, payload, updated_ms) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (function_name, name) DO UPDATE SET "
                "payload = excluded.payload, updated_ms = excluded.updated_ms",
                (event.function_name, event.name, event.payload, event.updated_ms),
            )

        await self._db.write(work)

    async def delete(self, function_name: str, name: str) -> bool:
        def work(tx: Transaction) -> bool:
            cursor = tx.execute(
                "DELETE FROM console_test_events WHERE function_name = ? AND name = ?",
                (function_name, name),
            )
            return cursor.rowcount > 0

        return await self._db.write(work)

"""``RecordStore`` in SQL, in the main database (the ``apigatewayv2`` schema): one row
per record, its body as JSON beside its key (a record is a few hundred bytes; a
deployment, a snapshot of its API, a few kilobytes)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from altus.apigatewayv2.model import Change, Drop, DropApi, Put, Record, Snapshot
from altus.store.database import Database, Migration, Schema, Transaction

SCHEMA = Schema(
    "apigatewayv2",
    (
        Migration(
            """
        CREATE TABLE apigatewayv2_records (
            api_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            id TEXT NOT NULL,
            body TEXT NOT NULL,
            PRIMARY KEY (api_id, kind, id)
        )
        """,
            postgresql="""
        CREATE TABLE apigatewayv2_records (
            api_id TEXT COLLATE "C" NOT NULL,
            kind TEXT COLLATE "C" NOT NULL,
            id TEXT COLLATE "C" NOT NULL,
            body TEXT NOT NULL,
            PRIMARY KEY (api_id, kind, id)
        )
        """,
        ),
    ),
)


def _apply_one(tx: Transaction, change: Change) -> None:
    match change:
        case Put(record):
            body = json.dumps(record.body, separators=(",", ":"), ensure_ascii=False)
            tx.execute(
                "INSERT INTO apigatewayv2_records (api_id, kind, id, body) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (api_id, kind, id) DO UPDATE SET body = excluded.body",
                (record.api_id, record.kind, record.id, body),
            )
        case Drop(kind, api_id, ident):
            tx.execute(
                "DELETE FROM apigatewayv2_records WHERE api_id = ? AND kind = ? AND id = ?",
                (api_id, kind, ident),
            )
        case DropApi(api_id):
            tx.execute("DELETE FROM apigatewayv2_records WHERE api_id = ?", (api_id,))
        case _:
            raise TypeError(f"not a change: {change!r}")


class SqlRecordStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def load(self) -> Snapshot:
        def work(tx: Transaction) -> Snapshot:
            rows = tx.execute(
                "SELECT api_id, kind, id, body FROM apigatewayv2_records ORDER BY api_id, kind, id"
            )
            return Snapshot([Record(r[1], r[0], r[2], json.loads(r[3])) for r in rows])

        return await self._db.read(work)

    async def apply(self, plan: Sequence[Change]) -> None:
        changes = list(plan)

        def work(tx: Transaction) -> None:
            for change in changes:
                _apply_one(tx, change)

        await self._db.write(work)

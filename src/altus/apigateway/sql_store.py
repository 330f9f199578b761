"""``GatewayStore`` in SQL, in the main database (the ``apigateway`` schema): a row per
document (its JSON beside its kind and id) and a row per (plan, key, day) count."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from altus.apigateway.model import KEY, PLAN, Change, Count, Drop, Forget, Put, Snapshot
from altus.store.database import Database, Migration, Schema, Transaction

SCHEMA = Schema(
    "apigateway",
    (
        Migration(
            """
        CREATE TABLE apigateway_docs (
            kind TEXT NOT NULL,
            id TEXT NOT NULL,
            body TEXT NOT NULL,
            PRIMARY KEY (kind, id)
        );
        CREATE TABLE apigateway_usage (
            plan_id TEXT NOT NULL,
            key_id TEXT NOT NULL,
            day TEXT NOT NULL,
            used INTEGER NOT NULL,
            PRIMARY KEY (plan_id, key_id, day)
        )
        """,
            postgresql="""
        CREATE TABLE apigateway_docs (
            kind TEXT COLLATE "C" NOT NULL,
            id TEXT COLLATE "C" NOT NULL,
            body TEXT NOT NULL,
            PRIMARY KEY (kind, id)
        );
        CREATE TABLE apigateway_usage (
            plan_id TEXT COLLATE "C" NOT NULL,
            key_id TEXT COLLATE "C" NOT NULL,
            day TEXT COLLATE "C" NOT NULL,
            used BIGINT NOT NULL,
            PRIMARY KEY (plan_id, key_id, day)
        )
        """,
        ),
    ),
)


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def _apply_one(tx: Transaction, change: Change) -> None:
    match change:
        case Put(kind, id, doc):
            tx.execute(
                "INSERT INTO apigateway_docs (kind, id, body) VALUES (?, ?, ?) "
                "ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body",
                (kind, id, _compact(doc)),
            )
        case Drop(kind, id):
            tx.execute("DELETE FROM apigateway_docs WHERE kind = ? AND id = ?", (kind, id))
            if kind == PLAN:
                tx.execute("DELETE FROM apigateway_usage WHERE plan_id = ?", (id,))
            elif kind == KEY:
                tx.execute("DELETE FROM apigateway_usage WHERE key_id = ?", (id,))
        case Count(plan_id, key_id, day, used):
            tx.execute(
                "INSERT INTO apigateway_usage (plan_id, key_id, day, used) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (plan_id, key_id, day) DO UPDATE SET used = excluded.used",
                (plan_id, key_id, day, used),
            )
        case Forget(before):
            tx.execute("DELETE FROM apigateway_usage WHERE day < ?", (before,))
        case _:
            raise TypeError(f"not an API Gateway change: {change!r}")


class SqlGatewayStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def load(self) -> Snapshot:
        def work(tx: Transaction) -> Snapshot:
            snapshot = Snapshot()
            for kind, id, body in tx.execute(
                "SELECT kind, id, body FROM apigateway_docs ORDER BY kind, id"
            ):
                snapshot.docs.setdefault(str(kind), {})[str(id)] = json.loads(body)
            for plan_id, key_id, day, used in tx.execute(
                "SELECT plan_id, key_id, day, used FROM apigateway_usage"
            ):
                snapshot.counts[(str(plan_id), str(key_id), str(day))] = int(used)
            return snapshot

        return await self._db.read(work)

    async def apply(self, plan: Sequence[Change]) -> None:
        changes = list(plan)

        def work(tx: Transaction) -> None:
            for change in changes:
                _apply_one(tx, change)

        await self._db.write(work)

"""The tuning store (``tuning_store.TuningStore``) in SQL, and its schema: one row per
job, the columns it is found and ordered by, the rest (request, results, best sizes) as
a JSON document."""

from __future__ import annotations

import json
from typing import Any

from altus.awslambda.tuning_model import FAILED, RUNNING, Tuning
from altus.store.database import Database, Migration, Schema, Transaction

SCHEMA = Schema(
    "tunings",
    (
        Migration(
            """
        CREATE TABLE tunings (
            id TEXT PRIMARY KEY,
            function TEXT NOT NULL,
            qualifier TEXT NOT NULL,
            status TEXT NOT NULL,
            started_ms INTEGER NOT NULL,
            ended_ms INTEGER,
            document TEXT NOT NULL
        );
        CREATE INDEX tunings_started ON tunings (started_ms);
        """,
            postgresql="""
        CREATE TABLE tunings (
            id TEXT COLLATE "C" PRIMARY KEY,
            function TEXT NOT NULL,
            qualifier TEXT NOT NULL,
            status TEXT NOT NULL,
            started_ms BIGINT NOT NULL,
            ended_ms BIGINT,
            document TEXT NOT NULL
        );
        CREATE INDEX tunings_started ON tunings (started_ms);
        """,
        ),
    ),
)

_COLUMNS = "id, function, qualifier, status, started_ms, ended_ms, document"


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * 1000)


def _tuning(row: Any) -> Tuning:
    tuning_id, function, qualifier, status, started_ms, ended_ms, document = row
    return Tuning.from_record(
        tuning_id,
        function,
        qualifier,
        status,
        started_ms / 1000,
        None if ended_ms is None else ended_ms / 1000,
        json.loads(document),
    )


class SqlTuningStore:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def put(self, tuning: Tuning) -> None:
        row = (
            tuning.tuning_id,
            tuning.function,
            tuning.qualifier,
            tuning.status,
            _ms(tuning.started),
            _ms(tuning.ended),
            json.dumps(tuning.to_record()),
        )

        def work(tx: Transaction) -> None:
            tx.execute(
                f"INSERT INTO tunings ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET function = excluded.function, "
                "qualifier = excluded.qualifier, status = excluded.status, "
                "started_ms = excluded.started_ms, ended_ms = excluded.ended_ms, "
                "document = excluded.document",
                row,
            )

        await self._db.write(work)

    async def get(self, tuning_id: str) -> Tuning | None:
        def work(tx: Transaction) -> Tuning | None:
            row = tx.execute(
                f"SELECT {_COLUMNS} FROM tunings WHERE id = ?", (tuning_id,)
            ).fetchone()
            return None if row is None else _tuning(row)

        return await self._db.read(work)

    async def list(self, function: str | None = None, limit: int = 1000) -> list[Tuning]:
        def work(tx: Transaction) -> list[Tuning]:
            if function is None:
                rows = tx.execute(
                    f"SELECT {_COLUMNS} FROM tunings ORDER BY started_ms DESC, id DESC LIMIT ?",
                    (limit,),
                )
            else:
                rows = tx.execute(
                    f"SELECT {_COLUMNS} FROM tunings WHERE function = ? "
                    "ORDER BY started_ms DESC, id DESC LIMIT ?",
                    (function, limit),
                )
            return [_tuning(row) for row in rows.fetchall()]

        return await self._db.read(work)

    async def fail_running(self, error: str, ended: float) -> int:
        def work(tx: Transaction) -> int:
            rows = tx.execute(
                f"SELECT {_COLUMNS} FROM tunings WHERE status = ?", (RUNNING,)
            ).fetchall()
            for row in rows:
                failed = _tuning(row).replace(status=FAILED, error=error, ended=ended)
                tx.execute(
                    "UPDATE tunings SET status = ?, ended_ms = ?, document = ? WHERE id = ?",
                    (FAILED, _ms(ended), json.dumps(failed.to_record()), failed.tuning_id),
                )
            return len(rows)

        return await self._db.write(work)

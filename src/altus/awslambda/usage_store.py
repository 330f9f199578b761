"""Where metered Lambda usage is kept: per hour and per (function, version, architecture,
memory, ephemeral storage, provisioned), summed as the meter writes it.

``UsageStore`` is the interface; ``SqlUsageStore`` implements it on any ``altus.store``
database (its own schema, ``usage``, in the main database). Rows are never deleted: they
are the cost history (one row per function version and hour it ran).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from altus.observe.billing import UsageRow
from altus.store.database import Database, Migration, Schema, Transaction

SCHEMA = Schema(
    "usage",
    (
        Migration(
            """
        CREATE TABLE lambda_usage (
            hour INTEGER NOT NULL,
            function TEXT NOT NULL,
            version TEXT NOT NULL,
            architecture TEXT NOT NULL,
            memory_mb INTEGER NOT NULL,
            ephemeral_mb INTEGER NOT NULL,
            provisioned INTEGER NOT NULL,
            requests INTEGER NOT NULL DEFAULT 0,
            billed_ms INTEGER NOT NULL DEFAULT 0,
            gb_seconds REAL NOT NULL DEFAULT 0,
            ephemeral_gb_seconds REAL NOT NULL DEFAULT 0,
            provisioned_gb_seconds REAL NOT NULL DEFAULT 0,
            PRIMARY KEY (hour, function, version, architecture, memory_mb, ephemeral_mb,
                         provisioned)
        );
        """,
            postgresql="""
        CREATE TABLE lambda_usage (
            hour BIGINT NOT NULL,
            function TEXT COLLATE "C" NOT NULL,
            version TEXT COLLATE "C" NOT NULL,
            architecture TEXT NOT NULL,
            memory_mb INTEGER NOT NULL,
            ephemeral_mb INTEGER NOT NULL,
            provisioned INTEGER NOT NULL,
            requests BIGINT NOT NULL DEFAULT 0,
            billed_ms BIGINT NOT NULL DEFAULT 0,
            gb_seconds DOUBLE PRECISION NOT NULL DEFAULT 0,
            ephemeral_gb_seconds DOUBLE PRECISION NOT NULL DEFAULT 0,
            provisioned_gb_seconds DOUBLE PRECISION NOT NULL DEFAULT 0,
            PRIMARY KEY (hour, function, version, architecture, memory_mb, ephemeral_mb,
                         provisioned)
        );
        """,
        ),
    ),
)

_KEY = "hour, function, version, architecture, memory_mb, ephemeral_mb, provisioned"
_COLUMNS = f"{_KEY}, requests, billed_ms, gb_seconds, ephemeral_gb_seconds, provisioned_gb_seconds"


class UsageStore(Protocol):
    """Every method is a coroutine whose work runs off the event loop; each raises
    ``altus.store.database.DatabaseError`` when the database fails (nothing written)."""

    async def add(self, rows: Sequence[UsageRow]) -> None:
        """Add the rows' amounts to those stored under the same key (hour, function,
        version, architecture, memory, ephemeral storage, provisioned), or store them;
        all rows in one transaction."""
        ...

    async def usage(
        self, since_hour: int, until: int, function: str | None = None
    ) -> list[UsageRow]:
        """Rows of the hours in ``[since_hour, until)`` (epoch seconds), of one function
        or all, in key order (hour first)."""
        ...


class SqlUsageStore:
    """``UsageStore`` on one database."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def add(self, rows: Sequence[UsageRow]) -> None:
        if not rows:
            return

        def work(tx: Transaction) -> None:
            tx.executemany(
                f"INSERT INTO lambda_usage ({_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                f"ON CONFLICT ({_KEY}) DO UPDATE SET "
                "requests = lambda_usage.requests + excluded.requests, "
                "billed_ms = lambda_usage.billed_ms + excluded.billed_ms, "
                "gb_seconds = lambda_usage.gb_seconds + excluded.gb_seconds, "
                "ephemeral_gb_seconds = "
                "lambda_usage.ephemeral_gb_seconds + excluded.ephemeral_gb_seconds, "
                "provisioned_gb_seconds = "
                "lambda_usage.provisioned_gb_seconds + excluded.provisioned_gb_seconds",
                [
                    (
                        r.hour,
                        r.function,
                        r.version,
                        r.architecture,
                        r.memory_mb,
                        r.ephemeral_mb,
                        1 if r.provisioned else 0,
                        r.requests,
                        r.billed_ms,
                        r.gb_seconds,
                        r.ephemeral_gb_seconds,
                        r.provisioned_gb_seconds,
                    )
                    for r in rows
                ],
            )

        await self._db.write(work)

    async def usage(
        self, since_hour: int, until: int, function: str | None = None
    ) -> list[UsageRow]:
        def work(tx: Transaction) -> list[UsageRow]:
            sql = f"SELECT {_COLUMNS} FROM lambda_usage WHERE hour >= ? AND hour < ?"
            params: list[object] = [since_hour, until]
            if function is not None:
                sql += " AND function = ?"
                params.append(function)
            rows = tx.execute(sql + f" ORDER BY {_KEY}", params).fetchall()
            return [
                UsageRow(
                    hour=int(r[0]),
                    function=r[1],
                    version=r[2],
                    architecture=r[3],
                    memory_mb=int(r[4]),
                    ephemeral_mb=int(r[5]),
                    provisioned=bool(r[6]),
                    requests=int(r[7]),
                    billed_ms=int(r[8]),
                    gb_seconds=float(r[9]),
                    ephemeral_gb_seconds=float(r[10]),
                    provisioned_gb_seconds=float(r[11]),
                )
                for r in rows
            ]

        return await self._db.read(work)

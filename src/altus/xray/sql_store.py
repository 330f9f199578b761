"""``TraceStore`` in SQL, on a database of its own where the backend has several
(SQLite: ``traces.db`` beside ``altus.db``, written with ``synchronous=NORMAL``: segment
traffic never queues behind configuration writes; a power cut may lose the last moments
of traces, never configuration)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence

from altus.store.bursts import BurstWriter
from altus.store.database import Database, Migration, Schema, Transaction
from altus.xray.segments import SegmentRow

log = logging.getLogger(__name__)

SCHEMA = Schema(
    "xray",
    (
        Migration(
            """
        CREATE TABLE xray_segments (
            trace_id TEXT NOT NULL,
            id TEXT NOT NULL,
            start_us INTEGER NOT NULL,
            end_us INTEGER,
            request_id TEXT,
            received_ms INTEGER NOT NULL,
            document TEXT NOT NULL,
            PRIMARY KEY (trace_id, id)
        );
        CREATE INDEX xray_segments_start ON xray_segments (start_us);
        CREATE INDEX xray_segments_request ON xray_segments (request_id);
        CREATE INDEX xray_segments_received ON xray_segments (received_ms);
        """,
            postgresql="""
        CREATE TABLE xray_segments (
            trace_id TEXT COLLATE "C" NOT NULL,
            id TEXT COLLATE "C" NOT NULL,
            start_us BIGINT NOT NULL,
            end_us BIGINT,
            request_id TEXT COLLATE "C",
            received_ms BIGINT NOT NULL,
            document TEXT NOT NULL,
            PRIMARY KEY (trace_id, id)
        );
        CREATE INDEX xray_segments_start ON xray_segments (start_us);
        CREATE INDEX xray_segments_request ON xray_segments (request_id);
        CREATE INDEX xray_segments_received ON xray_segments (received_ms);
        """,
        ),
    ),
)

#: How long appended rows gather before they are written: a burst of invocations costs
#: one transaction.
_LINGER = 0.05
#: Most rows one background write takes.
_BURST = 2000
#: Most rows waiting to be written; past it new ones are dropped (and counted), so a
#: flood of datagrams cannot grow memory without bound.
_MAX_WAITING = 50_000
#: How long ``close`` lets the write under way finish before it cuts it off.
_CLOSE_GRACE = 10.0
#: Most trace ids one ``IN (...)`` names (SQLite's old limit on parameters is 999).
_IDS_PER_QUERY = 500


def _write(tx: Transaction, rows: Sequence[tuple[SegmentRow, int]]) -> None:
    """Insert or replace ``rows`` (each with when it was received)."""
    tx.executemany(
        "INSERT INTO xray_segments (trace_id, id, start_us, end_us, request_id, "
        "received_ms, document) VALUES (?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (trace_id, id) DO UPDATE SET start_us = excluded.start_us, "
        "end_us = excluded.end_us, request_id = excluded.request_id, "
        "received_ms = excluded.received_ms, document = excluded.document",
        [(r.trace_id, r.id, r.start_us, r.end_us, r.request_id, at, r.document) for r, at in rows],
    )


class SqlTraceStore:
    def __init__(self, database: Database) -> None:
        self._db = database
        self._bursts: BurstWriter[tuple[SegmentRow, int]] = BurstWriter(
            self._write_batch,
            what="trace segments",
            burst=_BURST,
            linger=_LINGER,
            max_items=_MAX_WAITING,
        )
        #: Rows the database refused.
        self._refused = 0

    @property
    def dropped(self) -> int:
        """Rows dropped: too many waited, or the database refused them."""
        return self._bursts.dropped + self._refused

    async def start(self) -> None:
        await self._bursts.start()

    async def close(self) -> None:
        await self._bursts.close(_CLOSE_GRACE)

    async def put(self, rows: Sequence[SegmentRow], now_ms: int) -> None:
        await self._db.write(lambda tx: _write(tx, [(row, now_ms) for row in rows]))

    def append(self, rows: Sequence[SegmentRow], now_ms: int) -> None:
        for row in rows:
            self._bursts.append((row, now_ms))

    async def flush(self) -> None:
        await self._bursts.flush()

    async def _write_batch(self, batch: list[tuple[SegmentRow, int]]) -> None:
        """One transaction; where it fails, each row on its own, so one row the
        database refuses costs that row (counted), not its batch."""
        try:
            await self._db.write(functools.partial(_write, rows=batch))
            return
        except Exception as error:
            failure = error
        lost = len(batch)
        if len(batch) > 1:
            lost = 0
            for one in batch:
                try:
                    await self._db.write(functools.partial(_write, rows=[one]))
                except Exception as error:
                    lost, failure = lost + 1, error
        if lost:
            self._refused += lost
            log.warning("%d trace segments could not be written (%s); dropped", lost, failure)

    async def documents(self, trace_ids: Sequence[str]) -> dict[str, list[str]]:
        wanted = list(dict.fromkeys(trace_ids))
        if not wanted:
            return {}

        def work(tx: Transaction) -> dict[str, list[str]]:
            found: dict[str, list[str]] = {}
            for at in range(0, len(wanted), _IDS_PER_QUERY):
                chunk = wanted[at : at + _IDS_PER_QUERY]
                marks = ", ".join("?" for _ in chunk)
                for trace_id, document in tx.execute(
                    f"SELECT trace_id, document FROM xray_segments WHERE trace_id IN ({marks}) "
                    "ORDER BY trace_id, start_us, id",
                    chunk,
                ):
                    found.setdefault(trace_id, []).append(document)
            return found

        return await self._db.read(work)

    async def traces_between(
        self, start_us: int, end_us: int, limit: int, after: tuple[int, str] | None = None
    ) -> list[tuple[int, str]]:
        def work(tx: Transaction) -> list[tuple[int, str]]:
            # Keyset paging: the traces after ``after`` in (first start, id) order.
            first_us, trace_id = after if after is not None else (start_us - 1, "")
            rows = tx.execute(
                "SELECT MIN(start_us) AS first, trace_id FROM xray_segments "
                "WHERE start_us >= ? AND start_us <= ? GROUP BY trace_id "
                "HAVING MIN(start_us) > ? OR (MIN(start_us) = ? AND trace_id > ?) "
                "ORDER BY first, trace_id LIMIT ?",
                (start_us, end_us, first_us, first_us, trace_id, limit),
            )
            return [(int(row[0]), str(row[1])) for row in rows]

        return await self._db.read(work)

    async def trace_of_request(self, request_id: str) -> str | None:
        def work(tx: Transaction) -> str | None:
            row = tx.execute(
                "SELECT trace_id FROM xray_segments WHERE request_id = ? ORDER BY start_us LIMIT 1",
                (request_id,),
            ).fetchone()
            return None if row is None else str(row[0])

        return await self._db.read(work)

    async def prune(self, before_ms: int) -> int:
        def work(tx: Transaction) -> int:
            return tx.execute(
                "DELETE FROM xray_segments WHERE received_ms < ?", (before_ms,)
            ).rowcount

        return await self._db.write(work)

"""``RecordingStore`` in SQL, on a database of its own where the backend has several
(SQLite: ``recordings.db`` beside ``altus.db``, written with ``synchronous=NORMAL``):
recording traffic never queues behind configuration writes."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import cbor2

from altus.awslambda.recording_store import Oldest, Recording, Summary
from altus.store.database import Database, Migration, Schema, Transaction
from altus.store.text import storable

# Two tables, both keyed by their ``seq`` alone, so that a burst of rows only appends to
# their B-trees: an index on the (random) request id cost about 12 µs of CPU per
# recording on SQLite (each row dirtied a page of its own), more than half of what it
# spent. A request id is found by scanning the narrow table newest first instead:
# at once for a recent invocation, some milliseconds for one near the end of retention.
# ``seq`` is given by ``add`` from a counter row (``recording_counter``) that the
# transaction advances first: its row lock orders two servers writing one PostgreSQL
# database, and a ``seq`` is never used twice, not even after every row was deleted (a
# page token of an emptied list stays a page token of nothing).
#
# The bodies (event, result, log...) of consecutive recordings are stored together, one
# CBOR array per chunk of up to ``_CHUNK_BYTES`` (``recording_chunks``, keyed by its
# first ``seq``): a row per body cost about 2 µs of CPU a recording more, a fifth of
# the writes (``bench/observe_parts.py --baseline-store``). Reading one body decodes its
# chunk (a fraction of a millisecond); retention deletes a chunk with the last recording
# it holds.
SCHEMA = Schema(
    "recordings",
    (
        Migration(
            """
        CREATE TABLE recordings (
            seq INTEGER PRIMARY KEY,
            request_id TEXT NOT NULL,
            function TEXT NOT NULL,
            qualifier TEXT NOT NULL,
            executed_version TEXT NOT NULL,
            started REAL NOT NULL,
            duration_ms REAL,
            billed_ms INTEGER,
            function_error TEXT,
            error_type TEXT,
            size INTEGER NOT NULL
        );
        CREATE TABLE recording_bodies (
            seq INTEGER PRIMARY KEY,
            event BLOB NOT NULL,
            client_context TEXT,
            trace_id TEXT NOT NULL,
            result BLOB NOT NULL,
            content_type TEXT,
            memory_size INTEGER,
            max_memory_used INTEGER,
            init_duration_ms REAL,
            log TEXT NOT NULL
        )
        """,
            postgresql="""
        CREATE TABLE recordings (
            seq BIGINT PRIMARY KEY,
            request_id TEXT COLLATE "C" NOT NULL,
            function TEXT COLLATE "C" NOT NULL,
            qualifier TEXT NOT NULL,
            executed_version TEXT NOT NULL,
            started DOUBLE PRECISION NOT NULL,
            duration_ms DOUBLE PRECISION,
            billed_ms BIGINT,
            function_error TEXT,
            error_type TEXT,
            size BIGINT NOT NULL
        );
        CREATE TABLE recording_bodies (
            seq BIGINT PRIMARY KEY,
            event BYTEA NOT NULL,
            client_context TEXT,
            trace_id TEXT NOT NULL,
            result BYTEA NOT NULL,
            content_type TEXT,
            memory_size INTEGER,
            max_memory_used INTEGER,
            init_duration_ms DOUBLE PRECISION,
            log TEXT NOT NULL
        )
        """,
        ),
        Migration(
            """
        ALTER TABLE recording_bodies ADD COLUMN streamed_bytes INTEGER;
        CREATE TABLE recording_counter (id INTEGER PRIMARY KEY, last INTEGER NOT NULL);
        INSERT INTO recording_counter (id, last) SELECT 1, COALESCE(MAX(seq), 0) FROM recordings
        """,
            postgresql="""
        ALTER TABLE recording_bodies ADD COLUMN streamed_bytes BIGINT;
        CREATE TABLE recording_counter (id INTEGER PRIMARY KEY, last BIGINT NOT NULL);
        INSERT INTO recording_counter (id, last) SELECT 1, COALESCE(MAX(seq), 0) FROM recordings
        """,
        ),
        # Bodies by chunks (above). The recordings kept a row each are let go: replay's
        # history, not configuration, and a few hours of it at most.
        Migration(
            """
        DELETE FROM recordings;
        DROP TABLE recording_bodies;
        CREATE TABLE recording_chunks (
            first INTEGER PRIMARY KEY,
            last INTEGER NOT NULL,
            bodies BLOB NOT NULL
        )
        """,
            postgresql="""
        DELETE FROM recordings;
        DROP TABLE recording_bodies;
        CREATE TABLE recording_chunks (
            first BIGINT PRIMARY KEY,
            last BIGINT NOT NULL,
            bodies BYTEA NOT NULL
        )
        """,
        ),
    ),
)

_SUMMARY = (
    "seq, request_id, function, qualifier, executed_version, started, duration_ms, "
    "billed_ms, function_error, error_type"
)
#: The most parameters one statement binds (SQLite's limit before 3.32).
_MAX_PARAMETERS = 999
#: A chunk of bodies is closed once it holds this many bytes (of events, results and
#: logs): reading one recording decodes at most about this much besides its own.
_CHUNK_BYTES = 1024 * 1024
#: The fields of a body in its chunk, in order.
_EVENT, _CONTEXT, _TRACE, _RESULT, _TYPE, _MEMORY, _USED, _INIT, _LOG, _STREAMED = range(10)


@functools.lru_cache(maxsize=16)
def _insert(table: str, columns: str, width: int, rows: int) -> str:
    row = f"({', '.join('?' * width)})"
    return f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * rows)}"


def _insert_all(tx: Transaction, table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
    """Insert ``rows`` with as few statements as the parameter limit allows (a burst of
    500 in a dozen): the driver lets go of the GIL around each statement it steps, and
    on a server busy invoking each let-go is a hand-off to the event loop's thread and
    back; executemany would step once per row."""
    width = len(rows[0])
    per = _MAX_PARAMETERS // width
    for start in range(0, len(rows), per):
        chunk = rows[start : start + per]
        tx.execute(_insert(table, columns, width, len(chunk)), [v for row in chunk for v in row])


def _summary_row(seq: int, r: Recording, size: int) -> tuple[Any, ...]:
    return (
        seq,
        r.request_id,
        r.function,
        r.qualifier,
        r.executed_version,
        r.started,
        r.duration_ms,
        r.billed_ms,
        r.function_error,
        # A function's own words: PostgreSQL's text takes no NUL, no codec a lone
        # surrogate (``altus.store.text``).
        storable(r.error_type) if r.error_type else r.error_type,
        size,
    )


def _body(r: Recording) -> list[Any]:
    # bytes(): CBOR would write another buffer (a memoryview) as an array of integers.
    return [
        bytes(r.event),
        # A function's and a caller's words: no codec takes a lone surrogate, CBOR's
        # neither (``altus.store.text``).
        storable(r.client_context) if r.client_context else r.client_context,
        r.trace_id,
        bytes(r.result),
        r.content_type,
        r.memory_size_mb,
        r.max_memory_used_mb,
        r.init_duration_ms,
        # Lines, not a list: a message of several lines is lines.
        storable("\n".join(r.log)),
        r.streamed_bytes,
    ]


def _chunks(first: int, given: list[Recording], sizes: list[int]) -> list[tuple[int, int, bytes]]:
    """The chunk rows of ``given`` (numbered from ``first``, of ``sizes``): (first, last,
    bodies)."""
    rows: list[tuple[int, int, bytes]] = []
    bodies: list[list[Any]] = []
    held = 0
    start = first
    for seq, recording, size in zip(range(first, first + len(given)), given, sizes, strict=True):
        bodies.append(_body(recording))
        # Events, results and logs are most of a body (the figures a few bytes).
        held += size
        if held >= _CHUNK_BYTES:
            rows.append((start, seq, cbor2.dumps(bodies)))
            bodies, held, start = [], 0, seq + 1
    if bodies:
        rows.append((start, first + len(given) - 1, cbor2.dumps(bodies)))
    return rows


def _summary(row: Sequence[Any]) -> Summary:
    return Summary(
        int(row[0]),
        row[1],
        row[2],
        row[3],
        row[4],
        float(row[5]),
        row[6],
        row[7],
        row[8],
        row[9],
    )


def _decode(chunk: bytes | memoryview) -> list[list[Any]]:
    bodies: list[list[Any]] = cbor2.loads(bytes(chunk))
    return bodies


def _recording(summary: Summary, body: Sequence[Any]) -> Recording:
    log = body[_LOG]
    return Recording(
        request_id=summary.request_id,
        function=summary.function,
        qualifier=summary.qualifier,
        executed_version=summary.executed_version,
        started=summary.started,
        event=bytes(body[_EVENT]),
        client_context=body[_CONTEXT],
        trace_id=body[_TRACE],
        result=bytes(body[_RESULT]),
        content_type=body[_TYPE],
        function_error=summary.function_error,
        error_type=summary.error_type,
        duration_ms=summary.duration_ms,
        billed_ms=summary.billed_ms,
        memory_size_mb=body[_MEMORY],
        max_memory_used_mb=body[_USED],
        init_duration_ms=body[_INIT],
        log=tuple(log.split("\n")) if log else (),
        seq=summary.seq,
        streamed_bytes=body[_STREAMED],
    )


class SqlRecordingStore:
    """``RecordingStore`` on one database."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def add(self, recordings: Sequence[Recording]) -> None:
        if not recordings:
            return
        given = list(recordings)

        def work(tx: Transaction) -> None:
            # Serialised here, on the database's thread, not on the event loop.
            tx.execute("UPDATE recording_counter SET last = last + ? WHERE id = 1", (len(given),))
            last = int(tx.execute("SELECT last FROM recording_counter WHERE id = 1").fetchone()[0])
            seqs = range(last - len(given) + 1, last + 1)
            sizes = [r.size for r in given]
            summaries = list(map(_summary_row, seqs, given, sizes))
            _insert_all(tx, "recordings", f"{_SUMMARY}, size", summaries)
            chunks = _chunks(seqs[0], given, sizes)
            _insert_all(tx, "recording_chunks", "first, last, bodies", chunks)

        await self._db.write(work)

    async def recent(
        self, function: str | None = None, limit: int = 50, before: int | None = None
    ) -> list[Summary]:
        sql = f"SELECT {_SUMMARY} FROM recordings WHERE 1 = 1"
        params: list[Any] = []
        if function is not None:
            sql += " AND function = ?"
            params.append(function)
        if before is not None:
            sql += " AND seq < ?"
            params.append(before)
        sql += " ORDER BY seq DESC LIMIT ?"
        params.append(limit)

        def work(tx: Transaction) -> list[Summary]:
            return [_summary(r) for r in tx.execute(sql, params)]

        return await self._db.read(work)

    async def get(self, request_id: str) -> Recording | None:
        def work(tx: Transaction) -> Recording | None:
            # No index on the request id (above): newest first, the scan ends at once
            # for the recent invocations people replay.
            row = tx.execute(
                f"SELECT {_SUMMARY} FROM recordings WHERE request_id = ? ORDER BY seq DESC LIMIT 1",
                (request_id,),
            ).fetchone()
            if row is None:
                return None
            summary = _summary(row)
            chunk = tx.execute(
                "SELECT first, bodies FROM recording_chunks WHERE first <= ? AND last >= ?"
                " ORDER BY first DESC LIMIT 1",
                (summary.seq, summary.seq),
            ).fetchone()
            if chunk is None:
                return None
            bodies = _decode(chunk[1])
            index = summary.seq - int(chunk[0])
            return _recording(summary, bodies[index]) if index < len(bodies) else None

        return await self._db.read(work)

    async def total_bytes(self) -> int:
        def work(tx: Transaction) -> int:
            row = tx.execute("SELECT COALESCE(SUM(size), 0) FROM recordings").fetchone()
            return int(row[0])

        return await self._db.read(work)

    async def oldest(self, limit: int) -> list[Oldest]:
        def work(tx: Transaction) -> list[Oldest]:
            rows = tx.execute(
                "SELECT seq, size, started FROM recordings ORDER BY seq LIMIT ?", (limit,)
            ).fetchall()
            return [Oldest(int(r[0]), int(r[1]), float(r[2])) for r in rows]

        return await self._db.read(work)

    async def delete_through(self, seq: int) -> int:
        def work(tx: Transaction) -> int:
            # A chunk goes with the last recording it holds (until then, its earlier
            # bodies are unreachable: their summaries are gone).
            # (``first`` as well: its key bounds the scan; ``last`` has no index.)
            tx.execute("DELETE FROM recording_chunks WHERE first <= ? AND last <= ?", (seq, seq))
            return int(tx.execute("DELETE FROM recordings WHERE seq <= ?", (seq,)).rowcount)

        return await self._db.write(work)

"""The asynchronous invoker's durable state: accepted Event invokes, and the outbox of
destination and dead-letter records their ends send on.

``EventQueue`` is the interface; ``SqlEventQueue`` implements it on any ``altus.store``
database. Events are written before the 202 is sent, an event's end and its records in
one transaction, so a crash leaves an event (to be run again) or its records, never
neither.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from altus.store.database import Database, Migration, Schema, Transaction

SCHEMA = Schema(
    "async",
    (
        Migration(
            """
        CREATE TABLE async_events (
            id TEXT PRIMARY KEY,
            function TEXT NOT NULL,
            qualifier TEXT,
            payload BLOB NOT NULL,
            received_ms INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            extra TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX async_events_received ON async_events (received_ms);
        """,
            postgresql="""
        CREATE TABLE async_events (
            id TEXT COLLATE "C" PRIMARY KEY,
            function TEXT NOT NULL,
            qualifier TEXT,
            payload BYTEA NOT NULL,
            received_ms BIGINT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            extra TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX async_events_received ON async_events (received_ms);
        """,
        ),
        # Records for destinations and dead-letter queues: written in the transaction that
        # finishes their event, deleted once their target has them, parked after many tries.
        Migration(
            """
        CREATE TABLE async_outbox (
            id TEXT PRIMARY KEY,
            event_id TEXT NOT NULL,
            function TEXT NOT NULL,
            kind TEXT NOT NULL,
            target TEXT NOT NULL,
            body TEXT NOT NULL,
            attributes TEXT NOT NULL DEFAULT '{}',
            created_ms INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            parked_ms INTEGER,
            last_error TEXT
        );
        """,
            postgresql="""
        CREATE TABLE async_outbox (
            id TEXT COLLATE "C" PRIMARY KEY,
            event_id TEXT NOT NULL,
            function TEXT NOT NULL,
            kind TEXT NOT NULL,
            target TEXT NOT NULL,
            body TEXT NOT NULL,
            attributes TEXT NOT NULL DEFAULT '{}',
            created_ms BIGINT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            parked_ms BIGINT,
            last_error TEXT
        );
        """,
        ),
        # The X-Ray trace header of the event a record ends: its target carries it on.
        Migration("ALTER TABLE async_outbox ADD COLUMN trace TEXT"),
    ),
)


@dataclass(frozen=True, slots=True)
class QueuedEvent:
    """An accepted asynchronous invoke, stored before the 202 is sent.

    ``attempts`` counts the function's runs that failed; ``extra`` keeps what a retry
    needs after a restart (``due_ms``: not before; ``last``: the last failure)."""

    id: str
    function: str
    qualifier: str | None
    payload: bytes
    received_ms: int
    attempts: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    """What an event's end sends on: a destination record (``kind`` OnSuccess or
    OnFailure) or the original event for a dead-letter queue (``kind`` DeadLetter), on
    its way to ``target`` (an ARN, or an http(s) URL). ``parked_ms`` is set once it has
    failed too often to reach its target and waits for an operator."""

    id: str
    event_id: str
    function: str
    kind: str
    target: str
    body: str
    attributes: dict[str, Any] = field(default_factory=dict)
    created_ms: int = 0
    attempts: int = 0
    parked_ms: int | None = None
    last_error: str | None = None
    #: The event's X-Ray trace header, handed to the target with the record.
    trace: str | None = None


class EventQueue(Protocol):
    """Durable queue of accepted Event invokes, and the outbox of what their ends send.
    Every method is a coroutine whose work runs off the event loop; each raises
    ``altus.store.database.DatabaseError`` when the database fails (nothing written)."""

    async def put(self, events: Sequence[QueuedEvent]) -> Sequence[Exception | None]:
        """Store the events durably, in one transaction; only then may the callers
        acknowledge them. Per event None (stored) or the error that kept it out (the
        group-commit contract of ``altus.store.commit``)."""
        ...

    async def pending(self) -> list[QueuedEvent]:
        """Events accepted but not yet finished, oldest first (recovery after restart)."""
        ...

    async def payload(self, event_id: str) -> bytes | None:
        """One pending event's payload (None if it is finished)."""
        ...

    async def update(self, event: QueuedEvent) -> None:
        """Durably record an event's ``attempts`` and ``extra`` (a retry is scheduled)."""
        ...

    async def finish(
        self, ends: Sequence[tuple[str, Sequence[OutboxRecord]]]
    ) -> Sequence[Exception | None]:
        """Forget handled events, each with what it sends on, in one transaction: a crash
        leaves either an event (to be run again) or its records, never neither. Per end
        None or its error (group commit)."""
        ...

    async def outbox(self, parked: bool) -> list[OutboxRecord]:
        """Records still to be sent (``parked=False``) or parked ones, oldest first."""
        ...

    async def put_record(self, record: OutboxRecord) -> None:
        """Insert or replace one record (its tries, parking or un-parking)."""
        ...

    async def record_done(self, record_id: str) -> None:
        """Forget a record its target has (or an operator discarded)."""
        ...


def _dump(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


_RECORD_COLUMNS = (
    "id, event_id, function, kind, target, body, attributes, created_ms, "
    "attempts, parked_ms, last_error, trace"
)


def _put_record(tx: Transaction, r: OutboxRecord) -> None:
    tx.execute(
        f"INSERT INTO async_outbox ({_RECORD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET attempts = excluded.attempts, "
        "parked_ms = excluded.parked_ms, last_error = excluded.last_error, "
        "target = excluded.target, body = excluded.body, attributes = excluded.attributes",
        (
            r.id,
            r.event_id,
            r.function,
            r.kind,
            r.target,
            r.body,
            _dump(r.attributes),
            r.created_ms,
            r.attempts,
            r.parked_ms,
            r.last_error,
            r.trace,
        ),
    )


class SqlEventQueue:
    """``EventQueue`` on one database."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def put(self, events: Sequence[QueuedEvent]) -> Sequence[Exception | None]:
        def work(tx: Transaction) -> None:
            tx.executemany(
                "INSERT INTO async_events (id, function, qualifier, payload, received_ms, "
                "attempts, extra) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        e.id,
                        e.function,
                        e.qualifier,
                        e.payload,
                        e.received_ms,
                        e.attempts,
                        _dump(e.extra),
                    )
                    for e in events
                ],
            )

        await self._db.write(work)
        return [None] * len(events)

    async def pending(self) -> list[QueuedEvent]:
        def work(tx: Transaction) -> list[QueuedEvent]:
            return [
                QueuedEvent(
                    id=r[0],
                    function=r[1],
                    qualifier=r[2],
                    payload=bytes(r[3]),
                    received_ms=r[4],
                    attempts=r[5],
                    extra=json.loads(r[6]),
                )
                for r in tx.execute(
                    "SELECT id, function, qualifier, payload, received_ms, attempts, extra "
                    "FROM async_events ORDER BY received_ms, id"
                )
            ]

        return await self._db.read(work)

    async def payload(self, event_id: str) -> bytes | None:
        def work(tx: Transaction) -> bytes | None:
            row = tx.execute(
                "SELECT payload FROM async_events WHERE id = ?", (event_id,)
            ).fetchone()
            return None if row is None else bytes(row[0])

        return await self._db.read(work)

    async def update(self, event: QueuedEvent) -> None:
        def work(tx: Transaction) -> None:
            tx.execute(
                "UPDATE async_events SET attempts = ?, extra = ? WHERE id = ?",
                (event.attempts, _dump(event.extra), event.id),
            )

        await self._db.write(work)

    async def finish(
        self, ends: Sequence[tuple[str, Sequence[OutboxRecord]]]
    ) -> Sequence[Exception | None]:
        def work(tx: Transaction) -> None:
            for event_id, records in ends:
                for record in records:
                    _put_record(tx, record)
                tx.execute("DELETE FROM async_events WHERE id = ?", (event_id,))

        await self._db.write(work)
        return [None] * len(ends)

    async def outbox(self, parked: bool) -> list[OutboxRecord]:
        where = "parked_ms IS NOT NULL" if parked else "parked_ms IS NULL"

        def work(tx: Transaction) -> list[OutboxRecord]:
            return [
                OutboxRecord(
                    id=r[0],
                    event_id=r[1],
                    function=r[2],
                    kind=r[3],
                    target=r[4],
                    body=r[5],
                    attributes=json.loads(r[6]),
                    created_ms=r[7],
                    attempts=r[8],
                    parked_ms=r[9],
                    last_error=r[10],
                    trace=r[11],
                )
                for r in tx.execute(
                    f"SELECT {_RECORD_COLUMNS} FROM async_outbox "
                    f"WHERE {where} ORDER BY created_ms, id"
                )
            ]

        return await self._db.read(work)

    async def put_record(self, record: OutboxRecord) -> None:
        await self._db.write(lambda tx: _put_record(tx, record))

    async def record_done(self, record_id: str) -> None:
        def work(tx: Transaction) -> None:
            tx.execute("DELETE FROM async_outbox WHERE id = ?", (record_id,))

        await self._db.write(work)

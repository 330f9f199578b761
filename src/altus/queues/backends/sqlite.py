"""SQLite queue store: the queues and their messages in ``altus.db``, beside the rest.

The tables come from a migration of ``altus.store.backends.sqlite`` (one schema, one
``user_version``); this module opens its own connection with that module's ``connect``
(WAL, ``synchronous=FULL``, a busy timeout shared with the other connection). ``apply``
writes several plans in one transaction, each inside its own savepoint, so concurrent
operations share one fsync (group commit) while each stays all-or-nothing. It runs on a
worker thread (the service calls it through ``asyncio.to_thread``); a lock serialises it
with ``load``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

from altus.queues.base import (
    Dedup,
    DropAllMessages,
    DropDedups,
    DropMessages,
    DropQueue,
    Message,
    PutDedup,
    PutDelivery,
    PutMessage,
    PutQueue,
    Queue,
    QueueChange,
    Snapshot,
)
from altus.store.backends.sqlite import connect

_MESSAGE_COLUMNS = (
    "queue, id, seq, body, attributes, system, sent_ms, visible_ms, sender_id, "
    "receive_count, first_receive_ms, receipt, group_id, dedup_id, source_arn"
)


class SqliteQueueStore:
    def __init__(self, path: Path) -> None:
        self._conn = connect(path)
        self._lock = threading.Lock()

    def load(self) -> Snapshot:
        conn = self._conn
        with self._lock:
            queues = [
                Queue(
                    name=name,
                    attributes=json.loads(attributes),
                    tags=json.loads(tags),
                    created_ms=created,
                    modified_ms=modified,
                    purged_ms=purged,
                )
                for name, attributes, tags, created, modified, purged in conn.execute(
                    "SELECT name, attributes, tags, created_ms, modified_ms, purged_ms FROM queues"
                )
            ]
            messages = [
                Message(
                    queue=row[0],
                    id=row[1],
                    seq=row[2],
                    body=row[3],
                    attributes=json.loads(row[4]),
                    system=json.loads(row[5]),
                    sent_ms=row[6],
                    visible_ms=row[7],
                    sender_id=row[8],
                    receive_count=row[9],
                    first_receive_ms=row[10],
                    receipt=row[11],
                    group_id=row[12],
                    dedup_id=row[13],
                    source_arn=row[14],
                )
                for row in conn.execute(
                    f"SELECT {_MESSAGE_COLUMNS} FROM queue_messages ORDER BY seq"
                )
            ]
            dedups = [
                Dedup(*row)
                for row in conn.execute(
                    "SELECT queue, key, message_id, seq, expires_ms FROM queue_dedups"
                )
            ]
        return Snapshot(queues=queues, messages=messages, dedups=dedups)

    def apply(self, plans: Sequence[Sequence[QueueChange]]) -> list[Exception | None]:
        conn = self._conn
        results: list[Exception | None] = []
        with self._lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for plan in plans:
                    conn.execute("SAVEPOINT plan")
                    try:
                        for change in plan:
                            _apply_one(conn, change)
                    except sqlite3.Error as error:
                        conn.execute("ROLLBACK TO plan")
                        results.append(error)
                    else:
                        results.append(None)
                    conn.execute("RELEASE plan")
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        return results

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _dump(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


def _apply_one(conn: sqlite3.Connection, change: QueueChange) -> None:
    match change:
        case PutQueue(queue):
            # An upsert, not INSERT OR REPLACE: a replace would delete the row and, with
            # it, the queue's messages (ON DELETE CASCADE).
            conn.execute(
                "INSERT INTO queues (name, attributes, tags, created_ms, modified_ms, purged_ms) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                "attributes = excluded.attributes, tags = excluded.tags, "
                "modified_ms = excluded.modified_ms, purged_ms = excluded.purged_ms",
                (
                    queue.name,
                    _dump(queue.attributes),
                    _dump(queue.tags),
                    queue.created_ms,
                    queue.modified_ms,
                    queue.purged_ms,
                ),
            )
        case DropQueue(name):
            conn.execute("DELETE FROM queues WHERE name = ?", (name,))
        case PutMessage(m):
            conn.execute(
                f"INSERT INTO queue_messages ({_MESSAGE_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    m.queue,
                    m.id,
                    m.seq,
                    m.body,
                    _dump(m.attributes),
                    _dump(m.system),
                    m.sent_ms,
                    m.visible_ms,
                    m.sender_id,
                    m.receive_count,
                    m.first_receive_ms,
                    m.receipt,
                    m.group_id,
                    m.dedup_id,
                    m.source_arn,
                ),
            )
        case PutDelivery(queue, message_id, visible_ms, count, first_ms, receipt):
            conn.execute(
                "UPDATE queue_messages SET visible_ms = ?, receive_count = ?, "
                "first_receive_ms = ?, receipt = ? WHERE queue = ? AND id = ?",
                (visible_ms, count, first_ms, receipt, queue, message_id),
            )
        case DropMessages(queue, ids):
            conn.executemany(
                "DELETE FROM queue_messages WHERE queue = ? AND id = ?",
                [(queue, message_id) for message_id in ids],
            )
        case DropAllMessages(queue):
            conn.execute("DELETE FROM queue_messages WHERE queue = ?", (queue,))
        case PutDedup(d):
            conn.execute(
                "INSERT INTO queue_dedups (queue, key, message_id, seq, expires_ms) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (queue, key) DO UPDATE SET "
                "message_id = excluded.message_id, seq = excluded.seq, "
                "expires_ms = excluded.expires_ms",
                (d.queue, d.key, d.message_id, d.seq, d.expires_ms),
            )
        case DropDedups(before_ms):
            conn.execute("DELETE FROM queue_dedups WHERE expires_ms <= ?", (before_ms,))

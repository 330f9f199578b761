"""``QueueStore`` in SQL, on any ``altus.store`` database.

``apply`` writes several plans in one transaction, each inside its own savepoint, so
concurrent operations share one commit (group commit) while each stays all-or-nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

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
from altus.store.commit import apply_plans
from altus.store.database import Database, Migration, Schema, Transaction

SCHEMA = Schema(
    "queues",
    (
        Migration(
            """
        CREATE TABLE queues (
            name TEXT PRIMARY KEY,
            attributes TEXT NOT NULL,
            tags TEXT NOT NULL DEFAULT '{}',
            created_ms INTEGER NOT NULL,
            modified_ms INTEGER NOT NULL,
            purged_ms INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE queue_messages (
            queue TEXT NOT NULL REFERENCES queues(name) ON DELETE CASCADE,
            id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            body TEXT NOT NULL,
            attributes TEXT NOT NULL,
            system TEXT NOT NULL,
            sent_ms INTEGER NOT NULL,
            visible_ms INTEGER NOT NULL,
            sender_id TEXT NOT NULL,
            receive_count INTEGER NOT NULL DEFAULT 0,
            first_receive_ms INTEGER NOT NULL DEFAULT 0,
            receipt TEXT NOT NULL DEFAULT '',
            group_id TEXT,
            dedup_id TEXT,
            source_arn TEXT,
            PRIMARY KEY (queue, id)
        );
        CREATE INDEX queue_messages_seq ON queue_messages (seq);
        CREATE TABLE queue_dedups (
            queue TEXT NOT NULL REFERENCES queues(name) ON DELETE CASCADE,
            key TEXT NOT NULL,
            message_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            expires_ms INTEGER NOT NULL,
            PRIMARY KEY (queue, key)
        );
        """,
            postgresql="""
        CREATE TABLE queues (
            name TEXT COLLATE "C" PRIMARY KEY,
            attributes TEXT NOT NULL,
            tags TEXT NOT NULL DEFAULT '{}',
            created_ms BIGINT NOT NULL,
            modified_ms BIGINT NOT NULL,
            purged_ms BIGINT NOT NULL DEFAULT 0
        );
        CREATE TABLE queue_messages (
            queue TEXT COLLATE "C" NOT NULL REFERENCES queues(name) ON DELETE CASCADE,
            id TEXT COLLATE "C" NOT NULL,
            seq BIGINT NOT NULL,
            body TEXT NOT NULL,
            attributes TEXT NOT NULL,
            system TEXT NOT NULL,
            sent_ms BIGINT NOT NULL,
            visible_ms BIGINT NOT NULL,
            sender_id TEXT NOT NULL,
            receive_count INTEGER NOT NULL DEFAULT 0,
            first_receive_ms BIGINT NOT NULL DEFAULT 0,
            receipt TEXT NOT NULL DEFAULT '',
            group_id TEXT,
            dedup_id TEXT,
            source_arn TEXT,
            PRIMARY KEY (queue, id)
        );
        CREATE INDEX queue_messages_seq ON queue_messages (seq);
        CREATE TABLE queue_dedups (
            queue TEXT COLLATE "C" NOT NULL REFERENCES queues(name) ON DELETE CASCADE,
            key TEXT COLLATE "C" NOT NULL,
            message_id TEXT NOT NULL,
            seq BIGINT NOT NULL,
            expires_ms BIGINT NOT NULL,
            PRIMARY KEY (queue, key)
        );
        """,
        ),
    ),
)

_MESSAGE_COLUMNS = (
    "queue, id, seq, body, attributes, system, sent_ms, visible_ms, sender_id, "
    "receive_count, first_receive_ms, receipt, group_id, dedup_id, source_arn"
)


def _dump(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


class SqlQueueStore:
    """``QueueStore`` on one database."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def load(self) -> Snapshot:
        return await self._db.read(_load)

    async def apply(self, plans: Sequence[Sequence[QueueChange]]) -> list[Exception | None]:
        return await self._db.write(lambda tx: apply_plans(tx, plans, _apply_all))


def _load(tx: Transaction) -> Snapshot:
    queues = [
        Queue(
            name=name,
            attributes=json.loads(attributes),
            tags=json.loads(tags),
            created_ms=created,
            modified_ms=modified,
            purged_ms=purged,
        )
        for name, attributes, tags, created, modified, purged in tx.execute(
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
        for row in tx.execute(f"SELECT {_MESSAGE_COLUMNS} FROM queue_messages ORDER BY seq")
    ]
    dedups = [
        Dedup(*row)
        for row in tx.execute("SELECT queue, key, message_id, seq, expires_ms FROM queue_dedups")
    ]
    return Snapshot(queues=queues, messages=messages, dedups=dedups)


def _apply_all(tx: Transaction, changes: Sequence[QueueChange]) -> None:
    for change in changes:
        _apply_one(tx, change)


def _apply_one(tx: Transaction, change: QueueChange) -> None:
    match change:
        case PutQueue(queue):
            # An upsert, not a delete and insert: deleting the row would delete the
            # queue's messages with it (ON DELETE CASCADE).
            tx.execute(
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
            tx.execute("DELETE FROM queues WHERE name = ?", (name,))
        case PutMessage(m):
            tx.execute(
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
            tx.execute(
                "UPDATE queue_messages SET visible_ms = ?, receive_count = ?, "
                "first_receive_ms = ?, receipt = ? WHERE queue = ? AND id = ?",
                (visible_ms, count, first_ms, receipt, queue, message_id),
            )
        case DropMessages(queue, ids):
            tx.executemany(
                "DELETE FROM queue_messages WHERE queue = ? AND id = ?",
                [(queue, message_id) for message_id in ids],
            )
        case DropAllMessages(queue):
            tx.execute("DELETE FROM queue_messages WHERE queue = ?", (queue,))
        case PutDedup(d):
            tx.execute(
                "INSERT INTO queue_dedups (queue, key, message_id, seq, expires_ms) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (queue, key) DO UPDATE SET "
                "message_id = excluded.message_id, seq = excluded.seq, "
                "expires_ms = excluded.expires_ms",
                (d.queue, d.key, d.message_id, d.seq, d.expires_ms),
            )
        case DropDedups(before_ms):
            tx.execute("DELETE FROM queue_dedups WHERE expires_ms <= ?", (before_ms,))

"""``TopicStore`` in SQL, in the main database (the ``sns`` schema).

``sns_topics`` and ``sns_subscriptions`` hold a row per topic and subscription, its
configuration as JSON (rewritten on each change: a few attributes). ``sns_messages``
holds a message (its text, attributes and subject as JSON) while ``sns_deliveries``
has a row referring to it: one per subscription it is on its way to, with the attempts
made and when the next is due. ``made`` orders topics and subscriptions as they were
created (for listings that page in creation order, as SNS's do).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from altus.sns.model import (
    AddMessage,
    Change,
    Dedup,
    Delivery,
    DropDedups,
    DropDelivery,
    DropMessage,
    DropSubscription,
    DropTopic,
    Message,
    PutDedup,
    PutDelivery,
    PutSubscription,
    PutTopic,
    Snapshot,
    Subscription,
    Topic,
)
from altus.store.commit import apply_plans
from altus.store.database import Database, Migration, Schema, Transaction

SCHEMA = Schema(
    "sns",
    (
        Migration(
            """
        CREATE TABLE sns_topics (
            name TEXT PRIMARY KEY,
            made INTEGER NOT NULL,
            config TEXT NOT NULL
        );
        CREATE TABLE sns_subscriptions (
            arn TEXT PRIMARY KEY,
            topic TEXT NOT NULL,
            made INTEGER NOT NULL,
            config TEXT NOT NULL
        );
        CREATE INDEX sns_subscriptions_topic ON sns_subscriptions (topic);
        CREATE TABLE sns_messages (
            id TEXT PRIMARY KEY,
            topic TEXT NOT NULL,
            body TEXT NOT NULL
        );
        CREATE INDEX sns_messages_topic ON sns_messages (topic);
        CREATE TABLE sns_deliveries (
            seq INTEGER PRIMARY KEY,
            message_id TEXT NOT NULL,
            subscription TEXT NOT NULL,
            protocol TEXT NOT NULL,
            endpoint TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            due_ms INTEGER NOT NULL
        );
        CREATE INDEX sns_deliveries_subscription ON sns_deliveries (subscription);
        CREATE INDEX sns_deliveries_message ON sns_deliveries (message_id);
        CREATE TABLE sns_dedups (
            topic TEXT NOT NULL,
            dedup_id TEXT NOT NULL,
            message_id TEXT NOT NULL,
            sequence TEXT NOT NULL,
            expires_ms INTEGER NOT NULL,
            PRIMARY KEY (topic, dedup_id)
        )
        """,
            postgresql="""
        CREATE TABLE sns_topics (
            name TEXT COLLATE "C" PRIMARY KEY,
            made BIGINT NOT NULL,
            config TEXT NOT NULL
        );
        CREATE TABLE sns_subscriptions (
            arn TEXT COLLATE "C" PRIMARY KEY,
            topic TEXT COLLATE "C" NOT NULL,
            made BIGINT NOT NULL,
            config TEXT NOT NULL
        );
        CREATE INDEX sns_subscriptions_topic ON sns_subscriptions (topic);
        CREATE TABLE sns_messages (
            id TEXT PRIMARY KEY,
            topic TEXT NOT NULL,
            body TEXT NOT NULL
        );
        CREATE INDEX sns_messages_topic ON sns_messages (topic);
        CREATE TABLE sns_deliveries (
            seq BIGINT PRIMARY KEY,
            message_id TEXT NOT NULL,
            subscription TEXT NOT NULL,
            protocol TEXT NOT NULL,
            endpoint TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            due_ms BIGINT NOT NULL
        );
        CREATE INDEX sns_deliveries_subscription ON sns_deliveries (subscription);
        CREATE INDEX sns_deliveries_message ON sns_deliveries (message_id);
        CREATE TABLE sns_dedups (
            topic TEXT NOT NULL,
            dedup_id TEXT NOT NULL,
            message_id TEXT NOT NULL,
            sequence TEXT NOT NULL,
            expires_ms BIGINT NOT NULL,
            PRIMARY KEY (topic, dedup_id)
        )
        """,
        ),
    ),
)

_ORPHANS = "DELETE FROM sns_messages WHERE id NOT IN (SELECT message_id FROM sns_deliveries)"
_INSERT_DELIVERY = (
    "INSERT INTO sns_deliveries (seq, message_id, subscription, protocol, endpoint, "
    "attempts, due_ms) VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


# --- rows as JSON ------------------------------------------------------------------------------


def topic_config(topic: Topic) -> str:
    return _compact(
        {
            "attributes": dict(topic.attributes),
            "tags": [list(pair) for pair in topic.tags],
            "created_ms": topic.created_ms,
        }
    )


def topic_of(name: str, config: str) -> Topic:
    data = json.loads(config)
    return Topic(
        name=name,
        attributes=data["attributes"],
        tags=tuple((str(k), str(v)) for k, v in data["tags"]),
        created_ms=int(data["created_ms"]),
    )


def subscription_config(subscription: Subscription) -> str:
    return _compact(
        {
            "protocol": subscription.protocol,
            "endpoint": subscription.endpoint,
            "owner": subscription.owner,
            "principal": subscription.principal,
            "attributes": dict(subscription.attributes),
            "confirmed": subscription.confirmed,
            "token": subscription.token,
            "token_expires_ms": subscription.token_expires_ms,
            "authenticated": subscription.authenticated,
            "created_ms": subscription.created_ms,
            "authenticate_unsubscribe": subscription.authenticate_unsubscribe,
        }
    )


def subscription_of(arn: str, topic: str, config: str) -> Subscription:
    data = json.loads(config)
    return Subscription(
        arn=arn,
        topic=topic,
        protocol=data["protocol"],
        endpoint=data["endpoint"],
        owner=data["owner"],
        principal=data["principal"],
        attributes=data["attributes"],
        confirmed=bool(data["confirmed"]),
        token=data["token"],
        token_expires_ms=int(data["token_expires_ms"]),
        authenticated=bool(data["authenticated"]),
        created_ms=int(data["created_ms"]),
        authenticate_unsubscribe=bool(data.get("authenticate_unsubscribe", False)),
    )


def message_body(message: Message) -> str:
    return _compact(
        {
            "kind": message.kind,
            "text": message.text,
            "per_protocol": dict(message.per_protocol),
            "subject": message.subject,
            "attributes": {k: dict(v) for k, v in message.attributes.items()},
            "timestamp_ms": message.timestamp_ms,
            "group_id": message.group_id,
            "dedup_id": message.dedup_id,
            "sequence": message.sequence,
            "token": message.token,
            "trace": message.trace,
        }
    )


def message_of(message_id: str, topic: str, body: str) -> Message:
    data: Mapping[str, Any] = json.loads(body)
    return Message(
        id=message_id,
        topic=topic,
        kind=data["kind"],
        text=data["text"],
        per_protocol=data["per_protocol"],
        subject=data["subject"],
        attributes=data["attributes"],
        timestamp_ms=int(data["timestamp_ms"]),
        group_id=data["group_id"],
        dedup_id=data["dedup_id"],
        sequence=data["sequence"],
        token=data["token"],
        trace=data.get("trace"),  # absent from messages kept before traces were
    )


# --- the store ---------------------------------------------------------------------------------


class SqlTopicStore:
    """``TopicStore`` on one database."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def load(self) -> Snapshot:
        def work(tx: Transaction) -> Snapshot:
            topics = [
                topic_of(name, config)
                for name, config in tx.execute(
                    "SELECT name, config FROM sns_topics ORDER BY made, name"
                )
            ]
            subscriptions = [
                subscription_of(arn, topic, config)
                for arn, topic, config in tx.execute(
                    "SELECT arn, topic, config FROM sns_subscriptions ORDER BY made, arn"
                )
            ]
            deliveries = [
                Delivery(int(seq), mid, sub, protocol, endpoint, int(attempts), int(due))
                for seq, mid, sub, protocol, endpoint, attempts, due in tx.execute(
                    "SELECT seq, message_id, subscription, protocol, endpoint, attempts, "
                    "due_ms FROM sns_deliveries ORDER BY seq"
                )
            ]
            messages = [
                message_of(mid, topic, body)
                for mid, topic, body in tx.execute(
                    "SELECT id, topic, body FROM sns_messages WHERE id IN "
                    "(SELECT message_id FROM sns_deliveries)"
                )
            ]
            dedups = [
                Dedup(topic, dedup_id, mid, sequence, int(expires))
                for topic, dedup_id, mid, sequence, expires in tx.execute(
                    "SELECT topic, dedup_id, message_id, sequence, expires_ms FROM sns_dedups"
                )
            ]
            return Snapshot(topics, subscriptions, messages, deliveries, dedups)

        return await self._db.read(work)

    async def apply(self, plans: Sequence[Sequence[Change]]) -> list[Exception | None]:
        return await self._db.write(lambda tx: apply_plans(tx, plans, _apply_all))

    async def collect(self) -> int:
        def work(tx: Transaction) -> int:
            return max(tx.execute(_ORPHANS).rowcount, 0)

        return await self._db.write(work)


def _apply_all(tx: Transaction, changes: Sequence[Change]) -> None:
    for change in changes:
        if isinstance(change, AddMessage):
            message = change.message
            tx.execute(
                "INSERT INTO sns_messages (id, topic, body) VALUES (?, ?, ?)",
                (message.id, message.topic, message_body(message)),
            )
            tx.executemany(
                _INSERT_DELIVERY,
                [
                    (
                        d.seq,
                        d.message_id,
                        d.subscription,
                        d.protocol,
                        d.endpoint,
                        d.attempts,
                        d.due_ms,
                    )
                    for d in change.deliveries
                ],
            )
        elif isinstance(change, DropDelivery):
            tx.execute("DELETE FROM sns_deliveries WHERE seq = ?", (change.seq,))
        elif isinstance(change, DropMessage):
            tx.execute("DELETE FROM sns_messages WHERE id = ?", (change.id,))
        elif isinstance(change, PutDelivery):
            d = change.delivery
            tx.execute(
                "UPDATE sns_deliveries SET attempts = ?, due_ms = ? WHERE seq = ?",
                (d.attempts, d.due_ms, d.seq),
            )
        elif isinstance(change, PutDedup):
            dedup = change.dedup
            tx.execute(
                "INSERT INTO sns_dedups (topic, dedup_id, message_id, sequence, expires_ms) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (topic, dedup_id) DO UPDATE SET "
                "message_id = excluded.message_id, sequence = excluded.sequence, "
                "expires_ms = excluded.expires_ms",
                (dedup.topic, dedup.dedup_id, dedup.message_id, dedup.sequence, dedup.expires_ms),
            )
        elif isinstance(change, DropDedups):
            tx.execute("DELETE FROM sns_dedups WHERE expires_ms < ?", (change.before_ms,))
        elif isinstance(change, PutTopic):
            topic = change.topic
            tx.execute(
                "INSERT INTO sns_topics (name, made, config) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET config = excluded.config",
                (topic.name, topic.created_ms, topic_config(topic)),
            )
        elif isinstance(change, PutSubscription):
            sub = change.subscription
            tx.execute(
                "INSERT INTO sns_subscriptions (arn, topic, made, config) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (arn) DO UPDATE SET config = excluded.config",
                (sub.arn, sub.topic, sub.created_ms, subscription_config(sub)),
            )
        elif isinstance(change, DropSubscription):
            tx.execute("DELETE FROM sns_deliveries WHERE subscription = ?", (change.arn,))
            tx.execute("DELETE FROM sns_subscriptions WHERE arn = ?", (change.arn,))
            tx.execute(_ORPHANS)
        elif isinstance(change, DropTopic):
            tx.execute(
                "DELETE FROM sns_deliveries WHERE subscription IN "
                "(SELECT arn FROM sns_subscriptions WHERE topic = ?)",
                (change.name,),
            )
            tx.execute("DELETE FROM sns_subscriptions WHERE topic = ?", (change.name,))
            tx.execute("DELETE FROM sns_dedups WHERE topic = ?", (change.name,))
            tx.execute("DELETE FROM sns_topics WHERE name = ?", (change.name,))
            tx.execute(_ORPHANS)

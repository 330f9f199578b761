"""``EventStore`` in SQL, in the main database (the ``eventbridge`` schema).

``eb_buses`` and ``eb_rules`` hold a row per bus and rule, its configuration as JSON
(a rule's targets in it: at most five, rewritten with it); ``next_fire_ms`` is a column
of its own so firing a schedule rewrites only it. ``eb_events`` holds an accepted event
while ``eb_deliveries`` has a row referring to it, one per (rule, target) it is on its
way to, with the attempts made and when the next is due.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from altus.eventbridge.model import (
    AddEvent,
    Bus,
    Change,
    Delivery,
    DropBus,
    DropDelivery,
    DropRule,
    PutBus,
    PutDelivery,
    PutRule,
    Rule,
    SetFire,
    Snapshot,
    StoredEvent,
)
from altus.store.commit import apply_plans
from altus.store.database import Database, Migration, Schema, Transaction

_TABLES = """
CREATE TABLE eb_buses (
    name TEXT {c} PRIMARY KEY,
    made {big} NOT NULL,
    config TEXT NOT NULL
);
CREATE TABLE eb_rules (
    bus TEXT {c} NOT NULL,
    name TEXT {c} NOT NULL,
    made {big} NOT NULL,
    config TEXT NOT NULL,
    next_fire_ms {big},
    PRIMARY KEY (bus, name)
);
CREATE TABLE eb_events (
    id TEXT PRIMARY KEY,
    ingested_ms {big} NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE eb_deliveries (
    seq {big} PRIMARY KEY,
    event_id TEXT NOT NULL,
    config TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    due_ms {big} NOT NULL
);
CREATE INDEX eb_deliveries_event ON eb_deliveries (event_id)
"""

SCHEMA = Schema(
    "eventbridge",
    (
        Migration(
            _TABLES.format(c="", big="INTEGER"),
            postgresql=_TABLES.format(c='COLLATE "C"', big="BIGINT"),
        ),
        # An accepted event's X-Ray trace header, handed to its targets.
        Migration("ALTER TABLE eb_events ADD COLUMN trace TEXT"),
    ),
)


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def bus_config(bus: Bus) -> str:
    return _compact(
        {
            "description": bus.description,
            "policy": bus.policy,
            "tags": [list(pair) for pair in bus.tags],
            "created_ms": bus.created_ms,
            "modified_ms": bus.modified_ms,
        }
    )


def bus_of(name: str, config: str) -> Bus:
    data = json.loads(config)
    return Bus(
        name=name,
        description=data["description"],
        policy=data["policy"],
        tags=tuple((str(k), str(v)) for k, v in data["tags"]),
        created_ms=int(data["created_ms"]),
        modified_ms=int(data["modified_ms"]),
    )


def rule_config(rule: Rule) -> str:
    return _compact(
        {
            "event_pattern": rule.event_pattern,
            "schedule": rule.schedule,
            "state": rule.state,
            "description": rule.description,
            "role_arn": rule.role_arn,
            "tags": [list(pair) for pair in rule.tags],
            "targets": [dict(target) for target in rule.targets],
            "created_ms": rule.created_ms,
        }
    )


def rule_of(bus: str, name: str, config: str, next_fire_ms: int | None) -> Rule:
    data = json.loads(config)
    return Rule(
        bus=bus,
        name=name,
        event_pattern=data["event_pattern"],
        schedule=data["schedule"],
        state=data["state"],
        description=data["description"],
        role_arn=data["role_arn"],
        tags=tuple((str(k), str(v)) for k, v in data["tags"]),
        targets=tuple(data["targets"]),
        created_ms=int(data["created_ms"]),
        next_fire_ms=None if next_fire_ms is None else int(next_fire_ms),
    )


def delivery_config(delivery: Delivery) -> str:
    return _compact(
        {
            "rule_arn": delivery.rule_arn,
            "target_id": delivery.target_id,
            "target_arn": delivery.target_arn,
            "input": delivery.input,
            "role_arn": delivery.role_arn,
            "dead_letter_arn": delivery.dead_letter_arn,
            "max_retries": delivery.max_retries,
            "max_age_s": delivery.max_age_s,
            "message_group_id": delivery.message_group_id,
        }
    )


def delivery_of(seq: int, event_id: str, config: str, attempts: int, due_ms: int) -> Delivery:
    data = json.loads(config)
    return Delivery(
        seq=seq,
        event_id=event_id,
        rule_arn=data["rule_arn"],
        target_id=data["target_id"],
        target_arn=data["target_arn"],
        input=data["input"],
        role_arn=data["role_arn"],
        dead_letter_arn=data["dead_letter_arn"],
        max_retries=int(data["max_retries"]),
        max_age_s=int(data["max_age_s"]),
        message_group_id=data["message_group_id"],
        attempts=attempts,
        due_ms=due_ms,
    )


class SqlEventStore:
    """``EventStore`` on one database."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def load(self) -> Snapshot:
        def work(tx: Transaction) -> Snapshot:
            buses = [
                bus_of(name, config)
                for name, config in tx.execute(
                    "SELECT name, config FROM eb_buses ORDER BY made, name"
                )
            ]
            rules = [
                rule_of(bus, name, config, fire)
                for bus, name, config, fire in tx.execute(
                    "SELECT bus, name, config, next_fire_ms FROM eb_rules ORDER BY made, bus, name"
                )
            ]
            deliveries = [
                delivery_of(int(seq), event_id, config, int(attempts), int(due))
                for seq, event_id, config, attempts, due in tx.execute(
                    "SELECT seq, event_id, config, attempts, due_ms FROM eb_deliveries ORDER BY seq"
                )
            ]
            events = [
                StoredEvent(event_id, body, int(ingested), trace)
                for event_id, ingested, body, trace in tx.execute(
                    "SELECT id, ingested_ms, body, trace FROM eb_events WHERE id IN "
                    "(SELECT event_id FROM eb_deliveries)"
                )
            ]
            return Snapshot(buses, rules, events, deliveries)

        return await self._db.read(work)

    async def apply(self, plans: Sequence[Sequence[Change]]) -> list[Exception | None]:
        return await self._db.write(lambda tx: apply_plans(tx, plans, _apply_all))


def _apply_all(tx: Transaction, changes: Sequence[Change]) -> None:
    for change in changes:
        if isinstance(change, AddEvent):
            if not change.deliveries:
                continue
            event = change.event
            tx.execute(
                "INSERT INTO eb_events (id, ingested_ms, body, trace) VALUES (?, ?, ?, ?)",
                (event.id, event.ingested_ms, event.body, event.trace),
            )
            tx.executemany(
                "INSERT INTO eb_deliveries (seq, event_id, config, attempts, due_ms) "
                "VALUES (?, ?, ?, ?, ?)",
                [
                    (d.seq, d.event_id, delivery_config(d), d.attempts, d.due_ms)
                    for d in change.deliveries
                ],
            )
        elif isinstance(change, PutDelivery):
            d = change.delivery
            tx.execute(
                "UPDATE eb_deliveries SET attempts = ?, due_ms = ? WHERE seq = ?",
                (d.attempts, d.due_ms, d.seq),
            )
        elif isinstance(change, DropDelivery):
            row = tx.execute(
                "SELECT event_id FROM eb_deliveries WHERE seq = ?", (change.seq,)
            ).fetchone()
            tx.execute("DELETE FROM eb_deliveries WHERE seq = ?", (change.seq,))
            if row is not None:
                tx.execute(
                    "DELETE FROM eb_events WHERE id = ? AND NOT EXISTS "
                    "(SELECT 1 FROM eb_deliveries WHERE event_id = ?)",
                    (row[0], row[0]),
                )
        elif isinstance(change, SetFire):
            tx.execute(
                "UPDATE eb_rules SET next_fire_ms = ? WHERE bus = ? AND name = ?",
                (change.next_fire_ms, change.bus, change.name),
            )
        elif isinstance(change, PutRule):
            rule = change.rule
            tx.execute(
                "INSERT INTO eb_rules (bus, name, made, config, next_fire_ms) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (bus, name) DO UPDATE SET "
                "config = excluded.config, next_fire_ms = excluded.next_fire_ms",
                (rule.bus, rule.name, rule.created_ms, rule_config(rule), rule.next_fire_ms),
            )
        elif isinstance(change, DropRule):
            tx.execute("DELETE FROM eb_rules WHERE bus = ? AND name = ?", (change.bus, change.name))
        elif isinstance(change, PutBus):
            bus = change.bus
            tx.execute(
                "INSERT INTO eb_buses (name, made, config) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET config = excluded.config",
                (bus.name, bus.created_ms, bus_config(bus)),
            )
        elif isinstance(change, DropBus):
            tx.execute("DELETE FROM eb_rules WHERE bus = ?", (change.name,))
            tx.execute("DELETE FROM eb_buses WHERE name = ?", (change.name,))

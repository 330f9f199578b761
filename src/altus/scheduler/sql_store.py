"""``ScheduleStore`` in SQL, in the main database (the ``scheduler`` schema).

A row per group, schedule and pending delivery, each record as JSON beside its key (a
schedule is rewritten whole on each change: a few hundred bytes). ``fire_ms`` is a
column of its own for a reader that wants the next due schedules without parsing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from altus.scheduler.model import (
    Change,
    Delivery,
    DropDelivery,
    DropGroup,
    DropSchedule,
    Group,
    PutDelivery,
    PutGroup,
    PutSchedule,
    Schedule,
    Snapshot,
)
from altus.store.database import Database, Migration, Schema, Transaction

SCHEMA = Schema(
    "scheduler",
    (
        Migration(
            """
        CREATE TABLE scheduler_groups (
            name TEXT PRIMARY KEY,
            body TEXT NOT NULL
        );
        CREATE TABLE scheduler_schedules (
            grp TEXT NOT NULL,
            name TEXT NOT NULL,
            fire_ms INTEGER,
            body TEXT NOT NULL,
            PRIMARY KEY (grp, name)
        );
        CREATE TABLE scheduler_deliveries (
            seq INTEGER PRIMARY KEY,
            body TEXT NOT NULL
        )
        """,
            postgresql="""
        CREATE TABLE scheduler_groups (
            name TEXT COLLATE "C" PRIMARY KEY,
            body TEXT NOT NULL
        );
        CREATE TABLE scheduler_schedules (
            grp TEXT COLLATE "C" NOT NULL,
            name TEXT COLLATE "C" NOT NULL,
            fire_ms BIGINT,
            body TEXT NOT NULL,
            PRIMARY KEY (grp, name)
        );
        CREATE TABLE scheduler_deliveries (
            seq BIGINT PRIMARY KEY,
            body TEXT NOT NULL
        )
        """,
        ),
    ),
)


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def group_body(group: Group) -> str:
    return _compact(
        {
            "created_ms": group.created_ms,
            "modified_ms": group.modified_ms,
            "tags": [list(pair) for pair in group.tags],
            "token": group.token,
        }
    )


def group_of(name: str, body: str) -> Group:
    data = json.loads(body)
    return Group(
        name=name,
        created_ms=int(data["created_ms"]),
        modified_ms=int(data["modified_ms"]),
        tags=tuple((str(k), str(v)) for k, v in data["tags"]),
        token=data.get("token"),
    )


def schedule_body(schedule: Schedule) -> str:
    return _compact(
        {
            "config": dict(schedule.config),
            "created_ms": schedule.created_ms,
            "modified_ms": schedule.modified_ms,
            "anchor_ms": schedule.anchor_ms,
            "due_ms": schedule.due_ms,
            "fire_ms": schedule.fire_ms,
            "token": schedule.token,
        }
    )


def schedule_of(group: str, name: str, body: str) -> Schedule:
    data = json.loads(body)
    return Schedule(
        group=group,
        name=name,
        config=data["config"],
        created_ms=int(data["created_ms"]),
        modified_ms=int(data["modified_ms"]),
        anchor_ms=int(data["anchor_ms"]),
        due_ms=data["due_ms"],
        fire_ms=data["fire_ms"],
        token=data.get("token"),
    )


def delivery_body(delivery: Delivery) -> str:
    return _compact(
        {
            "schedule_arn": delivery.schedule_arn,
            "target": dict(delivery.target),
            "scheduled_ms": delivery.scheduled_ms,
            "execution_id": delivery.execution_id,
            "fired_ms": delivery.fired_ms,
            "due_ms": delivery.due_ms,
            "attempts": delivery.attempts,
        }
    )


def delivery_of(seq: int, body: str) -> Delivery:
    data = json.loads(body)
    return Delivery(
        seq=seq,
        schedule_arn=data["schedule_arn"],
        target=data["target"],
        scheduled_ms=int(data["scheduled_ms"]),
        execution_id=data["execution_id"],
        fired_ms=int(data["fired_ms"]),
        due_ms=int(data["due_ms"]),
        attempts=int(data["attempts"]),
    )


def _apply_one(tx: Transaction, change: Change) -> None:
    match change:
        case PutGroup(group):
            tx.execute(
                "INSERT INTO scheduler_groups (name, body) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET body = excluded.body",
                (group.name, group_body(group)),
            )
        case DropGroup(name):
            tx.execute("DELETE FROM scheduler_schedules WHERE grp = ?", (name,))
            tx.execute("DELETE FROM scheduler_groups WHERE name = ?", (name,))
        case PutSchedule(schedule):
            tx.execute(
                "INSERT INTO scheduler_schedules (grp, name, fire_ms, body) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (grp, name) DO UPDATE SET fire_ms = excluded.fire_ms, "
                "body = excluded.body",
                (schedule.group, schedule.name, schedule.fire_ms, schedule_body(schedule)),
            )
        case DropSchedule(group, name):
            tx.execute("DELETE FROM scheduler_schedules WHERE grp = ? AND name = ?", (group, name))
        case PutDelivery(delivery):
            tx.execute(
                "INSERT INTO scheduler_deliveries (seq, body) VALUES (?, ?) "
                "ON CONFLICT (seq) DO UPDATE SET body = excluded.body",
                (delivery.seq, delivery_body(delivery)),
            )
        case DropDelivery(seq):
            tx.execute("DELETE FROM scheduler_deliveries WHERE seq = ?", (seq,))


class SqlScheduleStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def load(self) -> Snapshot:
        def work(tx: Transaction) -> Snapshot:
            groups = [
                group_of(row[0], row[1])
                for row in tx.execute("SELECT name, body FROM scheduler_groups ORDER BY name")
            ]
            schedules = [
                schedule_of(row[0], row[1], row[2])
                for row in tx.execute(
                    "SELECT grp, name, body FROM scheduler_schedules ORDER BY grp, name"
                )
            ]
            deliveries = [
                delivery_of(int(row[0]), row[1])
                for row in tx.execute("SELECT seq, body FROM scheduler_deliveries ORDER BY seq")
            ]
            return Snapshot(groups, schedules, deliveries)

        return await self._db.read(work)

    async def apply(self, plan: Sequence[Change]) -> None:
        changes = list(plan)

        def work(tx: Transaction) -> None:
            for change in changes:
                _apply_one(tx, change)

        await self._db.write(work)

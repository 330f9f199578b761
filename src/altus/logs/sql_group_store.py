"""``GroupSettingsStore`` in SQL, in the main database (the ``log_group_settings``
schema): a row per group with settings, its record as JSON beside its name (a few
hundred bytes, rewritten whole on each change)."""

from __future__ import annotations

import json

from altus.logs.group_store import STANDARD, GroupSettings
from altus.store.database import Database, Migration, Schema, Transaction

# Its own component name and table: on PostgreSQL the logs' tables (``log_groups`` ...)
# share this database.
SCHEMA = Schema(
    "log_group_settings",
    (
        Migration(
            """
        CREATE TABLE log_group_settings (
            name TEXT PRIMARY KEY,
            body TEXT NOT NULL
        )
        """,
            postgresql="""
        CREATE TABLE log_group_settings (
            name TEXT COLLATE "C" PRIMARY KEY,
            body TEXT NOT NULL
        )
        """,
        ),
    ),
)


def body(settings: GroupSettings) -> str:
    return json.dumps(
        {
            "created": settings.created,
            "retention_days": settings.retention_days,
            "kms_key_id": settings.kms_key_id,
            "class": settings.group_class,
            "tags": dict(settings.tags),
        },
        separators=(",", ":"),
        ensure_ascii=False,
        sort_keys=True,
    )


def settings_of(name: str, text: str) -> GroupSettings:
    data = json.loads(text)
    days = data.get("retention_days")
    return GroupSettings(
        name=name,
        created=int(data["created"]),
        retention_days=int(days) if days is not None else None,
        kms_key_id=data.get("kms_key_id"),
        group_class=str(data.get("class") or STANDARD),
        tags={str(k): str(v) for k, v in (data.get("tags") or {}).items()},
    )


class SqlGroupSettingsStore:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def load(self) -> list[GroupSettings]:
        def work(tx: Transaction) -> list[GroupSettings]:
            rows = tx.execute("SELECT name, body FROM log_group_settings ORDER BY name")
            return [settings_of(row[0], row[1]) for row in rows]

        return await self._db.read(work)

    async def put(self, settings: GroupSettings) -> None:
        text = body(settings)

        def work(tx: Transaction) -> None:
            tx.execute(
                "INSERT INTO log_group_settings (name, body) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET body = excluded.body",
                (settings.name, text),
            )

        await self._db.write(work)

    async def delete(self, name: str) -> None:
        def work(tx: Transaction) -> None:
            tx.execute("DELETE FROM log_group_settings WHERE name = ?", (name,))

        await self._db.write(work)

"""IAM users: who signs with long-term access keys (the keys themselves are the identity
layer's, ``altus.identity.keys``), kept in the ``iam`` schema and in memory.

A user's ARN is ``arn:aws:iam::<account>:user<path><name>``; its id ``AIDA`` and 17
characters, derived from the ARN as STS derives a caller's (``Principal.user_id``), so
IAM and STS report the same id. Names are unique case-insensitively.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from altus.iam.roles import tags_text
from altus.store.database import Database, IntegrityViolation, Transaction


@dataclass(frozen=True, slots=True)
class User:
    name: str
    id: str
    path: str
    created_ms: int
    tags: Mapping[str, str] = field(default_factory=dict)
    #: The ARN of the managed policy bounding its permissions ("": none).
    boundary: str = ""


class UserExists(Exception):
    """A user of that name (in any case) is stored already."""


class UserStore(Protocol):
    async def users(self) -> list[User]: ...

    async def add(self, user: User) -> None:
        """Raises UserExists."""
        ...

    async def replace(self, user: User) -> None:
        """Its tags and boundary, by its name."""
        ...

    async def delete(self, name: str) -> None: ...


class SqlUserStore:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def users(self) -> list[User]:
        def work(tx: Transaction) -> list[User]:
            return [
                User(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5])
                for r in tx.execute(
                    "SELECT name, id, path, created_ms, tags, boundary FROM iam_users "
                    "ORDER BY lower_name"
                )
            ]

        return await self._db.read(work)

    async def add(self, user: User) -> None:
        def work(tx: Transaction) -> None:
            tx.execute(
                "INSERT INTO iam_users (lower_name, name, id, path, boundary, tags, created_ms) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    user.name.lower(),
                    user.name,
                    user.id,
                    user.path,
                    user.boundary,
                    tags_text(user.tags),
                    user.created_ms,
                ),
            )

        try:
            await self._db.write(work)
        except IntegrityViolation:
            raise UserExists(user.name) from None

    async def replace(self, user: User) -> None:
        def work(tx: Transaction) -> None:
            tx.execute(
                "UPDATE iam_users SET boundary = ?, tags = ? WHERE lower_name = ?",
                (user.boundary, tags_text(user.tags), user.name.lower()),
            )

        await self._db.write(work)

    async def delete(self, name: str) -> None:
        def work(tx: Transaction) -> None:
            tx.execute("DELETE FROM iam_users WHERE lower_name = ?", (name.lower(),))

        await self._db.write(work)

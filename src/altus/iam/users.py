"""IAM users: who signs with long-term access keys (the keys themselves are the identity
layer's, ``altus.identity.keys``), kept in the ``iam`` schema and in memory.

A user's ARN is ``arn:aws:iam::<account>:user<path><name>``; its id ``AIDA`` and 17
characters, derived from the ARN it was made with as STS derives a caller's
(``Principal.user_id``). Names are unique case-insensitively.

A user renamed or moved (UpdateUser) keeps its id, as in IAM: IAM tells the identity layer
the ids its ARNs no longer give (``Permissions.user_id``), so STS and ``aws:userid`` report
the same one. What it holds and its memberships move with it in one transaction, which
also records the rename of its ARN (``iam_principal_renames``) until its access keys,
which the identity layer keeps, act for the new ARN too; a rename cut short by a crash
is finished when IAM starts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from altus.iam.groups import rename_member_in
from altus.iam.holdings import USER, rename_in
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

    async def rename(self, old: str, user: User, old_arn: str, new_arn: str, seq: int) -> None:
        """The user ``old`` as ``user`` has it (its name and path; its id kept), with its
        policies, attachments and memberships, and the rename of its ARN recorded (``seq``
        orders such records), in one transaction. Raises UserExists where another user has
        the new name."""
        ...

    async def renames(self) -> list[tuple[str, str]]:
        """(old ARN, new ARN) of the renames whose keys are still to be moved, in the
        order they were made."""
        ...

    async def renamed(self, old_arn: str) -> None:
        """The keys of ``old_arn`` act for its new ARN: its record goes."""
        ...


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

    async def rename(self, old: str, user: User, old_arn: str, new_arn: str, seq: int) -> None:
        def work(tx: Transaction) -> None:
            tx.execute(
                "UPDATE iam_users SET lower_name = ?, name = ?, path = ? WHERE lower_name = ?",
                (user.name.lower(), user.name, user.path, old.lower()),
            )
            rename_in(tx, USER, old, user.name)
            rename_member_in(tx, old, user.name)
            if old_arn != new_arn:
                tx.execute(
                    "INSERT INTO iam_principal_renames (old_arn, new_arn, seq) VALUES (?, ?, ?) "
                    "ON CONFLICT (old_arn) DO UPDATE SET new_arn = excluded.new_arn, "
                    "seq = excluded.seq",
                    (old_arn, new_arn, seq),
                )

        try:
            await self._db.write(work)
        except IntegrityViolation:
            raise UserExists(user.name) from None

    async def renames(self) -> list[tuple[str, str]]:
        def work(tx: Transaction) -> list[tuple[str, str]]:
            return [
                (r[0], r[1])
                for r in tx.execute(
                    "SELECT old_arn, new_arn FROM iam_principal_renames ORDER BY seq, old_arn"
                )
            ]

        return await self._db.read(work)

    async def renamed(self, old_arn: str) -> None:
        def work(tx: Transaction) -> None:
            tx.execute("DELETE FROM iam_principal_renames WHERE old_arn = ?", (old_arn,))

        await self._db.write(work)

"""IAM roles: who may assume each (its trust policy), kept in the ``iam`` schema and in
memory (there are few; every CreateFunction looks one up).

A role's ARN is ``arn:aws:iam::<account>:role<path><name>``; its id ``AROA`` and 17
characters. Names are unique case-insensitively, as IAM's are.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from altus.identity.authenticator import role_id_source, unique_id
from altus.store.database import Database, IntegrityViolation, Transaction


@dataclass(frozen=True, slots=True)
class Role:
    name: str
    id: str
    path: str
    #: The trust policy as it was given (JSON text).
    trust: str
    created_ms: int
    description: str = ""
    max_session: int = 3600
    tags: Mapping[str, str] = field(default_factory=dict)
    #: The ARN of the managed policy bounding its permissions ("": none).
    boundary: str = ""


def new_role_id(account_id: str, name: str) -> str:
    """``AROA`` and 17 characters: derived from the account and name, so that STS reports
    a session of the role with the same id (``AssumedRoleId``)."""
    return unique_id("AROA", role_id_source(account_id, name))


class RoleExists(Exception):
    """A role of that name (in any case) is stored already."""


class RoleStore(Protocol):
    async def roles(self) -> list[Role]: ...

    async def add(self, role: Role) -> None:
        """Raises RoleExists."""
        ...

    async def replace(self, role: Role) -> None: ...

    async def delete(self, name: str) -> None: ...


class SqlRoleStore:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def roles(self) -> list[Role]:
        def work(tx: Transaction) -> list[Role]:
            return [
                Role(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7]), r[8])
                for r in tx.execute(
                    "SELECT name, id, path, trust, created_ms, description, max_session, tags, "
                    "boundary FROM iam_roles ORDER BY lower_name"
                )
            ]

        return await self._db.read(work)

    async def add(self, role: Role) -> None:
        def work(tx: Transaction) -> None:
            tx.execute(
                "INSERT INTO iam_roles (lower_name, name, id, path, trust, description, "
                "max_session, tags, created_ms, boundary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                _row(role),
            )

        try:
            await self._db.write(work)
        except IntegrityViolation:
            raise RoleExists(role.name) from None

    async def replace(self, role: Role) -> None:
        def work(tx: Transaction) -> None:
            tx.execute(
                "UPDATE iam_roles SET trust = ?, description = ?, max_session = ?, tags = ?, "
                "boundary = ? WHERE lower_name = ?",
                (
                    role.trust,
                    role.description,
                    role.max_session,
                    _tags(role),
                    role.boundary,
                    role.name.lower(),
                ),
            )

        await self._db.write(work)

    async def delete(self, name: str) -> None:
        def work(tx: Transaction) -> None:
            tx.execute("DELETE FROM iam_roles WHERE lower_name = ?", (name.lower(),))

        await self._db.write(work)


def _tags(role: Role) -> str:
    return tags_text(role.tags)


def tags_text(tags: Mapping[str, str]) -> str:
    return json.dumps(dict(tags), separators=(",", ":"))


def _row(role: Role) -> Sequence[Any]:
    return (
        role.name.lower(),
        role.name,
        role.id,
        role.path,
        role.trust,
        role.description,
        role.max_session,
        _tags(role),
        role.created_ms,
        role.boundary,
    )

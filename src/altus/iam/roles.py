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
from altus.store.database import Database, IntegrityViolation, Migration, Schema, Transaction

SCHEMA = Schema(
    "iam",
    (
        Migration(
            """
        CREATE TABLE iam_roles (
            lower_name TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            id TEXT NOT NULL,
            path TEXT NOT NULL,
            trust TEXT NOT NULL,
            description TEXT NOT NULL,
            max_session INTEGER NOT NULL,
            tags TEXT NOT NULL,
            created_ms BIGINT NOT NULL
        )
        """
        ),
        Migration(
            """
        CREATE TABLE iam_role_policies (
            role TEXT NOT NULL,
            name TEXT NOT NULL,
            document TEXT NOT NULL,
            PRIMARY KEY (role, name)
        );
        CREATE TABLE iam_role_attachments (
            role TEXT NOT NULL,
            policy_arn TEXT NOT NULL,
            PRIMARY KEY (role, policy_arn)
        )
        """
        ),
    ),
)


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


def new_role_id(account_id: str, name: str) -> str:
    """``AROA`` and 17 characters: derived from the account and name, so that STS reports
    a session of the role with the same id (``AssumedRoleId``)."""
    return unique_id("AROA", role_id_source(account_id, name))


class RoleExists(Exception):
    """A role of that name (in any case) is stored already."""


class RoleStore(Protocol):
    async def roles(self) -> list[Role]: ...

    async def policies(self) -> list[tuple[str, str, str]]:
        """(lower-cased role name, policy name, document) of every inline policy."""
        ...

    async def attachments(self) -> list[tuple[str, str]]:
        """(lower-cased role name, policy ARN) of every attached managed policy."""
        ...

    async def put_policy(self, role: str, name: str, document: str) -> None: ...

    async def delete_policy(self, role: str, name: str) -> None: ...

    async def attach(self, role: str, arn: str) -> None: ...

    async def detach(self, role: str, arn: str) -> None: ...

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
                Role(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7]))
                for r in tx.execute(
                    "SELECT name, id, path, trust, created_ms, description, max_session, tags "
                    "FROM iam_roles ORDER BY lower_name"
                )
            ]

        return await self._db.read(work)

    async def policies(self) -> list[tuple[str, str, str]]:
        def work(tx: Transaction) -> list[tuple[str, str, str]]:
            return [
                (r[0], r[1], r[2])
                for r in tx.execute("SELECT role, name, document FROM iam_role_policies")
            ]

        return await self._db.read(work)

    async def attachments(self) -> list[tuple[str, str]]:
        def work(tx: Transaction) -> list[tuple[str, str]]:
            return [
                (r[0], r[1])
                for r in tx.execute(
                    "SELECT role, policy_arn FROM iam_role_attachments ORDER BY role, policy_arn"
                )
            ]

        return await self._db.read(work)

    async def put_policy(self, role: str, name: str, document: str) -> None:
        def work(tx: Transaction) -> None:
            tx.execute(
                "INSERT INTO iam_role_policies (role, name, document) VALUES (?, ?, ?) "
                "ON CONFLICT (role, name) DO UPDATE SET document = excluded.document",
                (role.lower(), name, document),
            )

        await self._db.write(work)

    async def delete_policy(self, role: str, name: str) -> None:
        def work(tx: Transaction) -> None:
            tx.execute(
                "DELETE FROM iam_role_policies WHERE role = ? AND name = ?", (role.lower(), name)
            )

        await self._db.write(work)

    async def attach(self, role: str, arn: str) -> None:
        def work(tx: Transaction) -> None:
            tx.execute(
                "INSERT INTO iam_role_attachments (role, policy_arn) VALUES (?, ?) "
                "ON CONFLICT (role, policy_arn) DO NOTHING",
                (role.lower(), arn),
            )

        await self._db.write(work)

    async def detach(self, role: str, arn: str) -> None:
        def work(tx: Transaction) -> None:
            tx.execute(
                "DELETE FROM iam_role_attachments WHERE role = ? AND policy_arn = ?",
                (role.lower(), arn),
            )

        await self._db.write(work)

    async def add(self, role: Role) -> None:
        def work(tx: Transaction) -> None:
            tx.execute(
                "INSERT INTO iam_roles (lower_name, name, id, path, trust, description, "
                "max_session, tags, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                _row(role),
            )

        try:
            await self._db.write(work)
        except IntegrityViolation:
            raise RoleExists(role.name) from None

    async def replace(self, role: Role) -> None:
        def work(tx: Transaction) -> None:
            tx.execute(
                "UPDATE iam_roles SET trust = ?, description = ?, max_session = ?, tags = ? "
                "WHERE lower_name = ?",
                (role.trust, role.description, role.max_session, _tags(role), role.name.lower()),
            )

        await self._db.write(work)

    async def delete(self, name: str) -> None:
        def work(tx: Transaction) -> None:
            tx.execute("DELETE FROM iam_roles WHERE lower_name = ?", (name.lower(),))

        await self._db.write(work)


def _tags(role: Role) -> str:
    return json.dumps(dict(role.tags), separators=(",", ":"))


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
    )

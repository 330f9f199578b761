"""Customer managed policies: policies of the account's own, attachable to roles and
users and usable as permissions boundaries, each with up to five versions of which one
is the default (what counts). Kept in the ``iam`` schema and in memory.

A policy's ARN is ``arn:aws:iam::<account>:policy<path><name>``; its id ``ANPA`` and 17
characters; its versions ``v1``, ``v2``, ... never reused. Names are unique
case-insensitively, whatever the path.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol

from altus.iam.roles import tags_text
from altus.store.database import Database, IntegrityViolation, Transaction


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    id: str
    document: str
    created_ms: int


@dataclass(frozen=True, slots=True)
class CustomerPolicy:
    name: str
    arn: str
    id: str
    path: str
    description: str
    default_version: str
    #: The number of the next version made (``v<next_version>``).
    next_version: int
    created_ms: int
    updated_ms: int
    tags: Mapping[str, str] = field(default_factory=dict)
    versions: tuple[PolicyVersion, ...] = ()

    @property
    def default(self) -> PolicyVersion:
        return next(v for v in self.versions if v.id == self.default_version)

    def version(self, version_id: str) -> PolicyVersion | None:
        return next((v for v in self.versions if v.id == version_id), None)

    def with_version(self, version: PolicyVersion, *, default: bool) -> CustomerPolicy:
        return replace(
            self,
            versions=(*self.versions, version),
            next_version=self.next_version + 1,
            default_version=version.id if default else self.default_version,
            updated_ms=version.created_ms if default else self.updated_ms,
        )


class PolicyExists(Exception):
    """A policy of that name (in any case) is stored already."""


class PolicyStore(Protocol):
    async def policies(self) -> list[CustomerPolicy]:
        """Every policy, with its versions."""
        ...

    async def create(self, policy: CustomerPolicy) -> None:
        """The policy and its versions; raises PolicyExists."""
        ...

    async def update(
        self, policy: CustomerPolicy, added: PolicyVersion | None = None, removed: str = ""
    ) -> None:
        """The policy's row as ``policy`` has it, with a version added or removed, in
        one transaction."""
        ...

    async def delete(self, policy: CustomerPolicy) -> None:
        """The policy and every version of it."""
        ...


class SqlPolicyStore:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def policies(self) -> list[CustomerPolicy]:
        def work(tx: Transaction) -> list[CustomerPolicy]:
            versions: dict[str, list[PolicyVersion]] = {}
            for owner, version, document, created in tx.execute(
                "SELECT policy, version, document, created_ms FROM iam_policy_versions "
                "ORDER BY policy, created_ms, version"
            ):
                versions.setdefault(owner, []).append(PolicyVersion(version, document, created))
            return [
                CustomerPolicy(
                    r[1],
                    r[2],
                    r[3],
                    r[4],
                    r[5],
                    r[6],
                    r[7],
                    r[9],
                    r[10],
                    json.loads(r[8]),
                    tuple(versions.get(r[0], ())),
                )
                for r in tx.execute(
                    "SELECT lower_name, name, arn, id, path, description, default_version, "
                    "next_version, tags, created_ms, updated_ms FROM iam_policies "
                    "ORDER BY lower_name"
                )
            ]

        return await self._db.read(work)

    async def create(self, policy: CustomerPolicy) -> None:
        def work(tx: Transaction) -> None:
            tx.execute(
                "INSERT INTO iam_policies (lower_name, name, arn, id, path, description, "
                "default_version, next_version, tags, created_ms, updated_ms) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    policy.name.lower(),
                    policy.name,
                    policy.arn,
                    policy.id,
                    policy.path,
                    policy.description,
                    policy.default_version,
                    policy.next_version,
                    tags_text(policy.tags),
                    policy.created_ms,
                    policy.updated_ms,
                ),
            )
            for version in policy.versions:
                _insert(tx, policy, version)

        try:
            await self._db.write(work)
        except IntegrityViolation:
            raise PolicyExists(policy.name) from None

    async def update(
        self, policy: CustomerPolicy, added: PolicyVersion | None = None, removed: str = ""
    ) -> None:
        def work(tx: Transaction) -> None:
            tx.execute(
                "UPDATE iam_policies SET default_version = ?, next_version = ?, tags = ?, "
                "updated_ms = ? WHERE lower_name = ?",
                (
                    policy.default_version,
                    policy.next_version,
                    tags_text(policy.tags),
                    policy.updated_ms,
                    policy.name.lower(),
                ),
            )
            if added is not None:
                _insert(tx, policy, added)
            if removed:
                tx.execute(
                    "DELETE FROM iam_policy_versions WHERE policy = ? AND version = ?",
                    (policy.name.lower(), removed),
                )

        await self._db.write(work)

    async def delete(self, policy: CustomerPolicy) -> None:
        def work(tx: Transaction) -> None:
            tx.execute("DELETE FROM iam_policy_versions WHERE policy = ?", (policy.name.lower(),))
            tx.execute("DELETE FROM iam_policies WHERE lower_name = ?", (policy.name.lower(),))

        await self._db.write(work)


def _insert(tx: Transaction, policy: CustomerPolicy, version: PolicyVersion) -> None:
    tx.execute(
        "INSERT INTO iam_policy_versions (policy, version, document, created_ms) "
        "VALUES (?, ?, ?, ?)",
        (policy.name.lower(), version.id, version.document, version.created_ms),
    )

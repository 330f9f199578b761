"""The secret store: where secrets live between restarts.

The component plans each change as a whole new ``Secret`` (metadata and versions) and
hands it to the store, which writes all of it in one transaction or none of it; only
then does the component change its memory and answer. Values travel only between the
component and the store: the store seals each with the data directory's key before it
reaches the database, and a value once stored is never rewritten (versions are
immutable, as on AWS).

One implementation, ``sql_store.SqlSecretStore``, on every database backend.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from altus.secretsmanager.model import Secret, Value


class NameTaken(Exception):
    """Another secret of that name is stored (a server sharing the database made it)."""


class SecretStore(Protocol):
    async def load(self) -> list[Secret]:
        """Every secret with its versions (their metadata; never their values), those
        scheduled for deletion included, by name."""
        ...

    async def create(self, secret: Secret, values: Mapping[str, Value]) -> None:
        """Store a new secret and the values of its versions (by version id; every
        version of ``secret`` has one). Raises NameTaken, writing nothing, when a secret
        of that name is stored."""
        ...

    async def save(self, secret: Secret, values: Mapping[str, Value]) -> None:
        """Replace a stored secret's metadata and versions with ``secret``'s: versions it
        no longer has are deleted with their values, versions it has are updated (labels,
        access date, KMS key), and new versions are added with their values from ``values``
        (which must hold one for each new version and nothing else). All or nothing.
        A secret that is not stored (purged meanwhile) is left so."""
        ...

    async def value(self, arn: str, version_id: str) -> Value | None:
        """The value of a version, unsealed; None if the store has no such version.
        Raises DecryptionFailure when it does not unseal with this server's key."""
        ...

    async def purge(self, arn: str) -> None:
        """Delete a secret with all its versions and values (nothing if it is not
        there)."""
        ...

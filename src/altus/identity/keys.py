"""Access keys: who may sign requests to this server, and as whom.

An access key is an id (``AKIA`` and 16 more characters, as IAM makes them), a secret and
the principal it acts for. Secrets are encrypted at rest with the data directory's key
(``secret.key``), as function environments are. The server keeps every key in memory
(there are few) and reads the store only at start and when a key is made.

On first start the server makes an administrator key and writes it, readable by the
owner only, to ``<data dir>/credentials`` in the AWS shared-credentials format (profile
``altus``), so that ``aws --profile altus`` and boto3 sign with it, and rewrites that file
from the store if it goes missing.
"""

from __future__ import annotations

import os
import secrets
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from altus.store.database import Database, Migration, Schema, Transaction
from altus.store.secrets import Cipher

SCHEMA = Schema(
    "identity",
    (
        Migration(
            """
        CREATE TABLE access_keys (
            id TEXT PRIMARY KEY,
            secret TEXT NOT NULL,
            principal TEXT NOT NULL,
            created_ms BIGINT NOT NULL,
            status TEXT NOT NULL
        )
        """
        ),
    ),
)

#: The profile of ``<data dir>/credentials`` the administrator key is written under.
PROFILE = "altus"
ACTIVE = "Active"
_ID_ALPHABET = string.ascii_uppercase + "234567"
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"


@dataclass(frozen=True, slots=True)
class AccessKey:
    id: str
    secret: str
    #: The ARN of who signs with it (``arn:aws:iam::<account>:user/<name>``).
    principal: str
    created_ms: int
    status: str = ACTIVE


def new_key(principal: str, now_ms: int, prefix: str = "AKIA") -> AccessKey:
    """A key with IAM's shape: ``AKIA`` (``ASIA`` for a session's) + 16 of A-Z2-7, and a
    40-character secret."""
    key_id = prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(16))
    secret = "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40))
    return AccessKey(key_id, secret, principal, now_ms)


@dataclass(frozen=True, slots=True)
class SessionCredentials:
    """Temporary credentials, as STS hands them out: an ``ASIA`` key, its secret, the
    session token that must come with every request signed by it, and when they end."""

    key: AccessKey
    token: str
    #: Seconds since the epoch.
    expiration: float
    #: Session policies (AssumeRole's ``Policy`` and ``PolicyArns``): the session may do
    #: only what these allow too. None: the session is not narrowed.
    policies: tuple[Mapping[str, Any], ...] | None = None
    #: Given to an execution environment (not by STS), and the uid that environment runs
    #: as where it has one of its own: what the Parameters and Secrets extension checks.
    environment: bool = False
    uid: int | None = None

    def variables(self) -> dict[str, str]:
        """As Lambda gives them to a function (``AWS_ACCESS_KEY`` too, for old SDKs)."""
        return {
            "AWS_ACCESS_KEY_ID": self.key.id,
            "AWS_ACCESS_KEY": self.key.id,
            "AWS_SECRET_ACCESS_KEY": self.key.secret,
            "AWS_SESSION_TOKEN": self.token,
        }


def new_session(
    principal: str,
    now: float,
    seconds: float,
    policies: tuple[Mapping[str, Any], ...] | None = None,
    *,
    environment: bool = False,
    uid: int | None = None,
) -> SessionCredentials:
    key = new_key(principal, int(now * 1000), prefix="ASIA")
    token = secrets.token_urlsafe(96)
    return SessionCredentials(key, token, now + seconds, policies, environment, uid)


class KeyStore(Protocol):
    async def keys(self) -> list[AccessKey]: ...

    async def put(self, key: AccessKey) -> None:
        """Adds ``key``, or replaces the one with its id (a changed status)."""
        ...

    async def delete(self, key_id: str) -> None: ...


class SqlKeyStore:
    """``KeyStore`` on one database, secrets sealed with ``cipher``."""

    def __init__(self, database: Database, cipher: Cipher) -> None:
        self._db = database
        self._cipher = cipher

    async def keys(self) -> list[AccessKey]:
        def work(tx: Transaction) -> list[tuple[str, str, str, int, str]]:
            return list(
                tx.execute(
                    "SELECT id, secret, principal, created_ms, status FROM access_keys "
                    "ORDER BY created_ms, id"
                )
            )

        rows = await self._db.read(work)
        return [
            AccessKey(key_id, self._cipher.decrypt(sealed).decode(), principal, created, status)
            for key_id, sealed, principal, created, status in rows
        ]

    async def put(self, key: AccessKey) -> None:
        sealed = self._cipher.encrypt(key.secret.encode())

        def work(tx: Transaction) -> None:
            tx.execute(
                "INSERT INTO access_keys (id, secret, principal, created_ms, status) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                "secret = excluded.secret, principal = excluded.principal, "
                "status = excluded.status",
                (key.id, sealed, key.principal, key.created_ms, key.status),
            )

        await self._db.write(work)

    async def delete(self, key_id: str) -> None:
        def work(tx: Transaction) -> None:
            tx.execute("DELETE FROM access_keys WHERE id = ?", (key_id,))

        await self._db.write(work)


def write_credentials(path: Path, key: AccessKey, region: str) -> None:
    """``key`` as profile ``altus`` of an AWS shared-credentials file at ``path``, made
    readable by the owner only before the secret is in it, and replaced atomically."""
    text = (
        f"[{PROFILE}]\n"
        f"aws_access_key_id = {key.id}\n"
        f"aws_secret_access_key = {key.secret}\n"
        f"region = {region}\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as sink:
        sink.write(text)
        sink.flush()
        os.fsync(sink.fileno())
    os.replace(scratch, path)


def read_credentials(path: Path) -> tuple[str, str, str | None] | None:
    """(key id, secret, region) of profile ``altus`` in the file at ``path``, if it has
    one."""
    import configparser

    parser = configparser.ConfigParser()
    try:
        parser.read(path)
    except (OSError, configparser.Error):
        return None
    if not parser.has_section(PROFILE):
        return None
    section = parser[PROFILE]
    key_id, secret = section.get("aws_access_key_id"), section.get("aws_secret_access_key")
    return (key_id, secret, section.get("region")) if key_id and secret else None


def active(keys: Sequence[AccessKey]) -> dict[str, AccessKey]:
    return {key.id: key for key in keys if key.status == ACTIVE}

"""``SecretStore`` in SQL, in the main database (the ``secretsmanager`` schema).

Values are sealed with the server's key (``FernetCipher``, ``secret.key`` in the data
directory) before they are written: what the database holds of a value is a Fernet
token of a one-byte kind (``s``: SecretString, ``b``: SecretBinary) and the value's
bytes, so not even whether a secret is text shows. Names, descriptions, tags and
policies are not secret (AWS does not encrypt them either) and are stored as given.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from altus.secretsmanager.errors import DecryptionFailure
from altus.secretsmanager.model import Secret, Value, Version
from altus.secretsmanager.store import NameTaken
from altus.store.database import Database, IntegrityViolation, Migration, Schema, Transaction
from altus.store.secrets import Cipher, SecretError

SCHEMA = Schema(
    "secretsmanager",
    (
        Migration(
            """
        CREATE TABLE sm_secrets (
            name TEXT PRIMARY KEY,
            arn TEXT NOT NULL UNIQUE,
            description TEXT,
            kms_key_id TEXT,
            type TEXT,
            tags TEXT NOT NULL,
            policy TEXT,
            created_ms BIGINT NOT NULL,
            changed_ms BIGINT NOT NULL,
            accessed_ms BIGINT,
            deleted_ms BIGINT,
            purge_ms BIGINT
        );
        CREATE TABLE sm_versions (
            secret TEXT NOT NULL,
            id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            stages TEXT NOT NULL,
            kms_key_id TEXT,
            created_ms BIGINT NOT NULL,
            accessed_ms BIGINT,
            sealed TEXT NOT NULL,
            PRIMARY KEY (secret, id)
        )
        """,
            postgresql="""
        CREATE TABLE sm_secrets (
            name TEXT COLLATE "C" PRIMARY KEY,
            arn TEXT COLLATE "C" NOT NULL UNIQUE,
            description TEXT,
            kms_key_id TEXT,
            type TEXT,
            tags TEXT NOT NULL,
            policy TEXT,
            created_ms BIGINT NOT NULL,
            changed_ms BIGINT NOT NULL,
            accessed_ms BIGINT,
            deleted_ms BIGINT,
            purge_ms BIGINT
        );
        CREATE TABLE sm_versions (
            secret TEXT COLLATE "C" NOT NULL,
            id TEXT COLLATE "C" NOT NULL,
            seq INTEGER NOT NULL,
            stages TEXT NOT NULL,
            kms_key_id TEXT,
            created_ms BIGINT NOT NULL,
            accessed_ms BIGINT,
            sealed TEXT NOT NULL,
            PRIMARY KEY (secret, id)
        )
        """,
        ),
    ),
)

_SECRET_COLUMNS = (
    "name, arn, description, kms_key_id, type, tags, policy, created_ms, changed_ms, "
    "accessed_ms, deleted_ms, purge_ms"
)


class SqlSecretStore:
    def __init__(self, database: Database, cipher: Cipher) -> None:
        self._db = database
        self._cipher = cipher

    async def load(self) -> list[Secret]:
        def work(tx: Transaction) -> list[Secret]:
            versions: dict[str, list[Version]] = {}
            for row in tx.execute(
                "SELECT secret, id, stages, kms_key_id, created_ms, accessed_ms, seq "
                "FROM sm_versions ORDER BY secret, seq"
            ):
                versions.setdefault(row[0], []).append(
                    Version(row[1], tuple(json.loads(row[2])), row[4], row[3], row[5], row[6])
                )
            return [
                Secret(
                    arn=row[1],
                    name=row[0],
                    created_ms=row[7],
                    changed_ms=row[8],
                    description=row[2],
                    kms_key_id=row[3],
                    type=row[4],
                    tags=tuple((k, v) for k, v in json.loads(row[5])),
                    policy=row[6],
                    accessed_ms=row[9],
                    deleted_ms=row[10],
                    purge_ms=row[11],
                    versions=tuple(versions.get(row[1], ())),
                )
                for row in tx.execute(f"SELECT {_SECRET_COLUMNS} FROM sm_secrets ORDER BY name")
            ]

        return await self._db.read(work)

    async def create(self, secret: Secret, values: Mapping[str, Value]) -> None:
        # Sealed before the transaction: the work runs on the database's thread, and
        # sealing is the same there or here.
        sealed = {vid: self._seal(value) for vid, value in values.items()}

        def work(tx: Transaction) -> None:
            tx.execute(
                f"INSERT INTO sm_secrets ({_SECRET_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                _secret_row(secret),
            )
            for version in secret.versions:
                _insert_version(tx, secret.arn, version, sealed[version.id])

        try:
            await self._db.write(work)
        except IntegrityViolation:
            raise NameTaken(secret.name) from None

    async def save(self, secret: Secret, values: Mapping[str, Value]) -> None:
        sealed = {vid: self._seal(value) for vid, value in values.items()}

        def work(tx: Transaction) -> None:
            row = _secret_row(secret)
            updated = tx.execute(
                "UPDATE sm_secrets SET description = ?, kms_key_id = ?, type = ?, tags = ?, "
                "policy = ?, created_ms = ?, changed_ms = ?, accessed_ms = ?, deleted_ms = ?, "
                "purge_ms = ? WHERE arn = ?",
                (*row[2:], secret.arn),
            )
            if updated.rowcount == 0:
                return  # purged meanwhile
            stored = {
                vid
                for (vid,) in tx.execute(
                    "SELECT id FROM sm_versions WHERE secret = ?", (secret.arn,)
                )
            }
            kept = {v.id for v in secret.versions}
            for gone in stored - kept:
                tx.execute(
                    "DELETE FROM sm_versions WHERE secret = ? AND id = ?", (secret.arn, gone)
                )
            for version in secret.versions:
                if version.id in stored:
                    tx.execute(
                        "UPDATE sm_versions SET stages = ?, accessed_ms = ?, kms_key_id = ? "
                        "WHERE secret = ? AND id = ?",
                        (
                            _stages(version),
                            version.accessed_ms,
                            version.kms_key_id,
                            secret.arn,
                            version.id,
                        ),
                    )
                else:
                    _insert_version(tx, secret.arn, version, sealed[version.id])

        await self._db.write(work)

    async def value(self, arn: str, version_id: str) -> Value | None:
        def work(tx: Transaction) -> Any:
            return tx.execute(
                "SELECT sealed FROM sm_versions WHERE secret = ? AND id = ?", (arn, version_id)
            ).fetchone()

        row = await self._db.read(work)
        if row is None:
            return None
        try:
            plain = self._cipher.decrypt(row[0])
        except SecretError:
            raise DecryptionFailure(
                "Secrets Manager can't decrypt the protected secret text using the provided "
                "KMS key."
            ) from None
        return plain[1:].decode() if plain[:1] == b"s" else plain[1:]

    async def purge(self, arn: str) -> None:
        def work(tx: Transaction) -> None:
            tx.execute("DELETE FROM sm_versions WHERE secret = ?", (arn,))
            tx.execute("DELETE FROM sm_secrets WHERE arn = ?", (arn,))

        await self._db.write(work)

    def _seal(self, value: Value) -> str:
        plain = b"s" + value.encode() if isinstance(value, str) else b"b" + value
        return self._cipher.encrypt(plain)


def _stages(version: Version) -> str:
    return json.dumps(list(version.stages), separators=(",", ":"))


def _secret_row(secret: Secret) -> Sequence[Any]:
    return (
        secret.name,
        secret.arn,
        secret.description,
        secret.kms_key_id,
        secret.type,
        json.dumps([list(tag) for tag in secret.tags], separators=(",", ":")),
        secret.policy,
        secret.created_ms,
        secret.changed_ms,
        secret.accessed_ms,
        secret.deleted_ms,
        secret.purge_ms,
    )


def _insert_version(tx: Transaction, arn: str, version: Version, sealed: str) -> None:
    tx.execute(
        "INSERT INTO sm_versions (secret, id, seq, stages, kms_key_id, created_ms, "
        "accessed_ms, sealed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            arn,
            version.id,
            version.seq,
            _stages(version),
            version.kms_key_id,
            version.created_ms,
            version.accessed_ms,
            sealed,
        ),
    )

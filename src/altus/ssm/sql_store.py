"""``ParameterStore`` in SQL, in the main database (the ``ssm`` schema).

``ssm_parameters`` has a row per parameter (its latest version, tier and tags);
``ssm_versions`` a row per version kept, each a whole record; ``ssm_labels`` a row per
label, unique per parameter, so a label is on one version at a time. A SecureString's
value is stored encrypted with the data directory's key (Fernet: AES and an HMAC), the
rest as given.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from altus.ssm.model import MAX_LABELS, SECURE_STRING, Parameter, ParameterVersion, PutPlan
from altus.ssm.store import StoreConflict
from altus.store.database import Database, IntegrityViolation, Migration, Schema, Transaction
from altus.store.secrets import Cipher

SCHEMA = Schema(
    "ssm",
    (
        Migration(
            """
        CREATE TABLE ssm_parameters (
            name TEXT PRIMARY KEY,
            version INTEGER NOT NULL,
            tier TEXT NOT NULL,
            tags TEXT NOT NULL
        );
        CREATE INDEX ssm_parameters_tier ON ssm_parameters (tier);
        CREATE TABLE ssm_versions (
            name TEXT NOT NULL,
            version INTEGER NOT NULL,
            type TEXT NOT NULL,
            value TEXT NOT NULL,
            tier TEXT NOT NULL,
            data_type TEXT NOT NULL,
            modified_ms INTEGER NOT NULL,
            modified_by TEXT NOT NULL,
            description TEXT NOT NULL,
            allowed_pattern TEXT NOT NULL,
            key_id TEXT,
            PRIMARY KEY (name, version)
        );
        CREATE TABLE ssm_labels (
            name TEXT NOT NULL,
            label TEXT NOT NULL,
            version INTEGER NOT NULL,
            PRIMARY KEY (name, label)
        )
        """,
            postgresql="""
        CREATE TABLE ssm_parameters (
            name TEXT COLLATE "C" PRIMARY KEY,
            version BIGINT NOT NULL,
            tier TEXT NOT NULL,
            tags TEXT NOT NULL
        );
        CREATE INDEX ssm_parameters_tier ON ssm_parameters (tier);
        CREATE TABLE ssm_versions (
            name TEXT COLLATE "C" NOT NULL,
            version BIGINT NOT NULL,
            type TEXT NOT NULL,
            value TEXT NOT NULL,
            tier TEXT NOT NULL,
            data_type TEXT NOT NULL,
            modified_ms BIGINT NOT NULL,
            modified_by TEXT NOT NULL,
            description TEXT NOT NULL,
            allowed_pattern TEXT NOT NULL,
            key_id TEXT,
            PRIMARY KEY (name, version)
        );
        CREATE TABLE ssm_labels (
            name TEXT COLLATE "C" NOT NULL,
            label TEXT COLLATE "C" NOT NULL,
            version BIGINT NOT NULL,
            PRIMARY KEY (name, label)
        )
        """,
        ),
    ),
)

_COLUMNS = (
    "v.name, v.version, v.type, v.value, v.tier, v.data_type, v.modified_ms, "
    "v.modified_by, v.description, v.allowed_pattern, v.key_id"
)


class SqlParameterStore:
    """``ParameterStore`` on one database; ``cipher`` seals SecureString values."""

    def __init__(self, database: Database, cipher: Cipher) -> None:
        self._db = database
        self._cipher = cipher

    # --- reading ---------------------------------------------------------------------------

    def _record(self, row: Any, labels: Sequence[str] = ()) -> ParameterVersion:
        kind, stored = row[2], row[3]
        sealed = stored if kind == SECURE_STRING else None
        value = self._cipher.decrypt(stored).decode() if sealed is not None else stored
        return ParameterVersion(
            name=row[0],
            version=int(row[1]),
            type=kind,
            value=value,
            tier=row[4],
            data_type=row[5],
            modified_ms=int(row[6]),
            modified_by=row[7],
            description=row[8],
            allowed_pattern=row[9],
            key_id=row[10],
            labels=tuple(sorted(labels)),
            sealed=sealed,
        )

    def _labels(self, tx: Transaction, names: Sequence[str]) -> dict[str, dict[str, int]]:
        found: dict[str, dict[str, int]] = {name: {} for name in names}
        if names:
            marks = ",".join("?" * len(names))
            for name, label, version in tx.execute(
                f"SELECT name, label, version FROM ssm_labels WHERE name IN ({marks})",
                list(names),
            ):
                found[name][label] = int(version)
        return found

    def _parameters(self, tx: Transaction, rows: list[Any]) -> list[Parameter]:
        """Parameters from rows of their latest version, with their tags at the end."""
        names = [row[0] for row in rows]
        labels = self._labels(tx, names)
        versions: dict[str, list[int]] = {name: [] for name in names}
        if names:
            marks = ",".join("?" * len(names))
            for name, version in tx.execute(
                f"SELECT name, version FROM ssm_versions WHERE name IN ({marks}) "
                "ORDER BY name, version",
                names,
            ):
                versions[name].append(int(version))
        found = []
        for row in rows:
            name, latest = row[0], int(row[1])
            on = labels[name]
            mine = [label for label, version in on.items() if version == latest]
            found.append(
                Parameter(
                    latest=self._record(row, mine),
                    versions=tuple(versions[name]),
                    labels=on,
                    tags=json.loads(row[11]),
                )
            )
        return found

    async def parameter(self, name: str) -> Parameter | None:
        def work(tx: Transaction) -> Parameter | None:
            rows = tx.execute(
                f"SELECT {_COLUMNS}, p.tags FROM ssm_parameters p JOIN ssm_versions v "
                "ON v.name = p.name AND v.version = p.version WHERE p.name = ?",
                (name,),
            ).fetchall()
            found = self._parameters(tx, rows)
            return found[0] if found else None

        return await self._db.read(work)

    async def version(self, name: str, version: int) -> ParameterVersion | None:
        def work(tx: Transaction) -> ParameterVersion | None:
            row = tx.execute(
                f"SELECT {_COLUMNS} FROM ssm_versions v WHERE v.name = ? AND v.version = ?",
                (name, version),
            ).fetchone()
            if row is None:
                return None
            labels = tx.execute(
                "SELECT label FROM ssm_labels WHERE name = ? AND version = ?", (name, version)
            ).fetchall()
            return self._record(row, [label for (label,) in labels])

        return await self._db.read(work)

    async def history(self, name: str, after: int, limit: int) -> list[ParameterVersion]:
        def work(tx: Transaction) -> list[ParameterVersion]:
            rows = tx.execute(
                f"SELECT {_COLUMNS} FROM ssm_versions v WHERE v.name = ? AND v.version > ? "
                "ORDER BY v.version LIMIT ?",
                (name, after, limit),
            ).fetchall()
            on: dict[int, list[str]] = {}
            for label, version in self._labels(tx, [name])[name].items():
                on.setdefault(version, []).append(label)
            return [self._record(row, on.get(int(row[1]), ())) for row in rows]

        return await self._db.read(work)

    async def listing(self, after: str, limit: int, prefix: str = "") -> list[Parameter]:
        def work(tx: Transaction) -> list[Parameter]:
            rows = tx.execute(
                f"SELECT {_COLUMNS}, p.tags FROM ssm_parameters p JOIN ssm_versions v "
                "ON v.name = p.name AND v.version = p.version "
                "WHERE p.name > ? AND p.name >= ? ORDER BY p.name LIMIT ?",
                (after, prefix, limit),
            ).fetchall()
            return self._parameters(tx, [row for row in rows if row[0].startswith(prefix)])

        return await self._db.read(work)

    async def count(self, tier: str) -> int:
        def work(tx: Transaction) -> int:
            row = tx.execute("SELECT count(*) FROM ssm_parameters WHERE tier = ?", (tier,))
            return int(row.fetchone()[0])

        return await self._db.read(work)

    # --- writing ---------------------------------------------------------------------------

    async def put(self, plan: PutPlan) -> None:
        record = plan.record
        stored = (
            self._cipher.encrypt(record.value.encode())
            if record.type == SECURE_STRING
            else record.value
        )

        def work(tx: Transaction) -> None:
            row = tx.execute(
                "SELECT version FROM ssm_parameters WHERE name = ?", (record.name,)
            ).fetchone()
            if (int(row[0]) if row else None) != plan.expected:
                raise StoreConflict(record.name)
            if plan.expected is None:
                tx.execute(
                    "INSERT INTO ssm_parameters (name, version, tier, tags) VALUES (?, ?, ?, ?)",
                    (record.name, record.version, record.tier, json.dumps(dict(plan.tags))),
                )
            else:
                moved = tx.execute(
                    "UPDATE ssm_parameters SET version = ?, tier = ? "
                    "WHERE name = ? AND version = ?",
                    (record.version, record.tier, record.name, plan.expected),
                )
                if moved.rowcount != 1:
                    raise StoreConflict(record.name)
            tx.execute(
                "INSERT INTO ssm_versions (name, version, type, value, tier, data_type, "
                "modified_ms, modified_by, description, allowed_pattern, key_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.name,
                    record.version,
                    record.type,
                    stored,
                    record.tier,
                    record.data_type,
                    record.modified_ms,
                    record.modified_by,
                    record.description,
                    record.allowed_pattern,
                    record.key_id,
                ),
            )
            if plan.drop is not None:
                labelled = tx.execute(
                    "SELECT 1 FROM ssm_labels WHERE name = ? AND version = ?",
                    (record.name, plan.drop),
                ).fetchone()
                if labelled is not None:
                    raise StoreConflict(record.name)
                tx.execute(
                    "DELETE FROM ssm_versions WHERE name = ? AND version = ?",
                    (record.name, plan.drop),
                )

        try:
            await self._db.write(work)
        except IntegrityViolation:
            # Another writer made the parameter (or this version) first.
            raise StoreConflict(record.name) from None

    async def delete(self, names: Sequence[str]) -> list[str]:
        def work(tx: Transaction) -> list[str]:
            if not names:
                return []
            marks = ",".join("?" * len(names))
            found = {
                name
                for (name,) in tx.execute(
                    f"SELECT name FROM ssm_parameters WHERE name IN ({marks})", list(names)
                )
            }
            for table in ("ssm_labels", "ssm_versions", "ssm_parameters"):
                tx.execute(f"DELETE FROM {table} WHERE name IN ({marks})", list(names))
            return [name for name in dict.fromkeys(names) if name in found]

        return await self._db.write(work)

    async def label(self, name: str, version: int, labels: Sequence[str]) -> None:
        def work(tx: Transaction) -> None:
            kept = tx.execute(
                "SELECT 1 FROM ssm_versions WHERE name = ? AND version = ?", (name, version)
            ).fetchone()
            if kept is None:
                raise StoreConflict(name)
            tx.executemany(
                "INSERT INTO ssm_labels (name, label, version) VALUES (?, ?, ?) "
                "ON CONFLICT (name, label) DO UPDATE SET version = excluded.version",
                [(name, label, version) for label in labels],
            )
            carried = tx.execute(
                "SELECT count(*) FROM ssm_labels WHERE name = ? AND version = ?",
                (name, version),
            ).fetchone()
            if int(carried[0]) > MAX_LABELS:
                raise StoreConflict(name)

        await self._db.write(work)

    async def unlabel(self, name: str, version: int, labels: Sequence[str]) -> list[str]:
        def work(tx: Transaction) -> list[str]:
            if not labels:
                return []
            marks = ",".join("?" * len(labels))
            params = [name, version, *labels]
            found = {
                label
                for (label,) in tx.execute(
                    "SELECT label FROM ssm_labels WHERE name = ? AND version = ? "
                    f"AND label IN ({marks})",
                    params,
                )
            }
            tx.execute(
                f"DELETE FROM ssm_labels WHERE name = ? AND version = ? AND label IN ({marks})",
                params,
            )
            return [label for label in dict.fromkeys(labels) if label in found]

        return await self._db.write(work)

    async def retag(
        self, name: str, change: Callable[[dict[str, str]], dict[str, str]]
    ) -> Mapping[str, str] | None:
        def work(tx: Transaction) -> Mapping[str, str] | None:
            row = tx.execute("SELECT tags FROM ssm_parameters WHERE name = ?", (name,)).fetchone()
            if row is None:
                return None
            tags = change(json.loads(row[0]))
            tx.execute(
                "UPDATE ssm_parameters SET tags = ? WHERE name = ?", (json.dumps(tags), name)
            )
            return tags

        return await self._db.write(work)

"""``FunctionStore`` in SQL, on any ``altus.store`` database.

Configurations, aliases, attachments and layer versions are JSON documents in rows keyed
the way they are looked up. With a ``cipher``, a configuration's environment variables
are stored encrypted (``{"encrypted": <token>}``) and decrypted on load.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from altus.control.model import Alias, FunctionConfig, FunctionRecord, LayerVersion
from altus.control.store import (
    Change,
    CreateFunction,
    DeleteAlias,
    DeleteFunction,
    DeleteLayerVersion,
    DeleteVersion,
    PutAlias,
    PutAttached,
    PutLatest,
    PutLayerVersion,
    PutTags,
    PutVersion,
    StoreConflict,
)
from altus.store.code import layers_tree_name
from altus.store.database import (
    POSTGRESQL,
    Database,
    IntegrityViolation,
    Migration,
    Schema,
    Transaction,
)
from altus.store.secrets import Cipher, SecretError

SCHEMA = Schema(
    "functions",
    (
        Migration(
            """
        CREATE TABLE functions (
            name TEXT PRIMARY KEY,
            latest TEXT NOT NULL,
            last_version INTEGER NOT NULL DEFAULT 0,
            tags TEXT NOT NULL DEFAULT '{}'
        );
        CREATE TABLE versions (
            name TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            config TEXT NOT NULL,
            PRIMARY KEY (name, version)
        );
        CREATE TABLE aliases (
            function TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
            name TEXT NOT NULL,
            alias TEXT NOT NULL,
            PRIMARY KEY (function, name)
        );
        """,
            postgresql="""
        CREATE TABLE functions (
            name TEXT COLLATE "C" PRIMARY KEY,
            latest TEXT NOT NULL,
            last_version INTEGER NOT NULL DEFAULT 0,
            tags TEXT NOT NULL DEFAULT '{}'
        );
        CREATE TABLE versions (
            name TEXT COLLATE "C" NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            config TEXT NOT NULL,
            PRIMARY KEY (name, version)
        );
        CREATE TABLE aliases (
            function TEXT COLLATE "C" NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
            name TEXT COLLATE "C" NOT NULL,
            alias TEXT NOT NULL,
            PRIMARY KEY (function, name)
        );
        """,
        ),
        Migration(
            """
        CREATE TABLE attached (
            function TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            qualifier TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (function, kind, qualifier)
        );
        CREATE TABLE layers (
            name TEXT PRIMARY KEY,
            last_version INTEGER NOT NULL
        );
        CREATE TABLE layer_versions (
            name TEXT NOT NULL REFERENCES layers(name),
            version INTEGER NOT NULL,
            layer TEXT NOT NULL,
            PRIMARY KEY (name, version)
        );
        """,
            postgresql="""
        CREATE TABLE attached (
            function TEXT COLLATE "C" NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
            kind TEXT COLLATE "C" NOT NULL,
            qualifier TEXT COLLATE "C" NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (function, kind, qualifier)
        );
        CREATE TABLE layers (
            name TEXT COLLATE "C" PRIMARY KEY,
            last_version INTEGER NOT NULL
        );
        CREATE TABLE layer_versions (
            name TEXT COLLATE "C" NOT NULL REFERENCES layers(name),
            version INTEGER NOT NULL,
            layer TEXT NOT NULL,
            PRIMARY KEY (name, version)
        );
        """,
        ),
    ),
)


def _dump(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


class SqlFunctionStore:
    """The function store of one database; see ``FunctionStore`` for the contract."""

    def __init__(self, database: Database, cipher: Cipher | None = None) -> None:
        self._db = database
        self._cipher = cipher
        self._sealed = cipher is None

    # --- encryption at rest ----------------------------------------------------------------

    def _dump_config(self, config: FunctionConfig) -> str:
        record = config.to_record()
        if self._cipher is not None and record["environment"]:
            plain = _dump(record["environment"]).encode()
            record["environment"] = {"encrypted": self._cipher.encrypt(plain)}
        return _dump(record)

    def _load_config(self, text: str) -> FunctionConfig:
        record: dict[str, Any] = json.loads(text)
        sealed = record.get("environment") or {}
        if set(sealed) == {"encrypted"} and isinstance(sealed["encrypted"], str):
            if self._cipher is None:
                raise SecretError("encrypted environment variables and no key to read them")
            record["environment"] = json.loads(self._cipher.decrypt(sealed["encrypted"]))
        return FunctionConfig.from_record(record)

    def _seal(self, tx: Transaction) -> int:
        """Encrypt environments stored in clear (by a server before encryption at rest,
        or without a key); how many there were."""
        sealed = 0
        for table, column, key in (
            ("functions", "latest", "name"),
            ("versions", "config", "name, version"),
        ):
            rows = tx.execute(f"SELECT {key}, {column} FROM {table}").fetchall()
            for *row_key, text in rows:
                environment = json.loads(text).get("environment") or {}
                if environment and set(environment) != {"encrypted"}:
                    config = FunctionConfig.from_record(json.loads(text))
                    where = " AND ".join(f"{k.strip()} = ?" for k in key.split(","))
                    tx.execute(
                        f"UPDATE {table} SET {column} = ? WHERE {where}",
                        (self._dump_config(config), *row_key),
                    )
                    sealed += 1
        return sealed

    # --- FunctionStore ---------------------------------------------------------------------

    async def load(self) -> list[FunctionRecord]:
        if not self._sealed:
            if await self._db.write(self._seal):
                await self._db.scrub()  # the clear text may linger in the WAL
            self._sealed = True
        return await self._db.read(self._load)

    def _load(self, tx: Transaction) -> list[FunctionRecord]:
        records: dict[str, FunctionRecord] = {}
        for name, latest, last_version, tags in tx.execute(
            "SELECT name, latest, last_version, tags FROM functions ORDER BY name"
        ):
            records[name] = FunctionRecord(
                latest=self._load_config(latest), last_version=last_version, tags=json.loads(tags)
            )
        for name, version, config in tx.execute(
            "SELECT name, version, config FROM versions ORDER BY name, version"
        ):
            records[name].versions[str(version)] = self._load_config(config)
        for function, alias_name, alias in tx.execute(
            "SELECT function, name, alias FROM aliases ORDER BY function, name"
        ):
            records[function].aliases[alias_name] = Alias.from_record(json.loads(alias))
        for function, kind, qualifier, value in tx.execute(
            "SELECT function, kind, qualifier, value FROM attached"
        ):
            records[function].attach(kind, qualifier, json.loads(value))
        return list(records.values())

    async def load_layers(self) -> tuple[list[LayerVersion], dict[str, int]]:
        def work(tx: Transaction) -> tuple[list[LayerVersion], dict[str, int]]:
            counters = {
                name: last for name, last in tx.execute("SELECT name, last_version FROM layers")
            }
            layers = [
                LayerVersion.from_record(json.loads(text))
                for (text,) in tx.execute("SELECT layer FROM layer_versions ORDER BY name, version")
            ]
            return layers, counters

        return await self._db.read(work)

    async def apply(self, changes: Sequence[Change]) -> None:
        def work(tx: Transaction) -> None:
            for change in changes:
                self._apply_one(tx, change)

        await self._db.write(work)

    def _apply_one(self, tx: Transaction, change: Change) -> None:
        match change:
            case CreateFunction(latest=latest, tags=tags):
                try:
                    tx.execute(
                        "INSERT INTO functions (name, latest, tags) VALUES (?, ?, ?)",
                        (latest.name, self._dump_config(latest), _dump(tags)),
                    )
                except IntegrityViolation:
                    raise StoreConflict(f"function {latest.name} exists") from None
            case PutLatest(latest=latest, expect_revision=expect):
                lock = " FOR UPDATE" if tx.dialect == POSTGRESQL else ""
                row = tx.execute(
                    f"SELECT latest FROM functions WHERE name = ?{lock}", (latest.name,)
                ).fetchone()
                if row is None:
                    raise StoreConflict(f"function {latest.name} does not exist")
                if expect is not None and json.loads(row[0])["revision_id"] != expect:
                    raise StoreConflict(f"function {latest.name} changed meanwhile")
                tx.execute(
                    "UPDATE functions SET latest = ? WHERE name = ?",
                    (self._dump_config(latest), latest.name),
                )
            case PutVersion(config=config, last_version=last_version):
                try:
                    tx.execute(
                        "INSERT INTO versions (name, version, config) VALUES (?, ?, ?)",
                        (config.name, int(config.version), self._dump_config(config)),
                    )
                except IntegrityViolation:
                    raise StoreConflict(
                        f"version {config.version} of {config.name} exists"
                    ) from None
                tx.execute(
                    "UPDATE functions SET last_version = ? WHERE name = ?",
                    (last_version, config.name),
                )
            case DeleteVersion(name=name, version=version):
                tx.execute(
                    "DELETE FROM versions WHERE name = ? AND version = ?", (name, int(version))
                )
                tx.execute(
                    "DELETE FROM attached WHERE function = ? AND qualifier = ?", (name, version)
                )
            case PutAlias(alias=alias):
                tx.execute(
                    "INSERT INTO aliases (function, name, alias) VALUES (?, ?, ?) "
                    "ON CONFLICT (function, name) DO UPDATE SET alias = excluded.alias",
                    (alias.function, alias.name, _dump(alias.to_record())),
                )
            case DeleteAlias(function=function, name=name):
                tx.execute("DELETE FROM aliases WHERE function = ? AND name = ?", (function, name))
                tx.execute(
                    "DELETE FROM attached WHERE function = ? AND qualifier = ?", (function, name)
                )
            case PutTags(name=name, tags=tags):
                tx.execute("UPDATE functions SET tags = ? WHERE name = ?", (_dump(tags), name))
            case DeleteFunction(name=name):
                tx.execute("DELETE FROM functions WHERE name = ?", (name,))
            case PutAttached(function=function, kind=kind, qualifier=qualifier, value=value):
                if value is None:
                    tx.execute(
                        "DELETE FROM attached WHERE function = ? AND kind = ? AND qualifier = ?",
                        (function, kind, qualifier),
                    )
                else:
                    tx.execute(
                        "INSERT INTO attached (function, kind, qualifier, value) "
                        "VALUES (?, ?, ?, ?) ON CONFLICT (function, kind, qualifier) "
                        "DO UPDATE SET value = excluded.value",
                        (function, kind, qualifier, _dump(value)),
                    )
            case PutLayerVersion(layer=layer):
                highest = "GREATEST" if tx.dialect == POSTGRESQL else "max"
                tx.execute(
                    "INSERT INTO layers (name, last_version) VALUES (?, ?) "
                    "ON CONFLICT (name) DO UPDATE SET last_version = "
                    f"{highest}(layers.last_version, excluded.last_version)",
                    (layer.name, layer.version),
                )
                tx.execute(
                    "INSERT INTO layer_versions (name, version, layer) VALUES (?, ?, ?) "
                    "ON CONFLICT (name, version) DO UPDATE SET layer = excluded.layer",
                    (layer.name, layer.version, _dump(layer.to_record())),
                )
            case DeleteLayerVersion(name=name, version=version):
                tx.execute(
                    "DELETE FROM layer_versions WHERE name = ? AND version = ?", (name, version)
                )
            case _:
                raise TypeError(f"unknown change {change!r}")

    async def code_references(self) -> set[str]:
        def work(tx: Transaction) -> set[str]:
            digests = set()
            for (text,) in tx.execute(
                "SELECT latest FROM functions UNION ALL SELECT config FROM versions"
            ):
                config = json.loads(text)
                digests.add(config["code"]["digest"])
                # A function keeps the layers it was configured with, deleted or not,
                # and their merged /opt.
                layers = [layer["code"]["digest"] for layer in config.get("layers", ())]
                digests.update(layers)
                if layers:
                    digests.add(layers_tree_name(layers))
            for (text,) in tx.execute("SELECT layer FROM layer_versions"):
                digests.add(json.loads(text)["code"]["digest"])
            return digests

        return await self._db.read(work)

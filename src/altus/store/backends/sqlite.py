"""SQLite store: the embedded default. One file under the data directory, WAL mode.

Writes use ``synchronous=FULL`` so that a change is on disk before the client hears it
was made. Calls are short and made from the event loop thread; a lock makes the
connection safe for the few callers on other threads.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from altus.control.model import Alias, FunctionConfig, FunctionRecord, LayerVersion
from altus.store.base import (
    Change,
    CreateFunction,
    DeleteAlias,
    DeleteFunction,
    DeleteLayerVersion,
    DeleteVersion,
    OutboxRecord,
    PutAlias,
    PutAttached,
    PutLatest,
    PutLayerVersion,
    PutTags,
    PutVersion,
    QueuedEvent,
    StoreConflict,
)
from altus.store.code import layers_tree_name
from altus.store.secrets import Cipher, SecretError

# Each entry migrates the schema from version i to i+1; PRAGMA user_version records how
# far a database has come. Append only.
MIGRATIONS: list[str] = [
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
    CREATE TABLE async_events (
        id TEXT PRIMARY KEY,
        function TEXT NOT NULL,
        qualifier TEXT,
        payload BLOB NOT NULL,
        received_ms INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        extra TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX async_events_received ON async_events (received_ms);
    """,
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
    # Records for destinations and dead-letter queues: written in the transaction that
    # finishes their event, deleted once their target has them, parked after many tries.
    """
    CREATE TABLE async_outbox (
        id TEXT PRIMARY KEY,
        event_id TEXT NOT NULL,
        function TEXT NOT NULL,
        kind TEXT NOT NULL,
        target TEXT NOT NULL,
        body TEXT NOT NULL,
        attributes TEXT NOT NULL DEFAULT '{}',
        created_ms INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        parked_ms INTEGER,
        last_error TEXT
    );
    """,
    # The built-in queues (altus.queues): queues, their messages, FIFO deduplication ids.
    """
    CREATE TABLE queues (
        name TEXT PRIMARY KEY,
        attributes TEXT NOT NULL,
        tags TEXT NOT NULL DEFAULT '{}',
        created_ms INTEGER NOT NULL,
        modified_ms INTEGER NOT NULL,
        purged_ms INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE queue_messages (
        queue TEXT NOT NULL REFERENCES queues(name) ON DELETE CASCADE,
        id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        body TEXT NOT NULL,
        attributes TEXT NOT NULL,
        system TEXT NOT NULL,
        sent_ms INTEGER NOT NULL,
        visible_ms INTEGER NOT NULL,
        sender_id TEXT NOT NULL,
        receive_count INTEGER NOT NULL DEFAULT 0,
        first_receive_ms INTEGER NOT NULL DEFAULT 0,
        receipt TEXT NOT NULL DEFAULT '',
        group_id TEXT,
        dedup_id TEXT,
        source_arn TEXT,
        PRIMARY KEY (queue, id)
    );
    CREATE INDEX queue_messages_seq ON queue_messages (seq);
    CREATE TABLE queue_dedups (
        queue TEXT NOT NULL REFERENCES queues(name) ON DELETE CASCADE,
        key TEXT NOT NULL,
        message_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        expires_ms INTEGER NOT NULL,
        PRIMARY KEY (queue, key)
    );
    """,
]


def connect(path: Path, *, synchronous: str = "FULL") -> sqlite3.Connection:
    """Open (and migrate) the database. ``isolation_level=None``: we manage transactions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA foreign_keys=ON")
    # What a change replaces is zeroed, not left in free space: secrets do not linger.
    conn.execute("PRAGMA secure_delete=ON")
    conn.execute("PRAGMA busy_timeout=5000")
    migrate(conn)
    return conn


def migrate(conn: sqlite3.Connection) -> None:
    (current,) = conn.execute("PRAGMA user_version").fetchone()
    for index in range(current, len(MIGRATIONS)):
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Re-check inside the write lock: another process may have migrated meanwhile.
            (now,) = conn.execute("PRAGMA user_version").fetchone()
            if now > index:
                conn.execute("COMMIT")
                continue
            for statement in MIGRATIONS[index].split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version={index + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


class SqliteStore:
    """``Store`` and ``EventQueue`` on one SQLite database. With a ``cipher``, functions'
    environment variables are stored encrypted."""

    def __init__(self, path: Path, cipher: Cipher | None = None) -> None:
        self._conn = connect(path)
        self._lock = threading.Lock()
        self._cipher = cipher
        if cipher is not None:
            self._seal_plaintext()

    def _seal_plaintext(self) -> None:
        """Encrypt environments stored in clear (by a server before encryption at rest,
        or without a key), then empty the write-ahead log that still holds them."""
        conn = self._conn
        with self._lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                sealed = 0
                for table, column, key in (
                    ("functions", "latest", "name"),
                    ("versions", "config", "rowid"),
                ):
                    rows = conn.execute(f"SELECT {key}, {column} FROM {table}").fetchall()
                    for row_key, text in rows:
                        environment = json.loads(text).get("environment") or {}
                        if environment and set(environment) != {"encrypted"}:
                            config = FunctionConfig.from_record(json.loads(text))
                            conn.execute(
                                f"UPDATE {table} SET {column} = ? WHERE {key} = ?",
                                (self._dump_config(config), row_key),
                            )
                            sealed += 1
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            if sealed:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

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

    # --- Store -----------------------------------------------------------------------------

    def load(self) -> list[FunctionRecord]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT name, latest, last_version, tags FROM functions ORDER BY name"
            ).fetchall()
            records: dict[str, FunctionRecord] = {}
            for name, latest, last_version, tags in rows:
                records[name] = FunctionRecord(
                    latest=self._load_config(latest),
                    last_version=last_version,
                    tags=json.loads(tags),
                )
            for name, version, config in self._conn.execute(
                "SELECT name, version, config FROM versions ORDER BY name, version"
            ):
                records[name].versions[str(version)] = self._load_config(config)
            for function, alias_name, alias in self._conn.execute(
                "SELECT function, name, alias FROM aliases ORDER BY function, name"
            ):
                records[function].aliases[alias_name] = Alias.from_record(json.loads(alias))
            for function, kind, qualifier, value in self._conn.execute(
                "SELECT function, kind, qualifier, value FROM attached"
            ):
                records[function].attach(kind, qualifier, json.loads(value))
        return list(records.values())

    def load_layers(self) -> tuple[list[LayerVersion], dict[str, int]]:
        with self._lock:
            counters = dict(self._conn.execute("SELECT name, last_version FROM layers"))
            layers = [
                LayerVersion.from_record(json.loads(text))
                for (text,) in self._conn.execute(
                    "SELECT layer FROM layer_versions ORDER BY name, version"
                )
            ]
        return layers, counters

    def apply(self, changes: Sequence[Change]) -> None:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for change in changes:
                    self._apply_one(change)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _apply_one(self, change: Change) -> None:
        conn = self._conn
        match change:
            case CreateFunction(latest=latest, tags=tags):
                try:
                    conn.execute(
                        "INSERT INTO functions (name, latest, tags) VALUES (?, ?, ?)",
                        (latest.name, self._dump_config(latest), _dump(tags)),
                    )
                except sqlite3.IntegrityError:
                    raise StoreConflict(f"function {latest.name} exists") from None
            case PutLatest(latest=latest, expect_revision=expect):
                row = conn.execute(
                    "SELECT latest FROM functions WHERE name = ?", (latest.name,)
                ).fetchone()
                if row is None:
                    raise StoreConflict(f"function {latest.name} does not exist")
                if expect is not None and json.loads(row[0])["revision_id"] != expect:
                    raise StoreConflict(f"function {latest.name} changed meanwhile")
                conn.execute(
                    "UPDATE functions SET latest = ? WHERE name = ?",
                    (self._dump_config(latest), latest.name),
                )
            case PutVersion(config=config, last_version=last_version):
                try:
                    conn.execute(
                        "INSERT INTO versions (name, version, config) VALUES (?, ?, ?)",
                        (config.name, int(config.version), self._dump_config(config)),
                    )
                except sqlite3.IntegrityError:
                    raise StoreConflict(
                        f"version {config.version} of {config.name} exists"
                    ) from None
                conn.execute(
                    "UPDATE functions SET last_version = ? WHERE name = ?",
                    (last_version, config.name),
                )
            case DeleteVersion(name=name, version=version):
                conn.execute(
                    "DELETE FROM versions WHERE name = ? AND version = ?", (name, int(version))
                )
                conn.execute(
                    "DELETE FROM attached WHERE function = ? AND qualifier = ?", (name, version)
                )
            case PutAlias(alias=alias):
                conn.execute(
                    "INSERT OR REPLACE INTO aliases (function, name, alias) VALUES (?, ?, ?)",
                    (alias.function, alias.name, _dump(alias.to_record())),
                )
            case DeleteAlias(function=function, name=name):
                conn.execute(
                    "DELETE FROM aliases WHERE function = ? AND name = ?", (function, name)
                )
                conn.execute(
                    "DELETE FROM attached WHERE function = ? AND qualifier = ?", (function, name)
                )
            case PutTags(name=name, tags=tags):
                conn.execute("UPDATE functions SET tags = ? WHERE name = ?", (_dump(tags), name))
            case DeleteFunction(name=name):
                conn.execute("DELETE FROM functions WHERE name = ?", (name,))
            case PutAttached(function=function, kind=kind, qualifier=qualifier, value=value):
                if value is None:
                    conn.execute(
                        "DELETE FROM attached WHERE function = ? AND kind = ? AND qualifier = ?",
                        (function, kind, qualifier),
                    )
                else:
                    conn.execute(
                        "INSERT OR REPLACE INTO attached (function, kind, qualifier, "
                        "value) VALUES (?, ?, ?, ?)",
                        (function, kind, qualifier, _dump(value)),
                    )
            case PutLayerVersion(layer=layer):
                conn.execute(
                    "INSERT INTO layers (name, last_version) VALUES (?, ?) ON CONFLICT(name) "
                    "DO UPDATE SET last_version = max(last_version, excluded.last_version)",
                    (layer.name, layer.version),
                )
                conn.execute(
                    "INSERT OR REPLACE INTO layer_versions (name, version, layer) VALUES (?, ?, ?)",
                    (layer.name, layer.version, _dump(layer.to_record())),
                )
            case DeleteLayerVersion(name=name, version=version):
                conn.execute(
                    "DELETE FROM layer_versions WHERE name = ? AND version = ?", (name, version)
                )
            case _:
                raise TypeError(f"unknown change {change!r}")

    def code_references(self) -> set[str]:
        with self._lock:
            digests = set()
            for (text,) in self._conn.execute(
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
            for (text,) in self._conn.execute("SELECT layer FROM layer_versions"):
                digests.add(json.loads(text)["code"]["digest"])
        return digests

    # --- EventQueue --------------------------------------------------------------------------

    def put(self, events: Sequence[QueuedEvent]) -> None:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.executemany(
                    "INSERT INTO async_events (id, function, qualifier, payload, received_ms, "
                    "attempts, extra) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            e.id,
                            e.function,
                            e.qualifier,
                            e.payload,
                            e.received_ms,
                            e.attempts,
                            _dump(e.extra),
                        )
                        for e in events
                    ],
                )
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def pending(self) -> list[QueuedEvent]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, function, qualifier, payload, received_ms, attempts, extra "
                "FROM async_events ORDER BY received_ms, id"
            ).fetchall()
        return [
            QueuedEvent(
                id=r[0],
                function=r[1],
                qualifier=r[2],
                payload=bytes(r[3]),
                received_ms=r[4],
                attempts=r[5],
                extra=json.loads(r[6]),
            )
            for r in rows
        ]

    def payload(self, event_id: str) -> bytes | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT payload FROM async_events WHERE id = ?", (event_id,)
            ).fetchone()
        return None if row is None else bytes(row[0])

    def update(self, event: QueuedEvent) -> None:
        with self._lock:
            self._conn.execute(
                "UPDATE async_events SET attempts = ?, extra = ? WHERE id = ?",
                (event.attempts, _dump(event.extra), event.id),
            )

    def finish(self, ends: Sequence[tuple[str, Sequence[OutboxRecord]]]) -> None:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for event_id, records in ends:
                    for record in records:
                        self._put_record(record)
                    self._conn.execute("DELETE FROM async_events WHERE id = ?", (event_id,))
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def outbox(self, parked: bool) -> list[OutboxRecord]:
        where = "parked_ms IS NOT NULL" if parked else "parked_ms IS NULL"
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, event_id, function, kind, target, body, attributes, created_ms, "
                f"attempts, parked_ms, last_error FROM async_outbox WHERE {where} "
                "ORDER BY created_ms, id"
            ).fetchall()
        return [
            OutboxRecord(
                id=r[0],
                event_id=r[1],
                function=r[2],
                kind=r[3],
                target=r[4],
                body=r[5],
                attributes=json.loads(r[6]),
                created_ms=r[7],
                attempts=r[8],
                parked_ms=r[9],
                last_error=r[10],
            )
            for r in rows
        ]

    def put_record(self, record: OutboxRecord) -> None:
        with self._lock:
            self._put_record(record)

    def _put_record(self, r: OutboxRecord) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO async_outbox (id, event_id, function, kind, target, body, "
            "attributes, created_ms, attempts, parked_ms, last_error) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                r.id,
                r.event_id,
                r.function,
                r.kind,
                r.target,
                r.body,
                _dump(r.attributes),
                r.created_ms,
                r.attempts,
                r.parked_ms,
                r.last_error,
            ),
        )

    def record_done(self, record_id: str) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM async_outbox WHERE id = ?", (record_id,))

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _dump(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)

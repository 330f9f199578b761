"""Which databases a server's stores use, chosen by one URL (the ``store`` setting).

- ``sqlite:<path>``, the default (``sqlite:<data_dir>/altus.db``): the main database in
  that file; a store that asks for a database of its own (the logs, written far more
  often than anything else and allowed to lose their last moments in a power cut) gets
  a file beside it, ``<name>.db``, so its writes never queue behind configuration's.
- ``postgresql://...`` (or ``postgres://``): every store in that database.
- ``memory:``: SQLite in memory, gone when the server stops (tests, throwaway servers).
"""

from __future__ import annotations

from pathlib import Path

from altus.store.backends.sqlite import SqliteDatabase
from altus.store.database import Database, DatabaseError, Transaction

MAIN = "main"

#: What ``PRAGMA user_version`` meant in an ``altus.db`` made before per-component
#: versions: one list of migrations, now split by component.
_LEGACY_VERSIONS: dict[int, dict[str, int]] = {
    1: {"functions": 1, "async": 1},
    2: {"functions": 2, "async": 1},
    3: {"functions": 2, "async": 2},
    4: {"functions": 2, "async": 2, "queues": 1},
}


def _legacy_versions(tx: Transaction) -> dict[str, int]:
    (version,) = tx.execute("PRAGMA user_version").fetchone()
    if version > max(_LEGACY_VERSIONS):
        raise DatabaseError(
            f"the database has schema version {version}, newer than this Altus knows: upgrade Altus"
        )
    return _LEGACY_VERSIONS.get(version, {})


class Storage:
    """Opens each database once, on first use; ``close`` closes them all."""

    def __init__(self, url: str) -> None:
        self.url = url
        if url == "memory:":
            self.kind = "memory"
        elif url.startswith("sqlite:"):
            self.kind = "sqlite"
            self._path = Path(url.removeprefix("sqlite:"))
            if not url.removeprefix("sqlite:"):
                raise DatabaseError("a sqlite: store needs a path: sqlite:<path>")
        elif url.startswith(("postgresql://", "postgres://")):
            self.kind = "postgresql"
        else:
            raise DatabaseError(
                f"unknown store {url!r}: use sqlite:<path>, postgresql://... or memory:"
            )
        self._open: dict[str, Database] = {}

    @property
    def location(self) -> str:
        """Where the main database is, for messages (no password)."""
        return self.database().location

    def database(self, name: str = MAIN, *, durable: bool = True) -> Database:
        """The database for stores of ``name`` (MAIN unless a store keeps its own)."""
        if self.kind == "postgresql":
            name = MAIN
        found = self._open.get(name)
        if found is not None:
            return found
        database: Database
        if self.kind == "memory":
            database = SqliteDatabase(None, durable=durable)
        elif self.kind == "sqlite":
            path = self._path if name == MAIN else self._path.with_name(f"{name}.db")
            database = SqliteDatabase(
                path, durable=durable, legacy=_legacy_versions if name == MAIN else None
            )
        else:
            from altus.store.backends.postgresql import PostgresDatabase

            database = PostgresDatabase(self.url)
        self._open[name] = database
        return database

    def close(self) -> None:
        for database in self._open.values():
            database.close()
        self._open.clear()

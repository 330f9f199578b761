"""Schema versions per component: each store migrates its own tables.

The ``altus_schema`` table holds one row per component (``functions``, ``async``,
``queues``, ``logs`` ...) with the number of its migrations applied. Each migration runs
in a transaction of its own that also records the new version, under a lock the
backend takes first (``lock``), so two servers starting on one database never apply a
step twice and a crash mid-migration leaves the previous version whole.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

from altus.store.database import Schema, Transaction, statements

log = logging.getLogger(__name__)

TABLE = "altus_schema"

T = TypeVar("T")

#: Runs one work in one transaction, synchronously (the backend's, at startup).
Runner = Callable[[Callable[[Transaction], T]], T]


def versions(tx: Transaction) -> dict[str, int]:
    """Every component's version (the table exists)."""
    return {
        component: version
        for component, version in tx.execute(f"SELECT component, version FROM {TABLE}")
    }


def ensure_table(tx: Transaction) -> bool:
    """Create the versions table if it is missing; True if it was."""
    if tx.dialect == "postgresql":
        found = tx.execute("SELECT to_regclass(?)", (TABLE,)).fetchone()[0] is not None
    else:
        found = (
            tx.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)
            ).fetchone()
            is not None
        )
    if not found:
        tx.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} (component TEXT PRIMARY KEY, "
            "version INTEGER NOT NULL)"
        )
    return not found


def set_version(tx: Transaction, component: str, version: int) -> None:
    tx.execute(
        f"INSERT INTO {TABLE} (component, version) VALUES (?, ?) "
        "ON CONFLICT (component) DO UPDATE SET version = excluded.version",
        (component, version),
    )


def migrate(
    run: Runner[object],
    schemas: Sequence[Schema],
    lock: Callable[[Transaction], None],
    legacy: Callable[[Transaction], dict[str, int]] | None = None,
) -> None:
    """Apply each schema's missing migrations, one transaction per step. ``lock`` makes
    the calling transaction the only one migrating (it runs first in each). ``legacy``
    gives the versions of a database older than the versions table, once, when the
    table is made."""

    def current(tx: Transaction) -> dict[str, int]:
        lock(tx)
        if ensure_table(tx) and legacy is not None:
            for component, version in legacy(tx).items():
                set_version(tx, component, version)
        return versions(tx)

    found = run(current)
    assert isinstance(found, dict)
    for schema in schemas:
        for index in range(found.get(schema.component, 0), schema.version):

            def step(tx: Transaction, index: int = index, schema: Schema = schema) -> bool:
                lock(tx)
                if versions(tx).get(schema.component, 0) > index:
                    return False  # another server did it meanwhile
                for statement in statements(schema.migrations[index].for_dialect(tx.dialect)):
                    tx.execute(statement)
                set_version(tx, schema.component, index + 1)
                return True

            if run(step):
                log.debug("migrated %s to version %d", schema.component, index + 1)

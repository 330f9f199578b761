"""Where tuning jobs live (``altus tune``): the interface, its contract beside each
method. One implementation, ``tuning_sql_store.SqlTuningStore``, on every backend of
``altus.store`` (SQLite in memory or in a file, PostgreSQL), in the main database.

A job is written when it starts (before the 202 answers), after each memory size it
measures (its progress, which survives the server), and when it ends.
"""

from __future__ import annotations

from typing import Protocol

from altus.awslambda.tuning_model import Tuning


class TuningStore(Protocol):
    async def put(self, tuning: Tuning) -> None:
        """Insert or replace the job of ``tuning.tuning_id``, durably before returning.
        Raises ``altus.store.database.DatabaseError`` (then nothing is written)."""
        ...

    async def get(self, tuning_id: str) -> Tuning | None:
        """The job of that id, or None."""
        ...

    async def list(self, function: str | None = None, limit: int = 1000) -> list[Tuning]:
        """Jobs (of ``function`` alone, when given), newest first (by start, then id),
        at most ``limit``."""
        ...

    async def fail_running(self, error: str, ended: float) -> int:
        """Mark every RUNNING job FAILED with ``error`` and end time ``ended``: at start,
        for the jobs a previous run of the server left unfinished. Returns how many."""
        ...

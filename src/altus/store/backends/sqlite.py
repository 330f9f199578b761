"""SQLite: the embedded default (a file in the data directory) and ``memory:``.

A file database runs in WAL mode with two connections, each used by one thread of its
own: the writer (``BEGIN IMMEDIATE``, so one write at a time, committed with
``synchronous=FULL`` before ``write`` returns when the database is durable) and the
reader (WAL readers see the last commit and never wait for the writer). An in-memory
database is one connection and one thread for both.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from altus.store import migrations
from altus.store.database import (
    SQLITE,
    Cursor,
    DatabaseError,
    IntegrityViolation,
    Schema,
    Transaction,
)

T = TypeVar("T")


class _Transaction:
    dialect = SQLITE

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._savepoints = itertools.count()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        try:
            return self._conn.execute(sql, params)
        except sqlite3.IntegrityError as error:
            raise IntegrityViolation(str(error)) from error
        except sqlite3.Error as error:
            raise DatabaseError(str(error)) from error

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        try:
            self._conn.executemany(sql, rows)
        except sqlite3.IntegrityError as error:
            raise IntegrityViolation(str(error)) from error
        except sqlite3.Error as error:
            raise DatabaseError(str(error)) from error

    @contextlib.contextmanager
    def savepoint(self) -> Iterator[None]:
        name = f"s{next(self._savepoints)}"
        self._conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            self._conn.execute(f"ROLLBACK TO {name}")
            self._conn.execute(f"RELEASE {name}")
            raise
        self._conn.execute(f"RELEASE {name}")


def _connect(target: str, durable: bool) -> sqlite3.Connection:
    # isolation_level=None: transactions are ours (BEGIN ... COMMIT), not the module's.
    conn = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
    if target != ":memory:":
        conn.execute("PRAGMA journal_mode=WAL")
    # FULL: a commit is on disk before it returns. NORMAL (logs): a power cut may lose
    # the last commits, never corrupt the file.
    conn.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
    conn.execute("PRAGMA foreign_keys=ON")
    # What a change replaces is zeroed, not left in free space: secrets do not linger.
    conn.execute("PRAGMA secure_delete=ON")
    conn.execute("PRAGMA busy_timeout=5000")
    return conn


class SqliteDatabase:
    """``path=None``: in memory, gone with the object. ``legacy`` reads the component
    versions of a file made before they were kept per component."""

    dialect = SQLITE

    def __init__(
        self,
        path: Path | None,
        *,
        durable: bool = True,
        legacy: Callable[[Transaction], dict[str, int]] | None = None,
    ) -> None:
        self._legacy = legacy
        if path is None:
            self.location = "memory:"
            self._writer = _connect(":memory:", durable)
            self._reader = self._writer
            self._write_thread = ThreadPoolExecutor(1, thread_name_prefix="altus-db")
            self._read_thread = self._write_thread
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.location = f"sqlite:{path}"
            self._writer = _connect(str(path), durable)
            self._reader = _connect(str(path), durable)
            self._write_thread = ThreadPoolExecutor(1, thread_name_prefix="altus-db-write")
            self._read_thread = ThreadPoolExecutor(1, thread_name_prefix="altus-db-read")

    # --- running work --------------------------------------------------------------------

    def run_write(self, work: Callable[[Transaction], T]) -> T:
        """``write``, on the calling thread: only ever the writer thread, whose
        connection this is (``write`` and ``migrate`` hand their work to it)."""
        conn = self._writer
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise DatabaseError(str(error)) from error
        try:
            result = work(_Transaction(conn))
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise DatabaseError(str(error)) from error
        return result

    def _run_read(self, work: Callable[[Transaction], T]) -> T:
        conn = self._reader
        conn.execute("BEGIN")
        try:
            return work(_Transaction(conn))
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")

    async def write(self, work: Callable[[Transaction], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._write_thread, self.run_write, work)

    async def read(self, work: Callable[[Transaction], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._read_thread, self._run_read, work)

    # --- schema and lifetime -------------------------------------------------------------

    def migrate(self, schemas: Sequence[Schema]) -> None:
        def nothing(tx: Transaction) -> None:
            """BEGIN IMMEDIATE has locked the file for writes already."""

        # On the writer thread: the writer connection is one, and once services run,
        # their writes use it there (a migration from another thread would interleave).
        # Called from any thread but that one (which would wait on itself).
        self._write_thread.submit(
            migrations.migrate, self.run_write, schemas, nothing, self._legacy
        ).result()

    def close(self) -> None:
        self._write_thread.shutdown(wait=True)
        self._read_thread.shutdown(wait=True)
        self._writer.close()
        if self._reader is not self._writer:
            self._reader.close()

    async def scrub(self) -> None:
        # secure_delete zeroes freed pages of the file; the WAL may still hold old pages.
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(
            self._write_thread, self._writer.execute, "PRAGMA wal_checkpoint(TRUNCATE)"
        )

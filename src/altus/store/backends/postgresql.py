"""PostgreSQL: the store for a server whose state lives in a database server (and, later,
for many servers sharing it).

psycopg 3 with a connection pool; each work runs on a worker thread with a connection
of its own, in one transaction (``BEGIN`` ... ``COMMIT``: durable once it returns, with
PostgreSQL's default ``synchronous_commit``). Statements arrive with ``?`` placeholders
and are rewritten to psycopg's ``%s`` once per distinct text; psycopg prepares the ones
run often. Installed with ``pip install 'altus[postgresql]'``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from altus.store import migrations
from altus.store.database import (
    POSTGRESQL,
    Conflict,
    Cursor,
    DatabaseError,
    IntegrityViolation,
    Schema,
    Transaction,
)

T = TypeVar("T")

#: The advisory lock a migrating server holds (any constant of Altus's own).
_MIGRATION_LOCK = 0x616C747573


@functools.lru_cache(maxsize=1024)
def _native(sql: str) -> str:
    """``?`` placeholders as psycopg's ``%s`` (a literal ``%`` doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


#: SQLSTATEs of a transaction that lost to a concurrent one: deadlock, serialization.
_CONFLICTS = frozenset({"40P01", "40001"})


def _failure(error: Any) -> DatabaseError:
    kind = Conflict if getattr(error, "sqlstate", None) in _CONFLICTS else DatabaseError
    return kind(str(error).strip())


class _Transaction:
    dialect = POSTGRESQL

    def __init__(self, conn: Any, errors: Any) -> None:
        self._conn = conn
        self._errors = errors

    @contextlib.contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except self._errors.IntegrityError as error:
            raise IntegrityViolation(str(error).strip()) from error
        except self._errors.Error as error:
            raise _failure(error) from error

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        with self._translated():
            cursor: Cursor = self._conn.execute(_native(sql), tuple(params))
        return cursor

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self._translated(), self._conn.cursor() as cursor:
            cursor.executemany(_native(sql), list(rows))

    @contextlib.contextmanager
    def savepoint(self) -> Iterator[None]:
        with self._conn.transaction():
            yield


class PostgresDatabase:
    """A pool of up to ``size`` connections to ``url`` (a libpq URL: ``postgresql://user@
    host:port/database``; ``?options=-csearch_path%3D<schema>`` keeps Altus's tables in
    a schema of their own)."""

    dialect = POSTGRESQL

    def __init__(self, url: str, *, size: int = 8) -> None:
        try:
            import psycopg
            from psycopg_pool import ConnectionPool
        except ImportError:
            raise DatabaseError(
                "a postgresql:// store needs psycopg: pip install 'altus[postgresql]'"
            ) from None
        self.location = _redacted(url)
        self._errors = psycopg
        self._pool = ConnectionPool(
            url, min_size=1, max_size=size, open=False, kwargs={"autocommit": True}, name="altus"
        )
        try:
            self._pool.open(wait=True, timeout=10)
        except Exception as error:
            self._pool.close()
            raise DatabaseError(f"cannot connect to {self.location}: {error}") from None
        self._threads = ThreadPoolExecutor(size, thread_name_prefix="altus-pg")

    def run(self, work: Callable[[Transaction], T], *, snapshot: bool = False) -> T:
        """One work in one transaction, on the calling thread; ``snapshot``: a read-only
        one that sees one snapshot throughout (REPEATABLE READ: a read of several
        statements, a page read in chunks, sees no write committed between them)."""
        try:
            with self._pool.connection() as conn, conn.transaction():
                if snapshot:
                    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                return work(_Transaction(conn, self._errors))
        except self._errors.IntegrityError as error:  # raised at COMMIT (deferred checks)
            raise IntegrityViolation(str(error).strip()) from error
        except self._errors.Error as error:
            raise _failure(error) from error

    async def write(self, work: Callable[[Transaction], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._threads, self.run, work)

    async def read(self, work: Callable[[Transaction], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(
            self._threads, functools.partial(self.run, work, snapshot=True)
        )

    async def scrub(self) -> None:
        """Nothing to do from here: replaced rows are PostgreSQL's to vacuum."""

    def migrate(self, schemas: Sequence[Schema]) -> None:
        def lock(tx: Transaction) -> None:
            tx.execute("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK,))

        migrations.migrate(self.run, schemas, lock)

    def close(self) -> None:
        self._threads.shutdown(wait=True)
        self._pool.close()

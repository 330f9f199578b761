"""The storage substrate: a SQL database that every service's store writes through.

A store (functions, the asynchronous event queue, the SQS-compatible queues, logs, and
every later service's) is written once, as SQL over a ``Database``, and runs on every
backend: SQLite in memory (``memory:``), SQLite in a file (``sqlite:<path>``, the
embedded default) and PostgreSQL (``postgresql://...``). Its work is a plain function of
a ``Transaction``, run off the event loop by the backend, so no write ever blocks the
loop, and the store's own interface is ``async``.

The SQL a store writes is the common part of both dialects: ``?`` placeholders (the
PostgreSQL backend turns them into its own), ``INSERT ... ON CONFLICT``, no ``?`` or
``%`` inside literals. Where the dialects differ (column types, ``FOR UPDATE``), a store
reads ``Transaction.dialect``; schemas may give each dialect its own DDL (``Migration``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

SQLITE = "sqlite"
POSTGRESQL = "postgresql"

T = TypeVar("T")


class DatabaseError(Exception):
    """The database failed: it could not be reached, or refused a statement."""


class Conflict(DatabaseError):
    """The transaction lost to a concurrent one (PostgreSQL: a deadlock, 40P01, or a
    serialization failure, 40001) and was rolled back whole: the same work run again
    may well succeed."""


class IntegrityViolation(DatabaseError):
    """A statement broke a constraint (a duplicate key, a missing referenced row). The
    transaction it ran in is rolled back unless it ran inside a ``savepoint``."""


class Cursor(Protocol):
    """The rows a statement produced (both drivers' cursors are this)."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Transaction(Protocol):
    """One transaction on one connection, used by one thread at a time: the argument of
    the work a store gives ``Database.write`` and ``Database.read``."""

    #: ``SQLITE`` or ``POSTGRESQL``, for the few statements that differ.
    dialect: str

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        """Run one statement. Raises IntegrityViolation for a broken constraint,
        DatabaseError for anything else the database refuses."""
        ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement once per row of parameters."""
        ...

    def savepoint(self) -> AbstractContextManager[None]:
        """A nested all-or-nothing part: an exception inside rolls back just this part
        (and propagates); the transaction stays usable."""
        ...


class Database(Protocol):
    """A database the stores of one server share.

    ``write`` and ``read`` run a store's work on a thread of the backend's, never on the
    event loop. Works never interleave within one ``write``; concurrent ``write`` calls
    are serialised or isolated by the backend (SQLite: one writer; PostgreSQL: its
    transactions), so a store that needs compare-and-swap reads and writes in one work.
    """

    dialect: str
    #: Where it is, for messages (no password).
    location: str

    async def write(self, work: Callable[[Transaction], T]) -> T:
        """Run ``work`` in one transaction and commit it durably (on disk, fsync'ed,
        for a durable database) before returning what it returned. If ``work`` raises,
        nothing it did is kept and the exception propagates."""
        ...

    async def read(self, work: Callable[[Transaction], T]) -> T:
        """Run ``work`` on a consistent view of committed data; it must not write."""
        ...

    async def scrub(self) -> None:
        """Let go of what writes replaced wherever it may still lie on disk (SQLite: the
        write-ahead log is emptied into the file, whose freed pages are zeroed)."""
        ...

    def migrate(self, schemas: Sequence[Schema]) -> None:
        """Bring each schema's component up to its latest version, each migration in a
        transaction of its own with the new version recorded in it (blocking: called
        once, before the server serves)."""
        ...

    def close(self) -> None:
        """Release connections and threads; no call follows (blocking)."""
        ...


@dataclass(frozen=True, slots=True)
class Migration:
    """One step of a component's schema. ``sql`` serves both dialects unless
    ``postgresql`` gives that dialect its own; statements are separated by ``;``."""

    sql: str
    postgresql: str | None = None

    def for_dialect(self, dialect: str) -> str:
        if dialect == POSTGRESQL and self.postgresql is not None:
            return self.postgresql
        return self.sql


@dataclass(frozen=True, slots=True)
class Schema:
    """The tables of one component (a store), as the migrations that make them.

    Versions are kept per component in the ``altus_schema`` table, so each service
    migrates its own tables without a list shared with the others. Append only: a
    released migration never changes."""

    component: str
    migrations: tuple[Migration, ...]

    @property
    def version(self) -> int:
        return len(self.migrations)


def statements(script: str) -> list[str]:
    """The statements of a migration's script (no ``;`` inside literals, as in ours)."""
    return [part.strip() for part in script.split(";") if part.strip()]

"""PostgreSQL changes as a mapping's source: logical replication with the ``pgoutput``
plugin, read through the SQL functions (``pg_logical_slot_peek_binary_changes``, then
``pg_replication_slot_advance`` once a transaction is acknowledged), so an ordinary
connection does and no replication protocol is spoken.

Each mapping owns a publication of its tables and a logical replication slot of the same
name: ``Subscription.consumer_group`` or ``altus_<mapping id without dashes>``. The slot
keeps the position: changes are peeked, never consumed, and the slot moves past a
transaction only when every change of it is acknowledged, so whatever was not is
decoded again by the next consumer (at least once, whole transactions).

A peek is read through a cursor held on the server (``WITH HOLD``), a few rows at a
time, so a transaction of millions of rows is decoded once and never held whole here: at
most ``HELD_CHANGES`` changes (or the batch size, if larger) are in memory. Changes are
placed in the mapping's tables by the OIDs looked up at ``open``: a renamed table is the
same table, and a partition's changes are its partitioned table's.

Each INSERT, UPDATE and DELETE becomes a record shaped as DynamoDB Streams' (``INSERT``,
``MODIFY``, ``REMOVE`` with ``Keys``, ``NewImage`` and ``OldImage``), its values mapped
from pgoutput's text by the column's type (``attribute``).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import json
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg import adapt, errors, postgres, sql
from psycopg.abc import Buffer, Loader
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.pq import Format

from altus.brokers import pgoutput
from altus.brokers.base import (
    AUTHENTICATION,
    CONFIGURATION,
    CONNECTION,
    BrokerError,
    Consumer,
    Message,
    Subscription,
    records_event,
)

EVENT_SOURCE = "altus:postgres"
EVENT_VERSION = "1.1"
#: Seconds a connection attempt may take.
CONNECT_TIMEOUT = 10
#: TCP keepalives and how long sent data may go unacknowledged (milliseconds): a server
#: that vanished is noticed within about a minute. A URL's own values take precedence.
KEEPALIVES = {
    "keepalives": "1",
    "keepalives_idle": "30",
    "keepalives_interval": "10",
    "keepalives_count": "3",
    "tcp_user_timeout": "60000",
}
#: Seconds any query may take before the connection is given up.
QUERY_TIMEOUT = 60.0
#: Seconds a peek or a move of the slot may take: both decode WAL, and one transaction
#: may hold millions of rows.
PEEK_TIMEOUT = 600.0
#: The longest a statement waits for a lock (CREATE and ALTER PUBLICATION wait for one on
#: each table): a session holding one for long is a connection problem, tried again.
LOCK_TIMEOUT = "10s"
#: Seconds between the first checks for new changes of an idle mapping; the pause
#: doubles while nothing comes, up to ``IDLE_POLL_INTERVAL``.
POLL_INTERVAL = 0.2
IDLE_POLL_INTERVAL = 2.0
#: The most changes held in memory, read and not acknowledged (or the batch size, if
#: larger). A transaction larger than this is read on as it is acknowledged.
HELD_CHANGES = 1000
#: Rows of peek output per change: a one-row transaction is three (Begin, the change,
#: Commit). A peek is asked for this many rows per change that may be held.
ROWS_PER_CHANGE = 3
#: The server-side cursor a peek is read through (one per connection at a time).
PEEK_CURSOR = "altus_peek"
#: Slot and publication names: what PostgreSQL allows for a slot, which is also a
#: lowercase identifier that needs no quoting.
NAME = re.compile(r"[a-z0-9_]{1,63}\Z")
#: Settings the text of values depends on: pgoutput writes each value with its type's
#: output function in this very session, and converts it to the client encoding.
SESSION_SETTINGS = {
    "client_encoding": "UTF8",
    "TimeZone": "UTC",
    "DateStyle": "ISO, YMD",
    "IntervalStyle": "iso_8601",
    "extra_float_digits": "1",
}
#: Seconds a new slot may wait for the transactions running when it is made.
SLOT_TIMEOUT = 60.0
#: What the publication sends: TRUNCATE has no record in DynamoDB Streams' shape.
PUBLISH = "insert, update, delete"
#: The oldest PostgreSQL read: 13 has ``publish_via_partition_root`` and ``wal_status``.
OLDEST_SERVER = 130000


def connect(subscription: Subscription) -> Consumer:
    return PostgresChangeConsumer(subscription)


def slot_name(subscription: Subscription) -> str:
    """The name of the mapping's slot and publication."""
    default = "altus_" + subscription.mapping_id.replace("-", "").lower()
    name = subscription.consumer_group or default
    if not NAME.match(name):
        raise BrokerError(
            CONFIGURATION,
            f"{name!r} cannot name a replication slot: use 1 to 63 lowercase letters, "
            "digits and underscores",
        )
    return name


def table_names(names: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """``(schema, table)`` of each ``schema.table`` or ``table`` (in ``public``), taken
    literally (no quoting, no case folding), once each."""
    tables: dict[tuple[str, str], None] = {}
    for name in names:
        if "." in name:
            schema, _, table = name.partition(".")
        else:
            schema, table = "public", name
        if not schema or not table or "." in table:
            raise BrokerError(CONFIGURATION, f"{name!r} is not a table: give schema.table")
        tables[schema, table] = None
    if not tables:
        raise BrokerError(CONFIGURATION, "no table to read")
    return tuple(tables)


def slot_problem(name: str, plugin: str, this_database: bool, wal_status: str | None) -> str | None:
    """Why the slot ``name`` (as ``pg_replication_slots`` describes it) cannot be read,
    or None."""
    if plugin != "pgoutput" or not this_database:
        return (
            f"replication slot {name} exists but is not a pgoutput slot of this database: "
            "name another with ConsumerGroupId"
        )
    if wal_status == "lost":
        return (
            f"PostgreSQL can no longer read changes for this mapping: its replication slot "
            f"{name} was invalidated (WAL removed past it, max_slot_wal_keep_size): changes "
            f"were lost; drop the slot (SELECT pg_drop_replication_slot('{name}')) to start "
            "again from now"
        )
    return None


# Values: pgoutput's text, by the column's type, as DynamoDB attribute values.

BOOL = 16
BYTEA = 17
JSON_TYPES = frozenset({114, 3802})  # json, jsonb
NUMBER_TYPES = frozenset({20, 21, 23, 700, 701, 1700})  # int8 int2 int4 float4 float8 numeric
NOT_NUMBERS = frozenset({"NaN", "Infinity", "-Infinity"})
NULL: dict[str, Any] = {"NULL": True}
#: The deepest a JSON value may nest (objects and arrays) to be mapped, as DynamoDB
#: allows: a deeper one stays text, so that no record is too deep to encode.
JSON_DEPTH = 32


class _Text(adapt.Loader):
    """A value's text as PostgreSQL wrote it: kept, so that numbers and times lose
    nothing on the way."""

    def load(self, data: Buffer) -> str:
        return bytes(data).decode()


def _adapters() -> adapt.AdaptersMap:
    # psycopg's own loaders read booleans, bytea and array literals (quoting, NULLs,
    # dimensions, nesting); every other built-in type stays text.
    adapters = adapt.AdaptersMap(psycopg.adapters)
    for info in postgres.types:
        if info.oid not in (BOOL, BYTEA):
            adapters.register_loader(info.oid, _Text)
    return adapters


_ADAPTERS = _adapters()
#: The element type of each built-in array type.
_ELEMENTS = {info.array_oid: info.oid for info in postgres.types if info.array_oid}


@functools.cache
def _loader(type_oid: int) -> Loader | None:
    found = _ADAPTERS.get_loader(type_oid, Format.TEXT)
    return None if found is None else found(type_oid, _ADAPTERS)


def attribute(type_oid: int, text: str | None) -> dict[str, Any]:
    """A DynamoDB attribute value for a column of type ``type_oid`` given as ``text``
    (pgoutput's text format; None for NULL)."""
    if text is None:
        return NULL
    loader = _loader(type_oid)
    try:
        value = text if loader is None else loader.load(text.encode())
    except (psycopg.Error, ValueError):
        return {"S": text}
    return _attribute(_ELEMENTS.get(type_oid, type_oid), value)


def _attribute(type_oid: int, value: Any) -> dict[str, Any]:
    if value is None:
        return NULL
    if isinstance(value, list):
        return {"L": [_attribute(type_oid, item) for item in value]}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, bytes):
        return {"B": base64.b64encode(value).decode()}
    if type_oid in NUMBER_TYPES and value not in NOT_NUMBERS:
        return {"N": value}
    if type_oid in JSON_TYPES:
        return _json(value)
    return {"S": value}


class _Number(str):
    """A JSON number's text."""


class _TooDeep(Exception):
    """A JSON value nests deeper than ``JSON_DEPTH``."""


def _json(text: str) -> dict[str, Any]:
    try:
        return _json_attribute(json.loads(text, parse_int=_Number, parse_float=_Number), 0)
    except (ValueError, RecursionError, _TooDeep):
        # RecursionError: nested deeper than the parser's own limit.
        return {"S": text}


def _json_attribute(value: Any, depth: int) -> dict[str, Any]:
    if value is None:
        return NULL
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, _Number):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if depth >= JSON_DEPTH:
        raise _TooDeep
    if isinstance(value, list):
        return {"L": [_json_attribute(item, depth + 1) for item in value]}
    return {"M": {key: _json_attribute(item, depth + 1) for key, item in value.items()}}


# Errors.

#: What the server says when it refuses the credentials. libpq keeps the SQLSTATE of an
#: error during the connection to itself (psycopg's error has none), so its text is all
#: there is then; the codes (28000, 28P01) count wherever an error carries them.
_AUTHENTICATION_FAILURES = re.compile(
    r"authentication failed|no pg_hba\.conf entry|no password supplied|"
    r"role \".*\" does not exist|not permitted to log in|permission denied for database"
)
#: libpq's refusals of a connection parameter's value.
_BAD_PARAMETERS = re.compile(r"for connection option|invalid \w+ value")
PRIVILEGES = (
    "the user needs the REPLICATION attribute (ALTER ROLE name REPLICATION) and, unless "
    "the publication exists already, CREATE on the database and ownership of the tables"
)


def _refused(error: psycopg.Error) -> bool:
    return (error.sqlstate or "").startswith("28")


def _unparsable(error: psycopg.Error) -> BrokerError:
    # libpq's message quotes the URL, password and all: none of it is repeated.
    if "percent" in str(error):
        return BrokerError(
            CONFIGURATION,
            "The POSTGRES_URL cannot be parsed: check its percent-encoding (a % in the "
            "password is written %25)",
        )
    return BrokerError(
        CONFIGURATION,
        "The POSTGRES_URL cannot be parsed: check its form "
        "(postgresql://user:password@host:port/database?parameter=value) and its "
        "percent-encoding",
    )


def _connect_error(error: psycopg.Error) -> BrokerError:
    text = str(error)
    if isinstance(error, psycopg.ProgrammingError):
        return _unparsable(error)
    if _refused(error) or _AUTHENTICATION_FAILURES.search(text):
        return BrokerError(AUTHENTICATION, text)
    if re.search(r"database \".*\" does not exist", text) or _BAD_PARAMETERS.search(text):
        return BrokerError(CONFIGURATION, text)
    return BrokerError(CONNECTION, text)


def _error(error: psycopg.Error, doing: str) -> BrokerError:
    text = f"{doing}: {error}"
    if _refused(error):
        return BrokerError(AUTHENTICATION, text)
    if isinstance(error, errors.InsufficientPrivilege):
        return BrokerError(CONFIGURATION, f"{text} ({PRIVILEGES})")
    if isinstance(error, errors.LockNotAvailable):
        return BrokerError(
            CONNECTION, f"{text} (another session held a lock it needs for {LOCK_TIMEOUT})"
        )
    if isinstance(error, errors.ConfigurationLimitExceeded | errors.ObjectNotInPrerequisiteState):
        return BrokerError(CONFIGURATION, text)
    if isinstance(error, psycopg.OperationalError | psycopg.InterfaceError):
        return BrokerError(CONNECTION, text)
    if isinstance(error, errors.UndefinedObject):
        # The slot was dropped under us: a new consumer makes it again.
        return BrokerError(CONNECTION, text)
    return BrokerError(CONFIGURATION, text)


@contextlib.asynccontextmanager
async def _talking(doing: str, timeout: float | None = None) -> AsyncIterator[None]:
    """The queries of the block, bounded by ``timeout`` seconds (``QUERY_TIMEOUT`` unless
    given; psycopg cancels the one running), their failures as ``BrokerError``s."""
    timeout = QUERY_TIMEOUT if timeout is None else timeout
    try:
        async with asyncio.timeout(timeout):
            yield
    except TimeoutError as error:
        raise BrokerError(
            CONNECTION, f"{doing}: PostgreSQL did not answer within {timeout:g} s"
        ) from error
    except psycopg.Error as error:
        raise _error(error, doing) from error


# The consumer.


@dataclass(eq=False)
class _Transaction:
    """A transaction being read: how many of its changes were read and how many of those
    are not acknowledged yet, and where its commit ends once its Commit is read."""

    end_lsn: int = 0
    count: int = 0
    remaining: int = 0


@dataclass(eq=False)
class _Peek:
    """The peek being read: the WAL flushed before it began, and what it brought."""

    flushed: int
    rows: int = 0
    changes: int = 0


class PostgresChangeConsumer:
    """One mapping's publication and replication slot, read through the SQL functions."""

    def __init__(self, subscription: Subscription) -> None:
        self._subscription = subscription
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._name = ""
        self._tables: tuple[tuple[str, str], ...] = ()
        #: The OID of each table, as looked up at ``open``.
        self._oids: dict[tuple[str, str], int] = {}
        #: The mapping's table each relation's changes belong to, by OID: the tables
        #: themselves and their partitions.
        self._placed: dict[int, tuple[str, str]] = {}
        #: The publication sends every table's changes, not only those of the mapping.
        self._all_tables = False
        #: Primary key columns of each table: the ``Keys`` of a REPLICA IDENTITY FULL
        #: table, whose every column pgoutput marks as key.
        self._primary_keys: dict[tuple[str, str], tuple[str, ...]] = {}
        self._relations: dict[int, pgoutput.Relation] = {}
        self._held = max(HELD_CHANGES, subscription.batch_size)
        #: The slot's confirmed position as this consumer last set or read it.
        self._confirmed = 0
        self._reset()

    def _reset(self) -> None:
        #: Read and not acknowledged, in commit order; the first ``_delivered`` of them
        #: are in the poller's hands.
        self._pending: list[Message] = []
        self._delivered = 0
        #: The transactions the slot has not moved past, oldest first, and how many
        #: changes they hold: what a new peek would read again.
        self._transactions: deque[_Transaction] = deque()
        self._behind = 0
        #: The commit LSN of the last transaction begun: a later peek (which starts at
        #: the slot again) skips it and everything before it.
        self._seen_commit = 0
        #: The peek being read, and the transaction being read in it (None while one in
        #: hand already is read past).
        self._cursor: psycopg.AsyncServerCursor[Any] | None = None
        self._peek: _Peek | None = None
        self._begin: pgoutput.Begin | None = None
        self._transaction: _Transaction | None = None
        #: A change no table of the mapping takes: nothing after it is read.
        self._blocked: BrokerError | None = None
        #: The WAL flushed before the last peek that read all WAL and found nothing new:
        #: until it moves, there is nothing to peek for.
        self._quiet_at = -1
        self._interval = POLL_INTERVAL
        self._next_check = 0.0

    async def open(self) -> None:
        self._name = slot_name(self._subscription)
        self._tables = table_names(self._subscription.names)
        self._reset()
        self._relations.clear()
        self._conn = await self._connect()
        try:
            await self._check_server(self._conn)
            await self._check_tables(self._conn)
            await self._ensure_publication(self._conn)
            await self._ensure_slot(self._conn)
        except BaseException:
            await self.close()
            raise

    async def fetch(self, limit: int, wait: float) -> list[Message]:
        conn = self._connection()
        if limit <= 0:
            return []
        deadline = time.monotonic() + max(wait, 0.0)
        await self._fill(conn, limit)
        while len(self._pending) == self._delivered and self._may_peek():
            now = time.monotonic()
            if now >= self._next_check:
                await self._check(conn)
                await self._fill(conn, limit)
                continue
            if now >= deadline:
                break
            await asyncio.sleep(min(self._next_check, deadline) - now)
        if self._blocked is not None and not self._pending:
            raise self._blocked
        batch = self._pending[self._delivered : self._delivered + limit]
        self._delivered += len(batch)
        return batch

    async def ack(self, messages: Sequence[Message]) -> None:
        conn = self._connection()
        count = len(messages)
        if count > self._delivered or any(
            given.id != held.id for given, held in zip(messages, self._pending, strict=False)
        ):
            raise ValueError("ack takes a prefix of the messages fetched and not acknowledged")
        del self._pending[:count]
        self._delivered -= count
        for message in messages:
            message.token.remaining -= 1
        await self._advance_past_done(conn)

    async def hold(self, messages: Sequence[Message]) -> None:
        """Nothing to do: a slot does not take changes back."""

    def event(self, messages: Sequence[Message]) -> dict[str, Any]:
        return records_event(messages)

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        self._reset()
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()

    async def forget(self) -> None:
        name = slot_name(self._subscription)
        conn = await self._connect()
        try:
            async with _talking(f"dropping replication slot and publication {name}"):
                # UndefinedObject: dropped by someone else between the look and the drop.
                with contextlib.suppress(errors.UndefinedObject):
                    await conn.execute(
                        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                        " WHERE slot_name = %s",
                        (name,),
                    )
                await conn.execute(
                    sql.SQL("DROP PUBLICATION IF EXISTS {}").format(sql.Identifier(name))
                )
        finally:
            with contextlib.suppress(Exception):
                await conn.close()

    # Connecting and setting up.

    def _connection(self) -> psycopg.AsyncConnection[Any]:
        if self._conn is None:
            raise BrokerError(CONNECTION, "not connected to PostgreSQL")
        return self._conn

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        endpoint = self._subscription.endpoint
        if urlsplit(endpoint.url).scheme not in ("postgresql", "postgres"):
            raise BrokerError(CONFIGURATION, "the URL must start with postgresql://")
        try:
            params: dict[str, Any] = conninfo_to_dict(endpoint.url)
        except psycopg.Error as error:
            raise _unparsable(error) from None  # not chained: its message holds the URL
        for key, value in (("user", endpoint.username), ("password", endpoint.password)):
            if value is not None:
                params[key] = value
        for key, value in KEEPALIVES.items():
            params.setdefault(key, value)
        try:
            conn = await asyncio.wait_for(
                psycopg.AsyncConnection.connect(
                    make_conninfo("", **params),
                    autocommit=True,
                    connect_timeout=CONNECT_TIMEOUT,
                ),
                CONNECT_TIMEOUT + 5,
            )
        except TimeoutError as error:
            raise BrokerError(CONNECTION, "connecting to PostgreSQL timed out") from error
        except psycopg.Error as error:
            raise _connect_error(error) from error
        try:
            async with _talking("setting up the session"):
                settings = sql.SQL(", ").join(
                    sql.SQL("set_config({}, {}, false)").format(key, value)
                    for key, value in {**SESSION_SETTINGS, "lock_timeout": LOCK_TIMEOUT}.items()
                )
                await conn.execute(sql.SQL("SELECT {}").format(settings))
        except BrokerError:
            with contextlib.suppress(Exception):
                await conn.close()
            raise
        return conn

    async def _check_server(self, conn: psycopg.AsyncConnection[Any]) -> None:
        version = conn.info.server_version
        if version < OLDEST_SERVER:
            raise BrokerError(
                CONFIGURATION,
                f"PostgreSQL {version // 10000} is too old to read changes from: use 13 or later",
            )
        level = await _value(conn, "wal_level", "SELECT current_setting('wal_level')")
        if level != "logical":
            raise BrokerError(
                CONFIGURATION,
                f"PostgreSQL's wal_level is {level}, and logical replication needs "
                "logical: run ALTER SYSTEM SET wal_level = logical (or set it in "
                "postgresql.conf) and restart PostgreSQL",
            )

    async def _check_tables(self, conn: psycopg.AsyncConnection[Any]) -> None:
        self._oids.clear()
        self._placed.clear()
        partitions: list[tuple[list[int], tuple[str, str]]] = []
        for schema, table in self._tables:
            async with _talking(f"looking up table {schema}.{table}"):
                cursor = await conn.execute(
                    "SELECT c.oid, c.relkind, ARRAY(SELECT a.attname::text FROM pg_index i"
                    " JOIN pg_attribute a ON a.attrelid = i.indrelid"
                    " AND a.attnum = ANY(i.indkey) WHERE i.indrelid = c.oid AND i.indisprimary"
                    " ORDER BY array_position(i.indkey::int2[], a.attnum)),"
                    " ARRAY(SELECT relid::oid FROM pg_partition_tree(c.oid) WHERE relid <> c.oid)"
                    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname = %s AND c.relname = %s",
                    (schema, table),
                )
                found = await cursor.fetchone()
            if found is None:
                raise BrokerError(CONFIGURATION, f"table {schema}.{table} does not exist")
            oid, kind, primary_key, descendants = found
            if kind not in ("r", "p"):
                raise BrokerError(CONFIGURATION, f"{schema}.{table} is not a table")
            self._oids[schema, table] = oid
            self._placed[oid] = (schema, table)
            self._primary_keys[schema, table] = tuple(primary_key)
            partitions.append((descendants, (schema, table)))
        # Partitions' own changes: those decoded before the publication sent them as
        # their partitioned table's.
        for descendants, parent in partitions:
            for oid in descendants:
                self._placed.setdefault(oid, parent)

    async def _ensure_publication(self, conn: psycopg.AsyncConnection[Any]) -> None:
        name = sql.Identifier(self._name)
        tables = sql.SQL(", ").join(sql.Identifier(*table) for table in self._tables)
        options = sql.SQL("publish = {}, publish_via_partition_root = true").format(PUBLISH)
        async with _talking(f"setting up publication {self._name}"):
            cursor = await conn.execute(
                "SELECT oid, puballtables,"
                " pubinsert AND pubupdate AND pubdelete AND pubviaroot"
                " FROM pg_publication WHERE pubname = %s",
                (self._name,),
            )
            found = await cursor.fetchone()
            if found is None:
                self._all_tables = False
                with contextlib.suppress(errors.DuplicateObject):
                    await conn.execute(
                        sql.SQL("CREATE PUBLICATION {} FOR TABLE {} WITH ({})").format(
                            name, tables, options
                        )
                    )
                return
            oid, self._all_tables, as_needed = found
            if not as_needed:
                await conn.execute(sql.SQL("ALTER PUBLICATION {} SET ({})").format(name, options))
            if self._all_tables:
                return
            # Its tables by OID (a renamed one is still ours), and whether it names
            # schemas (PostgreSQL 15's FOR TABLES IN SCHEMA), which SET TABLE drops.
            schemas = (
                "EXISTS(SELECT FROM pg_publication_namespace WHERE pnpubid = %(oid)s)"
                if conn.info.server_version >= 150000
                else "false"
            )
            cursor = await conn.execute(
                "SELECT ARRAY(SELECT prrelid::oid FROM pg_publication_rel"
                f" WHERE prpubid = %(oid)s), {schemas}",
                {"oid": oid},
            )
            members = await cursor.fetchone()
            if members is None or set(members[0]) != set(self._oids.values()) or members[1]:
                await conn.execute(
                    sql.SQL("ALTER PUBLICATION {} SET TABLE {}").format(name, tables)
                )

    async def _ensure_slot(self, conn: psycopg.AsyncConnection[Any]) -> None:
        try:
            async with _talking(
                f"setting up replication slot {self._name}", SLOT_TIMEOUT + QUERY_TIMEOUT
            ):
                found = await self._slot(conn)
                if found is None:
                    await self._create_slot(conn)
                    found = await self._slot(conn)
        except BrokerError as error:
            if not isinstance(error.__cause__, errors.QueryCanceled):
                raise
            raise BrokerError(
                CONNECTION,
                f"creating replication slot {self._name} waited {SLOT_TIMEOUT:g} s for the "
                "transactions running on the server to end",
            ) from error
        if found is None:
            raise BrokerError(CONNECTION, f"replication slot {self._name} went away")
        plugin, this_database, confirmed, wal_status = found
        problem = slot_problem(self._name, plugin, this_database, wal_status)
        if problem is not None:
            raise BrokerError(CONFIGURATION, problem)
        self._confirmed = pgoutput.parse_lsn(confirmed)

    async def _create_slot(self, conn: psycopg.AsyncConnection[Any]) -> None:
        # A new slot waits for every transaction running to end (a lock wait each): a
        # long one must not hold open() for ever, and the wait is SLOT_TIMEOUT's to end.
        await conn.execute(
            "SELECT set_config('statement_timeout', %s, false),"
            " set_config('lock_timeout', '0', false)",
            (f"{SLOT_TIMEOUT * 1000:.0f}ms",),
        )
        try:
            await conn.execute(
                "SELECT pg_create_logical_replication_slot(%s, 'pgoutput')", (self._name,)
            )
        except errors.DuplicateObject:
            pass  # made by another consumer meanwhile
        finally:
            await conn.execute("RESET statement_timeout")
            await conn.execute("SELECT set_config('lock_timeout', %s, false)", (LOCK_TIMEOUT,))

    async def _slot(self, conn: psycopg.AsyncConnection[Any]) -> tuple[Any, ...] | None:
        cursor = await conn.execute(
            "SELECT plugin::text, database = current_database(), confirmed_flush_lsn::text,"
            " wal_status FROM pg_replication_slots"
            " WHERE slot_name = %s AND slot_type = 'logical'",
            (self._name,),
        )
        return await cursor.fetchone()

    async def _check_slot(self, conn: psycopg.AsyncConnection[Any]) -> None:
        """Raise why the slot cannot be read, where it is one of ``slot_problem``'s."""
        async with _talking(f"looking up replication slot {self._name}"):
            found = await self._slot(conn)
        if found is not None:
            plugin, this_database, _, wal_status = found
            problem = slot_problem(self._name, plugin, this_database, wal_status)
            if problem is not None:
                raise BrokerError(CONFIGURATION, problem)

    # Reading changes.

    def _may_peek(self) -> bool:
        """Whether a new peek may read more: none is being read, there is room, and what
        it would read again (the transactions the slot has not moved past) is small."""
        return (
            self._cursor is None
            and self._blocked is None
            and len(self._pending) < self._held
            and self._behind <= self._held
        )

    async def _check(self, conn: psycopg.AsyncConnection[Any]) -> None:
        """Start a peek, unless no WAL was written since the last one found nothing."""
        flushed = await self._flushed(conn)
        if flushed == self._quiet_at:
            self._idle()
            return
        await self._start_peek(conn, flushed)

    async def _flushed(self, conn: psycopg.AsyncConnection[Any]) -> int:
        return pgoutput.parse_lsn(
            await _value(conn, "the WAL", "SELECT pg_current_wal_flush_lsn()::text")
        )

    async def _start_peek(self, conn: psycopg.AsyncConnection[Any], flushed: int) -> None:
        cursor = conn.cursor(PEEK_CURSOR, binary=True, withhold=True)
        async with _talking(f"reading replication slot {self._name}", PEEK_TIMEOUT):
            try:
                # Decoded whole on the server (WITH HOLD keeps the rows past the
                # statement), then read a few rows at a time.
                await cursor.execute(
                    "SELECT data FROM pg_logical_slot_peek_binary_changes(%s, NULL, %s,"
                    " 'proto_version', '1', 'publication_names', %s)",
                    (self._name, ROWS_PER_CHANGE * self._held, self._name),
                )
            except errors.ObjectNotInPrerequisiteState:
                await self._check_slot(conn)
                raise
        self._cursor, self._peek = cursor, _Peek(flushed)

    async def _fill(self, conn: psycopg.AsyncConnection[Any], limit: int) -> None:
        """Read the peek on until ``limit`` changes are ready to hand out, as many as may
        be held are, or it ends."""
        while self._cursor is not None and self._peek is not None and self._blocked is None:
            wanted = limit - (len(self._pending) - self._delivered)
            room = self._held - len(self._pending)
            if wanted <= 0 or room <= 0:
                break
            # A row holds a change at most: what is read fits.
            size = min(wanted * ROWS_PER_CHANGE, room)
            async with _talking(f"reading replication slot {self._name}"):
                rows = await self._cursor.fetchmany(size)
            self._peek.rows += len(rows)
            for (data,) in rows:
                self._read(bytes(data))
            if self._blocked is not None:
                break
            if len(rows) < size:
                await self._end_peek(conn)
        await self._advance_past_done(conn)

    async def _end_peek(self, conn: psycopg.AsyncConnection[Any]) -> None:
        cursor, peek = self._cursor, self._peek
        self._cursor = self._peek = None
        if cursor is None or peek is None:
            return
        async with _talking(f"reading replication slot {self._name}"):
            await cursor.close()
        if self._begin is not None:
            raise BrokerError(CONNECTION, "a peek ended inside a transaction")
        if peek.changes:
            self._interval, self._next_check = POLL_INTERVAL, 0.0
            return
        if peek.rows < ROWS_PER_CHANGE * self._held:
            # It decoded all WAL flushed before it began.
            self._quiet_at = peek.flushed
        self._idle()
        if peek.rows == 0 and not self._transactions:
            # Nothing for this mapping up to there (and nothing in hand, which a peek
            # reads again): the slot moves, and writes elsewhere are not decoded again.
            await self._advance(conn, peek.flushed)

    def _idle(self) -> None:
        """Nothing new: the next check waits, longer each time."""
        self._next_check = time.monotonic() + self._interval
        self._interval = min(self._interval * 2, IDLE_POLL_INTERVAL)

    def _read(self, data: bytes) -> None:
        if self._blocked is not None:
            return
        try:
            message = pgoutput.parse(data)
        except (pgoutput.ProtocolError, UnicodeDecodeError) as error:
            raise BrokerError(CONFIGURATION, f"unreadable pgoutput message: {error}") from error
        match message:
            case pgoutput.Begin():
                if self._begin is not None:
                    raise BrokerError(CONFIGURATION, "a transaction began inside another")
                self._begin, self._transaction = message, None
                if message.final_lsn > self._seen_commit:
                    self._seen_commit = message.final_lsn
                    self._transaction = _Transaction()
                    self._transactions.append(self._transaction)
            case pgoutput.Relation():
                self._relations[message.oid] = message
            case pgoutput.Insert() | pgoutput.Update() | pgoutput.Delete():
                if self._begin is None:
                    raise BrokerError(CONFIGURATION, "a change came outside a transaction")
                transaction = self._transaction
                if transaction is None:
                    return  # in hand already
                change = self._message(self._begin, message, transaction)
                if change is not None:
                    self._pending.append(change)
                    transaction.count += 1
                    transaction.remaining += 1
                    self._behind += 1
                    if self._peek is not None:
                        self._peek.changes += 1
            case pgoutput.Commit():
                if self._transaction is not None:
                    self._transaction.end_lsn = message.end_lsn
                self._begin = self._transaction = None

    def _place(self, relation: pgoutput.Relation) -> tuple[str, str] | None:
        """The mapping's table ``relation``'s changes belong to: by OID, else by the name
        it had when changed (a table dropped and made again). None for one that is not
        the mapping's, which only a publication of all tables sends; otherwise the slot
        must not move past it (``_blocked``)."""
        table = self._placed.get(relation.oid)
        if table is not None:
            return table
        named = (relation.namespace or "pg_catalog", relation.name)
        if named in self._tables:
            return named
        if not self._all_tables:
            self._blocked = BrokerError(
                CONFIGURATION,
                f"publication {self._name} sent a change of {named[0]}.{named[1]} "
                f"(relation {relation.oid}), which is none of the mapping's tables (was the "
                "publication altered, or were the mapping's tables changed?): replication "
                f"slot {self._name} cannot move past it; add the table to the mapping, or "
                f"drop the slot (SELECT pg_drop_replication_slot('{self._name}')) to start "
                "again from now",
            )
        return None

    def _message(
        self,
        begin: pgoutput.Begin,
        change: pgoutput.Insert | pgoutput.Update | pgoutput.Delete,
        transaction: _Transaction,
    ) -> Message | None:
        relation = self._relations.get(change.relation_oid)
        if relation is None:
            raise BrokerError(CONFIGURATION, f"a change of unknown relation {change.relation_oid}")
        table = self._place(relation)
        if table is None:
            return None
        schema, name = table
        columns = relation.columns
        identity = {i for i, column in enumerate(columns) if column.key}
        primary = self._primary_keys.get(table, ())
        keys = identity
        if relation.replica_identity == "f" and primary:
            keys = {i for i, column in enumerate(columns) if column.name in primary} or identity
        old_image: dict[str, Any] | None = None
        new_image: dict[str, Any] | None = None
        old: pgoutput.Row | None
        new: pgoutput.Row | None
        match change:
            case pgoutput.Insert():
                kind, new, old = "INSERT", change.new, None
                new_image = _image(columns, new)
            case pgoutput.Update():
                kind, new, old = "MODIFY", change.new, change.old
                new_image = _image(columns, new)
                if change.old is None:
                    old_image = _image(columns, new, identity)
                else:
                    only = None if change.old_kind == "O" else identity
                    old_image = _image(columns, change.old, only)
            case pgoutput.Delete():
                kind, new, old = "REMOVE", None, change.old
                old_image = _image(
                    columns, change.old, None if change.old_kind == "O" else identity
                )
        key_values = {**_image(columns, old, keys), **_image(columns, new, keys)}
        index = transaction.count
        lsn = pgoutput.format_lsn(begin.final_lsn)
        event_id = f"{lsn}:{index}"
        images: dict[str, Any] = {"Keys": key_values}
        if new_image is not None:
            images["NewImage"] = new_image
        if old_image is not None:
            images["OldImage"] = old_image
        # JSON_DEPTH bounds how deep a record nests: encoding it cannot recurse too far.
        record = {
            "eventID": event_id,
            "eventName": kind,
            "eventVersion": EVENT_VERSION,
            "eventSource": EVENT_SOURCE,
            "dynamodb": {
                "ApproximateCreationDateTime": int(begin.commit_time.timestamp()),
                **images,
                "SequenceNumber": f"{begin.final_lsn:020d}{index:010d}",
                "SizeBytes": len(json.dumps(images).encode()),
                "StreamViewType": "NEW_AND_OLD_IMAGES",
            },
            "postgres": {
                "schema": schema,
                "table": name,
                "lsn": lsn,
                "xid": begin.xid,
                "commitTime": begin.commit_time.isoformat(),
            },
        }
        return Message(
            id=event_id,
            group=f"{schema}.{name}",
            record=record,
            filter_view=record,
            size=len(json.dumps(record).encode()),
            token=transaction,
        )

    # Moving the slot.

    async def _advance_past_done(self, conn: psycopg.AsyncConnection[Any]) -> None:
        end = 0
        while self._transactions:
            first = self._transactions[0]
            if not first.end_lsn or first.remaining:
                break
            self._transactions.popleft()
            self._behind -= first.count
            end = first.end_lsn
        await self._advance(conn, end)

    async def _advance(self, conn: psycopg.AsyncConnection[Any], lsn: int) -> None:
        # PostgreSQL refuses a move backwards, and one to where the slot is is no move.
        if lsn <= self._confirmed:
            return
        async with _talking(f"moving replication slot {self._name}", PEEK_TIMEOUT):
            try:
                await conn.execute(
                    "SELECT pg_replication_slot_advance(%s, %s::pg_lsn)",
                    (self._name, pgoutput.format_lsn(lsn)),
                )
            except errors.ObjectNotInPrerequisiteState:
                await self._check_slot(conn)
                raise
        self._confirmed = lsn


def _image(
    columns: Sequence[pgoutput.Column], row: pgoutput.Row | None, only: set[int] | None = None
) -> dict[str, Any]:
    """The columns of ``row`` (those numbered in ``only``, where given) as DynamoDB
    attribute values; TOASTed values not sent are left out."""
    image: dict[str, Any] = {}
    for i, (column, value) in enumerate(zip(columns, row or (), strict=False)):
        if (only is not None and i not in only) or value is pgoutput.UNCHANGED:
            continue
        if isinstance(value, bytes):
            image[column.name] = {"B": base64.b64encode(value).decode()}
        else:
            image[column.name] = attribute(column.type_oid, value)
    return image


async def _value(conn: psycopg.AsyncConnection[Any], what: str, query: str) -> str:
    async with _talking(f"reading {what}"):
        cursor = await conn.execute(query)
        row = await cursor.fetchone()
    if row is None:
        raise BrokerError(CONNECTION, f"PostgreSQL returned nothing for {what}")
    return str(row[0])

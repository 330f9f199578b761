"""PostgreSQL changes as a mapping's source: logical replication with the ``pgoutput``
plugin, read through the SQL functions (``pg_logical_slot_peek_binary_changes``, then
``pg_replication_slot_advance`` once a transaction is acknowledged), so an ordinary
connection does and no replication protocol is spoken.

Each mapping owns a publication of its tables and a logical replication slot of the same
name: ``Subscription.consumer_group`` or ``altus_<mapping id without dashes>``. The slot
keeps the position: changes are peeked, never consumed, and the slot moves past a
transaction only when every change of it is acknowledged, so whatever was not is
decoded again by the next consumer (at least once, whole transactions).

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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg import adapt, errors, postgres, sql
from psycopg.abc import Buffer, Loader
from psycopg.conninfo import make_conninfo
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
#: Seconds ``fetch`` sleeps between peeks that found nothing.
POLL_INTERVAL = 0.2
#: Seconds between moves of an idle slot past WAL that held nothing for it: without
#: them, writes to other tables would stay pinned and be decoded again at every peek.
IDLE_ADVANCE_INTERVAL = 10.0
#: Rows of peek output asked for per change wanted: a one-row transaction is three
#: (Begin, the change, Commit).
ROWS_PER_CHANGE = 3
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
#: The longest a new slot may wait for the transactions running when it is made.
SLOT_TIMEOUT = "60s"
#: What the publication sends: TRUNCATE has no record in DynamoDB Streams' shape.
PUBLISH = "insert, update, delete"


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


# Values: pgoutput's text, by the column's type, as DynamoDB attribute values.

BOOL = 16
BYTEA = 17
JSON_TYPES = frozenset({114, 3802})  # json, jsonb
NUMBER_TYPES = frozenset({20, 21, 23, 700, 701, 1700})  # int8 int2 int4 float4 float8 numeric
NOT_NUMBERS = frozenset({"NaN", "Infinity", "-Infinity"})
NULL: dict[str, Any] = {"NULL": True}


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


def _json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text, parse_int=_Number, parse_float=_Number)
    except ValueError:
        return {"S": text}
    return _json_attribute(value)


def _json_attribute(value: Any) -> dict[str, Any]:
    if value is None:
        return NULL
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, _Number):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, list):
        return {"L": [_json_attribute(item) for item in value]}
    return {"M": {key: _json_attribute(item) for key, item in value.items()}}


# Errors.

_AUTHENTICATION_FAILURES = re.compile(
    r"authentication failed|no pg_hba\.conf entry|no password supplied|"
    r"role \".*\" does not exist|not permitted to log in|permission denied for database"
)
PRIVILEGES = (
    "the user needs the REPLICATION attribute (ALTER ROLE name REPLICATION) and, unless "
    "the publication exists already, CREATE on the database and ownership of the tables"
)


def _connect_error(error: psycopg.Error) -> BrokerError:
    # libpq gives no SQLSTATE for a refused connection: its message is all there is.
    text = str(error)
    if isinstance(error, psycopg.ProgrammingError):
        return BrokerError(CONFIGURATION, f"bad PostgreSQL URL: {text}")
    if _AUTHENTICATION_FAILURES.search(text):
        return BrokerError(AUTHENTICATION, text)
    if re.search(r"database \".*\" does not exist", text):
        return BrokerError(CONFIGURATION, text)
    return BrokerError(CONNECTION, text)


def _error(error: psycopg.Error, doing: str) -> BrokerError:
    text = f"{doing}: {error}"
    if isinstance(error, errors.InsufficientPrivilege):
        return BrokerError(CONFIGURATION, f"{text} ({PRIVILEGES})")
    if isinstance(error, errors.ConfigurationLimitExceeded | errors.ObjectNotInPrerequisiteState):
        return BrokerError(CONFIGURATION, text)
    if isinstance(error, psycopg.OperationalError | psycopg.InterfaceError):
        return BrokerError(CONNECTION, text)
    if isinstance(error, errors.UndefinedObject):
        # The slot was dropped under us: a new consumer makes it again.
        return BrokerError(CONNECTION, text)
    return BrokerError(CONFIGURATION, text)


# The consumer.


@dataclass(eq=False)
class _Transaction:
    """A peeked transaction: where its commit ends and how many of its changes are not
    acknowledged yet."""

    end_lsn: int = 0
    remaining: int = 0


class PostgresChangeConsumer:
    """One mapping's publication and replication slot, read through the SQL functions."""

    def __init__(self, subscription: Subscription) -> None:
        self._subscription = subscription
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._name = ""
        self._tables: tuple[tuple[str, str], ...] = ()
        #: Primary key columns of each table: the ``Keys`` of a REPLICA IDENTITY FULL
        #: table, whose every column pgoutput marks as key.
        self._primary_keys: dict[tuple[str, str], tuple[str, ...]] = {}
        self._relations: dict[int, pgoutput.Relation] = {}
        #: The slot's confirmed position as this consumer last set or read it.
        self._confirmed = 0
        self._idle_advanced = float("-inf")
        self._reset()

    def _reset(self) -> None:
        #: Peeked and not acknowledged, in commit order; the first ``_delivered`` of
        #: them are in the poller's hands.
        self._pending: list[Message] = []
        self._delivered = 0
        #: The end LSN of the last transaction taken into ``_pending``: a later peek
        #: (which starts at the slot again) skips it and everything before it.
        self._seen_end = 0
        #: The transactions of ``_pending`` (and empty ones after them), oldest first.
        self._transactions: deque[_Transaction] = deque()

    async def open(self) -> None:
        self._name = slot_name(self._subscription)
        self._tables = table_names(self._subscription.names)
        self._reset()
        self._relations.clear()
        self._conn = await self._connect()
        try:
            await self._check_wal_level(self._conn)
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
        while len(self._pending) <= self._delivered:
            # A peek starts at the slot again: what is in hand already is read past.
            await self._peek(conn, len(self._pending) + limit)
            remaining = deadline - time.monotonic()
            if len(self._pending) > self._delivered or remaining <= 0:
                break
            await asyncio.sleep(min(POLL_INTERVAL, remaining))
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
            await conn.execute(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                " WHERE slot_name = %s",
                (name,),
            )
            await conn.execute(
                sql.SQL("DROP PUBLICATION IF EXISTS {}").format(sql.Identifier(name))
            )
        except errors.UndefinedObject:
            pass  # dropped by someone else between the look and the drop
        except psycopg.Error as error:
            raise _error(error, f"dropping replication slot and publication {name}") from error
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
        credentials = {
            key: value
            for key, value in (("user", endpoint.username), ("password", endpoint.password))
            if value is not None
        }
        try:
            conn = await asyncio.wait_for(
                psycopg.AsyncConnection.connect(
                    make_conninfo(endpoint.url, **credentials),
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
            settings = sql.SQL(", ").join(
                sql.SQL("set_config({}, {}, false)").format(key, value)
                for key, value in SESSION_SETTINGS.items()
            )
            await conn.execute(sql.SQL("SELECT {}").format(settings))
        except psycopg.Error as error:
            with contextlib.suppress(Exception):
                await conn.close()
            raise _error(error, "setting up the session") from error
        return conn

    async def _check_wal_level(self, conn: psycopg.AsyncConnection[Any]) -> None:
        level = await _value(conn, "wal_level", "SELECT current_setting('wal_level')")
        if level != "logical":
            raise BrokerError(
                CONFIGURATION,
                f"PostgreSQL's wal_level is {level}, and logical replication needs "
                "logical: run ALTER SYSTEM SET wal_level = logical (or set it in "
                "postgresql.conf) and restart PostgreSQL",
            )

    async def _check_tables(self, conn: psycopg.AsyncConnection[Any]) -> None:
        for schema, table in self._tables:
            try:
                cursor = await conn.execute(
                    "SELECT c.relkind, ARRAY(SELECT a.attname::text FROM pg_index i"
                    " JOIN pg_attribute a ON a.attrelid = i.indrelid"
                    " AND a.attnum = ANY(i.indkey) WHERE i.indrelid = c.oid AND i.indisprimary"
                    " ORDER BY array_position(i.indkey::int2[], a.attnum))"
                    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname = %s AND c.relname = %s",
                    (schema, table),
                )
                found = await cursor.fetchone()
            except psycopg.Error as error:
                raise _error(error, f"looking up table {schema}.{table}") from error
            if found is None:
                raise BrokerError(CONFIGURATION, f"table {schema}.{table} does not exist")
            if found[0] not in ("r", "p"):
                raise BrokerError(CONFIGURATION, f"{schema}.{table} is not a table")
            self._primary_keys[schema, table] = tuple(found[1])

    async def _ensure_publication(self, conn: psycopg.AsyncConnection[Any]) -> None:
        name = sql.Identifier(self._name)
        tables = sql.SQL(", ").join(sql.Identifier(*table) for table in self._tables)
        try:
            cursor = await conn.execute(
                "SELECT puballtables, pubinsert AND pubupdate AND pubdelete"
                " FROM pg_publication WHERE pubname = %s",
                (self._name,),
            )
            found = await cursor.fetchone()
            if found is None:
                with contextlib.suppress(errors.DuplicateObject):
                    await conn.execute(
                        sql.SQL("CREATE PUBLICATION {} FOR TABLE {} WITH (publish = {})").format(
                            name, tables, PUBLISH
                        )
                    )
                return
            all_tables, publishes_changes = found
            if not publishes_changes:
                await conn.execute(
                    sql.SQL("ALTER PUBLICATION {} SET (publish = {})").format(name, PUBLISH)
                )
            if all_tables:
                return
            cursor = await conn.execute(
                "SELECT schemaname::text, tablename::text FROM pg_publication_tables"
                " WHERE pubname = %s",
                (self._name,),
            )
            if {tuple(row) for row in await cursor.fetchall()} != set(self._tables):
                await conn.execute(
                    sql.SQL("ALTER PUBLICATION {} SET TABLE {}").format(name, tables)
                )
        except psycopg.Error as error:
            raise _error(error, f"setting up publication {self._name}") from error

    async def _ensure_slot(self, conn: psycopg.AsyncConnection[Any]) -> None:
        try:
            found = await self._slot(conn)
            if found is None:
                await self._create_slot(conn)
                found = await self._slot(conn)
        except errors.QueryCanceled as error:
            raise BrokerError(
                CONNECTION,
                f"creating replication slot {self._name} waited {SLOT_TIMEOUT} for the "
                "transactions running on the server to end",
            ) from error
        except psycopg.Error as error:
            raise _error(error, f"setting up replication slot {self._name}") from error
        if found is None:
            raise BrokerError(CONNECTION, f"replication slot {self._name} went away")
        plugin, database, confirmed = found
        if plugin != "pgoutput" or not database:
            raise BrokerError(
                CONFIGURATION,
                f"replication slot {self._name} exists but is not a pgoutput slot of this "
                "database: name another with ConsumerGroupId",
            )
        self._confirmed = pgoutput.parse_lsn(confirmed)

    async def _create_slot(self, conn: psycopg.AsyncConnection[Any]) -> None:
        # A new slot waits for every transaction running to end: a long one must not
        # hold open() for ever.
        await conn.execute(sql.SQL("SET statement_timeout = {}").format(SLOT_TIMEOUT))
        try:
            await conn.execute(
                "SELECT pg_create_logical_replication_slot(%s, 'pgoutput')", (self._name,)
            )
        except errors.DuplicateObject:
            pass  # made by another consumer meanwhile
        finally:
            await conn.execute("RESET statement_timeout")

    async def _slot(self, conn: psycopg.AsyncConnection[Any]) -> tuple[Any, ...] | None:
        cursor = await conn.execute(
            "SELECT plugin::text, database = current_database(), confirmed_flush_lsn::text"
            " FROM pg_replication_slots WHERE slot_name = %s AND slot_type = 'logical'",
            (self._name,),
        )
        return await cursor.fetchone()

    # Reading changes.

    async def _peek(self, conn: psycopg.AsyncConnection[Any], limit: int) -> None:
        try:
            flushed = await _value(conn, "the WAL", "SELECT pg_current_wal_flush_lsn()::text")
            cursor = await conn.execute(
                "SELECT data FROM pg_logical_slot_peek_binary_changes(%s, NULL, %s,"
                " 'proto_version', '1', 'publication_names', %s)",
                (self._name, limit * ROWS_PER_CHANGE, self._name),
            )
            rows = await cursor.fetchall()
        except psycopg.Error as error:
            raise _error(error, f"reading replication slot {self._name}") from error
        if rows:
            self._read(bytes(row[0]) for row in rows)
            await self._advance_past_done(conn)
        elif time.monotonic() - self._idle_advanced >= IDLE_ADVANCE_INTERVAL:
            # The peek decoded all WAL flushed before it started and found nothing for
            # this mapping, so the slot can move there.
            self._idle_advanced = time.monotonic()
            await self._advance(conn, pgoutput.parse_lsn(flushed))

    def _read(self, rows: Iterable[bytes]) -> None:
        begin: pgoutput.Begin | None = None
        changes: list[Message] = []
        transaction = _Transaction()
        for data in rows:
            try:
                message = pgoutput.parse(data)
            except (pgoutput.ProtocolError, UnicodeDecodeError) as error:
                raise BrokerError(CONFIGURATION, f"unreadable pgoutput message: {error}") from error
            match message:
                case pgoutput.Begin():
                    begin, changes, transaction = message, [], _Transaction()
                case pgoutput.Relation():
                    self._relations[message.oid] = message
                case pgoutput.Insert() | pgoutput.Update() | pgoutput.Delete():
                    if begin is None:
                        raise BrokerError(CONFIGURATION, "a change came outside a transaction")
                    change = self._message(begin, len(changes), message, transaction)
                    if change is not None:
                        changes.append(change)
                case pgoutput.Commit():
                    if message.end_lsn > self._seen_end:
                        self._seen_end = message.end_lsn
                        transaction.end_lsn = message.end_lsn
                        transaction.remaining = len(changes)
                        self._transactions.append(transaction)
                        self._pending.extend(changes)
                    begin, changes = None, []

    def _message(
        self,
        begin: pgoutput.Begin,
        index: int,
        change: pgoutput.Insert | pgoutput.Update | pgoutput.Delete,
        transaction: _Transaction,
    ) -> Message | None:
        relation = self._relations.get(change.relation_oid)
        if relation is None:
            raise BrokerError(CONFIGURATION, f"a change of unknown relation {change.relation_oid}")
        schema = relation.namespace or "pg_catalog"
        if (schema, relation.name) not in self._tables:
            return None  # a publication of all tables also sends others
        columns = relation.columns
        identity = {i for i, column in enumerate(columns) if column.key}
        primary = self._primary_keys.get((schema, relation.name), ())
        keys = identity
        if relation.replica_identity == "f" and primary:
            keys = {i for i, column in enumerate(columns) if column.name in primary}
        old_image: dict[str, Any] | None = None
        new_image: dict[str, Any] | None = None
        old: pgoutput.Row | None
        new: pgoutput.Row | None
        match change:
            case pgoutput.Insert():
                name, new, old = "INSERT", change.new, None
                new_image = _image(columns, new)
            case pgoutput.Update():
                name, new, old = "MODIFY", change.new, change.old
                new_image = _image(columns, new)
                if change.old is None:
                    old_image = _image(columns, new, identity)
                else:
                    only = None if change.old_kind == "O" else identity
                    old_image = _image(columns, change.old, only)
            case pgoutput.Delete():
                name, new, old = "REMOVE", None, change.old
                old_image = _image(
                    columns, change.old, None if change.old_kind == "O" else identity
                )
        key_values = {**_image(columns, old, keys), **_image(columns, new, keys)}
        lsn = pgoutput.format_lsn(begin.final_lsn)
        event_id = f"{lsn}:{index}"
        images: dict[str, Any] = {"Keys": key_values}
        if new_image is not None:
            images["NewImage"] = new_image
        if old_image is not None:
            images["OldImage"] = old_image
        record = {
            "eventID": event_id,
            "eventName": name,
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
                "table": relation.name,
                "lsn": lsn,
                "xid": begin.xid,
                "commitTime": begin.commit_time.isoformat(),
            },
        }
        return Message(
            id=event_id,
            group=f"{schema}.{relation.name}",
            record=record,
            filter_view=record,
            size=len(json.dumps(record).encode()),
            token=transaction,
        )

    # Moving the slot.

    async def _advance_past_done(self, conn: psycopg.AsyncConnection[Any]) -> None:
        end = 0
        while self._transactions and self._transactions[0].remaining == 0:
            end = self._transactions.popleft().end_lsn
        await self._advance(conn, end)

    async def _advance(self, conn: psycopg.AsyncConnection[Any], lsn: int) -> None:
        # PostgreSQL refuses a move backwards, and one to where the slot is is no move.
        if lsn <= self._confirmed:
            return
        try:
            await conn.execute(
                "SELECT pg_replication_slot_advance(%s, %s::pg_lsn)",
                (self._name, pgoutput.format_lsn(lsn)),
            )
        except psycopg.Error as error:
            raise _error(error, f"moving replication slot {self._name}") from error
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
    try:
        cursor = await conn.execute(query)
        row = await cursor.fetchone()
    except psycopg.Error as error:
        raise _error(error, f"reading {what}") from error
    if row is None:
        raise BrokerError(CONNECTION, f"PostgreSQL returned nothing for {what}")
    return str(row[0])

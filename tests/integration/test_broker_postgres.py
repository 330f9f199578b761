"""PostgreSQL changes through a logical replication slot, against the machine's
PostgreSQL: each test works in a schema of its own and drops the slots and publications
it made."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import psycopg
import pytest

from altus.brokers import pgoutput, postgres
from altus.brokers.base import (
    AUTHENTICATION,
    CONFIGURATION,
    CONNECTION,
    BrokerError,
    Consumer,
    Endpoint,
    Message,
    Subscription,
)
from tests.conftest import POSTGRES_URL, unavailable

pytestmark = [pytest.mark.integration, pytest.mark.anyio]


class Database:
    """The test database, one fresh schema in it, and the slots made on it."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn
        self.schema = f"altus_test_{uuid.uuid4().hex[:12]}"
        self.names: list[str] = []
        conn.execute(f"CREATE SCHEMA {self.schema}")

    def subscription(
        self, *tables: str, group: str | None = None, url: str = POSTGRES_URL
    ) -> Subscription:
        """A subscription to ``tables`` of the schema, its slot named after the schema
        unless ``group`` is None and ``tables`` names no table (then it is the default,
        made of the mapping id)."""
        subscription = Subscription(
            mapping_id=str(uuid.uuid4()),
            endpoint=Endpoint("postgres", url),
            names=tuple(f"{self.schema}.{table}" for table in tables),
            consumer_group=group or f"{self.schema}_{len(self.names)}",
        )
        self.names.append(postgres.slot_name(subscription))
        return subscription

    def run(self, *statements: str) -> None:
        """``statements`` in one transaction."""
        with self.conn.transaction():
            for statement in statements:
                self.conn.execute(statement)

    def confirmed(self, slot: str) -> str | None:
        row = self.conn.execute(
            "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = %s",
            (slot,),
        ).fetchone()
        return None if row is None else str(row[0])

    def lsn_at_least(self, lsn: str | None, other: str) -> bool:
        row = self.conn.execute("SELECT %s::pg_lsn >= %s::pg_lsn", (lsn, other)).fetchone()
        return bool(row and row[0])

    def clean(self) -> None:
        self.conn.execute(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
            " WHERE slot_name = ANY(%s)",
            (self.names,),
        )
        for name in self.names:
            self.conn.execute(f"DROP PUBLICATION IF EXISTS {name}")
        self.conn.execute(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")


@pytest.fixture
def server() -> Iterator[psycopg.Connection[Any]]:
    try:
        conn = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5)
    except psycopg.Error as error:
        unavailable(f"PostgreSQL at {POSTGRES_URL}", str(error))
    with conn:
        yield conn


@pytest.fixture
def db(server: psycopg.Connection[Any]) -> Iterator[Database]:
    row = server.execute("SHOW wal_level").fetchone()
    if row is None or row[0] != "logical":
        unavailable(
            "PostgreSQL with wal_level = logical",
            "ALTER SYSTEM SET wal_level = logical and restart it (see ../shared/SERVICES.md)",
        )
    database = Database(server)
    try:
        yield database
    finally:
        database.clean()


@contextlib.asynccontextmanager
async def opened(subscription: Subscription) -> AsyncIterator[Consumer]:
    consumer = postgres.connect(subscription)
    await consumer.open()
    try:
        yield consumer
    finally:
        await consumer.close()


async def drain(consumer: Consumer, limit: int = 100) -> list[Message]:
    """Everything the slot has, fetched and acknowledged batch by batch."""
    taken: list[Message] = []
    for _ in range(1000):
        batch = await consumer.fetch(limit, 0.2)
        if not batch:
            return taken
        await consumer.ack(batch)
        taken.extend(batch)
    raise AssertionError("the slot never ran dry")


def ddb(message: Message) -> dict[str, Any]:
    record: dict[str, Any] = dict(message.record)
    return dict(record["dynamodb"])


def n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def s(value: str) -> dict[str, str]:
    return {"S": value}


async def test_insert_update_delete_come_as_dynamodb_records_in_commit_order(
    db: Database,
) -> None:
    db.run(f"CREATE TABLE {db.schema}.items (id int PRIMARY KEY, name text, qty int)")
    subscription = db.subscription("items")
    async with opened(subscription) as consumer:
        db.run(
            f"INSERT INTO {db.schema}.items VALUES (1, 'one', 10)",
            f"INSERT INTO {db.schema}.items VALUES (2, 'two', 20)",
        )
        db.run(f"UPDATE {db.schema}.items SET name = 'uno' WHERE id = 1")
        db.run(f"DELETE FROM {db.schema}.items WHERE id = 2")
        messages = await consumer.fetch(100, 5)

        assert [m.record["eventName"] for m in messages] == [
            "INSERT",
            "INSERT",
            "MODIFY",
            "REMOVE",
        ]
        first, second, modify, remove = (ddb(m) for m in messages)
        assert first["Keys"] == {"id": n(1)}
        assert first["NewImage"] == {"id": n(1), "name": s("one"), "qty": n(10)}
        assert "OldImage" not in first
        assert second["NewImage"] == {"id": n(2), "name": s("two"), "qty": n(20)}
        assert modify["Keys"] == {"id": n(1)}
        assert modify["NewImage"] == {"id": n(1), "name": s("uno"), "qty": n(10)}
        # Without REPLICA IDENTITY FULL PostgreSQL sends only the key of the old row.
        assert modify["OldImage"] == {"id": n(1)}
        assert remove["Keys"] == {"id": n(2)}
        assert remove["OldImage"] == {"id": n(2)}
        assert "NewImage" not in remove

        record = messages[0].record
        assert set(record) == {
            "eventID",
            "eventName",
            "eventVersion",
            "eventSource",
            "dynamodb",
            "postgres",
        }
        assert record["eventVersion"] == "1.1"
        assert record["eventSource"] == "altus:postgres"
        assert first["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert isinstance(first["ApproximateCreationDateTime"], int)
        assert first["SizeBytes"] > 0
        info = record["postgres"]
        assert (info["schema"], info["table"]) == (db.schema, "items")
        assert record["eventID"] == f"{info['lsn']}:0"
        assert messages[1].record["eventID"] == f"{info['lsn']}:1"
        assert messages[1].record["postgres"]["xid"] == info["xid"]
        assert messages[2].record["postgres"]["xid"] != info["xid"]
        sequence = [int(ddb(m)["SequenceNumber"]) for m in messages]
        assert sequence == sorted(set(sequence))
        for message in messages:
            assert message.id == message.record["eventID"]
            assert message.group == f"{db.schema}.items"
            assert message.filter_view == message.record
            assert message.size > 0
        assert consumer.event(messages) == {"Records": [dict(m.record) for m in messages]}
        await consumer.ack(messages)
        assert await consumer.fetch(100, 0) == []


async def test_transactions_come_in_commit_order_not_start_order(
    db: Database, server: psycopg.Connection[Any]
) -> None:
    db.run(f"CREATE TABLE {db.schema}.items (id int PRIMARY KEY)")
    async with opened(db.subscription("items")) as consumer:
        with psycopg.connect(POSTGRES_URL, connect_timeout=5) as early:
            early.execute(f"INSERT INTO {db.schema}.items VALUES (1)")  # started first
            db.run(f"INSERT INTO {db.schema}.items VALUES (2)")  # committed first
            early.commit()
        messages = await drain(consumer)
    assert [ddb(m)["Keys"] for m in messages] == [{"id": n(2)}, {"id": n(1)}]


async def test_replica_identity_full_sends_the_whole_old_row(db: Database) -> None:
    db.run(
        f"CREATE TABLE {db.schema}.full_pk (id int PRIMARY KEY, name text, qty int)",
        f"ALTER TABLE {db.schema}.full_pk REPLICA IDENTITY FULL",
        f"CREATE TABLE {db.schema}.full_nokey (name text, qty int)",
        f"ALTER TABLE {db.schema}.full_nokey REPLICA IDENTITY FULL",
    )
    async with opened(db.subscription("full_pk", "full_nokey")) as consumer:
        db.run(
            f"INSERT INTO {db.schema}.full_pk VALUES (1, 'one', 10)",
            f"INSERT INTO {db.schema}.full_nokey VALUES ('x', 1)",
        )
        db.run(
            f"UPDATE {db.schema}.full_pk SET qty = 11",
            f"UPDATE {db.schema}.full_nokey SET qty = 2",
        )
        db.run(f"DELETE FROM {db.schema}.full_pk", f"DELETE FROM {db.schema}.full_nokey")
        messages = await drain(consumer)

    by_kind = [(m.group.split(".")[1], m.record["eventName"], ddb(m)) for m in messages]
    assert [(table, kind) for table, kind, _ in by_kind] == [
        ("full_pk", "INSERT"),
        ("full_nokey", "INSERT"),
        ("full_pk", "MODIFY"),
        ("full_nokey", "MODIFY"),
        ("full_pk", "REMOVE"),
        ("full_nokey", "REMOVE"),
    ]
    modify, remove = by_kind[2][2], by_kind[4][2]
    # Keys stay the primary key; the old row is all there.
    assert modify["Keys"] == {"id": n(1)}
    assert modify["OldImage"] == {"id": n(1), "name": s("one"), "qty": n(10)}
    assert modify["NewImage"] == {"id": n(1), "name": s("one"), "qty": n(11)}
    assert remove["Keys"] == {"id": n(1)}
    assert remove["OldImage"] == {"id": n(1), "name": s("one"), "qty": n(11)}
    # Without a primary key every column is the key.
    assert by_kind[3][2]["Keys"] == {"name": s("x"), "qty": n(2)}
    assert by_kind[3][2]["OldImage"] == {"name": s("x"), "qty": n(1)}
    assert by_kind[5][2]["OldImage"] == {"name": s("x"), "qty": n(2)}


async def test_a_changed_key_and_an_unchanged_toasted_value(db: Database) -> None:
    db.run(
        f"CREATE TABLE {db.schema}.docs (id int PRIMARY KEY, body text, qty int)",
        # Stored out of line uncompressed, so a short repeated text is TOASTed.
        f"ALTER TABLE {db.schema}.docs ALTER COLUMN body SET STORAGE EXTERNAL",
    )
    async with opened(db.subscription("docs")) as consumer:
        db.run(f"INSERT INTO {db.schema}.docs VALUES (1, repeat('x', 10000), 1)")
        db.run(f"UPDATE {db.schema}.docs SET qty = 2")
        db.run(f"UPDATE {db.schema}.docs SET id = 5")
        insert, untouched, rekeyed = (ddb(m) for m in await drain(consumer))
    assert insert["NewImage"]["body"] == s("x" * 10000)
    assert untouched["NewImage"] == {"id": n(1), "qty": n(2)}
    assert rekeyed["Keys"] == {"id": n(5)}
    assert rekeyed["OldImage"] == {"id": n(1)}


async def test_every_mapped_type(db: Database) -> None:
    db.run(
        f"CREATE TYPE {db.schema}.mood AS ENUM ('sad', 'happy')",
        f"""CREATE TABLE {db.schema}.kinds (
            id int PRIMARY KEY, i2 smallint, i8 bigint, r real, d double precision,
            num numeric, num_nan numeric, d_inf double precision,
            t text, vc varchar(10), c char(3), u uuid, dt date, ts timestamp,
            tstz timestamptz, tm time, iv interval, b boolean, bin bytea,
            j json, jb jsonb, ai int[], at text[], ab boolean[], ajb jsonb[], a2 int[][],
            e {db.schema}.mood, nothing text)""",
    )
    async with opened(db.subscription("kinds")) as consumer:
        db.run(
            f"""INSERT INTO {db.schema}.kinds VALUES (
            1, -3, 9007199254740993, 1.5, 0.1,
            12.340, 'NaN', 'Infinity',
            'héllo "x"', 'abc', 'ab', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '2024-05-06',
            '2024-05-06 07:08:09.5', '2024-05-06 09:08:09+02', '07:08:09',
            '1 day 2 hours', true, '\\x00ff'::bytea,
            '{{"a": 1.10, "b": [true, null, "s"]}}', '{{"k": {{"n": 2}}}}',
            '{{1,NULL}}', ARRAY['a,b', NULL, 'NULL', ''], '{{t,f}}',
            ARRAY['{{"k": 1}}'::jsonb], '{{{{1,2}},{{3,4}}}}',
            'happy', NULL)"""
        )
        (message,) = await drain(consumer)
    image = ddb(message)["NewImage"]
    assert image == {
        "id": n(1),
        "i2": n(-3),
        "i8": n(9007199254740993),
        "r": {"N": "1.5"},
        "d": {"N": "0.1"},
        "num": {"N": "12.340"},
        "num_nan": s("NaN"),
        "d_inf": s("Infinity"),
        "t": s('héllo "x"'),
        "vc": s("abc"),
        "c": s("ab "),
        "u": s("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
        "dt": s("2024-05-06"),
        "ts": s("2024-05-06 07:08:09.5"),
        "tstz": s("2024-05-06 07:08:09+00"),
        "tm": s("07:08:09"),
        "iv": s("P1DT2H"),
        "b": {"BOOL": True},
        "bin": {"B": "AP8="},
        "j": {
            "M": {
                "a": {"N": "1.10"},
                "b": {"L": [{"BOOL": True}, {"NULL": True}, s("s")]},
            }
        },
        "jb": {"M": {"k": {"M": {"n": n(2)}}}},
        "ai": {"L": [n(1), {"NULL": True}]},
        "at": {"L": [s("a,b"), {"NULL": True}, s("NULL"), s("")]},
        "ab": {"L": [{"BOOL": True}, {"BOOL": False}]},
        "ajb": {"L": [{"M": {"k": n(1)}}]},
        "a2": {"L": [{"L": [n(1), n(2)]}, {"L": [n(3), n(4)]}]},
        "e": s("happy"),
        "nothing": {"NULL": True},
    }


async def test_a_batch_limit_splits_a_transaction_and_the_slot_waits_for_all_of_it(
    db: Database,
) -> None:
    db.run(f"CREATE TABLE {db.schema}.items (id int PRIMARY KEY)")
    subscription = db.subscription("items")
    slot = postgres.slot_name(subscription)
    async with opened(subscription) as consumer:
        db.run(*(f"INSERT INTO {db.schema}.items VALUES ({i})" for i in range(5)))
        db.run(f"INSERT INTO {db.schema}.items VALUES (5)")
        start = db.confirmed(slot)

        first = await consumer.fetch(2, 5)
        assert [ddb(m)["Keys"] for m in first] == [{"id": n(0)}, {"id": n(1)}]
        await consumer.ack(first[:1])
        await consumer.ack(first[1:])
        second = await consumer.fetch(2, 5)
        assert [ddb(m)["Keys"] for m in second] == [{"id": n(2)}, {"id": n(3)}]
        await consumer.ack(second)
        assert db.confirmed(slot) == start  # part of a transaction: the slot stays
    # A new consumer gets the whole transaction again.
    async with opened(subscription) as consumer:
        again = await consumer.fetch(100, 5)
        assert [ddb(m)["Keys"] for m in again] == [{"id": n(i)} for i in range(6)]
        await consumer.ack(again[:5])
        assert db.confirmed(slot) != start  # the first transaction is done
        moved = db.confirmed(slot)
    async with opened(subscription) as consumer:
        (last,) = await drain(consumer)
        assert ddb(last)["Keys"] == {"id": n(5)}
        assert db.confirmed(slot) != moved


async def test_acknowledged_changes_do_not_come_again_and_others_do(db: Database) -> None:
    db.run(f"CREATE TABLE {db.schema}.items (id int PRIMARY KEY)")
    subscription = db.subscription("items")
    async with opened(subscription) as consumer:
        db.run(f"INSERT INTO {db.schema}.items VALUES (1)")
        db.run(f"INSERT INTO {db.schema}.items VALUES (2)")
        fetched = await consumer.fetch(100, 5)
        assert len(fetched) == 2
        await consumer.ack(fetched[:1])
        # What is in hand is not handed out again by the same consumer.
        assert await consumer.fetch(100, 0.3) == []
        db.run(f"INSERT INTO {db.schema}.items VALUES (3)")
        (newer,) = await consumer.fetch(100, 5)
        assert newer.record["dynamodb"]["Keys"] == {"id": {"N": "3"}}
    async with opened(subscription) as consumer:
        again = await consumer.fetch(100, 5)
        assert [m.id for m in again] == [fetched[1].id, newer.id]
        assert again[0].record == fetched[1].record
        await consumer.ack(again)
    async with opened(subscription) as consumer:
        assert await consumer.fetch(100, 0.3) == []


async def test_default_names_and_writes_elsewhere_do_not_pin_the_slot(db: Database) -> None:
    db.run(
        f"CREATE TABLE {db.schema}.items (id int PRIMARY KEY)",
        f"CREATE TABLE {db.schema}.other (id int PRIMARY KEY)",
    )
    subscription = Subscription(
        mapping_id=str(uuid.uuid4()).upper(),
        endpoint=Endpoint("postgres", POSTGRES_URL),
        names=(f"{db.schema}.items",),
    )
    slot = postgres.slot_name(subscription)
    db.names.append(slot)
    assert slot == "altus_" + subscription.mapping_id.replace("-", "").lower()
    async with opened(subscription) as consumer:
        db.run(f"INSERT INTO {db.schema}.other VALUES (1)")
        row = db.conn.execute("SELECT pg_current_wal_flush_lsn()::text").fetchone()
        assert row is not None
        assert await consumer.fetch(100, 0) == []
        assert db.lsn_at_least(db.confirmed(slot), row[0])


async def test_forget_drops_the_slot_and_the_publication(db: Database) -> None:
    db.run(f"CREATE TABLE {db.schema}.items (id int PRIMARY KEY)")
    subscription = db.subscription("items")
    slot = postgres.slot_name(subscription)
    async with opened(subscription):
        pass
    assert db.confirmed(slot) is not None
    consumer = postgres.connect(subscription)
    await consumer.forget()
    assert db.confirmed(slot) is None
    found = db.conn.execute("SELECT 1 FROM pg_publication WHERE pubname = %s", (slot,))
    assert found.fetchone() is None
    await consumer.forget()  # gone already: fine


async def test_the_publication_follows_the_tables(db: Database) -> None:
    db.run(
        f"CREATE TABLE {db.schema}.a (id int PRIMARY KEY)",
        f"CREATE TABLE {db.schema}.b (id int PRIMARY KEY)",
    )
    first = db.subscription("a")
    async with opened(first):
        pass
    moved = Subscription(
        first.mapping_id, first.endpoint, (f"{db.schema}.b",), first.consumer_group
    )
    async with opened(moved) as consumer:
        db.run(f"INSERT INTO {db.schema}.a VALUES (1)", f"INSERT INTO {db.schema}.b VALUES (2)")
        (message,) = await drain(consumer)
    assert message.group == f"{db.schema}.b"
    tables = db.conn.execute(
        "SELECT tablename::text FROM pg_publication_tables WHERE pubname = %s",
        (postgres.slot_name(first),),
    ).fetchall()
    assert tables == [("b",)]


async def test_a_missing_table_is_a_configuration_error(db: Database) -> None:
    consumer = postgres.connect(db.subscription("missing"))
    with pytest.raises(BrokerError) as raised:
        await consumer.open()
    assert raised.value.kind == CONFIGURATION
    assert "does not exist" in raised.value.message
    await consumer.close()


async def test_an_unknown_role_is_an_authentication_error(db: Database) -> None:
    db.run(f"CREATE TABLE {db.schema}.items (id int PRIMARY KEY)")
    subscription = db.subscription("items")
    refused = Subscription(
        subscription.mapping_id,
        Endpoint("postgres", POSTGRES_URL, username=f"nobody_{uuid.uuid4().hex[:8]}"),
        subscription.names,
        subscription.consumer_group,
    )
    with pytest.raises(BrokerError) as raised:
        await postgres.connect(refused).open()
    assert raised.value.kind == AUTHENTICATION


async def test_an_unreachable_server_is_a_connection_error(db: Database) -> None:
    # Port 1 on loopback: nothing listens there.
    subscription = db.subscription("items", url="postgresql://postgres@127.0.0.1:1/test")
    with pytest.raises(BrokerError) as raised:
        await postgres.connect(subscription).open()
    assert raised.value.kind == CONNECTION


async def test_a_bad_slot_name_is_a_configuration_error(db: Database) -> None:
    subscription = Subscription(
        str(uuid.uuid4()), Endpoint("postgres", POSTGRES_URL), ("items",), "Not-A-Slot"
    )
    with pytest.raises(BrokerError) as raised:
        await postgres.connect(subscription).open()
    assert raised.value.kind == CONFIGURATION


async def test_wal_level_other_than_logical_is_a_configuration_error(
    server: psycopg.Connection[Any],
) -> None:
    row = server.execute("SHOW wal_level").fetchone()
    if row is not None and row[0] == "logical":
        pytest.skip("wal_level is logical here: nothing to refuse")
    subscription = Subscription(
        str(uuid.uuid4()), Endpoint("postgres", POSTGRES_URL), ("pg_class",), "altus_never"
    )
    with pytest.raises(BrokerError) as raised:
        await postgres.connect(subscription).open()
    assert raised.value.kind == CONFIGURATION
    assert "wal_level" in raised.value.message


async def test_a_user_without_the_privileges_gets_a_configuration_error(db: Database) -> None:
    db.run(f"CREATE TABLE {db.schema}.items (id int PRIMARY KEY)")
    role = f"altus_test_{uuid.uuid4().hex[:12]}"
    db.conn.execute(f"CREATE ROLE {role} LOGIN NOREPLICATION")
    try:
        subscription = db.subscription("items")
        limited = Subscription(
            subscription.mapping_id,
            Endpoint("postgres", POSTGRES_URL, username=role),
            subscription.names,
            subscription.consumer_group,
        )
        with pytest.raises(BrokerError) as raised:
            await postgres.connect(limited).open()
        assert raised.value.kind == CONFIGURATION
        assert "REPLICATION" in raised.value.message
    finally:
        db.conn.execute(f"DROP ROLE {role}")


async def test_a_new_slot_waits_for_running_transactions_then_gives_up(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    db.run(f"CREATE TABLE {db.schema}.items (id int PRIMARY KEY)")
    monkeypatch.setattr(postgres, "SLOT_TIMEOUT", "200ms")
    subscription = db.subscription("items")
    with psycopg.connect(POSTGRES_URL, connect_timeout=5) as running:
        running.execute(f"INSERT INTO {db.schema}.items VALUES (1)")  # holds an xid
        with pytest.raises(BrokerError) as raised:
            await postgres.connect(subscription).open()
        running.rollback()
    assert raised.value.kind == CONNECTION
    assert db.confirmed(postgres.slot_name(subscription)) is None
    async with opened(subscription):
        assert db.confirmed(postgres.slot_name(subscription)) is not None


async def test_the_parser_reads_what_the_server_sends(db: Database) -> None:
    db.run(f"CREATE TABLE {db.schema}.items (id int PRIMARY KEY, name text)")
    subscription = db.subscription("items")
    slot = postgres.slot_name(subscription)
    async with opened(subscription):
        db.run(f"INSERT INTO {db.schema}.items VALUES (1, 'one')")
        rows = db.conn.execute(
            "SELECT lsn::text, xid::text::bigint, data"
            " FROM pg_logical_slot_peek_binary_changes(%s, NULL, NULL,"
            " 'proto_version', '1', 'publication_names', %s)",
            (slot, slot),
        ).fetchall()
    begin, relation, insert, commit = (pgoutput.parse(bytes(row[2])) for row in rows)
    assert isinstance(begin, pgoutput.Begin)
    assert isinstance(relation, pgoutput.Relation)
    assert isinstance(insert, pgoutput.Insert)
    assert isinstance(commit, pgoutput.Commit)
    assert begin.xid == rows[0][1]
    assert begin.final_lsn == commit.commit_lsn
    # The Commit row sits at the end of the commit record.
    assert pgoutput.format_lsn(commit.end_lsn) == rows[3][0]
    assert commit.end_lsn > commit.commit_lsn
    assert begin.commit_time == commit.commit_time
    assert (relation.namespace, relation.name, relation.replica_identity) == (
        db.schema,
        "items",
        "d",
    )
    assert [(c.name, c.type_oid, c.key) for c in relation.columns] == [
        ("id", 23, True),
        ("name", 25, False),
    ]
    assert insert == pgoutput.Insert(relation.oid, ("1", "one"))

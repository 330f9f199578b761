"""PostgreSQL changes through a logical replication slot, against the machine's
PostgreSQL: each test works in a schema of its own and drops the slots and publications
it made."""

from __future__ import annotations

import contextlib
import dataclasses
import json
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
    monkeypatch.setattr(postgres, "SLOT_TIMEOUT", 0.2)
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


# Partitions, renames and changes no table of the mapping takes.


def publication(db: Database, name: str) -> tuple[bool, list[str]]:
    """Whether publication ``name`` publishes via the partition root, and its tables."""
    row = db.conn.execute(
        "SELECT pubviaroot FROM pg_publication WHERE pubname = %s", (name,)
    ).fetchone()
    tables = db.conn.execute(
        "SELECT tablename::text FROM pg_publication_tables WHERE pubname = %s ORDER BY 1",
        (name,),
    ).fetchall()
    return bool(row and row[0]), [table for (table,) in tables]


async def test_a_partitioned_tables_changes_come_as_its_own(db: Database) -> None:
    db.run(
        f"CREATE TABLE {db.schema}.events (id int, at date, PRIMARY KEY (id, at))"
        " PARTITION BY RANGE (at)",
        f"CREATE TABLE {db.schema}.events_1 PARTITION OF {db.schema}.events"
        " FOR VALUES FROM ('2024-01-01') TO ('2024-02-01')",
        f"CREATE TABLE {db.schema}.events_2 PARTITION OF {db.schema}.events"
        " FOR VALUES FROM ('2024-02-01') TO ('2024-03-01')",
    )
    subscription = db.subscription("events")
    async with opened(subscription) as consumer:
        db.run(f"INSERT INTO {db.schema}.events VALUES (1, '2024-01-05')")
        # From one partition to the other: a delete there and an insert here.
        db.run(f"UPDATE {db.schema}.events SET at = '2024-02-05'")
        db.run(f"DELETE FROM {db.schema}.events")
        messages = await drain(consumer)
    assert [m.record["eventName"] for m in messages] == ["INSERT", "REMOVE", "INSERT", "REMOVE"]
    assert {m.group for m in messages} == {f"{db.schema}.events"}
    assert {m.record["postgres"]["table"] for m in messages} == {"events"}
    assert ddb(messages[0])["NewImage"] == {"id": n(1), "at": s("2024-01-05")}
    assert ddb(messages[2])["NewImage"] == {"id": n(1), "at": s("2024-02-05")}
    assert publication(db, postgres.slot_name(subscription)) == (True, ["events"])


async def test_partition_changes_decoded_before_the_publication_went_via_the_root(
    db: Database,
) -> None:
    db.run(
        f"CREATE TABLE {db.schema}.events (id int PRIMARY KEY) PARTITION BY RANGE (id)",
        f"CREATE TABLE {db.schema}.events_1 PARTITION OF {db.schema}.events"
        " FOR VALUES FROM (0) TO (100)",
    )
    subscription = db.subscription("events")
    slot = postgres.slot_name(subscription)
    # As an older Altus made them: the partitions' changes come under their own names.
    db.conn.execute(
        f"CREATE PUBLICATION {slot} FOR TABLE {db.schema}.events"
        " WITH (publish = 'insert, update, delete')"
    )
    db.conn.execute("SELECT pg_create_logical_replication_slot(%s, 'pgoutput')", (slot,))
    db.run(f"INSERT INTO {db.schema}.events VALUES (1)")
    async with opened(subscription) as consumer:
        assert publication(db, slot)[0]
        db.run(f"INSERT INTO {db.schema}.events VALUES (2)")
        messages = await drain(consumer)
    assert [ddb(m)["Keys"] for m in messages] == [{"id": n(1)}, {"id": n(2)}]
    assert {m.group for m in messages} == {f"{db.schema}.events"}


async def test_a_renamed_table_is_still_read_and_then_its_old_name_is_refused(
    db: Database,
) -> None:
    db.run(f"CREATE TABLE {db.schema}.items (id int PRIMARY KEY)")
    subscription = db.subscription("items")
    slot = postgres.slot_name(subscription)
    async with opened(subscription) as consumer:
        db.run(f"INSERT INTO {db.schema}.items VALUES (1)")
        db.run(f"ALTER TABLE {db.schema}.items RENAME TO renamed")
        db.run(f"INSERT INTO {db.schema}.renamed VALUES (2)")
        messages = await drain(consumer)
        # The same table: its changes keep coming, named as the mapping names it.
        assert [ddb(m)["Keys"] for m in messages] == [{"id": n(1)}, {"id": n(2)}]
        assert {m.group for m in messages} == {f"{db.schema}.items"}
        db.run(f"INSERT INTO {db.schema}.renamed VALUES (3)")
        start = db.confirmed(slot)
    # Connected again, the mapping's name is looked up and is gone: nothing is skipped.
    with pytest.raises(BrokerError) as raised:
        await postgres.connect(subscription).open()
    assert raised.value.kind == CONFIGURATION
    assert "does not exist" in raised.value.message
    assert db.confirmed(slot) == start
    # Named again as it is now, the mapping goes on where it was.
    renamed = Subscription(
        subscription.mapping_id,
        subscription.endpoint,
        (f"{db.schema}.renamed",),
        subscription.consumer_group,
    )
    async with opened(renamed) as consumer:
        (message,) = await drain(consumer)
    assert ddb(message)["Keys"] == {"id": n(3)}
    assert message.group == f"{db.schema}.renamed"


async def test_a_change_of_a_table_the_mapping_does_not_read_stops_the_slot(
    db: Database,
) -> None:
    db.run(
        f"CREATE TABLE {db.schema}.items (id int PRIMARY KEY)",
        f"CREATE TABLE {db.schema}.other (id int PRIMARY KEY)",
    )
    subscription = db.subscription("items")
    slot = postgres.slot_name(subscription)
    async with opened(subscription) as consumer:
        db.conn.execute(f"ALTER PUBLICATION {slot} ADD TABLE {db.schema}.other")
        db.run(f"INSERT INTO {db.schema}.items VALUES (1)")
        db.run(f"INSERT INTO {db.schema}.other VALUES (2)")
        db.run(f"INSERT INTO {db.schema}.items VALUES (3)")
        # What comes before it is delivered, and the slot moves past that.
        first = await consumer.fetch(100, 5)
        assert [ddb(m)["Keys"] for m in first] == [{"id": n(1)}]
        await consumer.ack(first)
        moved = db.confirmed(slot)
        with pytest.raises(BrokerError) as raised:
            await consumer.fetch(100, 5)
    assert raised.value.kind == CONFIGURATION
    assert f"{db.schema}.other" in raised.value.message
    assert "pg_drop_replication_slot" in raised.value.message
    # Connected again, the same: the slot stays before the change.
    async with opened(subscription) as consumer:
        with pytest.raises(BrokerError) as raised:
            await consumer.fetch(100, 5)
    assert raised.value.kind == CONFIGURATION
    assert db.confirmed(slot) == moved


# Values nested deeper than Python recurses.


async def test_a_json_value_nested_too_deep_stays_text(db: Database) -> None:
    db.run(f"CREATE TABLE {db.schema}.docs (id int PRIMARY KEY, deep jsonb, fits jsonb)")
    deep = "[" * 5000 + "]" * 5000
    fits = "[" * postgres.JSON_DEPTH + "]" * postgres.JSON_DEPTH
    async with opened(db.subscription("docs")) as consumer:
        db.conn.execute(f"INSERT INTO {db.schema}.docs VALUES (1, %s, %s)", (deep, fits))
        (message,) = await drain(consumer)
    image = ddb(message)["NewImage"]
    assert image["deep"] == s(deep)
    assert image["fits"] != s(fits)
    assert json.loads(json.dumps(consumer.event([message])))["Records"][0] == message.record


# Memory: a transaction larger than what may be held.


async def test_a_transaction_larger_than_what_may_be_held_is_read_as_it_is_acknowledged(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postgres, "HELD_CHANGES", 4)
    db.run(f"CREATE TABLE {db.schema}.items (id int PRIMARY KEY)")
    subscription = dataclasses.replace(db.subscription("items"), batch_size=3)
    slot = postgres.slot_name(subscription)
    peeks: list[int] = []
    start_peek = postgres.PostgresChangeConsumer._start_peek

    async def counted(self: postgres.PostgresChangeConsumer, conn: Any, flushed: int) -> None:
        peeks.append(flushed)
        await start_peek(self, conn, flushed)

    monkeypatch.setattr(postgres.PostgresChangeConsumer, "_start_peek", counted)
    async with opened(subscription) as consumer:
        assert isinstance(consumer, postgres.PostgresChangeConsumer)
        db.run(f"INSERT INTO {db.schema}.items SELECT generate_series(0, 24)")
        start = db.confirmed(slot)
        taken: list[Message] = []
        for _ in range(100):
            batch = await consumer.fetch(3, 5)
            assert len(consumer._pending) <= 4
            if not batch:
                break
            # The slot moves only past the whole transaction.
            assert db.confirmed(slot) == start
            taken.extend(batch)
            if len(taken) == 12:
                break
            await consumer.ack(batch)
        assert [ddb(m)["Keys"] for m in taken] == [{"id": n(i)} for i in range(12)]
        # Decoded once on the server, read on from there.
        assert len(peeks) == 1
    # Not all acknowledged: it comes again whole.
    async with opened(subscription) as consumer:
        assert isinstance(consumer, postgres.PostgresChangeConsumer)
        taken = []
        for _ in range(100):
            batch = await consumer.fetch(3, 5)
            assert len(consumer._pending) <= 4
            if not batch:
                break
            taken.extend(batch)
            await consumer.ack(batch)
            if len(taken) >= 25:
                break
        assert [ddb(m)["Keys"] for m in taken] == [{"id": n(i)} for i in range(25)]
        assert len({m.id for m in taken}) == 25
        assert db.confirmed(slot) != start


# Bounds on waiting.


async def test_the_connection_has_keepalives_and_a_lock_timeout(db: Database) -> None:
    db.run(f"CREATE TABLE {db.schema}.items (id int PRIMARY KEY)")
    async with opened(db.subscription("items")) as consumer:
        assert isinstance(consumer, postgres.PostgresChangeConsumer)
        conn = consumer._connection()
        parameters = conn.info.get_parameters()
        for key, value in postgres.KEEPALIVES.items():
            assert parameters[key] == value
        cursor = await conn.execute("SELECT current_setting('lock_timeout')")
        assert await cursor.fetchone() == (postgres.LOCK_TIMEOUT,)


@pytest.mark.parametrize("bound", ["lock", "answer"])
async def test_a_table_locked_elsewhere_is_a_connection_error_not_a_hang(
    db: Database, monkeypatch: pytest.MonkeyPatch, bound: str
) -> None:
    db.run(f"CREATE TABLE {db.schema}.items (id int PRIMARY KEY)")
    if bound == "lock":
        monkeypatch.setattr(postgres, "LOCK_TIMEOUT", "100ms")
    else:
        # No lock timeout: the client's own bound on the query ends the wait.
        monkeypatch.setattr(postgres, "LOCK_TIMEOUT", "0")
        monkeypatch.setattr(postgres, "QUERY_TIMEOUT", 0.3)
    subscription = db.subscription("items")
    with psycopg.connect(POSTGRES_URL, connect_timeout=5) as holder:
        holder.execute(f"LOCK TABLE {db.schema}.items IN ACCESS EXCLUSIVE MODE")
        with pytest.raises(BrokerError) as raised:
            await postgres.connect(subscription).open()
        holder.rollback()
    assert raised.value.kind == CONNECTION
    expected = "held a lock" if bound == "lock" else "did not answer within 0.3 s"
    assert expected in raised.value.message
    async with opened(subscription):
        pass


# Idle load.


async def test_an_idle_mapping_backs_off_and_peeks_only_once_wal_moved(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postgres, "POLL_INTERVAL", 0.01)
    monkeypatch.setattr(postgres, "IDLE_POLL_INTERVAL", 0.04)
    db.run(f"CREATE TABLE {db.schema}.items (id int PRIMARY KEY)")
    subscription = db.subscription("items")
    slot = postgres.slot_name(subscription)
    async with opened(subscription) as consumer:
        assert isinstance(consumer, postgres.PostgresChangeConsumer)
        checks: list[tuple[int, int, bool]] = []
        flushed_of = consumer._flushed
        start_peek = consumer._start_peek
        seen: list[int] = []

        async def flushed(conn: Any) -> int:
            seen.append(await flushed_of(conn))
            return seen[-1]

        async def peek(conn: Any, at: int) -> None:
            checks[-1] = (*checks[-1][:2], True)
            await start_peek(conn, at)

        monkeypatch.setattr(consumer, "_flushed", flushed)
        monkeypatch.setattr(consumer, "_start_peek", peek)
        for _ in range(100):
            quiet = consumer._quiet_at
            checks.append((quiet, -1, False))
            consumer._next_check = 0.0
            assert await consumer.fetch(100, 0) == []
            checks[-1] = (quiet, seen[-1], checks[-1][2])
            if consumer._interval == postgres.IDLE_POLL_INTERVAL and len(checks) >= 5:
                break
        # A peek only where WAL was written since the last one found nothing; and each
        # that found nothing moved the slot there.
        for quiet, flush, peeked in checks:
            assert peeked == (flush != quiet)
        assert db.lsn_at_least(db.confirmed(slot), pgoutput.format_lsn(consumer._quiet_at))
        assert consumer._interval == postgres.IDLE_POLL_INTERVAL
        db.run(f"INSERT INTO {db.schema}.items VALUES (1)")
        assert len(await consumer.fetch(100, 5)) == 1
        assert consumer._interval == postgres.POLL_INTERVAL


# URLs and credentials.


async def test_a_url_that_cannot_be_parsed_is_not_repeated(db: Database) -> None:
    subscription = db.subscription("items", url="postgresql://postgres:50%off@127.0.0.1/test")
    for attempt in (postgres.connect(subscription).open, postgres.connect(subscription).forget):
        with pytest.raises(BrokerError) as raised:
            await attempt()
        assert raised.value.kind == CONFIGURATION
        assert raised.value.message.startswith(
            "The POSTGRES_URL cannot be parsed: check its percent-encoding"
        )
        assert "50%off" not in raised.value.message
        assert raised.value.__cause__ is None and raised.value.__suppress_context__

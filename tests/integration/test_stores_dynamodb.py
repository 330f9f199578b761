"""The DynamoDB store's contract (``altus.dynamodb.store.TableStore``) on every backend:
SQLite in memory, SQLite in a file and the machine's PostgreSQL (a fresh schema per
test). Items with their index rows and stream records written together, conditions
judged in the write's transaction, ranges read in DynamoDB's order, scan segments that
cover a table once, and the background work: purge, backfill, expiry, trim."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from altus.dynamodb import keys, rows, stream_records
from altus.dynamodb.errors import ValidationException
from altus.dynamodb.expressions.parse import parse_condition, parse_update
from altus.dynamodb.model import (
    CREATING,
    GLOBAL,
    KEYS_ONLY,
    NEW_AND_OLD_IMAGES,
    Check,
    Index,
    ItemWrite,
    KeySchema,
    Patch,
    Projection,
    Put,
    Remove,
    Stream,
    Table,
    TimeToLive,
)
from altus.dynamodb.sql_store import SCHEMA, SqlTableStore
from altus.dynamodb.store import (
    ConditionsFailed,
    KeyRange,
    ScanRange,
    TableChanged,
    TokenClaim,
    TokenRepeated,
)
from altus.store.database import Database
from altus.store.storage import Storage

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

REGION = "us-east-1"


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[SqlTableStore]:
    storage = Storage(store_url)
    db: Database = storage.database()
    db.migrate([SCHEMA])
    yield SqlTableStore(db)
    await asyncio.to_thread(storage.close)


def _table(name: str = "t", **changes: Any) -> Table:
    table_id = str(uuid.uuid4())
    arn = f"arn:aws:dynamodb:{REGION}:000000000000:table/{name}"
    base = Table(
        name=name,
        id=table_id,
        arn=arn,
        key=KeySchema("pk", "S", "sk", "N"),
        attributes={"pk": "S", "sk": "N", "g": "S"},
        created=1.0,
        indexes=(
            Index(
                "byg",
                f"{table_id}/byg",
                GLOBAL,
                KeySchema("g", "S"),
                Projection(KEYS_ONLY),
            ),
        ),
        streams=(Stream("L1", f"{arn}/stream/L1", NEW_AND_OLD_IMAGES, 1.0),),
    )
    return dataclasses.replace(base, **changes)


def _item(pk: str, sk: int, **more: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"pk": {"S": pk}, "sk": {"N": str(sk)}}
    for name, value in more.items():
        item[name] = {"S": value} if isinstance(value, str) else {"N": str(value)}
    return item


def _key(pk: str, sk: int) -> dict[str, Any]:
    return _item(pk, sk)


async def _put(store: SqlTableStore, table: Table, *items: dict[str, Any]) -> None:
    writes = [ItemWrite(table, rows.table_key(table, item), Put(item)) for item in items]
    await store.write(writes, 10.0, REGION)


async def test_tables_are_stored_and_dropped(store: SqlTableStore) -> None:
    table = _table()
    await store.put_table(table)
    assert await store.load() == [table]
    await store.drop_table(table, [table.id])
    assert await store.load() == []


async def test_a_write_keeps_index_rows_and_stream_records_with_the_item(
    store: SqlTableStore,
) -> None:
    table = _table()
    await store.put_table(table)
    await _put(store, table, _item("a", 1, g="x"), _item("a", 2))
    assert await store.get(table, [_key("a", 1), _key("a", 3)]) == [_item("a", 1, g="x"), None]
    index = table.indexes[0]
    partition = rows.address(index.key, {"g": {"S": "x"}})
    assert partition is not None
    found = await store.query(KeyRange(table, index, partition), 10, 1 << 20)
    # KEYS_ONLY: the table's and the index's keys.
    assert [row.item for row in found] == [_item("a", 1, g="x")]

    # A change moves its index row; a removal takes it away.
    update, _ = parse_update("SET g = :y", None, {":y": {"S": "y"}})
    written = await store.write([ItemWrite(table, _key("a", 1), Patch(update))], 11.0, REGION)
    assert written[0].old == _item("a", 1, g="x") and written[0].new == _item("a", 1, g="y")
    assert await store.query(KeyRange(table, index, partition), 10, 1 << 20) == []
    await store.write([ItemWrite(table, _key("a", 1), Remove())], 12.0, REGION)
    moved = rows.address(index.key, {"g": {"S": "y"}})
    assert moved is not None
    assert await store.query(KeyRange(table, index, moved), 10, 1 << 20) == []

    # Every change has its record, in commit order; a write that changes nothing has none.
    await _put(store, table, _item("a", 2))
    records = await store.stream_records(table.streams[0].arn, None, 100)
    assert [(seq, r["eventName"]) for seq, r in records] == [
        (1, stream_records.INSERT),
        (2, stream_records.INSERT),
        (3, stream_records.MODIFY),
        (4, stream_records.REMOVE),
    ]
    assert records[2][1]["dynamodb"]["OldImage"] == _item("a", 1, g="x")
    assert records[2][1]["dynamodb"]["NewImage"] == _item("a", 1, g="y")
    assert records[3][1]["dynamodb"]["SequenceNumber"] == stream_records.sequence_number(4)
    assert await store.stream_records(table.streams[0].arn, 3, 100) == records[3:]
    assert await store.stream_bounds(table.streams[0].arn) == (1, 4)
    assert await store.stats(table.id) == (1, rows_size([_item("a", 2)]))


def rows_size(items: list[dict[str, Any]]) -> int:
    from altus.dynamodb.values import item_size

    return sum(item_size(item) for item in items)


async def test_conditions_are_judged_together_and_nothing_is_written_when_one_fails(
    store: SqlTableStore,
) -> None:
    table = _table()
    await store.put_table(table)
    await _put(store, table, _item("a", 1, n=1))
    absent, _ = parse_condition("attribute_not_exists(pk)", None, None)
    is_two, _ = parse_condition("n = :two", None, {":two": {"N": "2"}})
    writes = [
        ItemWrite(table, _key("b", 1), Put(_item("b", 1)), absent),
        ItemWrite(table, _key("a", 1), Check(), is_two),
        ItemWrite(table, _key("a", 1), Put(_item("a", 1)), absent),
    ]
    with pytest.raises(ConditionsFailed) as failed:
        await store.write(writes, 11.0, REGION)
    assert failed.value.failed == {1: _item("a", 1, n=1), 2: _item("a", 1, n=1)}
    assert await store.get(table, [_key("b", 1)]) == [None]
    # An update whose result cannot be stored writes nothing either.
    bad, _ = parse_update("ADD pk :one", None, {":one": {"N": "1"}})
    with pytest.raises(ValidationException):
        await store.write(
            [
                ItemWrite(table, _key("b", 1), Put(_item("b", 1))),
                ItemWrite(table, _key("a", 1), Patch(bad)),
            ],
            11.0,
            REGION,
        )
    assert await store.get(table, [_key("b", 1)]) == [None]


async def test_ranges_come_in_dynamodb_order_and_pages_stop_at_their_bytes(
    store: SqlTableStore,
) -> None:
    table = _table()
    await store.put_table(table)
    numbers = [-100, -1.5, -1, 0, 0.25, 1, 10, 1e20]
    await _put(store, table, *(_item("p", n) for n in numbers), _item("q", 1))  # type: ignore[arg-type]
    partition = rows.address(table.key, _key("p", 0))
    assert partition is not None
    whole = await store.query(KeyRange(table, None, partition), 100, 1 << 20)
    assert [float(r.item["sk"]["N"]) for r in whole] == sorted(numbers)
    backwards = await store.query(KeyRange(table, None, partition, forward=False), 3, 1 << 20)
    assert [float(r.item["sk"]["N"]) for r in backwards] == sorted(numbers, reverse=True)[:3]
    low = keys.encode({"N": "-1"})
    high = keys.encode({"N": "1"})
    between = await store.query(
        KeyRange(table, None, partition, low=low, high=high, high_inclusive=False), 100, 1 << 20
    )
    assert [float(r.item["sk"]["N"]) for r in between] == [-1, 0, 0.25]
    after = await store.query(
        KeyRange(table, None, partition, after=(keys.encode({"N": "0"}), None)), 100, 1 << 20
    )
    assert [float(r.item["sk"]["N"]) for r in after] == [0.25, 1, 10, 1e20]
    # The row that reaches the byte limit ends the page.
    first = whole[0].size
    assert len(await store.query(KeyRange(table, None, partition), 100, first)) == 1


async def test_scan_segments_cover_the_table_once(store: SqlTableStore) -> None:
    table = _table()
    await store.put_table(table)
    items = [_item(f"p{n}", n) for n in range(200)]
    await _put(store, table, *items)
    seen: list[str] = []
    for segment in range(4):
        after = None
        for _ in range(100):
            page = await store.scan(ScanRange(table, None, segment, 4, after), 7, 1 << 20)
            seen += [row.item["pk"]["S"] for row in page]
            if len(page) < 7:
                break
            last = page[-1].item
            after = (rows.primary(table, last), None)
    assert sorted(seen) == sorted(item["pk"]["S"] for item in items)


async def test_purge_deletes_what_dropped_tables_kept(store: SqlTableStore) -> None:
    table = _table()
    await store.put_table(table)
    await _put(store, table, *(_item("p", n, g="x") for n in range(30)))
    ids = [table.id, table.indexes[0].id, table.streams[0].arn]
    await store.drop_table(table, ids)
    deleted = 0
    for _ in range(100):
        step = await store.purge(7)
        deleted += step
        if step == 0:
            break
    assert deleted == 90
    assert await store.stats(table.id) == (0, 0)
    assert await store.stream_records(table.streams[0].arn, None, 10) == []


async def test_backfill_fills_a_new_index(store: SqlTableStore) -> None:
    table = _table(indexes=())
    await store.put_table(table)
    await _put(store, table, *(_item(f"p{n}", n, h=str(n % 3)) for n in range(25)))
    index = Index("byh", f"{table.id}/byh", GLOBAL, KeySchema("h", "S"), Projection(), CREATING)
    table = _table(id=table.id, arn=table.arn, indexes=(index,))
    after = None
    for _ in range(100):
        after = await store.backfill(table, index, after, 10)
        if after is None:
            break
    partition = rows.address(index.key, {"h": {"S": "1"}})
    assert partition is not None
    found = await store.query(KeyRange(table, index, partition), 100, 1 << 20)
    assert sorted(int(r.item["sk"]["N"]) for r in found) == [n for n in range(25) if n % 3 == 1]


async def test_expired_items_are_deleted_as_the_service(store: SqlTableStore) -> None:
    table = _table(ttl=TimeToLive("ttl", "ENABLED"))
    await store.put_table(table)
    await _put(store, table, _item("a", 1, ttl=100), _item("b", 1, ttl=300), _item("c", 1))
    assert await store.expire(table, 200.0, 10, REGION) == 1
    assert await store.get(table, [_key("a", 1), _key("b", 1)]) == [None, _item("b", 1, ttl=300)]
    records = await store.stream_records(table.streams[0].arn, None, 10)
    removed = records[-1][1]
    assert removed["eventName"] == stream_records.REMOVE
    assert removed["userIdentity"] == stream_records.TTL_IDENTITY

    # Items written before time to live was enabled get their expiry noted.
    plain = _table(name="u")
    await store.put_table(plain)
    await _put(store, plain, _item("a", 1, ttl=100))
    enabled = _table(name="u", id=plain.id, arn=plain.arn, ttl=TimeToLive("ttl", "ENABLED"))
    assert await store.expire(enabled, 200.0, 10, REGION) == 0
    assert await store.set_expiry(enabled, None, 10) is not None
    assert await store.expire(enabled, 200.0, 10, REGION) == 1


async def test_old_stream_records_are_trimmed(store: SqlTableStore) -> None:
    table = _table()
    await store.put_table(table)
    await _put(store, table, _item("a", 1))
    await store.write([ItemWrite(table, _key("b", 1), Put(_item("b", 1)))], 50.0, REGION)
    assert await store.trim_streams(20.0, 10) == 1
    assert [seq for seq, _ in await store.stream_records(table.streams[0].arn, None, 10)] == [2]
    # Every record trimmed: the newest number is kept, and numbers go on from it.
    assert await store.trim_streams(60.0, 10) == 1
    assert await store.stream_bounds(table.streams[0].arn) == (None, 2)
    await store.write([ItemWrite(table, _key("c", 1), Put(_item("c", 1)))], 70.0, REGION)
    assert [seq for seq, _ in await store.stream_records(table.streams[0].arn, None, 10)] == [3]


async def test_concurrent_writers_of_one_item_queue_and_each_sees_the_others(
    store: SqlTableStore,
) -> None:
    """(PostgreSQL runs the writes at once: each judges the item as the one before
    left it; SQLite runs them one after the other.)"""
    table = _table()
    await store.put_table(table)
    await _put(store, table, _item("a", 1, n=0))
    add, _ = parse_update("SET n = n + :one", None, {":one": {"N": "1"}})
    exists, _ = parse_condition("attribute_exists(pk)", None, None)
    writes = [ItemWrite(table, _key("a", 1), Patch(add), exists) for _ in range(24)]
    await asyncio.gather(*(store.write([w], 11.0, REGION) for w in writes))
    assert await store.get(table, [_key("a", 1)]) == [_item("a", 1, n=24)]

    # Creators of one new item: exactly one finds it absent.
    absent, _ = parse_condition("attribute_not_exists(pk)", None, None)
    outcomes = await asyncio.gather(
        *(
            store.write(
                [ItemWrite(table, _key("b", 1), Put(_item("b", 1, n=n)), absent)], 12.0, REGION
            )
            for n in range(8)
        ),
        return_exceptions=True,
    )
    assert sum(1 for o in outcomes if not isinstance(o, BaseException)) == 1
    assert all(isinstance(o, ConditionsFailed) for o in outcomes if isinstance(o, BaseException))

    # Transactions over two items named in opposite orders all land (no deadlock).
    one, two = _key("c", 1), _key("c", 2)
    await _put(store, table, _item("c", 1, n=0), _item("c", 2, n=0))
    pairs = [
        [ItemWrite(table, a, Patch(add)), ItemWrite(table, b, Patch(add))]
        for a, b in [(one, two), (two, one)] * 8
    ]
    await asyncio.gather(*(store.write(pair, 13.0, REGION) for pair in pairs))
    assert await store.get(table, [one, two]) == [_item("c", 1, n=16), _item("c", 2, n=16)]


async def test_a_write_planned_on_an_older_definition_is_refused(store: SqlTableStore) -> None:
    table = _table()
    await store.put_table(table)
    newer = dataclasses.replace(table, version=table.version + 1, streams=())
    await store.put_table(newer)
    with pytest.raises(TableChanged):
        await store.write([ItemWrite(table, _key("a", 1), Put(_item("a", 1)))], 10.0, REGION)
    await store.write([ItemWrite(newer, _key("a", 1), Put(_item("a", 1)))], 10.0, REGION)
    await store.drop_table(newer, [newer.id])
    with pytest.raises(TableChanged):
        await store.write([ItemWrite(newer, _key("a", 2), Put(_item("a", 2)))], 10.0, REGION)


async def test_a_token_is_kept_with_its_write(store: SqlTableStore) -> None:
    table = _table()
    await store.put_table(table)
    claim = TokenClaim("t1", "digest-1", 100.0)
    await store.write([ItemWrite(table, _key("a", 1), Put(_item("a", 1)))], 10.0, REGION, claim)
    with pytest.raises(TokenRepeated) as repeated:
        await store.write([ItemWrite(table, _key("a", 2), Put(_item("a", 2)))], 20.0, REGION, claim)
    assert repeated.value.same
    other = TokenClaim("t1", "digest-2", 100.0)
    with pytest.raises(TokenRepeated) as mismatched:
        await store.write([ItemWrite(table, _key("a", 2), Put(_item("a", 2)))], 20.0, REGION, other)
    assert not mismatched.value.same
    assert await store.get(table, [_key("a", 2)]) == [None]
    # Past its time it is forgotten, and the name may be used again.
    assert await store.forget_tokens(150.0) == 1
    await store.write([ItemWrite(table, _key("a", 2), Put(_item("a", 2)))], 160.0, REGION, other)

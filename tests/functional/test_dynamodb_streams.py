"""DynamoDB Streams through boto3's ``dynamodbstreams`` client, against a server in this
process (the public harness, a fake clock): ListStreams, DescribeStream and its one
shard, every iterator type, the records of every view type (INSERT, MODIFY, REMOVE,
none for a write that changes nothing), the iterators' errors in AWS's words, expiry
and trimming on the fake clock, a disabled stream's closed shard; then the stream
source event source mappings read (``altus.sources.StreamSource``), driven directly.

Tables are made through the DynamoDB component (``Tables``), with the stream their
StreamSpecification would give them, and items written through it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import itertools
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from altus.dynamodb import model
from altus.dynamodb.component import DynamoDB
from altus.dynamodb.stream_source import TableStreamSource
from altus.dynamodb.streams_api import ShardIterator
from altus.platform import Platform
from altus.testing import Harness

REGION = "us-east-1"
ACCOUNT = "000000000000"
SHARD = re.compile(r"shardId-\d{20}-[0-9a-f]{8}")
_names = itertools.count(1)


class Tables:
    """Tables and their items, made through the DynamoDB component."""

    def __init__(self, harness: Harness) -> None:
        self.harness = harness

    def component(self) -> DynamoDB:
        assert self.harness.platform is not None
        found: DynamoDB = self.harness.platform.component("dynamodb")
        return found

    def table(self, name: str) -> model.Table:
        return self.component().tables[name]

    def create(
        self,
        view_type: str | None = model.NEW_AND_OLD_IMAGES,
        *,
        sort: bool = False,
        ttl: str | None = None,
    ) -> tuple[str, str]:
        """A table ``t<n>`` keyed by ``id`` (S), and ``n`` (N) with ``sort``; with a
        stream of ``view_type`` (None: none): its name and its stream's ARN ("")."""
        name = f"t{next(_names)}-{uuid.uuid4().hex[:6]}"
        tables = self.component()
        now = tables.now()
        arn = tables.arn(name)
        streams: tuple[model.Stream, ...] = ()
        if view_type is not None:
            label = _label(now)
            streams = (model.Stream(label, f"{arn}/stream/{label}", view_type, now),)
        key = model.KeySchema("id", "S", "n", "N") if sort else model.KeySchema("id", "S")
        table = model.Table(
            name,
            str(uuid.uuid4()),
            arn,
            key,
            {"id": "S", "n": "N"} if sort else {"id": "S"},
            now,
            streams=streams,
            ttl=model.TimeToLive(ttl, model.TTL_ENABLED) if ttl else model.TimeToLive(),
        )

        async def made(platform: Platform) -> None:
            await platform.component("dynamodb").create_table(table)

        self.harness.call(made)
        return name, streams[0].arn if streams else ""

    def write(self, name: str, action: model.Action, key: dict[str, Any]) -> None:
        table = self.table(name)

        async def written(platform: Platform) -> None:
            await platform.component("dynamodb").write([model.ItemWrite(table, key, action)])

        self.harness.call(written)

    def put(self, name: str, item: dict[str, Any]) -> None:
        key = {k: item[k] for k in self.table(name).key.names}
        self.write(name, model.Put(item), key)

    def delete(self, name: str, key: dict[str, Any]) -> None:
        self.write(name, model.Remove(), key)

    def disable(self, name: str) -> None:
        """Streaming turned off: the current stream is disabled now (kept 24 hours)."""
        tables = self.component()
        table = self.table(name)
        now = tables.now()
        streams = tuple(
            dataclasses.replace(s, disabled=now) if s.enabled else s for s in table.streams
        )

        async def updated(platform: Platform) -> None:
            await tables.update_table(dataclasses.replace(table, streams=streams))

        self.harness.call(updated)

    def drop(self, name: str) -> None:
        table = self.table(name)

        async def dropped(platform: Platform) -> None:
            await platform.component("dynamodb").delete_table(table)

        self.harness.call(dropped)


def _label(now: float) -> str:
    """A stream label as DynamoDB writes it: the stream's creation, to the millisecond."""
    moment = datetime.datetime.fromtimestamp(now, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def item(key: str, **values: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"id": {"S": key}}
    for name, value in values.items():
        if isinstance(value, bytes):
            out[name] = {"B": value}
        elif isinstance(value, (int, float)):
            out[name] = {"N": str(value)}
        else:
            out[name] = {"S": value}
    return out


def refusal(call: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    error = raised.value.response["Error"]
    return error["Code"], error["Message"]


def shard_of(streams: Any, arn: str) -> str:
    found: str = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    return found


def iterator(streams: Any, arn: str, kind: str = "TRIM_HORIZON", **more: Any) -> str:
    found: str = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard_of(streams, arn), ShardIteratorType=kind, **more
    )["ShardIterator"]
    return found


def drain(streams: Any, shard_iterator: str, limit: int = 1000) -> tuple[list[Any], Any]:
    """Every record from ``shard_iterator`` on until a read comes back empty or the
    shard ends; the records and the last answer."""
    records: list[Any] = []
    answer: Any = None
    for _ in range(100):  # bounded: these shards hold few records
        answer = streams.get_records(ShardIterator=shard_iterator, Limit=limit)
        records.extend(answer["Records"])
        if not answer["Records"] or "NextShardIterator" not in answer:
            break
        shard_iterator = answer["NextShardIterator"]
    return records, answer


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    with Harness() as altus:
        yield altus


@pytest.fixture(scope="module")
def tables(harness: Harness) -> Tables:
    return Tables(harness)


@pytest.fixture(scope="module")
def streams(harness: Harness) -> Any:
    return harness.client("dynamodbstreams")


# --- ListStreams and DescribeStream ---------------------------------------------------------------


def test_list_streams_by_table_and_all_paged(tables: Tables, streams: Any) -> None:
    made = [tables.create() for _ in range(3)]
    plain, _ = tables.create(None)
    listed = streams.list_streams()["Streams"]
    for name, arn in made:
        assert {"StreamArn": arn, "TableName": name, "StreamLabel": arn.rsplit("/", 1)[1]} in (
            listed
        )
    assert all(entry["TableName"] != plain for entry in listed)
    name, arn = made[1]
    assert [s["StreamArn"] for s in streams.list_streams(TableName=name)["Streams"]] == [arn]
    assert streams.list_streams(TableName=plain)["Streams"] == []
    # Paged in ARN order, each page after the last one's ARN.
    seen: list[str] = []
    start: dict[str, str] = {}
    for _ in range(50):  # bounded: the module's tables are few
        page = streams.list_streams(Limit=1, **start)
        seen += [s["StreamArn"] for s in page["Streams"]]
        if "LastEvaluatedStreamArn" not in page:
            break
        start = {"ExclusiveStartStreamArn": page["LastEvaluatedStreamArn"]}
    assert seen == sorted(s["StreamArn"] for s in listed)
    assert refusal(streams.list_streams, TableName="nope-table") == (
        "ResourceNotFoundException",
        "Requested resource not found: Table: nope-table not found",
    )
    assert refusal(streams.list_streams, Limit=101) == (
        "ValidationException",
        "1 validation error detected: Value '101' at 'limit' failed to satisfy constraint: "
        "Member must have value less than or equal to 100",
    )


def test_describe_stream_shows_one_shard(harness: Harness, tables: Tables, streams: Any) -> None:
    name, arn = tables.create(model.KEYS_ONLY, sort=True)
    described = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert harness.clock is not None
    created = tables.table(name).streams[0].created
    assert described["StreamArn"] == arn
    assert described["StreamLabel"] == arn.rsplit("/", 1)[1] == _label(created)
    assert described["StreamStatus"] == "ENABLED"
    assert described["StreamViewType"] == "KEYS_ONLY"
    assert described["TableName"] == name
    assert described["CreationRequestDateTime"].timestamp() == pytest.approx(created)
    assert described["KeySchema"] == [
        {"AttributeName": "id", "KeyType": "HASH"},
        {"AttributeName": "n", "KeyType": "RANGE"},
    ]
    (shard,) = described["Shards"]
    assert SHARD.fullmatch(shard["ShardId"])
    assert shard["ShardId"].startswith(f"shardId-{round(created * 1000):020d}-")
    # Nothing written yet: the range starts at the first number to come, and is open.
    assert shard["SequenceNumberRange"] == {"StartingSequenceNumber": "100000000000000000001"}
    assert "ParentShardId" not in shard and "LastEvaluatedShardId" not in described
    for n in range(3):
        tables.put(name, {**item("a"), "n": {"N": str(n)}})
    records, _ = drain(streams, iterator(streams, arn))
    first = records[0]["dynamodb"]["SequenceNumber"]
    again = streams.describe_stream(StreamArn=arn, Limit=1)["StreamDescription"]["Shards"]
    assert again[0]["SequenceNumberRange"] == {"StartingSequenceNumber": first}
    after = streams.describe_stream(StreamArn=arn, ExclusiveStartShardId=shard["ShardId"])
    assert after["StreamDescription"]["Shards"] == []
    children = streams.describe_stream(
        StreamArn=arn, ShardFilter={"Type": "CHILD_SHARDS", "ShardId": shard["ShardId"]}
    )
    assert children["StreamDescription"]["Shards"] == []
    missing = arn.rsplit("/", 1)[0] + "/2000-01-01T00:00:00.000"
    assert refusal(streams.describe_stream, StreamArn=missing) == (
        "ResourceNotFoundException",
        f"Requested resource not found: Stream: {missing} not found",
    )


# --- records --------------------------------------------------------------------------------------

#: Which images each view type keeps, for (INSERT, MODIFY, REMOVE).
IMAGES: dict[str, list[tuple[str, ...]]] = {
    model.KEYS_ONLY: [(), (), ()],
    model.NEW_IMAGE: [("NewImage",), ("NewImage",), ()],
    model.OLD_IMAGE: [(), ("OldImage",), ("OldImage",)],
    model.NEW_AND_OLD_IMAGES: [("NewImage",), ("NewImage", "OldImage"), ("OldImage",)],
}


@pytest.mark.parametrize("view_type", list(IMAGES))
def test_each_view_type_keeps_its_images(
    harness: Harness, tables: Tables, streams: Any, view_type: str
) -> None:
    name, arn = tables.create(view_type)
    first = item("k", v="one", blob=b"\x00\xff")
    second = item("k", v="two", blob=b"\x00\xff")
    tables.put(name, first)
    tables.put(name, second)
    tables.delete(name, {"id": {"S": "k"}})
    records, _ = drain(streams, iterator(streams, arn))
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert numbers == sorted(numbers) and len(set(numbers)) == 3
    assert harness.clock is not None
    for record, images in zip(records, IMAGES[view_type], strict=True):
        assert record["eventSource"] == "aws:dynamodb"
        assert record["eventVersion"] == "1.1"
        assert record["awsRegion"] == REGION
        assert re.fullmatch(r"[0-9a-f]{32}", record["eventID"])
        assert "userIdentity" not in record
        change = record["dynamodb"]
        assert change["Keys"] == {"id": {"S": "k"}}
        assert change["StreamViewType"] == view_type
        assert change["SizeBytes"] > 0
        assert len(change["SequenceNumber"]) == 21
        assert change["ApproximateCreationDateTime"].timestamp() == int(harness.clock.now())
        assert {k for k in ("NewImage", "OldImage") if k in change} == set(images)
    by_name = {r["eventName"]: r["dynamodb"] for r in records}
    if "NewImage" in IMAGES[view_type][1]:
        assert by_name["INSERT"]["NewImage"] == first
        assert by_name["MODIFY"]["NewImage"] == second
    if "OldImage" in IMAGES[view_type][1]:
        assert by_name["MODIFY"]["OldImage"] == first
        assert by_name["REMOVE"]["OldImage"] == second


def test_a_write_that_changes_nothing_has_no_record(tables: Tables, streams: Any) -> None:
    name, arn = tables.create(model.NEW_IMAGE)
    tables.put(name, item("a", v="same", n=1))
    # The same attributes and values (a number written another way is the same number).
    tables.put(name, {"id": {"S": "a"}, "n": {"N": "1.0"}, "v": {"S": "same"}})
    tables.delete(name, {"id": {"S": "nobody"}})
    records, _ = drain(streams, iterator(streams, arn))
    assert [r["eventName"] for r in records] == ["INSERT"]
    plain, _ = tables.create(None)
    tables.put(plain, item("a"))  # a table without a stream: nothing anywhere
    assert drain(streams, iterator(streams, arn))[0] == records


def test_a_deletion_by_time_to_live_says_who_deleted(
    harness: Harness, tables: Tables, streams: Any
) -> None:
    name, arn = tables.create(model.OLD_IMAGE, ttl="expires")
    assert harness.clock is not None
    tables.put(name, item("old", expires=int(harness.clock.now()) - 10))
    component = tables.component()

    async def expired(platform: Platform) -> int:
        return await component.store.expire(
            tables.table(name), component.now(), 100, component.account.region
        )

    assert harness.call(expired) == 1
    records, _ = drain(streams, iterator(streams, arn))
    assert [r["eventName"] for r in records] == ["INSERT", "REMOVE"]
    assert records[1]["userIdentity"] == {
        "PrincipalId": "dynamodb.amazonaws.com",
        "Type": "Service",
    }
    assert "userIdentity" not in records[0]


# --- iterators ------------------------------------------------------------------------------------


def test_every_iterator_type(harness: Harness, tables: Tables, streams: Any) -> None:
    name, arn = tables.create()
    for key in "abc":
        tables.put(name, item(key))
    everything, answer = drain(streams, iterator(streams, arn))
    assert [r["dynamodb"]["Keys"]["id"]["S"] for r in everything] == ["a", "b", "c"]
    numbers = [r["dynamodb"]["SequenceNumber"] for r in everything]
    # An open shard read to its end still hands out an iterator to read on with.
    assert "NextShardIterator" in answer
    latest = iterator(streams, arn, "LATEST")
    assert streams.get_records(ShardIterator=latest)["Records"] == []
    tables.put(name, item("d"))
    read = streams.get_records(ShardIterator=latest)
    assert [r["dynamodb"]["Keys"]["id"]["S"] for r in read["Records"]] == ["d"]
    at = iterator(streams, arn, "AT_SEQUENCE_NUMBER", SequenceNumber=numbers[1])
    after = iterator(streams, arn, "AFTER_SEQUENCE_NUMBER", SequenceNumber=numbers[1])
    assert [r["dynamodb"]["Keys"]["id"]["S"] for r in drain(streams, at)[0]] == ["b", "c", "d"]
    assert [r["dynamodb"]["Keys"]["id"]["S"] for r in drain(streams, after)[0]] == ["c", "d"]
    # Limit pages the records; each page's iterator goes on after its last record.
    page = streams.get_records(ShardIterator=iterator(streams, arn), Limit=2)
    assert [r["dynamodb"]["SequenceNumber"] for r in page["Records"]] == numbers[:2]
    rest = streams.get_records(ShardIterator=page["NextShardIterator"], Limit=2)
    assert [r["dynamodb"]["Keys"]["id"]["S"] for r in rest["Records"]] == ["c", "d"]
    # AT_TIMESTAMP: the first record made at or after the time.
    assert harness.clock is not None
    harness.advance(10)
    tables.put(name, item("e"))
    moment = datetime.datetime.fromtimestamp(harness.clock.now() - 5, datetime.UTC)
    timed = iterator(streams, arn, "AT_TIMESTAMP", Timestamp=moment)
    assert [r["dynamodb"]["Keys"]["id"]["S"] for r in drain(streams, timed)[0]] == ["e"]


def test_iterator_arguments_are_checked(harness: Harness, tables: Tables, streams: Any) -> None:
    name, arn = tables.create()
    tables.put(name, item("a"))
    shard = shard_of(streams, arn)
    other = shard[:-8] + ("0" * 8 if not shard.endswith("0" * 8) else "1" * 8)
    assert refusal(
        streams.get_shard_iterator, StreamArn=arn, ShardId=other, ShardIteratorType="LATEST"
    ) == ("ResourceNotFoundException", "Requested resource not found: Shard does not exist")
    missing = arn + "x"
    assert refusal(
        streams.get_shard_iterator, StreamArn=missing, ShardId=shard, ShardIteratorType="LATEST"
    ) == ("ResourceNotFoundException", f"Requested resource not found: Stream: {missing} not found")
    code, _ = refusal(
        streams.get_shard_iterator,
        StreamArn=arn,
        ShardId=shard,
        ShardIteratorType="AT_SEQUENCE_NUMBER",
    )
    assert code == "ValidationException"
    code, _ = refusal(
        streams.get_shard_iterator,
        StreamArn=arn,
        ShardId=shard,
        ShardIteratorType="AFTER_SEQUENCE_NUMBER",
        SequenceNumber="9" * 30,
    )
    assert code == "ValidationException"
    numbers = [r["dynamodb"]["SequenceNumber"] for r in drain(streams, iterator(streams, arn))[0]]
    code, _ = refusal(
        streams.get_shard_iterator,
        StreamArn=arn,
        ShardId=shard,
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        SequenceNumber=str(int(numbers[-1]) + 1),  # not given out yet
    )
    assert code == "ValidationException"
    code, _ = refusal(streams.get_records, ShardIterator="not-an-iterator")
    assert code == "ValidationException"
    assert harness.clock is not None
    foreign = ShardIterator(arn, other, None, harness.clock.now()).encode(key_of(harness))
    assert refusal(streams.get_records, ShardIterator=foreign) == (
        "ResourceNotFoundException",
        "Invalid ShardId in ShardIterator",
    )
    assert refusal(streams.get_records, ShardIterator=iterator(streams, arn), Limit=1001) == (
        "ValidationException",
        "1 validation error detected: Value '1001' at 'limit' failed to satisfy constraint: "
        "Member must have value less than or equal to 1000",
    )
    # An iterator of a table deleted since.
    made = iterator(streams, arn)
    tables.drop(name)
    assert refusal(streams.get_records, ShardIterator=made) == (
        "ResourceNotFoundException",
        f"Requested resource not found: Stream: {arn} not found",
    )
    assert all(s["StreamArn"] != arn for s in streams.list_streams()["Streams"])


# --- on a fake clock of the test's own: expiry, trimming, closing ---------------------------------


@pytest.fixture
def own(tmp_path: Path) -> Iterator[Harness]:
    with Harness(data_dir=tmp_path) as made:
        yield made


def test_iterators_expire_after_fifteen_minutes(own: Harness) -> None:
    tables, streams = Tables(own), own.client("dynamodbstreams")
    name, arn = tables.create()
    made = iterator(streams, arn)
    own.advance(899)
    fresh = streams.get_records(ShardIterator=made)["NextShardIterator"]
    own.advance(2)
    assert refusal(streams.get_records, ShardIterator=made) == (
        "ExpiredIteratorException",
        "The provided iterator exceeds the maximum age allowed.",
    )
    tables.put(name, item("a"))
    assert len(streams.get_records(ShardIterator=fresh)["Records"]) == 1


def test_records_older_than_a_day_are_trimmed(own: Harness) -> None:
    tables, streams = Tables(own), own.client("dynamodbstreams")
    name, arn = tables.create()
    tables.put(name, item("old"))
    own.advance(23 * 3600 + 50 * 60)
    tables.put(name, item("new"))
    own.advance(9 * 60)
    records, _ = drain(streams, iterator(streams, arn))
    old_number = records[0]["dynamodb"]["SequenceNumber"]
    at_old = iterator(streams, arn, "AT_SEQUENCE_NUMBER", SequenceNumber=old_number)
    horizon = iterator(streams, arn)
    own.advance(2 * 60)  # "old" is a day and a minute old now, the iterators 2 minutes
    component = tables.component()

    async def trimmed(platform: Platform) -> tuple[int | None, int | None]:
        # The component's own trim may have come first (it runs every 5 minutes).
        await component.store.trim_streams(component.now() - 24 * 3600, 100)
        return await component.store.stream_bounds(arn)

    assert own.call(trimmed)[0] == int(records[1]["dynamodb"]["SequenceNumber"]) - 10**20
    trimmed_error = (
        "TrimmedDataAccessException",
        "The operation attempted to read past the oldest stream record in a shard.",
    )
    assert refusal(streams.get_records, ShardIterator=at_old) == trimmed_error
    assert (
        refusal(
            streams.get_shard_iterator,
            StreamArn=arn,
            ShardId=shard_of(streams, arn),
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            SequenceNumber=old_number,
        )
        == trimmed_error
    )
    # TRIM_HORIZON moves with the trim.
    assert [r["dynamodb"]["Keys"]["id"]["S"] for r in drain(streams, horizon)[0]] == ["new"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    assert (
        shard["SequenceNumberRange"]["StartingSequenceNumber"]
        == records[1]["dynamodb"]["SequenceNumber"]
    )


def test_a_disabled_streams_shard_is_closed(own: Harness) -> None:
    tables, streams = Tables(own), own.client("dynamodbstreams")
    name, arn = tables.create()
    for key in "abc":
        tables.put(name, item(key))
    horizon = iterator(streams, arn)
    latest = iterator(streams, arn, "LATEST")
    tables.disable(name)
    tables.put(name, item("after"))  # no stream now: no record
    described = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert described["StreamStatus"] == "DISABLED"
    (shard,) = described["Shards"]
    first = streams.get_records(ShardIterator=horizon, Limit=2)
    assert len(first["Records"]) == 2 and "NextShardIterator" in first
    last = streams.get_records(ShardIterator=first["NextShardIterator"], Limit=2)
    assert [r["dynamodb"]["Keys"]["id"]["S"] for r in last["Records"]] == ["c"]
    # Read to its end: no iterator to go on with.
    assert "NextShardIterator" not in last
    assert shard["SequenceNumberRange"] == {
        "StartingSequenceNumber": first["Records"][0]["dynamodb"]["SequenceNumber"],
        "EndingSequenceNumber": last["Records"][0]["dynamodb"]["SequenceNumber"],
    }
    answer = streams.get_records(ShardIterator=latest)
    assert answer["Records"] == [] and "NextShardIterator" not in answer
    assert [s["StreamArn"] for s in streams.list_streams(TableName=name)["Streams"]] == [arn]
    # Kept 24 hours after it was disabled, then gone.
    own.advance(24 * 3600 + 1)
    assert streams.list_streams(TableName=name)["Streams"] == []
    assert refusal(streams.describe_stream, StreamArn=arn)[0] == "ResourceNotFoundException"


# --- the stream source (what event source mappings read) ------------------------------------------


def test_an_iterator_not_signed_by_this_run_reads_nothing(tmp_path: Path) -> None:
    """An iterator made before a restart no longer verifies: ExpiredIteratorException,
    as for one past its 15 minutes (a reader asks for a new one). One forged to read a
    stream (from an iterator of another) gets the same answer."""
    expired = (
        "ExpiredIteratorException",
        "The provided iterator exceeds the maximum age allowed.",
    )
    store = f"sqlite:{tmp_path / 'altus.db'}"
    with Harness(data_dir=tmp_path, store=store) as first:
        tables, streams = Tables(first), first.client("dynamodbstreams")
        name, arn = tables.create()
        tables.put(name, item("a"))
        made = iterator(streams, arn)
        other_name, other = tables.create()
        tables.put(other_name, item("secret"))
        own = ShardIterator.decode(made)
        assert own is not None
        forged = ShardIterator(other, shard_of(streams, other), None, own.made).encode(b"?" * 32)
        spliced = forged.partition(".")[0] + "." + made.partition(".")[2]
        assert refusal(streams.get_records, ShardIterator=forged) == expired
        assert refusal(streams.get_records, ShardIterator=spliced) == expired
    with Harness(data_dir=tmp_path, store=store) as second:
        streams = second.client("dynamodbstreams")
        assert refusal(streams.get_records, ShardIterator=made) == expired
        records, _ = drain(streams, iterator(streams, arn))
        assert [r["dynamodb"]["Keys"]["id"]["S"] for r in records] == ["a"]


def key_of(harness: Harness) -> bytes:
    """What the Streams component signs its iterators with."""
    assert harness.platform is not None
    found: bytes = harness.platform.component("dynamodbstreams").key
    return found


def source_of(harness: Harness) -> TableStreamSource:
    assert harness.platform is not None
    found: TableStreamSource = harness.platform.component("dynamodbstreams").source
    return found


def test_the_stream_source_reads_the_shard_in_order(own: Harness) -> None:
    tables, streams = Tables(own), own.client("dynamodbstreams")
    name, arn = tables.create(model.NEW_IMAGE)
    source = source_of(own)
    shard = shard_of(streams, arn)
    assert own.clock is not None
    clock = own.clock
    tables.put(name, item("a", v="x" * 100))
    tables.put(name, item("b", blob=b"\x01\x02"))
    tables.put(name, item("a", v="y"))
    numbers = [r["dynamodb"]["SequenceNumber"] for r in drain(streams, iterator(streams, arn))[0]]

    async def check(platform: Platform) -> None:
        info = source.stream_info(arn)
        assert info is not None and (info.arn, info.name, info.retention_hours) == (arn, name, 24)
        assert source.stream_info(arn + "x") is None
        (found,) = source.shards(arn)
        assert (found.shard_id, found.closed, found.parent_shard_id) == (shard, False, None)
        assert source.position(arn, shard, "TRIM_HORIZON") is None
        for _ in range(100):  # the first ask reads the newest number: moments
            if source.position(arn, shard, "LATEST") == numbers[-1]:
                break
            await asyncio.sleep(0.01)
        assert source.position(arn, shard, "LATEST") == numbers[-1]
        read = await source.read(arn, shard, None, 2, 1 << 20)
        assert [r.sequence_number for r in read.records] == numbers[:2]
        assert read.millis_behind >= 0 and not read.ended
        shown = read.records[1].extra["record"]
        assert shown["dynamodb"]["NewImage"]["blob"] == {"B": "AQI="}
        assert shown["dynamodb"]["ApproximateCreationDateTime"] == float(int(clock.now()))
        # One item's records share a partition key (ParallelizationFactor's lanes).
        rest = await source.read(arn, shard, numbers[1], 10, 1 << 20)
        assert [r.sequence_number for r in rest.records] == numbers[2:]
        assert rest.records[0].partition_key == read.records[0].partition_key
        assert rest.millis_behind == 0 and not rest.ended
        # About max_bytes: at least one record, however small the budget.
        assert len((await source.read(arn, shard, None, 10, 1)).records) == 1
        with pytest.raises(LookupError):
            await source.read(arn, "shardId-00000000000000000000-00000000", None, 10, 1 << 20)
        with pytest.raises(LookupError):
            await source.read(arn, shard, "12", 10, 1 << 20)

    own.call(check)
    tables.put(name, item("c"))
    tables.disable(name)

    async def closed(platform: Platform) -> None:
        (found,) = source.shards(arn)
        assert found.closed
        read = await source.read(arn, shard, numbers[-1], 10, 1 << 20)
        assert len(read.records) == 1 and read.ended
        end = await source.read(arn, shard, read.records[0].sequence_number, 10, 1 << 20)
        assert end.records == [] and end.ended
        # A reader of a closed shard does not wait.
        await asyncio.wait_for(source.wait(arn, shard, read.records[0].sequence_number, 3600), 30)

    own.call(closed)


def test_the_stream_source_waits_for_a_write(own: Harness) -> None:
    tables, streams = Tables(own), own.client("dynamodbstreams")
    name, arn = tables.create()
    source = source_of(own)
    shard = shard_of(streams, arn)
    assert own.clock is not None
    clock = own.clock
    component = tables.component()
    table = tables.table(name)

    async def waits(platform: Platform) -> None:
        waiting = asyncio.ensure_future(source.wait(arn, shard, None, 3600))
        for _ in range(20):
            await asyncio.sleep(0)
        assert not waiting.done()
        await component.write([model.ItemWrite(table, item("a"), model.Put(item("a")))])
        # The fake clock has not moved: only the write can have ended the wait.
        await asyncio.wait_for(waiting, 30)
        read = await source.read(arn, shard, None, 10, 1 << 20)
        (record,) = read.records
        timed = asyncio.ensure_future(source.wait(arn, shard, record.sequence_number, 5))
        for _ in range(20):
            await asyncio.sleep(0)
        assert not timed.done()
        # Its timeout is counted from when it looked (after a read of the store).
        for _ in range(1000):  # bounded: it waits for one 6-second step at most
            clock.advance(6)
            await asyncio.sleep(0.01)
            if timed.done():
                break
        assert timed.done()
        # A record already there: no wait at all.
        await asyncio.wait_for(source.wait(arn, shard, None, 3600), 30)

    own.call(waits)

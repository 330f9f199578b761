"""Kinesis Data Streams through boto3's ``kinesis`` client, against a server in this
process (the public harness) on each store: streams, shards and their hash key ranges,
puts and reads with every iterator type, resharding and its lineage, retention, tags,
AWS's errors; then, on a fake clock, iterator expiry and retention; and the stream
source event source mappings read (``altus.sources.StreamSource``), driven directly on
the component."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import datetime
import hashlib
import io
import json
import re
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.parsers import RpcV2CBORParser

from altus.kinesis.component import Entry, Kinesis
from altus.kinesis.model import AddRecords, Change, PutStream
from altus.kinesis.sql_store import SqlStreamStore
from altus.platform import Platform
from altus.store.storage import Storage
from altus.testing import Harness, wait_until
from tests.conftest import Server

ACCOUNT = "000000000000"
REGION = "us-east-1"
ARN = f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream"
#: The hash key ranges of a stream of three shards, as Kinesis lays them.
THIRDS = [
    ("0", "113427455640312821154458202477256070484"),
    ("113427455640312821154458202477256070485", "226854911280625642308916404954512140969"),
    ("226854911280625642308916404954512140970", "340282366920938463463374607431768211455"),
]


#: A moment as Java's Date.toString writes it (Kinesis's messages).
DATE = r"\w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4}"


def kinesis_client(url: str, **config: Any) -> Any:
    return boto3.client(
        "kinesis",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"total_max_attempts": 1}, **config),
    )


@pytest.fixture(scope="module")
def server(inproc_stored: Server) -> Server:
    return inproc_stored


@pytest.fixture
def kinesis(server: Server) -> Any:
    return kinesis_client(server.url)


@pytest.fixture
def name() -> str:
    """A stream name of this test's own (the server is shared by the module's tests)."""
    return f"s-{uuid.uuid4().hex[:12]}"


def refusal(call: Any, **kwargs: Any) -> tuple[str, str]:
    """The error code and message a call is refused with."""
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    error = raised.value.response["Error"]
    return error["Code"], error["Message"]


def shard_of(partition_key: str, count: int) -> str:
    """Which of ``count`` even shards a partition key goes to, by Kinesis's definition
    (MD5 of the key as an unsigned 128-bit integer), computed here independently."""
    hashed = int(hashlib.md5(partition_key.encode()).hexdigest(), 16)
    for index in range(count):
        if hashed < ((index + 1) * 2**128) // count:
            return f"shardId-{index:012d}"
    raise AssertionError("unreachable")


def iterator(kinesis: Any, name: str, shard: str, kind: str = "TRIM_HORIZON", **more: Any) -> str:
    found: str = kinesis.get_shard_iterator(
        StreamName=name, ShardId=shard, ShardIteratorType=kind, **more
    )["ShardIterator"]
    return found


def drain(kinesis: Any, shard_iterator: str, limit: int = 100) -> tuple[list[dict[str, Any]], Any]:
    """Every record from ``shard_iterator`` on until a read comes back empty (or the shard
    ends); the records and the last answer."""
    records: list[dict[str, Any]] = []
    answer: Any = None
    for _ in range(limit):  # bounded: a shard of these tests holds few records
        answer = kinesis.get_records(ShardIterator=shard_iterator)
        records.extend(answer["Records"])
        if not answer["Records"] or "NextShardIterator" not in answer:
            break
        shard_iterator = answer["NextShardIterator"]
    return records, answer


# --- streams -------------------------------------------------------------------------------------


def test_a_stream_is_active_at_once_with_even_hash_ranges(kinesis: Any, name: str) -> None:
    kinesis.create_stream(StreamName=name, ShardCount=3, Tags={"team": "data"})
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"MaxAttempts": 1})
    described = kinesis.describe_stream(StreamName=name)["StreamDescription"]
    assert described["StreamStatus"] == "ACTIVE"
    assert described["StreamARN"] == f"{ARN}/{name}"
    assert described["RetentionPeriodHours"] == 24
    assert described["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    assert described["HasMoreShards"] is False
    assert described["EncryptionType"] == "NONE"
    shards = described["Shards"]
    assert [s["ShardId"] for s in shards] == [f"shardId-00000000000{i}" for i in range(3)]
    assert [
        (s["HashKeyRange"]["StartingHashKey"], s["HashKeyRange"]["EndingHashKey"]) for s in shards
    ] == THIRDS
    for shard in shards:
        assert re.fullmatch(r"\d{56}", shard["SequenceNumberRange"]["StartingSequenceNumber"])
        assert "EndingSequenceNumber" not in shard["SequenceNumberRange"]
    summary = kinesis.describe_stream_summary(StreamARN=f"{ARN}/{name}")
    assert summary["StreamDescriptionSummary"]["OpenShardCount"] == 3
    assert summary["StreamDescriptionSummary"]["StreamName"] == name
    tags = kinesis.list_tags_for_stream(StreamName=name)
    assert tags["Tags"] == [{"Key": "team", "Value": "data"}] and tags["HasMoreTags"] is False


def test_duplicates_and_missing_streams_are_refused_in_aws_words(kinesis: Any, name: str) -> None:
    kinesis.create_stream(StreamName=name, ShardCount=1)
    assert refusal(kinesis.create_stream, StreamName=name, ShardCount=1) == (
        "ResourceInUseException",
        f"Stream {name} under account {ACCOUNT} already exists.",
    )
    missing = f"{name}-none"
    not_found = (
        "ResourceNotFoundException",
        f"Stream {missing} under account {ACCOUNT} not found.",
    )
    assert refusal(kinesis.describe_stream, StreamName=missing) == not_found
    assert refusal(kinesis.put_record, StreamName=missing, PartitionKey="k", Data=b"") == not_found
    assert refusal(kinesis.delete_stream, StreamName=missing) == not_found
    code, message = refusal(kinesis.create_stream, StreamName="bad name!", ShardCount=1)
    assert code == "ValidationException"
    assert "failed to satisfy constraint: Member must satisfy regular expression pattern" in message


def test_on_demand_streams_start_with_four_shards(kinesis: Any, name: str) -> None:
    kinesis.create_stream(StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert summary["OpenShardCount"] == 4
    code, message = refusal(
        kinesis.create_stream,
        StreamName=f"{name}-2",
        ShardCount=2,
        StreamModeDetails={"StreamMode": "ON_DEMAND"},
    )
    assert (code, message) == (
        "InvalidArgumentException",
        "ShardCount is not expected when StreamMode=ON_DEMAND",
    )
    kinesis.update_stream_mode(
        StreamARN=f"{ARN}/{name}", StreamModeDetails={"StreamMode": "PROVISIONED"}
    )
    assert kinesis.describe_stream(StreamName=name)["StreamDescription"]["StreamModeDetails"] == {
        "StreamMode": "PROVISIONED"
    }


def test_list_streams_pages_and_delete_removes(kinesis: Any, name: str) -> None:
    names = [f"{name}-{i}" for i in range(3)]
    for each in names:
        kinesis.create_stream(StreamName=each, ShardCount=1)
    seen: list[str] = []
    token = None
    for _ in range(50):  # bounded: the module's server holds a few dozen streams at most
        page = kinesis.list_streams(Limit=1, **({"NextToken": token} if token else {}))
        assert len(page["StreamNames"]) <= 1
        assert [s["StreamName"] for s in page["StreamSummaries"]] == page["StreamNames"]
        seen.extend(page["StreamNames"])
        if not page["HasMoreStreams"]:
            break
        token = page["NextToken"]
    assert [n for n in seen if n.startswith(name)] == names
    after = kinesis.list_streams(ExclusiveStartStreamName=names[0])["StreamNames"]
    assert names[1] in after and names[0] not in after
    summary = next(
        s
        for s in kinesis.list_streams(ExclusiveStartStreamName=name)["StreamSummaries"]
        if s["StreamName"] == names[0]
    )
    assert summary["StreamARN"] == f"{ARN}/{names[0]}" and summary["StreamStatus"] == "ACTIVE"
    kinesis.delete_stream(StreamName=names[1])
    kinesis.get_waiter("stream_not_exists").wait(
        StreamName=names[1], WaiterConfig={"MaxAttempts": 1}
    )
    assert names[1] not in kinesis.list_streams(ExclusiveStartStreamName=name)["StreamNames"]
    # The name can be used again, for a new stream with nothing in it.
    kinesis.create_stream(StreamName=names[1], ShardCount=1)
    records, _ = drain(kinesis, iterator(kinesis, names[1], "shardId-000000000000"))
    assert records == []


def test_a_stream_arn_names_the_stream_wherever_a_name_does(kinesis: Any, name: str) -> None:
    kinesis.create_stream(StreamName=name, ShardCount=1)
    arn = f"{ARN}/{name}"
    put = kinesis.put_record(StreamARN=arn, PartitionKey="k", Data=b"by arn")
    assert put["ShardId"] == "shardId-000000000000"
    assert (
        kinesis.describe_stream(StreamARN=arn, StreamName=name)["StreamDescription"]["StreamName"]
        == name
    )
    code, _ = refusal(kinesis.describe_stream, StreamARN=arn, StreamName=f"{name}x")
    assert code == "InvalidArgumentException"
    other = f"arn:aws:kinesis:{REGION}:111122223333:stream/{name}"
    assert refusal(kinesis.describe_stream, StreamARN=other) == (
        "ResourceNotFoundException",
        f"Stream {name} under account 111122223333 not found.",
    )


# --- putting and getting ----------------------------------------------------------------------


def test_records_go_to_the_shard_their_md5_hash_key_falls_in(kinesis: Any, name: str) -> None:
    kinesis.create_stream(StreamName=name, ShardCount=3)
    # MD5("a") = 0cc175b9...: in the first third of the hash key space.
    assert kinesis.put_record(StreamName=name, PartitionKey="a", Data=b"")["ShardId"] == (
        "shardId-000000000000"
    )
    keys = [f"key-{i}" for i in range(30)]
    for key in keys:
        put = kinesis.put_record(StreamName=name, PartitionKey=key, Data=key.encode())
        assert put["ShardId"] == shard_of(key, 3), key
    for index in range(3):
        records, _ = drain(kinesis, iterator(kinesis, name, f"shardId-00000000000{index}"))
        expected = [k for k in ["a", *keys] if shard_of(k, 3) == f"shardId-00000000000{index}"]
        assert [r["PartitionKey"] for r in records] == expected


def test_an_explicit_hash_key_picks_the_shard(kinesis: Any, name: str) -> None:
    kinesis.create_stream(StreamName=name, ShardCount=3)
    for hash_key, shard in [
        (THIRDS[0][1], 0),
        (THIRDS[1][0], 1),
        (THIRDS[1][1], 1),
        (THIRDS[2][0], 2),
        (str(2**128 - 1), 2),
    ]:
        put = kinesis.put_record(
            StreamName=name, PartitionKey="a", Data=b"", ExplicitHashKey=hash_key
        )
        assert put["ShardId"] == f"shardId-00000000000{shard}"
    too_big = str(2**128)
    assert refusal(
        kinesis.put_record, StreamName=name, PartitionKey="a", Data=b"", ExplicitHashKey=too_big
    ) == (
        "InvalidArgumentException",
        "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
        f"Specified value was {too_big}",
    )


def test_sequence_numbers_increase_within_shards_and_across_the_stream(
    kinesis: Any, name: str
) -> None:
    kinesis.create_stream(StreamName=name, ShardCount=2)
    numbers = [
        kinesis.put_record(StreamName=name, PartitionKey=str(i), Data=b"x")["SequenceNumber"]
        for i in range(20)
    ]
    assert all(re.fullmatch(r"\d{56}", n) for n in numbers)
    assert [int(n) for n in numbers] == sorted({int(n) for n in numbers})
    ordered = kinesis.put_record(
        StreamName=name, PartitionKey="0", Data=b"y", SequenceNumberForOrdering=numbers[-1]
    )
    assert int(ordered["SequenceNumber"]) > int(numbers[-1])
    code, message = refusal(
        kinesis.put_record,
        StreamName=name,
        PartitionKey="0",
        Data=b"",
        SequenceNumberForOrdering="12345",
    )
    assert (code, message) == (
        "InvalidArgumentException",
        f"ExclusiveMinimumSequenceNumber 12345 used in PutRecord on stream {name} under "
        f"account {ACCOUNT} is invalid.",
    )


def test_every_iterator_type(kinesis: Any, name: str) -> None:
    kinesis.create_stream(StreamName=name, ShardCount=1)
    shard = "shardId-000000000000"
    latest = iterator(kinesis, name, shard, "LATEST")
    puts = [kinesis.put_record(StreamName=name, PartitionKey="p", Data=b"%d" % i) for i in range(5)]
    numbers = [p["SequenceNumber"] for p in puts]

    def data(records: list[dict[str, Any]]) -> list[bytes]:
        return [r["Data"] for r in records]

    assert data(drain(kinesis, iterator(kinesis, name, shard))[0]) == [b"0", b"1", b"2", b"3", b"4"]
    assert data(drain(kinesis, latest)[0]) == [b"0", b"1", b"2", b"3", b"4"]
    assert drain(kinesis, iterator(kinesis, name, shard, "LATEST"))[0] == []
    at = iterator(kinesis, name, shard, "AT_SEQUENCE_NUMBER", StartingSequenceNumber=numbers[2])
    assert data(drain(kinesis, at)[0]) == [b"2", b"3", b"4"]
    after = iterator(
        kinesis, name, shard, "AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=numbers[2]
    )
    assert data(drain(kinesis, after)[0]) == [b"3", b"4"]
    records, answer = drain(kinesis, iterator(kinesis, name, shard))
    assert [r["SequenceNumber"] for r in records] == numbers
    assert answer["MillisBehindLatest"] == 0
    first = records[0]["ApproximateArrivalTimestamp"]
    at_time = iterator(kinesis, name, shard, "AT_TIMESTAMP", Timestamp=first)
    assert data(drain(kinesis, at_time)[0])[-1] == b"4"
    # A read of two is two, with the rest behind it.
    limited = kinesis.get_records(ShardIterator=iterator(kinesis, name, shard), Limit=2)
    assert data(limited["Records"]) == [b"0", b"1"]
    rest = kinesis.get_records(ShardIterator=limited["NextShardIterator"])
    assert data(rest["Records"]) == [b"2", b"3", b"4"]


def test_shard_iterator_arguments_are_checked_in_aws_words(kinesis: Any, name: str) -> None:
    kinesis.create_stream(StreamName=name, ShardCount=2)
    shard = "shardId-000000000000"
    both = (
        "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and "
        "StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. "
    )
    for kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
        assert refusal(
            kinesis.get_shard_iterator, StreamName=name, ShardId=shard, ShardIteratorType=kind
        ) == (
            "InvalidArgumentException",
            f"{both}Request specified {kind} and no StartingSequenceNumber.",
        )
    number = kinesis.put_record(StreamName=name, PartitionKey="a", Data=b"")["SequenceNumber"]
    for kind in ("TRIM_HORIZON", "LATEST"):
        assert refusal(
            kinesis.get_shard_iterator,
            StreamName=name,
            ShardId=shard,
            ShardIteratorType=kind,
            StartingSequenceNumber=number,
        ) == (
            "InvalidArgumentException",
            f"{both}Request specified {kind} and also a StartingSequenceNumber.",
        )
    assert refusal(
        kinesis.get_shard_iterator, StreamName=name, ShardId=shard, ShardIteratorType="AT_TIMESTAMP"
    ) == (
        "InvalidArgumentException",
        "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. "
        "Current request has no timestamp parameter.",
    )
    assert refusal(
        kinesis.get_shard_iterator,
        StreamName=name,
        ShardId="shardId-000000000001",
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        StartingSequenceNumber=number,
    ) == (
        "InvalidArgumentException",
        "Invalid StartingSequenceNumber. It encodes shardId-000000000000, while it was used "
        "in a call to a shard with shardId-000000000001",
    )
    assert refusal(
        kinesis.get_shard_iterator,
        StreamName=name,
        ShardId=shard,
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        StartingSequenceNumber="5",
    ) == (
        "InvalidArgumentException",
        f"StartingSequenceNumber 5 used in GetShardIterator on shard {shard} in stream {name} "
        f"under account {ACCOUNT} is invalid.",
    )
    assert refusal(
        kinesis.get_shard_iterator, StreamName=name, ShardId="shardId-5", ShardIteratorType="LATEST"
    ) == (
        "ResourceNotFoundException",
        f"Shard shardId-000000000005 in stream {name} under account {ACCOUNT} does not exist",
    )
    assert refusal(
        kinesis.get_shard_iterator, StreamName=name, ShardId="ABKLFD8", ShardIteratorType="LATEST"
    ) == (
        "ResourceNotFoundException",
        f"Could not find shard ABKLFD8 in stream {name} under account {ACCOUNT}.",
    )
    # Kinesis reads the digits after the last hyphen.
    assert iterator(kinesis, name, "shard-1", "LATEST")
    assert refusal(kinesis.get_records, ShardIterator="bm90IGFuIGl0ZXJhdG9y") == (
        "InvalidArgumentException",
        "Invalid ShardIterator.",
    )
    unchecked = kinesis_client(kinesis.meta.endpoint_url, parameter_validation=False)
    code, message = refusal(unchecked.get_records, ShardIterator="x", Limit=0)
    assert code == "ValidationException"
    assert (
        "Value '0' at 'limit' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1" in message
    )


def test_record_sizes_are_limited(kinesis: Any, name: str) -> None:
    kinesis.create_stream(StreamName=name, ShardCount=1)
    limit = 1024 * 1024
    kinesis.put_record(StreamName=name, PartitionKey="k", Data=b"x" * (limit - 1))
    code, message = refusal(
        kinesis.put_record, StreamName=name, PartitionKey="k", Data=b"x" * (limit + 1)
    )
    assert code == "ValidationException"
    assert (
        "at 'data' failed to satisfy constraint: "
        f"Member must have length less than or equal to {limit}" in message
    )
    code, _ = refusal(kinesis.put_record, StreamName=name, PartitionKey="kk", Data=b"x" * limit)
    assert code == "InvalidArgumentException"
    six = [{"PartitionKey": str(i), "Data": b"x" * (limit - 10)} for i in range(6)]
    assert refusal(kinesis.put_records, StreamName=name, Records=six) == (
        "InvalidArgumentException",
        "Records size exceeds 5 MB limit",
    )
    # A malformed member fails the whole request: nothing of it is written.
    mixed = [
        {"PartitionKey": "ok", "Data": b"kept?"},
        {"PartitionKey": "bad", "Data": b"", "ExplicitHashKey": str(2**128)},
    ]
    code, _ = refusal(kinesis.put_records, StreamName=name, Records=mixed)
    assert code == "InvalidArgumentException"
    records, _ = drain(kinesis, iterator(kinesis, name, "shardId-000000000000"))
    assert [r["PartitionKey"] for r in records] == ["k"]


def test_put_records_answers_in_request_order(kinesis: Any, name: str) -> None:
    kinesis.create_stream(StreamName=name, ShardCount=4)
    keys = [f"pk-{i}" for i in range(100)]
    entries = [{"PartitionKey": key, "Data": key.encode()} for key in keys]
    answer = kinesis.put_records(StreamName=name, Records=entries)
    assert answer["FailedRecordCount"] == 0
    assert [r["ShardId"] for r in answer["Records"]] == [shard_of(key, 4) for key in keys]
    numbers = [int(r["SequenceNumber"]) for r in answer["Records"]]
    assert numbers == sorted(numbers)


# --- resharding ---------------------------------------------------------------------------------


def test_split_closes_the_parent_and_its_drained_reader_finds_the_children(
    kinesis: Any, name: str
) -> None:
    kinesis.create_stream(StreamName=name, ShardCount=1)
    before = kinesis.put_record(StreamName=name, PartitionKey="a", Data=b"before")
    parent_iterator = iterator(kinesis, name, "shardId-000000000000")
    middle = str(2**127)
    kinesis.split_shard(
        StreamName=name, ShardToSplit="shardId-000000000000", NewStartingHashKey=middle
    )
    shards = kinesis.list_shards(StreamName=name)["Shards"]
    assert [s["ShardId"] for s in shards] == [f"shardId-00000000000{i}" for i in range(3)]
    parent, low, high = shards
    ending = parent["SequenceNumberRange"]["EndingSequenceNumber"]
    assert int(ending) >= int(before["SequenceNumber"])
    assert (low["ParentShardId"], high["ParentShardId"]) == ("shardId-000000000000",) * 2
    assert low["HashKeyRange"] == {"StartingHashKey": "0", "EndingHashKey": str(2**127 - 1)}
    assert high["HashKeyRange"] == {"StartingHashKey": middle, "EndingHashKey": str(2**128 - 1)}
    assert int(low["SequenceNumberRange"]["StartingSequenceNumber"]) > int(before["SequenceNumber"])
    after = kinesis.put_record(StreamName=name, PartitionKey="a", Data=b"after")
    assert after["ShardId"] in ("shardId-000000000001", "shardId-000000000002")
    assert int(after["SequenceNumber"]) > int(ending)
    records, answer = drain(kinesis, parent_iterator)
    assert [r["Data"] for r in records] == [b"before"]
    assert "NextShardIterator" not in answer
    assert [c["ShardId"] for c in answer["ChildShards"]] == [
        "shardId-000000000001",
        "shardId-000000000002",
    ]
    assert answer["ChildShards"][0]["ParentShards"] == ["shardId-000000000000"]
    child_records, _ = drain(kinesis, iterator(kinesis, name, after["ShardId"]))
    assert [r["Data"] for r in child_records] == [b"after"]
    assert refusal(
        kinesis.split_shard,
        StreamName=name,
        ShardToSplit="shardId-000000000001",
        NewStartingHashKey="1",
    ) == (
        "InvalidArgumentException",
        f"NewStartingHashKey 1 used in SplitShard() on shard shardId-000000000001 in stream "
        f"{name} under account {ACCOUNT} is not both greater than one plus the shard's "
        f"StartingHashKey 0 and less than the shard's EndingHashKey {2**127 - 1}.",
    )
    code, _ = refusal(
        kinesis.split_shard,
        StreamName=name,
        ShardToSplit="shardId-000000000000",
        NewStartingHashKey="5",
    )
    assert code == "InvalidArgumentException"


def test_merge_needs_adjacent_shards_and_makes_a_child_of_both(kinesis: Any, name: str) -> None:
    kinesis.create_stream(StreamName=name, ShardCount=3)
    assert refusal(
        kinesis.merge_shards,
        StreamName=name,
        ShardToMerge="shardId-000000000000",
        AdjacentShardToMerge="shardId-000000000002",
    ) == (
        "InvalidArgumentException",
        f"Shards shardId-000000000000 and shardId-000000000002 in stream {name} under account "
        f"{ACCOUNT} are not an adjacent pair of shards eligible for merging",
    )
    assert refusal(
        kinesis.merge_shards,
        StreamName=name,
        ShardToMerge="shardId-0",
        AdjacentShardToMerge="shardId-7",
    ) == (
        "ResourceNotFoundException",
        f"Could not find shard shardId-000000000007 in stream {name} under account {ACCOUNT}.",
    )
    kinesis.merge_shards(
        StreamName=name,
        ShardToMerge="shardId-000000000001",
        AdjacentShardToMerge="shardId-000000000002",
    )
    shards = kinesis.describe_stream(StreamName=name)["StreamDescription"]["Shards"]
    child = shards[-1]
    assert child["ShardId"] == "shardId-000000000003"
    assert (child["ParentShardId"], child["AdjacentParentShardId"]) == (
        "shardId-000000000001",
        "shardId-000000000002",
    )
    assert child["HashKeyRange"] == {"StartingHashKey": THIRDS[1][0], "EndingHashKey": THIRDS[2][1]}
    closed = [s["ShardId"] for s in shards if "EndingSequenceNumber" in s["SequenceNumberRange"]]
    assert closed == ["shardId-000000000001", "shardId-000000000002"]
    answer = kinesis.get_records(ShardIterator=iterator(kinesis, name, "shardId-000000000002"))
    assert answer["ChildShards"][0]["ParentShards"] == [
        "shardId-000000000001",
        "shardId-000000000002",
    ]


def test_update_shard_count_scales_uniformly(kinesis: Any, name: str) -> None:
    kinesis.create_stream(StreamName=name, ShardCount=2)
    answer = kinesis.update_shard_count(
        StreamName=name, TargetShardCount=4, ScalingType="UNIFORM_SCALING"
    )
    assert (answer["CurrentShardCount"], answer["TargetShardCount"]) == (2, 4)
    shards = kinesis.list_shards(StreamName=name)["Shards"]
    closed = [s for s in shards if "EndingSequenceNumber" in s["SequenceNumberRange"]]
    opened = [s for s in shards if "EndingSequenceNumber" not in s["SequenceNumberRange"]]
    assert (len(shards), len(closed)) == (6, 2)
    quarter = 2**126
    assert [int(s["HashKeyRange"]["StartingHashKey"]) for s in opened] == [
        0,
        quarter,
        2 * quarter,
        3 * quarter,
    ]
    assert {s["ParentShardId"] for s in opened} == {"shardId-000000000000", "shardId-000000000001"}
    kinesis.update_shard_count(StreamName=name, TargetShardCount=2, ScalingType="UNIFORM_SCALING")
    shards = kinesis.list_shards(StreamName=name, ShardFilter={"Type": "AT_LATEST"})["Shards"]
    assert [s["HashKeyRange"]["StartingHashKey"] for s in shards] == ["0", str(2 * quarter)]
    assert all("AdjacentParentShardId" in s for s in shards)
    assert refusal(
        kinesis.update_shard_count,
        StreamName=name,
        TargetShardCount=5,
        ScalingType="UNIFORM_SCALING",
    ) == (
        "LimitExceededException",
        "UpdateShardCount cannot scale up over double your current open shard count. "
        "Current open shard count: 2, Target shard count: 5",
    )
    # Counts that do not divide leave intermediate shards; the open ones are even.
    kinesis.update_shard_count(StreamName=name, TargetShardCount=3, ScalingType="UNIFORM_SCALING")
    opened = kinesis.list_shards(StreamName=name, ShardFilter={"Type": "AT_LATEST"})["Shards"]
    opened.sort(key=lambda s: int(s["HashKeyRange"]["StartingHashKey"]))
    assert [
        (s["HashKeyRange"]["StartingHashKey"], s["HashKeyRange"]["EndingHashKey"]) for s in opened
    ] == THIRDS
    for key in ("a", "b", "c", "d"):
        assert kinesis.put_record(StreamName=name, PartitionKey=key, Data=b"")["ShardId"] in {
            s["ShardId"] for s in opened
        }


def test_list_shards_pages_filters_and_refuses_a_token_with_a_name(kinesis: Any, name: str) -> None:
    kinesis.create_stream(StreamName=name, ShardCount=5)
    first = kinesis.list_shards(StreamName=name, MaxResults=2)
    assert [s["ShardId"] for s in first["Shards"]] == [
        "shardId-000000000000",
        "shardId-000000000001",
    ]
    assert refusal(kinesis.list_shards, StreamName=name, NextToken=first["NextToken"]) == (
        "InvalidArgumentException",
        "NextToken and StreamName cannot be provided together.",
    )
    rest = kinesis.list_shards(NextToken=first["NextToken"])
    assert [s["ShardId"][-1] for s in rest["Shards"]] == ["2", "3", "4"]
    assert "NextToken" not in rest
    after = kinesis.list_shards(StreamName=name, ExclusiveStartShardId="shardId-000000000003")
    assert [s["ShardId"] for s in after["Shards"]] == ["shardId-000000000004"]
    filtered = kinesis.list_shards(
        StreamName=name, ShardFilter={"Type": "AFTER_SHARD_ID", "ShardId": "shardId-000000000002"}
    )
    assert [s["ShardId"][-1] for s in filtered["Shards"]] == ["3", "4"]
    kinesis.merge_shards(
        StreamName=name,
        ShardToMerge="shardId-000000000000",
        AdjacentShardToMerge="shardId-000000000001",
    )
    horizon = kinesis.list_shards(StreamName=name, ShardFilter={"Type": "AT_TRIM_HORIZON"})[
        "Shards"
    ]
    assert [s["ShardId"][-1] for s in horizon] == ["0", "1", "2", "3", "4"]
    everything = kinesis.list_shards(StreamName=name, ShardFilter={"Type": "FROM_TRIM_HORIZON"})[
        "Shards"
    ]
    assert len(everything) == 6
    latest = kinesis.list_shards(StreamName=name, ShardFilter={"Type": "AT_LATEST"})["Shards"]
    assert [s["ShardId"][-1] for s in latest] == ["2", "3", "4", "5"]
    assert refusal(kinesis.list_shards, StreamName=f"{name}-none") == (
        "ResourceNotFoundException",
        f"Stream {name}-none under account {ACCOUNT} not found.",
    )


def test_describe_stream_pages_its_shards(kinesis: Any, name: str) -> None:
    kinesis.create_stream(StreamName=name, ShardCount=4)
    page = kinesis.describe_stream(StreamName=name, Limit=3)["StreamDescription"]
    assert len(page["Shards"]) == 3 and page["HasMoreShards"] is True
    rest = kinesis.describe_stream(
        StreamName=name, ExclusiveStartShardId=page["Shards"][-1]["ShardId"]
    )
    assert [s["ShardId"] for s in rest["StreamDescription"]["Shards"]] == ["shardId-000000000003"]
    paged = kinesis.get_paginator("describe_stream").paginate(StreamName=name, Limit=1)
    assert len([s for p in paged for s in p["StreamDescription"]["Shards"]]) == 4


# --- retention, tags, monitoring, limits ----------------------------------------------------------


def test_retention_changes_in_aws_words(kinesis: Any, name: str) -> None:
    kinesis.create_stream(StreamName=name, ShardCount=1)
    kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
    assert (
        kinesis.describe_stream(StreamName=name)["StreamDescription"]["RetentionPeriodHours"] == 48
    )
    assert refusal(
        kinesis.increase_stream_retention_period, StreamName=name, RetentionPeriodHours=25
    ) == (
        "InvalidArgumentException",
        f"Requested retention period (25 hours) for stream {name} can not be shorter than "
        "existing retention period (48 hours). Use DecreaseRetentionPeriod API.",
    )
    assert refusal(
        kinesis.decrease_stream_retention_period, StreamName=name, RetentionPeriodHours=49
    ) == (
        "InvalidArgumentException",
        f"Requested retention period (49 hours) for stream {name} can not be longer than "
        "existing retention period (48 hours). Use IncreaseRetentionPeriod API.",
    )
    assert refusal(
        kinesis.decrease_stream_retention_period, StreamName=name, RetentionPeriodHours=23
    ) == (
        "InvalidArgumentException",
        "Minimum allowed retention period is 24 hours. "
        "Requested retention period (23 hours) is too short.",
    )
    assert refusal(
        kinesis.increase_stream_retention_period, StreamName=name, RetentionPeriodHours=8761
    ) == (
        "InvalidArgumentException",
        "Maximum allowed retention period is 8760 hours. "
        "Requested retention period (8761 hours) is too long.",
    )
    kinesis.decrease_stream_retention_period(StreamName=name, RetentionPeriodHours=24)
    assert (
        kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
            "RetentionPeriodHours"
        ]
        == 24
    )


def test_tags_on_streams_and_resources(kinesis: Any, name: str) -> None:
    kinesis.create_stream(StreamName=name, ShardCount=1)
    arn = f"{ARN}/{name}"
    kinesis.add_tags_to_stream(StreamName=name, Tags={"b": "2", "a": "1", "c": "3"})
    page = kinesis.list_tags_for_stream(StreamName=name, Limit=2)
    assert page == {
        **page,
        "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}],
        "HasMoreTags": True,
    }
    rest = kinesis.list_tags_for_stream(StreamName=name, ExclusiveStartTagKey="b")
    assert rest["Tags"] == [{"Key": "c", "Value": "3"}] and rest["HasMoreTags"] is False
    kinesis.remove_tags_from_stream(StreamName=name, TagKeys=["b"])
    kinesis.tag_resource(ResourceARN=arn, Tags={"d": "4"})
    kinesis.untag_resource(ResourceARN=arn, TagKeys=["a"])
    assert kinesis.list_tags_for_resource(ResourceARN=arn)["Tags"] == [
        {"Key": "c", "Value": "3"},
        {"Key": "d", "Value": "4"},
    ]
    many = {f"k{i}": "v" for i in range(49)}
    assert refusal(kinesis.add_tags_to_stream, StreamName=name, Tags=many) == (
        "InvalidArgumentException",
        f"Failed to add tags to stream {name} under account {ACCOUNT} because a given stream "
        "cannot have more than 50 tags.",
    )
    assert len(kinesis.list_tags_for_resource(ResourceARN=arn)["Tags"]) == 2


def test_monitoring_and_limits_are_reported(kinesis: Any, name: str) -> None:
    kinesis.create_stream(StreamName=name, ShardCount=2)
    enabled = kinesis.enable_enhanced_monitoring(
        StreamName=name, ShardLevelMetrics=["IncomingBytes"]
    )
    assert (enabled["CurrentShardLevelMetrics"], enabled["DesiredShardLevelMetrics"]) == (
        [],
        ["IncomingBytes"],
    )
    everything = kinesis.enable_enhanced_monitoring(StreamName=name, ShardLevelMetrics=["ALL"])
    assert len(everything["DesiredShardLevelMetrics"]) == 7
    disabled = kinesis.disable_enhanced_monitoring(StreamName=name, ShardLevelMetrics=["ALL"])
    assert disabled["DesiredShardLevelMetrics"] == []
    described = kinesis.describe_stream(StreamName=name)["StreamDescription"]
    assert described["EnhancedMonitoring"] == [{"ShardLevelMetrics": []}]
    limits = kinesis.describe_limits()
    assert limits["ShardLimit"] == 500 and limits["OpenShardCount"] >= 2
    assert limits["OnDemandStreamCountLimit"] == 50


def test_operations_altus_does_not_serve_are_refused(kinesis: Any, name: str) -> None:
    with pytest.raises(ClientError) as raised:
        kinesis.register_stream_consumer(StreamARN=f"{ARN}/{name}", ConsumerName="c")
    assert raised.value.response["Error"]["Code"] == "UnknownOperationException"
    assert "RegisterStreamConsumer" in raised.value.response["Error"]["Message"]


def test_cbor_requests_get_a_clear_refusal_in_cbor(server: Server) -> None:
    request = urllib.request.Request(
        server.url + "/",
        data=b"\xa1\x6aStreamName\x61s",
        method="POST",
        headers={
            "Content-Type": "application/x-amz-cbor-1.1",
            "X-Amz-Target": "Kinesis_20131202.DescribeStream",
        },
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=30)
    answer = raised.value
    assert answer.code == 400
    assert answer.headers["x-amzn-ErrorType"] == "InvalidArgumentException"
    assert answer.headers["Content-Type"].startswith("application/x-amz-cbor-1.1")
    body = RpcV2CBORParser().parse_data_item(io.BytesIO(answer.read()))
    assert body["__type"] == "InvalidArgumentException"
    assert "AWS_CBOR_DISABLE=true" in body["message"] and "CBOR_ENABLED=false" in body["message"]


# --- a store that fails some writes ------------------------------------------------------------


class _Failing:
    """A stream store whose writes of records with one partition key fail."""

    def __init__(self, inner: Any, poison: str) -> None:
        self._inner = inner
        self._poison = poison

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def apply(self, plans: Sequence[Sequence[Change]]) -> list[Exception | None]:
        def poisoned(plan: Sequence[Change]) -> bool:
            return any(
                isinstance(c, AddRecords)
                and any(r.partition_key == self._poison for r in c.records)
                for c in plan
            )

        good = [plan for plan in plans if not poisoned(plan)]
        written = iter(await self._inner.apply(good))
        return [RuntimeError("disk on fire") if poisoned(p) else next(written) for p in plans]


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    """A server of this test's own, on the fake clock."""
    with Harness(data_dir=tmp_path) as made:
        yield made


def component(harness: Harness) -> Kinesis:
    assert harness.platform is not None
    found: Kinesis = harness.platform.component("kinesis")
    return found


def test_put_records_reports_each_record_that_failed_to_be_written(harness: Harness) -> None:
    kinesis = harness.client("kinesis")
    kinesis.create_stream(StreamName="s", ShardCount=2)
    streams = component(harness)
    streams.store = _Failing(streams.store, poison="bad")
    entries = [{"PartitionKey": key, "Data": key.encode()} for key in ("one", "bad", "two", "bad")]
    answer = kinesis.put_records(StreamName="s", Records=entries)
    assert answer["FailedRecordCount"] == 2
    results = answer["Records"]
    assert [("ErrorCode" in r) for r in results] == [False, True, False, True]
    assert results[1] == {
        "ErrorCode": "InternalFailure",
        "ErrorMessage": "Internal Service Failure",
    }
    assert results[0]["ShardId"] == shard_of("one", 2) and results[2]["ShardId"] == shard_of(
        "two", 2
    )
    code, _ = refusal(kinesis.put_record, StreamName="s", PartitionKey="bad", Data=b"")
    assert code == "InternalFailureException"
    kept = []
    for shard in ("shardId-000000000000", "shardId-000000000001"):
        kept += [r["PartitionKey"] for r in drain(kinesis, iterator(kinesis, "s", shard))[0]]
    assert sorted(kept) == ["one", "two"]


# --- on the fake clock: expiry and retention ---------------------------------------------------


def test_iterators_expire_after_five_minutes(harness: Harness) -> None:
    kinesis = harness.client("kinesis")
    kinesis.create_stream(StreamName="s", ShardCount=1)
    made = iterator(kinesis, "s", "shardId-000000000000")
    harness.advance(299)
    fresh = kinesis.get_records(ShardIterator=made)["NextShardIterator"]
    harness.advance(2)
    code, message = refusal(kinesis.get_records, ShardIterator=made)
    assert code == "ExpiredIteratorException"
    assert re.fullmatch(
        rf"Iterator expired\. The iterator was created at time {DATE} "
        rf"while right now it is {DATE} which is further in the "
        r"future than the tolerated delay of 300000 milliseconds\.",
        message,
    ), message
    assert kinesis.get_records(ShardIterator=fresh)["Records"] == []


def test_at_timestamp_starts_at_the_first_record_that_arrived_then(harness: Harness) -> None:
    kinesis = harness.client("kinesis")
    kinesis.create_stream(StreamName="s", ShardCount=1)
    assert harness.clock is not None
    start = harness.clock.now()
    kinesis.put_record(StreamName="s", PartitionKey="k", Data=b"early")
    harness.advance(10)
    kinesis.put_record(StreamName="s", PartitionKey="k", Data=b"late")
    at = datetime.datetime.fromtimestamp(start + 5, datetime.UTC)
    records, _ = drain(
        kinesis, iterator(kinesis, "s", "shardId-000000000000", "AT_TIMESTAMP", Timestamp=at)
    )
    assert [r["Data"] for r in records] == [b"late"]
    assert records[0]["ApproximateArrivalTimestamp"].timestamp() == pytest.approx(start + 10)
    future = datetime.datetime.fromtimestamp(start + 3600, datetime.UTC)
    code, message = refusal(
        kinesis.get_shard_iterator,
        StreamName="s",
        ShardId="shardId-000000000000",
        ShardIteratorType="AT_TIMESTAMP",
        Timestamp=future,
    )
    assert code == "InvalidArgumentException" and message.startswith(
        "The timestampInMillis parameter"
    )


def test_records_past_retention_are_not_returned_and_are_swept(harness: Harness) -> None:
    kinesis = harness.client("kinesis")
    kinesis.create_stream(StreamName="s", ShardCount=1)
    kinesis.put_record(StreamName="s", PartitionKey="k", Data=b"old")
    harness.advance(20 * 3600)
    kinesis.put_record(StreamName="s", PartitionKey="k", Data=b"new")
    shard = "shardId-000000000000"
    assert [r["Data"] for r in drain(kinesis, iterator(kinesis, "s", shard))[0]] == [b"old", b"new"]
    harness.advance(5 * 3600)
    assert [r["Data"] for r in drain(kinesis, iterator(kinesis, "s", shard))[0]] == [b"new"]
    streams = component(harness)

    async def swept(platform: Platform) -> int:
        await streams.sweep()
        return streams.active("s").shards[0].records

    assert harness.call(swept) == 1
    harness.advance(20 * 3600)
    assert harness.call(swept) == 0
    assert drain(kinesis, iterator(kinesis, "s", shard))[0] == []
    # A longer retention keeps what a shorter one would have dropped.
    kinesis.increase_stream_retention_period(StreamName="s", RetentionPeriodHours=72)
    kinesis.put_record(StreamName="s", PartitionKey="k", Data=b"kept")
    harness.advance(48 * 3600)
    assert [r["Data"] for r in drain(kinesis, iterator(kinesis, "s", shard))[0]] == [b"kept"]


def test_closed_shards_are_forgotten_once_nothing_of_them_is_kept(harness: Harness) -> None:
    kinesis = harness.client("kinesis")
    kinesis.create_stream(StreamName="s", ShardCount=2)
    kinesis.merge_shards(
        StreamName="s",
        ShardToMerge="shardId-000000000000",
        AdjacentShardToMerge="shardId-000000000001",
    )
    assert len(kinesis.list_shards(StreamName="s")["Shards"]) == 3
    harness.advance(25 * 3600)
    streams = component(harness)

    async def swept(platform: Platform) -> None:
        await streams.sweep()

    harness.call(swept)
    shards = kinesis.list_shards(StreamName="s")["Shards"]
    assert [s["ShardId"] for s in shards] == ["shardId-000000000002"]
    assert shards[0]["ParentShardId"] == "shardId-000000000000"


def test_streams_and_records_outlive_a_restart(tmp_path: Path) -> None:
    store = f"sqlite:{tmp_path / 'altus.db'}"
    with Harness(data_dir=tmp_path, store=store, clock=None) as first:
        kinesis = first.client("kinesis")
        kinesis.create_stream(StreamName="s", ShardCount=2)
        kinesis.increase_stream_retention_period(StreamName="s", RetentionPeriodHours=30)
        before = [
            kinesis.put_record(StreamName="s", PartitionKey=str(i), Data=b"%d" % i)
            for i in range(10)
        ]
    with Harness(data_dir=tmp_path, store=store, clock=None) as second:
        kinesis = second.client("kinesis")
        described = kinesis.describe_stream(StreamName="s")["StreamDescription"]
        assert described["RetentionPeriodHours"] == 30 and len(described["Shards"]) == 2
        after = kinesis.put_record(StreamName="s", PartitionKey="0", Data=b"after")
        assert int(after["SequenceNumber"]) > max(int(p["SequenceNumber"]) for p in before)
        found = []
        for shard in ("shardId-000000000000", "shardId-000000000001"):
            found += [r["SequenceNumber"] for r in drain(kinesis, iterator(kinesis, "s", shard))[0]]
        assert sorted(found) == sorted(
            [p["SequenceNumber"] for p in before] + [after["SequenceNumber"]]
        )


# --- the stream source (what event source mappings read) -----------------------------------------


def test_the_stream_source_reads_shards_in_order_and_follows_lineage(harness: Harness) -> None:
    kinesis = harness.client("kinesis")
    kinesis.create_stream(StreamName="s", ShardCount=1)
    arn = f"{ARN}/s"
    streams = component(harness)
    shard = "shardId-000000000000"
    numbers = [
        kinesis.put_record(StreamName="s", PartitionKey="k", Data=b"%d" % i)["SequenceNumber"]
        for i in range(5)
    ]

    async def check(platform: Platform) -> None:
        source = platform.component("kinesis")
        assert source is streams
        info = streams.stream_info(arn)
        assert info is not None and (info.name, info.arn, info.retention_hours) == ("s", arn, 24)
        assert streams.stream_info(f"{ARN}/none") is None
        assert streams.position(arn, shard, "TRIM_HORIZON") is None
        assert streams.position(arn, shard, "LATEST") == numbers[-1]
        first = await streams.read(arn, shard, None, 2, 1 << 20)
        assert [r.data for r in first.records] == [b"0", b"1"]
        assert [r.sequence_number for r in first.records] == numbers[:2]
        assert first.millis_behind >= 0 and not first.ended
        rest = await streams.read(arn, shard, first.records[-1].sequence_number, 100, 1 << 20)
        assert [r.data for r in rest.records] == [b"2", b"3", b"4"]
        assert rest.millis_behind == 0 and not rest.ended
        # About max_bytes: at least one record, however small the budget.
        assert len((await streams.read(arn, shard, None, 100, 1)).records) == 1
        assert len((await streams.read(arn, shard, None, 100, 4)).records) == 2

    harness.call(check)
    kinesis.split_shard(StreamName="s", ShardToSplit=shard, NewStartingHashKey=str(2**127))
    kinesis.put_record(StreamName="s", PartitionKey="k", Data=b"child")

    async def lineage(platform: Platform) -> None:
        infos = streams.shards(arn)
        assert [(i.shard_id, i.parent_shard_id, i.closed) for i in infos] == [
            ("shardId-000000000000", None, True),
            ("shardId-000000000001", "shardId-000000000000", False),
            ("shardId-000000000002", "shardId-000000000000", False),
        ]
        end = await streams.read(arn, shard, numbers[-1], 100, 1 << 20)
        assert end.records == [] and end.ended
        # A reader at the end of a closed shard does not wait.
        await asyncio.wait_for(streams.wait(arn, shard, numbers[-1], 3600), 30)
        # The split at 2^127 halves the space: the lower child is shard 1.
        index = 1 if shard_of("k", 2).endswith("0") else 2
        read = await streams.read(arn, f"shardId-00000000000{index}", None, 10, 1 << 20)
        assert [r.data for r in read.records] == [b"child"]
        with pytest.raises(LookupError):
            await streams.read(arn, "shardId-000000000009", None, 10, 1 << 20)

    harness.call(lineage)


def test_the_stream_source_waits_for_a_record_and_wakes_on_a_put(harness: Harness) -> None:
    kinesis = harness.client("kinesis")
    kinesis.create_stream(StreamName="s", ShardCount=1)
    arn = f"{ARN}/s"
    shard = "shardId-000000000000"
    streams = component(harness)
    assert harness.clock is not None
    clock = harness.clock

    async def waits(platform: Platform) -> None:
        latest = streams.position(arn, shard, "LATEST")
        waiting = asyncio.ensure_future(streams.wait(arn, shard, latest, 3600))
        for _ in range(5):
            await asyncio.sleep(0)
        assert not waiting.done()
        state = await streams.writable("s")
        written = await streams.put(state, [Entry("k", 0, b"wake")])[0]
        # The fake clock has not moved: only the put can have ended the wait.
        await asyncio.wait_for(waiting, 30)
        read = await streams.read(arn, shard, latest, 10, 1 << 20)
        assert [r.sequence_number for r in read.records] == [written.sequence_number]
        # Nothing after it: a wait ends when its timeout passes on the platform clock.
        timed = asyncio.ensure_future(streams.wait(arn, shard, written.sequence_number, 5))
        for _ in range(5):
            await asyncio.sleep(0)
        assert not timed.done()
        clock.advance(6)
        await asyncio.wait_for(timed, 30)
        # Records already there: no wait at all.
        await asyncio.wait_for(streams.wait(arn, shard, None, 3600), 30)

    harness.call(waits)


def test_the_stream_source_stops_waiting_when_the_server_shuts_down(harness: Harness) -> None:
    kinesis = harness.client("kinesis")
    kinesis.create_stream(StreamName="s", ShardCount=1)
    arn = f"{ARN}/s"
    streams = component(harness)

    async def interrupted(platform: Platform) -> None:
        waiting = asyncio.ensure_future(streams.wait(arn, "shardId-000000000000", None, 3600))
        for _ in range(5):
            await asyncio.sleep(0)
        assert not waiting.done()
        streams.interrupt()
        await asyncio.wait_for(waiting, 30)
        await asyncio.wait_for(streams.wait(arn, "shardId-000000000000", None, 3600), 30)

    harness.call(interrupted)


def test_the_stream_source_starts_at_a_timestamp(harness: Harness) -> None:
    kinesis = harness.client("kinesis")
    kinesis.create_stream(StreamName="s", ShardCount=1)
    arn = f"{ARN}/s"
    shard = "shardId-000000000000"
    assert harness.clock is not None
    start = harness.clock.now()
    kinesis.put_record(StreamName="s", PartitionKey="k", Data=b"early")
    harness.advance(10)
    kinesis.put_record(StreamName="s", PartitionKey="k", Data=b"late")
    streams = component(harness)

    async def check(platform: Platform) -> None:
        after = streams.position(arn, shard, "AT_TIMESTAMP", start + 5)
        read = await streams.read(arn, shard, after, 10, 1 << 20)
        assert [r.data for r in read.records] == [b"late"]
        assert read.records[0].arrival == pytest.approx(start + 10)
        assert streams.position(arn, shard, "AT_TIMESTAMP", start - 60) is None

    harness.call(check)


def test_the_wire_carries_blobs_in_base64(server: Server, name: str) -> None:
    """What boto3 hides: Data travels as base64 text, timestamps as epoch seconds."""
    kinesis = kinesis_client(server.url)
    kinesis.create_stream(StreamName=name, ShardCount=1)
    kinesis.put_record(StreamName=name, PartitionKey="k", Data=b"\x00\xffraw")
    shard_iterator = iterator(kinesis, name, "shardId-000000000000")
    request = urllib.request.Request(
        server.url + "/",
        data=json.dumps({"ShardIterator": shard_iterator}).encode(),
        method="POST",
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "Kinesis_20131202.GetRecords",
        },
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        body = json.loads(answer.read())
    record = body["Records"][0]
    assert base64.b64decode(record["Data"]) == b"\x00\xffraw"
    assert isinstance(record["ApproximateArrivalTimestamp"], (int, float))


def test_millis_behind_latest_is_zero_only_when_caught_up(kinesis: Any, name: str) -> None:
    """Records put in the same millisecond and read in part leave the reader behind: not
    0, which consumers take for "caught up"."""
    kinesis.create_stream(StreamName=name, ShardCount=1)
    kinesis.put_records(
        StreamName=name,
        Records=[{"Data": b"%d" % i, "PartitionKey": "p"} for i in range(50)],
    )
    first = kinesis.get_records(
        ShardIterator=iterator(kinesis, name, "shardId-000000000000"), Limit=10
    )
    assert len(first["Records"]) == 10 and first["MillisBehindLatest"] >= 1
    _, last = drain(kinesis, first["NextShardIterator"])
    assert last["MillisBehindLatest"] == 0


def test_a_token_that_is_not_ours_is_refused(kinesis: Any, name: str) -> None:
    kinesis.create_stream(StreamName=name, ShardCount=1)
    assert refusal(kinesis.list_streams, NextToken="!!!") == (
        "InvalidArgumentException",
        "Invalid NextToken.",
    )


def test_a_closed_shard_is_not_split_or_merged_again(kinesis: Any, name: str) -> None:
    kinesis.create_stream(StreamName=name, ShardCount=2)
    kinesis.merge_shards(
        StreamName=name,
        ShardToMerge="shardId-000000000000",
        AdjacentShardToMerge="shardId-000000000001",
    )
    message = (
        f"Shard shardId-000000000000 in stream {name} under account {ACCOUNT} has already "
        "been merged or split, and thus is not eligible for merging or splitting."
    )
    assert refusal(
        kinesis.split_shard,
        StreamName=name,
        ShardToSplit="shardId-000000000000",
        NewStartingHashKey="5",
    ) == ("InvalidArgumentException", message)


def test_a_deletion_cut_short_goes_on_after_a_restart(tmp_path: Path) -> None:
    """A stream whose deletion began (its mark written, its records not all gone) is
    deleted by the next start: DELETING until then, then gone, records and all."""
    store = f"sqlite:{tmp_path / 'altus.db'}"
    with Harness(data_dir=tmp_path, store=store) as first:
        kinesis = first.client("kinesis")
        kinesis.create_stream(StreamName="doomed", ShardCount=1)
        kinesis.put_records(
            StreamName="doomed",
            Records=[{"Data": b"x", "PartitionKey": str(i)} for i in range(20)],
        )
    storage = Storage(store)
    try:
        sql = SqlStreamStore(storage.database())
        stream = asyncio.run(sql.load()).streams[0]
        asyncio.run(sql.apply([[PutStream(dataclasses.replace(stream, deleting=True))]]))
    finally:
        storage.close()
    with Harness(data_dir=tmp_path, store=store) as second:
        kinesis = second.client("kinesis")

        def gone() -> bool:
            try:
                kinesis.describe_stream_summary(StreamName="doomed")
            except ClientError as error:
                return error.response["Error"]["Code"] == "ResourceNotFoundException"
            return False

        wait_until(gone, timeout=10)
        kinesis.create_stream(StreamName="doomed", ShardCount=1)
        shard = "shardId-000000000000"
        assert drain(kinesis, iterator(kinesis, "doomed", shard))[0] == []

"""The pure parts of DynamoDB Streams: shard iterators, shard ids, which streams are
listed, sequence number ranges, records in the API's and in Lambda's JSON forms, the
DynamoDB shape of the stream poller (record, failure batch info, sizes), and what
Lambda accepts in a mapping on a DynamoDB stream."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from altus.arns import Account
from altus.control.errors import InvalidParameterValue
from altus.dynamodb.model import KeySchema, Stream, Table
from altus.dynamodb.stream_source import (
    find,
    lambda_form,
    listed,
    partition_key,
    shard_id,
    table_name_of,
    wire_value,
)
from altus.dynamodb.streams_api import (
    ITERATOR_LIFE,
    ShardIterator,
    api_record,
    first_kept,
    sequence_range,
    trimmed,
)
from altus.events.mapping import EventSourceMapping
from altus.events.records import dynamodb_record, filterable
from altus.events.stream_shapes import DYNAMODB, KINESIS, shape_of
from altus.events.validation import SourceFacts, plan_create
from altus.sources import StreamRecord

ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/orders/stream/2023-11-14T22:13:20.000"
DAY = 24 * 3600.0


def stream(disabled: float | None = None) -> Stream:
    return Stream("2023-11-14T22:13:20.000", ARN, "NEW_AND_OLD_IMAGES", 1_700_000_000.0, disabled)


def table(*streams: Stream) -> Table:
    arn = "arn:aws:dynamodb:us-east-1:000000000000:table/orders"
    return Table("orders", "id-1", arn, KeySchema("pk", "S", "sk", "N"), {}, 0.0, streams=streams)


# --- iterators ---------------------------------------------------------------------------------


KEY = b"k" * 32


def _body(document: Any) -> str:
    """An iterator's first part: what it holds, in base64."""
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode()


@pytest.mark.parametrize("after", [None, 0, 41, 2**62])
def test_an_iterator_names_what_a_read_needs(after: int | None) -> None:
    made = ShardIterator(ARN, "shardId-00000001700000000000-0a1b2c3d", after, 1_700_000_000.5)
    text = made.encode(KEY)
    assert len(text) <= 2048 and ARN not in text
    assert ShardIterator.decode(text) == made
    assert ShardIterator.signed(text, KEY)


def test_an_iterator_is_signed_by_the_run_that_made_it() -> None:
    text = ShardIterator(ARN, "s", 7, 1000.0).encode(KEY)
    body, _, signature = text.partition(".")
    # Another run's key (a restart), or what it holds changed: the signature fails.
    assert not ShardIterator.signed(text, b"o" * 32)
    changed = ShardIterator(ARN, "s", 0, 1000.0).encode(KEY).partition(".")[0]
    assert not ShardIterator.signed(f"{changed}.{signature}", KEY)
    assert not ShardIterator.signed(body, KEY)
    assert not ShardIterator.signed(f"{body}.", KEY)
    assert not ShardIterator.signed(f"{body}.not base64!", KEY)
    # What it says is read without the key (what GetRecords is authorised on).
    assert ShardIterator.decode(f"{changed}.{signature}") == ShardIterator(ARN, "s", 0, 1000.0)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not base64 at all!",
        _body([1, ARN, "s", None, 0]),  # no signature part
        "not base64 at all!.c2ln",
        base64.urlsafe_b64encode(b"not json").decode() + ".c2ln",
        _body({"a": 1}) + ".c2ln",
        _body([2, ARN, "s", None, 0]) + ".c2ln",
        _body([1, ARN, "s", -1, 0]) + ".c2ln",
        _body([1, ARN, "s", "7", 0]) + ".c2ln",
        _body([1, 5, "s", None, 0]) + ".c2ln",
        _body([1, ARN, "s", None]) + ".c2ln",
    ],
)
def test_what_is_no_iterator_of_ours(text: str) -> None:
    assert ShardIterator.decode(text) is None
    assert not ShardIterator.signed(text, KEY)


def test_an_iterator_expires_after_fifteen_minutes() -> None:
    made = ShardIterator(ARN, "s", None, 1000.0)
    assert ITERATOR_LIFE == 900
    assert not made.expired(1000.0 + 900)
    assert made.expired(1000.0 + 900.001)


# --- streams and shards ------------------------------------------------------------------------


def test_the_shard_is_named_as_dynamodb_names_shards() -> None:
    found = shard_id(stream())
    assert found.startswith("shardId-00000001700000000000-")
    assert len(found) == len("shardId-00000001573689847184-864758bb")
    assert int(found[-8:], 16) >= 0
    assert shard_id(stream()) == found  # the same stream, the same shard


@pytest.mark.parametrize(
    ("arn", "name"),
    [
        (ARN, "orders"),
        ("arn:aws:dynamodb:us-east-1:1:table/a.b-c_d/stream/x", "a.b-c_d"),
        ("arn:aws:dynamodb:us-east-1:1:table/orders", None),
        ("arn:aws:dynamodb:us-east-1:1:table//stream/x", None),
        ("arn:aws:dynamodb:us-east-1:1:table/orders/stream/", None),
        ("arn:aws:kinesis:us-east-1:1:stream/orders", None),
    ],
)
def test_the_table_a_stream_arn_names(arn: str, name: str | None) -> None:
    assert table_name_of(arn) == name


@pytest.mark.parametrize(
    ("disabled", "now", "shown"),
    [
        (None, 1e12, True),
        (100.0, 100.0 + DAY - 1, True),
        (100.0, 100.0 + DAY, False),
    ],
)
def test_a_disabled_stream_is_listed_for_a_day(
    disabled: float | None, now: float, shown: bool
) -> None:
    kept = stream(disabled)
    assert listed(kept, now) is shown
    assert (find({"orders": table(kept)}, ARN, now) is not None) is shown
    assert find({"orders": table(kept)}, ARN + "x", now) is None
    assert find({}, ARN, now) is None


@pytest.mark.parametrize(
    ("disabled", "bounds", "expected"),
    [
        (None, (None, None), {"StartingSequenceNumber": "100000000000000000001"}),
        (None, (3, 9), {"StartingSequenceNumber": "100000000000000000003"}),
        (
            5.0,
            (3, 9),
            {
                "StartingSequenceNumber": "100000000000000000003",
                "EndingSequenceNumber": "100000000000000000009",
            },
        ),
        (
            5.0,
            (None, None),
            {
                "StartingSequenceNumber": "100000000000000000001",
                "EndingSequenceNumber": "100000000000000000001",
            },
        ),
    ],
)
def test_sequence_number_ranges(
    disabled: float | None, bounds: tuple[int | None, int | None], expected: dict[str, str]
) -> None:
    assert sequence_range(stream(disabled), bounds) == expected


@pytest.mark.parametrize(
    ("after", "bounds", "first", "gone"),
    [
        (None, (None, None), 1, False),
        (None, (5, 9), 5, False),
        (4, (5, 9), 5, False),
        (3, (5, 9), 5, True),
        (9, (5, 9), 5, False),
        # Nothing kept of a stream that had records: a reader behind its newest missed some.
        (8, (None, 9), 10, True),
        (9, (None, 9), 10, False),
        (0, (None, None), 1, False),
    ],
)
def test_what_a_reader_missed_to_trimming(
    after: int | None, bounds: tuple[int | None, int | None], first: int, gone: bool
) -> None:
    assert first_kept(bounds) == first
    assert trimmed(after, bounds) is gone


# --- records -----------------------------------------------------------------------------------


STORED: dict[str, Any] = {
    "eventID": "e" * 32,
    "eventName": "REMOVE",
    "eventVersion": "1.1",
    "eventSource": "aws:dynamodb",
    "awsRegion": "us-east-1",
    "dynamodb": {
        "ApproximateCreationDateTime": 1_700_000_000.0,
        "Keys": {"pk": {"S": "a"}, "sk": {"N": "1"}},
        "OldImage": {
            "pk": {"S": "a"},
            "sk": {"N": "1"},
            "raw": {"B": b"\x00\xff"},
            "set": {"BS": [b"\x01"]},
            "deep": {"M": {"l": {"L": [{"B": b"\x02"}, {"NULL": True}]}}},
        },
        "SizeBytes": 30,
        "StreamViewType": "OLD_IMAGE",
        "SequenceNumber": "100000000000000000007",
    },
    "userIdentity": {"type": "Service", "principalId": "dynamodb.amazonaws.com"},
}


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        ({"S": "x"}, {"S": "x"}),
        ({"N": "1.5"}, {"N": "1.5"}),
        ({"B": b"\x00\xff"}, {"B": "AP8="}),
        ({"BS": [b"a", b"b"]}, {"BS": ["YQ==", "Yg=="]}),
        ({"SS": ["a"]}, {"SS": ["a"]}),
        ({"NULL": True}, {"NULL": True}),
        ({"BOOL": False}, {"BOOL": False}),
        ({"M": {"k": {"B": b"a"}}}, {"M": {"k": {"B": "YQ=="}}}),
        ({"L": [{"B": b"a"}, {"N": "2"}]}, {"L": [{"B": "YQ=="}, {"N": "2"}]}),
    ],
)
def test_attribute_values_in_json(value: dict[str, Any], wire: dict[str, Any]) -> None:
    assert wire_value(value) == wire


def test_lambdas_form_of_a_record() -> None:
    shown = lambda_form(STORED)
    json.dumps(shown)  # JSON all the way down
    change = shown["dynamodb"]
    assert change["OldImage"]["raw"] == {"B": "AP8="}
    assert change["OldImage"]["deep"] == {"M": {"l": {"L": [{"B": "Ag=="}, {"NULL": True}]}}}
    assert change["Keys"] == STORED["dynamodb"]["Keys"]
    assert change["ApproximateCreationDateTime"] == 1_700_000_000.0
    assert shown["userIdentity"] == STORED["userIdentity"]
    assert STORED["dynamodb"]["OldImage"]["raw"] == {"B": b"\x00\xff"}  # not changed
    # One item's records go the same lane: its partition key's value.
    assert partition_key(table(), shown) == json.dumps({"S": "a"})


def test_the_apis_form_of_a_record() -> None:
    shown = api_record(STORED)
    assert shown["userIdentity"] == {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}
    assert shown["dynamodb"] is STORED["dynamodb"]
    plain = {k: v for k, v in STORED.items() if k != "userIdentity"}
    assert "userIdentity" not in api_record(plain)


def test_the_record_lambda_delivers() -> None:
    shown = lambda_form(STORED)
    record = StreamRecord("100000000000000000007", "k", b"{}", 1_700_000_000.0, {"record": shown})
    delivered = dynamodb_record(record, ARN)
    assert list(delivered) == [
        "eventID",
        "eventName",
        "eventVersion",
        "eventSource",
        "awsRegion",
        "dynamodb",
        "eventSourceARN",
        "userIdentity",
    ]
    assert delivered["eventSourceARN"] == ARN
    assert delivered["dynamodb"] == shown["dynamodb"]
    # Filters see the record as it is (its images are typed JSON already).
    assert filterable(delivered, "dynamodb") == delivered
    assert DYNAMODB.sequence(delivered) == "100000000000000000007"


def test_the_poller_shapes_of_each_stream() -> None:
    assert shape_of("dynamodb") is DYNAMODB and shape_of("kinesis") is KINESIS
    assert (DYNAMODB.batch_info, DYNAMODB.filter_key) == ("DDBStreamBatchInfo", "dynamodb")
    assert (KINESIS.batch_info, KINESIS.filter_key) == ("KinesisBatchInfo", "data")
    # DDBStreamBatchInfo's arrivals in whole seconds, Kinesis's in milliseconds.
    assert DYNAMODB.arrival(1_573_690_399.0) == "2019-11-14T00:13:19Z"
    assert KINESIS.arrival(1_573_690_399.25) == "2019-11-14T00:13:19.250Z"
    record = StreamRecord("1", "k", b"x" * 300, 0.0)
    assert DYNAMODB.size(record) == 900
    assert KINESIS.size(record) == 1000


# --- mappings ----------------------------------------------------------------------------------

FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:f"


def create(**input: Any) -> EventSourceMapping:
    return plan_create(
        {"EventSourceArn": ARN, "FunctionName": "f", **input},
        uuid="u",
        function_arn=FUNCTION,
        source=SourceFacts("dynamodb"),
        function_timeout=3,
        now=1.0,
    )


def refused(**input: Any) -> str:
    with pytest.raises(InvalidParameterValue) as raised:
        create(**input)
    return raised.value.message


def test_a_dynamodb_mapping_is_a_stream_mapping() -> None:
    made = create(StartingPosition="TRIM_HORIZON")
    assert made.stream and not made.broker
    assert (made.batch_size, made.maximum_retries, made.maximum_record_age) == (100, -1, -1)
    assert made.state_reason == "User action"
    api = made.to_api(Account(region="us-east-1", account_id="000000000000"))
    assert api["StartingPosition"] == "TRIM_HORIZON"
    assert api["DestinationConfig"] == {"OnFailure": {}}


@pytest.mark.parametrize(
    ("input", "message"),
    [
        (
            {},
            "1 validation error detected: Value null at 'startingPosition' failed to "
            "satisfy constraint: Member must not be null.",
        ),
        (
            {"StartingPosition": "AT_TIMESTAMP", "StartingPositionTimestamp": 5.0},
            "StartingPosition AT_TIMESTAMP is not supported for DynamoDB Streams event "
            "sources: LATEST, TRIM_HORIZON.",
        ),
        (
            {"StartingPosition": "LATEST", "StartingPositionTimestamp": 5.0},
            "StartingPositionTimestamp is only valid when StartingPosition is AT_TIMESTAMP.",
        ),
        (
            {"StartingPosition": "LATEST", "ScalingConfig": {"MaximumConcurrency": 2}},
            "Unsupported ScalingConfig parameter for given event source mapping type.",
        ),
        (
            {
                "StartingPosition": "LATEST",
                "FilterCriteria": {"Filters": [{"Pattern": json.dumps({"dynamodb": ["x"]})}]},
            },
            "Invalid filter pattern definition.",
        ),
        (
            {"StartingPosition": "LATEST", "MaximumRecordAgeInSeconds": 59},
            "MaximumRecordAgeInSeconds must be -1 or between 60 and 604800.",
        ),
    ],
)
def test_what_a_dynamodb_mapping_refuses(input: dict[str, Any], message: str) -> None:
    assert refused(**input) == message


def test_a_dynamodb_mapping_takes_the_stream_options() -> None:
    pattern = json.dumps({"dynamodb": {"NewImage": {"v": {"S": ["x"]}}}})
    made = create(
        StartingPosition="LATEST",
        BatchSize=10000,
        BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=3,
        MaximumRecordAgeInSeconds=60,
        ParallelizationFactor=10,
        TumblingWindowInSeconds=30,
        FunctionResponseTypes=["ReportBatchItemFailures"],
        DestinationConfig={"OnFailure": {"Destination": "arn:aws:sqs:us-east-1:0:q"}},
        FilterCriteria={"Filters": [{"Pattern": pattern}]},
    )
    assert made.batch_size == 10000 and made.bisect and made.maximum_retries == 3
    assert (made.parallelization, made.tumbling_window) == (10, 30)
    assert made.report_item_failures and made.on_failure == "arn:aws:sqs:us-east-1:0:q"
    assert made.filters == (pattern,)

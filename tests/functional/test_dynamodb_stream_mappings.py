"""Event source mappings on a DynamoDB table's stream, through boto3 against a server in
this process (the public harness, a fake clock): Lambda's validation for DynamoDB
streams, a function (real code, through Lambda's API) receiving Lambda's DynamoDB record
shape, LATEST, filters on the ``dynamodb`` key, ReportBatchItemFailures by sequence
number, a batch given up on reported to an SQS queue with ``DDBStreamBatchInfo``, and a
restart resuming after the checkpoint."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from altus.dynamodb import model
from altus.events.stream_poller import STARTED
from altus.testing import Harness, wait_until
from tests.functional.test_dynamodb_streams import Tables, item, shard_of
from tests.functional.test_event_source_mappings import (
    Recorder,
    advance_until,
    make_queue,
    refusal,
    settled,
    unique,
)

#: A function that writes each event it gets to a file (one JSON line each) and fails a
#: batch holding an item whose ``v`` is ``bad`` when ``FAIL`` says so.
WRITER = """
import json

OUT = {out!r}
FAIL = {fail!r}


def handler(event, context):
    with open(OUT, "a") as out:
        out.write(json.dumps(event) + "\\n")
    for record in event["Records"]:
        image = record["dynamodb"].get("NewImage") or {{}}
        if FAIL and image.get("v") == {{"S": "bad"}}:
            raise RuntimeError("bad record")
    return None
"""


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    with Harness() as altus:
        yield altus


@pytest.fixture(scope="module")
def lam(harness: Harness) -> Any:
    return harness.client("lambda")


@pytest.fixture(scope="module")
def tables(harness: Harness) -> Tables:
    return Tables(harness)


def written(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def writer(harness: Harness, path: Path, *, fail: bool = False) -> str:
    """A function from code (``WRITER``) writing its events to ``path``: its name."""
    name = unique("ddbfn")
    harness.create_function(
        name, files={"app.py": WRITER.format(out=str(path), fail=fail)}, Timeout=3
    )
    return name


def keys(events: list[dict[str, Any]]) -> list[str]:
    return [r["dynamodb"]["Keys"]["id"]["S"] for e in events for r in e.get("Records", [])]


def recorded(recorder: Recorder) -> list[str]:
    with recorder.lock:
        return keys(recorder.events)


def reading(harness: Harness, uuid: str) -> None:
    """Wait until the mapping's poller has placed its reader (LATEST is where the stream
    ends then)."""

    async def started(platform: Any) -> bool:
        return STARTED in platform.component("lambda").mappings._checkpoints.get(uuid, {})

    wait_until(lambda: harness.call(started), timeout=10)


def mapped(harness: Harness, lam: Any, function: str, arn: str, **mapping: Any) -> str:
    mapping.setdefault("StartingPosition", "TRIM_HORIZON")
    uuid: str = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=function, **mapping
    )["UUID"]
    settled(lam, uuid)
    return uuid


def test_creating_a_dynamodb_stream_mapping(harness: Harness, lam: Any, tables: Tables) -> None:
    function = unique("ddbcreate")
    harness.create_function(function, Recorder())
    _, arn = tables.create()
    code, message, _ = refusal(
        lam.create_event_source_mapping, EventSourceArn=arn, FunctionName=function
    )
    assert (code, message) == (
        "InvalidParameterValueException",
        "1 validation error detected: Value null at 'startingPosition' failed to satisfy "
        "constraint: Member must not be null.",
    )
    code, message, _ = refusal(
        lam.create_event_source_mapping,
        EventSourceArn=arn,
        FunctionName=function,
        StartingPosition="AT_TIMESTAMP",
        StartingPositionTimestamp=1_700_000_000,
    )
    assert code == "InvalidParameterValueException"
    assert message == (
        "StartingPosition AT_TIMESTAMP is not supported for DynamoDB Streams event "
        "sources: LATEST, TRIM_HORIZON."
    )
    code, message, _ = refusal(
        lam.create_event_source_mapping,
        EventSourceArn=arn,
        FunctionName=function,
        StartingPosition="LATEST",
        FilterCriteria={"Filters": [{"Pattern": json.dumps({"dynamodb": "x"})}]},
    )
    assert (code, message) == (
        "InvalidParameterValueException",
        "Invalid filter pattern definition.",
    )
    missing = arn.rsplit("/", 1)[0] + "/2000-01-01T00:00:00.000"
    code, message, _ = refusal(
        lam.create_event_source_mapping,
        EventSourceArn=missing,
        FunctionName=function,
        StartingPosition="LATEST",
    )
    assert (code, message) == ("InvalidParameterValueException", f"Stream not found: {missing}")
    code, _, _ = refusal(
        lam.create_event_source_mapping,
        EventSourceArn=arn,
        FunctionName=function,
        StartingPosition="LATEST",
        BatchSize=10001,
    )
    assert code in ("InvalidParameterValueException", "ValidationException")
    created = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=function, StartingPosition="LATEST"
    )
    assert created["State"] == "Creating"
    assert created["StateTransitionReason"] == "User action"
    assert created["EventSourceArn"] == arn
    assert created["BatchSize"] == 100
    assert created["StartingPosition"] == "LATEST"
    assert created["MaximumRetryAttempts"] == -1
    assert created["MaximumRecordAgeInSeconds"] == -1
    assert created["ParallelizationFactor"] == 1
    assert created["BisectBatchOnFunctionError"] is False
    assert created["TumblingWindowInSeconds"] == 0
    assert created["DestinationConfig"] == {"OnFailure": {}}
    settled(lam, created["UUID"])
    assert (
        lam.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"][0]["UUID"]
        == created["UUID"]
    )


def test_a_function_gets_lambdas_dynamodb_records(
    harness: Harness, lam: Any, tables: Tables, tmp_path: Path
) -> None:
    out = tmp_path / "events.jsonl"
    function = writer(harness, out)
    name, arn = tables.create(model.NEW_AND_OLD_IMAGES)
    first = item("k", v="one", blob=b"\x00\xff")
    tables.put(name, first)
    tables.put(name, item("k", v="two"))
    tables.delete(name, {"id": {"S": "k"}})
    mapped(harness, lam, function, arn, BatchSize=10)
    wait_until(lambda: len(keys(written(out))) >= 3, timeout=10)
    records = [r for e in written(out) for r in e["Records"]]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    insert = records[0]
    assert list(insert) == [
        "eventID",
        "eventName",
        "eventVersion",
        "eventSource",
        "awsRegion",
        "dynamodb",
        "eventSourceARN",
    ]
    assert insert["eventSource"] == "aws:dynamodb"
    assert insert["eventVersion"] == "1.1"
    assert insert["awsRegion"] == "us-east-1"
    assert insert["eventSourceARN"] == arn
    change = insert["dynamodb"]
    assert harness.clock is not None
    # A number of epoch seconds (the API's timestamp, as Lambda's event writes it).
    assert isinstance(change["ApproximateCreationDateTime"], float)
    assert change["ApproximateCreationDateTime"] == float(int(harness.clock.now()))
    assert change["Keys"] == {"id": {"S": "k"}}
    assert change["NewImage"] == {
        "id": {"S": "k"},
        "v": {"S": "one"},
        "blob": {"B": base64.b64encode(b"\x00\xff").decode()},
    }
    assert "OldImage" not in change
    assert change["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert isinstance(change["SizeBytes"], int) and change["SizeBytes"] > 0
    assert re.fullmatch(r"\d{21}", change["SequenceNumber"])
    assert records[1]["dynamodb"]["OldImage"]["v"] == {"S": "one"}
    assert records[1]["dynamodb"]["NewImage"]["v"] == {"S": "two"}
    assert "NewImage" not in records[2]["dynamodb"]
    assert records[2]["dynamodb"]["OldImage"]["v"] == {"S": "two"}
    numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert numbers == sorted(numbers)


def test_latest_skips_what_came_before(harness: Harness, lam: Any, tables: Tables) -> None:
    recorder = Recorder()
    function = unique("ddblatest")
    harness.create_function(function, recorder, Timeout=3)
    name, arn = tables.create(model.KEYS_ONLY)
    tables.put(name, item("old"))
    uuid = mapped(harness, lam, function, arn, StartingPosition="LATEST")
    reading(harness, uuid)
    tables.put(name, item("new"))
    wait_until(lambda: recorded(recorder) == ["new"], timeout=10)


def test_filters_on_the_dynamodb_key(harness: Harness, lam: Any, tables: Tables) -> None:
    recorder = Recorder()
    function = unique("ddbfilter")
    harness.create_function(function, recorder, Timeout=3)
    name, arn = tables.create(model.NEW_IMAGE)
    pattern = {"eventName": ["INSERT", "MODIFY"], "dynamodb": {"NewImage": {"v": {"S": ["keep"]}}}}
    mapped(
        harness,
        lam,
        function,
        arn,
        FilterCriteria={"Filters": [{"Pattern": json.dumps(pattern)}]},
    )
    tables.put(name, item("a", v="keep"))
    tables.put(name, item("b", v="drop"))
    tables.delete(name, {"id": {"S": "a"}})
    tables.put(name, item("c", v="keep"))
    wait_until(lambda: recorded(recorder) == ["a", "c"], timeout=10)


def test_partial_failure_checkpoints_at_the_lowest_failure(
    harness: Harness, lam: Any, tables: Tables
) -> None:
    recorder = Recorder()
    failed_once: set[str] = set()

    def report(event: dict[str, Any]) -> Any:
        failures = []
        for record in event["Records"]:
            key = record["dynamodb"]["Keys"]["id"]["S"]
            if key in ("c", "e") and key not in failed_once:
                failed_once.add(key)
                failures.append({"itemIdentifier": record["dynamodb"]["SequenceNumber"]})
        return {"batchItemFailures": failures}

    recorder.answer = report
    function = unique("ddbreport")
    harness.create_function(function, recorder, Timeout=3)
    name, arn = tables.create(model.KEYS_ONLY)
    for key in "abcde":
        tables.put(name, item(key))
    mapped(
        harness,
        lam,
        function,
        arn,
        BatchSize=10,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    advance_until(harness, lambda: len(recorder.events) >= 2)
    tables.put(name, item("f"))
    advance_until(harness, lambda: len(recorder.events) >= 3)
    batches = [keys([e]) for e in recorder.events]
    # From the lowest failure on: what came before it is done, what came after it too.
    assert batches == [["a", "b", "c", "d", "e"], ["c", "d", "e"], ["f"]]


def test_a_batch_given_up_goes_to_the_on_failure_queue(
    harness: Harness, lam: Any, tables: Tables, tmp_path: Path
) -> None:
    sqs = harness.client("sqs")
    out = tmp_path / "events.jsonl"
    function = writer(harness, out, fail=True)
    url, queue_arn = make_queue(sqs, unique("ddbfailures"))
    name, arn = tables.create(model.NEW_IMAGE)
    for value in ("a", "bad", "c"):
        tables.put(name, item(value, v=value))
    mapped(
        harness,
        lam,
        function,
        arn,
        BatchSize=10,
        MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": queue_arn}},
    )
    advance_until(harness, lambda: len(written(out)) >= 2)
    tables.put(name, item("after", v="after"))
    advance_until(harness, lambda: "after" in keys(written(out)))
    # The first try and one retry, then the shard moved on.
    assert [keys([e]) for e in written(out)][:2] == [["a", "bad", "c"], ["a", "bad", "c"]]
    got: list[dict[str, Any]] = []

    def arrived() -> bool:
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            got.append(json.loads(message["Body"]))
        return bool(got)

    wait_until(arrived, timeout=10)
    (record,) = got
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["requestContext"]["functionArn"].endswith(f":function:{function}")
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["version"] == "1.0"
    assert "KinesisBatchInfo" not in record
    info = record["DDBStreamBatchInfo"]
    assert list(info) == [
        "shardId",
        "startSequenceNumber",
        "endSequenceNumber",
        "approximateArrivalOfFirstRecord",
        "approximateArrivalOfLastRecord",
        "batchSize",
        "streamArn",
    ]
    assert info["shardId"] == shard_of(harness.client("dynamodbstreams"), arn)
    assert info["batchSize"] == 3
    assert info["streamArn"] == arn
    assert int(info["startSequenceNumber"]) < int(info["endSequenceNumber"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", info["approximateArrivalOfFirstRecord"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", info["approximateArrivalOfLastRecord"])


def test_a_restart_resumes_after_the_checkpoint(tmp_path: Path) -> None:
    """DynamoDB's component starts after Lambda's: the poller started first must keep
    its checkpoint until the tables are loaded."""
    store = f"sqlite:{tmp_path / 'altus.db'}"
    first_recorder = Recorder()
    with Harness(data_dir=tmp_path, store=store) as first:
        first.create_function("reader", first_recorder, Timeout=3)
        tables = Tables(first)
        name, arn = tables.create(model.KEYS_ONLY)
        lam = first.client("lambda")
        uuid = mapped(first, lam, "reader", arn, StartingPosition="LATEST")
        reading(first, uuid)
        tables.put(name, item("one"))
        tables.put(name, item("two"))
        wait_until(lambda: recorded(first_recorder) == ["one", "two"], timeout=10)
        lam.update_event_source_mapping(UUID=uuid, Enabled=False)
        settled(lam, uuid, "Disabled")
        tables.put(name, item("three"))
        lam.update_event_source_mapping(UUID=uuid, Enabled=True)
    recorder = Recorder()
    second = Harness(data_dir=tmp_path, store=store)
    assert second.backend is not None
    second.backend.handlers["reader"] = recorder
    with second:
        lam = second.client("lambda")
        settled(lam, uuid)
        Tables(second).put(name, item("four"))
        # A poller that found no tables yet looks again a second later.
        advance_until(second, lambda: "four" in recorded(recorder))
        # Where the first server stopped reading, not before, not after.
        seen = recorded(first_recorder) + recorded(recorder)
        assert seen.count("one") == 1 and seen.count("two") == 1
        assert "three" in seen

"""Kinesis event source mappings through boto3 against a server in this process (the
public harness, a fake clock): order per shard, starting positions, retries until
MaximumRetryAttempts or MaximumRecordAgeInSeconds with Lambda's failure record on the
OnFailure queue, bisection, ReportBatchItemFailures checkpoints, tumbling windows,
ParallelizationFactor, filters, resharding and restarts from the checkpoint."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from altus.events.stream_poller import STARTED
from altus.testing import Harness, wait_until
from tests.functional.test_event_source_mappings import (
    Recorder,
    advance_until,
    make_queue,
    refusal,
    settled,
    unique,
)

REGION = "us-east-1"
ACCOUNT = "000000000000"


def data_of(record: dict[str, Any]) -> str:
    return base64.b64decode(record["kinesis"]["data"]).decode()


def datas(recorder: Recorder) -> list[str]:
    with recorder.lock:
        return [data_of(r) for e in recorder.events for r in e.get("Records", [])]


def fail_on_bad(event: dict[str, Any]) -> Any:
    """A handler that fails any batch holding the record ``bad``."""
    if any(data_of(r) == "bad" for r in event["Records"]):
        raise RuntimeError("bad record")
    return None


def always_fail(event: dict[str, Any]) -> Any:
    raise RuntimeError("down")


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    with Harness() as altus:
        yield altus


@pytest.fixture(scope="module")
def lam(harness: Harness) -> Any:
    return harness.client("lambda")


@pytest.fixture(scope="module")
def kinesis(harness: Harness) -> Any:
    return harness.client("kinesis")


@pytest.fixture(scope="module")
def sqs(harness: Harness) -> Any:
    return harness.client("sqs")


def make_stream(kinesis: Any, shards: int = 1) -> tuple[str, str]:
    name = unique("stream")
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    return name, arn


def put(kinesis: Any, stream: str, items: list[str], key: Callable[[str], str] = str) -> None:
    for item in items:
        kinesis.put_record(StreamName=stream, Data=item.encode(), PartitionKey=key(item))


def mapped(
    harness: Harness,
    lam: Any,
    kinesis: Any,
    recorder: Recorder,
    shards: int = 1,
    before: list[str] | None = None,
    **mapping: Any,
) -> tuple[str, str, str]:
    """A function running ``recorder``, a stream (with the records ``before`` in it) and
    an enabled mapping of the two, from TRIM_HORIZON: (stream, its ARN, mapping UUID)."""
    fn = unique("sfn")
    harness.create_function(fn, recorder, Timeout=3)
    name, arn = make_stream(kinesis, shards)
    put(kinesis, name, before or [])
    mapping.setdefault("StartingPosition", "TRIM_HORIZON")
    uuid = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=fn, **mapping)["UUID"]
    settled(lam, uuid)
    return name, arn, uuid


def reading(harness: Harness, uuid: str) -> None:
    """Wait until the mapping's poller has placed its readers (LATEST is where the
    stream ends then: what is put after this is read)."""

    async def started(platform: Any) -> bool:
        return STARTED in platform.component("lambda").mappings._checkpoints.get(uuid, {})

    wait_until(lambda: harness.call(started), timeout=10)


def failure_records(sqs: Any, url: str, count: int) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []

    def enough() -> bool:
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            got.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return len(got) >= count

    wait_until(enough, timeout=10)
    return got


def test_creating_a_stream_mapping(harness: Harness, lam: Any, kinesis: Any) -> None:
    fn = unique("screate")
    harness.create_function(fn, Recorder())
    _name, arn = make_stream(kinesis)
    code, message, _ = refusal(lam.create_event_source_mapping, EventSourceArn=arn, FunctionName=fn)
    assert code == "InvalidParameterValueException"
    assert message == (
        "1 validation error detected: Value null at 'startingPosition' failed to satisfy "
        "constraint: Member must not be null."
    )
    missing = arn + "-gone"
    code, message, _ = refusal(
        lam.create_event_source_mapping,
        EventSourceArn=missing,
        FunctionName=fn,
        StartingPosition="LATEST",
    )
    assert (code, message) == ("InvalidParameterValueException", f"Stream not found: {missing}")
    created = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=fn, StartingPosition="LATEST"
    )
    assert created["State"] == "Creating"
    assert created["StateTransitionReason"] == "User action"
    assert created["BatchSize"] == 100
    assert created["MaximumRetryAttempts"] == -1
    assert created["MaximumRecordAgeInSeconds"] == -1
    assert created["ParallelizationFactor"] == 1
    assert created["BisectBatchOnFunctionError"] is False
    assert created["TumblingWindowInSeconds"] == 0
    assert created["DestinationConfig"] == {"OnFailure": {}}
    assert created["LastProcessingResult"] == "No records processed"
    code, message, status = refusal(
        lam.create_event_source_mapping,
        EventSourceArn=arn,
        FunctionName=fn,
        StartingPosition="LATEST",
    )
    assert (code, status) == ("ResourceConflictException", 409)
    assert message.startswith(f'The event source arn (" {arn} ") and function (" {fn} ")')
    settled(lam, created["UUID"])


def test_records_in_order_per_shard_with_lambdas_shape(
    harness: Harness, lam: Any, kinesis: Any
) -> None:
    recorder = Recorder()
    name, arn, _ = mapped(harness, lam, kinesis, recorder, shards=2, BatchSize=7)
    items = [f"k{i % 5}-{i}" for i in range(60)]
    put(kinesis, name, items, key=lambda item: item.split("-")[0])
    wait_until(lambda: len(datas(recorder)) >= 60, timeout=10)
    by_shard: dict[str, list[int]] = {}
    for event in recorder.events:
        assert len(event["Records"]) <= 7
        shards = {r["eventID"].split(":")[0] for r in event["Records"]}
        assert len(shards) == 1  # a batch never mixes shards
        for record in event["Records"]:
            by_shard.setdefault(record["eventID"].split(":")[0], []).append(
                int(record["kinesis"]["sequenceNumber"])
            )
    assert len(by_shard) == 2
    for numbers in by_shard.values():
        assert numbers == sorted(numbers)
    assert sorted(datas(recorder)) == sorted(items)
    record = recorder.events[0]["Records"][0]
    assert record["eventSource"] == "aws:kinesis"
    assert record["eventName"] == "aws:kinesis:record"
    assert record["eventVersion"] == "1.0"
    assert record["eventSourceARN"] == arn
    assert record["awsRegion"] == REGION
    assert record["invokeIdentityArn"].startswith("arn:aws:iam::")
    assert record["kinesis"]["kinesisSchemaVersion"] == "1.0"
    assert (
        record["eventID"]
        == f"{record['eventID'].split(':')[0]}:{record['kinesis']['sequenceNumber']}"
    )
    assert isinstance(record["kinesis"]["approximateArrivalTimestamp"], float)


def test_latest_skips_what_came_before(harness: Harness, lam: Any, kinesis: Any) -> None:
    recorder = Recorder()
    fn = unique("latest")
    harness.create_function(fn, recorder, Timeout=3)
    name, arn = make_stream(kinesis)
    put(kinesis, name, ["old"])
    uuid = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=fn, StartingPosition="LATEST"
    )["UUID"]
    settled(lam, uuid)
    reading(harness, uuid)
    put(kinesis, name, ["new"])
    wait_until(lambda: datas(recorder) == ["new"], timeout=10)


def test_retries_until_maximum_then_on_failure_record(
    harness: Harness, lam: Any, kinesis: Any, sqs: Any
) -> None:
    recorder = Recorder()

    recorder.answer = fail_on_bad
    failures_url, failures_arn = make_queue(sqs, unique("failures"))
    stream, arn, uuid = mapped(
        harness,
        lam,
        kinesis,
        recorder,
        before=["a", "bad", "c"],
        BatchSize=10,
        MaximumRetryAttempts=2,
        DestinationConfig={"OnFailure": {"Destination": failures_arn}},
    )
    advance_until(harness, lambda: len(recorder.events) >= 3)
    put(kinesis, stream, ["after"])
    advance_until(harness, lambda: "after" in datas(recorder))
    # The first try and two retries, then the shard moved on.
    tries = [e for e in recorder.events if any(data_of(r) == "bad" for r in e["Records"])]
    assert len(tries) == 3
    (record,) = failure_records(sqs, failures_url, 1)
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestContext"]["functionArn"].endswith(recorder_fn(lam, uuid))
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["version"] == "1.0"
    info = record["KinesisBatchInfo"]
    assert info["shardId"] == "shardId-000000000000"
    assert info["batchSize"] == 3
    assert info["streamArn"] == arn
    assert int(info["startSequenceNumber"]) < int(info["endSequenceNumber"])
    assert info["approximateArrivalOfFirstRecord"].endswith("Z")
    assert lam.get_event_source_mapping(UUID=uuid)["LastProcessingResult"] == "OK"


def recorder_fn(lam: Any, uuid: str) -> str:
    return str(lam.get_event_source_mapping(UUID=uuid)["FunctionArn"])


def test_bisect_isolates_the_bad_record(harness: Harness, lam: Any, kinesis: Any, sqs: Any) -> None:
    recorder = Recorder()

    recorder.answer = fail_on_bad
    failures_url, failures_arn = make_queue(sqs, unique("bisected"))
    mapped(
        harness,
        lam,
        kinesis,
        recorder,
        before=["a", "b", "bad", "d"],
        BatchSize=10,
        BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": failures_arn}},
    )
    (record,) = failure_records(sqs, failures_url, 1)
    assert record["KinesisBatchInfo"]["batchSize"] == 1
    succeeded = [
        data_of(r)
        for e in recorder.events
        if not any(data_of(x) == "bad" for x in e["Records"])
        for r in e["Records"]
    ]
    assert sorted(succeeded) == ["a", "b", "d"]


def test_partial_failure_checkpoints_at_the_lowest_failure(
    harness: Harness, lam: Any, kinesis: Any
) -> None:
    recorder = Recorder()
    failed_once: set[str] = set()

    def report(event: dict[str, Any]) -> Any:
        failures = []
        for record in event["Records"]:
            value = data_of(record)
            if value in ("c", "e") and value not in failed_once:
                failed_once.add(value)
                failures.append({"itemIdentifier": record["kinesis"]["sequenceNumber"]})
        return {"batchItemFailures": failures}

    recorder.answer = report
    name, _, _ = mapped(
        harness,
        lam,
        kinesis,
        recorder,
        before=["a", "b", "c", "d", "e"],
        BatchSize=10,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    advance_until(harness, lambda: len(recorder.events) >= 2)
    put(kinesis, name, ["f"])
    advance_until(harness, lambda: len(recorder.events) >= 3)
    batches = [[data_of(r) for r in e["Records"]] for e in recorder.events]
    # From the lowest failure on: what came before it is done, what came after it too.
    assert batches == [["a", "b", "c", "d", "e"], ["c", "d", "e"], ["f"]]


def test_maximum_record_age_discards_old_records(
    harness: Harness, lam: Any, kinesis: Any, sqs: Any
) -> None:
    recorder = Recorder()

    recorder.answer = always_fail
    failures_url, failures_arn = make_queue(sqs, unique("aged"))
    name, _, _ = mapped(
        harness,
        lam,
        kinesis,
        recorder,
        MaximumRecordAgeInSeconds=60,
        DestinationConfig={"OnFailure": {"Destination": failures_arn}},
    )
    put(kinesis, name, ["old"])
    wait_until(lambda: len(recorder.events) >= 1, timeout=10)
    advance_until(harness, lambda: sqs_count(sqs, failures_url) >= 1, step=10)
    (record,) = failure_records(sqs, failures_url, 1)
    assert record["requestContext"]["condition"] == "RecordAgeExceeded"


def sqs_count(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def test_tumbling_window_carries_state(harness: Harness, lam: Any, kinesis: Any) -> None:
    recorder = Recorder()

    def count(event: dict[str, Any]) -> Any:
        state = dict(event["state"])
        state["count"] = state.get("count", 0) + len(event["Records"])
        return {"state": state, "batchItemFailures": []}

    recorder.answer = count
    _name, arn, _ = mapped(
        harness,
        lam,
        kinesis,
        recorder,
        before=["1", "2", "3"],
        BatchSize=2,
        TumblingWindowInSeconds=30,
    )
    wait_until(lambda: len(datas(recorder)) == 3, timeout=10)
    advance_until(
        harness, lambda: any(e["isFinalInvokeForWindow"] for e in recorder.events), step=10
    )
    events = recorder.events
    final = [e for e in events if e["isFinalInvokeForWindow"]]
    assert len(final) == 1 and final[0]["state"] == {"count": 3}
    first = events[0]
    assert first["state"] == {} and first["shardId"] == "shardId-000000000000"
    assert first["eventSourceARN"] == arn
    assert first["window"]["start"].endswith("Z") and first["isWindowTerminatedEarly"] is False
    # Each invoke of the window starts from the state the one before returned.
    total = 0
    for event in events:
        assert event["state"] == ({"count": total} if total else {})
        total += len(event["Records"])


def test_parallelization_keeps_order_per_key(harness: Harness, lam: Any, kinesis: Any) -> None:
    recorder = Recorder()
    name, _, _ = mapped(harness, lam, kinesis, recorder, BatchSize=5, ParallelizationFactor=4)
    items = [f"key{i % 6}-{i}" for i in range(60)]
    put(kinesis, name, items, key=lambda item: item.split("-")[0])
    wait_until(lambda: len(datas(recorder)) >= 60, timeout=10)
    for key in range(6):
        got = [int(d.split("-")[1]) for d in datas(recorder) if d.startswith(f"key{key}-")]
        assert got == sorted(got)


def test_filters_on_data(harness: Harness, lam: Any, kinesis: Any) -> None:
    recorder = Recorder()
    name, _, _ = mapped(
        harness,
        lam,
        kinesis,
        recorder,
        FilterCriteria={"Filters": [{"Pattern": json.dumps({"data": {"keep": [True]}})}]},
    )
    put(kinesis, name, [json.dumps({"keep": True, "n": 1}), json.dumps({"keep": False}), "x"])
    put(kinesis, name, [json.dumps({"keep": True, "n": 2})])
    wait_until(lambda: len(datas(recorder)) >= 2, timeout=10)
    assert [json.loads(d)["n"] for d in datas(recorder)] == [1, 2]


def test_resharding_reads_parents_before_children(harness: Harness, lam: Any, kinesis: Any) -> None:
    recorder = Recorder()
    name, _, _ = mapped(harness, lam, kinesis, recorder)
    put(kinesis, name, ["before-1", "before-2"])
    wait_until(lambda: len(datas(recorder)) == 2, timeout=10)
    kinesis.update_shard_count(StreamName=name, TargetShardCount=2, ScalingType="UNIFORM_SCALING")
    put(kinesis, name, [f"after-{i}" for i in range(10)])
    advance_until(harness, lambda: len(datas(recorder)) == 12)
    shards = {r["eventID"].split(":")[0] for e in recorder.events for r in e["Records"]}
    assert "shardId-000000000000" in shards and len(shards) >= 2


def test_restart_resumes_after_the_checkpoint(tmp_path: Path) -> None:
    store = f"sqlite:{tmp_path / 'altus.db'}"
    first_recorder = Recorder()
    with Harness(data_dir=tmp_path, store=store) as first:
        first.create_function("reader", first_recorder, Timeout=3)
        kinesis = first.client("kinesis")
        kinesis.create_stream(StreamName="kept", ShardCount=1)
        arn = kinesis.describe_stream_summary(StreamName="kept")["StreamDescriptionSummary"][
            "StreamARN"
        ]
        lam = first.client("lambda")
        uuid = lam.create_event_source_mapping(
            EventSourceArn=arn, FunctionName="reader", StartingPosition="LATEST"
        )["UUID"]
        settled(lam, uuid)
        reading(first, uuid)
        put(kinesis, "kept", ["one", "two"])
        wait_until(lambda: datas(first_recorder) == ["one", "two"], timeout=10)
        lam.update_event_source_mapping(UUID=uuid, Enabled=False)
        settled(lam, uuid, "Disabled")
        put(kinesis, "kept", ["three"])
        lam.update_event_source_mapping(UUID=uuid, Enabled=True)
    recorder = Recorder()
    second = Harness(data_dir=tmp_path, store=store)
    assert second.backend is not None
    second.backend.handlers["reader"] = recorder
    with second:
        lam = second.client("lambda")
        settled(lam, uuid)
        second.client("kinesis").put_record(StreamName="kept", Data=b"four", PartitionKey="k")
        wait_until(lambda: "four" in datas(recorder), timeout=10)
        # Where the first server stopped reading, not before, not after.
        seen = datas(first_recorder) + datas(recorder)
        assert seen.count("one") == 1 and seen.count("two") == 1
        assert "three" in seen


def test_deleting_a_mapping_stops_it(harness: Harness, lam: Any, kinesis: Any) -> None:
    recorder = Recorder()
    name, _, uuid = mapped(harness, lam, kinesis, recorder)
    lam.delete_event_source_mapping(UUID=uuid)

    def gone() -> bool:
        try:
            lam.get_event_source_mapping(UUID=uuid)
        except ClientError:
            return True
        return False

    wait_until(gone, timeout=10)
    put(kinesis, name, ["unseen"])
    advance_until(harness, lambda: True)
    assert datas(recorder) == []


def test_on_failure_to_a_function_and_the_metrics(harness: Harness, lam: Any, kinesis: Any) -> None:
    """A discarded batch's record may go to a function (an Event invoke of it); the
    mapping's counters show on ``GET /metrics``."""
    import urllib.request

    failures = Recorder()
    target = unique("onfailure")
    target_arn = harness.create_function(target, failures)["FunctionArn"]
    recorder = Recorder()

    recorder.answer = always_fail
    _, arn, uuid = mapped(
        harness,
        lam,
        kinesis,
        recorder,
        before=["x", "y"],
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": target_arn}},
    )
    advance_until(harness, lambda: len(failures.events) == 1)
    info = failures.events[0]["KinesisBatchInfo"]
    assert (info["streamArn"], info["batchSize"]) == (arn, 2)
    with urllib.request.urlopen(f"{harness.url}/metrics") as answer:
        text = answer.read().decode()
    assert f'altus_event_source_mapping_records_polled_total{{mapping="{uuid}"}} 2.0' in text
    assert f'altus_event_source_mapping_records_discarded_total{{mapping="{uuid}"}} 2.0' in text
    assert f'altus_event_source_mapping_batch_errors_total{{mapping="{uuid}"}} 1.0' in text


def test_latest_on_a_resharded_stream_starts_every_shard_at_its_end(
    harness: Harness, lam: Any, kinesis: Any
) -> None:
    """A mapping's start resolves its StartingPosition for every shard the stream keeps,
    children of an earlier resharding included: LATEST replays nothing."""
    recorder = Recorder()
    fn = unique("relatest")
    harness.create_function(fn, recorder, Timeout=3)
    name, arn = make_stream(kinesis)
    put(kinesis, name, ["parent-old"])
    kinesis.split_shard(
        StreamName=name,
        ShardToSplit="shardId-000000000000",
        NewStartingHashKey=str(2**127),
    )
    put(kinesis, name, [f"child-old-{i}" for i in range(4)])
    uuid = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=fn, StartingPosition="LATEST"
    )["UUID"]
    settled(lam, uuid)
    reading(harness, uuid)
    put(kinesis, name, ["new"])
    advance_until(harness, lambda: "new" in datas(recorder))
    assert datas(recorder) == ["new"]


def test_a_window_read_while_behind_ends_once(harness: Harness, lam: Any, kinesis: Any) -> None:
    """Records of a window that ended before they were read: its invokes carry the state
    on, and only the last says isFinalInvokeForWindow."""
    recorder = Recorder()

    def count(event: dict[str, Any]) -> Any:
        return {"state": {"n": event["state"].get("n", 0) + len(event["Records"])}}

    recorder.answer = count
    fn = unique("behind")
    harness.create_function(fn, recorder, Timeout=3)
    name, arn = make_stream(kinesis)
    put(kinesis, name, [f"r{i}" for i in range(6)])
    harness.advance(120)
    uuid = lam.create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName=fn,
        StartingPosition="TRIM_HORIZON",
        TumblingWindowInSeconds=60,
        BatchSize=2,
    )["UUID"]
    settled(lam, uuid)
    advance_until(harness, lambda: any(e["isFinalInvokeForWindow"] for e in recorder.events))
    finals = [e for e in recorder.events if e["isFinalInvokeForWindow"]]
    assert len(finals) == 1 and finals[0]["state"] == {"n": 6}
    assert len({e["window"]["start"] for e in recorder.events}) == 1


def test_a_window_retries_from_a_reported_failure(harness: Harness, lam: Any, kinesis: Any) -> None:
    recorder = Recorder()
    failed: set[str] = set()

    def report(event: dict[str, Any]) -> Any:
        failures = []
        for record in event["Records"]:
            if data_of(record) == "b" and "b" not in failed:
                failed.add("b")
                failures.append({"itemIdentifier": record["kinesis"]["sequenceNumber"]})
        return {"state": {"seen": event["state"].get("seen", 0) + 1}, "batchItemFailures": failures}

    recorder.answer = report
    mapped(
        harness,
        lam,
        kinesis,
        recorder,
        before=["a", "b", "c"],
        TumblingWindowInSeconds=60,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    advance_until(harness, lambda: len(recorder.events) >= 2)
    batches = [[data_of(r) for r in e["Records"]] for e in recorder.events[:2]]
    assert batches == [["a", "b", "c"], ["b", "c"]]
    assert recorder.events[1]["state"] == {"seen": 1}


def test_a_failing_batch_is_given_up_when_its_records_expire(
    harness: Harness, lam: Any, kinesis: Any
) -> None:
    """With MaximumRetryAttempts and MaximumRecordAgeInSeconds both -1, a failing batch
    blocks its shard until its records leave the stream (24 hours), then the shard moves
    on; retries pause in between."""
    recorder = Recorder()

    recorder.answer = fail_on_bad
    name, _, _ = mapped(harness, lam, kinesis, recorder, before=["bad"])
    wait_until(lambda: len(recorder.events) >= 1, timeout=10)
    time.sleep(0.2)
    assert len(recorder.events) <= 2  # a pause between retries, not a spin
    for _ in range(12):
        harness.advance(3600)
    put(kinesis, name, ["good"])  # half a day younger than "bad"
    advance_until(harness, lambda: "good" in datas(recorder), step=3600)
    assert datas(recorder).count("good") == 1


def test_a_failure_record_whose_queue_is_gone_is_parked_not_lost(
    harness: Harness, lam: Any, kinesis: Any, sqs: Any
) -> None:
    """The record of a discarded batch goes through the asynchronous outbox: a
    destination that went away gets it retried, then parked for `altus queue replay`."""
    recorder = Recorder()

    recorder.answer = always_fail
    url, failures_arn = make_queue(sqs, unique("vanishing"))
    name, _, _ = mapped(
        harness,
        lam,
        kinesis,
        recorder,
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": failures_arn}},
    )
    sqs.delete_queue(QueueUrl=url)
    put(kinesis, name, ["lost?"])

    async def parked(platform: Any) -> list[Any]:
        records = await platform.component("lambda").async_invoker.parked()
        return [r for r in records if r.target == failures_arn]

    advance_until(harness, lambda: bool(harness.call(parked)), step=900)
    (record,) = harness.call(parked)
    assert json.loads(record.body)["KinesisBatchInfo"]["batchSize"] == 1
    assert record.kind == "OnFailure"

"""Event source mappings through boto3 against a server in this process (the public
harness, a fake clock): the mapping API's lifecycle, states and Lambda's validation
messages, and SQS mappings end to end: batches in Lambda's SQS record shape, failures
returning to the queue and redriven to its dead-letter queue, ReportBatchItemFailures,
FIFO order, filters, batching windows, MaximumConcurrency, aliases, tags, restarts."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from altus.testing import Harness, wait_until

ACCOUNT = "000000000000"
REGION = "us-east-1"


class Recorder:
    """A handler that keeps every event it gets, and answers what ``answer`` says."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.answer: Callable[[dict[str, Any]], Any] = lambda event: None
        self.lock = threading.Lock()
        self.running = 0
        self.most_running = 0
        self.hold = 0.0

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        with self.lock:
            self.events.append(event)
            self.running += 1
            self.most_running = max(self.most_running, self.running)
        try:
            if self.hold:
                time.sleep(self.hold)
            return self.answer(event)
        finally:
            with self.lock:
                self.running -= 1

    def bodies(self) -> list[str]:
        with self.lock:
            return [r["body"] for e in self.events for r in e["Records"]]


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    with Harness() as altus:
        yield altus


@pytest.fixture(scope="module")
def lam(harness: Harness) -> Any:
    return harness.client("lambda")


@pytest.fixture(scope="module")
def sqs(harness: Harness) -> Any:
    return harness.client("sqs")


_count = 0


def unique(prefix: str) -> str:
    global _count
    _count += 1
    return f"{prefix}{_count}"


def make_queue(sqs: Any, name: str, **attributes: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return url, arn


def settled(lam: Any, uuid: str, state: str = "Enabled") -> dict[str, Any]:
    found: dict[str, Any] = {}

    def check() -> bool:
        found.update(lam.get_event_source_mapping(UUID=uuid))
        return found["State"] == state

    wait_until(check, timeout=10)
    return found


def refusal(call: Callable[..., Any], **kwargs: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    error = raised.value.response
    return (
        error["Error"]["Code"],
        error["Error"]["Message"],
        error["ResponseMetadata"]["HTTPStatusCode"],
    )


def advance_until(harness: Harness, check: Callable[[], bool], step: float = 0.5) -> None:
    """Move the fake clock on in steps until ``check()`` holds (pollers that were not yet
    waiting when the clock moved wait from the time they start)."""

    def moved() -> bool:
        if check():
            return True
        harness.advance(step)
        return check()

    wait_until(moved, timeout=10, interval=0.05)


def visible(sqs: Any, url: str) -> tuple[int, int]:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return (
        int(attributes["ApproximateNumberOfMessages"]),
        int(attributes["ApproximateNumberOfMessagesNotVisible"]),
    )


# --- lifecycle --------------------------------------------------------------------------


def test_lifecycle_states_and_listing(harness: Harness, lam: Any, sqs: Any) -> None:
    fn = unique("life")
    harness.create_function(fn, Recorder())
    _, arn = make_queue(sqs, unique("lifeq"))
    created = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=fn)
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert created["State"] == "Creating"
    assert created["StateTransitionReason"] == "USER_INITIATED"
    assert created["BatchSize"] == 10
    assert created["MaximumBatchingWindowInSeconds"] == 0
    assert created["FunctionArn"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{fn}"
    assert created["EventSourceMappingArn"] == (
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:event-source-mapping:{created['UUID']}"
    )
    assert created["FunctionResponseTypes"] == []
    # A queue mapping shows no stream settings.
    assert "StartingPosition" not in created and "DestinationConfig" not in created
    uuid = created["UUID"]
    settled(lam, uuid)

    by_function = lam.list_event_source_mappings(FunctionName=fn)["EventSourceMappings"]
    by_source = lam.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"]
    assert [m["UUID"] for m in by_function] == [uuid] == [m["UUID"] for m in by_source]
    assert lam.list_event_source_mappings(EventSourceArn=arn + "x")["EventSourceMappings"] == []

    updated = lam.update_event_source_mapping(UUID=uuid, BatchSize=7)
    assert updated["State"] == "Updating" and updated["BatchSize"] == 7
    settled(lam, uuid)
    disabled = lam.update_event_source_mapping(UUID=uuid, Enabled=False)
    assert disabled["State"] == "Disabling"
    settled(lam, uuid, "Disabled")
    assert lam.update_event_source_mapping(UUID=uuid, Enabled=True)["State"] == "Enabling"
    settled(lam, uuid)

    deleted = lam.delete_event_source_mapping(UUID=uuid)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert deleted["State"] == "Deleting"

    def gone() -> bool:
        try:
            lam.get_event_source_mapping(UUID=uuid)
        except ClientError as error:
            return error.response["Error"]["Code"] == "ResourceNotFoundException"
        return False

    wait_until(gone, timeout=10)
    code, message, status = refusal(lam.get_event_source_mapping, UUID=uuid)
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert message == "The resource you requested does not exist."


def test_created_disabled_and_paged(harness: Harness, lam: Any, sqs: Any) -> None:
    fn = unique("paged")
    harness.create_function(fn, Recorder())
    uuids = []
    for _ in range(3):
        _, arn = make_queue(sqs, unique("pagedq"))
        uuids.append(
            lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=fn, Enabled=False)[
                "UUID"
            ]
        )
    for uuid in uuids:
        settled(lam, uuid, "Disabled")
    seen: list[str] = []
    marker: dict[str, str] = {}
    for _ in range(5):
        page = lam.list_event_source_mappings(FunctionName=fn, MaxItems=2, **marker)
        seen += [m["UUID"] for m in page["EventSourceMappings"]]
        if "NextMarker" not in page:
            break
        marker = {"Marker": page["NextMarker"]}
    assert sorted(seen) == sorted(uuids)


def test_validation_messages(harness: Harness, lam: Any, sqs: Any) -> None:
    fn = unique("valid")
    harness.create_function(fn, Recorder(), Timeout=60)
    short = unique("validshort")
    harness.create_function(short, Recorder(), Timeout=3)
    _, arn = make_queue(sqs, unique("validq"))
    _, fifo = make_queue(sqs, unique("validq") + ".fifo", FifoQueue="true")

    def refused(**kwargs: Any) -> tuple[str, str]:
        code, message, _ = refusal(lam.create_event_source_mapping, **kwargs)
        return code, message

    assert refused(EventSourceArn=arn, FunctionName=fn) == (
        "InvalidParameterValueException",
        "Queue visibility timeout: 30 seconds is less than Function timeout: 60 seconds",
    )
    assert refused(EventSourceArn=arn, FunctionName=short, BatchSize=11) == (
        "InvalidParameterValueException",
        "Maximum batch window in seconds must be greater than 0 if maximum batch size is "
        "greater than 10",
    )
    assert refused(EventSourceArn=fifo, FunctionName=short, BatchSize=11)[0] == (
        "InvalidParameterValueException"
    )
    assert refused(EventSourceArn=arn, FunctionName=short, StartingPosition="LATEST") == (
        "InvalidParameterValueException",
        "StartingPosition is not valid for SQS event sources.",
    )
    assert refused(EventSourceArn=arn, FunctionName=short, BisectBatchOnFunctionError=True) == (
        "InvalidParameterValueException",
        "Unsupported BisectBatchOnFunctionError parameter for given event source mapping type.",
    )
    assert refused(
        EventSourceArn=arn,
        FunctionName=short,
        DestinationConfig={"OnSuccess": {"Destination": arn}},
    )[0] == ("InvalidParameterValueException")
    assert refused(
        EventSourceArn=arn,
        FunctionName=short,
        FilterCriteria={"Filters": [{"Pattern": '{"body": "not a list"}'}]},
    ) == ("InvalidParameterValueException", "Invalid filter pattern definition.")
    assert refused(
        EventSourceArn=arn,
        FunctionName=short,
        FilterCriteria={"Filters": [{"Pattern": "{not json"}]},
    ) == ("InvalidParameterValueException", "Invalid filter pattern definition.")
    missing = arn + "-missing"
    code, message = refused(EventSourceArn=missing, FunctionName=short)
    assert code == "InvalidParameterValueException" and "NonExistentQueue" in message
    code, message, status = refusal(
        lam.create_event_source_mapping, EventSourceArn=arn, FunctionName=unique("nofn")
    )
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert message.startswith("Function not found: arn:aws:lambda:")
    code, message = refused(
        EventSourceArn=f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/t/stream/x", FunctionName=short
    )
    assert code == "InvalidParameterValueException"
    # A second mapping of the same queue to the same function.
    first = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=short)
    code, message, status = refusal(
        lam.create_event_source_mapping, EventSourceArn=arn, FunctionName=short
    )
    assert (code, status) == ("ResourceConflictException", 409)
    assert message == (
        f'An event source mapping with SQS arn (" {arn} ") and function (" {short} ") '
        "already exists. Please update or delete the existing mapping with UUID "
        f"{first['UUID']}"
    )
    settled(lam, first["UUID"])
    code, message, status = refusal(
        lam.update_event_source_mapping, UUID=first["UUID"], BatchSize=50
    )
    assert code == "InvalidParameterValueException" and "batch window" in message
    assert lam.get_event_source_mapping(UUID=first["UUID"])["BatchSize"] == 10  # unchanged
    code, _, status = refusal(
        lam.update_event_source_mapping, UUID="00000000-0000-0000-0000-000000000000", BatchSize=5
    )
    assert (code, status) == ("ResourceNotFoundException", 404)
    lam.delete_event_source_mapping(UUID=first["UUID"])


# --- SQS batches ------------------------------------------------------------------------


def mapped(
    harness: Harness, lam: Any, sqs: Any, recorder: Recorder, **mapping: Any
) -> tuple[str, str, str]:
    """A function running ``recorder``, a queue (attributes from ``queue``) and an
    enabled mapping of the two: (queue URL, queue ARN, mapping UUID)."""
    fn = unique("fn")
    harness.create_function(fn, recorder, Timeout=3)
    queue = mapping.pop("queue", {})
    name = unique("q") + (".fifo" if queue.get("FifoQueue") == "true" else "")
    url, arn = make_queue(sqs, name, **queue)
    uuid = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=fn, **mapping)["UUID"]
    settled(lam, uuid)
    return url, arn, uuid


def test_batches_have_lambdas_sqs_record_shape(harness: Harness, lam: Any, sqs: Any) -> None:
    recorder = Recorder()
    url, arn, _ = mapped(harness, lam, sqs, recorder, BatchSize=10)
    sqs.send_message(
        QueueUrl=url,
        MessageBody="hello",
        MessageAttributes={
            "n": {"DataType": "Number", "StringValue": "100"},
            "b": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )
    wait_until(lambda: recorder.bodies() == ["hello"], timeout=10)
    record = recorder.events[0]["Records"][0]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == arn
    assert record["awsRegion"] == REGION
    assert record["body"] == "hello"
    attributes = record["attributes"]
    assert attributes["ApproximateReceiveCount"] == "1"
    assert all(isinstance(v, str) for v in attributes.values())
    assert set(attributes) >= {"SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"}
    assert record["messageAttributes"]["n"] == {
        "stringValue": "100",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "Number",
    }
    assert record["messageAttributes"]["b"]["binaryValue"] == "AAE="
    assert record["md5OfBody"] == "5d41402abc4b2a76b9719d911017c592"
    assert "md5OfMessageAttributes" in record
    # Success deleted it.
    wait_until(lambda: visible(sqs, url) == (0, 0), timeout=10)


def test_failure_returns_batch_and_redrives_to_dlq(harness: Harness, lam: Any, sqs: Any) -> None:
    recorder = Recorder()

    def fail(event: dict[str, Any]) -> Any:
        raise RuntimeError("no")

    recorder.answer = fail
    dlq_url, dlq_arn = make_queue(sqs, unique("dlq"))
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})
    url, _, _ = mapped(
        harness,
        lam,
        sqs,
        recorder,
        queue={"RedrivePolicy": redrive, "VisibilityTimeout": "10"},
    )
    sqs.send_message(QueueUrl=url, MessageBody="poison")
    wait_until(lambda: len(recorder.events) == 1, timeout=10)
    # Nothing deleted: it is hidden until the visibility timeout ends, then received again.
    assert visible(sqs, url) == (0, 1)
    harness.advance(11)
    wait_until(lambda: len(recorder.events) == 2, timeout=10)
    second = recorder.events[1]["Records"][0]
    assert second["attributes"]["ApproximateReceiveCount"] == "2"
    harness.advance(11)
    # Past maxReceiveCount: the queue moves it to its dead-letter queue.
    wait_until(lambda: visible(sqs, dlq_url) == (1, 0), timeout=10)
    assert len(recorder.events) == 2
    body = sqs.receive_message(QueueUrl=dlq_url)["Messages"][0]["Body"]
    assert body == "poison"


def test_report_batch_item_failures(harness: Harness, lam: Any, sqs: Any) -> None:
    recorder = Recorder()

    def some_fail(event: dict[str, Any]) -> Any:
        return {
            "batchItemFailures": [
                {"itemIdentifier": r["messageId"]}
                for r in event["Records"]
                if r["body"].startswith("bad")
            ]
        }

    recorder.answer = some_fail
    url, _, _ = mapped(
        harness,
        lam,
        sqs,
        recorder,
        BatchSize=10,
        MaximumBatchingWindowInSeconds=1,
        FunctionResponseTypes=["ReportBatchItemFailures"],
        queue={"VisibilityTimeout": "10"},
    )
    entries = [
        {"Id": str(i), "MessageBody": f"{'bad' if i % 3 == 0 else 'good'}{i}"} for i in range(6)
    ]
    sqs.send_message_batch(QueueUrl=url, Entries=entries)
    advance_until(harness, lambda: len(recorder.bodies()) >= 6)
    # Only the two reported stay (hidden); the four others are gone.
    wait_until(lambda: visible(sqs, url) == (0, 2), timeout=10)
    harness.advance(10)
    advance_until(harness, lambda: len(recorder.bodies()) >= 8)
    assert sorted(recorder.bodies()[6:]) == ["bad0", "bad3"]


def test_malformed_partial_response_fails_the_whole_batch(
    harness: Harness, lam: Any, sqs: Any
) -> None:
    recorder = Recorder()
    recorder.answer = lambda event: {"batchItemFailures": [{"itemIdentifier": "unknown-id"}]}
    url, _, _ = mapped(
        harness,
        lam,
        sqs,
        recorder,
        FunctionResponseTypes=["ReportBatchItemFailures"],
        queue={"VisibilityTimeout": "10"},
    )
    sqs.send_message(QueueUrl=url, MessageBody="x")
    wait_until(lambda: len(recorder.events) == 1, timeout=10)
    assert visible(sqs, url) == (0, 1)


def test_fifo_keeps_group_order(harness: Harness, lam: Any, sqs: Any) -> None:
    recorder = Recorder()
    url, _, _ = mapped(
        harness,
        lam,
        sqs,
        recorder,
        BatchSize=3,
        queue={"FifoQueue": "true", "ContentBasedDeduplication": "true"},
    )
    for i in range(12):
        sqs.send_message(QueueUrl=url, MessageBody=f"{'ab'[i % 2]}{i}", MessageGroupId="ab"[i % 2])
    wait_until(lambda: len(recorder.bodies()) == 12, timeout=10)
    for group in "ab":
        got = [b for b in recorder.bodies() if b.startswith(group)]
        assert got == [f"{group}{i}" for i in range(12) if "ab"[i % 2] == group]
    record = recorder.events[0]["Records"][0]
    assert record["attributes"]["MessageGroupId"] in ("a", "b")
    assert "SequenceNumber" in record["attributes"]


def test_filtered_out_messages_are_consumed(harness: Harness, lam: Any, sqs: Any) -> None:
    recorder = Recorder()
    url, _, _ = mapped(
        harness,
        lam,
        sqs,
        recorder,
        FilterCriteria={"Filters": [{"Pattern": json.dumps({"body": {"kind": ["order"]}})}]},
    )
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"kind": "order", "n": 1}))
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"kind": "noise"}))
    sqs.send_message(QueueUrl=url, MessageBody="plain text")
    wait_until(lambda: visible(sqs, url) == (0, 0), timeout=10)
    bodies = recorder.bodies()
    assert [json.loads(b)["kind"] for b in bodies] == ["order"]


def test_batching_window_gathers_a_batch(harness: Harness, lam: Any, sqs: Any) -> None:
    recorder = Recorder()
    url, _, _ = mapped(harness, lam, sqs, recorder, BatchSize=50, MaximumBatchingWindowInSeconds=5)
    for i in range(3):
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(j), "MessageBody": f"{i}-{j}"} for j in range(10)],
        )
    time.sleep(0.2)
    assert recorder.events == []  # the window is still open
    advance_until(harness, lambda: len(recorder.bodies()) == 30, step=2)
    assert len(recorder.events) == 1


def test_maximum_concurrency_caps_batches_in_flight(harness: Harness, lam: Any, sqs: Any) -> None:
    recorder = Recorder()
    recorder.hold = 0.2
    url, _, _ = mapped(
        harness, lam, sqs, recorder, BatchSize=1, ScalingConfig={"MaximumConcurrency": 2}
    )
    for i in range(10):
        sqs.send_message(QueueUrl=url, MessageBody=str(i))
    wait_until(lambda: len(recorder.bodies()) == 10, timeout=20)
    assert recorder.most_running == 2


def test_mapping_on_an_alias_invokes_its_version(harness: Harness, lam: Any, sqs: Any) -> None:
    recorder = Recorder()
    fn = unique("aliased")
    harness.create_function(fn, recorder, Timeout=3)
    version = lam.publish_version(FunctionName=fn)["Version"]
    lam.create_alias(FunctionName=fn, Name="live", FunctionVersion=version)
    url, arn = make_queue(sqs, unique("aliasq"))
    created = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=f"{fn}:live")
    assert created["FunctionArn"].endswith(f":function:{fn}:live")
    settled(lam, created["UUID"])
    listed = lam.list_event_source_mappings(FunctionName=fn)["EventSourceMappings"]
    assert [m["UUID"] for m in listed] == [created["UUID"]]
    sqs.send_message(QueueUrl=url, MessageBody="to the alias")
    wait_until(lambda: recorder.bodies() == ["to the alias"], timeout=10)


def test_tags_on_a_mapping(harness: Harness, lam: Any, sqs: Any) -> None:
    _, _, uuid = mapped(harness, lam, sqs, Recorder(), Tags={"team": "a"})
    arn = lam.get_event_source_mapping(UUID=uuid)["EventSourceMappingArn"]
    assert lam.list_tags(Resource=arn)["Tags"] == {"team": "a"}
    lam.tag_resource(Resource=arn, Tags={"env": "test"})
    lam.untag_resource(Resource=arn, TagKeys=["team"])
    assert lam.list_tags(Resource=arn)["Tags"] == {"env": "test"}


def test_disabled_mapping_leaves_messages(harness: Harness, lam: Any, sqs: Any) -> None:
    recorder = Recorder()
    url, _, uuid = mapped(harness, lam, sqs, recorder)
    lam.update_event_source_mapping(UUID=uuid, Enabled=False)
    settled(lam, uuid, "Disabled")
    sqs.send_message(QueueUrl=url, MessageBody="later")
    time.sleep(0.3)
    assert recorder.bodies() == [] and visible(sqs, url) == (1, 0)
    lam.update_event_source_mapping(UUID=uuid, Enabled=True)
    wait_until(lambda: recorder.bodies() == ["later"], timeout=10)


def test_mappings_survive_a_restart(tmp_path: Path) -> None:
    """A restart resumes every enabled mapping where it was: a batch that failed before
    the stop comes back after its visibility timeout and is delivered then; a disabled
    mapping stays disabled."""
    store = f"sqlite:{tmp_path / 'altus.db'}"
    failing = Recorder()

    def fail(event: dict[str, Any]) -> Any:
        raise RuntimeError("not yet")

    failing.answer = fail
    with Harness(data_dir=tmp_path, store=store) as first:
        first.create_function("keeper", failing, Timeout=3)
        sqs = first.client("sqs")
        url, arn = make_queue(sqs, "kept", VisibilityTimeout="5")
        _, idle_arn = make_queue(sqs, "idle")
        lam = first.client("lambda")
        uuid = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="keeper")["UUID"]
        idle = lam.create_event_source_mapping(
            EventSourceArn=idle_arn, FunctionName="keeper", Enabled=False
        )["UUID"]
        settled(lam, uuid)
        sqs.send_message(QueueUrl=url, MessageBody="again")
        wait_until(lambda: len(failing.events) == 1, timeout=10)
    recorder = Recorder()
    second = Harness(data_dir=tmp_path, store=store)
    assert second.backend is not None
    second.backend.handlers["keeper"] = recorder
    with second:
        lam = second.client("lambda")
        mapping = settled(lam, uuid)
        assert mapping["EventSourceArn"] == arn
        assert settled(lam, idle, "Disabled")["State"] == "Disabled"
        advance_until(second, lambda: recorder.bodies() == ["again"], step=2)
        record = recorder.events[0]["Records"][0]
        assert record["attributes"]["ApproximateReceiveCount"] == "2"


def test_reserved_concurrency_bounds_a_mapping(harness: Harness, lam: Any, sqs: Any) -> None:
    """Batches go through the same admission as Invoke: a function reserved to one
    environment runs one batch at a time, and the mapping waits its turn rather than
    failing batches."""
    recorder = Recorder()
    recorder.hold = 0.05
    fn = unique("reserved")
    harness.create_function(fn, recorder, Timeout=3)
    lam.put_function_concurrency(FunctionName=fn, ReservedConcurrentExecutions=1)
    url, arn = make_queue(sqs, unique("reservedq"))
    uuid = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=fn, BatchSize=2)["UUID"]
    settled(lam, uuid)
    for i in range(12):
        sqs.send_message(QueueUrl=url, MessageBody=str(i))
    advance_until(harness, lambda: len(recorder.bodies()) >= 12, step=0.2)
    assert recorder.most_running == 1
    assert sorted(recorder.bodies(), key=int) == [str(i) for i in range(12)]


def test_a_queue_deleted_under_an_open_window_leaves_the_server_answering(
    harness: Harness, lam: Any, sqs: Any
) -> None:
    recorder = Recorder()
    url, _, uuid = mapped(
        harness, lam, sqs, recorder, BatchSize=50, MaximumBatchingWindowInSeconds=60
    )
    sqs.send_message(QueueUrl=url, MessageBody="alone")
    time.sleep(0.1)  # a worker holds it, waiting for more
    sqs.delete_queue(QueueUrl=url)
    quick = harness.client("lambda", read_timeout=5)
    assert quick.get_event_source_mapping(UUID=uuid)["UUID"] == uuid


def test_an_event_stays_under_six_megabytes(harness: Harness, lam: Any, sqs: Any) -> None:
    """A batch is cut at 6 MB of event; what did not fit comes in the next one, once."""
    recorder = Recorder()
    sizes: list[int] = []

    def measure(event: dict[str, Any]) -> Any:
        sizes.append(len(json.dumps(event).encode()))
        return None

    recorder.answer = measure
    url, _, _ = mapped(harness, lam, sqs, recorder, BatchSize=100, MaximumBatchingWindowInSeconds=1)
    for i in range(30):
        sqs.send_message(QueueUrl=url, MessageBody=f"{i:03d}" + "x" * 249_997)
    advance_until(harness, lambda: len(recorder.bodies()) >= 30)
    assert len(recorder.events) >= 2
    assert max(sizes) <= 6 * 1024 * 1024
    assert sorted(b[:3] for b in recorder.bodies()) == [f"{i:03d}" for i in range(30)]

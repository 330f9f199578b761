"""Event source mappings on a real ``altus up`` (each store), with real functions that
forward what they get to another queue through boto3 inside their sandbox: SQS mappings
end to end, and a SIGKILL in the middle of processing, after which every message sent
is delivered (at least once) and FIFO groups keep their order."""

from __future__ import annotations

import json
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.conftest import Server, create_function, lambda_client, python_function, start_server

pytestmark = pytest.mark.integration

#: Forwards every record's body to the queue $OUT (to a FIFO queue in the record's group,
#: with a deduplication id of its own so that a redelivery shows), then waits $HOLD s.
FORWARDER = python_function(
    """
import os, time, uuid, boto3

sqs = boto3.client("sqs")


def handler(event, context):
    out = os.environ["OUT"]
    entries = []
    for record in event["Records"]:
        entry = {"Id": str(len(entries)), "MessageBody": record["body"]}
        if out.endswith(".fifo"):
            entry["MessageGroupId"] = record["attributes"].get("MessageGroupId", "-")
            entry["MessageDeduplicationId"] = uuid.uuid4().hex
        entries.append(entry)
    for start in range(0, len(entries), 10):
        sent = sqs.send_message_batch(QueueUrl=out, Entries=entries[start : start + 10])
        assert not sent.get("Failed"), sent
    time.sleep(float(os.environ.get("HOLD", "0")))
"""
)


def clients(server: Server) -> tuple[Any, Any]:
    config = Config(retries={"total_max_attempts": 1}, read_timeout=70)
    sqs = boto3.client(
        "sqs",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=config,
    )
    return lambda_client(server.url), sqs


def make_queue(sqs: Any, name: str, **attributes: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return url, arn


def take(sqs: Any, url: str) -> list[str]:
    """The bodies of one receive from ``url`` (up to 10, waiting up to a second), deleted."""
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
        "Messages", []
    )
    if messages:
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
            ],
        )
    return [m["Body"] for m in messages]


def drain(sqs: Any, url: str, want: set[str], timeout: float = 90) -> list[str]:
    """Bodies received from ``url`` in the order received, until every one of ``want``
    came or ``timeout`` passed."""
    got: list[str] = []
    deadline = time.monotonic() + timeout
    while not want <= set(got) and time.monotonic() < deadline:
        got += take(sqs, url)
    return got


def send_all(sqs: Any, url: str, bodies: list[str], fifo: bool = False) -> None:
    for start in range(0, len(bodies), 10):
        entries: list[dict[str, Any]] = []
        for body in bodies[start : start + 10]:
            entry = {"Id": str(len(entries)), "MessageBody": body}
            if fifo:  # the group is the body's first letter
                entry |= {"MessageGroupId": body[0], "MessageDeduplicationId": uuid.uuid4().hex}
            entries.append(entry)
        sqs.send_message_batch(QueueUrl=url, Entries=entries)


def wait_state(lam: Any, uuid_: str, state: str = "Enabled", timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if lam.get_event_source_mapping(UUID=uuid_)["State"] == state:
            return
        time.sleep(0.05)
    raise AssertionError(f"mapping {uuid_} never became {state}")


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, module_store: dict[str, str]
) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("mappings"), extra_env=module_store)
    yield running
    running.stop()


def test_sqs_mapping_forwards_every_message(server: Server) -> None:
    lam, sqs = clients(server)
    out_url, _ = make_queue(sqs, "fwd-out")
    _, source = make_queue(sqs, "fwd-in")
    create_function(lam, "forwarder", FORWARDER, Environment={"Variables": {"OUT": out_url}})
    mapping = lam.create_event_source_mapping(
        EventSourceArn=source,
        FunctionName="forwarder",
        BatchSize=100,
        MaximumBatchingWindowInSeconds=1,
    )
    wait_state(lam, mapping["UUID"])
    source_url = sqs.get_queue_url(QueueName="fwd-in")["QueueUrl"]
    bodies = [f"m{i}" for i in range(250)]
    send_all(sqs, source_url, bodies)
    got = drain(sqs, out_url, set(bodies))
    assert set(got) == set(bodies)
    counted = sqs.get_queue_attributes(
        QueueUrl=source_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    assert counted["ApproximateNumberOfMessages"] == "0"
    lam.delete_event_source_mapping(UUID=mapping["UUID"])


def test_sigkill_during_processing_loses_nothing(
    tmp_path: Path, server_store: dict[str, str]
) -> None:
    """Messages are deleted only after their batch succeeded: a SIGKILL while batches
    are in flight leaves them in the queue, and the restarted server's mapping delivers
    them. FIFO groups keep their order through it (a redelivered batch repeats a run of
    a group, never jumps back before what came after it)."""
    server = start_server(tmp_path, extra_env=server_store)
    try:
        lam, sqs = clients(server)
        out_url, _ = make_queue(sqs, "kill-out.fifo", FifoQueue="true")
        std_url, std_arn = make_queue(sqs, "kill-in", VisibilityTimeout="5")
        fifo_url, fifo_arn = make_queue(
            sqs, "kill-in.fifo", FifoQueue="true", VisibilityTimeout="5"
        )
        create_function(
            lam,
            "slow-forwarder",
            FORWARDER,
            Timeout=3,
            Environment={"Variables": {"OUT": out_url, "HOLD": "0.05"}},
        )
        uuids = [
            lam.create_event_source_mapping(
                EventSourceArn=arn, FunctionName="slow-forwarder", BatchSize=10
            )["UUID"]
            for arn in (std_arn, fifo_arn)
        ]
        for mapping in uuids:
            wait_state(lam, mapping)
        plain = [f"s{i}" for i in range(200)]
        grouped = [f"{'xyz'[i % 3]}{i}" for i in range(150)]
        send_all(sqs, std_url, plain)
        send_all(sqs, fifo_url, grouped, fifo=True)
        # Some delivered, then the server dies mid-stream.
        before: list[str] = []
        deadline = time.monotonic() + 30
        while len(before) < 40 and time.monotonic() < deadline:
            before += take(sqs, out_url)
        assert len(before) >= 40, "nothing was delivered before the kill"
        server.stop(signal.SIGKILL)
        server = start_server(tmp_path, extra_env=server_store)
        lam, sqs = clients(server)
        after = drain(sqs, out_url, set(plain + grouped) - set(before), timeout=120)
        everything = before + after
        assert set(plain) <= set(everything)
        assert set(grouped) <= set(everything)
        for group in "xyz":
            seen = [int(b[1:]) for b in everything if b[0] == group]
            firsts: list[int] = []
            for number in seen:
                if number not in firsts:
                    firsts.append(number)
            assert firsts == sorted(firsts), f"group {group} out of order: {seen}"
        for mapping in uuids:
            assert lam.get_event_source_mapping(UUID=mapping)["State"] == "Enabled"
    finally:
        server.stop()


def test_mapping_settings_round_trip_through_the_cli_model(server: Server) -> None:
    """What boto3 sends for every SQS field comes back as Lambda shows it."""
    lam, sqs = clients(server)
    _, source = make_queue(sqs, "fields-in")
    create_function(lam, "fields", python_function("def handler(e, c):\n    return None\n"))
    pattern = json.dumps({"body": {"kind": [{"prefix": "a"}]}})
    created = lam.create_event_source_mapping(
        EventSourceArn=source,
        FunctionName="fields",
        BatchSize=200,
        MaximumBatchingWindowInSeconds=2,
        Enabled=False,
        FilterCriteria={"Filters": [{"Pattern": pattern}]},
        FunctionResponseTypes=["ReportBatchItemFailures"],
        ScalingConfig={"MaximumConcurrency": 3},
        MetricsConfig={"Metrics": ["EventCount"]},
        Tags={"a": "b"},
    )
    wait_state(lam, created["UUID"], "Disabled")
    got = lam.get_event_source_mapping(UUID=created["UUID"])
    assert got["BatchSize"] == 200 and got["MaximumBatchingWindowInSeconds"] == 2
    assert got["FilterCriteria"] == {"Filters": [{"Pattern": pattern}]}
    assert got["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert got["ScalingConfig"] == {"MaximumConcurrency": 3}
    assert got["MetricsConfig"] == {"Metrics": ["EventCount"]}
    assert lam.list_tags(Resource=got["EventSourceMappingArn"])["Tags"] == {"a": "b"}
    lam.delete_event_source_mapping(UUID=created["UUID"])


#: Forwards every Kinesis record to the FIFO queue $OUT as "<shard> <sequence> <data>",
#: in a group per shard (a deduplication id of its own: redeliveries show), then waits.
STREAM_FORWARDER = python_function(
    """
import base64, os, time, uuid, boto3

sqs = boto3.client("sqs")


def handler(event, context):
    entries = []
    for record in event["Records"]:
        shard = record["eventID"].split(":")[0]
        body = " ".join(
            (shard, record["kinesis"]["sequenceNumber"],
             base64.b64decode(record["kinesis"]["data"]).decode())
        )
        entries.append({"Id": str(len(entries)), "MessageBody": body,
                        "MessageGroupId": shard, "MessageDeduplicationId": uuid.uuid4().hex})
    for start in range(0, len(entries), 10):
        sent = sqs.send_message_batch(QueueUrl=os.environ["OUT"], Entries=entries[start:start + 10])
        assert not sent.get("Failed"), sent
    time.sleep(float(os.environ.get("HOLD", "0")))
"""
)


def test_sigkill_during_stream_processing_resumes_after_the_checkpoint(
    tmp_path: Path, server_store: dict[str, str]
) -> None:
    """A stream mapping writes its checkpoint after each batch: a SIGKILL mid-stream
    and a restart deliver every record at least once, each shard in order (a batch
    redelivered repeats a run, never jumps back before what came after it)."""
    server = start_server(tmp_path, extra_env=server_store)
    try:
        lam, sqs = clients(server)
        kinesis = boto3.client(
            "kinesis",
            endpoint_url=server.url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        out_url, _ = make_queue(sqs, "stream-out.fifo", FifoQueue="true")
        kinesis.create_stream(StreamName="killed", ShardCount=2)
        arn = kinesis.describe_stream_summary(StreamName="killed")["StreamDescriptionSummary"][
            "StreamARN"
        ]
        create_function(
            lam,
            "stream-forwarder",
            STREAM_FORWARDER,
            Environment={"Variables": {"OUT": out_url, "HOLD": "0.05"}},
        )
        uuid_ = lam.create_event_source_mapping(
            EventSourceArn=arn,
            FunctionName="stream-forwarder",
            StartingPosition="TRIM_HORIZON",
            BatchSize=10,
        )["UUID"]
        wait_state(lam, uuid_)
        sent = [f"r{i}" for i in range(300)]
        for start in range(0, len(sent), 50):
            answer = kinesis.put_records(
                StreamName="killed",
                Records=[{"Data": d.encode(), "PartitionKey": d} for d in sent[start : start + 50]],
            )
            assert answer["FailedRecordCount"] == 0
        before: list[str] = []
        deadline = time.monotonic() + 30
        while len(before) < 60 and time.monotonic() < deadline:
            before += take(sqs, out_url)
        assert len(before) >= 60, "nothing was delivered before the kill"
        server.stop(signal.SIGKILL)
        server = start_server(tmp_path, extra_env=server_store)
        lam, sqs = clients(server)
        seen_data = {line.split()[2] for line in before}
        after: list[str] = []
        deadline = time.monotonic() + 120
        while not set(sent) <= seen_data and time.monotonic() < deadline:
            got = take(sqs, out_url)
            after += got
            seen_data |= {line.split()[2] for line in got}
        assert set(sent) <= seen_data
        for shard in {line.split()[0] for line in before + after}:
            numbers = [int(line.split()[1]) for line in before + after if line.startswith(shard)]
            firsts: list[int] = []
            for number in numbers:
                if number not in firsts:
                    firsts.append(number)
            assert firsts == sorted(firsts), f"{shard} out of order"
        assert lam.get_event_source_mapping(UUID=uuid_)["State"] == "Enabled"
    finally:
        server.stop()

"""Asynchronous invocation's ends on the built-in queues, with boto3's lambda and sqs
clients against one running server: dead-letter queues (version-locked), destinations
on queues, and a queue that does not exist yet (the record is parked, then replayed)."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.conftest import Server, create_function, python_function, start_server

pytestmark = pytest.mark.integration

FAILING = python_function(
    "def handler(event, context):\n    raise RuntimeError('broken ' + context.function_version)\n"
)
ECHO = python_function("def handler(event, context):\n    return {'got': event}\n")


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, module_store: dict[str, str]
) -> Iterator[Server]:
    running = start_server(
        tmp_path_factory.mktemp("async-queues"),
        extra_env={"ALTUS_ASYNC_TIME_SCALE": "0.01", **module_store},
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def sqs(server: Server) -> Any:
    return boto3.client(
        "sqs",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def _queue(sqs: Any, name: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return url, arn


def _receive(sqs: Any, url: str, count: int = 1, timeout: float = 60) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        answer = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageAttributeNames=["All"]
        )
        for message in answer.get("Messages", []):
            got.append(message)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert len(got) >= count, f"only {len(got)} of {count} messages arrived"
    return got


def _request_id(answer: dict[str, Any]) -> str:
    request_id: str = answer["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    return request_id


def test_the_dead_letter_queue_gets_the_event_with_lambdas_attributes(server, sqs):
    lam = server.client()
    url, arn = _queue(sqs, "dead-letters")
    create_function(lam, "to-dlq", FAILING, DeadLetterConfig={"TargetArn": arn})
    lam.put_function_event_invoke_config(FunctionName="to-dlq", MaximumRetryAttempts=1)
    answer = lam.invoke(FunctionName="to-dlq", InvocationType="Event", Payload=b'{"order": 42}')
    (message,) = _receive(sqs, url)
    assert json.loads(message["Body"]) == {"order": 42}
    attributes = message["MessageAttributes"]
    assert attributes["RequestID"] == {"StringValue": _request_id(answer), "DataType": "String"}
    assert attributes["ErrorCode"] == {"StringValue": "200", "DataType": "Number"}
    assert attributes["ErrorMessage"] == {"StringValue": "broken $LATEST", "DataType": "String"}


def test_the_dead_letter_queue_is_the_version_s(server, sqs):
    lam = server.client()
    old_url, old_arn = _queue(sqs, "dlq-of-version-1")
    new_url, new_arn = _queue(sqs, "dlq-of-latest")
    create_function(lam, "locked", FAILING, DeadLetterConfig={"TargetArn": old_arn})
    version = lam.publish_version(FunctionName="locked")["Version"]
    lam.update_function_configuration(
        FunctionName="locked", DeadLetterConfig={"TargetArn": new_arn}
    )
    lam.get_waiter("function_updated_v2").wait(FunctionName="locked")
    for qualifier in (version, "$LATEST"):
        lam.put_function_event_invoke_config(
            FunctionName="locked", Qualifier=qualifier, MaximumRetryAttempts=0
        )
    lam.invoke(FunctionName="locked", Qualifier=version, InvocationType="Event", Payload=b"1")
    lam.invoke(FunctionName="locked", InvocationType="Event", Payload=b"2")
    (old,) = _receive(sqs, old_url)
    (new,) = _receive(sqs, new_url)
    assert (old["Body"], new["Body"]) == ("1", "2")
    assert old["MessageAttributes"]["ErrorMessage"]["StringValue"] == f"broken {version}"


def test_destinations_on_queues_get_lambdas_record(server, sqs):
    lam = server.client()
    ok_url, ok_arn = _queue(sqs, "successes")
    bad_url, bad_arn = _queue(sqs, "failures")
    dlq_url, dlq_arn = _queue(sqs, "both-dlq")
    create_function(lam, "echoes", ECHO)
    create_function(lam, "breaks", FAILING, DeadLetterConfig={"TargetArn": dlq_arn})
    lam.put_function_event_invoke_config(
        FunctionName="echoes",
        DestinationConfig={
            "OnSuccess": {"Destination": ok_arn},
            "OnFailure": {"Destination": bad_arn},
        },
    )
    lam.put_function_event_invoke_config(
        FunctionName="breaks",
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": bad_arn}},
    )
    good = lam.invoke(FunctionName="echoes", InvocationType="Event", Payload=b'{"a": 1}')
    bad = lam.invoke(FunctionName="breaks", InvocationType="Event", Payload=b'{"b": 2}')
    (success,) = _receive(sqs, ok_url)
    record = json.loads(success["Body"])
    assert record["requestContext"]["requestId"] == _request_id(good)
    assert record["requestContext"]["condition"] == "Success"
    assert record["responsePayload"] == {"got": {"a": 1}}
    (failure,) = _receive(sqs, bad_url)
    record = json.loads(failure["Body"])
    assert record["requestContext"]["requestId"] == _request_id(bad)
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["responsePayload"]["errorType"] == "RuntimeError"
    # A dead-letter queue and an OnFailure destination both get theirs.
    (dead,) = _receive(sqs, dlq_url)
    assert json.loads(dead["Body"]) == {"b": 2}


def test_a_queue_that_does_not_exist_yet_parks_the_record_until_replayed(server, sqs):
    lam = server.client()
    arn = "arn:aws:sqs:us-east-1:000000000000:created-later"
    create_function(lam, "early", ECHO)
    lam.put_function_event_invoke_config(
        FunctionName="early", DestinationConfig={"OnSuccess": {"Destination": arn}}
    )
    answer = lam.invoke(FunctionName="early", InvocationType="Event", Payload=b"{}")
    request_id = _request_id(answer)
    deadline = time.monotonic() + 60
    parked: list[dict[str, Any]] = []
    while not parked and time.monotonic() < deadline:
        with urllib.request.urlopen(f"{server.url}/_altus/async/parked", timeout=10) as r:
            parked = [x for x in json.loads(r.read())["Records"] if x["RequestId"] == request_id]
        time.sleep(0.05)
    assert parked and parked[0]["Attempts"] == 8
    url, _ = _queue(sqs, "created-later")
    replay = urllib.request.Request(
        f"{server.url}/_altus/async/parked/replay",
        data=json.dumps({"All": True}).encode(),
        method="POST",
    )
    with urllib.request.urlopen(replay, timeout=10) as r:
        assert parked[0]["Id"] in json.loads(r.read())["Replayed"]
    (message,) = _receive(sqs, url)
    assert json.loads(message["Body"])["requestContext"]["requestId"] == request_id


def test_a_dead_letter_target_must_be_a_queue_or_a_topic(server):
    lam = server.client()
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        create_function(
            lam,
            "bad-dlq",
            ECHO,
            DeadLetterConfig={"TargetArn": "arn:aws:lambda:us-east-1:000000000000:function:x"},
        )
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName="bad-dlq")

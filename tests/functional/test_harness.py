"""The public testing harness: an in-process server, functions that are callables run
through the real Runtime API, a fake clock that drives queues and asynchronous retries,
and events as triggers deliver them."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

from altus.testing import Harness, events, wait_until


@pytest.fixture(scope="module")
def altus() -> Iterator[Harness]:
    with Harness() as harness:
        yield harness


def test_a_callable_answers_through_the_invoke_api(altus: Harness) -> None:
    def hello(event: Any, context: Any) -> dict[str, Any]:
        print("called for", event["name"])
        return {
            "hello": event["name"],
            "function": context.function_name,
            "remaining": context.get_remaining_time_in_millis() > 0,
        }

    altus.create_function("hello", hello, Timeout=5)
    lam = altus.client("lambda")
    answer = lam.invoke(FunctionName="hello", Payload=b'{"name": "you"}', LogType="Tail")
    assert json.loads(answer["Payload"].read()) == {
        "hello": "you",
        "function": "hello",
        "remaining": True,
    }
    log = base64.b64decode(answer["LogResult"]).decode()
    assert "called for you" in log and "REPORT RequestId" in log


def test_a_failing_callable_is_a_function_error(altus: Harness) -> None:
    def boom(event: Any, context: Any) -> None:
        raise ValueError("nope")

    altus.create_function("boom", boom)
    answer = altus.client("lambda").invoke(FunctionName="boom", Payload=b"{}")
    assert answer["FunctionError"] == "Unhandled"
    error = json.loads(answer["Payload"].read())
    assert error["errorType"] == "ValueError" and error["errorMessage"] == "nope"
    assert "raise ValueError" in "".join(error["stackTrace"])


def test_a_function_given_as_code_runs_in_process_too(altus: Harness) -> None:
    altus.create_function("coded", files={"app.py": "def handler(e, c):\n    return e['n'] * 2\n"})
    answer = altus.client("lambda").invoke(FunctionName="coded", Payload=b'{"n": 21}')
    assert json.loads(answer["Payload"].read()) == 42


def test_the_fake_clock_moves_queue_visibility(altus: Harness) -> None:
    sqs = altus.client("sqs")
    url = sqs.create_queue(QueueName="clocked", Attributes={"VisibilityTimeout": "300"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="once")
    assert len(sqs.receive_message(QueueUrl=url)["Messages"]) == 1
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    altus.advance(301)  # five minutes in a moment
    again = sqs.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"])
    assert again["Messages"][0]["Attributes"]["ApproximateReceiveCount"] == "2"


def test_the_fake_clock_drives_asynchronous_retries(altus: Harness) -> None:
    runs: list[str] = []

    def flaky(event: Any, context: Any) -> str:
        runs.append(context.aws_request_id)
        if len(runs) < 3:
            raise RuntimeError("not yet")
        return "done"

    altus.create_function("flaky", flaky)
    lam = altus.client("lambda")
    lam.put_function_event_invoke_config(FunctionName="flaky", MaximumRetryAttempts=2)
    answer = lam.invoke(FunctionName="flaky", InvocationType="Event", Payload=b"{}")
    wait_until(lambda: len(runs) == 1)
    altus.advance(59)
    assert len(runs) == 1  # Lambda's first retry comes about a minute later
    for _ in range(20):  # bounded: each step is a minute of the fake clock
        if len(runs) == 3:
            break
        altus.advance(60)
    wait_until(lambda: len(runs) == 3)
    assert set(runs) == {answer["ResponseMetadata"]["RequestId"]}  # one event, three runs


def test_events_are_shaped_as_their_triggers_deliver_them(altus: Harness) -> None:
    batch = events.sqs(["first", "second"], queue="jobs", attributes={"kind": "k"})
    record = batch["Records"][0]
    assert record["eventSource"] == "aws:sqs" and record["body"] == "first"
    assert record["eventSourceARN"] == "arn:aws:sqs:us-east-1:000000000000:jobs"
    assert record["messageAttributes"]["kind"]["stringValue"] == "k"
    request = events.function_url(
        "POST",
        "/items",
        query="a=1",
        body=b'{"x": 1}',
        headers={"content-type": "application/json"},
    )
    assert request["version"] == "2.0" and request["rawPath"] == "/items"
    assert request["queryStringParameters"] == {"a": "1"}
    assert request["body"] == '{"x": 1}' and request["isBase64Encoded"] is False

    def echo(event: Any, context: Any) -> Any:
        return event["Records"][1]["body"]

    altus.create_function("echo", echo)
    answer = altus.client("lambda").invoke(FunctionName="echo", Payload=json.dumps(batch))
    assert json.loads(answer["Payload"].read()) == "second"

"""EventBridge against a real ``altus up``: the AWS CLI's ``aws events put-events``
reaching a queue through a rule (restarts and catch-up are proven in process, on a
SQLite file: tests/functional/test_eventbridge_timing.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from altus.testing import wait_until
from tests.conftest import Server, start_server
from tests.integration.aws_cli import aws, client


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("altus-eventbridge"))
    try:
        yield running
    finally:
        running.stop()


def test_cli_put_events_reaches_a_queue(server: Server, tmp_path: Path) -> None:
    sqs = client(server.url, "sqs")
    url = sqs.create_queue(QueueName="from-cli")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    aws(server.url, "events", "put-rule", "--name", "cli", "--event-pattern", '{"source":["cli"]}')
    aws(server.url, "events", "put-targets", "--rule", "cli", "--targets", f"Id=q,Arn={arn}")
    entries = tmp_path / "entries.json"
    entries.write_text(
        json.dumps([{"Source": "cli", "DetailType": "From CLI", "Detail": '{"n": 1}'}])
    )
    put = aws(server.url, "events", "put-events", "--entries", f"file://{entries}")
    assert put["FailedEntryCount"] == 0

    def received() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = sqs.receive_message(QueueUrl=url).get("Messages", [])
        return found

    [message] = wait_until(received)
    event = json.loads(message["Body"])
    assert event["id"] == put["Entries"][0]["EventId"]
    assert (event["detail-type"], event["detail"]) == ("From CLI", {"n": 1})
    rules = aws(server.url, "events", "list-rules")["Rules"]
    assert [r["Name"] for r in rules] == ["cli"]

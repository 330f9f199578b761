"""EventBridge Scheduler against a real ``altus up``: the AWS CLI's ``aws scheduler
create-schedule`` with an ``at()`` a few seconds ahead reaching a queue, and a server
killed (SIGKILL) before the due time and restarted after it delivering the message
exactly once (the rest of the timing is proven on a fake clock:
tests/functional/test_scheduler_firing.py)."""

from __future__ import annotations

import datetime
import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Server, start_server
from tests.integration.aws_cli import aws, client

pytestmark = pytest.mark.integration

ROLE = "arn:aws:iam::000000000000:role/scheduler"
#: How far ahead the one-time schedules are set, tried in turn: a lead that passed
#: before the schedule was made (a slow CLI start) is tried again with the next.
LEADS_S = (5, 10, 20, 40)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("altus-scheduler"))
    try:
        yield running
    finally:
        running.stop()


def queue(url: str, name: str) -> tuple[str, str]:
    sqs = client(url, "sqs")
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return queue_url, arn


def ahead(lead_s: int) -> tuple[str, float]:
    """An ``at()`` expression ``lead_s`` seconds ahead (UTC, whole seconds) and its
    epoch time."""
    due = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=lead_s)).replace(
        microsecond=0
    )
    return f"at({due.replace(tzinfo=None).isoformat()})", due.timestamp()


def receive_all(url: str, queue_url: str, wait_s: int) -> list[str]:
    """Bodies received within ``wait_s`` seconds of long polling (each deleted)."""
    sqs = client(url, "sqs")
    bodies: list[str] = []
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        found = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1).get("Messages", [])
        for message in found:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def create_at(url: str, name: str, expression: str, arn: str, text: str) -> Any:
    target = {"Arn": arn, "RoleArn": ROLE, "Input": text}
    return aws(
        url,
        "scheduler",
        "create-schedule",
        "--name",
        name,
        "--schedule-expression",
        expression,
        "--target",
        json.dumps(target),
        "--flexible-time-window",
        '{"Mode": "OFF"}',
    )


def create_ahead(url: str, name: str, arn: str, text: str) -> tuple[str, float, int, Any]:
    """An ``at()`` schedule made while its time is still ahead: if the call took more
    than half the lead (an ``at()`` already past never fires), it is deleted and made again
    with a longer lead. Its expression, due time, lead and CreateSchedule's answer."""
    for lead in LEADS_S:
        expression, due = ahead(lead)
        created = create_at(url, name, expression, arn, text)
        if time.time() < due - lead / 2:  # half the lead left: room for what follows
            return expression, due, lead, created
        aws(url, "scheduler", "delete-schedule", "--name", name)
    raise AssertionError(f"no lead in {LEADS_S} s was long enough to create a schedule")


def test_cli_at_schedule_reaches_a_queue(server: Server) -> None:
    queue_url, arn = queue(server.url, "at-cli")
    expression, _, lead, created = create_ahead(server.url, "soon", arn, "hello from at()")
    assert created["ScheduleArn"].endswith(":schedule/default/soon")
    got = aws(server.url, "scheduler", "get-schedule", "--name", "soon")
    assert got["ScheduleExpression"] == expression
    # Bounded: the message is due within the lead.
    bodies: list[str] = []
    for _ in range(4 * lead):
        bodies += receive_all(server.url, queue_url, 1)
        if bodies:
            break
    assert bodies == ["hello from at()"]


def test_a_schedule_due_while_killed_fires_exactly_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = start_server(data)
    try:
        queue_url, arn = queue(first.url, "killed")
        _, due, lead, _ = create_ahead(first.url, "across-a-kill", arn, "once")
    finally:
        assert first.process is not None
        first.stop(signal.SIGKILL)  # by its PID: no shutdown of any kind
    # The point of the test: the kill came before the due time (else it proves nothing).
    assert time.time() < due
    for _ in range(4 * lead):  # bounded: until the due time has passed
        if time.time() > due + 1:
            break
        time.sleep(0.5)
    second = start_server(data)
    try:
        queue_url = client(second.url, "sqs").get_queue_url(QueueName="killed")["QueueUrl"]
        bodies: list[str] = []
        for _ in range(10):
            bodies += receive_all(second.url, queue_url, 1)
            if bodies:
                break
        bodies += receive_all(second.url, queue_url, 2)  # and no second copy follows
        assert bodies == ["once"]
    finally:
        second.stop()

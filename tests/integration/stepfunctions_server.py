"""What the Step Functions server tests share: a real ``altus up`` on Step Functions' test
clock that a test can SIGKILL and start again on the same data (its store: the SQLite file
in the data directory, or a PostgreSQL schema), clients, and reading executions back."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from tests.conftest import Server, start_server

REGION = "us-east-1"
ACCOUNT = "000000000000"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/sfn"
#: Step Functions' clock scale: an hour's Wait lasts 3.6 s, a 1 s retry interval 1 ms.
SCALE = 0.001
#: Longest a test waits for something the server does on its own (bounds every loop).
PATIENCE = 90.0


def server_env(store: dict[str, str]) -> dict[str, str]:
    """The environment of a test server: the portable sandbox (functions are processes the
    server's death kills, ``PR_SET_PDEATHSIG``), the scaled clock, and ``store``."""
    return {"ALTUS_SANDBOX": "process", "ALTUS_STEPFUNCTIONS_TIME_SCALE": str(SCALE), **store}


def client(url: str, service: str, **config: Any) -> Any:
    """A boto3 client of ``url``. Step Functions' StartSyncExecution has the host prefix
    ``sync-``, which botocore would put before the endpoint's host (``sync-127.0.0.1``
    resolves nowhere): the clients here do not inject it unless told to."""
    settings: dict[str, Any] = {
        "retries": {"total_max_attempts": 1},
        "read_timeout": 70,
        "inject_host_prefix": False,
        **config,
    }
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(**settings),
    )


class Altus:
    """``altus up`` on one data directory and store, killed and started again at will."""

    def __init__(self, data_dir: Path, store: dict[str, str]) -> None:
        self.data_dir = data_dir
        self.env = server_env(store)
        self.server: Server | None = None
        #: Wall-clock time the last start was begun at (before the process existed; the
        #: server's clock is this machine's).
        self.launched_at = 0.0

    def start(self) -> Server:
        self.launched_at = time.time()
        self.server = start_server(self.data_dir, extra_env=self.env)
        return self.server

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url

    def kill(self) -> None:
        """SIGKILL: no shutdown of any kind, as a crash or an OOM kill."""
        if self.server is not None:
            self.server.stop(signal.SIGKILL)

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()

    def client(self, service: str, **config: Any) -> Any:
        return client(self.url, service, **config)


def state_machine(sfn: Any, name: str, definition: dict[str, Any], **members: Any) -> str:
    arn: str = sfn.create_state_machine(
        name=name, definition=json.dumps(definition), roleArn=ROLE, **members
    )["stateMachineArn"]
    return arn


def history(sfn: Any, execution_arn: str) -> list[dict[str, Any]]:
    """The execution's whole history, oldest first, every page."""
    events: list[dict[str, Any]] = []
    token: str | None = None
    for _ in range(1000):  # pages of at most 1,000 events
        page = sfn.get_execution_history(
            executionArn=execution_arn, maxResults=1000, **({"nextToken": token} if token else {})
        )
        events += page["events"]
        token = page.get("nextToken")
        if not token:
            return events
    raise AssertionError(f"the history of {execution_arn} never ends")


def poll(probe: Callable[[], Any], what: str, patience: float = PATIENCE) -> Any:
    """``probe()``'s first true answer, looked for every 50 ms for at most ``patience`` s."""
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {patience} s")


def event_of(sfn: Any, execution_arn: str, kind: str) -> dict[str, Any]:
    """The first ``kind`` event of the execution, waited for."""

    def probe() -> dict[str, Any] | None:
        return next((e for e in history(sfn, execution_arn) if e["type"] == kind), None)

    found: dict[str, Any] = poll(probe, f"{kind} in {execution_arn}")
    return found


def closed(sfn: Any, execution_arn: str) -> dict[str, Any]:
    """DescribeExecution once the execution is no longer RUNNING."""

    def probe() -> dict[str, Any] | None:
        described: dict[str, Any] = sfn.describe_execution(executionArn=execution_arn)
        return described if described["status"] != "RUNNING" else None

    found: dict[str, Any] = poll(probe, f"{execution_arn} closing")
    return found


def stamp(event: dict[str, Any]) -> float:
    when: datetime = event["timestamp"]
    return when.timestamp()


def types(events: list[dict[str, Any]]) -> list[str]:
    return [event["type"] for event in events]


def assert_whole(events: list[dict[str, Any]]) -> None:
    """A history as AWS keeps one: ids 1..n with none missing or repeated, each event's
    ``previousEventId`` an earlier one (0 for the first of a branch), times never going
    back, one start and one close."""
    assert [e["id"] for e in events] == list(range(1, len(events) + 1)), types(events)
    for event in events:
        assert 0 <= event["previousEventId"] < event["id"], event
    times = [stamp(e) for e in events]
    assert times == sorted(times), types(events)
    assert types(events).count("ExecutionStarted") == 1
    closing = [t for t in types(events) if t.startswith("Execution") and t != "ExecutionStarted"]
    assert len(closing) == 1 and events[-1]["type"] == closing[0], types(events)


def assert_kept(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> None:
    """What the history had before the kill is the start of what it has after, event for
    event (nothing recorded again, nothing rewritten)."""
    assert after[: len(before)] == before, (types(before), types(after))


def messages(sqs: Any, queue_url: str, patience: float = PATIENCE, at_least: int = 1) -> list[Any]:
    """Bodies (JSON) taken (and deleted) from the queue until ``at_least`` were seen."""
    found: list[Any] = []
    deadline = time.monotonic() + patience
    while len(found) < at_least and time.monotonic() < deadline:
        for message in sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", []):
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    assert len(found) >= at_least, f"{len(found)} messages on {queue_url}, wanted {at_least}"
    return found


def drained(sqs: Any, queue_url: str) -> list[Any]:
    """Whatever is left on the queue (one empty long poll ends it)."""
    found: list[Any] = []
    for _ in range(100):  # bounded: a handful of messages at most
        got = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", [])
        if not got:
            return found
        for message in got:
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return found

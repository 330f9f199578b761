"""Events a real ``altus up`` acknowledged reach their targets even when it is killed
right after (SIGKILL: no shutdown of any kind), on each store: PutEvents writes every
accepted event's deliveries before it answers, and a restart delivers what was still on
its way (perhaps twice: EventBridge's delivery is at least once)."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.conftest import start_server

pytestmark = pytest.mark.integration

WRITERS = 3
CALLS = 10  # each of ten entries: 300 events
RULES = 2
QUEUE = "arn:aws:sqs:us-east-1:000000000000:eb-crash"


def client(url: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"total_max_attempts": 1}, read_timeout=60),
    )


def test_acknowledged_events_survive_sigkill(tmp_path: Path, server_store: dict[str, str]) -> None:
    server = start_server(tmp_path / "data", extra_env=server_store)
    accepted: set[str] = set()
    lock = threading.Lock()
    try:
        events, sqs = client(server.url, "events"), client(server.url, "sqs")
        sqs.create_queue(QueueName="eb-crash")
        for rule in range(RULES):
            events.put_rule(Name=f"r{rule}", EventPattern='{"source": ["burst"]}')
            transformer = {
                "InputPathsMap": {"id": "$.id"},
                "InputTemplate": '{"id": <id>, "rule": "r' + str(rule) + '"}',
            }
            events.put_targets(
                Rule=f"r{rule}",
                Targets=[{"Id": "q", "Arn": QUEUE, "InputTransformer": transformer}],
            )

        def put(writer: int) -> None:
            mine = client(server.url, "events")
            for n in range(CALLS):
                entries = [
                    {
                        "Source": "burst",
                        "DetailType": "t",
                        "Detail": json.dumps({"w": writer, "n": n}),
                    }
                    for _ in range(10)
                ]
                answer = mine.put_events(Entries=entries)
                assert answer["FailedEntryCount"] == 0
                with lock:
                    accepted.update(e["EventId"] for e in answer["Entries"])

        threads = [threading.Thread(target=put, args=(i,)) for i in range(WRITERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert len(accepted) == WRITERS * CALLS * 10
    finally:
        server.stop(signal.SIGKILL)

    wanted = {(event, f"r{rule}") for event in accepted for rule in range(RULES)}
    again = start_server(tmp_path / "data", extra_env=server_store)
    try:
        sqs = client(again.url, "sqs")
        url = sqs.get_queue_url(QueueName="eb-crash")["QueueUrl"]
        found: set[tuple[str, str]] = set()
        for _ in range(400):  # bounded: six hundred messages, ten at a time
            answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            for message in answer.get("Messages", []):
                body = json.loads(message["Body"])
                found.add((body["id"], body["rule"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            if found >= wanted:
                break
        assert found == wanted
    finally:
        again.stop()

"""SNS messages a real ``altus up`` acknowledged reach their subscribers even when it is
killed right after (SIGKILL: no shutdown of any kind), on each store: Publish writes
the message and its deliveries before it answers, and a restart delivers what was still
on its way (perhaps twice: SNS's delivery is at least once)."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.conftest import start_server

pytestmark = pytest.mark.integration

WRITERS = 4
PUBLISHES = 40


def client(url: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"total_max_attempts": 1}, read_timeout=60),
    )


def test_acknowledged_publishes_survive_sigkill(
    tmp_path: Path, server_store: dict[str, str]
) -> None:
    server = start_server(tmp_path / "data", extra_env=server_store)
    acknowledged: list[str] = []
    lock = threading.Lock()
    try:
        sns, sqs = client(server.url, "sns"), client(server.url, "sqs")
        topic = sns.create_topic(Name="crash")["TopicArn"]
        url = sqs.create_queue(QueueName="crash-q")["QueueUrl"]
        queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns.subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=queue,
            Attributes={"RawMessageDelivery": "true"},
        )

        def publish(writer: int) -> None:
            mine = client(server.url, "sns")
            for n in range(PUBLISHES):
                text = f"{writer}:{n}"
                if n % 5 == 4:
                    answer = mine.publish_batch(
                        TopicArn=topic, PublishBatchRequestEntries=[{"Id": "a", "Message": text}]
                    )
                    assert answer["Failed"] == []
                else:
                    mine.publish(TopicArn=topic, Message=text)
                with lock:
                    acknowledged.append(text)

        threads = [threading.Thread(target=publish, args=(i,)) for i in range(WRITERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert len(acknowledged) == WRITERS * PUBLISHES
    finally:
        server.stop(signal.SIGKILL)

    again = start_server(tmp_path / "data", extra_env=server_store)
    try:
        sqs = client(again.url, "sqs")
        url = sqs.get_queue_url(QueueName="crash-q")["QueueUrl"]
        found: set[str] = set()
        for _ in range(300):  # bounded: a few hundred messages, ten at a time
            answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            for message in answer.get("Messages", []):
                found.add(message["Body"])
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            if found >= set(acknowledged):
                break
        assert found == set(acknowledged)
    finally:
        again.stop()

"""The built-in queues across a server's life: what a restart, a shutdown and a kill of
``altus up`` keep and end, on each store. Their API is ``tests/functional/test_sqs_api.py``.
"""

from __future__ import annotations

import base64
import hashlib
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import start_server
from tests.functional.test_sqs_api import (
    expected_md5_of_attributes,
    new_queue,
    receive_until,
    sqs_client,
)

pytestmark = pytest.mark.integration


def test_shutdown_ends_long_polls(tmp_path: Path, server_store: dict[str, str]) -> None:
    server = start_server(tmp_path, extra_env={"ALTUS_SANDBOX": "process", **server_store})
    try:
        sqs = sqs_client(server.url)
        url = new_queue(sqs)
        results: list[Any] = []

        def poll() -> None:
            try:
                results.append(
                    sqs_client(server.url).receive_message(QueueUrl=url, WaitTimeSeconds=20)
                )
            except Exception as error:
                results.append(error)

        poller = threading.Thread(target=poll)
        poller.start()
        time.sleep(0.5)
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)
        poller.join(timeout=30)
        # Answered (empty) by the shutdown, not cut off when the grace period ran out.
        assert isinstance(results[0], dict) and "Messages" not in results[0]
        server.process.wait(timeout=30)
    finally:
        server.stop()


def test_restart_keeps_queues_messages_and_deliveries(
    tmp_path: Path, server_store: dict[str, str]
) -> None:
    server = start_server(tmp_path, extra_env={"ALTUS_SANDBOX": "process", **server_store})
    try:
        sqs = sqs_client(server.url)
        url = new_queue(sqs, VisibilityTimeout="600")
        for i in range(5):
            sqs.send_message(
                QueueUrl=url,
                MessageBody=f"m{i}",
                MessageAttributes={"i": {"DataType": "Number", "StringValue": str(i)}},
            )
        (taken,) = sqs.receive_message(QueueUrl=url)["Messages"]
        fifo = new_queue(sqs, "durable", fifo=True)
        before = sqs.send_message(
            QueueUrl=fifo, MessageBody="once", MessageGroupId="g", MessageDeduplicationId="once"
        )
        server.stop(signal.SIGKILL)

        server = start_server(tmp_path, extra_env={"ALTUS_SANDBOX": "process", **server_store})
        sqs = sqs_client(server.url)
        # The old URL (another port now) still names the queue: account and name do.
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attributes["VisibilityTimeout"] == "600"
        assert attributes["ApproximateNumberOfMessages"] == "4"
        assert attributes["ApproximateNumberOfMessagesNotVisible"] == "1"
        messages = receive_until(sqs, url, count=4, MessageAttributeNames=["All"])
        assert sorted(m["Body"] for m in messages) == sorted(
            f"m{i}" for i in range(5) if f"m{i}" != taken["Body"]
        )
        assert all(m["MessageAttributes"]["i"]["StringValue"] == m["Body"][1:] for m in messages)
        # The in-flight message's receipt handle still deletes it.
        sqs.delete_message(QueueUrl=url, ReceiptHandle=taken["ReceiptHandle"])
        attributes = sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        assert attributes["ApproximateNumberOfMessagesNotVisible"] == "4"
        fifo = sqs.get_queue_url(QueueName=fifo.rsplit("/", 1)[1])["QueueUrl"]
        again = sqs.send_message(
            QueueUrl=fifo, MessageBody="once", MessageGroupId="g", MessageDeduplicationId="once"
        )
        assert again["MessageId"] == before["MessageId"]
    finally:
        server.stop()


def test_binary_attribute_digest_vector() -> None:
    # The documented encoding, spelled out byte by byte for one attribute.
    encoded = b"\x00\x00\x00\x01b\x00\x00\x00\x06Binary\x02\x00\x00\x00\x02\x01\x02"
    assert (
        expected_md5_of_attributes({"b": {"DataType": "Binary", "BinaryValue": b"\x01\x02"}})
        == hashlib.md5(encoded).hexdigest()
    )
    assert base64.b64encode(b"\x01\x02") == b"AQI="

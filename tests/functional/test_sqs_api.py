"""The built-in queues' API through boto3's ``sqs`` client, against a server in this
process (the public harness) on each store: every operation's semantics, limits and
errors. Restarts, shutdowns and kills, which need a server process of their own, are in
``tests/integration/test_sqs.py``."""

from __future__ import annotations

import hashlib
import json
import struct
import threading
import time
import uuid
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import Server


def sqs_client(url: str) -> Any:
    return boto3.client(
        "sqs",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"total_max_attempts": 1}, read_timeout=60),
    )


@pytest.fixture(scope="module")
def server(inproc_stored: Server) -> Server:
    return inproc_stored


@pytest.fixture(scope="module")
def sqs(server: Server) -> Any:
    return sqs_client(server.url)


def new_queue(sqs: Any, prefix: str = "q", fifo: bool = False, **attributes: str) -> str:
    name = f"{prefix}-{uuid.uuid4().hex[:10]}" + (".fifo" if fifo else "")
    if fifo:
        attributes["FifoQueue"] = "true"
    url: str = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    return url


def error_code(info: pytest.ExceptionInfo[ClientError]) -> str:
    code: str = info.value.response["Error"]["Code"]
    return code


def receive_until(
    sqs: Any, url: str, count: int = 1, attempts: int = 40, **kwargs: Any
) -> list[dict[str, Any]]:
    """Receive (long polls of at most 1 s) until ``count`` messages came, or give up."""
    got: list[dict[str, Any]] = []
    for _ in range(attempts):
        answer = sqs.receive_message(
            QueueUrl=url, WaitTimeSeconds=1, MaxNumberOfMessages=min(10, count - len(got)), **kwargs
        )
        got.extend(answer.get("Messages", []))
        if len(got) >= count:
            break
    return got


# An implementation of the documented digest, independent of the server's.
def expected_md5_of_attributes(attributes: dict[str, dict[str, Any]]) -> str:
    digest = hashlib.md5()
    for name in sorted(attributes):
        value = attributes[name]
        for text in (name, value["DataType"]):
            data = text.encode()
            digest.update(struct.pack("!I", len(data)) + data)
        if "BinaryValue" in value:
            raw = value["BinaryValue"]
            digest.update(b"\x02" + struct.pack("!I", len(raw)) + raw)
        else:
            data = value["StringValue"].encode()
            digest.update(b"\x01" + struct.pack("!I", len(data)) + data)
    return digest.hexdigest()


# --- queues ------------------------------------------------------------------------------


def test_create_get_list_delete(sqs: Any, server: Server) -> None:
    prefix = f"lst{uuid.uuid4().hex[:6]}"
    urls = [sqs.create_queue(QueueName=f"{prefix}-{i}")["QueueUrl"] for i in range(3)]
    assert urls[0] == f"{server.url}/000000000000/{prefix}-0"
    assert sqs.get_queue_url(QueueName=f"{prefix}-1")["QueueUrl"] == urls[1]
    assert (
        sqs.get_queue_url(QueueName=f"{prefix}-1", QueueOwnerAWSAccountId="000000000000")[
            "QueueUrl"
        ]
        == urls[1]
    )
    assert sqs.list_queues(QueueNamePrefix=prefix)["QueueUrls"] == urls
    first = sqs.list_queues(QueueNamePrefix=prefix, MaxResults=2)
    assert first["QueueUrls"] == urls[:2]
    rest = sqs.list_queues(QueueNamePrefix=prefix, MaxResults=2, NextToken=first["NextToken"])
    assert rest["QueueUrls"] == urls[2:] and "NextToken" not in rest
    # Creating it again with the same attributes answers its URL; different ones refuse.
    assert sqs.create_queue(QueueName=f"{prefix}-0")["QueueUrl"] == urls[0]
    with pytest.raises(sqs.exceptions.QueueNameExists) as info:
        sqs.create_queue(QueueName=f"{prefix}-0", Attributes={"VisibilityTimeout": "5"})
    assert error_code(info) == "QueueAlreadyExists"
    sqs.delete_queue(QueueUrl=urls[0])
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as missing:
        sqs.get_queue_attributes(QueueUrl=urls[0])
    assert error_code(missing) == "AWS.SimpleQueueService.NonExistentQueue"
    with pytest.raises(sqs.exceptions.QueueDeletedRecently):
        sqs.create_queue(QueueName=f"{prefix}-0")
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix=f"none{prefix}")


def test_queue_urls_from_another_host_work(sqs: Any, server: Server) -> None:
    url = new_queue(sqs)
    other = url.replace(server.url, "https://sqs.us-east-1.amazonaws.com")
    sqs.send_message(QueueUrl=other, MessageBody="via another host")
    assert receive_until(sqs, url)[0]["Body"] == "via another host"
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.send_message(QueueUrl=url.replace("000000000000", "111111111111"), MessageBody="x")


def test_queue_url_follows_host_header(server: Server) -> None:
    name = f"host-{uuid.uuid4().hex[:8]}"
    answer = httpx.post(
        f"{server.url}/",
        headers={
            "X-Amz-Target": "AmazonSQS.CreateQueue",
            "Host": "queues.example:4566",
            "Content-Type": "application/x-amz-json-1.0",
        },
        content=json.dumps({"QueueName": name}),
    )
    assert answer.json() == {"QueueUrl": f"http://queues.example:4566/000000000000/{name}"}


def test_attributes(sqs: Any) -> None:
    url = new_queue(sqs, VisibilityTimeout="7", DelaySeconds="0")
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    name = url.rsplit("/", 1)[1]
    assert attributes["QueueArn"] == f"arn:aws:sqs:us-east-1:000000000000:{name}"
    assert attributes["VisibilityTimeout"] == "7"
    assert attributes["MaximumMessageSize"] == "1048576"
    assert attributes["MessageRetentionPeriod"] == "345600"
    assert attributes["ReceiveMessageWaitTimeSeconds"] == "0"
    for key in (
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ):
        assert attributes[key] == "0"
    assert int(attributes["CreatedTimestamp"]) <= int(attributes["LastModifiedTimestamp"])
    assert "FifoQueue" not in attributes
    one = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])
    assert one["Attributes"] == {"VisibilityTimeout": "7"}

    sqs.set_queue_attributes(
        QueueUrl=url, Attributes={"VisibilityTimeout": "3", "MessageRetentionPeriod": "60"}
    )
    changed = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["VisibilityTimeout", "MessageRetentionPeriod"]
    )["Attributes"]
    assert changed == {"VisibilityTimeout": "3", "MessageRetentionPeriod": "60"}

    # Bad input: a precise error, and nothing changed (not even the valid member).
    with pytest.raises(sqs.exceptions.InvalidAttributeValue):
        sqs.set_queue_attributes(
            QueueUrl=url, Attributes={"DelaySeconds": "5", "VisibilityTimeout": "43201"}
        )
    with pytest.raises(sqs.exceptions.InvalidAttributeName):
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Colour": "blue"})
    with pytest.raises(sqs.exceptions.InvalidAttributeName):
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Colour"])
    with pytest.raises(sqs.exceptions.InvalidAttributeName):
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"ContentBasedDeduplication": "true"})
    after = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert after["DelaySeconds"] == "0" and after["VisibilityTimeout"] == "3"
    with pytest.raises(sqs.exceptions.InvalidAttributeValue):
        sqs.create_queue(
            QueueName=f"bad-{uuid.uuid4().hex[:6]}", Attributes={"MaximumMessageSize": "100"}
        )
    with pytest.raises(ClientError) as bad_name:
        sqs.create_queue(QueueName="no spaces allowed")
    assert error_code(bad_name) == "InvalidParameterValue"


def test_tags(sqs: Any) -> None:
    name = f"tags-{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(QueueName=name, tags={"team": "a"})["QueueUrl"]
    sqs.tag_queue(QueueUrl=url, Tags={"env": "dev"})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "a", "env": "dev"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["team"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "dev"}


# --- messages ----------------------------------------------------------------------------


def test_send_receive_delete_with_attributes_and_digests(sqs: Any) -> None:
    url = new_queue(sqs)
    attributes: dict[str, dict[str, Any]] = {
        "Name": {"DataType": "String", "StringValue": "Ünïcode ✓"},
        "Count": {"DataType": "Number", "StringValue": "42"},
        "Blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xff"},
        "Custom": {"DataType": "Number.float", "StringValue": "1.5"},
    }
    sent = sqs.send_message(
        QueueUrl=url,
        MessageBody="hello",
        MessageAttributes=attributes,
        MessageSystemAttributes={
            "AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-abc"}
        },
    )
    assert sent["MD5OfMessageBody"] == "5d41402abc4b2a76b9719d911017c592"  # MD5("hello")
    assert sent["MD5OfMessageAttributes"] == expected_md5_of_attributes(attributes)
    assert sent["MD5OfMessageSystemAttributes"] == expected_md5_of_attributes(
        {"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-abc"}}
    )

    (message,) = receive_until(
        sqs, url, MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"]
    )
    assert message["MessageId"] == sent["MessageId"]
    assert message["Body"] == "hello" and message["MD5OfBody"] == sent["MD5OfMessageBody"]
    assert message["MessageAttributes"] == attributes
    assert message["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    system = message["Attributes"]
    assert system["ApproximateReceiveCount"] == "1"
    assert system["SenderId"] == "000000000000"
    assert system["AWSTraceHeader"] == "Root=1-abc"
    assert int(system["SentTimestamp"]) <= int(system["ApproximateFirstReceiveTimestamp"])
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    # Deleting again succeeds (SQS's delete is idempotent); a forged handle does not.
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid):
        sqs.delete_message(QueueUrl=url, ReceiptHandle="not-a-handle")
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert counts["ApproximateNumberOfMessages"] == "0"
    assert counts["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_message_attribute_selection(sqs: Any) -> None:
    url = new_queue(sqs, VisibilityTimeout="0")
    attributes = {
        name: {"DataType": "String", "StringValue": name}
        for name in ("order.id", "order.total", "customer")
    }
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=attributes)
    for names, expected in (
        (["order.*"], {"order.id", "order.total"}),
        ([".*"], set(attributes)),
        (["customer"], {"customer"}),
    ):
        (message,) = receive_until(sqs, url, MessageAttributeNames=names)
        assert set(message["MessageAttributes"]) == expected
        selected = {k: attributes[k] for k in expected}
        assert message["MD5OfMessageAttributes"] == expected_md5_of_attributes(selected)
    (bare,) = receive_until(sqs, url)
    assert "MessageAttributes" not in bare and "Attributes" not in bare


def test_bad_messages_are_refused(sqs: Any) -> None:
    url = new_queue(sqs, MaximumMessageSize="1024")
    with pytest.raises(sqs.exceptions.InvalidMessageContents):
        sqs.send_message(QueueUrl=url, MessageBody="bad \x00 char")
    for body, attributes in (
        ("x" * 1025, None),
        ("x", {"n": {"DataType": "Number", "StringValue": "not a number"}}),
        ("x", {"AWS.reserved": {"DataType": "String", "StringValue": "v"}}),
        ("x", {"t": {"DataType": "Text", "StringValue": "v"}}),
        ("x", {f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(11)}),
    ):
        with pytest.raises(ClientError) as info:
            sqs.send_message(
                QueueUrl=url,
                MessageBody=body,
                **({"MessageAttributes": attributes} if attributes else {}),
            )
        assert error_code(info) == "InvalidParameterValue"
    with pytest.raises(ClientError) as delay:
        sqs.send_message(QueueUrl=url, MessageBody="x", DelaySeconds=901)
    assert error_code(delay) == "InvalidParameterValue"
    with pytest.raises(ClientError) as many:
        sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=11)
    assert error_code(many) == "InvalidParameterValue"
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"


def test_batches_with_partial_failures(sqs: Any) -> None:
    url = new_queue(sqs, VisibilityTimeout="30")
    answer = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "ok1", "MessageBody": "one"},
            {"Id": "bad", "MessageBody": "nul \x00"},
            {"Id": "ok2", "MessageBody": "two", "DelaySeconds": 0},
        ],
    )
    assert sorted(e["Id"] for e in answer["Successful"]) == ["ok1", "ok2"]
    (failed,) = answer["Failed"]
    assert failed["Id"] == "bad" and failed["SenderFault"] is True
    assert failed["Code"] == "InvalidMessageContents"
    for entries, exception in (
        ([], "EmptyBatchRequest"),
        (
            [{"Id": "a", "MessageBody": "x"}, {"Id": "a", "MessageBody": "y"}],
            "BatchEntryIdsNotDistinct",
        ),
        ([{"Id": f"e{i}", "MessageBody": "x"} for i in range(11)], "TooManyEntriesInBatchRequest"),
        ([{"Id": "not valid!", "MessageBody": "x"}], "InvalidBatchEntryId"),
        ([{"Id": f"e{i}", "MessageBody": "x" * 200_000} for i in range(6)], "BatchRequestTooLong"),
    ):
        with pytest.raises(getattr(sqs.exceptions, exception)):
            sqs.send_message_batch(QueueUrl=url, Entries=entries)

    messages = receive_until(sqs, url, count=2)
    assert sorted(m["Body"] for m in messages) == ["one", "two"]
    changed = sqs.change_message_visibility_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "a", "ReceiptHandle": messages[0]["ReceiptHandle"], "VisibilityTimeout": 60},
            {"Id": "b", "ReceiptHandle": "garbage", "VisibilityTimeout": 60},
        ],
    )
    assert [e["Id"] for e in changed["Successful"]] == ["a"]
    assert changed["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"
    deleted = sqs.delete_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "a", "ReceiptHandle": messages[0]["ReceiptHandle"]},
            {"Id": "b", "ReceiptHandle": messages[1]["ReceiptHandle"]},
            {"Id": "c", "ReceiptHandle": "garbage"},
        ],
    )
    assert sorted(e["Id"] for e in deleted["Successful"]) == ["a", "b"]
    assert deleted["Failed"] == [
        {
            "Id": "c",
            "SenderFault": True,
            "Code": "ReceiptHandleIsInvalid",
            "Message": deleted["Failed"][0]["Message"],
        }
    ]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_long_poll_returns_when_a_message_arrives(sqs: Any, server: Server) -> None:
    url = new_queue(sqs)
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)
    results: list[dict[str, Any]] = []
    poller = threading.Thread(
        target=lambda: results.append(
            sqs_client(server.url).receive_message(QueueUrl=url, WaitTimeSeconds=20)
        )
    )
    poller.start()
    time.sleep(0.3)
    sqs.send_message(QueueUrl=url, MessageBody="wake up")
    poller.join(timeout=30)
    assert not poller.is_alive()
    assert [m["Body"] for m in results[0]["Messages"]] == ["wake up"]


def test_queue_wait_time_attribute_long_polls(sqs: Any, server: Server) -> None:
    url = new_queue(sqs, ReceiveMessageWaitTimeSeconds="20")
    results: list[dict[str, Any]] = []
    poller = threading.Thread(
        target=lambda: results.append(sqs_client(server.url).receive_message(QueueUrl=url))
    )
    poller.start()
    time.sleep(0.3)
    sqs.send_message(QueueUrl=url, MessageBody="by attribute")
    poller.join(timeout=30)
    assert [m["Body"] for m in results[0]["Messages"]] == ["by attribute"]


def test_visibility_timeout_and_redelivery(sqs: Any) -> None:
    url = new_queue(sqs, VisibilityTimeout="1")
    sqs.send_message(QueueUrl=url, MessageBody="again")
    (first,) = receive_until(sqs, url, AttributeNames=["ApproximateReceiveCount"])
    assert first["Attributes"]["ApproximateReceiveCount"] == "1"
    in_flight = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    assert in_flight["ApproximateNumberOfMessagesNotVisible"] == "1"
    (second,) = receive_until(sqs, url, AttributeNames=["ApproximateReceiveCount"])
    assert second["MessageId"] == first["MessageId"]
    assert second["Attributes"]["ApproximateReceiveCount"] == "2"
    assert second["ReceiptHandle"] != first["ReceiptHandle"]
    # A stale handle: the request succeeds, the message stays with its latest receiver.
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=second["ReceiptHandle"], VisibilityTimeout=0
    )
    (third,) = receive_until(sqs, url, VisibilityTimeout=30)
    assert third["MessageId"] == first["MessageId"]
    with pytest.raises(ClientError) as stale:
        sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=second["ReceiptHandle"], VisibilityTimeout=5
        )
    assert error_code(stale) == "InvalidParameterValue"
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=third["ReceiptHandle"], VisibilityTimeout=0
    )
    time.sleep(0.05)
    with pytest.raises(sqs.exceptions.MessageNotInflight):
        sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=third["ReceiptHandle"], VisibilityTimeout=5
        )
    sqs.delete_message(QueueUrl=url, ReceiptHandle=third["ReceiptHandle"])
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)


def test_delay_seconds(sqs: Any) -> None:
    url = new_queue(sqs, DelaySeconds="1")
    sqs.send_message(QueueUrl=url, MessageBody="queue delay")
    sqs.send_message(QueueUrl=url, MessageBody="no delay", DelaySeconds=0)
    sqs.send_message(QueueUrl=url, MessageBody="message delay", DelaySeconds=2)
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessagesDelayed", "ApproximateNumberOfMessages"],
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessagesDelayed"] in ("1", "2")
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    assert [m["Body"] for m in first.get("Messages", [])] in (["no delay"], [])
    bodies = {m["Body"] for m in first.get("Messages", [])}
    bodies |= {m["Body"] for m in receive_until(sqs, url, count=3 - len(bodies))}
    assert bodies == {"queue delay", "no delay", "message delay"}


def test_redrive_to_dead_letter_queue(sqs: Any) -> None:
    dlq = new_queue(sqs, "dlq")
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"})
    source = new_queue(sqs, "src", VisibilityTimeout="0", RedrivePolicy=policy)
    source_arn = sqs.get_queue_attributes(QueueUrl=source, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    stored = sqs.get_queue_attributes(QueueUrl=source, AttributeNames=["RedrivePolicy"])
    assert json.loads(stored["Attributes"]["RedrivePolicy"]) == {
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": 2,
    }
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [source]
    sent = sqs.send_message(QueueUrl=source, MessageBody="poison")
    for count in ("1", "2"):
        (message,) = receive_until(sqs, source, AttributeNames=["All"])
        assert message["Attributes"]["ApproximateReceiveCount"] == count
    # The third receive attempt moves it instead of delivering it.
    assert "Messages" not in sqs.receive_message(QueueUrl=source, WaitTimeSeconds=1)
    (moved,) = receive_until(sqs, dlq, AttributeNames=["All"])
    assert moved["MessageId"] == sent["MessageId"] and moved["Body"] == "poison"
    assert moved["Attributes"]["DeadLetterQueueSourceArn"] == source_arn
    with pytest.raises(ClientError) as missing:
        new_queue(
            sqs,
            RedrivePolicy=json.dumps(
                {
                    "deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:nope",
                    "maxReceiveCount": 1,
                }
            ),
        )
    assert error_code(missing) == "InvalidParameterValue"
    with pytest.raises(ClientError) as zero_count:
        sqs.set_queue_attributes(
            QueueUrl=source,
            Attributes={
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 0})
            },
        )
    assert error_code(zero_count) == "InvalidParameterValue"
    sqs.set_queue_attributes(
        QueueUrl=dlq,
        Attributes={"RedriveAllowPolicy": json.dumps({"redrivePermission": "denyAll"})},
    )
    with pytest.raises(ClientError) as denied:
        new_queue(sqs, RedrivePolicy=policy)
    assert error_code(denied) == "InvalidParameterValue"


def test_fifo_order_and_group_locking(sqs: Any) -> None:
    url = new_queue(sqs, "fifo", fifo=True, VisibilityTimeout="30")
    numbers = []
    for group in ("a", "b"):
        for i in range(3):
            sent = sqs.send_message(
                QueueUrl=url,
                MessageBody=f"{group}{i}",
                MessageGroupId=group,
                MessageDeduplicationId=f"{group}{i}",
            )
            numbers.append(int(sent["SequenceNumber"]))
    assert numbers == sorted(numbers)
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, AttributeNames=["All"])[
        "Messages"
    ]
    assert [m["Body"] for m in first] == ["a0", "a1"]
    assert first[0]["Attributes"]["MessageGroupId"] == "a"
    assert first[0]["Attributes"]["MessageDeduplicationId"] == "a0"
    assert first[0]["Attributes"]["SequenceNumber"] == str(numbers[0]).zfill(20)
    # Group a is locked while a0 and a1 are in flight: only group b is delivered.
    second = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in second] == ["b0", "b1", "b2"]
    assert "Messages" not in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first[0]["ReceiptHandle"])
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first[1]["ReceiptHandle"])
    third = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in third] == ["a2"]
    # A FIFO queue refuses a handle whose visibility has ended.
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=third[0]["ReceiptHandle"], VisibilityTimeout=0
    )
    time.sleep(0.05)
    with pytest.raises(ClientError) as expired:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=third[0]["ReceiptHandle"])
    assert error_code(expired) == "InvalidParameterValue"


def test_fifo_deduplication(sqs: Any) -> None:
    url = new_queue(sqs, "dedup", fifo=True)
    one = sqs.send_message(
        QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="same"
    )
    two = sqs.send_message(
        QueueUrl=url, MessageBody="y", MessageGroupId="g", MessageDeduplicationId="same"
    )
    assert one["MessageId"] == two["MessageId"]
    assert one["SequenceNumber"] == two["SequenceNumber"]
    with pytest.raises(ClientError) as no_id:
        sqs.send_message(QueueUrl=url, MessageBody="z", MessageGroupId="g")
    assert error_code(no_id) == "InvalidParameterValue"
    with pytest.raises(sqs.exceptions.ClientError) as no_group:
        sqs.send_message(QueueUrl=url, MessageBody="z", MessageDeduplicationId="z")
    assert error_code(no_group) == "MissingParameter"
    with pytest.raises(ClientError) as delay:
        sqs.send_message(
            QueueUrl=url,
            MessageBody="z",
            MessageGroupId="g",
            MessageDeduplicationId="z",
            DelaySeconds=5,
        )
    assert error_code(delay) == "InvalidParameterValue"

    content = new_queue(sqs, "cbd", fifo=True, ContentBasedDeduplication="true")
    a = sqs.send_message(QueueUrl=content, MessageBody="same body", MessageGroupId="g")
    b = sqs.send_message(QueueUrl=content, MessageBody="same body", MessageGroupId="g")
    c = sqs.send_message(QueueUrl=content, MessageBody="other body", MessageGroupId="g")
    assert a["MessageId"] == b["MessageId"] != c["MessageId"]
    messages = receive_until(sqs, content, count=2, AttributeNames=["MessageDeduplicationId"])
    assert [m["Body"] for m in messages] == ["same body", "other body"]
    assert (
        messages[0]["Attributes"]["MessageDeduplicationId"]
        == hashlib.sha256(b"same body").hexdigest()
    )
    batch = sqs.send_message_batch(
        QueueUrl=content,
        Entries=[
            {"Id": "1", "MessageBody": "batched", "MessageGroupId": "h"},
            {"Id": "2", "MessageBody": "batched", "MessageGroupId": "h"},
        ],
    )
    ids = {e["Id"]: e["MessageId"] for e in batch["Successful"]}
    assert ids["1"] == ids["2"]
    with pytest.raises(ClientError) as standard:
        sqs.send_message(QueueUrl=new_queue(sqs), MessageBody="x", MessageDeduplicationId="d")
    assert error_code(standard) == "InvalidParameterValue"
    with pytest.raises(ClientError) as name:
        sqs.create_queue(QueueName="not-fifo-name", Attributes={"FifoQueue": "true"})
    assert error_code(name) == "InvalidParameterValue"


def test_purge(sqs: Any) -> None:
    url = new_queue(sqs)
    sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(5)]
    )
    sqs.purge_queue(QueueUrl=url)
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"
    with pytest.raises(sqs.exceptions.PurgeQueueInProgress):
        sqs.purge_queue(QueueUrl=url)
    assert "Messages" not in sqs.receive_message(QueueUrl=url)


def test_errors_in_the_json_protocol_shape(server: Server) -> None:
    answer = httpx.post(
        f"{server.url}/",
        headers={
            "X-Amz-Target": "AmazonSQS.GetQueueUrl",
            "Content-Type": "application/x-amz-json-1.0",
        },
        content=b'{"QueueName": "nope"}',
    )
    assert answer.status_code == 400
    assert answer.headers["x-amzn-query-error"] == "AWS.SimpleQueueService.NonExistentQueue;Sender"
    assert answer.json()["__type"].endswith("QueueDoesNotExist")
    assert answer.headers["content-type"].startswith("application/x-amz-json-1.0")
    unknown = httpx.post(
        f"{server.url}/",
        headers={
            "X-Amz-Target": "AmazonSQS.Frobnicate",
            "Content-Type": "application/x-amz-json-1.0",
        },
        content=b"{}",
    )
    assert unknown.status_code == 400 and unknown.json()["__type"] == "InvalidAction"

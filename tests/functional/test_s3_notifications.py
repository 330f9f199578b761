"""S3's bucket notifications, with functions run in-process: the configuration as S3
checks it, the event record a function receives (allowed by its policy, and not
invoked when its policy does not allow S3), records and the test event reaching a
queue and a topic, and the filters and wildcards that choose them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from altus.platform import Platform
from altus.testing import Harness, wait_until


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    with Harness(clock=None) as made:
        yield made


def outbox_of(harness: Harness) -> Any:
    async def found(platform: Platform) -> Any:
        return platform.component("s3").outbox

    return harness.call(found)


def error_of(call: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    error = raised.value.response["Error"]
    return error["Code"], error.get("Message", "")


def receive(sqs: Any, url: str, count: int) -> list[Any]:
    found: list[Any] = []
    for _ in range(20):  # bounded long polls
        answer = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1, MaxNumberOfMessages=10)
        for message in answer.get("Messages", []):
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        if len(found) >= count:
            break
    assert len(found) == count, found
    return found


def test_a_function_gets_s3_events_only_with_its_permission(harness: Harness) -> None:
    seen: list[dict[str, Any]] = []
    function = harness.create_function("on-upload", lambda event, context: seen.append(event))
    s3, lam = harness.client("s3"), harness.client("lambda")
    s3.create_bucket(Bucket="uploads")
    s3.put_bucket_notification_configuration(
        Bucket="uploads",
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {
                    "Id": "on-upload",
                    "LambdaFunctionArn": function["FunctionArn"],
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"}]}},
                }
            ]
        },
    )
    got = s3.get_bucket_notification_configuration(Bucket="uploads")
    [config] = got["LambdaFunctionConfigurations"]
    assert config["Id"] == "on-upload" and config["Events"] == ["s3:ObjectCreated:*"]
    assert config["Filter"]["Key"]["FilterRules"] == [{"Name": "prefix", "Value": "in/"}]

    outbox = outbox_of(harness)
    abandoned = outbox.abandoned
    s3.put_object(Bucket="uploads", Key="in/refused", Body=b"x")
    # The function's policy does not let S3 invoke it: dropped, never invoked.
    wait_until(lambda: outbox.abandoned == abandoned + 1)
    assert seen == []

    lam.add_permission(
        FunctionName="on-upload",
        StatementId="s3",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::uploads",
    )
    settled = outbox.delivered + outbox.abandoned
    s3.put_object(Bucket="uploads", Key="elsewhere", Body=b"no event: filtered out")
    put = s3.put_object(Bucket="uploads", Key="in/a photo+1.jpg", Body=b"hello")
    wait_until(lambda: len(seen) == 1 and not outbox.pending())
    # Both PUTs are settled: the filtered one caused no notification at all.
    assert outbox.delivered + outbox.abandoned == settled + 1 and len(seen) == 1
    [record] = seen[0]["Records"]
    assert record["eventVersion"] == "2.1" and record["eventSource"] == "aws:s3"
    assert record["eventName"] == "ObjectCreated:Put" and record["awsRegion"] == "us-east-1"
    assert record["eventTime"].endswith("Z")
    assert record["requestParameters"]["sourceIPAddress"] == "127.0.0.1"
    assert record["userIdentity"]["principalId"]
    assert set(record["responseElements"]) == {"x-amz-request-id", "x-amz-id-2"}
    body = record["s3"]
    assert body["s3SchemaVersion"] == "1.0" and body["configurationId"] == "on-upload"
    assert body["bucket"]["name"] == "uploads" and body["bucket"]["arn"] == "arn:aws:s3:::uploads"
    assert body["bucket"]["ownerIdentity"]["principalId"]
    obj = body["object"]
    assert obj["key"] == "in/a+photo%2B1.jpg"  # form-encoded, as S3 sends it
    assert obj["size"] == 5 and obj["eTag"] == put["ETag"].strip('"')
    assert len(obj["sequencer"]) == 16 and "versionId" not in obj

    # A completed multipart upload and a copy are created objects too.
    upload = s3.create_multipart_upload(Bucket="uploads", Key="in/mp")["UploadId"]
    part = s3.upload_part(Bucket="uploads", Key="in/mp", UploadId=upload, PartNumber=1, Body=b"p")
    s3.complete_multipart_upload(
        Bucket="uploads",
        Key="in/mp",
        UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    s3.copy_object(Bucket="uploads", Key="in/copy", CopySource="uploads/in/mp")
    wait_until(lambda: len(seen) == 3)
    names = sorted(e["Records"][0]["eventName"] for e in seen[1:])
    assert names == ["ObjectCreated:CompleteMultipartUpload", "ObjectCreated:Copy"]
    sequencers = [e["Records"][0]["s3"]["object"]["sequencer"] for e in seen]
    assert len(set(sequencers)) == 3


def test_queue_and_topic_notifications(harness: Harness) -> None:
    s3, sqs, sns = harness.client("s3"), harness.client("sqs"), harness.client("sns")
    s3.create_bucket(Bucket="reports")
    url = sqs.create_queue(QueueName="s3-events")["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    topic = sns.create_topic(Name="s3-topic")["TopicArn"]
    topic_url = sqs.create_queue(QueueName="s3-topic-q")["QueueUrl"]
    topic_queue = sqs.get_queue_attributes(QueueUrl=topic_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=topic_queue,
        Attributes={"RawMessageDelivery": "true"},
    )

    missing = queue.replace("s3-events", "no-such-queue")
    code, message = error_of(
        s3.put_bucket_notification_configuration,
        Bucket="reports",
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": missing, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    assert (code, message) == (
        "InvalidArgument",
        "Unable to validate the following destination configurations",
    )
    s3.put_bucket_notification_configuration(
        Bucket="reports",
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": queue,
                    "Events": ["s3:ObjectCreated:Put", "s3:ObjectRemoved:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": ".csv"}]}},
                }
            ],
            "TopicConfigurations": [
                {
                    "TopicArn": topic,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": ".txt"}]}},
                }
            ],
        },
    )
    # The test event, to the queue and to the topic.
    [test] = receive(sqs, url, 1)
    assert test["Event"] == "s3:TestEvent" and test["Bucket"] == "reports"
    assert test["Service"] == "Amazon S3"
    [via_topic] = receive(sqs, topic_url, 1)
    assert via_topic["Event"] == "s3:TestEvent"

    s3.put_object(Bucket="reports", Key="q1.csv", Body=b"1,2")
    s3.put_object(Bucket="reports", Key="t1.txt", Body=b"text")
    s3.delete_object(Bucket="reports", Key="q1.csv")
    created, removed = receive(sqs, url, 2)
    assert created["Records"][0]["eventName"] == "ObjectCreated:Put"
    assert created["Records"][0]["s3"]["object"]["key"] == "q1.csv"
    assert removed["Records"][0]["eventName"] == "ObjectRemoved:Delete"
    assert "size" not in removed["Records"][0]["s3"]["object"]
    [texted] = receive(sqs, topic_url, 1)
    assert texted["Records"][0]["s3"]["object"]["key"] == "t1.txt"

    # Versioned: a delete makes a delete marker.
    s3.put_bucket_versioning(Bucket="reports", VersioningConfiguration={"Status": "Enabled"})
    version = s3.put_object(Bucket="reports", Key="v.csv", Body=b"v")["VersionId"]
    marker = s3.delete_object(Bucket="reports", Key="v.csv")["VersionId"]
    put, deleted = receive(sqs, url, 2)
    assert put["Records"][0]["s3"]["object"]["versionId"] == version
    assert deleted["Records"][0]["eventName"] == "ObjectRemoved:DeleteMarkerCreated"
    assert deleted["Records"][0]["s3"]["object"]["versionId"] == marker

    # Cleared: nothing more is sent.
    s3.put_bucket_notification_configuration(Bucket="reports", NotificationConfiguration={})
    assert (
        s3.get_bucket_notification_configuration(Bucket="reports").get("QueueConfigurations")
        is None
    )


def test_configurations_are_checked(harness: Harness) -> None:
    s3 = harness.client("s3")
    s3.create_bucket(Bucket="checked")
    function = "arn:aws:lambda:us-east-1:000000000000:function:anything"

    def put(*configs: dict[str, Any]) -> tuple[str, str]:
        return error_of(
            s3.put_bucket_notification_configuration,
            Bucket="checked",
            NotificationConfiguration={"LambdaFunctionConfigurations": list(configs)},
        )

    def config(events: list[str], **rules: str) -> dict[str, Any]:
        made: dict[str, Any] = {"LambdaFunctionArn": function, "Events": events}
        if rules:
            made["Filter"] = {
                "Key": {"FilterRules": [{"Name": k, "Value": v} for k, v in rules.items()]}
            }
        return made

    assert put(config(["s3:ObjectCreated:*"], other="x")) == (
        "InvalidArgument",
        "filter rule name must be either prefix or suffix",
    )
    overlap = put(
        config(["s3:ObjectCreated:*"], prefix="a/"), config(["s3:ObjectCreated:Put"], prefix="a/b")
    )
    assert overlap[0] == "InvalidArgument" and "overlap" in overlap[1]
    # Disjoint prefixes, or different event types, may share a destination.
    s3.put_bucket_notification_configuration(
        Bucket="checked",
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                config(["s3:ObjectCreated:*"], prefix="a/"),
                config(["s3:ObjectCreated:*"], prefix="b/"),
                config(["s3:ObjectRemoved:*"]),
            ]
        },
    )
    stored = s3.get_bucket_notification_configuration(Bucket="checked")
    ids = [c["Id"] for c in stored["LambdaFunctionConfigurations"]]
    assert len(set(ids)) == 3 and all(ids)  # made up where not given
    bad_arn = error_of(
        s3.put_bucket_notification_configuration,
        Bucket="checked",
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": "not-an-arn", "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    assert bad_arn == ("InvalidArgument", "The ARN could not be parsed")

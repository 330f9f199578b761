"""SNS through boto3's ``sns`` client, against a server in this process (the public
harness): topics, subscriptions and their attributes, filter policies, publishing and
fan-out to queues (the envelope, raw delivery, signatures verified with the certificate
the message points at), FIFO topics, PublishBatch, AWS's errors, on each store; then,
with functions run in-process, delivery to functions (refused without the function's
permission), a topic as a Lambda destination, and an HTTP endpoint's confirmation
handshake, signed notifications and retries."""

from __future__ import annotations

import base64
import json
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from altus.platform import Platform
from altus.testing import Harness, wait_until
from tests.conftest import Server

ACCOUNT = "000000000000"
REGION = "us-east-1"
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}"


def client(url: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"total_max_attempts": 1}),
    )


@pytest.fixture(scope="module")
def server(inproc_stored: Server) -> Server:
    return inproc_stored


@pytest.fixture(scope="module")
def sns(server: Server) -> Any:
    return client(server.url, "sns")


@pytest.fixture(scope="module")
def sqs(server: Server) -> Any:
    return client(server.url, "sqs")


def error_of(call: Any, **kwargs: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    error = raised.value.response["Error"]
    return (
        error["Code"],
        error["Message"],
        raised.value.response["ResponseMetadata"]["HTTPStatusCode"],
    )


def make_queue(sqs: Any, name: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return url, arn


def receive(sqs: Any, url: str, count: int = 1) -> list[dict[str, Any]]:
    """``count`` messages of a queue (long polls, bounded), deleted as they come."""
    found: list[dict[str, Any]] = []
    for _ in range(40):
        answer = sqs.receive_message(
            QueueUrl=url,
            WaitTimeSeconds=1,
            MaxNumberOfMessages=10,
            MessageAttributeNames=["All"],
            AttributeNames=["All"],
        )
        for message in answer.get("Messages", []):
            found.append(message)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        if len(found) >= count:
            break
    assert len(found) == count, found
    return found


def nothing_more(sqs: Any, url: str) -> bool:
    return not sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages")


def string_to_sign(fields: dict[str, Any]) -> bytes:
    """SNS's canonical string, written here from AWS's documentation, independently of
    the server's own."""
    if fields["Type"] == "Notification":
        keys = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    else:
        keys = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    return "".join(f"{k}\n{fields[k]}\n" for k in keys if fields.get(k) is not None).encode()


def verify(fields: dict[str, Any], cert_key: str = "SigningCertURL") -> None:
    """The message's signature holds for the certificate its URL serves."""
    with urllib.request.urlopen(fields[cert_key], timeout=10) as answer:
        certificate = x509.load_pem_x509_certificate(answer.read())
    key = certificate.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    algorithm = hashes.SHA256() if fields["SignatureVersion"] == "2" else hashes.SHA1()
    key.verify(
        base64.b64decode(fields["Signature"]), string_to_sign(fields), padding.PKCS1v15(), algorithm
    )


# --- topics ------------------------------------------------------------------------------------


def test_topic_lifecycle(sns: Any) -> None:
    arn = sns.create_topic(Name="life", Attributes={"DisplayName": "Life"})["TopicArn"]
    assert arn == f"{TOPIC_ARN}:life"
    # The same name and attributes: the same topic; fewer attributes too.
    assert sns.create_topic(Name="life", Attributes={"DisplayName": "Life"})["TopicArn"] == arn
    assert sns.create_topic(Name="life")["TopicArn"] == arn
    assert error_of(sns.create_topic, Name="life", Attributes={"DisplayName": "Other"}) == (
        "InvalidParameter",
        "Invalid parameter: Attributes Reason: Topic already exists with different attributes",
        400,
    )
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attributes["DisplayName"] == "Life"
    assert attributes["TopicArn"] == arn and attributes["Owner"] == ACCOUNT
    assert (
        attributes["SubscriptionsConfirmed"],
        attributes["SubscriptionsPending"],
        attributes["SubscriptionsDeleted"],
    ) == ("0", "0", "0")
    effective = json.loads(attributes["EffectiveDeliveryPolicy"])
    assert effective["http"]["defaultHealthyRetryPolicy"]["numRetries"] == 3
    policy = json.loads(attributes["Policy"])
    assert policy["Statement"][0]["Resource"] == arn
    assert "FifoTopic" not in attributes

    sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue="New")
    sns.set_topic_attributes(
        TopicArn=arn,
        AttributeName="DeliveryPolicy",
        AttributeValue=json.dumps({"http": {"defaultHealthyRetryPolicy": {"numRetries": 5}}}),
    )
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attributes["DisplayName"] == "New"
    retry = json.loads(attributes["EffectiveDeliveryPolicy"])["http"]["defaultHealthyRetryPolicy"]
    assert retry["numRetries"] == 5 and retry["minDelayTarget"] == 20
    assert error_of(
        sns.set_topic_attributes, TopicArn=arn, AttributeName="FifoTopic", AttributeValue="true"
    ) == ("InvalidParameter", "Invalid parameter: AttributeName", 400)
    assert (
        error_of(sns.set_topic_attributes, TopicArn=arn, AttributeName="Bogus", AttributeValue="1")[
            1
        ]
        == "Invalid parameter: AttributeName"
    )

    assert arn in [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    sns.delete_topic(TopicArn=arn)
    sns.delete_topic(TopicArn=arn)  # gone already: fine, as on AWS
    assert error_of(sns.get_topic_attributes, TopicArn=arn) == (
        "NotFound",
        "Topic does not exist",
        404,
    )
    assert arn not in [t["TopicArn"] for t in sns.list_topics()["Topics"]]


def test_topic_names_and_arns_are_checked(sns: Any) -> None:
    for name in ("", "a" * 257, "bad:name", "with space", "a.fifo"):
        assert error_of(sns.create_topic, Name=name)[:2] == (
            "InvalidParameter",
            "Invalid parameter: Topic Name",
        ), name
    assert error_of(sns.create_topic, Name="nofifo", Attributes={"FifoTopic": "true"})[1] == (
        "Invalid parameter: Topic Name"
    )
    assert error_of(sns.get_topic_attributes, TopicArn="nope") == (
        "InvalidParameter",
        "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1",
        400,
    )
    # A topic ARN of another region names no topic here.
    assert error_of(sns.get_topic_attributes, TopicArn=f"arn:aws:sns:eu-west-1:{ACCOUNT}:life")[
        1
    ] == ("Invalid parameter: TopicArn")
    assert error_of(sns.publish, TopicArn=f"{TOPIC_ARN}:missing", Message="m")[:2] == (
        "NotFound",
        "Topic does not exist",
    )


def test_topics_page(sns: Any) -> None:
    made = [sns.create_topic(Name=f"page-{i:03d}")["TopicArn"] for i in range(105)]
    seen: list[str] = []
    token: str | None = None
    for _ in range(10):
        answer = sns.list_topics(**({"NextToken": token} if token else {}))
        assert len(answer["Topics"]) <= 100
        seen += [t["TopicArn"] for t in answer["Topics"]]
        token = answer.get("NextToken")
        if token is None:
            break
    assert set(made) <= set(seen) and len(seen) == len(set(seen))
    assert error_of(sns.list_topics, NextToken="not-a-token")[1] == "Invalid parameter: NextToken"
    for arn in made:
        sns.delete_topic(TopicArn=arn)


def test_tags(sns: Any) -> None:
    arn = sns.create_topic(Name="tagged", Tags=[{"Key": "k1", "Value": "v1"}])["TopicArn"]
    sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "k2", "Value": "v2"}])
    assert sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [
        {"Key": "k1", "Value": "v1"},
        {"Key": "k2", "Value": "v2"},
    ]
    sns.untag_resource(ResourceArn=arn, TagKeys=["k1"])
    sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "k2", "Value": "v2b"}])
    assert sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "k2", "Value": "v2b"}]
    assert error_of(
        sns.tag_resource,
        ResourceArn=arn,
        Tags=[{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}],
    )[:2] == ("InvalidParameter", "Invalid parameter: Duplicated keys are not allowed.")
    assert (
        error_of(sns.create_topic, Name="tagged", Tags=[{"Key": "k3", "Value": "v3"}])[1]
        == "Invalid parameter: Tags Reason: Topic already exists with different tags"
    )
    assert error_of(sns.list_tags_for_resource, ResourceArn=f"{TOPIC_ARN}:untagged")[:2] == (
        "ResourceNotFound",
        "Resource does not exist",
    )
    assert (
        error_of(
            sns.tag_resource,
            ResourceArn=arn,
            Tags=[{"Key": f"t{i}", "Value": ""} for i in range(50)],
        )[0]
        == "TagLimitExceeded"
    )
    sns.delete_topic(TopicArn=arn)


def test_permissions_change_the_topic_policy(sns: Any) -> None:
    arn = sns.create_topic(Name="shared")["TopicArn"]
    sns.add_permission(
        TopicArn=arn, Label="partner", AWSAccountId=["111122223333"], ActionName=["Publish"]
    )
    policy = json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])
    added = [s for s in policy["Statement"] if s.get("Sid") == "partner"]
    assert added == [
        {
            "Sid": "partner",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": "SNS:Publish",
            "Resource": arn,
        }
    ]
    assert (
        error_of(
            sns.add_permission,
            TopicArn=arn,
            Label="partner",
            AWSAccountId=["111122223333"],
            ActionName=["Publish"],
        )[1]
        == "Invalid parameter: Statement already exists"
    )
    assert (
        error_of(
            sns.add_permission,
            TopicArn=arn,
            Label="other",
            AWSAccountId=["111122223333"],
            ActionName=["sqs:SendMessage"],
        )[1]
        == "Invalid parameter: Policy statement action out of service scope!"
    )
    sns.remove_permission(TopicArn=arn, Label="partner")
    policy = json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["__default_statement_ID"]
    sns.delete_topic(TopicArn=arn)


# --- subscriptions -----------------------------------------------------------------------------


def test_subscription_lifecycle(sns: Any, sqs: Any) -> None:
    arn = sns.create_topic(Name="subs")["TopicArn"]
    _, queue = make_queue(sqs, "subs-q")
    sub = sns.subscribe(
        TopicArn=arn, Protocol="sqs", Endpoint=queue, Attributes={"RawMessageDelivery": "true"}
    )["SubscriptionArn"]
    assert sub.startswith(f"{arn}:")
    # Subscribing again: the same subscription, with or without its attributes.
    assert sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue)["SubscriptionArn"] == sub
    assert (
        sns.subscribe(
            TopicArn=arn, Protocol="sqs", Endpoint=queue, Attributes={"RawMessageDelivery": "true"}
        )["SubscriptionArn"]
        == sub
    )
    assert (
        error_of(
            sns.subscribe,
            TopicArn=arn,
            Protocol="sqs",
            Endpoint=queue,
            Attributes={"RawMessageDelivery": "false"},
        )[1]
        == "Invalid parameter: Attributes Reason: Subscription already exists with different "
        "attributes"
    )
    attributes = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attributes == {
        "ConfirmationWasAuthenticated": "true",
        "Endpoint": queue,
        "Owner": ACCOUNT,
        "PendingConfirmation": "false",
        "Protocol": "sqs",
        "RawMessageDelivery": "true",
        "SubscriptionArn": sub,
        "SubscriptionPrincipal": attributes["SubscriptionPrincipal"],
        "TopicArn": arn,
    }
    listed = {
        "SubscriptionArn": sub,
        "Owner": ACCOUNT,
        "Protocol": "sqs",
        "Endpoint": queue,
        "TopicArn": arn,
    }
    assert sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"] == [listed]
    assert listed in sns.list_subscriptions()["Subscriptions"]
    topic = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert topic["SubscriptionsConfirmed"] == "1"

    sns.set_subscription_attributes(
        SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue='{"k": ["v"]}'
    )
    attributes = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attributes["FilterPolicy"] == '{"k": ["v"]}'
    assert attributes["FilterPolicyScope"] == "MessageAttributes"

    sns.unsubscribe(SubscriptionArn=sub)
    sns.unsubscribe(SubscriptionArn=sub)  # gone already: fine
    assert error_of(sns.get_subscription_attributes, SubscriptionArn=sub) == (
        "NotFound",
        "Subscription does not exist",
        404,
    )
    assert sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"] == []
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["SubscriptionsDeleted"] == "1"
    sns.delete_topic(TopicArn=arn)


def test_subscriptions_are_checked(sns: Any, sqs: Any) -> None:
    arn = sns.create_topic(Name="checked")["TopicArn"]
    _, queue = make_queue(sqs, "checked-q")
    cases: list[tuple[dict[str, Any], str | None]] = [
        (
            {"Protocol": "carrier-pigeon", "Endpoint": "x"},
            "Invalid parameter: Amazon SNS does not support this protocol string: carrier-pigeon",
        ),
        (
            {"Protocol": "sqs", "Endpoint": "https://queue/url"},
            "Invalid parameter: SQS endpoint ARN",
        ),
        (
            {"Protocol": "sqs", "Endpoint": f"arn:aws:sqs:{REGION}:{ACCOUNT}:q.fifo"},
            "Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be "
            "subscribed to standard SNS topics",
        ),
        (
            {"Protocol": "http", "Endpoint": "https://example.com/"},
            "Invalid parameter: Endpoint must match the specified protocol",
        ),
        (
            {"Protocol": "sqs", "Endpoint": queue, "Attributes": {"RawMessageDelivery": "maybe"}},
            "Invalid parameter: Attributes Reason: RawMessageDelivery: Invalid value [maybe]. "
            "Must be true or false.",
        ),
        (
            {"Protocol": "sqs", "Endpoint": queue, "Attributes": {"FilterPolicy": "{nope"}},
            None,
        ),
        (
            {
                "Protocol": "sqs",
                "Endpoint": queue,
                "Attributes": {"FilterPolicy": json.dumps({f"k{i}": ["v"] for i in range(6)})},
            },
            "Invalid parameter: Attributes Reason: FilterPolicy: Filter policy can not have more "
            "than 5 keys",
        ),
        (
            {
                "Protocol": "sqs",
                "Endpoint": queue,
                "Attributes": {
                    "FilterPolicy": json.dumps({"a": list(range(20)), "b": list(range(10))})
                },
            },
            "Invalid parameter: Attributes Reason: FilterPolicy: Filter policy is too complex",
        ),
        (
            {
                "Protocol": "sqs",
                "Endpoint": queue,
                "Attributes": {"FilterPolicy": '{"key": [{"wrong-operator": true}]}'},
            },
            "Invalid parameter: Attributes Reason: FilterPolicy: Unrecognized match type "
            "wrong-operator",
        ),
        (
            {
                "Protocol": "sqs",
                "Endpoint": queue,
                "Attributes": {"FilterPolicy": '{"a": {"b": ["c"]}}'},
            },
            "Invalid parameter: Filter policy scope MessageAttributes does not support nested "
            "filter policy",
        ),
        (
            {
                "Protocol": "sqs",
                "Endpoint": queue,
                "Attributes": {"FilterPolicyScope": "Elsewhere"},
            },
            "Invalid parameter: Attributes Reason: FilterPolicyScope: Invalid value [Elsewhere]. "
            "Please use either MessageBody or MessageAttributes",
        ),
        (
            {
                "Protocol": "sqs",
                "Endpoint": queue,
                "Attributes": {"RedrivePolicy": '{"deadLetterTargetArn": "nope"}'},
            },
            "Invalid parameter: Attributes Reason: RedrivePolicy: deadLetterTargetArn is an "
            "invalid arn",
        ),
    ]
    for given, message in cases:
        code, text, status = error_of(sns.subscribe, TopicArn=arn, **given)
        assert (code, status) == ("InvalidParameter", 400), given
        if message is None:
            assert text.startswith(
                "Invalid parameter: Attributes Reason: FilterPolicy: failed to parse JSON."
            )
        else:
            assert text == message, given
    assert error_of(sns.subscribe, TopicArn=f"{TOPIC_ARN}:missing", Protocol="sqs", Endpoint=queue)[
        :2
    ] == ("NotFound", "Topic does not exist")
    assert sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"] == []

    sub = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue)["SubscriptionArn"]
    assert (
        error_of(
            sns.set_subscription_attributes,
            SubscriptionArn=sub,
            AttributeName="RawMessageDelivery",
            AttributeValue="",
        )[1]
        == "Invalid parameter: RawMessageDelivery: Invalid value []. Must be true or false."
    )
    assert (
        error_of(
            sns.set_subscription_attributes,
            SubscriptionArn=sub,
            AttributeName="Fake",
            AttributeValue="x",
        )[1]
        == "Invalid parameter: AttributeName"
    )
    sns.set_subscription_attributes(
        SubscriptionArn=sub, AttributeName="FilterPolicyScope", AttributeValue="MessageBody"
    )
    sns.set_subscription_attributes(
        SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue='{"a": {"b": ["c"]}}'
    )
    assert error_of(
        sns.set_subscription_attributes,
        SubscriptionArn=sub,
        AttributeName="FilterPolicyScope",
        AttributeValue="MessageAttributes",
    )[1] == (
        "Invalid parameter: Filter policy scope MessageAttributes does not support nested "
        "filter policy"
    )
    assert error_of(sns.unsubscribe, SubscriptionArn="nope")[1] == (
        "Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not 1"
    )
    assert error_of(sns.get_subscription_attributes, SubscriptionArn=arn)[1] == (
        "Invalid parameter: SubscriptionId"
    )
    sns.delete_topic(TopicArn=arn)
    # A topic's subscriptions go with it.
    assert error_of(sns.get_subscription_attributes, SubscriptionArn=sub)[0] == "NotFound"


# --- publishing to queues ----------------------------------------------------------------------


def test_publish_to_a_queue_in_sns_envelope_signed(sns: Any, sqs: Any) -> None:
    arn = sns.create_topic(Name="enveloped")["TopicArn"]
    url, queue = make_queue(sqs, "enveloped-q")
    sub = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue)["SubscriptionArn"]
    published = sns.publish(
        TopicArn=arn,
        Message="hello é",
        Subject="greeting",
        MessageAttributes={
            "kind": {"DataType": "String", "StringValue": "order"},
            "count": {"DataType": "Number", "StringValue": "3"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )
    body = json.loads(receive(sqs, url)[0]["Body"])
    assert list(body) == [
        "Type",
        "MessageId",
        "TopicArn",
        "Subject",
        "Message",
        "Timestamp",
        "SignatureVersion",
        "Signature",
        "SigningCertURL",
        "UnsubscribeURL",
        "MessageAttributes",
    ]
    assert body["Type"] == "Notification" and body["MessageId"] == published["MessageId"]
    assert (body["TopicArn"], body["Subject"], body["Message"]) == (arn, "greeting", "hello é")
    assert body["MessageAttributes"] == {
        "kind": {"Type": "String", "Value": "order"},
        "count": {"Type": "Number", "Value": "3"},
        "blob": {"Type": "Binary", "Value": "AAE="},
    }
    assert body["Timestamp"].endswith("Z") and len(body["Timestamp"]) == 24
    assert body["UnsubscribeURL"].endswith(f"?Action=Unsubscribe&SubscriptionArn={sub}")
    assert body["SignatureVersion"] == "1"
    verify(body)

    # Without a subject or attributes, they are not there; SignatureVersion 2 signs with
    # SHA-256.
    sns.set_topic_attributes(TopicArn=arn, AttributeName="SignatureVersion", AttributeValue="2")
    sns.publish(TopicArn=arn, Message="plain")
    body = json.loads(receive(sqs, url)[0]["Body"])
    assert "Subject" not in body and "MessageAttributes" not in body
    assert body["SignatureVersion"] == "2"
    verify(body)

    # MessageStructure=json: the queue's own message, or the default.
    sns.publish(
        TopicArn=arn,
        MessageStructure="json",
        Message=json.dumps({"default": "for all", "sqs": "for queues"}),
    )
    sns.publish(TopicArn=arn, MessageStructure="json", Message=json.dumps({"default": "for all"}))
    bodies = sorted(json.loads(m["Body"])["Message"] for m in receive(sqs, url, 2))
    assert bodies == ["for all", "for queues"]

    # Unsubscribing by the message's UnsubscribeURL (unsigned, as an endpoint fetches it).
    with urllib.request.urlopen(body["UnsubscribeURL"], timeout=10) as answer:
        assert b"<UnsubscribeResponse" in answer.read()
    assert error_of(sns.get_subscription_attributes, SubscriptionArn=sub)[0] == "NotFound"
    sns.publish(TopicArn=arn, Message="after")
    assert nothing_more(sqs, url)
    sns.delete_topic(TopicArn=arn)


def test_raw_delivery_to_a_queue(sns: Any, sqs: Any) -> None:
    arn = sns.create_topic(Name="raw")["TopicArn"]
    url, queue = make_queue(sqs, "raw-q")
    sns.subscribe(
        TopicArn=arn, Protocol="sqs", Endpoint=queue, Attributes={"RawMessageDelivery": "true"}
    )
    sns.publish(
        TopicArn=arn,
        Message="just this",
        MessageAttributes={
            "n": {"DataType": "Number", "StringValue": "99.12"},
            "b": {"DataType": "Binary", "BinaryValue": b"\x02\x03\x04"},
            "s": {"DataType": "String.Array", "StringValue": '["a", "b"]'},
        },
    )
    message = receive(sqs, url)[0]
    assert message["Body"] == "just this"
    assert message["MessageAttributes"] == {
        "n": {"DataType": "Number", "StringValue": "99.12"},
        "b": {"DataType": "Binary", "BinaryValue": b"\x02\x03\x04"},
        "s": {"DataType": "String.Array", "StringValue": '["a", "b"]'},
    }
    sns.delete_topic(TopicArn=arn)


def test_bad_messages_are_refused(sns: Any) -> None:
    arn = sns.create_topic(Name="refusing")["TopicArn"]
    cases: list[tuple[dict[str, Any], tuple[str, str]]] = [
        ({"Message": ""}, ("InvalidParameter", "Invalid parameter: Empty message")),
        ({"Message": "x" * 262_145}, ("InvalidParameter", "Invalid parameter: Message too long")),
        ({"Message": "m", "Subject": ""}, ("InvalidParameter", "Invalid parameter: Subject")),
        (
            {"Message": "m", "Subject": "two\nlines"},
            ("InvalidParameter", "Invalid parameter: Subject"),
        ),
        (
            {"Message": "m", "MessageStructure": "json"},
            (
                "InvalidParameter",
                "Invalid parameter: Message Structure - JSON message body failed to parse",
            ),
        ),
        (
            {"Message": '{"sqs": "x"}', "MessageStructure": "json"},
            (
                "InvalidParameter",
                "Invalid parameter: Message Structure - No default entry in JSON message body",
            ),
        ),
        (
            {"Message": "m", "MessageAttributes": {"a": {"DataType": "String", "StringValue": ""}}},
            (
                "ParameterValueInvalid",
                "The message attribute 'a' must contain non-empty message attribute value for "
                "message attribute type 'String'.",
            ),
        ),
        (
            {"Message": "m", "MessageAttributes": {"a": {"DataType": "Float", "StringValue": "1"}}},
            (
                "ParameterValueInvalid",
                "The message attribute 'a' has an invalid message attribute type, the set of "
                "supported type prefixes is Binary, Number, and String.",
            ),
        ),
        (
            {
                "Message": "m",
                "MessageAttributes": {"a": {"DataType": "String", "BinaryValue": b"1"}},
            },
            (
                "ParameterValueInvalid",
                "The message attribute 'a' with type 'String' must use field 'String'.",
            ),
        ),
        (
            {
                "Message": "m",
                "MessageAttributes": {"a^": {"DataType": "String", "StringValue": "1"}},
            },
            (
                "ParameterValueInvalid",
                "Invalid non-alphanumeric character '#x5E' was found in the message attribute "
                "name. Can only include alphanumeric characters, hyphens, underscores, or dots.",
            ),
        ),
        (
            {
                "Message": "m",
                "MessageAttributes": {"a..b": {"DataType": "String", "StringValue": "1"}},
            },
            (
                "ParameterValueInvalid",
                "Message attribute name can not have successive '.' character.",
            ),
        ),
        (
            {"Message": "m", "MessageDeduplicationId": "d"},
            (
                "InvalidParameter",
                "Invalid parameter: MessageDeduplicationId Reason: The request includes "
                "MessageDeduplicationId parameter that is not valid for this topic type",
            ),
        ),
        (
            {"Message": "m", "TargetArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:endpoint/GCM/app/1"},
            (
                "InvalidParameter",
                "Invalid parameter: TopicArn or TargetArn Reason: Only one of TopicArn or "
                "TargetArn may be given",
            ),
        ),
    ]
    for given, (code, message) in cases:
        found = error_of(sns.publish, **{"TopicArn": arn, **given})
        assert found[:2] == (code, message), given
        assert found[2] == 400
    assert (
        error_of(
            sns.publish, TargetArn=f"arn:aws:sns:{REGION}:{ACCOUNT}:endpoint/GCM/app/1", Message="m"
        )[1]
        == "Invalid parameter: TargetArn Reason: No endpoint found for the target arn specified"
    )
    assert sns.publish(TargetArn=arn, Message="by target")["MessageId"]
    sns.delete_topic(TopicArn=arn)


def test_filter_policies_on_attributes_and_body(sns: Any, sqs: Any) -> None:
    arn = sns.create_topic(Name="filtered")["TopicArn"]
    attrs_url, attrs_queue = make_queue(sqs, "filtered-attrs")
    body_url, body_queue = make_queue(sqs, "filtered-body")
    sns.subscribe(
        TopicArn=arn,
        Protocol="sqs",
        Endpoint=attrs_queue,
        Attributes={
            "RawMessageDelivery": "true",
            "FilterPolicy": json.dumps(
                {
                    "store": ["example_corp"],
                    "price": [{"numeric": [">=", 100, "<", 200]}],
                    "tags": [{"prefix": "blue"}],
                }
            ),
        },
    )
    sns.subscribe(
        TopicArn=arn,
        Protocol="sqs",
        Endpoint=body_queue,
        Attributes={
            "RawMessageDelivery": "true",
            "FilterPolicyScope": "MessageBody",
            "FilterPolicy": json.dumps({"order": {"kind": ["big"], "id": [{"exists": True}]}}),
        },
    )

    def attrs(store: str, price: str, tags: list[str]) -> dict[str, Any]:
        return {
            "store": {"DataType": "String", "StringValue": store},
            "price": {"DataType": "Number", "StringValue": price},
            "tags": {"DataType": "String.Array", "StringValue": json.dumps(tags)},
        }

    sns.publish(
        TopicArn=arn,
        Message="match",
        MessageAttributes=attrs("example_corp", "150", ["x", "blue-ish"]),
    )
    sns.publish(
        TopicArn=arn, Message="price", MessageAttributes=attrs("example_corp", "200", ["blue"])
    )
    sns.publish(TopicArn=arn, Message="store", MessageAttributes=attrs("other", "150", ["blue"]))
    sns.publish(
        TopicArn=arn, Message="tags", MessageAttributes=attrs("example_corp", "150", ["red"])
    )
    # A number given as a string is no number.
    sns.publish(
        TopicArn=arn,
        Message="typed",
        MessageAttributes={
            **attrs("example_corp", "150", ["blue"]),
            "price": {"DataType": "String", "StringValue": "150"},
        },
    )
    sns.publish(TopicArn=arn, Message=json.dumps({"order": {"kind": "big", "id": 7}}))
    sns.publish(TopicArn=arn, Message=json.dumps({"order": {"kind": "small", "id": 7}}))
    sns.publish(TopicArn=arn, Message=json.dumps({"order": {"kind": "big"}}))
    sns.publish(TopicArn=arn, Message="not json")

    assert [m["Body"] for m in receive(sqs, attrs_url)] == ["match"]
    assert [json.loads(m["Body"]) for m in receive(sqs, body_url)] == [
        {"order": {"kind": "big", "id": 7}}
    ]
    assert nothing_more(sqs, attrs_url) and nothing_more(sqs, body_url)
    sns.delete_topic(TopicArn=arn)


def test_publish_batch(sns: Any, sqs: Any) -> None:
    arn = sns.create_topic(Name="batched")["TopicArn"]
    url, queue = make_queue(sqs, "batched-q")
    sns.subscribe(
        TopicArn=arn, Protocol="sqs", Endpoint=queue, Attributes={"RawMessageDelivery": "true"}
    )
    answer = sns.publish_batch(
        TopicArn=arn,
        PublishBatchRequestEntries=[
            {"Id": "one", "Message": "first"},
            {"Id": "two", "Message": ""},
            {"Id": "three", "Message": "third", "Subject": "bad\nsubject"},
            {
                "Id": "four",
                "Message": "fourth",
                "MessageAttributes": {"a": {"DataType": "String", "StringValue": "b"}},
            },
        ],
    )
    assert [s["Id"] for s in answer["Successful"]] == ["one", "four"]
    assert all(s["MessageId"] for s in answer["Successful"])
    assert sorted(answer["Failed"], key=lambda f: f["Id"]) == [
        {
            "Id": "three",
            "Code": "InvalidParameter",
            "Message": "Invalid parameter: Subject",
            "SenderFault": True,
        },
        {
            "Id": "two",
            "Code": "InvalidParameter",
            "Message": "Invalid parameter: Empty message",
            "SenderFault": True,
        },
    ]
    assert sorted(m["Body"] for m in receive(sqs, url, 2)) == ["first", "fourth"]

    entries = [{"Id": f"e{i}", "Message": "m"} for i in range(11)]
    assert error_of(sns.publish_batch, TopicArn=arn, PublishBatchRequestEntries=entries) == (
        "TooManyEntriesInBatchRequest",
        "The batch request contains more entries than permissible.",
        400,
    )
    assert error_of(sns.publish_batch, TopicArn=arn, PublishBatchRequestEntries=[])[:2] == (
        "EmptyBatchRequest",
        "The batch request doesn't contain any entries.",
    )
    same = [{"Id": "x", "Message": "1"}, {"Id": "x", "Message": "2"}]
    assert error_of(sns.publish_batch, TopicArn=arn, PublishBatchRequestEntries=same)[:2] == (
        "BatchEntryIdsNotDistinct",
        "Two or more batch entries in the request have the same Id.",
    )
    assert (
        error_of(
            sns.publish_batch,
            TopicArn=arn,
            PublishBatchRequestEntries=[{"Id": "bad id!", "Message": "1"}],
        )[0]
        == "InvalidBatchEntryId"
    )
    big = [{"Id": f"b{i}", "Message": "x" * 100_000} for i in range(3)]
    assert error_of(sns.publish_batch, TopicArn=arn, PublishBatchRequestEntries=big)[:2] == (
        "BatchRequestTooLong",
        "The length of all the messages put together is more than the limit.",
    )
    assert error_of(
        sns.publish_batch,
        TopicArn=f"{TOPIC_ARN}:missing",
        PublishBatchRequestEntries=[{"Id": "a", "Message": "m"}],
    )[:2] == ("NotFound", "Topic does not exist")
    assert nothing_more(sqs, url)
    sns.delete_topic(TopicArn=arn)


def test_fifo_topics(sns: Any, sqs: Any) -> None:
    arn = sns.create_topic(
        Name="ordered.fifo", Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"}
    )["TopicArn"]
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert (attributes["FifoTopic"], attributes["ContentBasedDeduplication"]) == ("true", "true")
    url, queue = make_queue(sqs, "from-fifo")  # a standard queue takes a FIFO topic's messages
    sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue)
    fifo_url = sqs.create_queue(QueueName="to-fifo.fifo", Attributes={"FifoQueue": "true"})[
        "QueueUrl"
    ]
    fifo_queue = sqs.get_queue_attributes(QueueUrl=fifo_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    assert sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=fifo_queue)["SubscriptionArn"]
    assert (
        error_of(
            sns.subscribe,
            TopicArn=arn,
            Protocol="lambda",
            Endpoint=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f",
        )[0]
        == "InvalidParameter"
    )

    assert error_of(sns.publish, TopicArn=arn, Message="m")[1] == (
        "Invalid parameter: The MessageGroupId parameter is required for FIFO topics"
    )
    first = sns.publish(TopicArn=arn, Message="one", MessageGroupId="g")
    second = sns.publish(TopicArn=arn, Message="two", MessageGroupId="g")
    assert int(second["SequenceNumber"]) > int(first["SequenceNumber"])
    # The same content within five minutes: the first publish's answer, delivered once.
    again = sns.publish(TopicArn=arn, Message="one", MessageGroupId="g")
    assert (again["MessageId"], again["SequenceNumber"]) == (
        first["MessageId"],
        first["SequenceNumber"],
    )
    bodies = [json.loads(m["Body"]) for m in receive(sqs, url, 2)]
    assert [b["Message"] for b in bodies] == ["one", "two"]
    # A FIFO topic's messages carry their sequence number and no signature.
    assert bodies[0]["SequenceNumber"] == first["SequenceNumber"]
    assert "Signature" not in bodies[0]
    assert nothing_more(sqs, url)
    # The FIFO queue gets them too, in their group, in order.
    in_fifo = [json.loads(m["Body"]) for m in receive(sqs, fifo_url, 2)]
    assert [b["Message"] for b in in_fifo] == ["one", "two"]

    plain = sns.create_topic(Name="plain-dedup.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    assert error_of(sns.publish, TopicArn=plain, Message="m", MessageGroupId="g")[1] == (
        "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or "
        "MessageDeduplicationId provided explicitly"
    )
    batch = sns.publish_batch(
        TopicArn=plain,
        PublishBatchRequestEntries=[
            {"Id": "a", "Message": "m", "MessageGroupId": "g", "MessageDeduplicationId": "d1"},
            {"Id": "b", "Message": "m", "MessageGroupId": "g", "MessageDeduplicationId": "d1"},
        ],
    )
    assert batch["Successful"][0]["MessageId"] == batch["Successful"][1]["MessageId"]
    sns.delete_topic(TopicArn=arn)
    sns.delete_topic(TopicArn=plain)


# --- functions, destinations and HTTP endpoints, with functions in-process ---------------------


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    with Harness(clock=None) as made:
        yield made


def deliveries_of(harness: Harness) -> Any:
    async def found(platform: Platform) -> Any:
        return platform.component("sns").deliveries

    return harness.call(found)


def test_fan_out_to_a_function_needs_its_permission(harness: Harness) -> None:
    seen: list[dict[str, Any]] = []
    function = harness.create_function("on-order", lambda event, context: seen.append(event))
    sns, lam = harness.client("sns"), harness.client("lambda")
    arn = sns.create_topic(Name="orders")["TopicArn"]
    sub = sns.subscribe(TopicArn=arn, Protocol="lambda", Endpoint=function["FunctionArn"])[
        "SubscriptionArn"
    ]
    deliveries = deliveries_of(harness)
    abandoned = deliveries.abandoned
    sns.publish(TopicArn=arn, Message="refused")
    # The function's policy does not let SNS invoke it: given up at once, never invoked.
    wait_until(lambda: deliveries.abandoned == abandoned + 1)
    assert seen == []

    lam.add_permission(
        FunctionName="on-order",
        StatementId="from-orders",
        Action="lambda:InvokeFunction",
        Principal="sns.amazonaws.com",
        SourceArn=arn,
    )
    published = sns.publish(
        TopicArn=arn,
        Message="hello",
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "new"}},
    )
    wait_until(lambda: len(seen) == 1)
    [record] = seen[0]["Records"]
    assert (record["EventSource"], record["EventVersion"], record["EventSubscriptionArn"]) == (
        "aws:sns",
        "1.0",
        sub,
    )
    event = record["Sns"]
    assert event["Type"] == "Notification" and event["MessageId"] == published["MessageId"]
    assert (event["TopicArn"], event["Subject"], event["Message"]) == (arn, None, "hello")
    assert event["MessageAttributes"] == {"kind": {"Type": "String", "Value": "new"}}
    assert event["SignatureVersion"] == "1" and event["UnsubscribeUrl"].endswith(sub)
    verify(event, "SigningCertUrl")
    sns.delete_topic(TopicArn=arn)


def test_a_topic_is_a_lambda_destination(harness: Harness) -> None:
    def failing(event: Any, context: Any) -> None:
        raise RuntimeError("no")

    harness.create_function("fails", failing)
    sns, sqs, lam = harness.client("sns"), harness.client("sqs"), harness.client("lambda")
    arn = sns.create_topic(Name="failures")["TopicArn"]
    url, queue = make_queue(sqs, "failures-q")
    sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue)
    lam.put_function_event_invoke_config(
        FunctionName="fails",
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": arn}},
    )
    lam.invoke(FunctionName="fails", InvocationType="Event", Payload=b'{"job": 1}')
    body = json.loads(receive(sqs, url)[0]["Body"])
    assert body["TopicArn"] == arn
    record = json.loads(body["Message"])
    assert record["requestPayload"] == {"job": 1}
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    sns.delete_topic(TopicArn=arn)


class Endpoint:
    """A tiny HTTP endpoint on loopback: records what SNS posts, answers with the
    statuses it is given (then 200)."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with lock:
                    outer.received.append((dict(self.headers.items()), body))
                    status = outer.statuses.pop(0) if outer.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def nth(self, index: int) -> tuple[dict[str, str], bytes]:
        """The ``index``-th request received (waited for)."""

        def found() -> tuple[dict[str, str], bytes] | None:
            return self.received[index] if len(self.received) > index else None

        received = wait_until(found)
        assert received is not None
        headers, body = received
        return {k.lower(): v for k, v in headers.items()}, body

    def message(self, index: int) -> tuple[dict[str, str], dict[str, Any]]:
        headers, body = self.nth(index)
        return headers, json.loads(body)


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    made = Endpoint()
    yield made
    made.close()


def test_http_endpoint_confirms_and_receives_signed_notifications(
    harness: Harness, endpoint: Endpoint
) -> None:
    sns = harness.client("sns")
    arn = sns.create_topic(Name="hooked")["TopicArn"]
    answer = sns.subscribe(TopicArn=arn, Protocol="http", Endpoint=endpoint.url)
    assert answer["SubscriptionArn"] == "pending confirmation"
    [listed] = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
    assert listed["SubscriptionArn"] == "PendingConfirmation"

    headers, confirmation = endpoint.message(0)
    assert headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
    assert headers["x-amz-sns-topic-arn"] == arn
    assert "x-amz-sns-subscription-arn" not in headers
    assert headers["content-type"] == "text/plain; charset=UTF-8"
    assert headers["user-agent"] == "Amazon Simple Notification Service Agent"
    assert confirmation["Type"] == "SubscriptionConfirmation"
    assert confirmation["Message"] == (
        f"You have chosen to subscribe to the topic {arn}.\nTo confirm the subscription, "
        "visit the SubscribeURL included in this message."
    )
    verify(confirmation)
    # Published while pending: not delivered.
    sns.publish(TopicArn=arn, Message="too early")

    with urllib.request.urlopen(confirmation["SubscribeURL"], timeout=10) as answer_:
        assert b"<ConfirmSubscriptionResult>" in answer_.read()
    [listed] = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
    sub = listed["SubscriptionArn"]
    assert sub.startswith(f"{arn}:")
    attributes = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attributes["PendingConfirmation"] == "false"
    assert attributes["ConfirmationWasAuthenticated"] == "false"
    # Confirming again is fine; a token that is not one is refused.
    assert (
        sns.confirm_subscription(TopicArn=arn, Token=confirmation["Token"])["SubscriptionArn"]
        == sub
    )
    assert error_of(sns.confirm_subscription, TopicArn=arn, Token="nope")[1] == (
        "Invalid parameter: Token"
    )
    assert error_of(sns.confirm_subscription, TopicArn="nope:x", Token="nope")[1] == (
        "Invalid parameter: Topic"
    )

    published = sns.publish(TopicArn=arn, Message="now", Subject="s")
    headers, notification = endpoint.message(1)
    assert headers["x-amz-sns-message-type"] == "Notification"
    assert headers["x-amz-sns-message-id"] == published["MessageId"]
    assert headers["x-amz-sns-subscription-arn"] == sub
    assert (notification["Message"], notification["Subject"]) == ("now", "s")
    verify(notification)

    sns.unsubscribe(SubscriptionArn=sub)
    headers, goodbye = endpoint.message(2)
    assert headers["x-amz-sns-message-type"] == "UnsubscribeConfirmation"
    assert goodbye["Message"].startswith(f"You have chosen to deactivate subscription {sub}.")
    verify(goodbye)
    assert len(endpoint.received) == 3
    sns.delete_topic(TopicArn=arn)


def test_http_deliveries_are_retried_on_5xx(endpoint: Endpoint) -> None:
    with Harness() as altus:  # a fake clock: the 20 s between retries pass at once
        sns = altus.client("sns")
        arn = sns.create_topic(Name="flaky")["TopicArn"]
        sub = sns.subscribe(
            TopicArn=arn,
            Protocol="http",
            Endpoint=endpoint.url,
            Attributes={"RawMessageDelivery": "true"},
            ReturnSubscriptionArn=True,
        )["SubscriptionArn"]
        _, confirmation = endpoint.message(0)
        sns.confirm_subscription(TopicArn=arn, Token=confirmation["Token"])
        endpoint.statuses = [500, 503]
        sns.publish(TopicArn=arn, Message="eventually")
        wait_until(lambda: len(endpoint.received) == 2)
        deliveries = deliveries_of(altus)
        wait_until(lambda: deliveries.retried == 1)
        altus.advance(20)
        wait_until(lambda: len(endpoint.received) == 3)
        wait_until(lambda: deliveries.retried == 2)
        altus.advance(20)
        headers, body = endpoint.nth(3)
        assert body == b"eventually"
        assert headers["x-amz-sns-rawdelivery"] == "true"
        wait_until(lambda: deliveries.delivered >= 2 and not deliveries.pending())
        assert (
            sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"][
                "ConfirmationWasAuthenticated"
            ]
            == "true"
        )


def test_a_spent_http_policy_goes_to_the_dead_letter_queue(endpoint: Endpoint) -> None:
    with Harness() as altus:
        sns, sqs = altus.client("sns"), altus.client("sqs")
        arn = sns.create_topic(Name="dead")["TopicArn"]
        url, queue = make_queue(sqs, "dead-letters")
        sub = sns.subscribe(
            TopicArn=arn,
            Protocol="http",
            Endpoint=endpoint.url,
            Attributes={
                "DeliveryPolicy": json.dumps({"healthyRetryPolicy": {"numRetries": 1}}),
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": queue}),
            },
            ReturnSubscriptionArn=True,
        )["SubscriptionArn"]
        _, confirmation = endpoint.message(0)
        sns.confirm_subscription(TopicArn=arn, Token=confirmation["Token"])
        endpoint.statuses = [500, 500]
        published = sns.publish(TopicArn=arn, Message="lost")
        deliveries = deliveries_of(altus)
        wait_until(lambda: deliveries.retried == 1)
        altus.advance(20)
        body = json.loads(
            wait_until(lambda: sqs.receive_message(QueueUrl=url).get("Messages"))[0]["Body"]
        )
        assert (body["MessageId"], body["Message"]) == (published["MessageId"], "lost")
        assert body["UnsubscribeURL"].endswith(sub)
        assert len(endpoint.received) == 3


# --- authorisation -----------------------------------------------------------------------------


def test_a_topics_policy_allows_and_denies_as_a_resource_policy(tmp_path: Any) -> None:
    from altus.identity.keys import read_credentials

    with Harness(clock=None, data_dir=tmp_path, auth="iam") as altus:
        found = read_credentials(tmp_path / "credentials")
        assert found is not None
        admin = {"aws_access_key_id": found[0], "aws_secret_access_key": found[1]}

        def signed(service: str, **keys: str) -> Any:
            return boto3.client(
                service,
                endpoint_url=altus.url,
                region_name=REGION,
                config=Config(retries={"total_max_attempts": 1}),
                **keys,
            )

        sns, iam = signed("sns", **admin), signed("iam", **admin)
        arn = sns.create_topic(Name="guarded")["TopicArn"]
        iam.create_user(UserName="producer")
        key = iam.create_access_key(UserName="producer")["AccessKey"]
        producer = signed(
            "sns",
            aws_access_key_id=key["AccessKeyId"],
            aws_secret_access_key=key["SecretAccessKey"],
        )
        code, message, status = error_of(producer.publish, TopicArn=arn, Message="m")
        assert (code, status) == ("AuthorizationError", 403)
        assert f"sns:Publish on resource: {arn}" in message
        # The topic's policy naming the user grants it what it names, on that topic.
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/producer"},
                    "Action": "sns:Publish",
                    "Resource": arn,
                },
                {"Effect": "Deny", "Principal": "*", "Action": "sns:DeleteTopic", "Resource": arn},
            ],
        }
        sns.set_topic_attributes(
            TopicArn=arn, AttributeName="Policy", AttributeValue=json.dumps(policy)
        )
        assert producer.publish(TopicArn=arn, Message="m")["MessageId"]
        assert producer.publish_batch(
            TopicArn=arn, PublishBatchRequestEntries=[{"Id": "a", "Message": "m"}]
        )["Successful"]
        assert error_of(producer.get_topic_attributes, TopicArn=arn)[2] == 403
        # An explicit deny binds the administrator too.
        assert error_of(sns.delete_topic, TopicArn=arn)[:1] == ("AuthorizationError",)
        # The URLs SNS's messages carry need no signature: the certificate is served.
        name = altus.call(_certificate_name)
        with urllib.request.urlopen(f"{altus.url}/_aws/sns/{name}", timeout=10) as answer:
            assert answer.read().startswith(b"-----BEGIN CERTIFICATE-----")


async def _certificate_name(platform: Platform) -> str:
    name: str = platform.component("sns").core.signer.certificate_name
    return name

"""Where requests are authorised (``--auth iam``), a queue takes what a service sends it
as itself (SNS to a subscribed queue, S3's notifications, a rule's target without a
role) only where the queue's own policy allows that service for that source, as on AWS
(``altus.events.handoff.check_pushed``)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from altus.testing import wait_until
from tests.functional.guarded import Guarded, guarded

ACCOUNT = "000000000000"
REGION = "us-east-1"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Guarded]:
    with guarded(tmp_path_factory.mktemp("push-policies")) as made:
        yield made


def make_queue(server: Guarded, name: str) -> tuple[str, str]:
    url = server.client("sqs").create_queue(QueueName=name)["QueueUrl"]
    return url, f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


def allow(
    server: Guarded, url: str, arn: str, service: str, source: str, *, everyone: bool = False
) -> None:
    """The queue's policy lets ``service`` (or, ``everyone``, ``{"AWS": "*"}``, as older
    AWS examples grant SNS) send to it for ``source`` alone."""
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "*"} if everyone else {"Service": service},
                "Action": "sqs:SendMessage",
                "Resource": arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": source}},
            }
        ],
    }
    server.client("sqs").set_queue_attributes(
        QueueUrl=url, Attributes={"Policy": json.dumps(policy)}
    )


def bodies(server: Guarded, url: str, count: int) -> list[str]:
    got: list[str] = []

    def enough() -> bool:
        answer = server.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        got.extend(m["Body"] for m in answer.get("Messages", []))
        return len(got) >= count

    wait_until(enough)
    return got


def test_sns_sends_to_a_queue_only_where_its_policy_allows_the_topic(server: Guarded) -> None:
    sns = server.client("sns")
    topic = sns.create_topic(Name="pushes")["TopicArn"]
    url, arn = make_queue(server, "from-sns")
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"}
    )
    deliveries = server.component("sns").deliveries
    given_up = deliveries.abandoned
    sns.publish(TopicArn=topic, Message="refused")
    wait_until(lambda: deliveries.abandoned == given_up + 1)
    allow(server, url, arn, "sns.amazonaws.com", topic)
    sns.publish(TopicArn=topic, Message="allowed")
    assert bodies(server, url, 1) == ["allowed"]
    allow(server, url, arn, "sns.amazonaws.com", topic, everyone=True)
    sns.publish(TopicArn=topic, Message="allowed to all")
    assert bodies(server, url, 1) == ["allowed to all"]


def test_s3_notifications_need_the_queues_policy(server: Guarded) -> None:
    s3 = server.client("s3")
    s3.create_bucket(Bucket="pushing")
    url, arn = make_queue(server, "from-s3")
    configuration = {"QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]}
    with pytest.raises(ClientError) as refused:
        s3.put_bucket_notification_configuration(
            Bucket="pushing", NotificationConfiguration=configuration
        )
    error = refused.value.response["Error"]
    assert error["Code"] == "InvalidArgument"
    assert error["ArgumentValue"] == (
        "Permissions on the destination queue do not allow S3 to publish notifications "
        "from this bucket"
    )
    allow(server, url, arn, "s3.amazonaws.com", "arn:aws:s3:::pushing")
    s3.put_bucket_notification_configuration(
        Bucket="pushing", NotificationConfiguration=configuration
    )
    assert json.loads(bodies(server, url, 1)[0])["Event"] == "s3:TestEvent"
    s3.put_object(Bucket="pushing", Key="k", Body=b"x")
    (record,) = json.loads(bodies(server, url, 1)[0])["Records"]
    assert record["eventName"] == "ObjectCreated:Put"


def test_a_rules_queue_target_without_a_role_needs_the_queues_policy(server: Guarded) -> None:
    events = server.client("events")
    url, arn = make_queue(server, "from-rule")
    dead_url, dead_arn = make_queue(server, "rule-dead-letters")
    rule = events.put_rule(Name="pushes", EventPattern=json.dumps({"source": ["push"]}))
    allow(server, dead_url, dead_arn, "events.amazonaws.com", rule["RuleArn"])
    events.put_targets(
        Rule="pushes",
        Targets=[{"Id": "q", "Arn": arn, "DeadLetterConfig": {"Arn": dead_arn}}],
    )
    entry = {"Source": "push", "DetailType": "t", "Detail": json.dumps({"n": 1})}
    events.put_events(Entries=[entry])
    assert json.loads(bodies(server, dead_url, 1)[0])["detail"] == {"n": 1}
    allow(server, url, arn, "events.amazonaws.com", rule["RuleArn"])
    events.put_events(Entries=[{**entry, "Detail": json.dumps({"n": 2})}])
    assert json.loads(bodies(server, url, 1)[0])["detail"] == {"n": 2}

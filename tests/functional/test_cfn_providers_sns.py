"""The SNS providers against a server in this process: topics (attributes, FIFO names,
delivery status logging, tags, the subscriptions their ``Subscription`` property lists),
subscriptions of their own (filter and redrive policy objects sent as JSON text, raw
delivery, a removed attribute back to SNS's default), and topic policies, checked
through boto3."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from altus.cloudformation.providers.base import Current, ResourceFailed
from altus.cloudformation.providers.sns import PROVIDERS
from tests.functional import cloudformation_providers
from tests.functional.cloudformation_providers import ACCOUNT, REGION, World, delete_twice

#: The module's server and contexts (a fixture, found by its name).
world = cloudformation_providers.world

TOPIC = PROVIDERS["AWS::SNS::Topic"]
SUBSCRIPTION = PROVIDERS["AWS::SNS::Subscription"]
POLICY = PROVIDERS["AWS::SNS::TopicPolicy"]


def attributes_of(world: World, arn: str) -> dict[str, str]:
    return dict(world.client("sns").get_topic_attributes(TopicArn=arn)["Attributes"])


def endpoints_of(world: World, arn: str) -> list[str]:
    listed = world.client("sns").list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
    return sorted(s["Endpoint"] for s in listed)


def topic_exists(world: World, arn: str) -> bool:
    try:
        attributes_of(world, arn)
    except ClientError:
        return False
    return True


def test_topic_lifecycle(world: World) -> None:
    first, second = world.queue_arn("cfn-fan-1"), world.queue_arn("cfn-fan-2")
    ctx = world.context("Alerts")
    props: dict[str, Any] = {
        "DisplayName": "alerts",
        "SignatureVersion": 2,
        "DeliveryStatusLogging": [
            {
                "Protocol": "sqs",
                "SuccessFeedbackRoleArn": f"arn:aws:iam::{ACCOUNT}:role/feedback",
                "SuccessFeedbackSampleRate": "50",
            }
        ],
        "Subscription": [{"Protocol": "sqs", "Endpoint": first}],
        "Tags": [{"Key": "tier", "Value": "gold"}],
    }
    made = world.run(TOPIC.create(ctx, "Alerts", props))
    arn = made.physical_id
    name = arn.rsplit(":", 1)[-1]
    assert arn == f"arn:aws:sns:{REGION}:{ACCOUNT}:{name}" and name.startswith("teststack-Alerts-")
    assert made.attributes == {"TopicArn": arn, "TopicName": name}
    got = attributes_of(world, arn)
    assert got["DisplayName"] == "alerts" and got["SignatureVersion"] == "2"
    assert got["SQSSuccessFeedbackRoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/feedback"
    assert got["SQSSuccessFeedbackSampleRate"] == "50"
    assert endpoints_of(world, arn) == [first]
    tags = world.client("sns").list_tags_for_resource(ResourceArn=arn)["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {"team": "altus", "tier": "gold"}
    assert {"TopicName", "FifoTopic"} <= TOPIC.replaced_by

    changed: dict[str, Any] = {"Subscription": [{"Protocol": "sqs", "Endpoint": second}]}
    updated = world.run(TOPIC.update(ctx, Current("Alerts", arn, props, made.attributes), changed))
    assert updated == made
    got = attributes_of(world, arn)
    assert got["DisplayName"] == "" and got["SignatureVersion"] == "1"
    assert not got.get("SQSSuccessFeedbackRoleArn")
    assert endpoints_of(world, arn) == [second]
    tags = world.client("sns").list_tags_for_resource(ResourceArn=arn)["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {"team": "altus"}

    current = Current("Alerts", arn, changed, updated.attributes)
    delete_twice(world, TOPIC, current, world.client("sns").get_topic_attributes, TopicArn=arn)


def test_fifo_topic_and_an_interrupted_create(world: World) -> None:
    ctx = world.context("Ledger")
    props = {"FifoTopic": "true", "ContentBasedDeduplication": True}
    made = world.run(TOPIC.create(ctx, "Ledger", props))
    name = made.attributes["TopicName"]
    assert name.startswith("teststack-Ledger-") and name.endswith(".fifo")
    got = attributes_of(world, made.physical_id)
    assert got["FifoTopic"] == "true" and got["ContentBasedDeduplication"] == "true"
    world.run(TOPIC.delete(ctx, Current("Ledger", None, props)))
    assert not topic_exists(world, made.physical_id)

    named = {"TopicName": "cfn-named-topic"}
    world.run(TOPIC.create(world.context("Named"), "Named", named))
    with pytest.raises(ResourceFailed, match="already exists"):
        world.run(TOPIC.create(world.context("Twin"), "Twin", named))
    with pytest.raises(ResourceFailed, match="DataProtectionPolicy"):
        world.run(TOPIC.create(world.context("Masked"), "Masked", {"DataProtectionPolicy": {}}))


def test_subscription_lifecycle(world: World) -> None:
    sns = world.client("sns")
    topic = sns.create_topic(Name="cfn-orders")["TopicArn"]
    queue, dead = world.queue_arn("cfn-order-queue"), world.queue_arn("cfn-order-dead")
    ctx = world.context("OrdersSub")
    props: dict[str, Any] = {
        "TopicArn": topic,
        "Protocol": "sqs",
        "Endpoint": queue,
        "RawMessageDelivery": "true",
        "FilterPolicy": {"kind": ["order"]},
        "RedrivePolicy": {"deadLetterTargetArn": dead},
    }
    made = world.run(SUBSCRIPTION.create(ctx, "OrdersSub", props))
    arn = made.physical_id
    assert arn.startswith(f"{topic}:") and made.attributes == {"Arn": arn}
    got = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert got["RawMessageDelivery"] == "true"
    assert json.loads(got["FilterPolicy"]) == {"kind": ["order"]}
    assert json.loads(got["RedrivePolicy"]) == {"deadLetterTargetArn": dead}
    assert {"Endpoint", "Protocol", "TopicArn"} <= SUBSCRIPTION.replaced_by

    # The scope changes with the policy: the new pair is taken together.
    changed: dict[str, Any] = {
        "TopicArn": topic,
        "Protocol": "sqs",
        "Endpoint": queue,
        "FilterPolicyScope": "MessageBody",
        "FilterPolicy": {"order": {"size": ["large"]}},
    }
    updated = world.run(SUBSCRIPTION.update(ctx, Current("OrdersSub", arn, props), changed))
    assert updated.physical_id == arn
    got = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert got["RawMessageDelivery"] == "false" and "RedrivePolicy" not in got
    assert got["FilterPolicyScope"] == "MessageBody"
    assert json.loads(got["FilterPolicy"]) == {"order": {"size": ["large"]}}

    world.run(SUBSCRIPTION.delete(ctx, Current("OrdersSub", None, changed)))
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []
    world.run(SUBSCRIPTION.delete(ctx, Current("OrdersSub", arn, changed)))

    with pytest.raises(ResourceFailed, match="Region"):
        world.run(SUBSCRIPTION.create(ctx, "OrdersSub", {**props, "Region": "eu-west-3"}))


def test_topic_policy_lifecycle(world: World) -> None:
    sns = world.client("sns")
    topics = [sns.create_topic(Name=f"cfn-policed-{n}")["TopicArn"] for n in range(2)]
    defaults = [json.loads(attributes_of(world, arn)["Policy"]) for arn in topics]
    ctx = world.context("TopicPolicy")

    def publish_from(service: str) -> dict[str, Any]:
        return {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": service},
                    "Action": "sns:Publish",
                    "Resource": "*",
                }
            ],
        }

    props: dict[str, Any] = {"Topics": topics, "PolicyDocument": publish_from("s3.amazonaws.com")}
    made = world.run(POLICY.create(ctx, "TopicPolicy", props))
    assert made.physical_id.startswith("teststack-TopicPolicy-")
    for arn in topics:
        assert json.loads(attributes_of(world, arn)["Policy"]) == publish_from("s3.amazonaws.com")

    changed: dict[str, Any] = {
        "Topics": topics[1:],
        "PolicyDocument": publish_from("events.amazonaws.com"),
    }
    world.run(POLICY.update(ctx, Current("TopicPolicy", made.physical_id, props), changed))
    assert json.loads(attributes_of(world, topics[0])["Policy"]) == defaults[0]
    got = json.loads(attributes_of(world, topics[1])["Policy"])
    assert got == publish_from("events.amazonaws.com")

    sns.delete_topic(TopicArn=topics[0])
    world.run(POLICY.delete(ctx, Current("TopicPolicy", None, props)))
    assert json.loads(attributes_of(world, topics[1])["Policy"]) == defaults[1]

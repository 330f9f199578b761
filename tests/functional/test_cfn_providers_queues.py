"""The SQS providers against a server in this process: queues (attributes from
properties, a redrive policy object sent as JSON text, FIFO names, tags; a removed
property back to SQS's default), and queue policies on one or several queues, checked
through boto3."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from altus.cloudformation.providers.base import Current, ResourceFailed
from altus.cloudformation.providers.queues import PROVIDERS
from tests.functional import cloudformation_providers
from tests.functional.cloudformation_providers import ACCOUNT, REGION, World, delete_twice

#: The module's server and contexts (a fixture, found by its name).
world = cloudformation_providers.world

QUEUE = PROVIDERS["AWS::SQS::Queue"]
POLICY = PROVIDERS["AWS::SQS::QueuePolicy"]
INLINE = PROVIDERS["AWS::SQS::QueueInlinePolicy"]


def attributes_of(world: World, url: str) -> dict[str, str]:
    answer = world.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
    return dict(answer["Attributes"])


def tags_of(world: World, url: str) -> dict[str, str]:
    return dict(world.client("sqs").list_queue_tags(QueueUrl=url).get("Tags", {}))


def exists(world: World, name: str) -> bool:
    try:
        world.client("sqs").get_queue_url(QueueName=name)
    except ClientError:
        return False
    return True


def send_policy(arn: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": arn,
            }
        ],
    }


def test_queue_lifecycle(world: World) -> None:
    dead = world.client("sqs").create_queue(QueueName="cfn-dead")["QueueUrl"]
    dead_arn = attributes_of(world, dead)["QueueArn"]
    ctx = world.context("Jobs")
    props: dict[str, Any] = {
        "VisibilityTimeout": "120",
        "DelaySeconds": 5,
        "RedrivePolicy": {"deadLetterTargetArn": dead_arn, "maxReceiveCount": "3"},
        "Tags": [{"Key": "tier", "Value": "gold"}],
    }
    made = world.run(QUEUE.create(ctx, "Jobs", props))
    url = made.physical_id
    name = url.rsplit("/", 1)[-1]
    assert name.startswith("teststack-Jobs-") and len(name) <= 80
    assert made.attributes == {
        "Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}",
        "QueueName": name,
        "QueueUrl": url,
    }
    got = attributes_of(world, url)
    assert got["VisibilityTimeout"] == "120" and got["DelaySeconds"] == "5"
    assert json.loads(got["RedrivePolicy"]) == {
        "deadLetterTargetArn": dead_arn,
        "maxReceiveCount": 3,
    }
    assert tags_of(world, url) == {"team": "altus", "tier": "gold"}
    assert {"QueueName", "FifoQueue"} <= QUEUE.replaced_by

    changed: dict[str, Any] = {"VisibilityTimeout": 45, "Tags": [{"Key": "size", "Value": "xl"}]}
    updated = world.run(QUEUE.update(ctx, Current("Jobs", url, props, made.attributes), changed))
    assert updated == made
    got = attributes_of(world, url)
    assert got["VisibilityTimeout"] == "45" and got["DelaySeconds"] == "0"
    assert "RedrivePolicy" not in got
    assert tags_of(world, url) == {"team": "altus", "size": "xl"}

    current = Current("Jobs", url, changed, updated.attributes)
    delete_twice(world, QUEUE, current, world.client("sqs").get_queue_url, QueueName=name)


def test_fifo_queue_names_and_an_interrupted_create(world: World) -> None:
    ctx = world.context("Orders")
    props = {"FifoQueue": "true", "ContentBasedDeduplication": True}
    made = world.run(QUEUE.create(ctx, "Orders", props))
    name = made.attributes["QueueName"]
    assert name.startswith("teststack-Orders-") and name.endswith(".fifo") and len(name) <= 80
    got = attributes_of(world, made.physical_id)
    assert got["FifoQueue"] == "true" and got["ContentBasedDeduplication"] == "true"
    world.run(QUEUE.delete(ctx, Current("Orders", None, props)))
    assert not exists(world, name)
    world.run(QUEUE.delete(ctx, Current("Orders", None, props)))


def test_a_named_queue_is_not_taken_over(world: World) -> None:
    world.client("sqs").create_queue(QueueName="cfn-taken")
    with pytest.raises(ResourceFailed, match="already exists") as refused:
        world.run(QUEUE.create(world.context("Taken"), "Taken", {"QueueName": "cfn-taken"}))
    assert refused.value.code == "AlreadyExists"
    with pytest.raises(ResourceFailed, match="unsupported property Colour"):
        world.run(QUEUE.create(world.context("Odd"), "Odd", {"Colour": "red"}))


def test_queue_policy_on_several_queues(world: World) -> None:
    sqs = world.client("sqs")
    urls = [sqs.create_queue(QueueName=f"cfn-policed-{n}")["QueueUrl"] for n in range(3)]
    arns = [attributes_of(world, url)["QueueArn"] for url in urls]
    ctx = world.context("Policy")
    props: dict[str, Any] = {"Queues": urls[:2], "PolicyDocument": send_policy("*")}
    made = world.run(POLICY.create(ctx, "Policy", props))
    assert made.physical_id.startswith("teststack-Policy-")
    assert made.attributes == {"Id": made.physical_id}
    for url in urls[:2]:
        assert json.loads(attributes_of(world, url)["Policy"]) == send_policy("*")
    assert "Policy" not in attributes_of(world, urls[2])

    changed: dict[str, Any] = {"Queues": urls[1:], "PolicyDocument": send_policy(arns[1])}
    updated = world.run(POLICY.update(ctx, Current("Policy", made.physical_id, props), changed))
    assert updated.physical_id == made.physical_id
    assert "Policy" not in attributes_of(world, urls[0])
    assert json.loads(attributes_of(world, urls[1])["Policy"]) == send_policy(arns[1])
    assert json.loads(attributes_of(world, urls[2])["Policy"]) == send_policy(arns[1])

    sqs.delete_queue(QueueUrl=urls[2])  # one queue gone already: the delete still succeeds
    world.run(POLICY.delete(ctx, Current("Policy", None, changed)))
    assert "Policy" not in attributes_of(world, urls[1])
    world.run(POLICY.delete(ctx, Current("Policy", made.physical_id, changed)))


def test_queue_inline_policy(world: World) -> None:
    url = world.client("sqs").create_queue(QueueName="cfn-inline")["QueueUrl"]
    ctx = world.context("Inline")
    props: dict[str, Any] = {"Queue": url, "PolicyDocument": send_policy("*")}
    made = world.run(INLINE.create(ctx, "Inline", props))
    assert made.physical_id == url
    assert json.loads(attributes_of(world, url)["Policy"]) == send_policy("*")
    assert INLINE.replaced_by == frozenset({"Queue"})
    changed = {**props, "PolicyDocument": send_policy("arn:aws:sqs:*")}
    world.run(INLINE.update(ctx, Current("Inline", url, props), changed))
    assert json.loads(attributes_of(world, url)["Policy"]) == send_policy("arn:aws:sqs:*")
    world.run(INLINE.delete(ctx, Current("Inline", url, changed)))
    assert "Policy" not in attributes_of(world, url)

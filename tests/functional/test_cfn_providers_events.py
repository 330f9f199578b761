"""The EventBridge providers against a server in this process: an event bus (tags, its
policy) and rules on the default and a custom bus (targets put, changed and removed;
an object pattern sent as JSON text; ``Ref`` as ``<bus>|<rule>`` off the default bus),
checked through boto3."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from altus.cloudformation.providers.base import Current, ResourceFailed
from altus.cloudformation.providers.events import PROVIDERS
from tests.functional import cloudformation_providers
from tests.functional.cloudformation_providers import (
    ACCOUNT,
    REGION,
    World,
    delete_twice,
    interrupted,
)

#: The module's server and contexts (a fixture, found by its name).
world = cloudformation_providers.world

BUS = PROVIDERS["AWS::Events::EventBus"]
RULE = PROVIDERS["AWS::Events::Rule"]


def tags_of(world: World, arn: str) -> dict[str, str]:
    listed = world.client("events").list_tags_for_resource(ResourceARN=arn)["Tags"]
    return {t["Key"]: t["Value"] for t in listed}


def test_event_bus_lifecycle(world: World) -> None:
    events = world.client("events")
    ctx = world.context("Bus")
    policy: dict[str, Any] = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "all",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "events:PutEvents",
                "Resource": f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/cfn-bus",
            }
        ],
    }
    props: dict[str, Any] = {
        "Name": "cfn-bus",
        "Description": "orders",
        "Policy": policy,
        "Tags": [{"Key": "tier", "Value": "gold"}],
    }
    made = world.run(BUS.create(ctx, "Bus", props))
    assert made.physical_id == "cfn-bus"
    arn = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/cfn-bus"
    assert made.attributes["Arn"] == arn
    assert made.attributes["Name"] == "cfn-bus"
    described = events.describe_event_bus(Name="cfn-bus")
    assert described["Description"] == "orders"
    assert json.loads(described["Policy"])["Statement"][0]["Sid"] == "all"
    assert tags_of(world, arn) == {"team": "altus", "tier": "gold"}
    assert {"Name"} <= BUS.replaced_by

    current = Current("Bus", made.physical_id, props, made.attributes)
    changed = {"Name": "cfn-bus", "Description": "orders", "Tags": [{"Key": "size", "Value": "xl"}]}
    updated = world.run(BUS.update(ctx, current, changed))
    assert updated.physical_id == "cfn-bus"
    assert "Policy" not in events.describe_event_bus(Name="cfn-bus")
    assert tags_of(world, arn) == {"team": "altus", "size": "xl"}

    # Altus's EventBridge serves no UpdateEventBus: a description change is refused, and
    # nothing else of the update is made.
    current = Current("Bus", made.physical_id, changed, updated.attributes)
    with pytest.raises(ResourceFailed, match="Description"):
        world.run(BUS.update(ctx, current, {**changed, "Description": "new", "Tags": []}))
    assert tags_of(world, arn) == {"team": "altus", "size": "xl"}

    delete_twice(world, BUS, current, events.describe_event_bus, Name="cfn-bus")
    # An interrupted create is found by its (required) name.
    world.run(BUS.create(ctx, "Bus", {"Name": "cfn-bus"}))
    world.run(BUS.delete(ctx, Current("Bus", None, {"Name": "cfn-bus"})))
    with pytest.raises(ClientError):
        events.describe_event_bus(Name="cfn-bus")


def test_rule_on_default_bus(world: World) -> None:
    events = world.client("events")
    first, second = world.queue_arn("cfn-rule-a"), world.queue_arn("cfn-rule-b")
    ctx = world.context("Rule")
    props: dict[str, Any] = {
        "Description": "orders",
        "EventPattern": {"source": ["shop"], "detail-type": ["order"]},
        "State": "ENABLED",
        "Targets": [
            {"Id": "a", "Arn": first, "RetryPolicy": {"MaximumRetryAttempts": "3"}},
            {"Id": "b", "Arn": second, "Input": '{"x": 1}'},
        ],
    }
    made = world.run(RULE.create(ctx, "Rule", props))
    name = made.physical_id
    assert name.startswith("teststack-Rule-") and len(name) <= 64
    rule = events.describe_rule(Name=name)
    assert made.attributes["Arn"] == rule["Arn"]
    assert json.loads(rule["EventPattern"]) == props["EventPattern"]
    assert rule["Description"] == "orders"
    targets = {t["Id"]: t for t in events.list_targets_by_rule(Rule=name)["Targets"]}
    assert targets["a"]["RetryPolicy"]["MaximumRetryAttempts"] == 3
    assert targets["b"]["Input"] == '{"x": 1}'
    assert "Name" in RULE.replaced_by and "EventBusName" in RULE.replaced_by

    # Update: the rule put again (disabled, the description gone), "a" removed, "b"
    # changed, "c" added.
    third = world.queue_arn("cfn-rule-c")
    changed: dict[str, Any] = {
        "EventPattern": '{"source": ["shop"]}',
        "State": "DISABLED",
        "Targets": [
            {"Id": "b", "Arn": second, "InputPath": "$.detail"},
            {"Id": "c", "Arn": third},
        ],
    }
    current = Current("Rule", name, props, made.attributes)
    updated = world.run(RULE.update(ctx, current, changed))
    assert updated.physical_id == name
    rule = events.describe_rule(Name=name)
    assert rule["State"] == "DISABLED" and "Description" not in rule
    targets = {t["Id"]: t for t in events.list_targets_by_rule(Rule=name)["Targets"]}
    assert sorted(targets) == ["b", "c"]
    assert targets["b"]["InputPath"] == "$.detail" and "Input" not in targets["b"]

    current = Current("Rule", name, changed, updated.attributes)
    delete_twice(world, RULE, current, events.describe_rule, Name=name)

    # An interrupted create: the generated name found again (targets removed first).
    lost = interrupted(world, RULE, "Lost", props)
    with pytest.raises(ClientError):
        events.describe_rule(Name=lost.physical_id)


def test_rule_on_custom_bus(world: World) -> None:
    events = world.client("events")
    events.create_event_bus(Name="cfn-orders")
    bus_arn = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/cfn-orders"
    ctx = world.context("BusRule")
    props: dict[str, Any] = {
        "Name": "on-orders",
        "EventBusName": bus_arn,
        "EventPattern": {"source": ["shop"]},
        "Targets": [{"Id": "q", "Arn": world.queue_arn("cfn-custom")}],
    }
    made = world.run(RULE.create(ctx, "BusRule", props))
    assert made.physical_id == "cfn-orders|on-orders"
    assert made.attributes["Arn"] == f"arn:aws:events:{REGION}:{ACCOUNT}:rule/cfn-orders/on-orders"
    assert events.describe_rule(Name="on-orders", EventBusName="cfn-orders")["Name"] == "on-orders"
    current = Current("BusRule", made.physical_id, props, made.attributes)
    delete_twice(
        world, RULE, current, events.describe_rule, Name="on-orders", EventBusName="cfn-orders"
    )


def test_refused_target_fails_the_rule(world: World) -> None:
    ctx = world.context("Bad")
    props = {
        "ScheduleExpression": "rate(1 hour)",
        "Targets": [{"Id": "x", "Arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/i-1"}],
    }
    with pytest.raises(ResourceFailed, match="target x"):
        world.run(RULE.create(ctx, "Bad", props))
    with pytest.raises(ResourceFailed, match="Id and Arn"):
        world.run(RULE.create(ctx, "Bad", {"ScheduleExpression": "rate(1 hour)", "Targets": [{}]}))

"""The Scheduler providers against a server in this process: a schedule (made,
changed as a whole, deleted, found again by its generated name) and a schedule group
(tags, its attributes, deleted with its schedules), checked through boto3."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from altus.cloudformation.providers.base import Current, ResourceFailed
from altus.cloudformation.providers.scheduler import PROVIDERS
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

SCHEDULE = PROVIDERS["AWS::Scheduler::Schedule"]
GROUP = PROVIDERS["AWS::Scheduler::ScheduleGroup"]
QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:cfn-schedules"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/scheduler"


def test_schedule_lifecycle(world: World) -> None:
    scheduler = world.client("scheduler")
    ctx = world.context("Nightly")
    props: dict[str, Any] = {
        "ScheduleExpression": "cron(0 3 * * ? *)",
        "ScheduleExpressionTimezone": "Europe/Paris",
        "FlexibleTimeWindow": {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": "15"},
        "Description": "nightly",
        "Target": {
            "Arn": QUEUE,
            "RoleArn": ROLE,
            "Input": '{"job": "nightly"}',
            "RetryPolicy": {"MaximumRetryAttempts": "2", "MaximumEventAgeInSeconds": 600},
        },
    }
    made = world.run(SCHEDULE.create(ctx, "Nightly", props))
    name = made.physical_id
    assert name.startswith("teststack-Nightly-") and len(name) <= 64
    got = scheduler.get_schedule(Name=name)
    assert made.attributes["Arn"] == got["Arn"]
    assert got["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15}
    assert got["Target"]["RetryPolicy"]["MaximumRetryAttempts"] == 2
    assert got["Description"] == "nightly"
    assert {"Name", "GroupName"} <= SCHEDULE.replaced_by

    changed: dict[str, Any] = {
        "ScheduleExpression": "rate(5 minutes)",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "State": "DISABLED",
        "Target": {"Arn": QUEUE, "RoleArn": ROLE},
    }
    current = Current("Nightly", name, props, made.attributes)
    updated = world.run(SCHEDULE.update(ctx, current, changed))
    assert updated.physical_id == name
    got = scheduler.get_schedule(Name=name)
    assert got["ScheduleExpression"] == "rate(5 minutes)"
    assert got["State"] == "DISABLED"
    assert "Description" not in got and "Input" not in got["Target"]

    current = Current("Nightly", name, changed, updated.attributes)
    delete_twice(world, SCHEDULE, current, scheduler.get_schedule, Name=name)

    lost = interrupted(world, SCHEDULE, "Lost", changed)
    with pytest.raises(ClientError):
        scheduler.get_schedule(Name=lost.physical_id)

    with pytest.raises(ResourceFailed, match="Target"):
        world.run(SCHEDULE.create(ctx, "Nightly", {"ScheduleExpression": "rate(1 hour)"}))


def test_schedule_group_lifecycle(world: World) -> None:
    scheduler = world.client("scheduler")
    ctx = world.context("Group")
    props: dict[str, Any] = {"Tags": [{"Key": "tier", "Value": "gold"}]}
    made = world.run(GROUP.create(ctx, "Group", props))
    name = made.physical_id
    assert name.startswith("teststack-Group-")
    arn = f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule-group/{name}"
    assert made.attributes["Arn"] == arn
    assert made.attributes["State"] == "ACTIVE"
    assert made.attributes["CreationDate"]
    tags = scheduler.list_tags_for_resource(ResourceArn=arn)["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {"team": "altus", "tier": "gold"}
    assert GROUP.replaced_by == frozenset({"Name"})

    changed: dict[str, Any] = {"Tags": [{"Key": "size", "Value": "xl"}]}
    current = Current("Group", name, props, made.attributes)
    updated = world.run(GROUP.update(ctx, current, changed))
    assert updated.physical_id == name
    tags = scheduler.list_tags_for_resource(ResourceArn=arn)["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {"team": "altus", "size": "xl"}

    # A schedule in the group goes with it.
    in_group = {
        "GroupName": name,
        "ScheduleExpression": "rate(1 hour)",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "Target": {"Arn": QUEUE, "RoleArn": ROLE},
    }
    world.run(SCHEDULE.create(world.context("Inner"), "Inner", {**in_group, "Name": "inner"}))
    current = Current("Group", name, changed, updated.attributes)
    world.run(GROUP.delete(ctx, current))
    with pytest.raises(ClientError):
        scheduler.get_schedule_group(Name=name)
    with pytest.raises(ClientError):
        scheduler.get_schedule(Name="inner", GroupName=name)
    world.run(GROUP.delete(ctx, current))

    lost = interrupted(world, GROUP, "LostGroup", {})
    with pytest.raises(ClientError):
        scheduler.get_schedule_group(Name=lost.physical_id)

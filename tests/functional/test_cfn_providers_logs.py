"""The CloudWatch Logs provider against a server in this process: a log group's lifecycle
(retention, tags, a removed property back to the default) once Altus's Logs serves
CreateLogGroup, and, today, deleting groups Lambda's logging made (found by name when the
create was interrupted), checked through boto3."""

from __future__ import annotations

from typing import Any

import pytest

from altus.cloudformation.providers.base import Current, ResourceFailed
from altus.cloudformation.providers.logs import PROVIDERS
from tests.functional import cloudformation_providers
from tests.functional.cloudformation_providers import ACCOUNT, REGION, World

world = cloudformation_providers.world

LOG_GROUP = PROVIDERS["AWS::Logs::LogGroup"]


def group_names(world: World, prefix: str) -> list[str]:
    found = world.client("logs").describe_log_groups(logGroupNamePrefix=prefix)["logGroups"]
    return [group["logGroupName"] for group in found]


def test_log_group_lifecycle(world: World) -> None:
    logs = world.client("logs")
    ctx = world.context("AppLogs")
    props: dict[str, Any] = {"RetentionInDays": "14", "Tags": [{"Key": "tier", "Value": "gold"}]}
    made = world.run(LOG_GROUP.create(ctx, "AppLogs", props))
    name = made.physical_id
    assert name.startswith("teststack-AppLogs-")
    arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}"
    assert made.attributes == {"Arn": f"{arn}:*"}
    (group,) = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    assert group["retentionInDays"] == 14
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "altus", "tier": "gold"}

    changed: dict[str, Any] = {"Tags": [{"Key": "size", "Value": "xl"}]}
    world.run(LOG_GROUP.update(ctx, Current("AppLogs", name, props, made.attributes), changed))
    (group,) = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    assert "retentionInDays" not in group
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "altus", "size": "xl"}

    world.run(LOG_GROUP.delete(ctx, Current("AppLogs", name, changed)))
    assert group_names(world, name) == []
    world.run(LOG_GROUP.delete(ctx, Current("AppLogs", name, changed)))


def test_delete_removes_a_group_lambda_logging_made(world: World) -> None:
    def handler(event: Any, context: Any) -> str:
        print("hello from cfn-logger")
        return "ok"

    world.harness.create_function("cfn-logger", handler)
    world.client("lambda").invoke(FunctionName="cfn-logger", Payload=b"{}")
    name = "/aws/lambda/cfn-logger"
    assert group_names(world, name) == [name]
    ctx = world.context("LoggerLogs")
    # An interrupted create: the group is found by the name the template gives it.
    world.run(LOG_GROUP.delete(ctx, Current("LoggerLogs", None, {"LogGroupName": name})))
    assert group_names(world, name) == []
    world.run(LOG_GROUP.delete(ctx, Current("LoggerLogs", name, {"LogGroupName": name})))


def test_type_and_refusals(world: World) -> None:
    assert LOG_GROUP.replaced_by >= {"LogGroupName"}
    assert LOG_GROUP.attributes == {"Arn"}
    ctx = world.context("Guarded")
    with pytest.raises(ResourceFailed, match=r"DataProtectionPolicy .* not supported"):
        world.run(LOG_GROUP.create(ctx, "Guarded", {"DataProtectionPolicy": {"Name": "p"}}))

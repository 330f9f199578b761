"""The Step Functions providers against a server in this process: a state machine from
each kind of definition (an object, text, a YAML file in S3; substitutions made), its
update (a new revision; logging back to its default; tags), versions, an alias routed
outright and shifted by a deployment preference, and an activity, checked through
boto3."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from altus.cloudformation.providers.base import Current, ResourceFailed
from altus.cloudformation.providers.stepfunctions import PROVIDERS
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

MACHINE = PROVIDERS["AWS::StepFunctions::StateMachine"]
ACTIVITY = PROVIDERS["AWS::StepFunctions::Activity"]
VERSION = PROVIDERS["AWS::StepFunctions::StateMachineVersion"]
ALIAS = PROVIDERS["AWS::StepFunctions::StateMachineAlias"]
ROLE = f"arn:aws:iam::{ACCOUNT}:role/sfn"
LOG_GROUP = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/sfn/cfn:*"


def pass_state(result: str) -> dict[str, Any]:
    return {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": result, "End": True}}}


def definition_of(world: World, arn: str) -> dict[str, Any]:
    described = world.client("stepfunctions").describe_state_machine(stateMachineArn=arn)
    return dict(json.loads(described["definition"]))


def test_state_machine_lifecycle(world: World) -> None:
    sfn = world.client("stepfunctions")
    ctx = world.context("Machine")
    props: dict[str, Any] = {
        "RoleArn": ROLE,
        "Definition": pass_state("${Greeting}"),
        "DefinitionSubstitutions": {"Greeting": "hello"},
        "LoggingConfiguration": {
            "Level": "ALL",
            "IncludeExecutionData": "true",
            "Destinations": [{"CloudWatchLogsLogGroup": {"LogGroupArn": LOG_GROUP}}],
        },
        "TracingConfiguration": {"Enabled": True},
        "Tags": [{"Key": "tier", "Value": "gold"}],
    }
    made = world.run(MACHINE.create(ctx, "Machine", props))
    arn = made.physical_id
    name = arn.rsplit(":", 1)[-1]
    # Named <LogicalId>-<RANDOM>, as CloudFormation names state machines.
    assert name.startswith("Machine-") and len(name) <= 80
    assert arn == f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"
    assert made.attributes == {"Arn": arn, "Name": name, "StateMachineRevisionId": "INITIAL"}
    assert definition_of(world, arn)["States"]["P"]["Result"] == "hello"
    described = sfn.describe_state_machine(stateMachineArn=arn)
    assert described["loggingConfiguration"]["level"] == "ALL"
    assert described["loggingConfiguration"]["includeExecutionData"] is True
    assert described["tracingConfiguration"] == {"enabled": True}
    tags = {t["key"]: t["value"] for t in sfn.list_tags_for_resource(resourceArn=arn)["tags"]}
    assert tags == {"team": "altus", "tier": "gold"}
    assert MACHINE.replaced_by == frozenset({"StateMachineName", "StateMachineType"})

    changed: dict[str, Any] = {
        "RoleArn": ROLE,
        "DefinitionString": json.dumps(pass_state("${Greeting}")),
        "DefinitionSubstitutions": {"Greeting": "bye"},
        "TracingConfiguration": {"Enabled": True},
    }
    current = Current("Machine", arn, props, made.attributes)
    updated = world.run(MACHINE.update(ctx, current, changed))
    assert updated.physical_id == arn
    revision = updated.attributes["StateMachineRevisionId"]
    assert revision != "INITIAL"
    assert definition_of(world, arn)["States"]["P"]["Result"] == "bye"
    described = sfn.describe_state_machine(stateMachineArn=arn)
    assert described["revisionId"] == revision
    assert described["loggingConfiguration"]["level"] == "OFF"
    tags = {t["key"]: t["value"] for t in sfn.list_tags_for_resource(resourceArn=arn)["tags"]}
    assert tags == {"team": "altus"}

    current = Current("Machine", arn, changed, updated.attributes)
    delete_twice(world, MACHINE, current, sfn.describe_state_machine, stateMachineArn=arn)

    lost = interrupted(world, MACHINE, "Lost", changed)
    with pytest.raises(ClientError):
        sfn.describe_state_machine(stateMachineArn=lost.physical_id)


def test_definition_from_s3_and_refusals(world: World) -> None:
    s3 = world.client("s3")
    s3.create_bucket(Bucket="cfn-definitions")
    body = "StartAt: P\nStates:\n  P:\n    Type: Pass\n    Result: ${Word}\n    End: true\n"
    s3.put_object(Bucket="cfn-definitions", Key="machine.yaml", Body=body.encode())
    ctx = world.context("FromS3")
    props = {
        "StateMachineName": "cfn-from-s3",
        "StateMachineType": "EXPRESS",
        "RoleArn": ROLE,
        "DefinitionS3Location": {"Bucket": "cfn-definitions", "Key": "machine.yaml"},
        "DefinitionSubstitutions": {"Word": "yaml"},
    }
    made = world.run(MACHINE.create(ctx, "FromS3", props))
    assert made.attributes["Name"] == "cfn-from-s3"
    assert definition_of(world, made.physical_id)["States"]["P"]["Result"] == "yaml"
    described = world.client("stepfunctions").describe_state_machine(
        stateMachineArn=made.physical_id
    )
    assert described["type"] == "EXPRESS"
    world.run(MACHINE.delete(ctx, Current("FromS3", made.physical_id, props)))

    with pytest.raises(ResourceFailed, match="exactly one of"):
        world.run(MACHINE.create(ctx, "Bad", {"RoleArn": ROLE}))
    with pytest.raises(ResourceFailed, match="RoleArn"):
        world.run(MACHINE.create(ctx, "Bad", {"Definition": pass_state("x")}))
    missing = {**props, "DefinitionS3Location": {"Bucket": "cfn-definitions", "Key": "none"}}
    with pytest.raises(ResourceFailed):
        world.run(MACHINE.create(ctx, "Bad", missing))


def test_versions_and_alias(world: World) -> None:
    sfn = world.client("stepfunctions")
    ctx = world.context("Versioned")
    machine_props = {
        "StateMachineName": "cfn-versioned",
        "RoleArn": ROLE,
        "Definition": pass_state("1"),
    }
    machine = world.run(MACHINE.create(ctx, "Versioned", machine_props))
    arn = machine.physical_id

    first_props = {
        "StateMachineArn": arn,
        "StateMachineRevisionId": machine.attributes["StateMachineRevisionId"],
        "Description": "one",
    }
    first = world.run(VERSION.create(world.context("V1"), "V1", first_props))
    assert first.physical_id == f"{arn}:1" and first.attributes == {"Arn": f"{arn}:1"}
    assert {"StateMachineArn", "StateMachineRevisionId"} <= VERSION.replaced_by

    alias_ctx = world.context("Live")
    alias_props: dict[str, Any] = {
        "Name": "live",
        "Description": "traffic",
        "RoutingConfiguration": [{"StateMachineVersionArn": first.physical_id, "Weight": "100"}],
    }
    alias = world.run(ALIAS.create(alias_ctx, "Live", alias_props))
    assert alias.physical_id == f"{arn}:live"
    described = sfn.describe_state_machine_alias(stateMachineAliasArn=alias.physical_id)
    assert described["routingConfiguration"] == [
        {"stateMachineVersionArn": first.physical_id, "weight": 100}
    ]
    assert described["description"] == "traffic"
    assert ALIAS.replaced_by == frozenset({"Name"})

    updated_machine = world.run(
        MACHINE.update(
            ctx,
            Current("Versioned", arn, machine_props, machine.attributes),
            {**machine_props, "Definition": pass_state("2")},
        )
    )
    second_props = {
        "StateMachineArn": arn,
        "StateMachineRevisionId": updated_machine.attributes["StateMachineRevisionId"],
    }
    second = world.run(VERSION.create(world.context("V2"), "V2", second_props))
    assert second.physical_id == f"{arn}:2"

    # A canary: 25% to the new version, then (after Interval minutes) all of it.
    canary: dict[str, Any] = {
        "Name": "live",
        "Description": "traffic",
        "DeploymentPreference": {
            "StateMachineVersionArn": second.physical_id,
            "Type": "CANARY",
            "Percentage": 25,
            "Interval": 1,
        },
    }
    current = Current("Live", alias.physical_id, alias_props, alias.attributes)
    seen: list[tuple[float, list[dict[str, Any]]]] = []

    async def watch(seconds: float) -> None:
        params = {"stateMachineAliasArn": alias.physical_id}
        answer = await alias_ctx.call("stepfunctions", "DescribeStateMachineAlias", params)
        seen.append((seconds, answer["routingConfiguration"]))

    alias_ctx.sleeper = watch
    world.run(ALIAS.update(alias_ctx, current, canary))
    assert seen == [
        (
            60.0,
            [
                {"stateMachineVersionArn": second.physical_id, "weight": 25},
                {"stateMachineVersionArn": first.physical_id, "weight": 75},
            ],
        )
    ]
    described = sfn.describe_state_machine_alias(stateMachineAliasArn=alias.physical_id)
    assert described["routingConfiguration"] == [
        {"stateMachineVersionArn": second.physical_id, "weight": 100}
    ]
    with pytest.raises(ResourceFailed, match="Alarms"):
        alarmed = {**canary["DeploymentPreference"], "Alarms": ["a"]}
        world.run(ALIAS.update(alias_ctx, current, {**canary, "DeploymentPreference": alarmed}))

    # Back to explicit routing, split between the two versions; the description removed.
    split: dict[str, Any] = {
        "Name": "live",
        "RoutingConfiguration": [
            {"StateMachineVersionArn": first.physical_id, "Weight": 10},
            {"StateMachineVersionArn": second.physical_id, "Weight": 90},
        ],
    }
    world.run(ALIAS.update(alias_ctx, Current("Live", alias.physical_id, canary), split))
    described = sfn.describe_state_machine_alias(stateMachineAliasArn=alias.physical_id)
    weights = {r["stateMachineVersionArn"]: r["weight"] for r in described["routingConfiguration"]}
    assert weights == {first.physical_id: 10, second.physical_id: 90}
    assert not described.get("description")

    world.run(ALIAS.delete(alias_ctx, Current("Live", alias.physical_id, split)))
    with pytest.raises(ClientError):
        sfn.describe_state_machine_alias(stateMachineAliasArn=alias.physical_id)
    world.run(ALIAS.delete(alias_ctx, Current("Live", alias.physical_id, split)))
    # An alias recorded without its ARN is found from its machine and name.
    world.run(ALIAS.create(alias_ctx, "Live", split))
    world.run(ALIAS.delete(alias_ctx, Current("Live", None, split)))
    with pytest.raises(ClientError):
        sfn.describe_state_machine_alias(stateMachineAliasArn=alias.physical_id)

    for version in (first, second):
        world.run(VERSION.delete(ctx, Current("V", version.physical_id, {})))
        world.run(VERSION.delete(ctx, Current("V", version.physical_id, {})))
    listed = sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]
    assert listed == []
    world.run(VERSION.delete(ctx, Current("V", None, first_props)))
    world.run(MACHINE.delete(ctx, Current("Versioned", arn, machine_props)))


def test_activity_lifecycle(world: World) -> None:
    sfn = world.client("stepfunctions")
    ctx = world.context("Work")
    props: dict[str, Any] = {"Name": "cfn-work", "Tags": [{"Key": "tier", "Value": "gold"}]}
    made = world.run(ACTIVITY.create(ctx, "Work", props))
    arn = f"arn:aws:states:{REGION}:{ACCOUNT}:activity:cfn-work"
    assert made.physical_id == arn
    assert made.attributes == {"Arn": arn, "Name": "cfn-work"}
    assert sfn.describe_activity(activityArn=arn)["name"] == "cfn-work"
    assert "Name" in ACTIVITY.replaced_by

    changed: dict[str, Any] = {"Name": "cfn-work", "Tags": [{"Key": "size", "Value": "xl"}]}
    world.run(ACTIVITY.update(ctx, Current("Work", arn, props, made.attributes), changed))
    tags = {t["key"]: t["value"] for t in sfn.list_tags_for_resource(resourceArn=arn)["tags"]}
    assert tags == {"team": "altus", "size": "xl"}

    world.run(ACTIVITY.delete(ctx, Current("Work", arn, changed)))
    with pytest.raises(ClientError):
        sfn.describe_activity(activityArn=arn)
    world.run(ACTIVITY.delete(ctx, Current("Work", arn, changed)))
    world.run(ACTIVITY.create(ctx, "Work", changed))
    world.run(ACTIVITY.delete(ctx, Current("Work", None, changed)))
    with pytest.raises(ClientError):
        sfn.describe_activity(activityArn=arn)

"""The DynamoDB table provider against a server in this process: SAM's ``SimpleTable``
as the SAM translator expands it; a provisioned table with global and local indexes, a
stream, time to live and tags; an update that switches billing, replaces a global
index, changes the stream's view type and turns time to live off; deletion protection;
checked through boto3."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from botocore.exceptions import ClientError

from altus.cloudformation import transforms
from altus.cloudformation.providers.base import Current, ResourceFailed, ServiceFailed
from altus.cloudformation.providers.dynamodb import PROVIDERS
from tests.functional import cloudformation_providers
from tests.functional.cloudformation_providers import REGION, World, delete_twice, interrupted

#: The module's server and contexts (a fixture, found by its name).
world = cloudformation_providers.world

TABLE = PROVIDERS["AWS::DynamoDB::Table"]


def sam_table(properties: dict[str, Any]) -> dict[str, Any]:
    """The properties SAM's translator gives the table a ``SimpleTable`` becomes (through
    Altus's own transform: the path a SAM template takes)."""
    template = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {"Simple": {"Type": "AWS::Serverless::SimpleTable", "Properties": properties}},
    }
    translated = asyncio.run(transforms.serverless(template, {}, REGION, "aws"))
    resource = translated["Resources"]["Simple"]
    assert resource["Type"] == "AWS::DynamoDB::Table"
    return dict(resource["Properties"])


def describe(world: World, name: str) -> dict[str, Any]:
    return dict(world.client("dynamodb").describe_table(TableName=name)["Table"])


def test_sam_simple_table(world: World) -> None:
    ctx = world.context("Simple")
    props = sam_table({"PrimaryKey": {"Name": "pk", "Type": "Number"}, "Tags": {"app": "shop"}})
    made = world.run(TABLE.create(ctx, "Simple", props))
    name = made.physical_id
    assert name.startswith("teststack-Simple-")
    table = describe(world, name)
    assert made.attributes == {"Arn": table["TableArn"]}
    assert table["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    tags = world.client("dynamodb").list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {"team": "altus", "app": "shop"}
    world.run(TABLE.delete(ctx, Current("Simple", name, props, made.attributes)))
    with pytest.raises(ClientError):
        describe(world, name)

    # SimpleTable's default key (an "id" string) with provisioned capacity.
    props = sam_table({"ProvisionedThroughput": {"ReadCapacityUnits": 2, "WriteCapacityUnits": 3}})
    made = world.run(TABLE.create(ctx, "Simple", props))
    table = describe(world, made.physical_id)
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 2
    world.run(TABLE.delete(ctx, Current("Simple", made.physical_id, props)))


def full_table() -> dict[str, Any]:
    return {
        "TableName": "cfn-orders",
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "a", "AttributeType": "S"},
            {"AttributeName": "b", "AttributeType": "N"},
        ],
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        "BillingMode": "PROVISIONED",
        "ProvisionedThroughput": {"ReadCapacityUnits": "5", "WriteCapacityUnits": "5"},
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "byA",
                "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
                "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
            }
        ],
        "LocalSecondaryIndexes": [
            {
                "IndexName": "byB",
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "b", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
        "StreamSpecification": {"StreamViewType": "NEW_IMAGE"},
        "TimeToLiveSpecification": {"AttributeName": "expires", "Enabled": "true"},
        "Tags": [{"Key": "tier", "Value": "gold"}],
    }


def test_table_lifecycle(world: World) -> None:
    dynamodb = world.client("dynamodb")
    ctx = world.context("Orders")
    props = full_table()
    made = world.run(TABLE.create(ctx, "Orders", props))
    assert made.physical_id == "cfn-orders"
    table = describe(world, "cfn-orders")
    assert made.attributes["Arn"] == table["TableArn"]
    assert made.attributes["StreamArn"] == table["LatestStreamArn"]
    assert table["StreamSpecification"]["StreamViewType"] == "NEW_IMAGE"
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["byA"]
    assert [i["IndexName"] for i in table["LocalSecondaryIndexes"]] == ["byB"]
    ttl = dynamodb.describe_time_to_live(TableName="cfn-orders")["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}
    assert {"TableName", "KeySchema", "LocalSecondaryIndexes"} <= TABLE.replaced_by

    changed = full_table()
    changed["BillingMode"] = "PAY_PER_REQUEST"
    del changed["ProvisionedThroughput"]
    changed["GlobalSecondaryIndexes"] = [
        {
            "IndexName": "byNumber",
            "KeySchema": [{"AttributeName": "b", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"},
        }
    ]
    changed["StreamSpecification"] = {"StreamViewType": "KEYS_ONLY"}
    del changed["TimeToLiveSpecification"]
    changed["Tags"] = [{"Key": "size", "Value": "xl"}]
    current = Current("Orders", "cfn-orders", props, made.attributes)
    updated = world.run(TABLE.update(ctx, current, changed))
    assert updated.physical_id == "cfn-orders"
    table = describe(world, "cfn-orders")
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["byNumber"]
    assert table["GlobalSecondaryIndexes"][0]["IndexStatus"] == "ACTIVE"
    assert table["StreamSpecification"]["StreamViewType"] == "KEYS_ONLY"
    assert (
        updated.attributes["StreamArn"] == table["LatestStreamArn"] != made.attributes["StreamArn"]
    )
    ttl = dynamodb.describe_time_to_live(TableName="cfn-orders")["TimeToLiveDescription"]
    assert ttl["TimeToLiveStatus"] == "DISABLED"
    tags = dynamodb.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {"team": "altus", "size": "xl"}

    # Back to provisioned (the kept index gets its capacity in the same call), the
    # stream off, deletion protection on: the delete is refused, as DynamoDB refuses it.
    again = {**changed, "BillingMode": "PROVISIONED", "DeletionProtectionEnabled": True}
    again["ProvisionedThroughput"] = {"ReadCapacityUnits": 2, "WriteCapacityUnits": 2}
    again["GlobalSecondaryIndexes"] = [
        {
            **changed["GlobalSecondaryIndexes"][0],
            "ProvisionedThroughput": {"ReadCapacityUnits": 3, "WriteCapacityUnits": 3},
        }
    ]
    del again["StreamSpecification"]
    current = Current("Orders", "cfn-orders", changed, updated.attributes)
    protected = world.run(TABLE.update(ctx, current, again))
    assert "StreamArn" not in protected.attributes
    table = describe(world, "cfn-orders")
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 2
    assert table["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"]["ReadCapacityUnits"] == 3
    assert table["DeletionProtectionEnabled"] is True
    current = Current("Orders", "cfn-orders", again, protected.attributes)
    with pytest.raises(ServiceFailed):
        world.run(TABLE.delete(ctx, current))

    unprotected = {**again, "DeletionProtectionEnabled": False}
    world.run(TABLE.update(ctx, current, unprotected))
    current = Current("Orders", "cfn-orders", unprotected, protected.attributes)
    delete_twice(world, TABLE, current, describe, world, "cfn-orders")


def test_lost_table_and_refusals(world: World) -> None:
    props = sam_table({})
    lost = interrupted(world, TABLE, "Lost", props)
    with pytest.raises(ClientError):
        describe(world, lost.physical_id)

    ctx = world.context("Refused")
    recovering = {**props, "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True}}
    with pytest.raises(ResourceFailed, match="PointInTimeRecoverySpecification"):
        world.run(TABLE.create(ctx, "Refused", recovering))
    with pytest.raises(ResourceFailed, match="KeySchema"):
        world.run(TABLE.create(ctx, "Refused", {"BillingMode": "PAY_PER_REQUEST"}))
    assert world.client("dynamodb").list_tables()["TableNames"] == []

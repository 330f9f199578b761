"""DynamoDB's table operations through boto3 against a real server: CreateTable,
DescribeTable, ListTables, UpdateTable (capacity, billing, global indexes, streams,
class, protection), DeleteTable, tags, time to live, limits and continuous backups,
boto3's waiters, a global index added to a table with items filled and made ACTIVE,
and the errors DynamoDB answers with."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from altus.dynamodb import model
from altus.platform import Platform
from altus.testing import Harness, wait_until

ACCOUNT = "000000000000"
REGION = "us-east-1"
WAIT = {"Delay": 0.01, "MaxAttempts": 100}


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    with Harness() as h:
        yield h


@pytest.fixture(scope="module")
def ddb(harness: Harness) -> Any:
    return harness.client("dynamodb")


def _name(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _arn(name: str) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"


def _error(call: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response["Error"]
    return error["Code"], error.get("Message", "")


def _create(ddb: Any, name: str, **members: Any) -> dict[str, Any]:
    given: dict[str, Any] = {
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
        **members,
    }
    description: dict[str, Any] = ddb.create_table(TableName=name, **given)["TableDescription"]
    return description


# --- tables ------------------------------------------------------------------------------------


def test_a_table_is_created_described_listed_and_deleted(ddb: Any) -> None:
    name = _name()
    created = ddb.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": "sk", "AttributeType": "N"},
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "lk", "AttributeType": "B"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        LocalSecondaryIndexes=[
            {
                "IndexName": "by-lk",
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "lk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["b", "a"]},
            }
        ],
        ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4},
    )["TableDescription"]
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig=WAIT)
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["TableName"] == name
    assert table["TableArn"] == _arn(name)
    assert table["TableStatus"] == "ACTIVE"
    assert len(table["TableId"]) == 36 and table["TableId"] == created["TableId"]
    assert [a["AttributeName"] for a in table["AttributeDefinitions"]] == ["lk", "pk", "sk"]
    assert table["KeySchema"][0] == {"AttributeName": "pk", "KeyType": "HASH"}
    assert table["ProvisionedThroughput"] == {
        "NumberOfDecreasesToday": 0,
        "ReadCapacityUnits": 3,
        "WriteCapacityUnits": 4,
    }
    assert "BillingModeSummary" not in table
    assert (table["ItemCount"], table["TableSizeBytes"]) == (0, 0)
    (local,) = table["LocalSecondaryIndexes"]
    assert local["IndexArn"] == f"{_arn(name)}/index/by-lk"
    assert local["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a", "b"]}
    assert table["DeletionProtectionEnabled"] is False
    assert table["CreationDateTime"] == created["CreationDateTime"]
    # By ARN too.
    assert ddb.describe_table(TableName=_arn(name))["Table"]["TableId"] == table["TableId"]
    assert name in ddb.list_tables()["TableNames"]

    deleted = ddb.delete_table(TableName=name)["TableDescription"]
    assert (deleted["TableName"], deleted["TableStatus"]) == (name, "DELETING")
    ddb.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig=WAIT)
    assert name not in ddb.list_tables()["TableNames"]
    assert _error(lambda: ddb.describe_table(TableName=name)) == (
        "ResourceNotFoundException",
        f"Requested resource not found: Table: {name} not found",
    )


def test_an_on_demand_table_reports_no_capacity(ddb: Any) -> None:
    name = _name()
    created = _create(ddb, name)
    assert created["ProvisionedThroughput"] == {
        "NumberOfDecreasesToday": 0,
        "ReadCapacityUnits": 0,
        "WriteCapacityUnits": 0,
    }
    assert created["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert "LastUpdateToPayPerRequestDateTime" in created["BillingModeSummary"]


def test_create_refusals(ddb: Any) -> None:
    name = _name()
    _create(ddb, name)
    assert _error(lambda: _create(ddb, name)) == (
        "ResourceInUseException",
        f"Table already exists: {name}",
    )
    other = _name()
    code, message = _error(
        lambda: _create(
            ddb,
            other,
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "x", "AttributeType": "S"},
            ],
        )
    )
    assert code == "ValidationException"
    assert message == (
        "One or more parameter values were invalid: Number of attributes in KeySchema does "
        "not exactly match number of attributes defined in AttributeDefinitions"
    )
    assert _error(lambda: _create(ddb, other, BillingMode="PROVISIONED")) == (
        "ValidationException",
        "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits "
        "must both be specified when BillingMode is PROVISIONED",
    )
    assert _error(lambda: _create(ddb, "ab")) == (
        "ValidationException",
        "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: "
        "Member must have length greater than or equal to 3",
    )
    assert other not in ddb.list_tables()["TableNames"]


def test_tables_are_listed_in_pages_of_sorted_names(ddb: Any) -> None:
    for _ in range(5):
        _create(ddb, _name("page"))
    every = ddb.list_tables()["TableNames"]
    assert every == sorted(every)
    pages: list[str] = []
    start: dict[str, str] = {}
    for _ in range(len(every) + 1):  # bounded: one name a page at least
        page = ddb.list_tables(Limit=2, **start)
        pages.extend(page["TableNames"])
        if "LastEvaluatedTableName" not in page:
            break
        assert page["LastEvaluatedTableName"] == page["TableNames"][-1]
        start = {"ExclusiveStartTableName": page["LastEvaluatedTableName"]}
    assert pages == every
    # A page that ends the list names no last table.
    assert "LastEvaluatedTableName" not in ddb.list_tables(Limit=len(every))
    paginated = ddb.get_paginator("list_tables").paginate(PaginationConfig={"PageSize": 3})
    assert [n for page in paginated for n in page["TableNames"]] == every


def test_a_missing_table_is_not_found_by_every_operation(ddb: Any) -> None:
    name = _name("gone")
    expected = (
        "ResourceNotFoundException",
        f"Requested resource not found: Table: {name} not found",
    )
    assert _error(lambda: ddb.describe_table(TableName=name)) == expected
    assert _error(lambda: ddb.delete_table(TableName=name)) == expected
    assert (
        _error(lambda: ddb.update_table(TableName=name, DeletionProtectionEnabled=True)) == expected
    )
    assert _error(lambda: ddb.describe_time_to_live(TableName=name)) == expected
    assert _error(lambda: ddb.describe_continuous_backups(TableName=name)) == (
        "TableNotFoundException",
        f"Table not found: {name}",
    )
    # A call that changes nothing is refused before the table is looked for.
    code, message = _error(lambda: ddb.update_table(TableName=name))
    assert code == "ValidationException" and message.startswith("At least one of ")


# --- UpdateTable -------------------------------------------------------------------------------


def test_capacity_and_billing_change(ddb: Any) -> None:
    name = _name()
    _create(
        ddb,
        name,
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
    )
    same = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    code, message = _error(lambda: ddb.update_table(TableName=name, ProvisionedThroughput=same))
    assert code == "ValidationException"
    assert message.startswith("The provisioned throughput for the table will not change.")
    lower = {"ReadCapacityUnits": 2, "WriteCapacityUnits": 5}
    updated = ddb.update_table(TableName=name, ProvisionedThroughput=lower)["TableDescription"]
    capacity = updated["ProvisionedThroughput"]
    assert (capacity["ReadCapacityUnits"], capacity["NumberOfDecreasesToday"]) == (2, 1)
    assert "LastDecreaseDateTime" in capacity
    on_demand = ddb.update_table(TableName=name, BillingMode="PAY_PER_REQUEST")["TableDescription"]
    assert on_demand["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert on_demand["ProvisionedThroughput"]["ReadCapacityUnits"] == 0
    assert _error(lambda: ddb.update_table(TableName=name, ProvisionedThroughput=lower)) == (
        "ValidationException",
        "One or more parameter values were invalid: Neither ReadCapacityUnits nor "
        "WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
    )
    back = ddb.update_table(TableName=name, BillingMode="PROVISIONED", ProvisionedThroughput=same)[
        "TableDescription"
    ]
    assert back["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert back["ProvisionedThroughput"]["WriteCapacityUnits"] == 5


def _items(harness: Harness, name: str, count: int) -> None:
    async def work(platform: Platform) -> None:
        dynamodb = platform.component("dynamodb")
        table = dynamodb.table(name)
        writes = [
            model.ItemWrite(
                table,
                {"pk": {"S": f"p{i}"}},
                model.Put({"pk": {"S": f"p{i}"}, "g": {"S": f"g{i % 3}"}, "v": {"N": str(i)}}),
            )
            for i in range(count)
        ]
        await dynamodb.write(writes)

    harness.call(work)


def _index_rows(harness: Harness, index_id: str) -> int:
    async def work(platform: Platform) -> int:
        count, _ = await platform.component("dynamodb").store.stats(index_id)
        return int(count)

    return harness.call(work)


def _index_id(harness: Harness, name: str, index: str) -> str:
    async def work(platform: Platform) -> str:
        found = platform.component("dynamodb").table(name).index(index)
        assert found is not None
        return str(found.id)

    return harness.call(work)


def test_a_global_index_added_to_a_table_with_items_is_filled(harness: Harness, ddb: Any) -> None:
    name = _name()
    _create(ddb, name)
    _items(harness, name, 25)
    create = {
        "Create": {
            "IndexName": "by-g",
            "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"},
        }
    }
    definitions = [{"AttributeName": "g", "AttributeType": "S"}]
    updated = ddb.update_table(
        TableName=name, AttributeDefinitions=definitions, GlobalSecondaryIndexUpdates=[create]
    )["TableDescription"]
    (index,) = updated["GlobalSecondaryIndexes"]
    assert (index["IndexName"], index["IndexStatus"]) == ("by-g", "CREATING")
    assert index["Backfilling"] is True
    assert [a["AttributeName"] for a in updated["AttributeDefinitions"]] == ["g", "pk"]

    def active() -> dict[str, Any]:
        shown: dict[str, Any] = ddb.describe_table(TableName=name)["Table"]
        index = shown["GlobalSecondaryIndexes"][0]
        return index if index["IndexStatus"] == "ACTIVE" else {}

    shown = wait_until(active)
    assert "Backfilling" not in shown
    assert _index_rows(harness, _index_id(harness, name, "by-g")) == 25

    code, message = _error(
        lambda: ddb.update_table(
            TableName=name, AttributeDefinitions=definitions, GlobalSecondaryIndexUpdates=[create]
        )
    )
    assert (code, message) == (
        "ValidationException",
        "Attempting to create an index which already exists",
    )
    two = [create, {"Delete": {"IndexName": "other"}}]
    assert _error(
        lambda: ddb.update_table(
            TableName=name, AttributeDefinitions=definitions, GlobalSecondaryIndexUpdates=two
        )
    ) == (
        "LimitExceededException",
        "Subscriber limit exceeded: Only 1 online index can be created or deleted "
        "simultaneously per table",
    )
    dropped = ddb.update_table(
        TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-g"}}]
    )["TableDescription"]
    assert "GlobalSecondaryIndexes" not in dropped
    assert [a["AttributeName"] for a in dropped["AttributeDefinitions"]] == ["pk"]
    assert _error(
        lambda: ddb.update_table(
            TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-g"}}]
        )
    ) == ("ResourceNotFoundException", f"Requested resource not found: Index by-g for table {name}")


def test_streams_are_enabled_disabled_and_enabled_anew(harness: Harness, ddb: Any) -> None:
    name = _name()
    _create(ddb, name)
    spec = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    on = ddb.update_table(TableName=name, StreamSpecification=spec)["TableDescription"]
    assert on["StreamSpecification"] == spec
    first = on["LatestStreamArn"]
    assert first == f"{_arn(name)}/stream/{on['LatestStreamLabel']}"
    assert _error(lambda: ddb.update_table(TableName=name, StreamSpecification=spec)) == (
        "ValidationException",
        f"Table already has an enabled stream: TableName: {name}",
    )
    off = ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    shown = off["TableDescription"]
    assert "StreamSpecification" not in shown and shown["LatestStreamArn"] == first
    assert _error(
        lambda: ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    ) == ("ValidationException", f"Table has no stream to disable: TableName: {name}")
    again = ddb.update_table(TableName=name, StreamSpecification=spec)["TableDescription"]
    assert again["LatestStreamArn"] != first

    # A day later the first stream is forgotten; the latest is kept.
    harness.advance(25 * 3600)
    ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})

    async def arns(platform: Platform) -> list[str]:
        return [s.arn for s in platform.component("dynamodb").table(name).streams]

    assert harness.call(arns) == [again["LatestStreamArn"]]


def test_class_and_deletion_protection(ddb: Any) -> None:
    name = _name()
    _create(ddb, name, DeletionProtectionEnabled=True)
    assert _error(lambda: ddb.delete_table(TableName=name)) == (
        "ValidationException",
        "Resource cannot be deleted as it is currently protected against deletion. Disable "
        "deletion protection first.",
    )
    assert _error(
        lambda: ddb.update_table(
            TableName=name, DeletionProtectionEnabled=False, TableClass="STANDARD"
        )
    ) == (
        "ValidationException",
        "One or more parameter values were invalid: TableClass modification must be the only "
        "operation in the request",
    )
    cold = ddb.update_table(TableName=name, TableClass="STANDARD_INFREQUENT_ACCESS")
    summary = cold["TableDescription"]["TableClassSummary"]
    assert summary["TableClass"] == "STANDARD_INFREQUENT_ACCESS" and "LastUpdateDateTime" in summary
    free = ddb.update_table(TableName=name, DeletionProtectionEnabled=False)["TableDescription"]
    assert free["DeletionProtectionEnabled"] is False
    ddb.delete_table(TableName=name)
    ddb.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig=WAIT)


# --- tags, time to live, limits, backups ----------------------------------------------------------


def test_tags(ddb: Any) -> None:
    name = _name()
    _create(ddb, name, Tags=[{"Key": "team", "Value": "books"}])
    arn = _arn(name)
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"}])
    tags = ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("env", "dev"), ("team", "books")]
    ddb.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "dev"}]
    missing = _arn(_name("gone"))
    assert _error(lambda: ddb.list_tags_of_resource(ResourceArn=missing)) == (
        "ResourceNotFoundException",
        f"Requested resource not found: ResourcArn: {missing} not found",
    )
    assert _error(
        lambda: ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "aws:x", "Value": "v"}])
    ) == ("ValidationException", "Tag Key cannot be prefixed with aws:, Key: aws:x")
    assert _error(lambda: ddb.list_tags_of_resource(ResourceArn=name)) == (
        "ValidationException",
        f"One or more parameter values were invalid: ARNs must start with 'arn:': {name}",
    )
    index_arn = f"{arn}/index/x"
    assert _error(lambda: ddb.list_tags_of_resource(ResourceArn=index_arn)) == (
        "ValidationException",
        "One or more parameter values were invalid: Invalid resource arn provided, only table "
        f"or stream is accepted. Provided resource arn: {index_arn}",
    )


def test_time_to_live(ddb: Any) -> None:
    name = _name()
    _create(ddb, name)
    assert ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "DISABLED"
    }
    assert _error(
        lambda: ddb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": False, "AttributeName": "exp"}
        )
    ) == ("ValidationException", "TimeToLive is already disabled")
    spec = {"Enabled": True, "AttributeName": "exp"}
    answer = ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=spec)
    assert answer["TimeToLiveSpecification"] == spec
    assert ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED",
        "AttributeName": "exp",
    }
    assert _error(
        lambda: ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=spec)
    ) == (
        "ValidationException",
        "TimeToLive is already enabled",
    )
    other = {"Enabled": True, "AttributeName": "ttl"}
    assert _error(
        lambda: ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=other)
    ) == (
        "ValidationException",
        "TimeToLive is active on a different AttributeName: current AttributeName is exp",
    )
    ddb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": False, "AttributeName": "exp"}
    )
    assert ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "DISABLED"
    }


def test_limits_and_continuous_backups(ddb: Any) -> None:
    limits = ddb.describe_limits()
    assert (limits["AccountMaxReadCapacityUnits"], limits["TableMaxWriteCapacityUnits"]) == (
        80000,
        40000,
    )
    name = _name()
    _create(ddb, name)
    assert ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"] == {
        "ContinuousBackupsStatus": "ENABLED",
        "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "DISABLED"},
    }

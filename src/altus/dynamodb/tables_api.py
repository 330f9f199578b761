"""DynamoDB's table operations: tables (CreateTable, DescribeTable, ListTables,
UpdateTable, DeleteTable), their tags, time to live, limits and continuous backups;
members in, members out.

Each change is computed from the table as it is (``definitions``, ``table_updates``:
pure, so a refused call changes nothing) and written by the component before the call
answers. A table is ACTIVE as soon as it is written; a global index added later is
CREATING until the component has filled it.

Every table operation takes the table's name or its ARN in ``TableName``. A table that
is not there is ``ResourceNotFoundException: Requested resource not found: Table: <name>
not found`` (DescribeContinuousBackups: ``TableNotFoundException: Table not found:
<name>``, as DynamoDB says it).
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from altus.api.spec import Call, Members, Operation
from altus.arns import parse_arn
from altus.dynamodb import describe
from altus.dynamodb.component import DynamoDB
from altus.dynamodb.definitions import ACCOUNT_MAX_CAPACITY, TABLE_MAX_CAPACITY, new_table
from altus.dynamodb.errors import (
    ResourceInUse,
    ResourceNotFound,
    TableNotFound,
    table_not_found,
    validation,
)
from altus.dynamodb.model import ACTIVE, DELETING, TTL_DISABLED, TTL_ENABLED, Table, TimeToLive
from altus.dynamodb.table_options import check_tags, invalid, table_name
from altus.dynamodb.table_updates import check_request, update_table

#: ListTables' page when the call names none (its most, too).
LIST_PAGE = 100
#: CreateTable's members for what Altus does not serve (global tables, vector indexes).
_UNSERVED = ("GlobalTableSourceArn", "VectorIndexes")


def _found(ddb: DynamoDB, input: Members) -> Table:
    name = table_name(input["TableName"], ddb.account)
    table = ddb.tables.get(name)
    if table is None:
        raise table_not_found(name)
    return table


async def _described(ddb: DynamoDB, table: Table) -> Members:
    stats = {id: await ddb.stats(id) for id in describe.stats_ids(table)}
    return describe.table_description(table, stats, ddb.now())


# --- tables ------------------------------------------------------------------------------------


async def create_table(ddb: DynamoDB, call: Call, input: Members) -> Members:
    # One definition change at a time, read and written under the lock: two at once
    # (a tag and an index becoming ACTIVE) would otherwise lose one.
    async with ddb.changing:
        return await _create_table(ddb, call, input)


async def _create_table(ddb: DynamoDB, call: Call, input: Members) -> Members:
    name = table_name(input["TableName"], ddb.account)
    for member in _UNSERVED:
        if input.get(member) is not None:
            # Altus's own text: DynamoDB serves these.
            raise validation(f"Altus does not serve {member} (global tables, vector indexes)")
    # ResourcePolicy is accepted and not kept: Altus authorises by identity policies.
    table = new_table(
        input,
        name=name,
        id=str(uuid.uuid4()),
        arn=ddb.arn(name),
        now=ddb.now(),
        account=ddb.account,
    )
    created = await ddb.create_table(table)
    return {"TableDescription": describe.table_description(created, {}, ddb.now())}


async def describe_table(ddb: DynamoDB, call: Call, input: Members) -> Members:
    return {"Table": await _described(ddb, _found(ddb, input))}


async def list_tables(ddb: DynamoDB, call: Call, input: Members) -> Members:
    limit: int = input.get("Limit") or LIST_PAGE
    start: str | None = input.get("ExclusiveStartTableName")
    names = sorted(name for name in ddb.tables if start is None or name > start)
    page = names[:limit]
    output: Members = {"TableNames": page}
    # Only when more names follow (a page that ends the list names none: captured).
    if len(names) > limit:
        output["LastEvaluatedTableName"] = page[-1]
    return output


async def update_table_(ddb: DynamoDB, call: Call, input: Members) -> Members:
    # One definition change at a time, read and written under the lock: two at once
    # (a tag and an index becoming ACTIVE) would otherwise lose one.
    async with ddb.changing:
        return await _update_table(ddb, call, input)


async def _update_table(ddb: DynamoDB, call: Call, input: Members) -> Members:
    check_request(input)  # refused before the table is looked for, as DynamoDB does
    table = _found(ddb, input)
    change = update_table(
        table, input, now=ddb.now(), nonce=uuid.uuid4().hex[:12], account=ddb.account
    )
    updated = await ddb.update_table(change.table, change.dropped)
    return {"TableDescription": await _described(ddb, updated)}


async def delete_table(ddb: DynamoDB, call: Call, input: Members) -> Members:
    # One definition change at a time, read and written under the lock: two at once
    # (a tag and an index becoming ACTIVE) would otherwise lose one.
    async with ddb.changing:
        return await _delete_table(ddb, call, input)


async def _delete_table(ddb: DynamoDB, call: Call, input: Members) -> Members:
    table = _found(ddb, input)
    if table.deletion_protection:
        raise validation(
            "Resource cannot be deleted as it is currently protected against deletion. "
            "Disable deletion protection first."
        )
    if any(index.status != ACTIVE for index in table.indexes):
        raise ResourceInUse(
            "Attempt to change a resource which is still in use: Cannot delete table while "
            "indexes are being created, updated, or deleted."
        )
    description = await _described(ddb, dataclasses.replace(table, status=DELETING))
    await ddb.delete_table(table)
    return {"TableDescription": description}


# --- tags --------------------------------------------------------------------------------------


def _tagged(ddb: DynamoDB, arn: str) -> Table:
    """The table a tagging call's ResourceArn names (texts verified but for a stream's
    ARN, which Altus does not tag: not found)."""
    if not arn.startswith("arn:"):
        raise invalid(f"ARNs must start with 'arn:': {arn}")
    parsed = parse_arn(arn)
    if parsed is None or parsed.service != "dynamodb":
        raise invalid(f"Provided Arn is not a DynamoDB resource arn: {arn}")
    account = ddb.account
    if (parsed.partition, parsed.region, parsed.account) != (
        account.partition,
        account.region,
        account.account_id,
    ):
        raise validation(f"Invalid TableArn: Invalid ResourceArn provided as input {arn}")
    kind, _, path = parsed.resource.partition("/")
    name, _, below = path.partition("/")
    if kind != "table" or not name or (below and not below.startswith("stream/")):
        raise invalid(
            "Invalid resource arn provided, only table or stream is accepted. Provided "
            f"resource arn: {arn}"
        )
    table = ddb.tables.get(name)
    if table is None or below:
        raise ResourceNotFound(f"Requested resource not found: ResourcArn: {arn} not found")
    return table


async def tag_resource(ddb: DynamoDB, call: Call, input: Members) -> Members:
    # One definition change at a time, read and written under the lock: two at once
    # (a tag and an index becoming ACTIVE) would otherwise lose one.
    async with ddb.changing:
        return await _tag_resource(ddb, call, input)


async def _tag_resource(ddb: DynamoDB, call: Call, input: Members) -> Members:
    table = _tagged(ddb, input["ResourceArn"])
    if not input["Tags"]:
        raise validation("Atleast one Tag needs to be provided as Input.")
    tags = check_tags(input["Tags"], table.tags)
    await ddb.update_table(dataclasses.replace(table, tags=tags))
    return {}


async def untag_resource(ddb: DynamoDB, call: Call, input: Members) -> Members:
    # One definition change at a time, read and written under the lock: two at once
    # (a tag and an index becoming ACTIVE) would otherwise lose one.
    async with ddb.changing:
        return await _untag_resource(ddb, call, input)


async def _untag_resource(ddb: DynamoDB, call: Call, input: Members) -> Members:
    table = _tagged(ddb, input["ResourceArn"])
    if not input["TagKeys"]:
        raise validation("Atleast one Tag Key needs to be provided as Input.")
    gone = set(input["TagKeys"])
    tags = {key: value for key, value in table.tags.items() if key not in gone}
    await ddb.update_table(dataclasses.replace(table, tags=tags))
    return {}


async def list_tags_of_resource(ddb: DynamoDB, call: Call, input: Members) -> Members:
    table = _tagged(ddb, input["ResourceArn"])
    # At most 50 tags: one page, no NextToken.
    return {"Tags": [{"Key": key, "Value": value} for key, value in table.tags.items()]}


# --- time to live ------------------------------------------------------------------------------


async def update_time_to_live(ddb: DynamoDB, call: Call, input: Members) -> Members:
    # One definition change at a time, read and written under the lock: two at once
    # (a tag and an index becoming ACTIVE) would otherwise lose one.
    async with ddb.changing:
        return await _update_time_to_live(ddb, call, input)


async def _update_time_to_live(ddb: DynamoDB, call: Call, input: Members) -> Members:
    table = _found(ddb, input)
    spec: dict[str, Any] = input["TimeToLiveSpecification"]
    enabled, attribute = bool(spec["Enabled"]), spec["AttributeName"]
    current = table.ttl
    on = current.status == TTL_ENABLED
    if on and (enabled or attribute != current.attribute):
        if enabled and attribute == current.attribute:
            raise validation("TimeToLive is already enabled")
        # text not verified when disabling another attribute than the enabled one.
        raise validation(
            "TimeToLive is active on a different AttributeName: current AttributeName is "
            f"{current.attribute}"
        )
    if not on and not enabled:
        raise validation("TimeToLive is already disabled")
    # DynamoDB refuses a second change within about half an hour ("Time to live has
    # been modified multiple times within a fixed interval"); Altus does not.
    extra = {key: value for key, value in table.extra.items() if key != "ttlPending"}
    if enabled:
        ttl = TimeToLive(attribute, TTL_ENABLED)
        extra["ttlPending"] = True  # the component notes every item's expiry first
    else:
        ttl = TimeToLive(None, TTL_DISABLED)
    await ddb.update_table(dataclasses.replace(table, ttl=ttl, extra=extra))
    return {"TimeToLiveSpecification": {"Enabled": enabled, "AttributeName": attribute}}


async def describe_time_to_live(ddb: DynamoDB, call: Call, input: Members) -> Members:
    ttl = _found(ddb, input).ttl
    shown: Members = {"TimeToLiveStatus": ttl.status}
    # A disabled TTL shows no attribute (DynamoDB forgets it).
    if ttl.status == TTL_ENABLED and ttl.attribute is not None:
        shown["AttributeName"] = ttl.attribute
    return {"TimeToLiveDescription": shown}


# --- limits and backups ------------------------------------------------------------------------


async def describe_limits(ddb: DynamoDB, call: Call, input: Members) -> Members:
    return {
        "AccountMaxReadCapacityUnits": ACCOUNT_MAX_CAPACITY,
        "AccountMaxWriteCapacityUnits": ACCOUNT_MAX_CAPACITY,
        "TableMaxReadCapacityUnits": TABLE_MAX_CAPACITY,
        "TableMaxWriteCapacityUnits": TABLE_MAX_CAPACITY,
    }


async def describe_continuous_backups(ddb: DynamoDB, call: Call, input: Members) -> Members:
    name = table_name(input["TableName"], ddb.account)
    if name not in ddb.tables:
        raise TableNotFound(f"Table not found: {name}")
    # As DynamoDB reports a table once it is ACTIVE: backups on, point-in-time recovery
    # off (Altus keeps no backups).
    return {
        "ContinuousBackupsDescription": {
            "ContinuousBackupsStatus": "ENABLED",
            "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "DISABLED"},
        }
    }


OPERATIONS: dict[str, Operation] = {
    "CreateTable": create_table,
    "DescribeTable": describe_table,
    "ListTables": list_tables,
    "UpdateTable": update_table_,
    "DeleteTable": delete_table,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsOfResource": list_tags_of_resource,
    "UpdateTimeToLive": update_time_to_live,
    "DescribeTimeToLive": describe_time_to_live,
    "DescribeLimits": describe_limits,
    "DescribeContinuousBackups": describe_continuous_backups,
}

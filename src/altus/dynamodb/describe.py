"""A table as DescribeTable (and CreateTable, UpdateTable, DeleteTable) shows it: the
``TableDescription`` members botocore's model names, shaped as DynamoDB fills them.
Pure, but for the item counts and sizes it is given (the component recounts them).

What DynamoDB shows, as captured against it (the ack-api-quirks findings, 2026-10)
and in the Developer Guide's DescribeTable examples:

- ``AttributeDefinitions`` sorted by name, index lists in the order they were given,
  ``NonKeyAttributes`` sorted;
- ``ProvisionedThroughput`` always, ``0``/``0`` for an on-demand table and its global
  indexes, with ``NumberOfDecreasesToday`` and the last increase/decrease times; local
  indexes have none;
- ``BillingModeSummary`` only for a table that is or has been on-demand (with
  ``LastUpdateToPayPerRequestDateTime``);
- ``Backfilling`` only on a global index being created after its table was;
- ``StreamSpecification`` only while a stream is enabled; ``LatestStreamLabel`` and
  ``LatestStreamArn`` name the latest stream, disabled or not;
- ``TableClassSummary`` only once a table class was asked for; ``SSEDescription`` only
  for a table encrypted with a KMS key; ``DeletionProtectionEnabled`` and
  ``WarmThroughput`` always.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from altus.api.spec import Members
from altus.dynamodb.definitions import key_schema_members
from altus.dynamodb.model import (
    CREATING,
    GLOBAL,
    INCLUDE,
    PAY_PER_REQUEST,
    Index,
    Table,
    Throughput,
)
from altus.dynamodb.table_updates import decreases_today, warm_throughput

#: Item count and bytes, by table or index id.
Stats = Mapping[str, tuple[int, int]]


def _throughput(value: Throughput | None, on_demand: bool, now: float) -> Members:
    value = value or Throughput()
    shown: Members = {"NumberOfDecreasesToday": decreases_today(value, now)}
    if value.last_increase is not None:
        shown["LastIncreaseDateTime"] = value.last_increase
    if value.last_decrease is not None:
        shown["LastDecreaseDateTime"] = value.last_decrease
    shown["ReadCapacityUnits"] = 0 if on_demand else value.read
    shown["WriteCapacityUnits"] = 0 if on_demand else value.write
    return shown


def _projection(index: Index) -> Members:
    shown: Members = {"ProjectionType": index.projection.type}
    if index.projection.type == INCLUDE:
        shown["NonKeyAttributes"] = list(index.projection.non_key)
    return shown


def _warm(read: int, write: int) -> Members:
    return {"ReadUnitsPerSecond": read, "WriteUnitsPerSecond": write, "Status": "ACTIVE"}


def _index(table: Table, index: Index, stats: Stats, now: float) -> Members:
    count, size = stats.get(index.id, (0, 0))
    shown: Members = {
        "IndexName": index.name,
        "KeySchema": key_schema_members(index.key),
        "Projection": _projection(index),
    }
    on_demand = table.billing_mode == PAY_PER_REQUEST
    if index.kind == GLOBAL:
        shown["IndexStatus"] = index.status
        if index.status == CREATING:
            shown["Backfilling"] = index.backfilling
        shown["ProvisionedThroughput"] = _throughput(index.throughput, on_demand, now)
    shown["IndexSizeBytes"] = size
    shown["ItemCount"] = count
    shown["IndexArn"] = f"{table.arn}/index/{index.name}"
    if index.kind == GLOBAL:
        if on_demand or index.throughput is None:
            shown["WarmThroughput"] = _warm(*warm_throughput(table))
        else:
            shown["WarmThroughput"] = _warm(index.throughput.read, index.throughput.write)
    return shown


def table_description(table: Table, stats: Stats, now: float) -> Members:
    """``table`` as a ``TableDescription``; ``stats`` holds the item count and bytes of
    the table and each index by id (missing: 0), ``now`` dates today's decreases."""
    count, size = stats.get(table.id, (0, 0))
    on_demand = table.billing_mode == PAY_PER_REQUEST
    shown: Members = {
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": table.attributes[name]}
            for name in sorted(table.attributes)
        ],
        "TableName": table.name,
        "KeySchema": key_schema_members(table.key),
        "TableStatus": table.status,
        "CreationDateTime": table.created,
        "ProvisionedThroughput": _throughput(table.throughput, on_demand, now),
        "TableSizeBytes": size,
        "ItemCount": count,
        "TableArn": table.arn,
        "TableId": table.id,
    }
    if on_demand or table.billing_changed is not None:
        summary: Members = {"BillingMode": table.billing_mode}
        if table.billing_changed is not None:
            summary["LastUpdateToPayPerRequestDateTime"] = table.billing_changed
        shown["BillingModeSummary"] = summary
    local = [_index(table, i, stats, now) for i in table.indexes if i.kind != GLOBAL]
    global_ = [_index(table, i, stats, now) for i in table.indexes if i.kind == GLOBAL]
    if local:
        shown["LocalSecondaryIndexes"] = local
    if global_:
        shown["GlobalSecondaryIndexes"] = global_
    current = table.stream
    if current is not None:
        shown["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": current.view_type}
    if table.streams:
        latest = table.streams[-1]
        shown["LatestStreamLabel"] = latest.label
        shown["LatestStreamArn"] = latest.arn
    sse = table.extra.get("sse")
    if sse is not None:
        shown["SSEDescription"] = dict(sse)
    if table.extra.get("tableClassSet") or "tableClassUpdated" in table.extra:
        class_summary: Members = {"TableClass": table.table_class}
        if "tableClassUpdated" in table.extra:
            class_summary["LastUpdateDateTime"] = table.extra["tableClassUpdated"]
        shown["TableClassSummary"] = class_summary
    shown["DeletionProtectionEnabled"] = table.deletion_protection
    on_demand_limits: Mapping[str, Any] | None = table.extra.get("onDemand")
    if on_demand and on_demand_limits:
        shown["OnDemandThroughput"] = dict(on_demand_limits)
    shown["WarmThroughput"] = _warm(*warm_throughput(table))
    return shown


def stats_ids(table: Table) -> list[str]:
    """The ids whose counts a description shows: the table's, then each index's."""
    return [table.id, *(index.id for index in table.indexes)]

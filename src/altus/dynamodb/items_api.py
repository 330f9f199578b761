"""DynamoDB's single-item operations: PutItem, GetItem, UpdateItem, DeleteItem; and the
table of every item operation (the batches' and the transactions' are in ``batch_api``
and ``transactions_api``).

Each write is one store write (``DynamoDB.write``): the item is read, the condition
judged, the new item made and stored in one transaction, so a condition is always
judged against the item the write replaces. A failed condition is
ConditionalCheckFailedException, with the item as stored when
ReturnValuesOnConditionCheckFailure is ALL_OLD.

What each answers beside the item: ``Attributes`` as ReturnValues asks (PutItem and
DeleteItem take NONE and ALL_OLD only; UpdateItem's UPDATED_OLD and UPDATED_NEW are the
item before or after, projected on the paths the update writes, and absent when that
leaves nothing), ``ConsumedCapacity`` (``requests.capacity``; a read costs a unit per
4 KB of the whole item, half when eventually consistent, one at least even for no
item; a write as ``item_writes.write_cost``), ``ItemCollectionMetrics`` for tables with
local secondary indexes. GetItem of no item answers without ``Item``; of an item its
projection leaves nothing of, ``Item: {}``.
"""

from __future__ import annotations

from typing import Any

from altus.api.spec import Call, Members, Operation
from altus.dynamodb import batch_api, transactions_api
from altus.dynamodb.component import DynamoDB
from altus.dynamodb.expressions import project, project_paths
from altus.dynamodb.item_writes import (
    WritePlan,
    collection_metrics,
    failed,
    plan_delete,
    plan_put,
    plan_update,
    return_values,
    write_cost,
)
from altus.dynamodb.model import Written
from altus.dynamodb.requests import (
    Expressions,
    capacity,
    check_key,
    projection_of,
    read_units,
    table_of,
)
from altus.dynamodb.store import ConditionsFailed
from altus.dynamodb.values import item_size

_OLD_ONLY = ("NONE", "ALL_OLD")
_ALL = ("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW")


async def _write(dynamodb: DynamoDB, plan: WritePlan) -> Written:
    try:
        (written,) = await dynamodb.write([plan.write])
    except ConditionsFailed as failure:
        raise failed(plan, failure.failed.get(0)) from None
    return written


def _answer(input: Members, plan: WritePlan, written: Written, output: Members) -> Members:
    """``output`` with the capacity and item collection the request asked for."""
    table_units, index_units = write_cost(plan.table, written)
    shown = capacity(input, plan.table, table_units, read=False, indexes=index_units)
    if shown is not None:
        output["ConsumedCapacity"] = shown
    if input.get("ReturnItemCollectionMetrics") == "SIZE":
        metrics = collection_metrics(plan.table, plan.write.key)
        if metrics is not None:
            output["ItemCollectionMetrics"] = metrics
    return output


async def put_item(dynamodb: DynamoDB, call: Call, input: Members) -> Members:
    returned = return_values(input, _OLD_ONLY)
    plan = plan_put(dynamodb, input)
    written = await _write(dynamodb, plan)
    output: Members = {}
    if returned == "ALL_OLD" and written.old is not None:
        output["Attributes"] = dict(written.old)
    return _answer(input, plan, written, output)


async def delete_item(dynamodb: DynamoDB, call: Call, input: Members) -> Members:
    returned = return_values(input, _OLD_ONLY)
    plan = plan_delete(dynamodb, input)
    written = await _write(dynamodb, plan)
    output: Members = {}
    if returned == "ALL_OLD" and written.old is not None:
        output["Attributes"] = dict(written.old)
    return _answer(input, plan, written, output)


async def update_item(dynamodb: DynamoDB, call: Call, input: Members) -> Members:
    returned = return_values(input, _ALL)
    plan = plan_update(dynamodb, input)
    written = await _write(dynamodb, plan)
    output: Members = {}
    attributes: dict[str, Any] | None = None
    if returned == "ALL_OLD" and written.old is not None:
        attributes = dict(written.old)
    elif returned == "ALL_NEW" and written.new is not None:
        attributes = dict(written.new)
    elif returned in ("UPDATED_OLD", "UPDATED_NEW"):
        item = written.old if returned == "UPDATED_OLD" else written.new
        attributes = project_paths(item, plan.targets) if item is not None else None
    if attributes:
        output["Attributes"] = attributes
    return _answer(input, plan, written, output)


async def get_item(dynamodb: DynamoDB, call: Call, input: Members) -> Members:
    expressions = Expressions.of(input)
    projection = projection_of(input, expressions)
    expressions.finish()
    table = table_of(dynamodb, input["TableName"])
    key = check_key(input["Key"], table.key)
    # The store reads consistently whatever was asked; ConsistentRead sets the price.
    (item,) = await dynamodb.get(table, [key])
    output: Members = {}
    if item is not None:
        output["Item"] = project(item, projection) if projection is not None else dict(item)
    units = read_units(item_size(item or {}), bool(input.get("ConsistentRead")))
    shown = capacity(input, table, units, read=True)
    if shown is not None:
        output["ConsumedCapacity"] = shown
    return output


OPERATIONS: dict[str, Operation] = {
    "PutItem": put_item,
    "GetItem": get_item,
    "UpdateItem": update_item,
    "DeleteItem": delete_item,
    **batch_api.OPERATIONS,
    **transactions_api.OPERATIONS,
}

"""One item write as a request states it, checked and planned: PutItem's, UpdateItem's,
DeleteItem's members, and the same members of TransactWriteItems' Put, Update, Delete
and ConditionCheck, become a :class:`WritePlan` (the store's ``ItemWrite`` and what the
answer needs). What follows a write is here too: the error of a failed condition, the
capacity a write consumed, the item collection it touched.

A request is checked in DynamoDB's order (dynalite's validations, written against
DynamoDB): legacy and expression parameters not mixed, the placeholder maps, the
expressions (the update, then the condition), the placeholders none used; then the
table, then the key or item against its schema. The update of a key attribute is
refused before anything is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from altus.dynamodb import legacy, rows
from altus.dynamodb.component import DynamoDB
from altus.dynamodb.errors import ConditionalCheckFailed, ValidationException, condition_failed
from altus.dynamodb.expressions.ast import Condition, Path, Update
from altus.dynamodb.model import LOCAL, Check, Index, ItemWrite, Patch, Put, Remove, Table, Written
from altus.dynamodb.requests import (
    Expressions,
    check_key,
    check_new_item,
    item_collection_key,
    refuse_mixed,
    table_of,
    write_units,
)
from altus.dynamodb.values import Item, equal, item_size
from altus.dynamodb.writing import check_stored

#: DynamoDB's answer to a ReturnValues an operation does not take.
INVALID_RETURN_VALUES = "Return values set to invalid value"
#: SizeEstimateRangeGB of an item collection: Altus does not measure collections, and
#: reports every one as under a gigabyte (DynamoDB's estimate of a small collection).
SIZE_ESTIMATE = [0.0, 1.0]


@dataclass(frozen=True, slots=True)
class WritePlan:
    """One item's write as the request asked it."""

    write: ItemWrite
    #: ReturnValuesOnConditionCheckFailure ALL_OLD: a failed condition carries the item.
    old_on_failure: bool = False
    #: What an update writes (ReturnValues UPDATED_OLD and UPDATED_NEW project on it).
    targets: tuple[Path, ...] = ()

    @property
    def table(self) -> Table:
        return self.write.table


def return_values(input: Mapping[str, Any], allowed: tuple[str, ...]) -> str:
    """``ReturnValues`` (NONE when absent), refused if the operation does not take it."""
    chosen = str(input.get("ReturnValues") or "NONE")
    if chosen not in allowed:
        raise ValidationException(INVALID_RETURN_VALUES)
    return chosen


def _condition(input: Mapping[str, Any], expressions: Expressions) -> Condition | None:
    text = input.get("ConditionExpression")
    if text is not None:
        return expressions.condition(text)
    return legacy.expected_condition(input.get("Expected"), input.get("ConditionalOperator"))


def _old_on_failure(input: Mapping[str, Any]) -> bool:
    return input.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD"


def plan_put(dynamodb: DynamoDB, input: Mapping[str, Any]) -> WritePlan:
    """PutItem's members (or a transaction's Put)."""
    refuse_mixed(input, ("Expected", "ConditionalOperator"), ("ConditionExpression",))
    expressions = Expressions.of(input)
    condition = _condition(input, expressions)
    expressions.finish()
    table = table_of(dynamodb, input["TableName"])
    item = check_new_item(input["Item"], table)
    check_stored(table, item)
    key = rows.table_key(table, item)
    return WritePlan(ItemWrite(table, key, Put(item), condition), _old_on_failure(input))


def plan_update(dynamodb: DynamoDB, input: Mapping[str, Any]) -> WritePlan:
    """UpdateItem's members (or a transaction's Update). An update of nothing (neither
    UpdateExpression nor AttributeUpdates) writes the key alone if there is no item."""
    refuse_mixed(
        input,
        ("AttributeUpdates", "Expected", "ConditionalOperator"),
        ("UpdateExpression", "ConditionExpression"),
    )
    expressions = Expressions.of(input)
    text = input.get("UpdateExpression")
    update: Update
    if text is not None:
        update = expressions.update(text)
    else:
        update = legacy.attribute_updates(input.get("AttributeUpdates") or {})
    condition = _condition(input, expressions)
    expressions.finish()
    table = table_of(dynamodb, input["TableName"])
    key = check_key(input["Key"], table.key)
    for path in update.targets:
        if path.attribute in table.key.names:
            raise ValidationException(
                "One or more parameter values were invalid: Cannot update attribute "
                f"{path.attribute}. This attribute is part of the key"
            )
    return WritePlan(
        ItemWrite(table, key, Patch(update), condition), _old_on_failure(input), update.targets
    )


def plan_delete(dynamodb: DynamoDB, input: Mapping[str, Any]) -> WritePlan:
    """DeleteItem's members (or a transaction's Delete)."""
    refuse_mixed(input, ("Expected", "ConditionalOperator"), ("ConditionExpression",))
    expressions = Expressions.of(input)
    condition = _condition(input, expressions)
    expressions.finish()
    table = table_of(dynamodb, input["TableName"])
    key = check_key(input["Key"], table.key)
    return WritePlan(ItemWrite(table, key, Remove(), condition), _old_on_failure(input))


def plan_check(dynamodb: DynamoDB, input: Mapping[str, Any]) -> WritePlan:
    """A transaction's ConditionCheck: its condition, nothing written."""
    expressions = Expressions.of(input)
    condition = expressions.condition(input["ConditionExpression"])
    expressions.finish()
    table = table_of(dynamodb, input["TableName"])
    key = check_key(input["Key"], table.key)
    return WritePlan(ItemWrite(table, key, Check(), condition), _old_on_failure(input))


def failed(plan: WritePlan, stored: Item | None) -> ConditionalCheckFailed:
    """ConditionalCheckFailedException for ``plan``, with the item as stored when the
    request asked for it (and there was one)."""
    return condition_failed(dict(stored) if plan.old_on_failure and stored is not None else None)


def cancellation(plan: WritePlan, stored: Item | None) -> dict[str, Any]:
    """A transaction's CancellationReason for ``plan``'s failed condition."""
    reason: dict[str, Any] = {
        "Code": "ConditionalCheckFailed",
        "Message": "The conditional request failed",
    }
    if plan.old_on_failure and stored is not None:
        reason["Item"] = dict(stored)
    return reason


# --- after the write ----------------------------------------------------------------------


def write_cost(table: Table, written: Written) -> tuple[float, dict[Index, float]]:
    """The write units a change consumed on the table and on each index.

    The table: a unit per KB of the larger of the item before and after (one at least,
    so a delete of nothing and an identical overwrite cost one). An index is charged
    only where its entry changed (the nubo-db conformance suite's measurements against
    DynamoDB): an entry written or removed costs its size, an entry moved to another
    index key costs both (a delete and an insert), an entry whose projection is
    unchanged costs nothing. Sizes are the projected attributes' (DynamoDB's 100 bytes
    of index overhead are not counted: not verified)."""
    old, new = written.old, written.new
    table_units = write_units(max(item_size(old or {}), item_size(new or {})))
    charged: dict[Index, float] = {}
    for index in table.indexes:
        before = _entry(table, index, old)
        after = _entry(table, index, new)
        if before is None and after is None:
            continue
        if before is None or after is None:
            entry = before if before is not None else after
            assert entry is not None
            charged[index] = write_units(item_size(entry[1]))
        elif before[0] != after[0]:
            charged[index] = write_units(item_size(before[1])) + write_units(item_size(after[1]))
        elif not equal({"M": before[1]}, {"M": after[1]}):
            charged[index] = write_units(max(item_size(before[1]), item_size(after[1])))
    return table_units, charged


def _entry(
    table: Table, index: Index, item: Item | None
) -> tuple[rows.Address, dict[str, Any]] | None:
    if item is None:
        return None
    found = rows.address(index.key, item)
    if found is None:
        return None
    return found, rows.projected(table, index, item)


def collection_metrics(table: Table, key: Item) -> dict[str, Any] | None:
    """ItemCollectionMetrics of a write to ``table`` (only tables with local secondary
    indexes have item collections DynamoDB reports)."""
    if not any(index.kind == LOCAL for index in table.indexes):
        return None
    return {
        "ItemCollectionKey": item_collection_key(table, key),
        "SizeEstimateRangeGB": list(SIZE_ESTIMATE),
    }

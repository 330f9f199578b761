"""TransactWriteItems and TransactGetItems: up to 100 actions on items of any tables,
all-or-nothing, each action naming a different item ("Transaction request cannot
include multiple operations on one item").

**Writes** are one store write: every condition is judged against the items as that
transaction reads them, and if any fails nothing is written and the call is
TransactionCanceledException with a CancellationReason per action, in order: ``None``
for the fine ones, ``ConditionalCheckFailed`` for the failed ones (with the item as
stored under ReturnValuesOnConditionCheckFailure ALL_OLD). An action that cannot be
applied to the item as stored (an update's operand of the wrong type, an item grown past
400 KB) cancels the call with ``ValidationError`` and the problem's text as its reason,
as the API reference lists; to say which action it was, the items are read again and
the actions tried one by one (the store reports only the text).

**Idempotency tokens** (``transaction_tokens``) are claimed in the store write of the
transaction (``store.TokenClaim``), so they hold across a restart. A repeat (the store's
``TokenRepeated``, same request) writes nothing and is answered as the first call was:
``{}``, with ItemCollectionMetrics as the request's keys give them, and, where
ReturnConsumedCapacity asks, the read capacity of reading the items it names as they
are now (the API reference: a repeat returns "the number of read capacity units consumed
in reading the item"), read at one moment as TransactGetItems reads.

**Reads** are one transaction of the store's write path (an action per item that
checks nothing and writes nothing): the items of every table are read at one moment,
as TransactGetItems promises. A missing item's response is ``{}``.

**Capacity**: transactions cost twice the units of the same reads and writes, and
report the read/write split (the Developer Guide's "Capacity management for
transactions"; the split: the nubo-db conformance suite). A ConditionCheck is charged as
a write of the item it checks (not verified), an index as a plain write's
(``item_writes.write_cost``), doubled. A missing item read is charged as one of 4 KB.

**Not done**: the 4 MB limit on a transaction's items' aggregate size is not enforced.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from altus.api.spec import Call, Members, Operation
from altus.dynamodb import rows, writing
from altus.dynamodb.component import DynamoDB
from altus.dynamodb.errors import ValidationException, canceled
from altus.dynamodb.expressions import project
from altus.dynamodb.expressions.ast import Projection
from altus.dynamodb.item_writes import (
    WritePlan,
    cancellation,
    collection_metrics,
    plan_check,
    plan_delete,
    plan_put,
    plan_update,
    write_cost,
)
from altus.dynamodb.model import Check, Index, ItemWrite, Table, Written
from altus.dynamodb.requests import (
    Expressions,
    capacity,
    check_key,
    projection_of,
    read_units,
    table_of,
)
from altus.dynamodb.store import ConditionsFailed, TokenClaim, TokenRepeated
from altus.dynamodb.transaction_tokens import claim, fingerprint, mismatch
from altus.dynamodb.values import Item, item_size

#: Transactions cost twice a plain read's or write's units.
TRANSACTION_FACTOR = 2
SAME_ITEM = "Transaction request cannot include multiple operations on one item"
#: A TransactWriteItem with several actions (moto quotes it from DynamoDB; not
#: verified), and with none (DynamoDB Local's wording; not verified).
SEVERAL_ACTIONS = "TransactItems can only contain one of Check, Put, Update or Delete"
NO_ACTION = "Invalid Request: TransactWriteRequest should contain Delete or Put or Update request"

_PLANNERS: dict[str, Callable[[DynamoDB, Mapping[str, Any]], WritePlan]] = {
    "ConditionCheck": plan_check,
    "Put": plan_put,
    "Delete": plan_delete,
    "Update": plan_update,
}


def _refuse_same_item(keys: Sequence[tuple[Table, Item]]) -> None:
    seen: set[tuple[str, rows.Address]] = set()
    for table, key in keys:
        address = (table.id, rows.primary(table, key))
        if address in seen:
            raise ValidationException(SAME_ITEM)
        seen.add(address)


def _plans(dynamodb: DynamoDB, actions: Sequence[Mapping[str, Any]]) -> list[WritePlan]:
    plans = []
    for action in actions:
        given = [name for name in _PLANNERS if action.get(name) is not None]
        if not given:
            raise ValidationException(NO_ACTION)
        if len(given) > 1:
            raise ValidationException(SEVERAL_ACTIONS)
        plans.append(_PLANNERS[given[0]](dynamodb, action[given[0]]))
    _refuse_same_item([(plan.table, plan.write.key) for plan in plans])
    return plans


async def _failing_action(dynamodb: DynamoDB, writes: Sequence[ItemWrite]) -> int | None:
    """Which of ``writes`` cannot be applied to its item as stored now, if one still
    cannot (the items are read in one transaction that writes nothing)."""
    checks = [ItemWrite(write.table, write.key, Check()) for write in writes]
    stored = await dynamodb.write(checks)
    for index, (write, found) in enumerate(zip(writes, stored, strict=True)):
        try:
            writing.after(write, found.old)
        except ValidationException:
            return index
    return None


async def _apply(
    dynamodb: DynamoDB, plans: Sequence[WritePlan], token: TokenClaim | None = None
) -> list[Written]:
    """Write the plans all or nothing, ``token`` kept with them (``TokenRepeated``
    propagates: nothing was written)."""
    writes = [plan.write for plan in plans]
    none = {"Code": "None"}
    try:
        return await dynamodb.write(writes, token)
    except ConditionsFailed as failure:
        reasons = [
            cancellation(plan, failure.failed[index]) if index in failure.failed else none
            for index, plan in enumerate(plans)
        ]
        raise canceled(reasons) from None
    except ValidationException as problem:
        culprit = await _failing_action(dynamodb, writes)
        if culprit is None:
            raise
        reasons = [none] * len(plans)
        reasons[culprit] = {"Code": "ValidationError", "Message": problem.message}
        raise canceled(reasons) from None


def _per_table(
    input: Members,
    costs: Sequence[tuple[Table, float, Mapping[Index, float]]],
    *,
    read: bool,
) -> list[dict[str, Any]]:
    """ConsumedCapacity per table, in the order the tables first appear."""
    tables: dict[str, Table] = {}
    units: dict[str, float] = {}
    by_index: dict[str, dict[Index, float]] = {}
    for table, table_units, charged in costs:
        tables.setdefault(table.id, table)
        units[table.id] = units.get(table.id, 0.0) + table_units
        indexes = by_index.setdefault(table.id, {})
        for index, value in charged.items():
            indexes[index] = indexes.get(index, 0.0) + value
    shown = [
        capacity(input, table, units[id_], read=read, indexes=by_index[id_], split=True)
        for id_, table in tables.items()
    ]
    return [entry for entry in shown if entry is not None]


async def transact_write_items(dynamodb: DynamoDB, call: Call, input: Members) -> Members:
    plans = _plans(dynamodb, input["TransactItems"])
    given = input.get("ClientRequestToken")
    token = None
    if given is not None:
        token = claim(given, fingerprint(input["TransactItems"]), dynamodb.now())
    try:
        written = await _apply(dynamodb, plans, token)
    except TokenRepeated as repeat:
        if not repeat.same:
            raise mismatch() from None
        return await _repeat(dynamodb, input, plans)
    costs: list[tuple[Table, float, Mapping[Index, float]]] = []
    for plan, change in zip(plans, written, strict=True):
        table_units, charged = write_cost(plan.table, change)
        doubled = {index: value * TRANSACTION_FACTOR for index, value in charged.items()}
        costs.append((plan.table, table_units * TRANSACTION_FACTOR, doubled))
    output = _metrics(input, plans)
    if input.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES"):
        output["ConsumedCapacity"] = _per_table(input, costs, read=False)
    return output


def _metrics(input: Members, plans: Sequence[WritePlan]) -> Members:
    """The output but its capacity: ItemCollectionMetrics of the items written, where
    ReturnItemCollectionMetrics asks (the same for the first call and a repeat)."""
    metrics: dict[str, list[dict[str, Any]]] = {}
    for plan in plans:
        if not isinstance(plan.write.action, Check):
            found = collection_metrics(plan.table, plan.write.key)
            if found is not None:
                metrics.setdefault(plan.table.name, []).append(found)
    if input.get("ReturnItemCollectionMetrics") == "SIZE" and metrics:
        return {"ItemCollectionMetrics": metrics}
    return {}


async def _repeat(dynamodb: DynamoDB, input: Members, plans: Sequence[WritePlan]) -> Members:
    """A repeat's answer: the first call's, with the read capacity of reading the items
    it names (as they are now: what the first call left, unless written since)."""
    output = _metrics(input, plans)
    if input.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES"):
        stored = await dynamodb.write([ItemWrite(p.table, p.write.key, Check()) for p in plans])
        nothing: dict[Index, float] = {}
        costs = [
            (plan.table, read_units(item_size(found.old or {}), True), nothing)
            for plan, found in zip(plans, stored, strict=True)
        ]
        output["ConsumedCapacity"] = _per_table(input, costs, read=True)
    return output


# --- TransactGetItems ---------------------------------------------------------------------


async def transact_get_items(dynamodb: DynamoDB, call: Call, input: Members) -> Members:
    gets: list[tuple[Table, Item, Projection | None]] = []
    for action in input["TransactItems"]:
        get = action["Get"]
        expressions = Expressions.of(get)
        projection = projection_of(get, expressions)
        expressions.finish()
        table = table_of(dynamodb, get["TableName"])
        gets.append((table, check_key(get["Key"], table.key), projection))
    _refuse_same_item([(table, key) for table, key, _ in gets])
    stored = await dynamodb.write([ItemWrite(table, key, Check()) for table, key, _ in gets])
    responses: list[dict[str, Any]] = []
    costs: list[tuple[Table, float, Mapping[Index, float]]] = []
    for (table, _, projection), found in zip(gets, stored, strict=True):
        item = found.old
        if item is None:
            responses.append({})
        else:
            shown = project(item, projection) if projection is not None else dict(item)
            responses.append({"Item": shown})
        units = read_units(item_size(item or {}), True) * TRANSACTION_FACTOR
        costs.append((table, units, {}))
    output: Members = {"Responses": responses}
    if input.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES"):
        output["ConsumedCapacity"] = _per_table(input, costs, read=True)
    return output


OPERATIONS: dict[str, Operation] = {
    "TransactWriteItems": transact_write_items,
    "TransactGetItems": transact_get_items,
}

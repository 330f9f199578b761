"""BatchGetItem and BatchWriteItem: many items of many tables in one call, each item on
its own (no conditions, no transaction across the items' reads).

**Limits** (the API reference): BatchGetItem reads at most 100 keys over all its tables
("Too many items requested for the BatchGetItem call"; the model refuses more than
100 keys of one table and more than 100 tables itself) and answers at most 16 MB: the
keys of items past that go back in ``UnprocessedKeys``, with their table's projection
and consistency, for the caller to ask again. Altus stops before the item that would
take the items' sizes (``values.item_size``) past 16 MiB; DynamoDB counts its answer's
size its own way (the guide's example returns 52 items of 300 KB), so where exactly it
stops is not verified. BatchWriteItem takes at most 25 puts and deletes over all its
tables ("Too many items requested for the BatchWriteItem call"); 25 items of 400 KB
stay under its 16 MB request limit, so that limit never applies.

**Writes.** BatchWriteItem's puts and deletes are one store write: all of them are
kept or none (DynamoDB promises each write on its own, and all together is one of the
outcomes it allows), so ``UnprocessedItems`` is always ``{}``: Altus never throttles.

**Texts.** BatchWriteItem is checked by DynamoDB's older layer (see ``values``): an item
without the table's key, or with a key of the wrong type, is "The provided key element
does not match the schema", not PutItem's "Missing the key" (the nubo-db suite, four
regions). Two requests naming one item, in either operation, are "Provided list of item
keys contains duplicates".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from altus.api.spec import Call, Members, Operation
from altus.dynamodb import rows
from altus.dynamodb.component import DynamoDB
from altus.dynamodb.errors import ValidationException
from altus.dynamodb.expressions import project
from altus.dynamodb.expressions.ast import Projection
from altus.dynamodb.item_writes import collection_metrics, write_cost
from altus.dynamodb.model import Index, ItemWrite, Put, Remove, Table
from altus.dynamodb.requests import (
    Expressions,
    capacity,
    check_key,
    projection_of,
    read_units,
    table_of,
)
from altus.dynamodb.values import Item, ValueProblem, check_item, item_size
from altus.dynamodb.writing import check_stored

MAX_GET_KEYS = 100
MAX_WRITES = 25
#: What BatchGetItem answers at most, in the items' bytes.
MAX_RESPONSE = 16 * 1024 * 1024
DUPLICATES = "Provided list of item keys contains duplicates"
#: A WriteRequest with neither PutRequest nor DeleteRequest (dynalite's record of
#: DynamoDB's answer to an empty one; for one with both: not verified).
NOT_ONE_REQUEST = (
    "Supplied AttributeValue has more than one datatypes set, "
    "must contain exactly one of the supported datatypes"
)


@dataclass(frozen=True, slots=True)
class _TableRead:
    """One table's part of a BatchGetItem: its block as given, checked."""

    name: str
    block: Mapping[str, Any]
    table: Table
    keys: tuple[Item, ...]
    projection: Projection | None
    consistent: bool


def _reads(dynamodb: DynamoDB, requested: Mapping[str, Any]) -> list[_TableRead]:
    projections: dict[str, Projection | None] = {}
    for name, block in requested.items():
        expressions = Expressions.of(block)
        projections[name] = projection_of(block, expressions)
        expressions.finish()
    if sum(len(block["Keys"]) for block in requested.values()) > MAX_GET_KEYS:
        raise ValidationException("Too many items requested for the BatchGetItem call")
    reads = []
    for name, block in requested.items():
        table = table_of(dynamodb, name)
        keys = tuple(check_key(key, table.key) for key in block["Keys"])
        addresses = {rows.primary(table, key) for key in keys}
        if len(addresses) < len(keys):
            raise ValidationException(DUPLICATES)
        consistent = bool(block.get("ConsistentRead"))
        reads.append(_TableRead(name, block, table, keys, projections[name], consistent))
    return reads


def _unprocessed(read: _TableRead, keys: Sequence[Item]) -> dict[str, Any]:
    """The block that asks again for ``keys``, as the request's block asked."""
    block: dict[str, Any] = {"Keys": [dict(key) for key in keys]}
    for member in (
        "ProjectionExpression",
        "ExpressionAttributeNames",
        "AttributesToGet",
        "ConsistentRead",
    ):
        if read.block.get(member) is not None:
            block[member] = read.block[member]
    return block


async def batch_get_item(dynamodb: DynamoDB, call: Call, input: Members) -> Members:
    reads = _reads(dynamodb, input["RequestItems"])
    responses: dict[str, list[dict[str, Any]]] = {}
    unprocessed: dict[str, Any] = {}
    consumed: list[dict[str, Any]] = []
    answered = 0
    for read in reads:
        # One consistent read per table; the 16 MB limit is applied as items are added.
        items = await dynamodb.get(read.table, read.keys)
        found: list[dict[str, Any]] = []
        units = 0.0
        left: list[Item] = []
        for key, item in zip(read.keys, items, strict=True):
            size = item_size(item or {})
            if left or answered + size > MAX_RESPONSE:
                left.append(key)
                continue
            answered += size
            units += read_units(size, read.consistent)
            if item is not None:
                found.append(
                    project(item, read.projection) if read.projection is not None else dict(item)
                )
        responses[read.name] = found
        if left:
            unprocessed[read.name] = _unprocessed(read, left)
        if len(left) < len(read.keys):
            shown = capacity(input, read.table, units, read=True)
            if shown is not None:
                consumed.append(shown)
    output: Members = {"Responses": responses, "UnprocessedKeys": unprocessed}
    if input.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES"):
        output["ConsumedCapacity"] = consumed
    return output


# --- BatchWriteItem -----------------------------------------------------------------------


def _put_item(item: Any, table: Table) -> dict[str, Any]:
    """A PutRequest's item, checked as DynamoDB's older layer checks it: its values,
    then its key (present, typed, not empty: ``check_key``'s texts), then what any
    stored item must be (size, index keys)."""
    try:
        checked = check_item(item)
    except ValueProblem as problem:
        raise ValidationException(problem.message) from None
    check_key({name: checked[name] for name in table.key.names if name in checked}, table.key)
    check_stored(table, checked)
    return checked


def _writes(dynamodb: DynamoDB, requested: Mapping[str, Any]) -> list[tuple[str, ItemWrite]]:
    if sum(len(requests) for requests in requested.values()) > MAX_WRITES:
        raise ValidationException("Too many items requested for the BatchWriteItem call")
    writes: list[tuple[str, ItemWrite]] = []
    seen: set[tuple[str, rows.Address]] = set()
    for name, requests in requested.items():
        table = table_of(dynamodb, name)
        for request in requests:
            put, delete = request.get("PutRequest"), request.get("DeleteRequest")
            if (put is None) == (delete is None):
                raise ValidationException(NOT_ONE_REQUEST)
            if put is not None:
                item = _put_item(put["Item"], table)
                write = ItemWrite(table, rows.table_key(table, item), Put(item))
            else:
                write = ItemWrite(table, check_key(delete["Key"], table.key), Remove())
            address = (table.id, rows.primary(table, write.key))
            if address in seen:
                raise ValidationException(DUPLICATES)
            seen.add(address)
            writes.append((name, write))
    return writes


async def batch_write_item(dynamodb: DynamoDB, call: Call, input: Members) -> Members:
    named = _writes(dynamodb, input["RequestItems"])
    written = await dynamodb.write([write for _, write in named])
    tables: dict[str, Table] = {}
    units: dict[str, float] = {}
    index_units: dict[str, dict[Index, float]] = {}
    metrics: dict[str, list[dict[str, Any]]] = {}
    for (name, write), change in zip(named, written, strict=True):
        tables[name] = write.table
        table_units, charged = write_cost(write.table, change)
        units[name] = units.get(name, 0.0) + table_units
        by_index = index_units.setdefault(name, {})
        for index, value in charged.items():
            by_index[index] = by_index.get(index, 0.0) + value
        found = collection_metrics(write.table, write.key)
        if found is not None:
            metrics.setdefault(name, []).append(found)
    output: Members = {"UnprocessedItems": {}}
    if input.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES"):
        output["ConsumedCapacity"] = [
            capacity(input, table, units[name], read=False, indexes=index_units[name])
            for name, table in tables.items()
        ]
    if input.get("ReturnItemCollectionMetrics") == "SIZE" and metrics:
        output["ItemCollectionMetrics"] = metrics
    return output


OPERATIONS: dict[str, Operation] = {
    "BatchGetItem": batch_get_item,
    "BatchWriteItem": batch_write_item,
}

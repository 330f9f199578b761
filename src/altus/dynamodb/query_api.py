"""Query and Scan: a page of a table's or an index's items, read from the store in key
order (a Query one partition's range of sort keys, a Scan a segment of the hash space),
then filtered, projected and counted.

A page is what the store reads before the filter: at most ``Limit`` rows and at most
1 MB of their stored sizes (the row that reaches it included), as DynamoDB evaluates
"up to 1 MB of data" per call. ``Count`` is the rows that passed the filter,
``ScannedCount`` the rows read, and ``LastEvaluatedKey`` names the last row read
whenever the page stopped at either bound, even when nothing follows (DynamoDB does the
same: a client learns the end from a page without one). A Query reads only its range
(``store.KeyRange``): its cost grows with the rows it returns, never the table's size.

Each request is checked in DynamoDB's order as dynalite's tests record it: the
parameters alone (expression and legacy forms mixed, the legacy conditions, the start
key's values, Scan's segments, the expressions, ``Select``), then against the table (the
index, the start key, the key condition, what the filter and the projection may name).
The legacy parameters (``KeyConditions``, ``QueryFilter``, ``ScanFilter``,
``ConditionalOperator``, ``AttributesToGet``) become the same key plan, condition and
projection the expressions parse to (``legacy_reads``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from altus.api.spec import Call, Members, Operation
from altus.dynamodb import keys, legacy_reads, paging, requests, selection
from altus.dynamodb.component import DynamoDB
from altus.dynamodb.errors import ValidationException
from altus.dynamodb.expressions import (
    Condition,
    ExpressionProblem,
    KeyPlan,
    Path,
    Projection,
    evaluate,
    paths_of,
    plan_key_condition,
)
from altus.dynamodb.model import CREATING, GLOBAL, Index, KeySchema, Table
from altus.dynamodb.requests import Expressions, index_of, read_units, table_of
from altus.dynamodb.rows import Address, table_key
from altus.dynamodb.store import KeyRange, Row, ScanRange
from altus.dynamodb.values import item_size, type_of

#: The bytes (of stored sizes) a page reads at most: DynamoDB's 1 MB.
MAX_PAGE_BYTES = 1024 * 1024
#: The rows a page reads when no Limit is given (the 1 MB bound comes first).
_NO_LIMIT = 1 << 31

_QUERY_EXPRESSIONS = ("ProjectionExpression", "FilterExpression", "KeyConditionExpression")
_QUERY_LEGACY = ("AttributesToGet", "QueryFilter", "ConditionalOperator", "KeyConditions")
_SCAN_EXPRESSIONS = ("ProjectionExpression", "FilterExpression")
_SCAN_LEGACY = ("AttributesToGet", "ScanFilter", "ConditionalOperator")


@dataclass(frozen=True, slots=True)
class _Reading:
    """What a Query or Scan asks, checked before the table is read."""

    select: str
    projection: Projection | None
    filter: Condition | None
    #: What a Query's refusal of key attributes in its filter calls the filter.
    filter_name: str
    limit: int
    consistent: bool


def _reading(
    input: Members,
    expressions: Expressions,
    legacy_filter: dict[str, legacy_reads.Entry],
    to_get: Projection | None,
    *,
    query: bool,
) -> _Reading:
    """The filter and projection parsed (after the key condition, which the caller
    parses first), the placeholders all used, ``Select`` settled."""
    text = input.get("FilterExpression")
    condition = (
        expressions.condition(text, kind="FilterExpression")
        if text is not None
        else legacy_reads.filter_condition(legacy_filter, input.get("ConditionalOperator"))
    )
    projection_text = input.get("ProjectionExpression")
    projection = expressions.projection(projection_text) if projection_text is not None else to_get
    expressions.finish()
    projected_by = (
        "ProjectionExpression"
        if projection_text is not None
        else "AttributesToGet"
        if to_get is not None
        else None
    )
    select = selection.choose(
        input.get("Select"),
        projected_by,
        index_named=input.get("IndexName") is not None,
        query=query,
    )
    return _Reading(
        select=select,
        projection=projection,
        filter=condition,
        filter_name="Filter Expression" if text is not None else "QueryFilter",
        limit=int(input.get("Limit") or _NO_LIMIT),
        consistent=bool(input.get("ConsistentRead")),
    )


def _index(table: Table, name: str | None, consistent: bool) -> Index | None:
    """The index read (None: the table), refused if a consistent read of a global one
    is asked, or while a global one is being created (filled)."""
    if name is None:
        return None
    index = index_of(table, name)
    if index.kind == GLOBAL and consistent:
        raise ValidationException("Consistent reads are not supported on global secondary indexes")
    if index.status == CREATING or index.backfilling:
        raise ValidationException(f"Cannot read from backfilling global secondary index: {name}")
    return index


# --- Query ---------------------------------------------------------------------------------------


async def query(dynamodb: DynamoDB, call: Call, input: Members) -> Members:
    legacy_reads.mixed(input, _QUERY_EXPRESSIONS, _QUERY_LEGACY)
    legacy_filter = legacy_reads.check_conditions(input.get("QueryFilter"))
    to_get = legacy_reads.attributes_to_get(input.get("AttributesToGet"))
    start = paging.check_values(input.get("ExclusiveStartKey"))
    key_text = input.get("KeyConditionExpression")
    if key_text is None and input.get("KeyConditions") is None:
        raise ValidationException(
            "Either the KeyConditions or KeyConditionExpression parameter must be specified "
            "in the request."
        )
    expressions = Expressions.of(input)
    key_condition = expressions.key_condition(key_text) if key_text is not None else None
    reading = _reading(input, expressions, legacy_filter, to_get, query=True)
    key_conditions: dict[str, legacy_reads.Entry] = {}
    if key_condition is None:
        key_conditions = legacy_reads.check_conditions(input["KeyConditions"])
        legacy_reads.count_keys(key_conditions)

    table = table_of(dynamodb, input["TableName"])
    index = _index(table, input.get("IndexName"), reading.consistent)
    schema = index.key if index is not None else table.key
    if start is not None:
        start = paging.check_start(start, table, index, query=True)
    plan = (
        _expression_plan(key_condition, schema)
        if key_condition is not None
        else legacy_reads.key_plan(key_conditions, schema)
    )
    if start is not None:
        paging.check_query_bounds(start, schema, plan)
    keyed = _key_names(table, index)
    if reading.projection is not None:
        _scalar_keys(reading.projection.paths, keyed)
    if reading.filter is not None:
        _no_key_in_filter(reading.filter, schema, reading.filter_name)
    returned = selection.plan(reading.select, reading.projection, reading.filter, table, index)
    if reading.filter is not None:
        _scalar_keys(paths_of(reading.filter), keyed)

    read = key_range(table, index, plan, forward=input.get("ScanIndexForward") is not False)
    if start is not None:
        read = replace(read, after=paging.query_after(start, table, index))
    found = await dynamodb.query(read, reading.limit, MAX_PAGE_BYTES)
    return await _page(dynamodb, input, table, index, found, reading, returned)


def _expression_plan(condition: Condition, schema: KeySchema) -> KeyPlan:
    """A KeyConditionExpression's plan for ``schema``, its values of the key's types."""
    try:
        plan = plan_key_condition(condition, (schema.hash_name, schema.range_name))
    except ExpressionProblem as problem:
        raise ValidationException(problem.message) from None
    if type_of(plan.hash_value) != schema.hash_type or (
        plan.range is not None
        and any(type_of(value) != schema.range_type for value in plan.range.values)
    ):
        raise ValidationException(legacy_reads.TYPE_MISMATCH)
    return plan


def key_range(table: Table, index: Index | None, plan: KeyPlan, *, forward: bool) -> KeyRange:
    """The store's read of ``plan``: its partition, its sort keys' bounds."""
    value = plan.hash_value
    kind = type_of(value)
    if kind in ("S", "B") and len(value[kind]) == 0:
        # The text a Key's empty partition key gets (requests); for Query: not verified.
        what = "string" if kind == "S" else "binary"
        name = (index.key if index is not None else table.key).hash_name
        raise ValidationException(
            "One or more parameter values are not valid. The AttributeValue for a key "
            f"attribute cannot contain an empty {what} value. Key: {name}"
        )
    partition = Address(keys.partition_hash(value), keys.encode(value), b"")
    read = KeyRange(table, index, partition, forward=forward)
    condition = plan.range
    if condition is None:
        return read
    operator = condition.operator
    if operator == "begins_with":
        low, high = keys.begins_with_range(condition.values[0])
        return replace(read, low=low, high=high, high_inclusive=False)
    bound = keys.encode(condition.values[0])
    if operator == "=":
        return replace(read, low=bound, high=bound)
    if operator in ("<", "<="):
        return replace(read, high=bound, high_inclusive=operator == "<=")
    if operator in (">", ">="):
        return replace(read, low=bound, low_inclusive=operator == ">=")
    # BETWEEN: its bounds in order (the parser and the legacy checks refuse others).
    return replace(read, low=bound, high=keys.encode(condition.values[1]))


def _no_key_in_filter(condition: Condition, schema: KeySchema, filter_name: str) -> None:
    """A Query's filter may not name the keys it reads by (DynamoDB's text; the key
    schema's order decides which is named)."""
    named = {path.attribute for path in paths_of(condition)}
    for key in schema.names:
        if key in named:
            raise ValidationException(
                f"{filter_name} can only contain non-primary key attributes: "
                f"Primary key attribute: {key}"
            )


# --- Scan ----------------------------------------------------------------------------------------


async def scan(dynamodb: DynamoDB, call: Call, input: Members) -> Members:
    legacy_reads.mixed(input, _SCAN_EXPRESSIONS, _SCAN_LEGACY)
    legacy_filter = legacy_reads.check_conditions(input.get("ScanFilter"))
    to_get = legacy_reads.attributes_to_get(input.get("AttributesToGet"))
    start = paging.check_values(input.get("ExclusiveStartKey"))
    segment, segments = _segments(input)
    expressions = Expressions.of(input)
    reading = _reading(input, expressions, legacy_filter, to_get, query=False)

    table = table_of(dynamodb, input["TableName"])
    index = _index(table, input.get("IndexName"), reading.consistent)
    if start is not None:
        start = paging.check_start(start, table, index, query=False)
    returned = selection.plan(reading.select, reading.projection, reading.filter, table, index)
    if start is not None and segments > 1:
        paging.check_segment(start, table, index, segment, segments)
    keyed = _key_names(table, index)
    if reading.projection is not None:
        _scalar_keys(reading.projection.paths, keyed)
    if reading.filter is not None:
        _scalar_keys(paths_of(reading.filter), keyed)

    after = paging.scan_after(start, table, index) if start is not None else None
    read = ScanRange(table, index, segment, segments, after)
    found = await dynamodb.scan(read, reading.limit, MAX_PAGE_BYTES)
    return await _page(dynamodb, input, table, index, found, reading, returned)


def _segments(input: Members) -> tuple[int, int]:
    """Segment and TotalSegments: both or neither, the segment below the total (the
    model bounds each: TotalSegments 1..1,000,000). DynamoDB's texts."""
    segment, total = input.get("Segment"), input.get("TotalSegments")
    if segment is not None and total is None:
        raise ValidationException(
            "The TotalSegments parameter is required but was not present in the request when "
            "Segment parameter is present"
        )
    if total is not None and segment is None:
        raise ValidationException(
            "The Segment parameter is required but was not present in the request when "
            "parameter TotalSegments is present"
        )
    if segment is None or total is None:
        return 0, 1
    if segment >= total:
        raise ValidationException(
            "The Segment parameter is zero-based and must be less than parameter "
            f"TotalSegments: Segment: {segment} is not less than TotalSegments: {total}"
        )
    return int(segment), int(total)


# --- both ----------------------------------------------------------------------------------------


def _key_names(table: Table, index: Index | None) -> frozenset[str]:
    return frozenset(table.key.names) | (
        frozenset(index.key.names) if index is not None else frozenset()
    )


def _scalar_keys(paths: Iterable[Path], keyed: frozenset[str]) -> None:
    """No path may reach into a key attribute (DynamoDB's text, from dynalite's tests;
    which keys count on an index read, the table's and the index's, is not verified)."""
    for path in paths:
        if len(path.elements) > 1 and path.attribute in keyed:
            raise ValidationException(
                "Key attributes must be scalars; list random access '[]' and map lookup '.' "
                f"are not allowed: Key: {path.attribute}"
            )


async def _page(
    dynamodb: DynamoDB,
    input: Members,
    table: Table,
    index: Index | None,
    found: list[Row],
    reading: _Reading,
    returned: selection.Returned,
) -> Members:
    """The answer of a page of rows read: filtered, projected, counted, priced."""
    size = sum(row.size for row in found)
    stopped = bool(found) and (len(found) >= reading.limit or size >= MAX_PAGE_BYTES)
    pairs: list[tuple[Mapping[str, Any], Mapping[str, Any]]] = [
        (row.item, row.item) for row in found
    ]
    if returned.fetch and found:
        # A local index's rows, completed from the table (one read for the page). An
        # item gone since the index was read is passed over.
        wholes = await dynamodb.get(table, [table_key(table, row.item) for row in found])
        size += sum(item_size(whole) for whole in wholes if whole is not None)
        pairs = [
            (row.item, whole) for row, whole in zip(found, wholes, strict=True) if whole is not None
        ]
    matched = [
        pair for pair in pairs if reading.filter is None or evaluate(reading.filter, pair[1])
    ]
    output: Members = {"Count": len(matched), "ScannedCount": len(found)}
    if returned.select != selection.COUNT:
        output["Items"] = [
            selection.shown(row, whole, returned, table, index) for row, whole in matched
        ]
    if stopped:
        output["LastEvaluatedKey"] = paging.last_key(found[-1].item, table, index)
    units = read_units(size, reading.consistent)
    if index is None:
        capacity = requests.capacity(input, table, units, read=True)
    else:
        capacity = requests.capacity(input, table, 0.0, read=True, indexes={index: units})
    if capacity is not None:
        output["ConsumedCapacity"] = capacity
    return output


OPERATIONS: dict[str, Operation] = {"Query": query, "Scan": scan}

"""What a Query or Scan returns of each item: ``Select`` and the projection
(ProjectionExpression or AttributesToGet) checked together, and, on a secondary index,
whether the index holds what was asked. Pure: no I/O.

``Select`` defaults to ALL_ATTRIBUTES on a table, ALL_PROJECTED_ATTRIBUTES on an index,
and SPECIFIC_ATTRIBUTES when a projection is given (the API reference). An index that
does not project every attribute:

- a **global** one refuses ALL_ATTRIBUTES, and a projection naming an attribute it does
  not hold ("Global secondary index <name> does not project [a, b]": the wording other
  DynamoDB emulators record from DynamoDB Local and DynamoDB; not verified here);
- a **local** one reads the table's item for each row when asked for ALL_ATTRIBUTES, or
  for an attribute it does not hold, by the projection or by the filter (the Developer
  Guide: "DynamoDB automatically fetches those attributes from the base table").

**Texts** (DynamoDB's, as recorded by several projects' tests against it; which of them a
Query words inside ``1 validation error detected: `` is verified for COUNT with a
ProjectionExpression only, and given to every "Cannot specify" text of a Query).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from altus.dynamodb.errors import ValidationException
from altus.dynamodb.expressions import Condition, Projection, paths_of, project
from altus.dynamodb.model import ALL, GLOBAL, INCLUDE, Index, Table
from altus.dynamodb.rows import projected

ALL_ATTRIBUTES = "ALL_ATTRIBUTES"
ALL_PROJECTED_ATTRIBUTES = "ALL_PROJECTED_ATTRIBUTES"
SPECIFIC_ATTRIBUTES = "SPECIFIC_ATTRIBUTES"
COUNT = "COUNT"

#: The prefix a Query's "Cannot specify" texts carry (a Scan's do not).
_QUERY_PREFIX = "1 validation error detected: "


@dataclass(frozen=True, slots=True)
class Returned:
    """What a read returns: ``select`` as settled, the projection (None: whole items or
    rows), and whether each index row needs the table's item (a local index that does
    not hold what the read needs)."""

    select: str
    projection: Projection | None
    fetch: bool = False


def choose(select: str | None, projected_by: str | None, *, index_named: bool, query: bool) -> str:
    """``Select`` checked against the projection the request gives (``projected_by``:
    ``ProjectionExpression``, ``AttributesToGet`` or None), and its default. Checked
    before the table is read: the first broken rule in this order is reported (the
    projection's conflict before ALL_PROJECTED_ATTRIBUTES without an index)."""
    if projected_by is not None and select is not None and select != SPECIFIC_ATTRIBUTES:
        what = "only the Count" if select == COUNT else select
        prefix = _QUERY_PREFIX if query else ""
        raise ValidationException(
            f"{prefix}Cannot specify the {projected_by} when choosing to get {what}"
        )
    if select == ALL_PROJECTED_ATTRIBUTES and not index_named:
        raise ValidationException(
            "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName"
        )
    if select == SPECIFIC_ATTRIBUTES and projected_by is None:
        raise ValidationException(
            "Must specify the AttributesToGet or ProjectionExpression when choosing to get "
            "SPECIFIC_ATTRIBUTES"
        )
    if select is not None:
        return select
    if projected_by is not None:
        return SPECIFIC_ATTRIBUTES
    return ALL_PROJECTED_ATTRIBUTES if index_named else ALL_ATTRIBUTES


def held(table: Table, index: Index) -> frozenset[str] | None:
    """The attributes ``index`` holds of an item (None: all of them)."""
    if index.projection.type == ALL:
        return None
    names = set(table.key.names) | set(index.key.names)
    if index.projection.type == INCLUDE:
        names |= set(index.projection.non_key)
    return frozenset(names)


def plan(
    select: str,
    projection: Projection | None,
    condition: Condition | None,
    table: Table,
    index: Index | None,
) -> Returned:
    """What the read returns, refusing what a global index cannot give."""
    kept = held(table, index) if index is not None else None
    if index is None or kept is None:
        return Returned(select, projection)
    if select == ALL_ATTRIBUTES:
        if index.kind == GLOBAL:
            raise ValidationException(
                "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not "
                f"supported for global secondary index {index.name} because its projection "
                "type is not ALL"
            )
        return Returned(select, projection, fetch=True)
    wanted = [path.attribute for path in projection.paths] if projection is not None else []
    missing = [name for name in dict.fromkeys(wanted) if name not in kept]
    if index.kind == GLOBAL:
        if missing:
            raise ValidationException(
                "One or more parameter values were invalid: Global secondary index "
                f"{index.name} does not project [{', '.join(missing)}]"
            )
        return Returned(select, projection)
    filtered = condition is not None and any(
        path.attribute not in kept for path in paths_of(condition)
    )
    return Returned(select, projection, fetch=bool(missing) or filtered)


def shown(
    row: Mapping[str, Any],
    whole: Mapping[str, Any],
    returned: Returned,
    table: Table,
    index: Index | None,
) -> dict[str, Any]:
    """What the read returns of one item: ``row`` as the table or index holds it,
    ``whole`` the item (the table's, when fetched for a local index; else ``row``)."""
    if returned.projection is not None:
        return project(whole, returned.projection)
    if returned.select == ALL_PROJECTED_ATTRIBUTES and index is not None:
        return projected(table, index, whole) if whole is not row else dict(row)
    return dict(whole)

"""What the item operations and the reads share: the table a request names, its keys
and items checked against the table's key schema, its expressions parsed with their
placeholders (and the placeholders no expression used refused), and the capacity a call
reports it consumed. DynamoDB's texts throughout (``ValidationException``).

A request's expressions are checked in DynamoDB's order: the placeholder maps, then each
value in ExpressionAttributeValues, then the expressions one by one (the caller's order:
Update, Condition, KeyCondition, Filter, Projection), then the unused placeholders
(``Expressions.finish``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from altus.dynamodb import legacy
from altus.dynamodb.component import DynamoDB
from altus.dynamodb.errors import ValidationException
from altus.dynamodb.expressions import parse
from altus.dynamodb.expressions.ast import Condition, Projection, Update
from altus.dynamodb.expressions.errors import ExpressionProblem
from altus.dynamodb.model import GLOBAL, Index, KeySchema, Table
from altus.dynamodb.table_options import table_name
from altus.dynamodb.values import ValueProblem, check_item, check_value, type_of

KEY_MISMATCH = "The provided key element does not match the schema"
#: Bytes a read unit and a write unit cover.
READ_UNIT = 4096
WRITE_UNIT = 1024


def table_of(dynamodb: DynamoDB, name: Any) -> Table:
    """The table ``TableName`` names: its name, or its ARN in this account and region
    (``table_options.table_name``: any other ARN, another account's or region's, an
    index's, is ValidationException, as the table operations refuse it, never the table
    of that name here); ResourceNotFoundException if there is none."""
    text = str(name)
    if text.startswith("arn:"):
        text = table_name(text, dynamodb.account)
    return dynamodb.table(text)


def index_of(table: Table, name: str) -> Index:
    """The index ``IndexName`` names, as DynamoDB refuses one the table lacks."""
    index = table.index(name)
    if index is None:
        raise ValidationException(
            f"The table does not have the specified index: {name}"
        )  # text as DynamoDB gives it for Query and Scan
    return index


def _problem(error: ValueProblem) -> ValidationException:
    return ValidationException(error.message)


def check_key(key: Any, schema: KeySchema) -> dict[str, Any]:
    """A ``Key`` member: exactly the schema's attributes, of its types, not empty."""
    if not isinstance(key, Mapping) or set(key) != set(schema.names):
        raise ValidationException(KEY_MISMATCH)
    checked: dict[str, Any] = {}
    for name, kind in (
        (schema.hash_name, schema.hash_type),
        (schema.range_name, schema.range_type),
    ):
        if name is None:
            continue
        try:
            value = check_value(key[name], name)
        except ValueProblem as error:
            raise _problem(error) from None
        if type_of(value) != kind:
            raise ValidationException(KEY_MISMATCH)
        _not_empty(value, kind, name)
        checked[name] = value
    return checked


def _not_empty(value: Mapping[str, Any], kind: str | None, name: str) -> None:
    if kind in ("S", "B") and len(value[kind]) == 0:
        what = "string" if kind == "S" else "binary"
        raise ValidationException(
            "One or more parameter values are not valid. The AttributeValue for a key "
            f"attribute cannot contain an empty {what} value. Key: {name}"
        )


def check_new_item(item: Any, table: Table) -> dict[str, Any]:
    """PutItem's ``Item``: every value checked, the table's key present and typed."""
    try:
        checked = check_item(item)
    except ValueProblem as error:
        raise _problem(error) from None
    for name, kind in (
        (table.key.hash_name, table.key.hash_type),
        (table.key.range_name, table.key.range_type),
    ):
        if name is None:
            continue
        if name not in checked:
            raise ValidationException(
                f"One or more parameter values were invalid: Missing the key {name} in the item"
            )
        actual = type_of(checked[name])
        if actual != kind:
            raise ValidationException(
                "One or more parameter values were invalid: Type mismatch for key "
                f"{name} expected: {kind} actual: {actual}"
            )
        _not_empty(checked[name], kind, name)
    return checked


@dataclass
class Expressions:
    """A request's ExpressionAttributeNames and ExpressionAttributeValues, and the
    expressions parsed against them (``finish`` refuses the placeholders none used)."""

    names: Mapping[str, str] | None
    values: Mapping[str, Any] | None
    used: parse.Usage = field(default_factory=parse.Usage)
    parsed: int = 0

    @classmethod
    def of(cls, input: Mapping[str, Any]) -> Expressions:
        names = input.get("ExpressionAttributeNames")
        values = input.get("ExpressionAttributeValues")
        try:
            parse.check_placeholders(names, values)
        except ExpressionProblem as problem:
            raise ValidationException(problem.message) from None
        checked: dict[str, Any] | None = None
        if values is not None:
            checked = {}
            for key, value in values.items():
                try:
                    checked[key] = check_value(value, key)
                except ValueProblem as error:
                    raise ValidationException(
                        f"ExpressionAttributeValues contains invalid value: {error.message} "
                        f"for key {key}"
                    ) from None
        return cls(names, checked)

    def _record(self, usage: parse.Usage) -> None:
        self.used = self.used | usage
        self.parsed += 1

    def condition(self, text: str, kind: str = "ConditionExpression") -> Condition:
        try:
            found, usage = parse.parse_condition(text, self.names, self.values, kind=kind)
        except ExpressionProblem as problem:
            raise ValidationException(problem.message) from None
        self._record(usage)
        return found

    def key_condition(self, text: str) -> Condition:
        try:
            found, usage = parse.parse_key_condition(text, self.names, self.values)
        except ExpressionProblem as problem:
            raise ValidationException(problem.message) from None
        self._record(usage)
        return found

    def update(self, text: str) -> Update:
        try:
            found, usage = parse.parse_update(text, self.names, self.values)
        except ExpressionProblem as problem:
            raise ValidationException(problem.message) from None
        self._record(usage)
        return found

    def projection(self, text: str) -> Projection:
        try:
            found, usage = parse.parse_projection(text, self.names)
        except ExpressionProblem as problem:
            raise ValidationException(problem.message) from None
        self._record(usage)
        return found

    def finish(self) -> None:
        """Refuse placeholders given with no expression, or that no expression used."""
        if self.parsed == 0:
            if self.names is not None:
                raise ValidationException(
                    "ExpressionAttributeNames can only be specified when using expressions"
                )
            if self.values is not None:
                raise ValidationException(
                    "ExpressionAttributeValues can only be specified when using expressions"
                )
            return
        try:
            parse.check_unused(self.used, self.names, self.values)
        except ExpressionProblem as problem:
            raise ValidationException(problem.message) from None


# --- consumed capacity --------------------------------------------------------------------------


def read_units(size: int, consistent: bool) -> float:
    """Read capacity of reading ``size`` bytes: a unit per 4 KB (at least one), half of
    it eventually consistent."""
    units = max(1, math.ceil(size / READ_UNIT))
    return float(units) if consistent else units / 2


def write_units(size: int) -> float:
    """Write capacity of writing an item of ``size`` bytes: a unit per 1 KB, one at least."""
    return float(max(1, math.ceil(size / WRITE_UNIT)))


def item_collection_key(table: Table, item: Mapping[str, Any]) -> dict[str, Any]:
    """The partition key of ``item`` (ItemCollectionMetrics' key)."""
    return {table.key.hash_name: item[table.key.hash_name]}


def refused_legacy(input: Mapping[str, Any], *members: str) -> None:
    """Refuse a legacy conditional parameter given with its expression counterpart,
    as DynamoDB does (``Can not use both expression and non-expression parameters``)."""
    given = [m for m in members if input.get(m) is not None]
    if given:
        raise ValidationException(
            "Can not use both expression and non-expression parameters in the same "
            f"request: Non-expression parameters: {{{', '.join(given)}}}"
        )


def refuse_mixed(
    input: Mapping[str, Any], legacy: tuple[str, ...], expression: tuple[str, ...]
) -> None:
    """Refuse legacy parameters given with expression parameters, naming both as DynamoDB
    does: ``Can not use both expression and non-expression parameters in the same
    request: Non-expression parameters: {Expected} Expression parameters:
    {ConditionExpression}`` (the members given, each list in the order passed)."""
    old = [member for member in legacy if input.get(member) is not None]
    new = [member for member in expression if input.get(member) is not None]
    if old and new:
        raise ValidationException(
            "Can not use both expression and non-expression parameters in the same request: "
            f"Non-expression parameters: {{{', '.join(old)}}} "
            f"Expression parameters: {{{', '.join(new)}}}"
        )


def capacity(
    input: Mapping[str, Any],
    table: Table,
    units: float,
    *,
    read: bool,
    indexes: Mapping[Index, float] | None = None,
    split: bool = False,
) -> dict[str, Any] | None:
    """``ConsumedCapacity`` of one table as ``ReturnConsumedCapacity`` asks (None for NONE
    or absent): ``units`` on the table itself, ``indexes`` the units each index was
    charged (a write to a table charges the indexes whose entries it changed).

    ``CapacityUnits`` is the sum; TOTAL gives it alone, INDEXES adds ``Table`` and a
    ``GlobalSecondaryIndexes`` / ``LocalSecondaryIndexes`` arm for each index charged
    (none for an index charged nothing). The read/write split (``ReadCapacityUnits`` or
    ``WriteCapacityUnits`` beside each ``CapacityUnits``) is reported only by the
    transactions (``split``): plain reads and writes report the aggregate alone
    (measured against DynamoDB by the nubo-db conformance suite, its issue 69)."""
    mode = input.get("ReturnConsumedCapacity")
    if mode not in ("TOTAL", "INDEXES"):
        return None
    kind = "ReadCapacityUnits" if read else "WriteCapacityUnits"

    def amount(value: float) -> dict[str, Any]:
        return {"CapacityUnits": value, kind: value} if split else {"CapacityUnits": value}

    charged = {index: value for index, value in (indexes or {}).items() if value > 0}
    total = units + sum(charged.values())
    shown: dict[str, Any] = {"TableName": table.name, **amount(total)}
    if mode == "INDEXES":
        shown["Table"] = amount(units)
        for index, value in charged.items():
            member = "GlobalSecondaryIndexes" if index.kind == GLOBAL else "LocalSecondaryIndexes"
            shown.setdefault(member, {})[index.name] = amount(value)
    return shown


def projection_of(input: Mapping[str, Any], expressions: Expressions) -> Projection | None:
    """The projection a read asks for: its ProjectionExpression (parsed with the
    request's names) or its legacy AttributesToGet, not both; None for the whole item."""
    refuse_mixed(input, ("AttributesToGet",), ("ProjectionExpression",))
    text = input.get("ProjectionExpression")
    if text is not None:
        return expressions.projection(text)
    return legacy.attributes_to_get(input.get("AttributesToGet"))

"""Query's and Scan's legacy parameters, translated to what their expressions parse to:
``KeyConditions`` to a key plan, ``QueryFilter`` / ``ScanFilter`` with
``ConditionalOperator`` to a condition, ``AttributesToGet`` to a projection, so one
evaluator serves both forms. Each condition's entry is the one ``Expected`` takes, and
is checked and translated by ``legacy.comparison`` (its texts and meanings are there,
but for two meanings :func:`_meaning` settles); what is Query's and Scan's own is here:
the refusal of expression and legacy parameters together, and a key condition's checks
against the key schema. Pure: no I/O.

The texts are those dynalite's tests record against DynamoDB.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from altus.dynamodb import legacy
from altus.dynamodb.errors import ValidationException
from altus.dynamodb.expressions import KeyPlan, Projection, RangeCondition
from altus.dynamodb.expressions.ast import And, Condition, Or, Path, Value
from altus.dynamodb.model import KeySchema
from altus.dynamodb.values import ValueProblem, check_value, type_of

#: Key condition operators, as ``RangeCondition`` names them.
_RANGE_OPERATORS = {
    "EQ": "=",
    "LE": "<=",
    "LT": "<",
    "GE": ">=",
    "GT": ">",
    "BETWEEN": "BETWEEN",
    "BEGINS_WITH": "begins_with",
}
_NOT_INDEXABLE = ("NULL", "NOT_NULL", "NE", "CONTAINS", "NOT_CONTAINS", "IN")

NOT_INDEXABLE = "Attempted conditional constraint is not an indexable operation"
KEY_NOT_SUPPORTED = "Query key condition not supported"
TYPE_MISMATCH = (
    "One or more parameter values were invalid: Condition parameter type does not match schema type"
)
KEY_COUNT = "Conditions can be of length 1 or 2 only"

#: A checked condition entry: its operator, its values, what it means.
Entry = tuple[str, list[Value], Condition]


def mixed(input: Mapping[str, Any], expressions: Sequence[str], older: Sequence[str]) -> None:
    """Refuse expression and legacy parameters given together (KeyConditions may go with
    FilterExpression and ProjectionExpression when no KeyConditionExpression is given),
    then placeholder maps given with no expression that uses them. DynamoDB's texts."""
    given = [name for name in expressions if input.get(name) is not None]
    old = [
        name
        for name in older
        if input.get(name) is not None
        and not (name == "KeyConditions" and input.get("KeyConditionExpression") is None)
    ]
    if given and old:
        raise ValidationException(
            "Can not use both expression and non-expression parameters in the same request: "
            f"Non-expression parameters: {{{', '.join(old)}}} "
            f"Expression parameters: {{{', '.join(given)}}}"
        )
    if input.get("ExpressionAttributeNames") is not None and not given:
        raise ValidationException(
            "ExpressionAttributeNames can only be specified when using expressions"
        )
    valued = [name for name in expressions if name != "ProjectionExpression"]
    if input.get("ExpressionAttributeValues") is not None and all(
        input.get(name) is None for name in valued
    ):
        verb = "are" if len(valued) > 1 else "is"
        raise ValidationException(
            "ExpressionAttributeValues can only be specified when using expressions: "
            f"{' and '.join(valued)} {verb} null"
        )


def check_conditions(conditions: Mapping[str, Any] | None) -> dict[str, Entry]:
    """Each entry of a KeyConditions, QueryFilter or ScanFilter checked and translated,
    by attribute: its values first (each an attribute value), then ``legacy.comparison``'s
    checks."""
    checked: dict[str, Entry] = {}
    for name, entry in (conditions or {}).items():
        operator = str(entry["ComparisonOperator"])
        values = []
        for value in entry.get("AttributeValueList") or []:
            try:
                values.append(Value(f"<{name}>", check_value(value, str(name))))
            except ValueProblem as problem:
                raise ValidationException(problem.message) from None
        checked[str(name)] = (operator, values, _meaning(str(name), operator, values))
    return checked


def _meaning(name: str, operator: str, values: list[Value]) -> Condition:
    return legacy.comparison(Path((name,)), operator, values)


def filter_condition(conditions: Mapping[str, Entry], operator: str | None) -> Condition | None:
    """A checked QueryFilter or ScanFilter as one condition (its entries ANDed, or ORed
    when ``ConditionalOperator`` is OR); None for none."""
    if operator is not None and conditions and len(conditions) < 2:
        # As ``legacy.expected_condition`` refuses it for Expected (DynamoDB Local's
        # wording names the filters too); for a filter: not verified.
        raise ValidationException(
            "ConditionalOperator can only be used when Filter or Expected has two or more elements"
        )
    terms = [meaning for _, _, meaning in conditions.values()]
    if not terms:
        return None
    if len(terms) == 1:
        return terms[0]
    return Or(tuple(terms)) if operator == "OR" else And(tuple(terms))


def count_keys(conditions: Mapping[str, Any]) -> None:
    """KeyConditions names one or two attributes (checked before the table is read)."""
    if len(conditions) not in (1, 2):
        raise ValidationException(KEY_COUNT)


def key_plan(conditions: Mapping[str, Entry], schema: KeySchema) -> KeyPlan:
    """A checked KeyConditions as a key plan for ``schema`` (the table's or the index's),
    refused in DynamoDB's order (dynalite's tests): key by key, hash first."""
    several = len(conditions) > 1
    for name, kind, is_hash in (
        (schema.hash_name, schema.hash_type, True),
        (schema.range_name, schema.range_type, False),
    ):
        if name is None or kind is None:
            continue
        if is_hash and schema.range_name is None and several:
            raise ValidationException(KEY_NOT_SUPPORTED)
        if name not in conditions:
            if is_hash or several:
                raise ValidationException(f"Query condition missed key schema element: {name}")
            continue
        operator, values, _ = conditions[name]
        if operator in _NOT_INDEXABLE:
            raise ValidationException(NOT_INDEXABLE)
        if any(type_of(value.value) != kind for value in values):
            raise ValidationException(TYPE_MISMATCH)
        if is_hash and operator != "EQ":
            raise ValidationException(KEY_NOT_SUPPORTED)
    _, hash_values, _ = conditions[schema.hash_name]  # EQ, checked above
    ranged = conditions.get(schema.range_name) if schema.range_name is not None else None
    if ranged is None:
        return KeyPlan(hash_values[0].value, None)
    operator, values, _ = ranged
    return KeyPlan(
        hash_values[0].value,
        RangeCondition(_RANGE_OPERATORS[operator], tuple(value.value for value in values)),
    )


def attributes_to_get(names: Sequence[str] | None) -> Projection | None:
    """``AttributesToGet`` as a projection (``legacy.attributes_to_get``)."""
    return legacy.attributes_to_get(names)

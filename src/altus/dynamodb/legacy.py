"""DynamoDB's legacy parameters, translated into the expression language's parsed forms
so that one evaluator serves both: ``Expected`` with ``ConditionalOperator`` becomes a
condition, ``AttributeUpdates`` an update, ``AttributesToGet`` a projection. Pure: no
I/O.

A legacy name is a literal attribute name: never parsed, never a reserved word, never
a path (``a.b`` is the attribute named ``a.b``). The translations follow the Developer
Guide's "Legacy conditional parameters" pages, which give each one's expression
counterpart:

- ``Value`` alone (``Exists`` true or absent) is ``a = :v``; ``Exists`` false is
  ``attribute_not_exists(a)``.
- ``ComparisonOperator`` EQ NE LE LT GE GT are ``= <> <= < >= >``; NULL and NOT_NULL
  are ``attribute_not_exists`` and ``attribute_exists``; CONTAINS and BEGINS_WITH the
  functions; NOT_CONTAINS is ``attribute_exists(a) AND NOT contains(a, :v)`` (false of a
  missing attribute, as ScyllaDB Alternator's tests record DynamoDB); IN and BETWEEN the
  operators. Values of another type than the attribute's never match, as in
  expressions.
- ``AttributeUpdates``: PUT is ``SET a = :v``, DELETE without a value ``REMOVE a``,
  DELETE of a set ``DELETE a :v``, ADD of a number or set ``ADD a :v``, and ADD of a list
  (which the expression's ADD does not take) ``SET a = list_append(if_not_exists(a,
  :empty), :v)``, appending as the legacy ADD does.

The texts of what is refused are those dynalite's tests record against DynamoDB;
``# text not verified`` marks Altus's own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from altus.dynamodb.errors import ValidationException
from altus.dynamodb.expressions.ast import (
    Action,
    AddAction,
    And,
    Between,
    Call,
    Comparison,
    Condition,
    DeleteAction,
    Function,
    In,
    Not,
    Or,
    Path,
    Projection,
    RemoveAction,
    SetAction,
    Update,
    Value,
)
from altus.dynamodb.values import ValueProblem, check_value, compare, type_of

_INVALID = "One or more parameter values were invalid: "
_COMPARISONS = {"EQ": "=", "NE": "<>", "LE": "<=", "LT": "<", "GE": ">=", "GT": ">"}
#: How many values each operator takes (IN: one or more).
_ARITY = {
    **dict.fromkeys(("EQ", "NE", "LE", "LT", "GE", "GT"), 1),
    **dict.fromkeys(("CONTAINS", "NOT_CONTAINS", "BEGINS_WITH"), 1),
    "NULL": 0,
    "NOT_NULL": 0,
    "BETWEEN": 2,
}
_SCALARS = ("S", "N", "B")
#: The value types each operator takes (the Developer Guide's Expected page).
_TYPES = {
    # Any type: ScyllaDB Alternator's tests, which pass against DynamoDB, match an EQ
    # on a list, a map and a boolean (the Developer Guide lists the scalars and sets).
    **dict.fromkeys(("EQ", "NE"), ("S", "N", "B", "SS", "NS", "BS", "L", "M", "BOOL", "NULL")),
    **dict.fromkeys(("LE", "LT", "GE", "GT", "CONTAINS", "NOT_CONTAINS"), _SCALARS),
    **dict.fromkeys(("IN", "BETWEEN"), _SCALARS),
    "BEGINS_WITH": ("S", "B"),
}
_SETS = ("SS", "NS", "BS")


def _value(value: Any, name: str) -> Value:
    try:
        checked = check_value(value, name)
    except ValueProblem as problem:
        raise ValidationException(problem.message) from None
    return Value(f"<{name}>", checked)


# --- Expected ---------------------------------------------------------------------------


def expected_condition(
    expected: Mapping[str, Any] | None, operator: str | None
) -> Condition | None:
    """The condition ``Expected`` (combined by ``ConditionalOperator``, AND unless it
    says OR) stands for; None when there is none. ValidationException with DynamoDB's
    text for a malformed entry."""
    if operator is not None and len(expected or {}) < 2:
        # DynamoDB Local's wording, which the nubo-db suite accepts for DynamoDB; for an
        # absent Expected: not verified.
        raise ValidationException(
            "ConditionalOperator can only be used when Filter or Expected has two or more elements"
        )
    if not expected:
        return None
    parts = [_expected_one(name, entry) for name, entry in expected.items()]
    if len(parts) == 1:
        return parts[0]
    return Or(tuple(parts)) if operator == "OR" else And(tuple(parts))


def _expected_one(name: str, entry: Mapping[str, Any]) -> Condition:
    path = Path((name,))
    given = entry.get("Value")
    listed = entry.get("AttributeValueList")
    operator = entry.get("ComparisonOperator")
    exists = entry.get("Exists")
    if given is not None and listed is not None:
        raise ValidationException(
            f"{_INVALID}Value and AttributeValueList cannot be used together for Attribute: {name}"
        )
    if operator is None:
        if listed is not None:
            raise ValidationException(
                f"{_INVALID}AttributeValueList can only be used with a ComparisonOperator "
                f"for Attribute: {name}"
            )
        if exists is False:
            if given is not None:
                raise ValidationException(
                    f"{_INVALID}Value cannot be used when Exists is false for Attribute: {name}"
                )
            return Function("attribute_not_exists", (path,))
        if given is None:
            shown = "null" if exists is None else "true"
            raise ValidationException(
                f"{_INVALID}Value must be provided when Exists is {shown} for Attribute: {name}"
            )
        return Comparison("=", path, _value(given, name))
    if exists is not None:
        raise ValidationException(
            f"{_INVALID}Exists and ComparisonOperator cannot be used together for Attribute: {name}"
        )
    raw: Sequence[Any] = listed if listed is not None else ([given] if given is not None else [])
    if operator not in ("NULL", "NOT_NULL") and not raw:
        raise ValidationException(
            f"{_INVALID}Value or AttributeValueList must be used with ComparisonOperator: "
            f"{operator} for Attribute: {name}"
        )
    return comparison(path, operator, [_value(value, name) for value in raw])


def comparison(path: Path, operator: str, values: Sequence[Value]) -> Condition:
    """One legacy ``ComparisonOperator`` on ``path`` with its values, checked (count,
    one type, the operator's types, BETWEEN's order) and translated. Shared with the
    legacy QueryFilter and ScanFilter, whose entries are the same."""
    wanted = _ARITY.get(operator)
    if (wanted is None and not values) or (wanted is not None and len(values) != wanted):
        raise ValidationException(
            f"{_INVALID}Invalid number of argument(s) for the {operator} ComparisonOperator"
        )
    kinds = [type_of(value.value) for value in values]
    if len(set(kinds)) > 1:
        raise ValidationException(
            f"{_INVALID}AttributeValues inside AttributeValueList must be of same type"
        )
    for kind in kinds:
        if kind not in _TYPES.get(operator, ()):
            # dynalite records this text for QueryFilter and ScanFilter; that Expected
            # words it the same is not verified.
            raise ValidationException(
                f"{_INVALID}ComparisonOperator {operator} is not valid for {kind} "
                "AttributeValue type"
            )
    if operator in _COMPARISONS:
        return Comparison(_COMPARISONS[operator], path, values[0])
    if operator == "NULL":
        return Function("attribute_not_exists", (path,))
    if operator == "NOT_NULL":
        return Function("attribute_exists", (path,))
    if operator == "CONTAINS":
        return Function("contains", (path, values[0]))
    if operator == "NOT_CONTAINS":
        # False of a missing attribute (Alternator's tests against DynamoDB: "if an
        # attribute does not exist at all, NOT_CONTAINS fails").
        return And(
            (Function("attribute_exists", (path,)), Not(Function("contains", (path, values[0]))))
        )
    if operator == "BEGINS_WITH":
        return Function("begins_with", (path, values[0]))
    if operator == "IN":
        return In(path, tuple(values))
    low, high = values
    if compare(low.value, high.value) > 0:
        raise ValidationException(
            "The BETWEEN condition was provided a range where the lower bound is greater "
            "than the upper bound"
        )
    return Between(path, low, high)


# --- AttributeUpdates -------------------------------------------------------------------


def attribute_updates(updates: Mapping[str, Any]) -> Update:
    """The update ``AttributeUpdates`` stands for, in the order given (the key
    attributes are the operation's to refuse)."""
    actions: list[Action] = []
    for name, entry in updates.items():
        path = Path((name,))
        action = entry.get("Action") or "PUT"
        given = entry.get("Value")
        if given is None:
            if action != "DELETE":
                raise ValidationException(
                    f"{_INVALID}Only DELETE action is allowed when no attribute value is specified"
                )
            actions.append(RemoveAction(path))
            continue
        value = _value(given, name)
        kind = type_of(value.value)
        if action == "PUT":
            actions.append(SetAction(path, value))
        elif action == "DELETE":
            if kind not in _SETS:
                raise ValidationException(
                    f"{_INVALID}DELETE action with value is not supported for the type {kind}"
                )
            actions.append(DeleteAction(path, value))
        elif kind == "L":
            empty = Value(f"<{name}>", {"L": []})
            current = Call("if_not_exists", (path, empty))
            actions.append(SetAction(path, Call("list_append", (current, value))))
        elif kind in ("N", *_SETS):
            actions.append(AddAction(path, value))
        else:
            raise ValidationException(f"{_INVALID}ADD action is not supported for the type {kind}")
    return Update(tuple(actions))


# --- AttributesToGet --------------------------------------------------------------------


def attributes_to_get(names: Sequence[str] | None) -> Projection | None:
    """The projection ``AttributesToGet`` stands for (top-level attributes only)."""
    if names is None:
        return None
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValidationException(f"{_INVALID}Duplicate value in attribute name: {name}")
        seen.add(name)
    return Projection(tuple(Path((name,)) for name in names))

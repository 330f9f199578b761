"""Evaluating a condition against an item, as DynamoDB does (ScyllaDB Alternator's tests,
run against DynamoDB, are the source for each rule):

- A missing attribute is no error: every comparison with it is false except ``<>``,
  which is true (even between two missing attributes); BETWEEN and IN are false;
  functions of it are false (attribute_not_exists true).
- Values of different types are unequal (``=`` false, ``<>`` true); ``< <= > >=`` and
  BETWEEN order only S (by UTF-8 bytes), N and B (unsigned bytes) of one type, and are
  false for anything else read from the item. (Such values written into the request are
  refused when parsing: ``checks``.)
- ``=``, ``<>`` and IN compare any types: sets as sets, lists and maps deeply.
- ``size`` is the length of a string (in characters: not verified against non-ASCII),
  the bytes of a blob, the members of a set, list or map; of any other type it has no
  value, so comparisons with it are as with a missing attribute.
- ``contains(a, b)``: a substring of a string, a byte string in a blob, a member of a
  set (of the set's member type), an element of a list (any type, compared deeply).
- ``begins_with(a, b)``: both strings or both blobs; false otherwise.
- ``attribute_type(a, :t)``: the type of ``a`` is ``t``.
"""

from __future__ import annotations

from decimal import Decimal

from altus.dynamodb.expressions.ast import (
    And,
    Arithmetic,
    AttributeValue,
    Between,
    Call,
    Comparison,
    Condition,
    Function,
    In,
    Not,
    Operand,
    Or,
    Path,
    Value,
)
from altus.dynamodb.expressions.paths import Item, resolve
from altus.dynamodb.values import compare, equal, number, type_of

__all__ = ["evaluate", "operand_value", "resolve"]

_ORDERED = ("S", "N", "B")


def evaluate(condition: Condition, item: Item | None) -> bool:
    """Whether ``item`` (None: no item, every attribute missing) meets ``condition``."""
    if isinstance(condition, And):
        return all(evaluate(part, item) for part in condition.conditions)
    if isinstance(condition, Or):
        return any(evaluate(part, item) for part in condition.conditions)
    if isinstance(condition, Not):
        return not evaluate(condition.condition, item)
    if isinstance(condition, Comparison):
        return _compare(
            condition.operator,
            operand_value(condition.left, item),
            operand_value(condition.right, item),
        )
    if isinstance(condition, Between):
        subject = operand_value(condition.subject, item)
        low = operand_value(condition.low, item)
        high = operand_value(condition.high, item)
        return _compare(">=", subject, low) and _compare("<=", subject, high)
    if isinstance(condition, In):
        subject = operand_value(condition.subject, item)
        return subject is not None and any(
            _compare("=", subject, operand_value(choice, item)) for choice in condition.choices
        )
    return _function(condition, item)


def operand_value(operand: Operand, item: Item | None) -> AttributeValue | None:
    """The value of a condition's operand, or None where there is none."""
    if isinstance(operand, Path):
        return resolve(item, operand)
    if isinstance(operand, Value):
        return operand.value
    if isinstance(operand, Call) and operand.function == "size":
        return _size(operand_value(operand.args[0], item))
    assert not isinstance(operand, Arithmetic), "arithmetic is only in SET values"
    raise AssertionError(f"not an operand of conditions: {operand}")


def _compare(operator: str, left: AttributeValue | None, right: AttributeValue | None) -> bool:
    if left is None or right is None:
        return operator == "<>"
    if operator == "=":
        return equal(left, right)
    if operator == "<>":
        return not equal(left, right)
    kind = type_of(left)
    if kind != type_of(right) or kind not in _ORDERED:
        return False
    order = compare(left, right)
    return {"<": order < 0, "<=": order <= 0, ">": order > 0, ">=": order >= 0}[operator]


def _size(value: AttributeValue | None) -> AttributeValue | None:
    if value is None:
        return None
    kind = type_of(value)
    if kind in ("N", "BOOL", "NULL"):
        return None
    return {"N": str(len(value[kind]))}


def _function(condition: Function, item: Item | None) -> bool:
    name = condition.function
    args = [operand_value(arg, item) for arg in condition.args]
    if name == "attribute_exists":
        return args[0] is not None
    if name == "attribute_not_exists":
        return args[0] is None
    first, second = args
    if first is None or second is None:
        return False
    if name == "attribute_type":
        return type_of(first) == second.get("S")
    if name == "begins_with":
        kind = type_of(first)
        if kind != type_of(second) or kind not in ("S", "B"):
            return False
        return (
            bytes(first[kind]).startswith(bytes(second[kind]))
            if kind == "B"
            else (str(first[kind]).startswith(str(second[kind])))
        )
    return _contains(first, second)


def _contains(container: AttributeValue, member: AttributeValue) -> bool:
    kind = type_of(container)
    wanted = type_of(member)
    if kind == "S" and wanted == "S":
        return str(member["S"]) in str(container["S"])
    if kind == "B" and wanted == "B":
        return bytes(member["B"]) in bytes(container["B"])
    if kind == "SS" and wanted == "S":
        return member["S"] in container["SS"]
    if kind == "BS" and wanted == "B":
        return bytes(member["B"]) in {bytes(blob) for blob in container["BS"]}
    if kind == "NS" and wanted == "N":
        target: Decimal = number(member["N"])
        return any(number(text) == target for text in container["NS"])
    if kind == "L":
        return any(equal(element, member) for element in container["L"])
    return False

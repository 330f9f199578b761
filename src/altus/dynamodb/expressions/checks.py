"""The checks DynamoDB makes on an expression once its placeholders are resolved: the
operands each operator and function takes, and the types of the values written into
the request (a value from the item is never refused, only compared false).

Conditions are checked one comparison or function at a time, in the order written,
each right after its placeholders are looked up (so an undefined placeholder in the
first condition is reported before a wrong operand count in the second, and the other
way round); within one, the order is DynamoDB's: operand counts, then distinct
operands, then operand types, inner functions before outer (dynalite's tests:
``attribute_not_exists(size(:a))`` is refused for size's operand when ``:a`` is a
number, for attribute_not_exists's path otherwise).

Updates are checked whole, after every placeholder is looked up: ADD and DELETE
operands, then overlapping paths, then the SET values (dynalite's tests: an ADD of a
string is reported before a wrong list_append or if_not_exists in SET, overlapping
paths before a wrong operand count).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator

from altus.dynamodb.expressions import errors
from altus.dynamodb.expressions.ast import (
    AddAction,
    Arithmetic,
    AttributeValue,
    Between,
    Call,
    Comparison,
    DeleteAction,
    Function,
    In,
    Operand,
    Path,
    SetAction,
    Update,
    Value,
)
from altus.dynamodb.expressions.paths import check_distinct
from altus.dynamodb.values import compare, type_of

#: The operands each function takes.
OPERAND_COUNTS = {
    "attribute_exists": 1,
    "attribute_not_exists": 1,
    "attribute_type": 2,
    "begins_with": 2,
    "contains": 2,
    "size": 1,
    "if_not_exists": 2,
    "list_append": 2,
}
#: IN's operands, the one before IN included: 99 listed values are accepted, 100 are not
#: (ScyllaDB Alternator's tests against DynamoDB; the guide says "up to 100").
MAX_IN_OPERANDS = 100
_ORDERED = ("S", "N", "B")
_SETS = ("SS", "NS", "BS")
_ORDERING = ("<", "<=", ">", ">=")


def static_type(operand: Operand) -> str | None:
    """The type ``operand`` is known to have before any item is read: a value's own,
    ``N`` for size(); None for a path or another function."""
    if isinstance(operand, Value):
        return type_of(operand.value)
    if isinstance(operand, Call) and operand.function == "size":
        return "N"
    return None


def check_condition(leaf: Comparison | Between | In | Function, kind: str) -> None:
    """Refuse one comparison or function (``Invalid <kind>: ...``)."""
    nested = list(_calls(leaf))
    for node in [*nested, leaf]:
        if isinstance(node, (Call, Function)):
            expected = OPERAND_COUNTS[node.function]
            if len(node.args) != expected:
                raise errors.invalid(kind, errors.operand_count(node.function, len(node.args)))
    _check_distinct(leaf, kind)
    for call in nested:
        _check_size(call, kind)
    problem = _leaf_problem(leaf)
    if problem is not None:
        raise errors.invalid(kind, problem)


def _calls(leaf: Comparison | Between | In | Function) -> Iterator[Call]:
    """The function calls among the leaf's operands, inner before outer."""
    if isinstance(leaf, Comparison):
        operands: tuple[Operand, ...] = (leaf.left, leaf.right)
    elif isinstance(leaf, Between):
        operands = (leaf.subject, leaf.low, leaf.high)
    elif isinstance(leaf, In):
        operands = (leaf.subject, *leaf.choices)
    else:
        operands = leaf.args
    for operand in operands:
        yield from _calls_in(operand)


def _calls_in(operand: Operand) -> Iterator[Call]:
    if isinstance(operand, Call):
        for arg in operand.args:
            yield from _calls_in(arg)
        yield operand
    elif isinstance(operand, Arithmetic):
        yield from _calls_in(operand.left)
        yield from _calls_in(operand.right)


def _check_distinct(leaf: Comparison | Between | In | Function, kind: str) -> None:
    # A comparison or two-operand function of a path with itself is refused (":a > :a"
    # is fine); BETWEEN and IN are not checked (dynalite's tests check only these).
    if isinstance(leaf, Comparison):
        name, pair = leaf.operator, (leaf.left, leaf.right)
    elif isinstance(leaf, Function) and len(leaf.args) == 2:
        name, pair = leaf.function, (leaf.args[0], leaf.args[1])
    else:
        return
    first, second = pair
    if isinstance(first, Path) and isinstance(second, Path) and first == second:
        raise errors.invalid(kind, errors.not_distinct(name, str(first)))


def _check_size(call: Call, kind: str) -> None:
    if call.function == "size":
        found = static_type(call.args[0])
        if found in ("N", "BOOL", "NULL"):
            raise errors.invalid(kind, errors.operand_type("size", found))


def _leaf_problem(leaf: Comparison | Between | In | Function) -> str | None:
    if isinstance(leaf, Function):
        return _function_problem(leaf)
    if isinstance(leaf, In):
        count = 1 + len(leaf.choices)
        return errors.too_many_operands(count) if count > MAX_IN_OPERANDS else None
    if isinstance(leaf, Comparison):
        if leaf.operator in _ORDERING:
            # A list or map written into the request can never be ordered: refused,
            # where the same value read from the item compares false (Alternator's
            # tests). (text not verified)
            return _unordered(leaf.operator, (leaf.left, leaf.right))
        return None
    problem = _unordered("BETWEEN", (leaf.subject, leaf.low, leaf.high))
    if problem is None and isinstance(leaf.low, Value) and isinstance(leaf.high, Value):
        low, high = leaf.low.value, leaf.high.value
        if type_of(low) != type_of(high):
            return errors.between_types(_shown(low), _shown(high))
        if compare(low, high) > 0:
            return errors.between_order(_shown(low), _shown(high))
    return problem


def _unordered(name: str, operands: tuple[Operand, ...]) -> str | None:
    for operand in operands:
        found = static_type(operand)
        if found is not None and found not in _ORDERED:
            return errors.operand_type(name, found)  # text not verified
    return None


def _function_problem(leaf: Function) -> str | None:
    name = leaf.function
    if name in ("attribute_exists", "attribute_not_exists"):
        return None if isinstance(leaf.args[0], Path) else errors.needs_path(name)
    if name == "begins_with":
        for arg in leaf.args:
            found = static_type(arg)
            if found is not None and found not in ("S", "B"):
                return errors.operand_type(name, found)
        return None
    if name == "attribute_type":
        wanted = leaf.args[1]
        found = static_type(wanted)
        if found != "S":
            return errors.operand_type(name, found or errors.ANY_TYPE)
        assert isinstance(wanted, Value)  # only a value has type S before reading
        if wanted.value["S"] not in errors.TYPE_NAMES:
            return errors.type_name(wanted.value["S"])
    return None


def _shown(value: AttributeValue) -> str:
    """A scalar as DynamoDB prints it in BETWEEN's messages: ``{N:1}``, ``{S:a}``
    (binary in base64: not verified)."""
    kind = type_of(value)
    member = value[kind]
    if isinstance(member, (bytes, bytearray)):
        member = base64.b64encode(bytes(member)).decode()
    return f"{{{kind}:{member}}}"


# -- updates -------------------------------------------------------------------------


def check_update(update: Update, kind: str) -> None:
    """Refuse an update (``Invalid <kind>: ...``) for its ADD/DELETE operands, its
    paths, then its SET values."""
    for action in update.actions:
        if isinstance(action, AddAction):
            found = type_of(action.value.value)
            if found not in ("N", *_SETS):
                raise errors.invalid(kind, errors.update_operand_type("ADD", found))
        elif isinstance(action, DeleteAction):
            found = type_of(action.value.value)
            if found not in _SETS:
                raise errors.invalid(kind, errors.update_operand_type("DELETE", found))
    check_distinct(update.targets, kind)
    for action in update.actions:
        if isinstance(action, SetAction):
            problem = _set_value_problem(action.value)
            if problem is not None:
                raise errors.invalid(kind, problem)


def _set_value_problem(operand: Operand) -> str | None:
    """The first problem of a SET value, inner operands first."""
    if isinstance(operand, Arithmetic):
        for side in (operand.left, operand.right):
            problem = _set_value_problem(side)
            if problem is not None:
                return problem
        for side in (operand.left, operand.right):
            found = static_type(side)
            if found is not None and found != "N":
                return errors.operand_type(operand.operator, found)
        return None
    if not isinstance(operand, Call):
        return None
    for arg in operand.args:
        problem = _set_value_problem(arg)
        if problem is not None:
            return problem
    name = operand.function
    if len(operand.args) != OPERAND_COUNTS[name]:
        return errors.operand_count(name, len(operand.args))
    if name == "if_not_exists" and not isinstance(operand.args[0], Path):
        return errors.needs_path(name)
    if name == "list_append":
        for arg in operand.args:
            found = static_type(arg)
            if found is not None and found != "L":
                return errors.operand_type(name, found)
    return None

"""Applying a parsed UpdateExpression to an item: the item after, as a new dict (the
item given is not touched). Key attributes, item size and indexes are the service's.

The order, as DynamoDB shows it (ScyllaDB Alternator's and dynalite's tests, against
DynamoDB):

1. Every SET value is computed from the item *before* the update: ``SET x = :v, y = x``
   reads the old ``x`` (or fails if there was none), ``REMOVE a SET b = a`` moves ``a``.
   A path that reads nothing is "The provided expression refers to an attribute that
   does not exist in the item"; ``+``, ``-`` and list_append of the wrong types "An
   operand in the update expression has an incorrect data type".
2. SET, ADD and DELETE write in path order, list indexes ascending, then REMOVE removes
   in the reverse order, so that every list index means its position in the list as it
   was: ``REMOVE a[1] SET a[3] = :v`` on ``[2, 3, 4, 5, 6, 7]`` gives ``[2, 4, :v, 6,
   7]`` whichever way round it is written. An index past a list's end appends (several
   appends in index order: the guide), and a REMOVE past the end does nothing.
3. A write below the top level needs its parent: a map for ``.key``, a list for
   ``[n]``; otherwise "The document path provided in the update expression is invalid
   for update". REMOVE needs it too, except on an item that does not exist, where any
   REMOVE is ignored (Alternator's tests record both). A missing key or index to remove
   is no error.
4. ADD adds a number (a missing attribute counts as 0) or joins a set of the same type
   (a missing attribute as the empty set); DELETE takes members out of a set of the same
   type, removing the attribute when none are left (a list element so emptied is
   removed with the REMOVEs: not verified), and does nothing to a missing one;
   any other type is "An operand in the update expression has an incorrect data type".
"""

from __future__ import annotations

import copy
from collections.abc import MutableMapping
from typing import Any

from altus.dynamodb.expressions import errors
from altus.dynamodb.expressions.ast import (
    AddAction,
    Arithmetic,
    AttributeValue,
    Call,
    DeleteAction,
    Operand,
    Path,
    RemoveAction,
    SetAction,
    Update,
    Value,
)
from altus.dynamodb.expressions.paths import Item, resolve
from altus.dynamodb.values import ValueProblem, add, number, number_text, subtract, type_of


def apply_update(update: Update, item: Item | None) -> dict[str, Any]:
    """The item after ``update`` (``item`` None: the item does not exist yet, and the
    result is built from nothing). Raises ExpressionProblem with DynamoDB's text."""
    old: Item = item if item is not None else {}
    new: dict[str, Any] = copy.deepcopy(dict(old))
    computed = {
        id(action): _value(action.value, old)
        for action in update.actions
        if isinstance(action, SetAction)
    }
    writes = sorted(
        (action for action in update.actions if not isinstance(action, RemoveAction)),
        key=lambda action: _order(action.path),
    )
    # A list element a DELETE empties goes with the REMOVEs, so as not to move the
    # elements after it while the writes still count positions from the old list.
    emptied: list[Path] = []
    for action in writes:
        if isinstance(action, SetAction):
            _write(new, action.path, copy.deepcopy(computed[id(action)]))
        elif isinstance(action, AddAction):
            _add(new, action.path, action.value)
        elif isinstance(action, DeleteAction) and _delete(new, action.path, action.value):
            emptied.append(action.path)
    removals = [
        (action.path, resolve(old, action.path) is not None)
        for action in update.actions
        if isinstance(action, RemoveAction) and item is not None
    ]
    removals.extend((path, True) for path in emptied)
    for path, existed in sorted(removals, key=lambda removal: _order(removal[0]), reverse=True):
        _remove(new, path, existed=existed)
    return new


def _order(path: Path) -> tuple[tuple[bool, Any], ...]:
    # Keys and indexes never meet at one position of two paths (the parser refuses
    # such conflicts), but the flag keeps the comparison total.
    return tuple((isinstance(e, int), e) for e in path.elements)


# -- SET values ----------------------------------------------------------------------


def _value(operand: Operand, item: Item) -> AttributeValue:
    if isinstance(operand, Value):
        return operand.value
    if isinstance(operand, Path):
        found = resolve(item, operand)
        if found is None:
            raise errors.ExpressionProblem(errors.MISSING_ATTRIBUTE)
        return found
    if isinstance(operand, Arithmetic):
        left, right = _value(operand.left, item), _value(operand.right, item)
        if type_of(left) != "N" or type_of(right) != "N":
            raise errors.ExpressionProblem(errors.INCORRECT_DATA_TYPE)
        combine = add if operand.operator == "+" else subtract
        try:
            return {"N": number_text(combine(number(left["N"]), number(right["N"])))}
        except ValueProblem as problem:
            raise errors.ExpressionProblem(problem.message) from None
    return _call(operand, item)


def _call(call: Call, item: Item) -> AttributeValue:
    if call.function == "if_not_exists":
        target = call.args[0]
        assert isinstance(target, Path)  # checked when parsing
        found = resolve(item, target)
        return found if found is not None else _value(call.args[1], item)
    first, second = (_value(arg, item) for arg in call.args)
    if type_of(first) != "L" or type_of(second) != "L":
        raise errors.ExpressionProblem(errors.INCORRECT_DATA_TYPE)
    return {"L": [*first["L"], *second["L"]]}


# -- writes --------------------------------------------------------------------------


def _parent(item: dict[str, Any], path: Path) -> MutableMapping[str, Any] | list[Any]:
    """The container ``path``'s last element lives in: the item itself, a map's
    members or a list's elements; invalid-path if it is missing or of the wrong kind
    for that element."""
    container: MutableMapping[str, Any] | list[Any] = item
    for index, element in enumerate(path.elements[:-1]):
        value = _member(container, element)
        wanted = "L" if isinstance(path.elements[index + 1], int) else "M"
        if value is None or wanted not in value:
            raise errors.ExpressionProblem(errors.INVALID_DOCUMENT_PATH)
        container = value[wanted]
    last = path.elements[-1]
    if isinstance(last, int) != isinstance(container, list):
        raise errors.ExpressionProblem(errors.INVALID_DOCUMENT_PATH)
    return container


def _member(container: MutableMapping[str, Any] | list[Any], element: str | int) -> Any:
    if isinstance(container, list):
        assert isinstance(element, int)
        return container[element] if element < len(container) else None
    assert isinstance(element, str)
    return container.get(element)


def _write(item: dict[str, Any], path: Path, value: AttributeValue) -> None:
    container = _parent(item, path)
    last = path.elements[-1]
    if isinstance(container, list):
        assert isinstance(last, int)
        if last < len(container):
            container[last] = value
        else:
            container.append(value)
    else:
        assert isinstance(last, str)
        container[last] = value


def _add(item: dict[str, Any], path: Path, operand: Value) -> None:
    current = _member(_parent(item, path), path.elements[-1])
    given = operand.value
    kind = type_of(given)
    if current is None:
        _write(item, path, copy.deepcopy(dict(given)))
        return
    if type_of(current) != kind:
        raise errors.ExpressionProblem(errors.INCORRECT_DATA_TYPE)
    if kind == "N":
        try:
            total = add(number(current["N"]), number(given["N"]))
        except ValueProblem as problem:
            raise errors.ExpressionProblem(problem.message) from None
        _write(item, path, {"N": number_text(total)})
        return
    members = list(current[kind])
    known = {_member_key(kind, member) for member in members}
    for member in given[kind]:
        if _member_key(kind, member) not in known:
            known.add(_member_key(kind, member))
            members.append(copy.deepcopy(member))
    _write(item, path, {kind: members})


def _delete(item: dict[str, Any], path: Path, operand: Value) -> bool:
    """DELETE's members out of the set at ``path``; True if that leaves a list element
    empty, to be removed with the REMOVEs (a map member is removed at once)."""
    container = _parent(item, path)
    last = path.elements[-1]
    current = _member(container, last)
    if current is None:
        return False
    kind = type_of(operand.value)
    if type_of(current) != kind:
        raise errors.ExpressionProblem(errors.INCORRECT_DATA_TYPE)
    gone = {_member_key(kind, member) for member in operand.value[kind]}
    left = [member for member in current[kind] if _member_key(kind, member) not in gone]
    if left:
        _write(item, path, {kind: left})
        return False
    if isinstance(container, list):
        return True
    assert isinstance(last, str)
    del container[last]
    return False


def _member_key(kind: str, member: Any) -> Any:
    """What makes two set members the same: numbers by value, blobs by bytes."""
    if kind == "NS":
        return number(member)
    if kind == "BS":
        return bytes(member)
    return member


def _remove(item: dict[str, Any], path: Path, *, existed: bool) -> None:
    container = _parent(item, path)
    if not existed:
        return
    last = path.elements[-1]
    if isinstance(container, list):
        assert isinstance(last, int)
        del container[last]
    else:
        assert isinstance(last, str)
        del container[last]

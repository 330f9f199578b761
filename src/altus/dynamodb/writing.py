"""What a write makes of an item, given the item as stored: the store calls ``after``
inside the transaction that reads the item, so a condition and an update are judged
against the same version of it (compare-and-set). Pure: no I/O.

The checks a new item must pass that only its final form shows (an update's result):
its size (400 KB) and, for every index whose key attributes it has, their types and
non-empty strings and binaries, in DynamoDB's texts. PutItem's item is checked the same
way by the operation before the store is asked (``check_stored``)."""

from __future__ import annotations

from altus.dynamodb.errors import ValidationException
from altus.dynamodb.expressions.errors import ExpressionProblem
from altus.dynamodb.expressions.update import apply_update
from altus.dynamodb.model import Check, ItemWrite, Patch, Put, Remove, Table
from altus.dynamodb.values import MAX_ITEM_SIZE, Item, item_size, type_of

#: DynamoDB's texts (PutItem's and UpdateItem's).
PUT_TOO_LARGE = "Item size has exceeded the maximum allowed size"
UPDATE_TOO_LARGE = "Item size to update has exceeded the maximum allowed size"


def after(write: ItemWrite, old: Item | None) -> Item | None:
    """The item once ``write`` is applied to ``old`` (None: no item). An update of an
    item not there starts from its key. Raises ValidationException (the expression's or
    the checks' text)."""
    action = write.action
    if isinstance(action, Check):
        return old
    if isinstance(action, Remove):
        return None
    if isinstance(action, Put):
        return dict(action.item)
    assert isinstance(action, Patch)
    base = old if old is not None else dict(write.key)
    try:
        new = apply_update(action.update, base)
    except ExpressionProblem as problem:
        raise ValidationException(problem.message) from None
    check_stored(write.table, new, updating=True)
    return new


def check_stored(table: Table, item: Item, *, updating: bool = False) -> None:
    """ValidationException if ``item`` cannot be stored in ``table``: too large, or an
    index key attribute of the wrong type or empty."""
    if item_size(item) > MAX_ITEM_SIZE:
        raise ValidationException(UPDATE_TOO_LARGE if updating else PUT_TOO_LARGE)
    for index in table.indexes:
        for name, expected in (
            (index.key.hash_name, index.key.hash_type),
            (index.key.range_name, index.key.range_type),
        ):
            if name is None or name not in item or expected is None:
                continue
            value = item[name]
            actual = type_of(value)
            if actual != expected:
                raise ValidationException(
                    "One or more parameter values were invalid: Type mismatch for Index "
                    f"Key {name} Expected: {expected} Actual: {actual} IndexName: {index.name}"
                )
            if expected in ("S", "B") and len(value[expected]) == 0:
                kind = "string" if expected == "S" else "binary"
                raise ValidationException(
                    "One or more parameter values are not valid. A value specified for a "
                    "secondary index key is not supported. The AttributeValue for a key "
                    f"attribute cannot contain an empty {kind} value. IndexName: "
                    f"{index.name}, IndexKey: {name}"
                )

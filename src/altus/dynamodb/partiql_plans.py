"""PartiQL statements (``partiql``) against the tables they name: what each reads or
writes, planned as the service's own forms. Pure but for looking tables up.

**Writes** become the ``WritePlan`` the item operations make (``item_writes``), so a
statement is judged and written as PutItem, UpdateItem, DeleteItem and a transaction's
ConditionCheck are:

- ``INSERT`` is a put on condition that no item has the key; an item that has it is
  DuplicateItemException ("Duplicate primary key exists in table", the Developer
  Guide and the AWS CLI's record of DynamoDB).
- ``UPDATE`` and ``DELETE`` must name the whole primary key by equality in a WHERE of
  ANDed terms ("Where clause does not contain a mandatory equality on all key
  attributes"); every other term is a condition on the item. An UPDATE of an item that
  is not there fails as a condition does (ConditionalCheckFailedException: "If the
  WHERE clause of the UPDATE statement does not evaluate to true for any item ..."); a
  DELETE of one is a success that deletes nothing, whatever the other terms say (the
  Developer Guide; the conformance suite: "DELETE on a missing key with a non-key
  predicate is a silent no-op").
- ``EXISTS(SELECT ... WHERE <key> AND <condition>)`` is a condition check: the item
  must be there and meet the condition.

**Reads.** A SELECT whose WHERE pins the partition key (of the table, or of the index
read) by equality or IN, through ANDs and ORs of such terms, is a Query of each
partition pinned, in the order written (``ORDER BY`` the partition key sorts them),
its sort keys narrowed by the one term on the sort key ANDed at the top, if there is
one; any other SELECT is a Scan (the Developer Guide: "a full table scan if an equality
condition with a partition key is not provided"). The whole WHERE filters what either
reads. A partition value of another type than the key's matches nothing and is not
read.

What a SELECT returns: the item (``*``; on an index what it projects) or, for a list of
paths, each path's value named by its last name (``SELECT a.b`` gives ``{"b": ...}``:
the conformance suite); a path ending in a list index is named ``_<position>`` as
PartiQL names unnamed columns (not verified).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from altus.dynamodb import keys, selection
from altus.dynamodb.component import DynamoDB
from altus.dynamodb.errors import ValidationException
from altus.dynamodb.expressions import Projection, RangeCondition, paths_of, resolve
from altus.dynamodb.expressions.ast import (
    And,
    AttributeValue,
    Between,
    Comparison,
    Condition,
    Function,
    In,
    Or,
    Path,
    Value,
)
from altus.dynamodb.item_writes import WritePlan
from altus.dynamodb.model import (
    CREATING,
    GLOBAL,
    Check,
    Index,
    ItemWrite,
    KeySchema,
    Patch,
    Put,
    Table,
)
from altus.dynamodb.model import Remove as RemoveItem
from altus.dynamodb.partiql import Delete, Exists, Insert, Modify, Select, Source, Statement
from altus.dynamodb.requests import check_key, table_of
from altus.dynamodb.rows import table_key
from altus.dynamodb.values import ValueProblem, check_item, equal, type_of
from altus.dynamodb.writing import check_stored

INCOMPLETE_KEY = "Where clause does not contain a mandatory equality on all key attributes"
NO_INDEX = "The table does not have the specified index"
CONSISTENT_GLOBAL = "Strongly consistent read is not supported on Global Secondary Indexes"
#: DynamoDB Local's texts; DynamoDB's are not verified.
WRITE_ON_INDEX = "This operation is not supported on an index"
EXISTS_SHAPE = "EXISTS() must contain a single item read with additional condition"
EXISTS_ON_INDEX = "Operations on indices are not supported in transactions"
ORDER_WITHOUT_WHERE = "Must have WHERE clause in the statement when using ORDER BY clause."
ORDER_WITHOUT_KEY = (
    "Must have at least one non-optional hash key condition in WHERE clause when using "
    "ORDER BY clause."
)
ORDER_WITHOUT_HASH = (
    "Must have hash key in ORDER BY clause when more than one hash key condition specified "
    "in WHERE clause."
)


# --- tables and keys --------------------------------------------------------------------


def source_of(dynamodb: DynamoDB, source: Source) -> tuple[Table, Index | None]:
    """The table (ResourceNotFoundException) and index a statement names."""
    table = table_of(dynamodb, source.table)
    if source.index is None:
        return table, None
    index = table.index(source.index)
    if index is None:
        # PartiQL's text has no name after it, unlike Query's (the conformance suite).
        raise ValidationException(NO_INDEX)
    return table, index


def _equality(part: Condition, names: Sequence[str]) -> tuple[str, AttributeValue] | None:
    """The key attribute and value a ``key = value`` term names (either way round)."""
    if not isinstance(part, Comparison) or part.operator != "=":
        return None
    for one, other in ((part.left, part.right), (part.right, part.left)):
        if (
            isinstance(one, Path)
            and len(one.elements) == 1
            and one.attribute in names
            and isinstance(other, Value)
        ):
            return one.attribute, other.value
    return None


def _terms(where: Condition | None) -> tuple[Condition, ...]:
    if where is None:
        return ()
    return where.conditions if isinstance(where, And) else (where,)


def _joined(terms: Sequence[Condition]) -> Condition | None:
    if not terms:
        return None
    return terms[0] if len(terms) == 1 else And(tuple(terms))


def split_key(
    where: Condition | None, schema: KeySchema, missing: str = INCOMPLETE_KEY
) -> tuple[dict[str, Any], Condition | None]:
    """The primary key a WHERE names by equality among its ANDed terms, checked, and
    the other terms; ValidationException ``missing`` if it does not name all of it."""
    key: dict[str, AttributeValue] = {}
    rest: list[Condition] = []
    for part in _terms(where):
        found = _equality(part, schema.names)
        if found is None:
            rest.append(part)
            continue
        name, value = found
        if name in key:
            raise ValidationException(  # DynamoDB Local's text
                f"Multiple conditions on same key {name}. Only single item Update/Insert/Delete "
                "are supported"
            )
        key[name] = value
    if set(key) != set(schema.names):
        raise ValidationException(missing)
    _key_types(key, schema)
    return check_key(key, schema), _joined(rest)


def _key_types(item: Mapping[str, Any], schema: KeySchema) -> None:
    for name, kind in (
        (schema.hash_name, schema.hash_type),
        (schema.range_name, schema.range_type),
    ):
        if name is None:
            continue
        if name not in item:
            raise ValidationException(  # DynamoDB Local's text
                f"Key attribute should be present in the item: Key {name}"
            )
        if type_of(item[name]) != kind:
            raise ValidationException(  # DynamoDB Local's text (recorded without the key)
                "Key attribute's data type should match its data type in table's schema: "
                f"Key {name}"
            )


def _exists(name: str, present: bool = True) -> Function:
    return Function("attribute_exists" if present else "attribute_not_exists", (Path((name,)),))


# --- writes ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Write:
    """A write statement planned: the store's write, and what it returns."""

    plan: WritePlan
    #: ``INSERT``, ``UPDATE``, ``DELETE`` or ``EXISTS``.
    kind: str
    returning: str | None = None

    @property
    def table(self) -> Table:
        return self.plan.table


def plan_write(dynamodb: DynamoDB, statement: Statement, *, old_on_failure: bool) -> Write:
    """The write an INSERT, UPDATE, DELETE or EXISTS statement makes."""
    if isinstance(statement, Insert):
        return _insert(dynamodb, statement)
    if isinstance(statement, Exists):
        return _exists_check(dynamodb, statement.select, old_on_failure)
    assert isinstance(statement, (Modify, Delete)), statement
    table, index = source_of(dynamodb, statement.source)
    if index is not None:
        raise ValidationException(WRITE_ON_INDEX)
    key, rest = split_key(statement.where, table.key)
    hash_name = table.key.hash_name
    if isinstance(statement, Modify):
        for path in statement.update.targets:
            if path.attribute in table.key.names:
                raise ValidationException(  # UpdateItem's text
                    "One or more parameter values were invalid: Cannot update attribute "
                    f"{path.attribute}. This attribute is part of the key"
                )
        condition = And((_exists(hash_name), *_terms(rest))) if rest else _exists(hash_name)
        write = ItemWrite(table, key, Patch(statement.update), condition)
        plan = WritePlan(write, old_on_failure, statement.update.targets)
        return Write(plan, "UPDATE", statement.returning)
    # An item that is not there is deleted without judging the other terms.
    guard = None if rest is None else Or((_exists(hash_name, present=False), rest))
    write = ItemWrite(table, key, RemoveItem(), guard)
    return Write(WritePlan(write, old_on_failure), "DELETE", statement.returning)


def _insert(dynamodb: DynamoDB, statement: Insert) -> Write:
    table, index = source_of(dynamodb, statement.source)
    if index is not None:
        raise ValidationException(WRITE_ON_INDEX)
    try:
        item = check_item(statement.item)
    except ValueProblem as problem:
        raise ValidationException(problem.message) from None
    _key_types(item, table.key)
    check_key(table_key(table, item), table.key)
    check_stored(table, item)
    condition = _exists(table.key.hash_name, present=False)
    write = ItemWrite(table, table_key(table, item), Put(item), condition)
    return Write(WritePlan(write), "INSERT")


def _exists_check(dynamodb: DynamoDB, select: Select, old_on_failure: bool) -> Write:
    table, index = source_of(dynamodb, select.source)
    if index is not None:
        raise ValidationException(EXISTS_ON_INDEX)
    key, rest = split_key(select.where, table.key, EXISTS_SHAPE)
    if rest is None:
        raise ValidationException(EXISTS_SHAPE)
    condition = And((_exists(table.key.hash_name), *_terms(rest)))
    write = ItemWrite(table, key, Check(), condition)
    return Write(WritePlan(write, old_on_failure), "EXISTS")


# --- reads ------------------------------------------------------------------------------


def shape(item: Mapping[str, Any], projection: tuple[Path, ...] | None) -> dict[str, Any]:
    """What a SELECT returns of ``item``: all of it, or each path's value by its name."""
    if projection is None:
        return dict(item)
    shown: dict[str, Any] = {}
    for position, path in enumerate(projection, 1):
        found = resolve(item, path)
        if found is not None:
            last = path.elements[-1]
            shown[last if isinstance(last, str) else f"_{position}"] = found
    return shown


@dataclass(frozen=True, slots=True)
class Get:
    """A SELECT of one item by its whole key (a batch's or a transaction's)."""

    table: Table
    key: dict[str, Any]
    filter: Condition | None
    projection: tuple[Path, ...] | None


def plan_get(dynamodb: DynamoDB, select: Select, *, missing: str, on_index: str) -> Get:
    """A single-item SELECT: ``missing`` when the WHERE does not name the table's whole
    key, ``on_index`` when it reads an index."""
    table, index = source_of(dynamodb, select.source)
    if index is not None:
        raise ValidationException(on_index)
    key, rest = split_key(select.where, table.key, missing)
    return Get(table, key, rest, select.projection)


@dataclass(frozen=True, slots=True)
class Read:
    """A SELECT planned: a Query of each of ``partitions`` (None: a Scan)."""

    table: Table
    index: Index | None
    partitions: tuple[AttributeValue, ...] | None
    range: RangeCondition | None
    forward: bool
    condition: Condition | None
    projection: tuple[Path, ...] | None
    returned: selection.Returned
    consistent: bool

    @property
    def schema(self) -> KeySchema:
        return self.index.key if self.index is not None else self.table.key


def plan_read(dynamodb: DynamoDB, select: Select, *, consistent: bool) -> Read:
    """ExecuteStatement's SELECT."""
    table, index = source_of(dynamodb, select.source)
    if index is not None and index.kind == GLOBAL and consistent:
        raise ValidationException(CONSISTENT_GLOBAL)
    if index is not None and (index.status == CREATING or index.backfilling):
        raise ValidationException(  # Query's text
            f"Cannot read from backfilling global secondary index: {index.name}"
        )
    schema = index.key if index is not None else table.key
    where = select.where
    if index is not None and where is not None:
        _filter_projected(table, index, where)
    if select.projection is None:
        chosen = selection.ALL_PROJECTED_ATTRIBUTES if index else selection.ALL_ATTRIBUTES
        returned = selection.plan(chosen, None, None, table, index)
    else:
        wanted = Projection(tuple(Path((path.attribute,)) for path in select.projection))
        returned = selection.plan(selection.SPECIFIC_ATTRIBUTES, wanted, None, table, index)
    partitions = _partitions(where, schema)
    forward, partitions = _order(select, schema, partitions)
    return Read(
        table=table,
        index=index,
        partitions=partitions,
        range=_range(where, schema) if partitions is not None else None,
        forward=forward,
        condition=where,
        projection=select.projection,
        returned=returned,
        consistent=consistent,
    )


def _filter_projected(table: Table, index: Index, where: Condition) -> None:
    """A SELECT of an index may filter only on what the index holds (a local index's
    rows are not completed from the table for it, as Query's are: the conformance
    suite's record, the same words for both kinds)."""
    held = selection.held(table, index)
    if held is None:
        return
    missing = [
        name for name in dict.fromkeys(p.attribute for p in paths_of(where)) if name not in held
    ]
    if missing:
        raise ValidationException(
            f"One or more parameter values were invalid: Secondary index {index.name} does not "
            f"project one or more filter attributes: [{', '.join(missing)}]"
        )


def _pinned(condition: Condition, name: str) -> list[AttributeValue] | None:
    """The partition key values ``condition`` limits ``name`` to (None: any)."""
    if isinstance(condition, Comparison):
        equality = _equality(condition, (name,))
        return [equality[1]] if equality is not None else None
    if isinstance(condition, In):
        subject = condition.subject
        choices = [choice.value for choice in condition.choices if isinstance(choice, Value)]
        pins = isinstance(subject, Path) and subject.elements == (name,)
        return choices if pins and len(choices) == len(condition.choices) else None
    if isinstance(condition, And):
        sets = [
            found for part in condition.conditions if (found := _pinned(part, name)) is not None
        ]
        if not sets:
            return None
        return [value for value in sets[0] if all(_member(value, other) for other in sets[1:])]
    if isinstance(condition, Or):
        union: list[AttributeValue] = []
        for part in condition.conditions:
            found = _pinned(part, name)
            if found is None:
                return None
            union.extend(found)
        return union
    return None


def _member(value: AttributeValue, values: Sequence[AttributeValue]) -> bool:
    return any(equal(value, other) for other in values)


def _partitions(where: Condition | None, schema: KeySchema) -> tuple[AttributeValue, ...] | None:
    """The partition key values to Query (None: Scan), of the key's type, without
    repeats or empty strings and binaries (no item has those)."""
    found = _pinned(where, schema.hash_name) if where is not None else None
    if found is None:
        return None
    kept: list[AttributeValue] = []
    for value in found:
        kind = type_of(value)
        if kind == schema.hash_type and len(value[kind]) > 0 and not _member(value, kept):
            kept.append(value)
    return tuple(kept)


_MIRRORED = {"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _range(where: Condition | None, schema: KeySchema) -> RangeCondition | None:
    """The one condition on the sort key ANDed at the top of ``where``, if there is
    exactly one of a form a key range reads (and of the key's type)."""
    name, kind = schema.range_name, schema.range_type
    if name is None:
        return None
    found: list[RangeCondition] = []
    for part in _terms(where):
        condition = _range_term(part, name)
        if condition is not None:
            found.append(condition)
    if len(found) != 1 or any(type_of(value) != kind for value in found[0].values):
        return None
    return found[0]


def _range_term(part: Condition, name: str) -> RangeCondition | None:
    def is_key(operand: object) -> bool:
        return isinstance(operand, Path) and operand.elements == (name,)

    if isinstance(part, Comparison) and part.operator in _MIRRORED:
        if is_key(part.left) and isinstance(part.right, Value):
            return RangeCondition(part.operator, (part.right.value,))
        if is_key(part.right) and isinstance(part.left, Value):
            return RangeCondition(_MIRRORED[part.operator], (part.left.value,))
    if (
        isinstance(part, Between)
        and is_key(part.subject)
        and isinstance(part.low, Value)
        and isinstance(part.high, Value)
    ):
        return RangeCondition("BETWEEN", (part.low.value, part.high.value))
    if isinstance(part, Function) and part.function == "begins_with" and is_key(part.args[0]):
        prefix = part.args[1]
        if isinstance(prefix, Value) and type_of(prefix.value) in ("S", "B"):
            return RangeCondition("begins_with", (prefix.value,))
    return None


def _order(
    select: Select, schema: KeySchema, partitions: tuple[AttributeValue, ...] | None
) -> tuple[bool, tuple[AttributeValue, ...] | None]:
    """ORDER BY (DynamoDB Local's rules and texts): the sort key's direction, and the
    partitions in the partition key's order when it is named."""
    if not select.order:
        return True, partitions
    if select.where is None:
        raise ValidationException(ORDER_WITHOUT_WHERE)
    for path, _ in select.order:
        if len(path.elements) != 1 or path.attribute not in schema.names:
            raise ValidationException(  # DynamoDB Local's text
                f"Variable reference {path.attribute} in ORDER BY clause must be part of the "
                "primary key"
            )
    if partitions is None:
        raise ValidationException(ORDER_WITHOUT_KEY)
    by_name = {path.attribute: descending for path, descending in select.order}
    if schema.hash_name in by_name:
        ordered = sorted(partitions, key=keys.encode, reverse=by_name[schema.hash_name])
        partitions = tuple(ordered)
    elif len(partitions) > 1:
        raise ValidationException(ORDER_WITHOUT_HASH)
    forward = not by_name.get(schema.range_name or "", False)
    return forward, partitions

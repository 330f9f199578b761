"""Where a Query or Scan page ends and the next begins: ``LastEvaluatedKey`` made from the
last row a page evaluated, and ``ExclusiveStartKey`` checked against the table (and the
index read) and turned into the store's ``after``. Pure: no I/O.

A start key names the row to read after: the table's key attributes and, on an index,
the index's too (the index's key alone does not name a row: items share it). The store
keeps index rows ordered by the index's key, then the table's, so the pair is exactly
the row's place.

**Texts.** DynamoDB checks a start key in the order :func:`check_start` follows
(dynalite's tests, written against DynamoDB): each value as an attribute value ("The
provided starting key is invalid: <the value's problem>"); its attributes against the
key schemas; the types of the keys read by (Query: the table's or the index's; Scan: the
index's), bare "The provided key element does not match the schema"; then the table's
key, prefixed. A start key of the wrong size on a table is "Exclusive Start Key must
have same size as table's key schema" (DynamoDB's current wording, seen in client
projects; dynalite records the older "The provided starting key is invalid: The
provided key element does not match the schema", which Altus gives for a start key of
the right size naming other attributes in a Scan of a table; a Query, or a read of an
index, says "The provided starting key is invalid" bare). A Query's start key outside
its key condition has the three texts of :func:`check_query_bounds`; a Scan's outside
its segment, the text of :func:`check_segment`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from altus.dynamodb import keys
from altus.dynamodb.errors import ValidationException
from altus.dynamodb.expressions import KeyPlan
from altus.dynamodb.model import Index, KeySchema, Table
from altus.dynamodb.rows import Address, address, key_of
from altus.dynamodb.values import ValueProblem, check_value, equal, type_of

INVALID = "The provided starting key is invalid"
KEY_MISMATCH = "The provided key element does not match the schema"
WRONG_SIZE = "Exclusive Start Key must have same size as table's key schema"
OUTSIDE = "The provided starting key is outside query boundaries based on provided conditions"
NOT_IN_RANGE = "The provided starting key does not match the range key predicate"
ONE_ROW = "The query can return at most one row and cannot be restarted"
#: The hash space a Scan's segments divide (``keys.partition_hash`` is 16 bytes).
HASH_SPACE = 1 << 128


def last_key(item: Mapping[str, Any], table: Table, index: Index | None) -> dict[str, Any]:
    """``LastEvaluatedKey`` of a page whose last row evaluated holds ``item``: the table's
    key attributes and, on an index, the index's."""
    found = key_of(table.key, item)
    if index is not None:
        found.update(key_of(index.key, item))
    return found


def check_values(start: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Each value of ``ExclusiveStartKey`` checked as an attribute value (the request's
    first check of it, made before the table is looked up)."""
    if start is None:
        return None
    checked: dict[str, Any] = {}
    for name, value in start.items():
        try:
            checked[str(name)] = check_value(value, str(name))
        except ValueProblem as problem:
            raise ValidationException(f"{INVALID}: {problem.message}") from None
    return checked


def check_start(
    start: Mapping[str, Any], table: Table, index: Index | None, *, query: bool
) -> dict[str, Any]:
    """``start`` (values checked) against the key schemas of ``table`` and ``index``:
    the attributes they name, of their types, the strings and binaries not empty."""
    names = set(table.key.names) | (set(index.key.names) if index is not None else set())
    if index is None and len(start) != len(names):
        raise ValidationException(WRONG_SIZE)
    if set(start) != names:
        bare = index is not None or query
        raise ValidationException(INVALID if bare else f"{INVALID}: {KEY_MISMATCH}")
    # Query checks the keys it reads by (the index's, or the table's) bare, as a Scan of
    # an index checks the index's; the table's key is checked last, prefixed.
    if index is not None or query:
        _check_types(start, index.key if index is not None else table.key, KEY_MISMATCH)
    _check_types(start, table.key, f"{INVALID}: {KEY_MISMATCH}")
    return dict(start)


def _check_types(start: Mapping[str, Any], schema: KeySchema, text: str) -> None:
    for name, kind in (
        (schema.hash_name, schema.hash_type),
        (schema.range_name, schema.range_type),
    ):
        if name is None:
            continue
        value = start[name]
        if type_of(value) != kind:
            raise ValidationException(text)
        if kind in ("S", "B") and len(value[kind]) == 0:
            # As a Key's empty string is refused (requests); under the prefix: not verified.
            what = "string" if kind == "S" else "binary"
            raise ValidationException(
                f"{INVALID}: One or more parameter values are not valid. The AttributeValue "
                f"for a key attribute cannot contain an empty {what} value. Key: {name}"
            )


def check_query_bounds(start: Mapping[str, Any], schema: KeySchema, plan: KeyPlan) -> None:
    """Refuse a Query's start key the key condition could not have produced: another
    partition, or a sort key outside the condition (DynamoDB's three texts, in its
    order: dynalite's tests)."""
    same_partition = equal(start[schema.hash_name], plan.hash_value)
    if plan.range is None or schema.range_name is None:
        if not same_partition:
            raise ValidationException(OUTSIDE)
        return
    if not plan.range.matches(start[schema.range_name]):
        raise ValidationException(NOT_IN_RANGE)
    if not same_partition:
        raise ValidationException(ONE_ROW)


def query_after(
    start: Mapping[str, Any], table: Table, index: Index | None
) -> tuple[bytes, Address | None]:
    """The store's ``KeyRange.after`` for a checked start key: the sort key's encoding in
    the schema read (``b""`` without one) and, on an index, the table row's address."""
    schema = index.key if index is not None else table.key
    sort = b"" if schema.range_name is None else keys.encode(start[schema.range_name])
    return sort, (_address(table.key, start) if index is not None else None)


def scan_after(
    start: Mapping[str, Any], table: Table, index: Index | None
) -> tuple[Address, Address | None]:
    """The store's ``ScanRange.after`` for a checked start key: the row's address in the
    table or index and, on an index, the table row's address."""
    if index is None:
        return _address(table.key, start), None
    return _address(index.key, start), _address(table.key, start)


def _address(schema: KeySchema, start: Mapping[str, Any]) -> Address:
    found = address(schema, start)
    assert found is not None, "check_start made sure the key is there, typed"
    return found


def segment_of(hash: bytes, segments: int) -> int:
    """The segment (of ``segments`` equal parts of the hash space, as the store divides
    it: segment ``s`` from ``s * 2**128 // segments``) a partition key hash falls in."""
    value = int.from_bytes(hash, "big")
    guess = value * segments // HASH_SPACE
    # Integer division can leave the guess one off a boundary; settle it exactly.
    for candidate in (guess - 1, guess, guess + 1):
        if 0 <= candidate < segments and _low(candidate, segments) <= value < _low(
            candidate + 1, segments
        ):
            return candidate
    raise AssertionError(f"no segment of {segments} holds {hash.hex()}")


def _low(segment: int, segments: int) -> int:
    return segment * HASH_SPACE // segments


def check_segment(
    start: Mapping[str, Any], table: Table, index: Index | None, segment: int, segments: int
) -> None:
    """Refuse a Scan's start key whose row is in another segment (dynalite's tests
    record DynamoDB's text)."""
    schema = index.key if index is not None else table.key
    if segment_of(keys.partition_hash(start[schema.hash_name]), segments) != segment:
        raise ValidationException(
            f"{INVALID}: Invalid ExclusiveStartKey. Please use ExclusiveStartKey with correct "
            f"Segment. TotalSegments: {segments} Segment: {segment}"
        )

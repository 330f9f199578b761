"""ExecuteStatement's SELECT, a page at a time: the planned read (``partiql_plans.Read``)
run against the store, filtered by the WHERE, shaped by the projection, and continued
from a ``NextToken``.

**A page** is what Query and Scan read (``query_api``): at most ``Limit`` items
evaluated (the API reference: "the maximum number of items to evaluate (not necessarily
the number of matching items)") and at most 1 MB of their stored sizes, the item that
reaches it included. A Query of several partitions (``IN``, ``OR``) reads them in turn
within one page's bounds. A page that stopped at a bound answers ``NextToken`` and, as
the API reference describes, ``LastEvaluatedKey`` (whether DynamoDB still sends both
is not verified: it answered ``LastEvaluatedKey`` alone for a while, boto3 issue 3526).

**NextToken** is Altus's own: the partition the page stopped in and the key of the
last item it evaluated, bound to the statement by a digest of its text, its
parameters and the table (and index) it read. A token of another statement is refused
("NextToken does not match request"), one that does not decode "Invalid NextToken"
(DynamoDB Local's texts; DynamoDB's are not verified). Tokens do not expire here.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from altus.dynamodb import paging, query_api, selection
from altus.dynamodb.component import DynamoDB
from altus.dynamodb.errors import ValidationException
from altus.dynamodb.expressions import KeyPlan, evaluate
from altus.dynamodb.partiql_plans import Read, shape
from altus.dynamodb.rows import table_key
from altus.dynamodb.store import Row, ScanRange
from altus.dynamodb.transaction_tokens import fingerprint
from altus.dynamodb.values import item_size, type_of

#: DynamoDB Local's texts.
TOKEN_MISMATCH = "NextToken does not match request"
TOKEN_INVALID = "Invalid NextToken"
#: Rows a page evaluates when no Limit is given (the 1 MB bound comes first).
NO_LIMIT = 1 << 31
_VERSION = 1


@dataclass(frozen=True, slots=True)
class Resume:
    """Where a page starts: after ``key`` (a LastEvaluatedKey) in partition
    ``partition`` (0 for a Scan)."""

    partition: int
    key: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Page:
    items: list[dict[str, Any]]
    #: Bytes read: what the page's capacity is priced on.
    size: int
    #: Where the next page starts (None: the read ended within this page).
    next: Resume | None


def statement_digest(statement: str, parameters: Sequence[Any] | None, read: Read) -> str:
    """What a NextToken is bound to."""
    index = read.index.name if read.index is not None else None
    return fingerprint([statement, list(parameters or ()), read.table.id, index])


def encode_token(digest: str, resume: Resume) -> str:
    key = {name: _plain(value) for name, value in resume.key.items()}
    text = json.dumps({"v": _VERSION, "d": digest, "p": resume.partition, "k": key})
    return base64.urlsafe_b64encode(text.encode()).decode()


def _plain(value: Mapping[str, Any]) -> dict[str, str]:
    kind = type_of(value)
    if kind == "B":
        return {"B": base64.b64encode(bytes(value["B"])).decode()}
    return {kind: str(value[kind])}


def decode_token(token: str, digest: str, read: Read) -> Resume:
    """The page a NextToken continues, checked against the statement and its read."""
    try:
        found = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, binascii.Error):
        raise ValidationException(TOKEN_INVALID) from None
    if not isinstance(found, dict) or found.get("v") != _VERSION:
        raise ValidationException(TOKEN_INVALID)
    if found.get("d") != digest:
        raise ValidationException(TOKEN_MISMATCH)
    partition, plain = found.get("p"), found.get("k")
    partitions = len(read.partitions) if read.partitions is not None else 1
    if not isinstance(partition, int) or not 0 <= partition < partitions:
        raise ValidationException(TOKEN_INVALID)
    return Resume(partition, _key(plain, read))


def _key(plain: Any, read: Read) -> dict[str, Any]:
    """A token's key, back as attribute values of the key schemas' names and types."""
    schemas = [read.table.key] + ([read.index.key] if read.index is not None else [])
    wanted = {
        name: kind
        for schema in schemas
        for name, kind in (
            (schema.hash_name, schema.hash_type),
            (schema.range_name, schema.range_type),
        )
        if name is not None and kind is not None
    }
    if not isinstance(plain, dict) or set(plain) != set(wanted):
        raise ValidationException(TOKEN_INVALID)
    key: dict[str, Any] = {}
    for name, kind in wanted.items():
        value = plain[name]
        if not isinstance(value, dict) or set(value) != {kind} or not isinstance(value[kind], str):
            raise ValidationException(TOKEN_INVALID)
        try:
            key[name] = {"B": base64.b64decode(value["B"], validate=True)} if kind == "B" else value
        except binascii.Error:
            raise ValidationException(TOKEN_INVALID) from None
    return key


async def read_page(dynamodb: DynamoDB, read: Read, limit: int, resume: Resume | None) -> Page:
    """One page of ``read``, from ``resume`` (None: the start)."""
    rows, stopped_in = await _rows(dynamodb, read, limit, resume)
    size = sum(row.size for row in rows)
    pairs: list[tuple[Mapping[str, Any], Mapping[str, Any]]] = [
        (row.item, row.item) for row in rows
    ]
    if read.returned.fetch and rows:
        # A local index's rows, completed from the table (one read for the page); an
        # item gone since the index was read is passed over.
        wholes = await dynamodb.get(read.table, [table_key(read.table, row.item) for row in rows])
        size += sum(item_size(whole) for whole in wholes if whole is not None)
        pairs = [(row.item, whole) for row, whole in zip(rows, wholes, strict=True) if whole]
    items = [
        _shown(row, whole, read)
        for row, whole in pairs
        if read.condition is None or evaluate(read.condition, whole)
    ]
    following = None
    if stopped_in is not None:
        last = paging.last_key(rows[-1].item, read.table, read.index)
        following = Resume(stopped_in, last)
    return Page(items, size, following)


def _shown(row: Mapping[str, Any], whole: Mapping[str, Any], read: Read) -> dict[str, Any]:
    if read.projection is None:
        return selection.shown(row, whole, read.returned, read.table, read.index)
    return shape(whole, read.projection)


async def _rows(
    dynamodb: DynamoDB, read: Read, limit: int, resume: Resume | None
) -> tuple[list[Row], int | None]:
    """The rows a page reads, and the partition it stopped in at a bound (None: it
    read to the end)."""
    bound = query_api.MAX_PAGE_BYTES
    table, index = read.table, read.index
    if read.partitions is None:
        after = paging.scan_after(resume.key, table, index) if resume is not None else None
        found = await dynamodb.scan(ScanRange(table, index, 0, 1, after), limit, bound)
        full = bool(found) and (len(found) >= limit or sum(row.size for row in found) >= bound)
        return found, (0 if full else None)
    rows: list[Row] = []
    size = 0
    first = resume.partition if resume is not None else 0
    for at in range(first, len(read.partitions)):
        plan = KeyPlan(read.partitions[at], read.range)
        key_range = query_api.key_range(table, index, plan, forward=read.forward)
        if resume is not None and at == first:
            key_range = replace(key_range, after=paging.query_after(resume.key, table, index))
        found = await dynamodb.query(key_range, limit - len(rows), bound - size)
        rows.extend(found)
        size += sum(row.size for row in found)
        if found and (len(rows) >= limit or size >= bound):
            return rows, at
    return rows, None

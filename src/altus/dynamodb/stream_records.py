"""A table's change as its stream records it (DynamoDB Streams' ``Record``): INSERT,
MODIFY or REMOVE, the item's key, and the images the stream's view type keeps. Written
by the store in the transaction of the change itself, so a committed write always has
its record and a write that failed has none; a write that leaves the item as it was
(the same attributes and values) has none, as DynamoDB writes none. Pure: no I/O.

Sequence numbers are decimal strings of 21 digits (``100000000000000000001`` for the
first record of a stream), increasing in commit order, so they compare as strings and
as numbers alike."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from altus.dynamodb.model import NEW_AND_OLD_IMAGES, NEW_IMAGE, OLD_IMAGE, Stream, Table
from altus.dynamodb.rows import table_key
from altus.dynamodb.values import Item, equal, item_size

INSERT = "INSERT"
MODIFY = "MODIFY"
REMOVE = "REMOVE"
#: Who deleted an item its time to live expired (``userIdentity``).
TTL_IDENTITY = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
_FIRST = 10**20


def sequence_number(seq: int) -> str:
    return str(_FIRST + seq)


def sequence_of(text: str) -> int:
    """The store's sequence of a sequence number; ValueError if it is not one."""
    value = int(text)
    if value <= _FIRST or len(text) != 21:
        raise ValueError(text)
    return value - _FIRST


def changed(old: Item | None, new: Item | None) -> bool:
    """Whether the write changed the item (a stream record is written only then)."""
    if old is None or new is None:
        return old is not new
    if old.keys() != new.keys():
        return True
    return not all(equal(old[name], new[name]) for name in old)


def record(
    table: Table,
    stream: Stream,
    old: Item | None,
    new: Item | None,
    *,
    region: str,
    now: float,
    expired: bool = False,
) -> dict[str, Any]:
    """The stream record of a change (its ``SequenceNumber`` is set by the store as it
    writes it). ``expired``: a deletion of the time to live."""
    kind = INSERT if old is None else REMOVE if new is None else MODIFY
    present = new if new is not None else old
    assert present is not None
    change: dict[str, Any] = {
        "ApproximateCreationDateTime": float(int(now)),
        "Keys": table_key(table, present),
    }
    if new is not None and stream.view_type in (NEW_IMAGE, NEW_AND_OLD_IMAGES):
        change["NewImage"] = dict(new)
    if old is not None and stream.view_type in (OLD_IMAGE, NEW_AND_OLD_IMAGES):
        change["OldImage"] = dict(old)
    change["SizeBytes"] = sum(
        item_size(image)
        for image in (change["Keys"], change.get("NewImage"), change.get("OldImage"))
        if image is not None
    )
    change["StreamViewType"] = stream.view_type
    shown: dict[str, Any] = {
        "eventID": uuid.uuid4().hex,
        "eventName": kind,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": change,
    }
    if expired:
        shown["userIdentity"] = dict(TTL_IDENTITY)
    return shown


def with_sequence(shown: Mapping[str, Any], seq: int) -> dict[str, Any]:
    """``shown`` with its sequence number (in ``dynamodb``, after ``SizeBytes``'s
    neighbours as DynamoDB orders them)."""
    change = dict(shown["dynamodb"])
    change["SequenceNumber"] = sequence_number(seq)
    return {**shown, "dynamodb": change}

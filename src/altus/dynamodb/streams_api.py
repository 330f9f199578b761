"""The DynamoDB Streams API (botocore's ``dynamodbstreams``): ListStreams,
DescribeStream, GetShardIterator, GetRecords over the tables' streams; members in,
members out. The component is a view of the DynamoDB component's tables and store,
and registers the tables' streams as the ``dynamodb`` source of event source mappings
(``stream_source``).

A shard iterator is opaque to clients but holds everything a read needs (the stream,
the shard, the sequence it reads after, when it was made), so nothing is kept per
iterator here: it expires 15 minutes after it was made, as DynamoDB's do, and each
GetRecords hands out a fresh one. It is signed (HMAC-SHA256) with a key the component
makes when it is built, at each start of the server: an iterator is its holder's
permission to read on from where it points, and GetRecords reads only what an iterator
this server made names (it is authorised on that iterator's stream: ``actions``). The
key is kept nowhere, so an iterator made before a restart no longer verifies and
GetRecords answers ExpiredIteratorException, as for one past its 15 minutes: readers
ask for a new iterator then, as they must every 15 minutes anyway (a forged iterator
gets the same answer and reads nothing).

Texts: ``Requested resource not found: Stream: <arn> not found`` is DynamoDB Local's,
``Requested resource not found: Shard does not exist`` and ``Invalid ShardId in
ShardIterator`` were seen from DynamoDB Streams itself (clients' reports). The
expired and trimmed texts are the API reference's descriptions of those errors; the
texts for a malformed iterator or sequence number, and for a missing SequenceNumber or
Timestamp, are not documented and are Altus's own.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from altus.api.spec import Call, Context, Members, Operation
from altus.api.validate import Problem, coral_message
from altus.dynamodb.component import DynamoDB
from altus.dynamodb.errors import (
    ExpiredIterator,
    StreamNotFound,
    StreamsInternal,
    StreamsValidation,
    TrimmedDataAccess,
)
from altus.dynamodb.model import Stream, Table
from altus.dynamodb.stream_records import sequence_number, sequence_of
from altus.dynamodb.stream_source import TableStreamSource, find, listed, shard_id
from altus.store.database import DatabaseError

log = logging.getLogger(__name__)
T = TypeVar("T")

#: A shard iterator is good for this long after it was made (seconds).
ITERATOR_LIFE = 15 * 60.0
#: The most streams ListStreams and shards DescribeStream answer with (and their default).
MAX_PAGE = 100
#: GetRecords: at most this many records (the default too) and about this many bytes.
MAX_RECORDS = 1000
MAX_BYTES = 1024 * 1024

SHARD_NOT_FOUND = "Requested resource not found: Shard does not exist"
SHARD_NOT_IN_ITERATOR = "Invalid ShardId in ShardIterator"
EXPIRED = "The provided iterator exceeds the maximum age allowed."
TRIMMED = "The operation attempted to read past the oldest stream record in a shard."
#: Not documented: Altus's words.
INVALID_ITERATOR = "Invalid ShardIterator."

_ITERATOR_VERSION = 1


class Streams:
    """The DynamoDB Streams service's component: a view of the tables' streams."""

    def __init__(self, context: Context) -> None:
        self.tables: DynamoDB = context.component("dynamodb")
        self.source = TableStreamSource(self.tables)
        #: What this run signs its shard iterators with (module docstring).
        self.key = secrets.token_bytes(32)
        context.sources.register("dynamodb", self.source)

    async def start(self) -> None:
        await self.source.start()

    def interrupt(self) -> None:
        return None  # the tables' component wakes every stream reader

    async def close(self) -> None:
        await self.source.close()

    def arn(self, name: str) -> str:
        """A table's ARN (what ListStreams by TableName is authorised on)."""
        return self.tables.arn(name)

    def now(self) -> float:
        return self.tables.now()

    def stream(self, arn: str) -> tuple[Table, Stream]:
        found = find(self.tables.tables, arn, self.now())
        if found is None:
            raise StreamNotFound(f"Requested resource not found: Stream: {arn} not found")
        return found

    async def bounds(self, arn: str) -> tuple[int | None, int | None]:
        return await self._guard(self.tables.store.stream_bounds(arn))

    async def records(
        self, arn: str, after: int | None, limit: int
    ) -> list[tuple[int, dict[str, Any]]]:
        return await self._guard(self.tables.store.stream_records(arn, after, limit))

    async def _guard(self, work: Awaitable[T]) -> T:
        try:
            return await work
        except DatabaseError as error:
            log.exception("DynamoDB Streams could not read the store")
            raise StreamsInternal("Internal server error") from error


def build(context: Context) -> Streams:
    return Streams(context)


# --- iterators (pure) ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ShardIterator:
    """Where a reader is: after sequence ``after`` of the shard (None: before the
    oldest record kept, wherever trimming has moved it), since ``made``.

    Its text is the base64 of the JSON of what it holds, a dot, and the base64 of the
    HMAC-SHA256 of that JSON under the key of the run that made it."""

    stream_arn: str
    shard_id: str
    after: int | None
    made: float

    def encode(self, key: bytes) -> str:
        document = [_ITERATOR_VERSION, self.stream_arn, self.shard_id, self.after, self.made]
        payload = json.dumps(document, separators=(",", ":")).encode()
        return f"{_b64(payload)}.{_b64(_signature(key, payload))}"

    @classmethod
    def decode(cls, text: str) -> ShardIterator | None:
        """What ``text`` says, its signature not checked (``signed``), or None if it is
        no iterator of ours in form."""
        body, dot, _ = text.partition(".")
        if not dot:
            return None
        try:
            document = json.loads(base64.urlsafe_b64decode(body.encode()))
        except (ValueError, binascii.Error, UnicodeError):
            return None
        if not isinstance(document, list) or len(document) != 5:
            return None
        version, arn, shard, after, made = document
        if (
            version != _ITERATOR_VERSION
            or not isinstance(arn, str)
            or not isinstance(shard, str)
            or not (after is None or (isinstance(after, int) and after >= 0))
            or not isinstance(made, (int, float))
        ):
            return None
        return cls(arn, shard, after, float(made))

    @staticmethod
    def signed(text: str, key: bytes) -> bool:
        """Whether ``text`` was made by ``encode`` with ``key``."""
        body, _, signature = text.partition(".")
        try:
            payload = base64.urlsafe_b64decode(body.encode())
            given = base64.urlsafe_b64decode(signature.encode())
        except (ValueError, binascii.Error, UnicodeError):
            return False
        return hmac.compare_digest(given, _signature(key, payload))

    def expired(self, now: float) -> bool:
        return now - self.made > ITERATOR_LIFE


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


def _signature(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, payload, hashlib.sha256).digest()


def _too_large(member: str, value: int, most: int) -> StreamsValidation:
    problem = Problem(
        "constraint",
        member,
        member[:1].lower() + member[1:],
        f"'{value}'",
        f"Member must have value less than or equal to {most}",
    )
    return StreamsValidation(coral_message([problem]))


def _limit(input: Members, most: int) -> int:
    limit: int = input.get("Limit") or most
    if limit > most:
        raise _too_large("Limit", limit, most)
    return limit


def _key_schema(table: Table) -> list[dict[str, str]]:
    schema = [{"AttributeName": table.key.hash_name, "KeyType": "HASH"}]
    if table.key.range_name is not None:
        schema.append({"AttributeName": table.key.range_name, "KeyType": "RANGE"})
    return schema


def first_kept(bounds: tuple[int | None, int | None]) -> int:
    """The sequence a reader from the trim horizon reads first: the oldest kept or, with
    none kept, the next to come."""
    oldest, newest = bounds
    return oldest if oldest is not None else (newest or 0) + 1


def trimmed(after: int | None, bounds: tuple[int | None, int | None]) -> bool:
    """Whether a reader after ``after`` would miss records trimmed since."""
    return after is not None and after < first_kept(bounds) - 1


def sequence_range(stream: Stream, bounds: tuple[int | None, int | None]) -> dict[str, str]:
    """A shard's SequenceNumberRange: from the oldest record kept (or, with none kept,
    the next to come); closed at the newest once the stream is disabled (an empty
    closed shard ends where it starts)."""
    newest = bounds[1]
    starting = first_kept(bounds)
    out = {"StartingSequenceNumber": sequence_number(starting)}
    if not stream.enabled:
        out["EndingSequenceNumber"] = sequence_number(newest if newest is not None else starting)
    return out


def api_record(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored record as GetRecords answers it: the model's members (``userIdentity``
    with the model's ``PrincipalId`` and ``Type``; blobs and the timestamp are the
    protocol's to format)."""
    shown = dict(stored)
    identity = shown.get("userIdentity")
    if isinstance(identity, dict):
        shown["userIdentity"] = {
            "PrincipalId": identity.get("principalId"),
            "Type": identity.get("type"),
        }
    return shown


# --- operations ----------------------------------------------------------------------------------


async def list_streams(streams: Streams, call: Call, input: Members) -> Members:
    limit = _limit(input, MAX_PAGE)
    now = streams.now()
    name = input.get("TableName")
    if name is not None:
        table = streams.tables.tables.get(name)
        if table is None:
            raise StreamNotFound(f"Requested resource not found: Table: {name} not found")
        tables = [table]
    else:
        tables = list(streams.tables.tables.values())
    # In ARN order (table name, then creation): a page resumes after any ARN, even one
    # of a stream gone since.
    found = sorted(
        (stream.arn, table.name, stream.label)
        for table in tables
        for stream in table.streams
        if listed(stream, now)
    )
    start = input.get("ExclusiveStartStreamArn")
    if start is not None:
        found = [entry for entry in found if entry[0] > start]
    page = found[:limit]
    out: Members = {
        "Streams": [
            {"StreamArn": arn, "TableName": table_name, "StreamLabel": label}
            for arn, table_name, label in page
        ]
    }
    if len(found) > limit:
        out["LastEvaluatedStreamArn"] = page[-1][0]
    return out


async def describe_stream(streams: Streams, call: Call, input: Members) -> Members:
    limit = _limit(input, MAX_PAGE)
    table, stream = streams.stream(input["StreamArn"])
    shard = shard_id(stream)
    shards: list[dict[str, Any]] = []
    start = input.get("ExclusiveStartShardId")
    wanted = input.get("ShardFilter")
    # One shard, never split: it has no children (CHILD_SHARDS finds none).
    if wanted is None and (start is None or start < shard) and limit > 0:
        bounds = await streams.bounds(stream.arn)
        shards.append({"ShardId": shard, "SequenceNumberRange": sequence_range(stream, bounds)})
    return {
        "StreamDescription": {
            "StreamArn": stream.arn,
            "StreamLabel": stream.label,
            "StreamStatus": "ENABLED" if stream.enabled else "DISABLED",
            "StreamViewType": stream.view_type,
            "CreationRequestDateTime": stream.created,
            "TableName": table.name,
            "KeySchema": _key_schema(table),
            "Shards": shards,
        }
    }


async def get_shard_iterator(streams: Streams, call: Call, input: Members) -> Members:
    _, stream = streams.stream(input["StreamArn"])
    shard = input["ShardId"]
    if shard != shard_id(stream):
        raise StreamNotFound(SHARD_NOT_FOUND)
    kind = input["ShardIteratorType"]
    oldest, newest = await streams.bounds(stream.arn)
    after: int | None
    if kind == "TRIM_HORIZON":
        after = None
    elif kind == "LATEST":
        # With nothing kept, what comes next is all there is to read.
        after = newest
    elif kind == "AT_TIMESTAMP":
        moment = input.get("Timestamp")
        if moment is None:
            raise StreamsValidation("Timestamp is required when ShardIteratorType is AT_TIMESTAMP.")
        epoch = moment.timestamp() if isinstance(moment, datetime) else float(moment)
        after = await _after_time(streams, stream.arn, epoch, (oldest, newest))
    else:
        text = input.get("SequenceNumber")
        if text is None:
            raise StreamsValidation(f"SequenceNumber is required when ShardIteratorType is {kind}.")
        try:
            number = sequence_of(text)
        except ValueError:
            raise StreamsValidation(f"Invalid SequenceNumber: {text}.") from None
        if newest is not None and number > newest:
            raise StreamsValidation(f"Invalid SequenceNumber: {text} is not in shard {shard}.")
        after = number - 1 if kind == "AT_SEQUENCE_NUMBER" else number
        if trimmed(after, (oldest, newest)):
            raise TrimmedDataAccess(TRIMMED)
    iterator = ShardIterator(stream.arn, shard, after, streams.now())
    return {"ShardIterator": iterator.encode(streams.key)}


async def _after_time(
    streams: Streams, arn: str, epoch: float, bounds: tuple[int | None, int | None]
) -> int | None:
    """The sequence a reader starts after to read the first record made at or after
    ``epoch`` (records carry whole seconds): a binary search over the sequences kept,
    whose times never decrease."""
    oldest, newest = bounds
    if oldest is None or newest is None:
        return None
    wanted = float(int(epoch))
    low, high = oldest, newest + 1
    for _ in range(128):  # halves the range each time: 64-bit sequences end sooner
        if low >= high:
            break
        middle = (low + high) // 2
        rows = await streams.records(arn, middle - 1, 1)
        if not rows or float(rows[0][1]["dynamodb"]["ApproximateCreationDateTime"]) >= wanted:
            high = middle
        else:
            low = min(rows[0][0] + 1, high)
    return low - 1


async def get_records(streams: Streams, call: Call, input: Members) -> Members:
    limit = _limit(input, MAX_RECORDS)
    text = input["ShardIterator"]
    iterator = ShardIterator.decode(text)
    if iterator is None:
        raise StreamsValidation(INVALID_ITERATOR)
    now = streams.now()
    # Not signed with this run's key: made before a restart (or forged).
    if not ShardIterator.signed(text, streams.key) or iterator.expired(now):
        raise ExpiredIterator(EXPIRED)
    _, stream = streams.stream(iterator.stream_arn)
    if iterator.shard_id != shard_id(stream):
        raise StreamNotFound(SHARD_NOT_IN_ITERATOR)
    if trimmed(iterator.after, await streams.bounds(stream.arn)):
        raise TrimmedDataAccess(TRIMMED)
    rows = await streams.records(stream.arn, iterator.after, limit)
    records: list[dict[str, Any]] = []
    size = 0
    for _, stored in rows:
        record_size = int(stored["dynamodb"].get("SizeBytes", 0))
        if records and size + record_size > MAX_BYTES:
            break
        size += record_size
        records.append(api_record(stored))
    more = len(records) < len(rows) or len(rows) >= limit
    out: Members = {"Records": records}
    if stream.enabled or more:
        after = rows[len(records) - 1][0] if records else iterator.after
        following = ShardIterator(stream.arn, iterator.shard_id, after, now)
        out["NextShardIterator"] = following.encode(streams.key)
    return out


OPERATIONS: dict[str, Operation] = {
    "ListStreams": list_streams,
    "DescribeStream": describe_stream,
    "GetShardIterator": get_shard_iterator,
    "GetRecords": get_records,
}

"""Kinesis's record operations: PutRecord, PutRecords, GetShardIterator, GetRecords.

A record's size is its data plus its partition key (UTF-8), at most the stream's
``MaxRecordSizeInKiB`` (1 MiB unless set); PutRecords takes at most 500 records and
5 MiB. Anything malformed in a PutRecords request (a hash key out of range, a record
too large) fails the whole request, as Kinesis fails it; what fails one record alone is
its write (``InternalFailure``), reported in its place with the others written.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from altus.api.spec import Call, Members
from altus.kinesis import iterators, keys, sequences, shapes
from altus.kinesis.component import Entry, Kinesis, Written
from altus.kinesis.errors import (
    DryRun,
    ExpiredIterator,
    InvalidArgument,
    ValidationException,
    shard_missing,
)
from altus.kinesis.model import MAX_GET_BYTES, MAX_GET_RECORDS, MAX_PUT_RECORDS_BYTES, shard_id
from altus.kinesis.naming import missing, named, shard_number
from altus.kinesis.state import StreamState

_FAILED_CODE = "InternalFailure"
_FAILED_MESSAGE = "Internal Service Failure"


def _dry_run(input: Members) -> None:
    """After every check: a DryRun call that would have succeeded changes nothing."""
    if input.get("DryRun"):
        raise DryRun("Request would have succeeded, but DryRun flag is set.")


def _entry(state: StreamState, record: Members, path: str) -> Entry:
    """A record to put, checked against the stream; ``path`` is where the request has
    it, as Coral names members (``partitionKey``, ``records.1.member.partitionKey``)."""
    partition_key = record.get("PartitionKey")
    if partition_key is None:
        raise missing(f"{path}partitionKey")
    explicit = record.get("ExplicitHashKey")
    if explicit is not None:
        hash_key = int(explicit)
        if hash_key > keys.MAX_HASH:
            raise InvalidArgument(
                "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: "
                f"[0, 2^128-1]. Specified value was {explicit}"
            )
    else:
        hash_key = keys.hash_key(partition_key)
    data: bytes = record["Data"]
    limit = state.stream.max_record_kib * 1024
    if len(data) > limit:
        raise ValidationException(
            f"1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim={len(data)} "
            f"cap={len(data)}]' at '{path}data' failed to satisfy constraint: Member must have "
            f"length less than or equal to {limit}"
        )
    size = len(data) + len(partition_key.encode())
    if size > limit:
        raise InvalidArgument(
            f"The record's data ({len(data)} bytes) and partition key "
            f"({size - len(data)} bytes) together exceed the maximum record size of "
            f"{limit} bytes."
        )
    return Entry(partition_key, hash_key, data)


async def put_record(kinesis: Kinesis, call: Call, input: Members) -> Members:
    name = named(kinesis, input)
    state = kinesis.active(name)
    entry = _entry(state, input, "")
    ordering = input.get("SequenceNumberForOrdering")
    if ordering is not None:
        decoded = sequences.decode(ordering)
        if decoded is None or decoded.tag != state.stream.tag or decoded.key > state.last_key:
            # Not one of this stream's numbers (or one not handed out yet). Any of its
            # own is below every new key: the new number is greater, as asked.
            raise InvalidArgument(
                f"ExclusiveMinimumSequenceNumber {ordering} used in PutRecord on stream "
                f"{name} under account {kinesis.account_id} is invalid."
            )
    _dry_run(input)
    state = await kinesis.writable(name)
    written: Written = await kinesis.put(state, [entry])[0]
    return {"ShardId": written.shard_id, "SequenceNumber": written.sequence_number}


async def put_records(kinesis: Kinesis, call: Call, input: Members) -> Members:
    name = named(kinesis, input)
    state = kinesis.active(name)
    given: list[Members] = input["Records"]
    entries = [_entry(state, r, f"records.{i}.member.") for i, r in enumerate(given, 1)]
    total = sum(len(e.data) + len(e.partition_key.encode()) for e in entries)
    if total > MAX_PUT_RECORDS_BYTES:
        raise InvalidArgument("Records size exceeds 5 MB limit")
    _dry_run(input)
    state = await kinesis.writable(name)
    results = await asyncio.gather(*kinesis.put(state, entries), return_exceptions=True)
    answered: list[Members] = []
    failed = 0
    for result in results:
        if isinstance(result, Written):
            answered.append({"SequenceNumber": result.sequence_number, "ShardId": result.shard_id})
        elif isinstance(result, Exception):
            failed += 1
            answered.append({"ErrorCode": _FAILED_CODE, "ErrorMessage": _FAILED_MESSAGE})
        else:
            raise result  # cancelled: the client is gone
    return {"FailedRecordCount": failed, "Records": answered}


# --- reading ---------------------------------------------------------------------------------

_POSITIONS = (
    "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and "
    "StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. "
)


async def get_shard_iterator(kinesis: Kinesis, call: Call, input: Members) -> Members:
    name = named(kinesis, input)
    number = shard_number(kinesis, input["ShardId"], name)
    sid = shard_id(number)
    shard = kinesis.shard_state(name, number)
    if shard is None:
        raise shard_missing(sid, name, kinesis.account_id)
    stream = kinesis.active(name).stream
    kind = input["ShardIteratorType"]
    given = input.get("StartingSequenceNumber")
    now = kinesis.now_ms()
    if kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
        if given is None:
            raise InvalidArgument(
                f"{_POSITIONS}Request specified {kind} and no StartingSequenceNumber."
            )
        key = _starting(kinesis, stream.tag, given, number, name)
        after = key - 1 if kind == "AT_SEQUENCE_NUMBER" else key
    elif kind == "AT_TIMESTAMP":
        if input.get("Timestamp") is None:
            raise InvalidArgument(
                "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. "
                "Current request has no timestamp parameter."
            )
        at = int(input["Timestamp"].timestamp() * 1000)
        if at > now:
            raise InvalidArgument(
                "The timestampInMillis parameter cannot be greater than the "
                f"currentTimestampInMillis. timestampInMillis: {at}, "
                f"currentTimestampInMillis: {now}"
            )
        after = sequences.key_at(at) - 1
    else:
        if given is not None:
            raise InvalidArgument(
                f"{_POSITIONS}Request specified {kind} and also a StartingSequenceNumber."
            )
        after = iterators.TRIM_HORIZON if kind == "TRIM_HORIZON" else shard.last_key
    _dry_run(input)
    return {"ShardIterator": iterators.encode(iterators.Iterator(name, number, after, now))}


def _starting(kinesis: Kinesis, tag: int, given: str, number: int, name: str) -> int:
    """The key a StartingSequenceNumber names, if it is one of this shard's."""
    decoded = sequences.decode(given)
    where = (
        f"StartingSequenceNumber {given} used in GetShardIterator on shard {shard_id(number)} "
        f"in stream {name} under account {kinesis.account_id} is invalid"
    )
    if decoded is None:
        raise InvalidArgument(f"{where}.")
    if decoded.tag != tag:
        raise InvalidArgument(f"{where} because it did not come from this stream.")
    if decoded.shard != number:
        raise InvalidArgument(
            f"Invalid StartingSequenceNumber. It encodes {shard_id(decoded.shard)}, while it "
            f"was used in a call to a shard with {shard_id(number)}"
        )
    return decoded.key


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def java_date(ms: int) -> str:
    """A moment as Java's ``Date.toString`` writes it in UTC (Kinesis's messages)."""
    t = time.gmtime(ms // 1000)
    return (
        f"{_DAYS[t.tm_wday]} {_MONTHS[t.tm_mon - 1]} {t.tm_mday:02d} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} UTC {t.tm_year}"
    )


async def get_records(kinesis: Kinesis, call: Call, input: Members) -> Members:
    iterator = iterators.decode(input["ShardIterator"])
    if iterator is None:
        raise InvalidArgument("Invalid ShardIterator.")
    now = kinesis.now_ms()
    if now - iterator.issued_ms > iterators.LIFETIME_MS:
        raise ExpiredIterator(
            f"Iterator expired. The iterator was created at time {java_date(iterator.issued_ms)} "
            f"while right now it is {java_date(now)} which is further in the future than the "
            f"tolerated delay of {iterators.LIFETIME_MS} milliseconds."
        )
    _dry_run(input)
    name, number = iterator.stream, iterator.shard
    limit = input.get("Limit") or MAX_GET_RECORDS
    read = await kinesis.read_shard(name, number, iterator.after, limit, MAX_GET_BYTES)
    state = kinesis.shard_state(name, number)
    if read is None or state is None:
        raise shard_missing(shard_id(number), name, kinesis.account_id)
    stream = kinesis.active(name).stream
    records: list[Members] = [
        {
            "SequenceNumber": sequences.sequence_number(stream.tag, row.key, number),
            "ApproximateArrivalTimestamp": sequences.arrival_ms(row.key) / 1000,
            "Data": row.data,
            "PartitionKey": row.partition_key,
        }
        for row in read.records
    ]
    answer: dict[str, Any] = {"Records": records, "MillisBehindLatest": read.millis_behind}
    if read.ended:
        answer["ChildShards"] = [
            shapes.child(stream, shard)
            for shard in stream.shards
            if number in (shard.parent, shard.adjacent_parent)
        ]
    else:
        next_iterator = iterators.Iterator(name, number, read.last, now)
        answer["NextShardIterator"] = iterators.encode(next_iterator)
    return answer

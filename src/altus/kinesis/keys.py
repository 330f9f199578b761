"""Hash keys and shard ids: which shard a record goes to, and how shards are named.

A record's hash key is the MD5 digest of its partition key (UTF-8) read as an unsigned
128-bit integer, unless the caller gives an ``ExplicitHashKey``; the shard whose
inclusive range holds it takes the record. A new stream's shards split ``[0, 2^128-1]``
evenly: shard ``i`` of ``n`` starts at ``floor(i * 2^128 / n)``, as Kinesis lays them.

Kinesis reads shard ids loosely: ``shardId-000000000005``, ``shardId-5``, ``shard-5``
and ``5`` all name shard 5 (the digits after the last hyphen, up to 2^31-1); anything
else names no shard at all.
"""

from __future__ import annotations

import hashlib

HASH_SPACE = 2**128
MAX_HASH = HASH_SPACE - 1
#: The largest shard number Kinesis reads from a shard id.
_MAX_SHARD_NUMBER = 2**31 - 1


def hash_key(partition_key: str) -> int:
    """The hash key of a partition key."""
    return int.from_bytes(hashlib.md5(partition_key.encode()).digest(), "big")


def even_ranges(count: int, low: int = 0, high: int = MAX_HASH) -> list[tuple[int, int]]:
    """``count`` inclusive ranges splitting ``[low, high]`` as evenly as integers allow."""
    width = high - low + 1
    starts = [low + (i * width) // count for i in range(count)]
    ends = [start - 1 for start in starts[1:]] + [high]
    return list(zip(starts, ends, strict=True))


def shard_number(text: str) -> int | None:
    """The shard a shard id names, read as Kinesis reads it; None if it names none."""
    digits = text.rsplit("-", 1)[-1]
    if not digits or not digits.isascii() or not digits.isdigit():
        return None
    number = int(digits)
    return number if number <= _MAX_SHARD_NUMBER else None

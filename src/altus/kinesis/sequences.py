"""Sequence numbers, and the keys records are stored and ordered by.

A record's **key** is one 63-bit integer per stream: its arrival time in milliseconds
shifted left by 20 bits, plus a count within that millisecond, and always above the
stream's previous key (``next_key``). So keys increase across the whole stream (and
within each shard), the arrival time is read back from the key (no column of its own),
and "records that arrived at or after T" is a key range: AT_TIMESTAMP iterators and the
retention cutoff are plain range bounds, never a scan. 2^20 records per millisecond per
stream is more than a machine writes; past it a key runs into the next millisecond,
which only moves its arrival time a millisecond on. Keys fit in a signed 64-bit integer
until the year 2248.

A **sequence number** is 56 decimal digits, as Kinesis's usually are:
``49`` + the stream's 16-digit tag + the key (20 digits) + the shard (18 digits). Its
value orders as its key within a stream (the tag is the same for every record of it);
the tag says which stream (incarnation) it came from and the last digits which shard,
so a number from elsewhere is refused in AWS's words rather than read as a position.
"""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "49"
LENGTH = 56
KEY_BITS = 20
_TAG_DIGITS = 16
_KEY_DIGITS = 20
_SHARD_DIGITS = LENGTH - len(PREFIX) - _TAG_DIGITS - _KEY_DIGITS


def key_at(ms: int) -> int:
    """The first key of millisecond ``ms`` (0 for anything before the epoch)."""
    return max(ms, 0) << KEY_BITS


def arrival_ms(key: int) -> int:
    """When the record of ``key`` arrived (epoch milliseconds)."""
    return key >> KEY_BITS


def next_key(last: int, now_ms: int) -> int:
    """The key of a record arriving at ``now_ms`` after a record of key ``last``."""
    return max(last + 1, key_at(now_ms))


def sequence_number(tag: int, key: int, shard: int) -> str:
    return f"{PREFIX}{tag:0{_TAG_DIGITS}d}{key:0{_KEY_DIGITS}d}{shard:0{_SHARD_DIGITS}d}"


@dataclass(frozen=True, slots=True)
class Decoded:
    tag: int
    key: int
    shard: int


def decode(text: str) -> Decoded | None:
    """The parts of a sequence number Altus made; None for any other digits."""
    if len(text) != LENGTH or not text.startswith(PREFIX) or not text.isdigit():
        return None
    tag_end = len(PREFIX) + _TAG_DIGITS
    key_end = tag_end + _KEY_DIGITS
    return Decoded(
        int(text[len(PREFIX) : tag_end]), int(text[tag_end:key_end]), int(text[key_end:])
    )

"""Shard iterators: opaque to clients, and expiring five minutes after they are made.

An iterator carries the stream's name, the shard, the key it reads after (-1: from the
oldest record kept) and when it was made, packed and base64-encoded with a short keyed
checksum, so text that is not an iterator Altus made is refused (``Invalid
ShardIterator.``) rather than read. It names no stream incarnation: as with Kinesis, an
iterator of a stream deleted and made again reads the new stream's shard of that
number. Nothing in it is secret, and it grants nothing: GetRecords is authorised on the
stream it names.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass

#: How long an iterator may be used after it was made (Kinesis's tolerated delay).
LIFETIME_MS = 300_000
#: The key an iterator reads after to start at the oldest record kept.
TRIM_HORIZON = -1

_VERSION = 1
_HEAD = struct.Struct(">BqIq")
_CHECK = 6
_CHECK_KEY = b"altus-kinesis-shard-iterator"


@dataclass(frozen=True, slots=True)
class Iterator:
    stream: str
    shard: int
    after: int
    issued_ms: int


def _checksum(payload: bytes) -> bytes:
    return hashlib.blake2b(payload, digest_size=_CHECK, key=_CHECK_KEY).digest()


def encode(iterator: Iterator) -> str:
    payload = _HEAD.pack(_VERSION, iterator.issued_ms, iterator.shard, iterator.after)
    payload += iterator.stream.encode()
    return base64.b64encode(payload + _checksum(payload)).decode()


def decode(text: str) -> Iterator | None:
    """The iterator ``text`` is; None if Altus did not make it."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        return None
    payload, check = raw[:-_CHECK], raw[-_CHECK:]
    if len(payload) <= _HEAD.size or _checksum(payload) != check:
        return None
    version, issued_ms, shard, after = _HEAD.unpack_from(payload)
    if version != _VERSION:
        return None
    try:
        name = payload[_HEAD.size :].decode()
    except UnicodeDecodeError:
        return None
    return Iterator(name, shard, after, issued_ms)

"""Key attribute values as bytes whose order is DynamoDB's order, so the store answers
a Query with a range scan over a (partition, sort) index, comparing plain bytes (as
PostgreSQL's ``bytea`` and SQLite's BLOBs compare: unsigned, byte by byte, a prefix
first). Pure: no I/O.

Each encoding stands for values of one type (a key attribute has one type, fixed by
the table), so no type tag is written and :func:`decode` is told the type:

- **S**: the string's UTF-8 bytes. DynamoDB orders strings by their UTF-8 bytes.
- **B**: the bytes themselves. DynamoDB orders binary values as unsigned bytes.
- **N**: a sign byte, then (unless the number is zero) an exponent byte and the
  significant digits in base 100, one byte per pair::

      zero        02
      positive    03  E+130      p1 p2 ... pk
      negative    01  255-E-130  99-p1 ... 99-pk  FF

  ``E`` is the power of ten of the first significant digit (-130 .. 125 for every
  DynamoDB number, so ``E + 130`` fills one byte exactly: 0 .. 255) and ``p1 .. pk``
  are the significant digits read two at a time from the first, the last padded with
  a 0 (12345 and 1.2345 are both ``12 34 50``), so the last pair is never ``00``.
  Among positives the larger exponent is the larger number, and at one exponent the
  pairs compare as the digits do, the shorter of two runs sharing a prefix being the
  smaller (0.1 < 0.105). Negatives invert the exponent and the pairs, and their end
  byte ``FF`` (above any inverted pair) makes the longer run the smaller (-0.105 <
  -0.1). A number's encoding is at most 22 bytes.

:func:`begins_with_range` gives the [low, high) byte range of the S or B values
starting with a prefix: from the prefix itself up to the prefix with its trailing
``FF`` bytes dropped and its last byte then raised by one (no upper bound if nothing
is left). A UTF-8 prefix is whole characters, so its bytes begin exactly the
encodings of the strings that begin with it.

:func:`partition_hash` is a stable digest of a partition key value, for spreading
items over partitions or workers. It is Altus's own (BLAKE2b of the type and the
encoding above), not DynamoDB's internal hash: nothing outside Altus can see it.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

from altus.dynamodb.values import AttributeValue, digits_of, number, number_text, type_of

_NEGATIVE, _ZERO, _POSITIVE = 1, 2, 3
_EXPONENT_BIAS = 130
_NEGATIVE_END = 0xFF


def encode(value: AttributeValue) -> bytes:
    """The order-preserving bytes of an S, N or B value (TypeError for other types)."""
    kind = type_of(value)
    if kind == "S":
        text: str = value["S"]
        return text.encode()
    if kind == "B":
        return bytes(value["B"])
    if kind == "N":
        return _encode_number(number(value["N"]))
    raise TypeError(f"a key attribute is S, N or B, not {kind}")


def decode(kind: str, data: bytes) -> AttributeValue:
    """The value of type ``kind`` (S, N or B) that :func:`encode` made ``data`` of."""
    if kind == "S":
        return {"S": data.decode()}
    if kind == "B":
        return {"B": bytes(data)}
    if kind == "N":
        return {"N": number_text(_decode_number(data))}
    raise TypeError(f"a key attribute is S, N or B, not {kind}")


def begins_with_range(prefix: AttributeValue) -> tuple[bytes, bytes | None]:
    """The [low, high) range of encodings of the S or B values that begin with
    ``prefix``; high is None when no byte string bounds it (an empty prefix, or one
    of ``FF`` bytes only)."""
    kind = type_of(prefix)
    if kind not in ("S", "B"):
        raise TypeError(f"begins_with takes an S or B value, not {kind}")
    low = encode(prefix)
    stem = low.rstrip(b"\xff")
    if not stem:
        return low, None
    return low, stem[:-1] + bytes([stem[-1] + 1])


def partition_hash(value: AttributeValue) -> bytes:
    """A stable 16-byte digest of a key value (numbers by value: 1 and 1.0 agree).
    Altus's own, for spreading; not the hash DynamoDB partitions by."""
    return hashlib.blake2b(
        type_of(value).encode() + b"\x00" + encode(value), digest_size=16
    ).digest()


def _encode_number(value: Decimal) -> bytes:
    negative, digits, exponent = digits_of(value)
    if not digits:
        return bytes([_ZERO])
    # Past number(), the first digit's power is within -130 .. 125: one byte.
    biased = exponent + len(digits) - 1 + _EXPONENT_BIAS
    padded = digits if len(digits) % 2 == 0 else digits + "0"
    pairs = [int(padded[i : i + 2]) for i in range(0, len(padded), 2)]
    if not negative:
        return bytes([_POSITIVE, biased, *pairs])
    return bytes([_NEGATIVE, 255 - biased, *(99 - pair for pair in pairs), _NEGATIVE_END])


def _decode_number(data: bytes) -> Decimal:
    if data == bytes([_ZERO]):
        return Decimal(0)
    sign = data[0] if data else None
    if sign == _POSITIVE and len(data) >= 3:
        biased, pairs = data[1], list(data[2:])
    elif sign == _NEGATIVE and len(data) >= 4 and data[-1] == _NEGATIVE_END:
        biased, pairs = 255 - data[1], [99 - byte for byte in data[2:-1]]
    else:
        raise ValueError(f"not an encoded number: {data.hex()}")
    # Every pair a base-100 digit, the last never 00 (encode strips trailing zeros).
    if any(not 0 <= pair <= 99 for pair in pairs) or pairs[-1] == 0:
        raise ValueError(f"not an encoded number: {data.hex()}")
    digits = "".join(f"{pair:02d}" for pair in pairs).rstrip("0")
    first_power = biased - _EXPONENT_BIAS
    exponent = first_power - len(digits) + 1
    text = f"{'-' if sign == _NEGATIVE else ''}{digits}E{exponent}"
    return number(text)

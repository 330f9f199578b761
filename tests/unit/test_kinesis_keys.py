"""Kinesis's pure parts: hash keys and shard ids, sequence numbers and keys, shard
iterators, the CBOR refusal's encoding and the dates in Kinesis's messages."""

from __future__ import annotations

import base64
import hashlib
import itertools

import pytest

from altus.kinesis import cbor, iterators, keys, sequences
from altus.kinesis.records_api import java_date


def test_hash_keys_are_md5_as_unsigned_128_bit_integers() -> None:
    assert keys.hash_key("a") == 0x0CC175B9C0F1B6A831C399E269772661
    assert keys.hash_key("é") == int(hashlib.md5("é".encode()).hexdigest(), 16)
    assert 0 <= keys.hash_key("anything") <= keys.MAX_HASH


def test_even_ranges_split_the_hash_space_as_kinesis_does() -> None:
    assert keys.even_ranges(1) == [(0, 2**128 - 1)]
    thirds = keys.even_ranges(3)
    assert thirds == [
        (0, 113427455640312821154458202477256070484),
        (113427455640312821154458202477256070485, 226854911280625642308916404954512140969),
        (226854911280625642308916404954512140970, 2**128 - 1),
    ]
    for count in (2, 5, 7, 500):
        ranges = keys.even_ranges(count)
        assert ranges[0][0] == 0 and ranges[-1][1] == keys.MAX_HASH
        assert all(a[1] + 1 == b[0] for a, b in itertools.pairwise(ranges))
    assert keys.even_ranges(2, 10, 19) == [(10, 14), (15, 19)]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("shardId-000000000005", 5),
        ("shardId-5", 5),
        ("shard-5", 5),
        ("anything-0", 0),
        ("2147483647", 2147483647),
        ("a-00002147483647", 2147483647),
        ("-00002147483647", 2147483647),
        ("2147483648", None),
        ("shardId-002147483648", None),
        ("ABKLFD8", None),
        ("2.14E4", None),
        ("shardId-", None),
        ("shardId-٣", None),
    ],
)
def test_shard_ids_are_read_as_kinesis_reads_them(text: str, number: int | None) -> None:
    assert keys.shard_number(text) == number


def test_sequence_numbers_are_56_digits_ordered_by_key() -> None:
    tag = 1_700_000_000_000_123
    first = sequences.sequence_number(tag, 5, 7)
    assert len(first) == 56 and first.startswith("49") and first.isdigit()
    assert sequences.decode(first) == sequences.Decoded(tag, 5, 7)
    later = sequences.sequence_number(tag, 6, 0)
    assert int(later) > int(first)
    assert sequences.decode("12345") is None
    assert sequences.decode("5" * 56) is None
    assert sequences.decode("49" + "x" * 54) is None


def test_keys_carry_arrival_time_and_always_increase() -> None:
    now = 1_700_000_000_123
    key = sequences.next_key(0, now)
    assert sequences.arrival_ms(key) == now
    same_ms = sequences.next_key(key, now)
    assert same_ms == key + 1 and sequences.arrival_ms(same_ms) == now
    # A clock that went back gives a key above the last, at the last one's time.
    behind = sequences.next_key(same_ms, now - 5000)
    assert behind == same_ms + 1 and sequences.arrival_ms(behind) == now
    assert sequences.key_at(-5) == 0
    assert sequences.key_at(now) < 2**63 and sequences.key_at(8_700_000_000_000) < 2**63


def test_iterators_round_trip_and_refuse_anything_else() -> None:
    made = iterators.Iterator("my-stream", 3, 12345, 1_700_000_000_000)
    text = iterators.encode(made)
    assert len(text) <= 512
    assert iterators.decode(text) == made
    assert iterators.decode(iterators.encode(iterators.Iterator("s", 0, -1, 0))) is not None
    raw = bytearray(base64.b64decode(text))
    raw[3] ^= 1
    assert iterators.decode(base64.b64encode(bytes(raw)).decode()) is None
    for junk in ("", "x", "not base64!", "bm90IGFuIGl0ZXJhdG9y", "é", "A" * 512):
        assert iterators.decode(junk) is None


def test_cbor_requests_are_told_by_their_content_type() -> None:
    scope = {"headers": [(b"content-type", b"application/x-amz-cbor-1.1; charset=x")]}
    assert cbor.is_cbor(scope)
    assert not cbor.is_cbor({"headers": [(b"content-type", b"application/x-amz-json-1.1")]})
    assert not cbor.is_cbor({"headers": []})


def test_dates_are_written_as_java_writes_them() -> None:
    assert java_date(1_700_000_000_000) == "Tue Nov 14 22:13:20 UTC 2023"
    assert java_date(0) == "Thu Jan 01 00:00:00 UTC 1970"

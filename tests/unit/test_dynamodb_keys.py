"""Key values as bytes: byte order is DynamoDB's order for strings, numbers and binary
values, the bytes decode back to the value, begins_with is a byte range, and the
partition hash is stable."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from altus.dynamodb import keys, values

PROPERTIES = settings(deadline=None, max_examples=400)


def _number(negative: bool, coefficient: int, adjusted: int) -> dict[str, str]:
    """A DynamoDB number: ``coefficient`` (1 .. 38 digits) with its first digit at the
    power ``adjusted`` (-130 .. 125)."""
    digits = str(coefficient)
    exponent = adjusted - len(digits) + 1
    return {"N": values.number_text(Decimal((int(negative), tuple(map(int, digits)), exponent)))}


numbers = st.one_of(
    st.just({"N": "0"}),
    st.builds(
        _number,
        st.booleans(),
        st.integers(1, 10**38 - 1),
        st.integers(values.MIN_EXPONENT, values.MAX_EXPONENT),
    ),
    # Near neighbours: shared prefixes, a digit apart, small exponents.
    st.builds(_number, st.booleans(), st.integers(1, 1000), st.integers(-3, 3)),
)
strings = st.builds(lambda text: {"S": text}, st.text())
binaries = st.builds(lambda data: {"B": data}, st.binary())


def _order(a: bytes, b: bytes) -> int:
    return int(a > b) - int(a < b)


@PROPERTIES
@given(
    st.one_of(
        st.tuples(numbers, numbers), st.tuples(strings, strings), st.tuples(binaries, binaries)
    )
)
def test_byte_order_is_dynamodb_order(pair: tuple[Any, Any]) -> None:
    a, b = pair
    assert _order(keys.encode(a), keys.encode(b)) == values.compare(a, b)


@PROPERTIES
@given(st.one_of(numbers, strings, binaries))
def test_encodings_decode_to_the_value(value: Any) -> None:
    kind = values.type_of(value)
    assert keys.decode(kind, keys.encode(value)) == value


@PROPERTIES
@given(st.one_of(st.tuples(strings, strings), st.tuples(binaries, binaries)))
def test_begins_with_is_the_byte_range(pair: tuple[Any, Any]) -> None:
    prefix, value = pair
    kind = values.type_of(prefix)
    low, high = keys.begins_with_range(prefix)
    data = keys.encode(value)
    inside = low <= data and (high is None or data < high)
    assert inside == value[kind].startswith(prefix[kind])
    # The value with the prefix in front is always inside.
    longer = keys.encode({kind: prefix[kind] + value[kind]})
    assert low <= longer and (high is None or longer < high)


SORTED_NUMBERS = [
    "-9.9999999999999999999999999999999999999E+125",
    "-1E+125",
    "-123456789012345678901234567890123456.78",
    "-100",
    "-99.5",
    "-10",
    "-9.99",
    "-1.05",
    "-1.0000000000000000000000000000000000001",
    "-1",
    "-0.105",
    "-0.1",
    "-1E-129",
    "-1E-130",
    "0",
    "1E-130",
    "1.5E-130",
    "1E-129",
    "0.1",
    "0.105",
    "1",
    "1.0000000000000000000000000000000000001",
    "1.05",
    "9.99",
    "10",
    "99.5",
    "100",
    "123456789012345678901234567890123456.78",
    "1E+125",
    "9.9999999999999999999999999999999999999E+125",
]


def test_numbers_sort_from_most_negative_to_largest() -> None:
    encoded = [keys.encode({"N": text}) for text in SORTED_NUMBERS]
    assert encoded == sorted(encoded)
    assert len(set(encoded)) == len(encoded)
    for a, b in itertools.pairwise(SORTED_NUMBERS):
        assert values.compare({"N": a}, {"N": b}) == -1


@pytest.mark.parametrize(
    ("text", "data"),
    [
        ("0", "02"),
        ("-0", "02"),
        ("1", "03820a"),
        ("1.0", "03820a"),
        ("12345", "03860c2232"),
        ("1.2345", "03820c2232"),
        ("1E-130", "03000a"),
        ("9.9999999999999999999999999999999999999E+125", "03ff" + "63" * 19),
        ("-1", "017d59ff"),
        ("-12345", "01795741_31ff".replace("_", "")),
    ],
)
def test_numbers_encode_as_documented(text: str, data: str) -> None:
    assert keys.encode({"N": text}).hex() == data
    assert keys.decode("N", bytes.fromhex(data)) == {"N": values.number_text(values.number(text))}


def test_the_longest_number_encoding_is_22_bytes() -> None:
    longest = keys.encode({"N": "-1.2345678901234567890123456789012345678E-3"})
    assert len(longest) == 22


@pytest.mark.parametrize(
    ("prefix", "low", "high"),
    [
        ({"S": "ab"}, b"ab", b"ac"),
        ({"S": "é"}, "é".encode(), b"\xc3\xaa"),
        ({"S": ""}, b"", None),
        ({"B": b"\x01\xff"}, b"\x01\xff", b"\x02"),
        ({"B": b"\x00\xff\xff"}, b"\x00\xff\xff", b"\x01"),
        ({"B": b"\xff\xff"}, b"\xff\xff", None),
        ({"B": b""}, b"", None),
    ],
)
def test_begins_with_ranges(prefix: Any, low: bytes, high: bytes | None) -> None:
    assert keys.begins_with_range(prefix) == (low, high)


@pytest.mark.parametrize(
    "value", [{"SS": ["a"]}, {"BOOL": True}, {"NULL": True}, {"L": []}, {"M": {}}]
)
def test_only_s_n_and_b_are_keys(value: Any) -> None:
    with pytest.raises(TypeError):
        keys.encode(value)
    with pytest.raises(TypeError):
        keys.partition_hash(value)


def test_begins_with_takes_strings_and_binary_only() -> None:
    with pytest.raises(TypeError):
        keys.begins_with_range({"N": "1"})
    with pytest.raises(TypeError):
        keys.decode("SS", b"a")


@pytest.mark.parametrize(
    "data",
    ["", "04", "0300", "0382", "03826400", "038200", "03820a00", "017d59", "017d59fe", "0382ff"],
)
def test_bytes_that_are_no_number_are_refused(data: str) -> None:
    with pytest.raises(ValueError):
        keys.decode("N", bytes.fromhex(data))


def test_partition_hashes_are_stable_and_by_value() -> None:
    # Pinned: stored data may be laid out by it, so it must not change between versions.
    assert keys.partition_hash({"S": "a"}).hex() == "b9526ed02c6f3a9bee524eda2babf8e6"
    assert keys.partition_hash({"N": "1"}).hex() == "c430cc9d5ec3de8b16284623dac87f5c"
    assert keys.partition_hash({"B": b"1"}).hex() == "4e6b569765fad9da0e5caf7c5465a026"
    assert keys.partition_hash({"N": "1"}) == keys.partition_hash({"N": "1.00"})
    assert keys.partition_hash({"S": "1"}) != keys.partition_hash({"B": b"1"})
    assert keys.partition_hash({"S": "a"}) != keys.partition_hash({"S": "b"})

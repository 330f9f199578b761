"""DynamoDB's attribute values: numbers read, written and summed as DynamoDB does,
values checked and normalised in DynamoDB's words, item sizes by its rules, and
values compared and matched."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from altus.dynamodb import values
from altus.dynamodb.values import ValueProblem

INVALID = "One or more parameter values were invalid: "


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("1.50", "1.5"),
        ("0010", "10"),
        ("1E+2", "100"),
        ("1e2", "100"),
        ("+1e2", "100"),
        ("1.5E+3", "1500"),
        ("+5", "5"),
        ("+0", "0"),
        ("-0", "0"),
        ("0.000", "0"),
        ("0e1000", "0"),
        ("-7", "-7"),
        (".123", "0.123"),
        ("1.", "1"),
        ("0001.23", "1.23"),
        ("-17.4E37", "-174" + "0" * 36),
        ("1E100", "1" + "0" * 100),
        ("1E-130", "0." + "0" * 129 + "1"),
        ("-1E-130", "-0." + "0" * 129 + "1"),
        ("9.9999999999999999999999999999999999999E+125", "9" * 38 + "0" * 88),
        ("12345678901234567890123456789012345678", "12345678901234567890123456789012345678"),
        (
            "1234567890123456789012345678901234567800000",
            "1234567890123456789012345678901234567800000",
        ),
        ("0.00100", "0.001"),
        ("3.1415926535897932384626433832795028841", "3.1415926535897932384626433832795028841"),
    ],
)
def test_numbers_read_back_as_dynamodb_returns_them(text: str, canonical: str) -> None:
    assert values.number_text(values.number(text)) == canonical
    assert values.number(text) == Decimal(canonical)


NOT_NUMERIC = "The parameter cannot be converted to a numeric value: "


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", NOT_NUMERIC + "abc"),
        ("1.2.3", NOT_NUMERIC + "1.2.3"),
        ("", NOT_NUMERIC),
        (" 1", NOT_NUMERIC + " 1"),
        ("1 ", NOT_NUMERIC + "1 "),
        ("0x10", NOT_NUMERIC + "0x10"),
        ("1e", NOT_NUMERIC + "1e"),
        (".", NOT_NUMERIC + "."),
        ("-", NOT_NUMERIC + "-"),
        ("NaN", NOT_NUMERIC + "NaN"),
        ("Infinity", NOT_NUMERIC + "Infinity"),
        ("-Infinity", NOT_NUMERIC + "-Infinity"),
        ("1_000", NOT_NUMERIC + "1_000"),
        ("\u0661", NOT_NUMERIC + "\u0661"),  # ARABIC-INDIC DIGIT ONE: ASCII digits only
        ("1\n", NOT_NUMERIC + "1\n"),
        ("1e126", values.OVERFLOW),
        ("-1e126", values.OVERFLOW),
        ("11e125", values.OVERFLOW),
        ("1e2147483647", values.OVERFLOW),
        ("1e99999999999", values.OVERFLOW),
        ("1e" + "9" * 40, values.OVERFLOW),
        ("1e-131", values.UNDERFLOW),
        ("-1e-131", values.UNDERFLOW),
        ("0.9e-130", values.UNDERFLOW),
        ("1e-99999999999", values.UNDERFLOW),
        ("1e-" + "9" * 40, values.UNDERFLOW),
        ("123456789012345678901234567890123456789", values.TOO_PRECISE),
        ("-1.23456789012345678901234567890123456789", values.TOO_PRECISE),
        ("3.14159265358979323846264338327950288419", values.TOO_PRECISE),
    ],
)
def test_numbers_dynamodb_refuses_are_refused_in_its_words(text: str, message: str) -> None:
    with pytest.raises(ValueProblem) as caught:
        values.number(text)
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("a", "b", "total", "difference"),
    [
        ("1", "10000000000000000000000", "10000000000000000000001", "-9999999999999999999999"),
        ("99999999999999999999999999999999999999", "1", "1" + "0" * 38, "9" * 37 + "8"),
        ("1.5", "-1.5", "0", "3"),
        ("0", "1E-130", "0." + "0" * 129 + "1", "-0." + "0" * 129 + "1"),
        ("9E125", "0", "9" + "0" * 125, "9" + "0" * 125),
        ("0.1", "0.2", "0.3", "-0.1"),
    ],
)
def test_sums_are_exact(a: str, b: str, total: str, difference: str) -> None:
    left, right = values.number(a), values.number(b)
    assert values.number_text(values.add(left, right)) == total
    assert values.number_text(values.subtract(left, right)) == difference


@pytest.mark.parametrize(
    ("operation", "a", "b", "message"),
    [
        (values.add, "9e125", "9e125", values.OVERFLOW),
        (values.subtract, "9e125", "-9e125", values.OVERFLOW),
        # DynamoDB calls a sum that would lose digits an overflow too.
        (values.add, "1e50", "1", values.OVERFLOW),
        (values.subtract, "1e50", "1", values.OVERFLOW),
        (values.add, "1e-130", "1", values.OVERFLOW),
        (values.subtract, "1e-130", "1.1e-130", values.UNDERFLOW),
    ],
)
def test_sums_out_of_range_or_precision_are_refused(
    operation: Any, a: str, b: str, message: str
) -> None:
    with pytest.raises(ValueProblem) as caught:
        operation(values.number(a), values.number(b))
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("value", "checked"),
    [
        ({"S": "hello"}, {"S": "hello"}),
        ({"S": ""}, {"S": ""}),
        ({"N": "1.50"}, {"N": "1.5"}),
        ({"B": bytearray(b"\x00\xff")}, {"B": b"\x00\xff"}),
        ({"B": b""}, {"B": b""}),
        ({"BOOL": False}, {"BOOL": False}),
        ({"NULL": True}, {"NULL": True}),
        ({"SS": ["b", "a", ""]}, {"SS": ["b", "a", ""]}),
        ({"NS": ["10", "1E+2", "-0.50"]}, {"NS": ["10", "100", "-0.5"]}),
        ({"BS": [b"\x01", b""]}, {"BS": [b"\x01", b""]}),
        ({"M": {}}, {"M": {}}),
        ({"L": []}, {"L": []}),
        (
            {"M": {"a": {"L": [{"N": "007"}, {"M": {"b": {"NS": ["2.0"]}}}]}}},
            {"M": {"a": {"L": [{"N": "7"}, {"M": {"b": {"NS": ["2"]}}}]}}},
        ),
        # Members the model does not know, or JSON nulls, are no type at all.
        ({"S": "x", "Q": 1, "N": None}, {"S": "x"}),
    ],
)
def test_values_are_checked_and_normalised(value: Any, checked: Any) -> None:
    assert values.check_value(value) == checked


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({}, values.EMPTY),
        ({"a": ""}, values.EMPTY),
        ({"S": None}, values.EMPTY),
        ({"M": {"a": {}}}, values.EMPTY),
        ({"L": [{}]}, values.EMPTY),
        ({"S": "a", "N": "1"}, values.SEVERAL),
        ({"S": "a", "BOOL": True}, values.SEVERAL),
        # Each type's content is checked before the count of types.
        ({"S": "a", "N": "b"}, NOT_NUMERIC + "b"),
        ({"NULL": False}, INVALID + "Null attribute value types must have the value of true"),
        ({"SS": []}, INVALID + "An string set  may not be empty"),
        ({"NS": []}, INVALID + "An number set  may not be empty"),
        ({"BS": []}, INVALID + "Binary sets should not be empty"),
        ({"NS": ["1", ""]}, NOT_NUMERIC),
        ({"NS": ["1", "b", "a"]}, NOT_NUMERIC + "b"),
        ({"N": "1e126"}, values.OVERFLOW),
        ({"L": [{"N": "1e-131"}]}, values.UNDERFLOW),
        ({"SS": ["a", "a"]}, INVALID + 'Input collection ["a", "a"] contains duplicates.'),
        (
            {"SS": ["b", "a", "b"]},
            INVALID + 'Input collection ["a", "b", "b"] contains duplicates.',
        ),
        (
            {"SS": ["c", "a", "c", "b"]},
            INVALID + 'Input collection ["a", "c", "c", "b"] contains duplicates.',
        ),
        ({"SS": ["", ""]}, INVALID + 'Input collection ["", ""] contains duplicates.'),
        (
            {"BS": [b"\xff", b"\x00", b"\x00"]},
            INVALID + 'Input collection ["AA==","/w==","AA=="]of type BS contains duplicates.',
        ),
        ({"BS": [b"", b""]}, INVALID + 'Input collection ["",""]of type BS contains duplicates.'),
        ({"NS": ["2", "1", "2"]}, INVALID + "Input collection contains duplicates."),
        ({"NS": ["1", "1.0"]}, INVALID + "Input collection contains duplicates."),
    ],
)
def test_values_dynamodb_refuses_are_refused_in_its_words(value: Any, message: str) -> None:
    with pytest.raises(ValueProblem) as caught:
        values.check_value(value, ":v")
    assert caught.value.message == message
    assert caught.value.path == ":v"


def _nested(wrappers: int) -> dict[str, Any]:
    value: dict[str, Any] = {"S": "leaf"}
    for index in range(wrappers):
        value = {"M": {"n": value}} if index % 2 else {"L": [value]}
    return value


def test_values_nest_at_most_32_levels() -> None:
    assert values.check_value(_nested(31)) == _nested(31)
    with pytest.raises(ValueProblem) as caught:
        values.check_value(_nested(32))
    assert caught.value.message == values.NESTED_TOO_DEEP


@pytest.mark.parametrize("value", [{"S": 5}, {"N": 1}, {"SS": "abc"}, {"NULL": 1}, ["S"], "S"])
def test_members_of_the_wrong_type_are_a_caller_error(value: Any) -> None:
    with pytest.raises(TypeError):
        values.check_value(value)


def test_items_are_checked_attribute_by_attribute() -> None:
    item = {"id": {"S": "a"}, "n": {"N": "0.10"}}
    assert values.check_item(item) == {"id": {"S": "a"}, "n": {"N": "0.1"}}
    with pytest.raises(ValueProblem) as caught:
        values.check_item({"id": {"S": "a"}, "bad": {"SS": []}})
    assert caught.value.path == "bad"
    with pytest.raises(TypeError):
        values.check_item([{"S": "a"}])


@pytest.mark.parametrize(
    ("value", "kind"),
    [({"S": ""}, "S"), ({"NS": ["1"]}, "NS"), ({"NULL": True}, "NULL"), ({"BOOL": False}, "BOOL")],
)
def test_a_value_has_one_type(value: Any, kind: str) -> None:
    assert values.type_of(value) == kind


# The sizes measured against DynamoDB's 400 KB gate (2026-08): every one of them.
@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("0", 1),
        ("1", 2),
        ("12", 2),
        ("123", 3),
        ("1234", 3),
        ("12345678901234567890123456789012345678", 20),
        ("0042", 2),
        ("100", 2),
        ("1010", 3),
        ("0.0000001", 2),
        ("1E125", 2),
        ("1E-100", 2),
        ("1.5", 3),
        ("15", 2),
        ("1.2", 3),
        ("1.200", 3),
        ("1.234", 4),
        ("3.14159", 5),
        ("123456", 4),
        ("100.5", 4),
        ("0.15", 2),
        ("-42", 3),
        ("-0", 1),
    ],
)
def test_numbers_are_sized_as_dynamodb_sizes_them(text: str, size: int) -> None:
    assert values.number_size(values.number(text)) == size
    assert values.value_size({"N": text}) == size


@pytest.mark.parametrize(
    ("item", "size"),
    [
        ({}, 0),
        ({"a": {"S": "hello"}}, 6),
        ({"é": {"S": "€"}}, 5),
        ({"a": {"B": b"\x00\x01\x02"}}, 4),
        ({"flag": {"BOOL": True}, "gone": {"NULL": True}}, 10),
        ({"n": {"N": "27"}}, 3),
        ({"m": {"M": {}}}, 4),
        ({"l": {"L": []}}, 4),
        # 3 + ("x" 1 + "ab" 2 + 1) + ("yy" 2 + 1 + 1)
        ({"m": {"M": {"x": {"S": "ab"}, "yy": {"NULL": True}}}}, 1 + 3 + 4 + 4),
        # 3 + (2 + 1) + ((3 + 1 + 1) + 1)
        ({"l": {"L": [{"N": "12"}, {"L": [{"BOOL": False}]}]}}, 1 + 3 + 3 + 6),
        ({"s": {"SS": ["ab", "c", ""]}}, 4),
        ({"s": {"NS": ["1", "123"]}}, 6),
        ({"s": {"BS": [b"ab", b"c"]}}, 4),
    ],
)
def test_items_are_sized_by_the_documented_rules(item: Any, size: int) -> None:
    assert values.item_size(item) == size


def test_items_of_up_to_409600_bytes_fit() -> None:
    at_limit = {"pk": {"S": "key"}, "p": {"S": "x" * (409_600 - 6)}}
    assert values.item_size(at_limit) == 409_600
    values.check_item_size(at_limit)
    over = {"pk": {"S": "key"}, "p": {"S": "x" * (409_600 - 5)}}
    with pytest.raises(ValueProblem) as caught:
        values.check_item_size(over)
    assert caught.value.message == "Item size has exceeded the maximum allowed size"


@pytest.mark.parametrize(
    ("a", "b", "order"),
    [
        ({"S": "a"}, {"S": "b"}, -1),
        ({"S": "b"}, {"S": "a"}, 1),
        ({"S": "a"}, {"S": "a"}, 0),
        ({"S": "a"}, {"S": "ab"}, -1),
        ({"S": "Z"}, {"S": "a"}, -1),
        # By UTF-8 bytes, not by UTF-16 units: U+FF5E (EF BD 9E) before U+1F600 (F0 ..).
        ({"S": "\uff5e"}, {"S": "\U0001f600"}, -1),
        ({"S": "é"}, {"S": "z"}, 1),
        ({"N": "10"}, {"N": "9"}, 1),
        ({"N": "-10"}, {"N": "-9"}, -1),
        ({"N": "1.0"}, {"N": "1"}, 0),
        ({"N": "-0.5"}, {"N": "0"}, -1),
        ({"N": "1E-130"}, {"N": "0"}, 1),
        ({"B": b"\x7f"}, {"B": b"\x80"}, -1),
        ({"B": b"\xff"}, {"B": b"\xff\x00"}, -1),
        ({"B": b""}, {"B": b"\x00"}, -1),
    ],
)
def test_scalars_compare_in_dynamodb_order(a: Any, b: Any, order: int) -> None:
    assert values.compare(a, b) == order
    assert values.compare(b, a) == -order


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ({"S": "1"}, {"N": "1"}),
        ({"SS": ["a"]}, {"SS": ["a"]}),
        ({"BOOL": True}, {"BOOL": False}),
        ({"NULL": True}, {"NULL": True}),
        ({"L": []}, {"L": []}),
    ],
)
def test_only_scalars_of_one_type_compare(a: Any, b: Any) -> None:
    with pytest.raises(TypeError):
        values.compare(a, b)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ({"S": "a"}, {"S": "a"}, True),
        ({"S": "a"}, {"S": "A"}, False),
        ({"N": "1"}, {"N": "1.00"}, True),
        ({"N": "1"}, {"S": "1"}, False),
        ({"B": b"a"}, {"B": bytearray(b"a")}, True),
        ({"BOOL": True}, {"BOOL": True}, True),
        ({"BOOL": True}, {"NULL": True}, False),
        ({"NULL": True}, {"NULL": True}, True),
        ({"SS": ["a", "b"]}, {"SS": ["b", "a"]}, True),
        ({"SS": ["a", "b"]}, {"SS": ["a"]}, False),
        ({"NS": ["1", "2.50"]}, {"NS": ["2.5", "1.0"]}, True),
        ({"BS": [b"a", b"b"]}, {"BS": [b"b", b"a"]}, True),
        ({"M": {"a": {"N": "1"}}}, {"M": {"a": {"N": "1.0"}}}, True),
        ({"M": {"a": {"N": "1"}}}, {"M": {"b": {"N": "1"}}}, False),
        ({"M": {}}, {"L": []}, False),
        ({"L": [{"S": "a"}, {"N": "2"}]}, {"L": [{"S": "a"}, {"N": "2"}]}, True),
        ({"L": [{"S": "a"}, {"N": "2"}]}, {"L": [{"N": "2"}, {"S": "a"}]}, False),
        ({"L": [{"S": "a"}]}, {"L": [{"S": "a"}, {"S": "a"}]}, False),
    ],
)
def test_values_are_equal_as_dynamodb_matches_them(a: Any, b: Any, same: bool) -> None:
    assert values.equal(a, b) is same
    assert values.equal(b, a) is same


@pytest.mark.parametrize(
    ("a", "message"),
    [
        (Decimal("1E+1000000000"), values.OVERFLOW),
        (Decimal("1E-1000000000"), values.UNDERFLOW),
        (Decimal("1" * 39), values.TOO_PRECISE),
    ],
)
def test_operands_out_of_range_are_refused(a: Decimal, message: str) -> None:
    with pytest.raises(ValueProblem) as caught:
        values.add(a, Decimal(0))
    assert caught.value.message == message
    with pytest.raises(ValueError):
        values.add(Decimal("NaN"), Decimal(0))

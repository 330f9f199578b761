"""JSONPath Choice rules: every comparison operator and its Path variant, the type tests,
And/Or/Not, AWS's type rules (another type compares false), StringMatches, timestamps,
and the Choice guide's example."""

from __future__ import annotations

from typing import Any

import pytest

from altus.asl import choice
from altus.asl.errors import RUNTIME, StatesError

DATA: dict[str, Any] = {
    "type": "Private",
    "value": 22,
    "float": 1.5,
    "flag": True,
    "nothing": None,
    "text": "log-2021.txt",
    "star": "a*b",
    "when": "2016-08-18T17:33:00Z",
    "later": "2016-08-18T19:33:00+01:00",
    "notime": "2016-08-18 17:33:00",
    "list": [1, 2],
    "object": {"k": 1},
    "other": {"value": 22, "text": "log-2021.txt", "flag": True, "when": "2016-08-18T17:33:00Z"},
}


def rule_matches(rule: dict[str, Any], data: Any = DATA) -> bool:
    return choice.matches(
        rule, data, context={"State": {"Name": "C"}}, variables={"limit": 20, "name": "Private"}
    )


@pytest.mark.parametrize(
    ("variable", "operator", "operand", "expected"),
    [
        ("$.type", "StringEquals", "Private", True),
        ("$.type", "StringEquals", "private", False),
        ("$.type", "StringLessThan", "Q", True),
        ("$.type", "StringGreaterThan", "Private", False),
        ("$.type", "StringLessThanEquals", "Private", True),
        ("$.type", "StringGreaterThanEquals", "Pr", True),
        ("$.value", "StringEquals", "22", False),
        ("$.nothing", "StringEquals", "null", False),
        ("$.value", "NumericEquals", 22, True),
        ("$.value", "NumericEquals", 22.0, True),
        ("$.value", "NumericLessThan", 30, True),
        ("$.value", "NumericGreaterThan", 22, False),
        ("$.value", "NumericLessThanEquals", 22, True),
        ("$.value", "NumericGreaterThanEquals", 20, True),
        ("$.float", "NumericGreaterThan", 1, True),
        ("$.type", "NumericEquals", 1, False),
        ("$.flag", "NumericEquals", 1, False),
        ("$.flag", "BooleanEquals", True, True),
        ("$.flag", "BooleanEquals", False, False),
        ("$.value", "BooleanEquals", True, False),
        ("$.when", "TimestampEquals", "2016-08-18T17:33:00Z", True),
        ("$.when", "TimestampEquals", "2016-08-18T18:33:00+01:00", True),
        ("$.when", "TimestampLessThan", "2016-08-18T17:33:00.001Z", True),
        ("$.when", "TimestampGreaterThan", "2016-08-18T17:32:59Z", True),
        ("$.when", "TimestampLessThanEquals", "2016-08-18T17:33:00Z", True),
        ("$.later", "TimestampGreaterThanEquals", "2016-08-18T18:33:00Z", True),
        ("$.notime", "TimestampEquals", "2016-08-18T17:33:00Z", False),
        ("$.value", "TimestampEquals", "2016-08-18T17:33:00Z", False),
        ("$.text", "StringMatches", "log-*.txt", True),
        ("$.text", "StringMatches", "log-*", True),
        ("$.text", "StringMatches", "*.txt", True),
        ("$.text", "StringMatches", "log-*.csv", False),
        ("$.text", "StringMatches", "LOG-*", False),
        ("$.star", "StringMatches", r"a\*b", True),
        ("$.text", "StringMatches", r"log-\*.txt", False),
        ("$.value", "StringMatches", "*", False),
        # Comparisons with another value of the input.
        ("$.value", "NumericEqualsPath", "$.other.value", True),
        ("$.value", "NumericLessThanPath", "$.other.value", False),
        ("$.value", "NumericGreaterThanEqualsPath", "$limit", True),
        ("$.type", "StringEqualsPath", "$name", True),
        ("$.text", "StringEqualsPath", "$.other.text", True),
        ("$.text", "StringGreaterThanPath", "$.type", True),
        ("$.flag", "BooleanEqualsPath", "$.other.flag", True),
        ("$.when", "TimestampEqualsPath", "$.other.when", True),
        ("$.when", "TimestampLessThanPath", "$.later", True),
        ("$.value", "NumericEqualsPath", "$.type", False),
        ("$$.State.Name", "StringEquals", "C", True),
        ("$limit", "NumericEquals", 20, True),
    ],
)
def test_comparisons(variable: str, operator: str, operand: Any, expected: bool) -> None:
    assert rule_matches({"Variable": variable, operator: operand, "Next": "N"}) is expected


@pytest.mark.parametrize(
    ("variable", "test", "truths"),
    [
        # IsNull, IsPresent, IsNumeric, IsString, IsBoolean, IsTimestamp when true.
        ("$.nothing", "", {"IsNull", "IsPresent"}),
        ("$.value", "", {"IsPresent", "IsNumeric"}),
        ("$.float", "", {"IsPresent", "IsNumeric"}),
        ("$.type", "", {"IsPresent", "IsString"}),
        ("$.flag", "", {"IsPresent", "IsBoolean"}),
        ("$.when", "", {"IsPresent", "IsString", "IsTimestamp"}),
        ("$.notime", "", {"IsPresent", "IsString"}),
        ("$.list", "", {"IsPresent"}),
        ("$.object", "", {"IsPresent"}),
    ],
)
def test_type_tests(variable: str, test: str, truths: set[str]) -> None:
    for name in ("IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp"):
        assert rule_matches({"Variable": variable, name: True}) is (name in truths), name
        assert rule_matches({"Variable": variable, name: False}) is (name not in truths), name


def test_is_present_on_a_missing_field() -> None:
    assert rule_matches({"Variable": "$.absent", "IsPresent": False}) is True
    assert rule_matches({"Variable": "$.absent", "IsPresent": True}) is False
    assert rule_matches({"Variable": "$.absent.deeper", "IsPresent": False}) is True


@pytest.mark.parametrize(
    "rule",
    [
        {"Variable": "$.absent", "StringEquals": "x"},
        {"Variable": "$.absent", "IsNull": True},
        {"Variable": "$.value", "NumericEqualsPath": "$.absent"},
        {
            "And": [
                {"Variable": "$.value", "NumericEquals": 22},
                {"Variable": "$.absent", "IsString": True},
            ]
        },
    ],
)
def test_missing_variable_fails_the_execution(rule: dict[str, Any]) -> None:
    with pytest.raises(StatesError) as raised:
        rule_matches(rule)
    assert raised.value.error == RUNTIME
    assert raised.value.cause == (
        "Invalid path '$.absent': The choice state's condition path references an invalid value."
    )


def test_guide_example() -> None:
    # The Choice guide's ChoiceStateX: with {"type": "Private", "value": 22} only the
    # third rule (ValueInTwenties) matches.
    rules: list[dict[str, Any]] = [
        {"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"},
        {"Variable": "$.value", "NumericEquals": 0, "Next": "ValueIsZero"},
        {
            "And": [
                {"Variable": "$.value", "NumericGreaterThanEquals": 20},
                {"Variable": "$.value", "NumericLessThan": 30},
            ],
            "Next": "ValueInTwenties",
        },
    ]
    data = {"type": "Private", "value": 22}
    assert [rule_matches(rule, data) for rule in rules] == [False, False, True]


def test_boolean_combinations() -> None:
    yes = {"Variable": "$.flag", "BooleanEquals": True}
    no = {"Variable": "$.flag", "BooleanEquals": False}
    assert rule_matches({"Or": [no, yes]}) is True
    assert rule_matches({"Or": [no, no]}) is False
    assert rule_matches({"And": [yes, {"Not": no}]}) is True
    assert rule_matches({"Not": {"And": [yes, no]}}) is True
    # And stops at the first false: a later missing field is not looked at.
    assert rule_matches({"And": [no, {"Variable": "$.absent", "IsString": True}]}) is False


def test_strings_compare_by_utf16_code_units() -> None:
    # U+FF5E sorts after U+1F600 in UTF-16 (0xFF5E > 0xD83D) though not in code points.
    data = {"s": "\uff5e"}
    assert rule_matches({"Variable": "$.s", "StringGreaterThan": "\U0001f600"}, data) is True


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("2016-08-18T17:33:00Z", True),
        ("2016-08-18T17:33:00.123Z", True),
        ("2016-08-18T17:33:00.123456789Z", True),
        ("2016-08-18T17:33:00+01:00", True),
        ("2016-08-18T17:33:00-07:30", True),
        ("2016-08-18t17:33:00Z", False),
        ("2016-08-18T17:33:00z", False),
        ("2016-08-18T17:33:00", False),
        ("2016-08-18", False),
        ("2016-13-18T17:33:00Z", False),
        ("2016-08-18T17:33Z", False),
    ],
)
def test_timestamp_forms(text: str, valid: bool) -> None:
    assert (choice.timestamp(text) is not None) is valid


def test_malformed_rules() -> None:
    with pytest.raises(ValueError):
        rule_matches({"Next": "X"})
    with pytest.raises(ValueError):
        rule_matches({"Variable": "$.value", "NumericAround": 1})

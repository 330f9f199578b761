"""DynamoDB's legacy parameters as expressions (``altus.dynamodb.legacy``): each
Expected entry judged against items as its expression counterpart is, AttributeUpdates
applied as the update it stands for, AttributesToGet as a projection; and the idempotency
tokens of TransactWriteItems and ExecuteTransaction (``transaction_tokens``) over ten
minutes."""

from __future__ import annotations

from typing import Any

import pytest

from altus.dynamodb.errors import ValidationException
from altus.dynamodb.expressions import apply_update, evaluate, project
from altus.dynamodb.legacy import attribute_updates, attributes_to_get, expected_condition
from altus.dynamodb.store import TokenClaim
from altus.dynamodb.transaction_tokens import WINDOW, claim, fingerprint

ITEM: dict[str, Any] = {
    "n": {"N": "5"},
    "s": {"S": "abc"},
    "set": {"SS": ["x", "y"]},
    "list": {"L": [{"S": "x"}]},
}


def _cmp(operator: str, *values: dict[str, Any]) -> dict[str, Any]:
    return {"ComparisonOperator": operator, "AttributeValueList": list(values)}


@pytest.mark.parametrize(
    ("entry", "holds"),
    [
        ({"n": {"Value": {"N": "5.0"}}}, True),
        ({"n": {"Value": {"S": "5"}}}, False),
        ({"n": {"Exists": True, "Value": {"N": "5"}}}, True),
        ({"absent": {"Exists": False}}, True),
        ({"n": {"Exists": False}}, False),
        ({"n": _cmp("EQ", {"N": "5"})}, True),
        ({"n": _cmp("NE", {"N": "5"})}, False),
        ({"absent": _cmp("NE", {"N": "5"})}, True),
        ({"n": _cmp("LT", {"N": "6"})}, True),
        ({"n": _cmp("LE", {"N": "5"})}, True),
        ({"n": _cmp("GT", {"N": "5"})}, False),
        ({"n": _cmp("GE", {"N": "5"})}, True),
        ({"s": _cmp("GT", {"N": "1"})}, False),
        ({"absent": _cmp("NULL")}, True),
        ({"n": _cmp("NOT_NULL")}, True),
        ({"set": _cmp("CONTAINS", {"S": "x"})}, True),
        ({"s": _cmp("CONTAINS", {"S": "bc"})}, True),
        ({"set": _cmp("NOT_CONTAINS", {"S": "z"})}, True),
        ({"s": _cmp("BEGINS_WITH", {"S": "ab"})}, True),
        ({"n": _cmp("IN", {"N": "1"}, {"N": "5"})}, True),
        ({"n": _cmp("BETWEEN", {"N": "1"}, {"N": "5"})}, True),
        ({"n": _cmp("BETWEEN", {"N": "6"}, {"N": "9"})}, False),
        ({"n": {"ComparisonOperator": "EQ", "Value": {"N": "5"}}}, True),
    ],
)
def test_expected_entries_are_judged_as_their_expressions(
    entry: dict[str, Any], holds: bool
) -> None:
    condition = expected_condition(entry, None)
    assert condition is not None
    assert evaluate(condition, ITEM) is holds


def test_conditional_operator_joins_the_entries() -> None:
    entries = {"n": {"Value": {"N": "1"}}, "s": {"Value": {"S": "abc"}}}
    for operator, holds in ((None, False), ("AND", False), ("OR", True)):
        condition = expected_condition(entries, operator)
        assert condition is not None and evaluate(condition, ITEM) is holds
    assert expected_condition(None, None) is None
    assert expected_condition({}, None) is None


@pytest.mark.parametrize(
    ("entry", "operator", "message"),
    [
        (
            {"a": {"Value": {"S": "x"}, "AttributeValueList": [{"S": "x"}]}},
            None,
            "Value and AttributeValueList cannot be used together for Attribute: a",
        ),
        (
            {"a": {"Exists": True, "ComparisonOperator": "NULL"}},
            None,
            "Exists and ComparisonOperator cannot be used together for Attribute: a",
        ),
        (
            {"a": {"AttributeValueList": [{"S": "x"}]}},
            None,
            "AttributeValueList can only be used with a ComparisonOperator for Attribute: a",
        ),
        ({"a": {}}, None, "Value must be provided when Exists is null for Attribute: a"),
        ({"a": _cmp("NULL", {"S": "x"})}, None, "Invalid number of argument(s) for the NULL"),
        ({"a": _cmp("IN", {"S": "x"}, {"N": "1"})}, None, "must be of same type"),
        ({"a": _cmp("BEGINS_WITH", {"N": "1"})}, None, "BEGINS_WITH is not valid for N"),
        ({"a": _cmp("BETWEEN", {"N": "2"}, {"N": "1"})}, None, "lower bound is greater"),
        ({"a": {"Value": {"N": "x"}}}, None, "cannot be converted to a numeric value"),
        ({"a": {"Value": {"N": "1"}}}, "AND", "two or more elements"),
    ],
)
def test_malformed_entries_are_refused(
    entry: dict[str, Any], operator: str | None, message: str
) -> None:
    with pytest.raises(ValidationException) as caught:
        expected_condition(entry, operator)
    assert message in caught.value.message


def test_attribute_updates_apply_as_their_update() -> None:
    update = attribute_updates(
        {
            "s": {"Value": {"S": "new"}},
            "n": {"Action": "ADD", "Value": {"N": "-1"}},
            "fresh": {"Action": "ADD", "Value": {"NS": ["1"]}},
            "set": {"Action": "DELETE", "Value": {"SS": ["x"]}},
            "list": {"Action": "ADD", "Value": {"L": [{"S": "y"}]}},
            "other": {"Action": "ADD", "Value": {"L": [{"S": "z"}]}},
            "gone": {"Action": "DELETE"},
        }
    )
    after = apply_update(update, {**ITEM, "gone": {"NULL": True}})
    assert after == {
        "s": {"S": "new"},
        "n": {"N": "4"},
        "fresh": {"NS": ["1"]},
        "set": {"SS": ["y"]},
        "list": {"L": [{"S": "x"}, {"S": "y"}]},
        "other": {"L": [{"S": "z"}]},
    }
    assert {path.attribute for path in update.targets} == {
        "s",
        "n",
        "fresh",
        "set",
        "list",
        "other",
        "gone",
    }


def test_attributes_to_get_projects_top_level_names() -> None:
    projection = attributes_to_get(["s", "a.b"])
    assert projection is not None
    assert project({**ITEM, "a.b": {"S": "dotted"}}, projection) == {
        "s": {"S": "abc"},
        "a.b": {"S": "dotted"},
    }
    assert attributes_to_get(None) is None


# --- idempotency tokens -----------------------------------------------------------------


def test_a_claim_binds_a_request_for_ten_minutes() -> None:
    items = [{"Put": {"TableName": "t", "Item": {"b": {"B": b"\x00"}, "a": {"S": "x"}}}}]
    same = [{"Put": {"Item": {"a": {"S": "x"}, "b": {"B": b"\x00"}}, "TableName": "t"}}]
    digest = fingerprint(items)
    assert fingerprint(same) == digest
    assert fingerprint([{"Statement": "DELETE FROM t WHERE a = 'x'"}]) != digest
    assert claim("tok", digest, 100.0) == TokenClaim("tok", digest, 100.0 + WINDOW)
    assert claim(None, digest, 100.0) is None

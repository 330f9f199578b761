"""PutItem, GetItem, UpdateItem and DeleteItem's legacy parameters through boto3 against a
real server: Expected with ConditionalOperator judged as its expression counterpart,
AttributeUpdates applied, AttributesToGet projecting, and DynamoDB's texts for their
mistakes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.functional.dynamodb_items_support import Tables, error, serve


@pytest.fixture(scope="module")
def tables() -> Iterator[Tables]:
    yield from serve()


@pytest.fixture(scope="module")
def table(tables: Tables) -> str:
    return tables.create()


@pytest.mark.parametrize(
    ("expected", "operator", "holds"),
    [
        ({"v": {"Value": {"N": "1"}}}, None, True),
        ({"v": {"Exists": True, "Value": {"N": "2"}}}, None, False),
        ({"gone": {"Exists": False}}, None, True),
        ({"v": {"Exists": False}}, None, False),
        ({"v": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "0"}]}}, None, True),
        ({"v": {"ComparisonOperator": "NE", "AttributeValueList": [{"N": "1"}]}}, None, False),
        ({"gone": {"ComparisonOperator": "NULL"}}, None, True),
        ({"v": {"ComparisonOperator": "NOT_NULL"}}, None, True),
        (
            {"s": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "ab"}]}},
            None,
            True,
        ),
        (
            {"s": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [{"S": "z"}]}},
            None,
            False,
        ),
        (
            {"s": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [{"S": "z"}]}},
            None,
            True,
        ),
        (
            {"v": {"ComparisonOperator": "IN", "AttributeValueList": [{"N": "3"}, {"N": "1"}]}},
            None,
            True,
        ),
        (
            {
                "v": {
                    "ComparisonOperator": "BETWEEN",
                    "AttributeValueList": [{"N": "2"}, {"N": "3"}],
                }
            },
            None,
            False,
        ),
        ({"v": {"Value": {"N": "9"}}, "s": {"Value": {"S": "abc"}}}, "OR", True),
        ({"v": {"Value": {"N": "9"}}, "s": {"Value": {"S": "abc"}}}, "AND", False),
    ],
)
def test_expected_conditions(
    tables: Tables, table: str, expected: dict[str, Any], operator: str | None, holds: bool
) -> None:
    key = {"pk": {"S": "legacy"}}
    tables.ddb.put_item(TableName=table, Item={**key, "v": {"N": "1"}, "s": {"S": "abc"}})
    members: dict[str, Any] = {"Expected": expected}
    if operator is not None:
        members["ConditionalOperator"] = operator
    call = {"TableName": table, "Key": key, **members}
    if holds:
        tables.ddb.delete_item(**call)
    else:
        assert error(lambda: tables.ddb.delete_item(**call))[0] == "ConditionalCheckFailedException"


def test_attribute_updates(tables: Tables, table: str) -> None:
    key = {"pk": {"S": "legacy-updates"}}
    tables.ddb.put_item(
        TableName=table,
        Item={
            **key,
            "n": {"N": "1"},
            "set": {"SS": ["a", "b"]},
            "list": {"L": [{"S": "x"}]},
            "gone": {"S": "g"},
        },
    )
    got = tables.ddb.update_item(
        TableName=table,
        Key=key,
        AttributeUpdates={
            "put": {"Value": {"S": "p"}},
            "n": {"Action": "ADD", "Value": {"N": "2"}},
            "set": {"Action": "DELETE", "Value": {"SS": ["a"]}},
            "list": {"Action": "ADD", "Value": {"L": [{"S": "y"}]}},
            "newlist": {"Action": "ADD", "Value": {"L": [{"S": "z"}]}},
            "gone": {"Action": "DELETE"},
        },
        Expected={"n": {"Value": {"N": "1"}}},
        ReturnValues="UPDATED_NEW",
    )
    assert got["Attributes"] == {
        "put": {"S": "p"},
        "n": {"N": "3"},
        "set": {"SS": ["b"]},
        "list": {"L": [{"S": "x"}, {"S": "y"}]},
        "newlist": {"L": [{"S": "z"}]},
    }
    assert "gone" not in tables.ddb.get_item(TableName=table, Key=key)["Item"]


@pytest.mark.parametrize(
    ("members", "message"),
    [
        (
            {"Expected": {"a": {"Exists": True}}},
            "One or more parameter values were invalid: Value must be provided when Exists is "
            "true for Attribute: a",
        ),
        (
            {"Expected": {"a": {"Exists": False, "Value": {"S": "x"}}}},
            "One or more parameter values were invalid: Value cannot be used when Exists is "
            "false for Attribute: a",
        ),
        (
            {"Expected": {"a": {"ComparisonOperator": "EQ"}}},
            "One or more parameter values were invalid: Value or AttributeValueList must be used "
            "with ComparisonOperator: EQ for Attribute: a",
        ),
        (
            {
                "Expected": {
                    "a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}]}
                }
            },
            "One or more parameter values were invalid: Invalid number of argument(s) for the "
            "BETWEEN ComparisonOperator",
        ),
        (
            {
                "Expected": {
                    "a": {"ComparisonOperator": "GT", "AttributeValueList": [{"SS": ["x"]}]}
                }
            },
            "One or more parameter values were invalid: ComparisonOperator GT is not valid for SS "
            "AttributeValue type",
        ),
        (
            {"Expected": {"a": {"Value": {"S": "x"}}}, "ConditionalOperator": "OR"},
            "ConditionalOperator can only be used when Filter or Expected has two or more elements",
        ),
        (
            {"AttributeUpdates": {"a": {"Action": "ADD", "Value": {"S": "x"}}}},
            "One or more parameter values were invalid: ADD action is not supported for the type S",
        ),
        (
            {"AttributeUpdates": {"a": {"Action": "PUT"}}},
            "One or more parameter values were invalid: Only DELETE action is allowed when no "
            "attribute value is specified",
        ),
        (
            {"AttributeUpdates": {"a": {"Action": "DELETE", "Value": {"N": "1"}}}},
            "One or more parameter values were invalid: DELETE action with value is not "
            "supported for the type N",
        ),
        (
            {
                "AttributeUpdates": {"a": {"Value": {"N": "1"}}},
                "UpdateExpression": "SET b = :b",
                "ExpressionAttributeValues": {":b": {"N": "1"}},
            },
            "Can not use both expression and non-expression parameters in the same request: "
            "Non-expression parameters: {AttributeUpdates} Expression parameters: "
            "{UpdateExpression}",
        ),
    ],
)
def test_legacy_mistakes_are_refused(
    tables: Tables, table: str, members: dict[str, Any], message: str
) -> None:
    got = error(
        lambda: tables.ddb.update_item(TableName=table, Key={"pk": {"S": "legacy-bad"}}, **members)
    )
    assert got[:2] == ("ValidationException", message)


def test_attributes_to_get_refuses_a_repeated_name(tables: Tables, table: str) -> None:
    got = error(
        lambda: tables.ddb.get_item(
            TableName=table, Key={"pk": {"S": "a"}}, AttributesToGet=["a", "b", "a"]
        )
    )
    assert got[:2] == (
        "ValidationException",
        "One or more parameter values were invalid: Duplicate value in attribute name: a",
    )

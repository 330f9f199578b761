"""What each DynamoDB call needs of IAM (``altus.dynamodb.actions``): one need per table
of a batch, one per table and action kind of a transaction, PartiQL's verbs on the table
or index a statement names, GetRecords on the stream its iterator names."""

from __future__ import annotations

from typing import Any

import pytest

from altus.dynamodb.actions import actions
from altus.dynamodb.streams_api import ShardIterator

PREFIX = "arn:aws:dynamodb:us-east-1:000000000000:table/"
STREAM = f"{PREFIX}a/stream/2023-11-14T22:13:20.000"


class Component:
    """What ``actions`` asks of a component: a table's ARN."""

    def arn(self, name: str) -> str:
        return PREFIX + name


def _key() -> dict[str, Any]:
    return {"pk": {"S": "k"}}


@pytest.mark.parametrize(
    ("operation", "members", "needs"),
    [
        ("GetItem", {"TableName": "a"}, ("dynamodb:GetItem", PREFIX + "a")),
        # A table's ARN is authorised as given.
        ("PutItem", {"TableName": PREFIX + "b"}, ("dynamodb:PutItem", PREFIX + "b")),
        ("ListTables", {}, ("dynamodb:ListTables", "*")),
        ("DescribeStream", {"StreamArn": STREAM}, ("dynamodb:DescribeStream", STREAM)),
        (
            "TagResource",
            {"ResourceArn": PREFIX + "a", "Tags": []},
            ("dynamodb:TagResource", PREFIX + "a"),
        ),
        (
            "BatchGetItem",
            {"RequestItems": {"a": {"Keys": [_key()]}, "b": {"Keys": [_key()]}}},
            [("dynamodb:BatchGetItem", PREFIX + "a"), ("dynamodb:BatchGetItem", PREFIX + "b")],
        ),
        (
            "BatchWriteItem",
            {
                "RequestItems": {
                    "a": [{"PutRequest": {"Item": _key()}}],
                    PREFIX + "c": [{"DeleteRequest": {"Key": _key()}}],
                }
            },
            [
                ("dynamodb:BatchWriteItem", PREFIX + "a"),
                ("dynamodb:BatchWriteItem", PREFIX + "c"),
            ],
        ),
        (
            "TransactWriteItems",
            {
                "TransactItems": [
                    {"Put": {"TableName": "a", "Item": _key()}},
                    {"Update": {"TableName": "b", "Key": _key(), "UpdateExpression": "SET x = y"}},
                    {"Delete": {"TableName": "a", "Key": _key()}},
                    {"ConditionCheck": {"TableName": "c", "Key": _key()}},
                    # Listed once each.
                    {"Put": {"TableName": "a", "Item": {"pk": {"S": "other"}}}},
                ]
            },
            [
                ("dynamodb:PutItem", PREFIX + "a"),
                ("dynamodb:UpdateItem", PREFIX + "b"),
                ("dynamodb:DeleteItem", PREFIX + "a"),
                ("dynamodb:ConditionCheckItem", PREFIX + "c"),
            ],
        ),
        (
            "TransactGetItems",
            {
                "TransactItems": [
                    {"Get": {"TableName": "b", "Key": _key()}},
                    {"Get": {"TableName": "a", "Key": _key()}},
                ]
            },
            [("dynamodb:GetItem", PREFIX + "b"), ("dynamodb:GetItem", PREFIX + "a")],
        ),
        # One need alone is given as such.
        (
            "TransactGetItems",
            {"TransactItems": [{"Get": {"TableName": "a", "Key": _key()}}]},
            ("dynamodb:GetItem", PREFIX + "a"),
        ),
        # An action of none of the kinds names nothing: the operation refuses it.
        ("TransactWriteItems", {"TransactItems": [{}]}, ("dynamodb:TransactWriteItems", "*")),
    ],
)
def test_what_a_call_needs(operation: str, members: dict[str, Any], needs: Any) -> None:
    assert actions(Component(), operation, members) == needs


@pytest.mark.parametrize(
    ("statement", "needs"),
    [
        ('SELECT * FROM "a" WHERE pk = ?', ("dynamodb:PartiQLSelect", PREFIX + "a")),
        ("select a.b from a where pk = 'x'", ("dynamodb:PartiQLSelect", PREFIX + "a")),
        (
            'SELECT * FROM "a"."by-x" WHERE x = 1',
            ("dynamodb:PartiQLSelect", PREFIX + "a/index/by-x"),
        ),
        (
            f'SELECT * FROM "{PREFIX}b" WHERE pk = 1',
            ("dynamodb:PartiQLSelect", PREFIX + "b"),
        ),
        ("INSERT INTO \"a\" VALUE {'pk': 'x'}", ("dynamodb:PartiQLInsert", PREFIX + "a")),
        ("UPDATE \"a\" SET x = 1 WHERE pk = 'k'", ("dynamodb:PartiQLUpdate", PREFIX + "a")),
        ("FROM a WHERE pk = 'k' SET x = 1", ("dynamodb:PartiQLUpdate", PREFIX + "a")),
        ('DELETE FROM "we""ird" WHERE pk = 1', ("dynamodb:PartiQLDelete", PREFIX + 'we"ird')),
        (
            "EXISTS(SELECT * FROM \"a\" WHERE pk = 'k')",
            ("dynamodb:PartiQLSelect", PREFIX + "a"),
        ),
        # -- a comment first, and names the lexer reads as quoted
        ('-- x\n DELETE FROM "a" WHERE pk = 1', ("dynamodb:PartiQLDelete", PREFIX + "a")),
        # What names no table (the operation refuses it as malformed) needs the verb on *.
        ('DELETE "a" WHERE pk = 1', ("dynamodb:PartiQLDelete", "*")),
        ("SELECT * FROM", ("dynamodb:PartiQLSelect", "*")),
        ("SELECT # FROM a", ("dynamodb:PartiQLSelect", "*")),
        ("", ("dynamodb:PartiQLSelect", "*")),
    ],
)
def test_what_a_statement_needs(statement: str, needs: Any) -> None:
    assert actions(Component(), "ExecuteStatement", {"Statement": statement}) == needs


def test_statements_of_a_batch_or_transaction_each_need_their_own() -> None:
    statements = [
        {"Statement": 'UPDATE "a" SET x = 1 WHERE pk = 1'},
        {"Statement": "INSERT INTO b VALUE {'pk': 1}"},
        {"Statement": 'UPDATE "a" SET x = 2 WHERE pk = 2'},
    ]
    expected = [
        ("dynamodb:PartiQLUpdate", PREFIX + "a"),
        ("dynamodb:PartiQLInsert", PREFIX + "b"),
    ]
    component = Component()
    assert actions(component, "BatchExecuteStatement", {"Statements": statements}) == expected
    assert actions(component, "ExecuteTransaction", {"TransactStatements": statements}) == expected


def test_get_records_needs_the_stream_its_iterator_names() -> None:
    made = ShardIterator(STREAM, "shardId-1", None, 0.0).encode(b"k" * 32)
    # Read without the key: GetRecords itself refuses an iterator it did not sign.
    assert actions(Component(), "GetRecords", {"ShardIterator": made}) == (
        "dynamodb:GetRecords",
        STREAM,
    )
    assert actions(Component(), "GetRecords", {"ShardIterator": "junk"}) == (
        "dynamodb:GetRecords",
        "*",
    )

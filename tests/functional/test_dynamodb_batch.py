"""BatchGetItem and BatchWriteItem through boto3 against a real server: many tables in
one call, per-table projections and consistency, the 16 MB answer limit
(UnprocessedKeys), all-or-nothing writes, capacity per table, item collections, and
DynamoDB's texts for duplicates, too many items and bad keys."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import pytest

from tests.functional.dynamodb_items_support import Index, Tables, error, serve


@pytest.fixture(scope="module")
def tables() -> Iterator[Tables]:
    yield from serve()


@pytest.fixture(scope="module")
def pair(tables: Tables) -> tuple[str, str]:
    """A table of ``pk`` (S) and one of ``pk`` (S) and ``sk`` (N)."""
    return tables.create(), tables.create(range=("sk", "N"))


def _put(tables: Tables, table: str, *items: dict[str, Any]) -> None:
    for item in items:
        tables.ddb.put_item(TableName=table, Item=item)


def test_batch_get_reads_many_tables(tables: Tables, pair: tuple[str, str]) -> None:
    plain, ranged = pair
    _put(tables, plain, {"pk": {"S": "a"}, "v": {"N": "1"}, "w": {"S": "x"}})
    _put(tables, ranged, {"pk": {"S": "a"}, "sk": {"N": "1"}, "#": {"S": "hash"}})
    got = tables.ddb.batch_get_item(
        RequestItems={
            plain: {
                "Keys": [{"pk": {"S": "a"}}, {"pk": {"S": "missing"}}],
                "ProjectionExpression": "#v",
                "ExpressionAttributeNames": {"#v": "v"},
                "ConsistentRead": True,
            },
            ranged: {"Keys": [{"pk": {"S": "a"}, "sk": {"N": "1"}}], "AttributesToGet": ["#"]},
        },
        ReturnConsumedCapacity="TOTAL",
    )
    assert got["Responses"] == {plain: [{"v": {"N": "1"}}], ranged: [{"#": {"S": "hash"}}]}
    assert got["UnprocessedKeys"] == {}
    assert got["ConsumedCapacity"] == [
        {"TableName": plain, "CapacityUnits": 2.0},
        {"TableName": ranged, "CapacityUnits": 0.5},
    ]


def test_batch_get_answers_at_most_16_mb(tables: Tables) -> None:
    table = tables.create()
    big = "x" * (400 * 1024 - 100)
    keys = [{"pk": {"S": f"big-{n:03d}"}} for n in range(45)]
    _put(tables, table, *({**key, "v": {"S": big}} for key in keys))
    got = tables.ddb.batch_get_item(
        RequestItems={table: {"Keys": keys, "ProjectionExpression": "pk", "ConsistentRead": True}}
    )
    answered = [item["pk"]["S"] for item in got["Responses"][table]]
    left = got["UnprocessedKeys"][table]
    # 16 MiB holds 40 items of nearly 400 KB; the rest go back with the same options.
    assert len(answered) == 40
    assert left == {"Keys": keys[40:], "ProjectionExpression": "pk", "ConsistentRead": True}
    again = tables.ddb.batch_get_item(RequestItems={table: left})
    assert len(again["Responses"][table]) == 5 and again["UnprocessedKeys"] == {}


def test_batch_write_puts_and_deletes_together(tables: Tables, pair: tuple[str, str]) -> None:
    plain, ranged = pair
    _put(tables, plain, {"pk": {"S": "doomed"}, "big": {"S": "x" * 1500}})
    got = tables.ddb.batch_write_item(
        RequestItems={
            plain: [
                {"PutRequest": {"Item": {"pk": {"S": "w1"}}}},
                {"DeleteRequest": {"Key": {"pk": {"S": "doomed"}}}},
            ],
            ranged: [{"PutRequest": {"Item": {"pk": {"S": "w1"}, "sk": {"N": "2"}}}}],
        },
        ReturnConsumedCapacity="INDEXES",
    )
    assert got["UnprocessedItems"] == {}
    # The delete of a 1.5 KB item is two units.
    assert got["ConsumedCapacity"] == [
        {"TableName": plain, "CapacityUnits": 3.0, "Table": {"CapacityUnits": 3.0}},
        {"TableName": ranged, "CapacityUnits": 1.0, "Table": {"CapacityUnits": 1.0}},
    ]
    assert "Item" in tables.ddb.get_item(TableName=plain, Key={"pk": {"S": "w1"}})
    assert "Item" not in tables.ddb.get_item(TableName=plain, Key={"pk": {"S": "doomed"}})
    assert "Item" in tables.ddb.get_item(
        TableName=ranged, Key={"pk": {"S": "w1"}, "sk": {"N": "2"}}
    )


def test_a_refused_batch_writes_nothing(tables: Tables, pair: tuple[str, str]) -> None:
    plain, _ = pair
    code, _, _ = error(
        lambda: tables.ddb.batch_write_item(
            RequestItems={
                plain: [
                    {"PutRequest": {"Item": {"pk": {"S": "first"}}}},
                    {"PutRequest": {"Item": {"pk": {"S": "second"}, "v": {"S": "x" * 409600}}}},
                ]
            }
        )
    )
    assert code == "ValidationException"
    assert "Item" not in tables.ddb.get_item(TableName=plain, Key={"pk": {"S": "first"}})


def test_batch_write_reports_item_collections(tables: Tables) -> None:
    table = tables.create(
        range=("sk", "S"), indexes=[Index("lsi", ("pk", "S"), ("l", "S"), local=True)]
    )
    got = tables.ddb.batch_write_item(
        RequestItems={
            table: [
                {"PutRequest": {"Item": {"pk": {"S": "c"}, "sk": {"S": "1"}, "l": {"S": "x"}}}},
                {"DeleteRequest": {"Key": {"pk": {"S": "d"}, "sk": {"S": "1"}}}},
            ]
        },
        ReturnItemCollectionMetrics="SIZE",
        ReturnConsumedCapacity="INDEXES",
    )
    assert got["ItemCollectionMetrics"] == {
        table: [
            {"ItemCollectionKey": {"pk": {"S": "c"}}, "SizeEstimateRangeGB": [0.0, 1.0]},
            {"ItemCollectionKey": {"pk": {"S": "d"}}, "SizeEstimateRangeGB": [0.0, 1.0]},
        ]
    }
    assert got["ConsumedCapacity"][0]["LocalSecondaryIndexes"] == {"lsi": {"CapacityUnits": 1.0}}


DUPLICATES = "Provided list of item keys contains duplicates"
KEY_MISMATCH = "The provided key element does not match the schema"


def _refusals(plain: str, ranged: str) -> list[tuple[str, dict[str, Any], str, str]]:
    """(operation, members, code, message)."""
    put = {"PutRequest": {"Item": {"pk": {"S": "x"}}}}
    return [
        (
            "batch_get_item",
            {"RequestItems": {plain: {"Keys": [{"pk": {"S": "a"}}, {"pk": {"S": "a"}}]}}},
            "ValidationException",
            DUPLICATES,
        ),
        (
            "batch_get_item",
            {
                "RequestItems": {
                    plain: {"Keys": [{"pk": {"S": f"k{n}"}} for n in range(60)]},
                    ranged: {"Keys": [{"pk": {"S": "k"}, "sk": {"N": str(n)}} for n in range(41)]},
                }
            },
            "ValidationException",
            "Too many items requested for the BatchGetItem call",
        ),
        (
            "batch_get_item",
            {"RequestItems": {"no-such-table": {"Keys": [{"pk": {"S": "a"}}]}}},
            "ResourceNotFoundException",
            "Requested resource not found",
        ),
        (
            "batch_get_item",
            {"RequestItems": {ranged: {"Keys": [{"pk": {"S": "a"}}]}}},
            "ValidationException",
            KEY_MISMATCH,
        ),
        (
            "batch_get_item",
            {
                "RequestItems": {
                    plain: {"Keys": [{"pk": {"S": "a"}}], "ProjectionExpression": "a, a"}
                }
            },
            "ValidationException",
            "Invalid ProjectionExpression: Two document paths overlap with each other; must "
            "remove or rewrite one of these paths; path one: [a], path two: [a]",
        ),
        (
            "batch_get_item",
            {
                "RequestItems": {
                    plain: {
                        "Keys": [{"pk": {"S": "a"}}],
                        "AttributesToGet": ["pk"],
                        "ProjectionExpression": "pk",
                    }
                }
            },
            "ValidationException",
            "Can not use both expression and non-expression parameters in the same request: "
            "Non-expression parameters: {AttributesToGet} Expression parameters: "
            "{ProjectionExpression}",
        ),
        (
            "batch_write_item",
            {
                "RequestItems": {
                    plain: [put, {"DeleteRequest": {"Key": {"pk": {"S": "x"}}}}],
                }
            },
            "ValidationException",
            DUPLICATES,
        ),
        (
            "batch_write_item",
            {
                "RequestItems": {
                    plain: [{"PutRequest": {"Item": {"pk": {"S": f"k{n}"}}}} for n in range(20)],
                    ranged: [
                        {"PutRequest": {"Item": {"pk": {"S": "k"}, "sk": {"N": str(n)}}}}
                        for n in range(6)
                    ],
                }
            },
            "ValidationException",
            "Too many items requested for the BatchWriteItem call",
        ),
        (
            "batch_write_item",
            {"RequestItems": {plain: [{"PutRequest": {"Item": {"pk": {"N": "5"}}}}]}},
            "ValidationException",
            KEY_MISMATCH,
        ),
        (
            "batch_write_item",
            {"RequestItems": {plain: [{"PutRequest": {"Item": {"other": {"S": "5"}}}}]}},
            "ValidationException",
            KEY_MISMATCH,
        ),
        (
            "batch_write_item",
            {"RequestItems": {plain: [{"PutRequest": {"Item": {"pk": {"S": ""}}}}]}},
            "ValidationException",
            "One or more parameter values are not valid. The AttributeValue for a key attribute "
            "cannot contain an empty string value. Key: pk",
        ),
        (
            "batch_write_item",
            {"RequestItems": {plain: [{}]}},
            "ValidationException",
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one "
            "of the supported datatypes",
        ),
        (
            "batch_write_item",
            {"RequestItems": {"no-such-table": [put]}},
            "ResourceNotFoundException",
            "Requested resource not found",
        ),
    ]


def test_batch_mistakes_are_refused_in_dynamodbs_words(
    tables: Tables, pair: tuple[str, str]
) -> None:
    for operation, members, code, message in _refusals(*pair):
        got = error(functools.partial(getattr(tables.ddb, operation), **members))
        assert got[:2] == (code, message), (operation, members)

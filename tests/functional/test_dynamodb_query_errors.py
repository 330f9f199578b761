"""Every refusal of Query and Scan through boto3, with DynamoDB's code and text (the
sources of each text are in the modules that raise it: ``query_api``, ``paging``,
``selection``, ``legacy_reads`` and the expression parser)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from altus.dynamodb import model
from tests.functional.dynamodb_reads import IndexSpec, Tables, serve, values

VALIDATION = "ValidationException"
KEY = {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": values(p="a")}


@pytest.fixture(scope="module")
def ddb() -> Iterator[Tables]:
    yield from serve()


@pytest.fixture(scope="module")
def table(ddb: Tables) -> str:
    return ddb.create(
        ("pk", "S"),
        ("sk", "N"),
        local=[IndexSpec("lsi", ("pk", "S"), ("lk", "N"), model.KEYS_ONLY)],
        global_=[IndexSpec("gsi", ("g", "S"), None, model.KEYS_ONLY)],
    )


def _eq(value: dict[str, Any]) -> dict[str, Any]:
    return {"ComparisonOperator": "EQ", "AttributeValueList": [value]}


QUERY_REFUSALS: list[tuple[str, dict[str, Any], str]] = [
    (
        "no key condition",
        {},
        "Either the KeyConditions or KeyConditionExpression parameter must be specified in "
        "the request.",
    ),
    (
        "no partition key",
        {"KeyConditionExpression": "sk = :s", "ExpressionAttributeValues": values(s=1)},
        "Query condition missed key schema element: pk",
    ),
    (
        "partition key ordered",
        {"KeyConditionExpression": "pk < :p", "ExpressionAttributeValues": values(p="a")},
        "Query key condition not supported",
    ),
    (
        "or",
        {
            "KeyConditionExpression": "pk = :p OR sk = :s",
            "ExpressionAttributeValues": values(p="a", s=1),
        },
        "Invalid operator used in KeyConditionExpression: OR",
    ),
    (
        "partition key of another type",
        {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": values(p=1)},
        "One or more parameter values were invalid: Condition parameter type does not match "
        "schema type",
    ),
    (
        "sort key of another type",
        {
            "KeyConditionExpression": "pk = :p AND sk = :s",
            "ExpressionAttributeValues": values(p="a", s="1"),
        },
        "One or more parameter values were invalid: Condition parameter type does not match "
        "schema type",
    ),
    (
        "begins_with a number",
        {
            "KeyConditionExpression": "pk = :p AND begins_with(sk, :s)",
            "ExpressionAttributeValues": values(p="a", s=1),
        },
        "Invalid KeyConditionExpression: Incorrect operand type for operator or function; "
        "operator or function: begins_with, operand type: N",
    ),
    (
        "begins_with on a number key",
        {
            "KeyConditionExpression": "pk = :p AND begins_with(sk, :s)",
            "ExpressionAttributeValues": values(p="a", s="1"),
        },
        "One or more parameter values were invalid: Condition parameter type does not match "
        "schema type",
    ),
    (
        "between reversed",
        {
            "KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b",
            "ExpressionAttributeValues": values(p="a", a=5, b=1),
        },
        "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be "
        "greater than or equal to lower bound; lower bound operand: AttributeValue: {N:5}, "
        "upper bound operand: AttributeValue: {N:1}",
    ),
    (
        "a term on another attribute",
        {
            "KeyConditionExpression": "pk = :p AND xattr = :o",
            "ExpressionAttributeValues": values(p="a", o=1),
        },
        "Query condition missed key schema element: sk",
    ),
    (
        "unknown index",
        {"IndexName": "nope", **KEY},
        "The table does not have the specified index: nope",
    ),
    (
        "consistent global index",
        {
            "IndexName": "gsi",
            "ConsistentRead": True,
            "KeyConditionExpression": "g = :g",
            "ExpressionAttributeValues": values(g="a"),
        },
        "Consistent reads are not supported on global secondary indexes",
    ),
    (
        "filter on the sort key",
        {
            "KeyConditionExpression": "pk = :p",
            "FilterExpression": "sk > :s",
            "ExpressionAttributeValues": values(p="a", s=1),
        },
        "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk",
    ),
    (
        "filter on a local index's sort key",
        {
            "IndexName": "lsi",
            "KeyConditionExpression": "pk = :p",
            "FilterExpression": "lk > :s",
            "ExpressionAttributeValues": values(p="a", s=1),
        },
        "Filter Expression can only contain non-primary key attributes: Primary key attribute: lk",
    ),
    (
        "count and a projection",
        {"Select": "COUNT", "ProjectionExpression": "a", **KEY},
        "1 validation error detected: Cannot specify the ProjectionExpression when choosing "
        "to get only the Count",
    ),
    (
        "all attributes and a projection",
        {"Select": "ALL_ATTRIBUTES", "ProjectionExpression": "a", **KEY},
        "1 validation error detected: Cannot specify the ProjectionExpression when choosing "
        "to get ALL_ATTRIBUTES",
    ),
    (
        "all projected attributes of a table",
        {"Select": "ALL_PROJECTED_ATTRIBUTES", **KEY},
        "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName",
    ),
    (
        "specific attributes unnamed",
        {"Select": "SPECIFIC_ATTRIBUTES", **KEY},
        "Must specify the AttributesToGet or ProjectionExpression when choosing to get "
        "SPECIFIC_ATTRIBUTES",
    ),
    (
        "all attributes of a keys-only global index",
        {
            "IndexName": "gsi",
            "Select": "ALL_ATTRIBUTES",
            "KeyConditionExpression": "g = :g",
            "ExpressionAttributeValues": values(g="a"),
        },
        "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not "
        "supported for global secondary index gsi because its projection type is not ALL",
    ),
    (
        "attributes a global index lacks",
        {
            "IndexName": "gsi",
            "ProjectionExpression": "xattr, pk, more.deep",
            "KeyConditionExpression": "g = :g",
            "ExpressionAttributeValues": values(g="a"),
        },
        "One or more parameter values were invalid: Global secondary index gsi does not "
        "project [xattr, more]",
    ),
    (
        "expression and legacy parameters",
        {"AttributesToGet": ["a"], **KEY},
        "Can not use both expression and non-expression parameters in the same request: "
        "Non-expression parameters: {AttributesToGet} Expression parameters: "
        "{KeyConditionExpression}",
    ),
    (
        "values without expressions",
        {"KeyConditions": {"pk": _eq({"S": "a"})}, "ExpressionAttributeValues": values(x=1)},
        "ExpressionAttributeValues can only be specified when using expressions: "
        "FilterExpression and KeyConditionExpression are null",
    ),
    (
        "a value unused",
        {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": values(p="a", x=1)},
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:x}",
    ),
    (
        "a nested path into a key",
        {"ProjectionExpression": "pk.x", **KEY},
        "Key attributes must be scalars; list random access '[]' and map lookup '.' are not "
        "allowed: Key: pk",
    ),
    (
        "start key of another size",
        {"ExclusiveStartKey": {"pk": {"S": "a"}}, **KEY},
        "Exclusive Start Key must have same size as table's key schema",
    ),
    (
        "start key of other attributes",
        {"ExclusiveStartKey": {"pk": {"S": "a"}, "other": {"N": "1"}}, **KEY},
        "The provided starting key is invalid",
    ),
    (
        "start key of another type",
        {"ExclusiveStartKey": {"pk": {"S": "a"}, "sk": {"S": "1"}}, **KEY},
        "The provided key element does not match the schema",
    ),
    (
        "start key not a value",
        {"ExclusiveStartKey": {"pk": {"S": "a"}, "sk": {"N": "x"}}, **KEY},
        "The provided starting key is invalid: The parameter cannot be converted to a "
        "numeric value: x",
    ),
    (
        "start key in another partition",
        {"ExclusiveStartKey": {"pk": {"S": "b"}, "sk": {"N": "1"}}, **KEY},
        "The provided starting key is outside query boundaries based on provided conditions",
    ),
    (
        "start key outside the sort key condition",
        {
            "KeyConditionExpression": "pk = :p AND sk > :s",
            "ExpressionAttributeValues": values(p="a", s=5),
            "ExclusiveStartKey": {"pk": {"S": "a"}, "sk": {"N": "2"}},
        },
        "The provided starting key does not match the range key predicate",
    ),
    (
        "start key in another partition with a sort key condition",
        {
            "KeyConditionExpression": "pk = :p AND sk > :s",
            "ExpressionAttributeValues": values(p="a", s=5),
            "ExclusiveStartKey": {"pk": {"S": "b"}, "sk": {"N": "7"}},
        },
        "The query can return at most one row and cannot be restarted",
    ),
    (
        "start key of a local index without its key",
        {"IndexName": "lsi", "ExclusiveStartKey": {"pk": {"S": "a"}, "sk": {"N": "1"}}, **KEY},
        "The provided starting key is invalid",
    ),
    (
        "legacy condition not indexable",
        {"KeyConditions": {"pk": {"ComparisonOperator": "NE", "AttributeValueList": [{"S": "a"}]}}},
        "Attempted conditional constraint is not an indexable operation",
    ),
    (
        "legacy partition key ordered",
        {"KeyConditions": {"pk": {"ComparisonOperator": "GT", "AttributeValueList": [{"S": "a"}]}}},
        "Query key condition not supported",
    ),
    (
        "legacy conditions without the partition key",
        {"KeyConditions": {"sk": _eq({"N": "1"})}},
        "Query condition missed key schema element: pk",
    ),
    (
        "legacy conditions three",
        {"KeyConditions": {"pk": _eq({"S": "a"}), "sk": _eq({"N": "1"}), "x": _eq({"N": "1"})}},
        "Conditions can be of length 1 or 2 only",
    ),
    (
        "legacy between reversed",
        {
            "KeyConditions": {
                "pk": _eq({"S": "a"}),
                "sk": {
                    "ComparisonOperator": "BETWEEN",
                    "AttributeValueList": [{"N": "5"}, {"N": "1"}],
                },
            }
        },
        "The BETWEEN condition was provided a range where the lower bound is greater than "
        "the upper bound",
    ),
    (
        "legacy begins_with a number",
        {
            "KeyConditions": {
                "pk": _eq({"S": "a"}),
                "sk": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"N": "5"}]},
            }
        },
        "One or more parameter values were invalid: ComparisonOperator BEGINS_WITH is not "
        "valid for N AttributeValue type",
    ),
    (
        "legacy sort key of another type",
        {"KeyConditions": {"pk": _eq({"S": "a"}), "sk": _eq({"S": "1"})}},
        "One or more parameter values were invalid: Condition parameter type does not match "
        "schema type",
    ),
    (
        "legacy filter on the sort key",
        {"KeyConditions": {"pk": _eq({"S": "a"})}, "QueryFilter": {"sk": _eq({"N": "1"})}},
        "QueryFilter can only contain non-primary key attributes: Primary key attribute: sk",
    ),
    (
        "attributes named twice",
        {"KeyConditions": {"pk": _eq({"S": "a"})}, "AttributesToGet": ["a", "a"]},
        "One or more parameter values were invalid: Duplicate value in attribute name: a",
    ),
]


@pytest.mark.parametrize(
    ("members", "message"),
    [case[1:] for case in QUERY_REFUSALS],
    ids=[case[0] for case in QUERY_REFUSALS],
)
def test_query_refusals(ddb: Tables, table: str, members: dict[str, Any], message: str) -> None:
    assert ddb.error("query", TableName=table, **members) == (VALIDATION, message)


GLOBAL_START_KEY = {"pk": {"S": "a"}, "sk": {"N": "1"}}
GLOBAL_START: dict[str, Any] = {"ExclusiveStartKey": GLOBAL_START_KEY, "IndexName": "gsi"}

SCAN_REFUSALS: list[tuple[str, dict[str, Any], str]] = [
    (
        "segment alone",
        {"Segment": 0},
        "The TotalSegments parameter is required but was not present in the request when "
        "Segment parameter is present",
    ),
    (
        "total segments alone",
        {"TotalSegments": 2},
        "The Segment parameter is required but was not present in the request when "
        "parameter TotalSegments is present",
    ),
    (
        "segment past the total",
        {"Segment": 3, "TotalSegments": 3},
        "The Segment parameter is zero-based and must be less than parameter TotalSegments: "
        "Segment: 3 is not less than TotalSegments: 3",
    ),
    (
        "count and a projection",
        {"Select": "COUNT", "ProjectionExpression": "a"},
        "Cannot specify the ProjectionExpression when choosing to get only the Count",
    ),
    (
        "count and attributes to get",
        {"Select": "COUNT", "AttributesToGet": ["a"]},
        "Cannot specify the AttributesToGet when choosing to get only the Count",
    ),
    (
        "all projected attributes of a table",
        {"Select": "ALL_PROJECTED_ATTRIBUTES"},
        "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName",
    ),
    (
        "all attributes of a keys-only global index",
        {"Select": "ALL_ATTRIBUTES", "IndexName": "gsi"},
        "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not "
        "supported for global secondary index gsi because its projection type is not ALL",
    ),
    (
        "consistent global index",
        {"ConsistentRead": True, "IndexName": "gsi"},
        "Consistent reads are not supported on global secondary indexes",
    ),
    (
        "start key of another size",
        {"ExclusiveStartKey": {"pk": {"S": "a"}}},
        "Exclusive Start Key must have same size as table's key schema",
    ),
    (
        "start key of other attributes",
        {"ExclusiveStartKey": {"pk": {"S": "a"}, "other": {"N": "1"}}},
        "The provided starting key is invalid: The provided key element does not match the schema",
    ),
    (
        "start key of another type",
        {"ExclusiveStartKey": {"pk": {"N": "1"}, "sk": {"N": "1"}}},
        "The provided starting key is invalid: The provided key element does not match the schema",
    ),
    (
        "start key of a global index without its key",
        GLOBAL_START,
        "The provided starting key is invalid",
    ),
    (
        "start key of a global index of another type",
        {
            **GLOBAL_START,
            "ExclusiveStartKey": {**GLOBAL_START_KEY, "g": {"N": "1"}},
        },
        "The provided key element does not match the schema",
    ),
    (
        "start key with an empty key",
        {"ExclusiveStartKey": {"pk": {"S": ""}, "sk": {"N": "1"}}},
        "The provided starting key is invalid: One or more parameter values are not valid. "
        "The AttributeValue for a key attribute cannot contain an empty string value. Key: pk",
    ),
    (
        "values without a filter",
        {"ProjectionExpression": "a", "ExpressionAttributeValues": values(x=1)},
        "ExpressionAttributeValues can only be specified when using expressions: "
        "FilterExpression is null",
    ),
    (
        "names without expressions",
        {"ExpressionAttributeNames": {"#a": "a"}},
        "ExpressionAttributeNames can only be specified when using expressions",
    ),
    (
        "a nested path into a key",
        {"FilterExpression": "pk.a = :v", "ExpressionAttributeValues": values(v=1)},
        "Key attributes must be scalars; list random access '[]' and map lookup '.' are not "
        "allowed: Key: pk",
    ),
    (
        "expression and legacy filters",
        {
            "ScanFilter": {"a": _eq({"N": "1"})},
            "FilterExpression": "a = :v",
            "ExpressionAttributeValues": values(v=1),
        },
        "Can not use both expression and non-expression parameters in the same request: "
        "Non-expression parameters: {ScanFilter} Expression parameters: {FilterExpression}",
    ),
    (
        "legacy in without values",
        {"ScanFilter": {"a": {"ComparisonOperator": "IN", "AttributeValueList": []}}},
        "One or more parameter values were invalid: Invalid number of argument(s) for the IN "
        "ComparisonOperator",
    ),
    (
        "legacy ordering of a list",
        {"ScanFilter": {"a": {"ComparisonOperator": "LT", "AttributeValueList": [{"L": []}]}}},
        "One or more parameter values were invalid: ComparisonOperator LT is not valid for L "
        "AttributeValue type",
    ),
    (
        "legacy values of two types",
        {
            "ScanFilter": {
                "a": {"ComparisonOperator": "IN", "AttributeValueList": [{"S": "a"}, {"N": "1"}]}
            }
        },
        "One or more parameter values were invalid: AttributeValues inside AttributeValueList "
        "must be of same type",
    ),
    (
        "an empty filter",
        {"FilterExpression": ""},
        "Invalid FilterExpression: The expression can not be empty;",
    ),
]


@pytest.mark.parametrize(
    ("members", "message"),
    [case[1:] for case in SCAN_REFUSALS],
    ids=[case[0] for case in SCAN_REFUSALS],
)
def test_scan_refusals(ddb: Tables, table: str, members: dict[str, Any], message: str) -> None:
    assert ddb.error("scan", TableName=table, **members) == (VALIDATION, message)


@pytest.mark.parametrize("operation", ["query", "scan"])
def test_a_table_not_there(ddb: Tables, operation: str) -> None:
    members = KEY if operation == "query" else {}
    assert ddb.error(operation, TableName="not-there", **members) == (
        "ResourceNotFoundException",
        "Requested resource not found",
    )

"""PutItem, GetItem, UpdateItem and DeleteItem through boto3 against a real server: every
attribute type round-trips, conditions, updates, projections, ReturnValues, consumed
capacity and item collections, DynamoDB's texts for the mistakes people make, and the
resource API's Python types. The legacy parameters: ``test_dynamodb_items_legacy``;
batches: ``test_dynamodb_batch``; transactions: ``test_dynamodb_transactions``."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import boto3
import pytest
from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError

from tests.functional.dynamodb_items_support import Index, Tables, bare, error, serve


@pytest.fixture(scope="module")
def tables() -> Iterator[Tables]:
    yield from serve()


@pytest.fixture(scope="module")
def table(tables: Tables) -> str:
    """A table of hash key ``pk`` (S) shared by tests that write their own items."""
    return tables.create()


@pytest.fixture(scope="module")
def composite(tables: Tables) -> str:
    """A table of ``pk`` (S) and ``sk`` (N)."""
    return tables.create(range=("sk", "N"))


# --- values -----------------------------------------------------------------------------

EVERY_TYPE = {
    "s": {"S": "héllo"},
    "n": {"N": "12345678901234567890123456789012345678"},
    "small": {"N": "-0.000000000000000000000000000000000000000000001"},
    "b": {"B": b"\x00\xffbinary"},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2.5"]},
    "bs": {"BS": [b"x", b"y"]},
    "m": {"M": {"inner": {"L": [{"S": "x"}, {"NULL": True}, {"BOOL": False}]}}},
    "null": {"NULL": True},
    "bool": {"BOOL": True},
    "empty": {"S": ""},
}


def test_every_attribute_type_round_trips(tables: Tables, table: str) -> None:
    item = {"pk": {"S": "types"}, **EVERY_TYPE}
    assert bare(tables.ddb.put_item(TableName=table, Item=item)) == {}
    got = tables.ddb.get_item(TableName=table, Key={"pk": {"S": "types"}})["Item"]
    assert got == item


@pytest.mark.parametrize(
    ("given", "stored"),
    [("1e2", "100"), ("+1.50", "1.5"), ("-0", "0"), ("1.5E+3", "1500"), ("0.0010", "0.001")],
)
def test_numbers_come_back_in_dynamodbs_notation(
    tables: Tables, table: str, given: str, stored: str
) -> None:
    key = {"pk": {"S": f"number-{given}"}}
    tables.ddb.put_item(TableName=table, Item={**key, "n": {"N": given}})
    assert tables.ddb.get_item(TableName=table, Key=key)["Item"]["n"] == {"N": stored}


# --- GetItem ----------------------------------------------------------------------------


def test_a_missing_item_is_answered_without_item(tables: Tables, table: str) -> None:
    assert bare(tables.ddb.get_item(TableName=table, Key={"pk": {"S": "nobody"}})) == {}


ITEM = {
    "pk": {"S": "projected"},
    "a": {"S": "A"},
    "doc": {"M": {"x": {"N": "1"}, "y": {"L": [{"S": "zero"}, {"S": "one"}, {"S": "two"}]}}},
    "name": {"S": "reserved word"},
}


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        ({"ProjectionExpression": "a"}, {"a": {"S": "A"}}),
        ({"ProjectionExpression": "doc.x, a"}, {"a": {"S": "A"}, "doc": {"M": {"x": {"N": "1"}}}}),
        (
            {"ProjectionExpression": "doc.y[2], doc.y[0]"},
            {"doc": {"M": {"y": {"L": [{"S": "zero"}, {"S": "two"}]}}}},
        ),
        (
            {"ProjectionExpression": "#n", "ExpressionAttributeNames": {"#n": "name"}},
            {"name": {"S": "reserved word"}},
        ),
        ({"AttributesToGet": ["a", "name"]}, {"a": {"S": "A"}, "name": {"S": "reserved word"}}),
        ({"ProjectionExpression": "nothing"}, {}),
    ],
)
def test_getitem_projects(
    tables: Tables, table: str, members: dict[str, Any], expected: dict[str, Any]
) -> None:
    tables.ddb.put_item(TableName=table, Item=ITEM)
    got = tables.ddb.get_item(TableName=table, Key={"pk": ITEM["pk"]}, **members)
    assert got["Item"] == expected


@pytest.mark.parametrize(
    ("consistent", "units"),
    [({}, 0.5), ({"ConsistentRead": False}, 0.5), ({"ConsistentRead": True}, 1.0)],
)
def test_getitem_reports_read_capacity(
    tables: Tables, table: str, consistent: dict[str, Any], units: float
) -> None:
    tables.ddb.put_item(TableName=table, Item={"pk": {"S": "read-cost"}, "big": {"S": "x" * 5000}})
    for key in ("read-cost", "no-such-item"):
        got = tables.ddb.get_item(
            TableName=table, Key={"pk": {"S": key}}, ReturnConsumedCapacity="TOTAL", **consistent
        )
        # 5 KB is two units of 4 KB; no item costs one.
        expected = units * 2 if key == "read-cost" else units
        assert got["ConsumedCapacity"] == {"TableName": table, "CapacityUnits": expected}
    indexes = tables.ddb.get_item(
        TableName=table,
        Key={"pk": {"S": "no-such-item"}},
        ReturnConsumedCapacity="INDEXES",
        **consistent,
    )
    assert indexes["ConsumedCapacity"] == {
        "TableName": table,
        "CapacityUnits": units,
        "Table": {"CapacityUnits": units},
    }


# --- conditions -------------------------------------------------------------------------


def test_a_failed_condition_is_conditional_check_failed(tables: Tables, table: str) -> None:
    key = {"pk": {"S": "guarded"}}
    tables.ddb.put_item(TableName=table, Item={**key, "v": {"N": "1"}})
    put = {"TableName": table, "Item": {**key, "v": {"N": "2"}}}
    code, message, response = error(
        lambda: tables.ddb.put_item(**put, ConditionExpression="attribute_not_exists(pk)")
    )
    assert (code, message) == ("ConditionalCheckFailedException", "The conditional request failed")
    assert "Item" not in response
    code, _, response = error(
        lambda: tables.ddb.put_item(
            **put,
            ConditionExpression="v > :v",
            ExpressionAttributeValues={":v": {"N": "5"}},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    )
    assert code == "ConditionalCheckFailedException"
    assert response["Item"] == {**key, "v": {"N": "1"}}
    # Nothing was written by either.
    assert tables.ddb.get_item(TableName=table, Key=key)["Item"]["v"] == {"N": "1"}
    # On no item, ALL_OLD has nothing to give.
    _, _, response = error(
        lambda: tables.ddb.delete_item(
            TableName=table,
            Key={"pk": {"S": "never"}},
            ConditionExpression="attribute_exists(pk)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    )
    assert "Item" not in response


@pytest.mark.parametrize(
    ("condition", "values", "holds"),
    [
        ("v = :one", {":one": {"N": "1.0"}}, True),
        ("v BETWEEN :zero AND :one", {":zero": {"N": "0"}, ":one": {"N": "1"}}, True),
        ("v IN (:two, :three)", {":two": {"N": "2"}, ":three": {"N": "3"}}, False),
        ("begins_with(s, :p)", {":p": {"S": "ab"}}, True),
        ("contains(tags, :t)", {":t": {"S": "red"}}, True),
        ("size(tags) > :n", {":n": {"N": "2"}}, False),
        ("attribute_type(s, :t)", {":t": {"S": "S"}}, True),
        ("absent <> :one", {":one": {"N": "1"}}, True),
        ("NOT (v = :one) OR s = :s", {":one": {"N": "1"}, ":s": {"S": "abc"}}, True),
    ],
)
def test_conditions_are_judged_against_the_stored_item(
    tables: Tables, table: str, condition: str, values: dict[str, Any], holds: bool
) -> None:
    key = {"pk": {"S": "judged"}}
    stored = {**key, "v": {"N": "1"}, "s": {"S": "abc"}, "tags": {"SS": ["red", "blue"]}}
    tables.ddb.put_item(TableName=table, Item=stored)
    call = {
        "TableName": table,
        "Key": key,
        "UpdateExpression": "SET seen = :yes",
        "ConditionExpression": condition,
        "ExpressionAttributeValues": {**values, ":yes": {"BOOL": True}},
    }
    if holds:
        tables.ddb.update_item(**call)
        assert tables.ddb.get_item(TableName=table, Key=key)["Item"]["seen"] == {"BOOL": True}
    else:
        assert error(lambda: tables.ddb.update_item(**call))[0] == "ConditionalCheckFailedException"


# --- UpdateItem -------------------------------------------------------------------------


def test_updates_set_remove_add_and_delete(tables: Tables, table: str) -> None:
    key = {"pk": {"S": "updated"}}
    tables.ddb.put_item(
        TableName=table,
        Item={
            **key,
            "count": {"N": "10"},
            "seq": {"L": [{"N": "1"}]},
            "gone": {"S": "x"},
            "colors": {"SS": ["red", "green"]},
            "sizes": {"NS": ["1", "2"]},
        },
    )
    tables.ddb.update_item(
        TableName=table,
        Key=key,
        UpdateExpression=(
            "SET #c = #c + :one, seq = list_append(seq, :more), fresh = if_not_exists(fresh, :f) "
            "REMOVE gone ADD tally :five, colors :blue DELETE sizes :small"
        ),
        ExpressionAttributeNames={"#c": "count"},
        ExpressionAttributeValues={
            ":one": {"N": "1"},
            ":more": {"L": [{"N": "2"}]},
            ":f": {"S": "first"},
            ":five": {"N": "5"},
            ":blue": {"SS": ["blue"]},
            ":small": {"NS": ["1"]},
        },
    )
    got = tables.ddb.get_item(TableName=table, Key=key)["Item"]
    assert got["count"] == {"N": "11"}
    assert got["seq"] == {"L": [{"N": "1"}, {"N": "2"}]}
    assert got["fresh"] == {"S": "first"}
    assert "gone" not in got
    assert got["tally"] == {"N": "5"}
    assert sorted(got["colors"]["SS"]) == ["blue", "green", "red"]
    assert got["sizes"] == {"NS": ["2"]}


def test_an_update_of_no_item_creates_it(tables: Tables, composite: str) -> None:
    key = {"pk": {"S": "created"}, "sk": {"N": "1"}}
    got = tables.ddb.update_item(
        TableName=composite,
        Key=key,
        UpdateExpression="SET a = :a",
        ExpressionAttributeValues={":a": {"S": "x"}},
        ReturnValues="UPDATED_OLD",
    )
    assert "Attributes" not in got
    assert tables.ddb.get_item(TableName=composite, Key=key)["Item"] == {**key, "a": {"S": "x"}}
    # With nothing to update, the key alone is written.
    bare = {"pk": {"S": "keyonly"}, "sk": {"N": "2"}}
    tables.ddb.update_item(TableName=composite, Key=bare)
    assert tables.ddb.get_item(TableName=composite, Key=bare)["Item"] == bare


@pytest.mark.parametrize(
    ("returned", "attributes"),
    [
        ("NONE", None),
        ("ALL_OLD", {"pk": {"S": "rv"}, "a": {"N": "1"}, "b": {"S": "keep"}, "c": {"S": "old"}}),
        ("UPDATED_OLD", {"a": {"N": "1"}, "c": {"S": "old"}}),
        ("ALL_NEW", {"pk": {"S": "rv"}, "a": {"N": "2"}, "b": {"S": "keep"}, "d": {"S": "new"}}),
        ("UPDATED_NEW", {"a": {"N": "2"}, "d": {"S": "new"}}),
    ],
)
def test_updateitem_return_values(
    tables: Tables, table: str, returned: str, attributes: dict[str, Any] | None
) -> None:
    key = {"pk": {"S": "rv"}}
    tables.ddb.put_item(
        TableName=table, Item={**key, "a": {"N": "1"}, "b": {"S": "keep"}, "c": {"S": "old"}}
    )
    got = tables.ddb.update_item(
        TableName=table,
        Key=key,
        UpdateExpression="SET a = a + :one, d = :d REMOVE c",
        ExpressionAttributeValues={":one": {"N": "1"}, ":d": {"S": "new"}},
        ReturnValues=returned,
    )
    assert got.get("Attributes") == attributes


def test_put_and_delete_return_the_old_item(tables: Tables, table: str) -> None:
    key = {"pk": {"S": "old"}}
    first = tables.ddb.put_item(
        TableName=table, Item={**key, "v": {"N": "1"}}, ReturnValues="ALL_OLD"
    )
    assert "Attributes" not in first
    second = tables.ddb.put_item(
        TableName=table, Item={**key, "v": {"N": "2"}}, ReturnValues="ALL_OLD"
    )
    assert second["Attributes"] == {**key, "v": {"N": "1"}}
    deleted = tables.ddb.delete_item(TableName=table, Key=key, ReturnValues="ALL_OLD")
    assert deleted["Attributes"] == {**key, "v": {"N": "2"}}
    assert "Attributes" not in tables.ddb.delete_item(
        TableName=table, Key=key, ReturnValues="ALL_OLD"
    )
    assert "Item" not in tables.ddb.get_item(TableName=table, Key=key)


# --- DynamoDB's texts -------------------------------------------------------------------

KEY_MISMATCH = "The provided key element does not match the schema"
EMPTY_KEY = (
    "One or more parameter values are not valid. The AttributeValue for a key attribute "
    "cannot contain an empty string value. Key: pk"
)
MIXED = (
    "Can not use both expression and non-expression parameters in the same request: "
    "Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}"
)


def _refusals(table: str, composite: str) -> list[tuple[str, dict[str, Any], str, str]]:
    """(operation, members, error code, message)."""
    return [
        ("get_item", {"TableName": composite, "Key": {"pk": {"S": "a"}}}, "V", KEY_MISMATCH),
        (
            "get_item",
            {"TableName": table, "Key": {"pk": {"S": "a"}, "other": {"S": "b"}}},
            "V",
            KEY_MISMATCH,
        ),
        ("get_item", {"TableName": table, "Key": {"pk": {"N": "1"}}}, "V", KEY_MISMATCH),
        ("get_item", {"TableName": table, "Key": {"pk": {"S": ""}}}, "V", EMPTY_KEY),
        ("delete_item", {"TableName": table, "Key": {"pk": {"S": ""}}}, "V", EMPTY_KEY),
        (
            "get_item",
            {"TableName": "no-such-table", "Key": {"pk": {"S": "a"}}},
            "ResourceNotFoundException",
            "Requested resource not found",
        ),
        (
            "put_item",
            {"TableName": table, "Item": {"other": {"S": "a"}}},
            "V",
            "One or more parameter values were invalid: Missing the key pk in the item",
        ),
        (
            "put_item",
            {"TableName": table, "Item": {"pk": {"N": "1"}}},
            "V",
            "One or more parameter values were invalid: Type mismatch for key pk expected: S "
            "actual: N",
        ),
        ("put_item", {"TableName": table, "Item": {"pk": {"S": ""}}}, "V", EMPTY_KEY),
        (
            "put_item",
            {"TableName": table, "Item": {"pk": {"S": "big"}, "v": {"S": "x" * 409600}}},
            "V",
            "Item size has exceeded the maximum allowed size",
        ),
        (
            "put_item",
            {"TableName": table, "Item": {"pk": {"S": "a"}}, "ReturnValues": "ALL_NEW"},
            "V",
            "Return values set to invalid value",
        ),
        (
            "delete_item",
            {"TableName": table, "Key": {"pk": {"S": "a"}}, "ReturnValues": "UPDATED_OLD"},
            "V",
            "Return values set to invalid value",
        ),
        (
            "put_item",
            {
                "TableName": table,
                "Item": {"pk": {"S": "a"}},
                "ConditionExpression": "name = :v",
                "ExpressionAttributeValues": {":v": {"S": "x"}},
            },
            "V",
            "Invalid ConditionExpression: Attribute name is a reserved keyword; "
            "reserved keyword: name",
        ),
        (
            "put_item",
            {
                "TableName": table,
                "Item": {"pk": {"S": "a"}},
                "ConditionExpression": "a = :v",
                "ExpressionAttributeValues": {":v": {"S": "x"}, ":w": {"S": "y"}},
            },
            "V",
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}",
        ),
        (
            "get_item",
            {
                "TableName": table,
                "Key": {"pk": {"S": "a"}},
                "ProjectionExpression": "a",
                "ExpressionAttributeNames": {"#x": "x"},
            },
            "V",
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {#x}",
        ),
        (
            "put_item",
            {
                "TableName": table,
                "Item": {"pk": {"S": "a"}},
                "ExpressionAttributeValues": {":v": {"S": "x"}},
            },
            "V",
            "ExpressionAttributeValues can only be specified when using expressions",
        ),
        (
            "put_item",
            {
                "TableName": table,
                "Item": {"pk": {"S": "a"}},
                "Expected": {"pk": {"Exists": False}},
                "ConditionExpression": "attribute_not_exists(pk)",
            },
            "V",
            MIXED,
        ),
        (
            "get_item",
            {
                "TableName": table,
                "Key": {"pk": {"S": "a"}},
                "AttributesToGet": ["a"],
                "ProjectionExpression": "a",
            },
            "V",
            "Can not use both expression and non-expression parameters in the same request: "
            "Non-expression parameters: {AttributesToGet} Expression parameters: "
            "{ProjectionExpression}",
        ),
        (
            "update_item",
            {
                "TableName": table,
                "Key": {"pk": {"S": "a"}},
                "UpdateExpression": "SET #k = :v",
                "ExpressionAttributeNames": {"#k": "pk"},
                "ExpressionAttributeValues": {":v": {"S": "b"}},
            },
            "V",
            "One or more parameter values were invalid: Cannot update attribute pk. This "
            "attribute is part of the key",
        ),
        (
            "update_item",
            {
                "TableName": composite,
                "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}},
                "AttributeUpdates": {"sk": {"Value": {"N": "2"}}},
            },
            "V",
            "One or more parameter values were invalid: Cannot update attribute sk. This "
            "attribute is part of the key",
        ),
        (
            "update_item",
            {
                "TableName": table,
                "Key": {"pk": {"S": "a"}},
                "UpdateExpression": "SET a = a + :v",
                "ExpressionAttributeValues": {":v": {"N": "1"}},
            },
            "V",
            "The provided expression refers to an attribute that does not exist in the item",
        ),
        (
            "update_item",
            {
                "TableName": table,
                "Key": {"pk": {"S": "a"}},
                "UpdateExpression": "SET a = :v",
                "ExpressionAttributeValues": {":v": {"S": "x" * 409600}},
            },
            "V",
            "Item size to update has exceeded the maximum allowed size",
        ),
        (
            "put_item",
            {"TableName": table, "Item": {"pk": {"S": "a"}, "n": {"N": "1e126"}}},
            "V",
            "Number overflow. Attempting to store a number with magnitude larger than "
            "supported range",
        ),
    ]


def test_mistakes_are_refused_in_dynamodbs_words(
    tables: Tables, table: str, composite: str
) -> None:
    for operation, members, code, message in _refusals(table, composite):
        got = error(functools.partial(getattr(tables.ddb, operation), **members))
        expected = "ValidationException" if code == "V" else code
        assert got[:2] == (expected, message), (operation, members)


@pytest.mark.parametrize(
    ("members", "message"),
    [
        (
            {"Key": {"pk": {}}},
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
        ),
        (
            {"Key": {"pk": {"S": "a", "N": "1"}}},
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one "
            "of the supported datatypes",
        ),
        (
            {"Key": {"pk": {"S": "a", "N": "x"}}},
            "The parameter cannot be converted to a numeric value: x",
        ),
        ({"Key": {}}, "The provided key element does not match the schema"),
    ],
)
def test_keys_of_the_wrong_shape_are_refused(
    tables: Tables, table: str, members: dict[str, Any], message: str
) -> None:
    # boto3 would refuse these itself: sent unchecked, as other clients may send them.
    raw = tables.harness.client("dynamodb", parameter_validation=False)
    got = error(lambda: raw.get_item(TableName=table, **members))
    assert got[:2] == ("ValidationException", message)


# --- consumed capacity and item collections ---------------------------------------------


def test_writes_charge_the_table_and_each_index_they_change(tables: Tables) -> None:
    name = tables.create(
        range=("sk", "S"),
        indexes=[
            Index("gsi", ("g", "S"), projection="INCLUDE", non_key=("proj",)),
            Index("lsi", ("pk", "S"), ("l", "S"), local=True),
        ],
    )
    key = {"pk": {"S": "p"}, "sk": {"S": "1"}}
    item = {**key, "g": {"S": "g1"}, "l": {"S": "l1"}, "proj": {"S": "x"}}

    def put(given: dict[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = tables.ddb.put_item(
            TableName=name, Item=given, ReturnConsumedCapacity="INDEXES"
        )["ConsumedCapacity"]
        return found

    assert put(item) == {
        "TableName": name,
        "CapacityUnits": 3.0,
        "Table": {"CapacityUnits": 1.0},
        "GlobalSecondaryIndexes": {"gsi": {"CapacityUnits": 1.0}},
        "LocalSecondaryIndexes": {"lsi": {"CapacityUnits": 1.0}},
    }
    # An identical overwrite changes no index entry.
    assert put(item) == {"TableName": name, "CapacityUnits": 1.0, "Table": {"CapacityUnits": 1.0}}
    # Moving the global index key is a delete and an insert there.
    moved = tables.ddb.update_item(
        TableName=name,
        Key=key,
        UpdateExpression="SET g = :g",
        ExpressionAttributeValues={":g": {"S": "g2"}},
        ReturnConsumedCapacity="INDEXES",
    )["ConsumedCapacity"]
    assert moved["GlobalSecondaryIndexes"] == {"gsi": {"CapacityUnits": 2.0}}
    assert moved["CapacityUnits"] == 4.0
    total = tables.ddb.delete_item(TableName=name, Key=key, ReturnConsumedCapacity="TOTAL")
    assert total["ConsumedCapacity"] == {"TableName": name, "CapacityUnits": 3.0}
    # A write of 1.5 KB is two units.
    large = tables.ddb.put_item(
        TableName=name,
        Item={"pk": {"S": "q"}, "sk": {"S": "1"}, "v": {"S": "x" * 1500}},
        ReturnConsumedCapacity="TOTAL",
    )
    assert large["ConsumedCapacity"]["CapacityUnits"] == 2.0


def test_item_collection_metrics_are_for_tables_with_local_indexes(
    tables: Tables, table: str
) -> None:
    local = tables.create(
        range=("sk", "S"), indexes=[Index("lsi", ("pk", "S"), ("l", "N"), local=True)]
    )
    key = {"pk": {"S": "c"}, "sk": {"S": "1"}}
    got = tables.ddb.put_item(TableName=local, Item=key, ReturnItemCollectionMetrics="SIZE")
    assert got["ItemCollectionMetrics"] == {
        "ItemCollectionKey": {"pk": {"S": "c"}},
        "SizeEstimateRangeGB": [0.0, 1.0],
    }
    plain = tables.ddb.put_item(
        TableName=table, Item={"pk": {"S": "c"}}, ReturnItemCollectionMetrics="SIZE"
    )
    assert "ItemCollectionMetrics" not in plain
    # A secondary index key of the wrong type is refused before anything is written.
    code, message, _ = error(
        lambda: tables.ddb.put_item(TableName=local, Item={**key, "l": {"S": "x"}})
    )
    assert (code, message) == (
        "ValidationException",
        "One or more parameter values were invalid: Type mismatch for Index Key l Expected: N "
        "Actual: S IndexName: lsi",
    )


# --- the resource API -------------------------------------------------------------------


def test_the_resource_api_round_trips_python_types(tables: Tables, table: str) -> None:
    resource = boto3.resource(
        "dynamodb",
        endpoint_url=tables.harness.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    handle = resource.Table(table)
    item = {
        "pk": "resource",
        "precise": Decimal("1234567890.1234567890123456789012345678"),
        "count": 3,
        "flag": True,
        "nothing": None,
        "blob": b"\x01\x02",
        "tags": {"a", "b"},
        "numbers": {Decimal("1"), Decimal("2.5")},
        "nested": {"list": [1, "two", {"three": Decimal("3.0")}]},
    }
    handle.put_item(Item=item)
    got = handle.get_item(Key={"pk": "resource"}, ConsistentRead=True)["Item"]
    assert got["precise"] == Decimal("1234567890.1234567890123456789012345678")
    assert got["count"] == Decimal(3)
    assert got["flag"] is True and got["nothing"] is None
    assert got["blob"].value == b"\x01\x02"
    assert got["tags"] == {"a", "b"} and got["numbers"] == {Decimal(1), Decimal("2.5")}
    assert got["nested"] == {"list": [Decimal(1), "two", {"three": Decimal(3)}]}
    updated = handle.update_item(
        Key={"pk": "resource"},
        UpdateExpression="ADD #c :n",
        ExpressionAttributeNames={"#c": "count"},
        ExpressionAttributeValues={":n": Decimal("0.5")},
        ConditionExpression=Attr("flag").eq(True),
        ReturnValues="UPDATED_NEW",
    )
    assert updated["Attributes"] == {"count": Decimal("3.5")}
    with pytest.raises(ClientError) as caught:
        handle.put_item(Item={"pk": "resource"}, ConditionExpression=Attr("pk").not_exists())
    assert caught.value.response["Error"]["Code"] == "ConditionalCheckFailedException"

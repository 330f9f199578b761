"""Query and Scan of secondary indexes, and Scan's parallel segments, through boto3
against a real server: global and local indexes are sparse (an item without the index's
key is not in it), return what their projection holds (KEYS_ONLY, INCLUDE, ALL), page
through items sharing an index key without repeating one (LastEvaluatedKey holds the
index's and the table's keys), and a local index reads the table for what it does not
hold. A Scan's segments cover the table (or index) exactly once."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from altus.dynamodb import model
from tests.functional.dynamodb_reads import IndexSpec, Tables, plain, serve, values, wire

ITEMS = 30


def _item(i: int) -> dict[str, Any]:
    item: dict[str, Any] = {"pk": "p", "sk": i, "extra": f"e{i}", "a": i * 10, "b": f"b{i}"}
    if i % 3 != 2:
        item["g"] = "x" if i % 3 == 0 else "y"
    if i % 5 != 4:
        item["r"] = i
    if i % 2 == 0:
        item["lk"] = 100 - i
    return item


@pytest.fixture(scope="module")
def ddb() -> Iterator[Tables]:
    yield from serve()


@pytest.fixture(scope="module")
def indexed(ddb: Tables) -> str:
    name = ddb.create(
        ("pk", "S"),
        ("sk", "N"),
        local=[
            IndexSpec("l_keys", ("pk", "S"), ("lk", "N"), model.KEYS_ONLY),
            IndexSpec("l_inc", ("pk", "S"), ("lk", "N"), model.INCLUDE, ("a",)),
        ],
        global_=[
            IndexSpec("by_g", ("g", "S"), ("r", "N"), model.KEYS_ONLY),
            IndexSpec("g_inc", ("g", "S"), None, model.INCLUDE, ("extra",)),
            IndexSpec("g_all", ("g", "S"), None, model.ALL),
        ],
    )
    ddb.put(name, [_item(i) for i in range(ITEMS)])
    return name


def _keep(item: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: value for name, value in item.items() if name in names}


# --- global indexes ------------------------------------------------------------------------------


def test_a_keys_only_global_index_holds_the_items_with_its_key(ddb: Tables, indexed: str) -> None:
    found = ddb.items(
        "query",
        TableName=indexed,
        IndexName="by_g",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues=values(g="x"),
    )
    expected = [
        _keep(_item(i), "pk", "sk", "g", "r") for i in range(ITEMS) if i % 3 == 0 and i % 5 != 4
    ]
    assert found == expected
    assert ddb.items(
        "query",
        TableName=indexed,
        IndexName="by_g",
        KeyConditionExpression="g = :g AND r > :r",
        ExpressionAttributeValues=values(g="x", r=20),
        ScanIndexForward=False,
    ) == [_keep(_item(i), "pk", "sk", "g", "r") for i in (27, 21)]


def test_an_index_page_names_the_index_and_table_keys(ddb: Tables, indexed: str) -> None:
    page = ddb.client.query(
        TableName=indexed,
        IndexName="by_g",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues=values(g="x"),
        Limit=2,
    )
    assert page["LastEvaluatedKey"] == wire({"pk": "p", "sk": 3, "g": "x", "r": 3})


def test_include_and_all_projections(ddb: Tables, indexed: str) -> None:
    members = {"KeyConditionExpression": "g = :g", "ExpressionAttributeValues": values(g="y")}
    included = ddb.items("query", TableName=indexed, IndexName="g_inc", **members)
    wanted = [i for i in range(ITEMS) if i % 3 == 1]
    assert included == [_keep(_item(i), "pk", "sk", "g", "extra") for i in wanted]
    whole = ddb.items("query", TableName=indexed, IndexName="g_all", **members)
    assert whole == [_item(i) for i in wanted]
    projected = ddb.items(
        "query", TableName=indexed, IndexName="g_inc", ProjectionExpression="extra, sk", **members
    )
    assert projected == [_keep(_item(i), "sk", "extra") for i in wanted]


def test_a_global_index_is_scanned_in_pages(ddb: Tables, indexed: str) -> None:
    pages = ddb.pages("scan", TableName=indexed, IndexName="by_g", Limit=4)
    found = [plain(item) for page in pages for item in page["Items"]]
    expected = [_keep(_item(i), "pk", "sk", "g", "r") for i in range(ITEMS) if "g" in _item(i)]
    expected = [item for item in expected if "r" in item]
    assert sorted(found, key=lambda item: item["sk"]) == expected
    assert all(set(page.get("LastEvaluatedKey", {})) <= {"pk", "sk", "g", "r"} for page in pages)


@pytest.mark.parametrize("forward", [True, False])
def test_items_sharing_an_index_key_page_without_repeats(ddb: Tables, forward: bool) -> None:
    name = ddb.create(
        ("pk", "S"),
        ("sk", "S"),
        global_=[IndexSpec("same", ("k", "S"), ("r", "N"), model.KEYS_ONLY)],
    )
    items: list[dict[str, Any]] = [
        {"pk": f"p{i % 4}", "sk": f"s{i:03}", "k": "same", "r": 1} for i in range(25)
    ]
    ddb.put(name, items)
    found = ddb.items(
        "query",
        TableName=name,
        IndexName="same",
        KeyConditionExpression="k = :k AND r = :r",
        ExpressionAttributeValues=values(k="same", r=1),
        Limit=3,
        ScanIndexForward=forward,
    )
    ordered = sorted(items, key=lambda item: (str(item["pk"]).encode(), str(item["sk"]).encode()))
    assert found == (ordered if forward else ordered[::-1])


def test_capacity_of_an_index_read(ddb: Tables, indexed: str) -> None:
    page = ddb.client.query(
        TableName=indexed,
        IndexName="by_g",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues=values(g="x"),
        ReturnConsumedCapacity="INDEXES",
    )
    capacity = page["ConsumedCapacity"]
    # The aggregate alone, as DynamoDB reports reads (the split is the transactions').
    assert capacity["Table"] == {"CapacityUnits": 0.0}
    assert capacity["GlobalSecondaryIndexes"] == {"by_g": {"CapacityUnits": 0.5}}


def test_an_index_being_filled_is_not_read(ddb: Tables, indexed: str) -> None:
    name = ddb.create(("pk", "S"), global_=[IndexSpec("late", ("g", "S"))])
    table = ddb.table(name)
    filling = dataclasses.replace(
        table,
        indexes=tuple(
            dataclasses.replace(index, status=model.CREATING, backfilling=True)
            for index in table.indexes
        ),
    )
    ddb.replace(filling)
    try:
        for operation, members in (
            (
                "query",
                {"KeyConditionExpression": "g = :g", "ExpressionAttributeValues": values(g="x")},
            ),
            ("scan", {}),
        ):
            assert ddb.error(operation, TableName=name, IndexName="late", **members) == (
                "ValidationException",
                "Cannot read from backfilling global secondary index: late",
            )
    finally:
        ddb.replace(table)


# --- local indexes -------------------------------------------------------------------------------


def test_a_local_index_orders_its_partition_by_its_sort_key(ddb: Tables, indexed: str) -> None:
    found = ddb.items(
        "query",
        TableName=indexed,
        IndexName="l_keys",
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues=values(p="p"),
    )
    expected = [_keep(_item(i), "pk", "sk", "lk") for i in range(ITEMS - 2, -1, -2)]
    assert found == expected
    ranged = ddb.items(
        "query",
        TableName=indexed,
        IndexName="l_keys",
        KeyConditionExpression="pk = :p AND lk BETWEEN :a AND :b",
        ExpressionAttributeValues=values(p="p", a=80, b=90),
        ConsistentRead=True,
    )
    assert [item["lk"] for item in ranged] == [80, 82, 84, 86, 88, 90]


def test_a_local_index_reads_the_table_for_what_it_lacks(ddb: Tables, indexed: str) -> None:
    members: dict[str, Any] = {
        "TableName": indexed,
        "IndexName": "l_keys",
        "KeyConditionExpression": "pk = :p AND lk >= :l",
        "ExpressionAttributeValues": values(p="p", l=90),
    }
    wanted = [10, 8, 6, 4, 2, 0]
    whole = ddb.items("query", Select="ALL_ATTRIBUTES", **members)
    assert whole == [_item(i) for i in wanted]
    some = ddb.items("query", ProjectionExpression="b, lk", **members)
    assert some == [_keep(_item(i), "b", "lk") for i in wanted]


def test_a_local_index_filters_on_what_it_lacks(ddb: Tables, indexed: str) -> None:
    page = ddb.client.query(
        TableName=indexed,
        IndexName="l_inc",
        KeyConditionExpression="pk = :p",
        FilterExpression="b IN (:x, :y)",
        ExpressionAttributeValues=values(p="p", x="b4", y="b7"),
    )
    assert [plain(item) for item in page["Items"]] == [_keep(_item(4), "pk", "sk", "lk", "a")]
    assert (page["Count"], page["ScannedCount"]) == (1, ITEMS // 2)


# --- parallel scans ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spread(ddb: Tables) -> str:
    name = ddb.create(("pk", "N"), ("sk", "S"), global_=[IndexSpec("by_v", ("v", "N"))])
    ddb.put(name, [{"pk": i // 3, "sk": f"s{i % 3}", "v": i % 7} for i in range(300)])
    return name


def _keys(items: list[dict[str, Any]]) -> list[tuple[Any, Any]]:
    return [(item["pk"], item["sk"]) for item in items]


@pytest.mark.parametrize("segments", [1, 3, 4, 16])
def test_segments_cover_the_table_exactly_once(ddb: Tables, spread: str, segments: int) -> None:
    seen: list[tuple[Any, Any]] = []
    for segment in range(segments):
        found = ddb.items(
            "scan", TableName=spread, Segment=segment, TotalSegments=segments, Limit=13
        )
        seen += _keys(found)
    everything = {(i // 3, f"s{i % 3}") for i in range(300)}
    assert len(seen) == len(everything) and set(seen) == everything


def test_segments_cover_an_index_exactly_once(ddb: Tables, spread: str) -> None:
    seen = []
    for segment in range(5):
        seen += _keys(
            ddb.items("scan", TableName=spread, IndexName="by_v", Segment=segment, TotalSegments=5)
        )
    assert sorted(seen) == sorted((i // 3, f"s{i % 3}") for i in range(300))


def test_a_start_key_from_another_segment_is_refused(ddb: Tables, spread: str) -> None:
    page = ddb.client.scan(TableName=spread, Segment=1, TotalSegments=2, Limit=1)
    assert ddb.error(
        "scan",
        TableName=spread,
        Segment=0,
        TotalSegments=2,
        ExclusiveStartKey=page["LastEvaluatedKey"],
    ) == (
        "ValidationException",
        "The provided starting key is invalid: Invalid ExclusiveStartKey. Please use "
        "ExclusiveStartKey with correct Segment. TotalSegments: 2 Segment: 0",
    )

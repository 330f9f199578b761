"""Query (and Scan's paging) through boto3 against a real server: DynamoDB's sort orders
(numbers with signs and fractions, strings by UTF-8 bytes, binaries unsigned), every
key comparison, begins_with on strings and binaries, descending reads, pages by Limit
and by 1 MB followed to the end, filters, projections, Select COUNT, the legacy
parameters and the capacity reported. Indexes: ``test_dynamodb_index_reads``; refusals:
``test_dynamodb_query_errors``."""

from __future__ import annotations

import random
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from altus.dynamodb.requests import read_units
from altus.dynamodb.values import check_item, item_size
from tests.functional.dynamodb_reads import Tables, plain, serve, values, wire

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def ddb() -> Iterator[Tables]:
    yield from serve()


@pytest.fixture(scope="module")
def numbered(ddb: Tables) -> str:
    """A table whose partition ``n`` holds sort keys 0 .. 19 (N), each with ``even``."""
    name = ddb.create(("pk", "S"), ("sk", "N"))
    ddb.put(name, [{"pk": "n", "sk": i, "even": i % 2 == 0, "v": f"v{i}"} for i in range(20)])
    ddb.put(name, [{"pk": "other", "sk": i} for i in range(5)])
    return name


def _query(ddb: Tables, table: str, condition: str, **members: Any) -> list[dict[str, Any]]:
    return ddb.items("query", TableName=table, KeyConditionExpression=condition, **members)


# --- sort orders --------------------------------------------------------------------------------

NUMBERS = [
    "-9.9999999999999999999999999999999999999E+125",
    "-1E+20",
    "-100",
    "-10.5",
    "-1.000001",
    "-1",
    "-0.5",
    "-0.001",
    "-1E-130",
    "0",
    "1E-130",
    "0.001",
    "0.5",
    "1",
    "1.000001",
    "3.14159",
    "10",
    "10.5",
    "100",
    "99999999999999999999999999999999999999",
    "1E+20",
    "9.9999999999999999999999999999999999999E+125",
]


def test_numbers_sort_by_value_both_ways(ddb: Tables) -> None:
    name = ddb.create(("pk", "S"), ("sk", "N"))
    shuffled = list(NUMBERS)
    random.Random(7).shuffle(shuffled)
    ddb.put(name, [{"pk": "p", "sk": Decimal(text)} for text in shuffled])
    expected = sorted((Decimal(text) for text in NUMBERS), key=Decimal)
    ascending = _query(ddb, name, "pk = :p", ExpressionAttributeValues=values(p="p"))
    assert [item["sk"] for item in ascending] == expected
    descending = _query(
        ddb, name, "pk = :p", ExpressionAttributeValues=values(p="p"), ScanIndexForward=False
    )
    assert [item["sk"] for item in descending] == expected[::-1]


STRINGS = ["Z", "a", "aa", "ab", "b", "e", "é", "z", "~", "中", "\uffff", "😀", "\U0010ffff"]


def test_strings_sort_by_their_utf8_bytes(ddb: Tables) -> None:
    # U+FFFF sorts before U+1F600 in UTF-8 (EF.. < F0..), after it in UTF-16.
    name = ddb.create(("pk", "S"), ("sk", "S"))
    ddb.put(name, [{"pk": "p", "sk": text} for text in reversed(STRINGS)])
    found = _query(ddb, name, "pk = :p", ExpressionAttributeValues=values(p="p"))
    assert [item["sk"] for item in found] == sorted(STRINGS, key=str.encode)
    found = _query(
        ddb, name, "pk = :p", ExpressionAttributeValues=values(p="p"), ScanIndexForward=False
    )
    assert [item["sk"] for item in found] == sorted(STRINGS, key=str.encode, reverse=True)


BLOBS = [
    b"\x00",
    b"\x00\x00",
    b"\x01",
    b"\x7f",
    b"\x80",
    b"\xfe",
    b"\xff",
    b"\xff\x00",
    b"\xff\xff",
]


def test_binaries_sort_as_unsigned_bytes(ddb: Tables) -> None:
    name = ddb.create(("pk", "B"), ("sk", "B"))
    ddb.put(name, [{"pk": b"p", "sk": blob} for blob in reversed(BLOBS)])
    found = _query(ddb, name, "pk = :p", ExpressionAttributeValues=values(p=b"p"))
    assert [item["sk"] for item in found] == BLOBS


def test_a_query_reads_one_partition_only(ddb: Tables, numbered: str) -> None:
    found = _query(ddb, numbered, "pk = :p", ExpressionAttributeValues=values(p="other"))
    assert [(item["pk"], item["sk"]) for item in found] == [("other", i) for i in range(5)]
    assert _query(ddb, numbered, "pk = :p", ExpressionAttributeValues=values(p="none")) == []


def test_a_table_without_sort_key_is_queried_by_its_partition(ddb: Tables) -> None:
    name = ddb.create(("id", "N"))
    ddb.put(name, [{"id": i, "v": i * 2} for i in range(5)])
    found = _query(ddb, name, "id = :i", ExpressionAttributeValues=values(i=3))
    assert found == [{"id": 3, "v": 6}]


# --- key conditions ------------------------------------------------------------------------------

COMPARISONS = [
    ("sk = :a", {"a": 5}, [5]),
    ("sk = :a", {"a": Decimal("5.5")}, []),
    ("sk < :a", {"a": 3}, [0, 1, 2]),
    ("sk <= :a", {"a": 3}, [0, 1, 2, 3]),
    ("sk > :a", {"a": 16}, [17, 18, 19]),
    ("sk >= :a", {"a": 16}, [16, 17, 18, 19]),
    ("sk > :a", {"a": Decimal("16.5")}, [17, 18, 19]),
    ("sk < :a", {"a": Decimal("-0.5")}, []),
    ("sk BETWEEN :a AND :b", {"a": 4, "b": 7}, [4, 5, 6, 7]),
    ("sk BETWEEN :a AND :b", {"a": 7, "b": 7}, [7]),
    ("sk BETWEEN :a AND :b", {"a": Decimal("3.5"), "b": Decimal("5.5")}, [4, 5]),
    (":a < sk", {"a": 17}, [18, 19]),
    (":a >= sk", {"a": 1}, [0, 1]),
    ("sk >= :a", {"a": -100}, list(range(20))),
]


@pytest.mark.parametrize(("term", "given", "expected"), COMPARISONS)
def test_each_sort_key_comparison(
    ddb: Tables, numbered: str, term: str, given: dict[str, Any], expected: list[int]
) -> None:
    condition = f"pk = :p AND {term}"
    params = values(p="n", **given)
    found = _query(ddb, numbered, condition, ExpressionAttributeValues=params)
    assert [item["sk"] for item in found] == expected
    backwards = _query(
        ddb, numbered, condition, ExpressionAttributeValues=params, ScanIndexForward=False
    )
    assert [item["sk"] for item in backwards] == expected[::-1]


def test_names_stand_for_key_attributes(ddb: Tables, numbered: str) -> None:
    found = _query(
        ddb,
        numbered,
        "#p = :p AND #s BETWEEN :a AND :b",
        ExpressionAttributeNames={"#p": "pk", "#s": "sk"},
        ExpressionAttributeValues=values(p="n", a=1, b=2),
    )
    assert [item["sk"] for item in found] == [1, 2]


BEGINS = ["a", "ab", "abc", "abd", "ac", "b", "é", "éa", "éb", "f", "中", "中文"]


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("ab", ["ab", "abc", "abd"]),
        ("a", ["a", "ab", "abc", "abd", "ac"]),
        ("é", ["é", "éa", "éb"]),
        ("中", ["中", "中文"]),
        ("abz", []),
        ("z", []),
    ],
)
def test_begins_with_on_a_string_sort_key(
    ddb: Tables, prefix: str, expected: list[str], strings: str
) -> None:
    found = _query(
        ddb,
        strings,
        "pk = :p AND begins_with(sk, :s)",
        ExpressionAttributeValues=values(p="p", s=prefix),
    )
    assert [item["sk"] for item in found] == expected


@pytest.fixture(scope="module")
def strings(ddb: Tables) -> str:
    name = ddb.create(("pk", "S"), ("sk", "S"))
    ddb.put(name, [{"pk": "p", "sk": text} for text in BEGINS])
    return name


PREFIXED = [
    b"\x01",
    b"\x01\x02",
    b"\x02",
    b"\xfe\xff",
    b"\xff",
    b"\xff\x00",
    b"\xff\xff",
    b"\xff\xff\x01",
]


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        (b"\x01", [b"\x01", b"\x01\x02"]),
        (b"\xfe", [b"\xfe\xff"]),
        # A prefix of FF bytes has no upper bound short of the partition's end.
        (b"\xff", [b"\xff", b"\xff\x00", b"\xff\xff", b"\xff\xff\x01"]),
        (b"\xff\xff", [b"\xff\xff", b"\xff\xff\x01"]),
        (b"\x03", []),
    ],
)
def test_begins_with_on_a_binary_sort_key(
    ddb: Tables, prefix: bytes, expected: list[bytes]
) -> None:
    name = ddb.create(("pk", "S"), ("sk", "B"))
    ddb.put(name, [{"pk": "p", "sk": blob} for blob in PREFIXED])
    ddb.put(name, [{"pk": "q", "sk": b"\xff\xff"}])
    found = _query(
        ddb,
        name,
        "pk = :p AND begins_with(sk, :s)",
        ExpressionAttributeValues=values(p="p", s=prefix),
    )
    assert [item["sk"] for item in found] == expected


# --- pages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("forward", [True, False])
@pytest.mark.parametrize(("count", "limit"), [(53, 5), (50, 5), (7, 1), (3, 10)])
def test_pages_by_limit_cover_the_range_once(
    ddb: Tables, forward: bool, count: int, limit: int
) -> None:
    name = ddb.create(("pk", "S"), ("sk", "N"))
    ddb.put(name, [{"pk": "p", "sk": i} for i in range(count)])
    pages = ddb.pages(
        "query",
        TableName=name,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues=values(p="p"),
        Limit=limit,
        ScanIndexForward=forward,
    )
    keys = [plain(item)["sk"] for page in pages for item in page["Items"]]
    expected = list(range(count)) if forward else list(range(count))[::-1]
    assert keys == expected
    # Every page that stopped at Limit names its last item, even the one that ends the
    # range exactly (the page after it is empty): DynamoDB's behaviour.
    full, last = divmod(count, limit)
    assert len(pages) == full + 1
    for page in pages[:-1]:
        assert page["Count"] == page["ScannedCount"] == limit
        assert page["LastEvaluatedKey"] == wire({"pk": "p", "sk": plain(page["Items"][-1])["sk"]})
    assert pages[-1]["Count"] == last and "LastEvaluatedKey" not in pages[-1]


def test_limit_counts_items_read_before_the_filter(ddb: Tables, numbered: str) -> None:
    pages = ddb.pages(
        "query",
        TableName=numbered,
        KeyConditionExpression="pk = :p",
        FilterExpression="even = :t",
        ExpressionAttributeValues=values(p="n", t=True),
        Limit=4,
    )
    assert [(page["ScannedCount"], page["Count"]) for page in pages] == [(4, 2)] * 5 + [(0, 0)]
    keys = [plain(item)["sk"] for page in pages for item in page["Items"]]
    assert keys == list(range(0, 20, 2))


def test_a_range_read_resumes_inside_its_bounds(ddb: Tables, numbered: str) -> None:
    pages = ddb.pages(
        "query",
        TableName=numbered,
        KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
        ExpressionAttributeValues=values(p="n", a=3, b=11),
        Limit=2,
        ScanIndexForward=False,
    )
    keys = [plain(item)["sk"] for page in pages for item in page["Items"]]
    assert keys == list(range(11, 2, -1))


def _sized(item: dict[str, Any]) -> int:
    return item_size(check_item(wire(item)))


def test_a_page_stops_at_one_mebibyte(ddb: Tables) -> None:
    name = ddb.create(("pk", "S"), ("sk", "N"))
    big = [{"pk": "p", "sk": i, "blob": bytes([i]) * 100_000} for i in range(25)]
    ddb.put(name, big)
    for select in ("ALL_ATTRIBUTES", "COUNT"):
        pages = ddb.pages(
            "query",
            TableName=name,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues=values(p="p"),
            Select=select,
        )
        counts = [page["ScannedCount"] for page in pages]
        assert sum(counts) == 25 and len(pages) == 3
        position = 0
        for page in pages[:-1]:
            sizes = [_sized(item) for item in big[position : position + page["ScannedCount"]]]
            # The item that reaches 1 MB is the page's last.
            assert sum(sizes[:-1]) < MIB <= sum(sizes)
            position += page["ScannedCount"]
            assert page["LastEvaluatedKey"] == wire({"pk": "p", "sk": position - 1})
        assert "LastEvaluatedKey" not in pages[-1]
    found = ddb.items(
        "query",
        TableName=name,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues=values(p="p"),
    )
    assert found == big


def test_a_scan_stops_at_one_mebibyte_and_limit(ddb: Tables) -> None:
    name = ddb.create(("pk", "N"))
    big = [{"pk": i, "blob": b"x" * 200_000} for i in range(12)]
    ddb.put(name, big)
    pages = ddb.pages("scan", TableName=name)
    assert [page["ScannedCount"] for page in pages][:2] == [6, 6]
    found = sorted((plain(item) for page in pages for item in page["Items"]), key=lambda i: i["pk"])
    assert found == big
    limited = ddb.pages("scan", TableName=name, Limit=5)
    assert [page["ScannedCount"] for page in limited] == [5, 5, 2]


# --- filters, projections, Select ----------------------------------------------------------------


@pytest.fixture(scope="module")
def documents(ddb: Tables) -> str:
    name = ddb.create(("pk", "S"), ("sk", "N"))
    ddb.put(
        name,
        [
            {
                "pk": "d",
                "sk": i,
                "tags": {f"t{i % 3}", "all"},
                "doc": {"a": i, "b": {"c": f"c{i}"}, "l": [i, i + 1, i + 2]},
                **({"maybe": "here"} if i % 4 == 0 else {}),
            }
            for i in range(12)
        ],
    )
    return name


@pytest.mark.parametrize(
    ("filter", "given", "expected"),
    [
        ("attribute_exists(maybe)", {}, [0, 4, 8]),
        ("attribute_not_exists(maybe)", {}, [1, 2, 3, 5, 6, 7, 9, 10, 11]),
        ("contains(tags, :t)", {"t": "t1"}, [1, 4, 7, 10]),
        ("doc.a > :n AND doc.a < :m", {"n": 8, "m": 11}, [9, 10]),
        ("doc.b.c IN (:x, :y)", {"x": "c3", "y": "c5"}, [3, 5]),
        ("doc.l[2] = :n", {"n": 4}, [2]),
        ("size(tags) = :n OR begins_with(doc.b.c, :p)", {"n": 3, "p": "c1"}, [1, 10, 11]),
        ("NOT (doc.a BETWEEN :n AND :m)", {"n": 1, "m": 10}, [0, 11]),
    ],
)
def test_filters(
    ddb: Tables, documents: str, filter: str, given: dict[str, Any], expected: list[int]
) -> None:
    pages = ddb.pages(
        "query",
        TableName=documents,
        KeyConditionExpression="pk = :pk",
        FilterExpression=filter,
        ExpressionAttributeValues=values(pk="d", **given),
    )
    (page,) = pages
    assert [plain(item)["sk"] for item in page["Items"]] == expected
    assert page["Count"] == len(expected) and page["ScannedCount"] == 12


def test_projections_keep_what_they_name(ddb: Tables, documents: str) -> None:
    found = _query(
        ddb,
        documents,
        "pk = :pk AND sk = :s",
        ProjectionExpression="doc.b.c, doc.l[1], #m, nothere",
        ExpressionAttributeNames={"#m": "maybe"},
        ExpressionAttributeValues=values(pk="d", s=4),
    )
    assert found == [{"doc": {"b": {"c": "c4"}, "l": [Decimal(5)]}, "maybe": "here"}]
    found = _query(
        ddb,
        documents,
        "pk = :pk AND sk = :s",
        ProjectionExpression="nothere",
        ExpressionAttributeValues=values(pk="d", s=4),
    )
    assert found == [{}]


def test_select_count_returns_counts_only(ddb: Tables, documents: str) -> None:
    answer = ddb.client.query(
        TableName=documents,
        KeyConditionExpression="pk = :pk",
        FilterExpression="attribute_exists(maybe)",
        ExpressionAttributeValues=values(pk="d"),
        Select="COUNT",
    )
    assert "Items" not in answer
    assert (answer["Count"], answer["ScannedCount"]) == (3, 12)


def test_select_specific_attributes_with_a_projection(ddb: Tables, documents: str) -> None:
    found = _query(
        ddb,
        documents,
        "pk = :pk AND sk < :s",
        ProjectionExpression="sk",
        Select="SPECIFIC_ATTRIBUTES",
        ExpressionAttributeValues=values(pk="d", s=2),
    )
    assert found == [{"sk": 0}, {"sk": 1}]


# --- legacy parameters ---------------------------------------------------------------------------


def test_key_conditions_and_query_filter(ddb: Tables, documents: str) -> None:
    found = ddb.items(
        "query",
        TableName=documents,
        KeyConditions={
            "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "d"}]},
            "sk": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "2"}, {"N": "9"}]},
        },
        QueryFilter={
            "tags": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [{"S": "t0"}]},
            "maybe": {"ComparisonOperator": "NOT_NULL"},
        },
        ConditionalOperator="OR",
        AttributesToGet=["sk", "maybe"],
    )
    assert found == [
        {"sk": 3},
        {"sk": 4, "maybe": "here"},
        {"sk": 6},
        {"sk": 8, "maybe": "here"},
        {"sk": 9},
    ]


@pytest.mark.parametrize(
    ("operator", "given", "expected"),
    [
        ("EQ", [{"N": "3"}], [3]),
        ("LT", [{"N": "2"}], [0, 1]),
        ("LE", [{"N": "2"}], [0, 1, 2]),
        ("GT", [{"N": "9"}], [10, 11]),
        ("GE", [{"N": "10"}], [10, 11]),
    ],
)
def test_legacy_key_comparisons(
    ddb: Tables, documents: str, operator: str, given: Any, expected: list[int]
) -> None:
    found = ddb.items(
        "query",
        TableName=documents,
        KeyConditions={
            "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "d"}]},
            "sk": {"ComparisonOperator": operator, "AttributeValueList": given},
        },
        AttributesToGet=["sk"],
    )
    assert [item["sk"] for item in found] == expected


def test_key_conditions_go_with_a_filter_expression(ddb: Tables, documents: str) -> None:
    found = ddb.items(
        "query",
        TableName=documents,
        KeyConditions={"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "d"}]}},
        FilterExpression="doc.a < :n",
        ProjectionExpression="sk",
        ExpressionAttributeValues=values(n=2),
    )
    assert found == [{"sk": 0}, {"sk": 1}]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"ComparisonOperator": "NE", "AttributeValueList": [{"S": "here"}]}, 9),
        ({"ComparisonOperator": "NULL"}, 9),
        ({"ComparisonOperator": "IN", "AttributeValueList": [{"S": "here"}, {"S": "x"}]}, 3),
        ({"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "he"}]}, 3),
        ({"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [{"S": "er"}]}, 0),
    ],
)
def test_scan_filter(ddb: Tables, documents: str, entry: dict[str, Any], expected: int) -> None:
    answer = ddb.client.scan(TableName=documents, ScanFilter={"maybe": entry}, Select="COUNT")
    assert answer["Count"] == expected


# --- capacity ------------------------------------------------------------------------------------


def test_consumed_capacity_is_the_page_rounded_up_to_4_kb(ddb: Tables, numbered: str) -> None:
    page = ddb.client.query(
        TableName=numbered,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues=values(p="n"),
        ReturnConsumedCapacity="TOTAL",
    )
    size = sum(_sized(plain(item)) for item in page["Items"])
    assert page["ConsumedCapacity"] == {
        "TableName": numbered,
        "CapacityUnits": read_units(size, False),
    }
    page = ddb.client.scan(
        TableName=numbered, ConsistentRead=True, ReturnConsumedCapacity="INDEXES"
    )
    size = sum(_sized(plain(item)) for item in page["Items"])
    units = read_units(size, True)
    assert page["ConsumedCapacity"]["Table"] == {"CapacityUnits": units}
    assert "ConsumedCapacity" not in ddb.client.scan(TableName=numbered, Limit=1)

"""The pure parts of Query and Scan: a key plan as the store's range, start keys checked
and turned into the store's ``after``, Scan's segments, Select's rules, and the legacy
conditions translated (their reads through a server: ``test_dynamodb_queries`` and
siblings)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from altus.dynamodb import keys, legacy_reads, paging, selection
from altus.dynamodb.errors import ValidationException
from altus.dynamodb.expressions import KeyPlan, RangeCondition, evaluate
from altus.dynamodb.expressions.ast import Path, Projection
from altus.dynamodb.model import (
    GLOBAL,
    INCLUDE,
    KEYS_ONLY,
    LOCAL,
    Index,
    KeySchema,
    Table,
)
from altus.dynamodb.model import Projection as IndexProjection
from altus.dynamodb.query_api import key_range

KEY = KeySchema("pk", "S", "sk", "N")
LSI = Index("l", "t/l", LOCAL, KeySchema("pk", "S", "lk", "N"), IndexProjection(KEYS_ONLY))
GSI = Index("g", "t/g", GLOBAL, KeySchema("g", "S"), IndexProjection(INCLUDE, ("x",)))
TABLE = Table(
    "t", "t", "arn", KEY, {"pk": "S", "sk": "N", "lk": "N", "g": "S"}, 0.0, indexes=(LSI, GSI)
)


def n(value: int | str) -> dict[str, str]:
    return {"N": str(value)}


def s(value: str) -> dict[str, str]:
    return {"S": value}


# --- key plans as ranges --------------------------------------------------------------------------


def _in_range(read: Any, sort: dict[str, Any]) -> bool:
    encoded = keys.encode(sort)
    if read.low is not None and (
        encoded < read.low or (encoded == read.low and not read.low_inclusive)
    ):
        return False
    return (
        read.high is None or encoded < read.high or (encoded == read.high and read.high_inclusive)
    )


@pytest.mark.parametrize(
    "condition",
    [
        RangeCondition("=", (n(5),)),
        RangeCondition("<", (n(5),)),
        RangeCondition("<=", (n("-0.5"),)),
        RangeCondition(">", (n("4.5"),)),
        RangeCondition(">=", (n(-3),)),
        RangeCondition("BETWEEN", (n(-2), n(7))),
        RangeCondition("BETWEEN", (n(3), n(3))),
    ],
)
def test_a_sort_key_condition_is_the_range_it_reads(condition: RangeCondition) -> None:
    read = key_range(TABLE, None, KeyPlan(s("p"), condition), forward=True)
    assert read.partition.partition == b"p" and read.partition.hash == keys.partition_hash(s("p"))
    for text in ["-10", "-3", "-2", "-0.5", "0", "1", "3", "4.5", "4.6", "5", "7", "7.01", "20"]:
        assert _in_range(read, n(text)) == condition.matches(n(text)), text


@pytest.mark.parametrize("prefix", ["a", "ab", "é", "\U0010ffff"])
def test_begins_with_reads_exactly_the_prefixed_strings(prefix: str) -> None:
    schema = KeySchema("pk", "S", "sk", "S")
    table = Table("t", "t", "arn", schema, {}, 0.0)
    condition = RangeCondition("begins_with", (s(prefix),))
    read = key_range(table, None, KeyPlan(s("p"), condition), forward=False)
    assert read.forward is False
    for text in ["a", "aa", "ab", "abc", "ac", "b", "é", "éa", "f", "\U0010ffff", "\U0010ffffz"]:
        assert _in_range(read, s(text)) == text.startswith(prefix), text


def test_an_empty_partition_key_is_refused() -> None:
    with pytest.raises(ValidationException, match=r"an empty string value\. Key: pk"):
        key_range(TABLE, None, KeyPlan(s(""), None), forward=True)


# --- start keys ---------------------------------------------------------------------------------


def test_a_start_key_becomes_the_stores_after() -> None:
    start = {"pk": s("p"), "sk": n(3), "lk": n(9)}
    checked = paging.check_start(start, TABLE, LSI, query=True)
    sort, table_row = paging.query_after(checked, TABLE, LSI)
    assert sort == keys.encode(n(9))
    assert table_row is not None and table_row.sort == keys.encode(n(3))
    row, table_row = paging.scan_after({"pk": s("p"), "sk": n(3)}, TABLE, None)
    assert (row.hash, row.partition, row.sort) == (
        keys.partition_hash(s("p")),
        b"p",
        keys.encode(n(3)),
    )
    assert table_row is None


@pytest.mark.parametrize(
    ("start", "index", "query", "message"),
    [
        ({"pk": s("p")}, None, True, paging.WRONG_SIZE),
        ({"pk": s("p"), "x": n(1)}, None, True, paging.INVALID),
        ({"pk": s("p"), "x": n(1)}, None, False, f"{paging.INVALID}: {paging.KEY_MISMATCH}"),
        ({"pk": s("p"), "sk": s("1")}, None, True, paging.KEY_MISMATCH),
        ({"pk": s("p"), "sk": s("1")}, None, False, f"{paging.INVALID}: {paging.KEY_MISMATCH}"),
        ({"pk": s("p"), "sk": n(1)}, GSI, False, paging.INVALID),
        ({"pk": s("p"), "sk": n(1), "g": n(1)}, GSI, False, paging.KEY_MISMATCH),
        (
            {"pk": n(1), "sk": n(1), "g": s("1")},
            GSI,
            True,
            f"{paging.INVALID}: {paging.KEY_MISMATCH}",
        ),
    ],
)
def test_start_keys_refused(
    start: dict[str, Any], index: Index | None, query: bool, message: str
) -> None:
    with pytest.raises(ValidationException) as caught:
        paging.check_start(start, TABLE, index, query=query)
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("start", "plan", "message"),
    [
        ({"pk": s("q"), "sk": n(1)}, KeyPlan(s("p"), None), paging.OUTSIDE),
        (
            {"pk": s("p"), "sk": n(1)},
            KeyPlan(s("p"), RangeCondition(">", (n(1),))),
            paging.NOT_IN_RANGE,
        ),
        ({"pk": s("q"), "sk": n(2)}, KeyPlan(s("p"), RangeCondition(">", (n(1),))), paging.ONE_ROW),
    ],
)
def test_query_start_keys_inside_the_condition(
    start: dict[str, Any], plan: KeyPlan, message: str
) -> None:
    with pytest.raises(ValidationException) as caught:
        paging.check_query_bounds(start, KEY, plan)
    assert caught.value.message == message
    paging.check_query_bounds({"pk": s("p"), "sk": n(2)}, KEY, plan)


def test_last_key_holds_the_index_and_table_keys() -> None:
    item = {"pk": s("p"), "sk": n(1), "lk": n(2), "x": s("y")}
    assert paging.last_key(item, TABLE, LSI) == {"pk": s("p"), "sk": n(1), "lk": n(2)}
    assert paging.last_key(item, TABLE, None) == {"pk": s("p"), "sk": n(1)}


@pytest.mark.parametrize("segments", [1, 2, 3, 7, 1000, 1_000_000])
def test_each_hash_falls_in_one_segment_as_the_store_divides_them(segments: int) -> None:
    chosen = random.Random(segments)
    bounds = [i * paging.HASH_SPACE // segments for i in range(segments + 1)]
    samples = [0, paging.HASH_SPACE - 1] + [chosen.randrange(paging.HASH_SPACE) for _ in range(200)]
    for edge in chosen.sample(range(1, segments), min(segments - 1, 20)) if segments > 1 else []:
        samples += [bounds[edge], bounds[edge] - 1]
    for value in samples:
        segment = paging.segment_of(value.to_bytes(16, "big"), segments)
        assert bounds[segment] <= value < bounds[segment + 1]


# --- Select -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("select", "projected_by", "index_named", "expected"),
    [
        (None, None, False, selection.ALL_ATTRIBUTES),
        (None, None, True, selection.ALL_PROJECTED_ATTRIBUTES),
        (None, "ProjectionExpression", True, selection.SPECIFIC_ATTRIBUTES),
        ("COUNT", None, False, selection.COUNT),
        ("SPECIFIC_ATTRIBUTES", "AttributesToGet", False, selection.SPECIFIC_ATTRIBUTES),
    ],
)
def test_select_defaults(
    select: str | None, projected_by: str | None, index_named: bool, expected: str
) -> None:
    assert selection.choose(select, projected_by, index_named=index_named, query=False) == expected


def test_what_an_index_read_returns() -> None:
    returned = selection.plan(selection.ALL_ATTRIBUTES, None, None, TABLE, LSI)
    assert returned.fetch
    projection = Projection((Path(("x",)),))
    assert (
        selection.plan(selection.SPECIFIC_ATTRIBUTES, projection, None, TABLE, GSI).fetch is False
    )
    assert selection.plan(selection.SPECIFIC_ATTRIBUTES, projection, None, TABLE, LSI).fetch
    assert not selection.plan(selection.ALL_PROJECTED_ATTRIBUTES, None, None, TABLE, LSI).fetch
    with pytest.raises(ValidationException, match=r"does not project \[y\]"):
        selection.plan(
            selection.SPECIFIC_ATTRIBUTES, Projection((Path(("y", "z")),)), None, TABLE, GSI
        )


# --- legacy conditions --------------------------------------------------------------------------

ITEMS: list[dict[str, Any]] = [
    {"a": n(1)},
    {"a": s("x")},
    {"a": {"L": [n(1)]}},
    {"a": {"SS": ["x", "y"]}},
    {},
]


@pytest.mark.parametrize(
    ("entry", "matches"),
    [
        ({"ComparisonOperator": "EQ", "AttributeValueList": [n(1)]}, [0]),
        ({"ComparisonOperator": "EQ", "AttributeValueList": [{"L": [n(1)]}]}, [2]),
        ({"ComparisonOperator": "NE", "AttributeValueList": [n(1)]}, [1, 2, 3, 4]),
        ({"ComparisonOperator": "NULL"}, [4]),
        ({"ComparisonOperator": "NOT_NULL"}, [0, 1, 2, 3]),
        ({"ComparisonOperator": "CONTAINS", "AttributeValueList": [s("x")]}, [1, 3]),
        ({"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [s("x")]}, [0, 2]),
        ({"ComparisonOperator": "IN", "AttributeValueList": [n(2), n(1)]}, [0]),
        ({"ComparisonOperator": "BETWEEN", "AttributeValueList": [n(0), n(1)]}, [0]),
        ({"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [s("")]}, [1]),
    ],
)
def test_legacy_filter_entries(entry: dict[str, Any], matches: list[int]) -> None:
    condition = legacy_reads.filter_condition(legacy_reads.check_conditions({"a": entry}), None)
    assert condition is not None
    assert [i for i, item in enumerate(ITEMS) if evaluate(condition, item)] == matches


def test_legacy_filters_combine_by_the_conditional_operator() -> None:
    entries = legacy_reads.check_conditions(
        {
            "a": {"ComparisonOperator": "EQ", "AttributeValueList": [n(1)]},
            "b": {"ComparisonOperator": "NOT_NULL"},
        }
    )
    both = legacy_reads.filter_condition(entries, None)
    either = legacy_reads.filter_condition(entries, "OR")
    assert both is not None and either is not None
    item = {"a": n(1)}
    assert not evaluate(both, item) and evaluate(either, item)
    with pytest.raises(ValidationException, match="two or more elements"):
        legacy_reads.filter_condition({"a": entries["a"]}, "AND")


def test_legacy_key_conditions_plan() -> None:
    entries = legacy_reads.check_conditions(
        {
            "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [s("p")]},
            "sk": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [s("a")]},
        }
    )
    schema = KeySchema("pk", "S", "sk", "S")
    assert legacy_reads.key_plan(entries, schema) == KeyPlan(
        s("p"), RangeCondition("begins_with", (s("a"),))
    )
    assert legacy_reads.key_plan({"pk": entries["pk"]}, schema) == KeyPlan(s("p"), None)


@pytest.mark.parametrize(
    ("given", "expressions", "older", "message"),
    [
        (
            {"KeyConditions": {}, "FilterExpression": "a"},
            ("FilterExpression", "KeyConditionExpression"),
            ("QueryFilter", "KeyConditions"),
            None,
        ),
        (
            {"KeyConditions": {}, "KeyConditionExpression": "a", "QueryFilter": {}},
            ("FilterExpression", "KeyConditionExpression"),
            ("QueryFilter", "KeyConditions"),
            "Non-expression parameters: {QueryFilter, KeyConditions} Expression parameters: "
            "{KeyConditionExpression}",
        ),
    ],
)
def test_expression_and_legacy_parameters(
    given: dict[str, Any], expressions: tuple[str, ...], older: tuple[str, ...], message: str | None
) -> None:
    if message is None:
        legacy_reads.mixed(given, expressions, older)
        return
    with pytest.raises(ValidationException) as caught:
        legacy_reads.mixed(given, expressions, older)
    assert caught.value.message.endswith(message)

"""Logs Insights' query language (``altus.logs.insights``), pure: parsing and its
refusals, expressions, the commands over rows, and the fields found in events."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from altus.arns import Account
from altus.logs.actions import actions
from altus.logs.insights import execute, limits
from altus.logs.insights.build import QueryError, duration_ms, parse_query
from altus.logs.insights.execute import Execution, _Sort
from altus.logs.insights.fields import discover
from altus.logs.insights.limits import TooLarge
from altus.logs.timed_regex import MatchTimeout

MINUTE = 60_000


def event(message: str, at: int = 0, stream: str = "s", event_id: int = 1) -> dict[str, Any]:
    return discover("123456789012", "g", stream, at, at, message, event_id)


def results(query: str, rows: list[dict[str, Any]], cap: int = 10000) -> list[dict[str, str]]:
    """The query over ``rows`` (given newest first, as the store reads them)."""
    execution = Execution(parse_query(query), cap)
    for row in rows:
        if not execution.push(row):
            break
    return [{f: v for f, v in pairs if f != "@ptr"} for pairs in execution.finish()]


def report(duration: float, at: int, init: float | None = None, used: int = 40) -> dict[str, Any]:
    line = (
        f"REPORT RequestId: r-{at}\tDuration: {duration} ms\tBilled Duration: "
        f"{int(duration) + 1} ms\tMemory Size: 128 MB\tMax Memory Used: {used} MB"
    )
    if init is not None:
        line += f"\tInit Duration: {init} ms"
    return event(line, at)


# --- fields found in events ------------------------------------------------------------


def test_lambda_report_fields() -> None:
    row = report(12.5, 1000, init=30.25)
    assert row["@type"] == "REPORT" and row["@requestId"] == "r-1000"
    assert row["@duration"] == 12.5 and row["@billedDuration"] == 13
    assert row["@memorySize"] == 128_000_000 and row["@maxMemoryUsed"] == 40_000_000
    assert row["@initDuration"] == 30.25
    assert "@initDuration" not in report(1.0, 0)
    start = event("START RequestId: abc Version: $LATEST")
    assert (start["@type"], start["@requestId"]) == ("START", "abc")


def test_json_fields_flattened() -> None:
    row = event(json.dumps({"a": {"b": 1, "c": [True, {"d": "x"}]}, "e": None}))
    assert row["a.b"] == 1 and row["a.c.0"] is True and row["a.c.1.d"] == "x"
    assert "e" not in row
    lambda_line = event('2024-01-01T00:00:00.000Z\treq-1\tINFO\t{"k": "v"}')
    assert lambda_line["k"] == "v"
    assert str(row["@timestamp"]) == "1970-01-01 00:00:00.000"
    assert row["@log"] == "123456789012:g"


# --- parsing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "fields @timestamp, @message | sort @timestamp desc | limit 20",
        "filter (range>3000 and accountId=123456789012) | sort @timestamp desc | limit 20",
        'filter @type = "REPORT" | stats max(@memorySize / 1000 / 1000) as mb by bin(5m)',
        "stats sum(strcontains(@message, 'Init Duration'))/count(*) * 100 as pct by bin(5m)",
        "filter @message not like /x/ and level in ['a', 'b'] and x not in [1]",
        "filter @message =~ /(?i)error/ | fields `odd name`, a.b.0",
        "# a comment\nfields @message # another\n| limit 1",
        "parse @message 'a=* b=*' as a, b | dedup a | display a, b",
        "parse /(?<word>\\w+)/ | sort by word asc",
        "stats percentile(x, 90), stddev(x), earliest(x), latest(x), count_distinct(x) by y",
        "fields concat(a, '-', b) as ab, strlen(a), toupper(a), substr(a, 1, 2), abs(-3)",
    ],
)
def test_parses(query: str) -> None:
    parse_query(query)


@pytest.mark.parametrize(
    ("query", "message", "where"),
    [
        ("fields @message |", "Unexpected end of query", (17, 17)),
        ("fields @message | sort x y", "unexpected symbol found y at line 1 and position 25",
         (25, 25)),
        ("filter x = 'a", "unexpected symbol found ' at line 1 and position 11", (11, 11)),
        ("fields nope(x)", "Unknown function: nope", (7, 10)),
        ("filter avg(x) > 1", "avg can be used in stats only", (7, 9)),
        ("stats x by y", "stats needs an aggregation function", (6, 6)),
        ("stats avg(x, y)", "avg takes 1 arguments, not 2", (6, 14)),
        ("limit 0", "limit must be between 1 and 10000", (6, 6)),
        ("limit 10001", "limit must be between 1 and 10000", (6, 10)),
        ("parse 'a=*' as a, b", "parse's pattern has 1 wildcards for 2 fields", (6, 10)),
        ("parse /nogroups/", "parse's regex needs named groups: (?<name>...)", (6, 15)),
        ("filter x like /(/", None, (14, 16)),
        ("", "Query string is empty", (0, 0)),
    ],
)  # fmt: skip
def test_refused(query: str, message: str | None, where: tuple[int, int]) -> None:
    with pytest.raises(QueryError) as raised:
        parse_query(query)
    if message is not None:
        assert raised.value.message == message
    assert (raised.value.start, raised.value.end) == where


def test_durations() -> None:
    assert duration_ms("5m") == 5 * MINUTE
    assert duration_ms("30s") == 30_000 and duration_ms("1.5h") == 90 * MINUTE
    assert duration_ms("2days") == 2 * 86_400_000 and duration_ms("100ms") == 100


# --- expressions and commands -------------------------------------------------------------

ROWS = [
    event(json.dumps({"level": "ERROR", "ms": 900, "user": "bob"}), 5 * MINUTE + 3, event_id=6),
    event(json.dumps({"level": "INFO", "ms": 40, "user": "ann"}), 5 * MINUTE + 2, event_id=5),
    event(json.dumps({"level": "INFO", "ms": 120, "user": "ann"}), 4 * MINUTE, event_id=4),
    event("plain text line", 3 * MINUTE, event_id=3),
]


@pytest.mark.parametrize(
    ("condition", "count"),
    [
        ("level = 'INFO'", 2),
        ('level == "INFO"', 2),
        ("level != 'INFO'", 1),  # an absent field is never unequal either
        ("ms > 100", 2),
        ("ms > '100'", 2),  # numbers in strings compare as numbers
        ("ms >= 40 and ms <= 120", 2),
        ("level = 'ERROR' or ms < 50", 2),
        ("not ispresent(level)", 1),
        ("@message like 'text'", 1),
        ("@message like /TEXT/i", 1),
        ("@message not like /level/", 1),
        ("@message =~ /^plain/", 1),
        ("user in ['bob', 'carol']", 1),
        ("user not in ['bob']", 2),
        ("ms * 2 + 10 = 90", 1),
        ("ms % 100 = 20", 1),
        ("-ms < -500", 1),
        ("strlen(user) = 3 and toupper(user) = 'ANN'", 2),
        ("isempty(level)", 1),
        ("@timestamp >= 4 * 60000", 3),
    ],
)
def test_filter(condition: str, count: int) -> None:
    assert len(results(f"filter {condition}", ROWS)) == count


def test_fields_and_display() -> None:
    got = results("fields user, ms / 10 as tenth, concat(level, ':', user) as both | limit 2", ROWS)
    assert got == [
        {"user": "bob", "tenth": "90", "both": "ERROR:bob"},
        {"user": "ann", "tenth": "4", "both": "INFO:ann"},
    ]
    assert results("display user | limit 1", ROWS) == [{"user": "bob"}]


def test_default_columns_and_pointer() -> None:
    execution = Execution(parse_query("limit 1"), 10)
    execution.push(ROWS[3])
    (row,) = execution.finish()
    assert [f for f, _ in row] == ["@timestamp", "@message", "@logStream", "@log", "@ptr"]


def test_sort_puts_absent_values_last_either_way() -> None:
    ascending = results("sort ms asc | display ms", ROWS)
    assert ascending == [{"ms": "40"}, {"ms": "120"}, {"ms": "900"}, {}]
    descending = results("sort ms desc | display ms", ROWS)
    assert descending == [{"ms": "900"}, {"ms": "120"}, {"ms": "40"}, {}]
    assert results("sort level, ms desc | display level, ms | limit 2", ROWS) == [
        {"level": "ERROR", "ms": "900"},
        {"level": "INFO", "ms": "120"},
    ]


def test_limit_stops_the_scan() -> None:
    execution = Execution(parse_query("filter ispresent(level) | limit 2"), 10)
    pushed = [execution.push(r) for r in ROWS]
    assert pushed == [True, False, False, False]
    assert len(execution.finish()) == 2
    assert execution.matched == 2


def test_cap_bounds_results() -> None:
    assert len(results("fields @message", ROWS, cap=3)) == 3
    assert len(results("sort @timestamp asc", ROWS, cap=2)) == 2


def test_parse_and_dedup() -> None:
    rows = [event("user=ann action=login"), event("user=bob action=logout"), event("none")]
    assert results("parse 'user=* action=*' as u, a | display u, a", rows) == [
        {"u": "ann", "a": "login"},
        {"u": "bob", "a": "logout"},
        {},
    ]
    assert results(r"parse @message /user=(?<u>\w+)/ | dedup u | display u", rows) == [
        {"u": "ann"},
        {"u": "bob"},
        {},
    ]
    assert results("dedup level | display level", ROWS) == [
        {"level": "ERROR"},
        {"level": "INFO"},
        {},
    ]


def test_stats() -> None:
    got = results(
        "filter ispresent(level) | stats count(*) as n, sum(ms), avg(ms), min(ms), max(ms),"
        " count_distinct(user) as users, earliest(ms), latest(ms) by level",
        ROWS,
    )
    assert got == [
        {"level": "ERROR", "n": "1", "sum(ms)": "900", "avg(ms)": "900", "min(ms)": "900",
         "max(ms)": "900", "users": "1", "earliest(ms)": "900", "latest(ms)": "900"},
        {"level": "INFO", "n": "2", "sum(ms)": "160", "avg(ms)": "80", "min(ms)": "40",
         "max(ms)": "120", "users": "1", "earliest(ms)": "120", "latest(ms)": "40"},
    ]  # fmt: skip
    assert results("stats count(level), count(*)", ROWS) == [{"count(level)": "3", "count(*)": "4"}]
    assert results("stats count(*) as n | filter n > 10", ROWS) == []


def test_stats_of_lambda_reports_by_bin() -> None:
    rows = [report(d, at) for d, at in [(30.0, 3 * MINUTE + 5), (10.0, 2 * MINUTE + 1)]]
    rows += [report(float(d), 1 * MINUTE + d) for d in range(1, 21)]
    got = results(
        'filter @type = "REPORT" | stats avg(@duration), pct(@duration, 95) as p95,'
        " max(@maxMemoryUsed / 1000 / 1000) as mb, count(*) by bin(1m) | sort bin(1m)",
        rows,
    )
    assert got == [
        {"bin(1m)": "1970-01-01 00:01:00.000", "avg(@duration)": "10.5", "p95": "19",
         "mb": "40", "count(*)": "20"},
        {"bin(1m)": "1970-01-01 00:02:00.000", "avg(@duration)": "10", "p95": "10",
         "mb": "40", "count(*)": "1"},
        {"bin(1m)": "1970-01-01 00:03:00.000", "avg(@duration)": "30", "p95": "30",
         "mb": "40", "count(*)": "1"},
    ]  # fmt: skip
    cold = results(
        "stats sum(strcontains(@message, 'Init Duration')) / count(*) * 100 as coldPct",
        [report(1.0, 0, init=5.0), report(1.0, 1), report(1.0, 2), report(1.0, 3)],
    )
    assert cold == [{"coldPct": "25"}]


@given(st.lists(st.integers(min_value=-1000, max_value=1000), min_size=1, max_size=40))
def test_aggregates_agree_with_python(values: list[int]) -> None:
    rows = [event(json.dumps({"v": v}), i, event_id=i + 1) for i, v in enumerate(values)]
    (got,) = results("stats sum(v) as s, min(v) as lo, max(v) as hi, count(v) as n", rows)
    assert got == {
        "s": str(sum(values)),
        "lo": str(min(values)),
        "hi": str(max(values)),
        "n": str(len(values)),
    }
    (ordered,) = results("stats pct(v, 50) as median", rows)
    rank = max(1, -(-50 * len(values) // 100))
    assert ordered == {"median": str(sorted(values)[rank - 1])}


# --- permissions ----------------------------------------------------------------------------


def test_query_permissions() -> None:
    logs: Any = SimpleNamespace(account=Account("us-east-1", "123456789012"))
    arn = "arn:aws:logs:us-east-1:123456789012:log-group:{}:log-stream:"
    body = {"logGroupNames": ["a", "b"], "queryString": "x", "startTime": 0, "endTime": 1}
    assert actions(logs, "StartQuery", body) == [
        ("logs:StartQuery", arn.format("a")),
        ("logs:StartQuery", arn.format("b")),
    ]
    by_arn = {"logGroupIdentifiers": ["arn:aws:logs:us-east-1:123456789012:log-group:c"]}
    assert actions(logs, "StartQuery", by_arn) == [("logs:StartQuery", arn.format("c"))]
    for operation in ("GetQueryResults", "StopQuery", "DescribeQueries"):
        assert actions(logs, operation, {"queryId": "q", "logGroupName": "a"}) == (
            f"logs:{operation}",
            "*",
        )


# --- what a query or an event cannot do --------------------------------------------------


def test_a_regex_that_takes_too_long_ends_the_query() -> None:
    for query in ("filter @message like /(a|aa)+$/", "parse @message /(?<x>(a|aa)+)$/"):
        execution = Execution(parse_query(query), 10)
        with pytest.raises(MatchTimeout, match="took more than"):
            execution.push(event("a" * 40 + "b"))


def test_powers_are_floats_and_huge_integers_go_on_as_floats() -> None:
    assert results("fields 9^99999999 as x, 2^10 as y | display x, y", [event("m")]) == [
        {"y": "1024"}  # too large: nothing; a float's power otherwise
    ]
    huge = json.dumps({"a": int("9" * 300)})
    found = results("fields a * a * a as x, a + 1 as y | display x, y", [event(huge)])
    assert found == [{"x": "inf", "y": "1e+300"}]


def test_one_bad_event_does_not_fail_the_query() -> None:
    deep = '{"a":' * 100_000 + "1" + "}" * 100_000
    wide = json.dumps({"a": int("1" * 400), "b": [[[[1]]]]})
    odd = "REPORT RequestId: r\tDuration: 1.2.3 ms\tBilled Duration: 2 ms"
    rows = [event(deep), event(wide), event(odd)]
    assert [r.get("a") for r in rows] == [None, int("1" * 400), None]
    assert rows[1]["b.0.0.0.0"] == 1 and "@duration" not in rows[2]
    assert results("sort a desc | fields a | display a", rows)[0] == {"a": "1" * 400}
    assert results("stats sum(a), pct(a, 50), stddev(a), count_distinct(a)", rows) == [
        {"sum(a)": "inf", "pct(a, 50)": "inf", "stddev(a)": "0", "count_distinct(a)": "1"}
    ]
    query = "fields a * 10.0 as big | fields toMillis(big) as t, bin(big) as b | display big, t, b"
    assert results(query, rows[1:2]) == [{"big": "inf"}]  # no time or bin of it


def test_json_discovery_is_iterative_and_bounded_in_depth() -> None:
    nested: Any = 1
    for _ in range(500):
        nested = {"n": nested}
    row = event(json.dumps(nested))
    assert not any(k.startswith("n.n") and k.count(".") > 64 for k in row)


def test_sort_puts_text_before_numbers_in_natural_order() -> None:
    values = ["b", 10, "a", 2, "A9", "a12", "5A", "111A", "2345_", "@", "0#", "*%04", "01"]
    rows = [event(json.dumps({"x": v}), event_id=i) for i, v in enumerate(values)]
    ascending = [r["x"] for r in results("sort x asc | display x", rows)]
    assert ascending == [
        "*%04", "0#", "5A", "111A", "2345_", "@", "A9", "a", "a12", "b", "01", "2", "10"
    ]  # fmt: skip
    descending = [r["x"] for r in results("sort x desc | display x", rows)]
    assert descending == ascending[::-1]
    with_absent = [*rows, event("{}", event_id=99)]
    assert [r.get("x") for r in results("sort x desc | display x", with_absent)][-1] is None


def test_a_sort_followed_by_a_filter_keeps_every_row() -> None:
    rows = [event(json.dumps({"n": i}), event_id=i) for i in range(30)]
    found = results("sort n desc | filter n < 5 | display n", rows, cap=3)
    assert [r["n"] for r in found] == ["4", "3", "2"]
    assert [r["n"] for r in results("sort n asc | limit 2 | display n", rows)] == ["0", "1"]


def test_sort_keeps_at_most_what_follows_can_show() -> None:
    execution = Execution(parse_query("sort n asc | fields n | limit 5"), 10000)
    sort = execution.head.next
    assert isinstance(sort, _Sort) and sort.keep == 5
    for i in range(5000):
        execution.push(event(json.dumps({"n": 5000 - i}), event_id=i))
        assert len(sort.rows) <= 1005
    assert [dict(r)["n"] for r in execution.finish()] == ["1", "2", "3", "4", "5"]
    assert isinstance(Execution(parse_query("sort n | dedup n"), 10).head.next, _Sort)
    dropping = Execution(parse_query("sort n | dedup n"), 10).head.next
    assert isinstance(dropping, _Sort) and dropping.keep is None


def test_queries_past_their_memory_bounds_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(execute, "MAX_GROUPS", 3)
    monkeypatch.setattr(execute, "MAX_DEDUP_KEYS", 3)
    rows = [event(json.dumps({"n": i}), event_id=i) for i in range(5)]
    for query, words in (("stats count(*) by n", "groups"), ("dedup n", "dedup")):
        execution = Execution(parse_query(query), 100)
        with pytest.raises(TooLarge, match=words):
            for row in rows:
                execution.push(row)
    monkeypatch.setattr(limits, "MAX_HELD_BYTES", 1000)
    execution = Execution(parse_query("sort n | filter n > 0"), 100)
    with pytest.raises(TooLarge, match="memory limit"):
        for row in rows * 10:
            execution.push(dict(row))


def test_pct_goes_on_in_a_histogram_past_the_values_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(limits, "MAX_VALUES", 10)
    rows = [event(json.dumps({"n": i}), event_id=i) for i in range(1, 1001)]
    (found,) = results("stats pct(n, 50) as p, stddev(n) as s", rows)
    assert abs(float(found["p"]) - 500) <= 10  # within the histogram's 1%
    assert abs(float(found["s"]) - 288.8194) < 0.001
    with pytest.raises(TooLarge, match="count_distinct"):
        results("stats count_distinct(n)", rows)


def test_deeply_nested_expressions_are_refused() -> None:
    for query in ("filter " + "not " * 3000 + "x", "filter x > " + "-" * 5000 + "1"):
        with pytest.raises(QueryError, match="nest"):
            parse_query(query)
    parse_query("filter " + "not " * 50 + "x")

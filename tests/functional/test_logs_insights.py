"""FilterLogEvents' filter pattern syntax and Logs Insights (StartQuery,
GetQueryResults, StopQuery, DescribeQueries) through boto3's ``logs`` client, against a
server in this process: events written with PutLogEvents and by a Lambda function
(REPORT lines giving ``@duration`` and friends), AWS's refusals."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from altus.testing import Harness
from tests.conftest import SERVER_STORES, store_env

ENDED = {"Complete", "Failed", "Cancelled", "Timeout"}


@pytest.fixture(scope="module", params=SERVER_STORES)
def harness(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Harness]:
    data_dir = tmp_path_factory.mktemp("logs-insights")
    store = store_env(request, request.param).get("ALTUS_STORE", f"sqlite:{data_dir / 'altus.db'}")
    with Harness(clock=None, data_dir=data_dir, store=store) as made:
        yield made


@pytest.fixture(scope="module")
def logs(harness: Harness) -> Any:
    return harness.client("logs")


@pytest.fixture(scope="module")
def now() -> int:
    return int(time.time() * 1000)


@pytest.fixture(scope="module")
def app(logs: Any, now: int) -> str:
    """A group of application lines: JSON ones and text ones, a second apart."""
    group = f"/app/{uuid.uuid4().hex[:10]}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="web")
    lines = [
        json.dumps({"level": "INFO", "latency": 120, "user": {"id": 1, "name": "ann"}}),
        json.dumps({"level": "ERROR", "latency": 900, "user": {"id": 2, "name": "bob"}}),
        json.dumps({"level": "INFO", "latency": 40, "user": {"id": 1, "name": "ann"}, "x": None}),
        '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534',
        '127.0.0.1 - frank [10/Oct/2000:13:25:16 -0700] "GET /a.gif HTTP/1.0" 200 99',
        "user=carol action=login",
    ]
    start = now - 60_000
    logs.put_log_events(
        logGroupName=group,
        logStreamName="web",
        logEvents=[{"timestamp": start + i * 1000, "message": m} for i, m in enumerate(lines)],
    )
    return group


def refused(call: Any, **members: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as raised:
        call(**members)
    error: dict[str, Any] = raised.value.response["Error"]
    return {**error, "response": raised.value.response}


def matching(logs: Any, group: str, pattern: str) -> list[str]:
    events = logs.filter_log_events(logGroupName=group, filterPattern=pattern)["events"]
    return [e["message"] for e in events]


# --- FilterLogEvents ---------------------------------------------------------------------


def test_filter_patterns(logs: Any, app: str) -> None:
    assert len(matching(logs, app, '{ $.level = "INFO" }')) == 2
    assert matching(logs, app, "{ $.latency > 500 && $.user.name = b* }") == [
        json.dumps({"level": "ERROR", "latency": 900, "user": {"id": 2, "name": "bob"}})
    ]
    assert len(matching(logs, app, "{ $.x IS NULL || $.level = ERROR }")) == 2
    # Only JSON events match JSON patterns, NOT EXISTS too.
    assert len(matching(logs, app, "{ $.x NOT EXISTS }")) == 2
    assert [m.split()[-2] for m in matching(logs, app, "[ip, ..., status = 4*, bytes > 1000]")] == [
        "404"
    ]
    assert matching(logs, app, "%action=[a-z]+%") == ["user=carol action=login"]
    assert len(matching(logs, app, "?ERROR ?frank -404")) == 2
    assert len(matching(logs, app, "info")) == 0  # terms are case-sensitive
    error = refused(logs.filter_log_events, logGroupName=app, filterPattern="{ $.a = ")
    assert (error["Code"], error["Message"]) == (
        "InvalidParameterException",
        "Invalid filter pattern",
    )


def test_a_regex_too_slow_on_an_event_is_refused(logs: Any, now: int) -> None:
    group = f"/slow/{uuid.uuid4().hex[:10]}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[{"timestamp": now - 1000, "message": "a" * 3000 + "bc"}],
    )
    error = refused(
        logs.filter_log_events, logGroupName=group, filterPattern="%a*a*a*a*a*a*a*a*a*c%"
    )
    assert error["Code"] == "InvalidParameterException"
    assert "took more than" in error["Message"]
    found = run(logs, "filter @message like /(a|aa)+c$/ | stats count(*)", [group], now)
    assert found["status"] == "Failed"


def test_filter_log_events_scans_a_bounded_number_per_call(
    logs: Any, now: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("altus.logs.api.MAX_SCANNED", 3)
    group = f"/scan/{uuid.uuid4().hex[:10]}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[{"timestamp": now - 1000 + i, "message": f"m{i}"} for i in range(8)],
    )
    pages = []
    token: dict[str, str] = {}
    for _ in range(10):
        answer = logs.filter_log_events(logGroupName=group, filterPattern="m7", **token)
        pages.append([e["message"] for e in answer["events"]])
        if "nextToken" not in answer:
            break
        token = {"nextToken": answer["nextToken"]}
    assert pages == [[], [], ["m7"]]  # empty pages with a token, then the match


def test_a_huge_end_time_is_clamped(logs: Any, app: str) -> None:
    query_id = logs.start_query(
        logGroupName=app, startTime=0, endTime=2**62, queryString="stats count(*) as n"
    )["queryId"]
    for _ in range(400):
        found = logs.get_query_results(queryId=query_id)
        if found["status"] in ENDED:
            break
        time.sleep(0.025)
    assert found["status"] == "Complete"
    assert rows(found) == [{"n": "6"}]


# --- Logs Insights -----------------------------------------------------------------------


def run(logs: Any, query: str, groups: list[str], now: int, **extra: Any) -> dict[str, Any]:
    """Start a query and wait for it to end (a bounded wait)."""
    query_id = logs.start_query(
        logGroupNames=groups,
        startTime=(now - 3_600_000) // 1000,
        endTime=now // 1000 + 60,
        queryString=query,
        **extra,
    )["queryId"]
    for _ in range(400):
        found: dict[str, Any] = logs.get_query_results(queryId=query_id)
        if found["status"] in ENDED:
            found["queryId"] = query_id
            return found
        time.sleep(0.025)
    raise AssertionError(f"query {query_id} did not end")


def rows(found: dict[str, Any], keep_ptr: bool = False) -> list[dict[str, str]]:
    return [
        {f["field"]: f["value"] for f in row if keep_ptr or f["field"] != "@ptr"}
        for row in found["results"]
    ]


def test_fields_filter_sort_limit(logs: Any, app: str, now: int) -> None:
    found = run(
        logs,
        "fields @timestamp, level, latency, user.name as who"
        " | filter ispresent(level) and latency >= 100 | sort latency desc | limit 5",
        [app],
        now,
    )
    assert found["status"] == "Complete"
    got = rows(found, keep_ptr=True)
    assert [(r["level"], r["latency"], r["who"]) for r in got] == [
        ("ERROR", "900", "bob"),
        ("INFO", "120", "ann"),
    ]
    assert all(r["@ptr"] for r in got)
    assert got[0]["@timestamp"].count(":") == 2 and len(got[0]["@timestamp"]) == 23
    stats = found["statistics"]
    assert stats["recordsScanned"] == 6 and stats["recordsMatched"] == 2
    assert stats["bytesScanned"] > 0


def test_default_order_is_newest_first_with_the_usual_fields(logs: Any, app: str, now: int) -> None:
    got = rows(run(logs, "filter @message like /user/", [app], now))
    assert got[0]["@message"] == "user=carol action=login"
    assert len(got) == 4
    assert set(got[0]) == {"@timestamp", "@message", "@logStream", "@log"}
    assert got[0]["@logStream"] == "web" and got[0]["@log"].endswith(f":{app}")
    times = [r["@timestamp"] for r in got]
    assert times == sorted(times, reverse=True)


def test_stats_by_field(logs: Any, app: str, now: int) -> None:
    found = run(
        logs,
        "filter ispresent(level) | stats count(*) as n, avg(latency), max(latency),"
        " count_distinct(user.id) by level | sort n desc",
        [app],
        now,
    )
    assert rows(found) == [
        {"level": "INFO", "n": "2", "avg(latency)": "80", "max(latency)": "120",
         "count_distinct(user.id)": "1"},
        {"level": "ERROR", "n": "1", "avg(latency)": "900", "max(latency)": "900",
         "count_distinct(user.id)": "1"},
    ]  # fmt: skip


def test_parse_dedup_display(logs: Any, app: str, now: int) -> None:
    got = rows(run(logs, 'parse "user=* action=*" as who, what | filter ispresent(who)'
                   " | display who, what", [app], now))  # fmt: skip
    assert got == [{"who": "carol", "what": "login"}]
    query = r'parse @message /"(?<verb>[A-Z]+) (?<path>\S+)/ | filter ispresent(verb)'
    got = rows(run(logs, query + " | dedup verb | display verb", [app], now))
    assert got == [{"verb": "GET"}]


def test_limit_and_paging(logs: Any, app: str, now: int) -> None:
    found = run(logs, "fields @message", [app], now, limit=4)
    assert len(found["results"]) == 4
    first = logs.get_query_results(queryId=found["queryId"], maxItems=3)
    rest = logs.get_query_results(queryId=found["queryId"], nextToken=first["nextToken"])
    assert len(first["results"]) == 3 and len(rest["results"]) == 1
    assert "nextToken" not in rest


def test_lambda_report_lines(harness: Harness, logs: Any) -> None:
    function = f"insights-{uuid.uuid4().hex[:8]}"

    def handler(event: Any, context: Any) -> str:
        print(json.dumps({"msg": "handled", "n": event["n"]}))
        return "ok"

    harness.create_function(function, handler, MemorySize=256)
    for n in range(3):
        harness.client("lambda").invoke(FunctionName=function, Payload=json.dumps({"n": n}))
    group = f"/aws/lambda/{function}"
    now = int(time.time() * 1000)
    got = rows(run(logs, 'filter @type = "REPORT" | fields @requestId, @duration, '
                   "@billedDuration, @memorySize, @maxMemoryUsed", [group], now))  # fmt: skip
    assert len(got) == 3
    assert {r["@memorySize"] for r in got} == {"256000000"}
    assert all(float(r["@duration"]) >= 0 and int(r["@billedDuration"]) >= 1 for r in got)
    found = run(
        logs,
        'filter @type = "REPORT" | stats avg(@duration), pct(@duration, 95), count(*) by bin(1m)',
        [group],
        now,
    )
    got = rows(found)
    assert sum(int(r["count(*)"]) for r in got) == 3
    assert all(r["bin(1m)"].endswith(":00.000") for r in got)
    assert all(float(r["pct(@duration, 95)"]) >= 0 for r in got)
    # The function's JSON lines give their fields; START/END lines their @type.
    got = rows(run(logs, "filter msg = 'handled' | stats sum(n) as total", [group], now))
    assert got == [{"total": "3"}]
    got = rows(run(logs, "stats count(*) by @type | sort @type", [group], now))
    # (Lines with no @type, the function's own and INIT_START, sort last.)
    assert [(r.get("@type"), r["count(*)"]) for r in got][:3] == [
        ("END", "3"),
        ("REPORT", "3"),
        ("START", "3"),
    ]
    assert [r.get("@type") for r in got][3:] == [None]


def test_several_groups_merge_newest_first(logs: Any, app: str, now: int) -> None:
    other = f"/app/{uuid.uuid4().hex[:10]}"
    logs.create_log_group(logGroupName=other)
    logs.create_log_stream(logGroupName=other, logStreamName="s")
    logs.put_log_events(
        logGroupName=other,
        logStreamName="s",
        logEvents=[{"timestamp": now - 60_000 + 2500, "message": "from the other group"}],
    )
    found = rows(run(logs, "fields @message, @log | limit 4", [app, other], now))
    # The app's events are a second apart from a minute ago; this one is 2.5 s after.
    assert [r["@message"] for r in found][3] == "from the other group"
    identifiers = logs.start_query(
        logGroupIdentifiers=[f"arn:aws:logs:us-east-1:000000000000:log-group:{other}"],
        startTime=0,
        endTime=now // 1000 + 60,
        queryString="stats count(*)",
    )
    assert identifiers["queryId"]


def test_refusals(logs: Any, app: str, now: int) -> None:
    times = {"startTime": now // 1000 - 60, "endTime": now // 1000}
    text = "fields @message | sort x y"
    error = refused(logs.start_query, logGroupName=app, queryString=text, **times)
    assert error["Code"] == "MalformedQueryException"
    compile_error = error["response"]["queryCompileError"]
    assert compile_error["location"] == {"startCharOffset": 25, "endCharOffset": 25}
    assert (
        compile_error["message"]
        == error["Message"]
        == ("unexpected symbol found y at line 1 and position 25")
    )
    error = refused(logs.start_query, logGroupName=app, queryString="stats nope(x)", **times)
    assert error["Code"] == "MalformedQueryException" and "nope" in error["Message"]
    error = refused(logs.start_query, logGroupName=app, queryString="filter avg(x) > 1", **times)
    assert error["Code"] == "MalformedQueryException"
    error = refused(
        logs.start_query, logGroupName="/no/such", queryString="fields @message", **times
    )
    assert error["Code"] == "ResourceNotFoundException"
    error = refused(
        logs.start_query,
        logGroupName=app,
        logGroupNames=[app],
        queryString="fields @message",
        **times,
    )
    assert error["Code"] == "InvalidParameterException"
    error = refused(logs.get_query_results, queryId="nope")
    assert error["Code"] == "ResourceNotFoundException"


def test_stop_and_describe(logs: Any, app: str, now: int) -> None:
    found = run(logs, "fields @message | limit 1", [app], now)
    error = refused(logs.stop_query, queryId=found["queryId"])
    assert error["Code"] == "InvalidParameterException"
    described = logs.describe_queries(logGroupName=app, status="Complete")["queries"]
    mine = [q for q in described if q["queryId"] == found["queryId"]]
    assert mine and mine[0]["queryString"] == "fields @message | limit 1"
    assert mine[0]["logGroupName"] == app and mine[0]["status"] == "Complete"
    assert all(q["status"] == "Complete" for q in described)
    first = logs.describe_queries(maxResults=1)
    assert len(first["queries"]) == 1 and first["nextToken"]


def test_pages_keep_time_order_across_batches(
    logs: Any, now: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Events written out of time order (a later batch of older events) are read newest
    first, page after page, none skipped."""
    monkeypatch.setattr("altus.logs.queries.PAGE", 3)
    group = f"/app/{uuid.uuid4().hex[:10]}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    for offset in (10, 0):
        logs.put_log_events(
            logGroupName=group,
            logStreamName="s",
            logEvents=[
                {"timestamp": now - 60_000 + (offset + i) * 100, "message": str(offset + i)}
                for i in range(5)
            ],
        )
    found = run(logs, "fields @message", [group], now)
    assert [r["@message"] for r in rows(found)] == [
        str(n) for n in (14, 13, 12, 11, 10, 4, 3, 2, 1, 0)
    ]
    assert found["statistics"]["recordsScanned"] == 10

"""The CloudWatch Logs API's Logs Insights operations: StartQuery (answers at once; the
query runs as a task: ``queries.py``), GetQueryResults, StopQuery, DescribeQueries.

StartQuery names its groups by exactly one of ``logGroupName``, ``logGroupNames`` or
``logGroupIdentifiers`` (names or ARNs), each of which must exist; its times are epoch
seconds, both included. A query that does not parse is refused with
MalformedQueryException, saying where (``queryCompileError``)."""

from __future__ import annotations

from altus.api import paging
from altus.api.spec import Call, Members
from altus.logs.api import group_named, visible_since
from altus.logs.component import Logs
from altus.logs.errors import InvalidParameter, MalformedQuery, query_not_found
from altus.logs.insights.build import MAX_LIMIT, QueryError, parse_query
from altus.logs.queries import QueryRun, Source

#: The language Altus serves (Logs Insights QL; not OpenSearch PPL or SQL).
LANGUAGE = "CWLI"
#: Times (epoch seconds) are clamped to within this of 1970 (about 300,000 years): an
#: event time in milliseconds then fits any store's 64-bit integer.
MAX_TIME_S = 10**13


def query_groups(body: Members) -> list[str]:
    """The groups a StartQuery names (as its permissions are checked too)."""
    given = [
        key for key in ("logGroupName", "logGroupNames", "logGroupIdentifiers") if body.get(key)
    ]
    if len(given) != 1:
        raise InvalidParameter(
            "Exactly one of logGroupName, logGroupNames or logGroupIdentifiers must be given"
        )
    if given[0] == "logGroupName":
        return [str(body["logGroupName"])]
    if given[0] == "logGroupNames":
        return [str(g) for g in body["logGroupNames"]]
    return [group_named({"logGroupIdentifier": i}) or "" for i in body["logGroupIdentifiers"]]


async def start_query(logs: Logs, call: Call, body: Members) -> Members:
    language = body.get("queryLanguage")
    if language not in (None, LANGUAGE):
        raise InvalidParameter(f"Query language {language} is not supported")
    names = query_groups(body)
    start, end = (max(-MAX_TIME_S, min(int(body[k]), MAX_TIME_S)) for k in ("startTime", "endTime"))
    if end < start:
        raise InvalidParameter("endTime must be greater than or equal to startTime")
    text = str(body["queryString"])
    try:
        query = parse_query(text)
    except QueryError as problem:
        raise MalformedQuery(
            problem.message,
            queryCompileError={
                "location": {"startCharOffset": problem.start, "endCharOffset": problem.end},
                "message": problem.message,
            },
        ) from None
    sources = []
    for name in dict.fromkeys(names):
        group = await logs.groups.get(name)
        sources.append(Source(group.name, visible_since(logs, group, start * 1000)))
    cap = int(body.get("limit") or MAX_LIMIT)
    run = logs.queries.start(text, query, sources, (end + 1) * 1000, cap)
    return {"queryId": run.query_id}


def _run(logs: Logs, body: Members) -> QueryRun:
    run = logs.queries.get(str(body["queryId"]))
    if run is None:
        raise query_not_found()
    return run


def _invalid_token(token: str) -> InvalidParameter:
    return InvalidParameter("The specified nextToken is invalid.")


async def get_query_results(logs: Logs, call: Call, body: Members) -> Members:
    run = _run(logs, body)
    results = logs.queries.results(run)
    keys = [f"{i:012d}" for i in range(len(results))]
    found = paging.page(
        results, keys, body.get("nextToken"), body.get("maxItems") or MAX_LIMIT, _invalid_token
    )
    out: Members = {
        "queryLanguage": LANGUAGE,
        "results": [[{"field": f, "value": v} for f, v in row] for row in found.items],
        "statistics": {
            "recordsMatched": float(run.records_matched),
            "recordsScanned": float(run.records_scanned),
            "bytesScanned": float(run.bytes_scanned),
            "logGroupsScanned": float(len(run.groups)),
        },
        "status": run.status,
    }
    if found.next:
        out["nextToken"] = found.next
    return out


async def stop_query(logs: Logs, call: Call, body: Members) -> Members:
    run = _run(logs, body)
    if not logs.queries.stop(run):
        raise InvalidParameter(f"Query {run.query_id} is not running; it is {run.status}")
    return {"success": True}


async def describe_queries(logs: Logs, call: Call, body: Members) -> Members:
    group = body.get("logGroupName")
    status = body.get("status")
    language = body.get("queryLanguage")
    runs = [
        r
        for r in logs.queries.listing()
        if (group is None or group in r.groups)
        and (status is None or r.status == status)
        and language in (None, LANGUAGE)
    ]
    keys = [f"{10**15 - r.created:016d}{r.query_id}" for r in runs]
    found = paging.page(
        runs, keys, body.get("nextToken"), body.get("maxResults") or 1000, _invalid_token
    )
    out: Members = {
        "queries": [
            {
                "queryLanguage": LANGUAGE,
                "queryId": r.query_id,
                "queryString": r.query_string,
                "status": r.status,
                "createTime": r.created,
                "logGroupName": r.groups[0] if r.groups else "",
                "bytesScanned": float(r.bytes_scanned),
            }
            for r in found.items
        ]
    }
    if found.next:
        out["nextToken"] = found.next
    return out

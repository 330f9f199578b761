"""The X-Ray operations Altus serves: PutTraceSegments, BatchGetTraces,
GetTraceSummaries, GetTraceGraph (the services of given traces). Members in, members
out (``docs/services.md``)."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from altus.api.spec import Call, Members
from altus.xray.component import XRay
from altus.xray.errors import InvalidRequest
from altus.xray.filters import Predicate, compile_filter
from altus.xray.segments import assemble, walk
from altus.xray.summary import facts, summarize

#: X-Ray looks at most this far between StartTime and EndTime.
MAX_WINDOW = timedelta(hours=24)
_TRACE = re.compile(r"1-[0-9a-f]{8}-[0-9a-f]{24}")
#: Summaries per page; traces looked at per call (a call that looks at this many
#: without filling its page answers what it found, and a NextToken); traces read and
#: summarised at a time (off the event loop).
PAGE = 100
SCANNED = 5000
CHUNK = 250
#: BatchGetTraces' limit on TraceIds (AWS's API reference: at most 5).
MAX_TRACE_IDS = 5


async def put_trace_segments(xray: XRay, call: Call, input: Members) -> Members:
    refused = await xray.put(input["TraceSegmentDocuments"])
    return {
        "UnprocessedTraceSegments": [
            {"Id": segment_id, "ErrorCode": "InvalidSegment", "Message": message}
            for segment_id, message in refused
        ]
    }


async def batch_get_traces(xray: XRay, call: Call, input: Members) -> Members:
    wanted: list[str] = list(input["TraceIds"])
    if len(wanted) > MAX_TRACE_IDS:
        raise InvalidRequest(f"TraceIds: at most {MAX_TRACE_IDS} trace ids per call")
    found = await xray.traces(wanted)
    traces = []
    for trace_id in dict.fromkeys(wanted):
        docs = found.get(trace_id)
        if not docs:
            continue
        traces.append(
            {
                "Id": trace_id,
                "Duration": round(facts(trace_id, docs).duration, 3),
                "LimitExceeded": False,
                "Segments": [
                    {"Id": str(doc.get("id")), "Document": json.dumps(doc, separators=(",", ":"))}
                    for doc in docs
                ],
            }
        )
    return {
        "Traces": traces,
        "UnprocessedTraceIds": [t for t in dict.fromkeys(wanted) if t not in found],
    }


def _window(input: Members) -> tuple[datetime, datetime]:
    start: datetime = input["StartTime"]
    end: datetime = input["EndTime"]
    start = start if start.tzinfo else start.replace(tzinfo=UTC)
    end = end if end.tzinfo else end.replace(tzinfo=UTC)
    if end < start:
        raise InvalidRequest("EndTime must be after StartTime")
    if end - start > MAX_WINDOW:
        raise InvalidRequest("The time range between StartTime and EndTime cannot exceed 24 hours")
    return start, end


def _after(token: str | None) -> tuple[int, str] | None:
    """Where the previous page ended (its last trace's first start and id)."""
    if not token:
        return None
    first, _, trace_id = token.partition(":")
    if not first.isdigit() or not _TRACE.fullmatch(trace_id):
        raise InvalidRequest("Invalid NextToken")
    return int(first), trace_id


def _summaries(
    keys: list[tuple[int, str]],
    found: dict[str, list[str]],
    predicate: Predicate | None,
    room: int,
) -> tuple[list[dict[str, Any]], int]:
    """The summaries of the traces ``keys`` name that the filter keeps, at most
    ``room``, and how many of ``keys`` that took (pure: run in a thread)."""
    kept: list[dict[str, Any]] = []
    for looked, (_, trace_id) in enumerate(keys, start=1):
        docs = assemble(found.get(trace_id, ()))
        if docs and (predicate is None or predicate(facts(trace_id, docs))):
            kept.append(summarize(trace_id, docs))
            if len(kept) == room:
                return kept, looked
    return kept, len(keys)


async def get_trace_summaries(xray: XRay, call: Call, input: Members) -> Members:
    """Traces in (first start, id) order, a page at a time: NextToken names the last
    trace looked at, so a page costs what it reads, however many traces the window has.
    Summaries are made off the event loop, a chunk at a time."""
    start, end = _window(input)
    expression = input.get("FilterExpression")
    predicate = compile_filter(expression) if expression else None
    after = _after(input.get("NextToken"))
    await xray.store.flush()
    start_us, end_us = int(start.timestamp() * 1_000_000), int(end.timestamp() * 1_000_000)
    summaries: list[dict[str, Any]] = []
    looked = 0
    more = True
    while more and len(summaries) < PAGE and looked < SCANNED:
        want = min(CHUNK, SCANNED - looked)
        keys = await xray.store.traces_between(start_us, end_us, want, after)
        more = len(keys) == want
        if not keys:
            break
        found = await xray.store.documents([trace_id for _, trace_id in keys])
        kept, took = await asyncio.to_thread(
            _summaries, keys, found, predicate, PAGE - len(summaries)
        )
        summaries.extend(kept)
        looked += took
        after = keys[took - 1]
        more = more or took < len(keys)
    answer: Members = {
        "TraceSummaries": summaries,
        "ApproximateTime": end,
        "TracesProcessedCount": looked,
    }
    if more and after is not None:
        answer["NextToken"] = f"{after[0]}:{after[1]}"
    return answer


async def get_trace_graph(xray: XRay, call: Call, input: Members) -> Members:
    """The services of the given traces (a service: a segment's name and origin, so
    Lambda's ``AWS::Lambda`` and ``AWS::Lambda::Function`` nodes stay two), with the
    edges between them (a segment whose parent is another service's segment or
    subsegment is that service's call)."""
    found = await xray.traces(list(input["TraceIds"]))
    services: dict[tuple[str, str], dict[str, Any]] = {}
    edges: dict[tuple[tuple[str, str], tuple[str, str]], int] = {}
    for docs in found.values():
        owner: dict[str, tuple[str, str]] = {}
        for doc in docs:
            for part in walk(doc):
                if isinstance(part.get("id"), str):
                    owner[part["id"]] = _service_key(doc)
        for doc in docs:
            key = _service_key(doc)
            if key not in services:
                services[key] = {
                    "ReferenceId": len(services),
                    "Name": key[0],
                    "Names": [key[0]],
                    "Type": key[1],
                    "Root": False,
                    "Edges": [],
                }
            parent = doc.get("parent_id")
            caller = owner.get(parent) if isinstance(parent, str) else None
            if caller is None:
                services[key]["Root"] = True
            elif caller != key:
                edges[(caller, key)] = edges.get((caller, key), 0) + 1
    for (caller, callee), count in edges.items():
        services[caller]["Edges"].append(
            {
                "ReferenceId": services[callee]["ReferenceId"],
                "SummaryStatistics": {"TotalCount": count},
            }
        )
    return {"Services": list(services.values())}


def _service_key(doc: dict[str, Any]) -> tuple[str, str]:
    return str(doc.get("name")), str(doc.get("origin") or "client")

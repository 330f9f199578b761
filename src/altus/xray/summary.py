"""A trace's summary (GetTraceSummaries' ``TraceSummary``) from its assembled segments,
and the facts filter expressions test (``filters.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from altus.xray.segments import annotation, member, seconds, walk


@dataclass(slots=True)
class TraceFacts:
    """What a filter expression can ask of a trace."""

    trace_id: str
    start: float
    duration: float
    response_time: float
    fault: bool = False
    error: bool = False
    throttle: bool = False
    #: The entry point's ``http`` request and response fields, flattened
    #: (``status``, ``url``, ``method``, ``useragent``, ``clientip``).
    http: dict[str, Any] = field(default_factory=dict)
    #: Every segment's (service's) name.
    services: set[str] = field(default_factory=set)
    #: Annotation key -> every value given it in the trace.
    annotations: dict[str, list[Any]] = field(default_factory=dict)


def facts(trace_id: str, segments: Sequence[dict[str, Any]]) -> TraceFacts:
    """``segments``: the trace's documents as ``assemble`` gives them (non-empty)."""
    entry = _entry(segments)
    start = min(_start(s) for s in segments)
    end = max(_end(s) for s in segments)
    found = TraceFacts(trace_id, start, end - start, _end(entry) - _start(entry))
    http = member(entry, "http")
    request = member(http, "request")
    response = member(http, "response")
    for key in ("url", "method", "user_agent", "client_ip"):
        if isinstance(request.get(key), str):
            found.http[key.replace("_", "")] = request[key]
    status = response.get("status")
    if isinstance(status, int) and not isinstance(status, bool):
        found.http["status"] = status
    for segment in segments:
        if isinstance(segment.get("name"), str) and segment["name"]:
            found.services.add(segment["name"])
        for part in walk(segment):
            found.fault |= part.get("fault") is True
            found.error |= part.get("error") is True
            found.throttle |= part.get("throttle") is True
            notes = part.get("annotations")
            if isinstance(notes, dict):
                for key, value in notes.items():
                    if not annotation(value):
                        continue
                    found.annotations.setdefault(str(key), []).append(value)
    return found


def _entry(segments: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The segment the trace entered by: the earliest whose parent is not in the trace."""
    ids = {s.get("id") for s in segments if isinstance(s.get("id"), str)}
    roots = [
        s for s in segments if not (isinstance(s.get("parent_id"), str) and s["parent_id"] in ids)
    ]
    return min(roots or segments, key=_start)


def _start(segment: dict[str, Any]) -> float:
    return seconds(segment.get("start_time"))


def _end(segment: dict[str, Any]) -> float:
    return seconds(segment.get("end_time"), _start(segment))


def _service_id(segment: dict[str, Any]) -> dict[str, Any]:
    name = segment.get("name")
    name = name if isinstance(name, str) else str(name)
    found: dict[str, Any] = {"Name": name, "Names": [name]}
    if isinstance(segment.get("origin"), str) and segment["origin"]:
        found["Type"] = segment["origin"]
    return found


def summarize(trace_id: str, segments: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The ``TraceSummary`` members X-Ray answers that Altus knows."""
    found = facts(trace_id, segments)
    entry = _entry(segments)
    services: list[dict[str, Any]] = []
    for segment in segments:
        service = _service_id(segment)
        if service not in services:
            services.append(service)
    summary: dict[str, Any] = {
        "Id": trace_id,
        "StartTime": datetime.fromtimestamp(found.start, UTC),
        "Duration": round(found.duration, 3),
        "ResponseTime": round(found.response_time, 3),
        "HasFault": found.fault,
        "HasError": found.error,
        "HasThrottle": found.throttle,
        "IsPartial": any(s.get("in_progress") is True for s in segments),
        "ServiceIds": services,
        "EntryPoint": _service_id(entry),
        "ResourceARNs": [
            {"ARN": s["resource_arn"]} for s in segments if isinstance(s.get("resource_arn"), str)
        ],
        "Annotations": {
            key: [{"AnnotationValue": _annotation(v)} for v in values]
            for key, values in found.annotations.items()
        },
    }
    http = {
        "HttpURL": found.http.get("url"),
        "HttpStatus": found.http.get("status"),
        "HttpMethod": found.http.get("method"),
        "UserAgent": found.http.get("useragent"),
        "ClientIp": found.http.get("clientip"),
    }
    if any(v is not None for v in http.values()):
        summary["Http"] = {k: v for k, v in http.items() if v is not None}
    return summary


def _annotation(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"BooleanValue": value}
    if isinstance(value, int | float):
        return {"NumberValue": float(value)}
    return {"StringValue": str(value)}

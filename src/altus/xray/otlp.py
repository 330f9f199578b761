"""Segment documents as OpenTelemetry spans, in OTLP/HTTP's JSON encoding (an
``ExportTraceServiceRequest``: ``resourceSpans`` / ``scopeSpans`` / ``spans``; trace and
span ids in hex, not base64, as OTLP's JSON mapping requires; times as decimal strings of
nanoseconds; enums as numbers).

Each segment and subsegment is one span: the trace id is the X-Ray id's 32 hex digits
(``1-5759e988-bd862e3fe1be46a994272793`` -> ``5759e988bd862e3fe1be46a994272793``), the
span id its own id, the parent its ``parent_id`` (a subsegment's: the document it is
nested in). Spans are grouped by their segment's name, as ``service.name``."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from altus.observe.trace_header import otlp_trace_id
from altus.xray.segments import is_time, member

#: OTLP's SpanKind and StatusCode numbers.
KIND_INTERNAL, KIND_SERVER, KIND_CLIENT = 1, 2, 3
STATUS_UNSET, STATUS_ERROR = 0, 2

SCOPE = {"name": "altus.xray", "version": "1"}


def _value(value: Any) -> dict[str, Any] | None:
    """An attribute's value; None where OTLP's JSON cannot carry it (NaN, infinity,
    an integer beyond 64 bits)."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)} if -(2**63) <= value < 2**63 else None
    if isinstance(value, float):
        return {"doubleValue": value} if math.isfinite(value) else None
    return {"stringValue": str(value)}


def _nanos(seconds: Any) -> str:
    """Epoch seconds as nanoseconds; ValueError where it is not a plausible time."""
    if not is_time(seconds):
        raise ValueError("not a time")
    return str(round(float(seconds) * 1_000_000_000))


def _attributes(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    found: dict[str, Any] = {}
    if doc.get("origin"):
        found["aws.xray.origin"] = doc["origin"]
    if doc.get("namespace"):
        found["aws.xray.namespace"] = doc["namespace"]
    if doc.get("resource_arn"):
        found["cloud.resource_id"] = doc["resource_arn"]
    http = member(doc, "http")
    request = member(http, "request")
    response = member(http, "response")
    for key, name in (
        ("method", "http.request.method"),
        ("url", "url.full"),
        ("user_agent", "user_agent.original"),
        ("client_ip", "client.address"),
    ):
        if request.get(key) is not None:
            found[name] = request[key]
    if isinstance(response.get("status"), int):
        found["http.response.status_code"] = response["status"]
    aws = member(doc, "aws")
    for key, name in (
        ("request_id", "aws.request_id"),
        ("operation", "rpc.method"),
        ("region", "cloud.region"),
        ("function_arn", "faas.invoked_name"),
    ):
        if isinstance(aws.get(key), str | int | float):
            found[name] = aws[key]
    notes = doc.get("annotations")
    if isinstance(notes, dict):
        for key, value in notes.items():
            if isinstance(value, str | int | float | bool):
                found[f"annotation.{key}"] = value
    for flag in ("error", "fault", "throttle"):
        if doc.get(flag) is True:
            found[f"aws.xray.{flag}"] = True
    kept = ((key, _value(value)) for key, value in found.items())
    return [{"key": key, "value": value} for key, value in kept if value is not None]


def _status(doc: Mapping[str, Any]) -> dict[str, Any]:
    if doc.get("fault") is True or doc.get("error") is True:
        status: dict[str, Any] = {"code": STATUS_ERROR}
        cause = member(doc, "cause")
        exceptions = cause.get("exceptions") if isinstance(cause.get("exceptions"), list) else []
        if exceptions and isinstance(exceptions[0], dict) and exceptions[0].get("message"):
            status["message"] = str(exceptions[0]["message"])
        return status
    return {"code": STATUS_UNSET}


def spans(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The spans of one segment document and every subsegment nested in it; ValueError
    (or another error) for a document that is not one."""
    trace_id = otlp_trace_id(str(document["trace_id"]))
    if len(trace_id) != 32:
        raise ValueError("not an X-Ray trace id")
    found: list[dict[str, Any]] = []

    def add(doc: Mapping[str, Any], parent: str | None, top: bool, depth: int) -> None:
        if depth > 64 or not isinstance(doc.get("id"), str):
            return
        start = doc.get("start_time", document.get("start_time", 0))
        end = doc.get("end_time") or start
        if top:
            kind = KIND_SERVER if doc.get("type") != "subsegment" else KIND_INTERNAL
        else:
            kind = KIND_CLIENT if doc.get("namespace") in ("aws", "remote") else KIND_INTERNAL
        try:
            span: dict[str, Any] = {
                "traceId": trace_id,
                "spanId": doc["id"],
                "name": str(doc.get("name") or doc["id"]),
                "kind": kind,
                "startTimeUnixNano": _nanos(start),
                "endTimeUnixNano": _nanos(end),
                "attributes": _attributes(doc),
                "status": _status(doc),
            }
        except (ValueError, TypeError, ArithmeticError):
            return  # this span (and what nests in it) is skipped, not the batch
        if parent:
            span["parentSpanId"] = parent
        found.append(span)
        for sub in doc.get("subsegments") or ():
            if isinstance(sub, dict):
                add(sub, doc["id"], False, depth + 1)

    parent = document.get("parent_id")
    add(document, parent if isinstance(parent, str) else None, True, 0)
    return found


def export_request(documents: Iterable[Mapping[str, Any]]) -> tuple[dict[str, Any], int]:
    """One ``ExportTraceServiceRequest`` of ``documents``' spans, a resource per
    service (segment name), and how many documents were skipped (one that cannot be
    converted costs itself, never its batch)."""
    by_service: dict[str, list[dict[str, Any]]] = {}
    skipped = 0
    for document in documents:
        try:
            found = spans(document)
        except Exception:
            skipped += 1
            continue
        service = str(document.get("name") or "unknown")
        by_service.setdefault(service, []).extend(found)
    return {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": service}}]
                },
                "scopeSpans": [{"scope": SCOPE, "spans": found}],
            }
            for service, found in by_service.items()
        ]
    }, skipped

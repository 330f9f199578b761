"""Segment documents as X-Ray takes them (PutTraceSegments, the daemon's datagrams):
checked, reduced to what the store indexes, and put back together per trace.

A document is a segment (``trace_id``, ``id``, ``name``, ``start_time``, and
``end_time`` or ``in_progress``) or an independent subsegment (``"type": "subsegment"``
with its ``parent_id``), which X-Ray shows inside its parent: ``assemble`` nests it
there."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_TRACE = re.compile(r"1-[0-9a-f]{8}-[0-9a-f]{24}")
_ID = re.compile(r"[0-9a-f]{16}")
#: X-Ray's limit on one segment document.
MAX_DOCUMENT_BYTES = 64 * 1024


class BadSegment(ValueError):
    """A document X-Ray would not keep; the message says why (``UnprocessedTraceSegments``)."""

    def __init__(self, segment_id: str, message: str) -> None:
        super().__init__(message)
        self.segment_id = segment_id


@dataclass(frozen=True, slots=True)
class SegmentRow:
    """One document as the store keeps it."""

    trace_id: str
    id: str
    start_us: int
    end_us: int | None
    #: The Lambda invocation a platform segment records (``aws.request_id``).
    request_id: str | None
    document: str


#: The epoch seconds a document's times may have: finite, and within what the store's
#: microsecond columns hold (a time outside is not a time X-Ray would keep).
_EARLIEST, _LATEST = 0.0, 10_000_000_000.0
#: How deep subsegments may nest in one document.
MAX_DEPTH = 64


def _finite(text: str) -> float:
    """``json``'s float parser, refusing what is not finite (``1e400``)."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("a number is not finite")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def decode(text: str | bytes) -> list[dict[str, Any]]:
    """The documents one PutTraceSegments string (or daemon datagram) holds: a segment,
    an in-progress segment, or an array of subsegments, as X-Ray takes them. BadSegment
    where it is not JSON (NaN and infinities are not: they would poison every read), is
    larger than 64 KB in UTF-8, or holds something other than objects."""
    found = _load(text)
    docs = found if isinstance(found, list) and found else [found]
    if not all(isinstance(doc, dict) for doc in docs):
        raise BadSegment("", "Invalid segment: the document is not a JSON object")
    return docs


def _load(text: str | bytes) -> Any:
    size = len(text.encode() if isinstance(text, str) else text)
    if size > MAX_DOCUMENT_BYTES:
        raise BadSegment("", f"Segment document exceeds {MAX_DOCUMENT_BYTES} bytes")
    try:
        return json.loads(text, parse_float=_finite, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise BadSegment("", "Invalid segment: the document is not JSON") from None


def parse(text: str | bytes) -> SegmentRow:
    """A single document's row, or BadSegment."""
    doc = _load(text)
    if not isinstance(doc, dict):
        raise BadSegment("", "Invalid segment: the document is not a JSON object")
    return row_of(doc)


def row_of(doc: Mapping[str, Any]) -> SegmentRow:
    """The row of a document, checked in full (BadSegment): what is stored is read
    back for 30 days, so a shape the readers do not expect is refused here."""
    segment_id = doc.get("id")
    if not isinstance(segment_id, str) or not _ID.fullmatch(segment_id):
        raise BadSegment(
            segment_id if isinstance(segment_id, str) else "",
            "Invalid segment: id must be 16 hex digits",
        )
    trace_id = doc.get("trace_id")
    if not isinstance(trace_id, str) or not _TRACE.fullmatch(trace_id):
        raise BadSegment(segment_id, "Invalid segment: trace_id is not an X-Ray trace id")
    kind = doc.get("type")
    if kind is not None and kind != "subsegment":
        raise BadSegment(segment_id, "Invalid segment: type must be subsegment")
    if kind == "subsegment" and "parent_id" not in doc:
        raise BadSegment(segment_id, "Invalid segment: a subsegment needs its parent_id")
    _check(doc, segment_id, 0)
    aws = doc.get("aws")
    request_id = None
    if str(doc.get("origin", "")).startswith("AWS::Lambda") and isinstance(aws, dict):
        found = aws.get("request_id")
        request_id = found if isinstance(found, str) else None
    end = doc.get("end_time")
    try:
        text = json.dumps(doc, separators=(",", ":"), allow_nan=False)
    except (ValueError, TypeError, RecursionError):
        raise BadSegment(segment_id, "Invalid segment: the document is not JSON") from None
    return SegmentRow(
        trace_id,
        segment_id,
        int(doc["start_time"] * 1_000_000),
        None if end is None else int(end * 1_000_000),
        request_id,
        text,
    )


def _check(doc: Mapping[str, Any], segment_id: str, depth: int) -> None:
    """The fields readers rely on, in ``doc`` and every subsegment in it."""

    def bad(why: str) -> BadSegment:
        return BadSegment(segment_id, f"Invalid segment: {why}")

    part_id = doc.get("id")
    if not isinstance(part_id, str) or not _ID.fullmatch(part_id):
        raise bad("a subsegment's id must be 16 hex digits")
    parent = doc.get("parent_id")
    if parent is not None and (not isinstance(parent, str) or not _ID.fullmatch(parent)):
        raise bad("parent_id must be 16 hex digits")
    name = doc.get("name")
    if not isinstance(name, str) or not name or len(name) > 200:
        raise bad("name is required (a string of at most 200 characters)")
    if not is_time(doc.get("start_time")):
        raise bad("start_time must be a time in epoch seconds")
    end = doc.get("end_time")
    progress = doc.get("in_progress")
    if progress is not None and not isinstance(progress, bool):
        raise bad("in_progress must be a boolean")
    if end is None and progress is not True:
        raise bad("end_time or in_progress is required")
    if end is not None and not is_time(end):
        raise bad("end_time must be a time in epoch seconds")
    for key in ("origin", "namespace", "resource_arn"):
        if doc.get(key) is not None and not isinstance(doc[key], str):
            raise bad(f"{key} must be a string")
    for key in ("fault", "error", "throttle"):
        if doc.get(key) is not None and not isinstance(doc[key], bool):
            raise bad(f"{key} must be a boolean")
    for key in ("http", "aws", "metadata", "sql"):
        if doc.get(key) is not None and not isinstance(doc[key], dict):
            raise bad(f"{key} must be an object")
    if doc.get("cause") is not None and not isinstance(doc["cause"], dict | str):
        raise bad("cause must be an object or an exception id")
    _check_http(doc.get("http"), bad)
    notes = doc.get("annotations")
    if notes is not None:
        if not isinstance(notes, dict):
            raise bad("annotations must be an object")
        for value in notes.values():
            if not annotation(value):
                raise bad("an annotation is a string, number or boolean")
    subs = doc.get("subsegments")
    if subs is not None:
        if not isinstance(subs, list):
            raise bad("subsegments must be a list")
        if subs and depth >= MAX_DEPTH:
            raise bad(f"subsegments nest more than {MAX_DEPTH} deep")
        for sub in subs:
            if not isinstance(sub, dict):
                raise bad("a subsegment must be an object")
            _check(sub, segment_id, depth + 1)


def _check_http(http: object, bad: Callable[[str], BadSegment]) -> None:
    if not isinstance(http, dict):
        return
    request, response = http.get("request"), http.get("response")
    if request is not None:
        if not isinstance(request, dict):
            raise bad("http.request must be an object")
        for key in ("url", "method", "user_agent", "client_ip"):
            if request.get(key) is not None and not isinstance(request[key], str):
                raise bad(f"http.request.{key} must be a string")
    if response is not None:
        if not isinstance(response, dict):
            raise bad("http.response must be an object")
        for key in ("status", "content_length"):
            value = response.get(key)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise bad(f"http.response.{key} must be an integer")


def annotation(value: object) -> bool:
    """A value X-Ray keeps as an annotation: a string, a boolean or a number a double
    holds (JSON has no NaN; a huge integer is no double)."""
    if isinstance(value, str | bool):
        return True
    if isinstance(value, int):
        return abs(value) < 2**53
    return isinstance(value, float) and math.isfinite(value)


def is_time(value: object) -> bool:
    """An epoch time X-Ray would keep: a finite number of seconds the store can hold."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and _EARLIEST <= value < _LATEST
    )


def member(doc: Mapping[str, Any], key: str) -> dict[str, Any]:
    """``doc[key]`` where it is an object, else an empty one (documents are the
    sender's: nothing in them is trusted to have its shape)."""
    found = doc.get(key)
    return found if isinstance(found, dict) else {}


def seconds(value: object, default: float = 0.0) -> float:
    """A stored time as a float (``default`` where a document has none usable)."""
    return float(value) if is_time(value) else default  # type: ignore[arg-type]


def assemble(documents: Sequence[str]) -> list[dict[str, Any]]:
    """A trace's stored documents as X-Ray answers them: segments, with each independent
    subsegment nested in the segment (or subsegment) it names as parent; one whose
    parent is not there stays on its own."""
    docs = []
    for text in documents:
        try:
            found = json.loads(text)
        except (ValueError, RecursionError):
            continue
        if isinstance(found, dict):
            docs.append(found)
    by_id: dict[str, dict[str, Any]] = {}
    for doc in docs:
        for part in walk(doc):
            if isinstance(part.get("id"), str):
                by_id.setdefault(part["id"], part)
    kept: list[dict[str, Any]] = []
    for doc in docs:
        parent_id = doc.get("parent_id")
        parent = (
            by_id.get(parent_id)
            if doc.get("type") == "subsegment" and isinstance(parent_id, str)
            else None
        )
        # Not into itself or its own subsegments: the trace would be a loop.
        if parent is not None and all(part is not parent for part in walk(doc)):
            subs = parent.get("subsegments")
            if not isinstance(subs, list):
                subs = parent["subsegments"] = []
            subs.append(doc)
        else:
            kept.append(doc)
    return kept


def walk(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A document and every subsegment in it with a string id, depth first, each once
    (documents that name each other as parents do not loop). Tolerant of any shape: a
    stored document is read for 30 days."""
    seen: set[int] = set()
    stack = [doc]
    while stack:
        part = stack.pop()
        if id(part) in seen:
            continue
        seen.add(id(part))
        yield part
        subs = part.get("subsegments")
        if isinstance(subs, list):
            stack.extend(
                sub
                for sub in reversed(subs)
                if isinstance(sub, dict) and isinstance(sub.get("id"), str)
            )

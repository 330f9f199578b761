"""PutEvents entries: each checked on its own (a bad one fails alone, in
``Entries``), the request's size as EventBridge counts it, and the event each accepted
entry becomes. Pure code.

Size (EventBridge guide, eb-putevent-size): an entry counts 14 bytes for ``Time`` if it
is set, plus the UTF-8 bytes of ``Source``, ``DetailType``, ``Detail`` and each of
``Resources``; the total must be less than 256 KB (262,144 bytes is refused): a request
at or over it fails whole, as AWS's does. Entry errors are EventBridge's codes and
words (``InvalidArgument``, ``MalformedDetail``); the event is EventBridge's envelope
with whole-second UTC times.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

#: What a PutEvents request's entries must total less than (bytes, counted as above).
MAX_REQUEST_BYTES: Final = 256 * 1024
TIME_BYTES: Final = 14


def entry_size(entry: Mapping[str, Any]) -> int:
    size = TIME_BYTES if entry.get("Time") is not None else 0
    for member in ("Source", "DetailType", "Detail"):
        value = entry.get(member)
        if isinstance(value, str):
            size += len(value.encode())
    for resource in entry.get("Resources") or ():
        if isinstance(resource, str):
            size += len(resource.encode())
    return size


def request_size(entries: Sequence[Mapping[str, Any]]) -> int:
    return sum(entry_size(entry) for entry in entries)


@dataclass(frozen=True, slots=True)
class EntryError:
    code: str
    message: str


def _required(member: str) -> EntryError:
    return EntryError(
        "InvalidArgument",
        f"Parameter {member} is not valid. Reason: {member} is a required argument.",
    )


def check_entry(entry: Mapping[str, Any]) -> tuple[dict[str, Any] | None, EntryError | None]:
    """The entry's parsed ``Detail`` (an object), or why EventBridge refuses it."""
    for member in ("Source", "DetailType", "Detail"):
        if not entry.get(member):
            return None, _required(member)
    try:
        detail = json.loads(entry["Detail"])
    except ValueError:
        return None, EntryError("MalformedDetail", "Detail is malformed.")
    if not isinstance(detail, dict):
        return None, EntryError("MalformedDetail", "Detail is malformed.")
    return detail, None


def iso_seconds(moment: float) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ``: EventBridge's event time."""
    when = datetime.datetime.fromtimestamp(int(moment), tz=datetime.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def event_of(
    entry: Mapping[str, Any],
    detail: Mapping[str, Any],
    event_id: str,
    account: str,
    region: str,
    now: float,
) -> dict[str, Any]:
    """The event an accepted entry becomes (its ``Time``, else when it was received)."""
    time = entry.get("Time")
    moment = time.timestamp() if isinstance(time, datetime.datetime) else now
    return {
        "version": "0",
        "id": event_id,
        "detail-type": entry["DetailType"],
        "source": entry["Source"],
        "account": account,
        "time": iso_seconds(moment),
        "region": region,
        "resources": list(entry.get("Resources") or []),
        "detail": dict(detail),
    }


#: What TestEventPattern (and an event a service hands over) must carry.
REQUIRED_FIELDS: Final = ("id", "account", "source", "time", "region", "detail-type")


def check_event(text: str) -> dict[str, Any] | None:
    """A whole event as JSON text, if it is one EventBridge would take: an object with
    the envelope's string fields; else None."""
    try:
        event = json.loads(text)
    except ValueError:
        return None
    if not isinstance(event, dict):
        return None
    for name in REQUIRED_FIELDS:
        if not isinstance(event.get(name), str):
            return None
    resources = event.get("resources", [])
    if not isinstance(resources, list) or not all(isinstance(r, str) for r in resources):
        return None
    if "detail" in event and not isinstance(event["detail"], dict):
        return None
    return event


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

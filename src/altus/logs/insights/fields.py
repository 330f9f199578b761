"""The fields Logs Insights finds in an event (a row of a query).

- System fields: ``@timestamp``, ``@ingestionTime`` (times), ``@message``,
  ``@logStream``, ``@log`` (``<account>:<group>``), ``@ptr`` (what identifies the
  event).
- Lambda's platform lines: ``START``/``END``/``REPORT RequestId: ...`` give ``@type``
  and ``@requestId``; a REPORT line ``@duration``, ``@billedDuration``, ``@initDuration``
  (ms) and ``@memorySize``, ``@maxMemoryUsed`` (bytes, as Insights gives them: 128 MB is
  128000000).
- JSON: an event that is a JSON object, or a Lambda text line (``<time>\\t<request
  id>\\t<level>\\t<message>``) whose message is one, gives its members, nested ones as
  ``a.b`` and array items as ``a.0`` (at most :data:`MAX_JSON_FIELDS` of them, at
  most :data:`MAX_JSON_DEPTH` deep); a document nested too deeply to read gives none.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from altus.logs.insights.values import Time

#: The most JSON fields taken from one event (Insights discovers 1,000; fewer bound a
#: row's size here).
MAX_JSON_FIELDS = 200
#: How deep discovery goes into a JSON event (deeper members are left out).
MAX_JSON_DEPTH = 64

_PLATFORM = re.compile(r"(START|END|REPORT) RequestId: (\S+)")
_REPORT = {
    "@duration": (re.compile(r"\tDuration: ([\d.]+) ms"), 1.0),
    "@billedDuration": (re.compile(r"Billed Duration: ([\d.]+) ms"), 1.0),
    "@memorySize": (re.compile(r"Memory Size: ([\d.]+) MB"), 1_000_000.0),
    "@maxMemoryUsed": (re.compile(r"Max Memory Used: ([\d.]+) MB"), 1_000_000.0),
    "@initDuration": (re.compile(r"Init Duration: ([\d.]+) ms"), 1.0),
}

#: The fields shown when a query names none (no ``fields``, ``display`` or ``stats``).
DEFAULT_COLUMNS = ("@timestamp", "@message", "@logStream", "@log")


def pointer(group: str, event_id: int) -> str:
    """``@ptr``: the event's group and id, opaque as Insights' own."""
    return base64.urlsafe_b64encode(f"{group}\x00{event_id}".encode()).decode()


def discover(
    account: str,
    group: str,
    stream: str,
    timestamp: int,
    ingested: int,
    message: str,
    event_id: int,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "@timestamp": Time(timestamp),
        "@message": message,
        "@logStream": stream,
        "@log": f"{account}:{group}",
        "@ingestionTime": Time(ingested),
        "@ptr": pointer(group, event_id),
    }
    platform = _PLATFORM.match(message)
    if platform is not None:
        row["@type"] = platform.group(1)
        row["@requestId"] = platform.group(2)
        if platform.group(1) == "REPORT":
            for name, (pattern, scale) in _REPORT.items():
                found = pattern.search(message)
                if found is not None:
                    try:
                        value = float(found.group(1)) * scale
                    except ValueError:  # ``1.2.3``: no number
                        continue
                    row[name] = int(value) if scale != 1.0 or value.is_integer() else value
        return row
    document = _json_part(message)
    if isinstance(document, dict):
        flat: dict[str, Any] = {}
        _flatten(document, "", flat)
        for key, value in flat.items():
            row.setdefault(key, value)
    return row


def _json_part(message: str) -> Any:
    body = message.strip()
    if not body.startswith("{"):
        parts = message.split("\t", 3)
        if len(parts) < 4 or not parts[3].strip().startswith("{"):
            return None
        body = parts[3].strip()
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # not JSON, or nested past reading
        return None


def _flatten(document: Any, prefix: str, into: dict[str, Any]) -> None:
    """``document``'s leaves into ``into`` by path, in document order, depth first
    (with a stack of its own: a deep document cannot exhaust Python's)."""
    stack: list[tuple[str, Any, int]] = [(prefix, document, 0)]
    while stack and len(into) < MAX_JSON_FIELDS:
        path, value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth >= MAX_JSON_DEPTH:
                continue
            items = value.items() if isinstance(value, dict) else enumerate(value)
            stack.extend(reversed([(f"{path}{key}.", item, depth + 1) for key, item in items]))
        elif path and value is not None:  # a null is an absent field
            into[path[:-1]] = value

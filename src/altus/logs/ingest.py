"""PutLogEvents' rules for a batch, as CloudWatch Logs applies them today (pure: no I/O).

- The batch is refused whole (``InvalidParameterException``) when it is larger than
  1,048,576 bytes (each message's UTF-8 bytes plus 26 per event), when its events are
  not in chronological order, or when the events it would keep span more than 24 hours.
- Otherwise events more than 2 hours in the future, more than 14 days in the past, or
  older than the group's retention are left out and reported by index in
  ``rejectedLogEventsInfo``; the rest are stored.
- Sequence tokens are ignored: any token (or none) is accepted, and a token is answered
  only because clients still read one.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from altus.logs.errors import InvalidParameter
from altus.logs.retention import DAY_MS, cutoff
from altus.observe.logs import LogEvent

#: The largest batch, counting each message's UTF-8 bytes and 26 bytes per event.
MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD = 26
#: How far from now an event's time may be.
MAX_FUTURE_MS = 2 * 3_600_000
MAX_PAST_MS = 14 * DAY_MS
#: The longest time the events stored from one batch may span.
MAX_SPAN_MS = 24 * 3_600_000


@dataclass(frozen=True, slots=True)
class Batch:
    #: What to store, in the order given.
    accepted: list[LogEvent]
    #: ``rejectedLogEventsInfo``'s members, only those that apply (empty: none rejected).
    rejected: Mapping[str, int] = field(default_factory=dict)


def plan_batch(
    given: Sequence[Mapping[str, Any]], now_ms: int, retention_days: int | None
) -> Batch:
    """What of ``given`` (InputLogEvent members) to store at ``now_ms`` in a group keeping
    ``retention_days`` (None: forever); raises InvalidParameter for a refused batch."""
    events = [LogEvent(int(e["timestamp"]), str(e["message"])) for e in given]
    size = sum(len(e.message.encode("utf-8", "surrogatepass")) + EVENT_OVERHEAD for e in events)
    if size > MAX_BATCH_BYTES:
        raise InvalidParameter(f"Upload too large: {size} bytes exceeds limit of {MAX_BATCH_BYTES}")
    if any(later.timestamp < earlier.timestamp for earlier, later in itertools.pairwise(events)):
        raise InvalidParameter(
            "Log events in a single PutLogEvents request must be in chronological order."
        )
    # In chronological order, the events too old are a prefix and those too new a suffix.
    too_old = sum(1 for e in events if e.timestamp < now_ms - MAX_PAST_MS)
    expired = (
        sum(1 for e in events if e.timestamp < cutoff(retention_days, now_ms))
        if retention_days is not None
        else 0
    )
    too_new = next(
        (i for i, e in enumerate(events) if e.timestamp > now_ms + MAX_FUTURE_MS), len(events)
    )
    start = max(too_old, expired)
    kept = events[start:too_new] if start < too_new else []
    if kept and kept[-1].timestamp - kept[0].timestamp > MAX_SPAN_MS:
        raise InvalidParameter(
            "The batch of log events in a single PutLogEvents request cannot span more than "
            "24 hours."
        )
    rejected: dict[str, int] = {}
    if too_old:
        rejected["tooOldLogEventEndIndex"] = too_old
    if expired > too_old:
        rejected["expiredLogEventEndIndex"] = expired
    if too_new < len(events):
        rejected["tooNewLogEventStartIndex"] = too_new
    return Batch(kept, rejected)

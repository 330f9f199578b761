"""Reading an expression: which of the three it is, and its time zone."""

from __future__ import annotations

import zoneinfo

from altus.schedules.at import parse_at
from altus.schedules.cron import parse_cron
from altus.schedules.errors import ScheduleError, refuse
from altus.schedules.rate import parse_rate
from altus.schedules.schedule import Schedule

KINDS = ("events", "scheduler")


def parse(text: str, kind: str = "events") -> Schedule:
    """The schedule ``text`` describes, for EventBridge rules (``kind="events"``:
    ``rate()`` and ``cron()``) or Scheduler (``"scheduler"``: ``at()`` too). Raises
    ``ScheduleError`` with the service's own message when it refuses ``text``."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    if text.startswith("rate("):
        return parse_rate(text, kind)
    if text.startswith("cron("):
        return parse_cron(text, kind)
    if text.startswith("at("):
        return parse_at(text, kind)
    raise refuse(text, kind, "not at(), rate() or cron()")


def parse_timezone(name: str) -> zoneinfo.ZoneInfo:
    """The IANA zone ``name`` (``ScheduleExpressionTimezone``). Raises ``ScheduleError``
    for a name the zone database does not know. The message is Altus's: AWS's wording
    for a bad zone is not documented."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise ScheduleError(f"Invalid time zone {name}.", "unknown IANA zone") from None

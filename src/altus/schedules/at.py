"""``at(yyyy-mm-ddThh:mm:ss)``: Scheduler's one-time schedule, a wall time in the
schedule's zone.

A wall time that daylight saving skips (02:30 on a spring-forward night) has no instant;
AWS does not say what happens to it. Altus reads it with the offset in force before the
change (``fold=0``), which lands it just after the gap, so the schedule still runs once
rather than never. A repeated wall time (autumn) is its first occurrence.
"""

from __future__ import annotations

import datetime
import re
import zoneinfo
from dataclasses import dataclass

from altus.schedules.errors import refuse
from altus.schedules.schedule import UTC, Schedule, aware

_AT = re.compile(r"at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)")


@dataclass(frozen=True)
class AtSchedule(Schedule):
    #: The wall time, naive: the zone is the schedule's, given to ``next_after``.
    wall: datetime.datetime = datetime.datetime(1970, 1, 1)

    def due(self, tz: zoneinfo.ZoneInfo | None = None) -> datetime.datetime:
        """The one instant this schedule is due, in UTC."""
        return self.wall.replace(tzinfo=tz or UTC, fold=0).astimezone(UTC)

    def next_after(
        self,
        moment: datetime.datetime,
        tz: zoneinfo.ZoneInfo | None = None,
        anchor: datetime.datetime | None = None,
    ) -> datetime.datetime | None:
        due = self.due(tz)
        return due if due > aware(moment) else None


def parse_at(text: str, kind: str) -> AtSchedule:
    found = _AT.fullmatch(text)
    if found is None or kind != "scheduler":
        raise refuse(text, kind, "not at(yyyy-mm-ddThh:mm:ss) or not a Scheduler expression")
    try:
        year, month, day, hour, minute, second = (int(part) for part in found.groups())
        wall = datetime.datetime(year, month, day, hour, minute, second)
    except ValueError as error:
        raise refuse(text, kind, str(error)) from None
    return AtSchedule("at", text, wall)

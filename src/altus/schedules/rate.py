"""``rate(value unit)``: a fixed period counted from an anchor.

AWS reads ``N days`` as N x 24 hours whatever the zone's daylight saving does (Scheduler
user guide, "Daylight saving time"), so a rate is a plain duration and never needs a
zone.
"""

from __future__ import annotations

import datetime
import re
import zoneinfo
from dataclasses import dataclass

from altus.schedules.errors import refuse
from altus.schedules.schedule import UTC, Schedule, aware

_RATE = re.compile(r"rate\((\d+) ([a-z]+)\)")
_UNITS = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class RateSchedule(Schedule):
    period: datetime.timedelta = datetime.timedelta(minutes=1)

    def next_after(
        self,
        moment: datetime.datetime,
        tz: zoneinfo.ZoneInfo | None = None,
        anchor: datetime.datetime | None = None,
    ) -> datetime.datetime | None:
        moment = aware(moment).astimezone(UTC)
        start = moment if anchor is None else aware(anchor).astimezone(UTC)
        if start > moment:
            return start
        # Whole periods since the anchor, then one more: strictly after ``moment``.
        periods = (moment - start) // self.period + 1
        return start + periods * self.period


def parse_rate(text: str, kind: str) -> RateSchedule:
    """``rate(1 minute)``, ``rate(5 minutes)``: a positive whole value, the unit singular
    for 1 and plural otherwise (AWS refuses ``rate(1 minutes)`` and ``rate(5 minute)``)."""
    found = _RATE.fullmatch(text)
    if found is None:
        raise refuse(text, kind, "not rate(value unit)")
    value, unit = int(found.group(1)), found.group(2)
    singular = unit.removesuffix("s")
    if singular not in _UNITS or value < 1:
        raise refuse(
            text, kind, "the value must be positive and the unit minute(s), hour(s) or day(s)"
        )
    if (value == 1) != (unit == singular):
        raise refuse(text, kind, "the unit is singular for 1 and plural otherwise")
    return RateSchedule("rate", text, datetime.timedelta(seconds=value * _UNITS[singular]))

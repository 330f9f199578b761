"""Quota periods as API Gateway counts them (pure date arithmetic, UTC): a ``DAY``
starts at midnight; a ``WEEK`` on the weekday its ``offset`` names (0 Sunday .. 6
Saturday); a ``MONTH`` on the day ``offset + 1`` (0: the 1st, at most 27)."""

from __future__ import annotations

import datetime

PERIODS = ("DAY", "WEEK", "MONTH")
#: The largest offset each period allows.
MAX_OFFSET = {"DAY": 0, "WEEK": 6, "MONTH": 27}


def day_of(now: float) -> datetime.date:
    return datetime.datetime.fromtimestamp(now, datetime.UTC).date()


def period_start(day: datetime.date, period: str, offset: int) -> datetime.date:
    """The first day of the quota period ``day`` is in."""
    if period == "WEEK":
        from_sunday = (day.weekday() + 1) % 7
        return day - datetime.timedelta(days=(from_sunday - offset) % 7)
    if period == "MONTH":
        first = offset + 1
        if day.day >= first:
            return day.replace(day=first)
        previous = day.replace(day=1) - datetime.timedelta(days=1)
        return previous.replace(day=first)
    return day


def days(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """Every day from ``start`` to ``end``, both included (empty when end < start)."""
    count = (end - start).days + 1
    return [start + datetime.timedelta(days=i) for i in range(max(count, 0))]

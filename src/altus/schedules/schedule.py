"""What every parsed expression is: a kind, its text, and when it next comes due."""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass

UTC = datetime.UTC


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule expression. ``kind`` is ``"at"``, ``"rate"`` or ``"cron"``;
    ``text`` the expression as given."""

    kind: str
    text: str

    def next_after(
        self,
        moment: datetime.datetime,
        tz: zoneinfo.ZoneInfo | None = None,
        anchor: datetime.datetime | None = None,
    ) -> datetime.datetime | None:
        """The first due time strictly after ``moment`` (an aware datetime), as an aware
        UTC datetime, or None when there is none (a past ``at()``, a cron whose years are
        over).

        ``tz`` (default UTC) is the zone ``at()`` wall times and cron fields are read in.
        ``anchor`` matters only to ``rate()``: due times are ``anchor + k * period`` for
        k >= 0, as AWS counts a rule's rate from its creation and a Scheduler schedule's
        from its StartDate (or creation); without one, the anchor is ``moment`` itself,
        so the first due time is one period later. The others ignore it.
        """
        raise NotImplementedError


def aware(moment: datetime.datetime) -> datetime.datetime:
    """``moment`` checked aware: a naive datetime has no instant to compare against."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("schedule times must be aware datetimes")
    return moment

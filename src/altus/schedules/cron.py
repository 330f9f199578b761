"""``cron(Minutes Hours Day-of-month Month Day-of-week Year)`` in AWS's dialect, matched
by ``cronsim``.

AWS's dialect differs from the cron ``cronsim`` reads in ways this module translates:
day-of-week is 1-7 for SUN-SAT (cron: 0-6), and a lone ``L`` there is Saturday, the last
day of the week; exactly one of day-of-month and day-of-week is ``?`` (read as ``*``, so
the other field alone decides the day); ``nW`` (the weekday nearest day n, within the
month) is computed here per month, as ``cronsim`` has no ``W``; the sixth field, years
1970-2199, is filtered here. Each field takes only the special characters AWS's table
allows it.

Time zones and daylight saving, as the Scheduler user guide says AWS does: the fields are
matched against wall-clock times in the zone; a wall time the spring change skips is
skipped (the occurrence does not run), and a wall time the autumn change repeats runs
once, at its first occurrence. So ``cron(0/15 * * * ? *)`` in America/New_York runs
01:00-01:45 once on the autumn night, not twice.

Every search is bounded: candidates are walked month by month and never past 2199, and
``cronsim`` itself gives up after fifty years without a match.
"""

from __future__ import annotations

import calendar
import datetime
import re
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass

from cronsim import CronSim, CronSimError

from altus.schedules.errors import refuse
from altus.schedules.schedule import UTC, Schedule, aware

FIRST_YEAR, LAST_YEAR = 1970, 2199
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_SECOND = datetime.timedelta(seconds=1)
#: Just before the first year AWS's year field allows: the start of a validity search.
_EPOCH = datetime.datetime(FIRST_YEAR, 1, 1, tzinfo=UTC) - _SECOND

# The characters AWS's cron table allows in each field (names are letters).
_ALLOWED = (
    re.compile(r"[0-9,\-*/]+"),  # minutes
    re.compile(r"[0-9,\-*/]+"),  # hours
    re.compile(r"\?|[0-9,\-*/LW]+"),  # day-of-month
    re.compile(r"[0-9A-Z,\-*/]+"),  # month
    re.compile(r"\?|[0-9A-Z,\-*L#]+"),  # day-of-week
    re.compile(r"[0-9,\-*/]+"),  # year
)
_NEAREST = re.compile(r"(\d{1,2})W")
_DAY = r"([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)"
_DOW_TERMS = (
    (re.compile(_DAY), "{0}"),
    (re.compile(_DAY + "-" + _DAY), "{0}-{1}"),
    (re.compile(_DAY + r"#([1-5])"), "{0}#{1}"),
)
_DOW_LAST = re.compile(_DAY + "L")


class _Invalid(Exception):
    """A field AWS refuses (turned into the service's ScheduleError by ``parse_cron``)."""


@dataclass(frozen=True)
class CronSchedule(Schedule):
    #: The five fields as ``cronsim`` reads them (day-of-month ``*`` when ``nearest``).
    expression: str = "* * * * *"
    #: Allowed years, ascending.
    years: tuple[int, ...] = ()
    #: n of an ``nW`` day-of-month, else 0.
    nearest: int = 0
    #: The months the month field allows, ascending (what ``nW`` walks).
    months: tuple[int, ...] = tuple(range(1, 13))

    def next_after(
        self,
        moment: datetime.datetime,
        tz: zoneinfo.ZoneInfo | None = None,
        anchor: datetime.datetime | None = None,
    ) -> datetime.datetime | None:
        zone = tz or UTC
        moment = aware(moment).astimezone(UTC)
        start = moment.astimezone(zone).replace(tzinfo=None, microsecond=0)
        # Wall times from the one the moment shows: in a repeated autumn hour some lie
        # before the moment (their first occurrence passed), and are skipped below.
        for wall in self._walls(start):
            instant = wall.replace(tzinfo=zone, fold=0)
            if instant.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall:
                continue  # skipped by the spring change: AWS does not run it
            due = instant.astimezone(UTC)
            if due > moment:
                return due
        return None

    def _walls(self, start: datetime.datetime) -> Iterator[datetime.datetime]:
        """Matching naive wall times strictly after ``start``, ascending."""
        if self.nearest:
            yield from self._nearest_walls(start)
            return
        year = self._year_from(start.year)
        # Each pass starts in a later allowed year than the last: at most one pass a year.
        for _ in range(LAST_YEAR - FIRST_YEAR + 1):
            if year is None:
                return
            if year > start.year:
                start = datetime.datetime(year, 1, 1) - _SECOND
            for wall in CronSim(self.expression, start):
                if wall.year in self.years:
                    yield wall
                    continue
                year = self._year_from(wall.year)
                break
            else:
                return  # cronsim found nothing in fifty years: nothing ever will

    def _nearest_walls(self, start: datetime.datetime) -> Iterator[datetime.datetime]:
        """For ``nW``: per allowed month, the day it names there, then the walls the
        expression (day-of-month ``*``) matches on that day. Months the month field
        refuses and months too short for ``n`` are skipped without asking ``cronsim``,
        so no day is ever paired with a month it cannot occur in."""
        year = self._year_from(start.year)
        # One pass a month at most, never past LAST_YEAR: bounded.
        while year is not None:
            for month in self.months:
                if (year, month) < (start.year, start.month):
                    continue
                day = nearest_weekday(year, month, self.nearest)
                if day is None:
                    continue
                date = datetime.date(year, month, day)
                first = datetime.datetime(year, month, day) - _SECOND
                for wall in CronSim(self.expression, max(start, first)):
                    if wall.date() != date:
                        break
                    yield wall
            year = self._year_from(year + 1)

    def _year_from(self, year: int) -> int | None:
        """The first allowed year not before ``year``."""
        return next((allowed for allowed in self.years if allowed >= year), None)


def nearest_weekday(year: int, month: int, day: int) -> int | None:
    """The weekday (Mon-Fri) nearest ``day`` of the month without leaving the month, as
    ``nW`` means; None when the month has no such day."""
    _, length = calendar.monthrange(year, month)
    if day > length:
        return None
    weekday = calendar.weekday(year, month, day)  # Monday 0
    if weekday == 5:  # Saturday: the Friday before, or the Monday after the 1st
        return day - 1 if day > 1 else day + 2
    if weekday == 6:  # Sunday: the Monday after, or the Friday before the last day
        return day + 1 if day < length else day - 2
    return day


def parse_cron(text: str, kind: str) -> CronSchedule:
    if not (text.startswith("cron(") and text.endswith(")")):
        raise refuse(text, kind, "not cron(...)")
    fields = text[5:-1].upper().split()
    try:
        return _build(text, fields)
    except _Invalid as error:
        raise refuse(text, kind, str(error)) from None


def _build(text: str, fields: list[str]) -> CronSchedule:
    if len(fields) != 6:
        raise _Invalid("six fields are needed")
    for field, allowed in zip(fields, _ALLOWED, strict=True):
        if not allowed.fullmatch(field):
            raise _Invalid(f"{field!r} has characters AWS does not allow there")
    minutes, hours, dom, months, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise _Invalid("exactly one of day-of-month and day-of-week must be '?'")
    nearest = 0
    if "W" in dom and dom != "LW":
        found = _NEAREST.fullmatch(dom)
        if found is None or not 1 <= int(found.group(1)) <= 31:
            raise _Invalid("W takes one day of the month (1W-31W) or LW")
        nearest = int(found.group(1))
    days = "*" if dom == "?" or nearest else dom
    expression = f"{minutes} {hours} {days} {months} {_day_of_week(dow)}"
    try:
        # Parsing here checks the fields once, so next_after never meets a bad one.
        fields_read = CronSim(expression, datetime.datetime(2000, 1, 1))
    except CronSimError as error:
        raise _Invalid(str(error)) from None
    schedule = CronSchedule(
        "cron", text, expression, _years(year), nearest, tuple(sorted(fields_read.months))
    )
    # An expression that can never match (``30W`` of February, the 29th of February in
    # a year list without a leap year) is refused, as cronsim refuses ``30 2``: found by
    # the same bounded search that serves ``next_after``.
    if schedule.next_after(_EPOCH) is None:
        raise _Invalid("the expression matches no time in 1970-2199")
    return schedule


def _day_of_week(field: str) -> str:
    """AWS's day-of-week (1-7 = SUN-SAT) as ``cronsim`` reads it (names; 0-6 before L)."""
    if field in ("?", "*"):
        return "*"
    terms = field.split(",")
    if "#" in field and len(terms) > 1:
        raise _Invalid("a day-of-week with # takes one expression only")
    return ",".join(_dow_term(term) for term in terms)


def _dow_term(term: str) -> str:
    if term == "L":
        return "SAT"  # the last day of the week
    last = _DOW_LAST.fullmatch(term)
    if last is not None:
        return f"{_DAYS.index(_day_name(last.group(1)))}L"
    for pattern, form in _DOW_TERMS:
        found = pattern.fullmatch(term)
        if found is not None:
            parts = list(found.groups())
            parts[: 1 if "#" in form else 2] = [
                _day_name(part) for part in parts[: 1 if "#" in form else 2]
            ]
            return form.format(*parts)
    raise _Invalid(f"day-of-week {term!r}")


def _day_name(day: str) -> str:
    return _DAYS[int(day) - 1] if day.isdigit() else day


def _years(field: str) -> tuple[int, ...]:
    """The years a year field allows, each in 1970-2199."""
    years: set[int] = set()
    for term in field.split(","):
        span, _, step_text = term.partition("/")
        step = _number(step_text) if step_text else 1
        if step < 1:
            raise _Invalid("a year step must be positive")
        if span == "*":
            first, last = FIRST_YEAR, LAST_YEAR
        elif "-" in span:
            low, _, high = span.partition("-")
            first, last = _year(low), _year(high)
        else:
            first = _year(span)
            last = LAST_YEAR if step_text else first
        if last < first:
            raise _Invalid(f"year range {span!r}")
        years.update(range(first, last + 1, step))
    return tuple(sorted(years))


def _year(text: str) -> int:
    year = _number(text)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise _Invalid(f"year {text!r} is outside 1970-2199")
    return year


def _number(text: str) -> int:
    if not text.isdigit():
        raise _Invalid(f"{text!r} is not a number")
    return int(text)

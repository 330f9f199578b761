"""Schedule expressions: AWS's documented examples, its daylight-saving rules, year bounds,
and the expressions it refuses."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest

from altus.schedules import Schedule, ScheduleError, parse, parse_timezone
from altus.schedules.cron import nearest_weekday

UTC = datetime.UTC
NEW_YORK = "America/New_York"
LONDON = "Europe/London"


def _moment(text: str, zone: str | None) -> datetime.datetime:
    """A wall time read in ``zone`` (UTC without one)."""
    wall = datetime.datetime.fromisoformat(text)
    if wall.tzinfo is not None:
        return wall
    return wall.replace(tzinfo=zoneinfo.ZoneInfo(zone) if zone else UTC)


def _following(
    schedule: Schedule, start: datetime.datetime, tz: zoneinfo.ZoneInfo | None, count: int
) -> list[str]:
    """The next ``count`` due times, each shown as an offset-carrying wall time in ``tz``."""
    shown: list[str] = []
    moment: datetime.datetime | None = start
    for _ in range(count):
        assert moment is not None
        moment = schedule.next_after(moment, tz)
        if moment is None:
            break
        shown.append(moment.astimezone(tz or UTC).isoformat())
    return shown


# (expression, zone, start wall time, the next due times as wall times with offsets)
EXAMPLES = [
    # The EventBridge user guide's cron examples table.
    (
        "cron(0 10 * * ? *)",  # 10:00 every day
        None,
        "2024-05-01T09:00:00",
        ["2024-05-01T10:00:00+00:00", "2024-05-02T10:00:00+00:00"],
    ),
    (
        "cron(15 12 * * ? *)",  # 12:15 every day
        None,
        "2024-05-01T12:15:00",
        ["2024-05-02T12:15:00+00:00", "2024-05-03T12:15:00+00:00"],
    ),
    (
        "cron(0 18 ? * MON-FRI *)",  # 18:00 Monday to Friday (2024-05-03 is a Friday)
        None,
        "2024-05-03T18:30:00",
        ["2024-05-06T18:00:00+00:00", "2024-05-07T18:00:00+00:00"],
    ),
    (
        "cron(0 8 1 * ? *)",  # 08:00 on the first of each month
        None,
        "2024-05-01T08:00:00",
        ["2024-06-01T08:00:00+00:00", "2024-07-01T08:00:00+00:00"],
    ),
    (
        "cron(0/15 * * * ? *)",  # every 15 minutes
        None,
        "2024-05-01T10:07:30",
        ["2024-05-01T10:15:00+00:00", "2024-05-01T10:30:00+00:00", "2024-05-01T10:45:00+00:00"],
    ),
    (
        "cron(0/10 * ? * MON-FRI *)",  # every 10 minutes Monday to Friday
        None,
        "2024-05-03T23:55:00",  # a Friday night: next on Monday
        ["2024-05-06T00:00:00+00:00", "2024-05-06T00:10:00+00:00"],
    ),
    (
        "cron(0/5 8-17 ? * MON-FRI *)",  # every 5 minutes, 08:00-17:55, Monday to Friday
        None,
        "2024-05-06T17:52:00",
        ["2024-05-06T17:55:00+00:00", "2024-05-07T08:00:00+00:00"],
    ),
    (
        "cron(0 9 ? * 2#1 *)",  # 09:00 on the first Monday of each month
        None,
        "2024-05-01T00:00:00",
        ["2024-05-06T09:00:00+00:00", "2024-06-03T09:00:00+00:00", "2024-07-01T09:00:00+00:00"],
    ),
    # Day-of-week: 1-7 is SUN-SAT; names; a lone L is Saturday; nL the last such day.
    ("cron(0 0 ? * 1 *)", None, "2024-05-01T00:00:00", ["2024-05-05T00:00:00+00:00"]),
    ("cron(0 0 ? * 7 *)", None, "2024-05-01T00:00:00", ["2024-05-04T00:00:00+00:00"]),
    ("cron(0 0 ? * sun *)", None, "2024-05-01T00:00:00", ["2024-05-05T00:00:00+00:00"]),
    ("cron(0 0 ? * L *)", None, "2024-05-01T00:00:00", ["2024-05-04T00:00:00+00:00"]),
    (
        "cron(0 0 ? * 6L *)",  # the last Friday of the month
        None,
        "2024-05-01T00:00:00",
        ["2024-05-31T00:00:00+00:00", "2024-06-28T00:00:00+00:00"],
    ),
    (
        "cron(0 0 ? * 2,4,6 *)",
        None,
        "2024-05-06T00:00:00",
        ["2024-05-08T00:00:00+00:00", "2024-05-10T00:00:00+00:00", "2024-05-13T00:00:00+00:00"],
    ),
    # Day-of-month: L, LW, nW (within the month), lists and steps; month names.
    (
        "cron(0 12 L * ? *)",
        None,
        "2024-02-01T00:00:00",
        ["2024-02-29T12:00:00+00:00", "2024-03-31T12:00:00+00:00", "2024-04-30T12:00:00+00:00"],
    ),
    (
        "cron(0 12 LW * ? *)",  # 2024-03-31 is a Sunday, 2024-06-30 too
        None,
        "2024-03-01T00:00:00",
        ["2024-03-29T12:00:00+00:00", "2024-04-30T12:00:00+00:00", "2024-05-31T12:00:00+00:00"],
    ),
    (
        "cron(0 12 15W * ? *)",  # 2024-06-15 is a Saturday, 2024-09-15 a Sunday
        None,
        "2024-06-01T00:00:00",
        ["2024-06-14T12:00:00+00:00", "2024-07-15T12:00:00+00:00", "2024-08-15T12:00:00+00:00"],
    ),
    (
        "cron(0 12 1W * ? *)",  # 2024-06-01 is a Saturday: the Monday after, not May
        None,
        "2024-05-31T00:00:00",
        ["2024-06-03T12:00:00+00:00"],
    ),
    # nW with a month restriction: the day is worked out only in the months allowed
    # (a day of another month is never paired with this one's field).
    (
        "cron(0 12 29W 2 ? *)",  # 2028-02-29 a Tuesday; 2032-02-29 a Sunday: the 27th
        None,
        "2028-02-20T00:00:00",
        ["2028-02-29T12:00:00+00:00", "2032-02-27T12:00:00+00:00", "2036-02-29T12:00:00+00:00"],
    ),
    (
        "cron(0 12 31W 1,4,5 ? *)",  # April has no 31st: skipped; 2025-05-31 a Saturday
        None,
        "2025-01-01T00:00:00",
        ["2025-01-31T12:00:00+00:00", "2025-05-30T12:00:00+00:00", "2026-01-30T12:00:00+00:00"],
    ),
    (
        "cron(0/30 9-10 1W MAR ? 2025)",  # 2025-03-01 a Saturday: Monday the 3rd
        None,
        "2025-03-03T09:45:00",
        ["2025-03-03T10:00:00+00:00", "2025-03-03T10:30:00+00:00"],
    ),
    (
        "cron(0 0 1,15 JAN-MAR ? *)",
        None,
        "2024-03-10T00:00:00",
        ["2024-03-15T00:00:00+00:00", "2025-01-01T00:00:00+00:00"],
    ),
    ("cron(0 0 */10 * ? *)", None, "2024-05-02T00:00:00", ["2024-05-11T00:00:00+00:00"]),
    # Time zones: fields are wall-clock times in the zone.
    ("cron(0 9 * * ? *)", "Asia/Tokyo", "2024-05-01T10:00:00", ["2024-05-02T09:00:00+09:00"]),
    # America/New_York springs forward at 02:00 on 2024-03-10: 02:30 does not exist and
    # AWS skips it; the next run is the day after.
    (
        "cron(30 2 * * ? *)",
        NEW_YORK,
        "2024-03-09T03:00:00",
        ["2024-03-11T02:30:00-04:00", "2024-03-12T02:30:00-04:00"],
    ),
    (
        "cron(0/30 * * * ? *)",
        NEW_YORK,
        "2024-03-10T01:00:00",
        ["2024-03-10T01:30:00-05:00", "2024-03-10T03:00:00-04:00"],
    ),
    # ... and falls back at 02:00 on 2024-11-03: 01:30 happens twice and runs once.
    (
        "cron(30 1 * * ? *)",
        NEW_YORK,
        "2024-11-03T00:00:00",
        ["2024-11-03T01:30:00-04:00", "2024-11-04T01:30:00-05:00"],
    ),
    (
        "cron(0/30 * * * ? *)",
        NEW_YORK,
        "2024-11-03T00:45:00",
        ["2024-11-03T01:00:00-04:00", "2024-11-03T01:30:00-04:00", "2024-11-03T02:00:00-05:00"],
    ),
    # Europe/London: 01:00 GMT -> 02:00 BST on 2024-03-31, 02:00 BST -> 01:00 GMT on
    # 2024-10-27.
    (
        "cron(30 1 * * ? *)",
        LONDON,
        "2024-03-30T12:00:00",
        ["2024-04-01T01:30:00+01:00"],
    ),
    (
        "cron(30 1 * * ? *)",
        LONDON,
        "2024-10-26T12:00:00",
        ["2024-10-27T01:30:00+01:00", "2024-10-28T01:30:00+00:00"],
    ),
    # A moment inside the repeated hour (its second pass) does not run it again.
    (
        "cron(45 1 * * ? *)",
        LONDON,
        "2024-10-27T01:10:00+00:00",
        ["2024-10-28T01:45:00+00:00"],
    ),
    # Years: 1970-2199, filtered; none left means None.
    (
        "cron(0 10 * * ? 2030-2031)",
        None,
        "2024-05-01T00:00:00",
        ["2030-01-01T10:00:00+00:00", "2030-01-02T10:00:00+00:00"],
    ),
    (
        "cron(0 0 1 1 ? 2026/5)",
        None,
        "2024-05-01T00:00:00",
        ["2026-01-01T00:00:00+00:00", "2031-01-01T00:00:00+00:00"],
    ),
    ("cron(0 0 1 1 ? 2199)", None, "2199-01-01T00:00:00", []),
    ("cron(59 23 31 12 ? 2199)", None, "2199-12-31T23:00:00", ["2199-12-31T23:59:00+00:00"]),
    ("cron(0 0 ? 2 1#5 *)", None, "2024-01-01T00:00:00", ["2032-02-29T00:00:00+00:00"]),
]


@pytest.mark.parametrize(("expression", "zone", "start", "expected"), EXAMPLES)
def test_cron_due_times(expression: str, zone: str | None, start: str, expected: list[str]) -> None:
    schedule = parse(expression)
    assert schedule.kind == "cron"
    tz = zoneinfo.ZoneInfo(zone) if zone else None
    assert (
        _following(schedule, _moment(start, zone), tz, len(expected) + 1)[: len(expected)]
        == expected
    )
    if not expected:
        assert schedule.next_after(_moment(start, zone), tz) is None


def test_the_same_expression_parses_for_scheduler() -> None:
    assert parse("cron(0 10 * * ? *)", "scheduler").kind == "cron"


@pytest.mark.parametrize(
    ("expression", "period"),
    [
        ("rate(1 minute)", datetime.timedelta(minutes=1)),
        ("rate(5 minutes)", datetime.timedelta(minutes=5)),
        ("rate(1 hour)", datetime.timedelta(hours=1)),
        ("rate(12 hours)", datetime.timedelta(hours=12)),
        ("rate(1 day)", datetime.timedelta(days=1)),
        ("rate(7 days)", datetime.timedelta(days=7)),
    ],
)
def test_rate_periods(expression: str, period: datetime.timedelta) -> None:
    schedule = parse(expression)
    assert schedule.kind == "rate"
    anchor = datetime.datetime(2024, 5, 1, 12, 0, 7, tzinfo=UTC)
    assert schedule.next_after(anchor, anchor=anchor) == anchor + period
    later = anchor + 3 * period + datetime.timedelta(seconds=1)
    assert schedule.next_after(later, anchor=anchor) == anchor + 4 * period
    # On a due time exactly, the next is one period on (strictly after).
    assert schedule.next_after(anchor + period, anchor=anchor) == anchor + 2 * period
    # Without an anchor the moment is the anchor.
    assert schedule.next_after(later) == later + period


def test_rate_before_its_anchor_is_due_at_the_anchor() -> None:
    start = datetime.datetime(2024, 5, 1, tzinfo=UTC)
    schedule = parse("rate(5 minutes)", "scheduler")
    assert schedule.next_after(start - datetime.timedelta(hours=1), anchor=start) == start


def test_rate_days_are_24_hours_across_daylight_saving() -> None:
    tz = zoneinfo.ZoneInfo(NEW_YORK)
    anchor = datetime.datetime(2024, 3, 9, 9, 0, tzinfo=tz)
    due = parse("rate(1 day)", "scheduler").next_after(anchor, tz, anchor=anchor)
    assert due is not None
    assert due.astimezone(tz).isoformat() == "2024-03-10T10:00:00-04:00"


@pytest.mark.parametrize(
    ("zone", "expression", "expected"),
    [
        (None, "at(2030-01-02T03:04:05)", "2030-01-02T03:04:05+00:00"),
        (NEW_YORK, "at(2030-01-02T03:04:05)", "2030-01-02T08:04:05+00:00"),
        # A skipped wall time is read with the offset before the change: it still runs.
        (NEW_YORK, "at(2024-03-10T02:30:00)", "2024-03-10T07:30:00+00:00"),
        # A repeated one runs at its first occurrence.
        (NEW_YORK, "at(2024-11-03T01:30:00)", "2024-11-03T05:30:00+00:00"),
    ],
)
def test_at_is_a_wall_time_in_the_zone(zone: str | None, expression: str, expected: str) -> None:
    schedule = parse(expression, "scheduler")
    assert schedule.kind == "at"
    tz = zoneinfo.ZoneInfo(zone) if zone else None
    due = datetime.datetime.fromisoformat(expected)
    assert schedule.next_after(due - datetime.timedelta(seconds=1), tz) == due
    assert schedule.next_after(due, tz) is None  # strictly after: once only


INVALID = [
    "",
    "every 5 minutes",
    "cron(0 10 * * ?)",  # five fields
    "cron(0 10 * * ? * *)",  # seven
    "cron(0 10 * * * *)",  # neither day field is ?
    "cron(0 10 ? * ? *)",  # both are
    "cron(60 10 * * ? *)",
    "cron(0 24 * * ? *)",
    "cron(0 10 32 * ? *)",
    "cron(0 10 0 * ? *)",
    "cron(0 10 * 13 ? *)",
    "cron(0 10 ? * 0 *)",  # day-of-week is 1-7
    "cron(0 10 ? * 8 *)",
    "cron(0 10 ? * 2#6 *)",
    "cron(0 10 ? * 2#1,3#2 *)",  # only one # expression
    "cron(0 10 ? * */2 *)",  # no / in day-of-week
    "cron(0 10 1W,15W * ? *)",  # W takes one day
    "cron(0 10 32W * ? *)",
    # Never matching in 1970-2199: refused rather than never due (the search is bounded).
    "cron(0 10 30W 2 ? *)",
    "cron(0 10 31W 4 ? *)",
    "cron(0 10 31W 2,4,6 ? *)",
    "cron(0 10 29 2 ? 2029)",
    "cron(0 10 L * ? 1969)",
    "cron(0 10 L * ? 2200)",
    "cron(0 10 L * ? 2030-2020)",
    "cron(0 10 L * ? 2030/0)",
    "cron(0/0 10 * * ? *)",
    "cron(0 10 * * ? *",
    "cron(a 10 * * ? *)",
    "cron(0 10 W * ? *)",
    "cron(0 10 * FOO ? *)",
    "cron(0 10 ? * FOO *)",
    "rate(1 minutes)",  # 1 is singular
    "rate(5 minute)",  # others plural
    "rate(0 minutes)",
    "rate(-1 minutes)",
    "rate(1 second)",
    "rate(30 seconds)",
    "rate(1 week)",
    "rate(5  minutes)",
    "rate(5 minutes",
    "rate(1.5 hours)",
    "at(2030-01-01T00:00:00)",  # EventBridge rules have no at()
]


@pytest.mark.parametrize("expression", INVALID)
def test_eventbridge_refuses(expression: str) -> None:
    with pytest.raises(ScheduleError) as refused:
        parse(expression, "events")
    assert refused.value.message == "Parameter ScheduleExpression is not valid."


SCHEDULER_INVALID = [
    *[expression for expression in INVALID if not expression.startswith("at(")],
    "at(2030-02-30T00:00:00)",
    "at(2030-01-01T24:00:00)",
    "at(2030-01-01 00:00:00)",
    "at(2030-01-01T00:00:00Z)",
    "at(2030-01-01T00:00)",
]


@pytest.mark.parametrize("expression", SCHEDULER_INVALID)
def test_scheduler_refuses(expression: str) -> None:
    with pytest.raises(ScheduleError) as refused:
        parse(expression, "scheduler")
    assert refused.value.message == f"Invalid Schedule Expression {expression}."


def test_time_zones_are_iana_names() -> None:
    assert parse_timezone("Europe/London") == zoneinfo.ZoneInfo(LONDON)
    for name in ("Mars/Olympus", "../etc/passwd", "", "EST+5"):
        with pytest.raises(ScheduleError):
            parse_timezone(name)


def test_naive_moments_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse("rate(1 minute)").next_after(datetime.datetime(2024, 1, 1))


@pytest.mark.parametrize(
    ("year", "month", "day", "expected"),
    [
        (2024, 6, 15, 14),  # Saturday -> Friday
        (2024, 9, 15, 16),  # Sunday -> Monday
        (2024, 6, 1, 3),  # Saturday the 1st -> Monday the 3rd
        (2024, 6, 30, 28),  # Sunday the last -> Friday the 28th
        (2024, 5, 15, 15),  # a weekday is itself
        (2024, 2, 30, None),  # no such day
    ],
)
def test_nearest_weekday(year: int, month: int, day: int, expected: int | None) -> None:
    assert nearest_weekday(year, month, day) == expected

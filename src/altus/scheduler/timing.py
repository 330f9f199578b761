"""When a schedule's occurrences come: pure functions of its configuration.

- ``at()``: once, at its wall time in ``ScheduleExpressionTimezone``; StartDate and
  EndDate do not apply (as AWS documents). An ``at()`` already past when the schedule is
  written never fires.
- ``rate()``: every period from the anchor: the StartDate, else the moment the schedule
  was created or updated, which is itself the first occurrence ("If you do not provide a
  StartDate for a rate-based schedule, your schedule starts invoking its target
  immediately").
- ``cron()``: the expression's times in the zone (daylight saving as
  ``altus.schedules.cron`` documents), from the StartDate on.

None of them fires at or after the EndDate (AWS: "the date, in UTC, before which the
schedule can invoke its target"): an occurrence exactly at it does not run. Times are
epoch milliseconds.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable, Mapping
from typing import Any

from altus.schedules import Schedule, parse, parse_timezone

UTC = datetime.UTC


def _moment(ms: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(ms / 1000, tz=UTC)


def _ms(moment: datetime.datetime) -> int:
    return int(moment.timestamp() * 1000)


def expression(config: Mapping[str, Any]) -> Schedule:
    return parse(str(config["ScheduleExpression"]), "scheduler")


def next_due(config: Mapping[str, Any], after_ms: int, anchor_ms: int) -> int | None:
    """The first occurrence strictly after ``after_ms``, or None when none is left."""
    schedule = expression(config)
    zone = config.get("ScheduleExpressionTimezone")
    tz = parse_timezone(zone) if zone else None
    start, end = config.get("StartDate"), config.get("EndDate")
    if schedule.kind != "at" and start is not None:
        after_ms = max(after_ms, int(start) - 1)
    due = schedule.next_after(_moment(after_ms), tz, anchor=_moment(anchor_ms))
    if due is None:
        return None
    due_ms = _ms(due)
    if schedule.kind != "at" and end is not None and due_ms >= int(end):
        return None
    return due_ms


def first_due(config: Mapping[str, Any], now_ms: int, anchor_ms: int) -> int | None:
    """The first occurrence at or after ``now_ms`` of a schedule written now (a rate
    anchored now is due at once)."""
    if config.get("State", "ENABLED") == "DISABLED":
        return None
    return next_due(config, now_ms - 1, anchor_ms)


def anchor(config: Mapping[str, Any], now_ms: int) -> int:
    start = config.get("StartDate")
    return int(start) if start is not None else now_ms


def window_ms(config: Mapping[str, Any]) -> int:
    """The flexible window's length (0 with the window OFF)."""
    window = config.get("FlexibleTimeWindow") or {}
    if window.get("Mode") != "FLEXIBLE":
        return 0
    return int(window["MaximumWindowInMinutes"]) * 60_000


def flexible_delay_ms(config: Mapping[str, Any], draw: Callable[[], float] = random.random) -> int:
    """The delay drawn for one occurrence: none with the window OFF, else a random time
    within ``MaximumWindowInMinutes`` after the scheduled time."""
    return int(draw() * window_ms(config))

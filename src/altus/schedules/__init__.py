"""Schedule expressions as EventBridge and EventBridge Scheduler read them: ``at()``,
``rate()`` and ``cron()`` (AWS's six-field dialect), and when each next comes due in a
time zone.

``parse(text, kind)`` reads an expression for EventBridge rules (``kind="events"``) or
for Scheduler (``kind="scheduler"``: ``at()`` too) and refuses a bad one with a
``ScheduleError`` carrying the text that service answers. ``Schedule.next_after(moment,
tz, anchor=...)`` gives the first due time strictly after ``moment``. ``parse_timezone``
reads an IANA zone name (``ScheduleExpressionTimezone``).

Cron fields are matched by ``cronsim`` (made for cron expressions: ``L``, ``LW``,
``#``, names); this package translates AWS's dialect to it (day-of-week 1-7 = SUN-SAT,
``?``, the year field, ``nW``) and applies AWS's daylight-saving rules (``cron.py``).
"""

from __future__ import annotations

from altus.schedules.errors import ScheduleError
from altus.schedules.parsing import parse, parse_timezone
from altus.schedules.schedule import Schedule

__all__ = ["Schedule", "ScheduleError", "parse", "parse_timezone"]

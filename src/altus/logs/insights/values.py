"""Logs Insights' values: what a field holds (None where it is absent), how two compare,
and how each is shown in GetQueryResults (every value a string)."""

from __future__ import annotations

import datetime
import math
import re
from typing import Any

_NUMBER = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*")


class Time(int):
    """A time in epoch milliseconds (``@timestamp``, ``bin(...)``), shown as Insights
    shows times: ``2024-01-31 12:00:00.000``, UTC."""

    def __str__(self) -> str:
        moment = datetime.datetime.fromtimestamp(int(self) / 1000, datetime.UTC)
        return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{int(self) % 1000:03d}"


def number(value: Any) -> float | int | None:
    """The number a value is (a string holding one counts); None if it is none."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        parsed = float(value)
        return (
            int(parsed)
            if parsed.is_integer() and re.fullmatch(r"\s*[+-]?\d+\s*", value)
            else parsed
        )
    return None


def text(value: Any) -> str:
    """A value as GetQueryResults shows it."""
    if isinstance(value, Time):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, list | dict):
        import json

        return json.dumps(value, separators=(",", ":"))
    return str(value)


def equal(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return False
    a, b = number(left), number(right)
    if a is not None and b is not None:
        return a == b
    return text(left) == text(right)


def order(left: Any, right: Any) -> int | None:
    """-1, 0 or 1 as ``left`` sorts before, with or after ``right``; None if either is
    absent. Numbers compare as numbers, anything else as text."""
    if left is None or right is None:
        return None
    a, b = number(left), number(right)
    if a is not None and b is not None:
        return (a > b) - (a < b)
    x, y = text(left), text(right)
    return (x > y) - (x < y)


def sort_key(value: Any) -> tuple[int, float | str]:
    """A key ordering values: numbers, then text; absent values are placed by the
    caller."""
    as_number = number(value)
    if as_number is not None:
        return (0, float(as_number))
    return (1, text(value))


def truthy(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    return bool(value)

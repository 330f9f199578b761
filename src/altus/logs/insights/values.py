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


def as_float(value: float | int) -> float:
    """A number as a float; an integer past a float's range is infinite (``float``
    would raise OverflowError)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


#: Runs of digits, and runs of anything else: the chunks a text value sorts by.
_CHUNKS = re.compile(r"[0-9]+|[^0-9]+")

#: A value's sort key: (0 for text, 1 for a number; NaN after every other number;
#: the number; the text's chunks).
SortKey = tuple[int, int, float, tuple[tuple[str, int, str], ...]]


def sort_key(value: Any) -> SortKey:
    """A key ordering values as Insights' ``sort`` does, ascending: every value that
    is no number before every number; numbers by value; text by natural order, in
    chunks of digits and of other characters: other characters by their Unicode
    values, digits by their count and then by value (``5A`` before ``111A``), a
    digit chunk against another chunk as its first character (``2345_`` before
    ``@``). Absent values are placed by the caller."""
    as_number = number(value)
    if as_number is not None:
        found = as_float(as_number)
        if math.isnan(found):
            return (1, 1, 0.0, ())
        return (1, 0, found, ())
    chunks = tuple(
        # Digits as "0" (all digits meet other characters alike), then by count and
        # value (same count: their text orders them, and never a huge int).
        ("0", len(chunk), chunk) if chunk[0] in "0123456789" else (chunk, 0, "")
        for chunk in _CHUNKS.findall(text(value))
    )
    return (0, 0, 0.0, chunks)


def truthy(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    return bool(value)

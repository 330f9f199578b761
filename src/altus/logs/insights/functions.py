"""The functions Logs Insights queries may call that Altus serves: scalar ones (any
command) and stats ones (``stats`` only), with how many arguments each takes."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from altus.logs.insights.limits import Budget, TooLarge
from altus.logs.insights.values import Time, as_float, number, text
from altus.observe.metrics import Statistics

#: name -> (fewest, most) arguments; None: no most.
SCALARS: dict[str, tuple[int, int | None]] = {
    "ispresent": (1, 1),
    "isempty": (1, 1),
    "isblank": (1, 1),
    "isValidIp": (1, 1),
    "coalesce": (1, None),
    "concat": (1, None),
    "strlen": (1, 1),
    "tolower": (1, 1),
    "toupper": (1, 1),
    "trim": (1, 1),
    "ltrim": (1, 1),
    "rtrim": (1, 1),
    "substr": (2, 3),
    "replace": (3, 3),
    "strcontains": (2, 2),
    "abs": (1, 1),
    "ceil": (1, 1),
    "floor": (1, 1),
    "log": (1, 1),
    "sqrt": (1, 1),
    "pow": (2, 2),
    "greatest": (1, None),
    "least": (1, None),
    "bin": (1, 1),
    "datefloor": (2, 2),
    "dateceil": (2, 2),
    "fromMillis": (1, 1),
    "toMillis": (1, 1),
}

#: The stats functions: name -> (fewest, most) arguments.
AGGREGATES: dict[str, tuple[int, int | None]] = {
    "count": (0, 1),
    "count_distinct": (1, 1),
    "sum": (1, 1),
    "avg": (1, 1),
    "min": (1, 1),
    "max": (1, 1),
    "pct": (2, 2),
    "percentile": (2, 2),
    "stddev": (1, 1),
    "earliest": (1, 1),
    "latest": (1, 1),
}


def _math(fn: Callable[[float], float]) -> Callable[[list[Any]], Any]:
    def call(args: list[Any]) -> Any:
        value = number(args[0])
        if value is None:
            return None
        try:
            return fn(value)
        except (ValueError, OverflowError):
            return None

    return call


def _floor_to(args: list[Any], ceil: bool = False) -> Any:
    moment, period = number(args[0]), number(args[1])
    if moment is None or not period:
        return None
    start = int(moment) // int(period) * int(period)
    if ceil and start < moment:
        start += int(period)
    return Time(start)


def _substr(args: list[Any]) -> Any:
    if args[0] is None:
        return None
    start = number(args[1])
    if start is None:
        return None
    value = text(args[0])
    if len(args) > 2:
        length = number(args[2])
        return value[int(start) : int(start) + int(length or 0)]
    return value[int(start) :]


def _extreme(pick: Callable[..., Any]) -> Callable[[list[Any]], Any]:
    def call(args: list[Any]) -> Any:
        numbers = [n for n in (number(a) for a in args) if n is not None]
        return pick(numbers) if numbers else None

    return call


def _valid_ip(args: list[Any]) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(text(args[0]))
    except ValueError:
        return False
    return True


#: The scalar functions other than ``bin`` (which needs the row's time: ``evaluate``).
IMPLEMENTATIONS: dict[str, Callable[[list[Any]], Any]] = {
    "ispresent": lambda a: a[0] is not None,
    "isempty": lambda a: a[0] is None or text(a[0]) == "",
    "isblank": lambda a: a[0] is None or text(a[0]).strip() == "",
    "isValidIp": _valid_ip,
    "coalesce": lambda a: next((v for v in a if v is not None), None),
    "concat": lambda a: "".join(text(v) for v in a if v is not None),
    "strlen": lambda a: None if a[0] is None else len(text(a[0])),
    "tolower": lambda a: None if a[0] is None else text(a[0]).lower(),
    "toupper": lambda a: None if a[0] is None else text(a[0]).upper(),
    "trim": lambda a: None if a[0] is None else text(a[0]).strip(),
    "ltrim": lambda a: None if a[0] is None else text(a[0]).lstrip(),
    "rtrim": lambda a: None if a[0] is None else text(a[0]).rstrip(),
    "substr": _substr,
    "replace": lambda a: None if a[0] is None else text(a[0]).replace(text(a[1]), text(a[2])),
    "strcontains": lambda a: int(a[0] is not None and text(a[1]) in text(a[0])),
    "abs": _math(abs),
    "ceil": _math(math.ceil),
    "floor": _math(math.floor),
    "log": _math(math.log),
    "sqrt": _math(math.sqrt),
    "pow": lambda a: (
        None
        if number(a[0]) is None or number(a[1]) is None
        else _math(lambda x: x ** float(number(a[1]) or 0))(a)
    ),
    "greatest": _extreme(max),
    "least": _extreme(min),
    "datefloor": _floor_to,
    "dateceil": lambda a: _floor_to(a, ceil=True),
    "fromMillis": lambda a: None if number(a[0]) is None else Time(int(number(a[0]) or 0)),
    "toMillis": lambda a: None if number(a[0]) is None else int(number(a[0]) or 0),
}


class Accumulator:
    """One stats function's state for one group. ``stddev`` keeps a running mean and
    sum of squares; ``pct`` keeps its values exactly while the query's ``budget``
    lasts, then in a histogram (within 1%); ``count_distinct`` keeps its values, and
    fails the query past the budget."""

    def __init__(self, name: str, budget: Budget | None = None) -> None:
        self.name = name
        self.budget = budget if budget is not None else Budget()
        self.count = 0
        self.total = 0.0
        self.best: Any = None
        self.values: list[float] = []
        self.histogram: Statistics | None = None
        self.mean = 0.0
        self.squares = 0.0
        self.distinct: set[str] = set()
        self.at: int | None = None

    def add(self, value: Any, timestamp: int, star: bool = False) -> None:
        name = self.name
        if star:
            self.count += 1
            return
        if value is None:
            return
        if name == "count":
            self.count += 1
        elif name == "count_distinct":
            key = text(value)
            if key not in self.distinct:
                if not self.budget.take_value():
                    raise TooLarge(
                        "Query exceeded the memory limit: count_distinct kept more than "
                        "its share of distinct values"
                    )
                self.distinct.add(key)
        elif name in ("earliest", "latest"):
            later = name == "latest"
            if self.at is None or (timestamp > self.at if later else timestamp < self.at):
                self.at, self.best = timestamp, value
        elif name in ("min", "max"):
            as_number = number(value)
            if as_number is None:
                return
            if self.best is None or (
                as_number < self.best if name == "min" else as_number > self.best
            ):
                self.best = as_number
        else:
            as_number = number(value)
            if as_number is None:
                return
            as_real = as_float(as_number)
            self.count += 1
            self.total += as_real
            if name == "stddev":
                # Welford's running mean and sum of squared differences.
                delta = as_real - self.mean
                self.mean += delta / self.count
                self.squares += delta * (as_real - self.mean)
            elif name in ("pct", "percentile"):
                self._keep(as_real)

    def _keep(self, value: float) -> None:
        if self.histogram is None and self.budget.take_value():
            self.values.append(value)
            return
        if self.histogram is None:
            self.histogram = Statistics()
            for kept in self.values:
                self.histogram.add(kept)
            self.budget.give_values(len(self.values))
            self.values = []
        if math.isfinite(value):
            self.histogram.add(value)

    def result(self, percent: float | None = None) -> Any:
        name = self.name
        if name == "count":
            return self.count
        if name == "count_distinct":
            return len(self.distinct)
        if name in ("min", "max", "earliest", "latest"):
            return self.best
        if name == "sum":
            return self.total if self.count else None
        if name == "avg":
            return self.total / self.count if self.count else None
        if name == "stddev":
            if not self.count:
                return None
            if self.count == 1:
                return 0.0
            return math.sqrt(max(self.squares, 0.0) / (self.count - 1))
        # pct / percentile: the nearest-rank percentile of the values seen.
        if self.histogram is not None:
            return self.histogram.percentile(percent or 0)
        if not self.values:
            return None
        ordered = sorted(self.values)
        rank = math.ceil((percent or 0) / 100 * len(ordered))
        return ordered[min(max(rank, 1), len(ordered)) - 1]

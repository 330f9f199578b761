"""What metered Lambda usage costs, by a price table (``altus.prices.PriceTable``).

Usage is kept per hour and per (function, version, architecture, memory, ephemeral
storage, whether provisioned concurrency served it) as ``UsageRow``s. Pricing them:

- requests: every invocation, at the price per million;
- duration: billed milliseconds x memory, in GB-seconds; on-demand duration is tiered
  by the GB-seconds of the calendar month (UTC) per architecture, counted from the
  month's first hour, in the order the hours came (so a window's cost depends on what
  the month used before it); duration served by provisioned concurrency is charged at
  its own (untiered) price and does not count towards the tiers;
- ephemeral storage: the storage configured over the free 512 MB, for the billed
  duration, in GB-seconds;
- provisioned concurrency: the GB-seconds for which it was configured (sampled), at
  its price per architecture.

The free tier is not deducted (``altus.prices``). An architecture the table has no price
for is charged as ``x86_64``.

The projection of a month: the cost over the time the window's rows cover that has
passed, as a rate, times 730 hours (AWS's month in its pricing examples): ``cost x 730 h
/ hours``. Rows are whole hours, so the time they cover is measured in the hours too:
from the start of the window's first hour to the end of its last (``until`` rounded up
to an hour), or to now if that is earlier; a day's, within that, the part of the day.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from altus.prices import PriceTable

HOUR = 3600
#: Hours in a month, as AWS's pricing examples count them.
MONTH_HOURS = 730


@dataclass(frozen=True, slots=True)
class UsageRow:
    """One hour of one function version's usage, with one configuration."""

    #: Epoch seconds of the hour's start (UTC).
    hour: int
    function: str
    version: str
    architecture: str
    memory_mb: int
    ephemeral_mb: int
    #: Served by provisioned concurrency (and the configured time of it).
    provisioned: bool
    requests: int = 0
    billed_ms: int = 0
    gb_seconds: float = 0.0
    ephemeral_gb_seconds: float = 0.0
    #: GB-seconds of provisioned concurrency configured (whether used or not).
    provisioned_gb_seconds: float = 0.0

    @property
    def key(self) -> tuple[int, str, str, str, int, int, bool]:
        return (
            self.hour,
            self.function,
            self.version,
            self.architecture,
            self.memory_mb,
            self.ephemeral_mb,
            self.provisioned,
        )


@dataclass(slots=True)
class Cost:
    requests: float = 0.0
    duration: float = 0.0
    ephemeral: float = 0.0
    provisioned: float = 0.0

    @property
    def total(self) -> float:
        return self.requests + self.duration + self.ephemeral + self.provisioned

    def add(self, other: Cost) -> None:
        self.requests += other.requests
        self.duration += other.duration
        self.ephemeral += other.ephemeral
        self.provisioned += other.provisioned

    def scaled(self, factor: float) -> Cost:
        return Cost(
            self.requests * factor,
            self.duration * factor,
            self.ephemeral * factor,
            self.provisioned * factor,
        )


@dataclass(slots=True)
class Totals:
    """Usage and cost of a group of rows (a function, a day, everything)."""

    requests: int = 0
    gb_seconds: float = 0.0
    ephemeral_gb_seconds: float = 0.0
    provisioned_gb_seconds: float = 0.0
    cost: Cost = field(default_factory=Cost)

    def add(self, row: UsageRow, cost: Cost) -> None:
        self.requests += row.requests
        self.gb_seconds += row.gb_seconds
        self.ephemeral_gb_seconds += row.ephemeral_gb_seconds
        self.provisioned_gb_seconds += row.provisioned_gb_seconds
        self.cost.add(cost)


def gb_seconds(billed_ms: float, memory_mb: int) -> float:
    return billed_ms / 1000 * memory_mb / 1024


def ephemeral_gb_seconds(billed_ms: float, ephemeral_mb: int) -> float:
    return billed_ms / 1000 * max(ephemeral_mb - 512, 0) / 1024


def month_of(epoch: float) -> tuple[int, int]:
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.year, moment.month


def month_start(epoch: float) -> int:
    """Epoch seconds of the start of the month (UTC) ``epoch`` falls in."""
    moment = datetime.fromtimestamp(epoch, UTC)
    return int(datetime(moment.year, moment.month, 1, tzinfo=UTC).timestamp())


def tiered(prices: PriceTable, architecture: str, used: float, amount: float) -> float:
    """The price of ``amount`` GB-seconds of on-demand duration when the month has used
    ``used`` GB-seconds of the architecture before them."""
    tiers = prices.duration_of(architecture)
    cost, start, left = 0.0, used, amount
    for end, price in tiers.tiers:
        if left <= 0:
            break
        if end is not None and start >= end:
            continue
        part = left if end is None else min(left, end - start)
        cost += part * price
        start += part
        left -= part
    return cost


def price_rows(prices: PriceTable, rows: Iterable[UsageRow]) -> list[tuple[UsageRow, Cost]]:
    """Each row with its cost. ``rows`` should begin at the first hour of the month of
    the earliest one wanted: the duration tiers count the month's usage in hour order."""
    used: dict[tuple[tuple[int, int], str], float] = {}
    out: list[tuple[UsageRow, Cost]] = []
    for row in sorted(rows, key=lambda r: r.key):
        arch = row.architecture
        cost = Cost(requests=row.requests * prices.requests_per_million / 1e6)
        cost.ephemeral = row.ephemeral_gb_seconds * prices.ephemeral_storage_gb_second
        if row.provisioned:
            cost.duration = row.gb_seconds * prices.of(prices.provisioned_duration_gb_second, arch)
            cost.provisioned = row.provisioned_gb_seconds * prices.of(
                prices.provisioned_gb_second, arch
            )
        else:
            month = (month_of(row.hour), arch)
            before = used.get(month, 0.0)
            cost.duration = tiered(prices, arch, before, row.gb_seconds)
            used[month] = before + row.gb_seconds
        out.append((row, cost))
    return out


def projected(cost: float, hours: float) -> float:
    """A month at the rate of ``cost`` over ``hours``: ``cost x 730 / hours``."""
    return cost * MONTH_HOURS / hours if hours > 0 else 0.0


def day_of(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d")


@dataclass(slots=True)
class Report:
    since: float
    until: float
    by: str
    items: dict[str, Totals]
    total: Totals
    #: Per item key: the hours of the window it stands for (what its projection is of).
    hours: dict[str, float]
    window_hours: float


def report(
    prices: PriceTable,
    rows: Sequence[UsageRow],
    since: float,
    until: float,
    by: str,
    now: float | None = None,
) -> Report:
    """Cost of the rows in ``[since, until)`` grouped ``by`` ``function`` or ``day``
    (``rows`` may begin earlier in the month: see ``price_rows``). The projection's
    hours are those the rows cover that have passed (up to ``now``): whole hours from
    ``since``'s to ``until``'s, the same span the rows' sums are of."""
    now = time.time() if now is None else now
    first_hour = int(since // HOUR) * HOUR
    end = min(-(-until // HOUR) * HOUR, now)
    window_hours = max(end - first_hour, 0.0) / HOUR
    items: dict[str, Totals] = {}
    hours: dict[str, float] = {}
    total = Totals()
    for row, cost in price_rows(prices, rows):
        if not first_hour <= row.hour < until:
            continue
        key = row.function if by == "function" else day_of(row.hour)
        found = items.get(key)
        if found is None:
            found = items[key] = Totals()
            if by == "function":
                hours[key] = window_hours
            else:
                day = datetime.strptime(key, "%Y-%m-%d").replace(tzinfo=UTC).timestamp()
                overlap = min(day + 24 * HOUR, end) - max(day, first_hour)
                hours[key] = max(overlap, 0.0) / HOUR
        found.add(row, cost)
        total.add(row, cost)
    return Report(since, until, by, dict(sorted(items.items())), total, hours, window_hours)

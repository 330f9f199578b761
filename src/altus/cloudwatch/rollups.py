"""The rollups metrics are kept in, and which one a query reads (pure).

Every value is added, as it arrives, into a bucket of each resolution at once:

=========== ======================= ==============================================
resolution  kept                    holds
=========== ======================= ==============================================
1 s         3 hours                 high-resolution puts only (StorageResolution 1)
60 s        15 days                 everything
300 s       63 days                 everything
3600 s      455 days (15 months)    everything
=========== ======================= ==============================================

which is CloudWatch's own schedule (``GetMetricStatistics``: "Data points with a period
of less than 60 seconds are available for 3 hours ... 60 seconds for 15 days ... 300
seconds for 63 days ... 3600 seconds for 455 days"). A bucket holds count, sum, minimum,
maximum and the log histogram (``altus.observe.metrics.Statistics``), so any statistic
of any period made of whole buckets is exact (percentiles within their 1%).

A query reads the coarsest resolution whose bucket divides its period and its (rounded)
start, among those still keeping data at that start: a day at period 3600 reads 24
rows, not 86,400.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from altus.observe.metrics import Aggregate, SeriesKey, Statistics

HOUR = 3600
DAY = 24 * HOUR


@dataclass(frozen=True, slots=True)
class Resolution:
    seconds: int
    #: How long its buckets are kept (seconds).
    retention: int


#: Finest first.
RESOLUTIONS = (
    Resolution(1, 3 * HOUR),
    Resolution(60, 15 * DAY),
    Resolution(300, 63 * DAY),
    Resolution(HOUR, 455 * DAY),
)
#: The longest any point is kept (a series not put to for longer is forgotten).
LONGEST = RESOLUTIONS[-1].retention

#: (series, resolution seconds, bucket start) -> what the bucket gains.
Plan = dict[tuple[SeriesKey, int, int], Statistics]


def bucket(second: int, resolution: int) -> int:
    return second - second % resolution


def plan(aggregates: Iterable[Aggregate], now: int) -> Plan:
    """What each bucket of each resolution gains from ``aggregates`` (merged in memory
    first: a flush writes each bucket once). A 1-second bucket only for high-resolution
    aggregates; none for a resolution that would no longer keep it."""
    gains: Plan = {}
    for aggregate in aggregates:
        second = int(aggregate.second)
        for resolution in RESOLUTIONS:
            if resolution.seconds == 1 and aggregate.resolution != 1:
                continue
            start = bucket(second, resolution.seconds)
            if start + resolution.seconds <= now - resolution.retention:
                continue
            key = (aggregate.key, resolution.seconds, start)
            found = gains.get(key)
            if found is None:
                found = gains[key] = Statistics()
            found.merge(aggregate.values)
    return gains


def valid_period(period: int) -> bool:
    """CloudWatch's periods: 1, 5, 10, 30 (high resolution) or a multiple of 60."""
    return period in (1, 5, 10, 30) or (period > 0 and period % 60 == 0)


def round_start(start: int, period: int, now: int) -> int:
    """A query's start as CloudWatch rounds it: down to the second for a high-resolution
    period, else by its age: to the minute within 15 days, to five minutes within 63
    days, to the hour beyond."""
    if period < 60:
        return start
    age = now - start
    if age <= 15 * DAY:
        step = 60
    elif age <= 63 * DAY:
        step = 300
    else:
        step = HOUR
    return bucket(start, step)


def resolution_for(period: int, start: int, now: int) -> int:
    """The coarsest resolution whose buckets make up the query's windows exactly (it
    divides the period and the start) and that still keeps data at ``start``; the
    coarsest that divides them if none keeps it any more (nothing is there to read)."""
    fitting = [r for r in RESOLUTIONS if period % r.seconds == 0 and start % r.seconds == 0]
    for resolution in reversed(fitting):
        if start >= now - resolution.retention:
            return resolution.seconds
    return fitting[-1].seconds


def _kept_from(seconds: int, now: int) -> int:
    """The first bucket start a resolution still keeps at ``now`` (what pruning spares)."""
    retention = next(r.retention for r in RESOLUTIONS if r.seconds == seconds)
    return now - retention - seconds + 1


def reads(period: int, start: int, end: int, now: int) -> list[tuple[int, int, int]]:
    """What a query from ``start`` to ``end`` (exclusive) reads: (resolution, from, to)
    pieces of buckets beginning in [from, to). The coarsest resolution that fits
    (``resolution_for``) reads whole buckets up to the last one that ends by ``end``;
    the rest, finer ones (that still keep it), so that nothing after ``end`` is counted.
    What no finer resolution keeps (standard-resolution data below a minute) is read
    whole: a minute is the finest standard data is kept at. Nothing a resolution no
    longer keeps is read (it is served no more, pruned or not)."""
    coarsest = resolution_for(period, start, now)
    finer = [r.seconds for r in reversed(RESOLUTIONS) if r.seconds <= coarsest]
    found: list[tuple[int, int, int]] = []
    low = start
    for index, seconds in enumerate(finer):
        following = finer[index + 1] if index + 1 < len(finer) else None
        last = following is None or (following == 1 and seconds >= 60)
        if not last and following is not None and low < _kept_from(following, now):
            last = True  # the finer one no longer keeps it: the whole bucket, then
        high = low + (end - low) // seconds * seconds
        if last and high < end:
            high += seconds
        if high > low:
            found.append((seconds, max(low, _kept_from(seconds, now)), high))
        low = high
        if last or low >= end:
            break
    return [piece for piece in found if piece[1] < piece[2]]


def windows(start: int, end: int, period: int) -> int:
    """How many periods a query from ``start`` to ``end`` (exclusive) spans."""
    return max(0, -(-(end - start) // period))

"""Metrics as the platform's parts produce them, for the CloudWatch service to keep.

A part that measures something (Lambda's invocations, a queue's depth) aggregates in
memory, per series and second, into ``Statistics``, and hands the aggregates over when
the metrics component drains it (``MetricSource.drain``, every few seconds, off the
invocation path): the hot path adds to a few numbers and never formats, queues or writes.

``Statistics`` keeps what CloudWatch's statistics need: SampleCount, Sum, Minimum,
Maximum, and a log-bucketed histogram for percentiles (each bucket spans 2% of its
value, so a percentile is within 1% of the true value: CloudWatch's own percentiles are
approximate too). Aggregates of the same series merge by adding.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

#: Relative accuracy of a percentile.
ACCURACY = 0.01
_GAMMA = (1 + ACCURACY) / (1 - ACCURACY)
_LOG_GAMMA = math.log(_GAMMA)

#: A series' dimensions: (name, value) pairs sorted by name.
Dimensions = tuple[tuple[str, str], ...]


def dimensions(**pairs: str) -> Dimensions:
    return tuple(sorted(pairs.items()))


def bucket_of(value: float) -> int:
    """The histogram bucket of a positive value: bucket ``i`` holds (gamma^(i-1), gamma^i]."""
    return math.ceil(math.log(value) / _LOG_GAMMA)


def bucket_value(index: int) -> float:
    """The value a bucket stands for: the point within 1% of every value it holds."""
    return 2 * _GAMMA**index / (_GAMMA + 1)


@dataclass(slots=True)
class Statistics:
    """Values of one series within one period."""

    count: float = 0.0
    total: float = 0.0
    minimum: float = math.inf
    maximum: float = -math.inf
    #: bucket -> count, for positive values; zero and negative values are counted in
    #: ``zeros`` and ``negative`` (bucket of the magnitude) so percentiles see them too.
    histogram: dict[int, float] = field(default_factory=dict)
    negative: dict[int, float] = field(default_factory=dict)
    zeros: float = 0.0

    def add(self, value: float, count: float = 1.0) -> None:
        self.count += count
        self.total += value * count
        if value < self.minimum:
            self.minimum = value
        if value > self.maximum:
            self.maximum = value
        if value > 0:
            index = math.ceil(math.log(value) / _LOG_GAMMA)
            self.histogram[index] = self.histogram.get(index, 0.0) + count
        elif value < 0:
            index = math.ceil(math.log(-value) / _LOG_GAMMA)
            self.negative[index] = self.negative.get(index, 0.0) + count
        else:
            self.zeros += count

    def merge(self, other: Statistics) -> None:
        self.count += other.count
        self.total += other.total
        self.minimum = min(self.minimum, other.minimum)
        self.maximum = max(self.maximum, other.maximum)
        for index, n in other.histogram.items():
            self.histogram[index] = self.histogram.get(index, 0.0) + n
        for index, n in other.negative.items():
            self.negative[index] = self.negative.get(index, 0.0) + n
        self.zeros += other.zeros

    def percentile(self, p: float) -> float | None:
        """The ``p``-th percentile (0-100) within ``ACCURACY``, clamped to the series'
        minimum and maximum; None without values."""
        if self.count <= 0:
            return None
        if p <= 0:
            return self.minimum  # exact, as the maximum is for 100
        rank = p / 100 * self.count
        if rank >= self.count:
            return self.maximum
        seen = 0.0
        ordered: list[tuple[float, float]] = [
            *((-bucket_value(i), self.negative[i]) for i in sorted(self.negative, reverse=True)),
            *(((0.0, self.zeros),) if self.zeros else ()),
            *((bucket_value(i), self.histogram[i]) for i in sorted(self.histogram)),
        ]
        for value, n in ordered:
            seen += n
            if seen >= rank and n > 0:
                return min(max(value, self.minimum), self.maximum)
        return self.maximum


#: A packed histogram's header: its form (``_SHORT_INDICES`` | ``_WHOLE_COUNTS``), zero's
#: count, and how many positive and negative buckets follow.
_HEADER = struct.Struct("<BdII")
#: Every index fits 16 bits (values within 2^-330..2^330 of each other's scale).
_SHORT_INDICES = 1
#: Every count is a whole number below 2^32 (values put one by one, or with Counts).
_WHOLE_COUNTS = 2


def pack_histogram(stats: Statistics) -> bytes:
    """A statistics' histogram as bytes, compactly (how stores keep it): a 17-byte header
    (its form, zero's count, the numbers of positive and negative buckets), then the
    buckets' indices and their counts, positive buckets first: 6 bytes a bucket in the
    usual case (16-bit indices, 32-bit whole counts), at most 12 (32-bit indices, double
    counts). Empty: ``b""``."""
    positive, negative = stats.histogram, stats.negative
    if not positive and not negative and not stats.zeros:
        return b""
    indices = [*positive, *negative]
    counts = [*positive.values(), *negative.values()]
    n = len(indices)
    form = 0
    if all(-32768 <= i < 32768 for i in indices):
        form |= _SHORT_INDICES
    if all(float(c).is_integer() and 0 <= c < 2**32 for c in counts):
        form |= _WHOLE_COUNTS
        counts = [int(c) for c in counts]
    return _HEADER.pack(form, stats.zeros, len(positive), len(negative)) + struct.pack(
        _layout(form, n), *indices, *counts
    )


def _layout(form: int, n: int) -> str:
    index = "h" if form & _SHORT_INDICES else "i"
    count = "I" if form & _WHOLE_COUNTS else "d"
    return f"<{n}{index}{n}{count}"


def unpack_histogram(data: bytes, into: Statistics) -> None:
    """Add a histogram ``pack_histogram`` made into ``into``'s (its count, sum, minimum
    and maximum are not touched). ValueError for bytes it did not make."""
    if not data:
        return
    try:
        form, zeros, n_positive, n_negative = _HEADER.unpack_from(data)
        n = n_positive + n_negative
        values = struct.unpack_from(_layout(form, n), data, _HEADER.size)
    except struct.error as error:
        raise ValueError(f"not a packed histogram: {error}") from None
    into.zeros += zeros
    indices, counts = values[:n], values[n:]
    for target, start, stop in (
        (into.histogram, 0, n_positive),
        (into.negative, n_positive, n),
    ):
        for position in range(start, stop):
            index = int(indices[position])
            target[index] = target.get(index, 0.0) + float(counts[position])


@dataclass(frozen=True, slots=True)
class SeriesKey:
    """One metric: CloudWatch's identity of a series (namespace, name, dimensions) and
    the unit its values are in (``Count``, ``Milliseconds`` ... or ``None``)."""

    namespace: str
    name: str
    dimensions: Dimensions = ()
    unit: str = "None"


@dataclass(slots=True)
class Aggregate:
    """A series' values within one second (epoch seconds), at the storage resolution it
    was put with (1: high resolution, kept per second for 3 hours; 60: standard)."""

    key: SeriesKey
    second: int
    values: Statistics
    resolution: int = 60


class MetricSource(Protocol):
    """A part that aggregates metrics of its own."""

    def drain(self) -> Iterable[Aggregate]:
        """What was aggregated since the last drain (and forget it). Called on the event
        loop every few seconds, and once more at shutdown."""
        ...


class MetricSink(Protocol):
    """What the metrics component offers the platform's parts."""

    def register(self, source: MetricSource) -> None:
        """Drain ``source`` from now on."""
        ...

    def put(self, aggregates: Iterable[Aggregate]) -> None:
        """Keep these aggregates (written with the next drain; never blocks)."""
        ...

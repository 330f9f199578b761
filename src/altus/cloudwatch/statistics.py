"""Statistics of a period, as CloudWatch names them (pure): ``SampleCount``,
``Average``, ``Sum``, ``Minimum``, ``Maximum`` and percentiles ``p0``..``p100`` with up
to two decimals (``p99``, ``p99.9``).

A percentile is had from the buckets' log histograms, within 1% of the true value
(``altus.observe.metrics.ACCURACY``). As in CloudWatch, there is none for a period
holding negative values, or values put as a statistic set whose samples are not all
known (Minimum below Maximum).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from altus.observe.metrics import Statistics

BASIC = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
#: ``p0``..``p99.99`` and ``p100``, spelled as CloudWatch spells them (no ``p00``, no
#: ``p100.0``).
_PERCENTILE = re.compile(r"p((?:0|[1-9]\d?)(?:\.\d{1,2})?|100)")


def percentile(stat: str) -> float | None:
    """The percentile a statistic names (``p99.9`` -> 99.9); None if it names none."""
    found = _PERCENTILE.fullmatch(stat)
    return float(found.group(1)) if found else None


def known(stat: str) -> bool:
    return stat in BASIC or percentile(stat) is not None


def has_percentiles(values: Statistics) -> bool:
    if values.negative:
        return False
    held = values.zeros + sum(values.histogram.values())
    # Counts may be fractional: compare with a tolerance, not exactly.
    return held >= values.count * (1 - 1e-9)


def value(stat: str, values: Statistics) -> float | None:
    """One statistic of a period's values; None where it has none (a percentile of
    values that cannot give one)."""
    if stat == "SampleCount":
        return values.count
    if stat == "Sum":
        return values.total
    if stat == "Average":
        return values.total / values.count
    if stat == "Minimum":
        return values.minimum
    if stat == "Maximum":
        return values.maximum
    p = percentile(stat)
    if p is None or not has_percentiles(values):
        return None
    return values.percentile(p)


def merged(parts: Iterable[Statistics]) -> Statistics:
    total = Statistics()
    for part in parts:
        total.merge(part)
    return total

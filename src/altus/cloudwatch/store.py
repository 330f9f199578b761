"""The metric store: series (namespace, name, dimensions, unit) and their rollups, one
row per series, resolution and bucket (``rollups.py``).

Every write merges: a bucket's count, sum, minimum, maximum and histogram gain what is
added, whatever it held (two flushes of the same second add up). Writes come from the
component's flush (what the platform's parts aggregated) and from PutMetricData (which
answers only once its values are stored), each one transaction, all or nothing.

The store lives in a database of its own where the backend has several (``metrics.db``
beside ``altus.db``, not synced on every commit): metrics may lose their last moments
in a power cut, configuration never.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from altus.cloudwatch.rollups import Plan
from altus.observe.metrics import Dimensions, Statistics


@dataclass(slots=True)
class Point:
    """One bucket of one series' unit (not frozen: thousands are made per query)."""

    unit: str
    bucket: int
    values: Statistics


@dataclass(frozen=True, slots=True)
class MetricInfo:
    """A metric as ListMetrics shows it (its units are one metric)."""

    namespace: str
    name: str
    dimensions: Dimensions


class MetricStore(Protocol):
    async def add(self, gains: Plan, now: int) -> None:
        """Merge each bucket's gains into it (made if new), and note that each series
        was put to at ``now``: all in one transaction, so a failure adds nothing. Safe
        against concurrent writers of the same buckets (other frontends on one
        PostgreSQL): none of their values is lost."""
        ...

    async def points(
        self,
        namespace: str,
        name: str,
        dimensions: Dimensions,
        unit: str | None,
        resolution: int,
        start: int,
        end: int,
        histograms: bool,
    ) -> list[Point]:
        """The buckets of a metric (of one unit, or of every unit: None) at
        ``resolution`` that begin in [start, end). Without ``histograms`` the points'
        histograms are left empty (not decoded: most queries want no percentile)."""
        ...

    async def metrics(
        self,
        namespace: str | None,
        name: str | None,
        since: int,
        after: MetricInfo | None,
        limit: int,
        match: Callable[[Dimensions], bool],
    ) -> list[MetricInfo]:
        """At most ``limit`` metrics put to at ``since`` or later, of ``namespace`` and
        ``name`` where given, whose dimensions ``match``, ordered by namespace, name and
        dimensions, after ``after`` (a page's last) where given."""
        ...

    async def prune(self, now: int, limit: int) -> int:
        """Delete at most ``limit`` buckets each resolution no longer keeps at ``now``
        (and series not put to for longer than any is kept); how many rows went. Bounded
        so that a pass never holds the database for long: the next pass goes on."""
        ...

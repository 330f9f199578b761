"""The Lambda service's figures for ``GET /metrics`` (Prometheus's text format).

Values are read when scraped, from the parts that keep them (nothing is counted twice):
the asynchronous queue's per-function counters, depth and oldest event's age, and
invocations in flight.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

if TYPE_CHECKING:
    from altus.awslambda.component import Lambda

_COUNTERS: list[tuple[str, str]] = [
    ("received", "Event invokes accepted"),
    ("succeeded", "Asynchronous events that ended in success"),
    ("failed", "Asynchronous events that ended in failure (retries exhausted or too old)"),
    ("retried", "Function errors of asynchronous events given another run"),
    ("throttled", "Asynchronous attempts throttled or failed by the platform"),
    ("dropped", "Asynchronous events discarded with nowhere to go"),
    ("records_sent", "Destination and dead-letter records delivered"),
    ("records_parked", "Destination and dead-letter records parked for an operator"),
]


def collect(lam: Lambda) -> Iterator[Metric]:
    invoker = lam.async_invoker
    counters = invoker.stats.snapshot()
    for key, text in _COUNTERS:
        family = CounterMetricFamily(f"altus_async_{key}", text, labels=["function"])
        for name, values in counters.items():
            family.add_metric([name], values[key])
        yield family
    depth = GaugeMetricFamily(
        "altus_async_queued_events", "Asynchronous events waiting or running", labels=["function"]
    )
    oldest = GaugeMetricFamily(
        "altus_async_oldest_event_age_seconds",
        "Age of the oldest queued asynchronous event",
        labels=["function"],
    )
    for name, (count, age) in sorted(invoker.depth().items()):
        depth.add_metric([name], count)
        oldest.add_metric([name], age)
    yield depth
    yield oldest
    yield GaugeMetricFamily(
        "altus_invocations_in_flight",
        "Invocations running now",
        value=lam.invoker.concurrency.in_flight,
    )

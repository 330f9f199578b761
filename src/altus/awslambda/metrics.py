"""The Lambda service's figures for ``GET /metrics`` (Prometheus's text format).

Values are read when scraped, from the parts that keep them (nothing is counted twice):
per function, invocations, function errors, throttles and cold starts (counted by an
invocation hook, ``InvocationCounters``); the asynchronous queue's counters, depth and
oldest event's age; and invocations in flight.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from altus.control.model import FunctionConfig
from altus.engine.async_invoke import AsyncInvoker
from altus.engine.hooks import InvocationHook
from altus.engine.results import InvokeInput, InvokeResult

if TYPE_CHECKING:  # prometheus_client is imported when /metrics is first scraped
    from prometheus_client.core import Metric

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


class InvocationCounters(InvocationHook):
    """Per function: invocations that ran, those that ended in a function error,
    throttles, and cold starts (Lambda's Invocations, Errors, Throttles)."""

    def __init__(self) -> None:
        self.invocations: dict[str, int] = {}
        self.errors: dict[str, int] = {}
        self.throttles: dict[str, int] = {}
        self.cold_starts: dict[str, int] = {}

    def finished(self, config: FunctionConfig, given: InvokeInput, result: InvokeResult) -> None:
        name = config.name
        self.invocations[name] = self.invocations.get(name, 0) + 1
        if result.function_error is not None:
            self.errors[name] = self.errors.get(name, 0) + 1

    def throttled(self, function: str, reason: str) -> None:
        self.throttles[function] = self.throttles.get(function, 0) + 1

    def cold_started(self, config: FunctionConfig, request_id: str, failed: bool) -> None:
        self.cold_starts[config.name] = self.cold_starts.get(config.name, 0) + 1

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.core import CounterMetricFamily

        for key, counts, text in (
            ("invocations", self.invocations, "Invocations that ran (function errors too)"),
            ("invocation_errors", self.errors, "Invocations that ended in a function error"),
            ("throttles", self.throttles, "Invocations refused for concurrency"),
            ("cold_starts", self.cold_starts, "Execution environments started for invokes"),
        ):
            family = CounterMetricFamily(f"altus_{key}", text, labels=["function"])
            for name, value in sorted(counts.items()):
                family.add_metric([name], value)
            yield family


def collect(invoker: AsyncInvoker, in_flight: int) -> Iterator[Metric]:
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

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
        "altus_invocations_in_flight", "Invocations running now", value=in_flight
    )

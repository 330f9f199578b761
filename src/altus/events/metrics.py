"""What each mapping's poller counts: records polled and filtered out, batches, function
errors and throttles, records discarded, and how far behind the source it is (a
queue's backlog; a stream's iterator age). Read by ``GET /metrics`` (the Lambda
service's ``collect``) and, later, the CloudWatch metrics service."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # prometheus_client is imported when /metrics is first scraped
    from prometheus_client.core import Metric

COUNTERS: tuple[tuple[str, str], ...] = (
    ("records_polled", "Records an event source mapping read from its source"),
    ("records_filtered", "Records no filter of the mapping matched (consumed unseen)"),
    ("batches", "Batches an event source mapping invoked its function with"),
    ("records_invoked", "Records sent to functions by event source mappings"),
    ("batch_errors", "Batches that failed (function errors, reported item failures)"),
    ("throttles", "Batch invokes throttled by concurrency"),
    ("records_discarded", "Stream records given up on (retries or age exhausted)"),
)


@dataclass(slots=True)
class MappingMetrics:
    uuid: str
    records_polled: int = 0
    records_filtered: int = 0
    batches: int = 0
    records_invoked: int = 0
    batch_errors: int = 0
    throttles: int = 0
    records_discarded: int = 0
    #: Messages waiting (queues) or the age of the last record read, ms (streams).
    behind: int = 0

    def polled(self, count: int) -> None:
        self.records_polled += count

    def filtered(self, count: int) -> None:
        self.records_filtered += count

    def batch(self, count: int) -> None:
        self.batches += 1
        self.records_invoked += count

    def failed(self) -> None:
        self.batch_errors += 1

    def throttled(self) -> None:
        self.throttles += 1

    def discarded(self, count: int) -> None:
        self.records_discarded += count

    def lag(self, value: int) -> None:
        self.behind = value


def collect(metrics: Iterable[MappingMetrics]) -> Iterator[Metric]:
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

    every = list(metrics)
    for key, text in COUNTERS:
        family = CounterMetricFamily(f"altus_event_source_mapping_{key}", text, labels=["mapping"])
        for m in every:
            family.add_metric([m.uuid], getattr(m, key))
        yield family
    gauge = GaugeMetricFamily(
        "altus_event_source_mapping_behind",
        "Messages waiting in a mapping's queue, or its stream iterator age (ms)",
        labels=["mapping"],
    )
    for m in every:
        gauge.add_metric([m.uuid], m.behind)
    yield gauge

"""The queues' ``AWS/SQS`` metrics, as CloudWatch reports them for every queue:
``ApproximateNumberOfMessagesVisible``, ``...NotVisible`` and ``...Delayed`` (Count), by
``QueueName``, one sample a minute.

A ``MetricSource`` registered with the metrics component: drained every few seconds, it
samples once each new minute after the one it was made in (counting a queue's messages in memory, as
GetQueueAttributes does) and hands over one aggregate per queue and metric, at the
minute's start.
"""

from __future__ import annotations

from collections.abc import Iterable

from altus.observe.metrics import Aggregate, SeriesKey, Statistics
from altus.queues.service import QueueService

NAMESPACE = "AWS/SQS"
_METRICS = (
    "ApproximateNumberOfMessagesVisible",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)


class QueueDepths:
    """``altus.observe.metrics.MetricSource`` of the queues' depths."""

    def __init__(self, queues: QueueService) -> None:
        self._queues = queues
        # Not the minute it is made in: a server restarted within a minute sampled that
        # one already, and a second sample would count its queues twice in the minute.
        self._sampled = queues.now_ms() // 60_000

    def drain(self) -> Iterable[Aggregate]:
        minute = self._queues.now_ms() // 60_000
        if minute <= self._sampled:
            return ()
        self._sampled = minute
        found: list[Aggregate] = []
        for name, counts in self._queues.depths().items():
            for metric, count in zip(_METRICS, counts, strict=True):
                values = Statistics()
                values.add(float(count))
                key = SeriesKey(NAMESPACE, metric, (("QueueName", name),), "Count")
                found.append(Aggregate(key, minute * 60, values))
        return found

"""The poller of a broker mapping (RabbitMQ, Redis Streams, NATS JetStream, MQTT,
PostgreSQL changes): one consumer, one batch in hand at a time, as Lambda reads Amazon
MQ and Kafka.

- **Connecting.** The consumer is opened; a broker that cannot be reached, refuses the
  credentials, or lacks what the mapping names is tried again, the pauses growing from
  one second to a minute, and the mapping says why (``StateTransitionReason`` and
  ``LastProcessingResult``) until it connects. A connection lost later is the same: what
  was in hand is forgotten (the broker delivers it again) and the consumer reopened.
- **Batching.** A batch is ready at ``BatchSize`` messages, at the end of the batching
  window (counted from its first message; half a second until one is given, as Lambda
  does for Amazon MQ and Kafka), or at 6 MB of event.
- **Filtering.** Messages no filter admits are acknowledged unseen, with the batch.
- **Acknowledging.** Only after the function succeeded with the batch (or the batch was
  handed to the ``OnFailure`` destination): at least once. With ReportBatchItemFailures,
  what comes before the first failed message is acknowledged and the batch retried from
  there, so that every group (queue, stream, subject, topic, table) keeps its order.
- **Retrying.** A failed batch is retried (nothing newer is fetched meanwhile), the pauses
  growing from 100 ms to 5 s, until it succeeds or failed ``MaximumRetryAttempts`` times
  (-1: until it succeeds); then it goes to the ``OnFailure`` destination, with its event,
  and is acknowledged. A throttled invoke, or one that could not be made, is retried
  without counting.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from altus.arns import Account
from altus.brokers.base import (
    AUTHENTICATION,
    CONFIGURATION,
    BrokerError,
    Connector,
    Consumer,
    Message,
    Subscription,
)
from altus.clock import Clock
from altus.events import invoking
from altus.events.filtering import Filters
from altus.events.invoking import BatchInvoker, Outcome
from altus.events.mapping import EventSourceMapping
from altus.events.metrics import MappingMetrics

log = logging.getLogger(__name__)

#: Hands a record to a destination (an ARN or an http(s) URL), durably once it returns.
Delivery = Callable[[str, str, str], Awaitable[None]]
#: Says why a mapping is not reading: its StateTransitionReason (None: it reads again)
#: and, where given, its LastProcessingResult.
Trouble = Callable[[str | None, str | None], None]

MAX_PAYLOAD = 6 * 1024 * 1024
#: What the event adds to each record's own size (the envelope, ``awsRegion``).
RECORD_OVERHEAD = 64
#: How long one fetch waits for a first message when no window is set: a stop (the
#: poller cancelled) is not held up by it, so it only bounds idle round trips.
IDLE_WAIT = 1.0
BACKOFF_FIRST = 0.1
BACKOFF_CAP = 5.0
#: Reconnecting: from a second, doubling to a minute.
RECONNECT_FIRST = 1.0
RECONNECT_CAP = 60.0
#: How often a consumer is told a batch held for a retry is still being worked on.
HOLD_EVERY = 30.0
#: StateTransitionReason while the broker refuses (AWS's codes for Amazon MQ and Kafka).
REASONS = {
    AUTHENTICATION: "EVENT_SOURCE_AUTHN_ERROR",
    CONFIGURATION: "ESM_CONFIG_NOT_VALID",
}


class BrokerPoller:
    def __init__(
        self,
        mapping: EventSourceMapping,
        subscription: Callable[[], Awaitable[Subscription]],
        connector: Connector,
        invoker: BatchInvoker,
        metrics: MappingMetrics,
        clock: Clock,
        report: Callable[[str], None],
        trouble: Trouble,
        deliver: Delivery,
        account: Account,
    ) -> None:
        self._mapping = mapping
        self._subscription = subscription
        self._connector = connector
        self._invoker = invoker
        self._metrics = metrics
        self._clock = clock
        self._report = report
        self._trouble = trouble
        self._deliver = deliver
        self._region = account.region
        self._arn = mapping.arn(account)
        self._filters = Filters(mapping.filters, "")
        #: The last invoke's result: what LastProcessingResult says again once a
        #: connection problem is over.
        self._result = mapping.last_result
        self._pause = RECONNECT_FIRST
        self._working_said = False

    async def run(self) -> None:
        self._pause = RECONNECT_FIRST
        for _ in range(10**12):  # until cancelled
            consumer: Consumer | None = None
            try:
                subscription = await self._subscription()
                consumer = self._connector(subscription)
                await consumer.open()
                await self._consume(consumer)
            except BrokerError as error:
                self._troubled(error)
            finally:
                if consumer is not None:
                    # Shielded: a second cancellation (a stop after an interrupt) must
                    # not keep the consumer from giving back what it held.
                    await asyncio.shield(consumer.close())
            await self._clock.sleep(self._pause)
            self._pause = min(self._pause * 2, RECONNECT_CAP)

    def _working(self) -> None:
        """The connection carried a fetch: whatever troubled it is over, and the next
        failure starts the pauses from the first again."""
        if self._pause != RECONNECT_FIRST or not self._working_said:
            self._trouble(None, self._result)
            self._working_said = True
        self._pause = RECONNECT_FIRST

    def _troubled(self, error: BrokerError) -> None:
        self._working_said = False
        log.warning("event source mapping %s: %s", self._mapping.uuid, error.message)
        if error.kind == AUTHENTICATION:
            result = f"PROBLEM: Authentication error. {error.message}"
        elif error.kind == CONFIGURATION:
            result = f"PROBLEM: {error.message}"
        else:
            result = f"PROBLEM: Connection error. {error.message}"
        self._trouble(REASONS.get(error.kind), result)

    async def _consume(self, consumer: Consumer) -> None:
        """Batches, one at a time, until the connection fails (``BrokerError``)."""
        for _ in range(10**12):  # until cancelled or the connection fails
            batch = await self._gather(consumer)
            if batch:
                await self._handle(consumer, batch)

    async def _gather(self, consumer: Consumer) -> list[Message]:
        m = self._mapping
        first = await consumer.fetch(m.batch_size, IDLE_WAIT)
        self._working()
        if not first:
            return []
        batch = list(first)
        size = sum(message.size + RECORD_OVERHEAD for message in batch)
        deadline = self._clock.now() + m.batching_window
        while len(batch) < m.batch_size and size < MAX_PAYLOAD:
            left = deadline - self._clock.now()
            more = await consumer.fetch(m.batch_size - len(batch), max(left, 0.0))
            if not more:
                break
            batch.extend(more)
            size += sum(message.size + RECORD_OVERHEAD for message in more)
        self._metrics.polled(len(batch))
        return batch

    async def _handle(self, consumer: Consumer, batch: list[Message]) -> None:
        """Run the function on ``batch`` until it is done with it (or gives it up), then
        acknowledge it. Messages past the 6 MB cap wait for the next invoke of the same
        round, in order."""
        m = self._mapping
        pending = batch
        attempts = 0
        backoff = BACKOFF_FIRST
        last: Outcome | None = None
        held = self._clock.now()
        while pending:
            part: list[Message] = []
            size = 0
            for message in pending:
                if part and size + message.size + RECORD_OVERHEAD > MAX_PAYLOAD:
                    break
                part.append(message)
                size += message.size + RECORD_OVERHEAD
            if size > MAX_PAYLOAD:
                # One message larger than an invoke may carry: Lambda drops it. The
                # on-failure destination hears of it (without it: it is too large).
                log.warning(
                    "event source mapping %s: message %s is over 6 MB: dropped",
                    m.uuid,
                    part[0].id,
                )
                await self._give_up(consumer, part, None, 0, "RecordTooLarge", whole=False)
                await consumer.ack(part)
                pending = pending[1:]
                continue
            passing = [msg for msg in part if self._filters.admits(msg.filter_view)]
            if len(passing) < len(part):
                self._metrics.filtered(len(part) - len(passing))
            if not passing:
                await consumer.ack(part)
                pending = pending[len(part) :]
                continue
            self._metrics.batch(len(passing))
            if self._clock.now() - held >= HOLD_EVERY:
                # A batch split at 6 MB waits for its earlier parts' invokes: the broker
                # is told it is still being worked on.
                await consumer.hold(pending)
                held = self._clock.now()
            event = self._event(consumer, passing)
            outcome = await self._invoker.invoke(m.function_arn, json.dumps(event).encode())
            self._result = outcome.description
            self._report(outcome.description)
            if outcome.kind in (invoking.THROTTLED, invoking.PROBLEM):
                # The function did not run: no retry is counted.
                if outcome.kind == invoking.THROTTLED:
                    self._metrics.throttled()
                held = await self._wait(consumer, pending, backoff, held)
                backoff = min(backoff * 2, BACKOFF_CAP)
                continue
            last = outcome
            failed = self._first_failure(outcome, passing)
            if failed is None:
                await consumer.ack(part)
                pending = pending[len(part) :]
                attempts, backoff = 0, BACKOFF_FIRST
                continue
            self._metrics.failed()
            # What came before the first failure is done; the retry starts there.
            cut = next(i for i, msg in enumerate(part) if msg is failed)
            if cut:
                await consumer.ack(part[:cut])
                pending = pending[cut:]
                part = part[cut:]
            attempts += 1
            if 0 <= m.maximum_retries < attempts:
                first = next(i for i, msg in enumerate(passing) if msg is failed)
                await self._give_up(
                    consumer, passing[first:], last, attempts, "RetryAttemptsExhausted"
                )
                await consumer.ack(part)
                pending = pending[len(part) :]
                attempts, backoff = 0, BACKOFF_FIRST
                continue
            held = await self._wait(consumer, pending, backoff, held)
            backoff = min(backoff * 2, BACKOFF_CAP)

    def _first_failure(self, outcome: Outcome, passing: Sequence[Message]) -> Message | None:
        """The first message to retry from; None when the function finished the batch."""
        if outcome.kind == invoking.FAILED:
            return passing[0]
        if not self._mapping.report_item_failures:
            return None
        named = invoking.failed_items(outcome.payload, [msg.id for msg in passing])
        if named is None:
            return passing[0]
        if not named:
            return None
        return next(msg for msg in passing if msg.id == named[0])

    async def _wait(
        self, consumer: Consumer, pending: Sequence[Message], seconds: float, held: float
    ) -> float:
        """Pause before a retry, telling the broker the batch is still in hand when it
        has been a while."""
        await self._clock.sleep(seconds)
        now = self._clock.now()
        if now - held >= HOLD_EVERY:
            await consumer.hold(pending)
            return now
        return held

    def _event(self, consumer: Consumer, messages: Sequence[Message]) -> dict[str, Any]:
        event = consumer.event(messages)
        for record in event.get("Records", ()):
            record.setdefault("awsRegion", self._region)
        return event

    async def _give_up(
        self,
        consumer: Consumer,
        part: Sequence[Message],
        last: Outcome | None,
        attempts: int,
        condition: str,
        *,
        whole: bool = True,
    ) -> None:
        """The batch's failure record, with its event (``whole``), to the OnFailure
        destination, if there is one; the batch is acknowledged after (never before: a
        store that fails is tried again until it takes the record, the batch held
        meanwhile)."""
        m = self._mapping
        self._metrics.discarded(len(part))
        if not m.on_failure or not part:
            return
        record = invoking.failure_record(
            m.function_arn, condition, last, attempts, self._clock.now()
        )
        record["BrokerBatchInfo"] = {
            "eventSourceMappingArn": self._arn,
            "endpointKey": next(iter(m.endpoints), ""),
            "groups": sorted({msg.group for msg in part}),
            "firstId": part[0].id,
            "lastId": part[-1].id,
            "batchSize": len(part),
        }
        if whole:
            # The messages themselves: acknowledged to the broker after this, they would
            # be lost otherwise.
            record["payload"] = self._event(consumer, part)
        body = json.dumps(record)
        pause = BACKOFF_FIRST
        for _ in range(10**12):  # until stored, or the poller is cancelled
            try:
                await self._deliver(m.function_arn, m.on_failure, body)
                return
            except Exception as error:
                log.warning(
                    "mapping %s: the on-failure record for %s could not be stored: %s",
                    m.uuid,
                    m.on_failure,
                    error,
                )
            await self._clock.sleep(pause)
            pause = min(pause * 2, RECONNECT_CAP)
            await consumer.hold(part)

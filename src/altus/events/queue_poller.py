"""The poller of a queue mapping (SQS): workers that receive batches, invoke the
function, and delete what succeeded, as Lambda's SQS pollers do.

- A batch is received with the queue's visibility timeout (or, when the batching window
  and the function's timeout together exceed it, window + timeout + 30 s, as Lambda
  does), so it stays hidden while the function runs.
- A batch is ready at ``BatchSize`` messages, at the end of the batching window, or at
  6 MB of event, whichever comes first; messages that would push the event over 6 MB
  wait for the worker's next batch.
- Records no filter matches are deleted without an invoke (Lambda consumes them).
- Success deletes the batch; with ReportBatchItemFailures only the items not reported.
  A failure (error, timeout, crash) deletes nothing: the messages come back after the
  visibility timeout with a higher receive count, and the queue's redrive policy moves
  them to its dead-letter queue at maxReceiveCount.
- FIFO queues keep a message group back while any of its messages is in flight (the
  queue does that), so order within a group holds across workers.
- Workers scale with the backlog, one batch in flight each (one gathers the next batch
  while the others run theirs), up to
  ``ScalingConfig.MaximumConcurrency`` (else the settings' ceiling); a worker that finds
  the function without free concurrency waits before it takes a batch, and a throttled
  batch is retried while its visibility timeout leaves room.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
from collections.abc import Callable

from altus.clock import Clock
from altus.events import invoking
from altus.events.filtering import Filters
from altus.events.invoking import BatchInvoker, Outcome
from altus.events.mapping import EventSourceMapping
from altus.events.metrics import MappingMetrics
from altus.events.records import sqs_record
from altus.sources import QueueMessage, QueueSource

log = logging.getLogger(__name__)

#: Lambda's cap on an invocation's event: 6 MB.
MAX_PAYLOAD = 6 * 1024 * 1024
#: How long one receive waits for a first message (SQS's longest long poll).
LONG_POLL = 20.0
#: How many workers a mapping starts with and may add each second (Lambda starts with
#: five concurrent batches and adds up to 300 a minute).
START_WORKERS = 5
ADD_PER_SECOND = 5
#: Back-off after a throttle or a failed receive: doubles up to the cap.
BACKOFF_FIRST = 0.1
BACKOFF_CAP = 5.0


class QueuePoller:
    def __init__(
        self,
        mapping: EventSourceMapping,
        source: QueueSource,
        invoker: BatchInvoker,
        metrics: MappingMetrics,
        clock: Clock,
        function_timeout: Callable[[], int],
        report: Callable[[str], None],
        region: str,
        ceiling: int,
    ) -> None:
        self._mapping = mapping
        self._source = source
        self._invoker = invoker
        self._metrics = metrics
        self._clock = clock
        self._timeout = function_timeout
        self._report = report
        self._region = region
        self._filters = Filters(mapping.filters, "body")
        self._limit = mapping.maximum_concurrency or ceiling
        self._workers: set[asyncio.Task[None]] = set()
        self._stopping = False
        self._gathering = asyncio.Lock()

    async def run(self) -> None:
        """Scale workers with the backlog until cancelled; cancelling stops them all
        (a batch in flight is abandoned: its messages come back after the timeout).
        May be called again after it failed."""
        self._stopping = False
        try:
            while True:
                self._workers = {task for task in self._workers if not task.done()}
                backlog = self._source.backlog(self._mapping.event_source_arn)
                self._metrics.lag(backlog)
                wanted = min(
                    self._limit,
                    max(min(START_WORKERS, self._limit), math.ceil(backlog / self._batch_size())),
                )
                for _ in range(min(wanted - len(self._workers), ADD_PER_SECOND)):
                    self._workers.add(asyncio.get_running_loop().create_task(self._work()))
                await self._clock.sleep(1.0)
        finally:
            self._stopping = True
            for task in self._workers:
                task.cancel()
            for task in self._workers:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    def _batch_size(self) -> int:
        return self._mapping.batch_size

    def _visibility(self, queue_visibility: int) -> int:
        window, timeout = self._mapping.window, self._timeout()
        if window + timeout > queue_visibility:
            return window + timeout + 30
        return queue_visibility

    async def _work(self) -> None:
        backoff = BACKOFF_FIRST
        carried: list[QueueMessage] = []
        deadline = 0.0
        while not self._stopping:
            if not self._invoker.has_room(self._mapping.function_arn):
                await self._clock.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_CAP)
                continue
            try:
                if carried:
                    batch = carried  # received with the last batch, past its 6 MB
                else:
                    # One worker gathers at a time, so a batching window fills one batch
                    # rather than five thin ones; the others run theirs meanwhile.
                    async with self._gathering:
                        batch, deadline = await self._collect()
            except Exception:
                log.exception("mapping %s: receiving failed", self._mapping.uuid)
                await self._clock.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_CAP)
                continue
            if not batch:
                if len(self._workers) > START_WORKERS:
                    return  # idle: scale down
                continue
            try:
                outcome, carried = await self._process(batch, deadline)
            except Exception as error:
                # The batch's messages come back after their visibility timeout.
                log.exception("mapping %s: a batch failed", self._mapping.uuid)
                self._report(f"PROBLEM: {error}")
                carried = []
                await self._clock.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_CAP)
                continue
            if outcome is not None and outcome.kind == invoking.THROTTLED:
                await self._clock.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_CAP)
            else:
                backoff = BACKOFF_FIRST

    async def _collect(self) -> tuple[list[QueueMessage], float]:
        """A batch, and when its messages become visible again: up to BatchSize, with
        more received until the batching window ends (it starts at the first message)."""
        arn = self._mapping.event_source_arn
        info = self._source.queue_info(arn)
        if info is None:
            await self._clock.sleep(1.0)
            return [], 0.0
        visibility = self._visibility(info.visibility_timeout)
        size, window = self._mapping.batch_size, self._mapping.window
        batch: list[QueueMessage] = []
        payload = 0
        deadline = window_end = 0.0
        while len(batch) < size and payload < MAX_PAYLOAD:
            if not batch:
                wait = LONG_POLL
            elif not window:
                break
            else:
                wait = window_end - self._clock.now()
                if wait <= 0:
                    break
            want = size - len(batch)
            if batch:
                # No more than the 6 MB left would hold at the sizes seen so far: what
                # does not fit waits hidden for the next batch, its visibility running.
                mean = payload / len(batch)
                want = min(want, max(1, int((MAX_PAYLOAD - payload) / mean)))
            asked = self._clock.now()
            got = await self._source.receive_messages(arn, want, visibility, wait)
            if not got:
                if not batch and self._clock.now() - asked < 0.001:
                    # A long poll answered at once, empty: the queue is gone or the
                    # server is stopping.
                    await self._clock.sleep(1.0)
                break  # the window (or the long poll) ran out
            if not batch:
                now = self._clock.now()
                deadline, window_end = now + visibility, now + window
            self._metrics.polled(len(got))
            batch.extend(got)
            payload += sum(_size(m) for m in got)
        return batch, deadline

    async def _process(
        self, batch: list[QueueMessage], deadline: float
    ) -> tuple[Outcome | None, list[QueueMessage]]:
        """Invoke the function with ``batch`` (its first 6 MB of event), then delete
        what succeeded. Returns the outcome (None: every message was filtered out) and
        the messages past 6 MB, for the next batch."""
        arn = self._mapping.event_source_arn
        records = [sqs_record(m, arn, self._region) for m in batch]
        if self._filters:
            kept: list[QueueMessage] = []
            kept_records: list[dict[str, object]] = []
            dropped: list[str] = []
            for message, record in zip(batch, records, strict=True):
                if self._filters.passes(record):
                    kept.append(message)
                    kept_records.append(record)
                else:
                    dropped.append(message.receipt_handle)
            if dropped:
                self._metrics.filtered(len(dropped))
                await self._source.delete_messages(arn, dropped)
            if not kept:
                return None, []
            batch, records = kept, kept_records
        # Each record encoded once, so the event is cut at 6 MB exactly.
        encoded = [json.dumps(record).encode() for record in records]
        total, cut = len(b'{"Records": []}'), len(encoded)
        for index, text in enumerate(encoded):
            total += len(text) + (2 if index else 0)
            if index and total > MAX_PAYLOAD:
                cut = index
                break
        batch, carried = batch[:cut], batch[cut:]
        payload = b'{"Records": [' + b", ".join(encoded[:cut]) + b"]}"
        self._metrics.batch(len(batch))
        backoff = BACKOFF_FIRST
        # X-Ray: the batch joins its first record's trace, as Lambda's SQS poller does.
        trace = (records[0].get("attributes") or {}).get("AWSTraceHeader") if records else None
        while True:
            outcome = await self._invoker.invoke(self._mapping.function_arn, payload, trace)
            if outcome.kind != invoking.THROTTLED:
                break
            self._metrics.throttled()
            # Retry while the batch stays hidden long enough for a whole run.
            if self._clock.now() + backoff + self._timeout() >= deadline or self._stopping:
                self._report(outcome.description)
                return outcome, carried
            await self._clock.sleep(backoff)
            backoff = min(backoff * 2, BACKOFF_CAP)
        self._report(outcome.description)
        if outcome.kind != invoking.OK:
            self._metrics.failed()
            return outcome, carried
        failed: list[str] = []
        if self._mapping.report_item_failures:
            named = invoking.failed_items(outcome.payload, [m.message_id for m in batch])
            if named is None:
                self._metrics.failed()
                return outcome, carried
            failed = named
        if failed:
            self._metrics.failed()
        failing = set(failed)
        doomed = [m.receipt_handle for m in batch if m.message_id not in failing]
        if doomed:
            await self._source.delete_messages(arn, doomed)
        return outcome, carried


def _size(message: QueueMessage) -> int:
    """About what a message adds to the event (its body and metadata)."""
    return len(message.body.encode()) + 512 + len(message.receipt_handle)

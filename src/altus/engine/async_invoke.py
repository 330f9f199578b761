"""Asynchronous (``Event``) invocation: accept durably, deliver, retry, send the end on.

``submit`` returns only once the event is in the store's queue (concurrent submits share
one durable transaction, as do concurrent ends: ``altus.store.commit``), so a 202 is
only ever sent for an event that survives a crash; events still queued when the server
starts are delivered then: at least once.

A fixed number of workers take events as they come due. Each attempt's outcome goes
through ``async_policy.decide``: a function error is retried as the event invoke config
says, with the attempt count written down first; a throttle or platform error waits with
backoff; an event past its maximum age, out of retries, or for a function with reserved
concurrency 0 ends in failure. The end of an event and what it sends on (destination
records, the event for a dead-letter queue) are one transaction; those records then go
to their targets from an outbox, retried with backoff and parked after
``destination_attempts`` tries for an operator to replay.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from altus import ids
from altus.clock import SYSTEM, Clock
from altus.control.arns import LATEST, FunctionRef
from altus.control.errors import ResourceNotFound
from altus.control.functions import FunctionService
from altus.engine.async_policy import (
    BACKOFF_MAX_S,
    BACKOFF_START_S,
    DEAD_LETTER,
    EVENT_AGE_EXCEEDED,
    ON_FAILURE,
    ON_SUCCESS,
    RETRIES_EXHAUSTED,
    SUCCESS,
    End,
    Outcome,
    Policy,
    dead_letter_attributes,
    decide,
    destination_record,
    qualified_arn,
)
from altus.engine.async_stats import AsyncStats
from altus.engine.async_store import EventQueue, OutboxRecord, QueuedEvent
from altus.engine.destinations import DeliveryFailed, Targets
from altus.engine.due import DueQueue
from altus.engine.errors import TooManyRequests
from altus.engine.invoker import Invoker, InvokeRequest
from altus.errors import AltusError
from altus.observe import trace_header
from altus.store.commit import GroupCommit

log = logging.getLogger(__name__)

#: The end of an event whose function is gone (nothing could run it).
DROPPED = "Dropped"

#: Payloads kept in memory at most; past it they are read back from the store when due.
RESIDENT_PAYLOAD_BYTES = 64 * 1024 * 1024
#: How much of a failed run's response is kept with the event for its next attempt.
KEPT_RESPONSE_BYTES = 256 * 1024
#: After an unexpected failure of the invoker itself, the event is tried again this late.
_STUCK_DELAY_MS = 5000

ConfigLookup = Callable[[str, str], Mapping[str, Any] | None]


@dataclass(frozen=True, slots=True)
class AsyncSettings:
    workers: int = 16
    time_scale: float = 1.0
    destination_attempts: int = 8
    outbox_workers: int = 4


@dataclass(slots=True)
class _Entry:
    """One queued event in memory: the stored event (payload dropped) and what this run
    has learnt about it."""

    event: QueuedEvent
    payload: bytes | None
    due_ms: int
    backoffs: int = 0  # throttles and platform errors so far (not persisted)
    last: Outcome | None = None  # the latest attempt's outcome


class AsyncInvoker:
    def __init__(
        self,
        invoker: Invoker,
        functions: FunctionService,
        queue: EventQueue,
        targets: Targets,
        configs: ConfigLookup,
        settings: AsyncSettings | None = None,
        clock: Clock = SYSTEM,
    ) -> None:
        self._invoker = invoker
        self._clock = clock
        self._functions = functions
        self._queue = queue
        self._targets = targets
        self._configs = configs
        self._settings = settings or AsyncSettings()
        self.stats = AsyncStats()
        self._entries: dict[str, _Entry] = {}
        self._due: DueQueue[_Entry] = DueQueue(clock)
        self._outbox: DueQueue[OutboxRecord] = DueQueue(clock)
        self._resident = 0
        self._puts: GroupCommit[QueuedEvent] = GroupCommit(queue.put)
        self._finishes: GroupCommit[tuple[str, Sequence[OutboxRecord]]] = GroupCommit(queue.finish)
        self._workers: list[asyncio.Task[None]] = []

    def _now_ms(self) -> int:
        return int(self._clock.now() * 1000)

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> int:
        """Start the workers and schedule what a previous run accepted and did not finish:
        its events, and records not yet at their targets. Returns the events' number."""
        pending = await self._queue.pending()
        for event in pending:
            self._track(event, int(event.extra.get("due_ms") or 0))
        for record in await self._queue.outbox(parked=False):
            self._outbox.push(0, record)
        loop = asyncio.get_running_loop()
        self._workers = [loop.create_task(self._work()) for _ in range(self._settings.workers)]
        self._workers += [
            loop.create_task(self._send_records()) for _ in range(self._settings.outbox_workers)
        ]
        return len(pending)

    async def close(self) -> None:
        """Stop delivering; unfinished events and unsent records stay stored for the next
        start (an event cut off mid-run is run again then: at least once)."""
        for task in self._workers:
            task.cancel()
        for task in self._workers:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._puts.drain()
        await self._finishes.drain()
        await self._targets.close()

    # --- accepting ---------------------------------------------------------------------------

    async def submit(self, ref: FunctionRef, payload: bytes, trace: str | None = None) -> str:
        """Queue an Event invoke durably; returns its request id once it is stored.
        ``trace``: the caller's X-Ray header, kept with the event (``extra``) for every
        run of it."""
        event = QueuedEvent(
            id=ids.request_id(),
            function=ref.name,
            qualifier=ref.qualifier,
            payload=payload,
            received_ms=self._now_ms(),
            # The caller's header normalised (never a stored header of any size), or a
            # new trace when none (valid) came: every run and retry of it is in one.
            extra={
                "trace": trace_header.normal(trace)
                or trace_header.TraceHeader(trace_header.new_root()).format()
            },
        )
        await self._puts.write(event, lambda: self._stored(event))
        return event.id

    def _stored(self, event: QueuedEvent) -> None:
        # Scheduled here (group commit runs it once the event is written, whether or not
        # its submitter still waits), not by the submitter: a stored event always gets
        # delivered.
        self._track(event, 0)
        self.stats.of(event.function).received += 1
        self._invoker.hooks.event_received(event.function, event.qualifier)

    def _track(self, event: QueuedEvent, due_ms: int) -> None:
        payload: bytes | None = None
        if self._resident + len(event.payload) <= RESIDENT_PAYLOAD_BYTES:
            payload = event.payload
            self._resident += len(payload)
        entry = _Entry(replace(event, payload=b""), payload, due_ms)
        if event.extra.get("last"):
            entry.last = Outcome.from_record(event.extra["last"])
        self._entries[event.id] = entry
        self._due.push(due_ms, entry)

    def _forget(self, entry: _Entry) -> None:
        if self._entries.pop(entry.event.id, None) is not None and entry.payload is not None:
            self._resident -= len(entry.payload)

    # --- delivering --------------------------------------------------------------------------

    async def _work(self) -> None:
        while True:
            entry = await self._due.get()
            try:
                await self._attempt(entry)
            except Exception:
                # The store or a bug: the event is still stored, so try it again later.
                log.exception(
                    "asynchronous event %s for %s failed to run",
                    entry.event.id,
                    entry.event.function,
                )
                entry.due_ms = self._now_ms() + _STUCK_DELAY_MS
                self._due.push(entry.due_ms, entry)

    def _policy(self, event: QueuedEvent) -> Policy:
        document = self._configs(event.function, event.qualifier or LATEST)
        return Policy.of(document, self._settings.time_scale)

    async def _attempt(self, entry: _Entry) -> None:
        event = entry.event
        policy = self._policy(event)
        if self._now_ms() - event.received_ms > policy.max_age_ms:
            await self._end(
                entry,
                End(EVENT_AGE_EXCEEDED),
                entry.last,
                policy,
                tries=self._invoke_count(entry) - 1,
            )
            return
        counters = self.stats.of(event.function)
        if self._invoker.concurrency.reservation(event.function) == 0:
            # Lambda: reserved concurrency 0 sends events straight to failure handling.
            outcome = Outcome(429, error_type="TooManyRequestsException", message="Rate Exceeded.")
            await self._end(entry, End(RETRIES_EXHAUSTED), outcome, policy, tries=1)
            return
        payload = entry.payload
        if payload is None:
            payload = await self._queue.payload(event.id)
            if payload is None:  # finished meanwhile (cannot happen with one server)
                self._forget(entry)
                return
        self._invoker.hooks.event_started(
            event.function, event.qualifier, self._now_ms() - event.received_ms
        )
        try:
            result = await self._invoker.invoke(
                InvokeRequest(
                    ref=FunctionRef(event.function, event.qualifier),
                    payload=payload,
                    request_id=event.id,
                    trace_id=event.extra.get("trace"),
                )
            )
            outcome = Outcome(200, result.executed_version, result.function_error, result.payload)
        except TooManyRequests as error:
            outcome = Outcome(429, error_type=error.code, message=error.message)
        except ResourceNotFound as error:
            # The function (or the qualifier) is gone: nothing can run this event.
            log.warning(
                "dropping asynchronous event %s for %s: %s", event.id, event.function, error.message
            )
            counters.dropped += 1
            await self._finishes.write((event.id, ()))
            self._forget(entry)
            self._invoker.hooks.event_ended(event.function, event.id, DROPPED)
            return
        except AltusError as error:
            outcome = Outcome(
                error.status if error.status >= 500 else 500,
                error_type=error.code,
                message=error.message,
            )
        failed_runs = event.attempts + (1 if outcome.ran and not outcome.succeeded else 0)
        step = decide(
            outcome,
            age_ms=self._now_ms() - event.received_ms,
            failed_runs=failed_runs,
            backoffs=entry.backoffs,
            policy=policy,
            scale=self._settings.time_scale,
        )
        if isinstance(step, End):
            await self._end(entry, step, outcome, policy)
            return
        entry.due_ms = self._now_ms() + step.delay_ms
        entry.last = outcome
        if outcome.ran:
            # Written before the retry waits: a restart must not grant extra runs.
            counters.retried += 1
            extra = {
                **event.extra,
                "due_ms": entry.due_ms,
                "tries": int(event.extra.get("tries", 0)) + entry.backoffs + 1,
                "last": outcome.to_record(KEPT_RESPONSE_BYTES),
            }
            entry.event = replace(event, attempts=failed_runs, extra=extra)
            entry.backoffs = 0
            await self._queue.update(entry.event)
        else:
            counters.throttled += 1
            entry.backoffs += 1
        self._due.push(entry.due_ms, entry)

    def _invoke_count(self, entry: _Entry) -> int:
        return int(entry.event.extra.get("tries", 0)) + entry.backoffs + 1

    async def _end(
        self,
        entry: _Entry,
        step: End,
        outcome: Outcome | None,
        policy: Policy,
        tries: int | None = None,
    ) -> None:
        """Finish the event and, in the same transaction, store what it sends on."""
        event = entry.event
        counters = self.stats.of(event.function)
        ref = FunctionRef(event.function, event.qualifier)
        try:
            version = outcome.executed_version if outcome and outcome.executed_version else None
            config = self._functions.config(
                FunctionRef(event.function, version) if version else ref
            )
            executed = config.version
            dead_letter = config.dead_letter_target
        except AltusError:
            executed, dead_letter = version or LATEST, None
        arn = qualified_arn(
            self._functions.account.function_arn(event.function, event.qualifier), event.qualifier
        )
        payload = entry.payload
        if payload is None:
            payload = await self._queue.payload(event.id) or b""
        at = self._now_ms()
        records: list[OutboxRecord] = []
        target = policy.on_success if step.condition == SUCCESS else policy.on_failure
        if target:
            body = destination_record(
                request_id=event.id,
                function_arn=arn,
                condition=step.condition,
                invoke_count=tries if tries is not None else self._invoke_count(entry),
                request_payload=payload,
                outcome=outcome,
                executed_version=executed,
                at_ms=at,
            )
            records.append(
                OutboxRecord(
                    id=ids.request_id(),
                    event_id=event.id,
                    function=event.function,
                    kind=ON_SUCCESS if step.condition == SUCCESS else ON_FAILURE,
                    target=target,
                    body=json.dumps(body, separators=(",", ":")),
                    created_ms=at,
                    trace=event.extra.get("trace"),
                )
            )
        if step.condition != SUCCESS and dead_letter:
            failure = outcome or Outcome(500, message="The event could not be delivered.")
            records.append(
                OutboxRecord(
                    id=ids.request_id(),
                    event_id=event.id,
                    function=event.function,
                    kind=DEAD_LETTER,
                    target=dead_letter,
                    body=payload.decode("utf-8", "replace"),
                    attributes=dead_letter_attributes(event.id, failure),
                    created_ms=at,
                    trace=event.extra.get("trace"),
                )
            )
        await self._finishes.write((event.id, records))
        self._forget(entry)
        self._invoker.hooks.event_ended(event.function, event.id, step.condition)
        if step.condition == SUCCESS:
            counters.succeeded += 1
        else:
            counters.failed += 1
            if not records:
                counters.dropped += 1
                log.warning(
                    "asynchronous event %s for %s discarded (%s) with no "
                    "destination or dead-letter queue",
                    event.id,
                    event.function,
                    step.condition,
                )
        for record in records:
            self._outbox.push(0, record)

    # --- the outbox --------------------------------------------------------------------------

    async def send_record(self, record: OutboxRecord) -> None:
        """A record from elsewhere (an event source mapping's failure record) sent on as
        an event's records are: stored in the outbox first (durable once this returns),
        then sent, retried and parked the same way."""
        await self._queue.put_record(record)
        self._outbox.push(0, record)

    async def _send_records(self) -> None:
        while True:
            record = await self._outbox.get()
            counters = self.stats.of(record.function)
            try:
                await self._targets.send(record)
            except DeliveryFailed as error:
                reason, permanent = error.message, error.permanent
            except Exception as error:
                log.exception(
                    "sending a %s record of %s to %s failed",
                    record.kind,
                    record.function,
                    record.target,
                )
                reason, permanent = repr(error), False
            else:
                await self._settled(self._queue.record_done(record.id))
                counters.records_sent += 1
                continue
            self._invoker.hooks.delivery_failed(record.function, record.kind)
            attempts = record.attempts + 1
            if permanent or attempts >= self._settings.destination_attempts:
                parked = replace(
                    record, attempts=attempts, parked_ms=self._now_ms(), last_error=reason
                )
                await self._settled(self._queue.put_record(parked))
                counters.records_parked += 1
                log.warning(
                    "parked a %s record of %s for %s after %d tries: %s",
                    record.kind,
                    record.function,
                    record.target,
                    attempts,
                    reason,
                )
                continue
            retry = replace(record, attempts=attempts, last_error=reason)
            await self._settled(self._queue.put_record(retry))
            delay = min(BACKOFF_START_S * 2 ** (attempts - 1), BACKOFF_MAX_S)
            self._outbox.push(self._now_ms() + int(delay * 1000 * self._settings.time_scale), retry)

    @staticmethod
    async def _settled(write: Any) -> None:
        """A store write of the outbox; if it fails, the stored record is still there and
        goes out again at the next start."""
        try:
            await write
        except Exception:
            log.exception("the outbox could not be updated")

    # --- inspection and repair (the `altus queue` commands) ----------------------------------

    def backlog(self) -> list[dict[str, Any]]:
        """Events waiting or running, oldest first."""
        now = self._now_ms()
        return [
            {
                "RequestId": e.event.id,
                "FunctionName": e.event.function,
                "Qualifier": e.event.qualifier or LATEST,
                "ReceivedMs": e.event.received_ms,
                "AgeSeconds": round((now - e.event.received_ms) / 1000, 3),
                "FailedRuns": e.event.attempts,
                "DueMs": e.due_ms,
                "LastError": (e.last.error_type or e.last.function_error) if e.last else None,
            }
            for e in sorted(self._entries.values(), key=lambda e: e.event.received_ms)
        ]

    def depth(self) -> dict[str, tuple[int, float]]:
        """Per function: events queued, and the oldest one's age in seconds."""
        now, out = self._now_ms(), dict[str, tuple[int, float]]()
        for entry in self._entries.values():
            count, oldest = out.get(entry.event.function, (0, 0.0))
            out[entry.event.function] = (
                count + 1,
                max(oldest, (now - entry.event.received_ms) / 1000),
            )
        return out

    async def parked(self) -> list[OutboxRecord]:
        return await self._queue.outbox(True)

    async def replay(self, ids: list[str] | None) -> list[str]:
        """Send parked records again (all of them when ``ids`` is None), tries reset."""
        chosen = [r for r in await self.parked() if ids is None or r.id in ids]
        for record in chosen:
            again = replace(record, attempts=0, parked_ms=None, last_error=None)
            await self._queue.put_record(again)
            self._outbox.push(0, again)
        return [r.id for r in chosen]

    async def discard(self, ids: list[str]) -> list[str]:
        """Forget parked records an operator has dealt with."""
        chosen = [r.id for r in await self.parked() if r.id in ids]
        for record_id in chosen:
            await self._queue.record_done(record_id)
        return chosen

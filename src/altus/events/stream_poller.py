"""The poller of a stream mapping (Kinesis, DynamoDB Streams): one reader per shard, in
order, from a durable checkpoint, as Lambda's stream pollers do. What differs between
the two (the record shape, what filters test, the on-failure record's batch info) is
the source's ``stream_shapes.StreamShape``.

- A shard is read only after its parents are read to their end (resharding keeps the
  order of each partition key); a shard's reader ends when the shard is closed and
  read out.
- A new mapping starts each shard at its StartingPosition, written as the shard's
  first checkpoint at once (a restart must not move LATEST on); a child shard born of
  resharding starts at its beginning.
- A batch is ready at ``BatchSize`` records, at the end of the batching window, or at
  6 MB of event. With ``ParallelizationFactor`` above 1 a read is split by partition key
  into that many lanes invoked at once, each in order: records of one key stay in order.
- A failed batch is retried (the shard waits) until it succeeds, its records are older
  than ``MaximumRecordAgeInSeconds`` or it failed ``MaximumRetryAttempts`` times; with
  ``BisectBatchOnFunctionError`` a failed batch is halved first. ReportBatchItemFailures
  checkpoints before the lowest failed sequence number and retries from there. A batch
  given up on is reported to the ``OnFailure`` destination (Lambda's KinesisBatchInfo
  or DDBStreamBatchInfo record) and the shard moves on. Throttles are retried without counting.
- Tumbling windows: records are grouped by the window their arrival time falls in; the
  function's returned ``state`` is passed to the next invoke of the window and kept with
  the checkpoint; the window's last invoke says ``isFinalInvokeForWindow``.
- After each batch the checkpoint (the last sequence number finished) is written
  durably before the next batch starts: records are delivered at least once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import zlib
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from altus.arns import Account
from altus.clock import Clock
from altus.events import invoking
from altus.events.filtering import Filters
from altus.events.invoking import BatchInvoker, Outcome
from altus.events.mapping import EventSourceMapping
from altus.events.metrics import MappingMetrics
from altus.events.store import Checkpoint
from altus.events.stream_shapes import shape_of
from altus.sources import ShardInfo, ShardRead, StreamRecord, StreamSource

log = logging.getLogger(__name__)

#: Hands a function's record to a destination (an ARN or an http(s) URL): stored
#: durably once it returns (sent on, retried and parked by the asynchronous outbox).
Delivery = Callable[[str, str, str], Awaitable[None]]
SaveCheckpoint = Callable[[str, str, Checkpoint], Awaitable[None]]
ClearCheckpoints = Callable[[str], Awaitable[None]]

MAX_PAYLOAD = 6 * 1024 * 1024
#: Read at most this much data per shard read (GetRecords' own cap is 10 MB).
READ_BYTES = 6 * 1024 * 1024
#: How long an idle reader waits before it reads again anyway (a put, or the shard
#: closing, wakes it at once: the read only makes sure).
IDLE_WAIT = 5.0
#: How often the shards of the stream are listed again (resharding).
RESCAN = 1.0
BACKOFF_FIRST = 0.1
BACKOFF_CAP = 5.0
#: Attempts to store a failure record before giving up on it.
DELIVERY_ATTEMPTS = 5
#: Checkpoint state marking a shard read out.
ENDED = "ended"
#: The checkpoint (not a shard) marking a mapping's start done: shards seen after it are
#: children of resharding, read from their beginning.
STARTED = "$started"


class StreamPoller:
    def __init__(
        self,
        mapping: EventSourceMapping,
        source: StreamSource,
        invoker: BatchInvoker,
        metrics: MappingMetrics,
        clock: Clock,
        checkpoints: MutableMapping[str, Checkpoint],
        save: SaveCheckpoint,
        clear: ClearCheckpoints,
        report: Callable[[str], None],
        deliver: Delivery,
        account: Account,
        role_arn: str,
    ) -> None:
        self._mapping = mapping
        self._source = source
        self._invoker = invoker
        self._metrics = metrics
        self._clock = clock
        self._checkpoints = checkpoints
        self._save = save
        self._clear = clear
        self._report = report
        self._deliver = deliver
        self._account = account
        self._role_arn = role_arn
        self._shape = shape_of(mapping.source)
        self._filters = Filters(mapping.filters, self._shape.filter_key)
        self._readers: dict[str, asyncio.Task[None]] = {}

    async def run(self) -> None:
        arn = self._mapping.event_source_arn
        try:
            while True:
                if self._source.stream_info(arn) is None:
                    # Deleted: a stream made again under its name starts afresh.
                    if self._checkpoints:
                        await self._forget()
                    await self._clock.sleep(RESCAN)
                    continue
                shards = self._source.shards(arn)
                if not shards:
                    # A stream has a shard at least: its source cannot tell them yet.
                    await self._clock.sleep(RESCAN)
                    continue
                if STARTED not in self._checkpoints:
                    await self._start(shards)
                known = {shard.shard_id for shard in shards}
                for shard in shards:
                    if shard.shard_id in self._readers or self._ended(shard.shard_id):
                        continue
                    if not self._parents_done(shard, known):
                        continue
                    if shard.shard_id not in self._checkpoints:
                        # Born of resharding since the mapping started: all of it.
                        await self._checkpoint(shard.shard_id, Checkpoint(None))
                    self._readers[shard.shard_id] = asyncio.get_running_loop().create_task(
                        self._read_shard(shard.shard_id)
                    )
                for shard_id, task in list(self._readers.items()):
                    if task.done():
                        del self._readers[shard_id]
                        if not task.cancelled() and task.exception() is not None:
                            raise task.exception()  # type: ignore[misc]
                await self._clock.sleep(RESCAN)
        finally:
            for task in self._readers.values():
                task.cancel()
            for task in self._readers.values():
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            self._readers.clear()

    async def _start(self, shards: list[ShardInfo]) -> None:
        """A new mapping's first checkpoints: every shard the stream keeps starts at the
        mapping's StartingPosition (with LATEST, closed shards are done already), each
        written before anything is read, then the mark that the start is done. (A crash
        in between starts again with the shards not yet written.)"""
        m = self._mapping
        starting = m.starting_position or "LATEST"
        for shard in shards:
            if shard.shard_id in self._checkpoints:
                continue
            if starting == "LATEST" and shard.closed:
                await self._checkpoint(shard.shard_id, Checkpoint(None, {ENDED: True}))
                continue
            position = self._source.position(
                m.event_source_arn, shard.shard_id, starting, m.starting_timestamp
            )
            await self._checkpoint(shard.shard_id, Checkpoint(position))
        await self._checkpoint(STARTED, Checkpoint(None))

    async def _forget(self) -> None:
        await self._clear(self._mapping.uuid)
        self._checkpoints.clear()

    def _ended(self, shard_id: str) -> bool:
        found = self._checkpoints.get(shard_id)
        return found is not None and bool(found.state.get(ENDED))

    def _parents_done(self, shard: ShardInfo, known: set[str]) -> bool:
        for parent in (shard.parent_shard_id, shard.adjacent_parent_shard_id):
            if parent and parent in known and not self._ended(parent):
                return False
        return True

    async def _checkpoint(self, shard_id: str, checkpoint: Checkpoint) -> None:
        await self._save(self._mapping.uuid, shard_id, checkpoint)
        self._checkpoints[shard_id] = checkpoint

    # --- one shard ---------------------------------------------------------------------------

    async def _read_shard(self, shard_id: str) -> None:
        m = self._mapping
        arn = m.event_source_arn
        lanes = max(1, m.parallelization)
        limit = m.batch_size * lanes
        backoff = BACKOFF_FIRST
        # With a backlog, the next round is read while this one runs (it starts after
        # this round's last record whatever becomes of its batches: a round ends only
        # once every batch of it succeeded or was given up on).
        ahead: asyncio.Task[ShardRead] | None = None
        try:
            while True:
                checkpoint = self._checkpoints[shard_id]
                try:
                    if ahead is not None:
                        read, ahead = await ahead, None
                        records, ended = list(read.records), read.ended
                        self._behind(read.millis_behind, records)
                        self._metrics.polled(len(records))
                    else:
                        records, ended = await self._collect(shard_id, checkpoint.position, lanes)
                except LookupError:
                    return  # the stream or the shard is gone
                except Exception:
                    log.exception("mapping %s: reading %s failed", m.uuid, shard_id)
                    await self._clock.sleep(backoff)
                    backoff = min(backoff * 2, BACKOFF_CAP)
                    continue
                backoff = BACKOFF_FIRST
                if len(records) >= limit and not (m.window or m.tumbling_window):
                    ahead = asyncio.get_running_loop().create_task(
                        self._source.read(
                            arn, shard_id, records[-1].sequence_number, limit, READ_BYTES
                        )
                    )
                if m.tumbling_window:
                    await self._windowed(shard_id, records, ended, len(records) < limit)
                elif records:
                    await self._records(shard_id, records, lanes)
                if ended and not records:
                    state = dict(self._checkpoints[shard_id].state)
                    if m.tumbling_window and state.get("window") is not None:
                        continue  # its window's final invoke first
                    state[ENDED] = True
                    await self._checkpoint(
                        shard_id, Checkpoint(self._checkpoints[shard_id].position, state)
                    )
                    return
                if not records and not ended:
                    await self._source.wait(arn, shard_id, checkpoint.position, IDLE_WAIT)
        finally:
            if ahead is not None:
                ahead.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await ahead

    async def _collect(
        self, shard_id: str, after: str | None, lanes: int
    ) -> tuple[list[StreamRecord], bool]:
        """Records after ``after`` for one round (a batch per lane), waiting through the
        batching window for more; and whether the shard is read out."""
        m = self._mapping
        arn = m.event_source_arn
        limit = m.batch_size * lanes
        read = await self._source.read(arn, shard_id, after, limit, READ_BYTES)
        records, ended = list(read.records), read.ended
        self._behind(read.millis_behind, records)
        if records and m.window and len(records) < limit and not ended:
            window_end = self._clock.now() + m.window
            while len(records) < limit and not ended:
                remaining = window_end - self._clock.now()
                if remaining <= 0:
                    break
                await self._source.wait(arn, shard_id, records[-1].sequence_number, remaining)
                more = await self._source.read(
                    arn, shard_id, records[-1].sequence_number, limit - len(records), READ_BYTES
                )
                records.extend(more.records)
                ended = more.ended
                self._behind(more.millis_behind, more.records)
        if records:
            self._metrics.polled(len(records))
        return records, ended

    def _behind(self, millis: int, records: list[StreamRecord]) -> None:
        if records:
            age = int((self._clock.now() - records[-1].arrival) * 1000)
            self._metrics.lag(max(age, millis, 0))
        else:
            self._metrics.lag(millis)

    async def _records(self, shard_id: str, records: list[StreamRecord], lanes: int) -> None:
        """A round: the records in lanes by partition key, each lane's batches in order;
        the checkpoint moves to the end of the round once every lane is done."""
        if lanes == 1:
            for batch in self._batches(records):
                await self._batch(shard_id, batch, checkpointing=True)
            return
        by_lane: list[list[StreamRecord]] = [[] for _ in range(lanes)]
        for record in records:
            by_lane[zlib.crc32(record.partition_key.encode()) % lanes].append(record)

        async def lane(items: list[StreamRecord]) -> None:
            for batch in self._batches(items):
                await self._batch(shard_id, batch, checkpointing=False)

        # A lane that fails takes the others down with it (the poller starts again from
        # the checkpoint): no lane runs on unsupervised.
        async with asyncio.TaskGroup() as group:
            for items in by_lane:
                if items:
                    group.create_task(lane(items))
        await self._advance(shard_id, records[-1].sequence_number)

    def _batches(self, records: list[StreamRecord]) -> list[list[StreamRecord]]:
        """``records`` cut at BatchSize and at 6 MB of event."""
        out: list[list[StreamRecord]] = []
        current: list[StreamRecord] = []
        size = 0
        for record in records:
            record_size = self._shape.size(record)
            if current and (
                len(current) >= self._mapping.batch_size or size + record_size > MAX_PAYLOAD
            ):
                out.append(current)
                current, size = [], 0
            current.append(record)
            size += record_size
        if current:
            out.append(current)
        return out

    async def _advance(
        self, shard_id: str, position: str, state: dict[str, Any] | None = None
    ) -> None:
        current = self._checkpoints[shard_id]
        await self._checkpoint(
            shard_id, Checkpoint(position, current.state if state is None else state)
        )

    def _event_records(self, shard_id: str, batch: list[StreamRecord]) -> list[dict[str, Any]]:
        m = self._mapping
        return [
            self._shape.record(
                r, shard_id, m.event_source_arn, self._account.region, self._role_arn
            )
            for r in batch
        ]

    def _too_old(self, record: StreamRecord) -> bool:
        """Past MaximumRecordAgeInSeconds or, without one, past the stream's retention
        (the record has expired from the stream: Lambda stops retrying it then)."""
        m = self._mapping
        age = m.maximum_record_age
        if age < 0:
            info = self._source.stream_info(m.event_source_arn)
            if info is None:
                return False
            age = info.retention_hours * 3600
        return self._clock.now() - record.arrival > age

    async def _batch(
        self, shard_id: str, batch: list[StreamRecord], *, checkpointing: bool
    ) -> None:
        """One batch to its end: invoked (filtered records are consumed unseen), retried
        (after a pause), bisected, or given up on; the checkpoint follows each finished
        part."""
        m = self._mapping
        pending = [batch]
        attempts = 0
        backoff = BACKOFF_FIRST
        last: Outcome | None = None

        async def done(part: list[StreamRecord]) -> None:
            nonlocal attempts, backoff
            pending.pop(0)
            attempts, backoff = 0, BACKOFF_FIRST
            if checkpointing:
                await self._advance(shard_id, part[-1].sequence_number)

        while pending:
            part = pending[0]
            if self._too_old(part[0]):
                await self._give_up(shard_id, part, "RecordAgeExceeded", last, attempts)
                await done(part)
                continue
            records = self._event_records(shard_id, part)
            passing = [r for r in records if self._filters.passes(r)]
            if len(passing) < len(records):
                self._metrics.filtered(len(records) - len(passing))
            if not passing:
                await done(part)
                continue
            self._metrics.batch(len(passing))
            payload = json.dumps({"Records": passing}).encode()
            self._invoker.iterator_age(
                m.function_arn, int((self._clock.now() - part[-1].arrival) * 1000)
            )
            outcome = await self._invoker.invoke(m.function_arn, payload)
            self._report(outcome.description)
            if outcome.kind in (invoking.THROTTLED, invoking.PROBLEM):
                # The function did not run: no retry is counted.
                if outcome.kind == invoking.THROTTLED:
                    self._metrics.throttled()
                await self._pause(backoff)
                backoff = min(backoff * 2, BACKOFF_CAP)
                continue
            last = outcome
            failed_from: int | None = None  # index in part of the first record to retry
            if outcome.kind == invoking.OK and m.report_item_failures:
                sequence_numbers = [self._shape.sequence(r) for r in passing]
                named = invoking.failed_items(outcome.payload, sequence_numbers)
                if named is None:
                    failed_from = 0
                elif named:
                    lowest = min(named, key=int)
                    failed_from = next(i for i, r in enumerate(part) if r.sequence_number == lowest)
            elif outcome.kind == invoking.FAILED:
                failed_from = 0
            if failed_from is None:
                await done(part)
                continue
            self._metrics.failed()
            if failed_from > 0:
                # What came before the lowest failure is done; the retry starts there
                # (that is where a bisection would have split it).
                if checkpointing:
                    await self._advance(shard_id, part[failed_from - 1].sequence_number)
                part = part[failed_from:]
                pending[0] = part
            elif m.bisect and len(part) > 1:
                half = len(part) // 2
                pending[0:1] = [part[:half], part[half:]]
                continue  # splitting costs no retry
            attempts += 1
            if 0 <= m.maximum_retries < attempts:
                await self._give_up(shard_id, part, "RetryAttemptsExhausted", last, attempts)
                await done(part)
                continue
            await self._pause(backoff)
            backoff = min(backoff * 2, BACKOFF_CAP)

    async def _pause(self, seconds: float) -> None:
        await self._clock.sleep(seconds)

    async def _give_up(
        self,
        shard_id: str,
        part: list[StreamRecord],
        condition: str,
        last: Outcome | None,
        attempts: int,
    ) -> None:
        """Lambda's stream failure record to the OnFailure destination, if there is one;
        the records are skipped either way."""
        m = self._mapping
        self._metrics.discarded(len(part))
        if not m.on_failure:
            return
        record = invoking.failure_record(
            m.function_arn, condition, last, attempts, self._clock.now()
        )
        record[self._shape.batch_info] = {
            "shardId": shard_id,
            "startSequenceNumber": part[0].sequence_number,
            "endSequenceNumber": part[-1].sequence_number,
            "approximateArrivalOfFirstRecord": self._shape.arrival(part[0].arrival),
            "approximateArrivalOfLastRecord": self._shape.arrival(part[-1].arrival),
            "batchSize": len(part),
            "streamArn": m.event_source_arn,
        }
        body = json.dumps(record)
        # Handing it over stores it durably (the outbox sends it on, retrying, and
        # parks it for `altus queue replay` if its target stays down); only the store
        # failing is retried here.
        for attempt in range(DELIVERY_ATTEMPTS):
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
                await self._clock.sleep(BACKOFF_FIRST * 2**attempt)
        log.error(
            "mapping %s: dropped the on-failure record of %s %s..%s: %s",
            m.uuid,
            shard_id,
            part[0].sequence_number,
            part[-1].sequence_number,
            body,
        )

    # --- tumbling windows -----------------------------------------------------------------

    async def _windowed(
        self, shard_id: str, records: list[StreamRecord], ended: bool, caught_up: bool
    ) -> None:
        """Records of a tumbling-window mapping: invoked window by window with the state
        the function returned last; a window's final invoke comes once a later record
        shows it is over, or, with the reader caught up, once its end has passed (or the
        shard ended) with nothing new."""
        size = self._mapping.tumbling_window
        index = 0
        while True:
            state = self._checkpoints[shard_id].state
            window = state.get("window")
            if index >= len(records):
                if window is not None and (
                    ended or (caught_up and self._clock.now() >= window + size)
                ):
                    await self._window_invoke(shard_id, [], window, final=True)
                return
            start = records[index].arrival // size * size
            if window is not None and start != window:
                await self._window_invoke(shard_id, [], window, final=True)
                continue
            end = index
            while (
                end < len(records)
                and records[end].arrival // size * size == start
                and end - index < self._mapping.batch_size
            ):
                end += 1
            over = end < len(records) and records[end].arrival // size * size != start
            await self._window_invoke(shard_id, records[index:end], start, final=over)
            index = end

    async def _window_invoke(
        self, shard_id: str, batch: list[StreamRecord], window: float, *, final: bool
    ) -> None:
        """One invoke of a window, retried until the function returns a state; with
        ReportBatchItemFailures, retried from the lowest failure with the state it
        returned (what came before is checkpointed)."""
        m = self._mapping
        size = m.tumbling_window
        backoff = BACKOFF_FIRST
        previous = self._checkpoints[shard_id].state
        carried: dict[str, Any] = (
            dict(previous.get("state") or {}) if previous.get("window") == window else {}
        )
        remaining = batch
        attempts = 0
        while True:
            records = self._event_records(shard_id, remaining)
            passing = [r for r in records if self._filters.passes(r)]
            event = {
                "Records": passing,
                "window": {
                    "start": invoking.iso_time(window),
                    "end": invoking.iso_time(window + size),
                },
                "state": carried,
                "shardId": shard_id,
                "eventSourceARN": m.event_source_arn,
                "isFinalInvokeForWindow": final,
                "isWindowTerminatedEarly": False,
            }
            if remaining:
                self._invoker.iterator_age(
                    m.function_arn, int((self._clock.now() - remaining[-1].arrival) * 1000)
                )
            outcome = await self._invoker.invoke(m.function_arn, json.dumps(event).encode())
            self._report(outcome.description)
            if outcome.kind in (invoking.THROTTLED, invoking.PROBLEM):
                if outcome.kind == invoking.THROTTLED:
                    self._metrics.throttled()
                await self._pause(backoff)
                backoff = min(backoff * 2, BACKOFF_CAP)
                continue
            self._metrics.batch(len(passing))
            state = _window_state(outcome) if outcome.kind == invoking.OK else None
            failed_from: int | None = None if state is not None else 0
            if state is not None and m.report_item_failures and passing:
                named = invoking.failed_items(
                    outcome.payload, [self._shape.sequence(r) for r in passing]
                )
                if named is None:
                    failed_from = 0
                elif named:
                    lowest = min(named, key=int)
                    failed_from = next(
                        i for i, r in enumerate(remaining) if r.sequence_number == lowest
                    )
            if failed_from is None:
                assert state is not None
                position = (
                    remaining[-1].sequence_number
                    if remaining
                    else self._checkpoints[shard_id].position
                )
                kept = {} if final else {"window": window, "state": state}
                await self._checkpoint(shard_id, Checkpoint(position, kept))
                return
            self._metrics.failed()
            if failed_from > 0 and state is not None:
                done, remaining = remaining[:failed_from], remaining[failed_from:]
                carried = state
                await self._checkpoint(
                    shard_id,
                    Checkpoint(done[-1].sequence_number, {"window": window, "state": state}),
                )
            attempts += 1
            if 0 <= m.maximum_retries < attempts:
                if remaining:
                    await self._give_up(
                        shard_id, remaining, "RetryAttemptsExhausted", outcome, attempts
                    )
                position = (
                    remaining[-1].sequence_number
                    if remaining
                    else self._checkpoints[shard_id].position
                )
                kept = {} if final else {"window": window, "state": carried}
                await self._checkpoint(shard_id, Checkpoint(position, kept))
                return
            await self._pause(backoff)
            backoff = min(backoff * 2, BACKOFF_CAP)


def _window_state(outcome: Outcome) -> dict[str, Any] | None:
    """The ``state`` a tumbling-window invoke returned; None (a failure) without one."""
    try:
        response = json.loads(outcome.payload or b"null")
    except ValueError:
        return None
    if not isinstance(response, dict) or not isinstance(response.get("state"), dict):
        return None
    return dict(response["state"])

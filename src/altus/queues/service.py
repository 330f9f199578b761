"""QueueService: Amazon SQS's semantics over a ``QueueStore``.

Every queue and message lives in memory (``state.QueueState``); each operation checks
its input, computes a plan from that view, has ``GroupCommit`` write the plan durably,
and only then changes memory and answers. Concurrent operations share commits; the
messages a receive picked are ``busy`` until its plan is written, so no two receives
deliver one message.

Long polls wait on a per-queue event that a send, a visibility change, a delete (which
may unlock a FIFO group) or a redrive sets, with a timeout at the next moment a message
becomes visible (a delay or a visibility timeout ending). ``interrupt`` ends them all
at once, for a server shutting down. A sweep every few seconds drops messages past
their retention period and FIFO deduplication ids past their five minutes; receives
and counts ignore expired messages in between.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from altus.arns import Account
from altus.clock import SYSTEM, Clock
from altus.identity.documents import parsed
from altus.queues import attributes as queue_attributes
from altus.queues.base import (
    Dedup,
    DropAllMessages,
    DropDedups,
    DropMessages,
    DropQueue,
    Message,
    PutDedup,
    PutDelivery,
    PutMessage,
    PutQueue,
    Queue,
    QueueChange,
    QueueStore,
)
from altus.queues.errors import (
    InvalidParameterValue,
    MessageNotInflight,
    MissingParameter,
    PurgeQueueInProgress,
    QueueDeletedRecently,
    QueueDoesNotExist,
    QueueError,
    QueueNameExists,
    QueueStoreFailure,
    ReceiptHandleIsInvalid,
    UnsupportedOperation,
)
from altus.queues.handles import make_handle, parse_handle
from altus.queues.messages import check_int
from altus.queues.planning import Received, SendRequest, Sent, plan_receive, plan_send
from altus.queues.state import QueueState
from altus.store.commit import GroupCommit

log = logging.getLogger(__name__)

PURGE_INTERVAL_MS = 60 * 1000
DELETED_RECENTLY_MS = 60 * 1000
SWEEP_INTERVAL = 5.0


class QueueService:
    """Queues of one account and region, on the platform's ``clock`` (tests pass a fake:
    visibility, delays, retention, long polls and sweeps all follow it)."""

    def __init__(
        self,
        store: QueueStore,
        account: Account,
        *,
        clock: Clock = SYSTEM,
    ) -> None:
        self._store = store
        self._account = account
        self._clock = clock
        self._commit: GroupCommit[Sequence[QueueChange]] = GroupCommit(
            store.apply,
            failure=lambda error: QueueStoreFailure(f"The queue store failed: {error}"),
        )
        self._queues: dict[str, QueueState] = {}
        self._deleted: dict[str, int] = {}
        self._seq = 0
        self._events: dict[str, asyncio.Event] = {}
        self._admin = asyncio.Lock()
        self._fifo_sends: dict[str, asyncio.Lock] = {}
        self._closing = False
        self._sweeper: asyncio.Task[None] | None = None

    # --- life ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Load every queue, message and deduplication id, and start the sweeps."""
        snapshot = await self._store.load()
        for queue in snapshot.queues:
            self._queues[queue.name] = QueueState(queue)
        for message in snapshot.messages:
            state = self._queues.get(message.queue)
            if state is not None:
                state.add(message)
            self._seq = max(self._seq, message.seq)
        for dedup in snapshot.dedups:
            state = self._queues.get(dedup.queue)
            if state is not None:
                state.dedups[dedup.key] = dedup
            self._seq = max(self._seq, dedup.seq)
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep_forever())

    def interrupt(self) -> None:
        """End every long poll now (empty), and every later one at once: the server is
        shutting down."""
        self._closing = True
        for event in self._events.values():
            event.set()
        self._events.clear()

    async def close(self) -> None:
        self.interrupt()
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        await self._commit.drain()

    async def _write(
        self,
        plan: Sequence[QueueChange],
        applied: Callable[[], Any],
        failed: Callable[[], None] = lambda: None,
    ) -> Any:
        """Write ``plan`` (group-committed), then apply it to memory; an empty plan is
        applied at once."""
        if not plan:
            return applied()
        return await self._commit.write(plan, applied, failed)

    # --- names ---------------------------------------------------------------------------

    def arn(self, name: str) -> str:
        a = self._account
        return f"arn:{a.partition}:sqs:{a.region}:{a.account_id}:{name}"

    def name_of_arn(self, arn: str) -> str | None:
        """The queue name an ARN of this account and region names, else None."""
        prefix = self.arn("")
        if not isinstance(arn, str) or not arn.startswith(prefix) or len(arn) == len(prefix):
            return None
        return arn[len(prefix) :]

    @property
    def account_id(self) -> str:
        return self._account.account_id

    def now_ms(self) -> int:
        return int(self._clock.now() * 1000)

    def _state(self, name: str) -> QueueState:
        state = self._queues.get(name)
        if state is None:
            raise QueueDoesNotExist()
        return state

    def has_queue(self, name: str) -> bool:
        return name in self._queues

    def depths(self) -> dict[str, tuple[int, int, int]]:
        """Each queue's (visible, in flight, delayed) messages now (its AWS/SQS metrics)."""
        now = self.now_ms()
        return {name: state.counts(now) for name, state in self._queues.items()}

    def visible_count(self, name: str) -> int:
        """ApproximateNumberOfMessages of the queue (0 if there is none)."""
        state = self._queues.get(name)
        return state.counts(self.now_ms())[0] if state is not None else 0

    def queue(self, name: str) -> Queue:
        """The queue named ``name``; QueueDoesNotExist if there is none."""
        return self._state(name).queue

    def resource_policies(self, arn: str) -> list[Mapping[str, Any]]:
        """``altus.targets.PolicySource``: the policies of the queue ``arn`` names."""
        name = self.name_of_arn(arn)
        return self.policies(name) if name is not None else []

    def policies(self, name: str) -> list[Mapping[str, Any]]:
        """The queue's own access policy (its ``Policy`` attribute), as the authoriser
        reads resource policies; none for a queue without one, or no such queue."""
        state = self._queues.get(name)
        document = state.queue.attributes.get("Policy", "") if state is not None else ""
        found = parsed(document) if document else None
        return [found] if found is not None else []

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _wake(self, name: str) -> None:
        event = self._events.pop(name, None)
        if event is not None:
            event.set()

    # --- the interface for other layers (destinations, dead-letter queues) --------------

    async def deliver(
        self,
        arn: str,
        body: str,
        attributes: Mapping[str, Mapping[str, str]] | None = None,
        *,
        trace: str | None = None,
    ) -> None:
        """A record sent to a queue (``altus.targets``): ``body`` with ``attributes`` (SQS
        wire form) sent to the standard queue ``arn`` names, durably stored once this
        returns. Raises QueueDoesNotExist (no such queue here), UnsupportedOperation (a
        FIFO queue, to which Lambda does not deliver asynchronous records),
        InvalidParameterValue (a body over the queue's MaximumMessageSize, bad
        attributes)."""
        name = self.name_of_arn(arn)
        if name is None or name not in self._queues:
            raise QueueDoesNotExist(f"The specified queue does not exist: {arn}")
        if self._queues[name].queue.fifo:
            raise UnsupportedOperation(
                f"{arn} is a FIFO queue: asynchronous invocation "
                "records go to standard queues only."
            )
        await self.send(name, SendRequest(body=body, attributes=attributes, system=_traced(trace)))

    async def deliver_fifo(
        self,
        arn: str,
        body: str,
        attributes: Mapping[str, Mapping[str, str]] | None,
        group_id: str,
        dedup_id: str | None,
        *,
        trace: str | None = None,
    ) -> None:
        """A record for a FIFO queue, in a message group (a FIFO topic's message to its
        FIFO queue subscription): durably stored once this returns, deduplicated by
        ``dedup_id`` (else the body's SHA-256, as content-based deduplication does).
        Raises QueueDoesNotExist, InvalidParameterValue (a body or attributes the queue
        refuses), and UnsupportedOperation for a standard queue."""
        name = self.name_of_arn(arn)
        if name is None or name not in self._queues:
            raise QueueDoesNotExist(f"The specified queue does not exist: {arn}")
        if not self._queues[name].queue.fifo:
            raise UnsupportedOperation(f"{arn} is not a FIFO queue.")
        dedup = dedup_id or hashlib.sha256(body.encode()).hexdigest()
        await self.send(
            name,
            SendRequest(
                body=body,
                attributes=attributes,
                system=_traced(trace),
                group_id=group_id,
                dedup_id=dedup,
            ),
        )

    # --- queues --------------------------------------------------------------------------

    async def create_queue(self, name: Any, attributes: Any = None, tags: Any = None) -> Queue:
        if not isinstance(name, str) or not name:
            raise MissingParameter("The request must contain the parameter QueueName.")
        given = queue_attributes.string_map(attributes, "Attributes")
        wanted = queue_attributes.for_create(name, given)
        checked_tags = queue_attributes.check_tags(tags)
        async with self._admin:
            existing = self._queues.get(name)
            if existing is not None:
                for key in given:
                    if wanted.get(key, "") != existing.queue.attributes.get(key, ""):
                        raise QueueNameExists(
                            "A queue already exists with the same name and a different "
                            f"value for attribute {key}"
                        )
                return existing.queue
            now = self.now_ms()
            if now - self._deleted.get(name, -DELETED_RECENTLY_MS) < DELETED_RECENTLY_MS:
                raise QueueDeletedRecently(
                    "You must wait 60 seconds after deleting a queue before you can create "
                    "another with the same name."
                )
            self._check_redrive(name, wanted)
            queue = Queue(
                name=name, attributes=wanted, tags=checked_tags, created_ms=now, modified_ms=now
            )

            def applied() -> Queue:
                self._queues[name] = QueueState(queue)
                return queue

            result: Queue = await self._write([PutQueue(queue)], applied)
            return result

    def list_queues(self, prefix: str = "") -> list[str]:
        return sorted(n for n in self._queues if n.startswith(prefix))

    async def delete_queue(self, name: str) -> None:
        async with self._admin:
            self._state(name)

            def applied() -> None:
                self._queues.pop(name, None)
                self._fifo_sends.pop(name, None)
                self._deleted[name] = self.now_ms()
                self._wake(name)

            await self._write([DropQueue(name)], applied)

    def get_attributes(self, name: str, names: Any) -> dict[str, str]:
        state = self._state(name)
        queue = state.queue
        wanted = set(queue_attributes.check_names(names, queue.fifo))
        every = "All" in wanted
        out: dict[str, str] = {}
        if every or wanted & {
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        }:
            visible, in_flight, delayed = state.counts(self.now_ms())
            computed = {
                "ApproximateNumberOfMessages": visible,
                "ApproximateNumberOfMessagesNotVisible": in_flight,
                "ApproximateNumberOfMessagesDelayed": delayed,
            }
            out.update({k: str(v) for k, v in computed.items() if every or k in wanted})
        timestamps = {
            "CreatedTimestamp": queue.created_ms // 1000,
            "LastModifiedTimestamp": queue.modified_ms // 1000,
        }
        out.update({k: str(v) for k, v in timestamps.items() if every or k in wanted})
        if every or "QueueArn" in wanted:
            out["QueueArn"] = self.arn(name)
        for key, value in queue.attributes.items():
            if every or key in wanted:
                out[key] = value
        return out

    async def set_attributes(self, name: str, attributes: Any) -> None:
        given = queue_attributes.string_map(attributes, "Attributes")
        if not given:
            raise MissingParameter("The request must contain the parameter Attributes.")
        async with self._admin:
            state = self._state(name)
            new = queue_attributes.for_set(state.queue.attributes, given, state.queue.fifo)
            if "RedrivePolicy" in given:
                self._check_redrive(name, new)
            queue = dataclasses.replace(state.queue, attributes=new, modified_ms=self.now_ms())
            await self._put_queue(state, queue)

    async def _put_queue(self, state: QueueState, queue: Queue) -> None:
        def applied() -> None:
            state.queue = queue
            self._wake(queue.name)

        await self._write([PutQueue(queue)], applied)

    def _check_redrive(self, name: str, attributes: Mapping[str, str]) -> None:
        raw = attributes.get("RedrivePolicy", "")
        policy = queue_attributes.parse_redrive(raw)
        if policy is None:
            return

        def bad(reason: str) -> InvalidParameterValue:
            return InvalidParameterValue(
                f"Value {raw} for parameter RedrivePolicy is invalid. Reason: {reason}"
            )

        target_name = self.name_of_arn(policy.dead_letter_arn)
        target = self._queues.get(target_name) if target_name else None
        if target is None:
            raise bad("Dead letter target does not exist.")
        fifo = attributes.get("FifoQueue") == "true"
        if target.queue.fifo != fifo:
            raise bad("Dead-letter queue must be same type of queue as the source.")
        allow = target.queue.attributes.get("RedriveAllowPolicy", "")
        if allow:
            import json

            document = json.loads(allow)
            permission = document.get("redrivePermission")
            if permission == "denyAll" or (
                permission == "byQueue"
                and self.arn(name) not in document.get("sourceQueueArns", [])
            ):
                raise bad(
                    f"Queue {policy.dead_letter_arn} does not allow this queue to use "
                    "it as a dead-letter queue."
                )

    def list_dead_letter_sources(self, name: str) -> list[str]:
        self._state(name)
        arn = self.arn(name)
        return sorted(
            n
            for n, s in self._queues.items()
            if (p := s.redrive_policy()) is not None and p.dead_letter_arn == arn
        )

    async def tag_queue(self, name: str, tags: Any) -> None:
        given = queue_attributes.check_tags(tags)
        if not given:
            raise MissingParameter("The request must contain the parameter Tags.")
        async with self._admin:
            state = self._state(name)
            merged = {**state.queue.tags, **given}
            if len(merged) > queue_attributes.MAX_TAGS:
                raise InvalidParameterValue(f"Too many tags added for queue {name}.")
            await self._put_queue(state, dataclasses.replace(state.queue, tags=merged))

    async def untag_queue(self, name: str, keys: Any) -> None:
        if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
            raise MissingParameter("The request must contain the parameter TagKeys.")
        async with self._admin:
            state = self._state(name)
            kept = {k: v for k, v in state.queue.tags.items() if k not in keys}
            await self._put_queue(state, dataclasses.replace(state.queue, tags=kept))

    def list_tags(self, name: str) -> dict[str, str]:
        return dict(self._state(name).queue.tags)

    async def purge(self, name: str) -> None:
        async with self._admin:
            state = self._state(name)
            now = self.now_ms()
            if now - state.queue.purged_ms < PURGE_INTERVAL_MS:
                raise PurgeQueueInProgress(
                    f"Only one PurgeQueue operation on {name} is allowed every 60 seconds."
                )
            queue = dataclasses.replace(state.queue, purged_ms=now)

            def applied() -> None:
                state.clear()
                state.queue = queue
                self._wake(name)

            await self._write([DropAllMessages(name), PutQueue(queue)], applied)

    # --- sending -------------------------------------------------------------------------

    async def send(self, name: str, request: SendRequest) -> Sent:
        result = (await self.send_batch(name, [request]))[0]
        if isinstance(result, Exception):
            raise result
        return result

    async def send_batch(self, name: str, requests: list[SendRequest]) -> list[Sent | QueueError]:
        """Send each request; per request, what was sent or why it was refused. The
        accepted ones are written together, in order."""
        state = self._state(name)
        if not state.queue.fifo:
            return await self._send_planned(state, requests)
        # FIFO: sends are planned and written one batch at a time, so that the
        # deduplication window sees every earlier send and the order is the send order.
        lock = self._fifo_sends.setdefault(name, asyncio.Lock())
        async with lock:
            if self._queues.get(name) is not state:
                raise QueueDoesNotExist()
            return await self._send_planned(state, requests)

    async def _send_planned(
        self, state: QueueState, requests: list[SendRequest]
    ) -> list[Sent | QueueError]:
        now = self.now_ms()
        results: list[Sent | QueueError] = []
        plan: list[QueueChange] = []
        messages: list[Message] = []
        dedups: list[Dedup] = []
        seen: dict[str, Sent] = {}
        for request in requests:
            try:
                outcome = plan_send(
                    state.queue,
                    state.dedups,
                    request,
                    now,
                    seen,
                    self._next_seq,
                    self._account.account_id,
                )
            except QueueError as error:
                results.append(error)
                continue
            sent, message, dedup = outcome
            results.append(sent)
            if message is not None:
                messages.append(message)
                plan.append(PutMessage(message))
            if dedup is not None:
                dedups.append(dedup)
                plan.append(PutDedup(dedup))
                seen[dedup.key] = sent

        def applied() -> list[Sent | QueueError]:
            if self._queues.get(state.queue.name) is state:
                for message in messages:
                    state.add(message)
                for dedup in dedups:
                    state.dedups[dedup.key] = dedup
                self._wake(state.queue.name)
            return results

        written: list[Sent | QueueError] = await self._write(plan, applied)
        return written

    # --- receiving -----------------------------------------------------------------------

    async def receive(
        self, name: str, max_number: Any = None, visibility: Any = None, wait: Any = None
    ) -> list[Received]:
        """Up to ``max_number`` messages, waiting up to ``wait`` seconds (the queue's
        ReceiveMessageWaitTimeSeconds by default) for the first to be there."""
        limit = (
            check_int(
                "MaxNumberOfMessages", max_number, 1, 10, "Must be between 1 and 10, if provided."
            )
            or 1
        )
        timeout = check_int(
            "VisibilityTimeout", visibility, 0, 43200, "Must be >= 0 and <= 43200, if provided."
        )
        waiting = check_int("WaitTimeSeconds", wait, 0, 20, "Must be >= 0 and <= 20, if provided.")
        state = self._state(name)
        if waiting is None:
            waiting = state.queue.number("ReceiveMessageWaitTimeSeconds")
        return await self.receive_up_to(name, limit, timeout, waiting)

    async def receive_up_to(
        self, name: str, limit: int, timeout: int | None, waiting: float
    ) -> list[Received]:
        """``receive`` without SQS's limits on its arguments (event source mappings take
        batches of up to 10,000): up to ``limit`` messages, hidden for ``timeout``
        seconds (None: the queue's VisibilityTimeout), waiting up to ``waiting``
        seconds for the first. [] if the queue is gone or the server is stopping."""
        deadline = self._clock.now() + waiting
        while True:
            if name not in self._queues:
                return []
            state = self._state(name)
            seconds = timeout if timeout is not None else state.queue.number("VisibilityTimeout")
            received, worked = await self._receive_once(state, limit, seconds)
            if received or self._closing:
                return received
            if worked:
                continue  # it only redrove or dropped messages: look again at once
            remaining = deadline - self._clock.now()
            if remaining <= 0:
                return []
            now = self.now_ms()
            wake = state.next_wake_ms(now)
            if wake is not None:
                remaining = min(remaining, (wake - now) / 1000 + 0.001)
            event = self._events.setdefault(name, asyncio.Event())
            await self._clock.wait(event, remaining)
            if name not in self._queues:
                return []

    async def _receive_once(
        self, state: QueueState, limit: int, visibility: int
    ) -> tuple[list[Received], bool]:
        name = state.queue.name
        now = self.now_ms()
        policy = state.redrive_policy()
        target: QueueState | None = None
        if policy is not None:
            target_name = self.name_of_arn(policy.dead_letter_arn)
            target = self._queues.get(target_name) if target_name else None
            if target is not None and target.queue.fifo != state.queue.fifo:
                target = None
        pick = state.pick(now, limit, policy.max_receive_count if policy and target else None)
        picked = pick.messages()
        if not picked:
            return [], False
        ids = [m.id for m in picked]
        state.busy.update(ids)
        plan = plan_receive(
            name,
            pick,
            now,
            visibility,
            target.queue.name if target is not None else None,
            self.arn(name),
            self._next_seq,
        )
        deliveries, moved, dropped = plan.deliveries, plan.moved, plan.dropped

        def applied() -> list[Received]:
            state.busy.difference_update(ids)
            if self._queues.get(name) is not state:
                return []
            out: list[Received] = []
            for delivery in deliveries:
                live = state.messages.get(delivery.id)
                if live is None:
                    continue
                live.visible_ms = delivery.visible_ms
                live.receive_count = delivery.receive_count
                live.first_receive_ms = delivery.first_receive_ms
                live.receipt = delivery.receipt
                state.index(live)
                out.append(
                    Received(
                        dataclasses.replace(live),
                        make_handle(name, live.id, live.receipt),
                        state.queue.fifo,
                    )
                )
            for message_id in dropped:
                state.remove(message_id)
            if target is not None and moved and self._queues.get(target.queue.name) is target:
                for copy in moved:
                    target.add(copy)
                self._wake(target.queue.name)
            if dropped:
                self._wake(name)
            return out

        def failed() -> None:
            state.busy.difference_update(ids)
            state.restore(pick.popped)

        received: list[Received] = await self._write(plan.changes, applied, failed)
        return received, True

    # --- deleting and visibility ---------------------------------------------------------

    def _message_of(self, state: QueueState, handle: Any) -> tuple[Message | None, str]:
        queue, message_id, token = parse_handle(handle)
        if queue != state.queue.name:
            raise ReceiptHandleIsInvalid(
                f'The input receipt handle "{handle}" is not a valid receipt handle.'
            )
        return state.messages.get(message_id), token

    async def delete(self, name: str, handle: Any) -> None:
        result = (await self.delete_batch(name, [handle]))[0]
        if result is not None:
            raise result

    async def delete_batch(self, name: str, handles: list[Any]) -> list[QueueError | None]:
        state = self._state(name)
        now = self.now_ms()
        results: list[QueueError | None] = []
        doomed: list[str] = []
        for handle in handles:
            try:
                message, token = self._message_of(state, handle)
                if message is not None and message.receipt == token:
                    if state.queue.fifo and not message.in_flight(now):
                        raise self._expired_handle(handle)
                    doomed.append(message.id)
                elif message is not None and state.queue.fifo:
                    raise self._expired_handle(handle)
                # Else it is gone already, or a stale handle of a standard queue: the
                # request succeeds and the message stays with its latest receiver.
            except QueueError as error:
                results.append(error)
            else:
                results.append(None)
        if not doomed:
            return results

        def applied() -> list[QueueError | None]:
            if self._queues.get(name) is state:
                for message_id in doomed:
                    state.remove(message_id)
                self._wake(name)
            return results

        written: list[QueueError | None] = await self._write(
            [DropMessages(name, tuple(doomed))], applied
        )
        return written

    @staticmethod
    def _expired_handle(handle: Any) -> InvalidParameterValue:
        return InvalidParameterValue(
            f"Value {handle} for parameter ReceiptHandle is invalid. "
            "Reason: The receipt handle has expired."
        )

    async def change_visibility(self, name: str, handle: Any, timeout: Any) -> None:
        result = (await self.change_visibility_batch(name, [(handle, timeout)]))[0]
        if result is not None:
            raise result

    async def change_visibility_batch(
        self, name: str, entries: list[tuple[Any, Any]]
    ) -> list[QueueError | None]:
        state = self._state(name)
        now = self.now_ms()
        results: list[QueueError | None] = []
        changes: list[PutDelivery] = []
        for handle, timeout in entries:
            try:
                if timeout is None:
                    raise MissingParameter(
                        "The request must contain the parameter VisibilityTimeout."
                    )
                seconds = check_int(
                    "VisibilityTimeout",
                    timeout,
                    0,
                    43200,
                    "Must be >= 0 and <= 43200, if provided.",
                )
                assert seconds is not None
                message, token = self._message_of(state, handle)
                if message is None or message.receipt != token:
                    raise InvalidParameterValue(
                        f"Value {handle} for parameter ReceiptHandle is invalid. Reason: "
                        "Message does not exist or is not available for visibility timeout "
                        "change."
                    )
                if not message.in_flight(now):
                    raise MessageNotInflight("The message is not in flight.")
                changes.append(
                    PutDelivery(
                        name,
                        message.id,
                        now + seconds * 1000,
                        message.receive_count,
                        message.first_receive_ms,
                        message.receipt,
                    )
                )
            except QueueError as error:
                results.append(error)
            else:
                results.append(None)

        def applied() -> list[QueueError | None]:
            if self._queues.get(name) is state:
                for change in changes:
                    live = state.messages.get(change.id)
                    if live is not None and live.receipt == change.receipt:
                        live.visible_ms = change.visible_ms
                        state.index(live)
                self._wake(name)
            return results

        written: list[QueueError | None] = await self._write(changes, applied)
        return written

    # --- sweeps --------------------------------------------------------------------------

    async def _sweep_forever(self) -> None:
        while True:
            await self._clock.sleep(SWEEP_INTERVAL)
            try:
                await self.sweep()
            except Exception:
                log.exception("queue sweep failed")

    async def sweep(self) -> None:
        """Drop messages past their retention period and deduplication ids past their
        window, in one plan."""
        now = self.now_ms()
        plan: list[QueueChange] = []
        doomed: list[tuple[QueueState, list[str]]] = []
        stale_dedups = False
        for state in list(self._queues.values()):
            ids = [
                m.id
                for m in state.messages.values()
                if state.expired(m, now) and m.id not in state.busy
            ]
            if ids:
                doomed.append((state, ids))
                plan.append(DropMessages(state.queue.name, tuple(ids)))
            stale_dedups = stale_dedups or any(d.expires_ms <= now for d in state.dedups.values())
        if stale_dedups:
            plan.append(DropDedups(now))
        self._deleted = {n: t for n, t in self._deleted.items() if now - t < DELETED_RECENTLY_MS}

        def applied() -> None:
            for state, ids in doomed:
                for message_id in ids:
                    state.remove(message_id)
            for state in self._queues.values():
                for key in [k for k, d in state.dedups.items() if d.expires_ms <= now]:
                    del state.dedups[key]

        await self._write(plan, applied)


def _traced(trace: str | None) -> dict[str, dict[str, str]] | None:
    """A record's X-Ray trace header as the message's ``AWSTraceHeader`` system
    attribute (what SendMessage's ``MessageSystemAttributes`` carry)."""
    if not trace:
        return None
    return {"AWSTraceHeader": {"DataType": "String", "StringValue": trace}}

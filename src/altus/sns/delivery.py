"""The delivery worker: hands each pending delivery to its endpoint, deletes it once the
endpoint has the message, retries a failure on its protocol's schedule, and gives up
(to the subscription's dead-letter queue, or the log) when the schedule is spent or the
failure is one no retry can mend (the function's policy refuses SNS, the queue is gone).

Deliveries wait in memory in a heap by due time, mirrored by their rows in the store;
a publish adds them once they are written and wakes the worker, so a delivery starts
at once at low load instead of at the next poll. At most ``CONCURRENCY`` attempts run at
a time. A FIFO topic's deliveries go one at a time per subscription and message group,
in the order they were published: a retrying one holds the ones after it back.

Each end (delivered, retried, given up) is a plan written through the component's group
commit before memory follows it. A crash loses no delivery: what was not yet deleted is
loaded again and tried again (so an endpoint may get a message twice, as SNS's
at-least-once delivery allows).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import heapq
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Protocol

from altus.clock import Clock
from altus.sns.model import Change, Delivery, DropDelivery, DropMessage, Message, PutDelivery

log = logging.getLogger(__name__)

#: Attempts running at once.
CONCURRENCY = 64
#: Attempts running at once for one subscription: a slow endpoint with many messages due
#: holds at most this many of the slots, and the others' deliveries go on.
PER_SUBSCRIPTION = 16
#: A dead-letter queue that cannot take a message now is tried again this often, until
#: the message is as old as a queue could keep it (SQS's longest retention).
DEAD_LETTER_RETRY_S = 60.0
DEAD_LETTER_HORIZON_MS = 14 * 24 * 3600 * 1000


class Undeliverable(Exception):
    """An attempt failed. ``permanent``: trying again cannot help (SNS's client-side
    errors: the endpoint refuses SNS, or is gone)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


class Sender(Protocol):
    """What the worker delivers through (``altus.sns.endpoints``)."""

    async def send(self, delivery: Delivery, message: Message) -> None:
        """Hand ``message`` to the delivery's endpoint, durably where the endpoint is
        durable; return quietly if there is nothing to deliver any more (the
        subscription went). Raises Undeliverable."""
        ...

    def retry_delay(self, delivery: Delivery, message: Message, retry: int) -> float | None:
        """Seconds before retry number ``retry``; None once the policy is spent."""
        ...

    async def give_up(self, delivery: Delivery, message: Message, why: str) -> None:
        """The delivery is abandoned: send it to the dead-letter queue, or log it.
        Raises Undeliverable where the dead-letter queue cannot take it (``permanent``:
        it never will)."""
        ...


Write = Callable[[Sequence[Change], Callable[[], object]], Awaitable[object]]


class Deliveries:
    def __init__(self, sender: Sender, clock: Clock, write: Write) -> None:
        self._sender = sender
        self._clock = clock
        self._write = write
        self._heap: list[tuple[int, int]] = []
        self._pending: dict[int, Delivery] = {}
        self._messages: dict[str, Message] = {}
        #: Pending deliveries per message: the message is deleted with its last one.
        self._refs: dict[str, set[int]] = {}
        #: FIFO lanes: the delivery that holds each, and those waiting behind it.
        self._holders: dict[tuple[str, str], int] = {}
        self._waiting: dict[tuple[str, str], list[int]] = {}
        self._running: set[asyncio.Task[None]] = set()
        #: Attempts under way per subscription, and the due deliveries held back while
        #: their subscription has PER_SUBSCRIPTION running.
        self._busy: dict[str, int] = {}
        self._held: dict[str, list[tuple[int, int]]] = {}
        self._wake = asyncio.Event()
        self._closing = False
        self._worker: asyncio.Task[None] | None = None
        #: Counts, for tests and the log: delivered, retried, given up.
        self.delivered = 0
        self.retried = 0
        self.abandoned = 0

    # --- what is pending -----------------------------------------------------------------

    def add(self, message: Message, deliveries: Iterable[Delivery]) -> None:
        """Deliveries now written to the store: they are due."""
        self._messages[message.id] = message
        for delivery in deliveries:
            self._pending[delivery.seq] = delivery
            self._refs.setdefault(message.id, set()).add(delivery.seq)
            heapq.heappush(self._heap, (delivery.due_ms, delivery.seq))
        self._wake.set()

    def forget(self, subscriptions: set[str]) -> None:
        """The pending deliveries to these subscriptions went with them (the store
        dropped them): memory follows."""
        for seq in [s for s, d in self._pending.items() if d.subscription in subscriptions]:
            self._remove(seq)

    def pending(self) -> list[Delivery]:
        return sorted(self._pending.values(), key=lambda d: d.seq)

    def _remove(self, seq: int) -> bool:
        """Forget a delivery; whether it was its message's last."""
        delivery = self._pending.pop(seq, None)
        if delivery is None:
            return False
        self._release(delivery, seq)
        refs = self._refs.get(delivery.message_id)
        last = False
        if refs is not None:
            refs.discard(seq)
            if not refs:
                del self._refs[delivery.message_id]
                self._messages.pop(delivery.message_id, None)
                last = True
        return last

    # --- life ----------------------------------------------------------------------------

    def start(self) -> None:
        self._worker = asyncio.get_running_loop().create_task(self._run())

    def interrupt(self) -> None:
        self._closing = True
        self._wake.set()

    async def close(self) -> None:
        """Stop; attempts under way are cut short (their rows stay: tried again after a
        restart)."""
        self.interrupt()
        tasks = [*self._running, *([self._worker] if self._worker else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # --- the worker ----------------------------------------------------------------------

    async def _run(self) -> None:
        while not self._closing:
            self._wake.clear()
            now = int(self._clock.now() * 1000)
            self._start_due(now)
            timeout: float | None = None
            if self._heap and len(self._running) < CONCURRENCY:
                timeout = max(self._heap[0][0] - now, 0) / 1000
            await self._clock.wait(self._wake, timeout)

    def _start_due(self, now: int) -> None:
        while self._heap and self._heap[0][0] <= now and len(self._running) < CONCURRENCY:
            due, seq = heapq.heappop(self._heap)
            delivery = self._pending.get(seq)
            if delivery is None or delivery.due_ms != due:
                continue  # gone, or re-queued for another time
            lane = self._lane(delivery)
            if lane is not None:
                holder = self._holders.setdefault(lane, seq)
                if holder != seq:
                    waiting = self._waiting.setdefault(lane, [])
                    if seq not in waiting:
                        heapq.heappush(waiting, seq)
                    continue
            subscription = delivery.subscription
            if self._busy.get(subscription, 0) >= PER_SUBSCRIPTION:
                heapq.heappush(self._held.setdefault(subscription, []), (due, seq))
                continue
            self._busy[subscription] = self._busy.get(subscription, 0) + 1
            task = asyncio.get_running_loop().create_task(self._attempt(delivery))
            self._running.add(task)
            task.add_done_callback(functools.partial(self._finished, subscription=subscription))

    def _finished(self, task: asyncio.Task[None], subscription: str) -> None:
        self._running.discard(task)
        busy = self._busy.get(subscription, 1) - 1
        if busy:
            self._busy[subscription] = busy
        else:
            self._busy.pop(subscription, None)
        held = self._held.get(subscription)
        if held:
            heapq.heappush(self._heap, heapq.heappop(held))
            if not held:
                del self._held[subscription]
        self._wake.set()
        if not task.cancelled() and task.exception() is not None:
            log.warning("an SNS delivery attempt failed", exc_info=task.exception())

    def _lane(self, delivery: Delivery) -> tuple[str, str] | None:
        message = self._messages.get(delivery.message_id)
        if message is None or message.sequence is None or message.group_id is None:
            return None
        return delivery.subscription, message.group_id

    def _release(self, delivery: Delivery, seq: int) -> None:
        """If it held a FIFO lane, the next in that lane is due now."""
        message = self._messages.get(delivery.message_id)
        if message is None or message.group_id is None:
            return
        lane = (delivery.subscription, message.group_id)
        if self._holders.get(lane) != seq:
            return
        del self._holders[lane]
        waiting = self._waiting.get(lane)
        while waiting:
            following = heapq.heappop(waiting)
            after = self._pending.get(following)
            if after is not None:
                heapq.heappush(self._heap, (after.due_ms, following))
                break
        if not waiting:
            self._waiting.pop(lane, None)
        self._wake.set()

    async def _attempt(self, delivery: Delivery) -> None:
        message = self._messages.get(delivery.message_id)
        if message is None:
            await self._end(delivery)
            return
        try:
            await self._sender.send(delivery, message)
        except Undeliverable as failure:
            await self._failed(delivery, message, failure)
        except Exception as error:  # a bug in a sender: retried like any failure
            log.exception("delivering SNS message %s failed unexpectedly", message.id)
            await self._failed(delivery, message, Undeliverable(repr(error)))
        else:
            self.delivered += 1
            await self._end(delivery)

    async def _failed(self, delivery: Delivery, message: Message, failure: Undeliverable) -> None:
        retry = delivery.attempts + 1
        delay = None if failure.permanent else self._sender.retry_delay(delivery, message, retry)
        if delay is None:
            try:
                await self._sender.give_up(delivery, message, failure.message)
            except Undeliverable as refused:
                # The dead-letter queue cannot take it now: kept, and tried again later
                # (the endpoint first, then the queue), unless no retry can mend it.
                age = int(self._clock.now() * 1000) - message.timestamp_ms
                if not refused.permanent and age < DEAD_LETTER_HORIZON_MS:
                    await self._again(delivery, retry, DEAD_LETTER_RETRY_S)
                    return
            except Exception:
                log.warning("giving up SNS delivery %d failed", delivery.seq, exc_info=True)
            self.abandoned += 1
            await self._end(delivery)
            return
        self.retried += 1
        await self._again(delivery, retry, delay)

    async def _again(self, delivery: Delivery, retry: int, delay: float) -> None:
        """Try the delivery again in ``delay`` seconds (written first, where it can be)."""
        due = int(self._clock.now() * 1000 + delay * 1000)
        again = dataclasses.replace(delivery, attempts=retry, due_ms=due)

        def applied() -> None:
            if delivery.seq in self._pending:
                self._pending[delivery.seq] = again
                heapq.heappush(self._heap, (due, delivery.seq))
                self._wake.set()

        try:
            await self._write([PutDelivery(again)], applied)
        except Exception:
            # Not written: retried all the same from memory (the row keeps the last
            # attempt written, which a restart would retry from).
            log.warning("could not record a retry of SNS delivery %d", delivery.seq)
            applied()

    async def _end(self, delivery: Delivery) -> None:
        """The delivery is over: delete its row (and its message's, if it was the last).
        Memory forgets it first, so nothing tries it again meanwhile; if the store fails,
        the row stays and a restart delivers it again."""
        message_id = delivery.message_id
        last = self._remove(delivery.seq)
        plan: list[Change] = [DropDelivery(delivery.seq)]
        if last:
            plan.append(DropMessage(message_id))
        try:
            await self._write(plan, _nothing)
        except Exception:
            log.warning("could not delete the ended SNS delivery %d", delivery.seq)


def _nothing() -> None:
    return None

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

import dataclasses
import heapq
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Protocol

from altus.clock import Clock
from altus.engine.due import DueWorker
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


class Deliveries(DueWorker[Delivery]):
    _log = log
    _crash_message = "an SNS delivery attempt failed"

    def __init__(self, sender: Sender, clock: Clock, write: Write) -> None:
        super().__init__(clock, CONCURRENCY)
        self._sender = sender
        self._write = write
        self._messages: dict[str, Message] = {}
        #: Pending deliveries per message: the message is deleted with its last one.
        self._refs: dict[str, set[int]] = {}
        #: FIFO lanes: the delivery that holds each, and those waiting behind it.
        self._holders: dict[tuple[str, str], int] = {}
        self._waiting: dict[tuple[str, str], list[int]] = {}
        #: Attempts under way per subscription, and the due deliveries held back while
        #: their subscription has PER_SUBSCRIPTION running.
        self._busy: dict[str, int] = {}
        self._held: dict[str, list[tuple[int, int]]] = {}
        #: Counts, for tests and the log: delivered, retried, given up.
        self.delivered = 0
        self.retried = 0
        self.abandoned = 0

    # --- what is pending -----------------------------------------------------------------

    def add(self, message: Message, deliveries: Iterable[Delivery]) -> None:
        """Deliveries now written to the store: they are due."""
        self._messages[message.id] = message
        for delivery in deliveries:
            self._refs.setdefault(message.id, set()).add(delivery.seq)
            self._schedule(delivery)
        self._wake.set()

    def forget(self, subscriptions: set[str]) -> None:
        """The pending deliveries to these subscriptions went with them (the store
        dropped them): memory follows."""
        for seq in [s for s, d in self._pending.items() if d.subscription in subscriptions]:
            self._remove(seq)

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

    # --- the worker's hooks ---------------------------------------------------------------

    def _admit(self, delivery: Delivery) -> bool:
        """A FIFO lane's deliveries go one at a time (the others wait behind its holder),
        and a subscription has at most PER_SUBSCRIPTION under way (the others are held)."""
        seq = delivery.seq
        lane = self._lane(delivery)
        if lane is not None:
            holder = self._holders.setdefault(lane, seq)
            if holder != seq:
                waiting = self._waiting.setdefault(lane, [])
                if seq not in waiting:
                    heapq.heappush(waiting, seq)
                return False
        subscription = delivery.subscription
        if self._busy.get(subscription, 0) >= PER_SUBSCRIPTION:
            heapq.heappush(self._held.setdefault(subscription, []), (delivery.due_ms, seq))
            return False
        self._busy[subscription] = self._busy.get(subscription, 0) + 1
        return True

    def _released(self, delivery: Delivery) -> None:
        subscription = delivery.subscription
        busy = self._busy.get(subscription, 1) - 1
        if busy:
            self._busy[subscription] = busy
        else:
            self._busy.pop(subscription, None)
        held = self._held.get(subscription)
        if held:
            self._push(*heapq.heappop(held))
            if not held:
                del self._held[subscription]

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
                self._push(after.due_ms, following)
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
            self._requeue(again)

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

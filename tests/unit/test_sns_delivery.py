"""The SNS delivery worker (altus.sns.delivery) with a fake sender: one slow endpoint
cannot take every slot, and a dead-letter queue that cannot take a message now is tried
again rather than the message lost."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

import anyio

from altus.clock import FakeClock
from altus.sns.delivery import CONCURRENCY, Deliveries, Undeliverable
from altus.sns.model import NOTIFICATION, Change, Delivery, Message


def _message(id: str, timestamp_ms: int) -> Message:
    return Message(
        id, "arn:aws:sns:us-east-1:000000000000:t", NOTIFICATION, "hi", timestamp_ms=timestamp_ms
    )


async def _write(plan: Sequence[Change], applied: Callable[[], object]) -> object:
    return applied()


async def _until(check: Callable[[], bool], clock: FakeClock | None = None) -> None:
    for _ in range(2000):
        if check():
            return
        if clock is not None:
            clock.advance(1)
        await asyncio.sleep(0.001)
    raise AssertionError("never happened")


class Sender:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.slow = asyncio.Event()  # set: the slow endpoint answers
        self.dead_letter_refusals = 0
        self.dead_lettered: list[str] = []
        self.fail: set[str] = set()

    async def send(self, delivery: Delivery, message: Message) -> None:
        if delivery.subscription == "slow":
            await self.slow.wait()
        if delivery.subscription in self.fail:
            raise Undeliverable("endpoint down")
        self.sent.append((delivery.subscription, message.id))

    def retry_delay(self, delivery: Delivery, message: Message, retry: int) -> float | None:
        return None  # no retries: straight to giving up

    async def give_up(self, delivery: Delivery, message: Message, why: str) -> None:
        if self.dead_letter_refusals:
            self.dead_letter_refusals -= 1
            raise Undeliverable("dead-letter queue unavailable")
        self.dead_lettered.append(message.id)


def _run(body: Callable[[Deliveries, Sender, FakeClock], Awaitable[None]]) -> None:
    async def main() -> None:
        clock = FakeClock()
        sender = Sender()
        deliveries = Deliveries(sender, clock, _write)
        deliveries.start()
        try:
            await body(deliveries, sender, clock)
        finally:
            sender.slow.set()
            await deliveries.close()

    anyio.run(main)


def test_a_slow_subscription_holds_at_most_its_share_of_the_slots() -> None:
    async def body(deliveries: Deliveries, sender: Sender, clock: FakeClock) -> None:
        now = int(clock.now() * 1000)
        for i in range(CONCURRENCY + 10):
            message = _message(f"s{i}", now)
            deliveries.add(message, [Delivery(i, message.id, "slow", "http", "http://x")])
        fast = _message("f", now)
        deliveries.add(fast, [Delivery(1000, fast.id, "fast", "sqs", "arn")])
        await _until(lambda: ("fast", "f") in sender.sent)
        sender.slow.set()
        await _until(lambda: len(sender.sent) == (CONCURRENCY + 10) + 1)

    _run(body)


def test_a_dead_letter_queue_that_refuses_now_gets_the_message_later() -> None:
    async def body(deliveries: Deliveries, sender: Sender, clock: FakeClock) -> None:
        sender.fail.add("down")
        sender.dead_letter_refusals = 2
        message = _message("m", int(clock.now() * 1000))
        deliveries.add(message, [Delivery(1, message.id, "down", "sqs", "arn")])
        await _until(lambda: sender.dead_lettered == ["m"], clock)
        assert sender.dead_letter_refusals == 0
        assert deliveries.abandoned == 1 and not deliveries.pending()

    _run(body)

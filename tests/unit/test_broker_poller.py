"""The broker poller's rules, on the in-memory broker with a scripted function: batches
acknowledged only once the function is done with them, retries that keep order,
ReportBatchItemFailures, the on-failure destination, filters, and reconnecting."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from typing import Any

from altus.arns import Account
from altus.brokers.base import Endpoint, Subscription
from altus.brokers.memory import MemoryBroker
from altus.events import invoking
from altus.events.broker_poller import BrokerPoller
from altus.events.invoking import Outcome
from altus.events.mapping import ENABLED, EventSourceMapping
from altus.events.metrics import MappingMetrics

ACCOUNT = Account("us-east-1", "000000000000")
FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:f"
MAPPING = "5f3a0f8e-0000-4000-8000-000000000001"


class InstantClock:
    """Time that passes only as the poller sleeps, at once."""

    def __init__(self) -> None:
        self.time = 1_700_000_000.0

    def now(self) -> float:
        return self.time

    async def wait(self, event: asyncio.Event, timeout: float | None) -> bool:
        await asyncio.sleep(0)
        return event.is_set()

    async def sleep(self, seconds: float) -> None:
        self.time += seconds
        await asyncio.sleep(0)


class Function:
    """Answers each batch as ``answer`` says; keeps every batch's data."""

    def __init__(self, answer: Callable[[list[bytes]], Outcome]) -> None:
        self.batches: list[list[bytes]] = []
        self._answer = answer

    async def invoke(self, function_arn: str, payload: bytes) -> Outcome:
        records = json.loads(payload)["Records"]
        data = [base64.b64decode(r["memory"]["data"]) for r in records]
        self.batches.append(data)
        return self._answer(data)


def ok(data: list[bytes]) -> Outcome:
    return Outcome(invoking.OK, b"null")


def mapping(**changes: Any) -> EventSourceMapping:
    base = EventSourceMapping(
        uuid=MAPPING,
        function_arn=FUNCTION,
        event_source_arn="",
        source="redis",
        batch_size=3,
        window=0,
        window_given=True,
        enabled=True,
        state=ENABLED,
        state_reason="USER_INITIATED",
        last_modified=0.0,
        endpoints={"REDIS_URL": ["redis://127.0.0.1:6379"]},
        topics=("a",),
    )
    return base.replace(**changes)


class Run:
    def __init__(self, broker: MemoryBroker, function: Function, **changes: Any) -> None:
        self.broker = broker
        self.function = function
        self.mapping = mapping(**changes)
        self.troubles: list[tuple[str | None, str | None]] = []
        self.delivered: list[tuple[str, dict[str, Any]]] = []
        self.deliver_failures = 0
        self.metrics = MappingMetrics(self.mapping.uuid)

        async def subscription() -> Subscription:
            return Subscription(
                self.mapping.uuid,
                Endpoint("redis", "redis://127.0.0.1:6379"),
                self.mapping.topics,
                batch_size=self.mapping.batch_size,
            )

        async def deliver(function_arn: str, destination: str, body: str) -> None:
            if self.deliver_failures:
                self.deliver_failures -= 1
                raise OSError("the store is down")
            self.delivered.append((destination, json.loads(body)))

        self.poller = BrokerPoller(
            self.mapping,
            subscription,
            broker.connect,
            function,  # type: ignore[arg-type]
            self.metrics,
            InstantClock(),
            lambda result: None,
            lambda reason, result: self.troubles.append((reason, result)),
            deliver,
            ACCOUNT,
        )

    async def until(self, done: Callable[[], bool]) -> None:
        task = asyncio.create_task(self.poller.run())
        try:
            for _ in range(10_000):
                if done():
                    return
                await asyncio.sleep(0)
            raise AssertionError("the poller did not get there")
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


def publish(broker: MemoryBroker, *items: str, group: str = "a") -> None:
    for item in items:
        broker.publish(group, item.encode())


def test_batches_are_acknowledged_once_the_function_is_done_with_them() -> None:
    broker = MemoryBroker()
    publish(broker, "1", "2", "3", "4")
    run = Run(broker, Function(ok))
    asyncio.run(run.until(lambda: broker.acked(MAPPING, "a") == 4))
    assert run.function.batches == [[b"1", b"2", b"3"], [b"4"]]
    assert run.troubles[0] == (None, "No records processed")


def test_a_mapping_never_given_a_window_waits_half_a_second_for_a_fuller_batch() -> None:
    broker = MemoryBroker()
    publish(broker, "1")
    run = Run(broker, Function(ok), window_given=False)
    asyncio.run(run.until(lambda: len(broker.fetches) >= 2))
    # The first fetch idles for a message; the next fills the batch for up to 500 ms.
    assert broker.fetches[1] == (2, 0.5)

    broker = MemoryBroker()
    publish(broker, "1")
    run = Run(broker, Function(ok), window=0)
    asyncio.run(run.until(lambda: len(broker.fetches) >= 2))
    assert broker.fetches[1] == (2, 0.0)


def test_a_failed_batch_is_retried_in_order_before_anything_newer() -> None:
    broker = MemoryBroker()
    publish(broker, "1", "2", "3", "4")
    failures = iter([True, True, False])

    def flaky(data: list[bytes]) -> Outcome:
        if next(failures, False):
            return Outcome(invoking.FAILED, b'{"errorType":"E"}', function_error="Unhandled")
        return Outcome(invoking.OK, b"null")

    run = Run(broker, Function(flaky))
    asyncio.run(run.until(lambda: broker.acked(MAPPING, "a") == 4))
    assert run.function.batches == [[b"1", b"2", b"3"]] * 3 + [[b"4"]]
    assert run.metrics.batch_errors == 2


def test_reported_item_failures_acknowledge_what_came_before_and_retry_from_there() -> None:
    broker = MemoryBroker()
    publish(broker, "1", "2", "3")
    answers = iter([b'{"batchItemFailures": [{"itemIdentifier": "a:1"}]}'])

    def partial(data: list[bytes]) -> Outcome:
        return Outcome(invoking.OK, next(answers, b"{}"))

    run = Run(broker, Function(partial), report_item_failures=True)
    asyncio.run(run.until(lambda: broker.acked(MAPPING, "a") == 3))
    assert run.function.batches == [[b"1", b"2", b"3"], [b"2", b"3"]]


def test_after_the_last_retry_the_batch_goes_to_the_destination_with_its_event() -> None:
    broker = MemoryBroker()
    publish(broker, "bad", "next")

    def failing(data: list[bytes]) -> Outcome:
        if b"bad" in data:
            return Outcome(invoking.FAILED, b"{}", "req-1", "$LATEST", "E", "Unhandled")
        return Outcome(invoking.OK, b"null")

    run = Run(broker, Function(failing), batch_size=1, maximum_retries=2, on_failure="arn:q")
    run.deliver_failures = 2  # the store refuses twice: the batch is held, not lost
    asyncio.run(run.until(lambda: broker.acked(MAPPING, "a") == 2))
    assert run.function.batches == [[b"bad"]] * 3 + [[b"next"]]
    ((destination, record),) = run.delivered
    assert destination == "arn:q"
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["BrokerBatchInfo"]["batchSize"] == 1
    payload = record["payload"]["Records"][0]
    assert base64.b64decode(payload["memory"]["data"]) == b"bad"
    assert payload["awsRegion"] == "us-east-1"


def test_messages_no_filter_admits_are_acknowledged_unseen() -> None:
    broker = MemoryBroker()
    publish(broker, '{"k": 1}', '{"k": 2}', '{"k": 1}')
    run = Run(broker, Function(ok), filters=('{"data": {"k": [1]}}',))
    asyncio.run(run.until(lambda: broker.acked(MAPPING, "a") == 3))
    assert run.function.batches == [[b'{"k": 1}', b'{"k": 1}']]
    assert run.metrics.records_filtered == 1


def test_a_throttled_invoke_is_not_a_retry() -> None:
    broker = MemoryBroker()
    publish(broker, "1")
    answers = iter([invoking.THROTTLED] * 5)

    def throttled(data: list[bytes]) -> Outcome:
        return Outcome(next(answers, invoking.OK), b"null")

    run = Run(broker, Function(throttled), maximum_retries=0, on_failure="arn:q")
    asyncio.run(run.until(lambda: broker.acked(MAPPING, "a") == 1))
    assert len(run.function.batches) == 6
    assert run.delivered == []


def test_a_lost_connection_is_reported_and_what_was_in_hand_comes_again() -> None:
    broker = MemoryBroker()
    publish(broker, "1")
    seen: list[int] = []

    def drop_first(data: list[bytes]) -> Outcome:
        seen.append(1)
        if len(seen) == 1:
            broker.down = True  # the connection goes while the function runs
        return Outcome(invoking.OK, b"null")

    run = Run(broker, Function(drop_first))

    async def scenario() -> None:
        task = asyncio.create_task(run.poller.run())
        for _ in range(10_000):
            if any(result and "Connection error" in result for _, result in run.troubles):
                break
            await asyncio.sleep(0)
        else:
            raise AssertionError("the lost connection was not reported")
        assert broker.acked(MAPPING, "a") == 0  # the ack failed with the connection
        broker.down = False
        for _ in range(10_000):
            if broker.acked(MAPPING, "a") == 1:
                break
            await asyncio.sleep(0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(scenario())
    assert broker.acked(MAPPING, "a") == 1
    assert run.function.batches == [[b"1"], [b"1"]]
    assert broker.deliveries[("a", 0)] == 2


def test_a_broker_that_drops_each_connection_at_once_is_retried_ever_more_slowly() -> None:
    broker = MemoryBroker()
    broker.fail_fetches = True
    run = Run(broker, Function(ok))
    clock = run.poller._clock
    started = clock.now()
    asyncio.run(run.until(lambda: len(run.troubles) >= 6))
    # 1 + 2 + 4 + 8 + 16 seconds of pauses before the sixth try: none was reset by the
    # connections that opened.
    assert clock.now() - started >= 31
    assert all(
        reason is None and "Connection error" in str(result) for reason, result in run.troubles
    )


def test_an_unreadable_item_failure_response_fails_the_whole_batch() -> None:
    broker = MemoryBroker()
    publish(broker, "1", "2")
    answers = iter([b'{"batchItemFailures": [{"itemIdentifier": "nope"}]}'])

    def unknown(data: list[bytes]) -> Outcome:
        return Outcome(invoking.OK, next(answers, b"{}"))

    run = Run(broker, Function(unknown), report_item_failures=True)
    asyncio.run(run.until(lambda: broker.acked(MAPPING, "a") == 2))
    assert run.function.batches == [[b"1", b"2"], [b"1", b"2"]]


def test_a_batch_over_6_mb_is_split_and_a_message_over_it_handed_over_without_it() -> None:
    broker = MemoryBroker()
    big = "x" * (2 * 1024 * 1024)  # base64 in the record: about 2.7 MB each
    publish(broker, big, big, big, "y" * (5 * 1024 * 1024), "after")
    run = Run(broker, Function(ok), batch_size=10, on_failure="arn:q")
    asyncio.run(run.until(lambda: broker.acked(MAPPING, "a") == 5))
    assert [len(batch) for batch in run.function.batches] == [2, 1, 1]
    assert run.function.batches[-1] == [b"after"]
    ((_, record),) = run.delivered
    assert record["requestContext"]["condition"] == "RecordTooLarge"
    assert "payload" not in record
    assert record["BrokerBatchInfo"]["firstId"] == "a:3"

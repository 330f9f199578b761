"""EventBridge on a fake clock: deliveries retried with back-off until a target takes
them or the retry policy is spent (then to the dead-letter queue with the attributes
AWS documents), scheduled rules firing, and a schedule that came due while the server
was down firing once, never twice, after a restart on a SQLite file."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from altus.clock import FakeClock
from altus.eventbridge.model import Delivery, DropDelivery, SetFire
from altus.eventbridge.sql_store import delivery_config
from altus.platform import Platform
from altus.testing import Harness, wait_until
from tests.functional.stand_ins import Flaky, component_of

ACCOUNT = "000000000000"
MACHINE = f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:flaky"


def component(harness: Harness) -> Any:
    return component_of(harness, "events")


def next_fire(eb: Any, rule: str) -> int:
    found: int = eb.core.buses["default"].rules[rule].next_fire_ms
    return found


def queue(sqs: Any, name: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return url, arn


def messages(sqs: Any, url: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    ).get("Messages", [])
    return found


def test_failures_are_retried_with_back_off_then_dead_lettered() -> None:
    with Harness() as altus:
        eb = component(altus)
        flaky = Flaky(failures=2)
        eb.targets.register("states", flaky)
        events, sqs = altus.client("events"), altus.client("sqs")
        url, dlq = queue(sqs, "retries-dlq")
        events.put_rule(Name="retry", EventPattern='{"source": ["r"]}')
        events.put_targets(Rule="retry", Targets=[{"Id": "m", "Arn": MACHINE}])
        events.put_events(Entries=[{"Source": "r", "DetailType": "t", "Detail": '{"k": 1}'}])
        wait_until(lambda: eb.deliveries.retried == 1)
        assert flaky.received == []
        for _ in range(10):  # bounded: the second retry is due within 2 s
            altus.advance(1)
            if flaky.received:
                break
        wait_until(lambda: len(flaky.received) == 1)
        assert json.loads(flaky.received[0])["detail"] == {"k": 1}
        assert flaky.calls == 3

        # A policy of one retry is spent after two failures: to the DLQ.
        spent = Flaky(failures=5)
        eb.targets.register("states", spent)
        events.put_targets(
            Rule="retry",
            Targets=[
                {
                    "Id": "m",
                    "Arn": MACHINE,
                    "RetryPolicy": {"MaximumRetryAttempts": 1},
                    "DeadLetterConfig": {"Arn": dlq},
                }
            ],
        )
        events.put_events(Entries=[{"Source": "r", "DetailType": "t", "Detail": '{"k": 2}'}])
        wait_until(lambda: spent.calls == 1)
        for _ in range(10):
            altus.advance(1)
            if spent.calls == 2:
                break
        found = wait_until(lambda: messages(sqs, url))
        attributes = {k: v["StringValue"] for k, v in found[0]["MessageAttributes"].items()}
        assert attributes["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts"
        assert attributes["RETRY_ATTEMPTS"] == "1"
        assert attributes["ERROR_CODE"] == "INTERNAL_ERROR"
        assert attributes["TARGET_ARN"] == MACHINE
        assert json.loads(found[0]["Body"])["detail"] == {"k": 2}
        assert spent.calls == 2


def test_a_rate_rule_fires_the_scheduled_event() -> None:
    with Harness() as altus:
        eb = component(altus)
        events, sqs = altus.client("events"), altus.client("sqs")
        url, arn = queue(sqs, "ticks")
        rule = events.put_rule(Name="tick", ScheduleExpression="rate(1 minute)")["RuleArn"]
        events.put_targets(Rule="tick", Targets=[{"Id": "q", "Arn": arn}])
        assert messages(sqs, url) == []
        altus.advance(60)
        wait_until(lambda: eb.scheduler.fired == 1)
        [message] = wait_until(lambda: messages(sqs, url))
        event = json.loads(message["Body"])
        assert {k: event[k] for k in ("version", "detail-type", "source", "account")} == {
            "version": "0",
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": ACCOUNT,
        }
        assert event["resources"] == [rule] and event["detail"] == {}
        assert event["time"].endswith(":00Z")
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        events.disable_rule(Name="tick")
        due = next_fire(eb, "tick")
        altus.advance(61)
        # The disabled rule's time passed (its next one is stored) and sent nothing.
        wait_until(lambda: next_fire(eb, "tick") > due)
        assert messages(sqs, url) == []
        assert eb.scheduler.fired == 1


def test_a_missed_schedule_fires_once_after_a_restart(tmp_path: Path) -> None:
    clock = FakeClock()
    store = f"sqlite:{tmp_path / 'altus.db'}"
    with Harness(clock=clock, data_dir=tmp_path, store=store) as altus:
        events, sqs = altus.client("events"), altus.client("sqs")
        url, arn = queue(sqs, "catch-up")
        events.put_rule(Name="hourly", ScheduleExpression="rate(1 hour)")
        events.put_targets(Rule="hourly", Targets=[{"Id": "q", "Arn": arn}])
    clock.advance(5 * 3600 + 30)  # five fire times pass while the server is down
    with Harness(clock=clock, data_dir=tmp_path, store=store) as altus:
        eb = component(altus)
        sqs = altus.client("sqs")
        wait_until(lambda: eb.scheduler.fired == 1)
        [message] = wait_until(lambda: messages(sqs, url))
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        # One fire for the whole gap: the next time stored is the first one after now.
        assert clock.now() * 1000 < next_fire(eb, "hourly") <= (clock.now() + 3600) * 1000
    with Harness(clock=clock, data_dir=tmp_path, store=store) as altus:
        eb = component(altus)
        sqs = altus.client("sqs")
        # No fire is due: the restart fires nothing again, until the next time comes.
        assert next_fire(eb, "hourly") > clock.now() * 1000
        altus.advance(3600)
        wait_until(lambda: eb.scheduler.fired == 1)
        [message] = wait_until(lambda: messages(sqs, url))
        assert messages(sqs, url) == []


def patch_store(altus: Harness, refuse: Any) -> list[int]:
    """Make the EventBridge store refuse each write whose plans hold a change for which
    ``refuse(change)`` is true while ``calls[1]`` is 1; ``calls[0]`` counts refusals."""
    calls = [0, 1]

    async def patch(platform: Platform) -> None:
        core = platform.component("events").core
        real = core.store.apply

        async def failing(plans: Any) -> Any:
            if calls[1] and any(refuse(c) for plan in plans for c in plan):
                calls[0] += 1
                return [RuntimeError("disk full") for _ in plans]
            return await real(plans)

        core.store.apply = failing

    altus.call(patch)
    return calls


def settle(altus: Harness, eb: Any) -> None:
    """Let the event loop turn a few times, the scheduler looking at its rules."""

    async def turn(platform: Platform) -> None:
        eb.scheduler.wake()

    for _ in range(5):
        altus.call(turn)


def test_a_fire_that_cannot_be_written_backs_off() -> None:
    with Harness() as altus:
        eb = component(altus)
        events, sqs = altus.client("events"), altus.client("sqs")
        url, arn = queue(sqs, "backed-off")
        events.put_rule(Name="tick", ScheduleExpression="rate(1 minute)")
        events.put_targets(Rule="tick", Targets=[{"Id": "q", "Arn": arn}])
        calls = patch_store(altus, lambda change: isinstance(change, SetFire))
        altus.advance(61)
        wait_until(lambda: calls[0] == 1)
        settle(altus, eb)
        assert calls[0] == 1  # not tried again at once, however often it looks
        altus.advance(2)  # the first back-off
        wait_until(lambda: calls[0] == 2)
        calls[1] = 0  # the store mends
        altus.advance(4)  # the second back-off, doubled
        wait_until(lambda: eb.scheduler.fired == 1)
        [message] = wait_until(lambda: messages(sqs, url))
        assert json.loads(message["Body"])["detail-type"] == "Scheduled Event"


def test_a_delivery_whose_end_cannot_be_written_is_kept_and_tried_again() -> None:
    with Harness() as altus:
        eb = component(altus)
        target = Flaky(failures=0)
        eb.targets.register("states", target)
        events = altus.client("events")
        events.put_rule(Name="kept", EventPattern='{"source": ["k"]}')
        events.put_targets(Rule="kept", Targets=[{"Id": "m", "Arn": MACHINE}])
        calls = patch_store(altus, lambda change: isinstance(change, DropDelivery))
        events.put_events(Entries=[{"Source": "k", "DetailType": "t", "Detail": "{}"}])
        wait_until(lambda: calls[0] == 1)
        assert len(target.received) == 1
        assert len(eb.deliveries.pending()) == 1  # memory follows the store: still pending
        calls[1] = 0
        altus.advance(1)  # its back-off: delivered again (at least once), then ended
        wait_until(lambda: not eb.deliveries.pending())
        assert len(target.received) == 2


def test_a_hung_target_times_out_and_is_retried() -> None:
    class Hung:
        async def deliver(
            self,
            arn: str,
            body: str,
            attributes: Mapping[str, Mapping[str, str]] | None = None,
            *,
            trace: str | None = None,
        ) -> None:
            await asyncio.Event().wait()

    with Harness() as altus:
        eb = component(altus)
        eb.targets.register("states", Hung())
        eb.deliveries.timeout = 0.05
        events = altus.client("events")
        events.put_rule(Name="hung", EventPattern='{"source": ["h"]}')
        events.put_targets(Rule="hung", Targets=[{"Id": "m", "Arn": MACHINE}])
        events.put_events(Entries=[{"Source": "h", "DetailType": "t", "Detail": "{}"}])
        wait_until(lambda: eb.deliveries.retried == 1)
        assert len(eb.deliveries.pending()) == 1


def test_an_event_too_old_is_given_up_without_an_attempt(tmp_path: Path) -> None:
    clock = FakeClock()
    store = f"sqlite:{tmp_path / 'altus.db'}"
    with Harness(clock=clock, data_dir=tmp_path, store=store) as altus:
        eb = component(altus)
        eb.targets.register("states", Flaky(failures=100))
        events, sqs = altus.client("events"), altus.client("sqs")
        url, dlq = queue(sqs, "too-old-dlq")
        events.put_rule(Name="old", EventPattern='{"source": ["o"]}')
        target = {
            "Id": "m",
            "Arn": MACHINE,
            "RetryPolicy": {"MaximumEventAgeInSeconds": 60},
            "DeadLetterConfig": {"Arn": dlq},
        }
        events.put_targets(Rule="old", Targets=[target])
        events.put_events(Entries=[{"Source": "o", "DetailType": "t", "Detail": "{}"}])
        wait_until(lambda: eb.deliveries.retried == 1)
    clock.advance(120)  # the retry came due, and the event's age ran out, while down
    with Harness(clock=clock, data_dir=tmp_path, store=store) as altus:
        eb = component(altus)
        sqs = altus.client("sqs")
        [message] = wait_until(lambda: messages(sqs, url))
        attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
        assert attributes["EXHAUSTED_RETRY_CONDITION"] == "MaximumEventAgeInSeconds"
        assert attributes["RETRY_ATTEMPTS"] == "1"
        wait_until(lambda: not eb.deliveries.pending())


def test_a_delivery_row_without_its_event_is_deleted_at_start(tmp_path: Path) -> None:
    store = f"sqlite:{tmp_path / 'altus.db'}"
    with Harness(data_dir=tmp_path, store=store):
        pass
    orphan = Delivery(
        seq=7, event_id="gone", rule_arn="r", target_id="t", target_arn=MACHINE, input=None
    )
    with sqlite3.connect(tmp_path / "altus.db") as db:
        db.execute(
            "INSERT INTO eb_deliveries (seq, event_id, config, attempts, due_ms) "
            "VALUES (7, 'gone', ?, 0, 0)",
            (delivery_config(orphan),),
        )
    with Harness(data_dir=tmp_path, store=store) as altus:
        assert component(altus).deliveries.pending() == []
    with sqlite3.connect(tmp_path / "altus.db") as db:
        assert db.execute("SELECT count(*) FROM eb_deliveries").fetchone() == (0,)

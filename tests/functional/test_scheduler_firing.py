"""Scheduler on a fake clock: rate and cron schedules firing into a queue and a function,
at() once then deleted, time zones, flexible windows, start and end dates, retries then
the dead-letter queue, and an occurrence missed while the server was down firing once,
never twice, after a restart on a SQLite file; a crash between a fire and its delivery
handing it off once; nW in a restricted month; a fire the store refuses held back, not
spun on; a flexible window longer than the rate losing no occurrence; an update that
leaves the timing alone not starting a rate over; an attempt's own fault retried; an
occurrence caught up past its maximum age dead-lettered."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from altus.clock import FakeClock
from altus.platform import Platform
from altus.scheduler.model import PutDelivery
from altus.testing import Harness, wait_until
from tests.functional.stand_ins import Flaky, component_of

ACCOUNT = "000000000000"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/scheduler"
OFF = {"Mode": "OFF"}
MACHINE = f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:flaky"
UTC = datetime.UTC


def component(harness: Harness) -> Any:
    return component_of(harness, "scheduler")


def queue(sqs: Any, name: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return url, arn


def drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    """Every message waiting (deleted as read)."""
    found: list[dict[str, Any]] = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    ).get("Messages", [])
    for message in found:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return found


def settle(harness: Harness) -> None:
    """Wait until the ticker has nothing left to do now: no schedule due (or due but
    held back after a failed fire) and no fire under way. Read on the event loop, so
    a negative check after it is not a race with a fire that is about to happen."""

    async def settled(platform: Platform) -> bool:
        return bool(platform.component("scheduler").ticker.settled())

    wait_until(lambda: harness.call(settled))


def iso(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def now(harness: Harness) -> datetime.datetime:
    assert harness.clock is not None
    return datetime.datetime.fromtimestamp(harness.clock.now(), tz=UTC)


def test_a_rate_schedule_fires_into_a_queue_with_context_attributes() -> None:
    with Harness() as altus:
        scheduler, sqs = altus.client("scheduler"), altus.client("sqs")
        ticker = component(altus).ticker
        url, arn = queue(sqs, "ticks")
        schedule_arn = scheduler.create_schedule(
            Name="tick",
            ScheduleExpression="rate(1 minute)",
            Target={
                "Arn": arn,
                "RoleArn": ROLE,
                "Input": '{"arn": "<aws.scheduler.schedule-arn>", '
                '"at": "<aws.scheduler.scheduled-time>", '
                '"attempt": <aws.scheduler.attempt-number>}',
            },
            FlexibleTimeWindow=OFF,
        )["ScheduleArn"]
        # Without a StartDate a rate schedule starts at once.
        [first] = wait_until(lambda: drain(sqs, url))
        body = json.loads(first["Body"])
        assert body["arn"] == schedule_arn and body["attempt"] == 1
        assert body["at"] == now(altus).strftime("%Y-%m-%dT%H:%M:%SZ")
        altus.advance(59)
        settle(altus)
        assert ticker.fired == 1
        altus.advance(1)
        wait_until(lambda: ticker.fired == 2)
        assert len(wait_until(lambda: drain(sqs, url))) == 1
        scheduler.update_schedule(
            Name="tick",
            ScheduleExpression="rate(1 minute)",
            Target={"Arn": arn, "RoleArn": ROLE},
            FlexibleTimeWindow=OFF,
            State="DISABLED",
        )
        altus.advance(120)
        altus.advance(1)
        settle(altus)
        assert ticker.fired == 2


def test_a_cron_schedule_in_a_time_zone_invokes_a_function() -> None:
    with Harness() as altus:
        received: list[Any] = []
        altus.create_function("cronned", lambda event, context: received.append(event))
        ticker = component(altus).ticker
        zone = "Asia/Tokyo"
        local = now(altus).astimezone(datetime.timezone(datetime.timedelta(hours=9)))
        due = (local + datetime.timedelta(hours=1)).replace(minute=30, second=0, microsecond=0)
        function = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:cronned"
        altus.client("scheduler").create_schedule(
            Name="tokyo",
            ScheduleExpression=f"cron(30 {due.hour} * * ? *)",
            ScheduleExpressionTimezone=zone,
            Target={"Arn": function, "RoleArn": ROLE, "Input": '{"hello": "tokyo"}'},
            FlexibleTimeWindow=OFF,
        )
        wait_seconds = (due - local).total_seconds()
        altus.advance(wait_seconds - 1)
        settle(altus)
        assert ticker.fired == 0
        altus.advance(1)
        wait_until(lambda: ticker.fired == 1)
        assert wait_until(lambda: received) == [{"hello": "tokyo"}]
        altus.advance(3600)
        settle(altus)
        assert ticker.fired == 1  # daily: the next is a day on


def test_an_at_schedule_fires_once_then_deletes_itself() -> None:
    with Harness() as altus:
        scheduler, sqs = altus.client("scheduler"), altus.client("sqs")
        ticker = component(altus).ticker
        url, arn = queue(sqs, "once")
        at = (now(altus) + datetime.timedelta(minutes=5)).replace(microsecond=0)
        for name, action in (("keep", "NONE"), ("drop", "DELETE")):
            scheduler.create_schedule(
                Name=name,
                ScheduleExpression=f"at({at.replace(tzinfo=None).isoformat()})",
                Target={"Arn": arn, "RoleArn": ROLE, "Input": name},
                FlexibleTimeWindow=OFF,
                ActionAfterCompletion=action,
            )
        altus.advance(299)
        settle(altus)
        assert ticker.fired == 0
        altus.advance(1)
        wait_until(lambda: ticker.fired == 2)
        found: list[dict[str, Any]] = []
        wait_until(lambda: len(found.__iadd__(drain(sqs, url))) == 2)
        assert sorted(m["Body"] for m in found) == ["drop", "keep"]
        names = [s["Name"] for s in scheduler.list_schedules()["Schedules"]]
        assert "keep" in names and "drop" not in names
        altus.advance(3600)
        settle(altus)
        assert ticker.fired == 2


def test_a_flexible_window_delays_within_its_bounds() -> None:
    with Harness() as altus:
        schedules = component(altus)
        schedules.draw = lambda: 0.5  # half the window: 5 of 10 minutes
        scheduler, sqs = altus.client("scheduler"), altus.client("sqs")
        url, arn = queue(sqs, "flex")
        start = (now(altus) + datetime.timedelta(minutes=2)).replace(microsecond=0)
        scheduler.create_schedule(
            Name="flex",
            ScheduleExpression="rate(1 hour)",
            StartDate=start,
            Target={"Arn": arn, "RoleArn": ROLE},
            FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 10},
        )
        lead = (start - now(altus)).total_seconds()
        altus.advance(lead + 299)
        settle(altus)
        assert schedules.ticker.fired == 0
        altus.advance(1)
        wait_until(lambda: schedules.ticker.fired == 1)
        [message] = wait_until(lambda: drain(sqs, url))
        assert message["Body"] == "{}"  # no Input


def test_start_and_end_dates_bound_a_schedule() -> None:
    with Harness() as altus:
        ticker = component(altus).ticker
        scheduler, sqs = altus.client("scheduler"), altus.client("sqs")
        url, arn = queue(sqs, "bounded")
        start = (now(altus) + datetime.timedelta(hours=1)).replace(microsecond=0)
        scheduler.create_schedule(
            Name="bounded",
            ScheduleExpression="rate(10 minutes)",
            StartDate=start,
            # Exactly on an occurrence: "before which the schedule can invoke its
            # target", so the one at +30 minutes does not run.
            EndDate=start + datetime.timedelta(minutes=30),
            Target={"Arn": arn, "RoleArn": ROLE, "Input": "<aws.scheduler.scheduled-time>"},
            FlexibleTimeWindow=OFF,
        )
        altus.advance(3599)
        settle(altus)
        assert ticker.fired == 0
        for expected in (1, 2, 3):  # at the start, +10 and +20 minutes
            altus.advance(1 if expected == 1 else 600)
            wait_until(lambda expected=expected: ticker.fired == expected)  # type: ignore[misc]
        altus.advance(600)
        altus.advance(600)
        settle(altus)
        assert ticker.fired == 3
        bodies: list[str] = []
        for _ in range(20):  # bounded: three messages are waiting
            bodies += [m["Body"] for m in drain(sqs, url)]
            if len(bodies) >= 3:
                break
        assert sorted(bodies) == [iso(start + datetime.timedelta(minutes=m)) for m in (0, 10, 20)]


def test_failures_are_retried_then_dead_lettered() -> None:
    with Harness() as altus:
        schedules = component(altus)
        schedules.draw = lambda: 0.0
        scheduler, sqs = altus.client("scheduler"), altus.client("sqs")
        dlq_url, dlq = queue(sqs, "dead")
        flaky = Flaky(failures=5)
        altus.call(_register(flaky))
        schedule_arn = scheduler.create_schedule(
            Name="flaky",
            ScheduleExpression="rate(1 day)",
            Target={
                "Arn": MACHINE,
                "RoleArn": ROLE,
                "Input": '{"n": <aws.scheduler.attempt-number>}',
                "RetryPolicy": {"MaximumRetryAttempts": 2},
                "DeadLetterConfig": {"Arn": dlq},
            },
            FlexibleTimeWindow=OFF,
        )["ScheduleArn"]
        wait_until(lambda: schedules.deliveries.retried == 1)
        for _ in range(20):  # bounded: both retries are due within 3 s
            altus.advance(1)
            if flaky.calls == 3:
                break
        [message] = wait_until(lambda: drain(sqs, dlq_url))
        attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
        assert attributes["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts"
        assert attributes["RETRY_ATTEMPTS"] == "2"
        assert attributes["SCHEDULE_ARN"] == schedule_arn
        assert attributes["TARGET_ARN"] == MACHINE
        assert attributes["ERROR_CODE"] == "ServiceException"
        assert json.loads(message["Body"]) == {"n": 3}
        assert flaky.calls == 3 and flaky.received == []


def _register(target: Flaky) -> Any:
    async def work(platform: Platform) -> None:
        platform.component("scheduler").deliveries._targets.register("states", target)

    return work


def test_a_missed_occurrence_fires_once_after_a_restart(tmp_path: Path) -> None:
    clock = FakeClock()
    store = f"sqlite:{tmp_path / 'altus.db'}"
    with Harness(clock=clock, data_dir=tmp_path, store=store) as altus:
        scheduler, sqs = altus.client("scheduler"), altus.client("sqs")
        url, arn = queue(sqs, "catch-up")
        start = (now(altus) + datetime.timedelta(minutes=10)).replace(microsecond=0)
        scheduler.create_schedule(
            Name="hourly",
            ScheduleExpression="rate(1 hour)",
            StartDate=start,
            Target={"Arn": arn, "RoleArn": ROLE, "Input": "<aws.scheduler.scheduled-time>"},
            FlexibleTimeWindow=OFF,
        )
    clock.advance(5 * 3600)  # five occurrences pass while the server is down
    with Harness(clock=clock, data_dir=tmp_path, store=store) as altus:
        ticker, sqs = component(altus).ticker, altus.client("sqs")
        wait_until(lambda: ticker.fired == 1)
        [message] = wait_until(lambda: drain(sqs, url))
        # The first occurrence missed.
        assert message["Body"] == start.strftime("%Y-%m-%dT%H:%M:%SZ")
        altus.advance(1)
        settle(altus)
        assert ticker.fired == 1
    with Harness(clock=clock, data_dir=tmp_path, store=store) as altus:
        ticker, sqs = component(altus).ticker, altus.client("sqs")
        altus.advance(1)  # nothing is due: a restart fires nothing again
        settle(altus)
        assert ticker.fired == 0
        assert drain(sqs, url) == []
        altus.advance(3600)
        wait_until(lambda: ticker.fired == 1)


def _ms(moment: datetime.datetime) -> int:
    return int(moment.timestamp() * 1000)


def test_a_nearest_weekday_in_a_restricted_month_fires_and_moves_on() -> None:
    clock = FakeClock(start=datetime.datetime(2028, 2, 20, tzinfo=UTC).timestamp())
    with Harness(clock=clock) as altus:
        schedules = component(altus)
        scheduler, sqs = altus.client("scheduler"), altus.client("sqs")
        url, arn = queue(sqs, "leap")
        target = {"Arn": arn, "RoleArn": ROLE, "Input": "<aws.scheduler.scheduled-time>"}
        # The 30th of February never comes: refused, not a server fault.
        with pytest.raises(ClientError) as refused:
            scheduler.create_schedule(
                Name="never",
                ScheduleExpression="cron(0 12 30W 2 ? *)",
                Target=target,
                FlexibleTimeWindow=OFF,
            )
        assert refused.value.response["Error"]["Code"] == "ValidationException"
        scheduler.create_schedule(
            Name="leap",
            ScheduleExpression="cron(0 12 29W 2 ? *)",
            Target=target,
            FlexibleTimeWindow=OFF,
        )
        altus.advance(9 * 86400 + 12 * 3600)  # 2028-02-29 12:00, a Tuesday
        wait_until(lambda: schedules.ticker.fired == 1)
        [message] = wait_until(lambda: drain(sqs, url))
        assert message["Body"] == "2028-02-29T12:00:00Z"
        settle(altus)
        # 2032-02-29 is a Sunday: the Friday before, within the month.
        following = schedules.core.schedules[("default", "leap")]
        assert following.due_ms == _ms(datetime.datetime(2032, 2, 27, 12, tzinfo=UTC))


def test_a_fire_the_store_refuses_is_tried_again_after_a_back_off() -> None:
    with Harness() as altus:
        schedules = component(altus)
        ticker, store = schedules.ticker, schedules.core.store
        scheduler, sqs = altus.client("scheduler"), altus.client("sqs")
        url, arn = queue(sqs, "refused")
        real = store.apply
        refused: list[object] = []

        async def failing(plan: Any) -> None:
            if any(isinstance(change, PutDelivery) for change in plan) and len(refused) < 3:
                refused.append(plan)
                raise OSError("disk full")
            await real(plan)

        store.apply = failing
        created = now(altus)
        scheduler.create_schedule(
            Name="hourly",
            ScheduleExpression="rate(1 hour)",
            Target={"Arn": arn, "RoleArn": ROLE, "Input": "<aws.scheduler.scheduled-time>"},
            FlexibleTimeWindow=OFF,
        )
        # Refused once, then held back (2 s, 4 s, 8 s): not tried again in a loop.
        for step, tries in ((0, 1), (1, 1), (1, 2), (3, 2), (1, 3), (7, 3)):
            altus.advance(step)
            settle(altus)
            assert (len(refused), ticker.fired) == (tries, 0)
        altus.advance(1)
        wait_until(lambda: ticker.fired == 1)
        [message] = wait_until(lambda: drain(sqs, url))
        assert message["Body"] == iso(created)
        assert len(refused) == 3


def test_a_flexible_window_longer_than_the_rate_fires_every_occurrence_once() -> None:
    with Harness() as altus:
        schedules = component(altus)
        schedules.draw = lambda: 0.9  # 13.5 of 15 minutes late, every time
        scheduler, sqs = altus.client("scheduler"), altus.client("sqs")
        url, arn = queue(sqs, "flex-rate")
        start = (now(altus) + datetime.timedelta(minutes=1)).replace(microsecond=0)
        scheduler.create_schedule(
            Name="flex",
            ScheduleExpression="rate(5 minutes)",
            StartDate=start,
            Target={"Arn": arn, "RoleArn": ROLE, "Input": "<aws.scheduler.scheduled-time>"},
            FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15},
        )
        altus.advance((start - now(altus)).total_seconds())
        for _ in range(60):  # an hour from the start, a minute at a time
            altus.advance(60)
            settle(altus)
        # Occurrences at +0, +5 ... +45 minutes fired (each 13.5 minutes late); +50 has
        # not yet.
        assert schedules.ticker.fired == 10
        bodies: list[str] = []
        for _ in range(20):  # bounded: ten messages are waiting
            bodies += [m["Body"] for m in drain(sqs, url)]
            if len(bodies) >= 10:
                break
        assert sorted(bodies) == [iso(start + datetime.timedelta(minutes=5 * k)) for k in range(10)]


def test_updating_what_does_not_time_a_rate_schedule_keeps_its_time() -> None:
    with Harness() as altus:
        ticker = component(altus).ticker
        scheduler = altus.client("scheduler")
        _, arn = queue(altus.client("sqs"), "daily")
        given: dict[str, Any] = {
            "Name": "daily",
            "ScheduleExpression": "rate(1 day)",
            "Target": {"Arn": arn, "RoleArn": ROLE},
            "FlexibleTimeWindow": OFF,
        }
        scheduler.create_schedule(**given)
        wait_until(lambda: ticker.fired == 1)  # at once: no StartDate
        altus.advance(10)
        scheduler.update_schedule(**given, Description="only the description changed")
        altus.advance(1)
        settle(altus)
        assert ticker.fired == 1
        assert scheduler.get_schedule(Name="daily")["Description"] == (
            "only the description changed"
        )
        altus.advance(86400 - 12)
        settle(altus)
        assert ticker.fired == 1
        altus.advance(1)  # a day after it was created, not after the update
        wait_until(lambda: ticker.fired == 2)
        # A new expression starts over: a rate without a StartDate runs at once.
        scheduler.update_schedule(**{**given, "ScheduleExpression": "rate(2 days)"})
        wait_until(lambda: ticker.fired == 3)


def test_an_attempt_failing_by_a_fault_of_altus_is_tried_again() -> None:
    with Harness() as altus:
        deliveries = component(altus).deliveries
        scheduler, sqs = altus.client("scheduler"), altus.client("sqs")
        url, arn = queue(sqs, "faulty")
        real = deliveries._attempt
        faults: list[int] = []

        async def faulty(delivery: Any) -> None:
            if not faults:
                faults.append(delivery.seq)
                raise RuntimeError("a fault of Altus's own")
            await real(delivery)

        deliveries._attempt = faulty
        scheduler.create_schedule(
            Name="once-faulty",
            ScheduleExpression="rate(1 day)",
            Target={"Arn": arn, "RoleArn": ROLE, "Input": "x"},
            FlexibleTimeWindow=OFF,
        )
        wait_until(lambda: faults)
        assert [d.seq for d in deliveries.pending()] == faults  # kept, not stuck
        altus.advance(1)  # its back-off
        [message] = wait_until(lambda: drain(sqs, url))
        assert message["Body"] == "x"
        wait_until(lambda: deliveries.pending() == [])


def test_a_crash_between_a_fire_and_its_delivery_hands_it_off_once(tmp_path: Path) -> None:
    clock = FakeClock()
    store = f"sqlite:{tmp_path / 'altus.db'}"
    with Harness(clock=clock, data_dir=tmp_path, store=store) as altus:
        schedules = component(altus)
        # The crash: the fire's transaction commits, and the server dies before the
        # delivery worker learns of it (it never reaches memory).
        schedules.deliveries.add = lambda delivery: None
        scheduler, sqs = altus.client("scheduler"), altus.client("sqs")
        url, arn = queue(sqs, "crash")
        start = (now(altus) + datetime.timedelta(minutes=1)).replace(microsecond=0)
        scheduler.create_schedule(
            Name="hourly",
            ScheduleExpression="rate(1 hour)",
            StartDate=start,
            Target={"Arn": arn, "RoleArn": ROLE, "Input": "<aws.scheduler.scheduled-time>"},
            FlexibleTimeWindow=OFF,
        )
        altus.advance(60)
        wait_until(lambda: schedules.ticker.fired == 1)
        settle(altus)
        assert drain(sqs, url) == []

        async def rows(platform: Platform) -> int:
            snapshot = await platform.component("scheduler").core.store.load()
            return len(snapshot.deliveries)

        assert altus.call(rows) == 1
    with Harness(clock=clock, data_dir=tmp_path, store=store) as altus:
        schedules, sqs = component(altus), altus.client("sqs")
        [message] = wait_until(lambda: drain(sqs, url))
        assert message["Body"] == iso(start)
        wait_until(lambda: schedules.deliveries.pending() == [])
        settle(altus)
        assert schedules.ticker.fired == 0  # the schedule had moved on: not fired again
        assert schedules.deliveries.delivered == 1
        assert altus.call(rows) == 0
        assert drain(sqs, url) == []


def test_an_occurrence_caught_up_past_its_maximum_age_is_dead_lettered(tmp_path: Path) -> None:
    clock = FakeClock()
    store = f"sqlite:{tmp_path / 'altus.db'}"
    with Harness(clock=clock, data_dir=tmp_path, store=store) as altus:
        scheduler, sqs = altus.client("scheduler"), altus.client("sqs")
        url, arn = queue(sqs, "aged")
        dlq_url, dlq = queue(sqs, "aged-dead")
        start = (now(altus) + datetime.timedelta(minutes=10)).replace(microsecond=0)
        scheduler.create_schedule(
            Name="hourly",
            ScheduleExpression="rate(1 hour)",
            StartDate=start,
            Target={
                "Arn": arn,
                "RoleArn": ROLE,
                "RetryPolicy": {"MaximumEventAgeInSeconds": 60},
                "DeadLetterConfig": {"Arn": dlq},
            },
            FlexibleTimeWindow=OFF,
        )
    clock.advance(2 * 3600)  # down for two hours: the first occurrence is long past its age
    with Harness(clock=clock, data_dir=tmp_path, store=store) as altus:
        schedules, sqs = component(altus), altus.client("sqs")
        wait_until(lambda: schedules.ticker.fired == 1)
        [message] = wait_until(lambda: drain(sqs, dlq_url))
        attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
        assert attributes["EXHAUSTED_RETRY_CONDITION"] == "MaximumEventAgeInSeconds"
        assert attributes["SCHEDULED_TIME"] == iso(start)
        wait_until(lambda: schedules.deliveries.pending() == [])
        assert drain(sqs, url) == []

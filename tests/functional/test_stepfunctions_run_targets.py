"""A state machine as a pushing service's target: an EventBridge rule's target starts an
execution with the matched event as its input, and so does a Scheduler schedule's with
its input (both through ``altus.events.handoff``), on a fake clock that the schedule's
time is moved by."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from altus.testing import Harness, wait_until
from tests.functional.stepfunctions_runs import ACCOUNT, TIME_SCALE, Runs, output, unique

EVENTS_ROLE = f"arn:aws:iam::{ACCOUNT}:role/events-to-sfn"
ECHO = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


@pytest.fixture(scope="module")
def runs() -> Iterator[Runs]:
    with Harness(stepfunctions_time_scale=TIME_SCALE) as harness:
        yield Runs(harness)


def _executions(runs: Runs, machine: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = runs.sfn.list_executions(stateMachineArn=machine)["executions"]
    return found


def test_a_rule_target_starts_an_execution_with_the_event(runs: Runs) -> None:
    events = runs.harness.client("events")
    machine = runs.machine(ECHO)
    rule = unique("r")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["shop.orders"]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "sfn", "Arn": machine, "RoleArn": EVENTS_ROLE}])
    put = events.put_events(
        Entries=[{"Source": "shop.orders", "DetailType": "Order", "Detail": '{"order": 3}'}]
    )
    assert put["FailedEntryCount"] == 0
    (started,) = wait_until(lambda: _executions(runs, machine), timeout=30)
    described = runs.finished(started["executionArn"])
    event = output(described)
    assert event["source"] == "shop.orders"
    assert event["detail-type"] == "Order"
    assert event["detail"] == {"order": 3}
    assert event["id"] == put["Entries"][0]["EventId"]
    assert runs.event(described["executionArn"], "ExecutionStarted")["roleArn"].endswith(
        ":role/sfn"
    )


def test_a_rule_target_with_input_path_and_an_alias(runs: Runs) -> None:
    events = runs.harness.client("events")
    created = runs.sfn.create_state_machine(
        name=unique("m"),
        definition=json.dumps(ECHO),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn",
        publish=True,
    )
    machine = created["stateMachineArn"]
    alias = runs.sfn.create_state_machine_alias(
        name="prod",
        routingConfiguration=[
            {"stateMachineVersionArn": created["stateMachineVersionArn"], "weight": 100}
        ],
    )["stateMachineAliasArn"]
    rule = unique("r")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["shop.carts"]}))
    events.put_targets(
        Rule=rule,
        Targets=[{"Id": "sfn", "Arn": alias, "RoleArn": EVENTS_ROLE, "InputPath": "$.detail"}],
    )
    events.put_events(
        Entries=[{"Source": "shop.carts", "DetailType": "Cart", "Detail": '{"cart": [1, 2]}'}]
    )
    (started,) = wait_until(lambda: _executions(runs, machine), timeout=30)
    described = runs.finished(started["executionArn"])
    assert output(described) == {"cart": [1, 2]}
    assert described["stateMachineAliasArn"] == alias


def test_a_schedule_target_starts_an_execution_with_its_input(runs: Runs) -> None:
    scheduler = runs.harness.client("scheduler")
    machine = runs.machine(ECHO)
    scheduler.create_schedule(
        Name=unique("s"),
        ScheduleExpression="rate(1 minute)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": machine,
            "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/scheduler",
            "Input": json.dumps({"report": "daily"}),
        },
    )

    def started() -> list[dict[str, Any]]:
        runs.harness.advance(60)
        return _executions(runs, machine)

    found = wait_until(started, timeout=30)
    described = runs.finished(found[-1]["executionArn"])
    assert output(described) == {"report": "daily"}

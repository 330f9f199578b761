"""Durability by replay: an execution stopped at any journal append (the store went away)
and run again on the same journal ends with the history of a run never stopped, and
runs no task twice; a redriven execution runs again only what failed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest

from altus.asl.errors import StatesError
from altus.asl.host import TaskProgress, TaskRequest
from altus.asl.interpreter import SUSPEND, run_execution
from altus.asl.memory import MemoryHost, ScriptedTasks
from altus.clock import FakeClock
from tests.unit.asl_interpreter_harness import (
    ACTIVITY,
    LAMBDA_INVOKE,
    SQS_TOKEN,
    event,
    execute,
    history,
    info,
    new_host,
    normalized,
    turns,
    types,
)

SYNC = "arn:aws:states:::states:startExecution.sync"


def _flaky(failures: int) -> Callable[[], ScriptedTasks]:
    """Tasks whose lambda:invoke fails its first ``failures`` attempts (a resumed attempt
    as the lost one did), then echoes its parameters."""

    def make() -> ScriptedTasks:
        async def invoke(request: TaskRequest, progress: TaskProgress) -> Any:
            if request.parameters.get("retry", failures) < failures:
                raise StatesError("Lambda.ServiceException", "flaky")
            return {"Payload": request.parameters}

        async def sync(request: TaskRequest, progress: TaskProgress) -> Any:
            if request.submitted is None:
                await progress.submitted({"ExecutionArn": "child"})
            return {"Output": "{}", "Status": "SUCCEEDED"}

        async def send(request: TaskRequest, progress: TaskProgress) -> Any:
            return {"MessageId": "m"}

        return ScriptedTasks({LAMBDA_INVOKE: invoke, SYNC: sync, SQS_TOKEN: send})

    return make


def _answering(host: MemoryHost) -> Callable[[], None]:
    def answer() -> None:
        for token in host.board.open_tokens():
            opening = host.board.opening(token)
            if opening.activity_arn is not None:
                host.board.take(opening.activity_arn, "worker")
            host.board.succeed(token, {"answered": True})

    return answer


_RETRY = [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 3, "JitterStrategy": "FULL"}]
_INVOKE = {
    "Type": "Task",
    "Resource": LAMBDA_INVOKE,
    "Parameters": {"n.$": "$.n", "retry.$": "$$.State.RetryCount"},
}

SCENARIOS: dict[str, tuple[dict[str, Any], Any, int]] = {
    "pass, task, wait, choice": (
        {
            "StartAt": "P",
            "States": {
                "P": {"Type": "Pass", "Result": 1, "ResultPath": "$.n", "Next": "T"},
                "T": {**_INVOKE, "Retry": _RETRY, "ResultPath": "$.r", "Next": "W"},
                "W": {"Type": "Wait", "Seconds": 30, "Next": "C"},
                "C": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "S"}],
                },
                "S": {"Type": "Succeed"},
            },
        },
        {},
        2,
    ),
    "catch and variables": (
        {
            "StartAt": "T",
            "States": {
                "T": {
                    **_INVOKE,
                    "Assign": {"ok": True},
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F"}],
                    "End": True,
                },
                "F": {"Type": "Pass", "Assign": {"caught": 1}, "Next": "G"},
                "G": {"Type": "Pass", "Parameters": {"c.$": "$caught"}, "End": True},
            },
        },
        {"n": 1},
        1,
    ),
    "tokens, activities, sync": (
        {
            "StartAt": "Token",
            "States": {
                "Token": {
                    "Type": "Task",
                    "Resource": SQS_TOKEN,
                    "Parameters": {"t.$": "$$.Task.Token"},
                    "HeartbeatSeconds": 100,
                    "Next": "Activity",
                },
                "Activity": {"Type": "Task", "Resource": ACTIVITY, "Next": "Sync"},
                "Sync": {"Type": "Task", "Resource": SYNC, "End": True},
            },
        },
        {},
        0,
    ),
    "parallel and map": (
        {
            "StartAt": "Par",
            "States": {
                "Par": {
                    "Type": "Parallel",
                    "Branches": [
                        {
                            "StartAt": "A",
                            "States": {"A": {**_INVOKE, "Retry": _RETRY, "End": True}},
                        },
                        {
                            "StartAt": "B",
                            "States": {"B": {"Type": "Wait", "Seconds": 5, "End": True}},
                        },
                    ],
                    "ResultPath": "$.par",
                    "Next": "Map",
                },
                "Map": {
                    "Type": "Map",
                    "ItemsPath": "$.items",
                    "MaxConcurrency": 1,
                    "ItemProcessor": {
                        "StartAt": "I",
                        "States": {"I": {**_INVOKE, "Parameters": {"n.$": "$"}, "End": True}},
                    },
                    "End": True,
                },
            },
        },
        {"n": 1, "items": [1, 2, 3]},
        1,
    ),
}


@pytest.mark.parametrize("name", SCENARIOS)
def test_an_execution_stopped_at_any_append_resumes_to_the_same_history(name: str) -> None:
    definition, value, failures = SCENARIOS[name]
    make = _flaky(failures)
    reference_tasks = make()
    reference = new_host(reference_tasks)
    expected, _ = execute(definition, value, reference, idle=_answering(reference))
    assert expected.status == "SUCCEEDED"
    appends = reference.log.appends
    assert appends > 5
    for stop_at in range(appends):
        tasks = make()
        host = new_host(tasks)
        host.log.fail_after = stop_at
        with pytest.raises(OSError):
            execute(definition, value, host, idle=_answering(host))
        host.log.fail_after = None
        outcome, _ = execute(definition, value, host, idle=_answering(host))
        assert outcome == expected, stop_at
        assert _comparable(host) == _comparable(reference), stop_at
        fresh = [call for call in tasks.calls if not call.resumed]
        assert len(fresh) == len(reference_tasks.calls), stop_at


def _comparable(host: MemoryHost) -> Any:
    """The history with branch events sorted within their Parallel (they may interleave
    differently when a run resumes)."""
    return sorted(normalized(history(host)), key=lambda event: json.dumps(event))


def test_a_suspended_execution_keeps_its_token_open_and_resumes_waiting() -> None:
    tasks = _flaky(0)()
    host = new_host(tasks)
    definition = SCENARIOS["tokens, activities, sync"][0]

    async def main() -> None:
        job = asyncio.ensure_future(run_execution(definition, info(), host))
        await turns()
        (token,) = host.board.open_tokens()
        job.cancel(SUSPEND)
        with pytest.raises(asyncio.CancelledError):
            await job
        assert host.board.is_open(token)
        host.board.succeed(token, "later")
        job = asyncio.ensure_future(run_execution(definition, info(), host))
        await turns()
        assert types(host).count("TaskSucceeded") == 1
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job

    asyncio.run(main())
    assert len(tasks.calls) == 1


# --- redrive -------------------------------------------------------------------------------


def _failing_once() -> tuple[ScriptedTasks, dict[str, int]]:
    counts: dict[str, int] = {}

    async def invoke(request: TaskRequest, progress: TaskProgress) -> Any:
        key = json.dumps(request.parameters)
        counts[key] = counts.get(key, 0) + 1
        if request.parameters.get("fail") and counts[key] == 1:
            raise StatesError("Boom", "first time")
        return request.parameters

    return ScriptedTasks({LAMBDA_INVOKE: invoke}), counts


def _redrive(definition: dict[str, Any], value: Any) -> tuple[MemoryHost, dict[str, int]]:
    tasks, counts = _failing_once()
    host = new_host(tasks)
    first, _ = execute(definition, value, host)
    assert (first.status, first.error) == ("FAILED", "Boom")
    second, _ = execute(definition, value, host, redrive_count=1)
    assert second.status == "SUCCEEDED", second
    return host, counts


def test_a_redrive_runs_the_failed_state_again_and_not_the_ones_before() -> None:
    definition = {
        "StartAt": "First",
        "States": {
            "First": {**_INVOKE, "Parameters": {"step": 1}, "Next": "Second"},
            "Second": {**_INVOKE, "Parameters": {"step": 2, "fail": True}, "End": True},
        },
    }
    host, counts = _redrive(definition, {})
    assert counts == {'{"step": 1}': 1, '{"step": 2, "fail": true}': 2}
    assert types(host).count("TaskStateEntered") == 3
    assert types(host)[-3:] == ["TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"]


def test_a_redrive_runs_only_the_failed_branch_and_iteration() -> None:
    item = {
        "StartAt": "I",
        "States": {"I": {**_INVOKE, "Parameters": {"item.$": "$.i", "fail.$": "$.f"}, "End": True}},
    }
    definition = {
        "StartAt": "Par",
        "States": {
            "Par": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "Ok",
                        "States": {"Ok": {**_INVOKE, "Parameters": {"b": 0}, "End": True}},
                    },
                    {
                        "StartAt": "M",
                        "States": {
                            "M": {
                                "Type": "Map",
                                "MaxConcurrency": 1,
                                "ItemProcessor": item,
                                "End": True,
                            }
                        },
                    },
                ],
                "End": True,
            }
        },
    }
    items = [{"i": 0, "f": False}, {"i": 1, "f": True}, {"i": 2, "f": False}]
    host, counts = _redrive(definition, items)
    assert counts == {
        '{"b": 0}': 1,
        '{"fail": false, "item": 0}': 1,
        '{"fail": true, "item": 1}': 2,
        '{"fail": false, "item": 2}': 1,
    }
    outcome = history(host)[-1]
    assert json.loads(outcome[3]["output"]) == [
        {"b": 0},
        [dict(item=i, fail=i == 1) for i in range(3)],
    ]


def test_a_wait_cut_off_before_its_wake_was_noted_still_wakes_from_its_entry() -> None:
    definition = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 100, "End": True}}}
    host = new_host()
    # ExecutionStarted, WaitStateEntered; the note of the wake time is the next append.
    host.log.fail_after = 2
    with pytest.raises(OSError):
        execute(definition, {}, host)
    entered = event(host, "WaitStateEntered").timestamp
    host.log.fail_after = None
    clock = host.clock
    assert isinstance(clock, FakeClock)
    clock.advance(60)  # down for a minute
    outcome, _ = execute(definition, {}, host)
    assert outcome.status == "SUCCEEDED"
    assert event(host, "WaitStateExited").timestamp == entered + 100

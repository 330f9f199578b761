"""StopExecution where the run cannot close its tokens itself (the callback's call still
running), and RedriveExecution of an execution whose state machine went away."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from altus.testing import wait_until
from tests.functional.stepfunctions_runs import Runs, serve


@pytest.fixture(scope="module")
def runs() -> Iterator[Runs]:
    yield from serve()


def test_a_stop_during_the_callbacks_call_closes_its_token(runs: Runs) -> None:
    # The function takes its time: the stop comes while the call that hands the token
    # over is still running (TaskStarted, no TaskSubmitted yet).
    name, _ = runs.function("import time\n\ndef handler(event, context):\n    time.sleep(1)\n")
    definition = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {"FunctionName": name, "Payload": {"token.$": "$$.Task.Token"}},
                "End": True,
            }
        },
    }
    execution = runs.start(runs.machine(definition), {})
    wait_until(lambda: "TaskStarted" in runs.types(execution), timeout=30)
    token = json.loads(runs.event(execution, "TaskScheduled")["parameters"])["Payload"]["token"]
    runs.sfn.stop_execution(executionArn=execution)
    assert runs.sfn.describe_execution(executionArn=execution)["status"] == "ABORTED"
    with pytest.raises(ClientError) as late:
        runs.sfn.send_task_success(taskToken=token, output="{}")
    assert late.value.response["Error"]["Code"] == "TaskTimedOut"
    assert runs.types(execution)[-1] == "ExecutionAborted"


def test_an_execution_whose_machine_is_gone_is_not_redriven(runs: Runs) -> None:
    machine = runs.machine({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}})
    execution = runs.start(machine, {})
    assert runs.finished(execution)["status"] == "FAILED"
    runs.sfn.delete_state_machine(stateMachineArn=machine)
    with pytest.raises(ClientError) as refused:
        runs.sfn.redrive_execution(executionArn=execution)
    assert refused.value.response["Error"]["Code"] == "ExecutionNotRedrivable"
    assert runs.sfn.describe_execution(executionArn=execution)["status"] == "FAILED"

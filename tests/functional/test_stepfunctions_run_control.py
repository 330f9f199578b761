"""Executions controlled and read through the API while they run for real: StopExecution
of a waiting execution (and the task token it held), StartSyncExecution and StartExecution
of EXPRESS machines, ListExecutions after runs, GetExecutionHistory's paging and
reverseOrder on a real history, and executions of a version and of an alias."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from altus.testing import wait_until
from tests.functional.stepfunctions_runs import ROLE, Runs, output, serve, unique


@pytest.fixture(scope="module")
def runs() -> Iterator[Runs]:
    yield from serve()


#: Waits a thousand hours: an execution that stays RUNNING until stopped.
FOREVER = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3_600_000, "End": True}}}


def _entered(runs: Runs, execution: str, type_: str) -> None:
    wait_until(lambda: type_ in runs.types(execution), timeout=30)


# --- StopExecution ---------------------------------------------------------------------------


def test_stop_a_waiting_execution(runs: Runs) -> None:
    execution = runs.start(runs.machine(FOREVER), {"a": 1})
    _entered(runs, execution, "WaitStateEntered")
    stopped = runs.sfn.stop_execution(executionArn=execution, error="Op.Stop", cause="enough")
    assert "stopDate" in stopped
    described = runs.sfn.describe_execution(executionArn=execution)
    assert described["status"] == "ABORTED"
    assert (described["error"], described["cause"]) == ("Op.Stop", "enough")
    assert described["redriveStatus"] == "REDRIVABLE"
    assert runs.types(execution) == ["ExecutionStarted", "WaitStateEntered", "ExecutionAborted"]
    aborted = runs.history(execution)[-1]
    assert aborted["executionAbortedEventDetails"] == {"error": "Op.Stop", "cause": "enough"}
    assert aborted["previousEventId"] == 2
    # Stopping it again changes nothing.
    runs.sfn.stop_execution(executionArn=execution)
    assert runs.types(execution)[-1] == "ExecutionAborted"
    assert len(runs.history(execution)) == 3


def test_stop_without_error_or_cause(runs: Runs) -> None:
    execution = runs.start(runs.machine(FOREVER), {})
    _entered(runs, execution, "WaitStateEntered")
    runs.sfn.stop_execution(executionArn=execution)
    described = runs.sfn.describe_execution(executionArn=execution)
    assert described["status"] == "ABORTED"
    assert "error" not in described and "cause" not in described


def test_stop_closes_the_task_token_it_waited_on(runs: Runs) -> None:
    url = runs.sqs.create_queue(QueueName=unique("q"))["QueueUrl"]
    definition = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": url, "MessageBody": {"token.$": "$$.Task.Token"}},
                "End": True,
            }
        },
    }
    execution = runs.start(runs.machine(definition), {})
    _entered(runs, execution, "TaskSubmitted")
    (message,) = runs.sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"]
    token = json.loads(message["Body"])["token"]
    runs.sfn.stop_execution(executionArn=execution, cause="stopped")
    assert runs.types(execution)[-1] == "ExecutionAborted"
    with pytest.raises(ClientError) as late:
        runs.sfn.send_task_success(taskToken=token, output="{}")
    assert late.value.response["Error"]["Code"] == "TaskTimedOut"


def test_a_stopped_execution_is_redriven_from_where_it_stopped(runs: Runs) -> None:
    definition = {
        "StartAt": "First",
        "States": {
            "First": {"Type": "Pass", "Result": 1, "ResultPath": "$.first", "Next": "W"},
            "W": {"Type": "Wait", "SecondsPath": "$.wait", "End": True},
        },
    }
    execution = runs.start(runs.machine(definition), {"wait": 3_600_000})
    _entered(runs, execution, "WaitStateEntered")
    runs.sfn.stop_execution(executionArn=execution)
    runs.sfn.redrive_execution(executionArn=execution)
    # The redriven Wait waits its full time again: stop it once more, then see the
    # history of both runs.
    wait_until(lambda: runs.types(execution).count("WaitStateEntered") == 2, timeout=30)
    runs.sfn.stop_execution(executionArn=execution)
    types = runs.types(execution)
    assert types == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "WaitStateEntered",
        "ExecutionAborted",
        "ExecutionRedriven",
        "WaitStateEntered",
        "ExecutionAborted",
    ]
    described = runs.sfn.describe_execution(executionArn=execution)
    assert (described["status"], described["redriveCount"]) == ("ABORTED", 1)


# --- EXPRESS ---------------------------------------------------------------------------------


def _express(runs: Runs, definition: dict[str, Any]) -> str:
    return runs.machine(definition, type="EXPRESS")


def test_start_sync_execution_succeeds_with_the_output(runs: Runs) -> None:
    machine = _express(
        runs,
        {
            "StartAt": "W",
            "States": {
                "W": {"Type": "Wait", "Seconds": 60, "Next": "P"},
                "P": {
                    "Type": "Pass",
                    "Parameters": {"twice.$": "States.MathAdd($.n, $.n)"},
                    "End": True,
                },
            },
        },
    )
    done = runs.sfn.start_sync_execution(stateMachineArn=machine, input='{"n": 4}', name="sync-1")
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == {"twice": 8}
    assert done["name"] == "sync-1"
    assert done["executionArn"].startswith(
        machine.replace(":stateMachine:", ":express:") + ":sync-1:"
    )
    assert done["billingDetails"]["billedDurationInMilliseconds"] >= 100
    # No history is kept of an express execution.
    with pytest.raises(ClientError):
        runs.sfn.describe_execution(executionArn=done["executionArn"])


def test_start_sync_execution_that_fails(runs: Runs) -> None:
    machine = _express(
        runs,
        {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Bad.Input", "Cause": "no"}}},
    )
    done = runs.sfn.start_sync_execution(stateMachineArn=machine, input="{}")
    assert done["status"] == "FAILED"
    assert (done["error"], done["cause"]) == ("Bad.Input", "no")
    assert "output" not in done


def test_start_execution_of_an_express_machine_runs_it_in_memory(runs: Runs) -> None:
    name, _ = runs.function(
        "import json\n"
        "def handler(event, context):\n"
        "    print('EXPRESS-RAN ' + json.dumps(event))\n"
        "    return event\n"
    )
    machine = _express(
        runs,
        {
            "StartAt": "T",
            "States": {
                "T": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": name, "Payload.$": "$"},
                    "End": True,
                }
            },
        },
    )
    execution = runs.start(machine, {"mark": unique("x")})
    assert ":express:" in execution
    with pytest.raises(ClientError) as refused:
        runs.sfn.describe_execution(executionArn=execution)
    assert refused.value.response["Error"]["Code"] in ("InvalidArn", "ExecutionDoesNotExist")
    # It ran: the function was invoked (its invocation is counted by Lambda).
    logs = runs.harness.client("logs")

    def logged() -> bool:
        try:
            found = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")
        except ClientError:
            return False
        return any("EXPRESS-RAN" in e["message"] for e in found["events"])

    wait_until(logged, timeout=30)


# --- ListExecutions and GetExecutionHistory ------------------------------------------------------


def test_list_executions_after_runs(runs: Runs) -> None:
    machine = runs.machine(
        {
            "StartAt": "C",
            "States": {
                "C": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.ok", "BooleanEquals": True, "Next": "S"}],
                    "Default": "F",
                },
                "S": {"Type": "Succeed"},
                "F": {"Type": "Fail", "Error": "E"},
            },
        }
    )
    succeeded = [runs.start(machine, {"ok": True}, name=f"ok-{i}") for i in range(3)]
    failed = [runs.start(machine, {"ok": False}, name=f"bad-{i}") for i in range(2)]
    for arn in succeeded + failed:
        runs.finished(arn)
    listed = runs.sfn.list_executions(stateMachineArn=machine)["executions"]
    assert {e["executionArn"] for e in listed} == set(succeeded + failed)
    assert all("stopDate" in e for e in listed)
    by_status = runs.sfn.list_executions(stateMachineArn=machine, statusFilter="FAILED")
    assert {e["executionArn"] for e in by_status["executions"]} == set(failed)
    first = runs.sfn.list_executions(stateMachineArn=machine, maxResults=2)
    assert len(first["executions"]) == 2 and first.get("nextToken")
    rest = runs.sfn.list_executions(
        stateMachineArn=machine, maxResults=10, nextToken=first["nextToken"]
    )
    paged = first["executions"] + rest["executions"]
    assert [e["executionArn"] for e in paged] == [e["executionArn"] for e in listed]
    starts = [e["startDate"] for e in listed]
    assert starts == sorted(starts, reverse=True)


def test_history_pages_and_reverse_order(runs: Runs) -> None:
    definition = {
        "StartAt": "S0",
        "States": {
            **{f"S{i}": {"Type": "Pass", "Result": i, "Next": f"S{i + 1}"} for i in range(7)},
            "S7": {"Type": "Pass", "End": True},
        },
    }
    described = runs.run(definition, {"big": "x" * 100})
    execution = described["executionArn"]
    whole = runs.sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]
    assert len(whole) == 18  # started, 8 entered + 8 exited, succeeded
    assert [e["id"] for e in whole] == list(range(1, 19))
    paged = runs.history(execution, maxResults=5)
    assert paged == whole
    backwards = runs.history(execution, maxResults=4, reverseOrder=True)
    assert [e["id"] for e in backwards] == list(range(18, 0, -1))
    assert backwards == list(reversed(whole))
    without = runs.sfn.get_execution_history(executionArn=execution, includeExecutionData=False)
    started = without["events"][0]["executionStartedEventDetails"]
    assert "input" not in started and started["roleArn"] == ROLE
    exited = without["events"][2]["stateExitedEventDetails"]
    assert exited["name"] == "S0" and "output" not in exited


def test_history_of_an_unknown_execution(runs: Runs) -> None:
    machine = runs.machine(FOREVER)
    missing = machine.replace(":stateMachine:", ":execution:") + ":nobody"
    with pytest.raises(ClientError) as refused:
        runs.sfn.get_execution_history(executionArn=missing)
    assert refused.value.response["Error"]["Code"] == "ExecutionDoesNotExist"


# --- versions and aliases --------------------------------------------------------------------


def _answering(value: str) -> dict[str, Any]:
    return {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": value, "End": True}}}


def test_executions_of_a_version_and_an_alias(runs: Runs) -> None:
    created = runs.sfn.create_state_machine(
        name=unique("v"), definition=json.dumps(_answering("one")), roleArn=ROLE, publish=True
    )
    machine, first = created["stateMachineArn"], created["stateMachineVersionArn"]
    runs.sfn.update_state_machine(
        stateMachineArn=machine, definition=json.dumps(_answering("two")), publish=True
    )
    second = f"{machine}:2"
    runs.sfn.update_state_machine(
        stateMachineArn=machine, definition=json.dumps(_answering("latest"))
    )
    alias = runs.sfn.create_state_machine_alias(
        name="live", routingConfiguration=[{"stateMachineVersionArn": first, "weight": 100}]
    )["stateMachineAliasArn"]

    by_version = runs.finished(runs.start(first, {}))
    assert output(by_version) == "one"
    assert by_version["stateMachineVersionArn"] == first
    assert by_version["stateMachineArn"] == machine
    assert output(runs.finished(runs.start(second, {}))) == "two"
    assert output(runs.finished(runs.start(machine, {}))) == "latest"
    by_alias = runs.finished(runs.start(alias, {}))
    assert output(by_alias) == "one"
    assert by_alias["stateMachineAliasArn"] == alias
    assert by_alias["stateMachineVersionArn"] == first
    started = runs.event(by_alias["executionArn"], "ExecutionStarted")
    assert started["stateMachineAliasArn"] == alias
    assert started["stateMachineVersionArn"] == first
    # The alias moved to the second version: new executions run it.
    runs.sfn.update_state_machine_alias(
        stateMachineAliasArn=alias,
        routingConfiguration=[{"stateMachineVersionArn": second, "weight": 100}],
    )
    assert output(runs.finished(runs.start(alias, {}))) == "two"
    listed = runs.sfn.list_executions(stateMachineArn=alias)["executions"]
    assert len(listed) == 2


def test_each_express_execution_draws_its_own_uuid(runs: Runs) -> None:
    machine = _express(
        runs,
        {
            "StartAt": "P",
            "States": {"P": {"Type": "Pass", "Parameters": {"id.$": "States.UUID()"}, "End": True}},
        },
    )
    ids = {
        json.loads(runs.sfn.start_sync_execution(stateMachineArn=machine)["output"])["id"]
        for _ in range(3)
    }
    assert len(ids) == 3


def test_an_execution_past_its_timeout_seconds_times_out(runs: Runs) -> None:
    definition = {"TimeoutSeconds": 60, **FOREVER}
    described = runs.run(definition, {})
    assert described["status"] == "TIMED_OUT"
    execution = described["executionArn"]
    assert runs.types(execution) == ["ExecutionStarted", "WaitStateEntered", "ExecutionTimedOut"]
    assert runs.event(execution, "ExecutionTimedOut")["error"] == "States.Timeout"

"""Task states end to end: real functions (both Resource forms, a function that raises),
callbacks through a real queue (``.waitForTaskToken``: SendTaskSuccess, SendTaskFailure,
SendTaskHeartbeat, a heartbeat timeout), activities answered by a worker thread, nested
executions (``.sync`` and ``.sync:2``) and RedriveExecution after a function is mended."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from typing import Any, cast

import pytest
from botocore.exceptions import ClientError

from altus.packaging import zip_files
from altus.stepfunctions.errors import ExecutionAlreadyExists
from altus.stepfunctions.runner import Runner
from altus.testing import wait_until
from tests.functional.stepfunctions_runs import REGION, ROLE, Runs, output, serve, unique


@pytest.fixture(scope="module")
def runs() -> Iterator[Runs]:
    yield from serve()


RAISES = """
class OrderError(Exception):
    pass

def handler(event, context):
    raise OrderError(f"order {event['id']} is invalid")
"""
ECHO = "def handler(event, context):\n    return {'got': event}\n"


def _task(resource: str, **fields: Any) -> dict[str, Any]:
    return {
        "StartAt": "T",
        "States": {"T": {"Type": "Task", "Resource": resource, "End": True, **fields}},
    }


# --- Lambda ----------------------------------------------------------------------------------


def test_a_function_arn_task_runs_the_function(runs: Runs) -> None:
    _, arn = runs.function(ECHO)
    described = runs.run(_task(arn), {"n": 1})
    assert output(described) == {"got": {"n": 1}}
    execution = described["executionArn"]
    assert runs.types(execution) == [
        "ExecutionStarted",
        "TaskStateEntered",
        "LambdaFunctionScheduled",
        "LambdaFunctionStarted",
        "LambdaFunctionSucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    ]
    scheduled = runs.event(execution, "LambdaFunctionScheduled")
    assert scheduled["resource"] == arn
    assert json.loads(scheduled["input"]) == {"n": 1}
    assert scheduled["inputDetails"] == {"truncated": False}
    succeeded = runs.event(execution, "LambdaFunctionSucceeded")
    assert json.loads(succeeded["output"]) == {"got": {"n": 1}}
    started = [e for e in runs.history(execution) if e["type"] == "LambdaFunctionStarted"]
    assert set(started[0]) == {"timestamp", "type", "id", "previousEventId"}


def test_lambda_invoke_task_runs_the_function(runs: Runs) -> None:
    name, arn = runs.function(ECHO)
    definition = _task(
        "arn:aws:states:::lambda:invoke",
        Parameters={"FunctionName": name, "Payload.$": "$"},
        OutputPath="$.Payload",
    )
    described = runs.run(definition, {"n": 2})
    assert output(described) == {"got": {"n": 2}}
    execution = described["executionArn"]
    assert runs.types(execution) == [
        "ExecutionStarted",
        "TaskStateEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskSucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    ]
    scheduled = runs.event(execution, "TaskScheduled")
    assert (scheduled["resourceType"], scheduled["resource"]) == ("lambda", "invoke")
    assert scheduled["region"] == REGION
    assert json.loads(scheduled["parameters"]) == {"FunctionName": name, "Payload": {"n": 2}}
    assert runs.event(execution, "TaskStarted") == {"resourceType": "lambda", "resource": "invoke"}
    succeeded = runs.event(execution, "TaskSucceeded")
    assert json.loads(succeeded["output"])["Payload"] == {"got": {"n": 2}}
    assert arn.endswith(name)


def test_a_function_that_raises_fails_with_its_error_type(runs: Runs) -> None:
    _, arn = runs.function(RAISES)
    legacy = runs.run(_task(arn), {"id": 7})
    assert legacy["status"] == "FAILED"
    assert legacy["error"] == "OrderError"
    cause = json.loads(legacy["cause"])
    assert cause["errorType"] == "OrderError"
    assert cause["errorMessage"] == "order 7 is invalid"
    execution = legacy["executionArn"]
    assert runs.types(execution)[-2:] == ["LambdaFunctionFailed", "ExecutionFailed"]
    failed = runs.event(execution, "LambdaFunctionFailed")
    assert failed["error"] == "OrderError" and failed["cause"] == legacy["cause"]

    optimized = runs.run(
        _task("arn:aws:states:::lambda:invoke", Parameters={"FunctionName": arn, "Payload.$": "$"}),
        {"id": 8},
    )
    assert optimized["error"] == "OrderError"
    assert json.loads(optimized["cause"])["errorMessage"] == "order 8 is invalid"
    execution = optimized["executionArn"]
    assert runs.types(execution)[-2:] == ["TaskFailed", "ExecutionFailed"]
    failed = runs.event(execution, "TaskFailed")
    assert (failed["resourceType"], failed["resource"]) == ("lambda", "invoke")
    assert failed["error"] == "OrderError"


def test_a_missing_function_fails_the_task(runs: Runs) -> None:
    described = runs.run(
        _task("arn:aws:states:::lambda:invoke", Parameters={"FunctionName": unique("gone")}), {}
    )
    assert described["status"] == "FAILED"
    assert described["error"] == "Lambda.ResourceNotFoundException"


# --- callbacks through a queue ------------------------------------------------------------------


def _callback(runs: Runs, **fields: Any) -> tuple[str, str]:
    """A machine sending its task token to a new queue and waiting: (machine, queue URL)."""
    url: str = runs.sqs.create_queue(QueueName=unique("q"))["QueueUrl"]
    definition = _task(
        "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        Parameters={
            "QueueUrl": url,
            "MessageBody": {"token.$": "$$.Task.Token", "order.$": "$.order"},
        },
        **fields,
    )
    return runs.machine(definition), url


def _token(runs: Runs, url: str) -> dict[str, Any]:
    def received() -> dict[str, Any]:
        found = runs.sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages")
        body: dict[str, Any] = json.loads(found[0]["Body"]) if found else {}
        return body

    return wait_until(received, timeout=30)


def test_wait_for_task_token_succeeds_with_the_answer(runs: Runs) -> None:
    machine, url = _callback(runs, HeartbeatSeconds=10**7)
    execution = runs.start(machine, {"order": 5})
    body = _token(runs, url)
    assert body["order"] == 5
    runs.sfn.send_task_heartbeat(taskToken=body["token"])
    runs.sfn.send_task_success(taskToken=body["token"], output=json.dumps({"paid": True}))
    described = runs.finished(execution)
    assert output(described) == {"paid": True}
    assert runs.types(execution) == [
        "ExecutionStarted",
        "TaskStateEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskSubmitted",
        "TaskSucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    ]
    submitted = runs.event(execution, "TaskSubmitted")
    assert (submitted["resourceType"], submitted["resource"]) == (
        "sqs",
        "sendMessage.waitForTaskToken",
    )
    assert "MessageId" in json.loads(submitted["output"])
    succeeded = runs.event(execution, "TaskSucceeded")
    assert json.loads(succeeded["output"]) == {"paid": True}
    # The token is answered: a second answer is refused.
    with pytest.raises(ClientError) as again:
        runs.sfn.send_task_success(taskToken=body["token"], output="{}")
    assert again.value.response["Error"]["Code"] == "TaskTimedOut"


def test_wait_for_task_token_fails_with_the_workers_error(runs: Runs) -> None:
    machine, url = _callback(runs)
    execution = runs.start(machine, {"order": 6})
    body = _token(runs, url)
    runs.sfn.send_task_failure(
        taskToken=body["token"], error="Payment.Declined", cause="card expired"
    )
    described = runs.finished(execution)
    assert described["status"] == "FAILED"
    assert (described["error"], described["cause"]) == ("Payment.Declined", "card expired")
    failed = runs.event(execution, "TaskFailed")
    assert failed["error"] == "Payment.Declined" and failed["cause"] == "card expired"
    assert failed["resourceType"] == "sqs"


def test_a_heartbeat_timeout_fails_the_task_and_a_late_answer_is_refused(runs: Runs) -> None:
    # One second of heartbeat is a tenth of a millisecond here: it times out at once.
    machine, url = _callback(runs, HeartbeatSeconds=1)
    execution = runs.start(machine, {"order": 7})
    described = runs.finished(execution)
    assert described["status"] == "FAILED"
    # AWS's histories say States.Timeout for a heartbeat's time-out too.
    assert described["error"] == "States.Timeout"
    assert runs.types(execution)[-2:] == ["TaskTimedOut", "ExecutionFailed"]
    timed_out = runs.event(execution, "TaskTimedOut")
    assert timed_out == {
        "error": "States.Timeout",
        "resourceType": "sqs",
        "resource": "sendMessage.waitForTaskToken",
    }
    body = _token(runs, url)
    for call in (
        lambda: runs.sfn.send_task_success(taskToken=body["token"], output="{}"),
        lambda: runs.sfn.send_task_heartbeat(taskToken=body["token"]),
    ):
        with pytest.raises(ClientError) as late:
            call()
        assert late.value.response["Error"]["Code"] == "TaskTimedOut"


def test_an_unknown_token_is_invalid(runs: Runs) -> None:
    with pytest.raises(ClientError) as refused:
        runs.sfn.send_task_success(taskToken="x" * 20, output="{}")
    assert refused.value.response["Error"]["Code"] == "InvalidToken"


# --- activities ------------------------------------------------------------------------------


class Worker(threading.Thread):
    """A worker polling an activity once and keeping what it got."""

    def __init__(self, runs: Runs, activity: str) -> None:
        super().__init__(daemon=True)
        self.sfn = runs.harness.client("stepfunctions", read_timeout=90)
        self.activity = activity
        self.task: dict[str, Any] | None = None

    def run(self) -> None:
        self.task = self.sfn.get_activity_task(activityArn=self.activity, workerName="w-1")


def test_an_activity_task_is_taken_and_answered_by_a_worker(runs: Runs) -> None:
    activity = runs.sfn.create_activity(name=unique("act"))["activityArn"]
    worker = Worker(runs, activity)
    worker.start()
    machine = runs.machine(_task(activity, TimeoutSeconds=10**7, HeartbeatSeconds=10**6))
    execution = runs.start(machine, {"job": 1})
    worker.join(timeout=60)
    assert worker.task is not None and worker.task.get("taskToken")
    assert json.loads(worker.task["input"]) == {"job": 1}
    runs.sfn.send_task_success(taskToken=worker.task["taskToken"], output='{"done": 1}')
    assert output(runs.finished(execution)) == {"done": 1}
    assert runs.types(execution) == [
        "ExecutionStarted",
        "TaskStateEntered",
        "ActivityScheduled",
        "ActivityStarted",
        "ActivitySucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    ]
    scheduled = runs.event(execution, "ActivityScheduled")
    assert scheduled["resource"] == activity
    assert json.loads(scheduled["input"]) == {"job": 1}
    assert scheduled["timeoutInSeconds"] == 10**7
    assert scheduled["heartbeatInSeconds"] == 10**6
    assert runs.event(execution, "ActivityStarted") == {"workerName": "w-1"}


def test_an_activity_that_times_out_refuses_the_late_answer(runs: Runs) -> None:
    activity = runs.sfn.create_activity(name=unique("act"))["activityArn"]
    worker = Worker(runs, activity)
    worker.start()
    # 36,000 s is 3.6 s here: the waiting worker takes the task well before.
    machine = runs.machine(_task(activity, TimeoutSeconds=36000))
    execution = runs.start(machine, {})
    worker.join(timeout=60)
    assert worker.task is not None and worker.task.get("taskToken")
    described = runs.finished(execution)
    assert (described["status"], described["error"]) == ("FAILED", "States.Timeout")
    assert runs.types(execution)[-2:] == ["ActivityTimedOut", "ExecutionFailed"]
    assert runs.event(execution, "ActivityTimedOut")["error"] == "States.Timeout"
    with pytest.raises(ClientError) as late:
        runs.sfn.send_task_success(taskToken=worker.task["taskToken"], output="{}")
    assert late.value.response["Error"]["Code"] == "TaskTimedOut"


def test_an_activity_worker_failure_fails_the_execution(runs: Runs) -> None:
    activity = runs.sfn.create_activity(name=unique("act"))["activityArn"]
    worker = Worker(runs, activity)
    worker.start()
    execution = runs.start(runs.machine(_task(activity)), {})
    worker.join(timeout=60)
    assert worker.task is not None
    runs.sfn.send_task_failure(taskToken=worker.task["taskToken"], error="Worker.Bad", cause="why")
    described = runs.finished(execution)
    assert (described["error"], described["cause"]) == ("Worker.Bad", "why")
    assert runs.event(execution, "ActivityFailed") == {"error": "Worker.Bad", "cause": "why"}


# --- nested executions -----------------------------------------------------------------------


def _parent(child: str, resource: str) -> dict[str, Any]:
    return _task(
        f"arn:aws:states:::states:{resource}",
        Parameters={"StateMachineArn": child, "Input": {"from.$": "$.v"}},
    )


def test_sync_2_outputs_the_childs_output_as_json(runs: Runs) -> None:
    child = runs.machine(
        {
            "StartAt": "P",
            "States": {"P": {"Type": "Pass", "Result": {"c": 1}, "ResultPath": "$.r", "End": True}},
        }
    )
    described = runs.run(_parent(child, "startExecution.sync:2"), {"v": 9})
    result = output(described)
    assert result["Status"] == "SUCCEEDED"
    assert result["Output"] == {"from": 9, "r": {"c": 1}}
    assert result["StateMachineArn"] == child
    child_execution = result["ExecutionArn"]
    assert runs.sfn.describe_execution(executionArn=child_execution)["status"] == "SUCCEEDED"
    execution = described["executionArn"]
    assert runs.types(execution) == [
        "ExecutionStarted",
        "TaskStateEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskSubmitted",
        "TaskSucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    ]


def test_sync_outputs_the_childs_output_as_text(runs: Runs) -> None:
    child = runs.machine({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    result = output(runs.run(_parent(child, "startExecution.sync"), {"v": 1}))
    assert result["Status"] == "SUCCEEDED"
    assert json.loads(result["Output"]) == {"from": 1}


def test_a_failed_child_fails_the_parent(runs: Runs) -> None:
    child = runs.machine(
        {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Child.Bad", "Cause": "c"}}}
    )
    described = runs.run(_parent(child, "startExecution.sync:2"), {"v": 1})
    assert described["status"] == "FAILED"
    assert described["error"] == "States.TaskFailed"
    cause = json.loads(described["cause"])
    assert cause["Status"] == "FAILED"
    assert cause["Error"] == "Child.Bad"


def test_start_execution_without_sync_returns_at_once(runs: Runs) -> None:
    child = runs.machine(
        {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}}
    )
    result = output(runs.run(_parent(child, "startExecution"), {"v": 1}))
    assert result["ExecutionArn"].startswith(child.replace(":stateMachine:", ":execution:"))
    assert "StartDate" in result
    assert runs.finished(result["ExecutionArn"])["status"] == "SUCCEEDED"


def test_a_child_without_a_name_is_named_by_the_parents_attempt(runs: Runs) -> None:
    """A UUID fixed by the parent and the attempt: a start made again after a restart
    reaches the same child (the interpreter's replay tests run it again)."""
    child = runs.machine({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    described = runs.run(_parent(child, "startExecution.sync:2"), {"v": 1})
    name = output(described)["ExecutionArn"].rsplit(":", 1)[1]
    assert str(uuid.UUID(name)) == name and uuid.UUID(name).version == 5


def test_a_start_made_again_after_a_restart_reaches_the_child_it_made(runs: Runs) -> None:
    """What a resumed attempt asks when its start's outcome was lost (``repeat``): the
    execution of that name and input, even closed, is the one it made; a first start
    of a closed name is ExecutionAlreadyExists, as StartExecution's."""
    child = runs.machine({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    name = unique("child")
    first = runs.start(child, {"a": 1}, name=name)
    runs.finished(first)

    def start(repeat: bool, input: str = '{"a": 1}') -> Any:
        async def call(platform: Any) -> Any:
            runner = cast(Runner, platform.component("stepfunctions").runtime)
            return await runner.start_child(child, name, input, "arn:parent", ROLE, repeat=repeat)

        return runs.harness.call(call)

    assert start(repeat=True)[0] == first
    with pytest.raises(ExecutionAlreadyExists):
        start(repeat=False)
    with pytest.raises(ExecutionAlreadyExists):
        start(repeat=True, input='{"a": 2}')


def test_sync_waits_for_an_express_child(runs: Runs) -> None:
    child = runs.machine(
        {
            "StartAt": "W",
            "States": {
                "W": {"Type": "Wait", "Seconds": 3600, "Next": "P"},
                "P": {"Type": "Pass", "Result": "done", "End": True},
            },
        },
        type="EXPRESS",
    )
    result = output(runs.run(_parent(child, "startExecution.sync:2"), {"v": 1}))
    assert (result["Status"], result["Output"]) == ("SUCCEEDED", "done")
    assert ":express:" in result["ExecutionArn"]
    failing = runs.machine(
        {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Child.Bad"}}}, type="EXPRESS"
    )
    described = runs.run(_parent(failing, "startExecution.sync"), {"v": 1})
    assert described["error"] == "States.TaskFailed"
    assert json.loads(described["cause"])["Error"] == "Child.Bad"


# --- redrive ---------------------------------------------------------------------------------


def test_a_failed_execution_is_redriven_after_the_function_is_mended(runs: Runs) -> None:
    name, arn = runs.function(RAISES)
    definition = {
        "StartAt": "First",
        "States": {
            "First": {"Type": "Pass", "Result": {"id": 1}, "Next": "Call"},
            "Call": {"Type": "Task", "Resource": arn, "End": True},
        },
    }
    execution = runs.start(runs.machine(definition), {})
    failed = runs.finished(execution)
    assert (failed["status"], failed["error"]) == ("FAILED", "OrderError")
    assert failed["redriveStatus"] == "REDRIVABLE"
    runs.lam.update_function_code(FunctionName=name, ZipFile=zip_files({"app.py": ECHO}))
    runs.lam.get_waiter("function_updated_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 600}
    )
    redriven = runs.sfn.redrive_execution(executionArn=execution)
    assert "redriveDate" in redriven
    described = wait_until(
        lambda: (
            (found := runs.sfn.describe_execution(executionArn=execution))["status"] == "SUCCEEDED"
            and found
        ),
        timeout=30,
    )
    assert json.loads(described["output"]) == {"got": {"id": 1}}
    assert described["redriveCount"] == 1
    types = runs.types(execution)
    assert types[:4] == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "TaskStateEntered",
    ]
    assert types.count("PassStateEntered") == 1
    at = types.index("ExecutionFailed")
    assert types[at + 1] == "ExecutionRedriven"
    assert types[-3:] == ["LambdaFunctionSucceeded", "TaskStateExited", "ExecutionSucceeded"]
    assert runs.event(execution, "ExecutionRedriven") == {"redriveCount": 1}
    events = runs.history(execution)
    redriven = events[at + 1]
    assert redriven["previousEventId"] == events[at]["id"]
    listed = runs.sfn.list_executions(
        stateMachineArn=described["stateMachineArn"], redriveFilter="REDRIVEN"
    )["executions"]
    assert [e["executionArn"] for e in listed] == [execution]

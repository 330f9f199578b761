"""Step Functions' executions through boto3, around the recording runtime: what the API
stores and asks of the runtime (start, stop, redrive, run_sync, task tokens), what it
answers (DescribeExecution, ListExecutions, GetExecutionHistory from the journal), and
its refusals in AWS's texts."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from altus.asl.host import NewRecord
from altus.stepfunctions.component import StepFunctions
from altus.stepfunctions.model import TaskToken
from altus.stepfunctions.recording import RecordingRuntime
from altus.testing import wait_until
from tests.functional.stepfunctions_helpers import (
    ROLE,
    Server,
    definition,
    error,
    serve,
    unique,
)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    yield from serve()


@pytest.fixture
def runtime(server: Server) -> RecordingRuntime:
    return server.fresh_runtime()


def _finish(server: Server, runtime: RecordingRuntime, arn: str, status: str, **kw: Any) -> None:
    server.run(lambda sfn: runtime.finish(arn, status, **kw))


def test_a_start_is_stored_and_handed_to_the_runtime(
    server: Server, runtime: RecordingRuntime
) -> None:
    sfn = server.sfn
    machine = server.machine()
    started = sfn.start_execution(stateMachineArn=machine, name="first", input='{"a": 1}')
    arn = started["executionArn"]
    assert arn == machine.replace(":stateMachine:", ":execution:") + ":first"
    [(record,)] = runtime.called("start")
    assert record.arn == arn and record.input == '{"a": 1}' and record.role_arn == ROLE
    assert record.status == "RUNNING" and record.type == "STANDARD" and record.revision_key == ""
    got = sfn.describe_execution(executionArn=arn)
    assert got["status"] == "RUNNING" and got["name"] == "first"
    assert got["input"] == '{"a": 1}' and got["inputDetails"] == {"included": True}
    assert got["stateMachineArn"] == machine and got["redriveCount"] == 0
    assert got["redriveStatus"] == "NOT_REDRIVABLE"
    assert got["redriveStatusReason"] == "Execution is RUNNING and cannot be redriven"
    assert "stopDate" not in got and "output" not in got
    metadata = sfn.describe_execution(executionArn=arn, includedData="METADATA_ONLY")
    assert "input" not in metadata and metadata["inputDetails"] == {"included": False}

    # The same name and input while it runs: the same execution, not started again.
    again = sfn.start_execution(stateMachineArn=machine, name="first", input='{"a": 1}')
    assert again["executionArn"] == arn and again["startDate"] == started["startDate"]
    assert len(runtime.called("start")) == 1
    assert error(sfn.start_execution, stateMachineArn=machine, name="first", input="{}") == (
        "ExecutionAlreadyExists",
        f"Execution Already Exists: '{arn}'",
    )
    _finish(server, runtime, arn, "SUCCEEDED", output={"done": True})
    got = sfn.describe_execution(executionArn=arn)
    assert got["status"] == "SUCCEEDED" and json.loads(got["output"]) == {"done": True}
    assert got["outputDetails"] == {"included": True} and "stopDate" in got
    assert got["redriveStatusReason"] == "Execution is SUCCEEDED and cannot be redriven"
    # Closed: the name is taken even with the same input.
    assert error(sfn.start_execution, stateMachineArn=machine, name="first", input='{"a": 1}')[
        0
    ] == ("ExecutionAlreadyExists")

    # No name: a UUID; no input: {}.
    unnamed = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    described = sfn.describe_execution(executionArn=unnamed)
    assert len(described["name"]) == 36 and described["input"] == "{}"


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("", "Invalid State Machine Execution Input: 'Invalid execution input.'"),
        ("not json", None),
        ("{'a': 1}", None),
    ],
)
def test_bad_input_is_refused(server: Server, given: str, message: str | None) -> None:
    machine = server.machine()
    code, text = error(server.sfn.start_execution, stateMachineArn=machine, input=given)
    assert code == "InvalidExecutionInput"
    if message is not None:
        assert text == message
    else:
        assert text.startswith("Invalid State Machine Execution Input: '")


@pytest.mark.parametrize("given", ["1", '"text"', "null", "[]"])
def test_any_json_value_is_an_input(server: Server, given: str) -> None:
    machine = server.machine()
    arn = server.sfn.start_execution(stateMachineArn=machine, input=given)["executionArn"]
    assert server.sfn.describe_execution(executionArn=arn)["input"] == given


def test_starts_are_refused_where_aws_refuses_them(server: Server) -> None:
    sfn = server.sfn
    missing = server.machine().replace(":stateMachine:", ":stateMachine:gone-")
    assert error(sfn.start_execution, stateMachineArn=missing) == (
        "StateMachineDoesNotExist",
        f"State Machine Does Not Exist: '{missing}'",
    )
    assert error(sfn.start_execution, stateMachineArn="nope")[0] == "InvalidArn"
    machine = server.machine()
    assert error(sfn.start_execution, stateMachineArn=machine, name="bad name") == (
        "InvalidName",
        "Invalid Name: 'bad name'",
    )
    assert error(sfn.describe_execution, executionArn="invalid_execution_arn") == (
        "InvalidArn",
        "Invalid Arn: 'Invalid ARN prefix: invalid_execution_arn'",
    )
    gone = machine.replace(":stateMachine:", ":execution:") + ":never"
    for call in (sfn.describe_execution, sfn.get_execution_history, sfn.stop_execution):
        assert error(call, executionArn=gone) == (
            "ExecutionDoesNotExist",
            f"Execution Does Not Exist: '{gone}'",
        )


def test_versions_and_aliases_are_recorded_and_filtered(
    server: Server, runtime: RecordingRuntime
) -> None:
    sfn = server.sfn
    machine = server.machine(publish=True)
    sfn.update_state_machine(stateMachineArn=machine, definition=definition("v2"), publish=True)
    alias = sfn.create_state_machine_alias(
        name="live",
        routingConfiguration=[
            {"stateMachineVersionArn": f"{machine}:1", "weight": 30},
            {"stateMachineVersionArn": f"{machine}:2", "weight": 70},
        ],
    )["stateMachineAliasArn"]

    def draw(value: float) -> None:
        async def set_draw(component: StepFunctions) -> None:
            component.draw = lambda: value

        server.run(set_draw)

    draw(0.1)
    low = sfn.start_execution(stateMachineArn=alias)["executionArn"]
    draw(0.9)
    high = sfn.start_execution(stateMachineArn=alias)["executionArn"]
    direct = sfn.start_execution(stateMachineArn=f"{machine}:1")["executionArn"]
    plain = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    got = sfn.describe_execution(executionArn=low)
    assert got["stateMachineVersionArn"] == f"{machine}:1"
    assert got["stateMachineAliasArn"] == alias and got["stateMachineArn"] == machine
    assert sfn.describe_execution(executionArn=high)["stateMachineVersionArn"] == f"{machine}:2"

    def listed(**members: Any) -> set[str]:
        return {e["executionArn"] for e in sfn.list_executions(**members)["executions"]}

    assert listed(stateMachineArn=machine) == {low, high, direct, plain}
    assert listed(stateMachineArn=f"{machine}:1") == {low, direct}
    assert listed(stateMachineArn=alias) == {low, high}
    # The machine's executions' definitions: the version's, or the revision's it started from.
    for_version = sfn.describe_state_machine_for_execution(executionArn=high)
    assert json.loads(for_version["definition"])["Comment"] == "v2"
    assert for_version["stateMachineArn"] == machine
    sfn.update_state_machine(stateMachineArn=machine, definition=definition("v3"))
    for_plain = sfn.describe_state_machine_for_execution(executionArn=plain)
    assert json.loads(for_plain["definition"])["Comment"] == "v2"
    [_, _, _, (record,)] = runtime.called("start")
    assert record.revision_key != ""


def test_listing_filters_and_pages_newest_first(server: Server, runtime: RecordingRuntime) -> None:
    sfn = server.sfn
    machine = server.machine()
    arns = []
    for i in range(5):
        arns.append(sfn.start_execution(stateMachineArn=machine, name=f"e{i}")["executionArn"])
        server.harness.advance(1)
    _finish(server, runtime, arns[1], "FAILED", error="E", cause="C")
    seen: list[str] = []
    token: str | None = None
    for _ in range(10):  # bounded
        page = sfn.list_executions(
            stateMachineArn=machine, maxResults=2, **({"nextToken": token} if token else {})
        )
        assert len(page["executions"]) <= 2
        seen.extend(e["executionArn"] for e in page["executions"])
        token = page.get("nextToken")
        if not token:
            break
    assert seen == list(reversed(arns))
    failed = sfn.list_executions(stateMachineArn=machine, statusFilter="FAILED")["executions"]
    assert [e["executionArn"] for e in failed] == [arns[1]] and "stopDate" in failed[0]
    code, message = error(sfn.list_executions, stateMachineArn=machine, statusFilter="failed")
    assert code == "ValidationException" and "Member must satisfy enum value set" in message
    assert error(sfn.list_executions, stateMachineArn=machine, nextToken="x")[0] == "InvalidToken"
    missing = machine + "-gone"
    assert error(sfn.list_executions, stateMachineArn=missing) == (
        "StateMachineDoesNotExist",
        f"State Machine Does Not Exist: '{missing}'",
    )


def test_stop_closes_through_the_runtime(server: Server, runtime: RecordingRuntime) -> None:
    sfn = server.sfn
    machine = server.machine()
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    stopped = sfn.stop_execution(executionArn=arn, error="Why", cause="Because")
    assert runtime.called("stop") == [(arn, "Why", "Because")]
    got = sfn.describe_execution(executionArn=arn)
    assert got["status"] == "ABORTED" and got["stopDate"] == stopped["stopDate"]
    assert (got["error"], got["cause"]) == ("Why", "Because")
    [event] = sfn.get_execution_history(executionArn=arn)["events"]
    assert event["type"] == "ExecutionAborted"
    assert event["executionAbortedEventDetails"] == {"error": "Why", "cause": "Because"}
    # Stopping a closed execution changes nothing.
    assert sfn.stop_execution(executionArn=arn)["stopDate"] == stopped["stopDate"]
    assert len(runtime.called("stop")) == 1


def _journal(server: Server, arn: str, records: list[NewRecord]) -> None:
    async def append(sfn: StepFunctions) -> None:
        await sfn.store.append(arn, records, sfn.clock.now())

    server.run(append)


def test_history_comes_from_the_journal(server: Server, runtime: RecordingRuntime) -> None:
    sfn = server.sfn
    machine = server.machine()
    arn = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    data = {"truncated": False}
    _journal(
        server,
        arn,
        [
            NewRecord(
                "start", "ExecutionStarted", {"input": "{}", "inputDetails": data, "roleArn": ROLE}
            ),
            NewRecord("~draw", "~draw", {"value": 0.5}, public=False),
            NewRecord(
                "s/1", "PassStateEntered", {"name": "P", "input": "{}", "inputDetails": data}
            ),
            NewRecord(
                "s/1/x",
                "PassStateExited",
                {"name": "P", "output": '{"x":1}', "outputDetails": data},
                previous_id=2,
            ),
            NewRecord(
                "end",
                "ExecutionSucceeded",
                {"output": '{"x":1}', "outputDetails": data},
                previous_id=3,
            ),
        ],
    )
    events = sfn.get_execution_history(executionArn=arn)["events"]
    assert [(e["id"], e["previousEventId"], e["type"]) for e in events] == [
        (1, 0, "ExecutionStarted"),
        (2, 0, "PassStateEntered"),
        (3, 2, "PassStateExited"),
        (4, 3, "ExecutionSucceeded"),
    ]
    assert events[0]["executionStartedEventDetails"]["roleArn"] == ROLE
    assert events[1]["stateEnteredEventDetails"] == {
        "name": "P",
        "input": "{}",
        "inputDetails": data,
    }
    assert events[2]["stateExitedEventDetails"]["output"] == '{"x":1}'
    # Pages, both ways.
    first = sfn.get_execution_history(executionArn=arn, maxResults=3)
    assert [e["id"] for e in first["events"]] == [1, 2, 3]
    rest = sfn.get_execution_history(executionArn=arn, maxResults=3, nextToken=first["nextToken"])
    assert [e["id"] for e in rest["events"]] == [4] and "nextToken" not in rest
    back = sfn.get_execution_history(executionArn=arn, maxResults=2, reverseOrder=True)
    assert [e["id"] for e in back["events"]] == [4, 3]
    more = sfn.get_execution_history(
        executionArn=arn, maxResults=2, reverseOrder=True, nextToken=back["nextToken"]
    )
    assert [e["id"] for e in more["events"]] == [2, 1] and "nextToken" not in more
    # Without the execution's data.
    bare = sfn.get_execution_history(executionArn=arn, includeExecutionData=False)["events"]
    assert bare[1]["stateEnteredEventDetails"] == {"name": "P", "inputDetails": data}
    assert "output" not in bare[3]["executionSucceededEventDetails"]
    assert error(sfn.get_execution_history, executionArn=arn, nextToken="bad")[0] == (
        "InvalidToken"
    )
    code, _ = error(sfn.get_execution_history, executionArn=arn, maxResults=1001)
    assert code == "ValidationException"


def test_redrive_follows_aws_rules(server: Server, runtime: RecordingRuntime) -> None:
    sfn = server.sfn
    machine = server.machine()
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    code, message = error(sfn.redrive_execution, executionArn=arn)
    assert code == "ExecutionNotRedrivable" and "RUNNING" in message
    _finish(server, runtime, arn, "FAILED", error="States.TaskFailed", cause="boom")
    got = sfn.describe_execution(executionArn=arn)
    assert got["redriveStatus"] == "REDRIVABLE" and "redriveStatusReason" not in got
    redriven = sfn.redrive_execution(executionArn=arn, clientToken="t1")
    [(record,)] = runtime.called("redrive")
    assert record.redrive_count == 1 and record.status == "RUNNING"
    got = sfn.describe_execution(executionArn=arn)
    assert got["status"] == "RUNNING" and got["redriveCount"] == 1
    assert got["redriveDate"] == redriven["redriveDate"] and "error" not in got
    # The same client token again: the same redrive.
    again = sfn.redrive_execution(executionArn=arn, clientToken="t1")
    assert again["redriveDate"] == redriven["redriveDate"]
    assert len(runtime.called("redrive")) == 1
    assert error(sfn.redrive_execution, executionArn=arn, clientToken="t2")[0] == (
        "ExecutionNotRedrivable"
    )
    listed = sfn.list_executions(stateMachineArn=machine, redriveFilter="REDRIVEN")
    assert [e["executionArn"] for e in listed["executions"]] == [arn]
    assert (
        sfn.list_executions(stateMachineArn=machine, redriveFilter="NOT_REDRIVEN")["executions"]
        == []
    )
    # Fourteen days after it closed, it is no longer redrivable.
    _finish(server, runtime, arn, "TIMED_OUT")
    server.harness.advance(14 * 86_400 + 1)
    got = sfn.describe_execution(executionArn=arn)
    assert got["redriveStatus"] == "NOT_REDRIVABLE"
    assert got["redriveStatusReason"] == "Execution redrivable period exceeded"
    code, message = error(sfn.redrive_execution, executionArn=arn)
    assert code == "ExecutionNotRedrivable" and "Execution redrivable period exceeded" in message


def test_express_executions(server: Server, runtime: RecordingRuntime) -> None:
    sfn = server.sfn
    express = server.machine(type="EXPRESS")
    standard = server.machine()
    started = sfn.start_execution(stateMachineArn=express, name="x1", input='{"k": 2}')
    arn = started["executionArn"]
    assert ":express:" in arn and arn.split(":")[-2] == "x1"
    [(record,)] = runtime.called("start")
    assert record.type == "EXPRESS" and record.arn == arn
    expected = ("InvalidArn", "Invalid Arn: 'Resource type not valid in this context: express'")
    for call in (sfn.describe_execution, sfn.stop_execution, sfn.get_execution_history):
        assert error(call, executionArn=arn) == expected
    assert error(sfn.list_executions, stateMachineArn=express) == (
        "StateMachineTypeNotSupported",
        "This operation is not supported by this type of state machine",
    )
    assert error(sfn.start_sync_execution, stateMachineArn=standard) == (
        "StateMachineTypeNotSupported",
        "This operation is not supported by this type of state machine",
    )
    done = sfn.start_sync_execution(stateMachineArn=express, input='{"k": 3}', name="s1")
    assert done["status"] == "SUCCEEDED" and done["output"] == '{"k": 3}'
    assert done["name"] == "s1" and ":express:" in done["executionArn"]
    assert done["inputDetails"] == {"included": True}
    assert done["billingDetails"] == {
        "billedDurationInMilliseconds": 100,
        "billedMemoryUsedInMB": 64,
    }
    assert [r.input for (r,) in runtime.called("run_sync")] == ['{"k": 3}']
    quiet = sfn.start_sync_execution(stateMachineArn=express, includedData="METADATA_ONLY")
    assert "input" not in quiet and "output" not in quiet


def test_deleting_a_machine_with_running_executions(
    server: Server, runtime: RecordingRuntime
) -> None:
    sfn = server.sfn
    machine = server.machine()
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    sfn.delete_state_machine(stateMachineArn=machine)
    assert sfn.describe_state_machine(stateMachineArn=machine)["status"] == "DELETING"
    assert error(sfn.start_execution, stateMachineArn=machine)[0] == "StateMachineDeleting"
    _finish(server, runtime, arn, "SUCCEEDED", output={})
    assert error(sfn.describe_state_machine, stateMachineArn=machine)[0] == (
        "StateMachineDoesNotExist"
    )
    # Its executions stay readable.
    assert sfn.describe_execution(executionArn=arn)["status"] == "SUCCEEDED"


# --- task tokens -------------------------------------------------------------------------------


def _open(server: Server, token: str, activity: str | None = None, input: str = "{}") -> None:
    async def work(sfn: StepFunctions) -> None:
        now = sfn.clock.now()
        await sfn.desk.open(
            TaskToken(token, "arn:execution", now, now, activity_arn=activity, input=input)
        )

    server.run(work)


def test_task_tokens_are_answered_once(server: Server, runtime: RecordingRuntime) -> None:
    sfn = server.sfn
    token = unique("token")
    _open(server, token)
    sfn.send_task_heartbeat(taskToken=token)
    sfn.send_task_success(taskToken=token, output='{"ok": true}')
    assert runtime.called("send_success") == [(token, '{"ok": true}')]
    stored = server.run(lambda component: component.store.token(token))
    assert stored is not None and stored.status == "succeeded" and stored.answer == '{"ok": true}'
    late = ("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'")
    assert error(sfn.send_task_success, taskToken=token, output="{}") == late
    assert error(sfn.send_task_failure, taskToken=token, error="E") == late
    assert error(sfn.send_task_heartbeat, taskToken=token) == late
    other = unique("token")
    _open(server, other)
    sfn.send_task_failure(taskToken=other, error="Oops", cause="why")
    stored = server.run(lambda component: component.store.token(other))
    assert stored is not None and json.loads(stored.answer or "") == {
        "error": "Oops",
        "cause": "why",
    }
    assert error(sfn.send_task_success, taskToken="never-issued", output="{}")[0] == "InvalidToken"
    code, message = error(sfn.send_task_success, taskToken=other, output="not json")
    assert code == "InvalidOutput" and message.startswith("Invalid Output: '")


def test_activity_workers_take_tasks(server: Server, runtime: RecordingRuntime) -> None:
    sfn = server.sfn
    activity = sfn.create_activity(name=unique("work"))["activityArn"]
    token = unique("token")
    _open(server, token, activity, '{"job": 1}')
    task = sfn.get_activity_task(activityArn=activity, workerName="w1")
    assert (task["taskToken"], task["input"]) == (token, '{"job": 1}')
    stored = server.run(lambda component: component.store.token(token))
    assert stored is not None and stored.status == "started" and stored.worker == "w1"

    # A poller waits for the next task, and gets it when it comes.
    answers: list[dict[str, Any]] = []
    poller = threading.Thread(
        target=lambda: answers.append(sfn.get_activity_task(activityArn=activity)), daemon=True
    )
    poller.start()
    wait_until(lambda: len(runtime.called("get_activity_task")) == 2)
    second = unique("token")
    _open(server, second, activity, '{"job": 2}')
    poller.join(timeout=30)
    assert answers and answers[0]["taskToken"] == second

    # With nothing to take, the poll ends after its 60 s (of the server's clock).
    empty: list[dict[str, Any]] = []
    poller = threading.Thread(
        target=lambda: empty.append(sfn.get_activity_task(activityArn=activity)), daemon=True
    )
    poller.start()
    wait_until(lambda: len(runtime.called("get_activity_task")) == 3)
    for _ in range(100):  # bounded: each advance passes the poll's whole timeout
        server.harness.advance(61)
        poller.join(timeout=0.05)
        if not poller.is_alive():
            break
    assert empty and "taskToken" not in empty[0]

"""The interpreter's states and tasks, JSONPath: the events AWS writes for each (with
``previousEventId``), Retry and Catch, time-outs, task tokens and activities, the
payload quota, errors in a state's data, and stopping an execution."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from altus.asl.errors import StatesError
from altus.asl.host import TaskProgress, TaskRequest
from altus.asl.interpreter import run_execution
from altus.asl.memory import ScriptedTasks
from altus.clock import FakeClock
from tests.unit.asl_interpreter_harness import (
    ACTIVITY,
    FUNCTION,
    LAMBDA_INVOKE,
    ROLE,
    SQS_TOKEN,
    drive,
    event,
    execute,
    failing,
    history,
    info,
    new_host,
    returning,
    turns,
    types,
)

NOT_TRUNCATED = {"truncated": False}


def _in(name: str | None, text: str) -> dict[str, Any]:
    named = {} if name is None else {"name": name}
    return {**named, "input": text, "inputDetails": NOT_TRUNCATED}


def _out(name: str | None, text: str) -> dict[str, Any]:
    named = {} if name is None else {"name": name}
    return {**named, "output": text, "outputDetails": NOT_TRUNCATED}


def _task(resource: str = LAMBDA_INVOKE, **fields: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": resource, "End": True, **fields}


def _machine(**states: Any) -> dict[str, Any]:
    return {"StartAt": next(iter(states)), "States": states}


def test_pass_states_chain_their_events_as_aws_does() -> None:
    definition = _machine(
        A={"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.r", "Next": "B"},
        B={"Type": "Pass", "InputPath": "$.r", "Parameters": {"y.$": "$.x"}, "End": True},
    )
    outcome, host = execute(definition, {"in": "é"})
    assert outcome.status == "SUCCEEDED" and json.loads(outcome.output or "") == {"y": 1}
    assert history(host) == [
        (1, 0, "ExecutionStarted", {**_in(None, '{"in":"é"}'), "roleArn": ROLE}),
        (2, 0, "PassStateEntered", _in("A", '{"in":"é"}')),
        (3, 2, "PassStateExited", _out("A", '{"in":"é","r":{"x":1}}')),
        (4, 3, "PassStateEntered", _in("B", '{"in":"é","r":{"x":1}}')),
        (5, 4, "PassStateExited", _out("B", '{"y":1}')),
        (6, 5, "ExecutionSucceeded", _out(None, '{"y":1}')),
    ]


def test_an_integration_task_writes_scheduled_started_succeeded() -> None:
    tasks = ScriptedTasks({LAMBDA_INVOKE: returning({"Payload": {"ok": True}})})
    definition = _machine(
        T=_task(
            Parameters={"FunctionName": "f", "Payload.$": "$"},
            ResultSelector={"p.$": "$.Payload"},
            ResultPath="$.out",
            OutputPath="$.out",
            TimeoutSeconds=30,
        )
    )
    outcome, host = execute(definition, {"a": 1}, new_host(tasks))
    assert json.loads(outcome.output or "") == {"p": {"ok": True}}
    base = {"resourceType": "lambda", "resource": "invoke"}
    scheduled = {"region": "us-east-1", "parameters": '{"FunctionName":"f","Payload":{"a":1}}'}
    assert history(host)[1:] == [
        (2, 0, "TaskStateEntered", _in("T", '{"a":1}')),
        (3, 2, "TaskScheduled", {**base, **scheduled, "timeoutInSeconds": 30}),
        (4, 3, "TaskStarted", base),
        (5, 4, "TaskSucceeded", {**base, **_out(None, '{"Payload":{"ok":true}}')}),
        (6, 5, "TaskStateExited", _out("T", '{"p":{"ok":true}}')),
        (7, 6, "ExecutionSucceeded", _out(None, '{"p":{"ok":true}}')),
    ]
    request = tasks.calls[0]
    assert request.parameters == {"FunctionName": "f", "Payload": {"a": 1}}
    assert request.timeout == 30 and not request.resumed and request.state_name == "T"


def test_a_function_arn_writes_the_legacy_lambda_events() -> None:
    tasks = ScriptedTasks({FUNCTION: returning(7)})
    outcome, host = execute(_machine(T=_task(FUNCTION)), {"a": 1}, new_host(tasks))
    assert outcome.output == "7"
    assert history(host)[2:5] == [
        (3, 2, "LambdaFunctionScheduled", {**_in(None, '{"a":1}'), "resource": FUNCTION}),
        (4, 3, "LambdaFunctionStarted", {}),
        (5, 4, "LambdaFunctionSucceeded", _out(None, "7")),
    ]
    assert tasks.calls[0].parameters == {"a": 1}  # no Parameters: the effective input


def test_an_uncaught_task_failure_fails_the_execution() -> None:
    tasks = ScriptedTasks({LAMBDA_INVOKE: failing("Boom", "it broke")})
    outcome, host = execute(_machine(T=_task()), host=new_host(tasks))
    assert (outcome.status, outcome.error, outcome.cause) == ("FAILED", "Boom", "it broke")
    error = {"error": "Boom", "cause": "it broke"}
    assert history(host)[-2:] == [
        (5, 4, "TaskFailed", {"resourceType": "lambda", "resource": "invoke", **error}),
        (6, 5, "ExecutionFailed", error),
    ]


def test_retry_waits_its_backoff_and_counts_in_the_context() -> None:
    attempts: list[Any] = []

    async def flaky(request: TaskRequest, progress: TaskProgress) -> Any:
        attempts.append(request.parameters["retry"])
        if len(attempts) < 3:
            raise StatesError("Lambda.ServiceException", "try again")
        return "done"

    tasks = ScriptedTasks({LAMBDA_INVOKE: flaky})
    retry = [{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 2, "BackoffRate": 3}]
    definition = _machine(T=_task(Parameters={"retry.$": "$$.State.RetryCount"}, Retry=retry))
    host = new_host(tasks)
    start = host.clock.now()
    outcome, host = execute(definition, host=host)
    assert outcome.output == '"done"' and attempts == [0, 1, 2]
    assert types(host)[2:] == [
        "TaskScheduled", "TaskStarted", "TaskFailed",
        "TaskScheduled", "TaskStarted", "TaskFailed",
        "TaskScheduled", "TaskStarted", "TaskSucceeded",
        "TaskStateExited", "ExecutionSucceeded",
    ]  # fmt: skip
    assert host.clock.now() - start == 2 + 6
    scheduled = [e for e in host.log.events() if e.type == "TaskScheduled"]
    assert scheduled[1].previous_id == (scheduled[0].id or 0) + 2  # after the TaskFailed


def test_retries_run_out_then_the_catcher_takes_the_error() -> None:
    tasks = ScriptedTasks({LAMBDA_INVOKE: failing("Custom", "bad")})
    definition = _machine(
        T=_task(
            Retry=[{"ErrorEquals": ["Custom"], "MaxAttempts": 1, "IntervalSeconds": 1}],
            Catch=[
                {"ErrorEquals": ["Other"], "Next": "Never"},
                {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "After"},
            ],
            End=None,
        ),
        Never={"Type": "Succeed"},
        After={"Type": "Pass", "End": True},
    )
    del definition["States"]["T"]["End"]
    outcome, host = execute(definition, {"k": 1}, new_host(tasks))
    assert json.loads(outcome.output or "") == {
        "k": 1,
        "error": {"Error": "Custom", "Cause": "bad"},
    }
    assert types(host).count("TaskFailed") == 2
    exited = event(host, "TaskStateExited")
    assert exited.previous_id == event(host, "TaskFailed", 1).id
    assert types(host)[-3:] == ["PassStateEntered", "PassStateExited", "ExecutionSucceeded"]


def test_jitter_full_draws_a_share_of_the_delay_and_records_it() -> None:
    tasks = ScriptedTasks({LAMBDA_INVOKE: failing("E")})
    retry = [
        {"ErrorEquals": ["E"], "IntervalSeconds": 100, "MaxAttempts": 1, "JitterStrategy": "FULL"}
    ]
    host = new_host(tasks)
    start = host.clock.now()
    outcome, host = execute(_machine(T=_task(Retry=retry)), host=host)
    assert outcome.error == "E"
    record = next(r for r in host.log.records() if r.type == "~retry")
    assert 0 <= record.details["draw"] < 1
    assert host.clock.now() - start == pytest.approx(100 * record.details["draw"])


@pytest.mark.parametrize(
    ("value", "next_state"),
    [({"n": 1}, "One"), ({"n": 5}, "Big"), ({"n": 3}, "Other")],
)
def test_choice_takes_the_first_matching_rule_or_the_default(value: Any, next_state: str) -> None:
    definition = _machine(
        C={
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.n", "NumericEquals": 1, "Next": "One"},
                {"Variable": "$.n", "NumericGreaterThan": 4, "Next": "Big"},
            ],
            "Default": "Other",
        },
        One={"Type": "Succeed"},
        Big={"Type": "Succeed"},
        Other={"Type": "Succeed"},
    )
    outcome, host = execute(definition, value)
    assert outcome.status == "SUCCEEDED"
    assert event(host, "SucceedStateEntered").details["name"] == next_state
    assert types(host)[1:3] == ["ChoiceStateEntered", "ChoiceStateExited"]


def test_choice_without_match_or_default_fails_with_no_choice_matched() -> None:
    definition = _machine(
        C={"Type": "Choice", "Choices": [{"Variable": "$.n", "IsNull": True, "Next": "S"}]},
        S={"Type": "Succeed"},
    )
    outcome, host = execute(definition, {"n": 1})
    assert outcome.error == "States.NoChoiceMatched"
    assert (outcome.cause or "").startswith(
        "An error occurred while executing the state 'C' (entered at the event id #2)."
    )
    assert types(host) == ["ExecutionStarted", "ChoiceStateEntered", "ExecutionFailed"]


@pytest.mark.parametrize(
    ("fields", "value", "seconds"),
    [
        ({"Seconds": 3600}, {}, 360.0),
        ({"SecondsPath": "$.s"}, {"s": 10}, 1.0),
        ({"Timestamp": "2023-11-14T22:13:20Z"}, {}, 0.0),  # the clock's start: no wait
        ({"TimestampPath": "$.t"}, {"t": "2023-11-14T23:13:20Z"}, 360.0),
    ],
)
def test_wait_sleeps_its_scaled_duration(
    fields: dict[str, Any], value: Any, seconds: float
) -> None:
    host = new_host(time_scale=0.1)
    start = host.clock.now()
    definition = _machine(W={"Type": "Wait", "End": True, **fields})
    outcome, host = execute(definition, value, host)
    assert outcome.status == "SUCCEEDED" and json.loads(outcome.output or "") == value
    assert host.clock.now() - start == pytest.approx(seconds)
    assert types(host)[1:3] == ["WaitStateEntered", "WaitStateExited"]


@pytest.mark.parametrize(
    ("fields", "error", "cause"),
    [
        ({"Error": "E", "Cause": "C"}, "E", "C"),
        ({"ErrorPath": "$.e", "CausePath": "States.Format('because {}', $.c)"}, "err", "because x"),
        ({}, None, None),
    ],
)
def test_fail_ends_the_execution_with_its_error(fields: Any, error: Any, cause: Any) -> None:
    outcome, host = execute(_machine(F={"Type": "Fail", **fields}), {"e": "err", "c": "x"})
    assert (outcome.status, outcome.error, outcome.cause) == ("FAILED", error, cause)
    assert history(host)[-1][:3] == (3, 2, "ExecutionFailed")


def test_a_missing_path_is_a_runtime_error_no_catcher_takes() -> None:
    tasks = ScriptedTasks({LAMBDA_INVOKE: returning(1)})
    definition = _machine(
        T=_task(
            Parameters={"x.$": "$.missing"},
            Catch=[{"ErrorEquals": ["States.ALL"], "Next": "S"}],
        ),
        S={"Type": "Succeed"},
    )
    outcome, host = execute(definition, {"y": 1}, new_host(tasks))
    assert outcome.error == "States.Runtime"
    assert outcome.cause == (
        "An error occurred while executing the state 'T' (entered at the event id #2). "
        "The JSONPath '$.missing' specified for the field 'x.$' could not be found in the "
        "input '{\"y\":1}'"
    )
    assert types(host) == ["ExecutionStarted", "TaskStateEntered", "ExecutionFailed"]
    assert tasks.calls == []


def test_an_output_over_the_payload_quota_fails_with_data_limit_exceeded() -> None:
    definition = _machine(
        P={"Type": "Pass", "Result": "x" * 262_145, "Catch": [], "End": True},
    )
    outcome, _ = execute(definition)
    assert outcome.error == "States.DataLimitExceeded"


def test_a_task_result_over_the_quota_fails_the_task() -> None:
    tasks = ScriptedTasks({LAMBDA_INVOKE: returning("é" * 131_073)})
    definition = _machine(
        T=_task(Catch=[{"ErrorEquals": ["States.DataLimitExceeded"], "Next": "S"}]),
        S={"Type": "Succeed"},
    )
    outcome, host = execute(definition, host=new_host(tasks))
    assert outcome.status == "SUCCEEDED"
    assert event(host, "TaskFailed").details["cause"] == (
        "The state/task 'lambda' returned a result with a size exceeding the maximum number "
        "of bytes service limit."
    )


# --- task tokens and activities ------------------------------------------------------------


def _token_machine(**fields: Any) -> dict[str, Any]:
    parameters = {"QueueUrl": "q", "MessageBody": {"Token.$": "$$.Task.Token"}}
    return _machine(T=_task(SQS_TOKEN, Parameters=parameters, **fields))


def test_wait_for_task_token_submits_then_takes_the_answer() -> None:
    tasks = ScriptedTasks({SQS_TOKEN: returning({"MessageId": "m"})})
    host = new_host(tasks)

    def answer() -> None:
        for token in host.board.open_tokens():
            host.board.succeed(token, {"answer": 42})

    outcome, host = execute(_token_machine(HeartbeatSeconds=60), host=host, idle=answer)
    assert json.loads(outcome.output or "") == {"answer": 42}
    token = tasks.calls[0].parameters["MessageBody"]["Token"]
    assert tasks.calls[0].token == token and not host.board.is_open(token)
    base = {"resourceType": "sqs", "resource": "sendMessage.waitForTaskToken"}
    sent = {"parameters": f'{{"QueueUrl":"q","MessageBody":{{"Token":"{token}"}}}}'}
    assert [e[2:] for e in history(host)[2:6]] == [
        ("TaskScheduled", {**base, "region": "us-east-1", **sent, "heartbeatInSeconds": 60}),
        ("TaskStarted", base),
        ("TaskSubmitted", {**base, **_out(None, '{"MessageId":"m"}')}),
        ("TaskSucceeded", {**base, **_out(None, '{"answer":42}')}),
    ]


def test_a_token_failure_fails_the_task_and_a_retry_gets_a_new_token() -> None:
    tasks = ScriptedTasks({SQS_TOKEN: returning({})})
    host = new_host(tasks)

    def answer() -> None:
        for token in host.board.open_tokens():
            host.board.fail(token, "Nope", "no")

    retry = [{"ErrorEquals": ["Nope"], "MaxAttempts": 1}]
    outcome, host = execute(_token_machine(Retry=retry), host=host, idle=answer)
    assert (outcome.error, outcome.cause) == ("Nope", "no")
    first, second = (call.token for call in tasks.calls)
    assert first != second
    assert types(host).count("TaskFailed") == 2


def test_a_missed_heartbeat_times_the_task_out() -> None:
    tasks = ScriptedTasks({SQS_TOKEN: returning({})})
    host = new_host(tasks)
    start = host.clock.now()
    outcome, host = execute(_token_machine(HeartbeatSeconds=5, TimeoutSeconds=600), host=host)
    assert (outcome.error, outcome.cause) == ("States.Timeout", None)
    assert host.clock.now() - start == 5
    assert event(host, "TaskTimedOut").details == {
        "resourceType": "sqs",
        "resource": "sendMessage.waitForTaskToken",
        "error": "States.Timeout",
    }
    assert event(host, "ExecutionFailed").details == {"error": "States.Timeout"}
    assert host.board.open_tokens() == []


def test_heartbeats_keep_the_task_alive_until_its_timeout() -> None:
    tasks = ScriptedTasks({SQS_TOKEN: returning({})})
    host = new_host(tasks)
    start = host.clock.now()
    definition = _token_machine(HeartbeatSeconds=5, TimeoutSeconds=12)

    clock = host.clock
    assert isinstance(clock, FakeClock)

    async def main() -> Any:
        job = asyncio.ensure_future(run_execution(definition, info(), host))
        for _ in range(10):
            await turns()
            if job.done():
                break
            for token in host.board.open_tokens():
                host.board.heartbeat(token)
            await turns()
            clock.advance(4)
        return job.result()

    outcome = asyncio.run(main())
    assert outcome.error == "States.Timeout"
    assert event(host, "TaskTimedOut").timestamp - start == 12


def test_a_task_that_takes_too_long_times_out() -> None:
    async def forever(request: TaskRequest, progress: TaskProgress) -> Any:
        await asyncio.Event().wait()

    tasks = ScriptedTasks({LAMBDA_INVOKE: forever})
    outcome, host = execute(_machine(T=_task(TimeoutSeconds=10)), host=new_host(tasks))
    assert outcome.error == "States.Timeout"
    assert types(host)[-2:] == ["TaskTimedOut", "ExecutionFailed"]


def test_an_activity_is_taken_by_a_worker_and_answered() -> None:
    host = new_host()
    taken: list[tuple[str, str]] = []

    def worker() -> None:
        if not taken:
            got = host.board.take(ACTIVITY, "w1")
            if got is not None:
                taken.append(got)
        elif host.board.is_open(taken[0][0]):
            host.board.succeed(taken[0][0], "ok")

    definition = _machine(T=_task(ACTIVITY, Parameters={"job.$": "$.j"}, TimeoutSeconds=100))
    outcome, host = execute(definition, {"j": 3}, host, idle=worker)
    assert outcome.output == '"ok"' and taken[0][1] == '{"job":3}'
    assert [e[2:] for e in history(host)[2:5]] == [
        (
            "ActivityScheduled",
            {**_in(None, '{"job":3}'), "resource": ACTIVITY, "timeoutInSeconds": 100},
        ),
        ("ActivityStarted", {"workerName": "w1"}),
        ("ActivitySucceeded", _out(None, '"ok"')),
    ]


def test_a_sync_task_records_what_it_submitted() -> None:
    sync = "arn:aws:states:::states:startExecution.sync:2"

    async def job(request: TaskRequest, progress: TaskProgress) -> Any:
        await progress.submitted({"ExecutionArn": "child"})
        return {"Status": "SUCCEEDED"}

    tasks = ScriptedTasks({sync: job})
    outcome, host = execute(_machine(T=_task(sync)), host=new_host(tasks))
    assert outcome.status == "SUCCEEDED"
    assert types(host)[2:6] == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]


# --- the execution -------------------------------------------------------------------------


def test_the_definition_timeout_times_the_execution_out() -> None:
    definition = {"TimeoutSeconds": 5, **_machine(W={"Type": "Wait", "Seconds": 60, "End": True})}
    outcome, host = execute(definition)
    assert (outcome.status, outcome.error) == ("TIMED_OUT", "States.Timeout")
    assert history(host)[-1] == (3, 2, "ExecutionTimedOut", {"error": "States.Timeout"})


def test_started_records_the_version_and_alias() -> None:
    _, host = execute(
        _machine(P={"Type": "Pass", "End": True}), version_arn="arn:v:1", alias_arn="arn:a"
    )
    details = event(host, "ExecutionStarted").details
    assert details["stateMachineVersionArn"] == "arn:v:1"
    assert details["stateMachineAliasArn"] == "arn:a"


def test_stopping_the_execution_closes_its_token_and_propagates() -> None:
    tasks = ScriptedTasks({SQS_TOKEN: returning({})})
    host = new_host(tasks)

    async def main() -> None:
        job = asyncio.ensure_future(run_execution(_token_machine(), info(), host))
        await turns()
        (token,) = host.board.open_tokens()
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job
        assert not host.board.is_open(token)

    asyncio.run(main())


def test_a_finished_execution_run_again_returns_its_outcome() -> None:
    tasks = ScriptedTasks({LAMBDA_INVOKE: returning(1)})
    outcome, host = execute(_machine(T=_task()), host=new_host(tasks))

    async def again() -> Any:
        return await drive(host, run_execution(_machine(T=_task()), info(), host))

    assert asyncio.run(again()) == outcome and len(tasks.calls) == 1

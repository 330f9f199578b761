"""The interpreter against histories AWS recorded (LocalStack's snapshot files of real
executions, facts only): each case runs the recorded definition on the recorded input,
tasks giving the recorded results, and compares the output, the error and cause, and
every event (id, previousEventId, type, details with their JSON text)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from altus.asl.host import TaskProgress, TaskRequest
from altus.asl.memory import ScriptedTasks
from tests.unit.asl_interpreter_harness import (
    FUNCTION,
    LAMBDA_INVOKE,
    ROLE,
    execute,
    history,
    new_host,
    returning,
)

NOT_TRUNCATED = {"truncated": False}
LIMIT_CAUSE = (
    "The state/task '{}' returned a result with a size exceeding the maximum number of "
    "bytes service limit."
)
LAMBDA = {"resourceType": "lambda", "resource": "invoke"}


def _text(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def started(value: Any) -> dict[str, Any]:
    return {"input": _text(value), "inputDetails": NOT_TRUNCATED, "roleArn": ROLE}


def entered(name: str, value: Any) -> dict[str, Any]:
    return {"name": name, "input": _text(value), "inputDetails": NOT_TRUNCATED}


def exited(name: str, value: Any) -> dict[str, Any]:
    return {"name": name, "output": _text(value), "outputDetails": NOT_TRUNCATED}


def output(value: Any) -> dict[str, Any]:
    return {"output": _text(value), "outputDetails": NOT_TRUNCATED}


def iteration(name: str, index: int) -> dict[str, Any]:
    return {"name": name, "index": index}


def _pass_map(**extra: Any) -> dict[str, Any]:
    """scenarios/map_state*.json5: a Pass loading ``$.arr``, then the Map."""
    return {
        "StartAt": "StartState",
        "States": {
            "StartState": {
                "Type": "Pass",
                "Result": extra.pop("result", [1]),
                "ResultPath": "$.arr",
                "Next": "MapState",
            },
            "MapState": {
                "Type": "Map",
                "ResultPath": None,
                "InputPath": "$.arr",
                "MaxConcurrency": 1,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": extra.pop("start", "HandleItem"),
                    "States": extra.pop("states", {"HandleItem": {"Type": "Pass", "End": True}}),
                },
                "Next": "Final",
                **extra,
            },
            "FinalCaught": {"Type": "Pass", "End": True},
            "Final": {"Type": "Pass", "End": True},
        },
    }


_FAIL_ITEM = {
    "start": "HandleItemFail",
    "states": {
        "HandleItemFail": {
            "Type": "Fail",
            "Error": "HandleItemFailError",
            "Cause": "HandleItemFailCause",
        }
    },
}


def test_map_state() -> None:
    """test_base_scenarios::test_map_state: MaxConcurrency 1; an iteration starts after
    the last state event of the one before; MapStateSucceeded and MapStateExited both
    follow the last MapIterationSucceeded."""
    items = [1, "Hello", {}, None, 3.3, 3, 4, 5]
    outcome, host = execute(_pass_map(result=items), {})
    data = {"arr": items}
    expected = [
        (1, 0, "ExecutionStarted", started({})),
        (2, 0, "PassStateEntered", entered("StartState", {})),
        (3, 2, "PassStateExited", exited("StartState", data)),
        (4, 3, "MapStateEntered", entered("MapState", data)),
        (5, 4, "MapStateStarted", {"length": 8}),
    ]
    last = 5
    for index, item in enumerate(items):
        first = 6 + index * 4
        expected += [
            (first, last, "MapIterationStarted", iteration("MapState", index)),
            (first + 1, first, "PassStateEntered", entered("HandleItem", item)),
            (first + 2, first + 1, "PassStateExited", exited("HandleItem", item)),
            (first + 3, first + 2, "MapIterationSucceeded", iteration("MapState", index)),
        ]
        last = first + 2
    expected += [
        (38, 37, "MapStateSucceeded", {}),
        (39, 37, "MapStateExited", exited("MapState", data)),
        (40, 39, "PassStateEntered", entered("Final", data)),
        (41, 40, "PassStateExited", exited("Final", data)),
        (42, 41, "ExecutionSucceeded", output(data)),
    ]
    assert history(host) == expected
    assert outcome.output == _text(data)


def test_map_state_catch() -> None:
    """test_base_scenarios::test_map_state_catch: MapStateFailed follows the failed
    state's event, not MapIterationFailed; the catcher's output is the error output."""
    outcome, host = execute(
        _pass_map(
            **_FAIL_ITEM, Catch=[{"ErrorEquals": ["HandleItemFailError"], "Next": "FinalCaught"}]
        ),
        {},
    )
    error = {"Error": "HandleItemFailError", "Cause": "HandleItemFailCause"}
    assert history(host) == [
        (1, 0, "ExecutionStarted", started({})),
        (2, 0, "PassStateEntered", entered("StartState", {})),
        (3, 2, "PassStateExited", exited("StartState", {"arr": [1]})),
        (4, 3, "MapStateEntered", entered("MapState", {"arr": [1]})),
        (5, 4, "MapStateStarted", {"length": 1}),
        (6, 5, "MapIterationStarted", iteration("MapState", 0)),
        (7, 6, "FailStateEntered", entered("HandleItemFail", 1)),
        (8, 7, "MapIterationFailed", iteration("MapState", 0)),
        (9, 7, "MapStateFailed", {}),
        (10, 9, "MapStateExited", exited("MapState", error)),
        (11, 10, "PassStateEntered", entered("FinalCaught", error)),
        (12, 11, "PassStateExited", exited("FinalCaught", error)),
        (13, 12, "ExecutionSucceeded", output(error)),
    ]
    assert outcome.output == _text(error)


def test_map_state_retry() -> None:
    """test_base_scenarios::test_map_state_retry: each retry's MapStateStarted follows
    the failed state's event; MapStateFailed only once, at the end."""
    outcome, host = execute(
        _pass_map(**_FAIL_ITEM, Retry=[{"ErrorEquals": ["HandleItemFailError"], "MaxAttempts": 2}]),
        {},
    )
    expected = [
        (1, 0, "ExecutionStarted", started({})),
        (2, 0, "PassStateEntered", entered("StartState", {})),
        (3, 2, "PassStateExited", exited("StartState", {"arr": [1]})),
        (4, 3, "MapStateEntered", entered("MapState", {"arr": [1]})),
    ]
    previous = 4
    for attempt in range(3):
        first = 5 + attempt * 4
        expected += [
            (first, previous, "MapStateStarted", {"length": 1}),
            (first + 1, first, "MapIterationStarted", iteration("MapState", 0)),
            (first + 2, first + 1, "FailStateEntered", entered("HandleItemFail", 1)),
            (first + 3, first + 2, "MapIterationFailed", iteration("MapState", 0)),
        ]
        previous = first + 2
    expected += [
        (17, 15, "MapStateFailed", {}),
        (
            18,
            17,
            "ExecutionFailed",
            {"error": "HandleItemFailError", "cause": "HandleItemFailCause"},
        ),
    ]
    assert history(host) == expected
    assert (outcome.error, outcome.cause) == ("HandleItemFailError", "HandleItemFailCause")


def test_map_state_item_selector_member_order() -> None:
    """test_base_scenarios::test_map_state_item_selector: the selected item's members in
    AWS's order (copied ones first, computed ones in Java HashMap order)."""
    shipped = [
        {"prod": "R31", "dest-code": 9511, "quantity": 1344},
        {"prod": "S39", "dest-code": 9511, "quantity": 40},
    ]
    detail = {"delivery-partner": "UQS", "shipped": shipped}
    definition = _pass_map(
        ItemsPath="$.shipped",
        ItemSelector={
            "original_input.$": "$",
            "iteration_input_value.$": "$$.Map.Item.Value",
            "iteration_index.$": "$$.Map.Item.Index",
            "from_input_constant.$": "$.delivery-partner",
            "constant_value": "HelloWorld",
        },
    )
    definition["States"]["StartState"] = {
        "Type": "Pass",
        "Result": {"detail": detail},
        "Next": "MapState",
    }
    definition["States"]["MapState"].update(
        InputPath="$.detail", ResultPath="$.detail.shipped_output"
    )
    _, host = execute(definition, {})
    entered_inputs = [e[3]["input"] for e in history(host) if e[2] == "PassStateEntered"][1:3]
    assert entered_inputs == [
        '{"constant_value":"HelloWorld","iteration_input_value":'
        + _text(item)
        + ',"from_input_constant":"UQS","iteration_index":'
        + str(index)
        + ',"original_input":'
        + _text(detail)
        + "}"
        for index, item in enumerate(shipped)
    ]


def test_parallel_state() -> None:
    """test_base_scenarios::test_parallel_state: the branches' events (their order among
    branches unrecorded), then ParallelStateExited following the last of them."""
    branch = {"Type": "Pass"}
    definition = {
        "StartAt": "LoadInput",
        "States": {
            "LoadInput": {"Type": "Pass", "Result": [1, 2, 3, 4], "Next": "ParallelState"},
            "ParallelState": {
                "Type": "Parallel",
                "End": True,
                "Branches": [
                    {"StartAt": "Branch1", "States": {"Branch1": {**branch, "End": True}}},
                    {
                        "StartAt": "Branch21",
                        "States": {
                            "Branch21": {**branch, "Next": "Branch22"},
                            "Branch22": {**branch, "End": True},
                        },
                    },
                    {
                        "StartAt": "Branch31",
                        "States": {
                            "Branch31": {**branch, "Next": "Branch32"},
                            "Branch32": {**branch, "Next": "Branch33"},
                            "Branch33": {**branch, "End": True},
                        },
                    },
                ],
            },
        },
    }
    outcome, host = execute(definition, {})
    events = history(host)
    values = [1, 2, 3, 4]
    assert events[:5] == [
        (1, 0, "ExecutionStarted", started({})),
        (2, 0, "PassStateEntered", entered("LoadInput", {})),
        (3, 2, "PassStateExited", exited("LoadInput", values)),
        (4, 3, "ParallelStateEntered", entered("ParallelState", values)),
        (5, 4, "ParallelStateStarted", {}),
    ]
    inside = sorted((e[2], e[3]["name"]) for e in events[5:17])
    names = ["Branch1", "Branch21", "Branch22", "Branch31", "Branch32", "Branch33"]
    assert inside == sorted(
        [("PassStateEntered", n) for n in names] + [("PassStateExited", n) for n in names]
    )
    result = [values] * 3
    assert events[17:] == [
        (18, 17, "ParallelStateSucceeded", {}),
        (19, 17, "ParallelStateExited", exited("ParallelState", result)),
        (20, 19, "ExecutionSucceeded", output(result)),
    ]
    assert outcome.output == _text(result)


def _over_quota(resource: str, parameters: Any, catch: list[str], handler: str) -> dict[str, Any]:
    state: dict[str, Any] = {
        "Type": "Task",
        "Resource": resource,
        "Catch": [{"ErrorEquals": catch, "Next": handler}],
        "End": True,
    }
    if parameters is not None:
        state["Parameters"] = parameters
    return {
        "StartAt": "InvokeLambda",
        "States": {"InvokeLambda": state, handler: {"Type": "Pass", "End": True}},
    }


def test_a_task_result_over_the_quota_is_caught_by_name_and_by_states_all() -> None:
    """test_states_errors::test_(service_)task_lambda(_catch_state_all)_data_limit_exceeded
    _on_large_utf8_response: the task fails with States.DataLimitExceeded, which a
    ["States.DataLimitExceeded"] and a ["States.ALL"] catcher both take."""
    given = {"FunctionName": "fn", "Payload": None}
    big = "é" * 140_000
    for catch, handler in (
        (["States.DataLimitExceeded"], "HandleDataLimitExceeded"),
        (["States.ALL"], "HandleGeneralError"),
    ):
        for resource in (LAMBDA_INVOKE, FUNCTION):
            service = resource == LAMBDA_INVOKE
            parameters = {"FunctionName.$": "$.FunctionName", "Payload.$": "$.Payload"}
            definition = _over_quota(resource, parameters if service else None, catch, handler)
            host = new_host(ScriptedTasks({resource: returning(big)}))
            outcome, host = execute(definition, given, host)
            error = {
                "Error": "States.DataLimitExceeded",
                "Cause": LIMIT_CAUSE.format("lambda" if service else FUNCTION),
            }
            failure = {"error": error["Error"], "cause": error["Cause"]}
            if service:
                calls = [
                    (
                        3,
                        2,
                        "TaskScheduled",
                        {**LAMBDA, "region": "us-east-1", "parameters": _text(given)},
                    ),
                    (4, 3, "TaskStarted", LAMBDA),
                    (5, 4, "TaskFailed", {**LAMBDA, **failure}),
                ]
            else:
                scheduled = {"resource": FUNCTION, **entered("", given)}
                del scheduled["name"]
                calls = [
                    (3, 2, "LambdaFunctionScheduled", scheduled),
                    (4, 3, "LambdaFunctionStarted", {}),
                    (5, 4, "LambdaFunctionFailed", failure),
                ]
            assert history(host) == [
                (1, 0, "ExecutionStarted", started(given)),
                (2, 0, "TaskStateEntered", entered("InvokeLambda", given)),
                *calls,
                (6, 5, "TaskStateExited", exited("InvokeLambda", error)),
                (7, 6, "PassStateEntered", entered(handler, error)),
                (8, 7, "PassStateExited", exited(handler, error)),
                (9, 8, "ExecutionSucceeded", output(error)),
            ]
            assert outcome.output == _text(error)


async def _never(request: TaskRequest, progress: TaskProgress) -> Any:
    await asyncio.Event().wait()


def test_map_iterations_timing_out() -> None:
    """test_timeouts::test_service_lambda_map_timeout: iterations started together write
    their MapIterationStarted first (all after MapStateStarted), each task is scheduled
    before any starts; the first iteration to fail halts the others, whose state and
    iteration are aborted after the failed task's event, and MapStateFailed follows it.
    (AWS's run also shows the other tasks' own TaskTimedOut, racing the halt, and one
    more TaskStateAborted; a halt that comes first leaves them out.)"""
    item = {"FunctionName": "fn", "Payload": None}
    definition = {
        "StartAt": "MapWait",
        "States": {
            "MapWait": {
                "Type": "Map",
                "InputPath": "$.Inputs",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "LambdaInvoke",
                    "States": {
                        "LambdaInvoke": {
                            "Type": "Task",
                            "Resource": LAMBDA_INVOKE,
                            "TimeoutSeconds": 5,
                            "Parameters": {
                                "FunctionName.$": "$.FunctionName",
                                "Payload.$": "$.Payload",
                            },
                            "End": True,
                        }
                    },
                },
                "End": True,
            }
        },
    }
    given = {"Inputs": [item] * 4}
    host = new_host(ScriptedTasks({LAMBDA_INVOKE: _never}))
    outcome, host = execute(definition, given, host)
    scheduled = {**LAMBDA, "region": "us-east-1", "parameters": _text(item), "timeoutInSeconds": 5}
    expected = [
        (1, 0, "ExecutionStarted", started(given)),
        (2, 0, "MapStateEntered", entered("MapWait", given)),
        (3, 2, "MapStateStarted", {"length": 4}),
        *[(4 + i, 3, "MapIterationStarted", iteration("MapWait", i)) for i in range(4)],
    ]
    for i in range(4):
        expected += [
            (8 + 2 * i, 4 + i, "TaskStateEntered", entered("LambdaInvoke", item)),
            (9 + 2 * i, 8 + 2 * i, "TaskScheduled", scheduled),
        ]
    expected += [(16 + i, 9 + 2 * i, "TaskStarted", LAMBDA) for i in range(4)]
    expected += [
        (20, 16, "TaskTimedOut", {**LAMBDA, "error": "States.Timeout"}),
        (21, 20, "MapIterationFailed", iteration("MapWait", 0)),
    ]
    for i in range(1, 4):
        expected += [
            (20 + 2 * i, 20, "TaskStateAborted", {}),
            (21 + 2 * i, 20, "MapIterationAborted", iteration("MapWait", i)),
        ]
    expected += [
        (28, 20, "MapStateFailed", {}),
        (29, 28, "ExecutionFailed", {"error": "States.Timeout"}),
    ]
    assert history(host) == expected
    assert (outcome.error, outcome.cause) == ("States.Timeout", None)


def test_the_context_object_of_a_pass_state_has_no_retry_count() -> None:
    """test_context_object::test_input_path[$$]: ``$$`` of a Pass state."""
    definition = {
        "StartAt": "TestState",
        "States": {"TestState": {"Type": "Pass", "InputPath": "$$", "End": True}},
    }
    outcome, _ = execute(definition, {"input-value": 0})
    context = json.loads(outcome.output or "")
    assert list(context) == ["Execution", "StateMachine", "State"]
    assert list(context["Execution"]) == [
        "Id",
        "Input",
        "StartTime",
        "Name",
        "RoleArn",
        "RedriveCount",
    ]
    assert list(context["State"]) == ["Name", "EnteredTime"]


def test_parameters_and_result_selector_member_order() -> None:
    """test_context_object::test_result_selector: ``Parameters`` {FunctionName.$,
    Payload{Input.$}} is sent as {Payload, FunctionName}; ``ResultSelector``
    {LambdaOutput.$, ContextObjectValue.$} gives {ContextObjectValue, LambdaOutput}."""
    given = {"FunctionName": "fn", "Payload": {"input-value": 0}}
    definition = {
        "StartAt": "TestState",
        "States": {
            "TestState": {
                "Type": "Task",
                "Resource": LAMBDA_INVOKE,
                "Parameters": {"FunctionName.$": "$.FunctionName", "Payload": {"Input.$": "$"}},
                "ResultSelector": {
                    "LambdaOutput.$": "$",
                    "ContextObjectValue.$": "$$.Execution.Input",
                },
                "End": True,
            }
        },
    }
    result = {"StatusCode": 200}
    host = new_host(ScriptedTasks({LAMBDA_INVOKE: returning(result)}))
    outcome, host = execute(definition, given, host)
    events = history(host)
    assert events[2][3]["parameters"] == _text({"Payload": {"Input": given}, "FunctionName": "fn"})
    assert outcome.output == _text({"ContextObjectValue": given, "LambdaOutput": result})

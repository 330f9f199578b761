"""Executions of every state type through boto3 against a real server: the data flow of
both query languages, Choice, Wait's four forms, Succeed and Fail, Parallel and Map,
variables, intrinsic functions, Retry and Catch, checked by output, error and cause, and
the history events AWS records for them."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.functional.stepfunctions_runs import Runs, output, serve


@pytest.fixture(scope="module")
def runs() -> Iterator[Runs]:
    yield from serve()


def _pass(**fields: Any) -> dict[str, Any]:
    return {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True, **fields}}}


# --- Pass and the JSONPath data flow ------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "given", "expected"),
    [
        ({}, {"a": 1}, {"a": 1}),
        ({"Result": {"r": 2}}, {"a": 1}, {"r": 2}),
        ({"Result": {"r": 2}, "ResultPath": "$.out"}, {"a": 1}, {"a": 1, "out": {"r": 2}}),
        ({"Result": "x", "ResultPath": None}, {"a": 1}, {"a": 1}),
        ({"InputPath": "$.in"}, {"in": {"b": 2}, "c": 3}, {"b": 2}),
        ({"OutputPath": "$.in.b"}, {"in": {"b": 2}}, 2),
        (
            {"Parameters": {"x.$": "$.a", "fixed": "f", "ctx.$": "$$.State.Name"}},
            {"a": [1, 2]},
            {"x": [1, 2], "fixed": "f", "ctx": "P"},
        ),
        (
            {
                "InputPath": "$.in",
                "Parameters": {"v.$": "$.v"},
                "ResultPath": "$.in.done",
                "OutputPath": "$.in",
            },
            {"in": {"v": 5}},
            {"v": 5, "done": {"v": 5}},
        ),
    ],
)
def test_pass_data_flow(runs: Runs, fields: dict[str, Any], given: Any, expected: Any) -> None:
    assert output(runs.run(_pass(**fields), given)) == expected


def test_pass_history_is_entered_then_exited(runs: Runs) -> None:
    described = runs.run(_pass(Result={"r": 1}, ResultPath="$.r"), {"a": 1})
    arn = described["executionArn"]
    events = runs.history(arn)
    assert [e["type"] for e in events] == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ]
    assert [e["id"] for e in events] == [1, 2, 3, 4]
    started, entered, exited, succeeded = events
    assert started["executionStartedEventDetails"] == {
        "input": '{"a":1}',
        "inputDetails": {"truncated": False},
        "roleArn": described["ResponseMetadata"]
        and started["executionStartedEventDetails"]["roleArn"],
    }
    assert entered["stateEnteredEventDetails"] == {
        "name": "P",
        "input": '{"a":1}',
        "inputDetails": {"truncated": False},
    }
    assert exited["stateExitedEventDetails"] == {
        "name": "P",
        "output": '{"a":1,"r":{"r":1}}',
        "outputDetails": {"truncated": False},
    }
    assert succeeded["executionSucceededEventDetails"] == {
        "output": '{"a":1,"r":{"r":1}}',
        "outputDetails": {"truncated": False},
    }


def test_each_event_follows_the_one_before(runs: Runs) -> None:
    # As AWS records them: the first state's entry follows no event (0), not
    # ExecutionStarted.
    described = runs.run(_pass(), {})
    events = runs.history(described["executionArn"])
    assert [e["previousEventId"] for e in events] == [0, 0, 2, 3]


def test_an_input_path_that_matches_nothing_fails_the_execution(runs: Runs) -> None:
    described = runs.run(_pass(InputPath="$.missing"), {"a": 1})
    assert described["status"] == "FAILED"
    assert described["error"] == "States.Runtime"
    assert "$.missing" in described["cause"]


# --- intrinsic functions ------------------------------------------------------------------------


def test_intrinsic_functions_in_parameters(runs: Runs) -> None:
    parameters = {
        "greeting.$": "States.Format('Hello, {}!', $.name)",
        "parts.$": "States.StringSplit($.csv, ',')",
        "length.$": "States.ArrayLength($.list)",
        "item.$": "States.ArrayGetItem($.list, 1)",
        "sum.$": "States.MathAdd($.n, 3)",
        "json.$": "States.JsonToString($.obj)",
        "parsed.$": "States.StringToJson($.text)",
        "merged.$": "States.JsonMerge($.obj, $.more, false)",
        "encoded.$": "States.Base64Encode($.name)",
        "contains.$": "States.ArrayContains($.list, 30)",
        "range.$": "States.ArrayRange(1, 9, 4)",
        "unique.$": "States.ArrayUnique($.dupes)",
        "hash.$": "States.Hash($.name, 'SHA-256')",
        "array.$": "States.Array($.n, 'x')",
    }
    given = {
        "name": "World",
        "csv": "a,b,c",
        "list": [10, 20, 30],
        "n": 4,
        "obj": {"k": 1},
        "more": {"j": 2},
        "text": '{"t":[1]}',
        "dupes": [1, 1, 2],
    }
    assert output(runs.run(_pass(Parameters=parameters), given)) == {
        "greeting": "Hello, World!",
        "parts": ["a", "b", "c"],
        "length": 3,
        "item": 20,
        "sum": 7,
        "json": '{"k":1}',
        "parsed": {"t": [1]},
        "merged": {"k": 1, "j": 2},
        "encoded": "V29ybGQ=",
        "contains": True,
        "range": [1, 5, 9],
        "unique": [1, 2],
        "hash": "78ae647dc5544d227130a0682a51e30bc7777fbb6d8a8f17007463a3ecd1d524",
        "array": [4, "x"],
    }


def test_a_failing_intrinsic_is_an_intrinsic_failure(runs: Runs) -> None:
    described = runs.run(_pass(Parameters={"x.$": "States.ArrayGetItem($.list, 5)"}), {"list": []})
    assert described["status"] == "FAILED"
    assert described["error"] == "States.IntrinsicFailure"


# --- Choice --------------------------------------------------------------------------------------

CHOICE = {
    "StartAt": "C",
    "States": {
        "C": {
            "Type": "Choice",
            "Choices": [
                {
                    "And": [
                        {"Variable": "$.n", "IsPresent": True},
                        {"Variable": "$.n", "NumericGreaterThan": 10},
                    ],
                    "Next": "Big",
                },
                {
                    "And": [
                        {"Variable": "$.s", "IsPresent": True},
                        {"Variable": "$.s", "IsString": True},
                        {"Variable": "$.s", "StringEquals": "go"},
                    ],
                    "Next": "Go",
                },
                {
                    "And": [
                        {"Variable": "$.t", "IsPresent": True},
                        {"Not": {"Variable": "$.t", "BooleanEquals": False}},
                    ],
                    "Next": "True",
                },
                {
                    "And": [
                        {"Variable": "$.w", "IsPresent": True},
                        {"Variable": "$.w", "StringMatches": "log-*.txt"},
                    ],
                    "Next": "Glob",
                },
                {
                    "And": [
                        {"Variable": "$.limit", "IsPresent": True},
                        {"Variable": "$.limit", "IsNumeric": True},
                        {"Variable": "$.n", "NumericLessThanPath": "$.limit"},
                    ],
                    "Next": "Small",
                },
                {
                    "And": [
                        {"Variable": "$.at", "IsPresent": True},
                        {"Variable": "$.at", "IsTimestamp": True},
                        {"Variable": "$.at", "TimestampLessThan": "2020-01-01T00:00:00Z"},
                    ],
                    "Next": "Small",
                },
            ],
            "Default": "Other",
        },
        **{
            name: {"Type": "Pass", "Result": name, "End": True}
            for name in ("Big", "Go", "True", "Glob", "Small", "Other")
        },
    },
}


@pytest.mark.parametrize(
    ("given", "chosen"),
    [
        ({"n": 11}, "Big"),
        ({"n": 10, "s": "go"}, "Go"),
        ({"t": True}, "True"),
        ({"s": 1}, "Other"),
        ({"t": False}, "Other"),
        ({"w": "log-1.txt"}, "Glob"),
        ({"n": 1, "limit": 2}, "Small"),
        ({"at": "2019-06-01T00:00:00Z"}, "Small"),
        ({"n": 3, "limit": 2}, "Other"),
        ({}, "Other"),
    ],
)
def test_choice_rules_and_default(runs: Runs, given: Any, chosen: str) -> None:
    assert output(runs.run(CHOICE, given)) == chosen


def test_a_choice_variable_that_is_not_there_fails_the_execution(runs: Runs) -> None:
    definition = {
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "D"}],
                "Default": "D",
            },
            "D": {"Type": "Succeed"},
        },
    }
    described = runs.run(definition, {})
    assert described["status"] == "FAILED"
    assert described["error"] == "States.Runtime"
    assert described["cause"] == (
        "An error occurred while executing the state 'C' (entered at the event id #2). "
        "Invalid path '$.n': The choice state's condition path references an invalid value."
    )


def test_choice_history_and_no_choice_matched(runs: Runs) -> None:
    definition = {
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "Done"}],
            },
            "Done": {"Type": "Succeed"},
        },
    }
    machine = runs.machine(definition)
    matched = runs.finished(runs.start(machine, {"n": 1}))
    assert output(matched) == {"n": 1}
    assert runs.types(matched["executionArn"]) == [
        "ExecutionStarted",
        "ChoiceStateEntered",
        "ChoiceStateExited",
        "SucceedStateEntered",
        "SucceedStateExited",
        "ExecutionSucceeded",
    ]
    missed = runs.finished(runs.start(machine, {"n": 2}))
    assert missed["status"] == "FAILED"
    assert missed["error"] == "States.NoChoiceMatched"
    arn = missed["executionArn"]
    assert runs.types(arn) == ["ExecutionStarted", "ChoiceStateEntered", "ExecutionFailed"]
    assert runs.event(arn, "ExecutionFailed")["error"] == "States.NoChoiceMatched"


# --- Wait ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "given"),
    [
        ({"Seconds": 3600}, {}),
        ({"SecondsPath": "$.s"}, {"s": 7200}),
        ({"Timestamp": "2016-03-14T01:59:00Z"}, {}),
        ({"TimestampPath": "$.at"}, {"at": "2016-08-18T17:33:00+00:00"}),
    ],
)
def test_wait_in_each_form(runs: Runs, fields: dict[str, Any], given: Any) -> None:
    definition = {"StartAt": "W", "States": {"W": {"Type": "Wait", "End": True, **fields}}}
    described = runs.run(definition, given)
    assert output(described) == given
    assert runs.types(described["executionArn"]) == [
        "ExecutionStarted",
        "WaitStateEntered",
        "WaitStateExited",
        "ExecutionSucceeded",
    ]


def test_a_wait_for_the_future_waits(runs: Runs) -> None:
    # An hour is a third of a second at the tests' scale: the execution is still waiting
    # right after it starts, then ends.
    definition = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 36000, "End": True}}}
    arn = runs.start(runs.machine(definition), {})
    assert runs.sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
    assert runs.finished(arn)["status"] == "SUCCEEDED"


def test_a_wait_path_that_is_not_a_number_fails(runs: Runs) -> None:
    definition = {
        "StartAt": "W",
        "States": {"W": {"Type": "Wait", "SecondsPath": "$.s", "End": True}},
    }
    described = runs.run(definition, {"s": "soon"})
    assert described["status"] == "FAILED"
    assert described["error"] == "States.Runtime"


# --- Succeed and Fail ----------------------------------------------------------------------------


def test_succeed_ends_with_its_output(runs: Runs) -> None:
    definition = {
        "StartAt": "S",
        "States": {"S": {"Type": "Succeed", "InputPath": "$.a", "OutputPath": "$.b"}},
    }
    assert output(runs.run(definition, {"a": {"b": [1]}})) == [1]


def test_fail_with_error_and_cause(runs: Runs) -> None:
    definition = {
        "StartAt": "F",
        "States": {"F": {"Type": "Fail", "Error": "Custom.Bad", "Cause": "it went wrong"}},
    }
    described = runs.run(definition, {})
    assert described["status"] == "FAILED"
    assert (described["error"], described["cause"]) == ("Custom.Bad", "it went wrong")
    assert "output" not in described
    arn = described["executionArn"]
    assert runs.types(arn) == ["ExecutionStarted", "FailStateEntered", "ExecutionFailed"]
    assert runs.event(arn, "ExecutionFailed") == {"error": "Custom.Bad", "cause": "it went wrong"}


def test_fail_with_error_path_and_cause_path(runs: Runs) -> None:
    definition = {
        "StartAt": "F",
        "States": {
            "F": {
                "Type": "Fail",
                "ErrorPath": "States.Format('App.{}', $.code)",
                "CausePath": "$.why",
            }
        },
    }
    described = runs.run(definition, {"code": "E42", "why": "no stock"})
    assert (described["error"], described["cause"]) == ("App.E42", "no stock")


def test_fail_without_error_or_cause(runs: Runs) -> None:
    described = runs.run({"StartAt": "F", "States": {"F": {"Type": "Fail"}}}, {})
    assert described["status"] == "FAILED"
    assert "error" not in described and "cause" not in described
    assert runs.event(described["executionArn"], "ExecutionFailed") == {}


# --- Parallel ------------------------------------------------------------------------------------


def test_parallel_outputs_each_branchs_output_in_order(runs: Runs) -> None:
    definition = {
        "StartAt": "Par",
        "States": {
            "Par": {
                "Type": "Parallel",
                "ResultPath": "$.results",
                "Branches": [
                    {
                        "StartAt": "W",
                        "States": {
                            "W": {"Type": "Wait", "Seconds": 3600, "Next": "A"},
                            "A": {"Type": "Pass", "Result": "a", "End": True},
                        },
                    },
                    {
                        "StartAt": "B",
                        "States": {"B": {"Type": "Pass", "InputPath": "$.x", "End": True}},
                    },
                ],
                "End": True,
            }
        },
    }
    described = runs.run(definition, {"x": 1})
    assert output(described) == {"x": 1, "results": ["a", 1]}
    types = runs.types(described["executionArn"])
    assert types[:3] == ["ExecutionStarted", "ParallelStateEntered", "ParallelStateStarted"]
    assert types[-3:] == ["ParallelStateSucceeded", "ParallelStateExited", "ExecutionSucceeded"]
    assert sorted(types[3:-3]) == sorted(
        ["WaitStateEntered", "WaitStateExited", "PassStateEntered", "PassStateExited"] * 1
        + ["PassStateEntered", "PassStateExited"]
    )


def test_a_failing_branch_fails_the_parallel_and_is_caught(runs: Runs) -> None:
    definition = {
        "StartAt": "Par",
        "States": {
            "Par": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "c"}}},
                    {
                        "StartAt": "W",
                        "States": {"W": {"Type": "Wait", "Seconds": 36000, "End": True}},
                    },
                ],
                "Catch": [{"ErrorEquals": ["E"], "ResultPath": "$.caught", "Next": "After"}],
                "End": True,
            },
            "After": {"Type": "Pass", "End": True},
        },
    }
    described = runs.run(definition, {"in": 1})
    assert output(described) == {"in": 1, "caught": {"Error": "E", "Cause": "c"}}
    types = runs.types(described["executionArn"])
    assert "ParallelStateFailed" in types
    assert "ParallelStateSucceeded" not in types
    assert types[-3:] == ["PassStateEntered", "PassStateExited", "ExecutionSucceeded"]


# --- Map -----------------------------------------------------------------------------------------


def test_map_with_item_selector_and_max_concurrency(runs: Runs) -> None:
    definition = {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": 2,
                "ItemSelector": {
                    "value.$": "$$.Map.Item.Value",
                    "index.$": "$$.Map.Item.Index",
                    "factor.$": "$.factor",
                },
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "Mul",
                    "States": {
                        "Mul": {
                            "Type": "Pass",
                            "Parameters": {
                                "i.$": "$.index",
                                "product.$": "States.MathAdd($.value, $.factor)",
                            },
                            "End": True,
                        }
                    },
                },
                "ResultPath": "$.out",
                "End": True,
            }
        },
    }
    described = runs.run(definition, {"items": [1, 2, 3], "factor": 10})
    assert output(described)["out"] == [
        {"i": 0, "product": 11},
        {"i": 1, "product": 12},
        {"i": 2, "product": 13},
    ]
    arn = described["executionArn"]
    types = runs.types(arn)
    assert types[:3] == ["ExecutionStarted", "MapStateEntered", "MapStateStarted"]
    assert types.count("MapIterationStarted") == 3
    assert types.count("MapIterationSucceeded") == 3
    assert types[-3:] == ["MapStateSucceeded", "MapStateExited", "ExecutionSucceeded"]
    assert runs.event(arn, "MapStateStarted") == {"length": 3}
    iterations = [e for e in runs.history(arn) if e["type"] == "MapIterationStarted"]
    assert sorted(e["mapIterationStartedEventDetails"]["index"] for e in iterations) == [0, 1, 2]
    assert {e["mapIterationStartedEventDetails"]["name"] for e in iterations} == {"M"}


def test_an_empty_map_outputs_an_empty_list(runs: Runs) -> None:
    definition = {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
                "End": True,
            }
        },
    }
    assert output(runs.run(definition, [])) == []


def test_a_failing_iteration_is_caught(runs: Runs) -> None:
    definition = {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "ItemProcessor": {
                    "StartAt": "C",
                    "States": {
                        "C": {
                            "Type": "Choice",
                            "Choices": [{"Variable": "$", "NumericEquals": 2, "Next": "Bad"}],
                            "Default": "Good",
                        },
                        "Bad": {"Type": "Fail", "Error": "Item.Bad", "Cause": "two"},
                        "Good": {"Type": "Pass", "End": True},
                    },
                },
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handled"}],
                "End": True,
            },
            "Handled": {"Type": "Pass", "End": True},
        },
    }
    described = runs.run(definition, [1, 2, 3])
    assert output(described) == {"Error": "Item.Bad", "Cause": "two"}
    types = runs.types(described["executionArn"])
    assert "MapIterationFailed" in types
    assert "MapStateFailed" in types
    assert types[-3:] == ["PassStateEntered", "PassStateExited", "ExecutionSucceeded"]


# --- Retry and Catch -----------------------------------------------------------------------------

FLAKY = """
import json, os, pathlib
def handler(event, context):
    marker = pathlib.Path(event["dir"]) / "calls"
    calls = int(marker.read_text()) if marker.exists() else 0
    marker.write_text(str(calls + 1))
    if calls < event["failures"]:
        raise RuntimeError(f"attempt {calls + 1}")
    return {"calls": calls + 1}
"""


def _retrying(function_arn: str, max_attempts: int) -> dict[str, Any]:
    return {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": function_arn,
                "Retry": [
                    {
                        "ErrorEquals": ["RuntimeError"],
                        "IntervalSeconds": 3600,
                        "BackoffRate": 2.0,
                        "MaxAttempts": max_attempts,
                    }
                ],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        },
    }


def test_retry_with_back_off_until_the_function_succeeds(runs: Runs, tmp_path: Any) -> None:
    _, arn = runs.function(FLAKY)
    described = runs.run(_retrying(arn, 3), {"dir": str(tmp_path), "failures": 2})
    assert output(described) == {"calls": 3}
    types = runs.types(described["executionArn"])
    assert types.count("LambdaFunctionScheduled") == 3
    assert types.count("LambdaFunctionFailed") == 2
    assert types[-3:] == ["LambdaFunctionSucceeded", "TaskStateExited", "ExecutionSucceeded"]


def test_retries_exhausted_go_to_the_catcher(runs: Runs, tmp_path: Any) -> None:
    _, arn = runs.function(FLAKY)
    described = runs.run(_retrying(arn, 2), {"dir": str(tmp_path), "failures": 5})
    caught = output(described)
    assert caught["Error"] == "RuntimeError"
    assert json.loads(caught["Cause"])["errorMessage"] == "attempt 3"
    types = runs.types(described["executionArn"])
    assert types.count("LambdaFunctionFailed") == 3
    assert types[-3:] == ["PassStateEntered", "PassStateExited", "ExecutionSucceeded"]


def test_a_catcher_with_result_path_keeps_the_input(runs: Runs) -> None:
    definition = {
        "StartAt": "Par",
        "States": {
            "Par": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "X", "Cause": "y"}}}
                ],
                "Retry": [{"ErrorEquals": ["X"], "MaxAttempts": 1, "IntervalSeconds": 60}],
                "Catch": [{"ErrorEquals": ["X"], "ResultPath": "$.error", "Next": "End"}],
                "End": True,
            },
            "End": {"Type": "Succeed"},
        },
    }
    described = runs.run(definition, {"keep": True})
    assert output(described) == {"keep": True, "error": {"Error": "X", "Cause": "y"}}
    assert runs.types(described["executionArn"]).count("ParallelStateStarted") == 2


# --- JSONata and variables -----------------------------------------------------------------------


def test_jsonata_arguments_output_assign_and_states(runs: Runs) -> None:
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "First",
        "States": {
            "First": {
                "Type": "Pass",
                "Assign": {
                    "total": "{% $sum($states.input.values) %}",
                    "name": "{% $states.input.who %}",
                },
                "Output": {"count": "{% $count($states.input.values) %}"},
                "Next": "Check",
            },
            "Check": {
                "Type": "Choice",
                "Choices": [
                    {
                        "Condition": "{% $total > 5 %}",
                        "Next": "Big",
                        "Assign": {"t": "{% $total %}"},
                    }
                ],
                "Default": "Small",
            },
            "Big": {
                "Type": "Pass",
                "Output": {
                    "who": "{% $name %}",
                    "t": "{% $t %}",
                    "count": "{% $states.input.count %}",
                    "state": "{% $states.context.State.Name %}",
                    "upper": "{% $uppercase($name) %}",
                },
                "End": True,
            },
            "Small": {"Type": "Fail", "Error": "Small"},
        },
    }
    described = runs.run(definition, {"values": [1, 2, 3], "who": "ann"})
    assert output(described) == {
        "who": "ann",
        "t": 6,
        "count": 3,
        "state": "Big",
        "upper": "ANN",
    }
    small = runs.run(definition, {"values": [1], "who": "bo"})
    assert (small["status"], small["error"]) == ("FAILED", "Small")


def test_jsonata_fail_and_evaluation_errors(runs: Runs) -> None:
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "F",
        "States": {
            "F": {
                "Type": "Fail",
                "Error": "{% 'Err.' & $states.input.code %}",
                "Cause": "{% $string($states.input.n * 2) %}",
            }
        },
    }
    described = runs.run(definition, {"code": "X", "n": 21})
    assert (described["error"], described["cause"]) == ("Err.X", "42")
    broken = runs.run(
        {
            "QueryLanguage": "JSONata",
            "StartAt": "P",
            "States": {"P": {"Type": "Pass", "Output": "{% $states.input.a.b %}", "End": True}},
        },
        {"a": 1},
    )
    assert broken["status"] == "FAILED"
    assert broken["error"] == "States.QueryEvaluationError"


def test_jsonata_task_arguments_call_a_function(runs: Runs) -> None:
    name, _ = runs.function(
        "def handler(event, context):\n    return {'doubled': event['n'] * 2}\n"
    )
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Arguments": {"FunctionName": name, "Payload": {"n": "{% $states.input.n %}"}},
                "Output": "{% $states.result.Payload %}",
                "End": True,
            }
        },
    }
    assert output(runs.run(definition, {"n": 21})) == {"doubled": 42}


def test_jsonpath_variables_across_states(runs: Runs) -> None:
    definition = {
        "StartAt": "Set",
        "States": {
            "Set": {
                "Type": "Pass",
                "Assign": {"kept.$": "$.a", "literal": 7, "sum.$": "States.MathAdd($.a, 1)"},
                "Next": "Between",
            },
            "Between": {"Type": "Pass", "Result": {"other": 1}, "Next": "Use"},
            "Use": {
                "Type": "Pass",
                "Parameters": {"kept.$": "$kept", "literal.$": "$literal", "sum.$": "$sum"},
                "End": True,
            },
        },
    }
    assert output(runs.run(definition, {"a": 41})) == {"kept": 41, "literal": 7, "sum": 42}


def test_variables_are_seen_in_a_map_iteration(runs: Runs) -> None:
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Set",
        "States": {
            "Set": {"Type": "Pass", "Assign": {"base": 100}, "Next": "M"},
            "M": {
                "Type": "Map",
                "Items": "{% $states.input %}",
                "ItemProcessor": {
                    "StartAt": "Add",
                    "States": {
                        "Add": {
                            "Type": "Pass",
                            "Output": "{% $base + $states.input %}",
                            "End": True,
                        }
                    },
                },
                "End": True,
            },
        },
    }
    assert output(runs.run(definition, [1, 2])) == [101, 102]


def test_timestamps_in_history_are_ordered(runs: Runs) -> None:
    described = runs.run(_pass(), {})
    stamps = [e["timestamp"] for e in runs.history(described["executionArn"])]
    assert all(isinstance(s, datetime.datetime) for s in stamps)
    assert stamps == sorted(stamps)

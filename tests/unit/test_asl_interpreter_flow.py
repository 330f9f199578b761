"""The interpreter's JSONata states, variables, Parallel and Map (inline and distributed):
outputs, scopes and the events AWS writes around branches and iterations."""

from __future__ import annotations

import json
from typing import Any

from altus.asl.errors import StatesError
from altus.asl.host import TaskProgress, TaskRequest
from altus.asl.memory import ScriptedTasks
from tests.unit.asl_interpreter_harness import (
    LAMBDA_INVOKE,
    event,
    execute,
    failing,
    history,
    new_host,
    returning,
    types,
)

GET_OBJECT = "arn:aws:states:::s3:getObject"
PUT_OBJECT = "arn:aws:states:::s3:putObject"


def _output(outcome: Any) -> Any:
    assert outcome.status == "SUCCEEDED", outcome
    return json.loads(outcome.output)


# --- JSONata and variables -----------------------------------------------------------------


def test_jsonata_arguments_output_and_assign() -> None:
    tasks = ScriptedTasks({LAMBDA_INVOKE: returning({"Payload": 5})})
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": LAMBDA_INVOKE,
                "Arguments": {"FunctionName": "f", "Payload": "{% $states.input.n * 2 %}"},
                "Assign": {"seen": "{% $states.result.Payload %}"},
                "Output": "{% {'got': $states.result.Payload, 'in': $states.input.n} %}",
                "Next": "P",
            },
            "P": {"Type": "Pass", "Output": "{% [$seen, $states.input.got] %}", "End": True},
        },
    }
    outcome, _ = execute(definition, {"n": 3}, new_host(tasks))
    assert _output(outcome) == [5, 5]
    assert tasks.calls[0].parameters == {"FunctionName": "f", "Payload": 6}


def test_assign_sees_the_variables_from_before_the_state() -> None:
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "B"},
            "B": {"Type": "Pass", "Assign": {"x": "{% $x + 1 %}", "y": "{% $x %}"}, "Next": "C"},
            "C": {"Type": "Pass", "Output": "{% [$x, $y] %}", "End": True},
        },
    }
    outcome, _ = execute(definition)
    assert _output(outcome) == [2, 1]


def test_jsonpath_assign_and_variable_paths() -> None:
    definition = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Result": {"v": 7}, "Assign": {"seven.$": "$.v"}, "Next": "B"},
            "B": {"Type": "Pass", "Parameters": {"again.$": "$seven"}, "End": True},
        },
    }
    outcome, _ = execute(definition)
    assert _output(outcome) == {"again": 7}


def test_jsonata_catch_sees_the_error_output() -> None:
    tasks = ScriptedTasks({LAMBDA_INVOKE: failing("Oops", "why")})
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": LAMBDA_INVOKE,
                "Catch": [
                    {
                        "ErrorEquals": ["States.ALL"],
                        "Output": "{% $states.errorOutput.Error & '/' & $states.input.k %}",
                        "Assign": {"cause": "{% $states.errorOutput.Cause %}"},
                        "Next": "P",
                    }
                ],
                "End": True,
            },
            "P": {"Type": "Pass", "Output": "{% [$states.input, $cause] %}", "End": True},
        },
    }
    outcome, _ = execute(definition, {"k": "v"}, new_host(tasks))
    assert _output(outcome) == ["Oops/v", "why"]


def test_jsonata_choice_conditions_and_rule_assign() -> None:
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "Choices": [
                    {"Condition": "{% $states.input.n > 1 %}", "Assign": {"r": "big"}, "Next": "E"}
                ],
                "Default": "E",
                "Assign": {"r": "small"},
            },
            "E": {"Type": "Pass", "Output": "{% $r %}", "End": True},
        },
    }
    assert _output(execute(definition, {"n": 2})[0]) == "big"
    assert _output(execute(definition, {"n": 0})[0]) == "small"


def test_a_jsonata_error_is_a_catchable_query_evaluation_error() -> None:
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Output": "{% $notthere.x %}", "End": True}},
    }
    outcome, _ = execute(definition)
    assert outcome.error == "States.QueryEvaluationError"
    assert (outcome.cause or "").startswith(
        "An error occurred while executing the state 'P' (entered at the event id #2). "
    )


# --- Parallel ------------------------------------------------------------------------------


def _branch(name: str, state: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": name, "States": {name: {"End": True, **state}}}


def test_parallel_outputs_its_branches_in_order_and_keeps_their_variables_in() -> None:
    definition = {
        "StartAt": "Set",
        "States": {
            "Set": {"Type": "Pass", "Assign": {"outer": 1}, "Next": "Par"},
            "Par": {
                "Type": "Parallel",
                "Branches": [
                    _branch("B1", {"Type": "Pass", "Parameters": {"o.$": "$outer"}}),
                    _branch("B2", {"Type": "Pass", "Result": 2, "Assign": {"outer": 99}}),
                ],
                "Next": "After",
            },
            "After": {"Type": "Pass", "Parameters": {"outer.$": "$outer", "r.$": "$"}, "End": True},
        },
    }
    outcome, host = execute(definition, {"i": 0})
    assert _output(outcome) == {"outer": 1, "r": [{"o": 1}, 2]}
    events = history(host)
    started = event(host, "ParallelStateStarted")
    entered = [e for e in events if e[2] == "PassStateEntered" and e[3]["name"] in ("B1", "B2")]
    assert [e[1] for e in entered] == [started.id, started.id]
    succeeded = event(host, "ParallelStateSucceeded")
    last_branch_event = max(e[0] for e in events if e[3].get("name") in ("B1", "B2"))
    assert succeeded.previous_id == last_branch_event
    assert event(host, "ParallelStateExited").previous_id == last_branch_event


def test_a_failed_branch_fails_the_parallel_which_catch_handles() -> None:
    definition: dict[str, Any] = {
        "StartAt": "Par",
        "States": {
            "Par": {
                "Type": "Parallel",
                "Branches": [
                    _branch("Ok", {"Type": "Pass"}),
                    _branch("Bad", {"Type": "Fail", "Error": "E", "Cause": "C"}),
                ],
                "Catch": [{"ErrorEquals": ["E"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        },
    }
    outcome, host = execute(definition)
    assert _output(outcome) == {"Error": "E", "Cause": "C"}
    failed = event(host, "ParallelStateFailed")
    assert failed.previous_id == event(host, "FailStateEntered").id
    assert event(host, "ParallelStateExited").previous_id == failed.id
    del definition["States"]["Par"]["Catch"]
    outcome, host = execute(definition)
    assert (outcome.error, outcome.cause) == ("E", "C")
    assert types(host)[-2:] == ["ParallelStateFailed", "ExecutionFailed"]


# --- Map -----------------------------------------------------------------------------------


def _map(**fields: Any) -> dict[str, Any]:
    processor = {"StartAt": "Handle", "States": {"Handle": {"Type": "Pass", "End": True}}}
    return {
        "StartAt": "M",
        "States": {"M": {"Type": "Map", "ItemProcessor": processor, "End": True, **fields}},
    }


def test_a_sequential_map_chains_its_events_as_aws_does() -> None:
    outcome, host = execute(_map(ItemsPath="$.arr", MaxConcurrency=1), {"arr": [1, "a"]})
    assert _output(outcome) == [1, "a"]
    shape = [(e[0], e[1], e[2], e[3].get("index", e[3].get("length"))) for e in history(host)]
    assert shape == [
        (1, 0, "ExecutionStarted", None),
        (2, 0, "MapStateEntered", None),
        (3, 2, "MapStateStarted", 2),
        (4, 3, "MapIterationStarted", 0),
        (5, 4, "PassStateEntered", None),
        (6, 5, "PassStateExited", None),
        (7, 6, "MapIterationSucceeded", 0),
        (8, 6, "MapIterationStarted", 1),
        (9, 8, "PassStateEntered", None),
        (10, 9, "PassStateExited", None),
        (11, 10, "MapIterationSucceeded", 1),
        (12, 11, "MapStateSucceeded", None),
        (13, 11, "MapStateExited", None),
        (14, 13, "ExecutionSucceeded", None),
    ]
    assert event(host, "MapIterationStarted").details == {"name": "M", "index": 0}


def test_map_item_selector_sees_the_item_and_results_keep_their_order() -> None:
    definition = _map(ItemSelector={"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value"})
    outcome, _ = execute(definition, list(range(50)))
    assert _output(outcome) == [{"i": i, "v": i} for i in range(50)]


def test_a_failed_iteration_fails_the_map_after_its_iteration_failed_event() -> None:
    processor = {
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "Choices": [{"Variable": "$", "NumericEquals": 3, "Next": "Break"}],
                "Default": "Ok",
            },
            "Break": {"Type": "Fail", "Error": "Broke"},
            "Ok": {"Type": "Pass", "End": True},
        },
    }
    definition = _map(MaxConcurrency=1, ItemProcessor=processor)
    outcome, host = execute(definition, [1, 3, 5])
    assert outcome.error == "Broke"
    fail_entered = event(host, "FailStateEntered")
    assert event(host, "MapIterationFailed").previous_id == fail_entered.id
    assert event(host, "MapStateFailed").previous_id == fail_entered.id
    assert "MapIterationStarted" in types(host) and types(host).count("MapIterationStarted") == 2


def test_a_map_retry_starts_it_again() -> None:
    processor = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}}
    retry = [{"ErrorEquals": ["E"], "MaxAttempts": 2, "IntervalSeconds": 1}]
    outcome, host = execute(_map(ItemProcessor=processor, Retry=retry), [1])
    assert outcome.error == "E"
    assert types(host).count("MapStateStarted") == 3
    restarted = event(host, "MapStateStarted", 1)
    assert restarted.previous_id == event(host, "FailStateEntered").id
    assert types(host).count("MapStateFailed") == 1
    assert types(host)[-3:] == ["MapIterationFailed", "MapStateFailed", "ExecutionFailed"]


def test_iterations_see_outer_variables_but_do_not_assign_them() -> None:
    processor = {
        "StartAt": "In",
        "States": {
            "In": {
                "Type": "Pass",
                "Parameters": {"o.$": "$outer"},
                "Assign": {"outer": 0},
                "End": True,
            }
        },
    }
    definition = {
        "StartAt": "Set",
        "States": {
            "Set": {"Type": "Pass", "Assign": {"outer": 5}, "Next": "M"},
            "M": {"Type": "Map", "ItemProcessor": processor, "Next": "After"},
            "After": {"Type": "Pass", "Parameters": {"outer.$": "$outer", "r.$": "$"}, "End": True},
        },
    }
    outcome, _ = execute(definition, [1, 2])
    assert _output(outcome) == {"outer": 5, "r": [{"o": 5}, {"o": 5}]}


def test_a_map_over_something_else_than_an_array_is_a_runtime_error() -> None:
    outcome, _ = execute(_map(ItemsPath="$.x"), {"x": 1})
    assert outcome.error == "States.Runtime"


# --- distributed Map -----------------------------------------------------------------------


def _distributed(**fields: Any) -> dict[str, Any]:
    processor = {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "Handle",
        "States": {"Handle": {"Type": "Pass", "End": True}},
    }
    return _map(ItemProcessor=processor, **fields)


def test_a_distributed_map_reads_csv_and_shows_only_its_map_run() -> None:
    body = "name,age\nann,3\nbob,4\n"
    tasks = ScriptedTasks({GET_OBJECT: returning({"Body": body})})
    reader = {
        "Resource": GET_OBJECT,
        "Parameters": {"Bucket": "b", "Key": "k.csv"},
        "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
    }
    outcome, host = execute(_distributed(ItemReader=reader), {}, new_host(tasks))
    assert _output(outcome) == [{"name": "ann", "age": "3"}, {"name": "bob", "age": "4"}]
    assert tasks.calls[0].parameters == {"Bucket": "b", "Key": "k.csv"}
    assert types(host) == [
        "ExecutionStarted", "MapStateEntered", "MapStateStarted", "MapRunStarted",
        "MapRunSucceeded", "MapStateSucceeded", "MapStateExited", "ExecutionSucceeded",
    ]  # fmt: skip
    assert (
        event(host, "MapRunStarted")
        .details["mapRunArn"]
        .startswith("arn:aws:states:us-east-1:000000000000:mapRun:sm/M:")
    )


def test_a_distributed_map_batches_json_lines_up_to_max_items() -> None:
    body = "\n".join(json.dumps({"n": n}) for n in range(5))
    tasks = ScriptedTasks({GET_OBJECT: returning(body)})
    reader = {
        "Resource": GET_OBJECT,
        "Parameters": {"Bucket": "b", "Key": "k"},
        "ReaderConfig": {"InputType": "JSONL", "MaxItems": 4},
    }
    batcher = {"MaxItemsPerBatch": 3, "BatchInput": {"tag.$": "$.tag"}}
    definition = _distributed(ItemReader=reader, ItemBatcher=batcher)
    outcome, _ = execute(definition, {"tag": "t"}, new_host(tasks))
    assert _output(outcome) == [
        {"BatchInput": {"tag": "t"}, "Items": [{"n": 0}, {"n": 1}, {"n": 2}]},
        {"BatchInput": {"tag": "t"}, "Items": [{"n": 3}]},
    ]


def _failing_processor() -> dict[str, Any]:
    return {
        "ProcessorConfig": {"Mode": "DISTRIBUTED"},
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "Choices": [{"Variable": "$", "NumericEquals": 0, "Next": "F"}],
                "Default": "Ok",
            },
            "F": {"Type": "Fail", "Error": "Zero"},
            "Ok": {"Type": "Pass", "End": True},
        },
    }


def test_tolerated_failures_let_the_map_run_succeed() -> None:
    definition = _map(ItemProcessor=_failing_processor(), ToleratedFailureCount=1)
    outcome, _ = execute(definition, [0, 1, 2])
    assert _output(outcome) == [{"Error": "Zero", "Cause": ""}, 1, 2]


def test_failures_past_the_tolerance_fail_the_map_run() -> None:
    definition = _map(ItemProcessor=_failing_processor(), ToleratedFailurePercentage=40)
    outcome, host = execute(definition, [0, 0, 1])
    assert (outcome.error, outcome.cause) == (
        "States.ExceedToleratedFailureThreshold",
        "The specified tolerated failure threshold was exceeded",
    )
    assert types(host)[-3:] == ["MapRunFailed", "MapStateFailed", "ExecutionFailed"]


def test_a_result_writer_puts_the_results_and_points_to_the_manifest() -> None:
    puts: list[Any] = []

    async def put(request: TaskRequest, progress: TaskProgress) -> Any:
        puts.append(request.parameters)
        return {}

    tasks = ScriptedTasks({PUT_OBJECT: put})
    writer = {"Resource": PUT_OBJECT, "Parameters": {"Bucket": "out", "Prefix": "runs"}}
    outcome, _ = execute(_distributed(ResultWriter=writer), [1, 2], new_host(tasks))
    output = _output(outcome)
    run_id = output["MapRunArn"].rpartition(":")[2]
    manifest_key = f"runs/{run_id}/manifest.json"
    assert output["ResultWriterDetails"] == {"Bucket": "out", "Key": manifest_key}
    assert [p["Key"] for p in puts] == [f"runs/{run_id}/SUCCEEDED_0.json", manifest_key]
    assert [json.loads(e["Output"]) for e in json.loads(puts[0]["Body"])] == [1, 2]


def test_a_reader_failure_is_an_item_reader_failure() -> None:
    tasks = ScriptedTasks({GET_OBJECT: failing("S3.NoSuchKey", "no such key")})
    reader = {"Resource": GET_OBJECT, "Parameters": {"Bucket": "b", "Key": "k"}, "ReaderConfig": {}}
    outcome, _ = execute(_distributed(ItemReader=reader), {}, new_host(tasks))
    assert outcome.error == "States.ItemReaderFailed"
    assert (outcome.cause or "").endswith("no such key")


def test_errors_raised_by_a_runner_are_states_errors() -> None:
    assert StatesError("a", "b").output() == {"Error": "a", "Cause": "b"}

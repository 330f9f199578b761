"""A distributed Map's items as child executions, through boto3 against a real server:
each item (or batch) is an execution named by the Map Run, of the state machine
``<machine>/<label>``, with its own history; ListExecutions by ``mapRunArn`` lists them,
DescribeStateMachineForExecution shows what they run, StartExecution refuses their state
machine and RedriveExecution refuses them (their parent redrives them); stopping the
parent aborts them; a redriven parent redrives the Map Run that failed (the same ARN,
``MapRunRedriven``), running again only the children that did not succeed."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from altus.testing import wait_until
from tests.functional.stepfunctions_runs import PATIENCE, Runs, output, serve


@pytest.fixture(scope="module")
def runs() -> Iterator[Runs]:
    # On a SQLite file, as a server keeps it: its reads and writes run on threads of
    # their own, so a child's start can land while its parent is being stopped.
    yield from serve(store="")


def _distributed(
    states: dict[str, Any], start_at: str, *, language: str | None = None, **fields: Any
) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "Label": "Items",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": start_at,
                    "States": states,
                },
                "End": True,
                **fields,
            }
        },
    }
    if language is not None:
        definition["QueryLanguage"] = language
    return definition


def _children(runs: Runs, map_run: str, **members: Any) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = runs.sfn.list_executions(mapRunArn=map_run, **members)[
        "executions"
    ]
    return listed


def _error(call: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response["Error"]
    return error["Code"], error.get("Message", "")


def test_each_item_is_a_child_execution_with_its_own_history(runs: Runs) -> None:
    states = {
        "Double": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, $.n)"}, "End": True}
    }
    machine = runs.machine(_distributed(states, "Double"))
    execution = runs.start(machine, [{"n": 1}, {"n": 2}, {"n": 3}])
    assert output(runs.finished(execution)) == [{"n": 2}, {"n": 4}, {"n": 6}]
    map_run = runs.event(execution, "MapRunStarted")["mapRunArn"]
    # The parent's history has the Map Run, not the children's states.
    assert "PassStateEntered" not in runs.types(execution)

    children = _children(runs, map_run)
    assert len(children) == 3
    machine_name = machine.rsplit(":", 1)[1]
    for child in children:
        assert child["stateMachineArn"] == f"{machine}/Items"
        assert child["executionArn"] == (
            f"arn:aws:states:us-east-1:000000000000:execution:{machine_name}/Items:{child['name']}"
        )
        assert child["mapRunArn"] == map_run and child["status"] == "SUCCEEDED"
    outputs = sorted(json.loads(runs.finished(c["executionArn"])["output"])["n"] for c in children)
    assert outputs == [2, 4, 6]

    first = children[0]["executionArn"]
    described = runs.sfn.describe_execution(executionArn=first)
    assert described["mapRunArn"] == map_run
    assert described["redriveStatus"] == "NOT_REDRIVABLE"
    assert runs.types(first) == [
        "ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded",
    ]  # fmt: skip
    # The parent's listing does not show them.
    listed = runs.sfn.list_executions(stateMachineArn=machine)["executions"]
    assert [e["executionArn"] for e in listed] == [execution]

    shown = runs.sfn.describe_state_machine_for_execution(executionArn=first)
    assert shown["stateMachineArn"] == f"{machine}/Items"
    assert shown["mapRunArn"] == map_run and shown["label"] == "Items"
    assert json.loads(shown["definition"])["States"] == states

    code, _ = _error(
        lambda: runs.sfn.start_execution(stateMachineArn=f"{machine}/Items", input="{}")
    )
    assert code == "ValidationException"


def test_children_of_a_jsonata_machine_run_in_jsonata(runs: Runs) -> None:
    states = {"Up": {"Type": "Pass", "Output": "{% $uppercase($states.input) %}", "End": True}}
    definition = _distributed(states, "Up", language="JSONata")
    assert output(runs.run(definition, ["a", "b"])) == ["A", "B"]


def test_a_failed_child_fails_the_map_run_and_is_redriven_by_its_parent(runs: Runs) -> None:
    # An item whose "ok" is false matches no choice (States.NoChoiceMatched) until the
    # child is redriven: a redrive runs the failed state again, and the redrive count
    # is then 1.
    states = {
        "C": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.ok", "BooleanEquals": True, "Next": "Done"},
                {"Variable": "$$.Execution.RedriveCount", "NumericGreaterThan": 0, "Next": "Done"},
            ],
        },
        "Done": {"Type": "Pass", "End": True},
    }
    machine = runs.machine(_distributed(states, "C"))
    execution = runs.start(machine, [{"ok": True}, {"ok": False}, {"ok": True}])
    failed = runs.finished(execution)
    assert failed["status"] == "FAILED"
    assert failed["error"] == "States.ExceedToleratedFailureThreshold"
    map_run = runs.event(execution, "MapRunStarted")["mapRunArn"]
    bad = _children(runs, map_run, statusFilter="FAILED")
    assert len(bad) == 1
    bad_arn = bad[0]["executionArn"]
    described = runs.sfn.describe_execution(executionArn=bad_arn)
    assert described["redriveStatus"] == "REDRIVABLE_BY_MAP_RUN"
    assert described["error"] == "States.NoChoiceMatched"
    code, _ = _error(lambda: runs.sfn.redrive_execution(executionArn=bad_arn))
    assert code == "ExecutionNotRedrivable"
    good = {c["executionArn"]: c for c in _children(runs, map_run, statusFilter="SUCCEEDED")}
    assert len(good) == 2

    runs.sfn.redrive_execution(executionArn=execution)
    assert output(runs.finished(execution)) == [{"ok": True}, {"ok": False}, {"ok": True}]
    # The same Map Run, redriven; the failed child redriven, the others as they were.
    assert runs.event(execution, "MapRunRedriven") == {"mapRunArn": map_run, "redriveCount": 1}
    run = runs.sfn.describe_map_run(mapRunArn=map_run)
    assert run["status"] == "SUCCEEDED" and run["redriveCount"] == 1
    assert run["executionCounts"]["succeeded"] == 3
    assert [r["mapRunArn"] for r in runs.sfn.list_map_runs(executionArn=execution)["mapRuns"]] == [
        map_run
    ]
    redriven = runs.sfn.describe_execution(executionArn=bad_arn)
    assert redriven["status"] == "SUCCEEDED" and redriven["redriveCount"] == 1
    for arn, before in good.items():
        after = runs.sfn.describe_execution(executionArn=arn)
        assert after["redriveCount"] == 0 and after["stopDate"] == before["stopDate"]
    assert len(_children(runs, map_run)) == 3


def test_stopping_the_parent_aborts_its_children(runs: Runs) -> None:
    states = {"W": {"Type": "Wait", "Seconds": 3_600_000, "End": True}}
    execution = runs.start(runs.machine(_distributed(states, "W")), [1, 2])

    def running_children() -> list[dict[str, Any]]:
        listed = runs.sfn.list_map_runs(executionArn=execution)["mapRuns"]
        if not listed:
            return []
        found = _children(runs, listed[0]["mapRunArn"], statusFilter="RUNNING")
        return found if len(found) == 2 else []

    children = wait_until(running_children, timeout=PATIENCE)
    runs.sfn.stop_execution(executionArn=execution)
    assert runs.finished(execution)["status"] == "ABORTED"
    for child in children:
        assert runs.finished(child["executionArn"])["status"] == "ABORTED"


def test_a_result_writer_writes_each_childs_description(runs: Runs) -> None:
    s3 = runs.harness.client("s3")
    s3.create_bucket(Bucket="map-children-out")
    states = {
        "C": {
            "Type": "Choice",
            "Choices": [{"Variable": "$", "NumericEquals": 0, "Next": "Bad"}],
            "Default": "Ok",
        },
        "Bad": {"Type": "Fail", "Error": "Zero", "Cause": "zero"},
        "Ok": {"Type": "Pass", "End": True},
    }
    writer = {
        "Resource": "arn:aws:states:::s3:putObject",
        "Parameters": {"Bucket": "map-children-out", "Prefix": "runs"},
    }
    definition = _distributed(states, "C", ResultWriter=writer, ToleratedFailureCount=1)
    machine = runs.machine(definition)
    done = output(runs.run(definition, [0, 1]))
    del machine
    manifest_key = done["ResultWriterDetails"]["Key"]
    manifest = json.loads(s3.get_object(Bucket="map-children-out", Key=manifest_key)["Body"].read())
    (succeeded,) = manifest["ResultFiles"]["SUCCEEDED"]
    (failed,) = manifest["ResultFiles"]["FAILED"]
    ok = json.loads(s3.get_object(Bucket="map-children-out", Key=succeeded["Key"])["Body"].read())
    bad = json.loads(s3.get_object(Bucket="map-children-out", Key=failed["Key"])["Body"].read())
    assert [entry["Status"] for entry in ok] == ["SUCCEEDED"]
    assert ok[0]["Input"] == "1" and ok[0]["Output"] == "1"
    assert ok[0]["ExecutionArn"].endswith(":" + ok[0]["Name"])
    assert ok[0]["StateMachineArn"].endswith("/Items")
    assert ok[0]["RedriveStatus"] == "NOT_REDRIVABLE"
    assert [(e["Status"], e["Error"], e["Cause"]) for e in bad] == [("FAILED", "Zero", "zero")]
    assert bad[0]["RedriveStatus"] == "REDRIVABLE_BY_MAP_RUN"
    assert "StartDate" in bad[0] and "StopDate" in bad[0]


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"Transformation": "COMPACT"}, [[1, 1], [2, 2]]),
        ({"Transformation": "FLATTEN"}, [1, 1, 2, 2]),
    ],
)
def test_a_writer_config_alone_shapes_the_maps_result(
    runs: Runs, config: dict[str, Any], expected: Any
) -> None:
    states = {
        "Pair": {
            "Type": "Pass",
            "Parameters": {"p.$": "States.Array($, $)"},
            "OutputPath": "$.p",
            "End": True,
        }
    }
    definition = _distributed(states, "Pair", ResultWriter={"WriterConfig": config})
    assert output(runs.run(definition, [1, 2])) == expected


def test_a_writer_config_of_none_gives_each_childs_description(runs: Runs) -> None:
    definition = _distributed(
        {"P": {"Type": "Pass", "End": True}},
        "P",
        ResultWriter={"WriterConfig": {"Transformation": "NONE"}},
    )
    (entry,) = output(runs.run(definition, ["x"]))
    assert (entry["Status"], entry["Input"], entry["Output"]) == ("SUCCEEDED", '"x"', '"x"')
    assert entry["StateMachineArn"].endswith("/Items")


def test_an_export_in_json_lines(runs: Runs) -> None:
    s3 = runs.harness.client("s3")
    s3.create_bucket(Bucket="map-children-lines")
    writer = {
        "Resource": "arn:aws:states:::s3:putObject",
        "Parameters": {"Bucket": "map-children-lines", "Prefix": "out"},
        "WriterConfig": {"Transformation": "COMPACT", "OutputType": "JSONL"},
    }
    definition = _distributed({"P": {"Type": "Pass", "End": True}}, "P", ResultWriter=writer)
    done = output(runs.run(definition, [{"a": 1}, {"a": 2}]))
    manifest = json.loads(
        s3.get_object(Bucket="map-children-lines", Key=done["ResultWriterDetails"]["Key"])[
            "Body"
        ].read()
    )
    (written,) = manifest["ResultFiles"]["SUCCEEDED"]
    body = s3.get_object(Bucket="map-children-lines", Key=written["Key"])["Body"].read()
    assert body.decode().splitlines() == ['{"a":1}', '{"a":2}']


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.1, 0.2, 0.4])
def test_stopping_the_parent_while_its_children_start_leaves_none_running(
    runs: Runs, delay: float
) -> None:
    """A child whose start was landing as its parent stopped is aborted too (found by
    the stop, or aborting itself when its Map Run has closed)."""
    states = {"W": {"Type": "Wait", "Seconds": 36_000_000, "End": True}}
    execution = runs.start(runs.machine(_distributed(states, "W")), list(range(150)))
    time.sleep(delay)
    runs.sfn.stop_execution(executionArn=execution)
    assert runs.finished(execution)["status"] == "ABORTED"
    # The parent has closed: no Map Run can start now (stopped early, it has none).
    for listed in runs.sfn.list_map_runs(executionArn=execution)["mapRuns"]:
        map_run = listed["mapRunArn"]

        def none_running(map_run: str = map_run) -> bool:
            paginator = runs.sfn.get_paginator("list_executions")
            pages = paginator.paginate(mapRunArn=map_run, statusFilter="RUNNING")
            return not any(page["executions"] for page in pages)

        wait_until(none_running, timeout=PATIENCE)
        assert runs.sfn.describe_map_run(mapRunArn=map_run)["status"] == "ABORTED"

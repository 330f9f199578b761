"""Map Runs through boto3 against a real server: each run of a distributed Map state is
a Map Run (its ARN in ``MapRunStarted``), described with AWS's shape (a snapshot
recorded against AWS), listed by execution, its concurrency and tolerance changed by
UpdateMapRun while it runs, and refused with the model's errors. Its child executions:
``test_stepfunctions_map_children``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from altus.testing import wait_until
from tests.functional.stepfunctions_runs import PATIENCE, Runs, output, serve


@pytest.fixture(scope="module")
def runs() -> Iterator[Runs]:
    yield from serve()


def _distributed(processor_states: dict[str, Any], start_at: str, **fields: Any) -> dict[str, Any]:
    return {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": start_at,
                    "States": processor_states,
                },
                "End": True,
                **fields,
            }
        },
    }


PASS = {"P": {"Type": "Pass", "End": True}}


def _error(call: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response["Error"]
    return error["Code"], error.get("Message", "")


def test_a_map_run_is_described_and_listed(runs: Runs) -> None:
    definition = _distributed(PASS, "P", Label="Lbl", MaxConcurrency=1)
    machine = runs.machine(definition)
    execution = runs.start(machine, [1, 2])
    assert output(runs.finished(execution)) == [1, 2]
    arn = runs.event(execution, "MapRunStarted")["mapRunArn"]
    machine_name = machine.rsplit(":", 1)[1]
    prefix = f"arn:aws:states:us-east-1:000000000000:mapRun:{machine_name}/Lbl:"
    assert arn.startswith(prefix) and len(arn) > len(prefix)

    listed = runs.sfn.list_map_runs(executionArn=execution)["mapRuns"]
    assert len(listed) == 1
    (item,) = listed
    assert item["executionArn"] == execution and item["mapRunArn"] == arn
    assert item["stateMachineArn"] == f"{machine}/Lbl"
    assert item["startDate"] <= item["stopDate"]

    described = runs.sfn.describe_map_run(mapRunArn=arn)
    described.pop("ResponseMetadata")
    start, stop = described.pop("startDate"), described.pop("stopDate")
    assert start <= stop
    counts = {
        "aborted": 0,
        "failed": 0,
        "pending": 0,
        "resultsWritten": 2,
        "running": 0,
        "succeeded": 2,
        "timedOut": 0,
        "total": 2,
    }
    assert described == {
        "executionArn": execution,
        "executionCounts": counts,
        "itemCounts": counts,
        "mapRunArn": arn,
        "maxConcurrency": 1,
        "redriveCount": 0,
        "status": "SUCCEEDED",
        "toleratedFailureCount": 0,
        "toleratedFailurePercentage": 0.0,
    }
    # Each item ran as a child execution of the Map Run.
    children = runs.sfn.list_executions(mapRunArn=arn)["executions"]
    assert [child["status"] for child in children] == ["SUCCEEDED", "SUCCEEDED"]
    assert {child["mapRunArn"] for child in children} == {arn}


def test_batches_count_items_and_iterations(runs: Runs) -> None:
    definition = _distributed(PASS, "P", ItemBatcher={"MaxItemsPerBatch": 2})
    execution = runs.start(runs.machine(definition), [1, 2, 3, 4, 5])
    runs.finished(execution)
    arn = runs.event(execution, "MapRunStarted")["mapRunArn"]
    described = runs.sfn.describe_map_run(mapRunArn=arn)
    assert described["itemCounts"]["total"] == described["itemCounts"]["succeeded"] == 5
    assert described["executionCounts"]["total"] == 3
    assert described["executionCounts"]["succeeded"] == 3
    assert described["maxConcurrency"] == 0


def test_failures_past_the_tolerance_fail_the_map_run(runs: Runs) -> None:
    states = {
        "C": {
            "Type": "Choice",
            "Choices": [{"Variable": "$", "NumericGreaterThan": 1, "Next": "F"}],
            "Default": "P",
        },
        "F": {"Type": "Fail", "Error": "Boom"},
        "P": {"Type": "Pass", "End": True},
    }
    definition = _distributed(states, "C", ToleratedFailureCount=1, MaxConcurrency=1)
    execution = runs.start(runs.machine(definition), [1, 2, 3, 4])
    assert runs.finished(execution)["status"] == "FAILED"
    arn = runs.event(execution, "MapRunStarted")["mapRunArn"]
    described = runs.sfn.describe_map_run(mapRunArn=arn)
    assert described["status"] == "FAILED"
    assert described["toleratedFailureCount"] == 1
    counts = described["executionCounts"]
    assert counts["succeeded"] == 1 and counts["failed"] == 2
    assert counts["total"] == 4 and counts["running"] == 0
    assert counts["pending"] + counts["aborted"] == 1
    # A closed Map Run is not updated.
    code, _ = _error(lambda: runs.sfn.update_map_run(mapRunArn=arn, maxConcurrency=3))
    assert code == "ValidationException"


def test_update_map_run_changes_a_running_map_run(runs: Runs) -> None:
    # Each iteration waits 2 seconds of the wall clock (the clock is scaled).
    states = {"W": {"Type": "Wait", "Seconds": 20_000, "End": True}}
    definition = _distributed(states, "W", MaxConcurrency=1)
    execution = runs.start(runs.machine(definition), [1, 2, 3])

    def map_run() -> str:
        listed = runs.sfn.list_map_runs(executionArn=execution)["mapRuns"]
        return str(listed[0]["mapRunArn"]) if listed else ""

    arn = wait_until(map_run, timeout=PATIENCE)

    def one_running() -> dict[str, Any]:
        described: dict[str, Any] = runs.sfn.describe_map_run(mapRunArn=arn)
        return described if described["executionCounts"]["running"] == 1 else {}

    running = wait_until(one_running, timeout=PATIENCE)
    assert running["status"] == "RUNNING" and "stopDate" not in running
    assert running["executionCounts"]["total"] == 3
    # The concurrency holds: never more than one at once.
    assert running["executionCounts"]["pending"] >= 1

    runs.sfn.update_map_run(
        mapRunArn=arn, maxConcurrency=0, toleratedFailurePercentage=50.0, toleratedFailureCount=2
    )
    updated = runs.sfn.describe_map_run(mapRunArn=arn)
    assert updated["maxConcurrency"] == 0
    assert updated["toleratedFailurePercentage"] == 50.0
    assert updated["toleratedFailureCount"] == 2
    assert output(runs.finished(execution)) == [1, 2, 3]
    closed = runs.sfn.describe_map_run(mapRunArn=arn)
    assert closed["status"] == "SUCCEEDED"
    assert closed["executionCounts"]["succeeded"] == 3
    assert closed["maxConcurrency"] == 0


def test_map_run_calls_are_refused_as_aws_refuses_them(runs: Runs) -> None:
    machine = runs.machine({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    execution = runs.start(machine, {})
    runs.finished(execution)
    missing = "arn:aws:states:us-east-1:000000000000:mapRun:m/L:0000"
    sfn = runs.sfn
    assert _error(lambda: sfn.describe_map_run(mapRunArn=missing)) == (
        "ResourceNotFound",
        f"Resource not found: '{missing}'",
    )
    assert _error(lambda: sfn.describe_map_run(mapRunArn=execution))[0] == "InvalidArn"
    assert _error(lambda: sfn.describe_map_run(mapRunArn="nonsense"))[0] == "InvalidArn"
    assert _error(lambda: sfn.update_map_run(mapRunArn=missing, maxConcurrency=1))[0] == (
        "ResourceNotFound"
    )
    assert _error(lambda: sfn.list_map_runs(executionArn=f"{execution}x"))[0] == (
        "ExecutionDoesNotExist"
    )
    assert _error(lambda: sfn.list_map_runs(executionArn=machine))[0] == "InvalidArn"
    assert sfn.list_map_runs(executionArn=execution)["mapRuns"] == []
    assert _error(lambda: sfn.list_map_runs(executionArn=execution, nextToken="bad"))[0] == (
        "InvalidToken"
    )
    # The model's limits.
    code, _ = _error(
        lambda: sfn.update_map_run(mapRunArn=missing, toleratedFailurePercentage=101.0)
    )
    assert code == "ValidationException"


def test_stopping_the_execution_aborts_its_map_run(runs: Runs) -> None:
    states = {"W": {"Type": "Wait", "Seconds": 3_600_000, "End": True}}
    execution = runs.start(runs.machine(_distributed(states, "W", MaxConcurrency=1)), [1, 2])

    def running() -> str:
        listed = runs.sfn.list_map_runs(executionArn=execution)["mapRuns"]
        if not listed:
            return ""
        arn = str(listed[0]["mapRunArn"])
        counts = runs.sfn.describe_map_run(mapRunArn=arn)["executionCounts"]
        return arn if counts["running"] == 1 else ""

    arn = wait_until(running, timeout=PATIENCE)
    runs.sfn.stop_execution(executionArn=execution)
    assert runs.finished(execution)["status"] == "ABORTED"
    described = runs.sfn.describe_map_run(mapRunArn=arn)
    assert described["status"] == "ABORTED" and "stopDate" in described
    assert described["executionCounts"]["aborted"] == 1
    assert described["executionCounts"]["running"] == 0

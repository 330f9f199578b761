"""A distributed Map's items as child executions on a Map Run board (``MemoryMapRuns``):
each item runs once as a child, named by the Map Run and its index; how it ended is
noted in the parent's journal, so the parent run again on that journal (a resume) asks
for none of them again; a Map Run that fails aborts the children still running; a
redriven parent redrives the same Map Run and runs only the children that failed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

from altus.asl.host import ChildOutcome, ExecutionInfo, MapChild
from altus.asl.interpreter import children, run_execution
from altus.asl.memory import MemoryHost, MemoryMapRuns
from tests.unit.asl_interpreter_harness import execute, new_host, types


def _machine(states: dict[str, Any], start_at: str, **fields: Any) -> dict[str, Any]:
    return {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
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


class Children:
    """Runs each child on a ``MemoryHost`` of its own, counting the runs."""

    def __init__(self) -> None:
        self.ran: list[MapChild] = []

    async def __call__(
        self, child: MapChild, definition: Mapping[str, Any], info: ExecutionInfo
    ) -> ChildOutcome:
        self.ran.append(child)
        outcome = await run_execution(definition, info, new_host())
        return ChildOutcome(info.arn, outcome.status, outcome.output, outcome.error, outcome.cause)


def _host(board: MemoryMapRuns, journal: Any = None) -> MemoryHost:
    host = new_host(map_runs=board)
    if journal is not None:
        host.log = journal
        host.journal = journal
    return host


def test_each_item_runs_once_as_a_named_child() -> None:
    runner = Children()
    board = MemoryMapRuns(runner)
    states = {"P": {"Type": "Pass", "Parameters": {"twice.$": "States.MathAdd($, $)"}, "End": True}}
    outcome, host = execute(_machine(states, "P"), [1, 2, 3], _host(board))
    assert json.loads(outcome.output or "") == [{"twice": 2}, {"twice": 4}, {"twice": 6}]
    (arn,) = board.runs
    assert [child.name for child in runner.ran] == [children.name(arn, i) for i in range(3)]
    assert [child.input for child in runner.ran] == [1, 2, 3]
    # The parent's history shows the Map Run, none of the children's states.
    assert "PassStateEntered" not in types(host)
    assert sorted(board.children) == sorted(
        f"arn:aws:states:us-east-1:000000000000:execution:sm/M:{children.name(arn, i)}"
        for i in range(3)
    )

    # Run again on the same journal (a resumed parent): every child's end is noted.
    again, _ = execute(_machine(states, "P"), [1, 2, 3], _host(board, host.log))
    assert again.output == outcome.output
    assert len(runner.ran) == 3


def test_a_failing_map_run_aborts_the_children_still_running() -> None:
    ran: list[int] = []

    async def runner(child: MapChild, definition: Mapping[str, Any], info: ExecutionInfo) -> Any:
        ran.append(child.index)
        if child.index == 0:
            return ChildOutcome(info.arn, "FAILED", error="Boom", cause="first")
        await asyncio.Event().wait()  # the others never end on their own
        raise AssertionError("unreachable")

    board = MemoryMapRuns(runner)
    outcome, _ = execute(
        _machine({"P": {"Type": "Pass", "End": True}}, "P"), [0, 1, 2], _host(board)
    )
    assert outcome.error == "States.ExceedToleratedFailureThreshold"
    (arn,) = board.runs
    assert sorted(board.aborted) == sorted(children.name(arn, i) for i in (1, 2))


def test_a_redriven_parent_redrives_the_same_map_run_and_only_its_failed_children() -> None:
    calls: list[tuple[int, int]] = []

    async def runner(child: MapChild, definition: Mapping[str, Any], info: ExecutionInfo) -> Any:
        calls.append((child.index, child.generation))
        if child.index == 1 and child.generation == 0:
            return ChildOutcome(info.arn, "FAILED", error="Flaky", cause="")
        return ChildOutcome(info.arn, "SUCCEEDED", output=json.dumps(child.input))

    board = MemoryMapRuns(runner)
    definition = _machine({"P": {"Type": "Pass", "End": True}}, "P")
    failed, host = execute(definition, ["a", "b", "c"], _host(board))
    assert failed.status == "FAILED"
    (arn,) = board.runs
    redriven, host = execute(definition, ["a", "b", "c"], _host(board, host.log), redrive_count=1)
    assert json.loads(redriven.output or "") == ["a", "b", "c"]
    assert sorted(calls) == [(0, 0), (1, 0), (1, 1), (2, 0)]
    assert list(board.runs) == [arn]
    assert board.runs[arn].redrive_count == 1
    assert types(host).count("MapRunRedriven") == 1

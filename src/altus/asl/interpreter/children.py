"""A distributed Map's iterations as child executions, as AWS runs them: each item (or
batch) is an execution of the item processor with its own history, named by the Map Run
and the item's index (``name``), run by the host's Map Run board
(``MapRunBoard.run_child``).

How each child ended is noted in the parent's journal (``<base>:c<index>@<generation>``)
once it has, so a resumed parent takes it from there instead of asking again; a child
asked again after a restart (its end not yet noted) is the same child, waited for or
taken as it ended. A redriven parent (generation n) takes the children that succeeded
in an earlier generation as they were and redrives the others (``MapChild.generation``).

A child is aborted when its parent stops or its Map Run fails (a cancellation with any
message but ``SUSPEND``); when the server stops, children are left running: they resume
on their own, and their parents wait for them again."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from typing import Any

from altus.asl.errors import StatesError
from altus.asl.host import MapChild, MapRunBoard, NewRecord, Record
from altus.asl.interpreter import crew
from altus.asl.interpreter.failures import Failed
from altus.asl.interpreter.frames import SUSPEND, Visit

#: The kind of the record of a child's end.
CHILD = "~child"
SUCCEEDED = "SUCCEEDED"


def name(map_run_arn: str, index: int) -> str:
    """The child's execution name: a UUID fixed by the Map Run and the index."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{map_run_arn}#{index}"))


def ended(visit: Visit, base: str, index: int) -> Record | None:
    """The record of how child ``index`` ended, for this generation of the parent: one
    noted in it, else a success noted in an earlier one."""
    run = visit.run
    found = run.find(f"{base}:c{index}@{run.generation}")
    if found is not None:
        return found
    for generation in range(run.generation - 1, -1, -1):
        earlier = run.find(f"{base}:c{index}@{generation}")
        if earlier is not None:
            return earlier if earlier.details.get("status") == SUCCEEDED else None
    return None


def jobs(
    visit: Visit,
    base: str,
    map_run_arn: str,
    inputs: list[Any],
    board: MapRunBoard,
    execution_type: str,
) -> Callable[[int], crew.Job]:
    run = visit.run

    def job(index: int) -> crew.Job:
        async def child() -> Any:
            found = ended(visit, base, index)
            if found is None:
                request = MapChild(
                    map_run_arn=map_run_arn,
                    index=index,
                    name=name(map_run_arn, index),
                    input=inputs[index],
                    type=execution_type,
                    parent=run.info,
                    generation=run.generation,
                )
                try:
                    outcome = await board.run_child(request)
                except asyncio.CancelledError as stop:
                    if not run.suspending and SUSPEND not in stop.args:
                        await asyncio.shield(board.abort_child(request))
                    raise
                # The description without the input and output, which the parent has
                # already (a Map of many large items would keep them twice).
                kept = {k: v for k, v in outcome.described.items() if k not in _DATA}
                details = {
                    "arn": outcome.arn,
                    "status": outcome.status,
                    "output": outcome.output,
                    "error": outcome.error,
                    "cause": outcome.cause,
                    "described": kept,
                }
                key = f"{base}:c{index}@{run.generation}"
                found = (await run.append([NewRecord(key, CHILD, details, public=False)]))[0]
            return _result(found)

        return child

    return job


class ChildFailed(Failed):
    """A child that did not succeed; ``status`` says how it ended (FAILED, TIMED_OUT,
    ABORTED: the Map Run counts each as such)."""

    def __init__(self, error: StatesError, status: str) -> None:
        super().__init__(error)
        self.status = status


def _result(record: Record) -> Any:
    details = record.details
    status = str(details.get("status"))
    if status == SUCCEEDED:
        return json.loads(details.get("output") or "null")
    error = StatesError(details.get("error") or "", details.get("cause") or "")
    raise ChildFailed(error, status)


#: The members of a child's description the parent keeps elsewhere.
_DATA = ("Input", "Output")
#: The order of a child's members in a ResultWriter's file.
_ORDER = (
    "ExecutionArn",
    "Input",
    "InputDetails",
    "Name",
    "Output",
    "OutputDetails",
    "Error",
    "Cause",
    "RedriveCount",
    "RedriveStatus",
    "RedriveStatusReason",
    "StartDate",
    "StateMachineArn",
    "Status",
    "StopDate",
)


def described(record: Record, input: Any) -> dict[str, Any]:
    """What a ResultWriter writes of the child ``record`` notes: its description with
    its input (the item it was given) and its output put back."""
    details = record.details
    whole = dict(details.get("described") or {})
    whole["Input"] = json.dumps(input, separators=(",", ":"), ensure_ascii=False)
    if details.get("output") is not None:
        whole["Output"] = details["output"]
    ordered = {name: whole[name] for name in _ORDER if name in whole}
    ordered.update({k: v for k, v in whole.items() if k not in ordered})
    return ordered

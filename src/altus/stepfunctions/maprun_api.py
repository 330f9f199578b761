"""Map Runs (DescribeMapRun, ListMapRuns, UpdateMapRun): the record of each run of a
distributed Map state, written by its execution as it goes (``mapruns``).

Shapes are AWS's as recorded (LocalStack's snapshot of DescribeMapRun and ListMapRuns
against AWS): a tolerance that was not set shows as 0, ``maxConcurrency`` 0 is no
limit, a list item's ``stateMachineArn`` is the Map's own ``stateMachine:<machine>/
<label>``. ListMapRuns lists an execution's Map Runs in the order they started.
UpdateMapRun changes a RUNNING Map Run only (Altus's wording for a closed one: AWS's was
not found); the run takes the new settings at its next report of progress, that is when
one of its iterations next starts or ends."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from altus.api.spec import Call, Members
from altus.asl.host import MAP_RUN_RUNNING, MapRunCounts
from altus.stepfunctions import paging
from altus.stepfunctions.errors import ValidationException, resource_missing, wrong_resource_type
from altus.stepfunctions.executions import stored
from altus.stepfunctions.model import MapRun
from altus.stepfunctions.names import MAP_RUN, parse

if TYPE_CHECKING:
    from altus.stepfunctions.component import StepFunctions


async def map_run_of(sfn: StepFunctions, arn: str) -> MapRun:
    """The Map Run of ``arn``: InvalidArn for another kind, ResourceNotFound if none."""
    parsed = parse(arn)
    if parsed.kind != MAP_RUN:
        raise wrong_resource_type(parsed.kind)
    found = await sfn.store.map_run(arn)
    if found is None:
        raise resource_missing(arn)
    return found


def _counts(counts: MapRunCounts) -> Members:
    return {
        "pending": counts.pending,
        "running": counts.running,
        "succeeded": counts.succeeded,
        "failed": counts.failed,
        "timedOut": counts.timed_out,
        "aborted": counts.aborted,
        "total": counts.total,
        "resultsWritten": counts.results_written,
    }


def described(run: MapRun) -> Members:
    settings = run.settings
    shown: Members = {
        "mapRunArn": run.arn,
        "executionArn": run.execution_arn,
        "status": run.status,
        "startDate": run.start,
        "maxConcurrency": settings.max_concurrency,
        "toleratedFailurePercentage": float(settings.tolerated_failure_percentage or 0),
        "toleratedFailureCount": settings.tolerated_failure_count or 0,
        "itemCounts": _counts(run.items),
        "executionCounts": _counts(run.executions),
        "redriveCount": run.redrive_count,
    }
    if run.stop is not None:
        shown["stopDate"] = run.stop
    if run.redrive_date is not None:
        shown["redriveDate"] = run.redrive_date
    return shown


async def describe_map_run(sfn: StepFunctions, call: Call, input: Members) -> Members:
    return described(await map_run_of(sfn, str(input["mapRunArn"])))


def _list_item(run: MapRun) -> Members:
    parsed = parse(run.arn)
    item: Members = {
        "executionArn": run.execution_arn,
        "mapRunArn": run.arn,
        "stateMachineArn": f"{parsed.base}/{parsed.name}",
        "startDate": run.start,
    }
    if run.stop is not None:
        item["stopDate"] = run.stop
    return item


async def list_map_runs(sfn: StepFunctions, call: Call, input: Members) -> Members:
    execution = await stored(sfn, str(input["executionArn"]))
    token = input.get("nextToken")
    after = paging.read(token) if token else None
    if after is not None and not (
        isinstance(after, list)
        and len(after) == 2
        and isinstance(after[0], int | float)
        and isinstance(after[1], str)
    ):
        raise paging.bad_token()
    limit = paging.size(input.get("maxResults"))
    found = await sfn.store.list_map_runs(
        execution.arn, (float(after[0]), after[1]) if after else None, limit + 1
    )
    chosen = found[:limit]
    output: Members = {"mapRuns": [_list_item(run) for run in chosen]}
    if len(found) > limit:
        output["nextToken"] = paging.write([chosen[-1].start, chosen[-1].arn])
    return output


async def update_map_run(sfn: StepFunctions, call: Call, input: Members) -> Members:
    arn = str(input["mapRunArn"])
    run = await map_run_of(sfn, arn)
    given = [
        name
        for name in ("maxConcurrency", "toleratedFailurePercentage", "toleratedFailureCount")
        if input.get(name) is not None
    ]
    if not given:
        # Altus's wording: AWS's was not found.
        raise ValidationException(
            "At least one of maxConcurrency, toleratedFailurePercentage and "
            "toleratedFailureCount must be given"
        )
    if run.status != MAP_RUN_RUNNING:
        raise ValidationException(f"Map Run is not running: '{arn}'")
    settings = run.settings
    if input.get("maxConcurrency") is not None:
        settings = dataclasses.replace(settings, max_concurrency=int(input["maxConcurrency"]))
    if input.get("toleratedFailurePercentage") is not None:
        settings = dataclasses.replace(
            settings, tolerated_failure_percentage=float(input["toleratedFailurePercentage"])
        )
    if input.get("toleratedFailureCount") is not None:
        settings = dataclasses.replace(
            settings, tolerated_failure_count=int(input["toleratedFailureCount"])
        )
    if await sfn.store.update_map_run(arn, settings) is None:
        raise resource_missing(arn)
    return {}

"""What a DISTRIBUTED Map adds: its items read by its ``ItemReader`` (a call of the
reader's resource, ``s3:getObject`` or ``s3:listObjectsV2``) and batched, a Map Run
(``MapRunStarted`` / ``MapRunSucceeded`` / ``MapRunFailed``) tolerating
``ToleratedFailureCount`` / ``ToleratedFailurePercentage`` failed items, and a
``ResultWriter`` that puts the results in S3 (``s3:putObject``).

The items are recorded once read (a resumed Map does not read them again). The Map
Run's record (status, item and iteration counts, settings) is reported to the host's
``map_runs`` board as it goes (``maprun``), for DescribeMapRun, ListMapRuns and
UpdateMapRun. The iterations run in this execution, their records private: AWS's child
executions (their ARNs, histories, DescribeExecution) are not here; the record's
``executionCounts`` count the iterations that stand for them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from altus.asl import errors, resources
from altus.asl.errors import StatesError
from altus.asl.host import (
    MAP_RUN_ABORTED,
    MAP_RUN_FAILED,
    MAP_RUN_SUCCEEDED,
    MapRunSettings,
    TaskRequest,
)
from altus.asl.interpreter import crew, events, maprun
from altus.asl.interpreter import items as items_
from altus.asl.interpreter.dataflow import DataFlow
from altus.asl.interpreter.failures import Failed
from altus.asl.interpreter.frames import SUSPEND, Visit

ITEMS = "~items"
WRITTEN = "~written"

EXCEEDED_CAUSE = "The specified tolerated failure threshold was exceeded"


class _NoProgress:
    async def submitted(self, output: Any) -> None:
        return None


async def items(
    visit: Visit, flow: DataFlow, effective: Any, number: int, retries: int
) -> list[Any]:
    """The inputs of the iterations, selected and batched (recorded once)."""
    found = visit.find(f"#{number}:items")
    if found is not None:
        return list(found.details["items"])
    state = visit.state
    reader = state.get("ItemReader")
    raw = await _read(visit, flow, effective, reader) if reader else None
    if raw is None:
        raw = items_.from_input(flow, effective)
    config = (reader or {}).get("ReaderConfig") or {}
    limit = _number(flow, config, "MaxItems", effective)
    if limit:
        raw = raw[:limit]
    selected = [items_.select(visit, retries, index, item) for index, item in enumerate(raw)]
    batcher = state.get("ItemBatcher")
    if batcher is not None:
        batch_input = None
        if "BatchInput" in batcher:
            batch_input = (
                flow.expression(batcher["BatchInput"], "BatchInput", input=visit.input)
                if flow.jsonata
                else flow.template(batcher["BatchInput"], effective, "BatchInput")
            )
        selected = list(
            items_.batches(
                selected,
                max_items=_number(flow, batcher, "MaxItemsPerBatch", effective),
                max_bytes=_number(flow, batcher, "MaxInputBytesPerBatch", effective),
                batch_input=batch_input,
            )
        )
    await visit.note(f"#{number}:items", ITEMS, {"items": selected})
    return selected


def _number(flow: DataFlow, holder: Mapping[str, Any], name: str, effective: Any) -> Any:
    if name in holder:
        value = holder[name]
        return flow.expression(value, name, input=flow.visit.input) if flow.jsonata else value
    if f"{name}Path" in holder:
        return flow.read(holder[f"{name}Path"], effective, f"{name}Path")
    return None


async def _read(
    visit: Visit, flow: DataFlow, effective: Any, reader: Mapping[str, Any]
) -> list[Any]:
    resource = resources.parse_resource(str(reader.get("Resource", "")))
    if resource is None:
        raise Failed(_reader_failed(visit, f"Unsupported ItemReader resource: {reader}"))
    if flow.jsonata:
        parameters = flow.expression(reader.get("Arguments", {}), "Arguments", input=visit.input)
    else:
        parameters = flow.template(reader.get("Parameters", {}), effective, "Parameters")
    request = TaskRequest(resource, parameters, visit.run.info, visit.name)
    try:
        response = await visit.run.host.tasks.run(request, _NoProgress())
    except StatesError as error:
        raise Failed(_reader_failed(visit, error.cause or error.error)) from None
    if resource.action == "listObjectsV2":
        return list((response or {}).get("Contents", []))
    body = response.get("Body") if isinstance(response, Mapping) else response
    try:
        return items_.parse(body, reader.get("ReaderConfig") or {})
    except (items_.ReaderError, ValueError) as error:
        raise Failed(_reader_failed(visit, str(error))) from None


def _reader_failed(visit: Visit, cause: str) -> StatesError:
    return visit.error(StatesError(errors.ITEM_READER_FAILED, cause))


async def run(
    visit: Visit, number: int, count: int, concurrency: int, job: Callable[[int], crew.Job]
) -> Any:
    """The Map Run: its iterations within the tolerated failures, its results written,
    its record (status, counts, settings) kept on the host's ``map_runs`` board."""
    at = f"#{number}"
    info = visit.run.info
    started = visit.find(f"{at}:maprun")
    if started is None:
        label = visit.state.get("Label", visit.name)
        run_id = visit.run.host.new_token()[:36]
        arn = (
            f"arn:{info.partition}:states:{info.region}:{info.account}:mapRun:"
            f"{info.state_machine_name}/{label}:{run_id}"
        )
        started = await visit.event(f"{at}:maprun", "MapRunStarted", {"mapRunArn": arn})
    arn = str(started.details["mapRunArn"])
    items = visit.find(f"#{number}:items")
    sizes = [_size(item) for item in (items.details["items"] if items is not None else [])]
    if len(sizes) != count:
        sizes = [1] * count
    tracker = maprun.Tracker(visit.run.host.map_runs, arn, sizes, _settings(visit, concurrency))
    await tracker.open(info.arn, started.timestamp)
    try:
        results = await crew.run_all(
            visit.run,
            [tracker.wrap(index, job(index)) for index in range(count)],
            limit=max(count, 1),
            tolerated=tracker.tolerated,
        )
    except crew.Stopped:
        error = StatesError(errors.EXCEED_TOLERATED_FAILURE_THRESHOLD, EXCEEDED_CAUSE)
        failed = await visit.event(f"{at}:maprun-end", "MapRunFailed", events.with_error(error))
        await tracker.close(MAP_RUN_FAILED, visit.run.host.now())
        raise Failed(error, last_id=failed.id or 0) from None
    except asyncio.CancelledError as stop:
        if not visit.run.suspending and SUSPEND not in stop.args:
            await tracker.close(MAP_RUN_ABORTED, visit.run.host.now(), quietly=True)
        else:
            await tracker.pause()
        raise
    except BaseException:
        await tracker.pause()
        raise
    await visit.event(f"{at}:maprun-end", "MapRunSucceeded", {})
    await tracker.close(MAP_RUN_SUCCEEDED, visit.run.host.now())
    outputs = [
        result.error.output() if isinstance(result, Failed) else result for result in results
    ]
    output: Any = outputs
    if "ResultWriter" in visit.state:
        output = await _write(visit, number, arn, results)
    await visit.event(f"{at}:succeeded", "MapStateSucceeded", {})
    return output


def _size(item: Any) -> int:
    """How many items an iteration's input carries (a batch's ``Items``)."""
    if isinstance(item, Mapping) and isinstance(item.get("Items"), list):
        return len(item["Items"])
    return 1


def _settings(visit: Visit, concurrency: int) -> MapRunSettings:
    """The Map Run's settings as the definition gives them."""
    flow = DataFlow(visit, visit.context())
    effective = flow.effective_input()
    most = _number(flow, visit.state, "ToleratedFailureCount", effective)
    share = _number(flow, visit.state, "ToleratedFailurePercentage", effective)
    try:
        count = None if most is None else int(most)
        percentage = None if share is None else float(share)
    except (TypeError, ValueError):
        problem = f"The tolerated failure threshold is not a number: {most or share!r}"
        raise Failed(visit.error(StatesError(errors.RUNTIME, problem))) from None
    return MapRunSettings(
        max_concurrency=0 if concurrency >= maprun.UNLIMITED else concurrency,
        tolerated_failure_percentage=percentage,
        tolerated_failure_count=count,
    )


async def _write(visit: Visit, number: int, arn: str, results: list[Any]) -> Any:
    """Puts ``SUCCEEDED_0.json``, ``FAILED_0.json`` and ``manifest.json`` under
    ``<Prefix>/<map run id>/``; the Map's result points to the manifest."""
    writer = visit.state["ResultWriter"]
    flow = DataFlow(visit, visit.context())
    if flow.jsonata:
        target = flow.expression(writer.get("Arguments", {}), "Arguments", input=visit.input)
    else:
        target = flow.template(writer.get("Parameters", {}), flow.effective_input(), "Parameters")
    bucket = str(target.get("Bucket", ""))
    prefix = str(target.get("Prefix", "")).strip("/")
    run_id = arn.rpartition(":")[2]
    folder = f"{prefix}/{run_id}" if prefix else run_id
    manifest_key = f"{folder}/manifest.json"
    output = {"MapRunArn": arn, "ResultWriterDetails": {"Bucket": bucket, "Key": manifest_key}}
    if visit.find(f"#{number}:written") is not None:
        return output
    resource = resources.parse_resource(str(writer.get("Resource", "")))
    if resource is None:
        raise Failed(visit.error(StatesError(errors.RESULT_WRITER_FAILED, "Unsupported resource")))
    succeeded = [
        _entry(result, "SUCCEEDED") for result in results if not isinstance(result, Failed)
    ]
    failed = [
        _entry(result.error.output(), "FAILED") for result in results if isinstance(result, Failed)
    ]
    files: dict[str, list[dict[str, Any]]] = {"FAILED": [], "PENDING": [], "SUCCEEDED": []}
    objects: list[tuple[str, str]] = []
    for status, entries in (("SUCCEEDED", succeeded), ("FAILED", failed)):
        if entries:
            key = f"{folder}/{status}_0.json"
            body = events.text(entries)
            files[status].append({"Key": key, "Size": len(body.encode())})
            objects.append((key, body))
    manifest = {"DestinationBucket": bucket, "MapRunArn": arn, "ResultFiles": files}
    objects.append((manifest_key, events.text(manifest)))
    for key, body in objects:
        request = TaskRequest(
            resource, {"Bucket": bucket, "Key": key, "Body": body}, visit.run.info, visit.name
        )
        try:
            await visit.run.host.tasks.run(request, _NoProgress())
        except StatesError as error:
            raise Failed(
                visit.error(StatesError(errors.RESULT_WRITER_FAILED, error.cause or error.error))
            ) from None
    await visit.note(f"#{number}:written", WRITTEN, {"manifest": manifest_key})
    return output


def _entry(output: Any, status: str) -> dict[str, Any]:
    return {"Output": events.text(output), "OutputDetails": {"Included": True}, "Status": status}

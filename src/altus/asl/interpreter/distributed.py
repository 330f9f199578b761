"""What a DISTRIBUTED Map adds: its items read by its ``ItemReader`` (a call of the
reader's resource, ``s3:getObject`` or ``s3:listObjectsV2``) and batched, a Map Run
(``MapRunStarted`` / ``MapRunSucceeded`` / ``MapRunFailed``) tolerating
``ToleratedFailureCount`` / ``ToleratedFailurePercentage`` failed items, and a
``ResultWriter`` that puts the results in S3 (``s3:putObject``).

The items are recorded once read (a resumed Map does not read them again). The Map
Run's record (status, item and iteration counts, settings, what its children run) is
reported to the host's ``map_runs`` board as it goes (``maprun``), for DescribeMapRun,
ListMapRuns and UpdateMapRun, and each item runs as a child execution there
(``children``). A redriven parent redrives the Map Run that failed (the same ARN,
``MapRunRedriven``): its children that succeeded are kept, the others redriven. Without
a board (an EXPRESS parent: AWS runs distributed Maps in STANDARD workflows) the
iterations run in this execution, their records private."""

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
    NewRecord,
    TaskRequest,
)
from altus.asl.interpreter import children, crew, events, maprun
from altus.asl.interpreter import items as items_
from altus.asl.interpreter.dataflow import DataFlow
from altus.asl.interpreter.failures import Failed
from altus.asl.interpreter.frames import JSONPATH, SUSPEND, Visit
from altus.asl.interpreter.parallel import base_of, redriven_attempt

ITEMS = "~items"
WRITTEN = "~written"
MAP_RUN = "~maprun"

EXCEEDED_CAUSE = "The specified tolerated failure threshold was exceeded"


class _NoProgress:
    async def submitted(self, output: Any) -> None:
        return None


async def items(
    visit: Visit, flow: DataFlow, effective: Any, number: int, retries: int
) -> list[Any]:
    """The inputs of the iterations, selected and batched (recorded once)."""
    found = visit.find(f"#{number}:items")
    if found is None and number == 0:
        # A redriven Map Run runs the items it read before (its children are matched
        # to them by index): they are not read again.
        earlier = redriven_attempt(visit)
        found = None if earlier is None else visit.run.find(f"{earlier}:items")
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
    visit: Visit,
    number: int,
    inputs: list[Any],
    concurrency: int,
    job: Callable[[int], crew.Job],
) -> Any:
    """The Map Run: its iterations within the tolerated failures, its results written,
    its record (status, counts, settings) kept on the host's ``map_runs`` board. With a
    board, each iteration is a child execution (``children``); without one (an EXPRESS
    parent, the interpreter's tests), ``job`` runs it here, its records private."""
    at = f"#{number}"
    info = visit.run.info
    board = visit.run.host.map_runs
    base = base_of(visit, number)
    arn, start, redriven = await _open(visit, number, base)
    count = len(inputs)
    sizes = [_size(item) for item in inputs]
    definition = child_definition(visit)
    tracker = maprun.Tracker(board, arn, sizes, _settings(visit, concurrency))
    if board is not None and redriven is not None:
        tracker.settings = await board.redrive(arn, redriven, start)
    await tracker.open(info.arn, start, definition, _label(visit))
    make = job
    if board is not None:
        make = children.jobs(visit, base, arn, inputs, board, _execution_type(visit))
    try:
        results = await crew.run_all(
            visit.run,
            [tracker.wrap(index, make(index)) for index in range(count)],
            limit=max(count, 1),
            tolerated=tracker.tolerated,
        )
    except crew.Stopped:
        error = StatesError(errors.EXCEED_TOLERATED_FAILURE_THRESHOLD, EXCEEDED_CAUSE)
        failed = await visit.event(f"{at}:maprun-end", "MapRunFailed", events.with_error(error))
        await tracker.close(MAP_RUN_FAILED, visit.run.host.now())
        if board is not None:
            await board.abort_children(arn)
        raise Failed(error, last_id=failed.id or 0) from None
    except asyncio.CancelledError as stop:
        if not visit.run.suspending and SUSPEND not in stop.args:
            await tracker.close(MAP_RUN_ABORTED, visit.run.host.now(), quietly=True)
            if board is not None:
                await board.abort_children(arn)
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
        output = await _write(visit, number, arn, results, base, inputs)
    await visit.event(f"{at}:succeeded", "MapStateSucceeded", {})
    return output


async def _open(visit: Visit, number: int, base: str) -> tuple[str, float, int | None]:
    """The Map Run's ARN, its (re)start time and, when this run of the state redrives
    the Map Run an earlier generation ran (a redriven parent), the redrive's count
    (None: a new Map Run). ``MapRunStarted`` or ``MapRunRedriven`` is recorded here."""
    run = visit.run
    info = run.info
    at = f"#{number}"
    earlier = [
        found
        for generation in range(run.generation)
        if (found := run.find(f"{base}:maprun@{generation}")) is not None
    ]
    started = visit.find(f"{at}:maprun")
    if started is None and earlier:
        arn = str(earlier[-1].details["arn"])
        note = NewRecord(f"{base}:maprun@{run.generation}", MAP_RUN, {"arn": arn}, public=False)
        details = {"mapRunArn": arn, "redriveCount": len(earlier)}
        started = await visit.event(f"{at}:maprun", "MapRunRedriven", details, extra=[note])
    elif started is None:
        run_id = run.host.new_token()[:36]
        arn = (
            f"arn:{info.partition}:states:{info.region}:{info.account}:mapRun:"
            f"{info.state_machine_name}/{_label(visit)}:{run_id}"
        )
        note = NewRecord(f"{base}:maprun@{run.generation}", MAP_RUN, {"arn": arn}, public=False)
        started = await visit.event(
            f"{at}:maprun", "MapRunStarted", {"mapRunArn": arn}, extra=[note]
        )
    arn = str(started.details["mapRunArn"])
    redriven = len(earlier) if started.type == "MapRunRedriven" else None
    return arn, started.timestamp, redriven


def _label(visit: Visit) -> str:
    return str(visit.state.get("Label", visit.name))


def _execution_type(visit: Visit) -> str:
    processor = visit.state.get("ItemProcessor") or visit.state.get("Iterator") or {}
    config = processor.get("ProcessorConfig") or {}
    return str(config.get("ExecutionType", "STANDARD"))


def child_definition(visit: Visit) -> dict[str, Any]:
    """What each child execution runs: the item processor as a state machine, in the
    query language it inherits from the Map state."""
    processor = dict(visit.state.get("ItemProcessor") or visit.state.get("Iterator") or {})
    if "QueryLanguage" not in processor and visit.frame.language != JSONPATH:
        processor["QueryLanguage"] = visit.frame.language
    return processor


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


async def _write(
    visit: Visit, number: int, arn: str, results: list[Any], base: str, inputs: list[Any]
) -> Any:
    """The results as ``ResultWriter`` says. With a ``Resource`` they are exported:
    ``SUCCEEDED_0.json``, ``FAILED_0.json`` and ``manifest.json`` put under
    ``<Prefix>/<map run id>/``, and the Map's result points to the manifest; with only a
    ``WriterConfig`` they are the Map's result. ``WriterConfig.Transformation``: NONE
    (each child's description: DescribeExecution's members as AWS writes them; an
    iteration run here has its output and status only; the default of an export),
    COMPACT (the outputs) or FLATTEN (the outputs, arrays spread); a failed child is
    always described. ``OutputType`` JSONL writes JSON Lines instead of an array."""
    writer = visit.state["ResultWriter"]
    config = writer.get("WriterConfig") or {}
    exporting = "Resource" in writer
    transformation = str(config.get("Transformation", "NONE" if exporting else "COMPACT"))
    lines = config.get("OutputType") == "JSONL"
    succeeded: list[Any] = []
    failed: list[Any] = []
    every: list[Any] = []
    for index, result in enumerate(results):
        child = children.ended(visit, base, index)
        described = child.details.get("described") if child is not None else None
        if described:
            described = children.described(child, inputs[index]) if child else None
        if isinstance(result, Failed):
            entry = described or _entry(result.error.output(), "FAILED")
            failed.append(entry)
            every.append(entry)
        elif transformation == "NONE":
            entry = described or _entry(result, "SUCCEEDED")
            succeeded.append(entry)
            every.append(entry)
        elif transformation == "FLATTEN" and isinstance(result, list):
            succeeded.extend(result)
            every.extend(result)
        else:
            succeeded.append(result)
            every.append(result)
    if not exporting:
        return every
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
    files: dict[str, list[dict[str, Any]]] = {"FAILED": [], "PENDING": [], "SUCCEEDED": []}
    objects: list[tuple[str, str]] = []
    for status, entries in (("SUCCEEDED", succeeded), ("FAILED", failed)):
        if entries:
            key = f"{folder}/{status}_0.json"
            if lines:
                body = "".join(events.text(entry) + "\n" for entry in entries)
            else:
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

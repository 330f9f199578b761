"""The execution operations: StartExecution, StartSyncExecution, DescribeExecution,
DescribeStateMachineForExecution, ListExecutions, StopExecution, GetExecutionHistory and
RedriveExecution.

The API writes the records a call is about, then asks the runtime
(``runtime_api.Runtime``) to act: a STANDARD start is stored RUNNING first, so a crash
before it runs leaves it for the runtime to resume. StartExecution is idempotent for a
STANDARD machine as AWS documents it: the same name and input as a RUNNING execution
answers with that execution; a closed one of the name, or other input, is
ExecutionAlreadyExists. An EXPRESS execution is not stored: no API reads it back
(DescribeExecution, StopExecution and GetExecutionHistory refuse its ARN, as AWS does).
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import uuid
from typing import TYPE_CHECKING

from altus.api.spec import Call, Members
from altus.observe.trace_header import normal, traced
from altus.stepfunctions import history, paging
from altus.stepfunctions.errors import (
    ValidationException,
    execution_exists,
    not_redrivable,
    state_machine_missing,
    type_not_supported,
    wrong_resource_type,
)
from altus.stepfunctions.executions import (
    REDRIVABLE,
    REDRIVABLE_BY_MAP_RUN,
    described,
    input_text,
    list_item,
    redrive_status,
    stored,
    target,
)
from altus.stepfunctions.machines_api import revision_members
from altus.stepfunctions.model import (
    EXPRESS,
    RUNNING,
    STANDARD,
    Alias,
    Execution,
    ExecutionFilter,
    StateMachine,
    Version,
)
from altus.stepfunctions.names import MAP_RUN, STATE_MACHINE, check_name, parse

if TYPE_CHECKING:
    from altus.stepfunctions.component import StepFunctions

METADATA_ONLY = "METADATA_ONLY"


def _record(
    sfn: StepFunctions,
    input: Members,
    machine: StateMachine,
    version: Version | None,
    alias: Alias | None,
) -> Execution:
    core = sfn.core
    name = check_name(str(input["name"])) if input.get("name") else str(uuid.uuid4())
    text = input_text(input.get("input"))
    revision = version.revision if version is not None else machine.revision
    if machine.type == EXPRESS:
        arn = core.express_arn(machine.name, name, str(uuid.uuid4()))
    else:
        arn = core.execution_arn(machine.name, name)
    return Execution(
        arn=arn,
        machine_arn=machine.arn,
        name=name,
        type=machine.type,
        status=RUNNING,
        input=text,
        start=core.now(),
        role_arn=revision.role_arn,
        revision_key=revision.key,
        version_arn=version.arn if version is not None else None,
        alias_arn=alias.arn if alias is not None else None,
        # X-Ray: a state machine with tracing enabled starts (or joins) a sampled trace.
        trace_header=traced(input.get("traceHeader"), bool(revision.tracing.get("enabled"))),
    )


async def start(sfn: StepFunctions, input: Members) -> Execution:
    """Start an execution as StartExecution's members say (the API's, and a parent
    execution's ``states:startExecution``): the one started, or the same one again for a
    repeated start of a running one."""
    machine, version, alias = await target(sfn, str(input["stateMachineArn"]))
    execution = _record(sfn, input, machine, version, alias)
    if machine.type == EXPRESS:
        await sfn.runtime.start(execution)
        return execution
    # Stored and started together, whatever happens to the caller (a client gone, a
    # hand-off timed out): a stored execution always has its run.
    kept = await asyncio.shield(_store_and_start(sfn, execution))
    if kept is not None:
        if kept.status == RUNNING and kept.input == execution.input:
            return kept
        raise execution_exists(execution.arn)
    return execution


async def _store_and_start(sfn: StepFunctions, execution: Execution) -> Execution | None:
    kept = await sfn.store.create_execution(execution)
    if kept is None:
        await sfn.runtime.start(execution)
    return kept


async def start_execution(sfn: StepFunctions, call: Call, input: Members) -> Members:
    started = await start(sfn, _traced(call, input))
    return {"executionArn": started.arn, "startDate": started.start}


def _traced(call: Call, input: Members) -> Members:
    """X-Ray: the call's ``X-Amzn-Trace-Id`` wins over ``traceHeader``, as AWS has it."""
    header = normal(call.request.headers.get("x-amzn-trace-id"))
    return {**input, "traceHeader": header} if header else input


def _billed_ms(execution: Execution) -> int:
    """AWS bills an express execution by the 100 ms, 100 at least."""
    took = ((execution.stop or execution.start) - execution.start) * 1000
    return max(100, math.ceil(took / 100) * 100)


async def start_sync_execution(sfn: StepFunctions, call: Call, input: Members) -> Members:
    machine, version, alias = await target(sfn, str(input["stateMachineArn"]))
    if machine.type != EXPRESS:
        raise type_not_supported()
    done = await sfn.runtime.run_sync(_record(sfn, _traced(call, input), machine, version, alias))
    include = input.get("includedData") != METADATA_ONLY
    shown: Members = {
        "executionArn": done.arn,
        "stateMachineArn": done.machine_arn,
        "name": done.name,
        "startDate": done.start,
        "stopDate": done.stop if done.stop is not None else sfn.core.now(),
        "status": done.status,
        "inputDetails": {"included": include},
        "billingDetails": {
            "billedDurationInMilliseconds": _billed_ms(done),
            "billedMemoryUsedInMB": 64,
        },
    }
    if include:
        shown["input"] = done.input
    if done.output is not None:
        shown["outputDetails"] = {"included": include}
        if include:
            shown["output"] = done.output
    for member, value in (
        ("error", done.error),
        ("cause", done.cause),
        ("traceHeader", done.trace_header),
    ):
        if value is not None:
            shown[member] = value
    return shown


async def describe_execution(sfn: StepFunctions, call: Call, input: Members) -> Members:
    execution = await stored(sfn, str(input["executionArn"]))
    return await described(sfn, execution, input.get("includedData") != METADATA_ONLY)


async def describe_state_machine_for_execution(
    sfn: StepFunctions, call: Call, input: Members
) -> Members:
    execution = await stored(sfn, str(input["executionArn"]))
    child = execution
    run = None
    if execution.map_run_arn is not None:
        # A Map Run's child: its parent's state machine, running the item processor.
        run = await sfn.store.map_run(execution.map_run_arn)
        parent = await sfn.store.execution(run.execution_arn) if run is not None else None
        if run is None or parent is None:
            raise state_machine_missing(execution.machine_arn)
        execution = parent
    version = sfn.core.versions.get(execution.version_arn or "")
    revision = (
        version.revision
        if version is not None
        else await sfn.store.revision(execution.machine_arn, execution.revision_key)
    )
    if revision is None:
        raise state_machine_missing(execution.machine_arn)
    shown: Members = {
        "stateMachineArn": child.machine_arn,
        "name": parse(child.machine_arn).machine,
        "updateDate": revision.updated,
        **revision_members(revision),
    }
    if run is not None:
        shown["definition"] = run.definition
        shown["mapRunArn"] = run.arn
        shown["label"] = run.label
    return shown


def _where(sfn: StepFunctions, input: Members) -> tuple[ExecutionFilter, str | None]:
    """The filter ListExecutions asks for, and the state machine ARN to check."""
    machine_arn, map_run = input.get("stateMachineArn"), input.get("mapRunArn")
    if (machine_arn is None) == (map_run is None):
        # Altus's wording: AWS's was not found.
        raise ValidationException("Exactly one of stateMachineArn and mapRunArn must be given")
    status = input.get("statusFilter")
    redriven = {"REDRIVEN": True, "NOT_REDRIVEN": False}.get(str(input.get("redriveFilter")))
    if map_run is not None:
        parsed = parse(str(map_run))
        if parsed.kind != MAP_RUN:
            raise wrong_resource_type(parsed.kind)
        return ExecutionFilter(map_run_arn=str(map_run), status=status, redriven=redriven), None
    parsed = parse(str(machine_arn))
    if parsed.kind != STATE_MACHINE:
        raise wrong_resource_type(parsed.kind)
    if parsed.qualifier and str(machine_arn) not in (
        sfn.core.versions if parsed.is_version else sfn.core.aliases
    ):
        raise state_machine_missing(str(machine_arn))
    where = ExecutionFilter(
        machine_arn=parsed.base,
        version_arn=str(machine_arn) if parsed.is_version else None,
        alias_arn=str(machine_arn) if parsed.is_alias else None,
        status=status,
        redriven=redriven,
    )
    return where, parsed.base


async def list_executions(sfn: StepFunctions, call: Call, input: Members) -> Members:
    where, machine_arn = _where(sfn, input)
    if machine_arn is not None:
        machine = await sfn.core.existing(machine_arn)
        if machine.type != STANDARD:
            raise type_not_supported()
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
    found = await sfn.store.list_executions(
        where, (float(after[0]), after[1]) if after else None, limit + 1
    )
    chosen = found[:limit]
    output: Members = {"executions": [list_item(e) for e in chosen]}
    if len(found) > limit:
        output["nextToken"] = paging.write([chosen[-1].start, chosen[-1].arn])
    return output


async def stop_execution(sfn: StepFunctions, call: Call, input: Members) -> Members:
    execution = await stored(sfn, str(input["executionArn"]))
    if execution.status != RUNNING:
        # Already closed: nothing to stop (AWS's answer here was not recorded).
        return {"stopDate": execution.stop if execution.stop is not None else sfn.core.now()}
    closed = await sfn.runtime.stop(execution, input.get("error"), input.get("cause"))
    return {"stopDate": closed.stop if closed.stop is not None else sfn.core.now()}


async def get_execution_history(sfn: StepFunctions, call: Call, input: Members) -> Members:
    arn = str(input["executionArn"])
    await stored(sfn, arn)
    token = input.get("nextToken")
    after = paging.read(token) if token else 0
    if not isinstance(after, int) or isinstance(after, bool) or after < 0:
        raise paging.bad_token()
    limit = paging.size(input.get("maxResults"))
    reverse = bool(input.get("reverseOrder"))
    records = await sfn.store.history(arn, after, limit + 1, reverse)
    chosen = records[:limit]
    include = input.get("includeExecutionData") is not False
    output: Members = {"events": [history.event(r, include) for r in chosen]}
    if len(records) > limit and chosen[-1].id is not None:
        output["nextToken"] = paging.write(chosen[-1].id)
    return output


async def redrive_execution(sfn: StepFunctions, call: Call, input: Members) -> Members:
    execution = await stored(sfn, str(input["executionArn"]))
    client_token = input.get("clientToken")
    if (
        execution.status == RUNNING
        and client_token is not None
        and execution.redrive_token == client_token
        and execution.redrive_date is not None
    ):
        return {"redriveDate": execution.redrive_date}
    status, reason = await redrive_status(sfn, execution)
    if status == REDRIVABLE_BY_MAP_RUN:
        # Altus's words (AWS's text was not recorded).
        raise not_redrivable("Execution was started by a Map Run: redrive its parent execution")
    if status != REDRIVABLE:
        raise not_redrivable(reason or f"Execution is {execution.status} and cannot be redriven")
    now = sfn.core.now()
    redriven = dataclasses.replace(
        execution,
        status=RUNNING,
        redrive_count=execution.redrive_count + 1,
        redrive_date=now,
        redrive_token=client_token,
        stop=None,
        output=None,
        error=None,
        cause=None,
    )
    if not await sfn.runtime.redrive(redriven, execution.status):
        raise not_redrivable("Execution is RUNNING and cannot be redriven")
    return {"redriveDate": now}

"""What the execution operations share: which state machine (and version) a start runs,
the execution's input, and how an execution is shown (DescribeExecution, ListExecutions)
with its redrive status.

Redrive follows AWS's rules: only a STANDARD execution that FAILED, TIMED_OUT or was
ABORTED, closed less than 14 days ago, less than a year after it started, with fewer
than 24,999 history events, of a state machine not being deleted. The reasons are AWS's
``redriveStatusReason`` texts.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from altus.api.spec import Members
from altus.stepfunctions.errors import (
    ValidationException,
    execution_missing,
    invalid_input,
    state_machine_deleting,
    state_machine_missing,
    wrong_resource_type,
)
from altus.stepfunctions.model import (
    ABORTED,
    DELETING,
    EXPRESS,
    FAILED,
    TIMED_OUT,
    Alias,
    Execution,
    StateMachine,
    Version,
)
from altus.stepfunctions.names import EXECUTION, STATE_MACHINE, parse

if TYPE_CHECKING:
    from altus.stepfunctions.component import StepFunctions

#: An execution's input and output: at most 256 KiB (of UTF-8), as AWS's.
MAX_PAYLOAD = 256 * 1024
DAY = 86_400.0
REDRIVE_WINDOW = 14 * DAY
MAX_DURATION = 365 * DAY
#: Redrive needs room for its events: fewer than this many already.
MAX_EVENTS = 24_999

REDRIVABLE = "REDRIVABLE"
NOT_REDRIVABLE = "NOT_REDRIVABLE"
REDRIVABLE_BY_MAP_RUN = "REDRIVABLE_BY_MAP_RUN"


def input_text(given: object) -> str:
    """The execution input (``{}`` when none was given), or InvalidExecutionInput. An
    empty text has AWS's own message; for JSON that does not parse the parser's
    message differs from AWS's (which is Jackson's)."""
    if given is None:
        return "{}"
    text = str(given)
    if not text:
        raise invalid_input("Invalid execution input.")
    if len(text.encode()) > MAX_PAYLOAD:
        raise invalid_input(f"Input exceeds the maximum size of {MAX_PAYLOAD} bytes.")
    try:
        json.loads(text)
    except ValueError as error:
        raise invalid_input(str(error)) from None
    return text


def pick(alias: Alias, draw: float) -> str:
    """The version of ``alias`` a draw in [0, 1) chooses, by weight."""
    point = draw * 100
    total = 0
    for arn, weight in alias.routing:
        total += weight
        if point < total:
            return arn
    return alias.routing[-1][0]


async def target(sfn: StepFunctions, arn: str) -> tuple[StateMachine, Version | None, Alias | None]:
    """The state machine a start names by ``arn`` (its own, a version's or an alias's),
    the version it runs (an alias's chosen by weight) and the alias; StateMachineDoesNotExist
    or StateMachineDeleting (AWS's texts)."""
    core = sfn.core
    parsed = parse(arn)
    if parsed.kind != STATE_MACHINE:
        raise wrong_resource_type(parsed.kind)
    if "/" in parsed.machine:
        # ``<machine>/<label>``: the state machine of a Map Run's children, which only
        # its Map Run starts (Altus's words: AWS's text was not recorded).
        raise ValidationException(
            f"The state machine of a Map Run's children cannot be started: {arn}"
        )
    machine = await core.machine(parsed.base)
    if machine is None:
        raise state_machine_missing(arn)
    version: Version | None = None
    alias: Alias | None = None
    if parsed.is_alias:
        alias = core.aliases.get(arn)
        if alias is None:
            raise state_machine_missing(arn)
        version = core.versions.get(pick(alias, sfn.draw()))
        if version is None:
            raise state_machine_missing(arn)
    elif parsed.is_version:
        version = core.versions.get(arn)
        if version is None:
            raise state_machine_missing(arn)
    if machine.status == DELETING:
        raise state_machine_deleting(arn)
    return machine, version, alias


async def stored(sfn: StepFunctions, arn: str) -> Execution:
    """The STANDARD execution of ``arn``: InvalidArn for another kind (AWS's text for an
    express execution's), else ExecutionDoesNotExist."""
    parsed = parse(arn)
    if parsed.kind != EXECUTION:
        raise wrong_resource_type(parsed.kind)
    found = await sfn.store.execution(arn)
    if found is None:
        raise execution_missing(arn)
    return found


async def redrive_status(sfn: StepFunctions, execution: Execution) -> tuple[str, str | None]:
    """``(redriveStatus, redriveStatusReason)`` of a STANDARD execution now."""
    if execution.type == EXPRESS:
        return NOT_REDRIVABLE, None
    machine = sfn.core.machines.get(parent_machine_arn(execution))
    if machine is None:
        # Its definition went with it: there is nothing to run again (Altus's words).
        return NOT_REDRIVABLE, "State machine does not exist"
    if machine.status == DELETING:
        return NOT_REDRIVABLE, "State machine is in DELETING status"
    if execution.status not in (FAILED, TIMED_OUT, ABORTED):
        return NOT_REDRIVABLE, f"Execution is {execution.status} and cannot be redriven"
    now = sfn.core.now()
    if now - execution.start > MAX_DURATION:
        return NOT_REDRIVABLE, "Execution has exceeded the max execution time"
    if execution.stop is not None and now - execution.stop > REDRIVE_WINDOW:
        return NOT_REDRIVABLE, "Execution redrivable period exceeded"
    if await sfn.store.event_count(execution.arn) >= MAX_EVENTS:
        return NOT_REDRIVABLE, "Execution history event limit exceeded"
    if execution.map_run_arn is not None:
        # A Map Run's child is redriven with its Map Run, by redriving the parent.
        return REDRIVABLE_BY_MAP_RUN, None
    return REDRIVABLE, None


def parent_machine_arn(execution: Execution) -> str:
    """The state machine an execution is of: a Map Run's child's (``<machine>/<label>``)
    is its parent's."""
    if execution.map_run_arn is not None:
        return execution.machine_arn.partition("/")[0]
    return execution.machine_arn


def list_item(execution: Execution) -> Members:
    shown: Members = {
        "executionArn": execution.arn,
        "stateMachineArn": execution.machine_arn,
        "name": execution.name,
        "status": execution.status,
        "startDate": execution.start,
        "redriveCount": execution.redrive_count,
    }
    for member, value in (
        ("stopDate", execution.stop),
        ("stateMachineVersionArn", execution.version_arn),
        ("stateMachineAliasArn", execution.alias_arn),
        ("mapRunArn", execution.map_run_arn),
        ("redriveDate", execution.redrive_date),
    ):
        if value is not None:
            shown[member] = value
    return shown


async def described(sfn: StepFunctions, execution: Execution, include_data: bool) -> Members:
    shown = list_item(execution)
    shown["inputDetails"] = {"included": include_data}
    if include_data:
        shown["input"] = execution.input
    if execution.output is not None:
        shown["outputDetails"] = {"included": include_data}
        if include_data:
            shown["output"] = execution.output
    for member, value in (
        ("error", execution.error),
        ("cause", execution.cause),
        ("traceHeader", execution.trace_header),
    ):
        if value is not None:
            shown[member] = value
    status, reason = await redrive_status(sfn, execution)
    shown["redriveStatus"] = status
    if reason is not None:
        shown["redriveStatusReason"] = reason
    return shown

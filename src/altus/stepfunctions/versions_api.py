"""Versions: PublishStateMachineVersion, ListStateMachineVersions (newest first) and
DeleteStateMachineVersion (refused while an alias routes to the version; deleting one
that is not there succeeds, as on AWS)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from altus.api.spec import Call, Members
from altus.stepfunctions import paging
from altus.stepfunctions.errors import (
    ValidationException,
    publish_conflict,
    state_machine_deleting,
    state_machine_missing,
    version_in_use,
    wrong_resource_type,
)
from altus.stepfunctions.model import DELETING, DropVersion
from altus.stepfunctions.names import STATE_MACHINE, StatesArn, parse
from altus.stepfunctions.versions import publish

if TYPE_CHECKING:
    from altus.stepfunctions.component import StepFunctions


def machine_arn_of(arn: str) -> StatesArn:
    """A state machine ARN (any qualifier), or InvalidArn."""
    parsed = parse(arn)
    if parsed.kind != STATE_MACHINE:
        raise wrong_resource_type(parsed.kind)
    return parsed


async def publish_state_machine_version(sfn: StepFunctions, call: Call, input: Members) -> Members:
    core = sfn.core
    arn = str(input["stateMachineArn"])
    if machine_arn_of(arn).qualifier:
        raise state_machine_missing(arn)
    await core.existing(arn)
    async with core.lock:
        machine = core.machines.get(arn)
        if machine is None:
            raise state_machine_missing(arn)
        if machine.status == DELETING:
            raise state_machine_deleting(arn)
        given = input.get("revisionId")
        current = machine.revision.revision_id
        if given is not None and given != current:
            raise publish_conflict(str(given), current or "")
        version, moved, plan = publish(core, machine, input.get("description"), core.now())
        if plan:

            def applied() -> None:
                core.machines[arn] = moved
                core.versions[version.arn] = version

            await core.write(plan, applied)
    return {"creationDate": version.created, "stateMachineVersionArn": version.arn}


async def list_state_machine_versions(sfn: StepFunctions, call: Call, input: Members) -> Members:
    arn = str(input["stateMachineArn"])
    if machine_arn_of(arn).qualifier:
        raise ValidationException(f"Expected an unqualified state machine ARN: '{arn}'")
    versions = sfn.core.versions_of(arn)
    # Newest first: the key counts down as numbers go up.
    chosen, token = paging.page(
        versions,
        lambda v: f"{10**9 - v.number:010d}",
        input.get("nextToken"),
        input.get("maxResults"),
    )
    output: Members = {
        "stateMachineVersions": [
            {"stateMachineVersionArn": v.arn, "creationDate": v.created} for v in chosen
        ]
    }
    if token:
        output["nextToken"] = token
    return output


async def delete_state_machine_version(sfn: StepFunctions, call: Call, input: Members) -> Members:
    core = sfn.core
    arn = str(input["stateMachineVersionArn"])
    if not machine_arn_of(arn).is_version:
        # Altus's wording: AWS's for an ARN that is not a version's was not found.
        raise ValidationException(f"Expected a state machine version ARN: '{arn}'")
    async with core.lock:
        if arn not in core.versions:
            return {}
        using = sorted(
            alias.name
            for alias in core.aliases.values()
            if any(version == arn for version, _ in alias.routing)
        )
        if using:
            raise version_in_use(using)
        await core.write([DropVersion(arn)], lambda: core.versions.pop(arn, None))
    return {}

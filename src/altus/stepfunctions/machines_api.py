"""The state machine operations: CreateStateMachine, DescribeStateMachine (of a version
too), UpdateStateMachine, DeleteStateMachine, ListStateMachines and
ValidateStateMachineDefinition.

CreateStateMachine is idempotent as AWS documents it: the same name with the same
definition, type, logging, tracing and encryption configurations, publish and
versionDescription answers with the machine already there (a different roleArn or tags
are ignored then); anything else is StateMachineAlreadyExists. An update makes a new
revision (a new revisionId) only when it changes something; ``publish`` publishes the
current revision (once per revision). A machine with running executions is DELETING
until they end, and gone after; deleting one that is not there succeeds.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import TYPE_CHECKING, Any

from altus.api.spec import Call, Members
from altus.stepfunctions import configs, definitions, paging
from altus.stepfunctions.errors import (
    MissingRequiredParameter,
    ValidationException,
    state_machine_deleting,
    state_machine_exists,
    state_machine_missing,
    wrong_resource_type,
)
from altus.stepfunctions.model import (
    ACTIVE,
    DELETING,
    STANDARD,
    DropMachine,
    PutMachine,
    Revision,
    StateMachine,
    Version,
)
from altus.stepfunctions.names import STATE_MACHINE, check_name, parse
from altus.stepfunctions.versions import publish

if TYPE_CHECKING:
    from altus.stepfunctions.component import StepFunctions


def _no_description_without_publish(input: Members) -> None:
    if input.get("versionDescription") is not None and not input.get("publish"):
        raise ValidationException("Version description can only be set when publish is true")


def revision_members(revision: Revision) -> Members:
    shown: Members = {
        "definition": revision.definition,
        "roleArn": revision.role_arn,
        "loggingConfiguration": dict(revision.logging),
        "tracingConfiguration": dict(revision.tracing),
    }
    if revision.revision_id is not None:
        shown["revisionId"] = revision.revision_id
    if revision.encryption is not None:
        shown["encryptionConfiguration"] = dict(revision.encryption)
    return shown


def _same_creation(machine: StateMachine, revision: Revision, input: Members) -> bool:
    current = machine.revision
    return (
        current.definition == revision.definition
        and machine.type == (input.get("type") or STANDARD)
        and dict(current.logging) == dict(revision.logging)
        and dict(current.tracing) == dict(revision.tracing)
        and current.encryption == revision.encryption
        and machine.created_publish == bool(input.get("publish"))
        and machine.created_description == input.get("versionDescription")
    )


async def create_state_machine(sfn: StepFunctions, call: Call, input: Members) -> Members:
    core = sfn.core
    name = check_name(str(input["name"]))
    _no_description_without_publish(input)
    arn = core.machine_arn(name)
    now = core.now()
    revision = Revision(
        machine_arn=arn,
        revision_id=None,
        definition=str(input["definition"]),
        role_arn=configs.role(str(input["roleArn"])),
        logging=configs.logging(input.get("loggingConfiguration")),
        tracing=configs.tracing(input.get("tracingConfiguration")),
        encryption=configs.encryption(input.get("encryptionConfiguration")),
        updated=now,
    )
    tags = configs.tags(input.get("tags"), arn)
    definitions.check(revision.definition, str(input.get("type") or STANDARD))
    await core.machine(arn)  # a DELETING one whose executions ended goes now
    async with core.lock:
        current = core.machines.get(arn)
        if current is not None:
            if current.status == DELETING:
                raise state_machine_deleting(arn)
            if not _same_creation(current, revision, input):
                raise state_machine_exists(arn)
            output: Members = {"stateMachineArn": arn, "creationDate": current.created}
            versions = core.versions_of(arn)
            if current.created_publish and versions:
                output["stateMachineVersionArn"] = min(versions, key=lambda v: v.number).arn
            return output
        machine = StateMachine(
            arn=arn,
            name=name,
            type=str(input.get("type") or STANDARD),
            created=now,
            revision=revision,
            tags=tags,
            created_publish=bool(input.get("publish")),
            created_description=input.get("versionDescription"),
        )
        version: Version | None = None
        plan: list[Any] = [PutMachine(machine)]
        if input.get("publish"):
            version, machine, more = publish(core, machine, input.get("versionDescription"), now)
            plan = [*more]

        def applied() -> None:
            core.machines[arn] = machine
            if version is not None:
                core.versions[version.arn] = version

        await core.write(plan, applied)
    output = {"stateMachineArn": arn, "creationDate": now}
    if version is not None:
        output["stateMachineVersionArn"] = version.arn
    return output


async def describe_state_machine(sfn: StepFunctions, call: Call, input: Members) -> Members:
    core = sfn.core
    arn = str(input["stateMachineArn"])
    parsed = parse(arn)
    if parsed.kind != STATE_MACHINE:
        raise wrong_resource_type(parsed.kind)
    if parsed.is_version:
        version = core.versions.get(arn)
        owner = await core.machine(parsed.base)
        if version is None or owner is None:
            raise state_machine_missing(arn)
        shown = {
            "stateMachineArn": arn,
            "name": owner.name,
            "status": ACTIVE,
            "type": owner.type,
            "creationDate": version.created,
            **revision_members(version.revision),
        }
        if version.description is not None:
            shown["description"] = version.description
        return shown
    if parsed.is_alias:
        raise state_machine_missing(arn)
    machine = await core.existing(arn)
    return {
        "stateMachineArn": arn,
        "name": machine.name,
        "status": machine.status,
        "type": machine.type,
        "creationDate": machine.created,
        **revision_members(machine.revision),
    }


_UPDATABLE = ("definition", "roleArn", "loggingConfiguration", "tracingConfiguration")


async def update_state_machine(sfn: StepFunctions, call: Call, input: Members) -> Members:
    core = sfn.core
    arn = str(input["stateMachineArn"])
    parsed = parse(arn)
    if parsed.kind != STATE_MACHINE:
        raise wrong_resource_type(parsed.kind)
    if parsed.qualifier:
        raise state_machine_missing(arn)
    if all(input.get(member) is None for member in _UPDATABLE) and not input.get(
        "encryptionConfiguration"
    ):
        raise MissingRequiredParameter(
            "Either the definition, the role ARN, the LoggingConfiguration, or the "
            "TracingConfiguration must be specified"
        )
    _no_description_without_publish(input)
    if input.get("definition") is not None:
        definitions.check(str(input["definition"]), (await core.existing(arn)).type)
    await core.existing(arn)
    now = core.now()
    async with core.lock:
        machine = core.machines.get(arn)
        if machine is None:
            raise state_machine_missing(arn)
        if machine.status == DELETING:
            raise state_machine_deleting(arn)
        current = machine.revision
        given_logging = input.get("loggingConfiguration")
        given_tracing = input.get("tracingConfiguration")
        given_encryption = input.get("encryptionConfiguration")
        changed = dataclasses.replace(
            current,
            definition=str(input.get("definition") or current.definition),
            role_arn=configs.role(str(input["roleArn"]))
            if input.get("roleArn")
            else current.role_arn,
            logging=configs.logging(given_logging)
            if given_logging is not None
            else current.logging,
            tracing=configs.tracing(given_tracing)
            if given_tracing is not None
            else current.tracing,
            encryption=configs.encryption(given_encryption)
            if given_encryption
            else current.encryption,
        )
        if changed != current:
            changed = dataclasses.replace(changed, revision_id=str(uuid.uuid4()), updated=now)
            machine = dataclasses.replace(machine, revision=changed)
        plan: list[Any] = [PutMachine(machine)]
        version: Version | None = None
        if input.get("publish"):
            version, machine, plan = publish(core, machine, input.get("versionDescription"), now)
            plan = plan or [PutMachine(machine)]
        updated = machine

        def applied() -> None:
            core.machines[arn] = updated
            if version is not None:
                core.versions[version.arn] = version

        await core.write(plan, applied)
    output: Members = {"updateDate": updated.revision.updated}
    if updated.revision.revision_id is not None:
        output["revisionId"] = updated.revision.revision_id
    if version is not None:
        output["stateMachineVersionArn"] = version.arn
    return output


async def delete_state_machine(sfn: StepFunctions, call: Call, input: Members) -> Members:
    core = sfn.core
    arn = str(input["stateMachineArn"])
    parsed = parse(arn)
    if parsed.kind != STATE_MACHINE:
        raise wrong_resource_type(parsed.kind)
    if parsed.qualifier:
        # AWS refuses a version's or alias's ARN here; its wording was not found.
        raise ValidationException(
            f"Qualified state machine ARNs are not accepted by DeleteStateMachine: '{arn}'"
        )
    if await core.machine(arn) is None:
        return {}
    running = await core.store.running(arn)
    async with core.lock:
        machine = core.machines.get(arn)
        if machine is None:
            return {}
        if running:
            deleting = dataclasses.replace(machine, status=DELETING)
            await core.write(
                [PutMachine(deleting)], lambda: core.machines.__setitem__(arn, deleting)
            )
        else:
            await core.write([DropMachine(arn)], lambda: core.forget(arn))
    return {}


async def list_state_machines(sfn: StepFunctions, call: Call, input: Members) -> Members:
    chosen, token = paging.page(
        list(sfn.core.machines.values()),
        lambda m: m.name,
        input.get("nextToken"),
        input.get("maxResults"),
    )
    output: Members = {
        "stateMachines": [
            {
                "stateMachineArn": m.arn,
                "name": m.name,
                "type": m.type,
                "creationDate": m.created,
            }
            for m in chosen
        ]
    }
    if token:
        output["nextToken"] = token
    return output


async def validate_state_machine_definition(
    sfn: StepFunctions, call: Call, input: Members
) -> Members:
    text = str(input["definition"])
    machine_type = str(input.get("type") or STANDARD)
    found, truncated = definitions.diagnose(
        text,
        machine_type,
        str(input.get("severity") or "ERROR"),
        paging.size(input.get("maxResults")),
    )
    diagnostics = []
    for diagnostic in found:
        item = {
            "severity": diagnostic.severity,
            "code": diagnostic.code,
            "message": diagnostic.message,
        }
        if diagnostic.location is not None:
            item["location"] = diagnostic.location
        diagnostics.append(item)
    failed = definitions.has_errors(text, machine_type)
    return {
        "result": "FAIL" if failed else "OK",
        "diagnostics": diagnostics,
        "truncated": truncated,
    }

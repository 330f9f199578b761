"""Aliases: Create, Describe, Update, Delete and ListStateMachineAliases.

An alias routes to one or two versions of one state machine, weights summing to 100
(each execution started through it picks one at random by weight). Creating an alias
again with the same routing and description answers with it; with others it is a
ConflictException. A machine has at most 100 aliases (AWS's quota). Texts are AWS's
where recorded (the routing refusals, the conflict, ``Request references a resource
that does not exist.``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from altus.api.spec import Call, Members
from altus.stepfunctions import paging
from altus.stepfunctions.errors import (
    ServiceQuotaExceeded,
    ValidationException,
    alias_conflict,
    reference_missing,
    resource_missing,
    routing,
    state_machine_deleting,
    state_machine_missing,
)
from altus.stepfunctions.model import DELETING, Alias, DropAlias, PutAlias
from altus.stepfunctions.state import Core
from altus.stepfunctions.versions_api import machine_arn_of

if TYPE_CHECKING:
    from altus.stepfunctions.component import StepFunctions

MAX_ALIASES = 100


def _routing(core: Core, given: Sequence[Any]) -> tuple[tuple[tuple[str, int], ...], str]:
    """The routing, checked, and the state machine it routes to."""
    pairs = tuple((str(item["stateMachineVersionArn"]), int(item["weight"])) for item in given)
    arns = [arn for arn, _ in pairs]
    received = f"[{', '.join(arns)}]"
    parsed = [machine_arn_of(arn) for arn in arns]
    if not all(p.is_version for p in parsed):
        raise routing(
            f"Routing configuration must contain state machine version ARNs. Received: {received}"
        )
    if len(set(arns)) != len(arns):
        raise routing(
            "Routing configuration must contain distinct state machine version ARNs. "
            f"Received: {received}"
        )
    if len({p.base for p in parsed}) != 1:
        # Altus's wording: AWS's for versions of two machines was not found.
        raise routing(
            "Routing configuration must contain versions of one state machine. "
            f"Received: {received}"
        )
    weights = [weight for _, weight in pairs]
    if sum(weights) != 100:
        raise routing(
            "Sum of routing configuration weights must equal 100. "
            f"Received: [{', '.join(str(w) for w in weights)}]"
        )
    for arn in arns:
        if arn not in core.versions:
            raise resource_missing(arn)
    return pairs, parsed[0].base


def _alias_of(core: Core, arn: str) -> Alias:
    if not machine_arn_of(arn).is_alias:
        # Altus's wording: AWS's for an ARN that is not an alias's was not found.
        raise ValidationException(f"Expected a state machine alias ARN: '{arn}'")
    alias = core.aliases.get(arn)
    if alias is None:
        raise reference_missing()
    return alias


async def create_state_machine_alias(sfn: StepFunctions, call: Call, input: Members) -> Members:
    core = sfn.core
    name = str(input["name"])
    description = input.get("description")
    async with core.lock:
        pairs, machine_arn = _routing(core, input["routingConfiguration"])
        machine = core.machines.get(machine_arn)
        if machine is None:
            raise state_machine_missing(machine_arn)
        if machine.status == DELETING:
            raise state_machine_deleting(machine_arn)
        arn = f"{machine_arn}:{name}"
        current = core.aliases.get(arn)
        if current is not None:
            if current.routing != pairs or current.description != description:
                raise alias_conflict()
            return {"stateMachineAliasArn": arn, "creationDate": current.created}
        if len(core.aliases_of(machine_arn)) >= MAX_ALIASES:
            # AWS's wording was not found.
            raise ServiceQuotaExceeded(
                f"A state machine may have at most {MAX_ALIASES} aliases: '{machine_arn}'"
            )
        now = core.now()
        alias = Alias(arn, machine_arn, name, pairs, now, now, description)
        await core.write([PutAlias(alias)], lambda: core.aliases.__setitem__(arn, alias))
    return {"stateMachineAliasArn": arn, "creationDate": now}


def _shown(alias: Alias) -> Members:
    shown: Members = {
        "stateMachineAliasArn": alias.arn,
        "name": alias.name,
        "routingConfiguration": [
            {"stateMachineVersionArn": arn, "weight": weight} for arn, weight in alias.routing
        ],
        "creationDate": alias.created,
        "updateDate": alias.updated,
    }
    if alias.description is not None:
        shown["description"] = alias.description
    return shown


async def describe_state_machine_alias(sfn: StepFunctions, call: Call, input: Members) -> Members:
    return _shown(_alias_of(sfn.core, str(input["stateMachineAliasArn"])))


async def update_state_machine_alias(sfn: StepFunctions, call: Call, input: Members) -> Members:
    core = sfn.core
    arn = str(input["stateMachineAliasArn"])
    given_routing = input.get("routingConfiguration")
    if given_routing is None and input.get("description") is None:
        # Altus's wording: AWS's for an update naming nothing was not found.
        raise ValidationException(
            "Either the description or the routingConfiguration must be specified",
            reason="MISSING_REQUIRED_PARAMETER",
        )
    async with core.lock:
        alias = _alias_of(core, arn)
        machine = core.machines.get(alias.machine_arn)
        if machine is not None and machine.status == DELETING:
            raise state_machine_deleting(alias.machine_arn)
        changed = alias
        if given_routing is not None:
            pairs, machine_arn = _routing(core, given_routing)
            if machine_arn != alias.machine_arn:
                raise routing(
                    "Routing configuration must contain versions of the alias's state "
                    f"machine. Received: [{', '.join(a for a, _ in pairs)}]"
                )
            changed = dataclasses.replace(changed, routing=pairs)
        if input.get("description") is not None:
            changed = dataclasses.replace(changed, description=str(input["description"]))
        changed = dataclasses.replace(changed, updated=core.now())
        await core.write([PutAlias(changed)], lambda: core.aliases.__setitem__(arn, changed))
    return {"updateDate": changed.updated}


async def delete_state_machine_alias(sfn: StepFunctions, call: Call, input: Members) -> Members:
    core = sfn.core
    arn = str(input["stateMachineAliasArn"])
    if not machine_arn_of(arn).is_alias:
        raise ValidationException(f"Expected a state machine alias ARN: '{arn}'")
    async with core.lock:
        if arn in core.aliases:
            await core.write([DropAlias(arn)], lambda: core.aliases.pop(arn, None))
    return {}


async def list_state_machine_aliases(sfn: StepFunctions, call: Call, input: Members) -> Members:
    core = sfn.core
    arn = str(input["stateMachineArn"])
    parsed = machine_arn_of(arn)
    if parsed.is_alias:
        raise ValidationException(f"Expected a state machine or version ARN: '{arn}'")
    await core.existing(parsed.base)
    if parsed.is_version:
        if arn not in core.versions:
            raise resource_missing(arn)
        found = [a for a in core.aliases.values() if any(v == arn for v, _ in a.routing)]
    else:
        found = core.aliases_of(arn)
    chosen, token = paging.page(
        found, lambda a: a.name, input.get("nextToken"), input.get("maxResults")
    )
    output: Members = {
        "stateMachineAliases": [
            {"stateMachineAliasArn": a.arn, "creationDate": a.created} for a in chosen
        ]
    }
    if token:
        output["nextToken"] = token
    return output

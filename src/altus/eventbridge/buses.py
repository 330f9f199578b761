"""Event buses: the ``default`` bus (always there, never deleted), custom buses, their
resource policies (PutPermission / RemovePermission, read by the identity layer when
PutEvents is authorised), and tags on buses and rules."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Any

from altus.eventbridge import names
from altus.eventbridge.errors import (
    ResourceAlreadyExists,
    ResourceNotFound,
    ValidationException,
)
from altus.eventbridge.model import Bus, DropBus, PutBus, PutRule
from altus.eventbridge.state import BusState, Core


def default_bus(now_ms: int) -> Bus:
    return Bus(names.DEFAULT_BUS, created_ms=now_ms, modified_ms=now_ms)


async def create(
    core: Core,
    name: str,
    description: str | None,
    tags: Sequence[Mapping[str, str]] | None,
    source: str | None,
) -> Bus:
    if source:
        raise ValidationException("Partner event sources are not served by Altus.")
    if "/" in name:
        raise ValidationException(
            "Event bus name must not contain '/' unless it is a partner event bus."
        )
    async with core.admin:
        if name in core.buses:
            raise ResourceAlreadyExists(f"Event bus {name} already exists.")
        now = core.now_ms()
        bus = Bus(
            name,
            description=description,
            tags=tuple((t["Key"], t["Value"]) for t in tags or ()),
            created_ms=now,
            modified_ms=now,
        )

        def applied() -> None:
            core.buses[name] = BusState(bus)

        await core.write([PutBus(bus)], applied)
        return bus


async def delete(core: Core, name: str) -> None:
    name = names.bus_name(name, core.account)
    if name == names.DEFAULT_BUS:
        raise ValidationException("Cannot delete event bus default.")
    async with core.admin:
        if name not in core.buses:
            return  # as on AWS: deleting a bus that is not there succeeds

        def applied() -> None:
            core.buses.pop(name, None)

        await core.write([DropBus(name)], applied)


def describe(core: Core, bus: Bus) -> dict[str, Any]:
    out: dict[str, Any] = {"Name": bus.name, "Arn": core.bus_arn(bus.name)}
    if bus.description is not None:
        out["Description"] = bus.description
    if bus.policy is not None:
        out["Policy"] = bus.policy
    out["CreationTime"] = bus.created_ms / 1000
    out["LastModifiedTime"] = bus.modified_ms / 1000
    return out


def policies(core: Core, name: str) -> list[Mapping[str, Any]]:
    """The bus's resource policy, as the authoriser reads resource policies."""
    state = core.buses.get(names.bus_name(name, core.account))
    if state is None or state.bus.policy is None:
        return []
    try:
        return [_document(state.bus.policy)]
    except ValidationException:
        return []


def _document(text: str) -> dict[str, Any]:
    """A bus policy as an object whose ``Statement`` is a list of objects (IAM allows a
    single statement object: it becomes a list of one); ValidationException for one
    that is not such a document, so what is stored is always this shape."""
    try:
        document = json.loads(text)
    except ValueError:
        raise ValidationException("The policy is not valid JSON.") from None
    if not isinstance(document, dict):
        raise ValidationException("The policy is not valid JSON.")
    statements = document.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not all(isinstance(s, dict) for s in statements):
        raise ValidationException(
            "The policy is not valid: Statement must be an object or a list of objects."
        )
    document["Statement"] = statements
    return document


async def _update_bus(core: Core, state: BusState, bus: Bus) -> None:
    def applied() -> None:
        state.bus = bus

    await core.write([PutBus(bus)], applied)


def _statement(core: Core, bus: str, members: Mapping[str, Any]) -> dict[str, Any]:
    action = members.get("Action")
    principal = members.get("Principal")
    sid = members.get("StatementId")
    if not action or not principal or not sid:
        raise ValidationException(
            "Parameter(s) Action, Principal and StatementId must be specified, or Policy."
        )
    if action != "events:PutEvents":
        raise ValidationException(
            f"Provided value in parameter 'action' is not supported: {action}"
        )
    who: Any = "*" if principal == "*" else {"AWS": f"arn:aws:iam::{principal}:root"}
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": who,
        "Action": action,
        "Resource": core.bus_arn(bus),
    }
    condition = members.get("Condition")
    if condition:
        statement["Condition"] = {condition["Type"]: {condition["Key"]: condition["Value"]}}
    return statement


async def put_permission(core: Core, members: Mapping[str, Any]) -> None:
    async with core.admin:
        state = core.bus(members.get("EventBusName"))
        if members.get("Policy"):
            document = _document(members["Policy"])
        else:
            statement = _statement(core, state.bus.name, members)
            document = _document(state.bus.policy) if state.bus.policy else {}
            document.setdefault("Version", "2012-10-17")
            kept = [s for s in document.get("Statement", []) if s.get("Sid") != statement["Sid"]]
            document["Statement"] = [*kept, statement]
        text = json.dumps(document, separators=(",", ":"))
        bus = dataclasses.replace(state.bus, policy=text, modified_ms=core.now_ms())
        await _update_bus(core, state, bus)


async def remove_permission(core: Core, members: Mapping[str, Any]) -> None:
    async with core.admin:
        state = core.bus(members.get("EventBusName"))
        sid = members.get("StatementId")
        if members.get("RemoveAllPermissions"):
            policy = None
        else:
            if not sid:
                raise ValidationException(
                    "Parameter StatementId must be specified unless RemoveAllPermissions is true."
                )
            if state.bus.policy is None:
                raise ResourceNotFound("EventBus does not have a policy.")
            document = _document(state.bus.policy)
            statements = document["Statement"]
            kept = [s for s in statements if s.get("Sid") != sid]
            if len(kept) == len(statements):
                raise ResourceNotFound("Statement with the provided id does not exist.")
            document["Statement"] = kept
            policy = json.dumps(document, separators=(",", ":")) if kept else None
        bus = dataclasses.replace(state.bus, policy=policy, modified_ms=core.now_ms())
        await _update_bus(core, state, bus)


# --- tags --------------------------------------------------------------------------------------


def _resource(core: Core, arn: str) -> tuple[BusState, str | None]:
    found = names.parse_resource(core.account, arn)
    if found is None:
        raise ResourceNotFound(f"Resource {arn} does not exist.")
    bus, rule = found
    state = core.buses.get(bus)
    if state is None:
        raise ResourceNotFound(f"Event bus {bus} does not exist.")
    if rule is not None and rule not in state.rules:
        raise ResourceNotFound(f"Rule {rule} does not exist on EventBus {bus}.")
    return state, rule


def tags_of(core: Core, arn: str) -> list[dict[str, str]]:
    state, rule = _resource(core, arn)
    pairs = state.rules[rule].tags if rule is not None else state.bus.tags
    return [{"Key": k, "Value": v} for k, v in pairs]


async def retag(core: Core, arn: str, add: Mapping[str, str], remove: Sequence[str]) -> None:
    async with core.admin:
        state, rule_name = _resource(core, arn)
        current = dict(state.rules[rule_name].tags if rule_name is not None else state.bus.tags)
        current.update(add)
        for key in remove:
            current.pop(key, None)
        tags = tuple(current.items())
        if rule_name is not None:
            rule = dataclasses.replace(state.rules[rule_name], tags=tags)

            def rule_applied() -> None:
                state.put_rule(rule)

            await core.write([PutRule(rule)], rule_applied)
        else:
            await _update_bus(core, state, dataclasses.replace(state.bus, tags=tags))

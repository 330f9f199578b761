"""EventBridge's resource types: ``AWS::Events::EventBus`` and ``AWS::Events::Rule``,
made through EventBridge's own API (CreateEventBus, PutPermission, PutRule, PutTargets,
RemoveTargets ...).

A rule's ``Ref`` is its name on the default bus and ``<bus>|<rule>`` on any other (what
AWS answers, though its reference page documents only the name); its targets are the
template's ``Targets`` list: an update puts the rule again when a rule property changed
(PutRule replaces the whole rule but keeps its targets), removes the targets whose Id is
gone, then puts the new and changed ones. A rule is not taggable in CloudFormation, so
the stack's tags do not reach it; a bus is, and gets them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from altus.cloudformation.providers.base import (
    Current,
    Outcome,
    Properties,
    Provider,
    ProviderContext,
    ResourceFailed,
    required,
    tag_list,
    tag_map,
)
from altus.cloudformation.providers.common import (
    Tagging,
    changed,
    gone_or,
    json_text,
    present,
    quietly,
    retag,
)

#: EventBridge's limit on a rule's name.
RULE_NAME_MAX = 64
DEFAULT_BUS = "default"


#: EventBridge's tags: TagResource and UntagResource on the ARN (``ResourceARN``).
_TAGGING = Tagging("events")


# --- event buses ---------------------------------------------------------------------------------

#: What only UpdateEventBus changes in place (Altus's EventBridge does not serve it).
_BUS_SETTINGS = ("Description", "KmsKeyIdentifier", "DeadLetterConfig", "LogConfig")


class EventBus:
    """``AWS::Events::EventBus``: ``Ref`` is its name (required: CloudFormation generates
    none); ``Policy`` (an object or JSON text) is put with PutPermission's ``Policy``
    member and removed with ``RemoveAllPermissions``."""

    replaced_by = frozenset({"Name", "EventSourceName"})
    attributes = frozenset({"Arn", "Name", "Policy"})

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        required(props, "Name")
        name = str(props["Name"])
        given = {member: props.get(member) for member in ("EventSourceName", *_BUS_SETTINGS)}
        params = {"Name": name, **present(**given, Tags=tag_list(props, ctx) or None)}
        made = await ctx.call("events", "CreateEventBus", params)
        if props.get("Policy") is not None:
            await _put_policy(ctx, name, props["Policy"])
        return _bus_outcome(name, str(made["EventBusArn"]), props)

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        name = current.physical_id or str(props["Name"])
        unserved = changed(current.properties, props, *_BUS_SETTINGS)
        if unserved:
            raise ResourceFailed(
                f"Property {unserved[0]} cannot be updated: Altus's EventBridge does not "
                "serve UpdateEventBus (replace the bus to change it)."
            )
        arn = str(current.attributes.get("Arn") or "")
        if not arn:
            arn = str((await ctx.call("events", "DescribeEventBus", {"Name": name}))["Arn"])
        if current.properties.get("Policy") != props.get("Policy"):
            if props.get("Policy") is not None:
                await _put_policy(ctx, name, props["Policy"])
            else:
                await ctx.call(
                    "events",
                    "RemovePermission",
                    {"EventBusName": name, "RemoveAllPermissions": True},
                )
        before, after = tag_map(current.properties, ctx), tag_map(props, ctx)
        await retag(ctx, _TAGGING, {"ResourceARN": arn}, before, after)
        return _bus_outcome(name, arn, props)

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        name = current.physical_id or current.properties.get("Name")
        if name:
            await quietly(ctx, "events", "DeleteEventBus", {"Name": str(name)})


async def _put_policy(ctx: ProviderContext, bus: str, policy: Any) -> None:
    await ctx.call("events", "PutPermission", {"EventBusName": bus, "Policy": json_text(policy)})


def _bus_outcome(name: str, arn: str, props: Properties) -> Outcome:
    attributes: dict[str, Any] = {"Arn": arn, "Name": name}
    if props.get("Policy") is not None:
        attributes["Policy"] = json_text(props["Policy"])
    return Outcome(name, attributes)


# --- rules ---------------------------------------------------------------------------------------

#: The rule's own settings: any change puts the whole rule again.
_RULE_SETTINGS = ("Description", "EventPattern", "ScheduleExpression", "State", "RoleArn")


class Rule:
    """``AWS::Events::Rule``: ``Ref`` is the rule's name, ``<bus>|<name>`` on a bus other
    than the default; ``Arn`` is PutRule's answer. PutTargets refusing a target (its
    FailedEntries) fails the resource with that target's error."""

    replaced_by = frozenset({"Name", "EventBusName"})
    attributes = frozenset({"Arn"})

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        name = str(props.get("Name") or ctx.name(max_length=RULE_NAME_MAX))
        bus = props.get("EventBusName")
        targets = [api_target(t) for t in props.get("Targets") or []]
        arn = await _put_rule(ctx, name, props)
        if targets:
            await _put_targets(ctx, name, bus, targets)
        return Outcome(rule_id(name, bus), {"Arn": arn})

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        name, _ = _rule_of(ctx, current)
        bus = props.get("EventBusName")
        old = {str(t["Id"]): api_target(t) for t in current.properties.get("Targets") or []}
        new = {str(t["Id"]): api_target(t) for t in props.get("Targets") or []}
        arn = str(current.attributes.get("Arn") or "")
        if changed(current.properties, props, *_RULE_SETTINGS) or not arn:
            arn = await _put_rule(ctx, name, props)
        gone = sorted(set(old) - set(new))
        if gone:
            await _remove_targets(ctx, name, bus, gone)
        putting = [target for key, target in new.items() if old.get(key) != target]
        if putting:
            await _put_targets(ctx, name, bus, putting)
        return Outcome(rule_id(name, bus), {"Arn": arn})

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        name, bus = _rule_of(ctx, current)
        scope = {"EventBusName": bus} if bus else {}

        async def remove() -> None:
            # The rule's targets first: EventBridge refuses to delete a rule with any.
            listed = await ctx.call("events", "ListTargetsByRule", {"Rule": name, **scope})
            ids = [str(t["Id"]) for t in listed.get("Targets") or []]
            if ids:
                await _remove_targets(ctx, name, bus, ids)
            await ctx.call("events", "DeleteRule", {"Name": name, **scope})

        await gone_or(remove())


def rule_id(name: str, bus: Any) -> str:
    """A rule's physical id: its name, or ``<bus name>|<name>`` off the default bus."""
    bus_name = bus_name_of(bus)
    return name if bus_name == DEFAULT_BUS else f"{bus_name}|{name}"


def bus_name_of(bus: Any) -> str:
    """The bus an ``EventBusName`` property names (by name or by ARN)."""
    if not bus:
        return DEFAULT_BUS
    text = str(bus)
    if text.startswith("arn:") and "event-bus/" in text:
        return text.split("event-bus/", 1)[1]
    return text


def _rule_of(ctx: ProviderContext, current: Current) -> tuple[str, str | None]:
    """(rule name, EventBusName as the template gave it) of a recorded rule."""
    bus = current.properties.get("EventBusName")
    if current.physical_id:
        name = current.physical_id.rsplit("|", 1)[-1]
    else:
        name = str(current.properties.get("Name") or ctx.name(max_length=RULE_NAME_MAX))
    return name, (str(bus) if bus else None)


async def _put_rule(ctx: ProviderContext, name: str, props: Properties) -> str:
    params: dict[str, Any] = {"Name": name}
    if props.get("EventBusName"):
        params["EventBusName"] = str(props["EventBusName"])
    for member in _RULE_SETTINGS:
        value = props.get(member)
        if value is not None:
            params[member] = json_text(value) if member == "EventPattern" else value
    answer = await ctx.call("events", "PutRule", params)
    return str(answer["RuleArn"])


async def _put_targets(
    ctx: ProviderContext, rule: str, bus: Any, targets: list[dict[str, Any]]
) -> None:
    params: dict[str, Any] = {"Rule": rule, "Targets": targets}
    if bus:
        params["EventBusName"] = str(bus)
    answer = await ctx.call("events", "PutTargets", params)
    failed = answer.get("FailedEntries") or []
    if failed:
        first = failed[0]
        raise ResourceFailed(
            f"PutTargets failed for target {first.get('TargetId')}: "
            f"{first.get('ErrorCode')}: {first.get('ErrorMessage')}",
            "GeneralServiceException",
        )


async def _remove_targets(ctx: ProviderContext, rule: str, bus: Any, ids: list[str]) -> None:
    params: dict[str, Any] = {"Rule": rule, "Ids": ids}
    if bus:
        params["EventBusName"] = str(bus)
    await ctx.call("events", "RemoveTargets", params)


# --- targets -------------------------------------------------------------------------------------

#: Integer members of a target, by path (the template may give them as text).
_TARGET_INTEGERS = (
    ("RetryPolicy", "MaximumRetryAttempts"),
    ("RetryPolicy", "MaximumEventAgeInSeconds"),
    ("EcsParameters", "TaskCount"),
    ("BatchParameters", "ArrayProperties", "Size"),
    ("BatchParameters", "RetryStrategy", "Attempts"),
)
#: CloudFormation's names for members the API names otherwise (ECS parameters).
_ECS_RENAMED = {"TagList": "Tags", "PlacementStrategies": "PlacementStrategy"}


def api_target(target: Mapping[str, Any]) -> dict[str, Any]:
    """A template's ``Targets`` entry as PutTargets takes it: the same members but for
    the ECS parameters CloudFormation names otherwise, numbers as numbers and booleans as
    booleans."""
    if not isinstance(target, Mapping) or not target.get("Id") or not target.get("Arn"):
        raise ResourceFailed(
            "Properties validation failed for resource with message: "
            "#/Targets: each target requires Id and Arn"
        )
    out: dict[str, Any] = json.loads(json.dumps(target))
    ecs = out.get("EcsParameters")
    if isinstance(ecs, dict):
        out["EcsParameters"] = {_ECS_RENAMED.get(k, k): v for k, v in ecs.items()}
        for flag in ("EnableECSManagedTags", "EnableExecuteCommand"):
            if isinstance(ecs.get(flag), str):
                out["EcsParameters"][flag] = ecs[flag].lower() == "true"
    for path in _TARGET_INTEGERS:
        holder: Any = out
        for part in path[:-1]:
            holder = holder.get(part) if isinstance(holder, dict) else None
        if isinstance(holder, dict) and isinstance(holder.get(path[-1]), str):
            try:
                holder[path[-1]] = int(holder[path[-1]])
            except ValueError:
                raise ResourceFailed(
                    f"Property {'.'.join(path)} of target {target['Id']} must be an integer"
                ) from None
    return out


PROVIDERS: dict[str, Provider] = {
    "AWS::Events::EventBus": EventBus(),
    "AWS::Events::Rule": Rule(),
}

"""EventBridge Scheduler's resource types: ``AWS::Scheduler::Schedule`` and
``AWS::Scheduler::ScheduleGroup``, made through the Scheduler API.

A schedule is not taggable (CloudFormation's schema says so: the stack's tags do not
reach it); its ``Ref`` is its name. UpdateSchedule replaces the whole schedule, so an
update sends every property again (one left out returns to its default). A schedule is
named by its group and name together, and no call moves it to another group: a new
``GroupName`` makes a new schedule. A group's ``Ref`` is its name; deleting it deletes
its schedules (the service's rule), and the delete waits until it is gone.
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
    present,
    quietly,
    retag,
    wait_gone,
)

#: The Scheduler's limit on schedule and group names.
NAME_MAX = 64
#: Polls of a group being deleted, and the wait between them (seconds).
DELETE_POLLS = 60


def _integers(out: dict[str, Any], paths: tuple[tuple[str, ...], ...], where: str) -> None:
    """Convert the numbers at ``paths`` of ``out`` given as text (in place)."""
    for path in paths:
        holders: list[Any] = [out]
        for part in path[:-1]:
            nxt: list[Any] = []
            for holder in holders:
                value = holder.get(part) if isinstance(holder, dict) else None
                nxt.extend(value if isinstance(value, list) else [value])
            holders = nxt
        for holder in holders:
            if isinstance(holder, dict) and isinstance(holder.get(path[-1]), str):
                try:
                    holder[path[-1]] = int(holder[path[-1]])
                except ValueError:
                    raise ResourceFailed(
                        f"Property {where}.{'.'.join(path)} must be an integer"
                    ) from None


# --- schedules -----------------------------------------------------------------------------------

#: Members copied as the template gives them.
_PLAIN = (
    "ScheduleExpression",
    "ScheduleExpressionTimezone",
    "StartDate",
    "EndDate",
    "Description",
    "State",
    "KmsKeyArn",
)
_TARGET_INTEGERS = (
    ("RetryPolicy", "MaximumRetryAttempts"),
    ("RetryPolicy", "MaximumEventAgeInSeconds"),
    ("EcsParameters", "TaskCount"),
    ("EcsParameters", "CapacityProviderStrategy", "Base"),
    ("EcsParameters", "CapacityProviderStrategy", "Weight"),
)


class Schedule:
    """``AWS::Scheduler::Schedule``: ``Ref`` is its name; ``Arn`` its ARN."""

    replaced_by = frozenset({"Name", "GroupName"})
    attributes = frozenset({"Arn"})

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        name = str(props.get("Name") or ctx.name(max_length=NAME_MAX))
        answer = await ctx.call("scheduler", "CreateSchedule", schedule_params(name, props))
        return Outcome(name, {"Arn": str(answer["ScheduleArn"])})

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        name = current.physical_id or str(props.get("Name") or ctx.name(max_length=NAME_MAX))
        answer = await ctx.call("scheduler", "UpdateSchedule", schedule_params(name, props))
        return Outcome(name, {"Arn": str(answer["ScheduleArn"])})

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        props = current.properties
        name = current.physical_id or str(props.get("Name") or ctx.name(max_length=NAME_MAX))
        await quietly(ctx, "scheduler", "DeleteSchedule", {"Name": name, **_group(props)})


def _group(props: Properties) -> dict[str, str]:
    """The schedule's ``GroupName`` member, where the template names a group."""
    return {"GroupName": str(props["GroupName"])} if props.get("GroupName") else {}


def schedule_params(name: str, props: Properties) -> dict[str, Any]:
    """CreateSchedule's (and UpdateSchedule's) members for the template's properties."""
    required(props, "ScheduleExpression", "FlexibleTimeWindow", "Target")
    params: dict[str, Any] = {"Name": name, **_group(props)}
    for member in _PLAIN:
        if props.get(member) is not None:
            params[member] = props[member]
    window: dict[str, Any] = json.loads(json.dumps(props["FlexibleTimeWindow"]))
    _integers(window, (("MaximumWindowInMinutes",),), "FlexibleTimeWindow")
    params["FlexibleTimeWindow"] = window
    params["Target"] = api_target(props["Target"])
    return params


def api_target(target: Mapping[str, Any]) -> dict[str, Any]:
    """The template's ``Target`` as the API takes it (the same members; numbers and
    booleans given as text converted)."""
    if not isinstance(target, Mapping):
        raise ResourceFailed("Property Target must be an object")
    out: dict[str, Any] = json.loads(json.dumps(target))
    _integers(out, _TARGET_INTEGERS, "Target")
    ecs = out.get("EcsParameters")
    if isinstance(ecs, dict):
        for flag in ("EnableECSManagedTags", "EnableExecuteCommand"):
            if isinstance(ecs.get(flag), str):
                ecs[flag] = ecs[flag].lower() == "true"
    return out


# --- groups --------------------------------------------------------------------------------------


class ScheduleGroup:
    """``AWS::Scheduler::ScheduleGroup``: ``Ref`` is its name; ``Arn``, ``State``,
    ``CreationDate`` and ``LastModificationDate`` as GetScheduleGroup answers them."""

    replaced_by = frozenset({"Name"})
    attributes = frozenset({"Arn", "CreationDate", "LastModificationDate", "State"})

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        name = str(props.get("Name") or ctx.name(max_length=NAME_MAX))
        params = {"Name": name, **present(Tags=tag_list(props, ctx) or None)}
        await ctx.call("scheduler", "CreateScheduleGroup", params)
        return await _group_outcome(ctx, name)

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        name = current.physical_id or str(props.get("Name") or ctx.name(max_length=NAME_MAX))
        arn = str(current.attributes.get("Arn") or "")
        if not arn:
            arn = str((await ctx.call("scheduler", "GetScheduleGroup", {"Name": name}))["Arn"])
        before, after = tag_map(current.properties, ctx), tag_map(props, ctx)
        await retag(ctx, Tagging("scheduler"), {"ResourceArn": arn}, before, after)
        return await _group_outcome(ctx, name)

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        props = current.properties
        name = current.physical_id or str(props.get("Name") or ctx.name(max_length=NAME_MAX))
        if await quietly(ctx, "scheduler", "DeleteScheduleGroup", {"Name": name}) is None:
            return
        # The group goes DELETING first where the Scheduler deletes its schedules in the
        # background: the resource is deleted when the group is gone.
        await wait_gone(
            ctx,
            "scheduler",
            "GetScheduleGroup",
            {"Name": name},
            f"Schedule group {name} was still being deleted after {DELETE_POLLS} polls",
            DELETE_POLLS,
        )


async def _group_outcome(ctx: ProviderContext, name: str) -> Outcome:
    group = await ctx.call("scheduler", "GetScheduleGroup", {"Name": name})
    attributes = {
        key: group[key]
        for key in ("Arn", "CreationDate", "LastModificationDate", "State")
        if group.get(key) is not None
    }
    return Outcome(name, attributes)


PROVIDERS: dict[str, Provider] = {
    "AWS::Scheduler::Schedule": Schedule(),
    "AWS::Scheduler::ScheduleGroup": ScheduleGroup(),
}

"""Schedule groups and their tags (only groups are taggable: the model's TagResource
takes a group's ARN alone). The ``default`` group always exists and cannot be deleted;
deleting another deletes its schedules with it (occurrences already fired are still
delivered)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from altus.api.spec import Call, Members
from altus.scheduler.errors import (
    ValidationException,
    group_exists,
    group_not_found,
    token_reused,
)
from altus.scheduler.model import DEFAULT_GROUP, DropGroup, Group, PutGroup
from altus.scheduler.paging import page

if TYPE_CHECKING:
    from altus.scheduler.component import Schedules


def _summary(schedules: Schedules, group: Group) -> Members:
    return {
        "Arn": schedules.core.group_arn(group.name),
        "Name": group.name,
        "State": "ACTIVE",
        "CreationDate": group.created_ms / 1000,
        "LastModificationDate": group.modified_ms / 1000,
    }


def _tags(given: Any) -> tuple[tuple[str, str], ...]:
    return tuple((str(t["Key"]), str(t["Value"])) for t in given or ())


async def create_schedule_group(schedules: Schedules, call: Call, input: Members) -> Members:
    core = schedules.core
    name, token = str(input["Name"]), input.get("ClientToken")
    async with core.lock:
        current = core.groups.get(name)
        if current is not None:
            if token and current.token == token:
                if current.tags != _tags(input.get("Tags")):
                    raise token_reused()
                return {"ScheduleGroupArn": core.group_arn(name)}
            raise group_exists(name)
        now = core.now_ms()
        group = Group(name, now, now, _tags(input.get("Tags")), token)
        await core.write([PutGroup(group)], lambda: core.groups.__setitem__(name, group))
    return {"ScheduleGroupArn": core.group_arn(name)}


async def get_schedule_group(schedules: Schedules, call: Call, input: Members) -> Members:
    name = str(input["Name"])
    group = schedules.core.groups.get(name)
    if group is None:
        raise group_not_found(name)
    return _summary(schedules, group)


async def delete_schedule_group(schedules: Schedules, call: Call, input: Members) -> Members:
    core = schedules.core
    name = str(input["Name"])
    if name == DEFAULT_GROUP:
        # AWS's wording for this refusal was not found.
        raise ValidationException("The default schedule group cannot be deleted.")
    async with core.lock:
        if name not in core.groups:
            raise group_not_found(name)

        def applied() -> None:
            core.groups.pop(name, None)
            for key in [k for k in core.schedules if k[0] == name]:
                del core.schedules[key]

        await core.write([DropGroup(name)], applied)
    schedules.ticker.wake()
    return {}


async def list_schedule_groups(schedules: Schedules, call: Call, input: Members) -> Members:
    prefix = input.get("NamePrefix") or ""
    found = [g for g in schedules.core.groups.values() if g.name.startswith(prefix)]
    chosen, token = page(found, lambda g: g.name, input.get("NextToken"), input.get("MaxResults"))
    output: Members = {"ScheduleGroups": [_summary(schedules, g) for g in chosen]}
    if token:
        output["NextToken"] = token
    return output


def _group_of_arn(schedules: Schedules, arn: str) -> Group:
    name = schedules.core.group_of_arn(arn)
    group = schedules.core.groups.get(name) if name is not None else None
    if group is None:
        raise group_not_found(name or arn)
    return group


async def _retag(
    schedules: Schedules, arn: str, edit: Callable[[dict[str, str]], dict[str, str]]
) -> None:
    """The group's tags changed by ``edit`` (under the lock: concurrent calls compose)."""
    core = schedules.core
    async with core.lock:
        group = _group_of_arn(schedules, arn)
        tags = edit(dict(group.tags))
        changed = dataclasses.replace(group, tags=tuple(tags.items()), modified_ms=core.now_ms())
        await core.write(
            [PutGroup(changed)], lambda: core.groups.__setitem__(changed.name, changed)
        )


async def tag_resource(schedules: Schedules, call: Call, input: Members) -> Members:
    added = dict(_tags(input["Tags"]))
    await _retag(schedules, str(input["ResourceArn"]), lambda tags: {**tags, **added})
    return {}


async def untag_resource(schedules: Schedules, call: Call, input: Members) -> Members:
    gone = set(input["TagKeys"])
    await _retag(
        schedules,
        str(input["ResourceArn"]),
        lambda tags: {k: v for k, v in tags.items() if k not in gone},
    )
    return {}


async def list_tags_for_resource(schedules: Schedules, call: Call, input: Members) -> Members:
    group = _group_of_arn(schedules, str(input["ResourceArn"]))
    return {"Tags": [{"Key": k, "Value": v} for k, v in group.tags]}

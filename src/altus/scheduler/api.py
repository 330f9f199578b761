"""The schedule operations: CreateSchedule and UpdateSchedule (a full replacement, as
AWS's is: members left out go back to their defaults), GetSchedule, DeleteSchedule and
ListSchedules.

Writing a schedule computes its first occurrence (``timing``) and draws its flexible
delay, then writes it (durable before the answer) and wakes the ticker. An update that
leaves when the schedule runs alone (the same ScheduleExpression, time zone, StartDate
and State) keeps its anchor and next occurrence: a rate schedule whose description
changed does not start over (and run at once). A repeated call with the ClientToken of
the call that wrote the schedule answers as that call did instead of conflicting (boto3
fills the token in for each call); the same token with other parameters is refused.

Where calls are authorised (``--auth iam``), naming a RoleArn needs ``iam:PassRole`` on
it for ``scheduler.amazonaws.com``, as on AWS; the role's trust is checked when
Scheduler acts as it (``delivery``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from altus.api.service import PRINCIPAL, request_context
from altus.api.spec import Call, Members
from altus.identity.authenticator import Principal
from altus.scheduler import config as configs
from altus.scheduler import timing
from altus.scheduler.delivery import SERVICE_PRINCIPAL
from altus.scheduler.errors import (
    ValidationException,
    group_not_found,
    schedule_exists,
    schedule_not_found,
    token_reused,
)
from altus.scheduler.model import DEFAULT_GROUP, DropSchedule, PutSchedule, Schedule
from altus.scheduler.paging import page

if TYPE_CHECKING:
    from altus.scheduler.component import Schedules


#: The members that decide when a schedule runs: an update changing none of them keeps
#: its anchor and next occurrence.
_TIMING = ("ScheduleExpression", "ScheduleExpressionTimezone", "StartDate", "State")


def _pass_role(schedules: Schedules, call: Call, role_arn: str) -> None:
    """Where calls are authorised, the caller must be allowed ``iam:PassRole`` on the
    role, passed to Scheduler (against the role's own ARN, as IAM has it)."""
    found = call.request.scope.get(PRINCIPAL)
    caller = found if isinstance(found, Principal) else None
    if caller is None or not schedules.identity.enforcing:
        return
    role = schedules.iam.by_arn(role_arn)
    schedules.identity.authorize(
        caller,
        "iam:PassRole",
        schedules.iam.arn(role) if role is not None else role_arn,
        context={
            **request_context(call.request.scope),
            "iam:PassedToService": SERVICE_PRINCIPAL,
        },
    )


def _timing(
    schedules: Schedules, config: Mapping[str, Any], current: Schedule | None, now: int
) -> tuple[int, int | None, int | None]:
    """The anchor, next occurrence and fire time of a schedule written now: kept from
    ``current`` where the update leaves its timing alone (re-checked against a new
    EndDate; the delay redrawn only if the window changed), else from scratch."""
    old = current.config if current is not None else None
    if current is None or old is None or any(old.get(k) != config.get(k) for k in _TIMING):
        anchor = timing.anchor(config, now)
        due = timing.first_due(config, now, anchor)
        fire = None if due is None else due + timing.flexible_delay_ms(config, schedules.draw)
        return anchor, due, fire
    anchor = current.anchor_ms
    if current.due_ms is None:
        # It had ended (an EndDate passed, an at() fired): a new EndDate may resume it.
        due = timing.first_due(config, now, anchor)
    else:
        due = timing.next_due(config, current.due_ms - 1, anchor)
    same_window = old.get("FlexibleTimeWindow") == config.get("FlexibleTimeWindow")
    if due is not None and due == current.due_ms and current.fire_ms is not None and same_window:
        return anchor, due, current.fire_ms
    fire = None if due is None else due + timing.flexible_delay_ms(config, schedules.draw)
    return anchor, due, fire


async def _write(schedules: Schedules, call: Call, input: Members, *, create: bool) -> Members:
    core = schedules.core
    group, name = str(input.get("GroupName") or DEFAULT_GROUP), str(input["Name"])
    config = configs.build(input)
    token = input.get("ClientToken")
    key = (group, name)
    role = config["Target"].get("RoleArn")
    if role:
        _pass_role(schedules, call, str(role))
    async with core.lock:
        if group not in core.groups:
            raise group_not_found(group)
        current = core.schedules.get(key)
        if current is not None and token and current.token == token:
            if current.config != config:
                raise token_reused()
            return {"ScheduleArn": core.schedule_arn(group, name)}
        if create and current is not None:
            raise schedule_exists(name)
        if not create and current is None:
            raise schedule_not_found(name)
        now = core.now_ms()
        end = config.get("EndDate")
        new_end = current is None or current.config.get("EndDate") != end
        if end is not None and new_end and int(end) <= now:
            # Altus's wording: AWS's for a past EndDate was not found.
            raise ValidationException("The EndDate must be in the future.")
        anchor, due, fire = _timing(schedules, config, current, now)
        schedule = Schedule(
            group=group,
            name=name,
            config=config,
            created_ms=current.created_ms if current is not None else now,
            modified_ms=now,
            anchor_ms=anchor,
            due_ms=due,
            fire_ms=fire,
            token=token,
        )
        await core.write([PutSchedule(schedule)], lambda: core.schedules.__setitem__(key, schedule))
    schedules.ticker.wake()
    return {"ScheduleArn": core.schedule_arn(group, name)}


async def create_schedule(schedules: Schedules, call: Call, input: Members) -> Members:
    return await _write(schedules, call, input, create=True)


async def update_schedule(schedules: Schedules, call: Call, input: Members) -> Members:
    return await _write(schedules, call, input, create=False)


def _found(schedules: Schedules, input: Members) -> Schedule:
    group, name = str(input.get("GroupName") or DEFAULT_GROUP), str(input["Name"])
    if group not in schedules.core.groups:
        raise group_not_found(group)
    schedule = schedules.core.schedules.get((group, name))
    if schedule is None:
        raise schedule_not_found(name)
    return schedule


async def get_schedule(schedules: Schedules, call: Call, input: Members) -> Members:
    schedule = _found(schedules, input)
    output: Members = {
        "Arn": schedules.core.schedule_arn(schedule.group, schedule.name),
        "GroupName": schedule.group,
        "Name": schedule.name,
        "CreationDate": schedule.created_ms / 1000,
        "LastModificationDate": schedule.modified_ms / 1000,
    }
    for member, value in schedule.config.items():
        output[member] = value / 1000 if member in configs.DATES else value
    return output


async def delete_schedule(schedules: Schedules, call: Call, input: Members) -> Members:
    core = schedules.core
    async with core.lock:
        schedule = _found(schedules, input)
        key = schedule.key
        await core.write([DropSchedule(*key)], lambda: core.schedules.pop(key, None))
    schedules.ticker.wake()
    return {}


def _summary(schedules: Schedules, schedule: Schedule) -> Members:
    config: Any = schedule.config
    return {
        "Arn": schedules.core.schedule_arn(schedule.group, schedule.name),
        "Name": schedule.name,
        "GroupName": schedule.group,
        "State": config.get("State", "ENABLED"),
        "CreationDate": schedule.created_ms / 1000,
        "LastModificationDate": schedule.modified_ms / 1000,
        "Target": {"Arn": config["Target"]["Arn"]},
    }


async def list_schedules(schedules: Schedules, call: Call, input: Members) -> Members:
    group = input.get("GroupName")
    if group is not None and group not in schedules.core.groups:
        raise group_not_found(str(group))
    prefix, state = input.get("NamePrefix") or "", input.get("State")
    found = [
        s
        for s in schedules.core.schedules.values()
        if (group is None or s.group == group)
        and s.name.startswith(prefix)
        and (state is None or s.config.get("State", "ENABLED") == state)
    ]
    chosen, token = page(
        found, lambda s: f"{s.group}/{s.name}", input.get("NextToken"), input.get("MaxResults")
    )
    output: Members = {"Schedules": [_summary(schedules, s) for s in chosen]}
    if token:
        output["NextToken"] = token
    return output

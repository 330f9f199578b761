"""The IAM action and resource each Scheduler operation needs: ``scheduler:<Operation>``
on the resource the call names, with the ARNs of Scheduler's resource types
(Service Authorization Reference): a schedule's
``arn:aws:scheduler:<region>:<account>:schedule/<group>/<name>`` (GroupName omitted is
``default``), a group's ``...:schedule-group/<name>``, the tag operations' ResourceArn;
``*`` for the listings (ListSchedules, ListScheduleGroups)."""

from __future__ import annotations

from altus.api.spec import Members, Needs
from altus.scheduler.component import Schedules
from altus.scheduler.model import DEFAULT_GROUP

_SCHEDULE_OPERATIONS = {
    "CreateSchedule",
    "GetSchedule",
    "UpdateSchedule",
    "DeleteSchedule",
}
_GROUP_OPERATIONS = {"CreateScheduleGroup", "GetScheduleGroup", "DeleteScheduleGroup"}
_TAG_OPERATIONS = {"TagResource", "UntagResource", "ListTagsForResource"}


def actions(schedules: Schedules, operation: str, members: Members) -> Needs:
    action = f"scheduler:{operation}"
    core = schedules.core
    name = members.get("Name")
    if operation in _SCHEDULE_OPERATIONS and isinstance(name, str) and name:
        group = members.get("GroupName")
        group = group if isinstance(group, str) and group else DEFAULT_GROUP
        return action, core.schedule_arn(group, name)
    if operation in _GROUP_OPERATIONS and isinstance(name, str) and name:
        return action, core.group_arn(name)
    arn = members.get("ResourceArn")
    if operation in _TAG_OPERATIONS and isinstance(arn, str) and arn.startswith("arn:"):
        return action, arn
    return action, "*"

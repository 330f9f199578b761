"""The EventBridge Scheduler service, as the framework sees it: botocore's ``scheduler``
model (rest-json: ``/schedules/{Name}``, ``/schedule-groups/{Name}``, ``/tags/{arn}``),
every operation it lists, its tables and its component."""

from __future__ import annotations

from altus.api.spec import Schemas, ServiceSpec
from altus.api.validate import CoralViolations
from altus.scheduler import actions, api, groups_api
from altus.scheduler.component import Schedules
from altus.scheduler.errors import SchedulerError, ValidationException
from altus.scheduler.sql_store import SCHEMA

SPEC = ServiceSpec(
    name="scheduler",
    operations={
        "CreateSchedule": api.create_schedule,
        "GetSchedule": api.get_schedule,
        "UpdateSchedule": api.update_schedule,
        "DeleteSchedule": api.delete_schedule,
        "ListSchedules": api.list_schedules,
        "CreateScheduleGroup": groups_api.create_schedule_group,
        "GetScheduleGroup": groups_api.get_schedule_group,
        "DeleteScheduleGroup": groups_api.delete_schedule_group,
        "ListScheduleGroups": groups_api.list_schedule_groups,
        "TagResource": groups_api.tag_resource,
        "UntagResource": groups_api.untag_resource,
        "ListTagsForResource": groups_api.list_tags_for_resource,
    },
    errors=SchedulerError,
    violations=CoralViolations(ValidationException),
    build=Schedules,
    schemas=(Schemas((SCHEMA,)),),
    actions=actions.actions,
)

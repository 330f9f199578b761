"""Activities (CreateActivity, DescribeActivity, DeleteActivity, ListActivities) and tags
(TagResource, UntagResource, ListTagsForResource: state machines and activities; a
version's or alias's ARN is ``ResourceNotFound``, as AWS answers).

CreateActivity is idempotent by name, as AWS documents it: a second call with the name
answers with the activity already there (other tags are ignored then). Deleting an
activity that is not there succeeds; its tasks already handed out stay answerable.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING

from altus.api.spec import Call, Members
from altus.stepfunctions import configs, paging
from altus.stepfunctions.errors import activity_missing, resource_missing, wrong_resource_type
from altus.stepfunctions.model import Activity, DropActivity, PutActivity, PutMachine
from altus.stepfunctions.names import ACTIVITY, STATE_MACHINE, check_name, parse

if TYPE_CHECKING:
    from altus.stepfunctions.component import StepFunctions


def activity_of(sfn: StepFunctions, arn: str) -> Activity:
    """The activity of ``arn``; InvalidArn or ActivityDoesNotExist (AWS's texts)."""
    parsed = parse(arn)
    if parsed.kind != ACTIVITY:
        raise wrong_resource_type(parsed.kind)
    activity = sfn.core.activities.get(arn)
    if activity is None:
        raise activity_missing(arn)
    return activity


async def create_activity(sfn: StepFunctions, call: Call, input: Members) -> Members:
    core = sfn.core
    name = check_name(str(input["name"]))
    arn = core.activity_arn(name)
    async with core.lock:
        current = core.activities.get(arn)
        if current is not None:
            return {"activityArn": arn, "creationDate": current.created}
        activity = Activity(
            arn=arn,
            name=name,
            created=core.now(),
            tags=configs.tags(input.get("tags"), arn),
            encryption=configs.encryption(input.get("encryptionConfiguration")),
        )
        await core.write(
            [PutActivity(activity)], lambda: core.activities.__setitem__(arn, activity)
        )
    return {"activityArn": arn, "creationDate": activity.created}


async def describe_activity(sfn: StepFunctions, call: Call, input: Members) -> Members:
    activity = activity_of(sfn, str(input["activityArn"]))
    shown: Members = {
        "activityArn": activity.arn,
        "name": activity.name,
        "creationDate": activity.created,
    }
    if activity.encryption is not None:
        shown["encryptionConfiguration"] = dict(activity.encryption)
    return shown


async def delete_activity(sfn: StepFunctions, call: Call, input: Members) -> Members:
    core = sfn.core
    arn = str(input["activityArn"])
    parsed = parse(arn)
    if parsed.kind != ACTIVITY:
        raise wrong_resource_type(parsed.kind)
    async with core.lock:
        if arn in core.activities:
            await core.write([DropActivity(arn)], lambda: core.activities.pop(arn, None))
    return {}


async def list_activities(sfn: StepFunctions, call: Call, input: Members) -> Members:
    chosen, token = paging.page(
        list(sfn.core.activities.values()),
        lambda a: a.name,
        input.get("nextToken"),
        input.get("maxResults"),
    )
    output: Members = {
        "activities": [
            {"activityArn": a.arn, "name": a.name, "creationDate": a.created} for a in chosen
        ]
    }
    if token:
        output["nextToken"] = token
    return output


# --- tags ----------------------------------------------------------------------------------


async def _retag(
    sfn: StepFunctions, arn: str, edit: Callable[[configs.Tags], configs.Tags]
) -> None:
    """The resource's tags changed by ``edit`` (under the lock: concurrent calls compose)."""
    core = sfn.core
    parsed = parse(arn)
    async with core.lock:
        if parsed.kind == STATE_MACHINE and not parsed.qualifier and arn in core.machines:
            machine = dataclasses.replace(core.machines[arn], tags=edit(core.machines[arn].tags))
            await core.write([PutMachine(machine)], lambda: core.machines.__setitem__(arn, machine))
            return
        if parsed.kind == ACTIVITY and arn in core.activities:
            activity = dataclasses.replace(
                core.activities[arn], tags=edit(core.activities[arn].tags)
            )
            await core.write(
                [PutActivity(activity)], lambda: core.activities.__setitem__(arn, activity)
            )
            return
    raise resource_missing(arn)


def _tags_of(sfn: StepFunctions, arn: str) -> configs.Tags:
    parsed = parse(arn)
    core = sfn.core
    if parsed.kind == STATE_MACHINE and not parsed.qualifier and arn in core.machines:
        return core.machines[arn].tags
    if parsed.kind == ACTIVITY and arn in core.activities:
        return core.activities[arn].tags
    raise resource_missing(arn)


async def tag_resource(sfn: StepFunctions, call: Call, input: Members) -> Members:
    arn = str(input["resourceArn"])
    await _retag(sfn, arn, lambda tags: configs.tags(input["tags"], arn, tags))
    return {}


async def untag_resource(sfn: StepFunctions, call: Call, input: Members) -> Members:
    gone = set(input["tagKeys"])
    await _retag(
        sfn, str(input["resourceArn"]), lambda tags: tuple((k, v) for k, v in tags if k not in gone)
    )
    return {}


async def list_tags_for_resource(sfn: StepFunctions, call: Call, input: Members) -> Members:
    return {"tags": configs.shown_tags(_tags_of(sfn, str(input["resourceArn"])))}

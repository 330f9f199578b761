"""Task tokens through the API: SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat and
GetActivityTask, each handed to the runtime (which owns the tokens' effect on running
executions). The API checks what the model cannot: an activity exists, an output is
JSON."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from altus.api.spec import Call, Members
from altus.stepfunctions.activities_api import activity_of
from altus.stepfunctions.errors import invalid_output
from altus.stepfunctions.executions import MAX_PAYLOAD

if TYPE_CHECKING:
    from altus.stepfunctions.component import StepFunctions


async def send_task_success(sfn: StepFunctions, call: Call, input: Members) -> Members:
    output = str(input["output"])
    if len(output.encode()) > MAX_PAYLOAD:
        raise invalid_output(f"Output exceeds the maximum size of {MAX_PAYLOAD} bytes.")
    try:
        json.loads(output)
    except ValueError as error:
        raise invalid_output(str(error)) from None
    await sfn.runtime.send_success(str(input["taskToken"]), output)
    return {}


async def send_task_failure(sfn: StepFunctions, call: Call, input: Members) -> Members:
    await sfn.runtime.send_failure(str(input["taskToken"]), input.get("error"), input.get("cause"))
    return {}


async def send_task_heartbeat(sfn: StepFunctions, call: Call, input: Members) -> Members:
    await sfn.runtime.send_heartbeat(str(input["taskToken"]))
    return {}


async def get_activity_task(sfn: StepFunctions, call: Call, input: Members) -> Members:
    activity = activity_of(sfn, str(input["activityArn"]))
    task = await sfn.runtime.get_activity_task(
        activity.arn, input.get("workerName"), sfn.activity_poll
    )
    if task is None:
        return {}
    token, task_input = task
    return {"taskToken": token, "input": task_input}

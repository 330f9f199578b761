"""What a Task's ``Resource`` names: a function (the legacy form), an activity, or a
service integration (``arn:aws:states:::<service>:<action>``, ``aws-sdk:<service>:<action>``)
with its pattern (request-response, ``.sync``, ``.sync:2``, ``.waitForTaskToken``).

The kind decides the history events (``LambdaFunction*``, ``Activity*``, ``Task*``);
``resource_type`` and ``resource`` are what ``TaskScheduled`` and its followers show
(``lambda`` / ``invoke.waitForTaskToken``, ``aws-sdk:s3`` / ``listBuckets``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

LAMBDA_FUNCTION = "lambda_function"
ACTIVITY = "activity"
TASK = "task"

REQUEST_RESPONSE = "request_response"
SYNC = "sync"
SYNC2 = "sync:2"
TOKEN = "waitForTaskToken"

_FUNCTION = re.compile(
    r"arn:(?P<partition>aws[a-z-]*):lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12})"
    r":function:(?P<name>[A-Za-z0-9_-]{1,64})(?::(?P<qualifier>\$LATEST|[A-Za-z0-9_-]+))?"
)
_ACTIVITY = re.compile(
    r"arn:(?P<partition>aws[a-z-]*):states:(?P<region>[a-z0-9-]+):(?P<account>\d{12})"
    r":activity:(?P<name>[^:]{1,80})"
)
_INTEGRATION = re.compile(
    r"arn:(?P<partition>aws[a-z-]*):states:(?P<region>[a-z0-9-]*):(?P<account>\d{12})?:"
    r"(?P<sdk>aws-sdk:)?(?P<service>[a-z0-9-]+):(?P<action>[A-Za-z0-9]+)"
    r"(?:\.(?P<pattern>sync:2|sync|waitForTaskToken))?"
)


@dataclass(frozen=True, slots=True)
class Resource:
    arn: str
    kind: str
    #: ``TaskScheduled.resourceType``: ``lambda``, ``sqs``, ``aws-sdk:s3`` (tasks only).
    resource_type: str = ""
    #: ``TaskScheduled.resource``: the action with its pattern's suffix (tasks only).
    resource: str = ""
    #: The service (``lambda``, ``s3``) and the action (``invoke``, ``listBuckets``).
    service: str = ""
    action: str = ""
    sdk: bool = False
    pattern: str = REQUEST_RESPONSE

    @property
    def needs_token(self) -> bool:
        """Whether the task waits for a task token (``.waitForTaskToken``, activities)."""
        return self.pattern == TOKEN or self.kind == ACTIVITY


def parse_resource(arn: str) -> Resource | None:
    """The resource ``arn`` names, or None when it is none of the forms above."""
    if _FUNCTION.fullmatch(arn):
        return Resource(arn, LAMBDA_FUNCTION, service="lambda", action="invoke")
    if _ACTIVITY.fullmatch(arn):
        return Resource(arn, ACTIVITY)
    found = _INTEGRATION.fullmatch(arn)
    if found is None:
        return None
    service, action, sdk = found["service"], found["action"], bool(found["sdk"])
    pattern = found["pattern"] or REQUEST_RESPONSE
    suffix = "" if pattern == REQUEST_RESPONSE else f".{pattern}"
    return Resource(
        arn,
        TASK,
        resource_type=f"aws-sdk:{service}" if sdk else service,
        resource=f"{action}{suffix}",
        service=service,
        action=action,
        sdk=sdk,
        pattern=pattern,
    )

"""AWS SDK integrations (``arn:aws:states:::aws-sdk:<service>:<action>``): any operation of
a service Altus serves, called on Altus's own API as the task's role.

The service is named by the AWS SDK for Java v2's id (``sfn``, ``eventbridge``,
``cloudwatchlogs``) and the action is the operation's name in camel case (``listObjectsV2``).
The parameters are the operation's members; the result is its response without
``ResponseMetadata`` (no ``SdkHttpMetadata`` either). Failures are
``<Prefix>.<Code>Exception`` for errors the service's model declares, else the SDK's
generic ``<Prefix>.<Prefix>Exception``, with Java SDK v2 causes.
"""

from __future__ import annotations

from typing import Any

from altus.asl.host import TaskRequest
from altus.asl.resources import Resource
from altus.stepfunctions.integrations.common import members, role_of
from altus.stepfunctions.integrations.naming import (
    AWS_SDK_SERVICES,
    SdkV2Service,
    not_recognized,
    sdk_failure,
    unreachable,
)
from altus.stepfunctions.integrations.ports import SdkCaller, SdkFailure, SdkUnreachable


class AwsSdk:
    def __init__(self, calls: SdkCaller) -> None:
        self._calls = calls

    def target(self, resource: Resource) -> tuple[SdkV2Service, str] | None:
        """The service and botocore operation ``resource`` names, if it names one."""
        service = AWS_SDK_SERVICES.get(resource.service)
        if service is None or not resource.action:
            return None
        operation = resource.action[0].upper() + resource.action[1:]
        return (service, operation) if self._calls.known(service.botocore, operation) else None

    async def call(self, request: TaskRequest) -> Any:
        found = self.target(request.resource)
        if found is None:
            raise not_recognized(request.resource.arn)
        service, operation = found
        try:
            response = await self._calls.call(
                service.botocore, operation, members(request), role_of(request)
            )
        except SdkFailure as failed:
            raise sdk_failure(
                service,
                failed.code,
                failed.message,
                failed.status,
                failed.request_id,
                failed.extended_request_id if service.botocore == "s3" else None,
            ) from None
        except SdkUnreachable as unanswered:
            raise unreachable(service.prefix, str(unanswered)) from None
        return response.members

"""What every integration shares: who a task acts as, its parameters as an object, and
an optimized integration's call of Altus's API with its failures named as AWS names them."""

from __future__ import annotations

from typing import Any

from altus.asl.errors import StatesError
from altus.asl.host import TaskRequest
from altus.stepfunctions.integrations.naming import (
    OPTIMIZED_SERVICES,
    optimized_failure,
    unreachable,
)
from altus.stepfunctions.integrations.ports import (
    SdkCaller,
    SdkFailure,
    SdkResponse,
    SdkUnreachable,
)

#: The principal Step Functions acts as.
SERVICE_PRINCIPAL = "states.amazonaws.com"


def role_of(request: TaskRequest) -> str:
    """The role the call is made as: the state's ``Credentials.RoleArn`` where it has
    one, else the execution's role."""
    if request.credentials is not None:
        role = request.credentials.get("RoleArn")
        if isinstance(role, str) and role:
            return role
    return request.execution.role_arn


def members(request: TaskRequest) -> dict[str, Any]:
    """The task's parameters, which an integration takes as an API call's members: an
    object (none: no members)."""
    parameters = request.parameters
    if parameters is None:
        return {}
    if not isinstance(parameters, dict):
        raise StatesError(
            "States.Runtime",
            f"The parameters of {request.resource.arn} must be a JSON object, not "
            f"{type(parameters).__name__}.",
        )
    return parameters


def present(params: dict[str, Any]) -> dict[str, Any]:
    """The members given a value: a member set to null is not sent (SQS's
    ``MessageBody: null`` is a missing MessageBody on AWS, recorded)."""
    return {name: value for name, value in params.items() if value is not None}


async def call_optimized(
    calls: SdkCaller, service: str, operation: str, params: dict[str, Any], role_arn: str
) -> SdkResponse:
    """``operation`` of ``service`` (botocore's names) for an optimized integration:
    its failures named as the AWS SDK for Java v1 names them."""
    try:
        return await calls.call(service, operation, params, role_arn)
    except SdkFailure as failed:
        raise optimized_failure(
            service, failed.code, failed.message, failed.status, failed.request_id
        ) from None
    except SdkUnreachable as unanswered:
        raise unreachable(OPTIMIZED_SERVICES[service].prefix, str(unanswered)) from None

"""What the deployer reads off a template for one resource or output: its properties in
the two forms it needs (as recorded, with dynamic references left as written; as given to
the provider, with them resolved), its policies, the stack's outputs; and how it words a
provider's failure."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from altus.cloudformation import intrinsics
from altus.cloudformation.dynamic import DynamicLookup, has_dynamic, resolve_dynamic
from altus.cloudformation.errors import CloudFormationError
from altus.cloudformation.model import Output, Stack
from altus.cloudformation.providers.base import Provider, ResourceFailed, ServiceFailed

log = logging.getLogger(__name__)


class Deployed:
    """``intrinsics.Resources`` over a stack's resources as deployed so far."""

    def __init__(self, stack: Stack) -> None:
        self._stack = stack

    def ref(self, logical_id: str) -> Any:
        resource = self._stack.resources.get(logical_id)
        if resource is None or resource.physical_id is None:
            raise intrinsics.Unresolvable(logical_id)
        return resource.physical_id

    def attribute(self, logical_id: str, name: str) -> Any:
        resource = self._stack.resources.get(logical_id)
        if resource is None or name not in resource.attributes:
            raise intrinsics.Unresolvable(f"{logical_id}.{name}")
        return resource.attributes[name]


@dataclass(frozen=True)
class Properties:
    """A resource's properties: ``recorded`` keeps dynamic references as the template
    wrote them (what is stored, shown in events and compared: a secret's value is never
    kept), ``applied`` has them resolved (what the provider is given)."""

    recorded: dict[str, Any]
    applied: dict[str, Any]


def recorded_properties(declared: Mapping[str, Any], scope: intrinsics.Scope) -> dict[str, Any]:
    resolved = intrinsics.resolve(declared.get("Properties") or {}, scope)
    if not isinstance(resolved, dict):
        raise ResourceFailed("Properties must be an object")
    return resolved


async def applied(recorded: dict[str, Any], lookup: DynamicLookup) -> dict[str, Any]:
    """``recorded`` with its dynamic references resolved (fetched anew each time)."""
    if not has_dynamic(recorded):
        return recorded
    value = await resolve_dynamic(recorded, lookup)
    assert isinstance(value, dict)
    return value


def policies(declared: Mapping[str, Any], scope: intrinsics.Scope) -> tuple[str, str]:
    """The resource's DeletionPolicy and UpdateReplacePolicy (``Delete`` unless given;
    LanguageExtensions allows intrinsics there)."""
    found: list[str] = []
    for name in ("DeletionPolicy", "UpdateReplacePolicy"):
        value = declared.get(name, "Delete")
        if not isinstance(value, str):
            value = intrinsics.resolve(value, scope)
        found.append("Delete" if value is intrinsics.NO_VALUE or value is None else str(value))
    return found[0], found[1]


def custom_name(
    kind: str, provider: Provider, new: Mapping[str, Any], old: Mapping[str, Any]
) -> str | None:
    """The name a template gave a resource that must be replaced, if it kept it: a new
    copy cannot take the name while the old one holds it. The naming property is the
    type's own (``QueueName`` of a queue, ``Name`` of a rule), never a reference to
    another resource's name (a permission's ``FunctionName``)."""
    suffix = kind.rsplit("::", 1)[-1]
    for name in (f"{suffix}Name", "Name"):
        kept = new.get(name)
        if name in provider.replaced_by and kept is not None and kept == old.get(name):
            return str(kept)
    return None


def outputs(
    template: Mapping[str, Any], conditions: Mapping[str, bool], scope: intrinsics.Scope
) -> list[Output]:
    found: list[Output] = []
    for key, declared in (template.get("Outputs") or {}).items():
        condition = declared.get("Condition")
        if condition is not None and not conditions.get(condition, False):
            continue
        value = intrinsics.resolve(declared.get("Value"), scope)
        export = declared.get("Export")
        name = intrinsics.resolve(export.get("Name"), scope) if isinstance(export, dict) else None
        description = declared.get("Description")
        found.append(
            Output(
                key,
                as_text(value),
                str(description) if description is not None else None,
                str(name) if name is not None else None,
            )
        )
    return found


def as_text(value: Any) -> str:
    """An output's value as CloudFormation shows it: lists joined with commas."""
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


#: The services as CloudFormation's handlers name them in their messages (the AWS SDK
#: for Java v2's names), by botocore's.
SERVICE_NAMES = {
    "lambda": "Lambda",
    "sqs": "Sqs",
    "sns": "Sns",
    "s3": "S3",
    "iam": "Iam",
    "dynamodb": "DynamoDb",
    "kinesis": "Kinesis",
    "ssm": "Ssm",
    "secretsmanager": "SecretsManager",
    "events": "EventBridge",
    "scheduler": "Scheduler",
    "stepfunctions": "Sfn",
    "logs": "CloudWatchLogs",
    "apigateway": "ApiGateway",
    "apigatewayv2": "ApiGatewayV2",
    "sts": "Sts",
}


def reason(error: BaseException) -> str:
    """A failed resource's reason, as CloudFormation words a handler's failure."""
    token = str(uuid.uuid4())
    if isinstance(error, ServiceFailed):
        return (
            f'Resource handler returned message: "{error.message} '
            f"(Service: {SERVICE_NAMES.get(error.service, error.service)}, "
            f'Status Code: {error.status}, Request ID: {error.request_id})" '
            f"(RequestToken: {token}, HandlerErrorCode: {error.code})"
        )
    if isinstance(error, ResourceFailed):
        if error.message.startswith("Properties validation failed"):
            return error.message
        return (
            f'Resource handler returned message: "{error.message}" '
            f"(RequestToken: {token}, HandlerErrorCode: {error.code})"
        )
    if isinstance(error, CloudFormationError):
        return error.message
    log.exception("a resource handler failed", exc_info=error)
    return f"Internal failure: {type(error).__name__}: {error}"

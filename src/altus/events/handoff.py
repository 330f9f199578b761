"""One attempt at handing a payload to a target ARN on behalf of a pushing service
(EventBridge rules, Scheduler schedules): the same rules for both, so a rule's target and
a schedule's behave alike.

By the ARN's service:

- ``lambda``: without a role, an Event invoke as the service principal
  (``events.amazonaws.com``) for ``source_arn``, allowed only by the function's own policy
  (``aws lambda add-permission --principal events.amazonaws.com --source-arn <rule>``), as
  AWS does for a rule's function target. With a role (Scheduler always has one; an
  EventBridge target may), the role's session must be allowed ``lambda:InvokeFunction``
  where requests are authenticated (``--auth iam``), then the function is invoked
  asynchronously.
- ``sqs``: the queue service's ``deliver``; a FIFO queue (``.fifo``) needs a message group
  (``deliver_fifo``, deduplicated by ``deduplication_id`` or the body's digest).
- ``sns``: the topic service's ``deliver`` (published to the topic).
- ``events``: an event bus: the payload is a whole event, put on that bus.
- ``states``: a state machine (its version or alias): an execution is started with the
  payload as its input (the Step Functions component's ``deliver``; a machine that is
  not there is not retried). AWS starts it only as a role (a rule's target needs
  ``RoleArn``; a schedule always has one): where requests are authenticated, one without
  a role is a permanent AccessDenied. The execution itself runs as the machine's role.

With a role, where requests are authenticated, the role must exist and trust the service
(``roles``: the IAM component, where the caller passes it) and the role's session must be
allowed the target's action (``sqs:SendMessage``, ``sns:Publish``, ``events:PutEvents``,
``states:StartExecution``) by its own policies or the target's. Without one, a queue or
a topic takes the record as the service's only where its own policy allows the service,
where requests are authenticated (``check_pushed``, which SNS and S3 use too); buses take
it as they are.

Failures are classified as AWS's retry policy does (EventBridge user guide, "Using
dead-letter queues to process undelivered events"): only missing permissions and a
target resource that no longer exists are not retried (they go straight to the
dead-letter queue), and so is a record the target refuses as invalid, which no retry can
mend. Everything else is retried: throttles, conflicts (a function being updated: 409),
service-side faults, an attempt that timed out (``timeout``), anything unexpected.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from altus.arns import Account, parse_arn
from altus.errors import AltusError
from altus.identity.authenticator import Identity, service_session
from altus.targets import PolicySource, ServiceInvocable, Target, TargetRegistry

#: The IAM action a role must be allowed to send to each kind of target.
ACTIONS = {
    "lambda": "lambda:InvokeFunction",
    "sqs": "sqs:SendMessage",
    "sns": "sns:Publish",
    "events": "events:PutEvents",
    "states": "states:StartExecution",
}


#: ``error_category``'s answers that no retry can mend.
NO_PERMISSIONS = "NO_PERMISSIONS"
NO_RESOURCE = "NO_RESOURCE"


class RoleTrust(Protocol):
    """Whether a role exists and trusts a service (the IAM component)."""

    def assumable_by(self, arn: str, service: str) -> bool: ...


@runtime_checkable
class _Invocable(ServiceInvocable, Protocol):
    """The Lambda component's shape (``altus.targets.ServiceInvocable``)."""


@runtime_checkable
class _FifoQueues(Protocol):
    """The queue service's way to send to a FIFO queue."""

    async def deliver_fifo(
        self,
        arn: str,
        body: str,
        attributes: Mapping[str, Mapping[str, str]] | None,
        group_id: str,
        dedup_id: str | None,
        *,
        trace: str | None = None,
    ) -> None: ...


class HandOffFailed(Exception):
    """The attempt failed. ``code``: the target's error code (``AccessDeniedException``,
    ``ResourceNotFoundException`` ...), as a dead-letter record reports it; ``permanent``:
    trying again cannot help (the target refuses the service, or is gone)."""

    def __init__(self, code: str, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.permanent = permanent


def permanent(error: AltusError) -> bool:
    """A refusal no retry can mend: missing permissions, a resource that is not there, a
    record the target refuses as invalid. Throttles, conflicts (409: a function being
    updated), timeouts and service faults can be mended by waiting."""
    if not 400 <= error.status < 500 or error.status in (408, 409, 429):
        return False
    if _category(error.code) in (NO_PERMISSIONS, NO_RESOURCE):
        return True
    code = error.code
    return code == "UnsupportedOperation" or any(word in code for word in _INVALID_WORDS)


#: Error codes naming a request the target refuses as invalid (``InvalidParameterValue``,
#: ``ValidationException``, ``InvalidRequestContentException``, ``RequestTooLarge``,
#: ``MalformedDetail``...).
_INVALID_WORDS = ("Invalid", "Validation", "Malformed", "TooLarge", "TooLong", "MissingParameter")


async def hand_off(
    targets: TargetRegistry,
    identity: Identity,
    account: Account,
    *,
    target_arn: str,
    payload: str,
    service_principal: str,
    source_arn: str,
    role_arn: str | None = None,
    message_group_id: str | None = None,
    deduplication_id: str | None = None,
    attributes: Mapping[str, Mapping[str, str]] | None = None,
    roles: RoleTrust | None = None,
    timeout: float | None = None,
    trace: str | None = None,
) -> None:
    """Hand ``payload`` to ``target_arn`` once, durably where the target is durable (an
    async invoke is queued, a message stored, an event put) before returning.

    ``service_principal`` (``events.amazonaws.com``, ``scheduler.amazonaws.com``) acts
    for ``source_arn`` (the rule's or schedule's ARN); ``role_arn``: act as that role
    instead (its session is ``assumed-role/<role>/<service>``). ``attributes``: SQS
    wire-form message attributes for a queue or topic (and, for a bus, what the bus
    service reads of how the event came). ``roles``: where given (and requests are
    authenticated), a role must exist and trust ``service_principal`` (else a permanent
    AccessDenied). ``timeout``: seconds the attempt may take (then it fails, to be
    retried: the target may have it all the same). ``trace``: the X-Ray trace header
    the record carries on (a function's invocation, a queue message's
    ``AWSTraceHeader``). Raises HandOffFailed, never anything else."""
    try:
        attempt = _hand_off(
            targets,
            identity,
            account,
            target_arn,
            payload,
            service_principal,
            source_arn,
            role_arn,
            message_group_id,
            deduplication_id,
            attributes,
            roles,
            trace,
        )
        if timeout is None:
            await attempt
        else:
            await asyncio.wait_for(attempt, timeout)
    except HandOffFailed:
        raise
    except AltusError as error:
        raise HandOffFailed(error.code, error.message, permanent=permanent(error)) from None
    except TimeoutError:
        raise HandOffFailed(
            "Timeout", f"{target_arn} did not take the record in {timeout} s.", permanent=False
        ) from None
    except Exception as error:  # a fault of the target's service: retried
        raise HandOffFailed("InternalException", repr(error), permanent=False) from None


async def _hand_off(
    targets: TargetRegistry,
    identity: Identity,
    account: Account,
    arn: str,
    payload: str,
    service_principal: str,
    source_arn: str,
    role_arn: str | None,
    group_id: str | None,
    dedup_id: str | None,
    attributes: Mapping[str, Mapping[str, str]] | None,
    roles: RoleTrust | None,
    trace: str | None = None,
) -> None:
    parsed = parse_arn(arn)
    kind = parsed.service if parsed is not None else ""
    if kind not in ACTIONS:
        raise HandOffFailed(
            "InvalidTarget",
            f"Altus does not deliver to {arn}: not a supported target.",
            permanent=True,
        )
    target = targets.find(kind)
    if target is None:
        raise HandOffFailed(
            "ResourceNotFoundException",
            f"{arn}: the {kind} service does not run on this server.",
            permanent=True,
        )
    if role_arn is not None and identity.enforcing:
        if roles is not None and not roles.assumable_by(role_arn, service_principal):
            raise HandOffFailed(
                "AccessDeniedException",
                f"The role {role_arn} does not exist or cannot be assumed by {service_principal}.",
                permanent=True,
            )
        principal = service_session(role_arn, service_principal)
        identity.authorize(principal, ACTIONS[kind], arn, _policies(target, arn))
    if kind == "states" and role_arn is None and identity.enforcing:
        raise HandOffFailed(
            "AccessDeniedException",
            f"A role is needed to start an execution of {arn}: the target has no RoleArn.",
            permanent=True,
        )
    if role_arn is None:
        check_pushed(
            identity,
            targets,
            service_principal=service_principal,
            source_arn=source_arn,
            source_account=account.account_id,
            target_arn=arn,
        )
    if kind == "lambda" and role_arn is None:
        if not isinstance(target, _Invocable):
            raise HandOffFailed(
                "ResourceNotFoundException",
                "The Lambda service cannot be invoked here.",
                permanent=True,
            )
        await target.invoke_as_service(
            service_principal, source_arn, account.account_id, arn, payload, trace=trace
        )
        return
    if kind == "sqs" and arn.endswith(".fifo"):
        if not isinstance(target, _FifoQueues) or group_id is None:
            raise HandOffFailed(
                "InvalidParameterValue",
                f"{arn} is a FIFO queue: a target needs SqsParameters.MessageGroupId for it.",
                permanent=True,
            )
        await target.deliver_fifo(arn, payload, attributes, group_id, dedup_id, trace=trace)
        return
    await target.deliver(
        arn, payload, attributes if kind in ("sqs", "sns", "events") else None, trace=trace
    )


def _policies(target: Target, arn: str) -> Sequence[Mapping[str, Any]]:
    """The target's own policies (a queue's, a topic's): they may allow the role, or the
    service, too."""
    try:
        return list(target.resource_policies(arn)) if isinstance(target, PolicySource) else []
    except AltusError:
        return []


def check_pushed(
    identity: Identity,
    targets: TargetRegistry,
    *,
    service_principal: str,
    source_arn: str,
    source_account: str,
    target_arn: str,
) -> None:
    """Where requests are authenticated (``--auth iam``), a queue or a topic takes what a
    service sends as itself (SNS to a subscribed queue, S3's notifications, a rule's
    target without a role) only where its own policy allows that service
    (``sqs:SendMessage``, ``sns:Publish``, conditions read against ``aws:SourceArn`` and
    ``aws:SourceAccount``), as on AWS. Raises HandOffFailed (permanent) otherwise; a
    function's policy is Lambda's to check (``invoke_as_service``)."""
    if not identity.enforcing:
        return
    parsed = parse_arn(target_arn)
    kind = parsed.service if parsed is not None else ""
    if kind not in ("sqs", "sns"):
        return
    target = targets.find(kind)
    if target is None:
        return  # the hand-off itself says the service is not here
    try:
        identity.authorize_service(
            service_principal,
            ACTIONS[kind],
            target_arn,
            _policies(target, target_arn),
            source_arn=source_arn,
            source_account=source_account,
        )
    except AltusError as refused:
        raise HandOffFailed("AccessDeniedException", refused.message, permanent=True) from None


def _category(code: str) -> str | None:
    if "AccessDenied" in code or "Authorization" in code or code == "NotAuthorized":
        return NO_PERMISSIONS
    if "NotFound" in code or "DoesNotExist" in code or code == "NonExistentQueue":
        return NO_RESOURCE
    if "Throttl" in code or "TooManyRequests" in code:
        return "THROTTLING"
    return None


def error_category(failure: HandOffFailed) -> str:
    """The ``ERROR_CODE`` a dead-letter record reports for a failure, in EventBridge's
    words: ``NO_PERMISSIONS`` (the target refuses the service or role),
    ``NO_RESOURCE`` (the target is not there), ``THROTTLING``, else
    ``SDK_CLIENT_ERROR`` (the target refused the record) or ``INTERNAL_ERROR``."""
    found = _category(failure.code)
    if found is not None:
        return found
    return "SDK_CLIENT_ERROR" if failure.permanent else "INTERNAL_ERROR"

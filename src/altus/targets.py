"""Where records sent by ARN go: destinations, dead-letter queues, and later
notifications, subscriptions and rules. A service becomes a target by registering its
component for the service part of the ARNs it owns (``sqs``, ``lambda``; ``sns`` ...),
not by a branch in the sender.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable


class Target(Protocol):
    async def deliver(
        self,
        arn: str,
        body: str,
        attributes: Mapping[str, Mapping[str, str]] | None = None,
        *,
        trace: str | None = None,
    ) -> None:
        """Hand the record to what ``arn`` names, durably, or raise an ``AltusError``
        saying why it cannot (the resource does not exist, refuses it ...). ``trace``:
        the X-Ray trace header the record carries on (an SQS message's
        ``AWSTraceHeader``, a function's invocation), where the target keeps one."""
        ...


class ServiceInvocable(Protocol):
    """What a service that pushes events (SNS, S3, EventBridge) invokes a function
    through: as that service's principal, allowed only by the function's own policy."""

    async def invoke_as_service(
        self,
        service: str,
        source_arn: str,
        source_account: str,
        arn: str,
        payload: str,
        *,
        trace: str | None = None,
    ) -> None:
        """An Event (asynchronous) invoke of the function ``arn`` names, made by
        ``service`` (``sns.amazonaws.com``) for the resource ``source_arn``: refused
        (an ``AltusError``: AccessDenied, ResourceNotFound) unless the function's
        resource policy lets that service invoke it for that source, as on AWS.
        Durable once it returns. ``trace``: the X-Ray trace header it joins."""
        ...


class Called(Protocol):
    """A function's answer to a service that called it and waited (API Gateway)."""

    @property
    def payload(self) -> bytes: ...

    @property
    def function_error(self) -> str | None:
        """Lambda's ``X-Amz-Function-Error`` (``Unhandled``); None when it succeeded."""
        ...

    @property
    def content_type(self) -> str | None:
        """The Content-Type the function answered with."""
        ...


class ServiceCallable(Protocol):
    """What a service that fronts functions (API Gateway) invokes them through, and waits
    for: as that service's principal, or as a role the service assumes."""

    def call_as_service(
        self,
        service: str,
        source_arn: str,
        source_account: str,
        arn: str,
        payload: bytes,
        *,
        role: str | None = None,
        trace: str | None = None,
    ) -> Awaitable[Called]:
        """A RequestResponse invoke of the function ``arn`` names, made by ``service``
        (``apigateway.amazonaws.com``) for ``source_arn``: the invoke, to be awaited.
        Without ``role``, refused (an ``AltusError``: AccessDenied, ResourceNotFound ...)
        unless the function's own policy lets the service invoke it for that source; with
        one (that the caller has found the service may assume), the role's session must
        be allowed where requests are authenticated. A refusal may be raised by the call
        itself, before anything is awaited (a plain function: one coroutine fewer on API
        Gateway's every request). A function that fails is an answer, not an error.
        ``trace``: the X-Ray trace header the invocation joins (``X-Amzn-Trace-Id``), if
        the service carries one."""
        ...

    def longest_invoke(self, arn: str) -> float | None:
        """The longest an invoke of ``arn`` can take, in seconds (its timeout and its
        initialisation's, of every version an alias may route to); None where that is
        not known (no such function)."""
        ...


@runtime_checkable
class PolicySource(Protocol):
    """A target whose resources carry their own access policies (a queue's ``Policy``
    attribute, a topic's): what a service pushing to them as a role reads, since such a
    policy may allow the role where its own policies do not."""

    def resource_policies(self, arn: str) -> Sequence[Mapping[str, Any]]:
        """The policies of the resource ``arn`` names, as the authoriser reads resource
        policies; none for a resource without one, or no such resource."""
        ...


class TargetRegistry:
    def __init__(self) -> None:
        self._targets: dict[str, Target] = {}

    def register(self, arn_service: str, target: Target) -> None:
        """``target`` receives what is sent to ARNs of ``arn_service``."""
        self._targets[arn_service] = target

    def find(self, arn_service: str) -> Target | None:
        return self._targets.get(arn_service)

"""``Integrations``: the Step Functions service's ``TaskRunner`` (``altus.asl.host``), which
runs what a Task state's ``Resource`` names.

- A function ARN (the legacy form) and ``lambda:invoke``: ``lambdas``.
- ``sqs:sendMessage``, ``sns:publish``, ``events:putEvents``: ``messaging``.
- ``states:startExecution``: ``children``.
- ``s3:getObject``, ``s3:listObjectsV2``, ``s3:putObject`` (the distributed Map's reader
  and writer): ``objects``.
- ``aws-sdk:<service>:<action>``: ``aws_sdk``.

Anything else (another service, a pattern the integration does not offer, an activity,
which the interpreter serves itself) fails the execution as a resource AWS would not have
accepted.

A task whose attempt had started before a restart (``TaskRequest.resumed``) is not run
again, since it may have been done: a ``.sync`` job or a callback whose submission was
recorded resumes from that record; anything else fails with the integration's transient
error (``Lambda.ServiceException``, ``<Prefix>.SdkClientException``), which AWS's
recommended retriers retry.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from altus.api.selfcalls import BotocoreCalls
from altus.api.spec import Context
from altus.asl.errors import StatesError
from altus.asl.host import TaskProgress, TaskRequest
from altus.asl.resources import (
    LAMBDA_FUNCTION,
    REQUEST_RESPONSE,
    SYNC,
    SYNC2,
    TASK,
    TOKEN,
    Resource,
)
from altus.stepfunctions.integrations.aws_sdk import AwsSdk
from altus.stepfunctions.integrations.children import Children
from altus.stepfunctions.integrations.lambdas import Lambdas
from altus.stepfunctions.integrations.messaging import Messaging
from altus.stepfunctions.integrations.naming import LOST, LOST_INVOCATION, not_recognized
from altus.stepfunctions.integrations.objects import Objects
from altus.stepfunctions.integrations.ports import ChildExecutions, Functions, SdkCaller

Handler = Callable[[TaskRequest, TaskProgress], Awaitable[Any]]

_CALLS = frozenset({REQUEST_RESPONSE, TOKEN})


@dataclass(frozen=True, slots=True)
class _Optimized:
    handler: Handler
    patterns: frozenset[str]
    #: The transient error of a call whose outcome was lost.
    lost: StatesError
    #: Whether a call whose outcome was lost may be made again: it is idempotent
    #: (``states:startExecution``: the child's name is the attempt's, and a repeat
    #: reaches the child it started).
    repeatable: bool = False


def _lost(prefix: str) -> StatesError:
    return StatesError(f"{prefix}.SdkClientException", LOST)


_LAMBDA_LOST = StatesError("Lambda.ServiceException", LOST_INVOCATION)


class Integrations:
    """``functions``: the Lambda component; ``calls``: Altus's own API (``calls.BotocoreCalls``);
    ``children``: the Step Functions service's executions (None: ``states:startExecution``
    is not offered); ``now``: the clock (epoch seconds)."""

    def __init__(
        self,
        *,
        functions: Functions,
        calls: SdkCaller,
        children: ChildExecutions | None,
        now: Callable[[], float],
    ) -> None:
        self._calls = calls
        lambdas = Lambdas(functions, calls, now)
        messaging = Messaging(calls, now)
        objects = Objects(calls)
        self._legacy = lambdas.legacy
        self._sdk = AwsSdk(calls)
        self._optimized: dict[tuple[str, str], _Optimized] = {
            ("lambda", "invoke"): _Optimized(_plain(lambdas.invoke), _CALLS, _LAMBDA_LOST),
            ("sqs", "sendMessage"): _Optimized(
                _plain(messaging.send_message), _CALLS, _lost("SQS")
            ),
            ("sns", "publish"): _Optimized(_plain(messaging.publish), _CALLS, _lost("SNS")),
            ("events", "putEvents"): _Optimized(
                _plain(messaging.put_events), _CALLS, _lost("EventBridge")
            ),
            ("s3", "getObject"): _Optimized(
                _plain(objects.get_object), frozenset({REQUEST_RESPONSE}), _lost("S3")
            ),
            ("s3", "listObjectsV2"): _Optimized(
                _plain(objects.list_objects), frozenset({REQUEST_RESPONSE}), _lost("S3")
            ),
            ("s3", "putObject"): _Optimized(
                _plain(objects.put_object), frozenset({REQUEST_RESPONSE}), _lost("S3")
            ),
        }
        if children is not None:
            self._optimized[("states", "startExecution")] = _Optimized(
                Children(children, now).start_execution,
                frozenset({REQUEST_RESPONSE, TOKEN, SYNC, SYNC2}),
                _lost("StepFunctions"),
                repeatable=True,
            )

    @classmethod
    def for_service(cls, context: Context, children: ChildExecutions | None) -> Integrations:
        """The integrations of the Step Functions service built with ``context``: the
        Lambda component (registered before it), Altus's API at ``context.endpoint``
        signed with sessions of ``context.identity``."""
        calls = BotocoreCalls(
            context.endpoint, context.account.region, context.identity, context.clock.now
        )
        return cls(
            functions=context.component("lambda"),
            calls=calls,
            children=children,
            now=context.clock.now,
        )

    def close(self) -> None:
        """Stop making calls (the service is closing)."""
        close = getattr(self._calls, "close", None)
        if close is not None:
            close()

    def offers(self, resource: Resource) -> bool:
        """Whether this runner runs ``resource`` (for the service's own checks of
        definitions: an activity is the interpreter's, not this runner's)."""
        if resource.kind == LAMBDA_FUNCTION:
            return True
        if resource.kind != TASK:
            return False
        if resource.sdk:
            return resource.pattern in _CALLS and self._sdk.target(resource) is not None
        found = self._optimized.get((resource.service, resource.action))
        return found is not None and resource.pattern in found.patterns

    async def run(self, request: TaskRequest, progress: TaskProgress) -> Any:
        """``altus.asl.host.TaskRunner.run``."""
        resource = request.resource
        if resource.kind == LAMBDA_FUNCTION:
            if request.resumed:
                raise _LAMBDA_LOST
            return await self._legacy(request)
        if resource.kind != TASK:
            raise not_recognized(resource.arn)
        if resource.sdk:
            found = self._sdk.target(resource)
            if found is None or resource.pattern not in _CALLS:
                raise not_recognized(resource.arn)
            if resource.pattern == TOKEN and request.submitted is not None:
                return request.submitted
            if request.resumed:
                raise _lost(found[0].prefix)
            return await self._sdk.call(request)
        optimized = self._optimized.get((resource.service, resource.action))
        if optimized is None or resource.pattern not in optimized.patterns:
            raise not_recognized(resource.arn)
        if request.submitted is not None:
            if resource.pattern == TOKEN:
                return request.submitted  # submitted before a restart: the token is awaited
            if resource.pattern in (SYNC, SYNC2):
                return await optimized.handler(request, progress)
        if request.resumed and not optimized.repeatable:
            raise optimized.lost
        return await optimized.handler(request, progress)


def _plain(call: Callable[[TaskRequest], Awaitable[Any]]) -> Handler:
    """A handler that has no use for the progress record."""

    async def handler(request: TaskRequest, progress: TaskProgress) -> Any:
        return await call(request)

    return handler

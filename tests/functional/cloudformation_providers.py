"""A provider's world for functional tests: an in-process server, and the
``ProviderContext`` the deployer would give a resource of a stack on it (the services'
APIs called with botocore as the account's root); and what the providers' tests do
alike: a resource made, updated and deleted as the deployer would, a resource looked for
that is gone, a queue to send to, a function API Gateway may invoke."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest
from botocore.exceptions import ClientError

from altus.api.selfcalls import BotocoreCalls
from altus.cloudformation.context import ActorSessions, StackContext
from altus.cloudformation.providers.base import Current, Outcome, Properties, Provider
from altus.platform import Platform
from altus.testing import Harness

T = TypeVar("T")
ACCOUNT = "000000000000"
REGION = "us-east-1"
STACK = "teststack"
STACK_ID = (
    f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK}/0d3c1c1e-0000-4000-8000-000000000000"
)
ROOT = f"arn:aws:iam::{ACCOUNT}:root"

_seeds = itertools.count()


class World:
    """The server, and contexts for resources of one stack on it."""

    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        platform = harness.platform
        assert platform is not None
        self.platform: Platform = platform
        self.calls = BotocoreCalls(
            harness.url, REGION, ActorSessions(platform.identity), self._now, thread_name="cfn-test"
        )

    def _now(self) -> float:
        clock = self.harness.clock
        import time

        return clock.now() if clock is not None else time.time()

    def context(self, logical_id: str, *, seed: str | None = None) -> StackContext:
        """A context for the resource ``logical_id`` (a new seed each time unless given:
        a new attempt, so new generated names)."""

        async def sleep(seconds: float) -> None:
            await asyncio.sleep(min(seconds, 0.05))

        return StackContext(
            stack_name=STACK,
            stack_id=STACK_ID,
            region=REGION,
            account_id=ACCOUNT,
            partition="aws",
            endpoint=self.harness.url,
            actor=ROOT,
            seed=seed if seed is not None else f"seed-{next(_seeds)}",
            logical_id=logical_id,
            calls=self.calls,
            objects=self.platform.component("s3"),
            sleeper=sleep,
            stack_tags={"team": "altus"},
        )

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run a provider's coroutine on the server's loop; its result."""
        return self.harness.call(lambda _platform: work)

    def client(self, service: str) -> Any:
        return self.harness.client(service)

    def queue_arn(self, name: str) -> str:
        """The ARN of a queue made (or found) by ``name``."""
        sqs = self.client("sqs")
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        return str(attributes["Attributes"]["QueueArn"])


def create(world: World, provider: Provider, logical_id: str, props: Properties) -> Current:
    """Make a resource; what the deployer would record of it."""
    made: Outcome = world.run(provider.create(world.context(logical_id), logical_id, props))
    return Current(logical_id, made.physical_id, props, made.attributes)


def update(world: World, provider: Provider, current: Current, props: Properties) -> Current:
    """Update a resource in place (its physical id stays); what the deployer would record."""
    made: Outcome = world.run(provider.update(world.context(current.logical_id), current, props))
    assert made.physical_id == current.physical_id
    return Current(current.logical_id, made.physical_id, props, made.attributes)


def delete(world: World, provider: Provider, current: Current) -> None:
    world.run(provider.delete(world.context(current.logical_id), current))


def missing(call: Any, *args: Any, **members: Any) -> bool:
    """Whether ``call(*args, **members)`` answers that what it reads does not exist (a
    ``...NotFoundException``, ``ParameterNotFound``, ``NoSuchEntity``,
    ``StateMachineDoesNotExist`` ...)."""
    try:
        call(*args, **members)
    except ClientError as error:
        code = str(error.response["Error"]["Code"])
        return any(word in code for word in ("NotFound", "NoSuch", "DoesNotExist", "NonExistent"))
    return False


def delete_twice(
    world: World, provider: Provider, current: Current, call: Any, *args: Any, **members: Any
) -> None:
    """Delete ``current``; then ``call(*args, **members)`` (a read of it) finds it
    missing; and a delete again is no failure (a resource already gone is deleted)."""
    delete(world, provider, current)
    assert missing(call, *args, **members)
    delete(world, provider, current)


def interrupted(
    world: World,
    provider: Provider,
    logical_id: str,
    props: Properties,
    *,
    deleted: Properties | None = None,
) -> Outcome:
    """A create whose answer never reached the deployer, then the delete that follows in
    the same attempt (the same generated names; no physical id, and the properties
    ``deleted`` where not the create's): what the create made, to look for."""
    seed = f"interrupted-{next(_seeds)}"
    made: Outcome = world.run(
        provider.create(world.context(logical_id, seed=seed), logical_id, props)
    )
    recorded = Current(logical_id, None, props if deleted is None else deleted)
    world.run(provider.delete(world.context(logical_id, seed=seed), recorded))
    return made


def lambda_uri(arn: str) -> str:
    """The integration URI API Gateway invokes the function ``arn`` by."""
    return f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{arn}/invocations"


def allow(world: World, function: str, source: str) -> None:
    """API Gateway may invoke ``function`` for ``source`` (``<api>/<stage>/<METHOD>/<path>``),
    as SAM's ``AWS::Lambda::Permission`` of an ``Api`` or ``HttpApi`` event grants."""
    world.client("lambda").add_permission(
        FunctionName=function,
        StatementId=source.replace("/", "-").replace("*", "any").replace("$", ""),
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{source}",
    )


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with Harness(clock=None) as harness:
        made = World(harness)
        try:
            yield made
        finally:
            made.calls.close()

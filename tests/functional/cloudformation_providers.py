"""A provider's world for functional tests: an in-process server, and the
``ProviderContext`` the deployer would give a resource of a stack on it (the services'
APIs called with botocore as the account's root)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest

from altus.api.selfcalls import BotocoreCalls
from altus.cloudformation.context import ActorSessions, StackContext
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


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with Harness(clock=None) as harness:
        made = World(harness)
        try:
            yield made
        finally:
            made.calls.close()

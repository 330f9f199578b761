"""What the pushing services' timing tests share: a target that fails its first records
(standing in for a service Altus does not have yet, registered for its ARNs), and the
platform's component of a service."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from altus.errors import ServiceError
from altus.platform import Platform
from altus.testing import Harness


class Flaky:
    """A target failing its first ``failures`` records with a service fault, which the
    service delivering to it retries."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.received: list[str] = []
        self.calls = 0

    async def deliver(
        self,
        arn: str,
        body: str,
        attributes: Mapping[str, Mapping[str, str]] | None = None,
        *,
        trace: str | None = None,
    ) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise ServiceError("temporarily broken")
        self.received.append(body)


def component_of(harness: Harness, service: str) -> Any:
    async def found(platform: Platform) -> Any:
        return platform.component(service)

    return harness.call(found)

"""What the Step Functions functional tests share: a server with the recording runtime,
clients, and a way to reach the service's store and runtime on the server's loop."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest
from botocore.exceptions import ClientError

from altus.platform import Platform
from altus.stepfunctions.component import StepFunctions
from altus.stepfunctions.recording import RecordingRuntime
from altus.testing import Harness

T = TypeVar("T")

ACCOUNT = "000000000000"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/sfn"
PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})


def definition(comment: str) -> str:
    return json.dumps(
        {"Comment": comment, "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    )


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def machine_arn(name: str) -> str:
    return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"


def error(call: Callable[..., Any], **members: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call(**members)
    found = raised.value.response
    assert found["ResponseMetadata"]["HTTPStatusCode"] == 400
    return found["Error"]["Code"], found["Error"]["Message"]


class Server:
    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        # StartSyncExecution's host prefix (sync-) cannot be put before an IP address.
        self.sfn = harness.client("stepfunctions", inject_host_prefix=False)

    @property
    def component(self) -> StepFunctions:
        assert self.harness.platform is not None
        found: StepFunctions = self.harness.platform.component("stepfunctions")
        return found

    def run(self, work: Callable[[StepFunctions], Coroutine[Any, Any, T]]) -> T:
        component = self.component

        async def call(platform: Platform) -> T:
            return await work(component)

        return self.harness.call(call)

    def fresh_runtime(self) -> RecordingRuntime:
        """A new recording runtime in place of the service's."""

        async def install(sfn: StepFunctions) -> RecordingRuntime:
            runtime = RecordingRuntime(sfn.store, sfn.clock, sfn.desk)
            sfn.runtime = runtime
            return runtime

        return self.run(install)

    def machine(self, name: str | None = None, **members: Any) -> str:
        created = self.sfn.create_state_machine(
            name=name or unique("m"),
            definition=members.pop("definition", PASS),
            roleArn=members.pop("roleArn", ROLE),
            **members,
        )
        arn: str = created["stateMachineArn"]
        return arn


def serve() -> Iterator[Server]:
    """What each test module's ``server`` fixture yields: one server for the module."""
    with Harness() as harness:
        yield Server(harness)

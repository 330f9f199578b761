"""What the end-to-end execution tests share (``test_stepfunctions_run_*``): a real server
with the interpreter's runtime on the wall clock, Step Functions' clock scaled down so
hour-long waits and retry back-offs pass in moments, functions created from code through
Lambda's API, and ways to run an execution to its end and read its history."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

from altus.packaging import zip_files
from altus.testing import Harness, wait_until

ACCOUNT = "000000000000"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/sfn"
FUNCTION_ROLE = f"arn:aws:iam::{ACCOUNT}:role/fn"
#: Step Functions' clock in these tests: an hour's Wait is a third of a second.
TIME_SCALE = 0.0001
#: The longest an execution here may take to end (wall-clock seconds, bounded waits).
PATIENCE = 30.0


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class Runs:
    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        # StartSyncExecution's host prefix (sync-) cannot be put before an IP address.
        self.sfn = harness.client("stepfunctions", inject_host_prefix=False)
        self.lam = harness.client("lambda")
        self.sqs = harness.client("sqs")

    # --- state machines and functions ---------------------------------------------------

    def machine(self, definition: dict[str, Any], **members: Any) -> str:
        created = self.sfn.create_state_machine(
            name=members.pop("name", None) or unique("m"),
            definition=json.dumps(definition),
            roleArn=members.pop("roleArn", ROLE),
            **members,
        )
        arn: str = created["stateMachineArn"]
        return arn

    def function(self, code: str, name: str | None = None) -> tuple[str, str]:
        """A Python function whose ``app.py`` is ``code`` (``handler(event, context)``):
        its name and ARN, once it is Active."""
        name = name or unique("fn")
        created = self.lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Handler="app.handler",
            Role=FUNCTION_ROLE,
            Code={"ZipFile": zip_files({"app.py": code})},
        )
        self.lam.get_waiter("function_active_v2").wait(
            FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 600}
        )
        return name, created["FunctionArn"]

    # --- executions ---------------------------------------------------------------------

    def start(self, machine: str, input: Any = None, **members: Any) -> str:
        if input is not None:
            members["input"] = json.dumps(input)
        arn: str = self.sfn.start_execution(stateMachineArn=machine, **members)["executionArn"]
        return arn

    def finished(self, execution: str) -> dict[str, Any]:
        """DescribeExecution once the execution has ended."""

        def ended() -> dict[str, Any]:
            found: dict[str, Any] = self.sfn.describe_execution(executionArn=execution)
            return found if found["status"] != "RUNNING" else {}

        return wait_until(ended, timeout=PATIENCE)

    def run(self, definition: dict[str, Any], input: Any = None) -> dict[str, Any]:
        """Create a machine of ``definition``, run it with ``input`` and describe its end."""
        return self.finished(self.start(self.machine(definition), input))

    def history(self, execution: str, **members: Any) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        token: str | None = None
        for _ in range(1000):  # pages
            page = self.sfn.get_execution_history(
                executionArn=execution, **members, **({"nextToken": token} if token else {})
            )
            events += page["events"]
            token = page.get("nextToken")
            if not token:
                return events
        raise AssertionError("endless history")

    def types(self, execution: str) -> list[str]:
        return [event["type"] for event in self.history(execution)]

    def event(self, execution: str, type_: str) -> dict[str, Any]:
        """The details of the one event of ``type_`` (its details member's content)."""
        (found,) = [e for e in self.history(execution) if e["type"] == type_]
        (details,) = [v for k, v in found.items() if k.endswith("EventDetails")] or [{}]
        result: dict[str, Any] = details
        return result


def output(described: dict[str, Any]) -> Any:
    assert described["status"] == "SUCCEEDED", described
    return json.loads(described["output"])


def serve(**settings: Any) -> Iterator[Runs]:
    """What each module's ``runs`` fixture yields: one server for the module."""
    settings.setdefault("stepfunctions_time_scale", TIME_SCALE)
    with Harness(clock=False, **settings) as harness:
        yield Runs(harness)

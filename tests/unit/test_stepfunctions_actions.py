"""The IAM action and resource each Step Functions call is authorised on."""

from __future__ import annotations

from typing import Any

import pytest

from altus.arns import Account
from altus.clock import FakeClock
from altus.stepfunctions.actions import actions
from altus.stepfunctions.state import Core

PREFIX = "arn:aws:states:us-east-1:123456789012"


class _Service:
    def __init__(self) -> None:
        self.core = Core(Account("us-east-1", "123456789012"), FakeClock(), store=None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("operation", "members", "resource"),
    [
        ("CreateStateMachine", {"name": "m"}, f"{PREFIX}:stateMachine:m"),
        ("CreateActivity", {"name": "a"}, f"{PREFIX}:activity:a"),
        ("StartExecution", {"stateMachineArn": f"{PREFIX}:stateMachine:m:live"}, None),
        ("DescribeExecution", {"executionArn": f"{PREFIX}:execution:m:e"}, None),
        (
            "DeleteStateMachineVersion",
            {"stateMachineVersionArn": f"{PREFIX}:stateMachine:m:1"},
            None,
        ),
        ("TagResource", {"resourceArn": f"{PREFIX}:activity:a"}, None),
        (
            "CreateStateMachineAlias",
            {
                "name": "live",
                "routingConfiguration": [
                    {"stateMachineVersionArn": f"{PREFIX}:stateMachine:m:1", "weight": 100}
                ],
            },
            f"{PREFIX}:stateMachine:m:live",
        ),
        ("ListStateMachines", {}, "*"),
        ("SendTaskSuccess", {"taskToken": "t", "output": "{}"}, "*"),
    ],
)
def test_each_call_names_its_resource(
    operation: str, members: dict[str, Any], resource: str | None
) -> None:
    expected = resource or next(v for v in members.values() if isinstance(v, str))
    assert actions(_Service(), operation, members) == (f"states:{operation}", expected)  # type: ignore[arg-type]

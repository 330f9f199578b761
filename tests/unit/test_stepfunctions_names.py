"""Step Functions' ARNs taken apart, and what is not one (AWS's InvalidArn text)."""

from __future__ import annotations

import pytest

from altus.stepfunctions.errors import InvalidArn
from altus.stepfunctions.names import parse

PREFIX = "arn:aws:states:us-east-1:123456789012"


@pytest.mark.parametrize(
    ("arn", "kind", "machine", "name", "qualifier", "version", "alias"),
    [
        (f"{PREFIX}:stateMachine:m", "stateMachine", "m", "", "", False, False),
        (f"{PREFIX}:stateMachine:m:12", "stateMachine", "m", "", "12", True, False),
        (f"{PREFIX}:stateMachine:m:live", "stateMachine", "m", "", "live", False, True),
        (f"{PREFIX}:stateMachine:m:v1", "stateMachine", "m", "", "v1", False, True),
        (f"{PREFIX}:execution:m:e", "execution", "m", "e", "", False, False),
        (f"{PREFIX}:express:m:e:uuid", "express", "m", "e", "uuid", False, False),
        (f"{PREFIX}:activity:a", "activity", "", "a", "", False, False),
        (f"{PREFIX}:mapRun:m/label:uuid", "mapRun", "m", "label", "uuid", False, False),
        (
            "arn:aws-cn:states:cn-north-1:123456789012:activity:a",
            "activity",
            "",
            "a",
            "",
            False,
            False,
        ),
    ],
)
def test_arns_are_taken_apart(
    arn: str, kind: str, machine: str, name: str, qualifier: str, version: bool, alias: bool
) -> None:
    parsed = parse(arn)
    assert (parsed.kind, parsed.machine, parsed.name, parsed.qualifier) == (
        kind,
        machine,
        name,
        qualifier,
    )
    assert (parsed.is_version, parsed.is_alias) == (version, alias)
    if kind == "stateMachine":
        assert parsed.base == f"{arn.rsplit(':stateMachine:', 1)[0]}:stateMachine:{machine}"


@pytest.mark.parametrize(
    "arn",
    [
        "not_a_valid_arn",
        "arn:aws:lambda:us-east-1:123456789012:function:f",
        "arn:aws:states:us-east-1:1234:stateMachine:m",
        f"{PREFIX}:stateMachine:",
        f"{PREFIX}:stateMachine:m:1:2",
        f"{PREFIX}:execution:m",
        f"{PREFIX}:activity:a:b",
        f"{PREFIX}:unknown:x",
    ],
)
def test_what_is_not_an_arn_of_step_functions(arn: str) -> None:
    with pytest.raises(InvalidArn) as raised:
        parse(arn)
    assert raised.value.message == f"Invalid Arn: 'Invalid ARN prefix: {arn}'"

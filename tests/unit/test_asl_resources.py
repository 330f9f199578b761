"""What a Task's Resource names, as the history shows it (resourceType / resource)."""

from __future__ import annotations

import pytest

from altus.asl.resources import (
    ACTIVITY,
    LAMBDA_FUNCTION,
    SYNC,
    SYNC2,
    TASK,
    TOKEN,
    parse_resource,
)


@pytest.mark.parametrize(
    ("arn", "kind", "resource_type", "resource", "pattern"),
    [
        ("arn:aws:states:::lambda:invoke", TASK, "lambda", "invoke", "request_response"),
        (
            "arn:aws:states:::lambda:invoke.waitForTaskToken",
            TASK,
            "lambda",
            "invoke.waitForTaskToken",
            TOKEN,
        ),
        (
            "arn:aws:states:::aws-sdk:s3:listBuckets",
            TASK,
            "aws-sdk:s3",
            "listBuckets",
            "request_response",
        ),
        (
            "arn:aws:states:::states:startExecution.sync",
            TASK,
            "states",
            "startExecution.sync",
            SYNC,
        ),
        (
            "arn:aws:states:::states:startExecution.sync:2",
            TASK,
            "states",
            "startExecution.sync:2",
            SYNC2,
        ),
        (
            "arn:aws:lambda:us-east-1:000000000000:function:f:prod",
            LAMBDA_FUNCTION,
            "",
            "",
            "request_response",
        ),
        (
            "arn:aws:lambda:us-east-1:000000000000:function:f",
            LAMBDA_FUNCTION,
            "",
            "",
            "request_response",
        ),
        (
            "arn:aws:states:us-east-1:000000000000:activity:work",
            ACTIVITY,
            "",
            "",
            "request_response",
        ),
    ],
)
def test_resources(arn: str, kind: str, resource_type: str, resource: str, pattern: str) -> None:
    found = parse_resource(arn)
    assert found is not None
    assert (found.kind, found.resource_type, found.resource, found.pattern) == (
        kind,
        resource_type,
        resource,
        pattern,
    )


def test_tokens_are_needed_by_callbacks_and_activities() -> None:
    assert parse_resource("arn:aws:states:::sqs:sendMessage.waitForTaskToken").needs_token  # type: ignore[union-attr]
    assert parse_resource("arn:aws:states:us-east-1:000000000000:activity:a").needs_token  # type: ignore[union-attr]
    assert not parse_resource("arn:aws:states:::sqs:sendMessage").needs_token  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "arn",
    [
        "",
        "arn:aws:lambda:us-east-1:000000000000:function:",
        "arn:aws:states:::lambda",
        "arn:aws:states:::lambda:invoke.sync:3",
        "arn:aws:s3:::bucket",
    ],
)
def test_what_names_no_resource(arn: str) -> None:
    assert parse_resource(arn) is None

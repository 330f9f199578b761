"""Checks Lambda makes beyond its API model's constraints (pure functions)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from altus.control.errors import InvalidParameterValue

#: Variables the platform sets and a function may not ([D] configuration-envvars).
RESERVED_ENV = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)

ENV_LIMIT_BYTES = 4096


def check_environment(variables: Mapping[str, str]) -> None:
    reserved = sorted(k for k in variables if k in RESERVED_ENV)
    if reserved:
        raise InvalidParameterValue(
            "Lambda was unable to configure your environment variables because the "
            "environment variables you have provided contains reserved keys that are "
            f"currently not supported for modification. Reserved keys used in this request: "
            f"{','.join(reserved)}"
        )
    measured = json.dumps(dict(variables), separators=(",", ":"))
    if len(measured.encode()) > ENV_LIMIT_BYTES:
        raise InvalidParameterValue(
            "Lambda was unable to configure your environment variables because the "
            "environment variables you have provided exceeded the 4KB limit. "
            f"String measured: {measured}"
        )


def check_tags(tags: Mapping[str, str]) -> None:
    if len(tags) > 50:
        raise InvalidParameterValue("Number of tags exceeds resource tag limit of 50.")
    for key, value in tags.items():
        if not 1 <= len(key) <= 128 or len(value) > 256:
            raise InvalidParameterValue(
                f"Tag key must be 1-128 and value at most 256 characters: {key!r}"
            )
        if key.lower().startswith("aws:"):
            raise InvalidParameterValue(
                f"Tag key '{key}' is invalid: the 'aws:' prefix is reserved."
            )


_DEAD_LETTER = re.compile(r"arn:aws[a-zA-Z-]*:(sqs|sns):[a-z0-9-]+:\d{12}:[a-zA-Z0-9_-]{1,256}")


def check_dead_letter_target(arn: str) -> None:
    """A DeadLetterConfig's TargetArn: a standard queue or a topic, as on Lambda."""
    if not _DEAD_LETTER.fullmatch(arn):
        raise InvalidParameterValue(
            f"The provided target ARN {arn} is invalid: a dead-letter queue must be an "
            "Amazon SQS standard queue or an Amazon SNS topic."
        )

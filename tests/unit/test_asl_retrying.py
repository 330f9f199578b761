"""Retry and Catch: which rule handles an error (the wildcards of AWS's error-handling
guide), attempts, and the delay before each retry (backoff, cap, jitter)."""

from __future__ import annotations

from typing import Any

import pytest

from altus.asl import retrying


@pytest.mark.parametrize(
    ("error_equals", "error", "expected"),
    [
        (["States.ALL"], "Lambda.ServiceException", True),
        (["States.ALL"], "States.Timeout", True),
        (["States.ALL"], "States.TaskFailed", True),
        (["States.ALL"], "CustomError", True),
        (["States.ALL"], "States.Runtime", False),
        (["States.ALL"], "States.DataLimitExceeded", True),
        (["States.TaskFailed"], "Lambda.Unknown", True),
        (["States.TaskFailed"], "States.HeartbeatTimeout", True),
        (["States.TaskFailed"], "States.Permissions", True),
        (["States.TaskFailed"], "States.TaskFailed", True),
        (["States.TaskFailed"], "States.Timeout", False),
        (["States.TaskFailed"], "States.Runtime", False),
        (["States.Timeout"], "States.Timeout", True),
        (["States.Timeout"], "States.HeartbeatTimeout", False),
        (["CustomError"], "CustomError", True),
        (["CustomError"], "customerror", False),
        (["A", "B"], "B", True),
        ([], "A", False),
        (["States.Runtime"], "States.Runtime", True),
    ],
)
def test_matches(error_equals: list[str], error: str, expected: bool) -> None:
    assert retrying.matches(error_equals, error) is expected


def test_find_takes_the_first_match() -> None:
    rules = [
        {"ErrorEquals": ["States.Timeout"]},
        {"ErrorEquals": ["Lambda.ServiceException", "Lambda.SdkClientException"]},
        {"ErrorEquals": ["States.ALL"]},
    ]
    assert retrying.find(rules, "States.Timeout") == 0
    assert retrying.find(rules, "Lambda.SdkClientException") == 1
    assert retrying.find(rules, "Other") == 2
    assert retrying.find(rules, "States.Runtime") is None
    assert retrying.find([], "Other") is None


@pytest.mark.parametrize(
    ("retrier", "retries_done", "draw", "seconds"),
    [
        ({}, 0, 0.5, 1.0),
        ({}, 1, 0.5, 2.0),
        ({}, 2, 0.5, 4.0),
        ({"IntervalSeconds": 3}, 0, 0.5, 3.0),
        ({"IntervalSeconds": 3, "BackoffRate": 1.5}, 2, 0.5, 6.75),
        ({"IntervalSeconds": 3, "BackoffRate": 1}, 5, 0.5, 3.0),
        ({"IntervalSeconds": 1, "BackoffRate": 2, "MaxDelaySeconds": 5}, 10, 0.5, 5.0),
        ({"IntervalSeconds": 4, "JitterStrategy": "FULL"}, 1, 0.25, 2.0),
        ({"IntervalSeconds": 4, "JitterStrategy": "FULL", "MaxDelaySeconds": 6}, 3, 0.5, 3.0),
        ({"IntervalSeconds": 4, "JitterStrategy": "NONE"}, 1, 0.25, 8.0),
    ],
)
def test_delay(retrier: dict[str, Any], retries_done: int, draw: float, seconds: float) -> None:
    assert retrying.delay(retrier, retries_done, draw) == pytest.approx(seconds)


def test_max_attempts() -> None:
    assert retrying.max_attempts({}) == 3
    assert retrying.max_attempts({"MaxAttempts": 0}) == 0
    assert retrying.max_attempts({"MaxAttempts": 10}) == 10

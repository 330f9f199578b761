"""SNS's delivery retry schedules: the fixed one of queues and functions, and HTTP/S
delivery policies' phases."""

from __future__ import annotations

from altus.sns.retries import http_delay, managed_delay


def test_queues_and_functions_retry_quickly_then_give_up() -> None:
    delays = [managed_delay(retry) for retry in range(1, 17)]
    assert delays[:3] == [0.0, 0.0, 0.0]
    assert delays[3:5] == [1.0, 1.0]
    assert delays[5:15] == [1.0, 2.0, 4.0, 8.0, 16.0, 20.0, 20.0, 20.0, 20.0, 20.0]
    assert delays[15] is None


def test_http_default_is_three_retries_twenty_seconds_apart() -> None:
    assert [http_delay({}, retry) for retry in range(1, 5)] == [20.0, 20.0, 20.0, None]


def test_http_policy_phases() -> None:
    policy = {
        "numRetries": 10,
        "numNoDelayRetries": 2,
        "numMinDelayRetries": 2,
        "numMaxDelayRetries": 2,
        "minDelayTarget": 1,
        "maxDelayTarget": 9,
        "backoffFunction": "linear",
    }
    delays = [http_delay(policy, retry) for retry in range(1, 12)]
    assert delays[:2] == [0.0, 0.0]
    assert delays[2:4] == [1.0, 1.0]
    assert delays[4:8] == [1.0, 1.0 + 8 / 3, 1.0 + 16 / 3, 9.0]
    assert delays[8:10] == [9.0, 9.0]
    assert delays[10] is None
    rising = {**policy, "backoffFunction": "exponential"}
    assert [http_delay(rising, retry) for retry in range(5, 9)] == [1.0, 2.0, 4.0, 8.0]
    geometric = {**policy, "backoffFunction": "geometric"}
    assert [http_delay(geometric, retry) for retry in (5, 8)] == [1.0, 9.0]
    arithmetic = {**policy, "backoffFunction": "arithmetic"}
    steps = [http_delay(arithmetic, retry) or 0.0 for retry in range(5, 9)]
    assert steps[0] == 1.0 and steps[-1] == 9.0 and steps == sorted(steps)

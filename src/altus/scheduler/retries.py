"""When a failed occurrence is tried again, and when Scheduler gives up.

A target's ``RetryPolicy``: ``MaximumRetryAttempts`` (0-185, default 185) and
``MaximumEventAgeInSeconds`` (60-86400, default 86400) from when the occurrence was
meant to fire (its scheduled time plus its flexible delay: ``Delivery.fired_ms``). AWS
retries with exponential back-off and documents no curve; Altus doubles the delay from
1 second to a ceiling of 5 minutes, each drawn from its upper half (never in lockstep).
Pure functions; the random draw is passed in, so tests fix it.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

FIRST_DELAY_S = 1.0
MAX_DELAY_S = 300.0
DEFAULT_RETRIES = 185
DEFAULT_AGE_S = 86400

#: The ``EXHAUSTED_RETRY_CONDITION`` a dead-letter message gives.
RETRIES_SPENT = "MaximumRetryAttempts"
TOO_OLD = "MaximumEventAgeInSeconds"


def backoff(retry: int, draw: Callable[[], float] = random.random) -> float:
    """Seconds before retry number ``retry`` (1 for the first)."""
    ceiling = min(FIRST_DELAY_S * float(2 ** min(retry - 1, 32)), MAX_DELAY_S)
    return float(ceiling / 2 + ceiling / 2 * draw())


@dataclass(frozen=True, slots=True)
class Next:
    """The retry's due time (epoch ms), or why there is none."""

    due_ms: int | None
    exhausted: str | None = None


def max_age_s(policy: Mapping[str, Any] | None) -> int:
    """The policy's MaximumEventAgeInSeconds (or its default)."""
    age = (policy or {}).get("MaximumEventAgeInSeconds")
    return DEFAULT_AGE_S if age is None else int(age)


def next_attempt(
    policy: Mapping[str, Any] | None,
    retry: int,
    now_ms: int,
    fired_ms: int,
    draw: Callable[[], float] = random.random,
) -> Next:
    policy = policy or {}
    attempts = policy.get("MaximumRetryAttempts")
    max_retries = DEFAULT_RETRIES if attempts is None else int(attempts)
    if retry > max_retries:
        return Next(None, RETRIES_SPENT)
    due = now_ms + int(backoff(retry, draw) * 1000)
    if due > fired_ms + max_age_s(policy) * 1000:
        return Next(None, TOO_OLD)
    return Next(due)

"""When a failed delivery is tried again, and when EventBridge gives up.

AWS retries "with an exponential back off and jitter" for up to a target's
``MaximumEventAgeInSeconds`` (default 24 hours) and ``MaximumRetryAttempts`` (default
185) and documents no curve. Altus doubles the delay from 1 second up to a ceiling of
5 minutes, each delay drawn at random from its upper half (so retries never come at
once, and never in lockstep): 185 retries then span about 15 hours, inside the default
age. Pure functions; the random draw is passed in, so tests fix it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

FIRST_DELAY_S = 1.0
MAX_DELAY_S = 300.0

#: The ``EXHAUSTED_RETRY_CONDITION`` a dead-letter record gives.
RETRIES_SPENT = "MaximumRetryAttempts"
TOO_OLD = "MaximumEventAgeInSeconds"


def backoff(retry: int, draw: Callable[[], float] = random.random) -> float:
    """Seconds before retry number ``retry`` (1 for the first): the capped exponential
    delay, jittered within its upper half (``draw`` gives [0, 1))."""
    ceiling = min(FIRST_DELAY_S * float(2 ** min(retry - 1, 32)), MAX_DELAY_S)
    return float(ceiling / 2 + ceiling / 2 * draw())


@dataclass(frozen=True, slots=True)
class Next:
    """The retry's due time (epoch ms), or why there is none."""

    due_ms: int | None
    exhausted: str | None = None


def next_attempt(
    retry: int,
    now_ms: int,
    ingested_ms: int,
    max_retries: int,
    max_age_s: int,
    draw: Callable[[], float] = random.random,
) -> Next:
    """When retry number ``retry`` comes, under a target's retry policy: never once
    the retries are spent, or once it would come after the event is too old."""
    if retry > max_retries:
        return Next(None, RETRIES_SPENT)
    due = now_ms + int(backoff(retry, draw) * 1000)
    if due > ingested_ms + max_age_s * 1000:
        return Next(None, TOO_OLD)
    return Next(due)

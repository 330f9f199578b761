"""When a failed delivery is tried again: SNS's delivery policies as schedules of
delays, pure functions of the retry's number.

Queues and functions (AWS-managed endpoints) get SNS's fixed policy's first three
phases: 3 retries at once, 2 a second apart, 10 backing off exponentially from 1 to 20
seconds. AWS then goes on 100,000 times 20 seconds apart (23 days); Altus gives up after
the backoff phase (about two minutes of retries), and the delivery goes to the
subscription's dead-letter queue if it has one, else it is dropped and logged.

HTTP/S endpoints follow the subscription's (or the topic's) healthy retry policy:
``numNoDelayRetries`` at once, ``numMinDelayRetries`` ``minDelayTarget`` apart, the
backoff phase from ``minDelayTarget`` to ``maxDelayTarget`` by ``backoffFunction``,
``numMaxDelayRetries`` at ``maxDelayTarget``; ``numRetries`` in all. SNS's default is
three retries 20 seconds apart. AWS documents the backoff functions only as curves: the
delays here rise evenly (``linear``), by growing steps (``arithmetic``), by a constant
ratio (``geometric``) or by doubling (``exponential``), each from the minimum to the
maximum over the phase. No jitter is added.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from altus.sns.attributes import DEFAULT_HEALTHY_RETRY

#: AWS-managed endpoints: (retries, seconds apart) of the immediate and pre-backoff
#: phases, then the backoff phase's length and bounds.
_MANAGED_IMMEDIATE = 3
_MANAGED_PRE = 2
_MANAGED_BACKOFF = 10
_MANAGED_LOW, _MANAGED_HIGH = 1.0, 20.0


def managed_delay(retry: int) -> float | None:
    """Seconds before retry number ``retry`` (1 for the first) of a queue or function
    delivery; None once the policy is spent."""
    if retry <= _MANAGED_IMMEDIATE:
        return 0.0
    if retry <= _MANAGED_IMMEDIATE + _MANAGED_PRE:
        return _MANAGED_LOW
    step = retry - _MANAGED_IMMEDIATE - _MANAGED_PRE
    if step <= _MANAGED_BACKOFF:
        return float(min(_MANAGED_LOW * 2 ** (step - 1), _MANAGED_HIGH))
    return None


def _backoff(kind: str, step: int, steps: int, low: float, high: float) -> float:
    if steps <= 1 or high <= low:
        return high
    share = (step - 1) / (steps - 1)
    if kind == "arithmetic":
        share = (step * (step - 1) / 2) / (steps * (steps - 1) / 2)
    elif kind == "geometric" and low > 0:
        return float(low * (high / low) ** share)
    elif kind == "exponential":
        return float(min(max(low, 1.0) * 2 ** (step - 1), high))
    return low + (high - low) * share


def http_delay(policy: Mapping[str, Any], retry: int) -> float | None:
    """Seconds before retry number ``retry`` of an HTTP/S delivery under a healthy
    retry policy (SNS's defaults for what it leaves out); None once it is spent."""
    merged = {**DEFAULT_HEALTHY_RETRY, **policy}
    total = int(merged["numRetries"])
    low, high = float(merged["minDelayTarget"]), float(merged["maxDelayTarget"])
    immediate = int(merged["numNoDelayRetries"])
    pre = int(merged["numMinDelayRetries"])
    post = int(merged["numMaxDelayRetries"])
    if retry > total:
        return None
    if retry <= immediate:
        return 0.0
    if retry <= immediate + pre:
        return low
    steps = total - immediate - pre - post
    step = retry - immediate - pre
    if step <= steps:
        return _backoff(str(merged["backoffFunction"]), step, steps, low, high)
    return high

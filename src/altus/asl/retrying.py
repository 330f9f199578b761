"""Which retrier or catcher handles an error, how many attempts a retrier allows, and how
long it waits before the next one.

Matching is by name, case-sensitive, in the order the rules are written: the first rule
whose ``ErrorEquals`` names the error (or a wildcard covering it) wins. The wildcards, from
AWS's error-handling guide:

- ``States.ALL`` matches every error but ``States.Runtime``. The guide calls
  ``States.DataLimitExceeded`` terminal too, but AWS's recorded executions show a
  ``["States.ALL"]`` catcher taking a task whose result was over the quota, and the
  interpreter follows the recordings; an oversized state input or output never reaches
  these rules (the interpreter ends the execution with it first).
- ``States.TaskFailed`` matches "any known error name except ``States.Timeout``": a task's
  own errors (``Lambda.ServiceException``, a function's ``errorType``) and the other
  ``States.*`` errors a task can raise (``States.HeartbeatTimeout``,
  ``States.Permissions``...), never the terminal ones."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from altus.asl.errors import ALL, RUNTIME, TASK_FAILED, TERMINAL, TIMEOUT

DEFAULT_INTERVAL_SECONDS = 1
DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_BACKOFF_RATE = 2.0
JITTER_FULL = "FULL"
JITTER_NONE = "NONE"


def matches(error_equals: Sequence[str], error: str) -> bool:
    """Whether a rule naming ``error_equals`` handles ``error``."""
    for name in error_equals:
        if name == error:
            return True
        if name == ALL and error != RUNTIME:
            return True
        if name == TASK_FAILED and error != TIMEOUT and error not in TERMINAL:
            return True
    return False


def find(rules: Sequence[Mapping[str, Any]], error: str) -> int | None:
    """The index of the first retrier or catcher in ``rules`` that handles ``error``."""
    for index, rule in enumerate(rules):
        if matches(rule.get("ErrorEquals", ()), error):
            return index
    return None


def max_attempts(retrier: Mapping[str, Any]) -> int:
    """How many times the retrier retries (``MaxAttempts``, default 3; 0: never)."""
    return int(retrier.get("MaxAttempts", DEFAULT_MAX_ATTEMPTS))


def delay(retrier: Mapping[str, Any], retries_done: int, draw: float) -> float:
    """Seconds to wait before retry number ``retries_done + 1``.

    ``IntervalSeconds * BackoffRate ** retries_done``, capped by ``MaxDelaySeconds``; with
    ``JitterStrategy: FULL`` a random share of it (``draw`` in [0, 1), recorded by the
    interpreter before it is used), so that many executions retrying together spread out.
    Unscaled: the interpreter applies the host's time scale."""
    interval = float(retrier.get("IntervalSeconds", DEFAULT_INTERVAL_SECONDS))
    rate = float(retrier.get("BackoffRate", DEFAULT_BACKOFF_RATE))
    seconds = interval * rate**retries_done
    cap = retrier.get("MaxDelaySeconds")
    if cap is not None:
        seconds = min(seconds, float(cap))
    if retrier.get("JitterStrategy", JITTER_NONE) == JITTER_FULL:
        seconds *= draw
    return seconds

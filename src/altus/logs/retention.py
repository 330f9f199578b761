"""How long a log group keeps its events: the retention periods CloudWatch Logs allows,
and the cutoff a period gives.

The model types ``retentionInDays`` as a bare integer and lists the allowed values only
in its documentation of the ``Days`` shape; CloudWatch Logs refuses any other as a
broken enum constraint, in Coral's words. ``tests/unit/test_logs_rules.py`` checks this
list against botocore's model.
"""

from __future__ import annotations

from altus.api.validate import Problem, coral_message
from altus.logs.errors import InvalidParameter

#: The periods PutRetentionPolicy accepts, in days (the model's ``Days`` documentation).
ALLOWED_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

DAY_MS = 86_400_000


def check_days(days: int) -> int:
    """``days`` if it is an allowed period; else CloudWatch Logs' refusal."""
    if days not in ALLOWED_DAYS:
        allowed = ", ".join(str(d) for d in ALLOWED_DAYS)
        problem = Problem(
            "constraint",
            "retentionInDays",
            "retentionInDays",
            f"'{days}'",
            f"Member must satisfy enum value set: [{allowed}]",
        )
        raise InvalidParameter(coral_message([problem]))
    return days


def cutoff(days: int, now_ms: int) -> int:
    """The earliest event time a group keeping ``days`` days still holds at ``now_ms``."""
    return now_ms - days * DAY_MS

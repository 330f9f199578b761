"""The IAM action each CloudWatch operation needs: ``cloudwatch:<Operation>`` on ``*``.
CloudWatch authorises its metric operations on no resource (they take none: the
service authorisation reference lists ``*`` for PutMetricData, GetMetricData,
GetMetricStatistics and ListMetrics), and the action prefix is ``cloudwatch``, not the
signing name ``monitoring``."""

from __future__ import annotations

from altus.api.spec import Members
from altus.cloudwatch.component import Metrics


def actions(metrics: Metrics, operation: str, members: Members) -> tuple[str, str]:
    return f"cloudwatch:{operation}", "*"

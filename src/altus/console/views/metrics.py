"""Lambda's CloudWatch metrics (``AWS/Lambda``) read with GetMetricData, one query per
function and metric, and drawn with ``charts``."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from altus.console.api import Api
from altus.console.charts import Series, chart


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    stat: str
    title: str
    unit: str = ""
    kind: str = "line"


DASHBOARD = (
    Metric("Invocations", "Sum", "Invocations", kind="bar"),
    Metric("Errors", "Sum", "Errors", kind="bar"),
    Metric("Throttles", "Sum", "Throttles", kind="bar"),
    Metric("Duration", "p95", "Duration p95", unit="ms"),
    Metric("ConcurrentExecutions", "Maximum", "Concurrent executions"),
)
FUNCTION = (
    Metric("Invocations", "Sum", "Invocations", kind="bar"),
    Metric("Errors", "Sum", "Errors", kind="bar"),
    Metric("Duration", "p95", "Duration p95", unit="ms"),
)
#: The periods a page may show, in seconds, and the resolution of each.
RANGES = {"1h": (3600, 60), "3h": (10800, 300), "24h": (86400, 900), "7d": (604800, 3600)}
#: At most this many functions get a line of their own on the dashboard.
MAX_FUNCTIONS = 7


async def charts(
    api: Api, functions: Sequence[str], metrics: Sequence[Metric], now: float, span: str
) -> list[str]:
    """One SVG chart per metric, a line (or bars) per function."""
    seconds, period = RANGES.get(span, RANGES["1h"])
    start, end = now - seconds, now
    queries = []
    for m_index, metric in enumerate(metrics):
        for f_index, name in enumerate(functions[:MAX_FUNCTIONS]):
            queries.append(
                {
                    "Id": f"m{m_index}f{f_index}",
                    "Label": name,
                    "ReturnData": True,
                    "MetricStat": {
                        "Metric": {
                            "Namespace": "AWS/Lambda",
                            "MetricName": metric.name,
                            "Dimensions": [{"Name": "FunctionName", "Value": name}],
                        },
                        "Period": period,
                        "Stat": metric.stat,
                    },
                }
            )
    found: dict[str, list[tuple[float, float]]] = {}
    if queries:
        answer = await api.call(
            "cloudwatch",
            "GetMetricData",
            MetricDataQueries=queries,
            StartTime=_date(start),
            EndTime=_date(end),
        )
        for result in answer.get("MetricDataResults") or ():
            points = [
                (_seconds(t), float(v))
                for t, v in zip(
                    result.get("Timestamps") or (), result.get("Values") or (), strict=False
                )
            ]
            found[str(result.get("Id"))] = points
    out = []
    for m_index, metric in enumerate(metrics):
        series = [
            Series(name, tuple(found.get(f"m{m_index}f{f_index}", ())))
            for f_index, name in enumerate(functions[:MAX_FUNCTIONS])
        ]
        out.append(
            chart(
                series, title=metric.title, unit=metric.unit, start=start, end=end, kind=metric.kind
            )
        )
    return out


def _date(seconds: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC)


def _seconds(value: object) -> float:
    if isinstance(value, int | float):
        return float(value)
    text = str(value).replace("Z", "+00:00")
    return datetime.datetime.fromisoformat(text).timestamp()

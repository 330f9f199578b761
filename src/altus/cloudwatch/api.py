"""The CloudWatch metrics operations: PutMetricData, GetMetricStatistics, GetMetricData
(MetricStat queries; metric math is refused) and ListMetrics."""

from __future__ import annotations

import re
from typing import Any

from altus.api.spec import Call, Members
from altus.cloudwatch.component import Metrics
from altus.cloudwatch.errors import (
    InvalidNextToken,
    InvalidParameterCombination,
    InvalidParameterValue,
    MissingParameter,
    Validation,
)
from altus.cloudwatch.puts import aggregates
from altus.cloudwatch.reads import (
    BAD_TOKEN,
    Span,
    dimensions_of,
    make_token,
    moment,
    periods,
    read_token,
)
from altus.cloudwatch.rollups import DAY, HOUR, valid_period
from altus.cloudwatch.statistics import known, percentile, value
from altus.cloudwatch.store import MetricInfo
from altus.observe.metrics import Dimensions

#: GetMetricStatistics' most datapoints (periods) a call may ask for.
MAX_DATAPOINTS = 1440
#: GetMetricData's most queries, and its default (and largest) page of datapoints.
MAX_QUERIES = 500
MAX_PAGE = 100_800
#: ListMetrics' page.
LIST_PAGE = 500
_QUERY_ID = re.compile(r"[a-z][a-zA-Z0-9_]*")
_PERIODS = "1, 5, 10, 30 or a multiple of 60"


async def put_metric_data(metrics: Metrics, call: Call, input: Members) -> Members:
    kept = aggregates(input, metrics.clock.now())
    await metrics.keep(kept)
    return {}


async def get_metric_statistics(metrics: Metrics, call: Call, input: Members) -> Members:
    stats: list[str] = list(input.get("Statistics") or ())
    extended: list[str] = list(input.get("ExtendedStatistics") or ())
    if stats and extended:
        raise InvalidParameterCombination(
            "The parameters Statistics and ExtendedStatistics are mutually exclusive and you "
            "have specified both."
        )
    if not stats and not extended:
        raise MissingParameter("The parameter Statistics or ExtendedStatistics is required.")
    for stat in extended:
        if percentile(stat) is None:
            raise InvalidParameterValue(
                f"The value {stat} for parameter ExtendedStatistics is not a valid percentile "
                "(p0 to p100, with up to two decimals: p99, p99.9)."
            )
    period: int = input["Period"]
    if not valid_period(period):
        raise InvalidParameterValue(f"The parameter Period must be {_PERIODS}.")
    start, end = input["StartTime"], input["EndTime"]
    if start >= end:
        raise InvalidParameterValue(_order_message(start, end))
    now = metrics.now()
    span = Span.of(start, end, period, now)
    if span.count > MAX_DATAPOINTS:
        raise InvalidParameterCombination(
            f"You have requested up to {span.count} datapoints, which exceeds the limit of "
            f"{MAX_DATAPOINTS}. You may reduce the datapoints requested by increasing Period, "
            "or decreasing the time range."
        )
    found = await periods(
        metrics.store,
        input["Namespace"],
        input["MetricName"],
        dimensions_of(input.get("Dimensions")),
        input.get("Unit"),
        span,
        now,
        percentiles=bool(extended),
        by_unit=True,
    )
    datapoints: list[dict[str, Any]] = []
    for (second, unit), values in sorted(found.items()):
        point: dict[str, Any] = {"Timestamp": moment(second), "Unit": unit}
        for stat in stats:
            point[stat] = value(stat, values)
        shown = {stat: v for stat in extended if (v := value(stat, values)) is not None}
        if shown:
            point["ExtendedStatistics"] = shown
        datapoints.append(point)
    return {"Label": input["MetricName"], "Datapoints": datapoints}


# --- GetMetricData -----------------------------------------------------------------------


def _checked_queries(queries: list[dict[str, Any]]) -> None:
    if len(queries) > MAX_QUERIES:
        raise Validation(
            f"The collection MetricDataQueries must not have a size greater than {MAX_QUERIES}."
        )
    ids = [q["Id"] for q in queries]
    if len(set(ids)) != len(ids):
        raise Validation("The values for parameter Id in MetricDataQueries are not unique.")
    for index, query in enumerate(queries, 1):
        path = f"MetricDataQueries.member.{index}"
        if query.get("Expression") is not None:
            raise Validation(
                f"Metric math is not supported by Altus: {path} (Id {query['Id']}) has an "
                "Expression. Altus serves GetMetricData queries with a MetricStat only."
            )
        if not _QUERY_ID.fullmatch(query["Id"]):
            raise Validation(
                f"The value {query['Id']} for parameter {path}.Id is not valid: it must begin "
                "with a lowercase letter and hold only letters, digits and underscores."
            )
        stat = query.get("MetricStat")
        if stat is None:
            raise Validation(f"{path} must have either a MetricStat or an Expression.")
        metric = stat["Metric"]
        if not metric.get("Namespace") or not metric.get("MetricName"):
            raise Validation(f"{path}.MetricStat.Metric must have a Namespace and a MetricName.")
        if not valid_period(stat["Period"]):
            raise Validation(f"The parameter {path}.MetricStat.Period must be {_PERIODS}.")
        if not known(stat["Stat"]):
            raise Validation(
                f"The statistic {stat['Stat']} of {path}.MetricStat is not supported by Altus: "
                "use SampleCount, Average, Sum, Minimum, Maximum or a percentile (p99, p99.9)."
            )


def _remaining(span: Span, after: int | None, descending: bool) -> Span:
    """The part of a query's span a page after ``after`` (the last timestamp of the
    previous page) may still show: its windows beginning after it (before it, when
    descending). Pages read no more than what is left to show."""
    if after is None:
        return span
    if descending:
        if after <= span.start:
            return Span(span.start, span.start, span.period)
        return Span(span.start, min(span.end, span.window(after - 1) + span.period), span.period)
    if after < span.start:
        return span
    return Span(min(span.end, span.window(after) + span.period), span.end, span.period)


async def _series(
    metrics: Metrics,
    query: dict[str, Any],
    start: Any,
    end: Any,
    now: int,
    after: int | None,
    descending: bool,
) -> dict[int, float]:
    stat = query["MetricStat"]
    metric = stat["Metric"]
    span = _remaining(Span.of(start, end, stat["Period"], now), after, descending)
    if span.count == 0:
        return {}
    found = await periods(
        metrics.store,
        metric["Namespace"],
        metric["MetricName"],
        dimensions_of(metric.get("Dimensions")),
        stat.get("Unit"),
        span,
        now,
        percentiles=percentile(stat["Stat"]) is not None,
        by_unit=False,
    )
    series: dict[int, float] = {}
    for (second, _), values in found.items():
        result = value(stat["Stat"], values)
        if result is not None:
            series[second] = result
    return series


def _order_message(start: Any, end: Any) -> str:
    """What CloudWatch says of a StartTime not before its EndTime."""
    if start == end:
        return "The parameter StartTime must not equal parameter EndTime."
    return "The parameter StartTime must be less than the parameter EndTime."


async def get_metric_data(metrics: Metrics, call: Call, input: Members) -> Members:
    queries: list[dict[str, Any]] = list(input["MetricDataQueries"])
    _checked_queries(queries)
    start, end = input["StartTime"], input["EndTime"]
    if start >= end:
        raise Validation(_order_message(start, end))
    limit = input.get("MaxDatapoints", MAX_PAGE)
    if limit < 1:
        raise Validation("The parameter MaxDatapoints must be greater than 0.")
    descending = input.get("ScanBy", "TimestampDescending") == "TimestampDescending"
    request = {k: v for k, v in input.items() if k != "NextToken"}
    # A token holds the last timestamp shown (not a place in a list): data arriving
    # between pages shifts no page, and a page reads only what is left.
    after: int | None = None
    if input.get("NextToken") is not None:
        after = read_token(input["NextToken"], request)
        if not isinstance(after, int) or isinstance(after, bool):
            raise InvalidNextToken(BAD_TOKEN)
    now = metrics.now()
    answered = [q for q in queries if q.get("ReturnData", True)]
    series = [await _series(metrics, q, start, end, now, after, descending) for q in answered]
    # A page holds whole timestamps (every query's value at each), as many as fit.
    moments = sorted({second for found in series for second in found}, reverse=descending)
    if after is not None:
        moments = [m for m in moments if (m < after if descending else m > after)]
    taken = 0
    stop = 0
    while stop < len(moments):
        here = sum(1 for found in series if moments[stop] in found)
        if taken + here > limit and stop > 0:
            break
        taken += here
        stop += 1
    page = moments[:stop]
    more = stop < len(moments)
    results = []
    for query, found in zip(answered, series, strict=True):
        shown = [second for second in page if second in found]
        results.append(
            {
                "Id": query["Id"],
                "Label": query.get("Label") or query["MetricStat"]["Metric"]["MetricName"],
                "Timestamps": [moment(second) for second in shown],
                "Values": [found[second] for second in shown],
                "StatusCode": "PartialData" if more else "Complete",
            }
        )
    output: dict[str, Any] = {"MetricDataResults": results, "Messages": []}
    if more:
        output["NextToken"] = make_token(page[-1], request)
    return output


# --- ListMetrics ---------------------------------------------------------------------------


def _matcher(filters: list[dict[str, Any]]) -> Any:
    wanted = [(str(f["Name"]), f.get("Value")) for f in filters]

    def match(dimensions: Dimensions) -> bool:
        held = dict(dimensions)
        return all(
            name in held and (value is None or held[name] == value) for name, value in wanted
        )

    return match


async def list_metrics(metrics: Metrics, call: Call, input: Members) -> Members:
    request = {k: v for k, v in input.items() if k != "NextToken"}
    after: MetricInfo | None = None
    if input.get("NextToken") is not None:
        position = read_token(input["NextToken"], request)
        try:
            namespace, name, pairs = position
            after = MetricInfo(namespace, name, tuple((str(n), str(v)) for n, v in pairs))
        except (TypeError, ValueError):
            raise InvalidNextToken(BAD_TOKEN) from None
    now = metrics.now()
    since = now - (3 * HOUR if input.get("RecentlyActive") == "PT3H" else 14 * DAY)
    found = await metrics.store.metrics(
        input.get("Namespace"),
        input.get("MetricName"),
        since,
        after,
        LIST_PAGE + 1,
        _matcher(list(input.get("Dimensions") or ())),
    )
    page = found[:LIST_PAGE]
    output: dict[str, Any] = {
        "Metrics": [
            {
                "Namespace": m.namespace,
                "MetricName": m.name,
                "Dimensions": [{"Name": n, "Value": v} for n, v in m.dimensions],
            }
            for m in page
        ]
    }
    if input.get("IncludeLinkedAccounts"):
        output["OwningAccounts"] = [metrics.account.account_id] * len(page)
    if len(found) > LIST_PAGE:
        last = page[-1]
        output["NextToken"] = make_token(
            [last.namespace, last.name, [list(p) for p in last.dimensions]], request
        )
    return output

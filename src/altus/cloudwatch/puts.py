"""PutMetricData's members made aggregates, with CloudWatch's refusals (pure).

What AWS documents (``PutMetricData``): at most 1000 metrics a request, at most 150
``Values`` a metric (with ``Counts`` of the same size), 30 dimensions, values within
-2^360..2^360 and no NaN or infinities, a timestamp within the past two weeks and no
more than two hours ahead, ``StorageResolution`` 1 (high resolution) or 60, and the
``AWS/`` namespaces reserved to AWS's own services. Errors are worded as CloudWatch
words them, members named as the query protocol numbers them
(``MetricData.member.1.Value``) whatever protocol the request came in.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping, Sequence
from typing import Any

from altus.cloudwatch.errors import (
    InvalidParameterCombination,
    InvalidParameterValue,
    MissingParameter,
)
from altus.cloudwatch.rollups import DAY, HOUR
from altus.observe.metrics import Aggregate, SeriesKey, Statistics

MAX_METRICS = 1000
MAX_VALUES = 150
MAX_DIMENSIONS = 30
#: Values must be within -2^360..2^360 (and not closer to zero than 2^-360 but zero).
LARGEST = 2.0**360
SMALLEST = 2.0**-360
#: How far from now a timestamp may be.
PAST = 14 * DAY
FUTURE = 2 * HOUR


def aggregates(members: Mapping[str, Any], now: float) -> list[Aggregate]:
    """Every datum of a request as an aggregate; the first refusal raised, nothing
    kept of a request refused."""
    namespace = str(members["Namespace"])
    if namespace.startswith("AWS/"):
        raise InvalidParameterValue(f"The value {namespace} for parameter Namespace is invalid.")
    data: list[Mapping[str, Any]] = list(members.get("MetricData") or ())
    # Entity-associated data (an entity's KeyAttributes tie it to a resource in the
    # console) is kept as plain data: Altus has no entities.
    for entity in members.get("EntityMetricData") or ():
        data.extend(entity.get("MetricData") or ())
    if not data:
        raise MissingParameter("The parameter MetricData is required.")
    if len(data) > MAX_METRICS:
        raise InvalidParameterValue(
            f"The collection MetricData must not have a size greater than {MAX_METRICS}."
        )
    return [
        datum_aggregate(namespace, datum, f"MetricData.member.{index}", now)
        for index, datum in enumerate(data, 1)
    ]


def datum_aggregate(namespace: str, datum: Mapping[str, Any], path: str, now: float) -> Aggregate:
    key = SeriesKey(
        namespace,
        str(datum["MetricName"]),
        _dimensions(datum.get("Dimensions") or (), path),
        str(datum.get("Unit") or "None"),
    )
    resolution = datum.get("StorageResolution", 60)
    if resolution not in (1, 60):
        raise InvalidParameterValue(
            f"The value {resolution} for parameter {path}.StorageResolution is invalid."
        )
    return Aggregate(
        key, _second(datum.get("Timestamp"), path, now), _values(datum, path), resolution
    )


def _dimensions(given: Sequence[Mapping[str, Any]], path: str) -> tuple[tuple[str, str], ...]:
    if len(given) > MAX_DIMENSIONS:
        raise InvalidParameterValue(
            f"The collection {path}.Dimensions must not have a size greater than {MAX_DIMENSIONS}."
        )
    pairs = {str(d["Name"]): str(d["Value"]) for d in given}
    if len(pairs) != len(given):
        names = [str(d["Name"]) for d in given]
        twice = next(n for i, n in enumerate(names) if n in names[:i])
        raise InvalidParameterValue(
            f"The collection {path}.Dimensions must not contain duplicate dimension names: "
            f"{twice} is given more than once."
        )
    return tuple(sorted(pairs.items()))


def _second(timestamp: Any, path: str, now: float) -> int:
    if timestamp is None:
        return int(now)
    assert isinstance(timestamp, datetime.datetime)
    moment = timestamp.timestamp()
    if moment < now - PAST:
        raise InvalidParameterValue(
            f"The parameter {path}.Timestamp must specify a time within the past two weeks."
        )
    if moment > now + FUTURE:
        raise InvalidParameterValue(
            f"The parameter {path}.Timestamp must specify a time no more than two hours "
            "in the future."
        )
    return math.floor(moment)


def _number(value: float, where: str) -> float:
    magnitude = abs(value)
    if not math.isfinite(value) or magnitude > LARGEST or (0 < magnitude < SMALLEST):
        shown = "NaN" if math.isnan(value) else repr(value)
        raise InvalidParameterValue(f"The value {shown} for parameter {where} is invalid.")
    return float(value)


def _values(datum: Mapping[str, Any], path: str) -> Statistics:
    given = [name for name in ("Value", "Values", "StatisticValues") if datum.get(name) is not None]
    if len(given) > 1:
        raise InvalidParameterCombination(
            f"The parameters {path}.{given[0]} and {path}.{given[1]} are mutually exclusive "
            "and you have specified both."
        )
    if "Counts" in datum and "Values" not in datum:
        raise InvalidParameterCombination(
            f"The parameter {path}.Counts may only be specified with {path}.Values."
        )
    if not given:
        raise MissingParameter(
            f"One of the parameters {path}.Value, {path}.Values or {path}.StatisticValues "
            "is required."
        )
    stats = Statistics()
    if given[0] == "Value":
        stats.add(_number(datum["Value"], f"{path}.Value"))
    elif given[0] == "Values":
        _add_values(stats, datum, path)
    else:
        stats = _statistic_set(datum["StatisticValues"], f"{path}.StatisticValues")
    return stats


def _add_values(stats: Statistics, datum: Mapping[str, Any], path: str) -> None:
    values: Sequence[float] = datum["Values"]
    counts: Sequence[float] | None = datum.get("Counts")
    if not values:
        raise InvalidParameterValue(f"The collection {path}.Values must not be empty.")
    if len(values) > MAX_VALUES:
        raise InvalidParameterValue(
            f"The collection {path}.Values must not have a size greater than {MAX_VALUES}."
        )
    if counts is not None and len(counts) != len(values):
        raise InvalidParameterValue(
            f"The parameters {path}.Values and {path}.Counts must be of the same size."
        )
    for index, value in enumerate(values):
        number = _number(value, f"{path}.Values.member.{index + 1}")
        count = 1.0 if counts is None else counts[index]
        if not math.isfinite(count) or count < 0:
            raise InvalidParameterValue(
                f"The value {count} for parameter {path}.Counts.member.{index + 1} is invalid."
            )
        if count > 0:
            stats.add(number, count)
    if stats.count == 0:
        raise InvalidParameterValue(f"The parameter {path}.Counts must count at least one value.")


def _statistic_set(given: Mapping[str, Any], path: str) -> Statistics:
    count = _number(given["SampleCount"], f"{path}.SampleCount")
    total = _number(given["Sum"], f"{path}.Sum")
    low = _number(given["Minimum"], f"{path}.Minimum")
    high = _number(given["Maximum"], f"{path}.Maximum")
    if count <= 0:
        raise InvalidParameterValue(
            f"The value {count} for parameter {path}.SampleCount is invalid."
        )
    if low > high:
        raise InvalidParameterValue(
            f"The parameter {path}.Maximum must be greater than {path}.Minimum."
        )
    if low == high:
        # Every sample's value is known: percentiles can be had of it (as AWS says).
        stats = Statistics()
        stats.add(low, count)
        stats.total = total
        return stats
    # Which values the samples had is not known: no percentile of a period holding it.
    return Statistics(count, total, low, high)

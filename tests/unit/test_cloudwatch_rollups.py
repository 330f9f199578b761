"""The metrics service's pure parts: rollup plans, which resolution a query reads and how
its start is rounded, statistics and percentiles of merged buckets, the packed
histogram, and PutMetricData's refusals."""

from __future__ import annotations

import datetime
import math
import random
from typing import Any

import pytest

from altus.cloudwatch import puts
from altus.cloudwatch.errors import (
    InvalidNextToken,
    InvalidParameterCombination,
    InvalidParameterValue,
    MissingParameter,
)
from altus.cloudwatch.reads import Span, make_token, read_token
from altus.cloudwatch.rollups import (
    DAY,
    HOUR,
    plan,
    reads,
    resolution_for,
    round_start,
    valid_period,
)
from altus.cloudwatch.statistics import has_percentiles, known, percentile, value
from altus.observe.metrics import (
    ACCURACY,
    Aggregate,
    SeriesKey,
    Statistics,
    pack_histogram,
    unpack_histogram,
)

NOW = 1_750_000_000 - 1_750_000_000 % 3600  # on the hour
KEY = SeriesKey("App", "Latency", (("Stage", "prod"),), "Milliseconds")


def stats(*values: float) -> Statistics:
    found = Statistics()
    for v in values:
        found.add(v)
    return found


# --- rollups ---------------------------------------------------------------------------------


def test_plan_adds_each_aggregate_to_every_resolution_at_once() -> None:
    second = NOW - 125
    gains = plan(
        [
            Aggregate(KEY, second, stats(1.0), resolution=1),
            Aggregate(KEY, second + 1, stats(3.0), resolution=1),
        ],
        NOW,
    )
    assert {(r, b) for _, r, b in gains} == {
        (1, second),
        (1, second + 1),
        (60, second - second % 60),
        (300, second - second % 300),
        (3600, second - second % 3600),
    }
    minute = gains[(KEY, 60, second - second % 60)]
    assert (minute.count, minute.total, minute.minimum, minute.maximum) == (2, 4.0, 1.0, 3.0)


def test_plan_keeps_standard_resolution_out_of_the_second_buckets() -> None:
    gains = plan([Aggregate(KEY, NOW - 5, stats(1.0), resolution=60)], NOW)
    assert sorted(r for _, r, _ in gains) == [60, 300, 3600]


def test_plan_skips_resolutions_that_no_longer_keep_the_time() -> None:
    old = NOW - 4 * HOUR  # past the 3 hours of second buckets
    assert sorted(r for _, r, _ in plan([Aggregate(KEY, old, stats(1.0), 1)], NOW)) == [
        60,
        300,
        3600,
    ]
    older = NOW - 20 * DAY  # past the 15 days of minutes
    assert sorted(r for _, r, _ in plan([Aggregate(KEY, older, stats(1.0))], NOW)) == [300, 3600]


@pytest.mark.parametrize(
    ("period", "valid"),
    [
        *((p, True) for p in (1, 5, 10, 30, 60, 300, 3600)),
        *((p, False) for p in (2, 45, 90, 0, 61)),
    ],
)
def test_periods_are_1_5_10_30_or_multiples_of_60(period: int, valid: bool) -> None:
    assert valid_period(period) is valid


def test_start_is_rounded_by_its_age() -> None:
    assert round_start(NOW - 7, 1, NOW) == NOW - 7  # high resolution: to the second
    assert round_start(NOW - 61, 60, NOW) == NOW - 120
    recent = NOW - 20 * DAY - 7
    assert round_start(recent, 60, NOW) == recent - recent % 300
    old = NOW - 100 * DAY - 7
    assert round_start(old, 60, NOW) == old - old % 3600


def test_query_reads_the_coarsest_resolution_that_fits_exactly() -> None:
    day_ago = NOW - DAY
    assert resolution_for(3600, day_ago, NOW) == 3600
    assert resolution_for(300, day_ago, NOW) == 300
    assert resolution_for(60, day_ago, NOW) == 60
    assert resolution_for(7200, day_ago, NOW) == 3600
    # A start that is not on the hour: the hour buckets would straddle its periods.
    assert resolution_for(3600, day_ago + 300, NOW) == 300
    assert resolution_for(1, NOW - HOUR, NOW) == 1
    assert resolution_for(30, NOW - HOUR, NOW) == 1
    # Past every fitting resolution's retention: the coarsest that fits (it holds nothing).
    assert resolution_for(300, NOW - 20 * DAY, NOW) == 300
    assert resolution_for(60, NOW - 20 * DAY, NOW) == 60


def test_span_counts_its_periods() -> None:
    start = datetime.datetime.fromtimestamp(NOW - DAY, datetime.UTC)
    end = datetime.datetime.fromtimestamp(NOW, datetime.UTC)
    assert Span.of(start, end, 60, NOW).count == 1440
    assert Span.of(start, end, 1, NOW).count == 86_400
    assert Span.of(start, end, 3600, NOW).window(NOW - DAY + 3601) == NOW - DAY + 3600


# --- statistics ------------------------------------------------------------------------------


def test_statistics_of_merged_buckets() -> None:
    merged = stats(1.0, 2.0)
    merged.merge(stats(9.0))
    assert value("SampleCount", merged) == 3
    assert value("Sum", merged) == 12
    assert value("Average", merged) == 4
    assert value("Minimum", merged) == 1
    assert value("Maximum", merged) == 9


def test_percentiles_are_within_their_accuracy() -> None:
    rng = random.Random(7)
    values = [rng.lognormvariate(3, 1) for _ in range(5000)]
    halves = stats(*values[:2500]), stats(*values[2500:])
    halves[0].merge(halves[1])
    ordered = sorted(values)
    for p in (50.0, 90.0, 99.0, 99.9):
        exact = ordered[math.ceil(p / 100 * len(ordered)) - 1]
        found = value(f"p{p:g}", halves[0])
        assert found is not None
        assert abs(found - exact) <= ACCURACY * exact * 1.01
    assert value("p100", halves[0]) == max(values)


def test_no_percentile_of_negative_values_or_unknown_samples() -> None:
    assert value("p50", stats(-1.0, 2.0)) is None
    summarised = Statistics(10, 55.0, 1.0, 10.0)  # a statistic set: samples unknown
    assert not has_percentiles(summarised)
    assert value("p50", summarised) is None
    assert value("Average", summarised) == 5.5


@pytest.mark.parametrize(
    ("stat", "found"),
    [
        *[("p99", 99.0), ("p99.9", 99.9), ("p0", 0.0), ("p100", 100.0), ("p9.99", 9.99)],
        *((stat, None) for stat in ("p101", "p99.999", "tm99", "P50", "p", "p00", "p100.0", "p07")),
    ],
)
def test_percentile_names(stat: str, found: float | None) -> None:
    assert percentile(stat) == found
    assert known(stat) is (found is not None)


def test_packed_histograms_come_back_the_same() -> None:
    original = stats(0.0, 0.0, -3.5, 1e-9, 1.0, 1.0, 250.0, 1e300)
    copy = Statistics()
    unpack_histogram(pack_histogram(original), copy)
    assert (copy.histogram, copy.negative, copy.zeros) == (
        original.histogram,
        original.negative,
        original.zeros,
    )
    assert pack_histogram(Statistics()) == b""
    # The usual form: 16-bit indices and whole counts, 6 bytes a bucket after the header.
    plain = stats(*(float(v) for v in range(1, 101)))
    assert len(pack_histogram(plain)) == 17 + 6 * len(plain.histogram)
    fractional = Statistics()
    fractional.add(2.0, 0.5)
    copy = Statistics()
    unpack_histogram(pack_histogram(fractional), copy)
    assert copy.histogram == fractional.histogram
    with pytest.raises(ValueError, match="packed histogram"):
        unpack_histogram(b"\x01\x02", Statistics())


# --- PutMetricData ---------------------------------------------------------------------------


def put(*data: dict[str, Any], namespace: str = "App") -> list[Aggregate]:
    return puts.aggregates({"Namespace": namespace, "MetricData": list(data)}, float(NOW))


def test_values_counts_and_statistic_sets() -> None:
    [single, many, summarised, exact] = put(
        {"MetricName": "a", "Value": 2.0, "StorageResolution": 1},
        {"MetricName": "b", "Values": [1.0, 5.0], "Counts": [2.0, 1.0]},
        {
            "MetricName": "c",
            "StatisticValues": {"SampleCount": 4, "Sum": 10.0, "Minimum": 1.0, "Maximum": 4.0},
        },
        {
            "MetricName": "d",
            "StatisticValues": {"SampleCount": 3, "Sum": 6.0, "Minimum": 2.0, "Maximum": 2.0},
        },
    )
    assert (single.resolution, single.second, single.values.total) == (1, NOW, 2.0)
    assert (many.resolution, many.values.count, many.values.total) == (60, 3.0, 7.0)
    assert not has_percentiles(summarised.values)
    assert has_percentiles(exact.values) and value("p50", exact.values) == 2.0
    assert single.key.unit == "None"


def test_dimensions_are_sorted_into_the_series_key() -> None:
    [found] = put(
        {
            "MetricName": "a",
            "Value": 1.0,
            "Dimensions": [{"Name": "b", "Value": "2"}, {"Name": "a", "Value": "1"}],
        }
    )
    assert found.key.dimensions == (("a", "1"), ("b", "2"))


@pytest.mark.parametrize(
    ("datum", "error", "words"),
    [
        ({"MetricName": "a"}, MissingParameter, "is required"),
        (
            {"MetricName": "a", "Value": 1.0, "Values": [1.0]},
            InvalidParameterCombination,
            "MetricData.member.1.Value and MetricData.member.1.Values are mutually exclusive",
        ),
        ({"MetricName": "a", "Value": math.nan}, InvalidParameterValue, "The value NaN"),
        ({"MetricName": "a", "Value": 2.0**361}, InvalidParameterValue, "is invalid"),
        (
            {"MetricName": "a", "Values": [1.0] * 151},
            InvalidParameterValue,
            "must not have a size greater than 150",
        ),
        (
            {"MetricName": "a", "Values": [1.0, 2.0], "Counts": [1.0]},
            InvalidParameterValue,
            "must be of the same size",
        ),
        (
            {"MetricName": "a", "Value": 1.0, "StorageResolution": 30},
            InvalidParameterValue,
            "StorageResolution is invalid",
        ),
        (
            {
                "MetricName": "a",
                "Value": 1.0,
                "Timestamp": datetime.datetime.fromtimestamp(NOW - 15 * DAY, datetime.UTC),
            },
            InvalidParameterValue,
            "must specify a time within the past two weeks",
        ),
        (
            {
                "MetricName": "a",
                "Value": 1.0,
                "Timestamp": datetime.datetime.fromtimestamp(NOW + 3 * HOUR, datetime.UTC),
            },
            InvalidParameterValue,
            "no more than two hours in the future",
        ),
        (
            {
                "MetricName": "a",
                "StatisticValues": {"SampleCount": 2, "Sum": 3.0, "Minimum": 2.0, "Maximum": 1.0},
            },
            InvalidParameterValue,
            "Maximum must be greater than",
        ),
        (
            {
                "MetricName": "a",
                "Value": 1.0,
                "Dimensions": [{"Name": "x", "Value": "1"}, {"Name": "x", "Value": "2"}],
            },
            InvalidParameterValue,
            "duplicate dimension names: x is given more than once",
        ),
    ],
)
def test_refusals(datum: dict[str, Any], error: type[Exception], words: str) -> None:
    with pytest.raises(error, match=words):
        put(datum)


def test_aws_namespaces_and_too_many_metrics_are_refused() -> None:
    with pytest.raises(InvalidParameterValue, match="The value AWS/Lambda for parameter Namespace"):
        put({"MetricName": "a", "Value": 1.0}, namespace="AWS/Lambda")
    with pytest.raises(InvalidParameterValue, match="greater than 1000"):
        put(*({"MetricName": "a", "Value": 1.0} for _ in range(1001)))
    assert len(put(*({"MetricName": f"m{i}", "Value": 1.0} for i in range(1000)))) == 1000


def test_tokens_belong_to_their_request() -> None:
    token = make_token(5, {"a": 1})
    assert read_token(token, {"a": 1}) == 5
    with pytest.raises(InvalidNextToken):
        read_token(token, {"a": 2})
    with pytest.raises(InvalidNextToken):
        read_token("not a token", {"a": 1})


# --- review fixes ------------------------------------------------------------------------


def test_reads_count_nothing_after_the_end() -> None:
    t0 = NOW - HOUR
    # Period 300 ending two minutes in: the two minutes, not the five-minute bucket.
    assert reads(300, t0, t0 + 120, NOW) == [(60, t0, t0 + 120)]
    assert reads(3600, t0, t0 + HOUR, NOW) == [(3600, t0, t0 + HOUR)]
    # Whole hours, then whole five minutes, then minutes (the last one whole: a minute
    # is the finest standard data is kept at).
    assert reads(3600, t0 - HOUR, t0 + 725, NOW) == [
        (3600, t0 - HOUR, t0),
        (300, t0, t0 + 600),
        (60, t0 + 600, t0 + 780),
    ]
    assert reads(1, NOW - 20, NOW - 5, NOW) == [(1, NOW - 20, NOW - 5)]


def test_reads_serve_nothing_a_resolution_no_longer_keeps() -> None:
    # Per-second data is kept three hours: older is not served, pruned or not.
    assert reads(1, NOW - 5 * HOUR, NOW - 4 * HOUR, NOW) == []
    assert reads(1, NOW - 4 * HOUR, NOW, NOW) == [(1, NOW - 3 * HOUR, NOW)]
    # Minutes are kept 15 days: a query at period 60 reaching further reads from then.
    old = NOW - 16 * DAY
    assert reads(60, old, NOW - 14 * DAY, NOW) == [(60, NOW - 15 * DAY - 59, NOW - 14 * DAY)]


def test_p0_and_p100_are_the_exact_minimum_and_maximum() -> None:
    values = stats(3.3, 7.0, 1000.0)
    assert values.percentile(0) == 3.3
    assert value("p0", values) == 3.3
    assert value("p100", values) == 1000.0


def test_a_statistic_set_of_one_sample_keeps_its_maximum() -> None:
    [found] = put(
        {
            "MetricName": "s",
            "StatisticValues": {"SampleCount": 1, "Sum": 5.0, "Minimum": 1.0, "Maximum": 10.0},
        }
    )
    assert (found.values.minimum, found.values.maximum, found.values.total) == (1.0, 10.0, 5.0)
    assert not has_percentiles(found.values)


def test_empty_values_are_refused_as_empty() -> None:
    with pytest.raises(
        InvalidParameterValue, match=r"MetricData.member.1.Values must not be empty"
    ):
        put({"MetricName": "e", "Values": []})


def test_type_errors_name_members_as_cloudwatch_does() -> None:
    from altus.cloudwatch.spec import query_path

    assert query_path("metricData.1.member.timestamp") == "MetricData.member.1.Timestamp"
    assert (
        query_path("metricData.2.member.dimensions.3.member.value")
        == "MetricData.member.2.Dimensions.member.3.Value"
    )
    assert query_path("namespace") == "Namespace"


def test_values_at_the_limits_pack_and_come_back() -> None:
    values = stats(puts.LARGEST, puts.SMALLEST, 1.0)
    back = Statistics(values.count, values.total, values.minimum, values.maximum)
    unpack_histogram(pack_histogram(values), back)
    assert (back.histogram, back.zeros) == (values.histogram, values.zeros)
    assert back.percentile(100) == puts.LARGEST


def test_close_lets_a_flush_in_its_write_finish_then_flushes_again() -> None:
    import asyncio
    import types

    from altus.cloudwatch.component import Metrics

    class SlowStore:
        def __init__(self) -> None:
            self.written: list[float] = []
            self.entered = asyncio.Event()
            self.release = asyncio.Event()

        async def add(self, gains: Any, now: int) -> None:
            self.entered.set()
            await self.release.wait()
            self.written += [
                values.total for (_, seconds, _), values in gains.items() if seconds == 60
            ]

        async def prune(self, now: int, limit: int) -> int:
            return 0

    async def run() -> list[float]:
        store = SlowStore()
        context = types.SimpleNamespace(
            account=None,
            clock=types.SimpleNamespace(now=lambda: float(NOW)),
            settings=types.SimpleNamespace(metrics_flush_seconds=0.0),
        )
        metrics = Metrics(context, store)  # type: ignore[arg-type]
        metrics.put([Aggregate(KEY, NOW - 5, stats(1.0))])
        await metrics.start()
        await store.entered.wait()  # the periodic flush is in its write
        closing = asyncio.ensure_future(metrics.close())
        for _ in range(10):
            await asyncio.sleep(0)
        metrics.put([Aggregate(KEY, NOW - 65, stats(2.0))])
        store.release.set()
        await closing
        return sorted(store.written)

    assert asyncio.run(run()) == [1.0, 2.0]

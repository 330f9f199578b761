"""Power tuning's arithmetic and chart (``altus.awslambda.tuning_model``,
``tuning_chart``): percentiles, a size's summary, the best-size rules, the SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from altus.awslambda import tuning_chart
from altus.awslambda.tuning_model import (
    SUCCEEDED,
    Best,
    SizeResult,
    Tuning,
    best_sizes,
    iso,
    percentile,
    summarise,
)
from altus.prices import PriceTable, invocation_cost

SVG = "{http://www.w3.org/2000/svg}"


def result(memory: int, p50: float, cost: float, errors: int = 0) -> SizeResult:
    return SizeResult(memory, 10, errors, p50, p50 * 1.2, p50, None, cost)


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 21)]  # 1 .. 20
    assert percentile(values, 0.5) == 10
    assert percentile(values, 0.95) == 19
    assert percentile([7.0], 0.95) == 7
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2


def test_summarise() -> None:
    prices = PriceTable()
    costs = [invocation_cost(prices, "x86_64", 1024, b) for b in (10, 20)]
    summary = summarise(1024, 3, 1, [9.5, 19.2], [10, 20], costs, 120.5)
    assert summary.p50_ms == 9.5 and summary.p95_ms == 19.2
    assert summary.average_billed_ms == 15
    # 0.20 USD per million requests, plus 15 ms at 1 GB at 0.0000166667 per GB-s.
    assert summary.cost_per_million == pytest.approx(0.2 + 0.0000166667 * 0.015 * 1e6, rel=1e-5)
    assert summary.init_duration_ms == 120.5
    assert summary.errors == 1 and summary.failing
    empty = summarise(128, 3, 4, [], [], [], None)
    assert empty.p50_ms is None and empty.cost_per_million is None and empty.failing


def test_best_sizes() -> None:
    results = [
        result(128, p50=100, cost=0.40),
        result(256, p50=50, cost=0.41),
        result(512, p50=24, cost=0.60),
        result(1024, p50=20, cost=1.00),
    ]
    best = best_sizes(results)
    assert best.cost == 128 and best.speed == 1024
    # 0.5 * cost / 1.00 + 0.5 * p50 / 100: 0.70, 0.455, 0.42, 0.60.
    assert best.balanced == 512


def test_a_weight_of_one_is_cost_and_zero_speed() -> None:
    results = [result(128, 100, 0.4), result(256, 50, 0.41), result(1024, 20, 1.0)]
    assert best_sizes(results, weight=1.0).balanced == 128
    assert best_sizes(results, weight=0.0).balanced == 1024


def test_failing_sizes_are_never_best() -> None:
    results = [result(128, 5, 0.01, errors=1), result(256, 50, 0.41), result(512, 40, 0.5)]
    best = best_sizes(results)
    assert best == Best(cost=256, speed=512, balanced=best.balanced)
    assert best.balanced in (256, 512)
    assert best_sizes([result(128, 5, 0.01, errors=2)]) == Best()


def test_ties_go_to_the_smaller_size() -> None:
    results = [result(512, 10, 0.5), result(256, 10, 0.5)]
    assert best_sizes(results) == Best(256, 256, 256)


def tuning(results: list[SizeResult]) -> Tuning:
    return Tuning(
        tuning_id="t1",
        function="f<&>",
        qualifier="$LATEST",
        memory_sizes=tuple(r.memory_size for r in results),
        payload="{}",
        runs=10,
        parallel=False,
        status=SUCCEEDED,
        started=1_700_000_000.0,
        ended=1_700_000_010.0,
        results=tuple(results),
        best=best_sizes(results),
    )


def test_svg_is_xml_with_its_series() -> None:
    results = [
        result(128, 100, 0.4, errors=3),
        result(256, 50, 0.41),
        result(512, 24, 0.6),
        result(1024, 20, 1.0),
    ]
    root = ET.fromstring(tuning_chart.svg(tuning(results)).encode())
    assert root.tag == f"{SVG}svg"
    groups = {g.get("data-series"): g for g in root.iter(f"{SVG}g") if g.get("class") == "series"}
    assert set(groups) == {"p50", "p95", "cost"}
    for key, values in (("p50", [50, 24, 20]), ("cost", [0.41, 0.6, 1.0])):
        circles = list(groups[key].iter(f"{SVG}circle"))
        assert [int(c.get("data-memory", "")) for c in circles] == [256, 512, 1024]
        assert [float(c.get("data-value", "")) for c in circles] == values
        assert len(list(groups[key].iter(f"{SVG}polyline"))) == 1
    failing = [t for t in root.iter(f"{SVG}text") if t.get("data-failing")]
    assert [t.text for t in failing] == ["128 \u2717"]
    # Faster is higher on the chart's inverted y: 1024 MB's point sits lowest.
    ys = [float(c.get("cy", "")) for c in groups["p50"].iter(f"{SVG}circle")]
    assert ys == sorted(ys)


def test_svg_of_nothing_measured_yet() -> None:
    root = ET.fromstring(tuning_chart.svg(tuning([])).encode())
    assert list(root.iter(f"{SVG}circle")) == []


def test_html_holds_the_chart_and_table() -> None:
    page = tuning_chart.html(tuning([result(128, 10, 0.3), result(256, 6, 0.31)]))
    assert page.startswith("<!DOCTYPE html>")
    assert "<svg" in page and "<?xml" not in page
    assert "f&lt;&amp;&gt;" in page and "f<&>" not in page
    assert "Best for cost: 128 MB" in page


def test_round_trip_through_the_record() -> None:
    made = tuning([result(128, 10, 0.3)])
    data = made.to_record()
    again = Tuning.from_record("t1", "f<&>", "$LATEST", SUCCEEDED, made.started, made.ended, data)
    assert again == made
    assert made.to_api()["Started"] == iso(1_700_000_000.0) == "2023-11-14T22:13:20.000Z"

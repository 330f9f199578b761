"""The console's drawings, as data and SVG: time series charts (``altus.console.charts``)
and state machine graphs with an execution's outcomes (``altus.console.graph``)."""

from __future__ import annotations

import itertools
import math
import re
import xml.etree.ElementTree as ElementTree
from typing import Any

import pytest

from altus.console import charts, graph
from altus.console.charts import Series

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)  # well-formed XML, or this raises


# --- charts -----------------------------------------------------------------------------------


@pytest.mark.parametrize("top", [0, 1, 3, 7, 95, 1234, 0.37])
def test_value_ticks_are_round_and_cover_the_top(top: float) -> None:
    ticks = charts.value_ticks(top)
    assert ticks[0] == 0 and ticks[-1] >= top and 2 <= len(ticks) <= 6
    step = ticks[1]
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert round(mantissa, 6) in (1, 2, 5)
    assert all(abs(b - a - step) < 1e-9 for a, b in itertools.pairwise(ticks))


def test_time_ticks_fall_on_round_times() -> None:
    ticks = charts.time_ticks(1_000_000_030, 1_000_003_630)  # an hour
    assert 2 <= len(ticks) <= 5 and all(t % 900 == 0 for t in ticks)
    assert ticks[0] >= 1_000_000_030 and ticks[-1] <= 1_000_003_630


def test_a_line_chart_has_a_path_and_a_point_per_value() -> None:
    start = 1_700_000_000.0
    series = [Series("a", ((start + 60, 1.0), (start + 120, 4.0))), Series("b", ())]
    svg = charts.chart(series, title="Invocations", start=start, end=start + 600)
    root = _parse(svg)
    paths = root.findall(f"{SVG}path[@class='series']")
    assert [p.get("data-series") for p in paths] == ["a"]
    assert paths[0].get("d", "").count("L") == 1
    values = [c.get("data-value") for c in root.iter(f"{SVG}circle")]
    assert values == ["1", "4"]
    assert root.get("data-points") == "2"
    assert "No data" not in svg
    # The higher value is drawn higher (smaller y).
    ys = [float(c.get("cy", "0")) for c in root.iter(f"{SVG}circle")]
    assert ys[1] < ys[0]


def test_a_bar_chart_has_a_bar_per_value_and_a_legend_per_series() -> None:
    start = 1_700_000_000.0
    series = [Series("f1", ((start + 60, 2.0),)), Series("f2", ((start + 60, 3.0),))]
    root = _parse(charts.chart(series, title="Errors", start=start, end=start + 600, kind="bar"))
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]
    assert sorted(str(b.get("data-value")) for b in bars) == ["2", "3"]
    legend = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "legend"]
    assert legend == ["f1", "f2"]


def test_an_empty_chart_says_so_and_names_are_escaped() -> None:
    svg = charts.chart([Series("<b>", ())], title="T & U", start=0, end=3600)
    assert "No data in this period" in svg
    assert "<b>" not in svg and "T &amp; U" in svg
    _parse(svg)


# --- graphs -----------------------------------------------------------------------------------

CHOICE = {
    "StartAt": "Prepare",
    "States": {
        "Prepare": {"Type": "Pass", "Next": "Big?"},
        "Big?": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.n", "NumericGreaterThan": 3, "Next": "Work"}],
            "Default": "Small",
        },
        "Work": {
            "Type": "Task",
            "Resource": "arn:aws:lambda:us-east-1:000000000000:function:f",
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Small"}],
            "Next": "Again?",
        },
        "Again?": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.again", "BooleanEquals": True, "Next": "Prepare"}],
            "Default": "Done",
        },
        "Small": {"Type": "Fail", "Error": "TooSmall"},
        "Done": {"Type": "Succeed"},
    },
}


def test_states_are_layered_from_the_start() -> None:
    drawn = graph.layout(CHOICE)
    y = {n.name: n.y for n in drawn.nodes}
    assert y[graph.START] < y["Prepare"] < y["Big?"] < y["Work"] < y["Again?"] < y[graph.END]
    # Small is reached from Big? and from Work's Catch: below both.
    assert y["Small"] > y["Work"]
    kinds = {(e.source, e.target): e.kind for e in drawn.edges}
    assert kinds[("Big?", "Small")] == "default"
    assert kinds[("Big?", "Work")] == "choice"
    assert kinds[("Work", "Small")] == "catch"
    assert kinds[("Small", graph.END)] == "next"
    assert kinds[(graph.START, "Prepare")] == "next"


def test_no_two_states_overlap_and_a_loop_runs_back_up_the_side() -> None:
    drawn = graph.layout(CHOICE)
    boxes = [n for n in drawn.nodes]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = (
                a.x + a.width <= b.x
                or b.x + b.width <= a.x
                or a.y + a.height <= b.y
                or b.y + b.height <= a.y
            )
            assert apart, (a.name, b.name)
    loop = next(e for e in drawn.edges if (e.source, e.target) == ("Again?", "Prepare"))
    assert max(x for x, _ in loop.points) > max(n.x + n.width for n in drawn.nodes)
    assert all(n.x >= 0 and n.x + n.width <= drawn.width for n in drawn.nodes)


def test_parallel_and_map_states_hold_their_branches() -> None:
    definition = {
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "A1",
                        "States": {
                            "A1": {"Type": "Pass", "Next": "A2"},
                            "A2": {"Type": "Pass", "End": True},
                        },
                    },
                    {"StartAt": "B1", "States": {"B1": {"Type": "Pass", "End": True}}},
                ],
                "Next": "Each",
            },
            "Each": {
                "Type": "Map",
                "ItemProcessor": {
                    "StartAt": "Item",
                    "States": {"Item": {"Type": "Pass", "End": True}},
                },
                "End": True,
            },
        },
    }
    drawn = graph.layout(definition)
    both, each = drawn.node("Both"), drawn.node("Each")
    for name in ("A1", "A2", "B1"):
        inner = drawn.node(name)
        assert inner.parent == "Both"
        assert both.x <= inner.x and inner.x + inner.width <= both.x + both.width
        assert both.y < inner.y and inner.y + inner.height <= both.y + both.height
    assert drawn.node("A1").y < drawn.node("A2").y
    assert drawn.node("Item").parent == "Each" and each.y > both.y + both.height - 1
    # Branches end inside their box: no edge from a branch to the machine's end.
    assert not any(e.target == graph.END and e.source in ("A2", "B1") for e in drawn.edges)
    svg = graph.render(drawn)
    _parse(svg)
    assert re.search(r'class="state state-notrun kind-parallel" data-state="Both"', svg)


def test_render_colours_each_state_by_its_outcome() -> None:
    svg = graph.render(graph.layout(CHOICE), {"Prepare": "succeeded", "Work": "caught"})
    root = _parse(svg)
    outcome = {g.get("data-state"): g.get("data-outcome") for g in root.iter(f"{SVG}g")}
    assert outcome["Prepare"] == "succeeded"
    assert outcome["Work"] == "caught"
    assert outcome["Done"] == "notrun"


def _entered(kind: str, name: str) -> dict[str, Any]:
    return {"type": f"{kind}StateEntered", "stateEnteredEventDetails": {"name": name}}


def _exited(kind: str, name: str) -> dict[str, Any]:
    return {"type": f"{kind}StateExited", "stateExitedEventDetails": {"name": name}}


def test_outcomes_from_a_history() -> None:
    events = [
        {"type": "ExecutionStarted"},
        _entered("Pass", "Prepare"),
        _exited("Pass", "Prepare"),
        _entered("Task", "Work"),
        {"type": "LambdaFunctionFailed"},
        _exited("Task", "Work"),
        _entered("Fail", "Small"),
        {"type": "ExecutionFailed"},
    ]
    found = graph.outcomes(events, "FAILED")
    assert found == {"Prepare": "succeeded", "Work": "caught", "Small": "failed"}
    running = graph.outcomes(events[:4], "RUNNING")
    assert running == {"Prepare": "succeeded", "Work": "running"}


def test_an_unreadable_definition_is_refused() -> None:
    with pytest.raises(graph.BadDefinition):
        graph.layout("{not json")
    with pytest.raises(graph.BadDefinition):
        graph.layout("[]")


# --- hostile and odd data ------------------------------------------------------------------


def test_a_chart_draws_only_finite_values_in_its_window() -> None:
    now = 1_800_000_000.0
    drawn = charts.chart(
        [
            charts.Series(
                "f",
                (
                    (now - 100, math.inf),
                    (now - 90, math.nan),
                    (now - 999_999, 5.0),  # long before the window
                    (math.nan, 1.0),
                ),
            )
        ],
        title="t",
        start=now - 3600,
        end=now,
    )
    assert "No data in this period" in drawn
    assert "nan" not in drawn and "inf" not in drawn
    assert 'data-points="0"' in drawn


def test_a_chart_of_negative_values_has_its_axis_from_their_minimum() -> None:
    now = 1_800_000_000.0
    for kind in ("line", "bar"):
        drawn = charts.chart(
            [charts.Series("f", ((now - 100, -5.0), (now - 50, 3.0)))],
            title="t",
            start=now - 3600,
            end=now,
            kind=kind,
        )
        ticks = re.findall(r'text-anchor="end">([^<]*)<', drawn)
        assert ticks[0].startswith("-") and "0" in ticks
        heights = [float(h) for h in re.findall(r'height="(-?[\d.]+)" fill', drawn)]
        assert all(h >= 0 for h in heights)
        ys = [float(y) for y in re.findall(r' c?y="(-?[\d.]+)"', drawn)]
        assert ys and all(0 <= y <= 200 for y in ys)  # within the plot, not below it


def test_huge_values_have_short_tick_labels() -> None:
    assert charts.format_value(2.5e9) == "2.5G"
    assert charts.format_value(7e12) == "7T"
    assert charts.format_value(3e20) == "3.00e+20"
    assert charts.format_value(-4e6) == "-4M"
    assert len(charts.time_ticks(0, 10**9)) <= 6


def test_states_named_like_the_markers_are_drawn() -> None:
    definition = {
        "StartAt": "__start__",
        "States": {
            "__start__": {"Type": "Pass", "Next": "__end__"},
            "__end__": {"Type": "Succeed"},
        },
    }
    drawn = graph.render(graph.layout(definition))
    names = re.findall(r'data-state="([^"]*)"', drawn)
    assert sorted(names) == ["__end__", "__start__"]
    assert "\x00" not in drawn


def test_a_states_type_is_no_markup_in_its_class() -> None:
    definition = {"StartAt": "A", "States": {"A": {"Type": 'Task" onclick="x', "End": True}}}
    drawn = graph.render(graph.layout(definition))
    assert 'onclick="x"' not in drawn
    assert 'class="state state-notrun kind-taskonclickx"' in drawn


def test_a_branch_whose_states_are_no_object_draws_nothing_of_it() -> None:
    definition = {
        "StartAt": "P",
        "States": {
            "P": {"Type": "Parallel", "End": True, "Branches": [{"StartAt": "Q", "States": [1]}]}
        },
    }
    assert 'data-state="P"' in graph.render(graph.layout(definition))


def test_states_a_truncated_history_does_not_mention_are_unknown() -> None:
    definition = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}
    drawn = graph.render(graph.layout(definition), {}, "unknown")
    assert 'data-outcome="unknown"' in drawn

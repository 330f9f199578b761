"""A tuning's chart, drawn here (no plotting dependency): an SVG line chart of P50 and
P95 duration (left axis, ms) and cost per million invokes (right axis, USD) against
memory size (evenly spaced, as AWS Lambda Power Tuning's chart does), and a
self-contained HTML page with the chart inline and the results table.

Each series is a ``<g class="series" data-series="...">`` (``p50``, ``p95``, ``cost``)
holding a polyline and one circle per size that did not fail; a failing size is marked
on the memory axis instead (``data-failing``), since it has no number worth a point.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from altus.awslambda.tuning_model import SizeResult, Tuning

WIDTH, HEIGHT = 720, 400
LEFT, RIGHT, TOP, BOTTOM = 70, 90, 40, 60
COLOURS = {"p50": "#1f77b4", "p95": "#9ecae1", "cost": "#d62728"}


def _fmt(value: float) -> str:
    return f"{value:.1f}"


def _ticks(top: float, count: int = 4) -> list[float]:
    return [top * i / count for i in range(count + 1)]


def _label(value: float) -> str:
    if value == 0:
        return "0"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 1:
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{value:.3g}"


def svg(tuning: Tuning) -> str:
    """The chart as a standalone SVG document."""
    results = sorted(tuning.results, key=lambda r: r.memory_size)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    good = [r for r in results if not r.failing]
    max_ms = max((r.p95_ms or 0.0 for r in good), default=0.0) or 1.0
    max_cost = max((r.cost_per_million or 0.0 for r in good), default=0.0) or 1.0

    def x(index: int) -> float:
        if len(results) <= 1:
            return LEFT + plot_w / 2
        return LEFT + plot_w * index / (len(results) - 1)

    def y(value: float, top: float) -> float:
        return TOP + plot_h - plot_h * value / (top * 1.1)

    title = f"{tuning.function}:{tuning.qualifier} ({tuning.runs} runs per size)"
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{WIDTH / 2}" y="20" text-anchor="middle" font-size="14">{escape(title)}</text>',
        # The axes.
        f'<g class="axes" stroke="#444" fill="none">'
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}"/>'
        f'<line x1="{LEFT + plot_w}" y1="{TOP}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}"/>'
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}"/></g>',
    ]
    ticks = ['<g class="ticks" fill="#444">']
    for value in _ticks(max_ms * 1.1):
        ticks.append(
            f'<text x="{LEFT - 6}" y="{_fmt(y(value, max_ms) + 4)}" text-anchor="end">'
            f"{_label(value)}</text>"
        )
    for value in _ticks(max_cost * 1.1):
        ticks.append(
            f'<text x="{LEFT + plot_w + 6}" y="{_fmt(y(value, max_cost) + 4)}">'
            f"{_label(value)}</text>"
        )
    for index, result in enumerate(results):
        failing = ' data-failing="true" fill="#d62728"' if result.failing else ""
        mark = " \u2717" if result.failing else ""
        ticks.append(
            f'<text x="{_fmt(x(index))}" y="{TOP + plot_h + 18}" text-anchor="middle"'
            f"{failing}>{result.memory_size}{mark}</text>"
        )
    ticks.append("</g>")
    parts += ticks
    parts += [
        f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 18}" text-anchor="middle">memory (MB)</text>',
        f'<text x="16" y="{TOP + plot_h / 2}" text-anchor="middle" '
        f'transform="rotate(-90 16 {TOP + plot_h / 2})">duration (ms)</text>',
        f'<text x="{WIDTH - 14}" y="{TOP + plot_h / 2}" text-anchor="middle" '
        f'transform="rotate(90 {WIDTH - 14} {TOP + plot_h / 2})">'
        "USD per million invokes</text>",
    ]
    index_of = {r.memory_size: i for i, r in enumerate(results)}
    series: list[tuple[str, str, Callable[[SizeResult], float | None], float, str]] = [
        ("p50", "P50 duration", lambda r: r.p50_ms, max_ms, ""),
        ("p95", "P95 duration", lambda r: r.p95_ms, max_ms, ' stroke-dasharray="5 4"'),
        ("cost", "cost per million", lambda r: r.cost_per_million, max_cost, ""),
    ]
    for key, name, value_of, top, dash in series:
        points = [
            (x(index_of[r.memory_size]), y(measured, top), r.memory_size, measured)
            for r in good
            if (measured := value_of(r)) is not None
        ]
        colour = COLOURS[key]
        parts.append(f'<g class="series" data-series="{key}"><title>{name}</title>')
        if points:
            path = " ".join(f"{_fmt(px)},{_fmt(py)}" for px, py, _, _ in points)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>'
            )
        for px, py, memory, value in points:
            parts.append(
                f'<circle cx="{_fmt(px)}" cy="{_fmt(py)}" r="3.5" fill="{colour}" '
                f'data-memory="{memory}" data-value="{value}"/>'
            )
        parts.append("</g>")
    parts.append(_legend(series))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _legend(series: Sequence[tuple[str, str, object, float, str]]) -> str:
    out = ['<g class="legend">']
    for i, (key, name, _, _, dash) in enumerate(series):
        lx = LEFT + 10 + i * 170
        out.append(
            f'<line x1="{lx}" y1="{TOP - 8}" x2="{lx + 24}" y2="{TOP - 8}" '
            f'stroke="{COLOURS[key]}" stroke-width="2"{dash}/>'
            f'<text x="{lx + 30}" y="{TOP - 4}">{name}</text>'
        )
    out.append("</g>")
    return "".join(out)


def html(tuning: Tuning) -> str:
    """A self-contained HTML page: the chart inline, the results and the best sizes."""
    chart = svg(tuning).split("\n", 1)[1]  # no XML declaration inside HTML
    rows = []
    for r in sorted(tuning.results, key=lambda r: r.memory_size):
        cells = [
            str(r.memory_size),
            str(r.runs),
            str(r.errors),
            _cell(r.p50_ms),
            _cell(r.p95_ms),
            _cell(r.average_billed_ms),
            _cell(r.init_duration_ms),
            _cell(r.cost_per_million, 4),
        ]
        style = ' class="failing"' if r.failing else ""
        rows.append(f"<tr{style}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    best = tuning.best
    title = escape(f"altus tune {tuning.function}:{tuning.qualifier}")
    error = f"<p class='error'>{escape(tuning.error)}</p>" if tuning.error else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }}
td, th {{ border: 1px solid #ccc; padding: 4px 10px; text-align: right; }}
tr.failing td {{ color: #d62728; }}
.error {{ color: #d62728; }}
</style></head>
<body>
<h1>{title}</h1>
<p>Tuning {escape(tuning.tuning_id)}: {escape(tuning.status)}, {tuning.runs} runs per size
({"in parallel" if tuning.parallel else "one after another"}).</p>
{error}
{chart}
<table>
<tr><th>Memory (MB)</th><th>Runs</th><th>Errors</th><th>P50 (ms)</th><th>P95 (ms)</th>
<th>Avg billed (ms)</th><th>Init (ms)</th><th>USD per million</th></tr>
{"".join(rows)}
</table>
<p>Best for cost: {_best(best.cost)}; for speed (lowest P50): {_best(best.speed)};
balanced: {_best(best.balanced)}.</p>
</body></html>
"""


def _cell(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _best(memory: int | None) -> str:
    return "none (every size failed)" if memory is None else f"{memory} MB"

"""Time series charts as inline SVG, drawn on the server: a line (or bar) per series,
axes with "nice" ticks, the time of day under the x axis, a legend.

Pure functions of the data: no I/O, no JavaScript, nothing vendored. The SVG is what a
browser draws without any script (the console's pages are readable with scripts off),
and what the tests look at: each series is one ``<path class="series">`` (or its bars'
``<rect class="bar">``), each point a ``<circle class="point">`` carrying its value.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

#: Colour-blind-friendly categorical colours (Okabe-Ito), one per series in turn.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#f0e442")

_LEFT, _RIGHT, _TOP, _BOTTOM = 52, 12, 24, 24
_LEGEND_ROW = 16


@dataclass(frozen=True, slots=True)
class Series:
    """One line: its name and its points as (seconds since the epoch, value)."""

    name: str
    points: tuple[tuple[float, float], ...]


def nice_step(span: float, ticks: int = 4) -> float:
    """A step of 1, 2 or 5 times a power of ten that cuts ``span`` into about ``ticks``."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return float(factor * power)
    return float(10 * power)


def value_ticks(top: float, ticks: int = 4) -> list[float]:
    """Ticks from 0 up to at least ``top`` (whose last is the axis's top)."""
    return axis_ticks(0.0, top, ticks)


#: Values drawn at most this far from 0 (past it, spans overflow a float).
_LARGEST = 1e300


def axis_ticks(low: float, high: float, ticks: int = 4) -> list[float]:
    """Round ticks from at most ``min(low, 0)`` up to at least ``max(high, 0)``: the
    first is the axis's bottom, the last its top (0 always among them)."""
    low, high = min(low, 0.0), max(high, 0.0)
    if high - low <= 0 or not math.isfinite(high - low):
        high = low + 1.0 if math.isfinite(low) else 1.0
        low = min(low, 0.0) if math.isfinite(low) else 0.0
    step = nice_step(high - low, ticks)
    first = math.floor(low / step + 1e-9)
    last = max(first + 1, math.ceil(high / step - 1e-9))
    return [round(step * i, 10) if abs(step) >= 1e-10 else step * i for i in range(first, last + 1)]


#: Steps the time axis may take, in seconds.
_TIME_STEPS = (60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 604800)


def time_ticks(start: float, end: float, ticks: int = 5) -> list[float]:
    """Round times between ``start`` and ``end``, about ``ticks`` of them."""
    span = max(end - start, 1.0)
    # Past the longest step, whole weeks: never more than about ``ticks`` of them.
    longest = _TIME_STEPS[-1] * math.ceil(span / ticks / _TIME_STEPS[-1])
    step = next((s for s in _TIME_STEPS if span / s <= ticks), longest)
    first = math.ceil(start / step) * step
    return [float(t) for t in range(int(first), int(end) + 1, step)]


def format_value(value: float) -> str:
    """A figure as short as it reads: ``1.5k``, ``12``, ``0.25``."""
    magnitude = abs(value)
    if magnitude >= 1e15:
        return f"{value:.2e}"
    if magnitude >= 1e12:
        return f"{value / 1e12:.3g}T"
    if magnitude >= 1e9:
        return f"{value / 1e9:.3g}G"
    if magnitude >= 1e6:
        return f"{value / 1e6:.3g}M"
    if magnitude >= 1e4:
        return f"{value / 1e3:.3g}k"
    if magnitude >= 100 or value == int(value):
        return f"{value:.0f}"
    return f"{value:.3g}"


def _clock(seconds: float, span: float) -> str:
    moment = time.gmtime(seconds)
    if span > 2 * 86400:
        return time.strftime("%m-%d", moment)
    return time.strftime("%H:%M", moment)


def chart(
    series: Sequence[Series],
    *,
    title: str,
    start: float,
    end: float,
    unit: str = "",
    kind: str = "line",
    width: int = 560,
    height: int = 200,
) -> str:
    """An SVG chart of ``series`` over [``start``, ``end``] (seconds since the epoch, UTC
    on the axis). ``kind``: ``line`` or ``bar`` (bars of each time side by side)."""
    legend_rows = math.ceil(len(series) / 3) if len(series) > 1 else 0
    total_height = height + legend_rows * _LEGEND_ROW
    plot_w = width - _LEFT - _RIGHT
    plot_h = height - _TOP - _BOTTOM
    end = max(end, start + 1)
    # What can be drawn: finite values, not absurdly large, at times in the window.
    shown = [
        sorted(
            (t, v)
            for t, v in one.points
            if math.isfinite(t) and math.isfinite(v) and abs(v) <= _LARGEST and start <= t <= end
        )
        for one in series
    ]
    values = [v for points in shown for _, v in points]
    ticks = axis_ticks(min(values, default=0.0), max(values, default=0.0))
    floor, ceiling = ticks[0], ticks[-1]
    if ceiling <= floor:
        ceiling = floor + 1.0

    def x_of(t: float) -> float:
        return _LEFT + (t - start) / (end - start) * plot_w

    def y_of(v: float) -> float:
        return _TOP + plot_h - ((v - floor) / (ceiling - floor)) * plot_h

    has_data = bool(values)
    label = escape(title) + (f" ({escape(unit)})" if unit else "")
    out = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} '
        f'{total_height}" width="{width}" height="{total_height}" role="img" '
        f'aria-label="{label}" data-points="{len(values)}">',
        f'<text class="chart-title" x="{_LEFT}" y="14">{label}</text>',
    ]
    for tick in ticks:
        y = y_of(tick)
        out.append(
            f'<line class="grid" x1="{_LEFT}" x2="{_LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="tick" x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{format_value(tick)}</text>"
        )
    for moment in time_ticks(start, end):
        x = x_of(moment)
        out.append(
            f'<text class="tick" x="{x:.1f}" y="{_TOP + plot_h + 16}" text-anchor="middle">'
            f"{_clock(moment, end - start)}</text>"
        )
    out.append(
        f'<line class="axis" x1="{_LEFT}" x2="{_LEFT + plot_w}" y1="{_TOP + plot_h}" '
        f'y2="{_TOP + plot_h}"/>'
    )
    if not has_data:
        out.append(
            f'<text class="empty" x="{_LEFT + plot_w / 2:.1f}" y="{_TOP + plot_h / 2:.1f}" '
            'text-anchor="middle">No data in this period</text>'
        )
    for index, (one, points) in enumerate(zip(series, shown, strict=True)):
        colour = PALETTE[index % len(PALETTE)]
        name = escape(one.name)
        if kind == "bar":
            out.extend(_bars(points, index, len(series), colour, name, x_of, y_of, plot_w))
        elif points:
            path = " ".join(
                f"{'M' if i == 0 else 'L'}{x_of(t):.1f},{y_of(v):.1f}"
                for i, (t, v) in enumerate(points)
            )
            out.append(
                f'<path class="series" data-series="{name}" d="{path}" fill="none" '
                f'stroke="{colour}" stroke-width="2"/>'
            )
            for t, v in points:
                out.append(
                    f'<circle class="point" cx="{x_of(t):.1f}" cy="{y_of(v):.1f}" r="2.5" '
                    f'fill="{colour}" data-value="{v:g}"><title>{name}: {format_value(v)} '
                    f"at {_clock(t, 0)} UTC</title></circle>"
                )
    if legend_rows:
        for index, one in enumerate(series):
            row, column = divmod(index, 3)
            x = _LEFT + column * (plot_w / 3)
            y = height + row * _LEGEND_ROW + 4
            colour = PALETTE[index % len(PALETTE)]
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="10" height="10" fill="{colour}"/>'
                f'<text class="legend" x="{x + 14:.1f}" y="{y + 9:.1f}">'
                f"{escape(_short(one.name, 28))}</text>"
            )
    out.append("</svg>")
    return "".join(out)


def _bars(
    points: Sequence[tuple[float, float]],
    index: int,
    count: int,
    colour: str,
    name: str,
    x_of: object,
    y_of: object,
    plot_w: float,
) -> list[str]:
    assert callable(x_of) and callable(y_of)
    if not points:
        return []
    # Bars as wide as the closest two times allow, shared by the series side by side.
    times = sorted({t for t, _ in points})
    gaps = [b - a for a, b in itertools.pairwise(times)]
    slot = min((x_of(times[0] + min(gaps)) - x_of(times[0])) if gaps else plot_w / 20, 40.0)
    bar = max(slot * 0.8 / max(count, 1), 1.0)
    zero = y_of(0.0)
    out = []
    for t, v in points:
        x = x_of(t) - slot * 0.4 + index * bar
        # From the zero line up to a positive value, down to a negative one.
        y = min(y_of(v), zero)
        out.append(
            f'<rect class="bar" data-series="{name}" x="{x:.1f}" y="{y:.1f}" '
            f'width="{bar:.1f}" height="{abs(zero - y_of(v)):.1f}" fill="{colour}" '
            f'data-value="{v:g}"><title>{name}: {format_value(v)}</title></rect>'
        )
    return out


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"

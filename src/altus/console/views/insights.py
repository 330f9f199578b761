"""Altus's own insight routes, as pages: cost (``/_altus/cost``), recorded invocations
and their replays (``/_altus/recordings``), power tunings (``/_altus/tunings``) and the
trace of one invocation (``/_altus/traces/by-request/{id}``). Each reads its route as
the signed-in principal; a server without the route says so on the page."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.responses import RedirectResponse, Response

from altus.console.api import CallFailed
from altus.console.charts import Series, chart
from altus.console.views.common import Problem, attempt, problem_of
from altus.console.web import Page, url

if TYPE_CHECKING:
    from altus.console.web import Console


def register(console: Console) -> None:
    console.page("/cost", cost)
    console.page("/recordings", recordings)
    console.page("/recordings/{id}", recording)
    console.page("/recordings/{id}/replay", replay, methods=("POST",))
    console.page("/tunings", tunings)
    console.page("/tunings/{id}", tuning)
    console.page("/tunings/{id}/chart.svg", tuning_chart)
    console.page("/traces/{id}", trace)


def _id(page: Page) -> str:
    return quote(page.param("id"), safe="")


async def cost(page: Page) -> Response:
    since = page.query("since", "7d")
    by = "day" if page.query("by") == "day" else "function"
    report, problem = await attempt(
        page.api.own("GET", "/_altus/cost", {"since": since, "by": by}),
        "the cost report (/_altus/cost) is not served here.",
    )
    svg = ""
    if report and by == "day":
        items = report.get("Items") or []
        points = []
        for item in items:
            moment = _day_seconds(str(item.get("Key", "")))
            if moment is not None:
                points.append((moment, float((item.get("Cost") or {}).get("Total") or 0)))
        if points:
            start, end = min(p[0] for p in points) - 43200, max(p[0] for p in points) + 43200
            svg = chart(
                [Series("Total", tuple(points))],
                title="Cost per day",
                unit=str(report.get("Currency", "")),
                start=start,
                end=end,
                kind="bar",
            )
    return page.render("cost.html", report=report, problem=problem, since=since, by=by, svg=svg)


def _day_seconds(key: str) -> float | None:
    import datetime

    try:
        return datetime.datetime.fromisoformat(key[:10]).replace(tzinfo=datetime.UTC).timestamp()
    except ValueError:
        return None


async def recordings(page: Page) -> Response:
    query = {"Limit": "100"}
    function = page.query("FunctionName")
    if function:
        query["FunctionName"] = function
    listed, problem = await attempt(
        page.api.own("GET", "/_altus/recordings", query),
        "recorded invocations (/_altus/recordings) are not served here.",
    )
    return page.render(
        "recordings.html",
        recordings=(listed or {}).get("Recordings") or [],
        problem=problem,
        function=function,
    )


async def recording(page: Page, replayed: dict[str, Any] | None = None) -> Response:
    found, problem = await attempt(
        page.api.own("GET", f"/_altus/recordings/{_id(page)}"),
        "recorded invocations (/_altus/recordings) are not served here.",
    )
    return page.render(
        "recording.html",
        id=page.param("id"),
        recording=found,
        problem=problem,
        replayed=replayed,
        fields=_fields(found or {}, ("Event", "Result", "Log")),
        event_text=_text((found or {}).get("Event")),
        result_text=_text((found or {}).get("Result")),
    )


def _text(value: Any) -> str:
    """A recorded event or result as text to show: JSON pretty-printed (as it is, no
    escapes for HTML: the template escapes it as text)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False)


#: Seconds a replay may take beyond its function's timeout (which is at most 900).
REPLAY_MARGIN = 30.0
MAX_TIMEOUT = 900.0


async def _replay_timeout(page: Page) -> float:
    """How long to wait for a replay: as long as its function may run, and a margin."""
    found, _ = await attempt(page.api.own("GET", f"/_altus/recordings/{_id(page)}"))
    function = str((found or {}).get("FunctionName") or "")
    timeout = MAX_TIMEOUT
    if function:
        configuration, _ = await attempt(
            page.api.call("lambda", "GetFunctionConfiguration", FunctionName=function)
        )
        if configuration and isinstance(configuration.get("Timeout"), int | float):
            timeout = min(float(configuration["Timeout"]), MAX_TIMEOUT)
    return timeout + REPLAY_MARGIN


async def replay(page: Page) -> Response:
    body: dict[str, Any] = {}
    qualifier = page.form.get("qualifier", "").strip()
    if qualifier:
        body["Qualifier"] = qualifier
    timeout = await _replay_timeout(page)
    try:
        replayed = await page.api.own(
            "POST", f"/_altus/recordings/{_id(page)}/replay", body=body, timeout=timeout
        )
    except CallFailed as failed:
        page.session.notices.append(str(problem_of(failed)))
        return RedirectResponse(url(f"/recordings/{page.param('id')}"), 303)
    return await recording(page, replayed)


async def tunings(page: Page) -> Response:
    function = page.query("FunctionName")
    listed, problem = await attempt(
        page.api.own("GET", "/_altus/tunings", {"FunctionName": function} if function else None),
        "power tuning (/_altus/tunings) is not served here.",
    )
    return page.render(
        "tunings.html",
        tunings=(listed or {}).get("Tunings") or [],
        problem=problem,
        function=function,
    )


async def tuning(page: Page) -> Response:
    found, problem = await attempt(
        page.api.own("GET", f"/_altus/tunings/{_id(page)}"),
        "power tuning (/_altus/tunings) is not served here.",
    )
    return page.render("tuning.html", id=page.param("id"), tuning=found, problem=problem)


async def tuning_chart(page: Page) -> Response:
    """The route's SVG, passed on (shown in an ``<img>``: whatever it holds runs no
    script there)."""
    try:
        status, _headers, content = await page.api.own_raw(
            "GET", f"/_altus/tunings/{_id(page)}/chart.svg"
        )
    except CallFailed:
        status, content = 502, b""
    if status != 200:
        return Response(b"", status if status >= 400 else 502)
    return Response(content, 200, media_type="image/svg+xml")


async def trace(page: Page) -> Response:
    found, problem = await attempt(
        page.api.own("GET", f"/_altus/traces/by-request/{_id(page)}"),
        "traces (/_altus/traces) are not served here.",
    )
    if problem is not None and problem.title == "ResourceNotFoundException":
        # The route is here; this invocation left no trace (tracing off, or not yet).
        problem = Problem("empty", "No trace recorded for this invocation", problem.message)
    segments = _segments((found or {}).get("Segments") or [])
    return page.render(
        "trace.html",
        id=page.param("id"),
        trace=found,
        problem=problem,
        segments=segments,
        svg=_waterfall(segments),
    )


def _fields(record: dict[str, Any], skip: tuple[str, ...]) -> list[tuple[str, Any]]:
    return [(k, v) for k, v in record.items() if k not in skip and not isinstance(v, dict | list)]


def _segments(documents: list[Any]) -> list[dict[str, Any]]:
    """Segments and their subsegments, flattened, each with its depth, start and end."""
    out: list[dict[str, Any]] = []

    def walk(document: Any, depth: int) -> None:
        if isinstance(document, str):
            try:
                document = json.loads(document)
            except ValueError:
                return
        if not isinstance(document, dict):
            return
        start = float(document.get("start_time") or 0)
        end = float(document.get("end_time") or start)
        out.append(
            {
                "name": document.get("name", ""),
                "origin": document.get("origin", ""),
                "depth": depth,
                "start": start,
                "end": end,
                "ms": round((end - start) * 1000, 3),
                "error": bool(document.get("error") or document.get("fault")),
            }
        )
        for child in document.get("subsegments") or ():
            walk(child, depth + 1)

    for document in documents:
        walk(document.get("Document", document) if isinstance(document, dict) else document, 0)
    return out


def _waterfall(segments: list[dict[str, Any]]) -> str:
    """The segments as bars on one time axis (milliseconds from the first start)."""
    if not segments:
        return ""
    first = min(s["start"] for s in segments)
    last = max(s["end"] for s in segments)
    span = max(last - first, 1e-6)
    width, row, left = 640, 22, 200
    height = row * len(segments) + 24
    parts = [
        f'<svg class="waterfall" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="Trace segments">'
    ]
    from html import escape

    for index, segment in enumerate(segments):
        y = index * row + 4
        x = left + (segment["start"] - first) / span * (width - left - 10)
        w = max((segment["end"] - segment["start"]) / span * (width - left - 10), 2)
        label = escape(("  " * segment["depth"]) + str(segment["name"]))
        kind = "segment-error" if segment["error"] else "segment"
        parts.append(
            f'<text class="tick" x="4" y="{y + 13}">{label}</text>'
            f'<rect class="{kind}" x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row - 8}">'
            f"<title>{label}: {segment['ms']} ms</title></rect>"
        )
    parts.append(
        f'<text class="tick" x="{left}" y="{height - 4}">0 ms</text>'
        f'<text class="tick" x="{width - 10}" y="{height - 4}" text-anchor="end">'
        f"{span * 1000:.1f} ms</text></svg>"
    )
    return "".join(parts)

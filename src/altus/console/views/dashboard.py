"""The dashboard: Lambda's metrics of every function (the first few by name get a line
each) over the chosen period, and how many of each kind of resource there are."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import Response

from altus.console.views import metrics
from altus.console.views.common import attempt
from altus.console.views.functions import list_functions
from altus.console.web import Page

if TYPE_CHECKING:
    from altus.console.web import Console


def register(console: Console) -> None:
    console.page("/", dashboard)


async def dashboard(page: Page) -> Response:
    functions, problem = await attempt(list_functions(page))
    names = [str(f.get("FunctionName")) for f in functions or ()]
    span = page.query("range", "1h")
    charts, chart_problem = await attempt(
        metrics.charts(page.api, names, metrics.DASHBOARD, page.console.now(), span),
        "CloudWatch metrics (GetMetricData) are not served here.",
    )
    return page.render(
        "dashboard.html",
        functions=functions or [],
        problem=problem,
        charts=charts or [],
        chart_problem=chart_problem,
        span=span,
        ranges=list(metrics.RANGES),
        shown=names[: metrics.MAX_FUNCTIONS],
    )

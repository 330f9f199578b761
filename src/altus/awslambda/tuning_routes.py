"""Power tuning's pages under ``/_altus`` (what ``altus tune`` and the console call;
``altus:Admin`` under ``--auth iam``, as every ``/_altus`` route):

- ``POST /_altus/tunings``: start a job; 202 ``{"TuningId", "Status": "RUNNING"}``.
- ``GET /_altus/tunings?FunctionName=``: ``{"Tunings": [summary, ...]}``, newest first.
- ``GET /_altus/tunings/{id}``: the job, its results so far and best sizes.
- ``GET /_altus/tunings/{id}/chart.svg`` and ``/chart.html``: its chart.

Errors are Lambda's (InvalidParameterValueException, ResourceNotFoundException ...).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from altus.awslambda import tuning_chart
from altus.awslambda.common import authorize_invoke, json_object
from altus.awslambda.tuning import MAX_PAYLOAD, parse_request
from altus.awslambda.tuning_model import Tuning
from altus.control.arns import FunctionRef, parse_function_ref
from altus.control.errors import ResourceNotFound

if TYPE_CHECKING:
    from altus.awslambda.component import Lambda

_MAX_LISTED = 1000


def routes(lam: Lambda) -> list[BaseRoute]:
    tuner = lam.tuner

    async def start(request: Request) -> Response:
        body = await json_object(request, MAX_PAYLOAD + (1 << 20), empty=False)
        wanted = parse_request(body, lam)
        # It runs the function: as an Invoke by this caller would need.
        authorize_invoke(lam, request, FunctionRef(wanted.function, wanted.qualifier))
        tuning = await tuner.begin(wanted)
        return JSONResponse({"TuningId": tuning.tuning_id, "Status": tuning.status}, 202)

    async def listed(request: Request) -> Response:
        function = request.query_params.get("FunctionName") or None
        if function is not None:
            function = parse_function_ref(function, lam.account).name
        tunings = await tuner.store.list(function, _MAX_LISTED)
        return JSONResponse({"Tunings": [t.summary() for t in tunings]})

    async def found(request: Request) -> Tuning:
        tuning_id = request.path_params["tuning_id"]
        tuning = await tuner.store.get(tuning_id)
        if tuning is None:
            raise ResourceNotFound(f"Tuning not found: {tuning_id}")
        return tuning

    async def one(request: Request) -> Response:
        return JSONResponse((await found(request)).to_api())

    async def chart_svg(request: Request) -> Response:
        return Response(tuning_chart.svg(await found(request)), media_type="image/svg+xml")

    async def chart_html(request: Request) -> Response:
        return Response(tuning_chart.html(await found(request)), media_type="text/html")

    return [
        Route("/_altus/tunings", start, methods=["POST"]),
        Route("/_altus/tunings", listed, methods=["GET"]),
        Route("/_altus/tunings/{tuning_id}", one, methods=["GET"]),
        Route("/_altus/tunings/{tuning_id}/chart.svg", chart_svg, methods=["GET"]),
        Route("/_altus/tunings/{tuning_id}/chart.html", chart_html, methods=["GET"]),
    ]

"""The X-Ray service's page of its own: an invocation's trace, by its request id (what
the console shows beside an invocation), ``GET /_altus/traces/by-request/{request_id}``
answering ``{"TraceId": ..., "Segments": [segment documents]}``, 404 when no sampled
invocation had that id (an invocation that was not sampled has no platform segments)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from altus.xray.component import XRay


def routes(xray: XRay) -> list[BaseRoute]:
    async def by_request(request: Request) -> Response:
        request_id = request.path_params["request_id"]
        trace_id = await xray.trace_of_request(request_id)
        if trace_id is None:
            return JSONResponse(
                {"message": f"No trace recorded for request {request_id}"}, status_code=404
            )
        found = await xray.traces([trace_id])
        return JSONResponse({"TraceId": trace_id, "Segments": found.get(trace_id, [])})

    return [Route("/_altus/traces/by-request/{request_id}", by_request, methods=["GET"])]

"""The Lambda service's pages of its own under ``/_altus``: the asynchronous queue (what
``altus queue`` calls: counters and depth per function, the events waiting, and the
parked destination and dead-letter records, which an operator replays or discards), and
the code packages GetFunction's ``Code.Location`` points at (``code_urls``: served
without credentials, as a presigned URL is)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from altus.awslambda.common import json_object
from altus.awslambda.component import Lambda
from altus.control.errors import InvalidParameterValue
from altus.engine.async_store import OutboxRecord

_MAX_LISTED = 1000


def routes(lam: Lambda) -> list[BaseRoute]:
    invoker = lam.async_invoker

    async def stats(request: Request) -> Response:
        counters = invoker.stats.snapshot()
        depth = invoker.depth()
        parked = await invoker.parked()
        functions: dict[str, dict[str, Any]] = {}
        for name in sorted({*counters, *depth}):
            queued, oldest = depth.get(name, (0, 0.0))
            functions[name] = {
                **counters.get(name, {}),
                "queued": queued,
                "oldest_age_seconds": round(oldest, 3),
                "parked": sum(1 for r in parked if r.function == name),
            }
        return JSONResponse(
            {
                "Functions": functions,
                "Queued": sum(q for q, _ in depth.values()),
                "Parked": len(parked),
            }
        )

    async def events(request: Request) -> Response:
        backlog = invoker.backlog()
        function = request.query_params.get("FunctionName")
        if function:
            backlog = [e for e in backlog if e["FunctionName"] == function]
        return JSONResponse({"Events": backlog[:_MAX_LISTED], "Total": len(backlog)})

    async def parked(request: Request) -> Response:
        records = await invoker.parked()
        return JSONResponse(
            {"Records": [_record(r) for r in records[:_MAX_LISTED]], "Total": len(records)}
        )

    async def replay(request: Request) -> Response:
        ids = _ids(await json_object(request, 1 << 20), allow_all=True)
        return JSONResponse({"Replayed": await invoker.replay(ids)})

    async def discard(request: Request) -> Response:
        ids = _ids(await json_object(request, 1 << 20), allow_all=False)
        assert ids is not None
        return JSONResponse({"Discarded": await invoker.discard(ids)})

    return [
        Route("/_altus/async/stats", stats, methods=["GET"]),
        Route("/_altus/async/events", events, methods=["GET"]),
        Route("/_altus/async/parked", parked, methods=["GET"]),
        Route("/_altus/async/parked/replay", replay, methods=["POST"]),
        Route("/_altus/async/parked/discard", discard, methods=["POST"]),
    ]


def _ids(body: dict[str, Any], *, allow_all: bool) -> list[str] | None:
    if allow_all and body.get("All") is True:
        return None
    ids = body.get("Ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise InvalidParameterValue(
            "Ids must be a non-empty list of record ids"
            + (' (or "All": true)' if allow_all else "")
        )
    return ids


def _record(record: OutboxRecord) -> dict[str, Any]:
    return {
        "Id": record.id,
        "RequestId": record.event_id,
        "FunctionName": record.function,
        "Kind": record.kind,
        "Target": record.target,
        "Attempts": record.attempts,
        "CreatedMs": record.created_ms,
        "ParkedMs": record.parked_ms,
        "LastError": record.last_error,
        "Body": record.body,
        "Attributes": record.attributes,
    }

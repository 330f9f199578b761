"""The ASGI app of the API port: the dispatcher over every registered service, and the
server's own endpoints: ``GET /_altus/health`` (each service's figures) and
``GET /metrics`` (Prometheus's text format, from each service that keeps figures). The
web console is not here: it has a listener of its own (``altus.server``), so that what
function URLs, APIs and buckets serve on this port shares no origin with it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from altus.api.dispatch import Dispatcher
from altus.platform import Platform

if TYPE_CHECKING:  # prometheus_client is imported when /metrics is first scraped
    from prometheus_client.core import Metric

METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _Figures:
    """A Prometheus collector (``collect`` is all a registry asks of one)."""

    def __init__(self, platform: Platform) -> None:
        self._platform = platform

    def collect(self) -> Iterator[Metric]:
        for component in self._platform.components.values():
            collect = getattr(component, "collect", None)
            if collect is not None:
                yield from collect()


def create_app(platform: Platform) -> Dispatcher:
    async def health(request: Request) -> Response:
        body: dict[str, object] = {"status": "ok"}
        for component in platform.components.values():
            report = getattr(component, "health", None)
            if report is not None:
                body.update(report())
        return JSONResponse(body)

    async def metrics(request: Request) -> Response:
        from prometheus_client import CollectorRegistry, generate_latest

        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Figures(platform))
        return Response(generate_latest(registry), media_type=METRICS_CONTENT_TYPE)

    own = [
        Route("/_altus/health", health, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
    return Dispatcher(platform.services, own, platform.identity)

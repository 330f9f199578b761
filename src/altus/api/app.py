"""The HTTP edge: one ASGI app serving the Lambda REST API, the JSON-protocol APIs
(``POST /`` with ``X-Amz-Target``) and Altus's own endpoints under ``/_altus``.

Any ``AltusError`` raised below renders as AWS renders that error; anything else is a
``ServiceException`` (500) with the traceback in the server log, never in the response.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from altus.api import (
    async_api,
    concurrency_api,
    event_invoke_api,
    functions_api,
    invoke_api,
    layers_api,
    logs_api,
    policy_api,
    sqs_api,
    stream_api,
    tags_api,
    url_http,
    urls_api,
)
from altus.api.responses import error_response, json_error_response, parse_json, read_body
from altus.errors import AltusError, ServiceError, UserError
from altus.observe import metrics as observe_metrics
from altus.platform import Platform

log = logging.getLogger(__name__)


class UnknownOperation(UserError):
    code = "UnknownOperationException"
    status = 404


class Unreadable(UserError):
    """An awsJson body that is not a JSON object."""

    code = "SerializationException"


#: The most an awsJson request may carry: an SQS batch of 1 MiB, JSON-escaped (every
#: byte of a body may take up to six), with room for its envelope. Refused unread past it.
JSON_PROTOCOL_LIMIT = 6 * 1024 * 1024 + 64 * 1024


async def json_protocol(request: Request) -> Response:
    """``POST /`` dispatch for the awsJson protocols, by ``X-Amz-Target``."""
    target = request.headers.get("x-amz-target", "")
    service, _, operation = target.partition(".")
    if service == "Logs_20140328":
        run = logs_api.handler(operation)
        content_type = logs_api.CONTENT_TYPE
    elif service == "AmazonSQS":
        run, content_type = sqs_api.handler(operation), sqs_api.CONTENT_TYPE
    else:
        run, content_type = None, "application/x-amz-json-1.0"
    try:
        if run is None:
            raise UnknownOperation(f"Unknown operation {target or '(no X-Amz-Target)'}")
        raw = await read_body(request, JSON_PROTOCOL_LIMIT, operation or target)
        try:
            body: Any = parse_json(raw) if raw else {}
        except ValueError:
            raise Unreadable("Request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise Unreadable("Request body must be a JSON object")
        return await run(request, body)
    except AltusError as error:
        return json_error_response(request, error, content_type)
    except Exception:
        # Still an answer in this protocol's shape, which the client can parse.
        log.exception("unexpected error in %s", target)
        return json_error_response(
            request, ServiceError("An internal error occurred."), content_type
        )


async def download_code(request: Request) -> Response:
    """The package a GetFunction ``Code.Location`` points at."""
    platform: Platform = request.app.state.platform
    digest = request.path_params["digest"]
    path = platform.code.zip_path(digest)
    if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest) or not path.is_file():
        return JSONResponse({"message": "Not Found"}, 404)
    return FileResponse(path, media_type="application/zip")


async def metrics(request: Request) -> Response:
    platform: Platform = request.app.state.platform
    return Response(observe_metrics.exposition(platform), media_type=observe_metrics.CONTENT_TYPE)


async def health(request: Request) -> Response:
    platform: Platform = request.app.state.platform
    return JSONResponse(
        {
            "status": "ok",
            "functions": len(platform.functions.records()),
            "environments": len(list(platform.pool.environments())),
            "in_flight": platform.invoker.concurrency.in_flight,
            "sandbox": platform.backend.name,
            "zygotes": platform.backend.zygotes(),
        }
    )


async def _altus_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AltusError)
    return error_response(request, exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return error_response(request, UnknownOperation(f"No operation at {request.url.path}"))
    if exc.status_code == 405:
        error = UnknownOperation(f"{request.method} is not supported at {request.url.path}")
        return error_response(request, error)
    return error_response(request, ServiceError(str(exc.detail)))


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error serving %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(request, ServiceError("An internal error occurred."))


def lambda_routes() -> list[Route]:
    """The Lambda REST API's operations, each at its path in botocore's model."""
    return [
        *functions_api.routes,
        *invoke_api.routes,
        *stream_api.routes,
        *layers_api.routes,
        *concurrency_api.routes,
        *policy_api.routes,
        *urls_api.routes,
        *event_invoke_api.routes,
        *tags_api.routes,
    ]


def create_app(platform: Platform) -> Starlette:
    routes = [
        *lambda_routes(),
        *url_http.routes,
        Route("/", json_protocol, methods=["POST"]),
        Route("/_altus/code/{digest}.zip", download_code, methods=["GET"]),
        Route("/_altus/health", health, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        *async_api.routes,
    ]
    middleware = []
    if platform.settings.url_domain:  # function URLs by Host (else by path only)
        middleware.append(
            Middleware(
                url_http.UrlHosts,
                domain=platform.settings.url_domain,
                region=platform.account.region,
            )
        )
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={
            AltusError: _altus_error,
            HTTPException: _http_error,
            Exception: _unexpected,
        },
    )
    app.state.platform = platform
    return app

"""The front door: a request to a deployed API, from its URL to its answer.

Two ways in (``altus.gateway.urls``): by path on the API's own address
(``/_aws/execute-api/<api-id>/<stage>/<path>``, an HTTP API's ``$default`` stage without
the stage), and by Host when ``url_domain`` is set. Then, in API Gateway's order:

1. the stage: a REST API's first path segment (none: 403 ``Forbidden``); an HTTP API's
   first segment where it names a stage, else its ``$default`` stage (none: 404);
2. the route (HTTP API, 404 ``Not Found``) or resource and method (REST, 403 ``Missing
   Authentication Token``); an HTTP API with CORS answers preflights itself first;
3. throttling: the stage's and the route's token buckets (429);
4. authorization: IAM (SigV4 for ``execute-api``), a Lambda authorizer, a JWT
   (``guard``);
5. REST: the API key and its usage plan's throttle and quota;
6. the integration (``integrate``), and its answer mapped back (CORS headers added).

Whatever refuses raises a ``Refusal``, rendered once as the API's flavour answers it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import replace

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import Receive, Scope, Send

from altus import ids
from altus.api.protocols.common import header_map, read_body
from altus.errors import AltusError
from altus.executeapi import guard, integrate, sockets
from altus.executeapi.component import ExecuteApi
from altus.executeapi.refusals import (
    INVALID_API_KEY,
    MISSING_AUTHENTICATION_TOKEN,
    QUOTA_EXCEEDED,
    REQUEST_TOO_LARGE,
    RESOURCE_NOT_FOUND,
    THROTTLED,
    Refusal,
    render,
)
from altus.gateway.answers import Answer, http_error
from altus.gateway.cors import (
    CORS_HEADERS,
    PREFLIGHT_STATUS,
    cors_headers,
    is_preflight,
    preflight_headers,
)
from altus.gateway.deployed import (
    AWS_PROXY,
    DEFAULT_STAGE,
    HTTP,
    NONE,
    REST,
    ApiDirectory,
    Stage,
)
from altus.gateway.request import EventContext, GatewayRequest, Matched
from altus.gateway.urls import PATH_PREFIX, api_id_of_host
from altus.observe.trace_header import ensure
from altus.settings import Settings

#: API Gateway's largest request payload.
PAYLOAD_LIMIT = 10 * 1024 * 1024


# --- the ways in ---------------------------------------------------------------------------


class _ByPath:
    """``/_aws/execute-api/<api-id>`` and everything under it."""

    def __init__(self, front: ExecuteApi) -> None:
        self._front = front

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        api_id: str = scope["path_params"]["api_id"]
        raw: bytes = scope.get("raw_path") or scope["path"].encode()
        # ["", "_aws", "execute-api", <api id as sent>, <the rest>]: cut by segments, not
        # by the decoded id's length (an id sent percent-encoded is longer).
        parts = raw.split(b"/", 4)
        rest = "/" + parts[4].decode("latin-1") if len(parts) > 4 else "/"
        request = Request(scope, receive)
        response = await answer(self._front, request, api_id, rest)
        await response(scope, receive, send)


def routes(front: ExecuteApi) -> list[BaseRoute]:
    """Deployed APIs by path; a WebSocket API's stage takes WebSocket handshakes."""
    by_path = _ByPath(front)
    base = PATH_PREFIX.rstrip("/")
    return [
        # The longer form first: nearly every request is below an API, not the API itself.
        Route(base + "/{api_id}/{rest:path}", by_path),
        Route(base + "/{api_id}", by_path),
        WebSocketRoute(base + "/{api_id}/{stage}", sockets.endpoint(front)),
    ]


def virtual_hosts(settings: Settings) -> Callable[[str], str | None] | None:
    """``<api-id>.execute-api[.<region>].<url_domain>`` hosts, when the settings name a
    domain: served as ``/_aws/execute-api/<api-id>/<path>``."""
    domain = settings.url_domain
    if not domain:
        return None
    region = settings.region

    def prefix(host: str) -> str | None:
        api_id = api_id_of_host(host, domain, region)
        return None if api_id is None else PATH_PREFIX.strip("/") + "/" + api_id

    return prefix


_MOUNT = re.compile(r"/_aws/execute-api/[^/]+/[^/]+(?=/@connections/[^/]+$)")


def mount(path: str) -> int | None:
    """The management API below a stage's URL (what a function's client is given as its
    endpoint: ``<api endpoint>/<stage>``): the length of the prefix before
    ``/@connections/<id>``."""
    found = _MOUNT.match(path)
    return found.end() if found is not None else None


# --- one request ------------------------------------------------------------------------------


async def answer(front: ExecuteApi, request: Request, api_id: str, raw_path: str) -> Response:
    """The answer to a request for ``raw_path`` below the API ``api_id``.

    One coroutine from the stage to the integration's answer: each layer more would be
    paid for on every request, where the function URL has none."""
    request_id = ids.request_id()
    found = front.directory(api_id)
    if found is None:
        return _response(http_error(404, "Not Found"), request_id, rest=False)
    directory, protocol = found
    rest = protocol == REST
    if protocol not in (HTTP, REST):
        # WebSocket APIs take upgrades only.
        return _response(http_error(426, "Upgrade Required"), request_id, rest=False)
    located = _stage(directory, api_id, raw_path, rest)
    if located is None:
        if rest:
            return _response(http_error(403, "Forbidden"), request_id, rest=True)
        return _response(http_error(404, "Not Found"), request_id, rest=False)
    stage, path = located
    if stage.endpoint_disabled:
        return _response(http_error(403, "Forbidden"), request_id, rest=rest)
    deployment = stage.deployment
    headers = header_map(request)
    method: str = request.scope["method"]
    cors = deployment.cors
    trace: str | None = None
    try:
        if cors is not None and is_preflight(method, headers):
            preflight = preflight_headers(
                cors,
                headers.get("origin"),
                headers.get("access-control-request-method"),
                headers.get("access-control-request-headers"),
            )
            return _response(Answer(PREFLIGHT_STATUS, list(preflight), b""), request_id, rest=False)
        matched = front.match(deployment, method, path)
        if matched is None:
            raise Refusal(MISSING_AUTHENTICATION_TOKEN if rest else RESOURCE_NOT_FOUND)
        integration = matched.route.integration
        if integration is not None and integration.type == AWS_PROXY:
            # X-Ray: the client's trace (normalised), or a new one, handed to the
            # function and answered; only where a function is invoked (no cost else).
            trace = ensure(headers.get("x-amzn-trace-id"))
        throttle = stage.throttle
        if stage.route_throttles or throttle.rate is not None or throttle.burst is not None:
            _throttle(front, stage, matched)
        try:
            body = await read_body(request, PAYLOAD_LIMIT, "execute-api")
        except AltusError:
            raise Refusal(REQUEST_TOO_LARGE) from None
        except ClientDisconnect:
            raise Refusal(REQUEST_TOO_LARGE, status=400, message="Bad Request") from None
        gateway_request = _gateway_request(request, headers, path, raw_path, body, api_id, trace)
        context = EventContext(
            stage=stage,
            matched=matched,
            request_id=request_id,
            now_ms=int(time.time() * 1000),
            region=front.account.region,
            trace=trace,
        )
        if matched.route.authorization_type != NONE:
            context = await guard.authorize(front, request.scope, gateway_request, context)
        if rest and matched.route.api_key_required:
            context = _api_key(front, stage, matched, context, headers.get("x-api-key"))
        found_answer = await integrate.call(front, gateway_request, context)
    except Refusal as refusal:
        found_answer = render(
            refusal, rest=rest, request_id=request_id, responses=deployment.gateway_responses
        )
    if cors is not None:
        # The gateway's CORS headers replace the integration's own.
        kept = [(n, v) for n, v in found_answer.headers if n not in CORS_HEADERS]
        extra = cors_headers(cors, headers.get("origin"))
        found_answer = replace(found_answer, headers=[*kept, *extra])
    return _response(found_answer, request_id, rest=rest, trace=trace)


def _stage(
    directory: ApiDirectory, api_id: str, raw_path: str, rest: bool
) -> tuple[Stage, str] | None:
    """The stage a path is for, and the path within it."""
    first, _, below = raw_path.lstrip("/").partition("/")
    if first:
        named = directory.stage(api_id, first) if first != DEFAULT_STAGE else None
        if named is not None:
            return named, "/" + below
    if rest:
        return None
    default = directory.stage(api_id, DEFAULT_STAGE)
    return (default, raw_path or "/") if default is not None else None


def _throttle(front: ExecuteApi, stage: Stage, matched: Matched) -> None:
    route = matched.route
    key = f"{route.path}/{route.method}" if stage.deployment.protocol == REST else route.key
    limits = stage.route_throttles.get(key, stage.throttle)
    if not front.throttles.allow((stage.api_id, stage.name, key), limits, front.clock.now()):
        raise Refusal(THROTTLED)


def _api_key(
    front: ExecuteApi,
    stage: Stage,
    matched: Matched,
    context: EventContext,
    header: str | None,
) -> EventContext:
    """A REST method that needs an API key: the key (from the ``x-api-key`` header, or
    the authorizer's ``usageIdentifierKey``), enabled, in a usage plan for this stage,
    within the plan's throttle and quota."""
    found = front.directory(stage.api_id)
    assert found is not None
    directory = found[0]
    # AUTHORIZER: the authorizer's usageIdentifierKey, which guard put in the context.
    value = context.api_key if stage.deployment.api_key_source == "AUTHORIZER" else header
    key = directory.api_key(value) if isinstance(value, str) and value else None
    if key is None or not key.enabled:
        raise Refusal(INVALID_API_KEY)
    plan = directory.usage_plan(stage.api_id, stage.name, key.id)
    if plan is None:
        raise Refusal(INVALID_API_KEY)
    route = matched.route
    method_key = f"{route.path}/{route.method}"
    limits = plan.method_throttles.get(method_key, plan.throttle)
    now = front.clock.now()
    if not front.throttles.allow((plan.id, key.id, method_key), limits, now):
        raise Refusal(THROTTLED)
    if plan.quota is not None and not directory.count_request(plan.id, key.id, now):
        raise Refusal(QUOTA_EXCEEDED)
    return replace(context, api_key=key.value, api_key_id=key.id)


def _gateway_request(
    request: Request,
    headers: Mapping[str, str],
    path: str,
    raw_path: str,
    body: bytes,
    domain_prefix: str,
    trace: str | None,
) -> GatewayRequest:
    scope = request.scope
    client = scope.get("client")
    host = headers.get("host", "")
    given = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in scope["headers"]]
    if trace is not None:
        # As API Gateway does: the function's event shows the trace header it hands
        # on (the client's, normalised, or the new trace's), not the client's as sent.
        given = [(n, v) for n, v in given if n.lower() != "x-amzn-trace-id"]
        given.append(("X-Amzn-Trace-Id", trace))
    return GatewayRequest(
        method=scope["method"],
        path=path,
        stage_path=raw_path,
        raw_query=scope.get("query_string", b"").decode("latin-1"),
        headers=given,
        body=body,
        source_ip=client[0] if client else "",
        domain_name=host.rsplit(":", 1)[0] if host.count(":") == 1 else host,
        domain_prefix=domain_prefix,
        protocol=f"HTTP/{scope.get('http_version', '1.1')}",
    )


def _response(found: Answer, request_id: str, *, rest: bool, trace: str | None = None) -> Response:
    response = Response(found.body, found.status)
    own = (
        [("x-amzn-requestid", request_id), ("x-amz-apigw-id", request_id[:16])]
        if rest
        else [("apigw-requestid", request_id[:16])]
    )
    if rest and trace is not None:
        # A REST API answers with the trace the request joined (HTTP APIs do not).
        own.append(("x-amzn-trace-id", trace))
    response.raw_headers = [
        (name.encode("utf-8"), value.encode("utf-8")) for name, value in found.headers + own
    ] + response.raw_headers
    return response

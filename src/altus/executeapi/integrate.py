"""Calling a route's integration and mapping its answer back.

- ``AWS_PROXY``: the function gets the proxy event (payload 1.0 or 2.0; REST: 1.0) and is
  invoked as ``apigateway.amazonaws.com`` for the method's ARN, so its own policy must
  allow API Gateway (``aws lambda add-permission --principal apigateway.amazonaws.com``),
  or the integration's role (``credentials``) must be allowed to invoke it. It has the
  integration's timeout to answer.
- ``HTTP_PROXY``: the request is passed on to the URL (with the path and query as the
  flavour builds them), and the URL's answer passed back.
- REST ``MOCK`` integrations answer from their integration responses where no template
  language is needed (SAM's CORS ``OPTIONS`` methods): ``_mock``.
- Other non-proxy integrations (``AWS``, ``HTTP``) need mapping templates, which Altus
  does not evaluate yet: they answer as a misconfigured API does (500), and the server's
  log says why.

How failures answer (AWS's): a function that fails or answers a malformed response, REST
502 ``Internal server error``, HTTP 500 ``Internal Server Error``; a missing permission,
500; a timeout, REST 504 ``Endpoint request timed out``, HTTP 503 ``Service
Unavailable``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Coroutine
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import httpx

from altus.errors import AltusError
from altus.executeapi.component import ExecuteApi
from altus.executeapi.refusals import (
    API_CONFIGURATION_ERROR,
    DEFAULT_5XX,
    INTEGRATION_FAILURE,
    INTEGRATION_TIMEOUT,
    Refusal,
)
from altus.gateway import mapping
from altus.gateway.answers import Answer, http_answer_v2, proxy_answer_v1
from altus.gateway.deployed import (
    AWS_PROXY,
    HTTP_PROXY,
    MOCK,
    REST,
    Integration,
    Stage,
    stage_arn,
)
from altus.gateway.events import http_event_v2, method_arn, proxy_event_v1
from altus.gateway.integrations import function_arn, http_target, substitute
from altus.gateway.request import EventContext, GatewayRequest
from altus.targets import Called

log = logging.getLogger(__name__)

#: JSON as events are sent: no spaces (one encoder for every request).
_compact = json.JSONEncoder(separators=(",", ":")).encode
#: The largest answer an HTTP integration may give (API Gateway's payload limit).
ANSWER_LIMIT = 10 * 1024 * 1024
#: Hop-by-hop headers, and those the server frames itself: never passed on either way.
_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)


def call(
    front: ExecuteApi, gateway: GatewayRequest, context: EventContext
) -> Coroutine[Any, Any, Answer]:
    """The route's integration's answer (awaited by the caller: one coroutine fewer on
    every request's path)."""
    assert context.matched is not None
    integration = context.matched.route.integration
    rest = context.stage.deployment.protocol == REST
    if integration is None:
        raise Refusal(INTEGRATION_FAILURE)
    if integration.type == AWS_PROXY:
        return _function(front, gateway, context, integration, rest)
    if integration.type == HTTP_PROXY:
        return _url(front, gateway, context, integration, rest)
    if integration.type == MOCK and rest:
        return _answered(_mock(gateway, context, integration))
    log.warning(
        "API %s route %s: %s integrations need mapping templates, which Altus does not "
        "evaluate; answering 500",
        context.stage.api_id,
        context.matched.route.key,
        integration.type,
    )
    raise Refusal(API_CONFIGURATION_ERROR)


async def _answered(answer: Answer) -> Answer:
    return answer


_STATUS_TEMPLATE = re.compile(r'\s*\{\s*"statusCode"\s*:\s*"?(\d{3})"?\s*\}\s*')
_HEADER_PARAMETER = "method.response.header."


def _mock(gateway: GatewayRequest, context: EventContext, integration: Integration) -> Answer:
    """A REST ``MOCK`` integration, as far as it needs no template language (what SAM's
    CORS ``OPTIONS`` methods are): the status a request template of the form
    ``{"statusCode": 200}`` names (200 without one) picks the integration response (by
    its selection pattern, else the default one); its literal header values (``'*'``)
    and a template without directives make the answer."""
    templates = integration.request_templates
    content_type = (_header(gateway, "content-type") or "application/json").split(";")[0]
    template = templates.get(content_type.strip().lower()) or templates.get("application/json")
    status = "200"
    if template:
        found = _STATUS_TEMPLATE.fullmatch(template)
        status = found.group(1) if found is not None else status
    chosen = None
    default = None
    for response in integration.responses:
        if not response.selection_pattern:
            default = default or response
            continue
        try:
            if re.fullmatch(response.selection_pattern, status):
                chosen = response
                break
        except re.error:
            continue
    chosen = chosen or default
    if chosen is None:
        log.warning(
            "API %s: a MOCK integration without a matching or default integration response",
            context.stage.api_id,
        )
        raise Refusal(API_CONFIGURATION_ERROR)
    headers = [
        (name[len(_HEADER_PARAMETER) :].lower(), source[1:-1])
        for name, source in chosen.parameters.items()
        if name.startswith(_HEADER_PARAMETER)
        and len(source) >= 2
        and source[0] == source[-1] == "'"
    ]
    body = chosen.templates.get("application/json")
    if body is None:
        body = next(iter(chosen.templates.values()), "")
    if "$" in body or "#" in body:
        log.warning(
            "API %s: a MOCK integration response template uses the template language, "
            "which Altus does not evaluate: answered without a body",
            context.stage.api_id,
        )
        body = ""
    if not any(name == "content-type" for name, _ in headers):
        headers.append(("content-type", "application/json"))
    return Answer(int(chosen.status), headers, body.encode())


def source_arn(front: ExecuteApi, gateway: GatewayRequest, context: EventContext) -> str:
    """The ARN the function's policy, an authorizer's policy and IAM are asked about: the
    method's (``<api>/<stage>/<METHOD>/<path>``, the path as routing read it), or
    ``<api>/<stage>/$default`` for an HTTP API's ``$default`` route."""
    assert context.matched is not None
    stage = context.stage
    if context.matched.route.key == "$default":
        base = stage_arn(front.account.region, stage.account_id, stage.api_id)
        return f"{base}/{stage.name}/$default"
    return method_arn(stage, front.account.region, gateway.method, context.matched.path)


async def call_function(
    front: ExecuteApi,
    stage: Stage,
    integration: Integration,
    event: dict[str, Any],
    arn: str,
    context: EventContext | None = None,
) -> Called:
    """An ``AWS_PROXY`` integration's function's answer to ``event``, invoked for
    ``arn`` within the integration's timeout; a ``Refusal`` where it cannot be had (a URI
    naming no function, a role API Gateway may not assume, a missing permission, the
    timeout)."""
    function = function_arn(integration.uri, stage.variables)
    role = integration.credentials
    if function is None or (role is not None and not front.may_assume(role)):
        raise Refusal(API_CONFIGURATION_ERROR)
    payload = _compact(event).encode()
    try:
        return await front.invoke(
            arn,
            stage.account_id,
            function,
            payload,
            role,
            integration.timeout_ms / 1000,
            trace=context.trace if context is not None else None,
        )
    except TimeoutError:
        raise Refusal(INTEGRATION_TIMEOUT) from None
    except AltusError as error:
        log.info("API %s: invoking %s failed: %s", stage.api_id, function, error)
        raise Refusal(API_CONFIGURATION_ERROR) from None


async def _function(
    front: ExecuteApi,
    gateway: GatewayRequest,
    context: EventContext,
    integration: Integration,
    rest: bool,
) -> Answer:
    stage = context.stage
    version_1 = rest or integration.payload_format == "1.0"
    event = (
        proxy_event_v1(gateway, context, rest=rest)
        if version_1
        else http_event_v2(gateway, context)
    )
    called = await call_function(
        front, stage, integration, event, source_arn(front, gateway, context), context
    )
    if called.function_error:
        raise _bad_answer(rest)
    if version_1:
        found = proxy_answer_v1(
            called.payload,
            binary_media_types=stage.deployment.binary_media_types,
            accept=_header(gateway, "accept"),
            rest=rest,
        )
    else:
        found = http_answer_v2(called.payload)
    if found is None:
        raise _bad_answer(rest)
    return found


def _bad_answer(rest: bool) -> Refusal:
    """A function that failed, or answered what is no proxy response."""
    if rest:
        return Refusal(DEFAULT_5XX, status=502, message="Internal server error")
    return Refusal(INTEGRATION_FAILURE)


async def _url(
    front: ExecuteApi,
    gateway: GatewayRequest,
    context: EventContext,
    integration: Integration,
    rest: bool,
) -> Answer:
    assert context.matched is not None
    stage = context.stage
    overwritten: str | None = None
    if integration.request_parameters and not rest:
        # Values are read from the request as it came; then it is changed.
        found = _mapping(gateway, context, integration)
        gateway = replace(gateway, headers=found.headers, raw_query=found.raw_query)
        if found.path is not None:
            overwritten = found.path if found.path.startswith("/") else "/" + found.path
    target = http_target(integration.uri, stage.variables, context.matched, gateway, rest=rest)
    if overwritten is not None:
        origin = urlsplit(substitute(integration.uri, stage.variables))
        query = f"?{gateway.raw_query}" if gateway.raw_query else ""
        target = f"{origin.scheme}://{origin.netloc}{overwritten}{query}"
    method = gateway.method if integration.method in ("", "ANY") else integration.method
    headers = [(n, v) for n, v in gateway.headers if n.lower() not in _HOP]
    forwarded = _header(gateway, "x-forwarded-for")
    headers = [(n, v) for n, v in headers if n.lower() != "x-forwarded-for"]
    headers.append(
        ("x-forwarded-for", f"{forwarded}, {gateway.source_ip}" if forwarded else gateway.source_ip)
    )
    timeout = integration.timeout_ms / 1000
    try:
        async with asyncio.timeout(timeout):
            async with front.http.stream(
                method, target, headers=headers, content=gateway.body, timeout=timeout
            ) as response:
                body = bytearray()
                async for chunk in response.aiter_raw():
                    body += chunk
                    if len(body) > ANSWER_LIMIT:
                        raise Refusal(INTEGRATION_FAILURE)
                kept = [
                    (name.lower(), value)
                    for name, value in response.headers.multi_items()
                    if name.lower() not in _HOP
                ]
                return Answer(response.status_code, kept, bytes(body))
    except (TimeoutError, httpx.TimeoutException):
        raise Refusal(INTEGRATION_TIMEOUT) from None
    except httpx.HTTPError as error:
        log.info("API %s: calling %s failed: %s", context.stage.api_id, target, error)
        raise Refusal(INTEGRATION_FAILURE) from None


def _mapping(
    gateway: GatewayRequest, context: EventContext, integration: Integration
) -> mapping.Mapped:
    assert context.matched is not None
    stage = context.stage
    return mapping.apply(
        integration.request_parameters,
        headers=gateway.headers,
        raw_query=gateway.raw_query,
        path=gateway.path,
        path_parameters=context.matched.path_parameters,
        context={
            "requestId": context.request_id,
            "apiId": stage.api_id,
            "stage": stage.name,
            "routeKey": context.matched.route.key,
            "httpMethod": gateway.method,
            "path": gateway.stage_path,
            "domainName": gateway.domain_name,
            "identity.sourceIp": gateway.source_ip,
        },
        stage_variables=stage.variables,
    )


def _header(gateway: GatewayRequest, name: str) -> str | None:
    for key, value in gateway.headers:
        if key.lower() == name:
            return value
    return None

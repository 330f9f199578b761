"""The events a function gets from API Gateway: the proxy events (REST, HTTP API payload
1.0 and 2.0) and the Lambda authorizers' events. Pure: no I/O.

Where the flavours differ (AWS's "Lambda proxy integration" and "HTTP API payload
format" pages):

- REST events have no ``version``; HTTP APIs' 1.0 events say ``"1.0"``. Their
  single-value ``headers`` and ``queryStringParameters`` hold a repeated name's last value,
  the ``multiValue*`` forms all of them; empty maps are ``null``.
- Payload 2.0 lower-cases header names, comma-joins repeated headers and query values,
  moves ``Cookie`` into ``cookies``, and leaves out what is empty.
- REST's ``path`` is within the stage and ``requestContext.path`` has the stage; HTTP
  APIs (both payloads) give the path as the client sent it, stage included.
- Bodies: REST passes a body as text unless its Content-Type is one of the API's binary
  media types; HTTP APIs pass text types (``text/*``, JSON, XML, JavaScript) as text and
  anything else base64.
"""

from __future__ import annotations

import base64
import fnmatch
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl

from altus.gateway.deployed import DEFAULT_ROUTE, Stage, stage_arn
from altus.gateway.request import EventContext, GatewayRequest

_TEXT_TYPES = frozenset({"application/json", "application/xml", "application/javascript"})


def method_arn(stage: Stage, region: str, method: str, path: str) -> str:
    """``arn:aws:execute-api:<region>:<account>:<api>/<stage>/<METHOD>/<path>`` (the path
    without its leading slash)."""
    base = stage_arn(region, stage.account_id, stage.api_id)
    return f"{base}/{stage.name}/{method}/{path.lstrip('/')}"


# --- shared pieces ------------------------------------------------------------------------


def request_time(now_ms: int) -> str:
    """``12/Mar/2020:19:03:58 +0000``: ``time`` and ``requestTime``."""
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now_ms / 1000))


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_text(content_type: str | None) -> bool:
    """HTTP APIs: whether a body of this type is passed as text."""
    media = media_type(content_type)
    return media.startswith("text/") or media in _TEXT_TYPES


def is_binary(content_type: str | None, binary_media_types: Sequence[str]) -> bool:
    """REST: whether a type is one of the API's binary media types (``image/*``,
    ``*/*``)."""
    media = media_type(content_type)
    if not media:
        return False
    return any(fnmatch.fnmatchcase(media, pattern.lower()) for pattern in binary_media_types)


def _body(body: bytes, as_text: bool) -> tuple[str | None, bool]:
    if not body:
        return None, False
    if as_text:
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass  # not text whatever its type says: passed as it is, base64
    return base64.b64encode(body).decode("ascii"), True


def _v1_headers(request: GatewayRequest) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Headers by name as sent, the last value of each and all of them, with the
    gateway's ``X-Forwarded-*`` (1.0 events spell them so)."""
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    forwarded: dict[str, str] = {}
    for name, value in request.headers:
        lowered = name.lower()
        if lowered.startswith("x-forwarded-"):
            forwarded.setdefault(lowered, name)
        values = multi.get(name)
        if values is None:
            multi[name] = [value]
        else:
            values.append(value)
        single[name] = value
    chain = forwarded.get("x-forwarded-for")
    if chain is None:
        chain = "X-Forwarded-For"
        single[chain] = request.source_ip
    else:
        single[chain] = f"{single[chain]}, {request.source_ip}"
    multi[chain] = [single[chain]]
    if request.port is not None and "x-forwarded-port" not in forwarded:
        single["X-Forwarded-Port"] = str(request.port)
        multi["X-Forwarded-Port"] = [single["X-Forwarded-Port"]]
    if "x-forwarded-proto" not in forwarded:
        single["X-Forwarded-Proto"] = request.scheme
        multi["X-Forwarded-Proto"] = [request.scheme]
    return single, multi


def _multi_query(raw_query: str) -> dict[str, list[str]]:
    parameters: dict[str, list[str]] = {}
    if not raw_query:
        return parameters
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        parameters.setdefault(name, []).append(value)
    return parameters


def join_headers(
    received: Sequence[tuple[str, str]], source_ip: str, scheme: str, port: int | None
) -> tuple[dict[str, str], list[str]]:
    """Payload 2.0's headers (names lower-cased, repeated ones comma-joined, the
    ``x-forwarded-*`` ones added) and its ``cookies`` (the ``Cookie`` headers' parts), as
    API Gateway's HTTP APIs and function URLs both give them."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for raw_name, value in received:
        name = raw_name.lower()
        if name == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
        elif name in headers:
            headers[name] = f"{headers[name]},{value}"
        else:
            headers[name] = value
    forwarded = headers.get("x-forwarded-for")
    headers["x-forwarded-for"] = f"{forwarded}, {source_ip}" if forwarded else source_ip
    headers.setdefault("x-forwarded-proto", scheme)
    if port is not None:
        headers.setdefault("x-forwarded-port", str(port))
    return headers, cookies


def join_query(raw_query: str) -> dict[str, str]:
    """Payload 2.0's ``queryStringParameters``: decoded, repeated names comma-joined."""
    return {name: ",".join(values) for name, values in _multi_query(raw_query).items()}


def _joined_headers(request: GatewayRequest) -> tuple[dict[str, str], list[str]]:
    return join_headers(request.headers, request.source_ip, request.scheme, request.port)


def _route_key(context: EventContext) -> str:
    return context.matched.route.key if context.matched is not None else DEFAULT_ROUTE


def _path_parameters(context: EventContext) -> dict[str, str] | None:
    if context.matched is None or not context.matched.path_parameters:
        return None
    return dict(context.matched.path_parameters)


def _stage_variables(context: EventContext) -> dict[str, str] | None:
    return dict(context.stage.variables) or None


# --- payload 2.0 --------------------------------------------------------------------------


def _v2_request(request: GatewayRequest, context: EventContext) -> dict[str, Any]:
    """The fields a 2.0 proxy event and a 2.0 REQUEST authorizer's event share."""
    headers, cookies = _joined_headers(request)
    route_key = _route_key(context)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": request.stage_path,
        "rawQueryString": request.raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if request.raw_query:
        event["queryStringParameters"] = join_query(request.raw_query)
    stage = context.stage
    request_context: dict[str, Any] = {"accountId": stage.account_id, "apiId": stage.api_id}
    if context.principal is not None or context.authorizer is not None:
        request_context["authorizer"] = _v2_authorizer(context)
    request_context["domainName"] = request.domain_name
    request_context["domainPrefix"] = request.domain_prefix
    request_context["http"] = {
        "method": request.method,
        "path": request.stage_path,
        "protocol": request.protocol,
        "sourceIp": request.source_ip,
        "userAgent": headers.get("user-agent", ""),
    }
    request_context["requestId"] = context.request_id
    request_context["routeKey"] = route_key
    request_context["stage"] = stage.name
    request_context["time"] = request_time(context.now_ms)
    request_context["timeEpoch"] = context.now_ms
    event["requestContext"] = request_context
    matched = context.matched
    if matched is not None and matched.path_parameters:
        event["pathParameters"] = dict(matched.path_parameters)
    if stage.variables:
        event["stageVariables"] = dict(stage.variables)
    return event


def _v2_authorizer(context: EventContext) -> dict[str, Any] | None:
    """``requestContext.authorizer``: the caller (IAM) or the authorizer's output."""
    if context.principal is not None:
        principal = context.principal
        return {
            "iam": {
                "accessKey": principal.get("accessKey"),
                "accountId": principal.get("accountId"),
                "callerId": principal.get("caller"),
                "cognitoIdentity": None,
                "principalOrgId": None,
                "userArn": principal.get("userArn"),
                "userId": principal.get("user"),
            }
        }
    return dict(context.authorizer) if context.authorizer is not None else None


def http_event_v2(request: GatewayRequest, context: EventContext) -> dict[str, Any]:
    """An HTTP API's payload format 2.0 event."""
    event = _v2_request(request, context)
    body, encoded = _body(request.body, is_text(request.header("content-type")))
    if body is not None:
        event["body"] = body
    event["isBase64Encoded"] = encoded
    return event


# --- payload 1.0 (REST and HTTP APIs) -----------------------------------------------------


def _identity(request: GatewayRequest, context: EventContext, *, rest: bool) -> dict[str, Any]:
    principal = context.principal or {}
    identity: dict[str, Any] = {
        "accessKey": principal.get("accessKey"),
        "accountId": principal.get("accountId"),
        "caller": principal.get("caller"),
        "cognitoAuthenticationProvider": None,
        "cognitoAuthenticationType": None,
        "cognitoIdentityId": None,
        "cognitoIdentityPoolId": None,
        "principalOrgId": None,
        "sourceIp": request.source_ip,
        "user": principal.get("user"),
        "userAgent": request.header("user-agent"),
        "userArn": principal.get("userArn"),
        "clientCert": None,
    }
    if rest:
        identity["apiKey"] = context.api_key
        identity["apiKeyId"] = context.api_key_id
    else:
        identity["cognitoAmr"] = None
    return identity


def _v1_request(request: GatewayRequest, context: EventContext, *, rest: bool) -> dict[str, Any]:
    """The fields a 1.0 proxy event and a 1.0 REQUEST authorizer's event share."""
    route = context.matched.route if context.matched is not None else None
    resource = route.path if route is not None and route.path else "/{proxy+}"
    if not rest and route is not None and route.key == DEFAULT_ROUTE:
        resource = "$default"
    headers, multi_headers = _v1_headers(request)
    query = _multi_query(request.raw_query)
    event: dict[str, Any] = {} if rest else {"version": "1.0"}
    event.update(
        {
            "resource": resource,
            # REST: the path within the stage; HTTP APIs: as sent, stage and all.
            "path": request.path if rest else request.stage_path,
            "httpMethod": request.method,
            "headers": headers,
            "multiValueHeaders": multi_headers,
            "queryStringParameters": {name: values[-1] for name, values in query.items()} or None,
            "multiValueQueryStringParameters": query or None,
        }
    )
    request_context: dict[str, Any] = {
        "accountId": context.stage.account_id,
        "apiId": context.stage.api_id,
    }
    if context.authorizer is not None:
        request_context["authorizer"] = dict(context.authorizer)
    request_context.update(
        {
            "domainName": request.domain_name,
            "domainPrefix": request.domain_prefix,
            "extendedRequestId": context.extended_request_id or context.request_id,
            "httpMethod": request.method,
            "identity": _identity(request, context, rest=rest),
            "path": request.stage_path,
            "protocol": request.protocol,
            "requestId": context.request_id,
            "requestTime": request_time(context.now_ms),
            "requestTimeEpoch": context.now_ms,
            "resourceId": (route.id if rest else route.key) if route is not None else None,
            "resourcePath": resource,
            "stage": context.stage.name,
        }
    )
    event["requestContext"] = request_context
    event["pathParameters"] = _path_parameters(context)
    event["stageVariables"] = _stage_variables(context)
    return event


def proxy_event_v1(request: GatewayRequest, context: EventContext, *, rest: bool) -> dict[str, Any]:
    """A REST API's proxy event (``rest``), or an HTTP API's payload format 1.0 event."""
    event = _v1_request(request, context, rest=rest)
    content_type = request.header("content-type")
    if rest:
        as_text = not is_binary(content_type, context.stage.deployment.binary_media_types)
    else:
        as_text = is_text(content_type)
    body, encoded = _body(request.body, as_text)
    event["body"] = body
    event["isBase64Encoded"] = encoded
    return event


# --- authorizers --------------------------------------------------------------------------


def token_authorizer_event(token: str, method_arn: str) -> dict[str, Any]:
    """A REST TOKEN authorizer's event."""
    return {"type": "TOKEN", "methodArn": method_arn, "authorizationToken": token}


def request_authorizer_event(
    request: GatewayRequest,
    context: EventContext,
    *,
    arn: str,
    identity: Sequence[str],
    version: str,
    rest: bool,
) -> dict[str, Any]:
    """A REQUEST authorizer's event: REST (``rest``), or an HTTP or WebSocket API's in
    payload ``version`` 1.0 or 2.0. ``arn``: the method ARN (the route ARN in 2.0);
    ``identity``: the identity sources' values. No body: authorizers never get one."""
    if not rest and version == "2.0":
        event = _v2_request(request, context)
        return {
            "version": "2.0",
            "type": "REQUEST",
            "routeArn": arn,
            "identitySource": list(identity),
            **{key: value for key, value in event.items() if key != "version"},
        }
    fields = _v1_request(request, context, rest=rest)
    fields.pop("version", None)
    head: dict[str, Any] = {} if rest else {"version": "1.0"}
    head.update({"type": "REQUEST", "methodArn": arn})
    if not rest:
        joined = ",".join(identity)
        head.update({"identitySource": joined, "authorizationToken": joined})
    return {**head, **fields}

"""What the model cannot say about an API's resources: the rules API Gateway checks
beside its shapes (which integration types, payload versions, timeouts, identity
sources and stage variables each protocol takes). Each check raises BadRequest with the
reason, before anything is planned."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from altus.apigatewayv2.errors import BadRequest
from altus.gateway.deployed import AWS_PROXY, HTTP, HTTP_PROXY, MOCK

#: An HTTP API's only route selection expression.
HTTP_ROUTE_SELECTION = "${request.method} ${request.path}"
API_KEY_SELECTIONS = ("$request.header.x-api-key", "$context.authorizer.usageIdentifierKey")
PAYLOAD_VERSIONS = ("1.0", "2.0")

_FUNCTION = r"arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9$_-]+)?"
_LAMBDA_URI = re.compile(
    rf"({_FUNCTION})|arn:aws[a-z-]*:apigateway:[a-z0-9-]+:lambda:path/2015-03-31/functions/"
    rf"(.+)/invocations"
)
_STAGE_VARIABLE = re.compile(r"\$\{stageVariables\.[A-Za-z0-9_]+\}")
_VARIABLE_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")
_VARIABLE_VALUE = re.compile(r"[A-Za-z0-9\-._~:/?#&=,]{1,2048}")


def function_of(uri: str) -> str | None:
    """The function ARN an AWS_PROXY integration's URI names (a stage variable in it
    stands for any name); None where it names none."""
    plain = _STAGE_VARIABLE.sub("x", uri)
    found = _LAMBDA_URI.fullmatch(plain)
    if found is None:
        return None
    inner = found.group(3)
    if inner is not None and not re.fullmatch(_FUNCTION, inner):
        return None
    return uri


def integration(protocol: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """The integration ``body`` (its members as written) checked, with API Gateway's
    defaults filled in."""
    out = dict(body)
    kind = str(out["IntegrationType"])
    http = protocol == HTTP
    allowed = (AWS_PROXY, HTTP_PROXY) if http else (AWS_PROXY, HTTP_PROXY, MOCK, "AWS", "HTTP")
    if kind not in allowed:
        raise BadRequest(
            f"IntegrationType {kind} is not supported for {protocol} APIs; "
            f"use one of {', '.join(allowed)}."
        )
    uri = out.get("IntegrationUri")
    if kind == AWS_PROXY:
        if not uri or function_of(str(uri)) is None:
            raise BadRequest(
                "IntegrationUri must be a Lambda function ARN, or API Gateway's Lambda "
                "invocation URI, for AWS_PROXY integrations."
            )
        out.setdefault("IntegrationMethod", "POST")
        version = out.get("PayloadFormatVersion")
        if http and version not in PAYLOAD_VERSIONS:
            raise BadRequest(
                "PayloadFormatVersion must be 1.0 or 2.0 for AWS_PROXY integrations of HTTP APIs."
            )
        if not http and version not in (None, "1.0"):
            # The model: 1.0 is the only value outside HTTP APIs' Lambda proxy
            # integrations (WebSocket Lambda events have one format).
            raise BadRequest(
                "PayloadFormatVersion must be 1.0 for AWS_PROXY integrations of WebSocket APIs."
            )
    elif kind in (HTTP_PROXY, "HTTP"):
        if not uri or not re.match(r"https?://[^/\s]+", _STAGE_VARIABLE.sub("x", str(uri))):
            raise BadRequest(f"IntegrationUri must be an http(s) URL for {kind} integrations.")
        if http and not out.get("IntegrationMethod"):
            raise BadRequest("IntegrationMethod is required for HTTP_PROXY integrations.")
        out.setdefault("IntegrationMethod", "ANY")
        if http and out.get("PayloadFormatVersion", "1.0") != "1.0":
            raise BadRequest("PayloadFormatVersion must be 1.0 for HTTP_PROXY integrations.")
    elif kind == MOCK and uri:
        raise BadRequest("IntegrationUri is not taken by MOCK integrations.")
    out.setdefault("PayloadFormatVersion", "1.0")
    top = 30_000 if http else 29_000
    timeout = out.setdefault("TimeoutInMillis", top)
    if not 50 <= int(timeout) <= top:
        raise BadRequest(f"TimeoutInMillis must be between 50 and {top} for {protocol} APIs.")
    out.setdefault("ConnectionType", "INTERNET")
    if not http:
        out.setdefault("PassthroughBehavior", "WHEN_NO_MATCH")
    return out


#: Identity sources: HTTP APIs name them ``$request.header.<name>`` ...; WebSocket APIs
#: ``route.request.header.<name>`` ... (the ``$`` forms taken too).
_HTTP_SOURCE = re.compile(
    r"\$request\.(header|querystring)\.[^\s,]+|\$(context|stageVariables)\.[^\s,]+"
)
_WEBSOCKET_SOURCE = re.compile(
    r"route\.request\.(header|querystring)\.[^\s,]+|(context|stageVariables)\.[^\s,]+"
)


def identity_sources(protocol: str, sources: list[str]) -> None:
    for source in sources:
        if _HTTP_SOURCE.fullmatch(source):
            continue
        if protocol != HTTP and _WEBSOCKET_SOURCE.fullmatch(source):
            continue
        shown = (
            "$request.header.<name>, $request.querystring.<name>, $context.<name> or "
            "$stageVariables.<name>"
            if protocol == HTTP
            else "route.request.header.<name>, route.request.querystring.<name>, "
            "context.<name> or stageVariables.<name>"
        )
        raise BadRequest(f"Invalid identity source '{source}': expected {shown}.")


def authorizer(protocol: str, body: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(body)
    kind = str(out["AuthorizerType"])
    http = protocol == HTTP
    sources = [str(s) for s in out.get("IdentitySource") or ()]
    if kind == "JWT":
        if not http:
            raise BadRequest("JWT authorizers are supported for HTTP APIs only.")
        jwt = out.get("JwtConfiguration") or {}
        if not jwt.get("Issuer") or not jwt.get("Audience"):
            raise BadRequest("JwtConfiguration must give an Issuer and an Audience.")
        if not sources:
            out["IdentitySource"] = sources = ["$request.header.Authorization"]
        for member in ("AuthorizerUri", "AuthorizerPayloadFormatVersion"):
            if out.get(member):
                raise BadRequest(f"{member} is not taken by JWT authorizers.")
    elif kind == "REQUEST":
        if not out.get("AuthorizerUri") or function_of(str(out["AuthorizerUri"])) is None:
            raise BadRequest(
                "AuthorizerUri must be API Gateway's Lambda invocation URI of the "
                "authorizer function."
            )
        if out.get("JwtConfiguration"):
            raise BadRequest("JwtConfiguration is taken by JWT authorizers only.")
        version = out.get("AuthorizerPayloadFormatVersion")
        if http and version not in PAYLOAD_VERSIONS:
            raise BadRequest(
                "AuthorizerPayloadFormatVersion must be 1.0 or 2.0 for REQUEST authorizers "
                "of HTTP APIs."
            )
        if not http and version is not None and version != "1.0":
            raise BadRequest("AuthorizerPayloadFormatVersion is 1.0 for WebSocket APIs.")
        if out.get("EnableSimpleResponses") and version != "2.0":
            raise BadRequest("EnableSimpleResponses is taken with payload format 2.0 only.")
        ttl = int(out.get("AuthorizerResultTtlInSeconds") or 0)
        if not 0 <= ttl <= 3600:
            raise BadRequest("AuthorizerResultTtlInSeconds must be between 0 and 3600.")
        if ttl > 0 and not sources:
            raise BadRequest(
                "Identity sources are required when AuthorizerResultTtlInSeconds is "
                "greater than 0 (they are the cache's key)."
            )
        out.setdefault("AuthorizerResultTtlInSeconds", 0)
        if http:
            out.setdefault("EnableSimpleResponses", False)
    else:
        raise BadRequest(f"AuthorizerType {kind} is not supported for {protocol} APIs.")
    identity_sources(protocol, sources)
    return out


def stage_variables(variables: Mapping[str, Any]) -> None:
    for name, value in variables.items():
        if not _VARIABLE_NAME.fullmatch(name):
            raise BadRequest(
                f"Stage variable name '{name}' is not valid: names are 1 to 64 letters, "
                "digits and underscores."
            )
        if not _VARIABLE_VALUE.fullmatch(str(value)):
            raise BadRequest(
                f"Stage variable value '{value}' of '{name}' is not valid: values are 1 to "
                "2048 letters, digits and the symbols -._~:/?#&=,"
            )


def stage_name(protocol: str, name: str) -> None:
    if name == "$default":
        if protocol != HTTP:
            raise BadRequest("The $default stage is supported for HTTP APIs only.")
        return
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,128}", name):
        raise BadRequest(
            f"Stage name '{name}' is not valid: names are 1 to 128 letters, digits, "
            "hyphens and underscores, or $default."
        )


def cors(protocol: str, config: Mapping[str, Any]) -> None:
    if protocol != HTTP:
        raise BadRequest("CorsConfiguration is supported for HTTP APIs only.")
    if config.get("AllowCredentials") and "*" in (config.get("AllowOrigins") or ()):
        raise BadRequest("AllowCredentials cannot be true when AllowOrigins includes '*'.")
    age = config.get("MaxAge")
    if age is not None and not -1 <= int(age) <= 86400:
        raise BadRequest("MaxAge must be between -1 and 86400.")


def route_selection(protocol: str, expression: str | None) -> str:
    """The API's route selection expression, checked (HTTP: the one there is)."""
    if protocol == HTTP:
        if expression not in (None, HTTP_ROUTE_SELECTION):
            raise BadRequest(
                f"RouteSelectionExpression must be {HTTP_ROUTE_SELECTION} for HTTP APIs."
            )
        return HTTP_ROUTE_SELECTION
    if not expression:
        raise BadRequest("RouteSelectionExpression is required for WebSocket APIs.")
    if not re.fullmatch(r"\$request\.body\.[^\s]+|\$\{request\.body\.[^\s}]+\}", expression):
        raise BadRequest(
            f"RouteSelectionExpression '{expression}' is not valid: WebSocket APIs select "
            "by the message body, e.g. $request.body.action."
        )
    return expression


def api_key_selection(expression: str | None) -> str:
    if expression is None:
        return API_KEY_SELECTIONS[0]
    if expression not in API_KEY_SELECTIONS:
        raise BadRequest(
            "ApiKeySelectionExpression must be one of " + ", ".join(API_KEY_SELECTIONS) + "."
        )
    return expression

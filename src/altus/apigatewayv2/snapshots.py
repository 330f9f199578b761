"""Deployments as the front door sees them: what a deployment record keeps of its API
(``capture``, JSON-ready, written with it) and the ``gateway.deployed`` shapes made of
that (``deployment``) and of a stage (``stage``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from altus.apigatewayv2 import routekeys
from altus.apigatewayv2.model import (
    AUTHORIZER,
    INTEGRATION,
    ROUTE,
    ROUTE_RESPONSE,
    ApiState,
    Record,
)
from altus.gateway import deployed as d


def capture(state: ApiState) -> dict[str, Any]:
    """What a deployment made now serves: the routes (with whether each has a route
    response), integrations, authorizers, CORS and selection expressions."""
    api = state.api.body
    answered = {r.body.get("_route") for r in state.of(ROUTE_RESPONSE).values()}
    return {
        "protocol": api["ProtocolType"],
        "cors": api.get("CorsConfiguration"),
        "route_selection": api.get("RouteSelectionExpression"),
        "api_key_selection": api.get("ApiKeySelectionExpression"),
        # As on AWS, disabling the default endpoint takes effect with a deployment.
        "endpoint_disabled": bool(api.get("DisableExecuteApiEndpoint")),
        "routes": [
            {**r.public(), "_answered": r.id in answered}
            for r in sorted(state.of(ROUTE).values(), key=lambda r: r.id)
        ],
        "integrations": {i: r.public() for i, r in state.of(INTEGRATION).items()},
        "authorizers": {i: r.public() for i, r in state.of(AUTHORIZER).items()},
    }


def _integration(body: Mapping[str, Any]) -> d.Integration:
    return d.Integration(
        type=str(body["IntegrationType"]),
        uri=str(body.get("IntegrationUri") or ""),
        method=str(body.get("IntegrationMethod") or "POST"),
        payload_format=str(body.get("PayloadFormatVersion") or "1.0"),
        timeout_ms=int(body.get("TimeoutInMillis") or 29_000),
        credentials=body.get("CredentialsArn"),
        request_parameters=dict(body.get("RequestParameters") or {}),
        id=str(body["IntegrationId"]),
    )


def _authorizer(body: Mapping[str, Any]) -> d.Authorizer:
    jwt = body.get("JwtConfiguration") or {}
    return d.Authorizer(
        id=str(body["AuthorizerId"]),
        name=str(body["Name"]),
        type=str(body["AuthorizerType"]),
        uri=str(body.get("AuthorizerUri") or ""),
        credentials=body.get("AuthorizerCredentialsArn"),
        identity_sources=tuple(body.get("IdentitySource") or ()),
        identity_validation_expression=body.get("IdentityValidationExpression"),
        result_ttl=int(body.get("AuthorizerResultTtlInSeconds") or 0),
        payload_format=str(body.get("AuthorizerPayloadFormatVersion") or "1.0"),
        simple_responses=bool(body.get("EnableSimpleResponses")),
        jwt_issuer=jwt.get("Issuer"),
        jwt_audience=tuple(jwt.get("Audience") or ()),
    )


def _cors(body: Mapping[str, Any] | None) -> d.Cors | None:
    if not body:
        return None
    return d.Cors(
        allow_origins=tuple(body.get("AllowOrigins") or ()),
        allow_methods=tuple(body.get("AllowMethods") or ()),
        allow_headers=tuple(body.get("AllowHeaders") or ()),
        expose_headers=tuple(body.get("ExposeHeaders") or ()),
        allow_credentials=bool(body.get("AllowCredentials")),
        max_age=body.get("MaxAge"),
    )


def deployment(api_id: str, record: Record) -> d.Deployment:
    """The front door's deployment of a deployment record."""
    snap: Mapping[str, Any] = record.body["_snapshot"]
    protocol = str(snap["protocol"])
    integrations = {i: _integration(b) for i, b in snap["integrations"].items()}
    routes = []
    for body in snap["routes"]:
        key = str(body["RouteKey"])
        method, path = routekeys.split(key) if protocol == d.HTTP else ("", "")
        target = str(body.get("Target") or "")
        routes.append(
            d.Route(
                id=str(body["RouteId"]),
                key=key,
                method=method,
                path=path,
                integration=integrations.get(target.removeprefix("integrations/")),
                authorization_type=str(body.get("AuthorizationType") or d.NONE),
                authorizer_id=body.get("AuthorizerId"),
                authorization_scopes=tuple(body.get("AuthorizationScopes") or ()),
                api_key_required=bool(body.get("ApiKeyRequired")),
                operation_name=body.get("OperationName"),
                returns_response=bool(body.get("_answered")),
            )
        )
    return d.Deployment(
        id=record.id,
        api_id=api_id,
        protocol=protocol,
        routes=tuple(routes),
        authorizers={i: _authorizer(b) for i, b in snap["authorizers"].items()},
        cors=_cors(snap.get("cors")),
        route_selection_expression=str(snap.get("route_selection") or ""),
        api_key_selection_expression=str(
            snap.get("api_key_selection") or "$request.header.x-api-key"
        ),
    )


def _throttle(settings: Mapping[str, Any] | None) -> d.Throttle:
    settings = settings or {}
    rate, burst = settings.get("ThrottlingRateLimit"), settings.get("ThrottlingBurstLimit")
    return d.Throttle(
        rate=float(rate) if rate is not None else None,
        burst=int(burst) if burst is not None else None,
    )


def stage(
    api: Record, record: Record, deployment: Record, deployed: d.Deployment, account_id: str
) -> d.Stage:
    """A stage as it serves now: its deployment (``deployment``, made ``deployed``),
    and its live settings."""
    body = record.body
    # A deployment made before the snapshot kept it: the API's own value.
    disabled = deployment.body["_snapshot"].get(
        "endpoint_disabled", api.body.get("DisableExecuteApiEndpoint")
    )
    return d.Stage(
        api_id=api.api_id,
        name=record.id,
        deployment=deployed,
        variables=dict(body.get("StageVariables") or {}),
        throttle=_throttle(body.get("DefaultRouteSettings")),
        route_throttles={
            key: _throttle(settings) for key, settings in (body.get("RouteSettings") or {}).items()
        },
        endpoint_disabled=bool(disabled),
        account_id=account_id,
        authorizers_flushed=int(body.get("_flushed") or 0),
    )

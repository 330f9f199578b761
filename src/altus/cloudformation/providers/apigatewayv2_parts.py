"""An HTTP or WebSocket API's parts: ``AWS::ApiGatewayV2::Route``, ``Integration``,
``Authorizer``, ``RouteResponse``, ``IntegrationResponse`` and ``Model``, one generic
``Child`` each (stages and deployments are ``apigatewayv2_stages``').

A child is made with ``Create<Kind>`` and updated with one ``Update<Kind>`` of the
members that changed; a member the template dropped is sent back at its default where
the API has one to send (an empty description, no request parameters...). Its Ref is
the id API Gateway gave it; an interrupted create is found again by what names it
uniquely under its API (a route's key, a response's key, an authorizer's or a model's
name), or not at all (an integration's id is the service's)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from altus.cloudformation.providers.apigateway_common import (
    json_object,
    strings,
    targets,
    text_map,
)
from altus.cloudformation.providers.base import (
    Current,
    Outcome,
    Properties,
    Provider,
    ProviderContext,
    boolean,
    integer,
    required,
)
from altus.cloudformation.providers.common import gone_or, json_text, outcome, present

Members = Callable[[Properties], dict[str, Any]]


def _constraints(value: Any) -> dict[str, dict[str, bool]] | None:
    """Request parameters as ``{name: {Required: bool}}``."""
    if value is None:
        return None
    return {
        str(name): {"Required": bool(boolean(given or {}, "Required"))}
        for name, given in json_object(value, "RequestParameters").items()
    }


def _route(props: Properties) -> dict[str, Any]:
    return present(
        RouteKey=props.get("RouteKey"),
        Target=props.get("Target"),
        AuthorizationType=props.get("AuthorizationType"),
        AuthorizerId=props.get("AuthorizerId"),
        AuthorizationScopes=None
        if props.get("AuthorizationScopes") is None
        else [str(s) for s in props["AuthorizationScopes"]],
        ApiKeyRequired=boolean(props, "ApiKeyRequired"),
        OperationName=props.get("OperationName"),
        ModelSelectionExpression=props.get("ModelSelectionExpression"),
        RouteResponseSelectionExpression=props.get("RouteResponseSelectionExpression"),
        RequestModels=strings(props, "RequestModels"),
        RequestParameters=_constraints(props.get("RequestParameters")),
    )


def _response_mappings(value: Any) -> dict[str, dict[str, str]] | None:
    """An HTTP API integration's ``ResponseParameters``: by status code, each a map of
    mapping to source (the template may write each as ``{ResponseParameters:
    [{Destination, Source}]}``, CloudFormation's shape)."""
    if value is None:
        return None
    found: dict[str, dict[str, str]] = {}
    for status, given in json_object(value, "ResponseParameters").items():
        if isinstance(given, Mapping) and isinstance(given.get("ResponseParameters"), list):
            found[str(status)] = {
                str(p["Destination"]): str(p["Source"]) for p in given["ResponseParameters"]
            }
        else:
            found[str(status)] = text_map(given, "ResponseParameters")
    return found


def _integration(props: Properties) -> dict[str, Any]:
    tls = props.get("TlsConfig")
    return present(
        IntegrationType=props.get("IntegrationType"),
        IntegrationUri=props.get("IntegrationUri"),
        IntegrationMethod=props.get("IntegrationMethod"),
        IntegrationSubtype=props.get("IntegrationSubtype"),
        PayloadFormatVersion=props.get("PayloadFormatVersion"),
        ConnectionId=props.get("ConnectionId"),
        ConnectionType=props.get("ConnectionType"),
        ContentHandlingStrategy=props.get("ContentHandlingStrategy"),
        CredentialsArn=props.get("CredentialsArn"),
        Description=props.get("Description"),
        PassthroughBehavior=props.get("PassthroughBehavior"),
        TemplateSelectionExpression=props.get("TemplateSelectionExpression"),
        TimeoutInMillis=integer(props, "TimeoutInMillis"),
        RequestParameters=strings(props, "RequestParameters"),
        RequestTemplates=strings(props, "RequestTemplates"),
        ResponseParameters=_response_mappings(props.get("ResponseParameters")),
        TlsConfig=None if not tls else present(ServerNameToVerify=tls.get("ServerNameToVerify")),
    )


def _authorizer(props: Properties) -> dict[str, Any]:
    jwt = props.get("JwtConfiguration")
    return present(
        Name=props.get("Name"),
        AuthorizerType=props.get("AuthorizerType"),
        AuthorizerUri=props.get("AuthorizerUri"),
        AuthorizerCredentialsArn=props.get("AuthorizerCredentialsArn"),
        AuthorizerPayloadFormatVersion=props.get("AuthorizerPayloadFormatVersion"),
        AuthorizerResultTtlInSeconds=integer(props, "AuthorizerResultTtlInSeconds"),
        EnableSimpleResponses=boolean(props, "EnableSimpleResponses"),
        IdentitySource=[str(s) for s in props.get("IdentitySource") or ()],
        IdentityValidationExpression=props.get("IdentityValidationExpression"),
        JwtConfiguration=None
        if not jwt
        else present(
            Audience=None if jwt.get("Audience") is None else [str(a) for a in jwt["Audience"]],
            Issuer=jwt.get("Issuer"),
        ),
    )


def _route_response(props: Properties) -> dict[str, Any]:
    return present(
        RouteResponseKey=props.get("RouteResponseKey"),
        ModelSelectionExpression=props.get("ModelSelectionExpression"),
        ResponseModels=strings(props, "ResponseModels"),
        ResponseParameters=_constraints(props.get("ResponseParameters")),
    )


def _integration_response(props: Properties) -> dict[str, Any]:
    return present(
        IntegrationResponseKey=props.get("IntegrationResponseKey"),
        ContentHandlingStrategy=props.get("ContentHandlingStrategy"),
        TemplateSelectionExpression=props.get("TemplateSelectionExpression"),
        ResponseParameters=strings(props, "ResponseParameters"),
        ResponseTemplates=strings(props, "ResponseTemplates"),
    )


def _model(props: Properties) -> dict[str, Any]:
    return present(
        Name=props.get("Name"),
        ContentType=props.get("ContentType"),
        Description=props.get("Description"),
        Schema=None if props.get("Schema") is None else json_text(props["Schema"]),
    )


class Child:
    """One kind of an API's children (``kind``: the operations' noun, ``Route``), whose
    members ``members`` reads from the template; ``needs``: the properties it requires
    besides its API's and its parent's; ``key``: the member naming one uniquely under its
    parent (an interrupted create is found again by it), if any; ``parent``: the parent's
    id member besides the API's (``RouteId`` of a route response); ``resets``: what a
    member the template dropped is sent back as. Its API and its parent are fixed at
    creation; anything else changes in place."""

    def __init__(
        self,
        kind: str,
        members: Members,
        needs: tuple[str, ...],
        *,
        key: str | None = None,
        parent: str | None = None,
        resets: Mapping[str, Any] | None = None,
    ) -> None:
        self.kind = kind
        self.members = members
        owners = ("ApiId",) if parent is None else ("ApiId", parent)
        self.required = (*owners, *needs)
        self.replaced_by = frozenset(owners)
        self.key = key
        self.parent = parent
        self.resets: Mapping[str, Any] = resets or {}
        self.ident = f"{kind}Id"
        self.attributes = frozenset({self.ident})

    def _scope(self, props: Properties) -> dict[str, str]:
        scope = {"ApiId": str(props.get("ApiId") or "")}
        if self.parent is not None:
            scope[self.parent] = str(props.get(self.parent) or "")
        return scope

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        required(props, *self.required)
        made = await ctx.call(
            "apigatewayv2", f"Create{self.kind}", {**self._scope(props), **self.members(props)}
        )
        return outcome(made[self.ident], self.ident)

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        required(props, *self.required)
        ident = str(current.physical_id)
        old, new = self.members(current.properties), self.members(props)
        members = {name: value for name, value in new.items() if old.get(name) != value}
        members |= {
            name: self.resets[name] for name in old if name not in new and name in self.resets
        }
        if members:
            await ctx.call(
                "apigatewayv2",
                f"Update{self.kind}",
                {**self._scope(props), self.ident: ident, **members},
            )
        return outcome(ident, self.ident)

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        scope = self._scope(current.properties)
        wanted = current.properties.get(self.key) if self.key is not None else None
        found = await targets(
            ctx,
            current,
            "apigatewayv2",
            f"Get{self.kind}s",
            scope,
            {str(self.key): wanted} if wanted else None,
            ident=self.ident,
        )
        for ident in found:
            await gone_or(
                ctx.call("apigatewayv2", f"Delete{self.kind}", {**scope, self.ident: ident})
            )


ROUTE = Child(
    "Route",
    _route,
    ("RouteKey",),
    key="RouteKey",
    resets={
        "Target": "",
        "AuthorizationType": "NONE",
        "AuthorizationScopes": [],
        "ApiKeyRequired": False,
        "OperationName": "",
        "RequestModels": {},
        "RequestParameters": {},
    },
)
INTEGRATION = Child(
    "Integration",
    _integration,
    ("IntegrationType",),
    resets={
        "Description": "",
        "RequestParameters": {},
        "RequestTemplates": {},
        "ResponseParameters": {},
    },
)
AUTHORIZER = Child(
    "Authorizer", _authorizer, ("AuthorizerType", "Name"), key="Name", resets={"IdentitySource": []}
)
ROUTE_RESPONSE = Child(
    "RouteResponse",
    _route_response,
    ("RouteResponseKey",),
    key="RouteResponseKey",
    parent="RouteId",
    resets={"ResponseModels": {}, "ResponseParameters": {}},
)
INTEGRATION_RESPONSE = Child(
    "IntegrationResponse",
    _integration_response,
    ("IntegrationResponseKey",),
    key="IntegrationResponseKey",
    parent="IntegrationId",
    resets={"ResponseParameters": {}, "ResponseTemplates": {}},
)
MODEL = Child("Model", _model, ("Name", "Schema"), key="Name", resets={"Description": ""})


PROVIDERS: dict[str, Provider] = {
    "AWS::ApiGatewayV2::Route": ROUTE,
    "AWS::ApiGatewayV2::Integration": INTEGRATION,
    "AWS::ApiGatewayV2::Authorizer": AUTHORIZER,
    "AWS::ApiGatewayV2::RouteResponse": ROUTE_RESPONSE,
    "AWS::ApiGatewayV2::IntegrationResponse": INTEGRATION_RESPONSE,
    "AWS::ApiGatewayV2::Model": MODEL,
}

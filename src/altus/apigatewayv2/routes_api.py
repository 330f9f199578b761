"""Routes (CreateRoute, GetRoute, GetRoutes, UpdateRoute, DeleteRoute) and, for
WebSocket APIs, their route responses.

A route's key is unique in its API (ConflictException); its Target names an integration
of the API (``integrations/<id>``); its authorizer exists and fits its
AuthorizationType (CUSTOM: a REQUEST authorizer; JWT: a JWT one); WebSocket APIs
authorise on ``$connect`` only, and take ApiKeyRequired and route responses. The route
quick create made (managed by API Gateway) keeps its key (UpdateApi's RouteKey changes
it) and is not deleted."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from altus.api.spec import Call, Members
from altus.apigatewayv2 import routekeys
from altus.apigatewayv2.children import Kind
from altus.apigatewayv2.errors import BadRequest, route_exists, variable_conflict
from altus.apigatewayv2.model import (
    AUTHORIZER,
    INTEGRATION,
    ROUTE,
    ROUTE_RESPONSE,
    ApiState,
    Change,
    Record,
)
from altus.apigatewayv2.responses import Responses
from altus.apigatewayv2.stages_api import follow_route_keys
from altus.gateway.deployed import HTTP

if TYPE_CHECKING:
    from altus.apigatewayv2.component import ApiGatewayV2
    from altus.apigatewayv2.state import Core


def _checked(core: Core, state: ApiState, body: dict[str, Any], route_id: str) -> dict[str, Any]:
    protocol = str(state.api.body["ProtocolType"])
    key = routekeys.check(protocol, str(body["RouteKey"]))
    for other in state.of(ROUTE).values():
        if other.id != route_id and other.body["RouteKey"] == key:
            raise route_exists(key)
    others = [r.body["RouteKey"] for r in state.of(ROUTE).values() if r.id != route_id]
    clash = routekeys.conflicting(key, others) if protocol == HTTP else None
    if clash is not None:
        raise variable_conflict(key, clash)
    target = body.get("Target")
    if target:
        ident = str(target).removeprefix("integrations/")
        if not str(target).startswith("integrations/") or ident not in state.of(INTEGRATION):
            raise BadRequest(
                f"Invalid Target '{target}': it must be integrations/<id> of an integration "
                "of this API."
            )
    kind = str(body.setdefault("AuthorizationType", "NONE"))
    authorizer_id = body.get("AuthorizerId")
    if kind in ("CUSTOM", "JWT"):
        if not authorizer_id:
            raise BadRequest(f"AuthorizerId is required for AuthorizationType {kind}.")
        found = core.child(state, AUTHORIZER, str(authorizer_id))
        wanted = "REQUEST" if kind == "CUSTOM" else "JWT"
        if found.body["AuthorizerType"] != wanted:
            raise BadRequest(
                f"AuthorizationType {kind} needs a {wanted} authorizer; authorizer "
                f"{authorizer_id} is {found.body['AuthorizerType']}."
            )
    elif authorizer_id:
        raise BadRequest(f"AuthorizerId is not taken with AuthorizationType {kind}.")
    if body.get("AuthorizationScopes") and kind != "JWT":
        raise BadRequest("AuthorizationScopes are taken with AuthorizationType JWT only.")
    if protocol == HTTP:
        if body.get("ApiKeyRequired"):
            raise BadRequest("ApiKeyRequired is supported for WebSocket APIs only.")
        if body.get("RouteResponseSelectionExpression"):
            raise BadRequest(
                "RouteResponseSelectionExpression is supported for WebSocket APIs only."
            )
    else:
        if kind == "JWT":
            raise BadRequest("JWT authorization is supported for HTTP APIs only.")
        if kind != "NONE" and key != "$connect":
            raise BadRequest("WebSocket APIs authorise on the $connect route only.")
        expression = body.get("RouteResponseSelectionExpression")
        if expression not in (None, "$default"):
            raise BadRequest("RouteResponseSelectionExpression must be $default.")
    body.setdefault("ApiKeyRequired", False)
    return body


ROUTES = Kind(ROUTE, "RouteId")


async def create_route(gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
    return await ROUTES.create(
        gateway,
        input,
        lambda state, ident, given: _checked(
            gateway.core, state, {**given, "RouteId": ident}, ident
        ),
    )


get_route = ROUTES.get
get_routes = ROUTES.get_all


async def update_route(gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
    def edited(state: ApiState, current: Record, given: dict[str, Any]) -> dict[str, Any]:
        if given.get("AuthorizationType") in ("NONE", "AWS_IAM"):
            # A route made public again drops the authorizer it had.
            given.setdefault("AuthorizerId", None)
            given.setdefault("AuthorizationScopes", None)
        old_key = str(current.body["RouteKey"])
        if current.body.get("ApiGatewayManaged") and given.get("RouteKey", old_key) != old_key:
            raise BadRequest(
                "Cannot modify the route key of a route managed by API Gateway (made by quick "
                "create); change it with UpdateApi's RouteKey."
            )
        merged = {k: v for k, v in {**current.body, **given}.items() if v is not None}
        return _checked(gateway.core, state, merged, current.id)

    def renamed(state: ApiState, current: Record, body: dict[str, Any]) -> list[Change]:
        old_key, new_key = str(current.body["RouteKey"]), str(body["RouteKey"])
        return follow_route_keys(state, {old_key: new_key}) if new_key != old_key else []

    return await ROUTES.update(gateway, input, edited, renamed)


def _gone(state: ApiState, route: Record) -> list[Change]:
    """Refuses to drop the quick create route; its stages' settings and its responses
    go with it."""
    if route.body.get("ApiGatewayManaged"):
        raise BadRequest("Cannot delete a route managed by API Gateway (made by quick create).")
    return [
        *follow_route_keys(state, {str(route.body["RouteKey"]): None}),
        *RESPONSES.drops(state, route.id),
    ]


async def delete_route(gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
    return await ROUTES.delete(gateway, input, _gone)


async def delete_route_request_parameter(
    gateway: ApiGatewayV2, call: Call, input: Members
) -> Members:
    def edited(state: ApiState, route: Record, given: dict[str, Any]) -> dict[str, Any]:
        name = str(input["RequestParameterKey"])
        parameters = dict(route.body.get("RequestParameters") or {})
        if name not in parameters:
            raise BadRequest(f"Invalid request parameter key {name} for this route.")
        del parameters[name]
        return {**route.body, "RequestParameters": parameters}

    await ROUTES.update(gateway, input, edited)
    return {}


# --- route responses (WebSocket) ---------------------------------------------------------


def _response_key(key: str) -> str:
    if key != "$default":
        raise BadRequest("RouteResponseKey must be $default (the one route response key).")
    return key


RESPONSES = Responses(
    kind=ROUTE_RESPONSE,
    parent=ROUTES,
    link="_route",
    member="RouteResponseId",
    key="RouteResponseKey",
    plural="Route responses",
    taken="Route response with key {key} already exists for this route",
    checked_key=_response_key,
)
create_route_response = RESPONSES.create
get_route_response = RESPONSES.get
get_route_responses = RESPONSES.get_all
update_route_response = RESPONSES.update
delete_route_response = RESPONSES.delete

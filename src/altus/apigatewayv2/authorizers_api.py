"""Authorizers (Create/Get/GetAuthorizers/Update/Delete): Lambda REQUEST authorizers and
(HTTP APIs) JWT ones, checked by ``checks.authorizer``. An authorizer a route uses is
not deleted."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from altus.api.spec import Call, Members
from altus.apigatewayv2 import checks
from altus.apigatewayv2.children import Kind
from altus.apigatewayv2.errors import BadRequest
from altus.apigatewayv2.model import AUTHORIZER, ROUTE, ApiState, Change, Record

if TYPE_CHECKING:
    from altus.apigatewayv2.component import ApiGatewayV2

AUTHORIZERS = Kind(AUTHORIZER, "AuthorizerId")


def _protocol(state: ApiState) -> str:
    return str(state.api.body["ProtocolType"])


async def create_authorizer(gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
    return await AUTHORIZERS.create(
        gateway,
        input,
        lambda state, ident, given: {
            **checks.authorizer(_protocol(state), given),
            "AuthorizerId": ident,
        },
    )


get_authorizer = AUTHORIZERS.get
get_authorizers = AUTHORIZERS.get_all


def _edited(state: ApiState, current: Record, given: dict[str, Any]) -> dict[str, Any]:
    if given.get("AuthorizerType", current.body["AuthorizerType"]) != current.body[
        "AuthorizerType"
    ] and any(r.body.get("AuthorizerId") == current.id for r in state.of(ROUTE).values()):
        raise BadRequest(
            f"Authorizer {current.id} is used by routes: its AuthorizerType cannot change."
        )
    return checks.authorizer(_protocol(state), {**current.body, **given})


async def update_authorizer(gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
    return await AUTHORIZERS.update(gateway, input, _edited)


def _unused(state: ApiState, current: Record) -> list[Change]:
    users = sorted(
        r.body["RouteKey"]
        for r in state.of(ROUTE).values()
        if r.body.get("AuthorizerId") == current.id
    )
    if users:
        raise BadRequest(
            f"Cannot delete authorizer {current.id}: it is used by route(s) {', '.join(users)}."
        )
    return []


async def delete_authorizer(gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
    return await AUTHORIZERS.delete(gateway, input, _unused)

"""Integrations (Create/Get/GetIntegrations/Update/Delete) and, for WebSocket APIs,
their integration responses. An integration a route targets is not deleted (the route
would point nowhere), nor is the one quick create made (managed by API Gateway: it is
updated, never deleted); its checks are ``checks.integration``'s."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from altus.api.spec import Call, Members
from altus.apigatewayv2 import checks
from altus.apigatewayv2.children import Kind
from altus.apigatewayv2.errors import BadRequest, Conflict
from altus.apigatewayv2.model import (
    INTEGRATION,
    INTEGRATION_RESPONSE,
    ROUTE,
    ApiState,
    Change,
    Record,
)
from altus.apigatewayv2.responses import Responses
from altus.gateway.deployed import HTTP

if TYPE_CHECKING:
    from altus.apigatewayv2.component import ApiGatewayV2

INTEGRATIONS = Kind(INTEGRATION, "IntegrationId")


async def create_integration(gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
    def made(state: ApiState, ident: str, given: dict[str, Any]) -> dict[str, Any]:
        protocol = str(state.api.body["ProtocolType"])
        body = {**checks.integration(protocol, given), "IntegrationId": ident}
        if protocol != HTTP:
            body.setdefault(
                "IntegrationResponseSelectionExpression", "${integration.response.statuscode}"
            )
        return body

    return await INTEGRATIONS.create(gateway, input, made)


get_integration = INTEGRATIONS.get
get_integrations = INTEGRATIONS.get_all


def _edited(state: ApiState, current: Record, given: dict[str, Any]) -> dict[str, Any]:
    if "IntegrationType" in given and given["IntegrationType"] != current.body["IntegrationType"]:
        # Another type's defaults (method, payload version) do not carry over.
        merged = {
            k: v
            for k, v in current.body.items()
            if k in ("IntegrationId", "Description", "CredentialsArn", "RequestParameters")
        }
        merged.update(given)
    else:
        merged = {**current.body, **given}
    return checks.integration(str(state.api.body["ProtocolType"]), merged)


async def update_integration(gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
    return await INTEGRATIONS.update(gateway, input, _edited)


def _unused(state: ApiState, current: Record) -> list[Change]:
    """Refuses to drop the quick create integration or one a route targets; its
    responses go with it."""
    if current.body.get("ApiGatewayManaged"):
        raise BadRequest(
            "Cannot delete an integration managed by API Gateway (made by quick create)."
        )
    users = sorted(
        r.id
        for r in state.of(ROUTE).values()
        if r.body.get("Target") == f"integrations/{current.id}"
    )
    if users:
        # AWS's wording.
        raise Conflict(
            "Cannot delete Integration because it is referenced by the following Routes "
            f"with Ids: [{', '.join(users)}]"
        )
    return RESPONSES.drops(state, current.id)


async def delete_integration(gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
    return await INTEGRATIONS.delete(gateway, input, _unused)


# --- integration responses (WebSocket) ---------------------------------------------------

_RESPONSE_KEY = re.compile(r"\$default|/.+/")


def _key(key: str) -> str:
    if not _RESPONSE_KEY.fullmatch(key):
        raise BadRequest(
            f"IntegrationResponseKey '{key}' is not valid: it is $default or a regular "
            "expression of status codes between slashes (/4\\d\\d/)."
        )
    return key


RESPONSES = Responses(
    kind=INTEGRATION_RESPONSE,
    parent=INTEGRATIONS,
    link="_integration",
    member="IntegrationResponseId",
    key="IntegrationResponseKey",
    plural="Integration responses",
    taken="Integration response with key {key} already exists",
    checked_key=_key,
)
create_integration_response = RESPONSES.create
get_integration_response = RESPONSES.get
get_integration_responses = RESPONSES.get_all
update_integration_response = RESPONSES.update
delete_integration_response = RESPONSES.delete

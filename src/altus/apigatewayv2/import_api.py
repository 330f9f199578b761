"""ImportApi, ReimportApi and ExportApi: HTTP APIs from and to OpenAPI 3
(``openapi``).

An import makes the API and its routes, integrations and authorizers in one plan; a
reimport replaces those (and the CORS, name, version and description) and keeps the
API's id, stages and deployments, auto-deploying as any change does. Like AWS's
ImportApi, an import makes no stage (the console adds a ``$default`` one; the API does
not). Warnings are answered (``Warnings``), or refuse the import with FailOnWarnings.
A reimport of a quick-created API keeps it one: the document's route of the quick
route's key (and its integration) become the managed ones UpdateApi's Target updates;
the stages' route settings of routes the document drops go with them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from altus.api.spec import Call, Members
from altus.apigatewayv2 import checks, openapi, routekeys, snapshots
from altus.apigatewayv2.apis_api import view
from altus.apigatewayv2.errors import BadRequest, route_exists, variable_conflict
from altus.apigatewayv2.model import (
    API,
    AUTHORIZER,
    DEPLOYMENT,
    INTEGRATION,
    INTEGRATION_RESPONSE,
    ROUTE,
    ROUTE_RESPONSE,
    STAGE,
    ApiState,
    Change,
    Drop,
    Record,
    put,
)
from altus.apigatewayv2.stages_api import follow_route_keys
from altus.gateway.deployed import HTTP

if TYPE_CHECKING:
    from altus.apigatewayv2.component import ApiGatewayV2
    from altus.apigatewayv2.state import Core


def _definition(input: Members) -> openapi.Definition:
    basepath = input.get("Basepath")
    if basepath is not None and basepath not in ("ignore", "prepend", "split"):
        raise BadRequest("Basepath must be one of ignore, prepend, split.")
    found = openapi.read(str(input["Body"]), basepath)
    if found.warnings and input.get("FailOnWarnings"):
        raise BadRequest("Warnings found during import:\n\t" + "\n\t".join(found.warnings))
    if found.cors is not None:
        checks.cors(HTTP, found.cors)
    return found


def _api_body(found: openapi.Definition, body: dict[str, Any]) -> dict[str, Any]:
    body = {k: v for k, v in body.items() if k not in ("CorsConfiguration", "Warnings")}
    body["Name"] = found.name
    for member, value in (("Version", found.version), ("Description", found.description)):
        if value is not None:
            body[member] = value
        else:
            body.pop(member, None)
    if found.cors is not None:
        body["CorsConfiguration"] = found.cors
    return body


def _children(
    core: Core, api_id: str, found: openapi.Definition, adopt: str | None = None
) -> list[Change]:
    """The routes, integrations and authorizers ``found`` describes, as puts. The route
    of key ``adopt`` (the quick create route a reimport replaces) and its integration
    become the quick create ones, managed by API Gateway, so UpdateApi's quick create
    members keep working on them."""
    plan: list[Change] = []
    authorizer_ids: dict[str, str] = {}
    taken: set[str] = set()
    for name, given in found.authorizers.items():
        ident = core.new_id(taken)
        taken.add(ident)
        authorizer_ids[name] = ident
        checked = {**checks.authorizer(HTTP, given), "AuthorizerId": ident}
        plan.append(put(AUTHORIZER, api_id, ident, checked))
    integration_ids: set[str] = set()
    route_ids: set[str] = set()
    keys: set[str] = set()
    for route in found.routes:
        key = routekeys.check(HTTP, route.key)
        if key in keys:
            raise route_exists(key)
        clash = routekeys.conflicting(key, sorted(keys))
        if clash is not None:
            raise variable_conflict(key, clash)
        keys.add(key)
        body: dict[str, Any] = {
            "RouteKey": key,
            "AuthorizationType": route.authorization_type,
            "ApiKeyRequired": False,
        }
        managed: dict[str, Any] = (
            {"ApiGatewayManaged": True, "_quick": True} if key == adopt else {}
        )
        body.update(managed)
        if route.integration is not None:
            ident = core.new_id(integration_ids)
            integration_ids.add(ident)
            try:
                integration = checks.integration(HTTP, route.integration)
            except BadRequest as error:
                raise BadRequest(f"Route {key}: {error}") from None
            plan.append(
                put(INTEGRATION, api_id, ident, {**integration, **managed, "IntegrationId": ident})
            )
            body["Target"] = f"integrations/{ident}"
        if route.authorizer is not None:
            body["AuthorizerId"] = authorizer_ids[route.authorizer]
        if route.scopes:
            body["AuthorizationScopes"] = route.scopes
        if route.operation_name:
            body["OperationName"] = route.operation_name
        route_id = core.new_id(route_ids)
        route_ids.add(route_id)
        plan.append(put(ROUTE, api_id, route_id, {**body, "RouteId": route_id}))
    return plan


def _answer(gateway: ApiGatewayV2, call: Call, api_id: str, warnings: list[str]) -> Members:
    output = view(gateway, call, gateway.core.api(api_id).api)
    if warnings:
        output["Warnings"] = warnings
    return output


async def import_api(gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
    core = gateway.core
    found = _definition(input)
    async with core.lock:
        api_id = core.new_id(core.apis, 10)
        body = _api_body(
            found,
            {
                "ApiId": api_id,
                "ProtocolType": HTTP,
                "RouteSelectionExpression": checks.HTTP_ROUTE_SELECTION,
                "ApiKeySelectionExpression": checks.API_KEY_SELECTIONS[0],
                "DisableExecuteApiEndpoint": False,
                "IpAddressType": "ipv4",
                "Tags": {},
                "CreatedDate": core.now(),
            },
        )
        plan: list[Change] = [put(API, api_id, api_id, body), *_children(core, api_id, found)]
        await core.write(plan)
    return _answer(gateway, call, api_id, found.warnings)


async def reimport_api(gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
    core = gateway.core
    async with core.lock:
        state = core.api(str(input["ApiId"]))
        if state.api.body["ProtocolType"] != HTTP:
            raise BadRequest("ReimportApi is supported for HTTP APIs only.")
        found = _definition(input)
        api_id = state.api.api_id
        quick = next((r for r in state.of(ROUTE).values() if r.body.get("_quick")), None)
        body = _api_body(found, dict(state.api.body))
        if quick is not None:
            body["_quick"] = True
        plan: list[Change] = [put(API, api_id, api_id, body)]
        for kind in (ROUTE, INTEGRATION, AUTHORIZER, ROUTE_RESPONSE, INTEGRATION_RESPONSE):
            plan += [Drop(kind, api_id, ident) for ident in state.of(kind)]
        plan += _children(core, api_id, found, str(quick.body["RouteKey"]) if quick else None)
        # The stages' route settings of routes the document no longer has go with them.
        kept = {route.key for route in found.routes}
        gone = {str(r.body["RouteKey"]) for r in state.of(ROUTE).values()} - kept
        plan += follow_route_keys(state.after(plan), dict.fromkeys(gone))
        await core.write(core.with_auto_deploy(state, plan))
    return _answer(gateway, call, api_id, found.warnings)


def _captured(core: Core, state: ApiState, stage_name: str | None) -> dict[str, Any]:
    if stage_name is None:
        return snapshots.capture(state)
    stage: Record = core.child(state, STAGE, stage_name)
    ident = stage.body.get("DeploymentId")
    if not ident or str(ident) not in state.of(DEPLOYMENT):
        raise BadRequest(f"Stage {stage_name} has no deployment to export.")
    return dict(state.of(DEPLOYMENT)[str(ident)].body["_snapshot"])


async def export_api(gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
    core = gateway.core
    state = core.api(str(input["ApiId"]))
    if state.api.body["ProtocolType"] != HTTP:
        raise BadRequest("ExportApi is supported for HTTP APIs only.")
    if input.get("ExportVersion") not in (None, "1.0"):
        raise BadRequest("ExportVersion must be 1.0.")
    as_yaml = str(input["OutputType"]) == "YAML"
    captured = _captured(core, state, input.get("StageName"))
    extensions = input.get("IncludeExtensions") is not False
    body = openapi.write(state.api.body, captured, extensions=extensions, as_yaml=as_yaml)
    call.response_headers["Content-Type"] = "application/yaml" if as_yaml else "application/json"
    return {"body": body}

"""APIs: CreateApi (with quick create: ``Target`` makes the integration, the route and
an auto-deploying ``$default`` stage, all three managed by API Gateway), GetApi, GetApis,
UpdateApi (its quick create members update those: a member not given keeps its value;
a change to what a deployment captures auto-deploys), DeleteApi (with everything under
it) and DeleteCorsConfiguration."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from altus.api.paging import page
from altus.api.spec import Call, Members
from altus.apigatewayv2 import checks, routekeys
from altus.apigatewayv2.errors import BadRequest, NotFound, route_exists
from altus.apigatewayv2.model import (
    API,
    INTEGRATION,
    ROUTE,
    STAGE,
    ApiState,
    Change,
    DropApi,
    Record,
    put,
)
from altus.gateway.deployed import AWS_PROXY, DEFAULT_ROUTE, DEFAULT_STAGE, HTTP, HTTP_PROXY
from altus.gateway.urls import api_endpoint

if TYPE_CHECKING:
    from altus.apigatewayv2.component import ApiGatewayV2

#: UpdateApi's members of quick create.
_QUICK = ("Target", "RouteKey", "CredentialsArn")
#: The API's members a deployment captures (``snapshots.capture``): changing one
#: auto-deploys.
_CAPTURED = (
    "CorsConfiguration",
    "RouteSelectionExpression",
    "ApiKeySelectionExpression",
    "DisableExecuteApiEndpoint",
)
#: Members of CreateApi and UpdateApi kept as given.
_KEPT = ("Description", "DisableSchemaValidation", "Version", "IpAddressType")


def view(gateway: ApiGatewayV2, call: Call, record: Record) -> Members:
    """An API as GetApi answers it (its endpoint as this client reaches the server)."""
    body = record.public()
    endpoint = api_endpoint(
        record.api_id, call.base_url, gateway.settings.url_domain, gateway.account.region
    )
    if body["ProtocolType"] != HTTP:
        endpoint = "ws" + endpoint.removeprefix("http")
    return {**body, "ApiEndpoint": endpoint}


def quick_created(state: ApiState) -> bool:
    """Whether the API was made (or since updated) by quick create."""
    return bool(state.api.body.get("_quick")) or any(
        r.body.get("_quick") for kind in (ROUTE, INTEGRATION) for r in state.of(kind).values()
    )


def _quick(gateway: ApiGatewayV2, state: ApiState, input: Members) -> list[Change]:
    """Quick create's integration, route and ``$default`` stage (the integration and
    route replaced in place where an update gives a Target again)."""
    core = gateway.core
    api_id = state.api.api_id
    old_integration = next(
        (r for r in state.of(INTEGRATION).values() if r.body.get("_quick")), None
    )
    old_route = next((r for r in state.of(ROUTE).values() if r.body.get("_quick")), None)
    # An update without a Target keeps the quick integration's (RouteKey or
    # CredentialsArn alone change just those).
    if input.get("Target") is not None:
        target = str(input["Target"])
    elif old_integration is not None:
        target = str(old_integration.body.get("IntegrationUri") or "")
    else:
        raise BadRequest("Target is required: this API has no quick create integration to keep.")
    if checks.function_of(target) is not None:
        given: dict[str, Any] = {
            "IntegrationType": AWS_PROXY,
            "IntegrationUri": target,
            "PayloadFormatVersion": "2.0",
        }
    elif target.startswith(("http://", "https://")):
        given = {
            "IntegrationType": HTTP_PROXY,
            "IntegrationUri": target,
            "IntegrationMethod": "ANY",
            "PayloadFormatVersion": "1.0",
        }
    else:
        raise BadRequest("Target must be a Lambda function ARN or an http(s) URL.")
    credentials = input.get("CredentialsArn")
    if credentials is None and old_integration is not None:
        credentials = old_integration.body.get("CredentialsArn")
    if credentials:
        given["CredentialsArn"] = credentials
    managed = {"ApiGatewayManaged": True}
    ident = old_integration.id if old_integration else core.new_id(state.of(INTEGRATION))
    integration = checks.integration(HTTP, given)
    plan: list[Change] = [
        put(
            INTEGRATION,
            api_id,
            ident,
            {**integration, **managed, "IntegrationId": ident, "_quick": True},
        )
    ]
    # No RouteKey keeps the quick route's own.
    kept = str(old_route.body["RouteKey"]) if old_route is not None else DEFAULT_ROUTE
    key = routekeys.check(HTTP, str(input.get("RouteKey") or kept))
    route_id = old_route.id if old_route else core.new_id(state.of(ROUTE))
    if any(r.body["RouteKey"] == key and r.id != route_id for r in state.of(ROUTE).values()):
        raise route_exists(key)
    # The route keeps what was set on it since (an authorizer, a description...).
    kept_route = {k: v for k, v in (old_route.body if old_route else {}).items()}
    kept_route.setdefault("AuthorizationType", "NONE")
    kept_route.setdefault("ApiKeyRequired", False)
    plan.append(
        put(
            ROUTE,
            api_id,
            route_id,
            {
                **kept_route,
                **managed,
                "RouteId": route_id,
                "RouteKey": key,
                "Target": f"integrations/{ident}",
                "_quick": True,
            },
        )
    )
    if DEFAULT_STAGE not in state.of(STAGE):
        now = core.now()
        plan.append(
            put(
                STAGE,
                api_id,
                DEFAULT_STAGE,
                {
                    **managed,
                    "StageName": DEFAULT_STAGE,
                    "AutoDeploy": True,
                    "CreatedDate": now,
                    "LastUpdatedDate": now,
                    "DefaultRouteSettings": {"DetailedMetricsEnabled": False},
                    "RouteSettings": {},
                    "StageVariables": {},
                    "Tags": {},
                },
            )
        )
    return plan


async def create_api(gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
    core = gateway.core
    protocol = str(input["ProtocolType"])
    body: dict[str, Any] = {
        "Name": input["Name"],
        "ProtocolType": protocol,
        "RouteSelectionExpression": checks.route_selection(
            protocol, input.get("RouteSelectionExpression")
        ),
        "ApiKeySelectionExpression": checks.api_key_selection(
            input.get("ApiKeySelectionExpression")
        ),
        "DisableExecuteApiEndpoint": bool(input.get("DisableExecuteApiEndpoint")),
        "Tags": dict(input.get("Tags") or {}),
    }
    body.update({k: input[k] for k in _KEPT if input.get(k) is not None})
    body.setdefault("IpAddressType", "ipv4")
    if input.get("CorsConfiguration") is not None:
        checks.cors(protocol, input["CorsConfiguration"])
        body["CorsConfiguration"] = input["CorsConfiguration"]
    quick = input.get("Target") is not None
    if not quick and (input.get("RouteKey") or input.get("CredentialsArn")):
        raise BadRequest("RouteKey and CredentialsArn are taken with Target only (quick create).")
    if quick and protocol != HTTP:
        raise BadRequest("Quick create (Target) is supported for HTTP APIs only.")
    async with core.lock:
        api_id = core.new_id(core.apis, 10)
        if quick:
            # The API remembers it was quick-created: UpdateApi's quick create members
            # stay usable (after a reimport too).
            body["_quick"] = True
        record = Record(API, api_id, api_id, {**body, "ApiId": api_id, "CreatedDate": core.now()})
        state = ApiState(record)
        plan: list[Change] = [put(API, api_id, api_id, record.body)]
        if quick:
            plan = core.with_auto_deploy(state, plan + _quick(gateway, state, input))
        await core.write(plan)
    return view(gateway, call, core.api(api_id).api)


async def get_api(gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
    return view(gateway, call, gateway.core.api(str(input["ApiId"])).api)


def max_results(input: Members) -> int:
    """The model's MaxResults is a string: a page size of 1 to 500 (default 100)."""
    given = input.get("MaxResults")
    if given is None or given == "":
        return 100
    try:
        size = int(str(given))
    except ValueError:
        raise BadRequest(f"Invalid MaxResults: {given}") from None
    if not 1 <= size <= 500:
        raise BadRequest("MaxResults must be between 1 and 500.")
    return size


def listing(records: list[Record], input: Members, shown: Any) -> Members:
    """A page of ``records`` (ordered by id) as ``{"Items": ..., "NextToken": ...}``."""
    ordered = sorted(records, key=lambda r: r.id)
    found = page(
        ordered,
        [r.id for r in ordered],
        input.get("NextToken"),
        max_results(input),
        lambda token: BadRequest(f"Invalid NextToken: {token}"),
    )
    output: Members = {"Items": [shown(r) for r in found.items]}
    if found.next:
        output["NextToken"] = found.next
    return output


async def get_apis(gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
    records = [s.api for s in gateway.core.apis.values()]
    return listing(records, input, lambda r: view(gateway, call, r))


async def update_api(gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
    core = gateway.core
    async with core.lock:
        state = core.api(str(input["ApiId"]))
        body = dict(state.api.body)
        protocol = str(body["ProtocolType"])
        if input.get("Name") is not None:
            body["Name"] = input["Name"]
        if input.get("RouteSelectionExpression") is not None:
            body["RouteSelectionExpression"] = checks.route_selection(
                protocol, input["RouteSelectionExpression"]
            )
        if input.get("ApiKeySelectionExpression") is not None:
            body["ApiKeySelectionExpression"] = checks.api_key_selection(
                input["ApiKeySelectionExpression"]
            )
        if input.get("DisableExecuteApiEndpoint") is not None:
            body["DisableExecuteApiEndpoint"] = bool(input["DisableExecuteApiEndpoint"])
        body.update({k: input[k] for k in _KEPT if input.get(k) is not None})
        if input.get("CorsConfiguration") is not None:
            checks.cors(protocol, input["CorsConfiguration"])
            body["CorsConfiguration"] = input["CorsConfiguration"]
        quick = [m for m in _QUICK if input.get(m) is not None]
        if quick:
            if protocol != HTTP:
                raise BadRequest("Quick create (Target) is supported for HTTP APIs only.")
            if input.get("Target") is None and not quick_created(state):
                raise BadRequest(
                    "RouteKey and CredentialsArn are taken with Target only, unless the API "
                    "was made by quick create."
                )
            body["_quick"] = True
        plan: list[Change] = [put(API, state.api.api_id, state.api.api_id, body)]
        if quick:
            plan += _quick(gateway, state, input)
        if quick or any(body.get(m) != state.api.body.get(m) for m in _CAPTURED):
            plan = core.with_auto_deploy(state, plan)
        await core.write(plan)
    return view(gateway, call, core.api(str(input["ApiId"])).api)


async def delete_api(gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
    core = gateway.core
    async with core.lock:
        state = core.api(str(input["ApiId"]))
        await core.write([DropApi(state.api.api_id)])
    return {}


async def delete_cors_configuration(gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
    core = gateway.core
    async with core.lock:
        state = core.api(str(input["ApiId"]))
        if state.api.body.get("CorsConfiguration") is None:
            raise NotFound(
                f"Invalid CorsConfiguration identifier specified "
                f"{core.account.account_id}:{state.api.api_id}",
                ResourceType="CorsConfiguration",
            )
        body = {k: v for k, v in state.api.body.items() if k != "CorsConfiguration"}
        plan: list[Change] = [put(API, state.api.api_id, state.api.api_id, body)]
        await core.write(core.with_auto_deploy(state, plan))
    return {}

"""Stages (Create/Get/GetStages/Update/Delete, DeleteRouteSettings,
DeleteAccessLogSettings, ResetAuthorizersCache) and deployments
(Create/Get/GetDeployments/Update/Delete).

A stage serves the deployment it points at. AutoDeploy on: a deployment is made at once
(where the API has routes) and again after each change of what a deployment captures.
A deployment a stage points at cannot be deleted. Route settings are by route key, of
routes the API has (a route renamed or deleted takes its settings along:
``follow_route_keys``); their throttling is what the front door enforces. An empty stage
variable value in UpdateStage removes the variable. The stage quick create made is not
deleted."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from altus.api.spec import Call, Members
from altus.apigatewayv2 import checks
from altus.apigatewayv2.children import Kind
from altus.apigatewayv2.errors import BadRequest, Conflict, NotFound
from altus.apigatewayv2.model import DEPLOYMENT, ROUTE, STAGE, ApiState, Change, Put, Record, put

if TYPE_CHECKING:
    from altus.apigatewayv2.component import ApiGatewayV2
    from altus.apigatewayv2.state import Core

#: A stage's change auto-deploys only where it turns AutoDeploy on (``update_stage``).
STAGES = Kind(STAGE, "StageName", captured=False)
DEPLOYMENTS = Kind(DEPLOYMENT, "DeploymentId", captured=False)

_SETTINGS = ("AccessLogSettings", "ClientCertificateId", "Description", "DefaultRouteSettings")


def _route_settings(state: ApiState, settings: Any) -> dict[str, Any]:
    """The route settings given, each for a route key the API has."""
    keys = {r.body["RouteKey"] for r in state.of(ROUTE).values()}
    for key in settings or {}:
        if key not in keys:
            raise BadRequest(f"Unable to find Route by key {key} within the provided RouteSettings")
    return dict(settings or {})


def follow_route_keys(state: ApiState, renamed: Mapping[str, str | None]) -> list[Change]:
    """The stages whose route settings name a route key ``renamed`` (old key -> new,
    or None: the route is gone), with their settings moved along (or dropped), so that
    a stage never keeps settings of a route the API no longer has."""
    changes: list[Change] = []
    for stage in state.of(STAGE).values():
        settings: dict[str, Any] = dict(stage.body.get("RouteSettings") or {})
        hit = [key for key in settings if key in renamed]
        if not hit:
            continue
        moved = {k: v for k, v in settings.items() if k not in renamed}
        for key in hit:
            new = renamed[key]
            if new is not None:
                moved[new] = settings[key]
        changes.append(
            put(STAGE, state.api.api_id, stage.id, {**stage.body, "RouteSettings": moved})
        )
    return changes


def _managed(state: ApiState, current: Record) -> list[Change]:
    """The stage quick create made is API Gateway's own (the model: "You can't modify
    the $default stage"): it is not deleted. Its settings are still updated, as on AWS
    (access logging, throttling, variables: what CloudFormation's
    ApiGatewayManagedOverrides sets on it through UpdateStage)."""
    if current.body.get("ApiGatewayManaged"):
        raise BadRequest(
            f"Cannot delete stage {current.body['StageName']}: it is managed by API Gateway "
            "(made by quick create)."
        )
    return []


def _manual(body: dict[str, Any]) -> None:
    """A stage is pointed at a deployment by hand only while it does not auto-deploy
    (AWS refuses a DeploymentId for a stage with AutoDeploy on)."""
    if body.get("AutoDeploy"):
        raise BadRequest(
            f"Stage {body['StageName']} has AutoDeploy on: its deployment is made for it, "
            "and a DeploymentId cannot be given."
        )


def _deployment(core: Core, state: ApiState, ident: Any) -> str:
    return core.child(state, DEPLOYMENT, str(ident)).id


async def create_stage(gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
    core = gateway.core
    async with core.lock:
        state = core.api(str(input["ApiId"]))
        protocol = str(state.api.body["ProtocolType"])
        name = str(input["StageName"])
        checks.stage_name(protocol, name)
        if name in state.of(STAGE):
            raise Conflict(f"Stage {name} already exists")
        now = core.now()
        body: dict[str, Any] = {
            "StageName": name,
            "AutoDeploy": bool(input.get("AutoDeploy")),
            "CreatedDate": now,
            "LastUpdatedDate": now,
            "DefaultRouteSettings": {"DetailedMetricsEnabled": False},
            "RouteSettings": _route_settings(state, input.get("RouteSettings")),
            "StageVariables": dict(input.get("StageVariables") or {}),
            "Tags": dict(input.get("Tags") or {}),
        }
        checks.stage_variables(body["StageVariables"])
        body.update({k: input[k] for k in _SETTINGS if input.get(k) is not None})
        if input.get("DeploymentId"):
            _manual(body)
            body["DeploymentId"] = _deployment(core, state, input["DeploymentId"])
        plan: list[Change] = [put(STAGE, state.api.api_id, name, body)]
        if body["AutoDeploy"]:
            plan = core.with_auto_deploy(state, plan)
        await core.write(plan)
    return core.apis[state.api.api_id].of(STAGE)[name].public()


get_stage = STAGES.get
get_stages = STAGES.get_all


async def update_stage(gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
    core = gateway.core
    async with core.lock:
        state, current = STAGES.named(gateway, input)
        body = dict(current.body)
        body.update({k: input[k] for k in _SETTINGS if input.get(k) is not None})
        if input.get("RouteSettings") is not None:
            # Only the keys given are checked: those there were checked when set.
            given = _route_settings(state, input["RouteSettings"])
            body["RouteSettings"] = {**(body.get("RouteSettings") or {}), **given}
        if input.get("StageVariables") is not None:
            # AWS merges the variables given into those there; an empty value removes
            # the variable (Terraform removes variables so).
            given = dict(input["StageVariables"])
            checks.stage_variables({k: v for k, v in given.items() if v != ""})
            variables = {**(body.get("StageVariables") or {}), **given}
            body["StageVariables"] = {k: v for k, v in variables.items() if v != ""}
        turned_on = bool(input.get("AutoDeploy")) and not current.body.get("AutoDeploy")
        if input.get("AutoDeploy") is not None:
            body["AutoDeploy"] = bool(input["AutoDeploy"])
        if input.get("DeploymentId"):
            _manual(body)
            body["DeploymentId"] = _deployment(core, state, input["DeploymentId"])
        body["LastUpdatedDate"] = core.now()
        plan: list[Change] = [put(STAGE, state.api.api_id, current.id, body)]
        if turned_on:
            plan = core.with_auto_deploy(state, plan)
        await core.write(plan)
    return core.apis[state.api.api_id].of(STAGE)[current.id].public()


async def delete_stage(gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
    return await STAGES.delete(gateway, input, _managed)


async def _edit_stage(
    gateway: ApiGatewayV2, input: Members, edit: Callable[[dict[str, Any]], dict[str, Any]]
) -> None:
    core = gateway.core
    await STAGES.update(
        gateway,
        input,
        lambda state, current, given: {**edit(dict(current.body)), "LastUpdatedDate": core.now()},
    )


async def delete_route_settings(gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
    key = str(input["RouteKey"])

    def edit(body: dict[str, Any]) -> dict[str, Any]:
        settings = dict(body.get("RouteSettings") or {})
        if key not in settings:
            raise NotFound(f"Invalid route key specified {key}", ResourceType="RouteSettings")
        del settings[key]
        return {**body, "RouteSettings": settings}

    await _edit_stage(gateway, input, edit)
    return {}


async def delete_access_log_settings(gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
    await _edit_stage(
        gateway, input, lambda body: {k: v for k, v in body.items() if k != "AccessLogSettings"}
    )
    return {}


async def reset_authorizers_cache(gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
    """Answers the authorizers cached for the stage are not used again: the stage's
    cache generation is raised (the front door keys its cache by it)."""
    await _edit_stage(
        gateway, input, lambda body: {**body, "_flushed": int(body.get("_flushed") or 0) + 1}
    )
    return {}


# --- deployments -------------------------------------------------------------------------


async def create_deployment(gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
    core = gateway.core
    async with core.lock:
        state = core.api(str(input["ApiId"]))
        if not state.of(ROUTE):
            raise BadRequest("Unable to deploy API because no routes exist in this API")
        stages = []
        if input.get("StageName"):
            stage = core.child(state, STAGE, str(input["StageName"]))
            _manual(dict(stage.body))
            stages.append(stage)
        plan = core.deploy(state, stages, auto=False, description=input.get("Description"))
        await core.write(plan)
    ident = next(c.record.id for c in plan if isinstance(c, Put) and c.record.kind == DEPLOYMENT)
    return core.apis[state.api.api_id].of(DEPLOYMENT)[ident].public()


get_deployment = DEPLOYMENTS.get
get_deployments = DEPLOYMENTS.get_all


async def update_deployment(gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
    # Description is UpdateDeployment's one member besides the ids.
    return await DEPLOYMENTS.update(
        gateway, input, lambda state, current, given: {**current.body, **given}
    )


def _unused(state: ApiState, current: Record) -> list[Change]:
    if any(s.body.get("DeploymentId") == current.id for s in state.of(STAGE).values()):
        raise BadRequest("Active stages pointing to this deployment must be moved or deleted")
    return []


async def delete_deployment(gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
    return await DEPLOYMENTS.delete(gateway, input, _unused)

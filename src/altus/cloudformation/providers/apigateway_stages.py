"""Where a REST API is served: ``AWS::ApiGateway::Deployment`` (a snapshot of the API,
with the stage ``StageName`` + ``StageDescription`` make, as CloudFormation makes it) and
``AWS::ApiGateway::Stage``.

A stage's settings beyond what CreateStage (or CreateDeployment) takes, the method
settings (``MethodSettings``, and a ``StageDescription``'s own throttling, logging,
metrics and caching, which are the ``/*/*`` method setting), access logging and the
client certificate, are set with one UpdateStage after it is made; an update is one
UpdateStage of what changed (a method setting that changed is removed and set again, so
what it no longer states returns to its default).

A deployment's delete first deletes the stages still pointing at it (the one its
``StageName`` made: a ``Stage`` resource on it is deleted before it, depending on it),
then the deployment. An interrupted deployment create cannot be found again (API Gateway
gives its id) and is left to its API. Canary settings are refused: Altus's API Gateway
serves no canaries.
"""

from __future__ import annotations

from typing import Any

from altus.cloudformation.providers.apigateway_common import (
    Patch,
    delete_part,
    escape,
    patch_value,
    rest_api_id,
    sync_api_tags,
    tags_of,
    text_map,
)
from altus.cloudformation.providers.base import (
    Current,
    Outcome,
    Properties,
    Provider,
    ProviderContext,
    ResourceFailed,
    boolean,
    required,
)
from altus.cloudformation.providers.common import gone_or, outcome, present

#: A method setting's property -> the end of its patch path (after ``/<path>/<METHOD>``).
_METHOD_SETTINGS = {
    "MetricsEnabled": "metrics/enabled",
    "LoggingLevel": "logging/loglevel",
    "DataTraceEnabled": "logging/dataTrace",
    "ThrottlingBurstLimit": "throttling/burstLimit",
    "ThrottlingRateLimit": "throttling/rateLimit",
    "CachingEnabled": "caching/enabled",
    "CacheTtlInSeconds": "caching/ttlInSeconds",
    "CacheDataEncrypted": "caching/dataEncrypted",
}
#: A stage name: API Gateway allows 128 characters.
STAGE_NAME_LENGTH = 128


def method_key(resource_path: str, http_method: str) -> str:
    """``/<resource path>/<METHOD>`` as a patch path begins: the path escaped as
    CloudFormation's reference writes it (``/~1pets~1{id}``; ``/`` the root, ``/*``
    every resource), taken as written where it already is."""
    if resource_path == "/*" or "~1" in resource_path:
        path = resource_path
    elif resource_path == "/":
        path = "/~1"
    else:
        path = "/" + escape(resource_path)
    return f"{path}/{http_method}"


def method_settings(props: Properties, *, top: bool) -> dict[str, dict[str, str]]:
    """The method settings stated, by ``/<path>/<METHOD>``: each setting's patch path end
    and value as text. ``top``: the properties' own settings are ``/*/*``'s (a
    deployment's ``StageDescription``)."""
    found: dict[str, dict[str, str]] = {}
    if top:
        own = {end: patch_value(props[p]) for p, end in _METHOD_SETTINGS.items() if p in props}
        if own:
            found["/*/*"] = own
    for given in props.get("MethodSettings") or ():
        key = method_key(
            str(given.get("ResourcePath") or "/*"), str(given.get("HttpMethod") or "*")
        )
        found.setdefault(key, {}).update(
            {end: patch_value(given[p]) for p, end in _METHOD_SETTINGS.items() if p in given}
        )
    return found


def stage_state(props: Properties, *, description: str, top: bool) -> dict[str, Any]:
    """What a stage's properties state, by the API's members (``description``: the
    property holding its description)."""
    logs = props.get("AccessLogSetting") or {}
    return {
        "description": props.get(description),
        "cacheClusterEnabled": bool(boolean(props, "CacheClusterEnabled")),
        "cacheClusterSize": props.get("CacheClusterSize"),
        "tracingEnabled": bool(boolean(props, "TracingEnabled")),
        "documentationVersion": props.get("DocumentationVersion"),
        "clientCertificateId": props.get("ClientCertificateId"),
        "variables": text_map(props.get("Variables"), "Variables"),
        "accessLogSettings": present(
            destinationArn=logs.get("DestinationArn"), format=logs.get("Format")
        ),
        "methodSettings": method_settings(props, top=top),
    }


def made_with(state: dict[str, Any], *, documented: bool = True) -> dict[str, Any]:
    """What CreateStage already set of ``state`` (CreateDeployment: not ``documented``,
    it takes no documentation version): the rest is UpdateStage's."""
    return {
        **state,
        "documentationVersion": state["documentationVersion"] if documented else None,
        "clientCertificateId": None,
        "accessLogSettings": {},
        "methodSettings": {},
    }


def stage_patch(old: dict[str, Any], new: dict[str, Any]) -> Patch:
    """The patch taking a stage from ``old`` to ``new`` (``stage_state``'s)."""
    ops = Patch()
    for member in (
        "description",
        "documentationVersion",
        "clientCertificateId",
        "cacheClusterEnabled",
        "tracingEnabled",
    ):
        ops.scalar(f"/{member}", old[member], new[member])
    # A cache size cannot be removed: one dropped from the template stays.
    if new["cacheClusterSize"] is not None:
        ops.scalar("/cacheClusterSize", old["cacheClusterSize"], new["cacheClusterSize"])
    ops.entries("/variables", old["variables"], new["variables"])
    before, after = old["accessLogSettings"], new["accessLogSettings"]
    if before and not after:
        ops.remove("/accessLogSettings")
    else:
        for member in ("destinationArn", "format"):
            ops.scalar(f"/accessLogSettings/{member}", before.get(member), after.get(member))
    settings_before, settings_after = old["methodSettings"], new["methodSettings"]
    for key in settings_before:
        if key not in settings_after:
            ops.remove(key)
    for key, settings in settings_after.items():
        if settings_before.get(key) == settings:
            continue
        if key in settings_before:
            ops.remove(key)
        for end, value in settings.items():
            ops.replace(f"{key}/{end}", value)
    return ops


def _no_canary(props: Properties, name: str) -> None:
    if props.get(name):
        raise ResourceFailed(f"Altus does not serve canary deployments: {name} is not supported")


async def _update_stage(ctx: ProviderContext, api_id: str, stage: str, ops: Patch) -> None:
    await ops.send(ctx, "UpdateStage", {"restApiId": api_id, "stageName": stage})


class Deployment:
    """``AWS::ApiGateway::Deployment``: Ref is the deployment's id."""

    replaced_by = frozenset({"RestApiId", "DeploymentCanarySettings"})
    attributes = frozenset({"DeploymentId"})

    @staticmethod
    def _stage(props: Properties) -> dict[str, Any]:
        return stage_state(props.get("StageDescription") or {}, description="Description", top=True)

    async def _remove(self, ctx: ProviderContext, api_id: str, deployment_id: str) -> None:
        stages = await gone_or(
            ctx.call(
                "apigateway", "GetStages", {"restApiId": api_id, "deploymentId": deployment_id}
            )
        )
        if stages is None:
            return
        for stage in stages.get("item") or ():
            await delete_part(ctx, api_id, "DeleteStage", stageName=str(stage["stageName"]))
        await delete_part(ctx, api_id, "DeleteDeployment", deploymentId=deployment_id)

    async def _settle_stage(
        self, ctx: ProviderContext, api_id: str, props: Properties, base: dict[str, Any]
    ) -> None:
        """Set what the stage ``StageName`` states beyond ``base`` (what it has), and its
        tags."""
        name = str(props["StageName"])
        await _update_stage(ctx, api_id, name, stage_patch(base, self._stage(props)))
        own = props.get("StageDescription") or {}
        await sync_api_tags(
            ctx, "apigateway", f"restapis/{api_id}/stages/{name}", tags_of(own, ctx)
        )

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        required(props, "RestApiId")
        _no_canary(props, "DeploymentCanarySettings")
        own = props.get("StageDescription") or {}
        _no_canary(own, "CanarySetting")
        api_id = str(props["RestApiId"])
        members: dict[str, Any] = present(restApiId=api_id, description=props.get("Description"))
        wanted = self._stage(props)
        if props.get("StageName"):
            members.update(
                present(
                    stageName=str(props["StageName"]),
                    stageDescription=wanted["description"],
                    cacheClusterEnabled=boolean(own, "CacheClusterEnabled"),
                    cacheClusterSize=wanted["cacheClusterSize"],
                    variables=wanted["variables"] or None,
                    tracingEnabled=boolean(own, "TracingEnabled"),
                )
            )
        made = await ctx.call("apigateway", "CreateDeployment", members)
        deployment_id = str(made["id"])
        try:
            if props.get("StageName"):
                await self._settle_stage(ctx, api_id, props, made_with(wanted, documented=False))
        except ResourceFailed:
            await self._remove(ctx, api_id, deployment_id)
            raise
        return outcome(deployment_id, "DeploymentId")

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        deployment_id = str(current.physical_id)
        old = current.properties
        api_id = str(props["RestApiId"])
        _no_canary(props.get("StageDescription") or {}, "CanarySetting")
        ops = Patch()
        ops.scalar("/description", old.get("Description"), props.get("Description"))
        await ops.send(
            ctx, "UpdateDeployment", {"restApiId": api_id, "deploymentId": deployment_id}
        )
        name = props.get("StageName")
        if name and name != old.get("StageName"):
            # A stage newly named: made on this deployment, or an existing one moved to it.
            stages = await ctx.call("apigateway", "GetStages", {"restApiId": api_id})
            if any(s.get("stageName") == name for s in stages.get("item") or ()):
                moved = Patch()
                moved.replace("/deploymentId", deployment_id)
                await _update_stage(ctx, api_id, str(name), moved)
                base = made_with(stage_state({}, description="Description", top=True))
            else:
                wanted = self._stage(props)
                own = props.get("StageDescription") or {}
                await ctx.call(
                    "apigateway",
                    "CreateStage",
                    present(
                        restApiId=api_id,
                        stageName=str(name),
                        deploymentId=deployment_id,
                        description=wanted["description"],
                        cacheClusterEnabled=boolean(own, "CacheClusterEnabled"),
                        cacheClusterSize=wanted["cacheClusterSize"],
                        variables=wanted["variables"] or None,
                        tracingEnabled=boolean(own, "TracingEnabled"),
                    ),
                )
                base = made_with(wanted, documented=False)
            await self._settle_stage(ctx, api_id, props, base)
        elif name and old.get("StageDescription") != props.get("StageDescription"):
            await self._settle_stage(ctx, api_id, props, self._stage(old))
        return outcome(deployment_id, "DeploymentId")

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        if current.physical_id is None:
            return
        await self._remove(ctx, rest_api_id(current.properties), current.physical_id)


class Stage:
    """``AWS::ApiGateway::Stage``: Ref is the stage's name."""

    replaced_by = frozenset({"RestApiId", "StageName"})
    attributes: frozenset[str] = frozenset()

    @staticmethod
    def name(ctx: ProviderContext, props: Properties) -> str:
        return str(props.get("StageName") or ctx.name(max_length=STAGE_NAME_LENGTH))

    @staticmethod
    def _state(props: Properties) -> dict[str, Any]:
        return stage_state(props, description="Description", top=False)

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        required(props, "RestApiId", "DeploymentId")
        _no_canary(props, "CanarySetting")
        api_id, name = str(props["RestApiId"]), self.name(ctx, props)
        wanted = self._state(props)
        await ctx.call(
            "apigateway",
            "CreateStage",
            present(
                restApiId=api_id,
                stageName=name,
                deploymentId=str(props["DeploymentId"]),
                description=wanted["description"],
                cacheClusterEnabled=boolean(props, "CacheClusterEnabled"),
                cacheClusterSize=wanted["cacheClusterSize"],
                variables=wanted["variables"] or None,
                documentationVersion=wanted["documentationVersion"],
                tracingEnabled=boolean(props, "TracingEnabled"),
                tags=tags_of(props, ctx) or None,
            ),
        )
        try:
            await _update_stage(ctx, api_id, name, stage_patch(made_with(wanted), wanted))
        except ResourceFailed:
            await delete_part(ctx, api_id, "DeleteStage", stageName=name)
            raise
        return Outcome(name)

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        required(props, "RestApiId", "DeploymentId")
        _no_canary(props, "CanarySetting")
        api_id, name = str(props["RestApiId"]), str(current.physical_id)
        old = current.properties
        ops = stage_patch(self._state(old), self._state(props))
        if old.get("DeploymentId") != props.get("DeploymentId"):
            ops.replace("/deploymentId", props["DeploymentId"])
        await _update_stage(ctx, api_id, name, ops)
        await sync_api_tags(
            ctx, "apigateway", f"restapis/{api_id}/stages/{name}", tags_of(props, ctx)
        )
        return Outcome(name)

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        name = current.physical_id or self.name(ctx, current.properties)
        await delete_part(ctx, rest_api_id(current.properties), "DeleteStage", stageName=name)


PROVIDERS: dict[str, Provider] = {
    "AWS::ApiGateway::Deployment": Deployment(),
    "AWS::ApiGateway::Stage": Stage(),
}

"""Where an HTTP or WebSocket API is served: ``AWS::ApiGatewayV2::Stage`` and
``AWS::ApiGatewayV2::Deployment``.

A stage's Ref is its name; its tags are a map (SAM writes them so; a list of ``{Key,
Value}`` is taken too). An update is one UpdateStage of what changed: variables and
route settings are merged into the stage's by the service, so a variable the template
dropped is sent empty (which removes it) and a route's settings dropped are deleted
(DeleteRouteSettings), as are access log settings (DeleteAccessLogSettings). SAM's
``$default`` stage with AutoDeploy is made here; the one quick create makes is the API's.

A deployment's Ref is its id; its ``StageName`` points that stage at it. A deployment
still serving a stage when it is deleted is left to its API (API Gateway refuses to
delete it; the stage is the template's, deleted after it, or the API's own).
"""

from __future__ import annotations

from typing import Any

from altus.cloudformation.providers.apigateway_common import (
    json_object,
    number,
    strings,
    sync_api_tags,
    tags_of,
)
from altus.cloudformation.providers.base import (
    Current,
    Outcome,
    Properties,
    Provider,
    ProviderContext,
    ResourceFailed,
    ServiceFailed,
    boolean,
    integer,
    required,
)
from altus.cloudformation.providers.common import gone_or, outcome, present


class Deployment:
    """``AWS::ApiGatewayV2::Deployment``: Ref is the deployment's id."""

    replaced_by = frozenset({"ApiId"})
    attributes = frozenset({"DeploymentId"})

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        required(props, "ApiId")
        made = await ctx.call(
            "apigatewayv2",
            "CreateDeployment",
            present(
                ApiId=str(props["ApiId"]),
                Description=props.get("Description"),
                StageName=props.get("StageName"),
            ),
        )
        return outcome(made["DeploymentId"], "DeploymentId")

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        ident, api_id = str(current.physical_id), str(props["ApiId"])
        old = current.properties
        if old.get("Description") != props.get("Description"):
            await ctx.call(
                "apigatewayv2",
                "UpdateDeployment",
                {
                    "ApiId": api_id,
                    "DeploymentId": ident,
                    "Description": props.get("Description") or "",
                },
            )
        stage = props.get("StageName")
        if stage and stage != old.get("StageName"):
            await ctx.call(
                "apigatewayv2",
                "UpdateStage",
                {"ApiId": api_id, "StageName": str(stage), "DeploymentId": ident},
            )
        return outcome(ident, "DeploymentId")

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        if current.physical_id is None:
            return
        try:
            await gone_or(
                ctx.call(
                    "apigatewayv2",
                    "DeleteDeployment",
                    {
                        "ApiId": str(current.properties.get("ApiId") or ""),
                        "DeploymentId": current.physical_id,
                    },
                )
            )
        except ServiceFailed as failed:
            # Still a stage's (the stage is the template's, deleted after it, or the
            # API's): it goes with its API.
            if "Active stages" not in failed.message:
                raise


def _route_settings(given: Any) -> dict[str, Any]:
    given = given or {}
    return present(
        DataTraceEnabled=boolean(given, "DataTraceEnabled"),
        DetailedMetricsEnabled=boolean(given, "DetailedMetricsEnabled"),
        LoggingLevel=given.get("LoggingLevel"),
        ThrottlingBurstLimit=integer(given, "ThrottlingBurstLimit"),
        ThrottlingRateLimit=number(given, "ThrottlingRateLimit"),
    )


def _stage(props: Properties) -> dict[str, Any]:
    logs = props.get("AccessLogSettings")
    return present(
        AccessLogSettings=None
        if not logs
        else present(DestinationArn=logs.get("DestinationArn"), Format=logs.get("Format")),
        AutoDeploy=boolean(props, "AutoDeploy"),
        ClientCertificateId=props.get("ClientCertificateId"),
        DefaultRouteSettings=None
        if props.get("DefaultRouteSettings") is None
        else _route_settings(props["DefaultRouteSettings"]),
        DeploymentId=props.get("DeploymentId"),
        Description=props.get("Description"),
        RouteSettings=None
        if props.get("RouteSettings") is None
        else {
            str(key): _route_settings(value)
            for key, value in json_object(props["RouteSettings"], "RouteSettings").items()
        },
        StageVariables=strings(props, "StageVariables"),
    )


def _no_access_policy(props: Properties) -> None:
    if props.get("AccessPolicyId"):
        raise ResourceFailed("Altus does not serve stage access policies: AccessPolicyId")


class Stage:
    """``AWS::ApiGatewayV2::Stage``: Ref is the stage's name. Its tags are a map (SAM
    writes them so); a list of ``{Key, Value}`` is taken too."""

    replaced_by = frozenset({"ApiId", "StageName"})
    attributes: frozenset[str] = frozenset()

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        required(props, "ApiId", "StageName")
        _no_access_policy(props)
        name = str(props["StageName"])
        await ctx.call(
            "apigatewayv2",
            "CreateStage",
            {
                "ApiId": str(props["ApiId"]),
                "StageName": name,
                **_stage(props),
                **present(Tags=tags_of(props, ctx) or None),
            },
        )
        return Outcome(name)

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        _no_access_policy(props)
        api_id, name = str(props["ApiId"]), str(current.physical_id)
        scope = {"ApiId": api_id, "StageName": name}
        old, new = _stage(current.properties), _stage(props)
        members = {k: v for k, v in new.items() if old.get(k) != v and k != "StageVariables"}
        members.pop("RouteSettings", None)
        for member, default in (
            ("Description", ""),
            ("AutoDeploy", False),
            ("ClientCertificateId", ""),
            ("DefaultRouteSettings", {"DetailedMetricsEnabled": False}),
        ):
            if member in old and member not in new:
                members[member] = default
        # Variables and route settings are merged into the stage's: those dropped are
        # removed (a variable by an empty value, a route's settings by their delete).
        variables_before, variables = (
            old.get("StageVariables") or {},
            new.get("StageVariables") or {},
        )
        if variables_before != variables:
            members["StageVariables"] = {
                **{k: "" for k in variables_before if k not in variables},
                **variables,
            }
        settings_before, settings = old.get("RouteSettings") or {}, new.get("RouteSettings") or {}
        settings_changed = {k: v for k, v in settings.items() if settings_before.get(k) != v}
        if settings_changed:
            members["RouteSettings"] = settings_changed
        if members:
            await ctx.call("apigatewayv2", "UpdateStage", {**scope, **members})
        for key in settings_before:
            if key not in settings:
                await gone_or(
                    ctx.call("apigatewayv2", "DeleteRouteSettings", {**scope, "RouteKey": key})
                )
        if old.get("AccessLogSettings") and not new.get("AccessLogSettings"):
            await gone_or(ctx.call("apigatewayv2", "DeleteAccessLogSettings", scope))
        await sync_api_tags(
            ctx, "apigatewayv2", f"apis/{api_id}/stages/{name}", tags_of(props, ctx)
        )
        return Outcome(name)

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        props = current.properties
        name = current.physical_id or props.get("StageName")
        if name and props.get("ApiId"):
            await gone_or(
                ctx.call(
                    "apigatewayv2",
                    "DeleteStage",
                    {"ApiId": str(props["ApiId"]), "StageName": str(name)},
                )
            )


PROVIDERS: dict[str, Provider] = {
    "AWS::ApiGatewayV2::Deployment": Deployment(),
    "AWS::ApiGatewayV2::Stage": Stage(),
}

"""HTTP and WebSocket APIs (botocore ``apigatewayv2``): ``AWS::ApiGatewayV2::Api`` here,
and the module's ``PROVIDERS``, which gathers every ``AWS::ApiGatewayV2::*`` type
(routes, integrations, authorizers, route and integration responses, models:
``apigatewayv2_parts``; stages and deployments: ``apigatewayv2_stages``).

An API is made one of three ways, as the template says: from an OpenAPI document
(``Body``, or ``BodyS3Location`` read from the built-in S3) with ImportApi (``BasePath``,
``FailOnWarnings``), then one UpdateApi of what the template states explicitly and the
document does not (the template's ``Name`` wins over ``info.title``) and its tags; by
quick create (``Target``, with ``RouteKey`` and ``CredentialsArn``: the route, its
integration and an auto-deploying ``$default`` stage come with it); or plainly with
CreateApi. SAM's ``AWS::Serverless::HttpApi`` is the first: a document whose
integrations are ``x-amazon-apigateway-integration`` with ``payloadFormatVersion`` 2.0,
and a ``$default`` stage with AutoDeploy (an ``AWS::ApiGatewayV2::Stage``). An update
imports the document again (ReimportApi) where it, or how it is imported, changed, or
where a property the document also sets was dropped from the template.

``ApiEndpoint`` is where Altus serves the API: the service's own answer names it
(``GetApi().ApiEndpoint``). With no ``url_domain`` configured that is the path form,
``<endpoint>/_aws/execute-api/<api-id>`` (an HTTP API's ``$default`` stage answers below
it, a named stage below ``<endpoint>/_aws/execute-api/<api-id>/<stage>``), rebuilt here on
the context's ``endpoint`` (the URL clients reach Altus at, which may differ from the one
CloudFormation's own calls go to); with ``url_domain`` set it is the host form
``http://<api-id>.execute-api.<region>.<url_domain>[:port]``, kept as the service gave
it. WebSocket APIs' endpoints are the same with ``ws://``.
"""

from __future__ import annotations

from typing import Any

from altus.cloudformation.providers import apigatewayv2_parts, apigatewayv2_stages
from altus.cloudformation.providers.apigateway_common import (
    HTTP_TAGS,
    api_arn,
    definition,
    sync_api_tags,
    tags_of,
    targets,
)
from altus.cloudformation.providers.base import (
    Current,
    Outcome,
    Properties,
    Provider,
    ProviderContext,
    ResourceFailed,
    boolean,
    integer,
    required,
)
from altus.cloudformation.providers.common import changed, gone_or, present, retag
from altus.gateway.urls import PATH_PREFIX

#: What the document is and how it is imported: a change imports it again.
_BODY = ("Body", "BodyS3Location", "BasePath", "FailOnWarnings")
#: The template's properties an import also sets (``info.title``, ``-cors``...).
_SHARED = ("Name", "Description", "Version", "CorsConfiguration")
#: The properties UpdateApi sets as members of the same name.
_SETTABLE = (
    "Name",
    "Description",
    "Version",
    "DisableExecuteApiEndpoint",
    "DisableSchemaValidation",
    "RouteSelectionExpression",
    "ApiKeySelectionExpression",
    "CorsConfiguration",
)
#: Quick create's properties (UpdateApi takes them too).
_QUICK = ("Target", "RouteKey", "CredentialsArn")
#: What a property dropped from a template returns to (CorsConfiguration is deleted).
_RESETS: dict[str, Any] = {
    "Description": "",
    "Version": "",
    "DisableExecuteApiEndpoint": False,
    "DisableSchemaValidation": False,
}


def _cors(given: Any) -> dict[str, Any]:
    return present(
        AllowCredentials=boolean(given, "AllowCredentials"),
        AllowHeaders=[str(h) for h in given["AllowHeaders"]] if "AllowHeaders" in given else None,
        AllowMethods=[str(m) for m in given["AllowMethods"]] if "AllowMethods" in given else None,
        AllowOrigins=[str(o) for o in given["AllowOrigins"]] if "AllowOrigins" in given else None,
        ExposeHeaders=[str(h) for h in given["ExposeHeaders"]]
        if "ExposeHeaders" in given
        else None,
        MaxAge=integer(given, "MaxAge"),
    )


def _value(props: Properties, name: str) -> Any:
    """A property as the member of its name takes it."""
    if name.startswith("Disable"):
        return boolean(props, name)
    if name == "CorsConfiguration":
        return _cors(props[name])
    return str(props[name])


def api_endpoint(ctx: ProviderContext, answer: dict[str, Any]) -> str:
    """Where Altus serves the API ``answer`` (CreateApi's, GetApi's...) describes: the
    path form rebuilt on the context's endpoint, the host form as the service named it."""
    served = str(answer.get("ApiEndpoint") or "")
    if served and PATH_PREFIX not in served:
        return served
    url = f"{ctx.endpoint.rstrip('/')}{PATH_PREFIX}{answer['ApiId']}"
    if answer.get("ProtocolType") == "WEBSOCKET":
        return "ws" + url.removeprefix("http")
    return url


def _outcome(ctx: ProviderContext, answer: dict[str, Any]) -> Outcome:
    api_id = str(answer["ApiId"])
    return Outcome(api_id, {"ApiId": api_id, "ApiEndpoint": api_endpoint(ctx, answer)})


class Api:
    """``AWS::ApiGatewayV2::Api``: Ref is the API's id."""

    replaced_by = frozenset({"ProtocolType"})
    attributes = frozenset({"ApiEndpoint", "ApiId"})

    @staticmethod
    async def _document(ctx: ProviderContext, props: Properties) -> str | None:
        body = await definition(ctx, props)
        if body is None:
            return None
        try:
            return body.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ResourceFailed("The OpenAPI definition is not UTF-8 text") from None

    @staticmethod
    def _import_members(props: Properties, document: str) -> dict[str, Any]:
        return present(
            Body=document,
            Basepath=props.get("BasePath"),
            FailOnWarnings=boolean(props, "FailOnWarnings"),
        )

    @staticmethod
    def _changes(
        old: Properties, new: Properties, state: dict[str, Any] | None, has_body: bool
    ) -> tuple[dict[str, Any], bool]:
        """UpdateApi's members taking the API to what ``new`` states (from ``state``,
        what the service just answered, where known; else from ``old``), and whether its
        CORS configuration is to be deleted."""
        members: dict[str, Any] = {}
        drop_cors = False
        for prop in _SETTABLE + _QUICK:
            if prop in new:
                wanted = _value(new, prop)
                if state is not None and prop in _SETTABLE:
                    have = state.get(prop)
                else:
                    have = _value(old, prop) if prop in old else None
                if wanted != have:
                    members[prop] = wanted
            elif prop in old and not has_body:
                if prop == "CorsConfiguration":
                    drop_cors = True
                elif prop in _RESETS:
                    members[prop] = _RESETS[prop]
        return members, drop_cors

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        document = await self._document(ctx, props)
        if document is None:
            required(props, "Name", "ProtocolType")
            members = {prop: _value(props, prop) for prop in _SETTABLE + _QUICK if prop in props}
            made = await ctx.call(
                "apigatewayv2",
                "CreateApi",
                {
                    **members,
                    "ProtocolType": str(props["ProtocolType"]),
                    **present(Tags=tags_of(props, ctx) or None),
                },
            )
            return _outcome(ctx, made)
        if props.get("ProtocolType") not in (None, "HTTP"):
            raise ResourceFailed("An API imported from an OpenAPI definition is an HTTP API")
        if any(prop in props for prop in _QUICK):
            raise ResourceFailed("Target, RouteKey and CredentialsArn are not taken with a Body")
        made = await ctx.call("apigatewayv2", "ImportApi", self._import_members(props, document))
        api_id = str(made["ApiId"])
        try:
            members, _ = self._changes({}, props, made, True)
            if members:
                made = await ctx.call("apigatewayv2", "UpdateApi", {"ApiId": api_id, **members})
            arn = api_arn(ctx, f"apis/{api_id}")
            await retag(ctx, HTTP_TAGS, {"ResourceArn": arn}, {}, tags_of(props, ctx))
        except ResourceFailed:
            # The create fails as a whole: the API imported for it goes too.
            await gone_or(ctx.call("apigatewayv2", "DeleteApi", {"ApiId": api_id}))
            raise
        return _outcome(ctx, made)

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        api_id = str(current.physical_id)
        old = current.properties
        has_body = props.get("Body") is not None or bool(props.get("BodyS3Location"))
        if not has_body:
            required(props, "Name")
        state: dict[str, Any] | None = None
        if has_body and (
            changed(old, props, *_BODY) or any(p in old and p not in props for p in _SHARED)
        ):
            document = await self._document(ctx, props)
            assert document is not None
            state = await ctx.call(
                "apigatewayv2",
                "ReimportApi",
                {"ApiId": api_id, **self._import_members(props, document)},
            )
        members, drop_cors = self._changes(old, props, state, has_body)
        if members:
            state = await ctx.call("apigatewayv2", "UpdateApi", {"ApiId": api_id, **members})
        if drop_cors:
            await gone_or(ctx.call("apigatewayv2", "DeleteCorsConfiguration", {"ApiId": api_id}))
        await sync_api_tags(ctx, "apigatewayv2", f"apis/{api_id}", tags_of(props, ctx))
        if state is None or drop_cors:
            state = await ctx.call("apigatewayv2", "GetApi", {"ApiId": api_id})
        return _outcome(ctx, state)

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        # An API is found again by the template's Name where exactly one has it (one
        # named by its document's title cannot be).
        name = current.properties.get("Name")
        wanted = {"Name": name} if name else None
        found = await targets(ctx, current, "apigatewayv2", "GetApis", {}, wanted, ident="ApiId")
        for api_id in found:
            await gone_or(ctx.call("apigatewayv2", "DeleteApi", {"ApiId": api_id}))


PROVIDERS: dict[str, Provider] = {
    "AWS::ApiGatewayV2::Api": Api(),
    **apigatewayv2_parts.PROVIDERS,
    **apigatewayv2_stages.PROVIDERS,
}

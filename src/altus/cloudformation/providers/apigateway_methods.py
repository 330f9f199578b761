"""A REST API's tree of resources and their methods: ``AWS::ApiGateway::Resource`` and
``AWS::ApiGateway::Method`` (with its ``Integration``, ``MethodResponses`` and the
integration's ``IntegrationResponses``).

A method is made in the order API Gateway needs: PutMethod, its method responses, its
integration, then the integration's responses (each names a method response's status).
An update changes only what changed: UpdateMethod by patch operations for the method's
own members, UpdateMethodResponse for a response that changed (PutMethodResponse for a
new one), the integration put again where it changed (with its responses) or only the
responses that changed, and the method responses the template dropped deleted last.
A method's physical id is ``<RestApiId>|<ResourceId>|<HttpMethod>`` (its identifier's
parts); a resource's is its id.
"""

from __future__ import annotations

from typing import Any

from altus.cloudformation.providers.apigateway_common import (
    Patch,
    delete_part,
    rest_api_id,
    targets,
    text_map,
    texts,
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
from altus.cloudformation.providers.common import gone_or, outcome, present


class Resource:
    """``AWS::ApiGateway::Resource``: Ref is the resource's id. Every property is fixed
    at creation."""

    replaced_by = frozenset({"RestApiId", "ParentId", "PathPart"})
    attributes = frozenset({"ResourceId"})

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        members = texts(props, restApiId="RestApiId", parentId="ParentId", pathPart="PathPart")
        made = await ctx.call("apigateway", "CreateResource", members)
        return outcome(made["id"], "ResourceId")

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        return outcome(current.physical_id, "ResourceId")

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        props = current.properties
        api_id = rest_api_id(props)
        # A parent has one child of a path part: the one this create made.
        found = await targets(
            ctx,
            current,
            "apigateway",
            "GetResources",
            {"restApiId": api_id, "limit": 500},
            {"parentId": props.get("ParentId"), "pathPart": props.get("PathPart")},
            every=True,
        )
        for resource_id in found:
            await delete_part(ctx, api_id, "DeleteResource", resourceId=resource_id)


# --- methods ----------------------------------------------------------------------------


def _flags(value: Any, name: str) -> dict[str, bool]:
    """A map of parameter names to whether each is required (``true``/``false`` as text
    too)."""
    flags: dict[str, bool] = {}
    for key, given in (value or {}).items():
        if isinstance(given, bool):
            flags[str(key)] = given
        elif str(given).lower() in ("true", "false"):
            flags[str(key)] = str(given).lower() == "true"
        else:
            raise ResourceFailed(f"Property {name}.{key} must be a boolean, not {given!r}")
    return flags


def _method(props: Properties) -> dict[str, Any]:
    """The method's own members (PutMethod's), with their defaults."""
    return {
        "authorizationType": str(props.get("AuthorizationType") or "NONE"),
        "authorizerId": props.get("AuthorizerId"),
        "apiKeyRequired": bool(boolean(props, "ApiKeyRequired")),
        "operationName": props.get("OperationName"),
        "requestParameters": _flags(props.get("RequestParameters"), "RequestParameters"),
        "requestModels": text_map(props.get("RequestModels"), "RequestModels"),
        "requestValidatorId": props.get("RequestValidatorId"),
        "authorizationScopes": [str(s) for s in props.get("AuthorizationScopes") or ()],
    }


def _method_responses(props: Properties) -> dict[str, dict[str, Any]]:
    """``MethodResponses`` by status code."""
    found: dict[str, dict[str, Any]] = {}
    for given in props.get("MethodResponses") or ():
        required(given, "StatusCode")
        found[str(given["StatusCode"])] = {
            "responseParameters": _flags(
                given.get("ResponseParameters"), "MethodResponses.ResponseParameters"
            ),
            "responseModels": text_map(given.get("ResponseModels"), "ResponseModels"),
        }
    return found


def _integration(props: Properties) -> dict[str, Any] | None:
    """``Integration`` as PutIntegration's members (its responses apart)."""
    given = props.get("Integration")
    if not given:
        return None
    required(given, "Type")
    return present(
        type=str(given["Type"]),
        integrationHttpMethod=given.get("IntegrationHttpMethod"),
        uri=given.get("Uri"),
        connectionType=given.get("ConnectionType"),
        connectionId=given.get("ConnectionId"),
        credentials=given.get("Credentials"),
        requestParameters=text_map(given.get("RequestParameters"), "RequestParameters") or None,
        requestTemplates=text_map(given.get("RequestTemplates"), "RequestTemplates") or None,
        passthroughBehavior=given.get("PassthroughBehavior"),
        cacheNamespace=given.get("CacheNamespace"),
        cacheKeyParameters=[str(p) for p in given.get("CacheKeyParameters") or ()] or None,
        contentHandling=given.get("ContentHandling"),
        timeoutInMillis=integer(given, "TimeoutInMillis"),
    )


def _integration_responses(props: Properties) -> dict[str, dict[str, Any]]:
    """The integration's ``IntegrationResponses`` by status code."""
    found: dict[str, dict[str, Any]] = {}
    for given in (props.get("Integration") or {}).get("IntegrationResponses") or ():
        required(given, "StatusCode")
        found[str(given["StatusCode"])] = present(
            selectionPattern=given.get("SelectionPattern"),
            responseParameters=text_map(given.get("ResponseParameters"), "ResponseParameters")
            or None,
            responseTemplates=text_map(given.get("ResponseTemplates"), "ResponseTemplates") or None,
            contentHandling=given.get("ContentHandling"),
        )
    return found


def _method_patch(old: dict[str, Any], new: dict[str, Any]) -> Patch:
    ops = Patch()
    for member in ("authorizerId", "operationName", "requestValidatorId"):
        ops.scalar(f"/{member}", old[member], new[member])
    ops.scalar("/authorizationType", old["authorizationType"], new["authorizationType"])
    ops.scalar("/apiKeyRequired", old["apiKeyRequired"], new["apiKeyRequired"])
    ops.entries("/requestParameters", old["requestParameters"], new["requestParameters"])
    ops.entries("/requestModels", old["requestModels"], new["requestModels"])
    ops.items("/authorizationScopes", old["authorizationScopes"], new["authorizationScopes"])
    return ops


class Method:
    """``AWS::ApiGateway::Method``."""

    replaced_by = frozenset({"RestApiId", "ResourceId", "HttpMethod"})
    attributes: frozenset[str] = frozenset()

    @staticmethod
    def _ids(props: Properties) -> dict[str, str]:
        return {
            "restApiId": str(props.get("RestApiId") or ""),
            "resourceId": str(props.get("ResourceId") or ""),
            "httpMethod": str(props.get("HttpMethod") or "").upper(),
        }

    async def _put_integration(
        self, ctx: ProviderContext, ids: dict[str, str], props: Properties
    ) -> None:
        integration = _integration(props)
        if integration is None:
            return
        await ctx.call("apigateway", "PutIntegration", {**ids, **integration})
        for code, members in _integration_responses(props).items():
            await ctx.call(
                "apigateway", "PutIntegrationResponse", {**ids, "statusCode": code, **members}
            )

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        required(props, "RestApiId", "ResourceId", "HttpMethod")
        ids = self._ids(props)
        method = {k: v for k, v in _method(props).items() if v not in (None, [], {})}
        await ctx.call("apigateway", "PutMethod", {**ids, **method})
        try:
            for code, members in _method_responses(props).items():
                await ctx.call(
                    "apigateway",
                    "PutMethodResponse",
                    {**ids, "statusCode": code, **{k: v for k, v in members.items() if v}},
                )
            await self._put_integration(ctx, ids, props)
        except ResourceFailed:
            await gone_or(ctx.call("apigateway", "DeleteMethod", ids))
            raise
        return Outcome("|".join(ids.values()))

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        old = current.properties
        ids = self._ids(props)
        await _method_patch(_method(old), _method(props)).send(ctx, "UpdateMethod", ids)
        old_responses, new_responses = _method_responses(old), _method_responses(props)
        for code, members in new_responses.items():
            before = old_responses.get(code)
            if before is None:
                await ctx.call(
                    "apigateway",
                    "PutMethodResponse",
                    {**ids, "statusCode": code, **{k: v for k, v in members.items() if v}},
                )
            elif before != members:
                patch = Patch()
                for member in ("responseParameters", "responseModels"):
                    patch.entries(f"/{member}", before[member], members[member])
                await patch.send(ctx, "UpdateMethodResponse", {**ids, "statusCode": code})
        await self._update_integration(ctx, ids, old, props)
        for code in old_responses:
            if code not in new_responses:
                await gone_or(
                    ctx.call("apigateway", "DeleteMethodResponse", {**ids, "statusCode": code})
                )
        return Outcome("|".join(ids.values()))

    async def _update_integration(
        self, ctx: ProviderContext, ids: dict[str, str], old: Properties, new: Properties
    ) -> None:
        before, after = _integration(old), _integration(new)
        if after is None:
            if before is not None:
                await gone_or(ctx.call("apigateway", "DeleteIntegration", ids))
            return
        if before != after:
            await self._put_integration(ctx, ids, new)
            return
        old_responses, new_responses = _integration_responses(old), _integration_responses(new)
        for code in old_responses:
            if code not in new_responses:
                await gone_or(
                    ctx.call("apigateway", "DeleteIntegrationResponse", {**ids, "statusCode": code})
                )
        for code, members in new_responses.items():
            if old_responses.get(code) != members:
                await ctx.call(
                    "apigateway", "PutIntegrationResponse", {**ids, "statusCode": code, **members}
                )

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        # The identifiers are the template's own: an interrupted create is found by them.
        ids = self._ids(current.properties)
        if all(ids.values()):
            await gone_or(ctx.call("apigateway", "DeleteMethod", ids))


PROVIDERS: dict[str, Provider] = {
    "AWS::ApiGateway::Resource": Resource(),
    "AWS::ApiGateway::Method": Method(),
}

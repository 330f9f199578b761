"""REST APIs (botocore ``apigateway``): ``AWS::ApiGateway::RestApi`` here, and the
module's ``PROVIDERS``, which gathers every ``AWS::ApiGateway::*`` type (resources and
methods, stages and deployments, authorizers, models, validators, gateway responses, API
keys and usage plans, the account) from the modules beside this one.

A REST API made from an OpenAPI document (``Body``, or ``BodyS3Location`` read from the
built-in S3) is made as CloudFormation makes it: CreateRestApi with the template's
properties, then PutRestApi with the document (``Mode``, ``overwrite`` unless the
template says ``merge``; ``Parameters``; ``FailOnWarnings``), then one UpdateRestApi
putting back what the template states explicitly and the import replaced: the template's
``Name`` wins over the document's ``info.title``, as its ``Description``, ``Policy``,
``ApiKeySourceType``, ``DisableExecuteApiEndpoint`` and endpoint type do; binary media
types are merged (the document's and the template's). A property the template leaves
out is the document's to decide; without a document it returns to API Gateway's default.
An update imports the document again when it (or how it is imported) changed, or when a
property the document may also set was removed from the template.

Custom domain names (``AWS::ApiGateway::DomainName``, ``BasePathMapping``) are not
served by Altus's API Gateway, so they have no provider; ``CloneFrom`` is refused.
"""

from __future__ import annotations

from typing import Any

from altus.cloudformation.providers import (
    apigateway_keys,
    apigateway_methods,
    apigateway_parts,
    apigateway_stages,
)
from altus.cloudformation.providers.apigateway_common import (
    Patch,
    definition,
    sync_api_tags,
    tags_of,
    targets,
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
    integer,
    required,
)
from altus.cloudformation.providers.common import changed, gone_or, json_text, present

#: What the document is and how it is imported: a change imports it again.
_BODY = ("Body", "BodyS3Location", "Mode", "Parameters", "FailOnWarnings")
#: The template's properties a document may also set (``info.title``, ``-policy``...):
#: removing one from the template lets the document's value back, by importing it again.
_SHARED = (
    "Name",
    "Description",
    "Policy",
    "ApiKeySourceType",
    "BinaryMediaTypes",
    "DisableExecuteApiEndpoint",
)
#: The API's default endpoint type (CreateRestApi's when none is given).
_DEFAULT_ENDPOINT = "EDGE"


def media_types(props: Properties) -> list[str]:
    """``BinaryMediaTypes`` as the API names them: the template escapes ``/`` as ``~1``
    (``image~1png``), as CloudFormation's reference asks."""
    return [str(kind).replace("~1", "/") for kind in props.get("BinaryMediaTypes") or ()]


def _scalar(props: Properties, name: str) -> Any:
    """A scalar property as the API member takes it."""
    if name == "MinimumCompressionSize":
        return integer(props, name)
    if name == "DisableExecuteApiEndpoint":
        return boolean(props, name)
    if name == "Policy":
        return json_text(props[name])
    return str(props[name])


#: The scalar properties: (property, API member, what a removal returns it to: None
#: removes the member).
_SCALARS: tuple[tuple[str, str, Any], ...] = (
    ("Name", "name", None),
    ("Description", "description", None),
    ("Policy", "policy", None),
    ("ApiKeySourceType", "apiKeySource", "HEADER"),
    ("MinimumCompressionSize", "minimumCompressionSize", None),
    ("DisableExecuteApiEndpoint", "disableExecuteApiEndpoint", False),
)


def reconcile(
    old: Properties, new: Properties, state: dict[str, Any], has_body: bool, reimported: bool
) -> Patch:
    """The patch operations taking the API from ``state`` (what the service answered
    last) to what ``new`` states, where ``old`` is what it stated before (``{}`` for a
    create) and ``reimported`` says whether the document was just imported."""
    ops = Patch()
    for prop, member, default in _SCALARS:
        if prop in new:
            wanted = _scalar(new, prop)
        elif prop not in old or (has_body and prop in _SHARED):
            # Not the template's (now or before), or the document's to decide.
            continue
        else:
            wanted = None
        ops.scalar(f"/{member}", state.get(member), wanted, default)
    current = list(state.get("binaryMediaTypes") or ())
    added = media_types(new)
    if has_body:
        # Merged: the document's stay, the template's own are added (and those the
        # template dropped taken out, unless the document has just put them back).
        dropped = [] if reimported else [t for t in media_types(old) if t not in added]
        wanted_types = [t for t in current if t not in dropped]
        wanted_types += [t for t in added if t not in wanted_types]
    else:
        wanted_types = added
    ops.items("/binaryMediaTypes", current, wanted_types)
    types = list((new.get("EndpointConfiguration") or {}).get("Types") or ())
    now = list((state.get("endpointConfiguration") or {}).get("types") or [_DEFAULT_ENDPOINT])
    parameters = text_map(new.get("Parameters"), "Parameters")
    if types:
        wanted_type: str | None = str(types[0])
    elif old.get("EndpointConfiguration") and "endpointConfigurationTypes" not in parameters:
        # Dropped from the template, and no import parameter names it: the default.
        wanted_type = _DEFAULT_ENDPOINT
    else:
        wanted_type = None
    if wanted_type is not None and now and wanted_type != now[0]:
        ops.replace(f"/endpointConfiguration/types/{now[0]}", wanted_type)
    return ops


def endpoint_configuration(props: Properties) -> dict[str, Any] | None:
    given = props.get("EndpointConfiguration")
    if not given:
        return None
    return present(
        types=[str(t) for t in given.get("Types") or ()] or None,
        vpcEndpointIds=[str(v) for v in given.get("VpcEndpointIds") or ()] or None,
    )


class RestApi:
    """``AWS::ApiGateway::RestApi``: Ref is the API's id."""

    replaced_by: frozenset[str] = frozenset()
    attributes = frozenset({"RestApiId", "RootResourceId"})

    async def _put(
        self, ctx: ProviderContext, api_id: str, props: Properties, body: bytes
    ) -> dict[str, Any]:
        mode = str(props.get("Mode") or "overwrite").lower()
        return await ctx.call(
            "apigateway",
            "PutRestApi",
            present(
                restApiId=api_id,
                mode=mode,
                failOnWarnings=boolean(props, "FailOnWarnings"),
                parameters=text_map(props.get("Parameters"), "Parameters") or None,
                body=body,
            ),
        )

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        if props.get("CloneFrom"):
            raise ResourceFailed("Altus does not clone REST APIs: CloneFrom is not supported")
        body = await definition(ctx, props)
        if body is None:
            required(props, "Name")
        members = present(
            name=str(props.get("Name") or ctx.name()),
            description=props.get("Description"),
            binaryMediaTypes=media_types(props) or None,
            minimumCompressionSize=integer(props, "MinimumCompressionSize"),
            apiKeySource=props.get("ApiKeySourceType"),
            endpointConfiguration=endpoint_configuration(props),
            policy=None if props.get("Policy") is None else json_text(props["Policy"]),
            disableExecuteApiEndpoint=boolean(props, "DisableExecuteApiEndpoint"),
            tags=tags_of(props, ctx) or None,
        )
        created = await ctx.call("apigateway", "CreateRestApi", members)
        api_id = str(created["id"])
        try:
            state = created
            if body is not None:
                state = await self._put(ctx, api_id, props, body)
            ops = reconcile({}, props, state, body is not None, True)
            await ops.send(ctx, "UpdateRestApi", {"restApiId": api_id})
        except ResourceFailed:
            # The create fails as a whole: the API made for it goes too.
            await gone_or(ctx.call("apigateway", "DeleteRestApi", {"restApiId": api_id}))
            raise
        return Outcome(api_id, {"RestApiId": api_id, "RootResourceId": created["rootResourceId"]})

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        api_id = str(current.physical_id)
        old = current.properties
        if props.get("CloneFrom") and props.get("CloneFrom") != old.get("CloneFrom"):
            raise ResourceFailed("Altus does not clone REST APIs: CloneFrom is not supported")
        has_body = props.get("Body") is not None or bool(props.get("BodyS3Location"))
        if not has_body:
            required(props, "Name")
        old_ids = (old.get("EndpointConfiguration") or {}).get("VpcEndpointIds")
        if (props.get("EndpointConfiguration") or {}).get("VpcEndpointIds") != old_ids:
            raise ResourceFailed(
                "Altus cannot change EndpointConfiguration.VpcEndpointIds of a REST API in "
                "place (UpdateRestApi takes only its endpoint type)"
            )
        reimport = has_body and bool(
            changed(old, props, *_BODY) or any(p in old and p not in props for p in _SHARED)
        )
        if reimport:
            body = await definition(ctx, props)
            assert body is not None
            state = await self._put(ctx, api_id, props, body)
        else:
            state = await ctx.call("apigateway", "GetRestApi", {"restApiId": api_id})
        await reconcile(old, props, state, has_body, reimport).send(
            ctx, "UpdateRestApi", {"restApiId": api_id}
        )
        await sync_api_tags(ctx, "apigateway", f"restapis/{api_id}", tags_of(props, ctx))
        return Outcome(api_id, {"RestApiId": api_id, "RootResourceId": state["rootResourceId"]})

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        # A name is no identifier of a REST API: a template's own name is taken only
        # where exactly one API has it; the generated name is this resource's alone.
        # (An API named by its document's title cannot be found again.)
        name = current.properties.get("Name")
        wanted = {"name": str(name or ctx.name())}
        listed = {"limit": 500}
        found = await targets(
            ctx, current, "apigateway", "GetRestApis", listed, wanted, every=not name
        )
        for api_id in found:
            await gone_or(ctx.call("apigateway", "DeleteRestApi", {"restApiId": api_id}))


PROVIDERS: dict[str, Provider] = {
    "AWS::ApiGateway::RestApi": RestApi(),
    **apigateway_methods.PROVIDERS,
    **apigateway_parts.PROVIDERS,
    **apigateway_stages.PROVIDERS,
    **apigateway_keys.PROVIDERS,
}

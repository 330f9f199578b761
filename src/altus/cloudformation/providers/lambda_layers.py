"""``AWS::Lambda::LayerVersion`` and ``AWS::Lambda::LayerVersionPermission``.

A layer version is immutable: every property needs a new one. Ref and ``Fn::GetAtt
LayerVersionArn`` are its ARN (``...:layer:name:3``); deleting the resource deletes that
version (DeleteLayerVersion). ``Content`` is ``S3Bucket``/``S3Key``/``S3ObjectVersion``
(Lambda reads it from Altus's built-in S3). A layer the template leaves unnamed gets the
name CloudFormation generates, so a delete whose publish was interrupted deletes every
version of that generated name (no other resource can have published one); a named
layer's versions are Lambda's to number, and such a delete leaves them.

A layer version permission's statement id is the generated name too, and its Ref and
``Fn::GetAtt Id`` are ``<LayerVersionArn>#<StatementId>``; all its properties are
replacements.
"""

from __future__ import annotations

from typing import Any

from altus.cloudformation.providers.base import (
    POLLS,
    Current,
    Outcome,
    Properties,
    ProviderContext,
    ResourceFailed,
    required,
)
from altus.cloudformation.providers.common import gone_or, outcome, paged, quietly
from altus.cloudformation.providers.lambda_support import known_id

#: Lambda's limit on a layer's name (the ARN form included).
LAYER_NAME_LENGTH = 140
#: Lambda's limit on a statement id.
STATEMENT_ID_LENGTH = 100


def split_version_arn(arn: str) -> tuple[str, int]:
    """(the layer's ARN, the version number) of a layer version ARN. Raises ResourceFailed
    for a value that is not one."""
    layer, _, number = arn.rpartition(":")
    if ":layer:" not in layer or not number.isdigit():
        raise ResourceFailed(f"{arn} is not a layer version ARN")
    return layer, int(number)


async def _delete_version(ctx: ProviderContext, layer: str, number: int) -> None:
    await quietly(
        ctx, "lambda", "DeleteLayerVersion", {"LayerName": layer, "VersionNumber": number}
    )


class LayerVersion:
    replaced_by = frozenset(
        {
            "CompatibleArchitectures",
            "CompatibleRuntimes",
            "Content",
            "Description",
            "LayerName",
            "LicenseInfo",
        }
    )
    attributes = frozenset({"LayerVersionArn"})

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        required(props, "Content")
        content = props["Content"] or {}
        params: dict[str, Any] = {
            "LayerName": str(props.get("LayerName") or ctx.name(max_length=LAYER_NAME_LENGTH)),
            "Content": {
                member: str(content[member])
                for member in ("S3Bucket", "S3Key", "S3ObjectVersion")
                if content.get(member)
            },
        }
        for member in ("Description", "LicenseInfo"):
            if props.get(member) is not None:
                params[member] = str(props[member])
        for member in ("CompatibleRuntimes", "CompatibleArchitectures"):
            if props.get(member):
                params[member] = [str(value) for value in props[member]]
        published = await ctx.call("lambda", "PublishLayerVersion", params)
        return outcome(published["LayerVersionArn"], "LayerVersionArn")

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        # Every property is a replacement: a layer version never changes.
        return outcome(known_id(current, "layer version"), "LayerVersionArn")

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        if current.physical_id is not None:
            await _delete_version(ctx, *split_version_arn(current.physical_id))
            return
        if current.properties.get("LayerName"):
            return  # a named layer's versions may be anyone's: nothing to tell ours by
        name = ctx.name(max_length=LAYER_NAME_LENGTH)
        listing = paged(
            ctx,
            "lambda",
            "ListLayerVersions",
            {"LayerName": name},
            "LayerVersions",
            token="Marker",
            next_token="NextMarker",
            max_pages=POLLS,
        )
        for version in await gone_or(listing) or ():
            await _delete_version(ctx, name, int(version["Version"]))


class LayerVersionPermission:
    replaced_by = frozenset({"Action", "LayerVersionArn", "OrganizationId", "Principal"})
    attributes = frozenset({"Id"})

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        required(props, "Action", "LayerVersionArn", "Principal")
        arn = str(props["LayerVersionArn"])
        layer, number = split_version_arn(arn)
        statement = ctx.name(max_length=STATEMENT_ID_LENGTH)
        params: dict[str, Any] = {
            "LayerName": layer,
            "VersionNumber": number,
            "StatementId": statement,
            "Action": str(props["Action"]),
            "Principal": str(props["Principal"]),
        }
        if props.get("OrganizationId"):
            params["OrganizationId"] = str(props["OrganizationId"])
        await ctx.call("lambda", "AddLayerVersionPermission", params)
        return outcome(f"{arn}#{statement}", "Id")

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        # Every property is a replacement.
        return outcome(known_id(current, "layer version permission"), "Id")

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        if current.physical_id is not None:
            arn, _, statement = current.physical_id.rpartition("#")
        else:
            arn = str(current.properties.get("LayerVersionArn") or "")
            statement = ctx.name(max_length=STATEMENT_ID_LENGTH)
        if not arn:
            return
        layer, number = split_version_arn(arn)
        await quietly(
            ctx,
            "lambda",
            "RemoveLayerVersionPermission",
            {"LayerName": layer, "VersionNumber": number, "StatementId": statement},
        )

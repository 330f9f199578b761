"""``AWS::Lambda::Version`` and ``AWS::Lambda::Alias``: a published version of a function,
and a name pointing at one (or splitting traffic between two).

A version is immutable: every property of it needs a new one (SAM changes the logical id
when the code changes, and retains the old version), so ``update`` has nothing to do.
Ref is the version's ARN (``...:function:name:3``); ``Fn::GetAtt`` gives ``Version`` and
``FunctionArn`` (the same ARN). Deleting it deletes that version (DeleteFunction with the
version as Qualifier). A version whose create was interrupted cannot be found again (its
number is Lambda's), so such a delete does nothing.

An alias's Ref is its ARN, as is ``Fn::GetAtt AliasArn``. Its ``RoutingConfig`` in a
template is a list (``AdditionalVersionWeights: [{FunctionVersion, FunctionWeight}]``),
in Lambda's API a map of version to weight. Both types take a
``ProvisionedConcurrencyConfig``; a create or update returns once it is READY.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from altus.cloudformation.providers.base import (
    Current,
    Outcome,
    Properties,
    ProviderContext,
    ResourceFailed,
    required,
)
from altus.cloudformation.providers.common import quietly
from altus.cloudformation.providers.lambda_support import (
    delete_provisioned,
    fraction,
    known_id,
    provisioned_count,
    put_provisioned,
    unsupported,
)


class Version:
    replaced_by = frozenset(
        {
            "FunctionName",
            "CodeSha256",
            "Description",
            "ProvisionedConcurrencyConfig",
            "RuntimePolicy",
            "FunctionScalingConfig",
        }
    )
    attributes = frozenset({"Version", "FunctionArn"})

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        required(props, "FunctionName")
        policy = props.get("RuntimePolicy") or {}
        if (policy.get("UpdateRuntimeOn") or "Auto") != "Auto":
            raise unsupported("AWS::Lambda::Version", "RuntimePolicy", "PutRuntimeManagementConfig")
        if props.get("FunctionScalingConfig"):
            raise unsupported(
                "AWS::Lambda::Version", "FunctionScalingConfig", "PutFunctionScalingConfig"
            )
        function = str(props["FunctionName"])
        params: dict[str, Any] = {"FunctionName": function}
        for member in ("CodeSha256", "Description"):
            if props.get(member) is not None:
                params[member] = str(props[member])
        published = await ctx.call("lambda", "PublishVersion", params)
        arn, number = str(published["FunctionArn"]), str(published["Version"])
        count = provisioned_count(props)
        if count is not None:
            await put_provisioned(ctx, function, number, count)
        return Outcome(arn, {"Version": number, "FunctionArn": arn})

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        # Every property is a replacement: nothing of a version changes in place.
        return Outcome(known_id(current, "version"), dict(current.attributes))

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        if current.physical_id is None:
            return  # the number was Lambda's to give: nothing to find
        function, number = current.physical_id.rsplit(":", 1)
        await quietly(
            ctx, "lambda", "DeleteFunction", {"FunctionName": function, "Qualifier": number}
        )


def routing(props: Properties) -> dict[str, Any]:
    """Lambda's RoutingConfig for an alias's properties (no extra versions when absent)."""
    weights: dict[str, float] = {}
    entries = (props.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or []
    if isinstance(entries, Mapping):  # the API's own shape, accepted as well
        entries = [{"FunctionVersion": k, "FunctionWeight": v} for k, v in entries.items()]
    for entry in entries:
        if entry.get("FunctionVersion") is None or entry.get("FunctionWeight") is None:
            raise ResourceFailed(
                "Properties validation failed for resource with message: "
                "#/RoutingConfig/AdditionalVersionWeights: required key "
                "[FunctionVersion, FunctionWeight] not found"
            )
        weights[str(entry["FunctionVersion"])] = fraction(entry["FunctionWeight"], "FunctionWeight")
    return {"AdditionalVersionWeights": weights}


class Alias:
    replaced_by = frozenset({"Name", "FunctionName"})
    attributes = frozenset({"AliasArn"})

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        required(props, "FunctionName", "FunctionVersion", "Name")
        function, name = str(props["FunctionName"]), str(props["Name"])
        params: dict[str, Any] = {
            "FunctionName": function,
            "Name": name,
            "FunctionVersion": str(props["FunctionVersion"]),
        }
        if props.get("Description") is not None:
            params["Description"] = str(props["Description"])
        if props.get("RoutingConfig"):
            params["RoutingConfig"] = routing(props)
        created = await ctx.call("lambda", "CreateAlias", params)
        count = provisioned_count(props)
        if count is not None:
            await put_provisioned(ctx, function, name, count)
        return Outcome(created["AliasArn"], {"AliasArn": created["AliasArn"]})

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        required(props, "FunctionName", "FunctionVersion", "Name")
        old = current.properties
        function, name = str(props["FunctionName"]), str(props["Name"])
        changes: dict[str, Any] = {}
        if old.get("FunctionVersion") != props.get("FunctionVersion"):
            changes["FunctionVersion"] = str(props["FunctionVersion"])
        if old.get("Description") != props.get("Description"):
            changes["Description"] = str(props.get("Description") or "")
        if old.get("RoutingConfig") != props.get("RoutingConfig"):
            changes["RoutingConfig"] = routing(props)
        if changes:
            answer = await ctx.call(
                "lambda", "UpdateAlias", {"FunctionName": function, "Name": name, **changes}
            )
        else:
            answer = await ctx.call("lambda", "GetAlias", {"FunctionName": function, "Name": name})
        count = provisioned_count(props)
        if provisioned_count(old) != count:
            if count is None:
                await delete_provisioned(ctx, function, name)
            else:
                await put_provisioned(ctx, function, name, count)
        return Outcome(answer["AliasArn"], {"AliasArn": answer["AliasArn"]})

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        props = current.properties
        if not props.get("FunctionName") or not props.get("Name"):
            return
        await quietly(
            ctx,
            "lambda",
            "DeleteAlias",
            {"FunctionName": str(props["FunctionName"]), "Name": str(props["Name"])},
        )

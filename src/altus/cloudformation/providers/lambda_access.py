"""What is attached to a function: ``AWS::Lambda::Permission`` (a statement of its
resource policy), ``AWS::Lambda::Url`` (its function URL) and
``AWS::Lambda::EventInvokeConfig`` (its asynchronous invocation settings).

A permission's statement id is the name CloudFormation generates for the resource
(``<stack>-<LogicalId>-<RANDOM>``, at most Lambda's 100 characters), so a delete whose
create was interrupted finds it again. Its physical id (what Ref answers) is that statement
id, as CloudFormation's DescribeStackResources shows it, and so is ``Fn::GetAtt Id``.
Every property of a permission needs a new one.

A URL's Ref is the ARN of the function (qualified when the URL is an alias's);
``Fn::GetAtt`` gives ``FunctionArn`` and ``FunctionUrl``. An event invoke config's Ref is
``<FunctionName>|<Qualifier>`` (its identifier is the pair, joined as CloudFormation joins
composite identifiers); it has no attributes. Both are replaced when what they attach to
changes, and otherwise updated with one call (PutFunctionEventInvokeConfig replaces the
whole configuration: a removed property is Lambda's default again).
"""

from __future__ import annotations

from typing import Any

from altus.cloudformation.providers.base import (
    Current,
    Outcome,
    Properties,
    ProviderContext,
    integer,
    required,
)
from altus.cloudformation.providers.common import outcome, quietly
from altus.cloudformation.providers.lambda_support import flag, known_id, whole

#: Lambda's limit on a statement id.
STATEMENT_ID_LENGTH = 100

_PERMISSION_OPTIONAL = (
    "SourceArn",
    "SourceAccount",
    "EventSourceToken",
    "PrincipalOrgID",
    "FunctionUrlAuthType",
)


class Permission:
    replaced_by = frozenset(
        {
            "Action",
            "EventSourceToken",
            "FunctionName",
            "FunctionUrlAuthType",
            "InvokedViaFunctionUrl",
            "Principal",
            "PrincipalOrgID",
            "SourceAccount",
            "SourceArn",
        }
    )
    attributes = frozenset({"Id"})

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        required(props, "Action", "FunctionName", "Principal")
        statement = ctx.name(max_length=STATEMENT_ID_LENGTH)
        params: dict[str, Any] = {
            "FunctionName": str(props["FunctionName"]),
            "StatementId": statement,
            "Action": str(props["Action"]),
            "Principal": str(props["Principal"]),
        }
        for member in _PERMISSION_OPTIONAL:
            if props.get(member) is not None:
                params[member] = str(props[member])
        if props.get("InvokedViaFunctionUrl") is not None:
            params["InvokedViaFunctionUrl"] = flag(
                props["InvokedViaFunctionUrl"], "InvokedViaFunctionUrl"
            )
        await ctx.call("lambda", "AddPermission", params)
        return outcome(statement, "Id")

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        # Every property is a replacement: nothing of a statement changes in place.
        return outcome(known_id(current, "permission"), "Id")

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        function = current.properties.get("FunctionName")
        if not function:
            return
        statement = current.physical_id or ctx.name(max_length=STATEMENT_ID_LENGTH)
        await quietly(
            ctx,
            "lambda",
            "RemovePermission",
            {"FunctionName": str(function), "StatementId": statement},
        )


def _cors(props: Properties) -> dict[str, Any]:
    """Lambda's Cors for a URL's properties (none configured when absent)."""
    given = props.get("Cors") or {}
    cors: dict[str, Any] = {}
    for member in ("AllowHeaders", "AllowMethods", "AllowOrigins", "ExposeHeaders"):
        if given.get(member) is not None:
            cors[member] = [str(value) for value in given[member]]
    if given.get("AllowCredentials") is not None:
        cors["AllowCredentials"] = flag(given["AllowCredentials"], "AllowCredentials")
    if given.get("MaxAge") is not None:
        cors["MaxAge"] = whole(given["MaxAge"], "MaxAge")
    return cors


def _url_target(props: Properties) -> dict[str, Any]:
    target: dict[str, Any] = {"FunctionName": str(props["TargetFunctionArn"])}
    if props.get("Qualifier"):
        target["Qualifier"] = str(props["Qualifier"])
    return target


def _url_outcome(answer: dict[str, Any]) -> Outcome:
    return Outcome(
        answer["FunctionArn"],
        {"FunctionArn": answer["FunctionArn"], "FunctionUrl": answer["FunctionUrl"]},
    )


class Url:
    replaced_by = frozenset({"TargetFunctionArn", "Qualifier"})
    attributes = frozenset({"FunctionArn", "FunctionUrl"})

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        required(props, "TargetFunctionArn", "AuthType")
        params: dict[str, Any] = {**_url_target(props), "AuthType": str(props["AuthType"])}
        if props.get("Cors"):
            params["Cors"] = _cors(props)
        if props.get("InvokeMode"):
            params["InvokeMode"] = str(props["InvokeMode"])
        return _url_outcome(await ctx.call("lambda", "CreateFunctionUrlConfig", params))

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        required(props, "TargetFunctionArn", "AuthType")
        old = current.properties
        changes: dict[str, Any] = {}
        if old.get("AuthType") != props.get("AuthType"):
            changes["AuthType"] = str(props["AuthType"])
        if old.get("Cors") != props.get("Cors"):
            changes["Cors"] = _cors(props)  # an empty Cors removes the configuration
        if old.get("InvokeMode") != props.get("InvokeMode"):
            changes["InvokeMode"] = str(props.get("InvokeMode") or "BUFFERED")
        target = _url_target(props)
        if changes:
            answer = await ctx.call("lambda", "UpdateFunctionUrlConfig", {**target, **changes})
        else:
            answer = await ctx.call("lambda", "GetFunctionUrlConfig", target)
        return _url_outcome(answer)

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        if not current.properties.get("TargetFunctionArn"):
            return
        await quietly(ctx, "lambda", "DeleteFunctionUrlConfig", _url_target(current.properties))


def _invoke_target(props: Properties) -> dict[str, Any]:
    return {"FunctionName": str(props["FunctionName"]), "Qualifier": str(props["Qualifier"])}


class EventInvokeConfig:
    replaced_by = frozenset({"FunctionName", "Qualifier"})
    attributes: frozenset[str] = frozenset()

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        required(props, "FunctionName", "Qualifier")
        await self._put(ctx, props)
        return Outcome(f"{props['FunctionName']}|{props['Qualifier']}")

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        required(props, "FunctionName", "Qualifier")
        await self._put(ctx, props)
        return Outcome(current.physical_id or f"{props['FunctionName']}|{props['Qualifier']}")

    async def _put(self, ctx: ProviderContext, props: Properties) -> None:
        params: dict[str, Any] = _invoke_target(props)
        for member in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds"):
            value = integer(props, member)
            if value is not None:
                params[member] = value
        destinations = props.get("DestinationConfig") or {}
        config = {
            kind: {"Destination": str(destinations[kind]["Destination"])}
            for kind in ("OnSuccess", "OnFailure")
            if (destinations.get(kind) or {}).get("Destination")
        }
        if config:
            params["DestinationConfig"] = config
        await ctx.call("lambda", "PutFunctionEventInvokeConfig", params)

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        props = current.properties
        if not props.get("FunctionName") or not props.get("Qualifier"):
            return
        await quietly(ctx, "lambda", "DeleteFunctionEventInvokeConfig", _invoke_target(props))

"""Who may call a REST API and how much: ``AWS::ApiGateway::ApiKey``,
``AWS::ApiGateway::UsagePlan``, ``AWS::ApiGateway::UsagePlanKey``; and the account's
API Gateway settings, ``AWS::ApiGateway::Account``.

A usage plan's API stages are patched in and out (a stage whose per-method throttles
changed is taken out and put back with its new throttles, in the same UpdateUsagePlan),
and a plan is emptied of its stages before it is deleted (API Gateway refuses to delete
a plan with stages, and CloudFormation deletes it all the same). ``Account`` sets the
account's CloudWatch role ARN; deleting it leaves the setting as it is (CloudFormation's
delete of the account resource changes nothing).
"""

from __future__ import annotations

from typing import Any

from altus.cloudformation.providers.apigateway_common import (
    Patch,
    escape,
    number,
    sync_api_tags,
    tags_of,
    targets,
    texts,
)
from altus.cloudformation.providers.base import (
    Current,
    Outcome,
    Properties,
    Provider,
    ProviderContext,
    boolean,
    integer,
)
from altus.cloudformation.providers.common import gone_or, outcome, present


class ApiKey:
    """``AWS::ApiGateway::ApiKey``: Ref is the key's id."""

    replaced_by = frozenset({"GenerateDistinctId", "Name", "Value"})
    attributes = frozenset({"APIKeyId"})

    @staticmethod
    def name(ctx: ProviderContext, props: Properties) -> str:
        return str(props.get("Name") or ctx.name())

    @staticmethod
    def _stages(props: Properties) -> list[str]:
        return [f"{s.get('RestApiId')}/{s.get('StageName')}" for s in props.get("StageKeys") or ()]

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        made = await ctx.call(
            "apigateway",
            "CreateApiKey",
            present(
                name=self.name(ctx, props),
                description=props.get("Description"),
                enabled=bool(boolean(props, "Enabled")),
                generateDistinctId=boolean(props, "GenerateDistinctId"),
                value=props.get("Value"),
                stageKeys=[
                    {"restApiId": str(s.get("RestApiId")), "stageName": str(s.get("StageName"))}
                    for s in props.get("StageKeys") or ()
                ]
                or None,
                customerId=props.get("CustomerId"),
                tags=tags_of(props, ctx) or None,
            ),
        )
        return outcome(made["id"], "APIKeyId")

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        key_id = str(current.physical_id)
        old = current.properties
        ops = Patch()
        ops.scalar("/description", old.get("Description"), props.get("Description"))
        ops.scalar("/customerId", old.get("CustomerId"), props.get("CustomerId"))
        ops.scalar("/enabled", bool(boolean(old, "Enabled")), bool(boolean(props, "Enabled")))
        # A stage key is named by value (``<api>/<stage>``), as the CLI writes it.
        ops.items("/stages", self._stages(old), self._stages(props), by_value=True)
        await ops.send(ctx, "UpdateApiKey", {"apiKey": key_id})
        await sync_api_tags(ctx, "apigateway", f"apikeys/{key_id}", tags_of(props, ctx))
        return outcome(key_id, "APIKeyId")

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        # Where the create may not have finished: every key of the generated name (this
        # resource's alone), or the one key of the template's own name.
        wanted = self.name(ctx, current.properties)
        found = await targets(
            ctx,
            current,
            "apigateway",
            "GetApiKeys",
            {"nameQuery": wanted, "limit": 500},
            {"name": wanted},
            every=not current.properties.get("Name"),
        )
        for key_id in found:
            await gone_or(ctx.call("apigateway", "DeleteApiKey", {"apiKey": key_id}))


def _throttle(given: Any) -> dict[str, Any]:
    return present(
        burstLimit=integer(given or {}, "BurstLimit"), rateLimit=number(given or {}, "RateLimit")
    )


def _quota(given: Any) -> dict[str, Any]:
    given = given or {}
    return present(
        limit=integer(given, "Limit"),
        offset=integer(given, "Offset"),
        period=None if given.get("Period") is None else str(given["Period"]),
    )


def _api_stages(props: Properties) -> dict[str, dict[str, dict[str, Any]]]:
    """``ApiStages`` by ``<api>:<stage>``: each one's per-method throttles by
    ``<resource path>/<METHOD>``."""
    return {
        f"{s.get('ApiId')}:{s.get('Stage')}": {
            str(key): _throttle(limits) for key, limits in (s.get("Throttle") or {}).items()
        }
        for s in props.get("ApiStages") or ()
    }


def _stage_members(key: str, throttles: dict[str, dict[str, Any]]) -> dict[str, Any]:
    api_id, _, stage = key.partition(":")
    return present(apiId=api_id, stage=stage, throttle=throttles or None)


def _api_stage_patch(ops: Patch, old: Properties, new: Properties) -> None:
    before, after = _api_stages(old), _api_stages(new)
    for key, throttles in before.items():
        if after.get(key) != throttles:
            ops.remove("/apiStages", key)
    for key, throttles in after.items():
        if before.get(key) == throttles:
            continue
        ops.add("/apiStages", key)
        for method, limits in throttles.items():
            path, _, verb = method.rpartition("/")
            for member, value in limits.items():
                ops.replace(
                    f"/apiStages/{key}/throttle/{escape(path or '/')}/{verb}/{member}", value
                )


class UsagePlan:
    """``AWS::ApiGateway::UsagePlan``: Ref is the plan's id."""

    replaced_by: frozenset[str] = frozenset()
    attributes = frozenset({"Id"})

    @staticmethod
    def name(ctx: ProviderContext, props: Properties) -> str:
        return str(props.get("UsagePlanName") or ctx.name())

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        made = await ctx.call(
            "apigateway",
            "CreateUsagePlan",
            present(
                name=self.name(ctx, props),
                description=props.get("Description"),
                apiStages=[_stage_members(k, t) for k, t in _api_stages(props).items()] or None,
                throttle=_throttle(props.get("Throttle")) or None,
                quota=_quota(props.get("Quota")) or None,
                tags=tags_of(props, ctx) or None,
            ),
        )
        return outcome(made["id"], "Id")

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        plan_id = str(current.physical_id)
        old = current.properties
        ops = Patch()
        if props.get("UsagePlanName"):
            ops.scalar("/name", old.get("UsagePlanName"), props["UsagePlanName"])
        ops.scalar("/description", old.get("Description"), props.get("Description"))
        for member, limits in (("throttle", _throttle), ("quota", _quota)):
            before, after = limits(old.get(member.title())), limits(props.get(member.title()))
            if before and not after:
                ops.remove(f"/{member}")
                continue
            for key in after:
                ops.scalar(f"/{member}/{key}", before.get(key), after[key])
            for key in before:
                if key in after:
                    continue
                # A throttle's limit is removed; a quota keeps its three (offset 0).
                if member == "throttle":
                    ops.remove(f"/throttle/{key}")
                elif key == "offset":
                    ops.replace("/quota/offset", 0)
        _api_stage_patch(ops, old, props)
        await ops.send(ctx, "UpdateUsagePlan", {"usagePlanId": plan_id})
        await sync_api_tags(ctx, "apigateway", f"usageplans/{plan_id}", tags_of(props, ctx))
        return outcome(plan_id, "Id")

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        found = await targets(
            ctx,
            current,
            "apigateway",
            "GetUsagePlans",
            {"limit": 500},
            {"name": self.name(ctx, current.properties)},
            every=not current.properties.get("UsagePlanName"),
        )
        for plan_id in found:
            plan = await gone_or(ctx.call("apigateway", "GetUsagePlan", {"usagePlanId": plan_id}))
            if plan is None:
                continue
            # API Gateway refuses to delete a plan with stages: they go first.
            ops = Patch()
            for stage in plan.get("apiStages") or ():
                ops.remove("/apiStages", f"{stage['apiId']}:{stage['stage']}")
            await ops.send(ctx, "UpdateUsagePlan", {"usagePlanId": plan_id})
            await gone_or(ctx.call("apigateway", "DeleteUsagePlan", {"usagePlanId": plan_id}))


class UsagePlanKey:
    """``AWS::ApiGateway::UsagePlanKey``: Ref is the key's id. Every property is fixed at
    creation."""

    replaced_by = frozenset({"KeyId", "UsagePlanId", "KeyType"})
    attributes = frozenset({"Id"})

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        members = texts(props, keyId="KeyId", keyType="KeyType", usagePlanId="UsagePlanId")
        made = await ctx.call("apigateway", "CreateUsagePlanKey", members)
        return outcome(made["id"], "Id")

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        return outcome(current.physical_id, "Id")

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        # The plan and the key are the template's: an interrupted create is found by them.
        props = current.properties
        if props.get("UsagePlanId") and props.get("KeyId"):
            await gone_or(
                ctx.call(
                    "apigateway",
                    "DeleteUsagePlanKey",
                    {"usagePlanId": str(props["UsagePlanId"]), "keyId": str(props["KeyId"])},
                )
            )


class Account:
    """``AWS::ApiGateway::Account``: the account's CloudWatch role ARN (Ref: a name
    generated for the resource)."""

    replaced_by: frozenset[str] = frozenset()
    attributes = frozenset({"Id"})

    @staticmethod
    async def _set(ctx: ProviderContext, old: Any, new: Any) -> None:
        ops = Patch()
        ops.scalar("/cloudwatchRoleArn", old, new)
        await ops.send(ctx, "UpdateAccount", {})

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        await self._set(ctx, None, props.get("CloudWatchRoleArn"))
        return outcome(ctx.name(), "Id")

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        await self._set(
            ctx, current.properties.get("CloudWatchRoleArn"), props.get("CloudWatchRoleArn")
        )
        return outcome(current.physical_id, "Id")

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        # CloudFormation leaves the account's settings as they are.
        return None


PROVIDERS: dict[str, Provider] = {
    "AWS::ApiGateway::ApiKey": ApiKey(),
    "AWS::ApiGateway::UsagePlan": UsagePlan(),
    "AWS::ApiGateway::UsagePlanKey": UsagePlanKey(),
    "AWS::ApiGateway::Account": Account(),
}

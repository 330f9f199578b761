"""``AWS::DynamoDB::Table`` through DynamoDB's own API (SAM's ``SimpleTable`` becomes one).

Create: CreateTable, then a wait until the table and its global indexes are ACTIVE, then
UpdateTimeToLive where ``TimeToLiveSpecification`` enables it. Update: DynamoDB makes
UpdateTable one kind of change per call (deletion protection, the table class and
encryption each alone; a stream never with the table's capacity; one global index
created or deleted at a time), so an update is a sequence of calls, each waited on
until the table is ACTIVE again: deletion protection, table class, encryption, billing
and capacity (with the kept indexes' capacity when switching to PROVISIONED), the
stream (disabled, then enabled with a new view type), global indexes deleted (those
gone, and those whose keys or projection changed), created, and their capacity updated,
time to live, tags. ``TableName``, ``KeySchema`` and ``LocalSecondaryIndexes`` need a
new table. ``Ref`` is the table's name; ``Arn`` and (with a stream) ``StreamArn``.
"""

from __future__ import annotations

from typing import Any

from altus.cloudformation.providers.base import (
    POLLS,
    Current,
    Outcome,
    Properties,
    Provider,
    ProviderContext,
    ResourceFailed,
    ServiceFailed,
    backoff,
    boolean,
    required,
    tag_list,
    tag_map,
)
from altus.cloudformation.providers.common import Tagging, quietly, retag, settled, wait_gone
from altus.cloudformation.providers.dynamodb_shapes import (
    PROVISIONED,
    billing_mode,
    create_params,
    global_indexes,
    refuse_unserved,
    same_shape,
    sse,
    stream_view,
    throughput,
    time_to_live,
)

#: DynamoDB's limit on table names.
NAME_MAX = 255


class Table:
    """``AWS::DynamoDB::Table``."""

    replaced_by = frozenset(
        {"TableName", "KeySchema", "LocalSecondaryIndexes", "ImportSourceSpecification"}
    )
    attributes = frozenset({"Arn", "StreamArn"})

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        required(props, "KeySchema")
        refuse_unserved(props)
        name = str(props.get("TableName") or ctx.name(max_length=NAME_MAX))
        enabled, attribute = time_to_live(props)
        params = create_params(name, props, tag_list(props, ctx))
        await ctx.call("dynamodb", "CreateTable", params)
        await wait_active(ctx, name)
        if enabled:
            await _ttl(ctx, name, True, attribute)
        return await _outcome(ctx, name)

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        required(props, "KeySchema")
        refuse_unserved(props)
        old = current.properties
        if old.get("ResourcePolicy") != props.get("ResourcePolicy"):
            raise ResourceFailed(
                "Property ResourcePolicy cannot be updated: Altus's DynamoDB does not serve "
                "PutResourcePolicy or DeleteResourcePolicy"
            )
        # Checked before any call: a bad property changes nothing.
        old_indexes, new_indexes = global_indexes(old), global_indexes(props)
        ttl_before, ttl_after = time_to_live(old), time_to_live(props)
        name = current.physical_id or str(props.get("TableName") or ctx.name(max_length=NAME_MAX))
        await _settings(ctx, name, old, props)
        await _capacity(ctx, name, old, props, old_indexes, new_indexes)
        await _stream(ctx, name, stream_view(old), stream_view(props))
        await _indexes(ctx, name, props, old_indexes, new_indexes)
        if ttl_before != ttl_after:
            if ttl_before[0]:
                await _ttl(ctx, name, False, ttl_before[1])
            if ttl_after[0]:
                await _ttl(ctx, name, True, ttl_after[1])
        await _retag(ctx, name, current, props)
        return await _outcome(ctx, name)

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        props = current.properties
        name = current.physical_id or str(props.get("TableName") or ctx.name(max_length=NAME_MAX))
        for poll in range(POLLS):
            try:
                if await quietly(ctx, "dynamodb", "DeleteTable", {"TableName": name}) is None:
                    return
                break
            except ServiceFailed as failed:
                # An index still being made: DynamoDB deletes the table after.
                if failed.error_code != "ResourceInUseException":
                    raise
            await ctx.sleep(backoff(poll))
        await wait_gone(
            ctx,
            "dynamodb",
            "DescribeTable",
            {"TableName": name},
            f"Table {name} was not deleted in time",
        )


async def wait_active(ctx: ProviderContext, name: str) -> dict[str, Any]:
    """The table's description once it and its global indexes are ACTIVE."""

    def active(answer: dict[str, Any]) -> bool:
        table = answer["Table"]
        indexes = table.get("GlobalSecondaryIndexes") or []
        return table.get("TableStatus") == "ACTIVE" and all(
            index.get("IndexStatus") == "ACTIVE" for index in indexes
        )

    failure = f"Table {name} did not become ACTIVE in time"
    answer = await settled(ctx, "dynamodb", "DescribeTable", {"TableName": name}, active, failure)
    return dict(answer["Table"])


async def _update(ctx: ProviderContext, name: str, params: dict[str, Any]) -> None:
    await ctx.call("dynamodb", "UpdateTable", {"TableName": name, **params})
    await wait_active(ctx, name)


async def _settings(ctx: ProviderContext, name: str, old: Properties, new: Properties) -> None:
    """Deletion protection, the table class and encryption: each its own call."""
    protection = boolean(new, "DeletionProtectionEnabled", False)
    if boolean(old, "DeletionProtectionEnabled", False) != protection:
        await _update(ctx, name, {"DeletionProtectionEnabled": protection})
    if (old.get("TableClass") or "STANDARD") != (new.get("TableClass") or "STANDARD"):
        await _update(ctx, name, {"TableClass": str(new.get("TableClass") or "STANDARD")})
    if sse(old.get("SSESpecification")) != sse(new.get("SSESpecification")):
        await _update(ctx, name, {"SSESpecification": sse(new.get("SSESpecification"))})


async def _capacity(
    ctx: ProviderContext,
    name: str,
    old: Properties,
    new: Properties,
    old_indexes: dict[str, dict[str, Any]],
    new_indexes: dict[str, dict[str, Any]],
) -> None:
    """The billing mode and the table's capacity (and, switching to PROVISIONED, the
    capacity of each index kept: DynamoDB wants them in the same call)."""
    mode, was = billing_mode(new), billing_mode(old)
    provisioned = throughput(new.get("ProvisionedThroughput"), "ProvisionedThroughput")
    on_demand = throughput(new.get("OnDemandThroughput"), "OnDemandThroughput")
    params: dict[str, Any] = {}
    if mode != was:
        params["BillingMode"] = mode
    if (
        mode == PROVISIONED
        and provisioned is not None
        and (
            mode != was
            or provisioned != throughput(old.get("ProvisionedThroughput"), "ProvisionedThroughput")
        )
    ):
        params["ProvisionedThroughput"] = provisioned
    if on_demand != throughput(old.get("OnDemandThroughput"), "OnDemandThroughput") and on_demand:
        params["OnDemandThroughput"] = on_demand
    if mode == PROVISIONED and mode != was:
        kept = [
            {"Update": {"IndexName": key, "ProvisionedThroughput": index["ProvisionedThroughput"]}}
            for key, index in new_indexes.items()
            if key in old_indexes
            and same_shape(old_indexes[key], index)
            and "ProvisionedThroughput" in index
        ]
        if kept:
            params["GlobalSecondaryIndexUpdates"] = kept
    if params:
        await _update(ctx, name, params)


async def _stream(ctx: ProviderContext, name: str, was: str | None, view: str | None) -> None:
    """A stream's view type cannot change: it is disabled, then enabled anew."""
    if was == view:
        return
    if was is not None:
        await _update(ctx, name, {"StreamSpecification": {"StreamEnabled": False}})
    if view is not None:
        spec = {"StreamEnabled": True, "StreamViewType": view}
        await _update(ctx, name, {"StreamSpecification": spec})


async def _indexes(
    ctx: ProviderContext,
    name: str,
    props: Properties,
    old: dict[str, dict[str, Any]],
    new: dict[str, dict[str, Any]],
) -> None:
    """Global indexes deleted, then created, one at a time; then capacity changes of
    the ones kept (together: DynamoDB allows several such updates in one call)."""
    remade = {key for key in set(old) & set(new) if not same_shape(old[key], new[key])}
    for key in sorted(set(old) - set(new) | remade):
        await _update(ctx, name, {"GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": key}}]})
    for key in [k for k in new if k not in old or k in remade]:
        await _update(
            ctx,
            name,
            {
                "AttributeDefinitions": props.get("AttributeDefinitions") or [],
                "GlobalSecondaryIndexUpdates": [{"Create": new[key]}],
            },
        )
    if billing_mode(props) != PROVISIONED:
        return
    changed = [
        {"Update": {"IndexName": key, "ProvisionedThroughput": index["ProvisionedThroughput"]}}
        for key, index in new.items()
        if key in old
        and key not in remade
        and "ProvisionedThroughput" in index
        and old[key].get("ProvisionedThroughput") not in (None, index["ProvisionedThroughput"])
    ]
    if changed:
        await _update(ctx, name, {"GlobalSecondaryIndexUpdates": changed})


async def _ttl(ctx: ProviderContext, name: str, enabled: bool, attribute: str | None) -> None:
    spec = {"Enabled": enabled, "AttributeName": attribute or ""}
    await ctx.call(
        "dynamodb", "UpdateTimeToLive", {"TableName": name, "TimeToLiveSpecification": spec}
    )


async def _retag(ctx: ProviderContext, name: str, current: Current, props: Properties) -> None:
    before, after = tag_map(current.properties, ctx), tag_map(props, ctx)
    if before == after:
        return
    arn = str(current.attributes.get("Arn") or "")
    if not arn:
        arn = str((await wait_active(ctx, name))["TableArn"])
    await retag(ctx, Tagging("dynamodb"), {"ResourceArn": arn}, before, after)


async def _outcome(ctx: ProviderContext, name: str) -> Outcome:
    table = await wait_active(ctx, name)
    attributes: dict[str, Any] = {"Arn": table["TableArn"]}
    if table.get("StreamSpecification", {}).get("StreamEnabled") and table.get("LatestStreamArn"):
        attributes["StreamArn"] = table["LatestStreamArn"]
    return Outcome(name, attributes)


PROVIDERS: dict[str, Provider] = {"AWS::DynamoDB::Table": Table()}

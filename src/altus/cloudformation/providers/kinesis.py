"""``AWS::Kinesis::Stream`` through Kinesis's own API: CreateStream, then a wait until the
stream is ACTIVE, then the retention period where it is not Kinesis's 24 hours. An
update changes the mode (UpdateStreamMode), the shard count (UpdateShardCount, uniform
scaling), the retention period (Increase/DecreaseStreamRetentionPeriod) and the tags,
each waited on until the stream is ACTIVE again. ``Ref`` is the stream's name; ``Arn``
its ARN.

``StreamEncryption`` is refused: Altus's Kinesis serves no StartStreamEncryption (its
streams are unencrypted, ``EncryptionType: NONE``). ``AWS::Kinesis::StreamConsumer`` is
not provided: Altus's Kinesis serves no RegisterStreamConsumer.
"""

from __future__ import annotations

from typing import Any

from altus.cloudformation.providers.base import (
    Current,
    Outcome,
    Properties,
    Provider,
    ProviderContext,
    ResourceFailed,
    integer,
    tag_map,
)
from altus.cloudformation.providers.common import (
    Tagging,
    present,
    quietly,
    retag,
    settled,
    wait_gone,
)

#: Kinesis's limit on stream names.
NAME_MAX = 128
PROVISIONED, ON_DEMAND = "PROVISIONED", "ON_DEMAND"
#: Kinesis's retention unless asked otherwise (hours).
DEFAULT_RETENTION = 24
#: Shards of a provisioned stream whose template gives no ShardCount.
DEFAULT_SHARDS = 1
#: Kinesis's tags: AddTagsToStream and RemoveTagsFromStream, by the stream's name, as a map.
_TAGGING = Tagging("kinesis", "AddTagsToStream", "RemoveTagsFromStream", pair=None)


def _mode(props: Properties) -> str:
    return str((props.get("StreamModeDetails") or {}).get("StreamMode") or PROVISIONED)


def _shards(props: Properties) -> int | None:
    """The shard count asked for (None on demand: Kinesis sizes the stream)."""
    if _mode(props) == ON_DEMAND:
        return None
    return integer(props, "ShardCount", DEFAULT_SHARDS)


def _refuse_unserved(props: Properties) -> None:
    if props.get("StreamEncryption"):
        raise ResourceFailed(
            "Property StreamEncryption is not supported: Altus's Kinesis does not serve "
            "StartStreamEncryption"
        )


class Stream:
    """``AWS::Kinesis::Stream``."""

    replaced_by = frozenset({"Name"})
    attributes = frozenset({"Arn"})

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        _refuse_unserved(props)
        name = str(props.get("Name") or ctx.name(max_length=NAME_MAX))
        retention = integer(props, "RetentionPeriodHours", DEFAULT_RETENTION)
        params: dict[str, Any] = {
            "StreamName": name,
            "StreamModeDetails": {"StreamMode": _mode(props)},
        }
        shards = _shards(props)
        if shards is not None:
            params["ShardCount"] = shards
        params |= present(Tags=tag_map(props, ctx) or None)
        await ctx.call("kinesis", "CreateStream", params)
        summary = await wait_active(ctx, name)
        if retention != DEFAULT_RETENTION:
            await _retention(ctx, name, DEFAULT_RETENTION, retention)
        return Outcome(name, {"Arn": summary["StreamARN"]})

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        _refuse_unserved(props)
        old = current.properties
        name = current.physical_id or str(props.get("Name") or ctx.name(max_length=NAME_MAX))
        retention = integer(props, "RetentionPeriodHours", DEFAULT_RETENTION)
        was = integer(old, "RetentionPeriodHours", DEFAULT_RETENTION)
        summary = await wait_active(ctx, name)
        arn = str(summary["StreamARN"])
        mode = _mode(props)
        if mode != summary["StreamModeDetails"]["StreamMode"]:
            await ctx.call(
                "kinesis",
                "UpdateStreamMode",
                {"StreamARN": arn, "StreamModeDetails": {"StreamMode": mode}},
            )
            summary = await wait_active(ctx, name)
        shards = _shards(props)
        if shards is not None and shards != summary["OpenShardCount"]:
            await ctx.call(
                "kinesis",
                "UpdateShardCount",
                {"StreamName": name, "TargetShardCount": shards, "ScalingType": "UNIFORM_SCALING"},
            )
            await wait_active(ctx, name)
        if retention != was:
            await _retention(ctx, name, int(summary["RetentionPeriodHours"]), retention)
        await retag(ctx, _TAGGING, {"StreamName": name}, tag_map(old, ctx), tag_map(props, ctx))
        return Outcome(name, {"Arn": arn})

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        props = current.properties
        name = current.physical_id or str(props.get("Name") or ctx.name(max_length=NAME_MAX))
        params = {"StreamName": name, "EnforceConsumerDeletion": True}
        if await quietly(ctx, "kinesis", "DeleteStream", params) is not None:
            await wait_gone(
                ctx,
                "kinesis",
                "DescribeStreamSummary",
                {"StreamName": name},
                f"Stream {name} was not deleted in time",
            )


async def wait_active(ctx: ProviderContext, name: str) -> dict[str, Any]:
    """The stream's summary once it is ACTIVE."""
    answer = await settled(
        ctx,
        "kinesis",
        "DescribeStreamSummary",
        {"StreamName": name},
        lambda answer: answer["StreamDescriptionSummary"].get("StreamStatus") == "ACTIVE",
        f"Stream {name} did not become ACTIVE in time",
    )
    summary: dict[str, Any] = answer["StreamDescriptionSummary"]
    return summary


async def _retention(ctx: ProviderContext, name: str, was: int, hours: int | None) -> None:
    if hours is None or hours == was:
        return
    operation = "IncreaseStreamRetentionPeriod" if hours > was else "DecreaseStreamRetentionPeriod"
    await ctx.call("kinesis", operation, {"StreamName": name, "RetentionPeriodHours": hours})
    await wait_active(ctx, name)


PROVIDERS: dict[str, Provider] = {"AWS::Kinesis::Stream": Stream()}

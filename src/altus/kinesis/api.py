"""Kinesis's stream operations: streams, their shards, retention, tags, resharding,
monitoring and limits; members in, members out. The record operations (PutRecord(s),
GetShardIterator, GetRecords) are in ``records_api``.

Each change is computed from the stream as it is (errors raised while computing it
change nothing) and written by the component before it answers.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from typing import Any

from altus.api import paging
from altus.api.spec import Call, Members
from altus.kinesis import resharding, sequences, shapes
from altus.kinesis.component import Kinesis
from altus.kinesis.errors import (
    InvalidArgument,
    LimitExceeded,
    shard_unknown,
)
from altus.kinesis.model import (
    DEFAULT_MAX_RECORD_KIB,
    MAX_RETENTION,
    MAX_TAGS,
    METRICS,
    MIN_RETENTION,
    ON_DEMAND,
    ON_DEMAND_SHARDS,
    ON_DEMAND_STREAM_LIMIT,
    PROVISIONED,
    SHARD_LIMIT,
    Shard,
    Stream,
)
from altus.kinesis.naming import missing, named, shard_number

#: Page sizes when the caller names none (Kinesis's defaults).
DESCRIBE_PAGE = 100
LIST_STREAMS_PAGE = 100
LIST_SHARDS_PAGE = 1000
LIST_TAGS_PAGE = 50


# --- streams ---------------------------------------------------------------------------------


async def create_stream(kinesis: Kinesis, call: Call, input: Members) -> Members:
    name = input["StreamName"]
    mode = (input.get("StreamModeDetails") or {}).get("StreamMode", PROVISIONED)
    count: int | None = input.get("ShardCount")
    if mode == ON_DEMAND:
        if count is not None:
            raise InvalidArgument("ShardCount is not expected when StreamMode=ON_DEMAND")
        if kinesis.on_demand_count() >= ON_DEMAND_STREAM_LIMIT:
            raise LimitExceeded(
                f"This request would exceed the limit of {ON_DEMAND_STREAM_LIMIT} on-demand "
                f"streams for the account {kinesis.account_id} in {kinesis.account.region}."
            )
        count = ON_DEMAND_SHARDS
    elif count is None:
        raise missing("shardCount")
    tags: Mapping[str, str] = input.get("Tags") or {}
    if len(tags) > MAX_TAGS:
        raise InvalidArgument(
            f"Failed to create stream {name} under account {kinesis.account_id} because a "
            f"given stream cannot have more than {MAX_TAGS} tags."
        )
    size = input.get("MaxRecordSizeInKiB") or DEFAULT_MAX_RECORD_KIB
    await kinesis.create(name, mode, count, tags, size)
    return {}


async def delete_stream(kinesis: Kinesis, call: Call, input: Members) -> Members:
    await kinesis.delete(named(kinesis, input))
    return {}


async def describe_stream(kinesis: Kinesis, call: Call, input: Members) -> Members:
    name = named(kinesis, input)
    state = kinesis.found(name)
    stream = state.stream
    shards = kinesis.kept(state)
    if input.get("ExclusiveStartShardId") is not None:
        after = shard_number(kinesis, input["ExclusiveStartShardId"], name)
        shards = [shard for shard in shards if shard.index > after]
    limit = input.get("Limit") or DESCRIBE_PAGE
    description: Members = {
        "StreamName": name,
        "StreamARN": kinesis.arn(name),
        "StreamStatus": state.status,
        "StreamModeDetails": {"StreamMode": stream.mode},
        "Shards": [shapes.shard(stream, shard) for shard in shards[:limit]],
        "HasMoreShards": len(shards) > limit,
        "RetentionPeriodHours": stream.retention_hours,
        "StreamCreationTimestamp": shapes.created(stream),
        "EnhancedMonitoring": shapes.monitoring(stream),
        "EncryptionType": "NONE",
    }
    return {"StreamDescription": description}


async def describe_stream_summary(kinesis: Kinesis, call: Call, input: Members) -> Members:
    name = named(kinesis, input)
    state = kinesis.found(name)
    stream = state.stream
    summary: Members = {
        "StreamName": name,
        "StreamARN": kinesis.arn(name),
        "StreamStatus": state.status,
        "StreamModeDetails": {"StreamMode": stream.mode},
        "RetentionPeriodHours": stream.retention_hours,
        "StreamCreationTimestamp": shapes.created(stream),
        "EnhancedMonitoring": shapes.monitoring(stream),
        "EncryptionType": "NONE",
        "OpenShardCount": len(stream.open_shards),
        "ConsumerCount": 0,
        "MaxRecordSizeInKiB": stream.max_record_kib,
    }
    return {"StreamDescriptionSummary": summary}


def _invalid_token() -> InvalidArgument:
    return InvalidArgument("Invalid NextToken.")


async def list_streams(kinesis: Kinesis, call: Call, input: Members) -> Members:
    after = input.get("ExclusiveStartStreamName") or ""
    if input.get("NextToken") is not None:
        mark = paging.after(input["NextToken"])
        if mark is None:
            raise _invalid_token()
        after = max(after, mark)
    # Kinesis returns at most 100 streams per call, whatever the Limit.
    limit = min(input.get("Limit") or LIST_STREAMS_PAGE, LIST_STREAMS_PAGE)
    streams = [state for state in kinesis.streams() if state.name > after]
    page = streams[:limit]
    answer: Members = {
        "StreamNames": [state.name for state in page],
        "HasMoreStreams": len(streams) > limit,
        "StreamSummaries": [
            shapes.summary(state.stream, kinesis.arn(state.name), state.status) for state in page
        ],
    }
    if len(streams) > limit:
        answer["NextToken"] = paging.token(page[-1].name)
    return answer


# --- shards ------------------------------------------------------------------------------------

_EXCLUSIVE_WITH_TOKEN = (
    "StreamName",
    "StreamARN",
    "ExclusiveStartShardId",
    "ShardFilter",
    "StreamCreationTimestamp",
)


async def list_shards(kinesis: Kinesis, call: Call, input: Members) -> Members:
    if input.get("NextToken") is not None:
        for member in _EXCLUSIVE_WITH_TOKEN:
            if member in input:
                raise InvalidArgument(f"NextToken and {member} cannot be provided together.")
        name, after, chosen = _continued(input["NextToken"])
    else:
        name = named(kinesis, input)
        after = -1
        if input.get("ExclusiveStartShardId") is not None:
            after = shard_number(kinesis, input["ExclusiveStartShardId"], name)
        chosen = _filter_of(input.get("ShardFilter"))
    state = kinesis.active(name)
    shards = _filtered(kinesis, state.stream, kinesis.kept(state), chosen)
    shards = [shard for shard in shards if shard.index > after]
    limit = input.get("MaxResults") or LIST_SHARDS_PAGE
    answer: Members = {"Shards": [shapes.shard(state.stream, s) for s in shards[:limit]]}
    if len(shards) > limit:
        mark = {"stream": name, "after": shards[limit - 1].index, "filter": chosen}
        answer["NextToken"] = paging.token(json.dumps(mark))
    return answer


def _filter_of(given: Mapping[str, Any] | None) -> dict[str, Any]:
    """A ShardFilter as plain data (a timestamp as epoch milliseconds)."""
    if given is None:
        return {}
    kind = given["Type"]
    chosen: dict[str, Any] = {"Type": kind}
    if kind == "AFTER_SHARD_ID":
        if given.get("ShardId") is None:
            raise InvalidArgument(
                "ShardId must be specified when the ShardFilter Type is AFTER_SHARD_ID."
            )
        chosen["ShardId"] = given["ShardId"]
    if kind in ("AT_TIMESTAMP", "FROM_TIMESTAMP"):
        if given.get("Timestamp") is None:
            raise InvalidArgument(
                f"Timestamp must be specified when the ShardFilter Type is {kind}."
            )
        chosen["Timestamp"] = int(given["Timestamp"].timestamp() * 1000)
    return chosen


def _continued(token: str) -> tuple[str, int, dict[str, Any]]:
    try:
        mark = json.loads(paging.after(token) or "")
        return str(mark["stream"]), int(mark["after"]), dict(mark["filter"])
    except (ValueError, TypeError, KeyError):
        raise _invalid_token() from None


def _filtered(
    kinesis: Kinesis, stream: Stream, shards: list[Shard], chosen: Mapping[str, Any]
) -> list[Shard]:
    """The shards a ShardFilter keeps: those after a shard; those open now; those not
    closed before a moment (the trim horizon, a timestamp: ``FROM_``), or of those, the
    ones open at that moment (``AT_``): the ones none of whose parents is among them."""
    kind = chosen.get("Type")
    if kind is None or kind == "FROM_TRIM_HORIZON":
        return shards
    if kind == "AFTER_SHARD_ID":
        after = shard_number(kinesis, chosen["ShardId"], stream.name)
        return [shard for shard in shards if shard.index > after]
    if kind == "AT_LATEST":
        return [shard for shard in shards if not shard.closed]
    if kind in ("AT_TIMESTAMP", "FROM_TIMESTAMP"):
        moment = sequences.key_at(int(chosen["Timestamp"]))
        shards = [s for s in shards if s.end_key is None or s.end_key >= moment]
    # The kept shards are those not closed before the trim horizon.
    if kind.startswith("FROM_"):
        return shards
    present = {shard.index for shard in shards}
    return [s for s in shards if s.parent not in present and s.adjacent_parent not in present]


# --- retention -----------------------------------------------------------------------------


def _retention(hours: int, increase: bool) -> Callable[[Stream], Stream]:
    def change(stream: Stream) -> Stream:
        if hours < MIN_RETENTION:
            raise InvalidArgument(
                f"Minimum allowed retention period is {MIN_RETENTION} hours. Requested "
                f"retention period ({hours} hours) is too short."
            )
        if hours > MAX_RETENTION:
            raise InvalidArgument(
                f"Maximum allowed retention period is {MAX_RETENTION} hours. Requested "
                f"retention period ({hours} hours) is too long."
            )
        current = stream.retention_hours
        if increase and hours < current:
            raise InvalidArgument(
                f"Requested retention period ({hours} hours) for stream {stream.name} can not "
                f"be shorter than existing retention period ({current} hours). Use "
                "DecreaseRetentionPeriod API."
            )
        if not increase and hours > current:
            raise InvalidArgument(
                f"Requested retention period ({hours} hours) for stream {stream.name} can not "
                f"be longer than existing retention period ({current} hours). Use "
                "IncreaseRetentionPeriod API."
            )
        return dataclasses.replace(stream, retention_hours=hours)

    return change


async def increase_stream_retention_period(kinesis: Kinesis, call: Call, input: Members) -> Members:
    await kinesis.reconfigure(
        named(kinesis, input), _retention(input["RetentionPeriodHours"], True)
    )
    return {}


async def decrease_stream_retention_period(kinesis: Kinesis, call: Call, input: Members) -> Members:
    hours = input["RetentionPeriodHours"]
    await kinesis.reconfigure(named(kinesis, input), _retention(hours, False))
    return {}


# --- tags ----------------------------------------------------------------------------------


def _tagging(kinesis: Kinesis, added: Mapping[str, str]) -> Callable[[Stream], Stream]:
    def change(stream: Stream) -> Stream:
        merged = {**stream.tags, **added}
        if len(merged) > MAX_TAGS:
            raise InvalidArgument(
                f"Failed to add tags to stream {stream.name} under account "
                f"{kinesis.account_id} because a given stream cannot have more than "
                f"{MAX_TAGS} tags."
            )
        return dataclasses.replace(stream, tags=merged)

    return change


def _untagging(removed: list[str]) -> Callable[[Stream], Stream]:
    def change(stream: Stream) -> Stream:
        kept = {k: v for k, v in stream.tags.items() if k not in removed}
        return dataclasses.replace(stream, tags=kept)

    return change


def _tag_list(tags: Mapping[str, str]) -> list[Members]:
    return [{"Key": key, "Value": tags[key]} for key in sorted(tags)]


async def add_tags_to_stream(kinesis: Kinesis, call: Call, input: Members) -> Members:
    await kinesis.reconfigure(named(kinesis, input), _tagging(kinesis, input["Tags"]))
    return {}


async def remove_tags_from_stream(kinesis: Kinesis, call: Call, input: Members) -> Members:
    await kinesis.reconfigure(named(kinesis, input), _untagging(input["TagKeys"]))
    return {}


async def list_tags_for_stream(kinesis: Kinesis, call: Call, input: Members) -> Members:
    tags = kinesis.active(named(kinesis, input)).stream.tags
    start = input.get("ExclusiveStartTagKey") or ""
    listed = [tag for tag in _tag_list(tags) if tag["Key"] > start]
    limit = input.get("Limit") or LIST_TAGS_PAGE
    return {"Tags": listed[:limit], "HasMoreTags": len(listed) > limit}


def _resource(kinesis: Kinesis, input: Members) -> str:
    return named(kinesis, {"ResourceARN": input["ResourceARN"]}, "ResourceARN")


async def tag_resource(kinesis: Kinesis, call: Call, input: Members) -> Members:
    await kinesis.reconfigure(_resource(kinesis, input), _tagging(kinesis, input["Tags"]))
    return {}


async def untag_resource(kinesis: Kinesis, call: Call, input: Members) -> Members:
    await kinesis.reconfigure(_resource(kinesis, input), _untagging(input["TagKeys"]))
    return {}


async def list_tags_for_resource(kinesis: Kinesis, call: Call, input: Members) -> Members:
    tags = kinesis.active(_resource(kinesis, input)).stream.tags
    return {"Tags": _tag_list(tags)}


# --- resharding ------------------------------------------------------------------------------


def _open_shard(kinesis: Kinesis, stream: Stream, number: int) -> Shard:
    shard = stream.shard(number)
    if shard is None:
        raise shard_unknown(f"shardId-{number:012d}", stream.name, kinesis.account_id)
    if shard.closed:
        raise InvalidArgument(
            f"Shard {shard.shard_id} in stream {stream.name} under account "
            f"{kinesis.account_id} has already been merged or split, and thus is not "
            "eligible for merging or splitting."
        )
    return shard


async def split_shard(kinesis: Kinesis, call: Call, input: Members) -> Members:
    name = named(kinesis, input)
    number = shard_number(kinesis, input["ShardToSplit"], name)
    new_start = int(input["NewStartingHashKey"])

    def change(stream: Stream, key: int) -> Stream:
        shard = _open_shard(kinesis, stream, number)
        return resharding.split(stream, shard, new_start, key, kinesis.account_id)

    await kinesis.reshard(name, change)
    return {}


async def merge_shards(kinesis: Kinesis, call: Call, input: Members) -> Members:
    name = named(kinesis, input)
    first = shard_number(kinesis, input["ShardToMerge"], name)
    second = shard_number(kinesis, input["AdjacentShardToMerge"], name)

    def change(stream: Stream, key: int) -> Stream:
        low = _open_shard(kinesis, stream, first)
        high = _open_shard(kinesis, stream, second)
        return resharding.merge(stream, low, high, key, kinesis.account_id)

    await kinesis.reshard(name, change)
    return {}


async def update_shard_count(kinesis: Kinesis, call: Call, input: Members) -> Members:
    name = named(kinesis, input)
    target = input["TargetShardCount"]
    before = len(kinesis.active(name).stream.open_shards)

    def change(stream: Stream, key: int) -> Stream:
        current = len(stream.open_shards)
        if target > SHARD_LIMIT:
            raise LimitExceeded(
                f"Target shard count or number of open shards cannot be greater than "
                f"{SHARD_LIMIT}. Current open shard count: {current}, Target shard count: "
                f"{target}"
            )
        problem = resharding.scaling_problem(current, target)
        if problem is not None:
            raise LimitExceeded(problem)
        return resharding.scale(stream, target, key)

    await kinesis.reshard(name, change)
    return {
        "StreamName": name,
        "StreamARN": kinesis.arn(name),
        "CurrentShardCount": before,
        "TargetShardCount": target,
    }


# --- modes, limits, monitoring ------------------------------------------------------------------


async def update_stream_mode(kinesis: Kinesis, call: Call, input: Members) -> Members:
    mode = input["StreamModeDetails"]["StreamMode"]
    await kinesis.reconfigure(
        named(kinesis, input), lambda stream: dataclasses.replace(stream, mode=mode)
    )
    return {}


async def update_max_record_size(kinesis: Kinesis, call: Call, input: Members) -> Members:
    size = input["MaxRecordSizeInKiB"]
    await kinesis.reconfigure(
        named(kinesis, input), lambda stream: dataclasses.replace(stream, max_record_kib=size)
    )
    return {}


async def describe_limits(kinesis: Kinesis, call: Call, input: Members) -> Members:
    return {
        "ShardLimit": SHARD_LIMIT,
        "OpenShardCount": kinesis.open_shard_count(),
        "OnDemandStreamCount": kinesis.on_demand_count(),
        "OnDemandStreamCountLimit": ON_DEMAND_STREAM_LIMIT,
    }


def _metrics(asked: list[str]) -> set[str]:
    return set(METRICS) if "ALL" in asked else set(asked)


async def _monitoring(kinesis: Kinesis, input: Members, enable: bool) -> Members:
    name = named(kinesis, input)
    asked = _metrics(input["ShardLevelMetrics"])
    current = kinesis.active(name).stream.metrics

    def change(stream: Stream) -> Stream:
        chosen = set(stream.metrics) | asked if enable else set(stream.metrics) - asked
        return dataclasses.replace(stream, metrics=tuple(m for m in METRICS if m in chosen))

    written = await kinesis.reconfigure(name, change)
    return {
        "StreamName": name,
        "StreamARN": kinesis.arn(name),
        "CurrentShardLevelMetrics": list(current),
        "DesiredShardLevelMetrics": list(written.metrics),
    }


async def enable_enhanced_monitoring(kinesis: Kinesis, call: Call, input: Members) -> Members:
    return await _monitoring(kinesis, input, True)


async def disable_enhanced_monitoring(kinesis: Kinesis, call: Call, input: Members) -> Members:
    return await _monitoring(kinesis, input, False)

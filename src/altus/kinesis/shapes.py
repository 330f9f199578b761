"""Streams and shards as the API answers them (members by the model's names)."""

from __future__ import annotations

from altus.api.spec import Members
from altus.kinesis import sequences
from altus.kinesis.model import Shard, Stream, shard_id


def hash_range(start: int, end: int) -> Members:
    return {"StartingHashKey": str(start), "EndingHashKey": str(end)}


def shard(stream: Stream, shard: Shard) -> Members:
    numbers: Members = {
        "StartingSequenceNumber": sequences.sequence_number(
            stream.tag, shard.start_key, shard.index
        )
    }
    if shard.end_key is not None:
        numbers["EndingSequenceNumber"] = sequences.sequence_number(
            stream.tag, shard.end_key, shard.index
        )
    out: Members = {
        "ShardId": shard.shard_id,
        "HashKeyRange": hash_range(shard.start_hash, shard.end_hash),
        "SequenceNumberRange": numbers,
    }
    if shard.parent is not None:
        out["ParentShardId"] = shard_id(shard.parent)
    if shard.adjacent_parent is not None:
        out["AdjacentParentShardId"] = shard_id(shard.adjacent_parent)
    return out


def child(stream: Stream, shard: Shard) -> Members:
    """A shard as GetRecords lists it among the children of a drained shard."""
    parents = [shard_id(p) for p in (shard.parent, shard.adjacent_parent) if p is not None]
    return {
        "ShardId": shard.shard_id,
        "ParentShards": parents,
        "HashKeyRange": hash_range(shard.start_hash, shard.end_hash),
    }


def monitoring(stream: Stream) -> list[Members]:
    return [{"ShardLevelMetrics": list(stream.metrics)}]


def created(stream: Stream) -> float:
    """The creation time as epoch seconds (the protocol formats timestamps)."""
    return stream.created_ms / 1000


def summary(stream: Stream, arn: str, status: str) -> Members:
    """A stream as ListStreams' ``StreamSummaries`` shows it."""
    return {
        "StreamName": stream.name,
        "StreamARN": arn,
        "StreamStatus": status,
        "StreamModeDetails": {"StreamMode": stream.mode},
        "StreamCreationTimestamp": created(stream),
    }

"""Resharding as plans: from a stream as it is, the stream after SplitShard, MergeShards
or UpdateShardCount, computed without touching anything (the component writes it).

A split closes one shard and opens two children (``ParentShardId`` the split shard); a
merge closes two adjacent shards and opens one (``ParentShardId`` the first,
``AdjacentParentShardId`` the second). A closed shard ends at ``key``: every record put
before the change has a key at or below it, every record after one above it, so a
reader that drains the parents before the children keeps each partition key's order.

UpdateShardCount (uniform scaling) is made of those two steps, as Kinesis makes it:
every open shard is split at each boundary of the target's even ranges that falls
inside it (one split at a time, so a shard cut in three leaves an intermediate shard
that is split again), then the pieces of each target range are merged two at a time.
Scaling 2 to 4 splits each shard once; 4 to 2 merges each pair once; other counts may
leave closed intermediate shards (as Kinesis does).
"""

from __future__ import annotations

import dataclasses

from altus.kinesis import keys
from altus.kinesis.errors import InvalidArgument, LimitExceeded, ValidationException
from altus.kinesis.model import ON_DEMAND, SHARD_LIMIT, Shard, Stream


def shard_limit_error(account: str, region: str, open_shards: int, added: int) -> LimitExceeded:
    return LimitExceeded(
        f"This request would exceed the shard limit for the account {account} in {region}. "
        f"Current shard count for the account: {open_shards}. Limit: {SHARD_LIMIT}. "
        f"Number of additional shards that would have resulted from this request: {added}. "
        "Refer to the AWS Service Limits page "
        "(http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) "
        "for current limits and how to request higher limits."
    )


def _provisioned(stream: Stream, operation: str) -> None:
    if stream.mode == ON_DEMAND:
        raise ValidationException(
            f"{operation} is not supported for streams in ON_DEMAND capacity mode: "
            "switch the stream to PROVISIONED with UpdateStreamMode first."
        )


class _Plan:
    """Shards being replaced one step at a time."""

    def __init__(self, stream: Stream, key: int) -> None:
        self.shards = {shard.index: shard for shard in stream.shards}
        self.next = stream.next_index
        self.key = key

    def _new(self, start: int, end: int, parent: int, adjacent: int | None = None) -> Shard:
        shard = Shard(self.next, start, end, self.key, None, parent, adjacent)
        self.shards[shard.index] = shard
        self.next += 1
        return shard

    def _close(self, shard: Shard) -> None:
        self.shards[shard.index] = dataclasses.replace(shard, end_key=self.key)

    def split(self, shard: Shard, at: int) -> tuple[Shard, Shard]:
        """``shard`` into ``[start, at-1]`` and ``[at, end]``."""
        self._close(shard)
        low = self._new(shard.start_hash, at - 1, shard.index)
        return low, self._new(at, shard.end_hash, shard.index)

    def merge(self, first: Shard, second: Shard) -> Shard:
        self._close(first)
        self._close(second)
        return self._new(first.start_hash, second.end_hash, first.index, second.index)

    def stream(self, stream: Stream) -> Stream:
        return dataclasses.replace(stream, shards=tuple(sorted(self.shards.values(), key=_index)))


def _index(shard: Shard) -> int:
    return shard.index


def split(stream: Stream, shard: Shard, new_start: int, key: int, account: str) -> Stream:
    """SplitShard of an open ``shard`` at ``new_start``."""
    _provisioned(stream, "SplitShard")
    if not shard.start_hash + 1 < new_start < shard.end_hash:
        raise InvalidArgument(
            f"NewStartingHashKey {new_start} used in SplitShard() on shard {shard.shard_id} in "
            f"stream {stream.name} under account {account} is not both greater than one plus "
            f"the shard's StartingHashKey {shard.start_hash} and less than the shard's "
            f"EndingHashKey {shard.end_hash}."
        )
    plan = _Plan(stream, key)
    plan.split(shard, new_start)
    return plan.stream(stream)


def merge(stream: Stream, first: Shard, second: Shard, key: int, account: str) -> Stream:
    """MergeShards of two open shards, ``first`` the lower of two adjacent ranges."""
    _provisioned(stream, "MergeShards")
    if first.end_hash + 1 != second.start_hash:
        raise InvalidArgument(
            f"Shards {first.shard_id} and {second.shard_id} in stream {stream.name} under "
            f"account {account} are not an adjacent pair of shards eligible for merging"
        )
    plan = _Plan(stream, key)
    plan.merge(first, second)
    return plan.stream(stream)


def scale(stream: Stream, target: int, key: int) -> Stream:
    """UpdateShardCount to ``target`` open shards of even ranges (limits checked by the
    caller); the stream unchanged if its open shards already are those ranges."""
    _provisioned(stream, "UpdateShardCount")
    wanted = keys.even_ranges(target)
    current = sorted(stream.open_shards, key=lambda shard: shard.start_hash)
    if [(s.start_hash, s.end_hash) for s in current] == wanted:
        return stream
    plan = _Plan(stream, key)
    boundaries = [start for start, _ in wanted[1:]]
    pieces: list[Shard] = []
    for shard in current:
        rest = shard
        for boundary in boundaries:
            if rest.start_hash < boundary <= rest.end_hash:
                low, rest = plan.split(rest, boundary)
                pieces.append(low)
        pieces.append(rest)
    for start, end in wanted:
        inside = [p for p in pieces if start <= p.start_hash and p.end_hash <= end]
        merged = inside[0]
        for piece in inside[1:]:
            merged = plan.merge(merged, piece)
    return plan.stream(stream)


def scaling_problem(open_shards: int, target: int) -> str | None:
    """Why UpdateShardCount may not go from ``open_shards`` to ``target`` in one call."""
    if target > 2 * open_shards:
        return (
            "UpdateShardCount cannot scale up over double your current open shard count. "
            f"Current open shard count: {open_shards}, Target shard count: {target}"
        )
    if 2 * target < open_shards:
        return (
            "UpdateShardCount cannot scale down below half your current open shard count. "
            f"Current open shard count: {open_shards}, Target shard count: {target}"
        )
    return None

"""Resharding plans: what SplitShard, MergeShards and UpdateShardCount leave, computed
without a store. Whatever the steps, the open shards cover the hash key space exactly
once, every new shard's range lies within its parents', and closed shards end at the
key the change was made at, below every key of their children."""

from __future__ import annotations

import itertools

import pytest

from altus.kinesis import keys, resharding
from altus.kinesis.errors import InvalidArgument, ValidationException
from altus.kinesis.model import ON_DEMAND, PROVISIONED, Shard, Stream

ACCOUNT = "000000000000"


def stream(count: int, mode: str = PROVISIONED) -> Stream:
    shards = tuple(
        Shard(index, low, high, 100) for index, (low, high) in enumerate(keys.even_ranges(count))
    )
    return Stream("s", 1, 1, mode, 24, shards)


def check_lineage(before: Stream, after: Stream, key: int) -> None:
    opened = sorted(after.open_shards, key=lambda s: s.start_hash)
    assert opened[0].start_hash == 0 and opened[-1].end_hash == keys.MAX_HASH
    assert all(a.end_hash + 1 == b.start_hash for a, b in itertools.pairwise(opened))
    by_index = {shard.index: shard for shard in after.shards}
    old = {shard.index for shard in before.shards}
    for shard in after.shards:
        if shard.index in old:
            continue
        parents = [by_index[p] for p in (shard.parent, shard.adjacent_parent) if p is not None]
        assert parents, shard
        assert all(p.closed and p.end_key == key for p in parents)
        low, high = min(p.start_hash for p in parents), max(p.end_hash for p in parents)
        if len(parents) == 2:  # a merge: the union of the two
            assert (low, high) == (shard.start_hash, shard.end_hash)
        else:  # a split: a part of the one
            assert low <= shard.start_hash <= shard.end_hash <= high
        assert shard.start_key == key
        assert all(p.index < shard.index for p in parents)


def test_a_split_closes_the_shard_and_opens_two_children() -> None:
    before = stream(1)
    after = resharding.split(before, before.shards[0], 2**127, 500, ACCOUNT)
    check_lineage(before, after, 500)
    parent, low, high = after.shards
    assert parent.end_key == 500
    assert (low.start_hash, low.end_hash, low.parent) == (0, 2**127 - 1, 0)
    assert (high.start_hash, high.end_hash, high.parent) == (2**127, keys.MAX_HASH, 0)


@pytest.mark.parametrize("at", [0, 1, keys.MAX_HASH])
def test_a_split_needs_a_hash_key_strictly_inside(at: int) -> None:
    before = stream(1)
    with pytest.raises(InvalidArgument, match="is not both greater than one plus"):
        resharding.split(before, before.shards[0], at, 500, ACCOUNT)


def test_a_merge_takes_adjacent_shards_lower_first() -> None:
    before = stream(3)
    first, second, third = before.shards
    after = resharding.merge(before, second, third, 7, ACCOUNT)
    check_lineage(before, after, 7)
    child = after.shards[-1]
    assert (child.parent, child.adjacent_parent) == (1, 2)
    for a, b in ((first, third), (second, first)):
        with pytest.raises(InvalidArgument, match="are not an adjacent pair"):
            resharding.merge(before, a, b, 7, ACCOUNT)


def test_on_demand_streams_are_not_resharded_by_hand() -> None:
    before = stream(4, ON_DEMAND)
    with pytest.raises(ValidationException):
        resharding.split(before, before.shards[0], 5, 1, ACCOUNT)
    with pytest.raises(ValidationException):
        resharding.scale(before, 2, 1)


@pytest.mark.parametrize(
    ("start", "target"), [(1, 2), (2, 4), (4, 2), (3, 5), (5, 3), (3, 2), (7, 13), (10, 5)]
)
def test_uniform_scaling_reaches_the_even_ranges_of_the_target(start: int, target: int) -> None:
    before = stream(start)
    after = resharding.scale(before, target, 900)
    check_lineage(before, after, 900)
    opened = sorted(after.open_shards, key=lambda s: s.start_hash)
    assert [(s.start_hash, s.end_hash) for s in opened] == keys.even_ranges(target)


def test_scaling_to_what_is_there_changes_nothing() -> None:
    before = stream(3)
    assert resharding.scale(before, 3, 900) is before


def test_doubling_and_halving_take_one_step_per_shard() -> None:
    doubled = resharding.scale(stream(2), 4, 900)
    assert (len(doubled.shards), len([s for s in doubled.shards if s.closed])) == (6, 2)
    halved = resharding.scale(stream(4), 2, 900)
    assert (len(halved.shards), len([s for s in halved.shards if s.closed])) == (6, 4)


def test_scaling_limits_are_worded_as_kinesis_words_them() -> None:
    assert resharding.scaling_problem(2, 4) is None
    assert resharding.scaling_problem(2, 5) == (
        "UpdateShardCount cannot scale up over double your current open shard count. "
        "Current open shard count: 2, Target shard count: 5"
    )
    assert resharding.scaling_problem(6, 2) == (
        "UpdateShardCount cannot scale down below half your current open shard count. "
        "Current open shard count: 6, Target shard count: 2"
    )

"""The Kinesis stream provider against a server in this process: a provisioned stream
(shards, retention, tags), resharded, its retention lowered, switched to on-demand,
deleted and found again by its generated name; encryption refused; checked through
boto3."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from altus.cloudformation.providers.base import Current, ResourceFailed
from altus.cloudformation.providers.kinesis import PROVIDERS
from tests.functional import cloudformation_providers
from tests.functional.cloudformation_providers import ACCOUNT, REGION, World, delete_twice

#: The module's server and contexts (a fixture, found by its name).
world = cloudformation_providers.world

STREAM = PROVIDERS["AWS::Kinesis::Stream"]


def summary(world: World, name: str) -> dict[str, Any]:
    answer = world.client("kinesis").describe_stream_summary(StreamName=name)
    return dict(answer["StreamDescriptionSummary"])


def tags_of(world: World, name: str) -> dict[str, str]:
    listed = world.client("kinesis").list_tags_for_stream(StreamName=name)["Tags"]
    return {t["Key"]: t["Value"] for t in listed}


def test_stream_lifecycle(world: World) -> None:
    ctx = world.context("Clicks")
    props: dict[str, Any] = {
        "ShardCount": "2",
        "RetentionPeriodHours": 48,
        "Tags": [{"Key": "tier", "Value": "gold"}],
    }
    made = world.run(STREAM.create(ctx, "Clicks", props))
    name = made.physical_id
    assert name.startswith("teststack-Clicks-")
    assert made.attributes == {"Arn": f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{name}"}
    got = summary(world, name)
    assert got["StreamStatus"] == "ACTIVE"
    assert got["OpenShardCount"] == 2 and got["RetentionPeriodHours"] == 48
    assert tags_of(world, name) == {"team": "altus", "tier": "gold"}
    assert STREAM.replaced_by == frozenset({"Name"})

    changed: dict[str, Any] = {"ShardCount": 4, "Tags": [{"Key": "size", "Value": "xl"}]}
    current = Current("Clicks", name, props, made.attributes)
    updated = world.run(STREAM.update(ctx, current, changed))
    assert updated == made
    got = summary(world, name)
    assert got["OpenShardCount"] == 4 and got["RetentionPeriodHours"] == 24
    assert tags_of(world, name) == {"team": "altus", "size": "xl"}

    on_demand: dict[str, Any] = {"StreamModeDetails": {"StreamMode": "ON_DEMAND"}}
    current = Current("Clicks", name, changed, updated.attributes)
    world.run(STREAM.update(ctx, current, on_demand))
    assert summary(world, name)["StreamModeDetails"]["StreamMode"] == "ON_DEMAND"
    assert tags_of(world, name) == {"team": "altus"}

    current = Current("Clicks", name, on_demand, updated.attributes)
    delete_twice(world, STREAM, current, summary, world, name)

    lost = world.run(STREAM.create(world.context("Lost", seed="s"), "Lost", {}))
    assert summary(world, lost.physical_id)["OpenShardCount"] == 1
    world.run(STREAM.delete(world.context("Lost", seed="s"), Current("Lost", None, {})))
    with pytest.raises(ClientError):
        summary(world, lost.physical_id)


def test_encryption_refused(world: World) -> None:
    ctx = world.context("Secret")
    props = {"Name": "cfn-encrypted", "StreamEncryption": {"EncryptionType": "KMS", "KeyId": "k"}}
    with pytest.raises(ResourceFailed, match="StreamEncryption"):
        world.run(STREAM.create(ctx, "Secret", props))
    with pytest.raises(ClientError):
        summary(world, "cfn-encrypted")

"""The providers that make nothing: ``AWS::CDK::Metadata`` and
``AWS::CloudFormation::WaitConditionHandle`` are recorded, call no service, and give a
stable physical id (a handle's is a URL of the stack's id and its logical id)."""

from __future__ import annotations

from urllib.parse import quote

from altus.cloudformation.providers.base import Current
from altus.cloudformation.providers.misc import PROVIDERS
from tests.functional import cloudformation_providers
from tests.functional.cloudformation_providers import STACK_ID, World

#: The module's server and contexts (a fixture, found by its name).
world = cloudformation_providers.world

METADATA = PROVIDERS["AWS::CDK::Metadata"]
HANDLE = PROVIDERS["AWS::CloudFormation::WaitConditionHandle"]


def test_cdk_metadata(world: World) -> None:
    ctx = world.context("CDKMetadata", seed="meta")
    props = {"Analytics": "v2:deflate64:H4sIAAAAAAAA"}
    made = world.run(METADATA.create(ctx, "CDKMetadata", props))
    assert made.physical_id.startswith("teststack-CDKMetadata-")
    assert made.attributes == {}
    current = Current("CDKMetadata", made.physical_id, props)
    updated = world.run(METADATA.update(ctx, current, {"Analytics": "v2:other"}))
    assert updated.physical_id == made.physical_id
    world.run(METADATA.delete(ctx, current))
    world.run(METADATA.delete(ctx, Current("CDKMetadata", None, props)))
    assert METADATA.replaced_by == frozenset() and METADATA.attributes == frozenset()


def test_wait_condition_handle(world: World) -> None:
    ctx = world.context("Handle")
    made = world.run(HANDLE.create(ctx, "Handle", {}))
    url = made.physical_id
    assert url.startswith(world.harness.url.rstrip("/") + "/")
    assert url.endswith(f"/{quote(STACK_ID, safe='')}/Handle")
    # The same handle whatever the attempt: the URL holds no random part.
    assert world.run(HANDLE.create(world.context("Handle"), "Handle", {})).physical_id == url
    current = Current("Handle", url, {})
    assert world.run(HANDLE.update(ctx, current, {})).physical_id == url
    world.run(HANDLE.delete(ctx, current))
    world.run(HANDLE.delete(ctx, Current("Handle", None, {})))

"""Resource types that make nothing in any service: ``AWS::CDK::Metadata`` (every CDK
template carries one, guarded by the ``CDKMetadataAvailable`` condition; AWS records the
CDK version and constructs used, which Altus has no use for) and
``AWS::CloudFormation::WaitConditionHandle`` (whose ``Ref`` is the URL an instance
signals a wait condition through; templates keep handles whose conditions they no longer
use, and a handle alone waits for nothing).

Both exist only in the stack's records: creating, updating and deleting them calls no
service, so they cannot fail and are never half made.
"""

from __future__ import annotations

from urllib.parse import quote

from altus.cloudformation.providers.base import (
    Current,
    Outcome,
    Properties,
    Provider,
    ProviderContext,
)


class CdkMetadata:
    """``AWS::CDK::Metadata``: accepted and kept, nothing made. Its physical id is the
    name CloudFormation would generate for it (only DescribeStackResources shows it)."""

    replaced_by: frozenset[str] = frozenset()
    attributes: frozenset[str] = frozenset()

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        return Outcome(ctx.name())

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        # Its Analytics/Modules text changes with each CDK release: nothing to change.
        return Outcome(current.physical_id or ctx.name())

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        return None


class WaitConditionHandle:
    """``AWS::CloudFormation::WaitConditionHandle``: ``Ref`` is a URL-like id made of the
    API endpoint, the stack's id and the handle's logical id (AWS's is a presigned S3
    URL of the same parts). Nothing listens there: Altus serves no
    ``AWS::CloudFormation::WaitCondition`` to signal, so the handle is inert, as a
    handle whose condition is gone is on AWS. It has no properties (AWS replaces it on
    any change, which for an inert handle is the same as keeping it)."""

    replaced_by: frozenset[str] = frozenset()
    attributes: frozenset[str] = frozenset()

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        return Outcome(handle_url(ctx, logical_id))

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        return Outcome(current.physical_id or handle_url(ctx, current.logical_id))

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        return None


def handle_url(ctx: ProviderContext, logical_id: str) -> str:
    """The handle's ``Ref``: ``<endpoint>/cloudformation-waitcondition/<stack id>/<id>``
    (the stack id percent-encoded, as AWS's URL carries it)."""
    stack = quote(ctx.stack_id, safe="")
    return f"{ctx.endpoint.rstrip('/')}/cloudformation-waitcondition/{stack}/{logical_id}"


PROVIDERS: dict[str, Provider] = {
    "AWS::CDK::Metadata": CdkMetadata(),
    "AWS::CloudFormation::WaitConditionHandle": WaitConditionHandle(),
}

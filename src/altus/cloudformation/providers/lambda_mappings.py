"""``AWS::Lambda::EventSourceMapping``: a mapping made with CreateEventSourceMapping and
changed with UpdateEventSourceMapping.

Ref is the mapping's UUID, as is ``Fn::GetAtt Id``; ``EventSourceMappingArn`` is its ARN.
Lambda applies a change in the background (``Creating``, ``Enabling``, ``Updating`` ...):
a create or update returns once the mapping is ``Enabled`` or ``Disabled``, and a delete
once it is gone. What the mapping reads (``EventSourceArn``, ``SelfManagedEventSource``,
``Topics``, ``Queues``, the Kafka configurations, the starting position) needs a new
mapping (UpdateEventSourceMapping takes none of them); everything else changes in place,
a removed property returning to Lambda's default (BatchSize 10 for a queue, 100 for the
rest; unlimited retries and record age; no filters ...). A mapping whose create was
interrupted cannot be found again (its UUID is Lambda's), so such a delete does nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from altus.cloudformation.providers.base import (
    POLLS,
    Current,
    Outcome,
    Properties,
    ProviderContext,
    ResourceFailed,
    backoff,
    boolean,
    integer,
    required,
    tag_map,
)
from altus.cloudformation.providers.common import gone_or, present, settled, sync_tags
from altus.cloudformation.providers.lambda_support import TAGGING, known_id, whole

#: The states of a mapping that has settled.
_SETTLED = ("Enabled", "Disabled")

_NUMBERS = (
    "BatchSize",
    "MaximumBatchingWindowInSeconds",
    "MaximumRecordAgeInSeconds",
    "MaximumRetryAttempts",
    "ParallelizationFactor",
    "TumblingWindowInSeconds",
)
_BOOLEANS = ("Enabled", "BisectBatchOnFunctionError")
#: Members copied as the template wrote them (the API's shapes are CloudFormation's).
_AS_GIVEN = (
    "EventSourceArn",
    "FunctionName",
    "StartingPosition",
    "FilterCriteria",
    "DestinationConfig",
    "FunctionResponseTypes",
    "Topics",
    "Queues",
    "SourceAccessConfigurations",
    "SelfManagedEventSource",
    "AmazonManagedKafkaEventSourceConfig",
    "SelfManagedKafkaEventSourceConfig",
    "DocumentDBEventSourceConfig",
    "MetricsConfig",
    "LoggingConfig",
)
#: Nested numbers: member -> its numeric fields.
_NESTED_NUMBERS = {
    "ScalingConfig": ("MaximumConcurrency",),
    "ProvisionedPollerConfig": ("MinimumPollers", "MaximumPollers"),
}
#: What a removed property returns to (BatchSize depends on the source: ``_defaults``).
_DEFAULTS: dict[str, Any] = {
    "MaximumBatchingWindowInSeconds": 0,
    "MaximumRecordAgeInSeconds": -1,
    "MaximumRetryAttempts": -1,
    "ParallelizationFactor": 1,
    "TumblingWindowInSeconds": 0,
    "Enabled": True,
    "BisectBatchOnFunctionError": False,
    "FilterCriteria": {},
    "DestinationConfig": {"OnFailure": {}},
    "FunctionResponseTypes": [],
    "SourceAccessConfigurations": [],
    "DocumentDBEventSourceConfig": {},
    "MetricsConfig": {"Metrics": []},
    "LoggingConfig": {},
    "ScalingConfig": {},
    "ProvisionedPollerConfig": {},
    "KMSKeyArn": "",
}
#: What UpdateEventSourceMapping takes (with the property each comes from).
_UPDATABLE = {
    "FunctionName": "FunctionName",
    "Enabled": "Enabled",
    "BatchSize": "BatchSize",
    "FilterCriteria": "FilterCriteria",
    "KMSKeyArn": "KmsKeyArn",
    "MetricsConfig": "MetricsConfig",
    "LoggingConfig": "LoggingConfig",
    "ScalingConfig": "ScalingConfig",
    "MaximumBatchingWindowInSeconds": "MaximumBatchingWindowInSeconds",
    "ParallelizationFactor": "ParallelizationFactor",
    "DestinationConfig": "DestinationConfig",
    "MaximumRecordAgeInSeconds": "MaximumRecordAgeInSeconds",
    "BisectBatchOnFunctionError": "BisectBatchOnFunctionError",
    "MaximumRetryAttempts": "MaximumRetryAttempts",
    "TumblingWindowInSeconds": "TumblingWindowInSeconds",
    "SourceAccessConfigurations": "SourceAccessConfigurations",
    "FunctionResponseTypes": "FunctionResponseTypes",
    "DocumentDBEventSourceConfig": "DocumentDBEventSourceConfig",
    "ProvisionedPollerConfig": "ProvisionedPollerConfig",
}


def members(props: Properties) -> dict[str, Any]:
    """The API's members for the properties the template gives."""
    out: dict[str, Any] = {}
    for name in _AS_GIVEN:
        if props.get(name) is not None:
            out[name] = props[name]
    for name in _NUMBERS:
        if props.get(name) is not None:
            out[name] = integer(props, name)
    for name in _BOOLEANS:
        if props.get(name) is not None:
            out[name] = boolean(props, name)
    for name, fields in _NESTED_NUMBERS.items():
        if props.get(name) is not None:
            given: Mapping[str, Any] = props[name] or {}
            out[name] = {
                key: whole(value, key) if key in fields else value for key, value in given.items()
            }
    if props.get("KmsKeyArn") is not None:
        out["KMSKeyArn"] = str(props["KmsKeyArn"])
    if props.get("StartingPositionTimestamp") is not None:
        try:
            out["StartingPositionTimestamp"] = float(props["StartingPositionTimestamp"])
        except (TypeError, ValueError):
            raise ResourceFailed(
                "Properties validation failed for property StartingPositionTimestamp: "
                "expected type: Number"
            ) from None
    return out


def _defaults(props: Properties) -> dict[str, Any]:
    queue = ":sqs:" in str(props.get("EventSourceArn") or "")
    return {**_DEFAULTS, "BatchSize": 10 if queue else 100}


async def _settled(ctx: ProviderContext, uuid: str) -> dict[str, Any]:
    """The mapping once its state is Enabled or Disabled."""

    def ready(mapping: dict[str, Any]) -> bool:
        if mapping.get("State") == "Deleting":
            raise ResourceFailed(f"Event source mapping {uuid} is being deleted", "NotFound")
        return mapping.get("State") in _SETTLED

    failure = f"Event source mapping {uuid} did not settle"
    return await settled(ctx, "lambda", "GetEventSourceMapping", {"UUID": uuid}, ready, failure)


def _outcome(mapping: Mapping[str, Any]) -> Outcome:
    return Outcome(
        mapping["UUID"],
        {"Id": mapping["UUID"], "EventSourceMappingArn": mapping["EventSourceMappingArn"]},
    )


class EventSourceMapping:
    replaced_by = frozenset(
        {
            "EventSourceArn",
            "StartingPosition",
            "StartingPositionTimestamp",
            "SelfManagedEventSource",
            "AmazonManagedKafkaEventSourceConfig",
            "SelfManagedKafkaEventSourceConfig",
            "Topics",
            "Queues",
        }
    )
    attributes = frozenset({"Id", "EventSourceMappingArn"})

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        required(props, "FunctionName")
        params = members(props) | present(Tags=tag_map(props, ctx) or None)
        created = await ctx.call("lambda", "CreateEventSourceMapping", params)
        return _outcome(await _settled(ctx, created["UUID"]))

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        required(props, "FunctionName")
        uuid = known_id(current, "event source mapping")
        old = current.properties
        given, defaults = members(props), _defaults(props)
        changes = {
            member: given.get(member, defaults.get(member))
            for member, prop in _UPDATABLE.items()
            if old.get(prop) != props.get(prop) and (member in given or member in defaults)
        }
        mapping = await _settled(ctx, uuid)
        if changes:
            await ctx.call("lambda", "UpdateEventSourceMapping", {"UUID": uuid, **changes})
            mapping = await _settled(ctx, uuid)
        scope = {"Resource": mapping["EventSourceMappingArn"]}
        await sync_tags(ctx, TAGGING, scope, tag_map(props, ctx))
        return _outcome(mapping)

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        uuid = current.physical_id
        if uuid is None:
            return  # the UUID was Lambda's to give: nothing to find
        for poll in range(POLLS):
            mapping = await gone_or(ctx.call("lambda", "GetEventSourceMapping", {"UUID": uuid}))
            if mapping is None:
                return
            if mapping.get("State") in _SETTLED:
                deleted = ctx.call("lambda", "DeleteEventSourceMapping", {"UUID": uuid})
                if await gone_or(deleted) is None:
                    return
            # Creating, Updating ... (settling first), or Deleting: until it is gone.
            await ctx.sleep(backoff(poll))
        raise ResourceFailed(f"Event source mapping {uuid} was not deleted", "NotStabilized")

"""What Lambda accepts in CreateEventSourceMapping and UpdateEventSourceMapping, in its
words: a pure function from the request's members (already checked against botocore's
model: types, ranges, enums) and the facts about the source and the function, to the
mapping to store, or a refusal.

The rules are per source: a queue takes no stream settings, a stream needs a starting
position, an SQS batch over 10 needs a batching window, a FIFO queue's batch stays at
10 at most, and the queue must hide a batch for at least the function's timeout.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from altus.control.errors import InvalidParameterValue
from altus.events.mapping import (
    CREATING,
    DISABLED,
    DISABLING,
    ENABLED,
    ENABLING,
    QUEUE_SOURCES,
    STREAM_SOURCES,
    UPDATING,
    EventSourceMapping,
)
from altus.events.patterns import Pattern, PatternError

#: Lambda takes at most this many filters per mapping (its default quota).
MAX_FILTERS = 5

#: Members only stream mappings take.
STREAM_ONLY = (
    "StartingPosition",
    "StartingPositionTimestamp",
    "ParallelizationFactor",
    "BisectBatchOnFunctionError",
    "MaximumRetryAttempts",
    "MaximumRecordAgeInSeconds",
    "TumblingWindowInSeconds",
    "DestinationConfig",
)
#: Members of other kinds of sources (brokers, Kafka, DocumentDB) no source here takes.
OTHER_SOURCES = (
    "Topics",
    "Queues",
    "SourceAccessConfigurations",
    "SelfManagedEventSource",
    "AmazonManagedKafkaEventSourceConfig",
    "SelfManagedKafkaEventSourceConfig",
    "DocumentDBEventSourceConfig",
    "ProvisionedPollerConfig",
)

#: The default batch size of each kind of source.
DEFAULT_BATCH = {"sqs": 10, "kinesis": 100}


@dataclass(frozen=True, slots=True)
class SourceFacts:
    """What validation needs to know of the source."""

    kind: str
    fifo: bool = False
    #: A queue's VisibilityTimeout, seconds.
    visibility_timeout: int = 0


def _unsupported(member: str) -> InvalidParameterValue:
    return InvalidParameterValue(
        f"Unsupported {member} parameter for given event source mapping type."
    )


def _filters(criteria: Mapping[str, Any] | None, kind: str) -> tuple[str, ...]:
    """The filters' patterns, each checked; ``{}`` (or no Filters) means none. A stream's
    patterns must test ``data`` as JSON (an object), as Lambda requires."""
    filters = (criteria or {}).get("Filters") or []
    if len(filters) > MAX_FILTERS:
        raise InvalidParameterValue(
            f"The number of filters ({len(filters)}) exceeds the limit of {MAX_FILTERS}."
        )
    patterns: list[str] = []
    for item in filters:
        text = item.get("Pattern")
        if text is None:
            raise InvalidParameterValue("Invalid filter pattern definition.")
        try:
            Pattern.parse(text)
        except PatternError:
            raise InvalidParameterValue("Invalid filter pattern definition.") from None
        if kind in STREAM_SOURCES:
            data = json.loads(text).get("data")
            if data is not None and not isinstance(data, dict):
                raise InvalidParameterValue("Invalid filter pattern definition.")
        patterns.append(text)
    return tuple(patterns)


def _timestamp(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.timestamp()
    return float(value)


def _apply(mapping: EventSourceMapping, input: Mapping[str, Any]) -> EventSourceMapping:
    """``mapping`` with what ``input`` sets (members absent from it keep their value)."""
    changes: dict[str, Any] = {}
    if "BatchSize" in input:
        changes["batch_size"] = input["BatchSize"]
    if "MaximumBatchingWindowInSeconds" in input:
        changes["window"] = input["MaximumBatchingWindowInSeconds"]
    if "Enabled" in input:
        changes["enabled"] = bool(input["Enabled"])
    if "FilterCriteria" in input:
        changes["filters"] = _filters(input["FilterCriteria"], mapping.source)
    if "FunctionResponseTypes" in input:
        changes["report_item_failures"] = "ReportBatchItemFailures" in (
            input["FunctionResponseTypes"] or []
        )
    if "ScalingConfig" in input:
        # An empty ScalingConfig removes the cap.
        changes["maximum_concurrency"] = (input["ScalingConfig"] or {}).get("MaximumConcurrency")
    if "MetricsConfig" in input:
        changes["metrics"] = tuple((input["MetricsConfig"] or {}).get("Metrics") or ())
    if "StartingPosition" in input:
        changes["starting_position"] = input["StartingPosition"]
    if "StartingPositionTimestamp" in input:
        changes["starting_timestamp"] = _timestamp(input["StartingPositionTimestamp"])
    if "ParallelizationFactor" in input:
        changes["parallelization"] = input["ParallelizationFactor"]
    if "BisectBatchOnFunctionError" in input:
        changes["bisect"] = bool(input["BisectBatchOnFunctionError"])
    if "MaximumRetryAttempts" in input:
        changes["maximum_retries"] = input["MaximumRetryAttempts"]
    if "MaximumRecordAgeInSeconds" in input:
        changes["maximum_record_age"] = input["MaximumRecordAgeInSeconds"]
    if "TumblingWindowInSeconds" in input:
        changes["tumbling_window"] = input["TumblingWindowInSeconds"]
    if "DestinationConfig" in input:
        config = input["DestinationConfig"] or {}
        changes["on_failure"] = (config.get("OnFailure") or {}).get("Destination") or None
    return mapping.replace(**changes)


def _check_given(input: Mapping[str, Any], source: SourceFacts) -> None:
    """Members the source does not take at all."""
    for member in OTHER_SOURCES:
        if input.get(member):
            raise _unsupported(member)
    if source.kind in QUEUE_SOURCES:
        if input.get("StartingPosition") is not None:
            raise InvalidParameterValue("StartingPosition is not valid for SQS event sources.")
        for member in STREAM_ONLY:
            if member in input and input[member] is not None:
                raise _unsupported(member)
    destinations = input.get("DestinationConfig") or {}
    if destinations.get("OnSuccess"):
        raise InvalidParameterValue(
            "Unsupported DestinationConfig parameter for given event source mapping type."
        )
    scaling = input.get("ScalingConfig") or {}
    if source.kind not in QUEUE_SOURCES and scaling.get("MaximumConcurrency") is not None:
        raise _unsupported("ScalingConfig")


def _check(mapping: EventSourceMapping, source: SourceFacts, function_timeout: int) -> None:
    """The mapping as a whole, whatever request made it."""
    if source.kind == "sqs":
        if source.fifo:
            if mapping.batch_size > 10:
                raise InvalidParameterValue(
                    "Batch size for FIFO queues must be between 1 and 10 (inclusive)."
                )
            if mapping.window:
                raise InvalidParameterValue("Batching window is not supported for FIFO queues.")
        elif mapping.batch_size > 10 and mapping.window == 0:
            raise InvalidParameterValue(
                "Maximum batch window in seconds must be greater than 0 if maximum batch "
                "size is greater than 10"
            )
        if source.visibility_timeout < function_timeout:
            raise InvalidParameterValue(
                f"Queue visibility timeout: {source.visibility_timeout} seconds is less "
                f"than Function timeout: {function_timeout} seconds"
            )
    if mapping.stream:
        if mapping.starting_position is None:
            raise InvalidParameterValue(
                "1 validation error detected: Value null at 'startingPosition' failed to "
                "satisfy constraint: Member must not be null."
            )
        if mapping.starting_position == "AT_TIMESTAMP" and mapping.starting_timestamp is None:
            raise InvalidParameterValue(
                "StartingPositionTimestamp must be provided when StartingPosition is AT_TIMESTAMP."
            )
        if mapping.starting_position != "AT_TIMESTAMP" and mapping.starting_timestamp is not None:
            raise InvalidParameterValue(
                "StartingPositionTimestamp is only valid when StartingPosition is AT_TIMESTAMP."
            )
        if 0 <= mapping.maximum_record_age < 60:
            raise InvalidParameterValue(
                "MaximumRecordAgeInSeconds must be -1 or between 60 and 604800."
            )
    if mapping.on_failure is not None:
        _check_destination(mapping.on_failure)


def _check_destination(destination: str) -> None:
    if destination.startswith(("http://", "https://")):
        return
    parts = destination.split(":", 5)
    if len(parts) < 6 or parts[2] not in ("sqs", "sns", "lambda"):
        raise InvalidParameterValue(
            f"The destination ARN {destination} is invalid: on-failure destinations of "
            "stream mappings are SQS queues, SNS topics, functions or https URLs."
        )


def plan_create(
    input: Mapping[str, Any],
    *,
    uuid: str,
    function_arn: str,
    source: SourceFacts,
    function_timeout: int,
    now: float,
) -> EventSourceMapping:
    """The mapping CreateEventSourceMapping makes of ``input``, in its first state."""
    _check_given(input, source)
    enabled = input.get("Enabled", True)
    base = EventSourceMapping(
        uuid=uuid,
        function_arn=function_arn,
        event_source_arn=input["EventSourceArn"],
        source=source.kind,
        batch_size=DEFAULT_BATCH.get(source.kind, 10),
        window=0,
        enabled=bool(enabled),
        state=CREATING,
        state_reason="USER_INITIATED" if source.kind in QUEUE_SOURCES else "User action",
        last_modified=now,
        tags=dict(input.get("Tags") or {}),
    )
    mapping = _apply(base, input)
    _check(mapping, source, function_timeout)
    return mapping


def plan_update(
    mapping: EventSourceMapping,
    input: Mapping[str, Any],
    *,
    function_arn: str | None,
    source: SourceFacts,
    function_timeout: int,
    now: float,
) -> EventSourceMapping:
    """The mapping UpdateEventSourceMapping makes of ``mapping``, in the state the change
    passes through (``Enabling``, ``Disabling`` or ``Updating``)."""
    _check_given(input, source)
    for member in ("StartingPosition", "StartingPositionTimestamp"):
        if input.get(member) is not None:
            raise InvalidParameterValue(f"{member} cannot be updated.")
    updated = _apply(mapping, input)
    if function_arn is not None:
        updated = updated.replace(function_arn=function_arn)
    _check(updated, source, function_timeout)
    if updated.enabled != mapping.enabled:
        state = ENABLING if updated.enabled else DISABLING
    else:
        state = UPDATING
    reason = "USER_INITIATED" if source.kind in QUEUE_SOURCES else "User action"
    return updated.replace(state=state, state_reason=reason, last_modified=now)


def settled(mapping: EventSourceMapping) -> str:
    """The state a mapping comes to once its transition is done."""
    return ENABLED if mapping.enabled else DISABLED

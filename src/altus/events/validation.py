"""What Lambda accepts in CreateEventSourceMapping and UpdateEventSourceMapping, in its
words: a pure function from the request's members (already checked against botocore's
model: types, ranges, enums) and the facts about the source and the function, to the
mapping to store, or a refusal.

The rules are per source: a queue takes no stream settings, a stream needs a starting
position (a DynamoDB stream TRIM_HORIZON or LATEST: it has no AT_TIMESTAMP), an SQS
batch over 10 needs a batching window, a FIFO queue's batch stays at 10 at most, and
the queue must hide a batch for at least the function's timeout.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from altus.brokers import registry
from altus.brokers.registry import BrokerKind
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

#: The default batch size of each kind of source (brokers: 100, as Lambda's for Amazon MQ
#: and Kafka).
DEFAULT_BATCH = {"sqs": 10, "kinesis": 100, "dynamodb": 100}
#: What a stream's filter patterns may test only as a JSON object: Kinesis's ``data``
#: (parsed from the record's data), DynamoDB's ``dynamodb`` (the change itself).
FILTERED_OBJECT = {"kinesis": "data", "dynamodb": "dynamodb"}
#: The starting positions a DynamoDB stream takes (Lambda refuses AT_TIMESTAMP there).
DYNAMODB_POSITIONS = ("LATEST", "TRIM_HORIZON")
#: Stream settings a broker does not take (it has no shards, and no record ages).
NOT_FOR_BROKERS = (
    "StartingPositionTimestamp",
    "ParallelizationFactor",
    "BisectBatchOnFunctionError",
    "MaximumRecordAgeInSeconds",
    "TumblingWindowInSeconds",
    "ScalingConfig",
    "AmazonManagedKafkaEventSourceConfig",
    "DocumentDBEventSourceConfig",
    "ProvisionedPollerConfig",
)
#: The access configurations a broker mapping takes: credentials from a Secrets
#: Manager secret, and RabbitMQ's virtual host.
BASIC_AUTH = "BASIC_AUTH"
VIRTUAL_HOST = "VIRTUAL_HOST"


@dataclass(frozen=True, slots=True)
class SourceFacts:
    """What validation needs to know of the source."""

    kind: str
    fifo: bool = False
    #: A queue's VisibilityTimeout, seconds.
    visibility_timeout: int = 0
    #: The broker, for a mapping made with ``SelfManagedEventSource``.
    broker: BrokerKind | None = None


def _unsupported(member: str) -> InvalidParameterValue:
    return InvalidParameterValue(
        f"Unsupported {member} parameter for given event source mapping type."
    )


def _filters(criteria: Mapping[str, Any] | None, kind: str) -> tuple[str, ...]:
    """The filters' patterns, each checked; ``{}`` (or no Filters) means none. A stream's
    patterns must test ``data`` (Kinesis) or ``dynamodb`` (DynamoDB) as an object, as
    Lambda requires."""
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
        if kind in FILTERED_OBJECT:
            data = json.loads(text).get(FILTERED_OBJECT[kind])
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
        changes["window_given"] = True
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
    if "SourceAccessConfigurations" in input:
        changes["access"] = tuple(
            {"Type": item.get("Type", ""), "URI": item.get("URI", "")}
            for item in input["SourceAccessConfigurations"] or ()
        )
    return mapping.replace(**changes)


def _check_given(input: Mapping[str, Any], source: SourceFacts) -> None:
    """Members the source does not take at all."""
    if source.broker is not None:
        _check_broker_given(input, source.broker)
        return
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


def _check_broker_given(input: Mapping[str, Any], kind: BrokerKind) -> None:
    for member in NOT_FOR_BROKERS:
        if input.get(member) is not None and input.get(member) != {}:
            raise _unsupported(member)
    config = input.get("SelfManagedKafkaEventSourceConfig") or {}
    for member in ("SchemaRegistryConfig", "ConsumptionMode"):
        if config.get(member) is not None:
            raise _unsupported(f"SelfManagedKafkaEventSourceConfig.{member}")
    other = "Topics" if kind.reads == registry.QUEUES else "Queues"
    if input.get(other):
        raise _unsupported(other)
    destinations = input.get("DestinationConfig") or {}
    if destinations.get("OnSuccess"):
        raise InvalidParameterValue(
            "Unsupported DestinationConfig parameter for given event source mapping type."
        )
    seen: set[str] = set()
    for item in input.get("SourceAccessConfigurations") or ():
        kind_of = item.get("Type")
        if kind_of not in (BASIC_AUTH, VIRTUAL_HOST) or (
            kind_of == VIRTUAL_HOST and kind.kind != "rabbitmq"
        ):
            raise InvalidParameterValue(
                f"Unsupported SourceAccessConfigurations type {kind_of} for "
                f"{kind.endpoint_key} event sources: {_access_types(kind)}."
            )
        if kind_of in seen:
            raise InvalidParameterValue(
                f"SourceAccessConfigurations may hold one {kind_of} configuration."
            )
        seen.add(kind_of)
        uri = item.get("URI") or ""
        if kind_of == BASIC_AUTH and not (uri.startswith("arn:") and ":secretsmanager:" in uri):
            raise InvalidParameterValue(
                f"The BASIC_AUTH URI {uri!r} must be a Secrets Manager secret's ARN."
            )
        if kind_of == VIRTUAL_HOST and not uri:
            raise InvalidParameterValue("The VIRTUAL_HOST URI must name a virtual host.")


def _access_types(kind: BrokerKind) -> str:
    return "BASIC_AUTH, VIRTUAL_HOST" if kind.kind == "rabbitmq" else "BASIC_AUTH"


def broker_of(input: Mapping[str, Any]) -> BrokerKind:
    """The broker ``SelfManagedEventSource.Endpoints`` names (one key, one URL), or a
    refusal in Lambda's words."""
    endpoints = (input.get("SelfManagedEventSource") or {}).get("Endpoints") or {}
    keys = sorted(registry.endpoint_keys())
    unknown = [key for key in endpoints if registry.by_key(key) is None]
    if unknown or len(endpoints) != 1:
        shown = ", ".join(
            f"{key}=[{', '.join(registry.redacted(url) for url in endpoints[key])}]"
            for key in endpoints
        )
        raise InvalidParameterValue(
            f"1 validation error detected: Value '{{{shown}}}' at "
            "'selfManagedEventSource.endpoints' failed to satisfy constraint: Map keys must "
            f"satisfy constraint: [Member must satisfy enum value set: [{', '.join(keys)}]], "
            "and exactly one endpoint must be given"
        )
    (key,) = endpoints
    kind = registry.by_key(key)
    assert kind is not None
    urls = endpoints[key]
    if len(urls) != 1:
        raise InvalidParameterValue(f"{key} takes exactly one URL; {len(urls)} were given.")
    problem = registry.url_problem(kind, urls[0])
    if problem is not None:
        raise InvalidParameterValue(f"The {key} endpoint is not valid: {problem}.")
    return kind


def _check_broker(mapping: EventSourceMapping, kind: BrokerKind) -> None:
    names = mapping.queues if kind.reads == registry.QUEUES else mapping.topics
    if not names:
        raise InvalidParameterValue(
            f"1 validation error detected: Value null at '{kind.reads[0].lower()}"
            f"{kind.reads[1:]}' failed to satisfy constraint: Member must not be null."
        )
    if kind.reads == registry.QUEUES and len(names) != 1:
        raise InvalidParameterValue("Queues takes exactly one queue name.")
    if len(set(names)) != len(names):
        raise InvalidParameterValue(f"{kind.reads} names a {kind.noun} more than once.")
    position = mapping.starting_position
    if position is not None and not kind.positions:
        raise InvalidParameterValue(
            f"StartingPosition is not valid for {kind.endpoint_key} event sources."
        )
    if position is not None and position not in kind.positions:
        raise InvalidParameterValue(
            f"StartingPosition {position} is not supported for {kind.endpoint_key} event "
            f"sources: {', '.join(sorted(kind.positions))}."
        )
    if position is None and kind.positions and kind.default_position is None:
        raise InvalidParameterValue(
            "1 validation error detected: Value null at 'startingPosition' failed to "
            "satisfy constraint: Member must not be null."
        )
    group = mapping.consumer_group
    if group is not None and not re.fullmatch(kind.group_pattern, group):
        raise InvalidParameterValue(
            f"ConsumerGroupId {group!r} is not valid for {kind.endpoint_key} event "
            f"sources: it must be {kind.group_rule}."
        )


def _check(mapping: EventSourceMapping, source: SourceFacts, function_timeout: int) -> None:
    """The mapping as a whole, whatever request made it."""
    if source.broker is not None:
        _check_broker(mapping, source.broker)
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
        if mapping.source == "dynamodb" and mapping.starting_position not in DYNAMODB_POSITIONS:
            # Not Lambda's words (not documented): it takes TRIM_HORIZON or LATEST only.
            raise InvalidParameterValue(
                f"StartingPosition {mapping.starting_position} is not supported for "
                f"DynamoDB Streams event sources: {', '.join(DYNAMODB_POSITIONS)}."
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
    broker = source.broker
    base = EventSourceMapping(
        uuid=uuid,
        function_arn=function_arn,
        event_source_arn=input.get("EventSourceArn") or "",
        source=source.kind,
        batch_size=DEFAULT_BATCH.get(source.kind, 10 if broker is None else 100),
        window=0,
        enabled=bool(enabled),
        state=CREATING,
        state_reason="User action" if source.kind in STREAM_SOURCES else "USER_INITIATED",
        last_modified=now,
        tags=dict(input.get("Tags") or {}),
    )
    if broker is not None:
        base = base.replace(
            endpoints={k: list(v) for k, v in input["SelfManagedEventSource"]["Endpoints"].items()},
            topics=tuple(input.get("Topics") or ()),
            queues=tuple(input.get("Queues") or ()),
            consumer_group=(input.get("SelfManagedKafkaEventSourceConfig") or {}).get(
                "ConsumerGroupId"
            ),
            starting_position=broker.default_position,
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
    group = (input.get("SelfManagedKafkaEventSourceConfig") or {}).get("ConsumerGroupId")
    if group is not None and group != mapping.consumer_group:
        raise InvalidParameterValue("ConsumerGroupId cannot be updated.")
    updated = _apply(mapping, input)
    if function_arn is not None:
        updated = updated.replace(function_arn=function_arn)
    _check(updated, source, function_timeout)
    if updated.enabled != mapping.enabled:
        state = ENABLING if updated.enabled else DISABLING
    else:
        state = UPDATING
    reason = "User action" if source.kind in STREAM_SOURCES else "USER_INITIATED"
    return updated.replace(state=state, state_reason=reason, last_modified=now)


def settled(mapping: EventSourceMapping) -> str:
    """The state a mapping comes to once its transition is done."""
    return ENABLED if mapping.enabled else DISABLED

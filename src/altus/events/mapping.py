"""An event source mapping as Altus keeps it: one frozen record per mapping, its JSON
form in the store, and its form in Lambda's API (``EventSourceMappingConfiguration``).

Which fields the API shows depends on the source, as on Lambda: a queue mapping shows
no stream settings, a stream mapping echoes its defaults (``MaximumRetryAttempts -1``,
``ParallelizationFactor 1`` ...).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from altus.arns import Account
from altus.brokers.registry import redacted

#: The kinds of source a mapping reads, by the service part of its ARN.
QUEUE_SOURCES = frozenset({"sqs"})
STREAM_SOURCES = frozenset({"kinesis", "dynamodb"})
#: Brokers a mapping reads through ``SelfManagedEventSource`` (no ARN), by kind
#: (``altus.brokers.registry``).
BROKER_SOURCES = frozenset({"rabbitmq", "redis", "nats", "mqtt", "postgres"})

# States (Lambda's words) and the reasons it gives for a state change.
CREATING = "Creating"
ENABLING = "Enabling"
ENABLED = "Enabled"
DISABLING = "Disabling"
DISABLED = "Disabled"
UPDATING = "Updating"
DELETING = "Deleting"
#: States a mapping passes through: changes are refused while it is in one.
TRANSITIONS = frozenset({CREATING, ENABLING, DISABLING, UPDATING, DELETING})

#: The batching window of a broker mapping that was never given one, in seconds.
BROKER_DEFAULT_WINDOW = 0.5

#: What Lambda says of a mapping that has not processed anything yet.
NO_RECORDS = "No records processed"


@dataclass(frozen=True, slots=True)
class EventSourceMapping:
    uuid: str
    #: The function as the mapping names it: qualified if a version or alias was given.
    function_arn: str
    event_source_arn: str
    #: The service part of the source's ARN (``sqs``, ``kinesis``, ``dynamodb``).
    source: str
    batch_size: int
    #: ``MaximumBatchingWindowInSeconds`` as reported: whole seconds.
    window: int
    enabled: bool
    state: str
    state_reason: str
    #: Epoch seconds of the last change the user made.
    last_modified: float
    #: The filters' patterns, as given (JSON text each).
    filters: tuple[str, ...] = ()
    report_item_failures: bool = False
    maximum_concurrency: int | None = None
    metrics: tuple[str, ...] = ()
    # Streams only.
    starting_position: str | None = None
    starting_timestamp: float | None = None
    parallelization: int = 1
    bisect: bool = False
    maximum_retries: int = -1
    maximum_record_age: int = -1
    tumbling_window: int = 0
    on_failure: str | None = None
    last_result: str = NO_RECORDS
    tags: dict[str, str] = field(default_factory=dict)
    # Brokers only.
    #: ``SelfManagedEventSource.Endpoints``: the one key and its URL(s), as given.
    endpoints: dict[str, list[str]] = field(default_factory=dict)
    topics: tuple[str, ...] = ()
    queues: tuple[str, ...] = ()
    #: ``SourceAccessConfigurations``: ``{"Type": ..., "URI": ...}`` each, as given.
    access: tuple[dict[str, str], ...] = ()
    #: ``SelfManagedKafkaEventSourceConfig.ConsumerGroupId``: the name of what the
    #: mapping keeps on the broker, where given.
    consumer_group: str | None = None
    #: Whether ``MaximumBatchingWindowInSeconds`` was ever given: until it is, a broker
    #: mapping batches for half a second (Lambda's default for Amazon MQ and Kafka, which
    #: the field's whole seconds cannot express, so it cannot be set back either).
    window_given: bool = False

    @property
    def batching_window(self) -> float:
        """Seconds a batch may wait for more messages after its first."""
        if self.broker and not self.window_given:
            return BROKER_DEFAULT_WINDOW
        return float(self.window)

    @property
    def stream(self) -> bool:
        return self.source in STREAM_SOURCES

    @property
    def broker(self) -> bool:
        return self.source in BROKER_SOURCES

    @property
    def in_transition(self) -> bool:
        return self.state in TRANSITIONS

    def replace(self, **changes: Any) -> EventSourceMapping:
        return dataclasses.replace(self, **changes)

    # --- in the store ----------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        document = dataclasses.asdict(self)
        for name in ("filters", "metrics", "topics", "queues", "access"):
            document[name] = list(document[name])
        return document

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> EventSourceMapping:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in document.items() if k in known}
        for name in ("filters", "metrics", "topics", "queues"):
            values[name] = tuple(values.get(name) or ())
        values["access"] = tuple(dict(item) for item in values.get("access") or ())
        return cls(**values)

    # --- in the API ------------------------------------------------------------------------

    def arn(self, account: Account) -> str:
        return (
            f"arn:{account.partition}:lambda:{account.region}:{account.account_id}"
            f":event-source-mapping:{self.uuid}"
        )

    def to_api(self, account: Account) -> dict[str, Any]:
        out: dict[str, Any] = {
            "UUID": self.uuid,
            "BatchSize": self.batch_size,
            "MaximumBatchingWindowInSeconds": self.window,
            "EventSourceArn": self.event_source_arn,
            "FunctionArn": self.function_arn,
            "LastModified": datetime.fromtimestamp(self.last_modified, UTC),
            "LastProcessingResult": self.last_result,
            "State": self.state,
            "StateTransitionReason": self.state_reason,
            "FunctionResponseTypes": ["ReportBatchItemFailures"]
            if self.report_item_failures
            else [],
            "EventSourceMappingArn": self.arn(account),
        }
        if self.filters:
            out["FilterCriteria"] = {"Filters": [{"Pattern": p} for p in self.filters]}
        if self.maximum_concurrency is not None:
            out["ScalingConfig"] = {"MaximumConcurrency": self.maximum_concurrency}
        if self.metrics:
            out["MetricsConfig"] = {"Metrics": list(self.metrics)}
        if self.broker:
            return self._broker_api(out)
        if self.stream:
            out["StartingPosition"] = self.starting_position
            if self.starting_timestamp is not None:
                out["StartingPositionTimestamp"] = datetime.fromtimestamp(
                    self.starting_timestamp, UTC
                )
            out["ParallelizationFactor"] = self.parallelization
            out["BisectBatchOnFunctionError"] = self.bisect
            out["MaximumRetryAttempts"] = self.maximum_retries
            out["MaximumRecordAgeInSeconds"] = self.maximum_record_age
            out["TumblingWindowInSeconds"] = self.tumbling_window
            out["DestinationConfig"] = {
                "OnFailure": {"Destination": self.on_failure} if self.on_failure else {}
            }
        return out

    def _broker_api(self, out: dict[str, Any]) -> dict[str, Any]:
        """A broker's mapping, as Lambda shows a self-managed Kafka one: no source ARN,
        the endpoints, what it reads, and the error handling a broker takes."""
        del out["EventSourceArn"]
        out["SelfManagedEventSource"] = {
            "Endpoints": {k: [redacted(url) for url in v] for k, v in self.endpoints.items()}
        }
        if self.topics:
            out["Topics"] = list(self.topics)
        if self.queues:
            out["Queues"] = list(self.queues)
        if self.access:
            out["SourceAccessConfigurations"] = [dict(item) for item in self.access]
        if self.starting_position is not None:
            out["StartingPosition"] = self.starting_position
        if self.consumer_group is not None:
            out["SelfManagedKafkaEventSourceConfig"] = {"ConsumerGroupId": self.consumer_group}
        out["MaximumRetryAttempts"] = self.maximum_retries
        out["DestinationConfig"] = {
            "OnFailure": {"Destination": self.on_failure} if self.on_failure else {}
        }
        return out

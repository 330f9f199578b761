"""What event source mappings read from: the pull sources. A service whose resources a
mapping can poll registers its component for the service part of their ARNs (``sqs``,
``kinesis``), as targets do for what is sent to them (``altus.targets``); the mapping
engine (``altus.events``) finds a source by the event source ARN, never by importing
the service.

Two kinds, because queues and streams are read differently:

- a **queue** hands out messages that stay hidden while a batch is processed and are
  deleted once it succeeded (SQS);
- a **stream** keeps records in order per shard; the reader keeps its own position
  (a checkpoint: the last sequence number it finished) and reads after it (Kinesis).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

# --- queues ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueInfo:
    arn: str
    fifo: bool
    #: The queue's VisibilityTimeout (seconds): how long a received batch stays hidden.
    visibility_timeout: int


@dataclass(frozen=True, slots=True)
class QueueMessage:
    """One received message, with what Lambda's SQS record shows of it."""

    message_id: str
    receipt_handle: str
    body: str
    #: System attributes as SQS names them, all strings (``ApproximateReceiveCount``,
    #: ``SentTimestamp``, ``SenderId``, ``ApproximateFirstReceiveTimestamp``, and for
    #: FIFO queues ``SequenceNumber``, ``MessageGroupId``, ``MessageDeduplicationId``).
    attributes: Mapping[str, str]
    #: Message attributes in SQS wire form (``DataType``, ``StringValue`` /
    #: ``BinaryValue`` base64).
    message_attributes: Mapping[str, Mapping[str, str]]
    md5_of_body: str
    md5_of_message_attributes: str | None
    group_id: str | None = None


class QueueSource(Protocol):
    def queue_info(self, arn: str) -> QueueInfo | None:
        """The queue ``arn`` names, or None if there is none here."""
        ...

    async def receive_messages(
        self, arn: str, limit: int, visibility: int, wait: float
    ) -> list[QueueMessage]:
        """Up to ``limit`` messages (any number, not SQS's 10 per call), hidden for
        ``visibility`` seconds and counted as received (redrive to the queue's dead-letter
        queue applies as for ReceiveMessage); waits up to ``wait`` seconds for the first
        one. FIFO queues keep a group's messages back while any of its messages is in
        flight. Returns [] if the queue is gone or the server is shutting down. Durable
        before it returns."""
        ...

    async def delete_messages(self, arn: str, receipt_handles: Sequence[str]) -> None:
        """Delete what these receipts name, durably; receipts no longer current are
        ignored (the message went back to the queue and was received again)."""
        ...

    def backlog(self, arn: str) -> int:
        """About how many messages wait to be received (ApproximateNumberOfMessages)."""
        ...


# --- streams -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StreamInfo:
    arn: str
    name: str
    #: How long records are kept (hours).
    retention_hours: int


@dataclass(frozen=True, slots=True)
class ShardInfo:
    shard_id: str
    parent_shard_id: str | None = None
    adjacent_parent_shard_id: str | None = None
    #: A shard stops taking records when it is split or merged: it is closed then.
    closed: bool = False


@dataclass(frozen=True, slots=True)
class StreamRecord:
    #: A decimal string; increases within a shard (compare as integers).
    sequence_number: str
    partition_key: str
    data: bytes
    #: When the stream accepted it (epoch seconds, millisecond precision).
    arrival: float
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ShardRead:
    records: list[StreamRecord]
    #: How far behind the newest record of the shard the last record read is.
    millis_behind: int
    #: The shard is closed and nothing is left after the last record read: readers move
    #: on to its children.
    ended: bool


class StreamSource(Protocol):
    def stream_info(self, arn: str) -> StreamInfo | None:
        """The stream ``arn`` names (active or updating), or None if there is none."""
        ...

    def shards(self, arn: str) -> list[ShardInfo]:
        """Every shard the stream still keeps records of, parents before children;
        [] if the stream is gone."""
        ...

    def position(
        self, arn: str, shard_id: str, starting: str, timestamp: float | None = None
    ) -> str | None:
        """Where a new reader of the shard starts, as the sequence number it reads
        after (None: from the oldest record kept). ``starting`` is ``TRIM_HORIZON``,
        ``LATEST`` (after the newest record now) or ``AT_TIMESTAMP`` (the first record
        that arrived at or after ``timestamp``, epoch seconds)."""
        ...

    async def read(
        self, arn: str, shard_id: str, after: str | None, limit: int, max_bytes: int
    ) -> ShardRead:
        """Records of the shard after sequence number ``after`` (None: the oldest kept),
        at most ``limit`` of them and about ``max_bytes`` of data (always at least one
        if any is there). Records past the retention period are not returned. Raises
        LookupError if the stream or shard is gone."""
        ...

    async def wait(self, arn: str, shard_id: str, after: str | None, timeout: float) -> None:
        """Return when the shard has a record after ``after``, it ended, or ``timeout``
        seconds passed (or at once if the server is shutting down)."""
        ...


class SourceRegistry:
    def __init__(self) -> None:
        self._sources: dict[str, Any] = {}

    def register(self, arn_service: str, source: QueueSource | StreamSource) -> None:
        """Mappings of event source ARNs of ``arn_service`` read from ``source``."""
        self._sources[arn_service] = source

    def find(self, arn_service: str) -> QueueSource | StreamSource | None:
        found: QueueSource | StreamSource | None = self._sources.get(arn_service)
        return found

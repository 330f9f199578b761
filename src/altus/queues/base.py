"""The queue store interface and the records it keeps.

``QueueService`` keeps every queue and message in memory and computes each operation as
a plan, a list of ``QueueChange`` values (pure data). The store writes a plan in one
transaction, durably, before the service changes its memory or answers: a crash at any
point leaves the old state or the new one, never half, and loses no acknowledged
message. ``sql_store.SqlQueueStore`` implements it on every ``altus.store`` database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

#: A message attribute in SQS wire form, e.g. ``{"DataType": "Number", "StringValue":
#: "3"}`` or ``{"DataType": "Binary", "BinaryValue": "<base64>"}``.
Attribute = dict[str, str]


@dataclass(slots=True)
class Queue:
    name: str
    #: The queue's settable attributes as SQS reports them (strings), defaults included.
    attributes: dict[str, str]
    tags: dict[str, str] = field(default_factory=dict)
    created_ms: int = 0
    modified_ms: int = 0
    #: When the last PurgeQueue began (one purge per 60 seconds).
    purged_ms: int = 0

    @property
    def fifo(self) -> bool:
        return self.attributes.get("FifoQueue") == "true"

    def number(self, name: str) -> int:
        return int(self.attributes[name])


@dataclass(slots=True)
class Message:
    queue: str
    id: str
    #: Send order within the whole database: FIFO order and ``SequenceNumber``.
    seq: int
    body: str
    attributes: dict[str, Attribute]
    #: System attributes sent with the message (``AWSTraceHeader``).
    system: dict[str, Attribute]
    sent_ms: int
    #: When it can next be received: its send time plus its delay, or the end of the
    #: visibility timeout of its latest receive.
    visible_ms: int
    sender_id: str
    receive_count: int = 0
    first_receive_ms: int = 0
    #: The token of the latest receive (in that receive's receipt handle); "" if none.
    receipt: str = ""
    group_id: str | None = None
    dedup_id: str | None = None
    #: The queue a redrive moved it from (``DeadLetterQueueSourceArn``).
    source_arn: str | None = None

    def in_flight(self, now_ms: int) -> bool:
        return self.receive_count > 0 and self.visible_ms > now_ms


@dataclass(frozen=True, slots=True)
class Dedup:
    """A FIFO deduplication id seen in the last five minutes and the send it stood for."""

    queue: str
    key: str
    message_id: str
    seq: int
    expires_ms: int


@dataclass(frozen=True, slots=True)
class PutQueue:
    """Insert or replace a queue (its attributes, tags, purge time)."""

    queue: Queue


@dataclass(frozen=True, slots=True)
class DropQueue:
    """Remove a queue with its messages and deduplication ids."""

    name: str


@dataclass(frozen=True, slots=True)
class PutMessage:
    """Insert a message (a send, or a redrive into a dead-letter queue)."""

    message: Message


@dataclass(frozen=True, slots=True)
class PutDelivery:
    """Record a receive or a visibility change: the fields that change, not the body."""

    queue: str
    id: str
    visible_ms: int
    receive_count: int
    first_receive_ms: int
    receipt: str


@dataclass(frozen=True, slots=True)
class DropMessages:
    """Delete messages of one queue; ids already gone are ignored."""

    queue: str
    ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DropAllMessages:
    """PurgeQueue: delete every message of a queue."""

    queue: str


@dataclass(frozen=True, slots=True)
class PutDedup:
    dedup: Dedup


@dataclass(frozen=True, slots=True)
class DropDedups:
    """Forget the deduplication ids that expired by ``before_ms``."""

    before_ms: int


QueueChange = (
    PutQueue
    | DropQueue
    | PutMessage
    | PutDelivery
    | DropMessages
    | DropAllMessages
    | PutDedup
    | DropDedups
)


@dataclass(slots=True)
class Snapshot:
    """Everything a store holds, as ``load`` returns it."""

    queues: list[Queue]
    messages: list[Message]
    dedups: list[Dedup]


class QueueStore(Protocol):
    """Where the queues live between restarts. Coroutines whose work runs off the event
    loop."""

    async def load(self) -> Snapshot:
        """Every queue, message (in ``seq`` order) and deduplication id stored."""
        ...

    async def apply(self, plans: Sequence[Sequence[QueueChange]]) -> list[Exception | None]:
        """Write each plan all-or-nothing, independently of the others, and return once
        they are durable with, per plan, None or the error that kept it from being
        written. Several plans share one commit (group commit). Raises
        ``altus.store.database.DatabaseError`` only when nothing could be written."""
        ...

"""What a mapping's poller asks of a broker, whichever broker it is.

A ``Consumer`` is made per mapping (by ``connect``, from a ``Subscription``) and read in
rounds: ``fetch`` messages, invoke the function with ``event(messages)``, then ``ack``
what the function finished. The poller keeps the rules that are the same everywhere
(batching, filters, retries, the on-failure destination, back-off); a consumer only
speaks its broker's protocol.

The contract every consumer keeps:

- **At least once.** A message is acknowledged to the broker only by ``ack``; one fetched
  and never acknowledged (the function failed, Altus stopped, the connection dropped) is
  delivered again, by a later ``fetch`` of this consumer or of the next one made after a
  reconnect or a restart.
- **In order.** Messages of one ``Message.group`` (a queue, a stream key, a subject, a
  topic, a table) are fetched in the broker's order, and ``ack`` is always given a prefix
  of what was fetched and not yet acknowledged, in fetch order: a consumer whose broker
  keeps a position (a replication slot) may move it to the end of that prefix.
- **No more in hand than asked.** ``fetch(limit, ...)`` returns at most ``limit``
  messages; the poller fetches again only once everything in hand is acknowledged, so a
  consumer may bound the broker's deliveries to ``limit`` (a prefetch count).
- **Failures are ``BrokerError``s.** Anything the broker or the network does wrong is
  raised as one, with its ``kind``; the poller closes the consumer, waits, and connects
  again. Messages in hand then are forgotten (the broker delivers them again).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

#: The kinds of failure, by what a user has to do about them.
CONNECTION = "connection"  # the broker is unreachable or went away: it is retried
AUTHENTICATION = "authentication"  # the credentials were refused
CONFIGURATION = "configuration"  # what the mapping names does not exist or cannot be read


class BrokerError(Exception):
    """A broker or the way to it failed."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True, slots=True)
class Endpoint:
    """The broker: its kind (``rabbitmq``, ``redis``, ``nats``, ``mqtt``, ``postgres``),
    its URL as the mapping gives it, and credentials from a ``BASIC_AUTH`` secret, which
    take the place of any in the URL."""

    kind: str
    #: Out of ``repr``: a URL may hold a password.
    url: str = field(repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Subscription:
    """What one mapping reads, and how."""

    #: The mapping's UUID: the default name of what the consumer keeps on the broker
    #: (a consumer group, a durable consumer, an MQTT session, a replication slot).
    mapping_id: str
    endpoint: Endpoint
    #: The queue (RabbitMQ: one) or the topics (stream keys, subjects, topic filters,
    #: ``schema.table`` names).
    names: tuple[str, ...]
    #: ``SelfManagedKafkaEventSourceConfig.ConsumerGroupId``, where given: the name used
    #: instead of one made of the mapping's UUID.
    consumer_group: str | None = None
    #: ``TRIM_HORIZON`` or ``LATEST`` where the broker has a position to start from; None
    #: where it has not (queues).
    starting_position: str | None = None
    #: RabbitMQ's virtual host from a ``VIRTUAL_HOST`` access configuration (the URL's
    #: own otherwise).
    virtual_host: str | None = None
    #: The most a fetched batch may stay unacknowledged while the function runs and is
    #: retried (its timeout and batching window, and a margin): where a broker takes
    #: back what is not acknowledged in time (NATS's ack wait), at least this.
    hold_seconds: float = 960.0
    #: ``BatchSize``: the most messages a fetch returns.
    batch_size: int = 100


@dataclass(frozen=True, slots=True)
class Message:
    """One delivered message or change, as the function will see it."""

    #: Unique among what one consumer has in hand: ``itemIdentifier`` in a
    #: ReportBatchItemFailures response.
    id: str
    #: Where it came from (the queue, stream key, subject, topic or table): the order of
    #: a group's messages is kept.
    group: str
    #: Its record in the event, as ``Consumer.event`` puts it there (JSON values).
    record: Mapping[str, Any]
    #: What FilterCriteria patterns are matched against.
    filter_view: Mapping[str, Any]
    #: About how many bytes it adds to the event (the 6 MB cap).
    size: int
    #: The consumer's own handle for acknowledging it (a delivery tag, an entry id ...).
    token: Any = None


class Consumer(Protocol):
    async def open(self) -> None:
        """Connect, and make sure what the mapping reads exists and can be read (a
        consumer group, a durable consumer, a session, a slot made where there is none
        yet, at the subscription's starting position). Raises ``BrokerError``."""
        ...

    async def fetch(self, limit: int, wait: float) -> list[Message]:
        """Up to ``limit`` messages not in hand yet, waiting up to ``wait`` seconds for
        the first (none after that: ``[]``). Never one an earlier fetch of this consumer
        returned (the poller fetches several times while it fills a batch); those
        delivered to an earlier consumer and never acknowledged come first."""
        ...

    async def ack(self, messages: Sequence[Message]) -> None:
        """Acknowledge ``messages`` (a prefix of those in hand, in fetch order) to the
        broker; done once it returns, as far as the protocol confirms it."""
        ...

    async def hold(self, messages: Sequence[Message]) -> None:
        """``messages`` are still being worked on (a retry waits): tell a broker that
        takes back unacknowledged messages after a while to wait longer. Most do
        nothing."""
        ...

    def event(self, messages: Sequence[Message]) -> dict[str, Any]:
        """The function's event for a batch of ``messages`` (all fetched by this
        consumer), in the broker's documented shape."""
        ...

    async def close(self) -> None:
        """Disconnect; never raises. Unacknowledged messages go back to the broker."""
        ...

    async def forget(self) -> None:
        """The mapping is deleted: remove what the consumer keeps on the broker (a
        replication slot and publication, a consumer group, a durable consumer, a
        session), so nothing stays pinned. Connects on its own; raises ``BrokerError``
        if it cannot (the deletion is tried again)."""
        ...


class Connector(Protocol):
    def __call__(self, subscription: Subscription) -> Consumer:
        """A consumer for ``subscription`` (not connected yet)."""
        ...


def records_event(messages: Sequence[Message]) -> dict[str, Any]:
    """``{"Records": [...]}``: the event of every broker whose records are a list."""
    return {"Records": [dict(message.record) for message in messages]}


def parsed(text: str) -> Any:
    """``text`` as a filter sees a message's data: parsed where it is a JSON object or
    array (as Lambda filters SQS bodies and Kinesis data), else the text as it is. Never
    raises: a document nested too deep to parse stays text, so one such message cannot
    stop a mapping."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return text
    return value if isinstance(value, (dict, list)) else text

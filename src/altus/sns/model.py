"""What SNS keeps: topics, subscriptions, messages waiting to be delivered and their
deliveries, FIFO deduplication ids; and the changes the store applies, as frozen data.

A message is stored only while a delivery of it is pending: Publish writes the message
and one delivery per subscription that takes it in one plan, before it answers; each
delivery is deleted once its endpoint has the message (or it is given up), and the
message with the last of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

#: What a message is to its endpoint (``Type`` in the envelope).
NOTIFICATION = "Notification"
CONFIRMATION = "SubscriptionConfirmation"
UNSUBSCRIBE = "UnsubscribeConfirmation"

#: A message attribute as SNS shows it: ``{"Type": "String", "Value": "x"}`` (a Binary
#: value in base64).
Attributes = Mapping[str, Mapping[str, str]]


@dataclass(frozen=True, slots=True)
class Topic:
    name: str
    #: The attributes set on it (DisplayName, Policy, DeliveryPolicy, FifoTopic ...), as
    #: strings; those SNS computes (counts, TopicArn, Owner) are not kept.
    attributes: Mapping[str, str]
    #: In the order they were added.
    tags: tuple[tuple[str, str], ...]
    created_ms: int

    @property
    def fifo(self) -> bool:
        return self.attributes.get("FifoTopic") == "true"


@dataclass(frozen=True, slots=True)
class Subscription:
    arn: str
    #: The topic's name.
    topic: str
    protocol: str
    endpoint: str
    owner: str
    #: Who subscribed (SubscriptionPrincipal).
    principal: str
    #: RawMessageDelivery, FilterPolicy, FilterPolicyScope, RedrivePolicy, DeliveryPolicy.
    attributes: Mapping[str, str]
    confirmed: bool
    #: The confirmation token of a pending subscription (and of a confirmed one, which
    #: confirms again idempotently).
    token: str | None
    token_expires_ms: int
    #: ConfirmationWasAuthenticated: a confirmation by a signed call, or none needed.
    authenticated: bool
    created_ms: int
    #: Confirmed with AuthenticateOnUnsubscribe: only a signed Unsubscribe ends it (not
    #: the UnsubscribeURL).
    authenticate_unsubscribe: bool = False


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    #: The topic's ARN.
    topic: str
    #: NOTIFICATION, CONFIRMATION or UNSUBSCRIBE.
    kind: str
    #: The message (MessageStructure=json: its ``default``).
    text: str
    #: MessageStructure=json: the message per protocol (``sqs``, ``lambda``, ``http`` ...).
    per_protocol: Mapping[str, str] = field(default_factory=dict)
    subject: str | None = None
    attributes: Attributes = field(default_factory=dict)
    timestamp_ms: int = 0
    group_id: str | None = None
    dedup_id: str | None = None
    #: A FIFO topic's sequence number of the message.
    sequence: str | None = None
    #: Confirmations: the token their SubscribeURL carries.
    token: str | None = None
    #: The publisher's X-Ray trace header: a function subscribed is invoked in its
    #: trace, a queue's message carries it as ``AWSTraceHeader``.
    trace: str | None = None

    def text_for(self, protocol: str) -> str:
        return self.per_protocol.get(protocol, self.text)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message on its way to one subscription's endpoint."""

    #: Unique, in the order deliveries were made.
    seq: int
    message_id: str
    subscription: str
    #: The endpoint as it was when the message was published (an unsubscribed endpoint
    #: still gets its UnsubscribeConfirmation).
    protocol: str
    endpoint: str
    #: Attempts made so far; when the next one is due (ms since the epoch).
    attempts: int = 0
    due_ms: int = 0


@dataclass(frozen=True, slots=True)
class Dedup:
    """A FIFO topic's deduplication id, held five minutes: a publish with it meanwhile
    answers what the first one did and delivers nothing."""

    topic: str
    dedup_id: str
    message_id: str
    sequence: str
    expires_ms: int


# --- changes -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PutTopic:
    topic: Topic


@dataclass(frozen=True, slots=True)
class DropTopic:
    """The topic and everything of it: subscriptions, deliveries, messages, dedup ids."""

    name: str
    arn: str


@dataclass(frozen=True, slots=True)
class PutSubscription:
    subscription: Subscription


@dataclass(frozen=True, slots=True)
class DropSubscription:
    """The subscription and its pending deliveries (but the one of its own
    UnsubscribeConfirmation, added in the same plan after this)."""

    arn: str


@dataclass(frozen=True, slots=True)
class AddMessage:
    message: Message
    deliveries: tuple[Delivery, ...]


@dataclass(frozen=True, slots=True)
class PutDelivery:
    """A delivery's next attempt."""

    delivery: Delivery


@dataclass(frozen=True, slots=True)
class DropDelivery:
    seq: int


@dataclass(frozen=True, slots=True)
class DropMessage:
    id: str


@dataclass(frozen=True, slots=True)
class PutDedup:
    dedup: Dedup


@dataclass(frozen=True, slots=True)
class DropDedups:
    """Every deduplication id that expired before ``before_ms``."""

    before_ms: int


Change = (
    PutTopic
    | DropTopic
    | PutSubscription
    | DropSubscription
    | AddMessage
    | PutDelivery
    | DropDelivery
    | DropMessage
    | PutDedup
    | DropDedups
)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything stored, read once at start."""

    topics: list[Topic]
    subscriptions: list[Subscription]
    #: Messages some delivery still refers to.
    messages: list[Message]
    deliveries: list[Delivery]
    dedups: list[Dedup]

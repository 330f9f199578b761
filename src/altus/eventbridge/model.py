"""EventBridge's state as frozen data, and the changes a plan is made of.

A bus holds its rules, a rule holds its targets (at most five: rewritten with the rule).
A delivery is one event on its way to one target of one rule: the event's text is kept
once (``StoredEvent``) while a delivery refers to it; the delivery keeps what it needs to
be made without the rule (its input, the target's ARN, role, retry policy and
dead-letter queue), so deleting a rule or changing a target leaves deliveries already
accepted to go on as AWS's do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: Retry policy defaults (EventBridge's: 24 hours, 185 retries).
DEFAULT_RETRIES = 185
DEFAULT_MAX_AGE_S = 86400


@dataclass(frozen=True, slots=True)
class Bus:
    name: str
    description: str | None = None
    #: The bus's resource policy (PutPermission), as JSON text; None without one.
    policy: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    created_ms: int = 0
    modified_ms: int = 0


@dataclass(frozen=True, slots=True)
class Rule:
    bus: str
    name: str
    event_pattern: str | None = None
    schedule: str | None = None
    state: str = "ENABLED"
    description: str | None = None
    role_arn: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    #: Targets in the order they were put, each the model's ``Target`` members.
    targets: tuple[Mapping[str, Any], ...] = ()
    created_ms: int = 0
    #: A scheduled rule's next fire time (epoch ms); None for a pattern rule, or one
    #: that has no next time.
    next_fire_ms: int | None = None


@dataclass(frozen=True, slots=True)
class StoredEvent:
    id: str
    #: The event as delivered (compact JSON).
    body: str
    #: When it was accepted (epoch ms): what MaximumEventAgeInSeconds counts from.
    ingested_ms: int
    #: Its X-Ray trace header (PutEvents' ``TraceHeader``, else the caller's
    #: ``X-Amzn-Trace-Id``): the targets' invocations and messages carry it on.
    trace: str | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    seq: int
    event_id: str
    rule_arn: str
    target_id: str
    target_arn: str
    #: What the target receives; None: the event itself.
    input: str | None
    role_arn: str | None = None
    dead_letter_arn: str | None = None
    max_retries: int = DEFAULT_RETRIES
    max_age_s: int = DEFAULT_MAX_AGE_S
    message_group_id: str | None = None
    attempts: int = 0
    due_ms: int = 0


# --- changes -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PutBus:
    bus: Bus


@dataclass(frozen=True, slots=True)
class DropBus:
    """Drops the bus and its rules (deliveries already accepted go on)."""

    name: str


@dataclass(frozen=True, slots=True)
class PutRule:
    rule: Rule


@dataclass(frozen=True, slots=True)
class DropRule:
    bus: str
    name: str


@dataclass(frozen=True, slots=True)
class AddEvent:
    """An accepted event and its deliveries (none: nothing matched, nothing written)."""

    event: StoredEvent
    deliveries: Sequence[Delivery]


@dataclass(frozen=True, slots=True)
class SetFire:
    """A scheduled rule's next fire time (fired together with its deliveries)."""

    bus: str
    name: str
    next_fire_ms: int | None


@dataclass(frozen=True, slots=True)
class PutDelivery:
    """A delivery's attempts and next due time."""

    delivery: Delivery


@dataclass(frozen=True, slots=True)
class DropDelivery:
    """The delivery is over; its event goes with its last delivery."""

    seq: int


Change = PutBus | DropBus | PutRule | DropRule | AddEvent | SetFire | PutDelivery | DropDelivery


@dataclass(frozen=True, slots=True)
class Snapshot:
    buses: list[Bus]
    rules: list[Rule]
    events: list[StoredEvent]
    deliveries: list[Delivery] = field(default_factory=list)

"""Accepting events: each is matched against its bus's enabled rules at once, and each
(rule, target) delivery is planned with the target's input computed now (so a target
changed later does not change what an accepted event becomes). The event and its
deliveries are one ``AddEvent`` change; the caller writes the plans of a whole request
together, before it answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from altus import ids
from altus.arns import parse_arn
from altus.eventbridge import transform
from altus.eventbridge.entries import compact, iso_seconds
from altus.eventbridge.model import (
    DEFAULT_MAX_AGE_S,
    DEFAULT_RETRIES,
    AddEvent,
    Delivery,
    Rule,
    StoredEvent,
)
from altus.eventbridge.state import BusState, Core


def deliveries_for(
    core: Core,
    rule: Rule,
    event: Mapping[str, Any],
    stored: StoredEvent,
    due_ms: int,
    *,
    forwarded: bool = False,
) -> list[Delivery]:
    """One delivery per target of ``rule``, for ``event``; ``forwarded`` (the event came
    from another bus through a bus target): none to the rule's bus targets."""
    rule_arn = core.rule_arn(rule.bus, rule.name)
    ingestion = iso_seconds(stored.ingested_ms / 1000)
    found: list[Delivery] = []
    for target in rule.targets:
        if forwarded and is_bus(str(target["Arn"])):
            continue
        retry = target.get("RetryPolicy") or {}
        dead_letter = target.get("DeadLetterConfig") or {}
        sqs = target.get("SqsParameters") or {}
        found.append(
            Delivery(
                seq=core.next_seq(),
                event_id=stored.id,
                rule_arn=rule_arn,
                target_id=str(target["Id"]),
                target_arn=str(target["Arn"]),
                input=transform.target_input(target, event, stored.body, rule_arn, ingestion),
                role_arn=target.get("RoleArn"),
                dead_letter_arn=dead_letter.get("Arn"),
                max_retries=int(retry.get("MaximumRetryAttempts", DEFAULT_RETRIES)),
                max_age_s=int(retry.get("MaximumEventAgeInSeconds", DEFAULT_MAX_AGE_S)),
                message_group_id=sqs.get("MessageGroupId"),
                attempts=0,
                due_ms=due_ms,
            )
        )
    return found


def is_bus(arn: str) -> bool:
    parsed = parse_arn(arn)
    return parsed is not None and parsed.service == "events"


def plan_event(
    core: Core,
    bus: BusState,
    event: dict[str, Any],
    *,
    forwarded: bool = False,
    trace: str | None = None,
) -> AddEvent:
    """The event and a delivery to each target of each enabled rule it matches (none to
    a bus target for an event that came from another bus: ``deliveries_for``)."""
    now = core.now_ms()
    # Stored under a key of its own: an event forwarded from bus to bus keeps its id
    # while the first bus's delivery of it is still pending.
    stored = StoredEvent(ids.request_id(), compact(event), now, trace)
    deliveries: list[Delivery] = []
    for name, pattern in bus.patterns.items():
        rule = bus.rules[name]
        if rule.state == "DISABLED" or not rule.targets:
            continue
        if pattern.matches(event):
            deliveries.extend(deliveries_for(core, rule, event, stored, now, forwarded=forwarded))
    return AddEvent(stored, deliveries)

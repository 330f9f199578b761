"""The delivery worker: hands each pending (event, rule, target) delivery to its target
through ``altus.events.handoff``, deletes it once the target has it, retries a failure
on the target's retry policy (``retries``), and gives up to the target's dead-letter
queue, or the log, when the policy is spent or the failure is one no retry can mend
(missing permissions, a target that is gone: AWS sends those to the DLQ at once).

Deliveries wait in memory in a heap by due time, mirrored by their rows in the store; a
PutEvents adds them once they are written and wakes the worker. At most
``CONCURRENCY`` attempts run at a time, each bounded by ``HANDOFF_TIMEOUT_S`` (a
timeout is retried). Each end (delivered, retried, given up) is a plan written through
the group commit before memory follows it; a write that fails leaves the delivery as it
was, tried again after a back-off. A crash loses no delivery: what was not yet deleted
is loaded again and tried again (so a target may get an event twice, as EventBridge's
at-least-once delivery allows). An event older than its target's
``MaximumEventAgeInSeconds`` is not attempted again: it is given up at once.

Known limit: every pending delivery is held in memory (the heap and its event), so a
target that stays down while events keep coming grows memory until the retry policy
gives up on them (docs/eventbridge.md).

A target's ``RoleArn`` is EventBridge's to act as only where requests are authorised
(``--auth iam``): the role must exist and trust ``events.amazonaws.com``. Elsewhere a
function, queue or topic target is reached as AWS reaches them, by their resource
policies (a function's policy must allow ``events.amazonaws.com``), whatever role it
names. A FIFO queue target gets a deduplication id made of the event's id, the rule
and the target (the same for every retry, and after a restart), so distinct events with
equal input are distinct messages.

The dead-letter record is the event as it was to be delivered (the target's input),
with the message attributes AWS documents: ``RULE_ARN``, ``TARGET_ARN``,
``ERROR_CODE``, ``ERROR_MESSAGE``, ``EXHAUSTED_RETRY_CONDITION`` (for a spent policy)
and ``RETRY_ATTEMPTS``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import random
from collections.abc import Callable, Iterable

from altus.arns import parse_arn
from altus.engine.due import DueWorker
from altus.eventbridge import retries
from altus.eventbridge.model import Delivery, DropDelivery, PutDelivery, StoredEvent
from altus.eventbridge.state import Core
from altus.events.handoff import (
    HandOffFailed,
    RoleTrust,
    check_pushed,
    error_category,
    hand_off,
)
from altus.identity.authenticator import Identity
from altus.targets import TargetRegistry

log = logging.getLogger(__name__)

#: Attempts running at once.
CONCURRENCY = 64
SERVICE_PRINCIPAL = "events.amazonaws.com"
#: Seconds an attempt may take before it counts as failed (and is retried).
HANDOFF_TIMEOUT_S = 30.0
#: The longest wait before a delivery whose bookkeeping could not be written is tried
#: again (doubling from 1 s).
STORE_RETRY_MAX_S = 60.0
#: The attribute a rule's bus target sends with an event, so the receiving bus routes it
#: to no further bus (``EventBridge.deliver``).
FORWARDED = "altus.eventbridge.forwarded-by"
#: Targets EventBridge reaches through their resource policies, never as a role, where
#: requests are not authorised.
_POLICY_TARGETS = ("lambda", "sqs", "sns")


def deduplication_id(envelope_id: str, rule_arn: str, target_id: str) -> str:
    """A FIFO queue target's deduplication id for one event: the same on every attempt
    and after a restart, different for every event, rule and target."""
    text = f"{envelope_id}\n{rule_arn}\n{target_id}"
    return hashlib.sha256(text.encode()).hexdigest()


class Deliveries(DueWorker[Delivery]):
    _log = log
    _crash_message = "an EventBridge delivery attempt failed"

    def __init__(
        self,
        core: Core,
        targets: TargetRegistry,
        identity: Identity,
        roles: RoleTrust | None = None,
        draw: Callable[[], float] = random.random,
    ) -> None:
        super().__init__(core.clock, CONCURRENCY)
        self._core = core
        self._targets = targets
        self._identity = identity
        self._roles = roles
        self._draw = draw
        #: Seconds an attempt may take (tests shorten it).
        self.timeout = HANDOFF_TIMEOUT_S
        #: Failed bookkeeping writes in a row, by delivery (for their back-off).
        self._write_failures: dict[int, int] = {}
        self._events: dict[str, StoredEvent] = {}
        self._refs: dict[str, set[int]] = {}
        #: Counts, for tests and metrics: delivered, retried, given up, dead-lettered.
        self.delivered = 0
        self.retried = 0
        self.abandoned = 0
        self.dead_lettered = 0

    # --- what is pending -----------------------------------------------------------------

    def add(self, event: StoredEvent, deliveries: Iterable[Delivery]) -> None:
        """Deliveries now written to the store: they are due."""
        for delivery in deliveries:
            self._events[event.id] = event
            self._refs.setdefault(event.id, set()).add(delivery.seq)
            self._schedule(delivery)
        self._wake.set()

    def _remove(self, seq: int) -> None:
        delivery = self._pending.pop(seq, None)
        if delivery is None:
            return
        refs = self._refs.get(delivery.event_id)
        if refs is not None:
            refs.discard(seq)
            if not refs:
                del self._refs[delivery.event_id]
                self._events.pop(delivery.event_id, None)

    # --- one attempt -----------------------------------------------------------------------

    async def _attempt(self, delivery: Delivery) -> None:
        event = self._events.get(delivery.event_id)
        if event is None:
            await self._end(delivery)
            return
        payload = delivery.input if delivery.input is not None else event.body
        now = self._core.now_ms()
        if now > event.ingested_ms + delivery.max_age_s * 1000:
            # Due after its age ran out (the server was down, or busy): not attempted.
            stale = HandOffFailed(
                "MaximumEventAgeExceeded",
                f"The event is older than MaximumEventAgeInSeconds ({delivery.max_age_s}).",
                permanent=False,
            )
            self.abandoned += 1
            await self._give_up(delivery, payload, stale, retries.TOO_OLD)
            await self._end(delivery)
            return
        kind = _service(delivery.target_arn)
        role = delivery.role_arn
        if not self._identity.enforcing and kind in _POLICY_TARGETS:
            role = None
        dedup = None
        if kind == "sqs" and delivery.target_arn.endswith(".fifo"):
            dedup = deduplication_id(_envelope_id(event), delivery.rule_arn, delivery.target_id)
        forwarded = None
        if kind == "events":
            forwarded = {FORWARDED: {"DataType": "String", "StringValue": delivery.rule_arn}}
        try:
            await hand_off(
                self._targets,
                self._identity,
                self._core.account,
                target_arn=delivery.target_arn,
                payload=payload,
                service_principal=SERVICE_PRINCIPAL,
                source_arn=delivery.rule_arn,
                role_arn=role,
                message_group_id=delivery.message_group_id,
                deduplication_id=dedup,
                attributes=forwarded,
                roles=self._roles,
                timeout=self.timeout,
                trace=event.trace,
            )
        except HandOffFailed as failure:
            await self._failed(delivery, event, payload, failure)
        else:
            self.delivered += 1
            await self._end(delivery)

    async def _failed(
        self, delivery: Delivery, event: StoredEvent, payload: str, failure: HandOffFailed
    ) -> None:
        retry = delivery.attempts + 1
        now = self._core.now_ms()
        if failure.permanent:
            following = retries.Next(None)
        else:
            following = retries.next_attempt(
                retry,
                now,
                event.ingested_ms,
                delivery.max_retries,
                delivery.max_age_s,
                self._draw,
            )
        if following.due_ms is None:
            self.abandoned += 1
            await self._give_up(delivery, payload, failure, following.exhausted)
            await self._end(delivery)
            return
        again = dataclasses.replace(delivery, attempts=retry, due_ms=following.due_ms)

        def applied() -> None:
            self.retried += 1
            self._write_failures.pop(delivery.seq, None)
            self._requeue(again)

        try:
            await self._core.write([PutDelivery(again)], applied)
        except Exception:
            self._store_failed(delivery, "record a retry of")

    def _store_failed(self, delivery: Delivery, what: str) -> None:
        """Its bookkeeping was not written: the delivery stays as its row has it, and is
        tried again after a back-off (doubling to ``STORE_RETRY_MAX_S``)."""
        failures = self._write_failures.get(delivery.seq, 0) + 1
        self._write_failures[delivery.seq] = failures
        delay = min(2.0 ** (failures - 1), STORE_RETRY_MAX_S)
        log.warning(
            "could not %s EventBridge delivery %d: trying it again in %.0f s",
            what,
            delivery.seq,
            delay,
        )
        self._requeue(dataclasses.replace(delivery, due_ms=self._core.now_ms() + int(delay * 1000)))

    async def _give_up(
        self, delivery: Delivery, payload: str, failure: HandOffFailed, exhausted: str | None
    ) -> None:
        if delivery.dead_letter_arn is None:
            log.warning(
                "EventBridge gave up delivering event %s of %s to %s: %s",
                delivery.event_id,
                delivery.rule_arn,
                delivery.target_arn,
                failure.message,
            )
            return
        attributes = {
            "RULE_ARN": delivery.rule_arn,
            "TARGET_ARN": delivery.target_arn,
            "ERROR_CODE": error_category(failure),
            "ERROR_MESSAGE": failure.message[:1024],
            "RETRY_ATTEMPTS": str(delivery.attempts),
        }
        if exhausted is not None:
            attributes["EXHAUSTED_RETRY_CONDITION"] = exhausted
        wire = {k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()}
        queues = self._targets.find("sqs")
        try:
            if queues is None:
                raise RuntimeError("the SQS service does not run here")
            # The dead-letter queue's own policy must let EventBridge send to it, as on AWS.
            check_pushed(
                self._identity,
                self._targets,
                service_principal=SERVICE_PRINCIPAL,
                source_arn=delivery.rule_arn,
                source_account=self._core.account.account_id,
                target_arn=delivery.dead_letter_arn,
            )
            await queues.deliver(delivery.dead_letter_arn, payload, wire)
        except Exception as error:
            log.warning(
                "EventBridge could not move event %s to the dead-letter queue %s: %s",
                delivery.event_id,
                delivery.dead_letter_arn,
                getattr(error, "message", repr(error)),
            )
        else:
            self.dead_lettered += 1

    async def _end(self, delivery: Delivery) -> None:
        """The delivery is over: delete its row (and its event's, if it was the last),
        then forget it. If the store fails, it stays, and is tried again after a
        back-off (the target may get it twice: at least once)."""

        def applied() -> None:
            self._write_failures.pop(delivery.seq, None)
            self._remove(delivery.seq)

        try:
            await self._core.write([DropDelivery(delivery.seq)], applied)
        except Exception:
            self._store_failed(delivery, "delete the ended")


def _service(arn: str) -> str:
    parsed = parse_arn(arn)
    return parsed.service if parsed is not None else ""


def _envelope_id(event: StoredEvent) -> str:
    """The id in the event's envelope (what its targets see): the stored event's key is
    another (an event forwarded between buses keeps its envelope id)."""
    try:
        found = json.loads(event.body).get("id")
    except (ValueError, AttributeError):
        found = None
    return found if isinstance(found, str) else event.id

"""The delivery worker: hands each fired occurrence to its schedule's target through
``altus.events.handoff`` (as ``scheduler.amazonaws.com``, acting as the target's
RoleArn), deletes its row once the target has it, retries a failure on the target's
RetryPolicy (``retries``), and gives up to the DeadLetterConfig queue, or the log, when
the policy is spent or the failure is one no retry can mend (missing permissions, a
target that is gone: those go to the dead-letter queue at once).

Deliveries wait in memory in a heap by due time, mirrored by their rows in the store.
A crash loses none: a row not yet deleted is tried again after a restart (so a target
may, rarely, get an occurrence twice: a crash between the target taking it and the row's
deletion; a FIFO queue deduplicates it by the occurrence's execution id).

The dead-letter message is the payload that was to be delivered, with the message
attributes of the Scheduler user guide's dead-letter example: ``ERROR_CODE`` (the
target's error code), ``ERROR_MESSAGE``, ``EXHAUSTED_RETRY_CONDITION`` (for a spent
policy), ``RETRY_ATTEMPTS``, ``SCHEDULE_ARN``, ``SCHEDULED_TIME`` and ``TARGET_ARN``
(names as recalled from that page: the corpus Altus was built with did not hold it).

Where requests are authenticated (``--auth iam``) the role must exist and trust
``scheduler.amazonaws.com`` (else a permanent failure: straight to the dead-letter
queue), and the dead-letter queue is written as the role's session too: it must be
allowed ``sqs:SendMessage`` on that queue (by its own policies or the queue's), as on
AWS, where the execution role writes the dead-letter queue. (The role's trust is not
asked again for that write, so a role that does not trust Scheduler still gets its
occurrences dead-lettered: what the failure was is then visible.)

MaximumEventAgeInSeconds counts from when the occurrence was meant to fire (its
scheduled time plus its flexible delay: a window of up to a day must not age an
occurrence before its first attempt). An occurrence caught up after a restart older
than that is not attempted: it goes to the dead-letter queue (EXHAUSTED_RETRY_CONDITION
MaximumEventAgeInSeconds), as a retry due past the age would.

An attempt that fails otherwise than by the hand-off (a fault of Altus's own, a store
that refuses the retry's row) is tried again after a back-off of its own (1 s doubling
to ``FAULT_RETRY_MAX_S``), never left waiting for a restart.
"""

from __future__ import annotations

import dataclasses
import logging
import random
from collections.abc import Callable

from altus.engine.due import DueWorker
from altus.events.handoff import HandOffFailed, RoleTrust, hand_off
from altus.identity.authenticator import Identity
from altus.scheduler import payload, retries
from altus.scheduler.model import Delivery, DropDelivery, PutDelivery
from altus.scheduler.state import Core
from altus.targets import TargetRegistry

log = logging.getLogger(__name__)

CONCURRENCY = 64
SERVICE_PRINCIPAL = "scheduler.amazonaws.com"
#: The longest one hand-off may take (then it fails, and is retried).
HANDOFF_TIMEOUT_S = 30.0
#: The longest an attempt that failed by a fault of Altus's waits to be tried again.
FAULT_RETRY_MAX_S = 60.0


class Deliveries(DueWorker[Delivery]):
    _log = log
    _crash_message = "a Scheduler delivery attempt failed"

    def __init__(
        self,
        core: Core,
        targets: TargetRegistry,
        identity: Identity,
        draw: Callable[[], float] = random.random,
        roles: RoleTrust | None = None,
    ) -> None:
        super().__init__(core.clock, CONCURRENCY)
        self._core = core
        self._targets = targets
        self._identity = identity
        self._roles = roles
        self.draw = draw
        self.timeout = HANDOFF_TIMEOUT_S
        #: Faults in a row, by delivery seq (their back-off).
        self._faults: dict[int, int] = {}
        #: Counts, for tests and the log.
        self.delivered = 0
        self.retried = 0
        self.abandoned = 0
        self.dead_lettered = 0

    def add(self, delivery: Delivery) -> None:
        """A delivery now written to the store: due at its time."""
        self._schedule(delivery)

    # --- one attempt -----------------------------------------------------------------------

    async def _task(self, delivery: Delivery) -> None:
        """The attempt, guarded: a fault of Altus's own is retried after a back-off."""
        try:
            await self._attempt(delivery)
        except Exception as error:
            self._fault(delivery, error)
        else:
            self._faults.pop(delivery.seq, None)

    def _fault(self, delivery: Delivery, error: Exception) -> None:
        """The attempt failed by a fault of Altus's own: the delivery (as its row has
        it) is tried again after a back-off."""
        faults = self._faults.get(delivery.seq, 0) + 1
        self._faults[delivery.seq] = faults
        delay = min(2.0 ** (faults - 1), FAULT_RETRY_MAX_S)
        log.warning(
            "a Scheduler delivery attempt (%d) failed: trying it again in %.0f s",
            delivery.seq,
            delay,
            exc_info=error,
        )
        self._requeue(dataclasses.replace(delivery, due_ms=self._core.now_ms() + int(delay * 1000)))

    async def _attempt(self, delivery: Delivery) -> None:
        target = delivery.target
        body = payload.render(
            self._core.account,
            target,
            delivery.schedule_arn,
            delivery.scheduled_ms,
            delivery.execution_id,
            delivery.attempts + 1,
        )
        age_s = retries.max_age_s(target.get("RetryPolicy"))
        if self._core.now_ms() > delivery.fired_ms + age_s * 1000:
            # Due after its age ran out (caught up after a restart): not attempted.
            stale = HandOffFailed(
                "MaximumEventAgeExceeded",
                f"The occurrence is older than MaximumEventAgeInSeconds ({age_s}).",
                permanent=False,
            )
            self.abandoned += 1
            await self._give_up(delivery, body, stale, retries.TOO_OLD)
            await self._end(delivery)
            return
        sqs = target.get("SqsParameters") or {}
        try:
            await hand_off(
                self._targets,
                self._identity,
                self._core.account,
                target_arn=str(target["Arn"]),
                payload=body,
                service_principal=SERVICE_PRINCIPAL,
                source_arn=delivery.schedule_arn,
                role_arn=target.get("RoleArn"),
                message_group_id=sqs.get("MessageGroupId"),
                deduplication_id=delivery.execution_id,
                roles=self._roles,
                timeout=self.timeout,
            )
        except HandOffFailed as failure:
            await self._failed(delivery, body, failure)
        else:
            self.delivered += 1
            await self._end(delivery)

    async def _failed(self, delivery: Delivery, body: str, failure: HandOffFailed) -> None:
        retry = delivery.attempts + 1
        now = self._core.now_ms()
        following = (
            retries.Next(None)
            if failure.permanent
            else retries.next_attempt(
                delivery.target.get("RetryPolicy"), retry, now, delivery.fired_ms, self.draw
            )
        )
        if following.due_ms is None:
            self.abandoned += 1
            await self._give_up(delivery, body, failure, following.exhausted)
            await self._end(delivery)
            return
        self.retried += 1
        again = dataclasses.replace(delivery, attempts=retry, due_ms=following.due_ms)
        try:
            await self._core.store.apply([PutDelivery(again)])
        except Exception:
            # Not written: retried all the same from memory (a restart retries from
            # the attempt the row holds).
            log.warning("could not record a retry of Scheduler delivery %d", delivery.seq)
        self._requeue(again)

    async def _give_up(
        self, delivery: Delivery, body: str, failure: HandOffFailed, exhausted: str | None
    ) -> None:
        dead_letter = (delivery.target.get("DeadLetterConfig") or {}).get("Arn")
        if not dead_letter:
            log.warning(
                "Scheduler gave up delivering %s to %s: %s",
                delivery.schedule_arn,
                delivery.target.get("Arn"),
                failure.message,
            )
            return
        attributes = {
            "ERROR_CODE": failure.code,
            "ERROR_MESSAGE": failure.message[:1024],
            "RETRY_ATTEMPTS": str(delivery.attempts),
            "SCHEDULE_ARN": delivery.schedule_arn,
            "SCHEDULED_TIME": payload.iso(delivery.scheduled_ms),
            "TARGET_ARN": str(delivery.target.get("Arn")),
        }
        if exhausted is not None:
            attributes["EXHAUSTED_RETRY_CONDITION"] = exhausted
        wire = {k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()}
        role = delivery.target.get("RoleArn")
        try:
            # Through the hand-off: as the role's session, which (where requests are
            # authenticated) must be allowed sqs:SendMessage on the queue.
            await hand_off(
                self._targets,
                self._identity,
                self._core.account,
                target_arn=str(dead_letter),
                payload=body,
                service_principal=SERVICE_PRINCIPAL,
                source_arn=delivery.schedule_arn,
                role_arn=str(role) if role else None,
                attributes=wire,
                timeout=self.timeout,
            )
        except HandOffFailed as error:
            log.warning(
                "Scheduler could not move %s's occurrence to the dead-letter queue %s: %s",
                delivery.schedule_arn,
                dead_letter,
                error.message,
            )
        else:
            self.dead_lettered += 1

    async def _end(self, delivery: Delivery) -> None:
        """Over: memory forgets it, then its row goes (if the store fails, the row stays
        and a restart delivers it again)."""
        self._pending.pop(delivery.seq, None)
        self._faults.pop(delivery.seq, None)
        try:
            await self._core.store.apply([DropDelivery(delivery.seq)])
        except Exception:
            log.warning("could not delete the ended Scheduler delivery %d", delivery.seq)

"""The notification worker: sends what the outbox holds, deletes each row once its
destination has it, retries a transient failure with back-off, and drops (with a log
line) what no retry can mend.

Rows are written with the object change that caused them (``altus.s3.store``), added
here after that commit, and loaded again at start: a crash loses none (a destination
may get one twice, as S3's at-least-once delivery allows).

Destinations, found in the targets registry when a delivery is made (Lambda is built
after S3):

- ``lambda``: an Event invoke as ``s3.amazonaws.com`` for the bucket's ARN, allowed only
  by the function's resource policy (``aws lambda add-permission --principal
  s3.amazonaws.com --source-arn arn:aws:s3:::<bucket>``); refused, it is dropped;
- ``sqs`` / ``sns``: the queue's or topic's ``deliver``;
- ``events``: the default bus's ``deliver`` with the whole EventBridge event; where no
  EventBridge service runs, dropped with a log line.

Retries: 1 s after the first failure, doubling to a minute, 30 attempts in all (about
20 minutes), then dropped and logged.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable

from altus.clock import Clock
from altus.engine.due import DueWorker
from altus.errors import AltusError
from altus.events.handoff import HandOffFailed, check_pushed
from altus.identity.authenticator import Identity
from altus.s3.model import Outgoing
from altus.s3.store import ObjectStore
from altus.targets import ServiceInvocable, TargetRegistry

log = logging.getLogger(__name__)

SERVICE_PRINCIPAL = "s3.amazonaws.com"
CONCURRENCY = 16
MAX_ATTEMPTS = 30
FIRST_DELAY_S = 1.0
MAX_DELAY_S = 60.0


def retry_delay(attempts: int) -> float | None:
    """Seconds before the next attempt after ``attempts`` failed ones; None: give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return float(min(FIRST_DELAY_S * 2 ** (attempts - 1), MAX_DELAY_S))


class Undeliverable(Exception):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


def _permanent(error: AltusError) -> bool:
    return 400 <= error.status < 500 and error.status != 429 and "Throttl" not in error.code


class Outbox(DueWorker[Outgoing]):
    _log = log
    _crash_message = "an S3 notification attempt failed"

    def __init__(
        self,
        store: ObjectStore,
        clock: Clock,
        targets: TargetRegistry,
        account_id: str,
        identity: Identity,
    ) -> None:
        super().__init__(clock, CONCURRENCY)
        self._store = store
        self._targets = targets
        self._account_id = account_id
        self._identity = identity
        #: Counts, for tests and the log.
        self.delivered = 0
        self.abandoned = 0
        self.retried = 0

    def add(self, items: Iterable[Outgoing]) -> None:
        """Rows now committed: due."""
        for item in items:
            self._schedule(item)
        self._wake.set()

    def forget_bucket(self, bucket: str) -> None:
        for seq in [s for s, item in self._pending.items() if item.bucket == bucket]:
            del self._pending[seq]

    # --- one attempt -----------------------------------------------------------------------

    async def _attempt(self, item: Outgoing) -> None:
        try:
            await self._send(item)
        except Undeliverable as failure:
            await self._failed(item, failure)
            return
        except Exception as error:  # a bug in a sender: retried like any failure
            log.exception("sending S3 notification %d failed unexpectedly", item.seq)
            await self._failed(item, Undeliverable(repr(error)))
            return
        self.delivered += 1
        await self._end(item)

    async def _send(self, item: Outgoing) -> None:
        found = self._targets.find(item.kind)
        if item.kind == "events" and found is None:
            raise Undeliverable("no EventBridge service runs here", permanent=True)
        if found is None:
            raise Undeliverable(f"the {item.kind} service is not running here")
        try:
            if item.kind == "lambda":
                if not hasattr(found, "invoke_as_service"):
                    raise Undeliverable("the Lambda service cannot be invoked by services")
                invoker: ServiceInvocable = found  # type: ignore[assignment]
                await invoker.invoke_as_service(
                    SERVICE_PRINCIPAL,
                    f"arn:aws:s3:::{item.bucket}",
                    self._account_id,
                    item.arn,
                    item.body,
                )
            else:
                check_pushed(
                    self._identity,
                    self._targets,
                    service_principal=SERVICE_PRINCIPAL,
                    source_arn=f"arn:aws:s3:::{item.bucket}",
                    source_account=self._account_id,
                    target_arn=item.arn,
                )
                await found.deliver(item.arn, item.body)
        except HandOffFailed as refused:
            raise Undeliverable(f"{refused.code}: {refused.message}", permanent=True) from None
        except AltusError as error:
            raise Undeliverable(
                f"{error.code}: {error.message}", permanent=_permanent(error)
            ) from None

    async def _failed(self, item: Outgoing, failure: Undeliverable) -> None:
        attempts = item.attempts + 1
        delay = None if failure.permanent else retry_delay(attempts)
        if delay is None:
            self.abandoned += 1
            log.warning(
                "dropped the S3 notification of bucket %s to %s after %d attempts: %s",
                item.bucket,
                item.arn,
                attempts,
                failure.message,
            )
            await self._end(item)
            return
        self.retried += 1
        again = dataclasses.replace(
            item, attempts=attempts, due_ms=int(self._clock.now() * 1000 + delay * 1000)
        )
        try:
            await self._store.retry_outgoing(again)
        except Exception:
            log.warning("could not record a retry of S3 notification %d", item.seq)
        self._requeue(again)

    async def _end(self, item: Outgoing) -> None:
        self._pending.pop(item.seq, None)
        try:
            await self._store.drop_outgoing(item.seq)
        except Exception:
            log.warning("could not delete the sent S3 notification %d", item.seq)

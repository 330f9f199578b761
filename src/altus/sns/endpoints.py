"""How a delivery reaches its endpoint, per protocol (the delivery worker's ``Sender``):

- ``lambda``: an Event invoke of the function as ``sns.amazonaws.com`` for the topic,
  through the Lambda component found in the targets registry when the delivery is made
  (it is built after SNS), allowed only by the function's own policy
  (``aws lambda add-permission --principal sns.amazonaws.com --source-arn <topic>``).
  The payload is Lambda's SNS event.
- ``sqs``: the queue service's ``deliver``: SNS's JSON envelope, or with
  RawMessageDelivery the bare message with its attributes as the queue message's.
- ``http``/``https``: a POST with SNS's headers, answered within 15 seconds; 2xx to
  4xx is delivered, 5xx, a timeout or no connection is retried.

A refusal no retry can mend (the endpoint's policy refuses SNS, the function or queue
is gone: an error the target calls the caller's, but a throttle) is permanent: not
retried, to the dead-letter queue if the subscription has one, else dropped and logged.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from altus.arns import parse_arn
from altus.errors import AltusError
from altus.events.handoff import HandOffFailed, check_pushed
from altus.identity.authenticator import Identity
from altus.sns import envelopes, retries, subscription_attributes
from altus.sns.delivery import Undeliverable
from altus.sns.model import NOTIFICATION, UNSUBSCRIBE, Delivery, Message, Subscription
from altus.sns.state import Core
from altus.targets import ServiceInvocable, TargetRegistry

if TYPE_CHECKING:  # httpx is imported on first use
    import httpx

log = logging.getLogger(__name__)

SERVICE_PRINCIPAL = "sns.amazonaws.com"
HTTP_TIMEOUT_S = 15.0
HTTP = ("http", "https")


def _permanent(error: AltusError) -> bool:
    """A refusal that names the caller's fault (the function's policy, a queue that is
    not there): trying again cannot help. A throttle can."""
    return 400 <= error.status < 500 and error.status != 429 and "Throttl" not in error.code


class Endpoints:
    def __init__(self, core: Core, targets: TargetRegistry, identity: Identity) -> None:
        self._core = core
        self._targets = targets
        self._identity = identity
        self._http: httpx.AsyncClient | None = None

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    def _version(self, message: Message) -> str:
        name = message.topic.rsplit(":", 1)[-1]
        state = self._core.topics.get(name)
        return state.topic.attributes.get("SignatureVersion", "1") if state else "1"

    def queue_body(self, message: Message, subscription: Subscription) -> tuple[str, Any]:
        """(body, attributes) of a message for a queue: the envelope, or raw."""
        if subscription.attributes.get("RawMessageDelivery") == "true":
            return message.text_for("sqs"), envelopes.queue_attributes(message) or None
        envelope = envelopes.notification(
            message,
            "sqs",
            subscription.arn,
            self._core.urls(),
            self._core.signer,
            self._version(message),
        )
        return json.dumps(envelope), None

    # --- sending ---------------------------------------------------------------------------

    async def send(self, delivery: Delivery, message: Message) -> None:
        subscription = self._core.subscriptions.get(delivery.subscription)
        if message.kind == UNSUBSCRIBE and delivery.protocol in HTTP:
            await self._post(delivery, message, None)
            return
        if subscription is None:
            return  # unsubscribed meanwhile: nothing to deliver any more
        if delivery.protocol == "lambda":
            await self._lambda(delivery, message)
        elif delivery.protocol == "sqs":
            await self._queue(delivery.endpoint, message, subscription)
        elif delivery.protocol in HTTP:
            await self._post(delivery, message, subscription)
        else:
            raise Undeliverable(f"Altus does not deliver to {delivery.protocol}", permanent=True)

    async def _lambda(self, delivery: Delivery, message: Message) -> None:
        found = self._targets.find("lambda")
        if found is None or not hasattr(found, "invoke_as_service"):
            raise Undeliverable("the Lambda service is not running here")
        invoker: ServiceInvocable = found  # type: ignore[assignment]
        payload = envelopes.lambda_event(
            message, delivery.subscription, self._core.urls(), self._core.signer
        )
        try:
            await invoker.invoke_as_service(
                SERVICE_PRINCIPAL,
                message.topic,
                self._core.account.account_id,
                delivery.endpoint,
                payload,
                trace=message.trace,
            )
        except AltusError as error:
            raise Undeliverable(error.message, permanent=_permanent(error)) from None

    async def _queue(self, arn: str, message: Message, subscription: Subscription) -> None:
        queues = self._targets.find("sqs")
        if queues is None:
            raise Undeliverable("the SQS service is not running here")
        body, attributes = self.queue_body(message, subscription)
        try:
            # Under --auth iam the queue's own policy must let SNS send to it.
            check_pushed(
                self._identity,
                self._targets,
                service_principal=SERVICE_PRINCIPAL,
                source_arn=message.topic,
                source_account=self._core.account.account_id,
                target_arn=arn,
            )
        except HandOffFailed as refused:
            raise Undeliverable(refused.message, permanent=True) from None
        try:
            if message.group_id is not None and arn.endswith(".fifo"):
                fifo = getattr(queues, "deliver_fifo", None)
                if fifo is None:
                    raise Undeliverable(
                        f"{arn} is a FIFO queue: Altus's queues do not take records from "
                        "topics with a message group yet",
                        permanent=True,
                    )
                await fifo(
                    arn, body, attributes, message.group_id, message.dedup_id, trace=message.trace
                )
            else:
                await queues.deliver(arn, body, attributes, trace=message.trace)
        except AltusError as error:
            raise Undeliverable(error.message, permanent=_permanent(error)) from None

    async def _post(
        self, delivery: Delivery, message: Message, subscription: Subscription | None
    ) -> None:
        """POST to an HTTP/S endpoint (``subscription`` None: the one unsubscribed, for
        its UnsubscribeConfirmation)."""
        import httpx

        urls, signer = self._core.urls(), self._core.signer
        raw = subscription is not None and subscription.attributes.get("RawMessageDelivery") == (
            "true"
        )
        content_type = envelopes.CONTENT_TYPE
        if message.kind == NOTIFICATION and subscription is not None:
            if not subscription.confirmed:
                return  # it was confirmed when published: unsubscribed and made again
            version = self._version(message)
            body = (
                message.text_for(delivery.protocol)
                if raw
                else json.dumps(
                    envelopes.notification(
                        message, delivery.protocol, subscription.arn, urls, signer, version
                    )
                )
            )
            policy = self._policy(subscription)
            content_type = policy["requestPolicy"]["headerContentType"]
        else:
            body = json.dumps(envelopes.confirmation(message, urls, signer, self._version(message)))
        headers = envelopes.http_headers(message, delivery.subscription, raw, content_type)
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=HTTP_TIMEOUT_S, follow_redirects=False)
        try:
            response = await self._http.post(
                delivery.endpoint, content=body.encode(), headers=headers
            )
        except httpx.HTTPError as error:
            raise Undeliverable(f"{delivery.endpoint}: {error!r}") from None
        if response.status_code >= 500:
            raise Undeliverable(f"{delivery.endpoint} answered {response.status_code}")

    def _policy(self, subscription: Subscription) -> dict[str, Any]:
        state = self._core.topics.get(subscription.topic)
        attributes = state.topic.attributes if state is not None else {}
        return subscription_attributes.effective(subscription, attributes)

    # --- failures --------------------------------------------------------------------------

    def retry_delay(self, delivery: Delivery, message: Message, retry: int) -> float | None:
        if delivery.protocol not in HTTP:
            return retries.managed_delay(retry)
        subscription = self._core.subscriptions.get(delivery.subscription)
        if subscription is None:
            return retries.http_delay({}, retry)
        return retries.http_delay(self._policy(subscription)["healthyRetryPolicy"], retry)

    async def give_up(self, delivery: Delivery, message: Message, why: str) -> None:
        subscription = self._core.subscriptions.get(delivery.subscription)
        target = None
        if subscription is not None and message.kind == NOTIFICATION:
            text = subscription.attributes.get("RedrivePolicy")
            target = json.loads(text).get("deadLetterTargetArn") if text else None
        if target is None:
            log.warning(
                "SNS gave up delivering message %s to %s (%s): %s",
                message.id,
                delivery.endpoint,
                delivery.subscription,
                why,
            )
            return
        assert subscription is not None
        arn = parse_arn(target)
        try:
            await self._queue(target, message, subscription)
        except Undeliverable as failure:
            log.warning(
                "SNS could not move message %s of %s to its dead-letter queue %s: %s",
                message.id,
                delivery.subscription,
                arn.resource if arn else target,
                failure.message,
            )
            raise

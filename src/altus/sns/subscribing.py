"""Subscriptions: Subscribe (a function or queue is confirmed at once; an HTTP/S
endpoint stays pending until it confirms, and is sent a SubscriptionConfirmation),
ConfirmSubscription, Unsubscribe (an HTTP/S endpoint is sent an
UnsubscribeConfirmation), SetSubscriptionAttributes. Each change is planned from memory
and written (with the confirmation message and its delivery, where there is one)
before memory takes it, one change at a time (``Core.admin``).
"""

from __future__ import annotations

import dataclasses
import secrets
import uuid

from altus import ids
from altus.arns import parse_arn
from altus.sns import names, subscription_attributes
from altus.sns.delivery import Deliveries
from altus.sns.envelopes import subscribe_text, unsubscribe_text
from altus.sns.errors import (
    AuthorizationError,
    InvalidParameter,
    invalid,
    subscription_not_found,
    topic_not_found,
)
from altus.sns.model import (
    CONFIRMATION,
    UNSUBSCRIBE,
    AddMessage,
    Change,
    Delivery,
    DropSubscription,
    Message,
    PutSubscription,
    Subscription,
)
from altus.sns.state import Core, TopicState

#: Every protocol SNS knows, and those Altus delivers to.
KNOWN = ("http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose")
SERVED = ("lambda", "sqs", "http", "https")
HTTP = ("http", "https")
#: How long a confirmation token holds (SNS: three days).
TOKEN_LIFETIME_MS = 3 * 24 * 3600 * 1000
#: What an unset attribute reads as, when a Subscribe again compares attributes.
_DEFAULTS = {"RawMessageDelivery": "false", "FilterPolicyScope": "MessageAttributes"}


def check_endpoint(protocol: str, endpoint: str | None, fifo: bool) -> str:
    """The endpoint of a new subscription, as SNS checks it for its protocol."""
    if protocol not in KNOWN:
        raise invalid(f"Amazon SNS does not support this protocol string: {protocol}")
    if protocol not in SERVED:
        raise invalid("Protocol", f"Altus does not deliver to {protocol} endpoints")
    text = endpoint or ""
    if protocol == "sqs":
        arn = parse_arn(text)
        if arn is None or arn.service != "sqs" or not arn.resource or ":" in arn.resource:
            raise invalid("SQS endpoint ARN")
        if arn.resource.endswith(".fifo") and not fifo:
            raise InvalidParameter(
                "Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not "
                "be subscribed to standard SNS topics"
            )
    elif protocol == "lambda":
        arn = parse_arn(text)
        if arn is None or arn.service != "lambda" or not arn.resource.startswith("function:"):
            raise invalid("Lambda endpoint ARN")
    elif not text.lower().startswith(f"{protocol}://") or len(text) <= len(protocol) + 3:
        raise invalid("Endpoint must match the specified protocol")
    if fifo and protocol != "sqs":
        raise invalid("Endpoint", "FIFO topics only deliver to Amazon SQS queues")
    return text


def _same(existing: Subscription, given: dict[str, str]) -> bool:
    return all(existing.attributes.get(k, _DEFAULTS.get(k, "")) == v for k, v in given.items())


def _confirmation(core: Core, topic_arn: str, kind: str, text: str, token: str) -> Message:
    return Message(
        id=ids.request_id(),
        topic=topic_arn,
        kind=kind,
        text=text,
        timestamp_ms=core.now_ms(),
        token=token,
    )


async def subscribe(
    core: Core,
    deliveries: Deliveries,
    state: TopicState,
    protocol: str,
    endpoint: str | None,
    given: dict[str, str],
    principal: str,
) -> Subscription:
    """The subscription of ``endpoint`` to the topic: the one there is (if its
    attributes agree with ``given``), else a new one."""
    topic = state.topic
    checked_endpoint = check_endpoint(protocol, endpoint, topic.fifo)
    attributes = subscription_attributes.for_subscribe(given, protocol, topic.fifo)
    async with core.admin:
        if core.topics.get(topic.name) is not state:
            raise topic_not_found()
        for existing in state.subscriptions.values():
            if existing.protocol == protocol and existing.endpoint == checked_endpoint:
                if not _same(existing, attributes):
                    raise invalid(
                        "Attributes", "Subscription already exists with different attributes"
                    )
                return existing
        now = core.now_ms()
        topic_arn = core.arn(topic.name)
        pending = protocol in HTTP
        token = secrets.token_hex(64)
        subscription = Subscription(
            arn=f"{topic_arn}:{uuid.uuid4()}",
            topic=topic.name,
            protocol=protocol,
            endpoint=checked_endpoint,
            owner=core.account.account_id,
            principal=principal,
            attributes=attributes,
            confirmed=not pending,
            token=token if pending else None,
            token_expires_ms=now + TOKEN_LIFETIME_MS if pending else 0,
            authenticated=not pending,
            created_ms=now,
        )
        plan: list[Change] = [PutSubscription(subscription)]
        message: Message | None = None
        made: list[Delivery] = []
        if pending:
            message = _confirmation(core, topic_arn, CONFIRMATION, subscribe_text(topic_arn), token)
            made = [
                Delivery(
                    core.next_seq(),
                    message.id,
                    subscription.arn,
                    protocol,
                    checked_endpoint,
                    0,
                    now,
                )
            ]
            plan.append(AddMessage(message, tuple(made)))

        def applied() -> Subscription:
            state.subscriptions[subscription.arn] = subscription
            core.subscriptions[subscription.arn] = subscription
            if message is not None:
                deliveries.add(message, made)
            return subscription

        written: Subscription = await core.write(plan, applied)
        return written


async def confirm(
    core: Core, topic_arn: str, token: str, signed: bool, authenticate_unsubscribe: bool
) -> Subscription:
    """ConfirmSubscription (or a GET of a SubscribeURL, unsigned): the pending
    subscription the token is for, confirmed; again, the same answer."""
    try:
        name = names.topic_name(topic_arn, core.account)
    except InvalidParameter:
        raise invalid("Topic") from None
    async with core.admin:
        state = core.topics.get(name)
        found = None
        if state is not None and token:
            found = next((s for s in state.subscriptions.values() if s.token == token), None)
        if found is None or (not found.confirmed and found.token_expires_ms < core.now_ms()):
            raise invalid("Token")
        if found.confirmed:
            return found
        confirmed = dataclasses.replace(
            found,
            confirmed=True,
            authenticated=signed,
            authenticate_unsubscribe=signed and authenticate_unsubscribe,
        )

        def applied() -> Subscription:
            if state is not None and found.arn in state.subscriptions:
                state.subscriptions[found.arn] = confirmed
                core.subscriptions[found.arn] = confirmed
            return confirmed

        written: Subscription = await core.write([PutSubscription(confirmed)], applied)
        return written


async def unsubscribe(core: Core, deliveries: Deliveries, arn: str, signed: bool = True) -> None:
    """Unsubscribe (idempotent: one that is not there is gone already). An HTTP/S
    endpoint is told. Unsigned (the UnsubscribeURL), refused for a subscription confirmed
    with AuthenticateOnUnsubscribe."""
    names.subscription_parts(arn, core.account)
    async with core.admin:
        subscription = core.subscriptions.get(arn)
        if subscription is None:
            return
        if subscription.authenticate_unsubscribe and not signed:
            raise AuthorizationError(
                "This subscription can only be removed by an authenticated Unsubscribe call."
            )
        state = core.topics.get(subscription.topic)
        plan: list[Change] = [DropSubscription(arn)]
        message: Message | None = None
        made: list[Delivery] = []
        if subscription.protocol in HTTP and subscription.confirmed:
            topic_arn = core.arn(subscription.topic)
            message = _confirmation(
                core, topic_arn, UNSUBSCRIBE, unsubscribe_text(arn), secrets.token_hex(64)
            )
            made = [
                Delivery(
                    core.next_seq(),
                    message.id,
                    arn,
                    subscription.protocol,
                    subscription.endpoint,
                    0,
                    core.now_ms(),
                )
            ]
            plan.append(AddMessage(message, tuple(made)))

        def applied() -> None:
            core.subscriptions.pop(arn, None)
            if state is not None and state.subscriptions.pop(arn, None) is not None:
                state.deleted += 1
            deliveries.forget({arn})
            if message is not None:
                deliveries.add(message, made)

        await core.write(plan, applied)


def lookup(core: Core, arn: str) -> Subscription:
    names.subscription_parts(arn, core.account)
    found = core.subscriptions.get(arn)
    if found is None:
        raise subscription_not_found()
    return found


async def set_attribute(core: Core, arn: str, name: str, value: str) -> None:
    if name not in subscription_attributes.SETTABLE:
        lookup(core, arn)
        raise invalid("AttributeName")
    async with core.admin:
        subscription = lookup(core, arn)
        state = core.topics.get(subscription.topic)
        fifo = state is not None and state.topic.fifo
        try:
            attributes = subscription_attributes.change(
                subscription.attributes, name, value, subscription.protocol, fifo
            )
        except subscription_attributes.Problem as problem:
            raise subscription_attributes.in_set(problem) from None
        changed = dataclasses.replace(subscription, attributes=attributes)

        def applied() -> None:
            if core.subscriptions.get(arn) is subscription:
                core.subscriptions[arn] = changed
                if state is not None:
                    state.subscriptions[arn] = changed

        await core.write([PutSubscription(changed)], applied)

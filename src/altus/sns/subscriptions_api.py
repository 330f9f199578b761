"""SNS's subscription operations: Subscribe, ConfirmSubscription, Unsubscribe,
ListSubscriptions(ByTopic), Get/SetSubscriptionAttributes.

Listings page in the order subscriptions were made; a pending subscription is listed
with ``PendingConfirmation`` for its ARN, and Subscribe answers ``pending
confirmation`` for one unless asked for its ARN (``ReturnSubscriptionArn``).
"""

from __future__ import annotations

from collections.abc import Iterable

from altus.api import paging
from altus.api.service import caller
from altus.api.spec import Call, Members
from altus.sns import subscribing, subscription_attributes
from altus.sns.component import Topics
from altus.sns.errors import InvalidParameter, invalid
from altus.sns.model import Subscription

#: Subscriptions per page (SNS: 100).
PAGE = 100


def _bad_token(token: str) -> InvalidParameter:
    return invalid("NextToken")


def signed(call: Call) -> bool:
    """Whether the request was signed (ConfirmationWasAuthenticated), as opposed to an
    unsigned GET of a SubscribeURL."""
    request = call.request
    return "authorization" in request.headers or "X-Amz-Signature" in request.query_params


def _principal(sns: Topics, call: Call) -> str:
    found = caller(call, sns.identity)
    if found is not None:
        return found.arn
    return sns.core.account.arn("iam", "root", regional=False)


async def subscribe(sns: Topics, call: Call, input: Members) -> Members:
    state = sns.core.state_of_arn(input["TopicArn"])
    subscription = await subscribing.subscribe(
        sns.core,
        sns.deliveries,
        state,
        input["Protocol"],
        input.get("Endpoint"),
        dict(input.get("Attributes") or {}),
        _principal(sns, call),
    )
    if not subscription.confirmed and not input.get("ReturnSubscriptionArn"):
        return {"SubscriptionArn": "pending confirmation"}
    return {"SubscriptionArn": subscription.arn}


async def confirm_subscription(sns: Topics, call: Call, input: Members) -> Members:
    authenticate = str(input.get("AuthenticateOnUnsubscribe") or "").lower() == "true"
    subscription = await subscribing.confirm(
        sns.core, input["TopicArn"], input["Token"], signed(call), authenticate
    )
    return {"SubscriptionArn": subscription.arn}


async def unsubscribe(sns: Topics, call: Call, input: Members) -> Members:
    await subscribing.unsubscribe(sns.core, sns.deliveries, input["SubscriptionArn"])
    return {}


def _listed(sns: Topics, subscription: Subscription) -> Members:
    return {
        "SubscriptionArn": subscription.arn if subscription.confirmed else "PendingConfirmation",
        "Owner": subscription.owner,
        "Protocol": subscription.protocol,
        "Endpoint": subscription.endpoint,
        "TopicArn": sns.core.arn(subscription.topic),
    }


def _page(sns: Topics, found: Iterable[Subscription], token: str | None) -> Members:
    ordered = sorted(found, key=lambda s: (s.created_ms, s.arn))
    keys = [f"{s.created_ms:020d} {s.arn}" for s in ordered]
    page = paging.page(ordered, keys, token, PAGE, _bad_token)
    out: Members = {"Subscriptions": [_listed(sns, s) for s in page.items]}
    if page.next is not None:
        out["NextToken"] = page.next
    return out


async def list_subscriptions(sns: Topics, call: Call, input: Members) -> Members:
    return _page(sns, sns.core.subscriptions.values(), input.get("NextToken"))


async def list_subscriptions_by_topic(sns: Topics, call: Call, input: Members) -> Members:
    state = sns.core.state_of_arn(input["TopicArn"])
    return _page(sns, state.subscriptions.values(), input.get("NextToken"))


async def get_subscription_attributes(sns: Topics, call: Call, input: Members) -> Members:
    subscription = subscribing.lookup(sns.core, input["SubscriptionArn"])
    state = sns.core.topics.get(subscription.topic)
    attributes = state.topic.attributes if state is not None else {}
    return {
        "Attributes": subscription_attributes.reported(
            subscription, sns.core.arn(subscription.topic), attributes
        )
    }


async def set_subscription_attributes(sns: Topics, call: Call, input: Members) -> Members:
    value = input.get("AttributeValue")
    await subscribing.set_attribute(
        sns.core,
        input["SubscriptionArn"],
        input["AttributeName"],
        value if value is not None else "",
    )
    return {}

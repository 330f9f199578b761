"""Subscription attributes: what Subscribe and SetSubscriptionAttributes take and how
each is checked, and what GetSubscriptionAttributes answers.

Subscribe words a refusal ``Invalid parameter: Attributes Reason: <Name>: <why>``,
SetSubscriptionAttributes ``Invalid parameter: <Name>: <why>`` (both recorded from AWS:
``RawMessageDelivery: Invalid value [x]. Must be true or false.``); ``Problem`` carries
the part after the prefix and each caller words it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from altus.arns import parse_arn
from altus.sns import filtering
from altus.sns.attributes import (
    DEFAULT_CONTENT_TYPE,
    check_delivery_policy,
    compact,
    effective_delivery_policy,
)
from altus.sns.errors import InvalidParameter, invalid
from altus.sns.model import Subscription

SETTABLE = (
    "FilterPolicyScope",
    "FilterPolicy",
    "RawMessageDelivery",
    "RedrivePolicy",
    "DeliveryPolicy",
)
#: Attributes of protocols Altus does not deliver to (Firehose, FIFO replays).
UNSERVED = ("SubscriptionRoleArn", "ReplayPolicy")
HTTP = ("http", "https")


class Problem(ValueError):
    """A refused attribute; ``str`` is what follows the caller's prefix."""

    def __init__(self, text: str, *, bare: bool = False) -> None:
        super().__init__(text)
        #: SNS words it without naming the attribute or Subscribe's ``Attributes``
        #: (the nested-policy refusal).
        self.bare = bare


def in_subscribe(problem: Problem) -> InvalidParameter:
    if problem.bare:
        return InvalidParameter(f"Invalid parameter: {problem}")
    return invalid("Attributes", str(problem))


def in_set(problem: Problem) -> InvalidParameter:
    return InvalidParameter(f"Invalid parameter: {problem}")


def _redrive(text: str, topic_fifo: bool) -> None:
    try:
        policy = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise Problem(f"RedrivePolicy: failed to parse JSON. {error}") from None
    if not isinstance(policy, dict):
        raise Problem("RedrivePolicy: failed to parse JSON. Expected a JSON object")
    target = policy.get("deadLetterTargetArn")
    arn = parse_arn(target) if isinstance(target, str) else None
    if arn is None or arn.service != "sqs" or not arn.resource or ":" in arn.resource:
        raise Problem("RedrivePolicy: deadLetterTargetArn is an invalid arn")
    if topic_fifo and not arn.resource.endswith(".fifo"):
        raise Problem(
            "RedrivePolicy: must use a FIFO queue as DLQ for a FIFO Subscription to a FIFO Topic."
        )


def change(
    attributes: Mapping[str, str],
    name: str,
    value: str,
    protocol: str,
    topic_fifo: bool,
) -> dict[str, str]:
    """``attributes`` with ``name`` set to ``value`` (a policy set to "" removed), or
    Problem. A filter policy is checked against the scope it will have."""
    out = dict(attributes)
    if name == "RawMessageDelivery":
        lowered = value.lower()
        if lowered not in ("true", "false"):
            raise Problem(f"RawMessageDelivery: Invalid value [{value}]. Must be true or false.")
        if protocol == "lambda" and lowered == "true":
            raise Problem(f"Delivery protocol [{protocol}] does not support raw message delivery.")
        out[name] = lowered
    elif name == "FilterPolicyScope":
        if value not in filtering.SCOPES:
            raise Problem(
                f"FilterPolicyScope: Invalid value [{value}]. Please use either MessageBody "
                "or MessageAttributes"
            )
        policy = out.get("FilterPolicy")
        if policy:
            _check_policy(policy, value)
        out[name] = value
    elif name == "FilterPolicy":
        if filtering.is_empty(value):
            out.pop(name, None)
        else:
            _check_policy(value, out.get("FilterPolicyScope", filtering.ATTRIBUTES_SCOPE))
            out[name] = value
    elif name == "RedrivePolicy":
        if value == "":
            out.pop(name, None)
        else:
            _redrive(value, topic_fifo)
            out[name] = value
    elif name == "DeliveryPolicy":
        if protocol not in HTTP:
            raise Problem(
                f"DeliveryPolicy: Delivery protocol [{protocol}] does not support "
                "delivery policies."
            )
        if value == "":
            out.pop(name, None)
        else:
            try:
                check_delivery_policy(value)
            except InvalidParameter as error:
                raise Problem(error.message.removeprefix("Invalid parameter: ")) from None
            out[name] = value
    else:
        raise Problem(f"{name}: Altus does not serve this attribute")
    return out


def _check_policy(text: str, scope: str) -> None:
    try:
        filtering.check(text, scope)
    except filtering.PolicyError as error:
        if error.nested:
            raise Problem(str(error), bare=True) from None
        raise Problem(f"FilterPolicy: {error}") from None


def for_subscribe(given: Mapping[str, str], protocol: str, topic_fifo: bool) -> dict[str, str]:
    """Subscribe's Attributes, checked (the scope before the policy it applies to)."""
    for name in given:
        if name not in SETTABLE:
            if name in UNSERVED:
                raise invalid("Attributes", f"{name}: Altus does not serve this attribute")
            raise invalid("Attributes", f"Unknown attribute {name}")
    out: dict[str, str] = {}
    try:
        for name in SETTABLE:
            if name in given:
                out = change(out, name, given[name], protocol, topic_fifo)
    except Problem as problem:
        raise in_subscribe(problem) from None
    return out


def effective(subscription: Subscription, topic_attributes: Mapping[str, str]) -> dict[str, Any]:
    """An HTTP/S subscription's delivery policy over its topic's (unless the topic
    disables overrides), as EffectiveDeliveryPolicy shows it."""
    topic = effective_delivery_policy(topic_attributes)["http"]
    own: dict[str, Any] = {}
    text = subscription.attributes.get("DeliveryPolicy")
    if text and not topic["disableSubscriptionOverrides"]:
        own = json.loads(text)
    healthy = {**topic["defaultHealthyRetryPolicy"], **(own.get("healthyRetryPolicy") or {})}
    request = own.get("requestPolicy") or topic["defaultRequestPolicy"]
    return {
        "healthyRetryPolicy": healthy,
        "sicklyRetryPolicy": own.get("sicklyRetryPolicy"),
        "throttlePolicy": own.get("throttlePolicy") or topic.get("defaultThrottlePolicy"),
        "requestPolicy": {
            "headerContentType": request.get("headerContentType", DEFAULT_CONTENT_TYPE)
        },
        "guaranteed": False,
    }


def reported(
    subscription: Subscription, topic_arn: str, topic_attributes: Mapping[str, str]
) -> dict[str, str]:
    """GetSubscriptionAttributes' answer."""
    attributes = subscription.attributes
    out = {
        "ConfirmationWasAuthenticated": "true" if subscription.authenticated else "false",
        "Endpoint": subscription.endpoint,
        "Owner": subscription.owner,
        "PendingConfirmation": "false" if subscription.confirmed else "true",
        "Protocol": subscription.protocol,
        "RawMessageDelivery": attributes.get("RawMessageDelivery", "false"),
        "SubscriptionArn": subscription.arn,
        "SubscriptionPrincipal": subscription.principal,
        "TopicArn": topic_arn,
    }
    if attributes.get("FilterPolicy"):
        out["FilterPolicy"] = attributes["FilterPolicy"]
        out["FilterPolicyScope"] = attributes.get("FilterPolicyScope", filtering.ATTRIBUTES_SCOPE)
    for name in ("RedrivePolicy", "DeliveryPolicy"):
        if attributes.get(name):
            out[name] = attributes[name]
    if subscription.protocol in HTTP:
        out["EffectiveDeliveryPolicy"] = compact(effective(subscription, topic_attributes))
    return dict(sorted(out.items()))

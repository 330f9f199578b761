"""SNS's resource types: topics (with the subscriptions a topic's ``Subscription``
property lists), subscriptions of their own, and topic policies, made through Altus's
SNS API.

A topic's properties are its attributes (numbers and booleans as SNS's text, an
``ArchivePolicy`` object as its JSON; ``DeliveryStatusLogging`` as the
``<Protocol>SuccessFeedbackRoleArn``-style attributes), a property removed sets the
attribute back to SNS's default, and an unnamed FIFO topic gets a generated name ending
``.fifo``. A subscription's ``FilterPolicy``, ``RedrivePolicy`` and ``DeliveryPolicy``
objects reach SNS as JSON text; its Ref is its ARN, asked for even while it waits for
confirmation (``ReturnSubscriptionArn``), as CloudFormation does.

``DataProtectionPolicy`` is refused: Altus's SNS serves no PutDataProtectionPolicy.
"""

from __future__ import annotations

from typing import Any

from altus.cloudformation.providers.base import (
    Current,
    Outcome,
    Properties,
    Provider,
    ProviderContext,
    ResourceFailed,
    boolean,
    required,
    tag_list,
    tag_map,
)
from altus.cloudformation.providers.common import (
    PolicyOnEach,
    Tagging,
    fifo_name,
    gone_or,
    json_text,
    known,
    paged,
    present,
    quietly,
    refuse_taken,
    retag,
)

#: SNS's limit on a topic's name (".fifo" included).
_MAX_NAME = 256
#: Pages of a topic's subscriptions read before giving up (SNS's pages hold 100).
_MAX_PAGES = 100
#: ``DeliveryStatusLogging`` protocols -> the attribute names' prefix.
_LOGGING = {
    "http/s": "HTTP",
    "sqs": "SQS",
    "lambda": "Lambda",
    "firehose": "Firehose",
    "application": "Application",
}
_FEEDBACK = ("SuccessFeedbackRoleArn", "SuccessFeedbackSampleRate", "FailureFeedbackRoleArn")
#: Topic properties that are attributes -> what the attribute goes back to when removed.
_TOPIC_DEFAULTS = {
    "DisplayName": "",
    "KmsMasterKeyId": "",
    "SignatureVersion": "1",
    "TracingConfig": "PassThrough",
    "ContentBasedDeduplication": "false",
    "ArchivePolicy": "",
    "FifoThroughputScope": "Topic",
}
_TOPIC_PROPERTIES = (
    *_TOPIC_DEFAULTS,
    "DataProtectionPolicy",
    "DeliveryStatusLogging",
    "FifoTopic",
    "Subscription",
    "Tags",
    "TopicName",
)
#: Subscription properties that are attributes -> what each goes back to when removed.
_SUBSCRIPTION_DEFAULTS = {
    "DeliveryPolicy": "",
    "FilterPolicyScope": "MessageAttributes",
    "FilterPolicy": "",
    "RawMessageDelivery": "false",
    "RedrivePolicy": "",
    "ReplayPolicy": "",
    "SubscriptionRoleArn": "",
}
_SUBSCRIPTION_PROPERTIES = (*_SUBSCRIPTION_DEFAULTS, "Endpoint", "Protocol", "Region", "TopicArn")


#: SNS's tags: TagResource and UntagResource on the topic's ARN, ``[{Key, Value}]``.
_TAGGING = Tagging("sns")


def text(value: Any) -> str:
    """A property as an SNS attribute: booleans as ``true``/``false``, objects as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json_text(value)


def topic_attributes(props: Properties) -> dict[str, str]:
    """The attributes the template sets, ``DeliveryStatusLogging`` spread into SNS's
    feedback attributes."""
    out = {key: text(props[key]) for key in _TOPIC_DEFAULTS if props.get(key) is not None}
    for logging in props.get("DeliveryStatusLogging") or []:
        prefix = _LOGGING.get(str(logging.get("Protocol")))
        if prefix is None:
            raise ResourceFailed(
                "Properties validation failed for resource with message: "
                f"#/DeliveryStatusLogging/Protocol: {logging.get('Protocol')} is not a valid "
                "enum value"
            )
        for field in _FEEDBACK:
            if logging.get(field) is not None:
                out[prefix + field] = text(logging[field])
    return out


def _default(attribute: str) -> str:
    if attribute in _TOPIC_DEFAULTS:
        return _TOPIC_DEFAULTS[attribute]
    # A feedback role removed is "" (none); a sample rate has no "unset" SNS takes.
    return "0" if attribute.endswith("SampleRate") else ""


def topic_name(ctx: ProviderContext, props: Properties) -> str:
    return fifo_name(ctx, props, "TopicName", "FifoTopic", _MAX_NAME)


def _endpoints(props: Properties) -> list[tuple[str, str]]:
    """A topic's ``Subscription`` property as (protocol, endpoint) pairs."""
    out: list[tuple[str, str]] = []
    for item in props.get("Subscription") or []:
        pair = (str(item.get("Protocol") or ""), str(item.get("Endpoint") or ""))
        if not all(pair):
            raise ResourceFailed(
                "Properties validation failed for resource with message: "
                "#/Subscription: required key [Endpoint, Protocol] not found"
            )
        if pair not in out:
            out.append(pair)
    return out


async def subscriptions_of(ctx: ProviderContext, topic: str) -> list[dict[str, Any]]:
    """Every subscription of ``topic`` (ListSubscriptionsByTopic, all pages)."""
    return await paged(
        ctx,
        "sns",
        "ListSubscriptionsByTopic",
        {"TopicArn": topic},
        "Subscriptions",
        max_pages=_MAX_PAGES,
        whole=True,
    )


def _refuse_unserved(props: Properties) -> None:
    if props.get("DataProtectionPolicy") is not None:
        raise ResourceFailed(
            "Property DataProtectionPolicy of AWS::SNS::Topic is not supported: Altus's SNS "
            "does not serve data protection policies (PutDataProtectionPolicy)"
        )


class Topic:
    """``AWS::SNS::Topic``: Ref is the topic's ARN."""

    replaced_by = frozenset({"TopicName", "FifoTopic"})
    attributes = frozenset({"TopicArn", "TopicName"})

    def _arn(self, ctx: ProviderContext, name: str) -> str:
        return f"arn:{ctx.partition}:sns:{ctx.region}:{ctx.account_id}:{name}"

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        known("AWS::SNS::Topic", props, _TOPIC_PROPERTIES)
        _refuse_unserved(props)
        name = topic_name(ctx, props)
        arn = self._arn(ctx, name)
        # CreateTopic answers an existing topic of the same attributes with its ARN.
        await refuse_taken(
            ctx,
            "sns",
            "GetTopicAttributes",
            {"TopicArn": arn},
            f"Resource of type 'AWS::SNS::Topic' with identifier '{arn}' already exists.",
        )
        attributes = topic_attributes(props)
        if boolean(props, "FifoTopic"):
            attributes["FifoTopic"] = "true"
        params = {
            "Name": name,
            **present(Attributes=attributes or None, Tags=tag_list(props, ctx) or None),
        }
        arn = (await ctx.call("sns", "CreateTopic", params))["TopicArn"]
        await self._subscribe(ctx, arn, [], _endpoints(props))
        return Outcome(arn, {"TopicArn": arn, "TopicName": name})

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        known("AWS::SNS::Topic", props, _TOPIC_PROPERTIES)
        _refuse_unserved(props)
        old = current.properties
        arn = current.physical_id or self._arn(ctx, topic_name(ctx, props))
        before, after = topic_attributes(old), topic_attributes(props)
        for attribute in [*after, *(a for a in before if a not in after)]:
            value = after.get(attribute, _default(attribute))
            if before.get(attribute, _default(attribute)) != value:
                await ctx.call(
                    "sns",
                    "SetTopicAttributes",
                    {"TopicArn": arn, "AttributeName": attribute, "AttributeValue": value},
                )
        await retag(ctx, _TAGGING, {"ResourceArn": arn}, tag_map(old, ctx), tag_map(props, ctx))
        await self._subscribe(ctx, arn, _endpoints(old), _endpoints(props))
        return Outcome(arn, {"TopicArn": arn, "TopicName": arn.rsplit(":", 1)[-1]})

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        # DeleteTopic takes the topic's subscriptions with it.
        arn = current.physical_id or self._arn(ctx, topic_name(ctx, current.properties))
        await quietly(ctx, "sns", "DeleteTopic", {"TopicArn": arn})

    async def _subscribe(
        self,
        ctx: ProviderContext,
        arn: str,
        before: list[tuple[str, str]],
        after: list[tuple[str, str]],
    ) -> None:
        for protocol, endpoint in after:
            if (protocol, endpoint) not in before:
                await ctx.call(
                    "sns",
                    "Subscribe",
                    {
                        "TopicArn": arn,
                        "Protocol": protocol,
                        "Endpoint": endpoint,
                        "ReturnSubscriptionArn": True,
                    },
                )
        gone = [pair for pair in before if pair not in after]
        if not gone:
            return
        for subscription in await subscriptions_of(ctx, arn):
            pair = (subscription.get("Protocol"), subscription.get("Endpoint"))
            # One still waiting for confirmation has no ARN to unsubscribe by (SNS lets
            # it expire).
            if pair in gone and str(subscription.get("SubscriptionArn")).startswith("arn:"):
                await quietly(
                    ctx, "sns", "Unsubscribe", {"SubscriptionArn": subscription["SubscriptionArn"]}
                )


def subscription_attributes(props: Properties) -> dict[str, str]:
    return {key: text(props[key]) for key in _SUBSCRIPTION_DEFAULTS if props.get(key) is not None}


class Subscription:
    """``AWS::SNS::Subscription``: Ref is the subscription's ARN."""

    replaced_by = frozenset({"Endpoint", "Protocol", "TopicArn", "Region"})
    attributes = frozenset({"Arn"})

    def _check(self, ctx: ProviderContext, props: Properties) -> None:
        known("AWS::SNS::Subscription", props, _SUBSCRIPTION_PROPERTIES)
        required(props, "TopicArn", "Protocol")
        region = props.get("Region")
        if region and region != ctx.region:
            raise ResourceFailed(
                f"Property Region of AWS::SNS::Subscription is not supported for {region}: "
                f"Altus serves the one region {ctx.region}"
            )

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        self._check(ctx, props)
        params: dict[str, Any] = {
            "TopicArn": str(props["TopicArn"]),
            "Protocol": str(props["Protocol"]),
            "ReturnSubscriptionArn": True,
        }
        if props.get("Endpoint"):
            params["Endpoint"] = str(props["Endpoint"])
        attributes = subscription_attributes(props)
        if attributes:
            params["Attributes"] = attributes
        arn = str((await ctx.call("sns", "Subscribe", params))["SubscriptionArn"])
        return Outcome(arn, {"Arn": arn})

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        self._check(ctx, props)
        arn = current.physical_id or await self._find(ctx, props)
        if arn is None:
            raise ResourceFailed("The subscription does not exist", "NotFound")
        before, after = subscription_attributes(current.properties), subscription_attributes(props)
        changed = {
            key: after.get(key, default)
            for key, default in _SUBSCRIPTION_DEFAULTS.items()
            if before.get(key, default) != after.get(key, default)
        }
        if "FilterPolicyScope" in changed and before.get("FilterPolicy"):
            # The scope is checked against the policy in place and a policy against the
            # scope in place: the old policy goes first, so a new pair never meets a
            # mismatched half.
            await self._set(ctx, arn, "FilterPolicy", "")
            changed.setdefault("FilterPolicy", after.get("FilterPolicy", ""))
        for key in _SUBSCRIPTION_DEFAULTS:  # the scope before the policy (dict order)
            if key in changed:
                await self._set(ctx, arn, key, changed[key])
        return Outcome(arn, {"Arn": arn})

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        arn = current.physical_id or await self._find(ctx, current.properties)
        if arn is not None and arn.startswith("arn:"):
            await quietly(ctx, "sns", "Unsubscribe", {"SubscriptionArn": arn})

    async def _set(self, ctx: ProviderContext, arn: str, name: str, value: str) -> None:
        await ctx.call(
            "sns",
            "SetSubscriptionAttributes",
            {"SubscriptionArn": arn, "AttributeName": name, "AttributeValue": value},
        )

    async def _find(self, ctx: ProviderContext, props: Properties) -> str | None:
        """The subscription of the topic to the protocol and endpoint (SNS keeps one per
        pair), or None."""
        found = await gone_or(subscriptions_of(ctx, str(props.get("TopicArn"))))
        for subscription in found or ():
            if subscription.get("Protocol") == props.get("Protocol") and subscription.get(
                "Endpoint"
            ) == props.get("Endpoint"):
                return str(subscription["SubscriptionArn"])
        return None


async def _set_policy(ctx: ProviderContext, arn: str, policy: str) -> None:
    await ctx.call(
        "sns",
        "SetTopicAttributes",
        {"TopicArn": arn, "AttributeName": "Policy", "AttributeValue": policy},
    )


async def _reset_policy(ctx: ProviderContext, arn: str) -> None:
    # An empty policy is SNS's default one (the owner's permissions) again.
    await quietly(
        ctx,
        "sns",
        "SetTopicAttributes",
        {"TopicArn": arn, "AttributeName": "Policy", "AttributeValue": ""},
    )


#: ``AWS::SNS::TopicPolicy``: one policy document as the ``Policy`` of each topic listed
#: (its Ref and ``Id`` a name CloudFormation generates; deleting it puts each topic back
#: on SNS's default policy).
PROVIDERS: dict[str, Provider] = {
    "AWS::SNS::Topic": Topic(),
    "AWS::SNS::Subscription": Subscription(),
    "AWS::SNS::TopicPolicy": PolicyOnEach(
        "AWS::SNS::TopicPolicy", "Topics", _set_policy, _reset_policy, text
    ),
}

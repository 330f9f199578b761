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

import json
from collections.abc import Mapping
from typing import Any

from altus.cloudformation.providers.base import (
    Current,
    Outcome,
    Properties,
    Provider,
    ProviderContext,
    ResourceFailed,
    ServiceFailed,
    boolean,
    required,
    tag_list,
    tag_map,
)

_FIFO = ".fifo"
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


def text(value: Any) -> str:
    """A property as an SNS attribute: booleans as ``true``/``false``, objects as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, separators=(",", ":"))


def known(type_name: str, props: Properties, names: tuple[str, ...]) -> None:
    """Refuse a property the type does not have, as CloudFormation words it."""
    for name in props:
        if name not in names:
            raise ResourceFailed(f"Encountered unsupported property {name} (in {type_name})")


async def quietly(ctx: ProviderContext, operation: str, params: Mapping[str, Any]) -> None:
    """An SNS call whose "not found" means the work is done already."""
    try:
        await ctx.call("sns", operation, params)
    except ServiceFailed as failed:
        if not failed.not_found:
            raise


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
    if props.get("TopicName"):
        return str(props["TopicName"])
    if boolean(props, "FifoTopic"):
        return ctx.name(max_length=_MAX_NAME - len(_FIFO)) + _FIFO
    return ctx.name(max_length=_MAX_NAME)


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
    found: list[dict[str, Any]] = []
    token: str | None = None
    for _ in range(_MAX_PAGES):
        answer = await ctx.call(
            "sns",
            "ListSubscriptionsByTopic",
            {"TopicArn": topic, **({"NextToken": token} if token else {})},
        )
        found.extend(answer.get("Subscriptions") or [])
        token = answer.get("NextToken")
        if not token:
            return found
    raise ResourceFailed("SNS's ListSubscriptionsByTopic did not finish listing")


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
        # CreateTopic answers an existing topic of the same attributes with its ARN: the
        # name is checked first, so a topic made elsewhere is not taken over.
        try:
            await ctx.call("sns", "GetTopicAttributes", {"TopicArn": arn})
        except ServiceFailed as failed:
            if not failed.not_found:
                raise
        else:
            raise ResourceFailed(
                f"Resource of type 'AWS::SNS::Topic' with identifier '{arn}' already exists.",
                "AlreadyExists",
            )
        attributes = topic_attributes(props)
        if boolean(props, "FifoTopic"):
            attributes["FifoTopic"] = "true"
        params: dict[str, Any] = {"Name": name}
        if attributes:
            params["Attributes"] = attributes
        tags = tag_list(props, ctx)
        if tags:
            params["Tags"] = tags
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
        old_tags, new_tags = tag_map(old, ctx), tag_map(props, ctx)
        removed = [key for key in old_tags if key not in new_tags]
        if removed:
            await ctx.call("sns", "UntagResource", {"ResourceArn": arn, "TagKeys": removed})
        changed = [{"Key": k, "Value": v} for k, v in new_tags.items() if old_tags.get(k) != v]
        if changed:
            await ctx.call("sns", "TagResource", {"ResourceArn": arn, "Tags": changed})
        await self._subscribe(ctx, arn, _endpoints(old), _endpoints(props))
        return Outcome(arn, {"TopicArn": arn, "TopicName": arn.rsplit(":", 1)[-1]})

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        # DeleteTopic takes the topic's subscriptions with it.
        arn = current.physical_id or self._arn(ctx, topic_name(ctx, current.properties))
        await quietly(ctx, "DeleteTopic", {"TopicArn": arn})

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
                    ctx, "Unsubscribe", {"SubscriptionArn": subscription["SubscriptionArn"]}
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
            await quietly(ctx, "Unsubscribe", {"SubscriptionArn": arn})

    async def _set(self, ctx: ProviderContext, arn: str, name: str, value: str) -> None:
        await ctx.call(
            "sns",
            "SetSubscriptionAttributes",
            {"SubscriptionArn": arn, "AttributeName": name, "AttributeValue": value},
        )

    async def _find(self, ctx: ProviderContext, props: Properties) -> str | None:
        """The subscription of the topic to the protocol and endpoint (SNS keeps one per
        pair), or None."""
        try:
            found = await subscriptions_of(ctx, str(props.get("TopicArn")))
        except ServiceFailed as failed:
            if failed.not_found:
                return None
            raise
        for subscription in found:
            if subscription.get("Protocol") == props.get("Protocol") and subscription.get(
                "Endpoint"
            ) == props.get("Endpoint"):
                return str(subscription["SubscriptionArn"])
        return None


def _topics(props: Properties) -> list[str]:
    return list(dict.fromkeys(str(arn) for arn in props.get("Topics") or []))


class TopicPolicy:
    """``AWS::SNS::TopicPolicy``: one policy document as the ``Policy`` of each topic
    listed. Its Ref (and ``Id``) is a name CloudFormation generates; deleting it puts
    each topic back on SNS's default policy."""

    replaced_by: frozenset[str] = frozenset()
    attributes = frozenset({"Id"})
    _properties = ("PolicyDocument", "Topics")

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        known("AWS::SNS::TopicPolicy", props, self._properties)
        required(props, "PolicyDocument", "Topics")
        policy = text(props["PolicyDocument"])
        for arn in _topics(props):
            await self._set(ctx, arn, policy)
        policy_id = ctx.name()
        return Outcome(policy_id, {"Id": policy_id})

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        known("AWS::SNS::TopicPolicy", props, self._properties)
        required(props, "PolicyDocument", "Topics")
        old = current.properties
        policy = text(props["PolicyDocument"])
        rewritten = text(old.get("PolicyDocument") or "") != policy
        before, after = _topics(old), _topics(props)
        for arn in after:
            if rewritten or arn not in before:
                await self._set(ctx, arn, policy)
        for arn in before:
            if arn not in after:
                await self._reset(ctx, arn)
        policy_id = current.physical_id or ctx.name()
        return Outcome(policy_id, {"Id": policy_id})

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        for arn in _topics(current.properties):
            await self._reset(ctx, arn)

    async def _set(self, ctx: ProviderContext, arn: str, policy: str) -> None:
        await ctx.call(
            "sns",
            "SetTopicAttributes",
            {"TopicArn": arn, "AttributeName": "Policy", "AttributeValue": policy},
        )

    async def _reset(self, ctx: ProviderContext, arn: str) -> None:
        # An empty policy is SNS's default one (the owner's permissions) again.
        await quietly(
            ctx,
            "SetTopicAttributes",
            {"TopicArn": arn, "AttributeName": "Policy", "AttributeValue": ""},
        )


PROVIDERS: dict[str, Provider] = {
    "AWS::SNS::Topic": Topic(),
    "AWS::SNS::Subscription": Subscription(),
    "AWS::SNS::TopicPolicy": TopicPolicy(),
}

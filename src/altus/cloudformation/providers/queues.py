"""SQS's resource types: queues, and the access policies put on them
(``AWS::SQS::QueuePolicy`` on several queues, ``AWS::SQS::QueueInlinePolicy`` on one),
made through Altus's SQS API.

A queue's properties are its attributes, by the same names: numbers and booleans as
SQS's text, a ``RedrivePolicy`` or ``RedriveAllowPolicy`` object as its JSON. A
property removed from the template sets the attribute back to SQS's default. A FIFO
queue the template leaves unnamed gets a generated name ending ``.fifo``, as SQS
requires. A queue's Ref is its URL.
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
    integer,
    required,
    tag_map,
)

#: Queue properties that are attributes: name -> (how the template's value becomes
#: SQS's text, what the attribute goes back to when the property is removed).
_NUMBER, _FLAG, _TEXT, _JSON = "number", "flag", "text", "json"
ATTRIBUTES: dict[str, tuple[str, str]] = {
    "DelaySeconds": (_NUMBER, "0"),
    "MaximumMessageSize": (_NUMBER, "1048576"),
    "MessageRetentionPeriod": (_NUMBER, "345600"),
    "ReceiveMessageWaitTimeSeconds": (_NUMBER, "0"),
    "VisibilityTimeout": (_NUMBER, "30"),
    "KmsMasterKeyId": (_TEXT, ""),
    "KmsDataKeyReusePeriodSeconds": (_NUMBER, "300"),
    "SqsManagedSseEnabled": (_FLAG, "true"),
    "ContentBasedDeduplication": (_FLAG, "false"),
    "DeduplicationScope": (_TEXT, "queue"),
    "FifoThroughputLimit": (_TEXT, "perQueue"),
    "RedrivePolicy": (_JSON, ""),
    "RedriveAllowPolicy": (_JSON, ""),
}
_QUEUE_PROPERTIES = (*ATTRIBUTES, "FifoQueue", "QueueName", "Tags")
#: SQS's limit on a queue's name (".fifo" included).
_MAX_NAME = 80
_FIFO = ".fifo"


def json_text(value: Any) -> str:
    """A JSON property as SQS takes it: text (an object as its JSON)."""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def known(type_name: str, props: Properties, names: tuple[str, ...]) -> None:
    """Refuse a property the type does not have, as CloudFormation words it."""
    for name in props:
        if name not in names:
            raise ResourceFailed(f"Encountered unsupported property {name} (in {type_name})")


def attribute(props: Properties, name: str) -> str | None:
    """The attribute ``name`` as the template sets it (None: not set)."""
    if props.get(name) is None:
        return None
    kind, _ = ATTRIBUTES[name]
    if kind == _NUMBER:
        return str(integer(props, name))
    if kind == _FLAG:
        return "true" if boolean(props, name) else "false"
    if kind == _JSON:
        return json_text(props[name])
    return str(props[name])


def queue_name(ctx: ProviderContext, props: Properties) -> str:
    if props.get("QueueName"):
        return str(props["QueueName"])
    if boolean(props, "FifoQueue"):
        return ctx.name(max_length=_MAX_NAME - len(_FIFO)) + _FIFO
    return ctx.name(max_length=_MAX_NAME)


async def quietly(
    ctx: ProviderContext, operation: str, params: Mapping[str, Any]
) -> dict[str, Any] | None:
    """An SQS call whose "no such queue" means the work is done already (None)."""
    try:
        return await ctx.call("sqs", operation, params)
    except ServiceFailed as failed:
        if failed.not_found:
            return None
        raise


class Queue:
    """``AWS::SQS::Queue``: Ref is the queue's URL."""

    replaced_by = frozenset({"QueueName", "FifoQueue"})
    attributes = frozenset({"Arn", "QueueName", "QueueUrl"})

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        known("AWS::SQS::Queue", props, _QUEUE_PROPERTIES)
        name = queue_name(ctx, props)
        # CreateQueue answers an existing queue of the same attributes with its URL: the
        # name is checked first, so another stack's (or the console's) queue is not taken.
        found = await quietly(ctx, "GetQueueUrl", {"QueueName": name})
        if found is not None:
            raise ResourceFailed(
                f"Resource of type 'AWS::SQS::Queue' with identifier '{name}' already exists.",
                "AlreadyExists",
            )
        attributes = {
            key: value for key in ATTRIBUTES if (value := attribute(props, key)) is not None
        }
        if boolean(props, "FifoQueue"):
            attributes["FifoQueue"] = "true"
        params: dict[str, Any] = {"QueueName": name}
        if attributes:
            params["Attributes"] = attributes
        tags = tag_map(props, ctx)
        if tags:
            params["tags"] = tags
        url = (await ctx.call("sqs", "CreateQueue", params))["QueueUrl"]
        return await self._outcome(ctx, url, name)

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        known("AWS::SQS::Queue", props, _QUEUE_PROPERTIES)
        old = current.properties
        url = current.physical_id or await self._url(ctx, props)
        if url is None:
            raise ResourceFailed(f"Queue {queue_name(ctx, props)} does not exist", "NotFound")
        changes: dict[str, str] = {}
        for key, (_, default) in ATTRIBUTES.items():
            before, after = attribute(old, key), attribute(props, key)
            if before != after:
                changes[key] = default if after is None else after
        if "SqsManagedSseEnabled" in changes and attribute(props, "KmsMasterKeyId"):
            # A KMS key is the queue's encryption: SQS-managed encryption stays off.
            changes.pop("SqsManagedSseEnabled")
        if changes:
            await ctx.call("sqs", "SetQueueAttributes", {"QueueUrl": url, "Attributes": changes})
        before_tags, after_tags = tag_map(old, ctx), tag_map(props, ctx)
        removed = [key for key in before_tags if key not in after_tags]
        if removed:
            await ctx.call("sqs", "UntagQueue", {"QueueUrl": url, "TagKeys": removed})
        changed = {k: v for k, v in after_tags.items() if before_tags.get(k) != v}
        if changed:
            await ctx.call("sqs", "TagQueue", {"QueueUrl": url, "Tags": changed})
        return await self._outcome(ctx, url, url.rstrip("/").rsplit("/", 1)[-1])

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        url = current.physical_id or await self._url(ctx, current.properties)
        if url is not None:
            await quietly(ctx, "DeleteQueue", {"QueueUrl": url})

    async def _url(self, ctx: ProviderContext, props: Properties) -> str | None:
        found = await quietly(ctx, "GetQueueUrl", {"QueueName": queue_name(ctx, props)})
        return None if found is None else str(found["QueueUrl"])

    async def _outcome(self, ctx: ProviderContext, url: str, name: str) -> Outcome:
        answer = await ctx.call(
            "sqs", "GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["QueueArn"]}
        )
        arn = answer["Attributes"]["QueueArn"]
        return Outcome(url, {"Arn": arn, "QueueName": name, "QueueUrl": url})


async def _set_policy(ctx: ProviderContext, url: str, policy: str) -> None:
    await ctx.call("sqs", "SetQueueAttributes", {"QueueUrl": url, "Attributes": {"Policy": policy}})


def _urls(props: Properties) -> list[str]:
    return list(dict.fromkeys(str(url) for url in props.get("Queues") or []))


class QueuePolicy:
    """``AWS::SQS::QueuePolicy``: one policy document as the ``Policy`` attribute of
    each queue listed. Its Ref (and ``Id``) is a name CloudFormation generates; deleting
    it clears the policy of each queue."""

    replaced_by: frozenset[str] = frozenset()
    attributes = frozenset({"Id"})
    _properties = ("PolicyDocument", "Queues")

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        known("AWS::SQS::QueuePolicy", props, self._properties)
        required(props, "PolicyDocument", "Queues")
        policy = json_text(props["PolicyDocument"])
        for url in _urls(props):
            await _set_policy(ctx, url, policy)
        policy_id = ctx.name()
        return Outcome(policy_id, {"Id": policy_id})

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        known("AWS::SQS::QueuePolicy", props, self._properties)
        required(props, "PolicyDocument", "Queues")
        old = current.properties
        policy = json_text(props["PolicyDocument"])
        rewritten = json_text(old.get("PolicyDocument") or "") != policy
        before = _urls(old)
        for url in _urls(props):
            if rewritten or url not in before:
                await _set_policy(ctx, url, policy)
        for url in before:
            if url not in _urls(props):
                await quietly(
                    ctx, "SetQueueAttributes", {"QueueUrl": url, "Attributes": {"Policy": ""}}
                )
        policy_id = current.physical_id or ctx.name()
        return Outcome(policy_id, {"Id": policy_id})

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        for url in _urls(current.properties):
            await quietly(
                ctx, "SetQueueAttributes", {"QueueUrl": url, "Attributes": {"Policy": ""}}
            )


class QueueInlinePolicy:
    """``AWS::SQS::QueueInlinePolicy``: one queue's ``Policy`` attribute; its Ref is the
    queue's URL (its primary identifier)."""

    replaced_by = frozenset({"Queue"})
    attributes: frozenset[str] = frozenset()
    _properties = ("PolicyDocument", "Queue")

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        known("AWS::SQS::QueueInlinePolicy", props, self._properties)
        required(props, "PolicyDocument", "Queue")
        url = str(props["Queue"])
        await _set_policy(ctx, url, json_text(props["PolicyDocument"]))
        return Outcome(url)

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        known("AWS::SQS::QueueInlinePolicy", props, self._properties)
        required(props, "PolicyDocument", "Queue")
        url = str(props["Queue"])
        policy = json_text(props["PolicyDocument"])
        if json_text(current.properties.get("PolicyDocument") or "") != policy:
            await _set_policy(ctx, url, policy)
        return Outcome(url)

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        url = current.physical_id or current.properties.get("Queue")
        if url:
            await quietly(
                ctx, "SetQueueAttributes", {"QueueUrl": str(url), "Attributes": {"Policy": ""}}
            )


PROVIDERS: dict[str, Provider] = {
    "AWS::SQS::Queue": Queue(),
    "AWS::SQS::QueuePolicy": QueuePolicy(),
    "AWS::SQS::QueueInlinePolicy": QueueInlinePolicy(),
}

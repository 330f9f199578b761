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

from altus.cloudformation.providers.base import (
    Current,
    Outcome,
    Properties,
    Provider,
    ProviderContext,
    ResourceFailed,
    boolean,
    integer,
    tag_map,
)
from altus.cloudformation.providers.common import (
    PolicyOnEach,
    PolicyOnOne,
    Tagging,
    fifo_name,
    json_text,
    known,
    present,
    quietly,
    refuse_taken,
    retag,
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
    return fifo_name(ctx, props, "QueueName", "FifoQueue", _MAX_NAME)


#: SQS's tags: TagQueue and UntagQueue, on the queue's URL, as a map.
_TAGGING = Tagging("sqs", "TagQueue", "UntagQueue", pair=None)


class Queue:
    """``AWS::SQS::Queue``: Ref is the queue's URL."""

    replaced_by = frozenset({"QueueName", "FifoQueue"})
    attributes = frozenset({"Arn", "QueueName", "QueueUrl"})

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        known("AWS::SQS::Queue", props, _QUEUE_PROPERTIES)
        name = queue_name(ctx, props)
        # CreateQueue answers an existing queue of the same attributes with its URL: the
        # name is checked first, so another stack's (or the console's) queue is not taken.
        await refuse_taken(
            ctx,
            "sqs",
            "GetQueueUrl",
            {"QueueName": name},
            f"Resource of type 'AWS::SQS::Queue' with identifier '{name}' already exists.",
        )
        attributes = {
            key: value for key in ATTRIBUTES if (value := attribute(props, key)) is not None
        }
        if boolean(props, "FifoQueue"):
            attributes["FifoQueue"] = "true"
        params = {
            "QueueName": name,
            **present(Attributes=attributes or None, tags=tag_map(props, ctx) or None),
        }
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
        await retag(ctx, _TAGGING, {"QueueUrl": url}, tag_map(old, ctx), tag_map(props, ctx))
        return await self._outcome(ctx, url, url.rstrip("/").rsplit("/", 1)[-1])

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        url = current.physical_id or await self._url(ctx, current.properties)
        if url is not None:
            await quietly(ctx, "sqs", "DeleteQueue", {"QueueUrl": url})

    async def _url(self, ctx: ProviderContext, props: Properties) -> str | None:
        found = await quietly(ctx, "sqs", "GetQueueUrl", {"QueueName": queue_name(ctx, props)})
        return None if found is None else str(found["QueueUrl"])

    async def _outcome(self, ctx: ProviderContext, url: str, name: str) -> Outcome:
        answer = await ctx.call(
            "sqs", "GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["QueueArn"]}
        )
        arn = answer["Attributes"]["QueueArn"]
        return Outcome(url, {"Arn": arn, "QueueName": name, "QueueUrl": url})


async def _set_policy(ctx: ProviderContext, url: str, policy: str) -> None:
    await ctx.call("sqs", "SetQueueAttributes", {"QueueUrl": url, "Attributes": {"Policy": policy}})


async def _clear_policy(ctx: ProviderContext, url: str) -> None:
    await quietly(ctx, "sqs", "SetQueueAttributes", {"QueueUrl": url, "Attributes": {"Policy": ""}})


#: ``AWS::SQS::QueuePolicy``: one policy document as the ``Policy`` attribute of each
#: queue listed (its Ref and ``Id`` a name CloudFormation generates; deleting it clears
#: the policy of each queue); ``AWS::SQS::QueueInlinePolicy``: one queue's ``Policy``
#: attribute (its Ref the queue's URL, its primary identifier).
PROVIDERS: dict[str, Provider] = {
    "AWS::SQS::Queue": Queue(),
    "AWS::SQS::QueuePolicy": PolicyOnEach(
        "AWS::SQS::QueuePolicy", "Queues", _set_policy, _clear_policy
    ),
    "AWS::SQS::QueueInlinePolicy": PolicyOnOne(
        "AWS::SQS::QueueInlinePolicy", ("PolicyDocument", "Queue"), _set_policy, _clear_policy
    ),
}

"""Topics: CreateTopic (idempotent for the same name and attributes), DeleteTopic,
SetTopicAttributes, tags, and AddPermission / RemovePermission on the topic's access
policy. Each change is planned from memory and written before memory takes it, one at a
time (``Core.admin``).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Any

from altus.sns import attributes, names
from altus.sns.delivery import Deliveries
from altus.sns.errors import (
    ResourceNotFound,
    TagLimitExceeded,
    invalid,
)
from altus.sns.model import DropTopic, PutTopic, Topic
from altus.sns.state import Core, TopicState

MAX_TAGS = 50
#: What an unset attribute reads as, when a CreateTopic again compares attributes.
_DEFAULTS = {
    "DisplayName": "",
    "FifoTopic": "false",
    "ContentBasedDeduplication": "false",
    "SignatureVersion": "1",
}
#: The actions AddPermission may grant (SNS's actions on a topic).
PERMITTED_ACTIONS = frozenset(
    {
        "*",
        "AddPermission",
        "ConfirmSubscription",
        "DeleteTopic",
        "GetDataProtectionPolicy",
        "GetTopicAttributes",
        "ListSubscriptionsByTopic",
        "ListTagsForResource",
        "Publish",
        "PutDataProtectionPolicy",
        "Receive",
        "RemovePermission",
        "SetTopicAttributes",
        "Subscribe",
        "TagResource",
        "UntagResource",
    }
)


def check_tags(given: Sequence[Mapping[str, str]] | None) -> list[tuple[str, str]]:
    pairs = [(tag["Key"], tag.get("Value", "")) for tag in given or ()]
    if len({key for key, _ in pairs}) != len(pairs):
        raise invalid("Duplicated keys are not allowed.")
    if len(pairs) > MAX_TAGS:
        raise _tag_limit()
    return pairs


def _tag_limit() -> TagLimitExceeded:
    return TagLimitExceeded("Could not complete request: tag quota of per resource exceeded")


async def create(
    core: Core, name: str, given: Mapping[str, str], tags: list[tuple[str, str]]
) -> Topic:
    fifo_flag = given.get("FifoTopic", "false")
    if fifo_flag.lower() not in ("true", "false"):
        raise invalid(
            "Attributes", f"FifoTopic: Invalid value [{fifo_flag}]. Must be true or false."
        )
    fifo = fifo_flag.lower() == "true"
    names.check_topic_name(name, fifo)
    checked = attributes.check_for_create(given, fifo)
    async with core.admin:
        existing = core.topics.get(name)
        if existing is not None:
            topic = existing.topic
            for key, value in checked.items():
                if topic.attributes.get(key, _DEFAULTS.get(key, "")) != value:
                    raise invalid("Attributes", "Topic already exists with different attributes")
            kept = dict(topic.tags)
            if any(kept.get(key) != value for key, value in tags):
                raise invalid("Tags", "Topic already exists with different tags")
            return topic
        arn = core.arn(name)
        stored = {"Policy": attributes.default_policy(core.account, arn), **checked}
        if fifo:
            stored["FifoTopic"] = "true"
            stored.setdefault("ContentBasedDeduplication", "false")
        else:
            stored.pop("FifoTopic", None)
        made = Topic(name=name, attributes=stored, tags=tuple(tags), created_ms=core.now_ms())

        def applied() -> Topic:
            core.topics[name] = TopicState(made)
            return made

        written: Topic = await core.write([PutTopic(made)], applied)
        return written


async def delete(core: Core, deliveries: Deliveries, arn: str) -> None:
    """DeleteTopic, with its subscriptions and what was on its way to them; a topic
    that is not there is gone already."""
    name = names.topic_name(arn, core.account)
    async with core.admin:
        state = core.topics.get(name)
        if state is None:
            return

        def applied() -> None:
            if core.topics.get(name) is state:
                del core.topics[name]
            for subscription in state.subscriptions:
                core.subscriptions.pop(subscription, None)
            deliveries.forget(set(state.subscriptions))
            for key in [k for k in core.dedups if k[0] == name]:
                del core.dedups[key]

        await core.write([DropTopic(name, arn)], applied)


async def _change(core: Core, state: TopicState, topic: Topic) -> None:
    def applied() -> None:
        if core.topics.get(topic.name) is state:
            state.topic = topic

    await core.write([PutTopic(topic)], applied)


async def set_attribute(core: Core, arn: str, name: str, value: str) -> None:
    async with core.admin:
        state = core.state_of_arn(arn)
        topic = state.topic
        checked = attributes.check_for_set(name, value, topic.fifo)
        changed = dict(topic.attributes)
        if checked == "" and name in ("Policy", "DeliveryPolicy"):
            changed.pop(name, None)
        else:
            changed[name] = checked
        await _change(core, state, dataclasses.replace(topic, attributes=changed))


def reported(core: Core, state: TopicState) -> dict[str, str]:
    confirmed, pending = state.counts()
    return attributes.reported(
        core.arn(state.topic.name),
        core.account,
        state.topic.attributes,
        confirmed,
        pending,
        state.deleted,
    )


# --- tags ------------------------------------------------------------------------------------


def tagged(core: Core, arn: str) -> TopicState:
    """The topic a tagging call names (ResourceNotFound for anything else)."""
    name = names.topic_name(arn, core.account, "ResourceArn") if arn.startswith("arn:") else ""
    state = core.topics.get(name)
    if state is None:
        raise ResourceNotFound("Resource does not exist")
    return state


async def tag(core: Core, arn: str, given: Sequence[Mapping[str, str]]) -> None:
    pairs = check_tags(given)
    async with core.admin:
        state = tagged(core, arn)
        merged = dict(state.topic.tags)
        merged.update(pairs)
        if len(merged) > MAX_TAGS:
            raise _tag_limit()
        await _change(core, state, dataclasses.replace(state.topic, tags=tuple(merged.items())))


async def untag(core: Core, arn: str, keys: Sequence[str]) -> None:
    async with core.admin:
        state = tagged(core, arn)
        gone = set(keys)
        kept = tuple(pair for pair in state.topic.tags if pair[0] not in gone)
        if kept != state.topic.tags:
            await _change(core, state, dataclasses.replace(state.topic, tags=kept))


# --- the access policy -----------------------------------------------------------------------


def _policy(core: Core, state: TopicState) -> dict[str, Any]:
    arn = core.arn(state.topic.name)
    text = state.topic.attributes.get("Policy") or attributes.default_policy(core.account, arn)
    policy = json.loads(text)
    if not isinstance(policy.get("Statement"), list):
        policy["Statement"] = [policy["Statement"]] if policy.get("Statement") else []
    return dict(policy)


async def add_permission(
    core: Core, arn: str, label: str, accounts: Sequence[str], actions: Sequence[str]
) -> None:
    if not label:
        raise invalid("Label")
    if not accounts:
        raise invalid("AWSAccountId")
    if not actions or any(a not in PERMITTED_ACTIONS for a in actions):
        raise invalid("Policy statement action out of service scope!")
    async with core.admin:
        state = core.state_of_arn(arn)
        policy = _policy(core, state)
        if any(s.get("Sid") == label for s in policy["Statement"] if isinstance(s, dict)):
            raise invalid("Statement already exists")
        partition = core.account.partition
        principals = [f"arn:{partition}:iam::{account}:root" for account in accounts]
        granted = [f"SNS:{action}" for action in actions]
        policy["Statement"].append(
            {
                "Sid": label,
                "Effect": "Allow",
                "Principal": {"AWS": principals[0] if len(principals) == 1 else principals},
                "Action": granted[0] if len(granted) == 1 else granted,
                "Resource": core.arn(state.topic.name),
            }
        )
        changed = {**state.topic.attributes, "Policy": attributes.compact(policy)}
        await _change(core, state, dataclasses.replace(state.topic, attributes=changed))


async def remove_permission(core: Core, arn: str, label: str) -> None:
    async with core.admin:
        state = core.state_of_arn(arn)
        policy = _policy(core, state)
        kept = [
            s for s in policy["Statement"] if not (isinstance(s, dict) and s.get("Sid") == label)
        ]
        if len(kept) == len(policy["Statement"]):
            return
        policy["Statement"] = kept
        changed = {**state.topic.attributes, "Policy": attributes.compact(policy)}
        await _change(core, state, dataclasses.replace(state.topic, attributes=changed))

"""Publishing: which subscriptions take a message (confirmed ones whose filter policy
passes it), the message and its deliveries as one plan written before the answer, and
FIFO topics' deduplication (a deduplication id seen in the last five minutes answers
what its first publish did and delivers nothing) and sequence numbers.

A message no subscription takes is not stored at all: there is nothing to deliver.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from altus import ids
from altus.errors import AltusError
from altus.sns import envelopes, filtering, messages
from altus.sns.delivery import Deliveries
from altus.sns.errors import InternalError, invalid, topic_not_found
from altus.sns.messages import Request
from altus.sns.model import NOTIFICATION, AddMessage, Change, Dedup, Delivery, Message, PutDedup
from altus.sns.state import Core, TopicState

#: How long a FIFO deduplication id holds (SNS: five minutes).
DEDUP_WINDOW_MS = 5 * 60 * 1000


@dataclass(frozen=True, slots=True)
class Published:
    message_id: str
    sequence: str | None = None


def takes(state: TopicState, message: Message) -> list[tuple[str, str, str]]:
    """(subscription ARN, protocol, endpoint) of each subscription that takes
    ``message``: confirmed, and passed by its filter policy if it has one."""
    out = []
    for subscription in state.subscriptions.values():
        if not subscription.confirmed:
            continue
        policy = subscription.attributes.get("FilterPolicy")
        if policy:
            scope = subscription.attributes.get("FilterPolicyScope", filtering.ATTRIBUTES_SCOPE)
            text = message.text_for(subscription.protocol)
            if not filtering.compiled(policy, scope).matches(text, message.attributes):
                continue
        out.append((subscription.arn, subscription.protocol, subscription.endpoint))
    return out


def _message(core: Core, state: TopicState, request: Request) -> Message:
    return Message(
        id=ids.request_id(),
        topic=core.arn(state.topic.name),
        kind=NOTIFICATION,
        text=request.text,
        per_protocol=request.per_protocol,
        subject=request.subject,
        attributes=request.attributes,
        timestamp_ms=core.now_ms(),
        group_id=request.group_id,
        trace=request.trace,
    )


def _submit(
    core: Core,
    deliveries: Deliveries,
    state: TopicState,
    message: Message,
    dedup: Dedup | None,
) -> asyncio.Future[Published]:
    """Plan the message's deliveries and queue the plan; the future answers once it is
    written (at once, if there is nothing to write)."""
    made = [
        Delivery(core.next_seq(), message.id, arn, protocol, endpoint, 0, message.timestamp_ms)
        for arn, protocol, endpoint in takes(state, message)
    ]
    plan: list[Change] = []
    if made:
        plan.append(AddMessage(message, tuple(made)))
    if dedup is not None:
        plan.append(PutDedup(dedup))
    published = Published(message.id, message.sequence)

    def applied() -> Published:
        if made:
            deliveries.add(message, made)
        if dedup is not None:
            core.dedups[(dedup.topic, dedup.dedup_id)] = dedup
        return published

    if not plan:
        done: asyncio.Future[Published] = asyncio.get_running_loop().create_future()
        done.set_result(published)
        return done
    return core.submit(plan, applied)


def _fifo_message(
    core: Core, state: TopicState, request: Request, dedup_id: str, seen: dict[str, Published]
) -> tuple[Message | None, Published | None, Dedup | None]:
    """A FIFO publish: (the message and its dedup id to write) or (the earlier answer
    its deduplication id gives)."""
    now = core.now_ms()
    earlier = seen.get(dedup_id)
    if earlier is not None:
        return None, earlier, None
    kept = core.dedups.get((state.topic.name, dedup_id))
    if kept is not None and kept.expires_ms >= now:
        return None, Published(kept.message_id, kept.sequence), None
    sequence = state.next_sequence(now)
    message = dataclasses.replace(
        _message(core, state, request), dedup_id=dedup_id, sequence=sequence
    )
    dedup = Dedup(state.topic.name, dedup_id, message.id, sequence, now + DEDUP_WINDOW_MS)
    return message, None, dedup


def _dedup_id(state: TopicState, request: Request) -> str | None:
    topic = state.topic
    content = topic.attributes.get("ContentBasedDeduplication") == "true"
    return messages.check_fifo(topic.fifo, content, request.group_id, request.dedup_id, request.raw)


async def publish(
    core: Core, deliveries: Deliveries, state: TopicState, request: Request
) -> Published:
    """Publish one message; its deliveries are written when this returns."""
    result = (await publish_batch(core, deliveries, state, [request]))[0]
    if isinstance(result, Exception):
        raise result
    return result


async def publish_batch(
    core: Core, deliveries: Deliveries, state: TopicState, requests: Sequence[Request]
) -> list[Published | AltusError]:
    """Publish each request, each written all-or-nothing on its own: per request, what
    it published or why not (a store failure of its plan). A FIFO topic's requests are
    planned one after another under the topic's lock, in order."""
    dedup_ids = [_dedup_id(state, request) for request in requests]
    if not state.topic.fifo:
        futures = [
            _submit(core, deliveries, state, _message(core, state, r), None) for r in requests
        ]
        return await _settle(futures)
    async with state.lock:
        if core.topics.get(state.topic.name) is not state:
            raise topic_not_found()
        seen: dict[str, Published] = {}
        futures = []
        for request, dedup_id in zip(requests, dedup_ids, strict=True):
            assert dedup_id is not None
            message, earlier, dedup = _fifo_message(core, state, request, dedup_id, seen)
            if message is None:
                assert earlier is not None
                done: asyncio.Future[Published] = asyncio.get_running_loop().create_future()
                done.set_result(earlier)
                futures.append(done)
                continue
            seen[dedup_id] = Published(message.id, message.sequence)
            futures.append(_submit(core, deliveries, state, message, dedup))
        return await _settle(futures)


async def _settle(futures: list[asyncio.Future[Published]]) -> list[Published | AltusError]:
    results: list[Published | AltusError] = []
    for future in futures:
        try:
            results.append(await future)
        except AltusError as error:
            results.append(error)
        except Exception:
            results.append(InternalError("The message could not be stored."))
    return results


async def publish_record(
    core: Core,
    deliveries: Deliveries,
    state: TopicState,
    body: str,
    attributes: Mapping[str, Mapping[str, str]] | None,
    trace: str | None = None,
) -> Published:
    """A record another service sends to the topic (a destination, a dead-letter
    queue): published with its attributes (and its X-Ray trace), within SNS's limits."""
    if state.topic.fifo:
        raise invalid("The MessageGroupId parameter is required for FIFO topics")
    converted = envelopes.from_queue_attributes(attributes)
    text = messages.check_message(body)
    if len(text.encode()) + messages.attributes_size(converted) > messages.MAX_BYTES:
        raise invalid("Message too long")
    return await publish(
        core, deliveries, state, Request(text=text, attributes=converted, raw=text, trace=trace)
    )

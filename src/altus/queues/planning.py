"""Pure planners of the queue operations that move messages: a send (checks, MD5s,
FIFO deduplication, the message to store) and a receive (the deliveries, the redrives
to a dead-letter queue, the expired messages to drop), as data the service writes and
then applies. No I/O, no clock of their own: the time, the next sequence number and the
account are given."""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from altus import ids
from altus.queues.base import (
    Dedup,
    DropMessages,
    Message,
    PutDelivery,
    PutMessage,
    Queue,
    QueueChange,
)
from altus.queues.errors import InvalidParameterValue, MissingParameter
from altus.queues.handles import sequence_number
from altus.queues.md5 import md5_of_attributes, md5_of_body
from altus.queues.messages import (
    check_attributes,
    check_body,
    check_fifo_id,
    check_int,
    check_system_attributes,
    size_of,
)
from altus.queues.state import Pick

#: How long a FIFO deduplication id holds (SQS: five minutes).
DEDUP_WINDOW_MS = 5 * 60 * 1000


@dataclass(frozen=True, slots=True)
class Sent:
    message_id: str
    md5_body: str
    md5_attributes: str | None
    md5_system: str | None
    sequence_number: str | None


@dataclass(frozen=True, slots=True)
class Received:
    """A message as one receive delivered it (a copy: later changes do not show)."""

    message: Message
    receipt_handle: str
    fifo: bool


@dataclass(slots=True)
class SendRequest:
    body: Any
    attributes: Any = None
    system: Any = None
    delay: Any = None
    group_id: Any = None
    dedup_id: Any = None
    #: The call's X-Ray trace header (``X-Amzn-Trace-Id``, normalised): the message's
    #: ``AWSTraceHeader`` where its own system attributes name none, as SQS takes it.
    #: Not in ``MD5OfMessageSystemAttributes``: the sender sent no such attribute.
    trace: str | None = None


def plan_send(
    queue: Queue,
    dedups: Mapping[str, Dedup],
    request: SendRequest,
    now: int,
    seen: Mapping[str, Sent],
    next_seq: Callable[[], int],
    sender_id: str,
) -> tuple[Sent, Message | None, Dedup | None]:
    """What one send to ``queue`` answers, and the message and deduplication id it
    stores (None for a FIFO duplicate within the window, or of an earlier entry of the
    same batch in ``seen``). Raises the queue errors SQS answers for a refused send."""
    body = check_body(request.body)
    attributes = check_attributes(request.attributes)
    system = check_system_attributes(request.system)
    delay = check_int(
        "DelaySeconds", request.delay, 0, 900, "DelaySeconds must be >= 0 and <= 900."
    )
    group_id = check_fifo_id("MessageGroupId", request.group_id)
    dedup_id = check_fifo_id("MessageDeduplicationId", request.dedup_id)
    if queue.fifo:
        if delay:
            raise InvalidParameterValue(
                f"Value {delay} for parameter DelaySeconds is invalid. Reason: The request "
                "include parameter that is not valid for this queue type."
            )
        if group_id is None:
            raise MissingParameter("The request must contain the parameter MessageGroupId.")
        if dedup_id is None:
            if queue.attributes.get("ContentBasedDeduplication") != "true":
                raise InvalidParameterValue(
                    "The queue should either have ContentBasedDeduplication enabled or "
                    "MessageDeduplicationId provided explicitly"
                )
            dedup_id = hashlib.sha256(body.encode("utf-8")).hexdigest()
    elif dedup_id is not None:
        raise InvalidParameterValue(
            f"Value {dedup_id} for parameter MessageDeduplicationId is invalid. Reason: "
            "The request includes a parameter that is not valid for this queue type."
        )
    limit = queue.number("MaximumMessageSize")
    if size_of(body, attributes) > limit:
        raise InvalidParameterValue(
            "One or more parameters are invalid. Reason: Message "
            f"must be shorter than {limit} bytes."
        )
    md5s = (md5_of_body(body), md5_of_attributes(attributes), md5_of_attributes(system))
    key = ""
    if queue.fifo:
        assert dedup_id is not None
        key = (
            f"{group_id}\x1f{dedup_id}"
            if queue.attributes.get("DeduplicationScope") == "messageGroup"
            else dedup_id
        )
        if key in seen:
            return (
                dataclasses.replace(
                    seen[key], md5_body=md5s[0], md5_attributes=md5s[1], md5_system=md5s[2]
                ),
                None,
                None,
            )
        earlier = dedups.get(key)
        if earlier is not None and earlier.expires_ms > now:
            return Sent(earlier.message_id, *md5s, sequence_number(earlier.seq)), None, None
    if request.trace and "AWSTraceHeader" not in system:
        system = {**system, "AWSTraceHeader": {"DataType": "String", "StringValue": request.trace}}
    seq = next_seq()
    message = Message(
        queue=queue.name,
        id=ids.request_id(),
        seq=seq,
        body=body,
        attributes=attributes,
        system=system,
        sent_ms=now,
        visible_ms=now + 1000 * (delay if delay is not None else queue.number("DelaySeconds")),
        sender_id=sender_id,
        group_id=group_id,
        dedup_id=dedup_id if queue.fifo else None,
    )
    sent = Sent(message.id, *md5s, sequence_number(seq) if queue.fifo else None)
    dedup = Dedup(queue.name, key, message.id, seq, now + DEDUP_WINDOW_MS) if queue.fifo else None
    return sent, message, dedup


@dataclass(slots=True)
class ReceivePlan:
    """What one receive writes: the deliveries (new visibility, count, receipt), the
    copies redriven to the dead-letter queue, the ids dropped from the queue."""

    changes: list[QueueChange] = field(default_factory=list)
    deliveries: list[PutDelivery] = field(default_factory=list)
    moved: list[Message] = field(default_factory=list)
    dropped: tuple[str, ...] = ()


def plan_receive(
    name: str,
    pick: Pick,
    now: int,
    visibility: int,
    dead_letter: str | None,
    source_arn: str,
    next_seq: Callable[[], int],
) -> ReceivePlan:
    """The plan of a receive of ``pick`` from queue ``name``: each message to deliver gets
    ``visibility`` seconds and a fresh receipt; past the redrive count, a message moves
    to the ``dead_letter`` queue (as a new message there, from ``source_arn``); expired
    ones are dropped."""
    plan = ReceivePlan()
    # One token per receive: a handle also names its message, so it stays unique, and a
    # later receive of the same message gets another (an event source mapping's batch of
    # 10,000 would otherwise read the system's random source 10,000 times).
    token = secrets.token_hex(8)
    for message in pick.deliver:
        delivery = PutDelivery(
            name,
            message.id,
            now + visibility * 1000,
            message.receive_count + 1,
            message.first_receive_ms or now,
            token,
        )
        plan.deliveries.append(delivery)
        plan.changes.append(delivery)
    if dead_letter is not None:
        for message in pick.redrive:
            copy = dataclasses.replace(
                message,
                queue=dead_letter,
                seq=next_seq(),
                visible_ms=now,
                receive_count=0,
                first_receive_ms=0,
                receipt="",
                source_arn=source_arn,
            )
            plan.moved.append(copy)
            plan.changes.append(PutMessage(copy))
    plan.dropped = tuple(m.id for m in [*pick.redrive, *pick.expired])
    if plan.dropped:
        plan.changes.append(DropMessages(name, plan.dropped))
    return plan

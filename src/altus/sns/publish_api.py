"""Publish and PublishBatch.

A message is checked (``messages``), its topic found, and its deliveries written before
the answer (``publishing``). PublishBatch refuses the whole request for what SNS
refuses it for (recorded from AWS: a batch's shape, an entry's attributes, size,
structure or FIFO ids), and answers per entry for the rest: an entry with an empty
message or a bad subject, or whose write failed, is listed in ``Failed``.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from typing import Any

from altus.api.model import service_model
from altus.api.spec import Call, Members
from altus.errors import AltusError
from altus.observe.trace_header import normal
from altus.sns import messages, names, publishing
from altus.sns.component import Topics
from altus.sns.errors import (
    BatchEntryIdsNotDistinct,
    BatchRequestTooLong,
    EmptyBatchRequest,
    InvalidBatchEntryId,
    InvalidParameter,
    TooManyEntriesInBatchRequest,
    invalid,
)
from altus.sns.state import TopicState

MAX_ENTRIES = 10
_ENTRY_ID = re.compile(r"[A-Za-z0-9_-]{1,80}")
#: What PublishBatch answers per entry rather than for the whole request.
_PER_ENTRY = ("Invalid parameter: Empty message", "Invalid parameter: Subject")


def _topic(sns: Topics, input: Members) -> TopicState:
    """The topic a Publish names, by TopicArn or TargetArn (one of them)."""
    if input.get("PhoneNumber") is not None:
        raise invalid("PhoneNumber", "Altus does not send SMS messages")
    topic, target = input.get("TopicArn"), input.get("TargetArn")
    if topic is None and target is None:
        raise invalid("TopicArn or TargetArn", "no value for required parameter")
    if topic is not None and target is not None:
        raise invalid("TopicArn or TargetArn", "Only one of TopicArn or TargetArn may be given")
    if target is not None:
        if not names.is_topic_arn(target, sns.core.account):
            raise invalid("TargetArn", "No endpoint found for the target arn specified")
        return sns.core.state_of_arn(target, "TargetArn")
    assert topic is not None
    return sns.core.state_of_arn(topic)


async def publish(sns: Topics, call: Call, input: Members) -> Members:
    request = _traced(messages.request(input), call)
    state = _topic(sns, input)
    published = await publishing.publish(sns.core, sns.deliveries, state, request)
    out: Members = {"MessageId": published.message_id}
    if published.sequence is not None:
        out["SequenceNumber"] = published.sequence
    return out


@functools.cache
def _legacy_code(code: str) -> str:
    """The code a batch entry reports an error by (the query protocol's)."""
    try:
        shape = service_model("sns").shape_for(code)
    except Exception:  # botocore's NoShapeFoundError: an error of no model shape
        return code
    return str(shape.metadata.get("error", {}).get("code", code))


def _failed(entry_id: str, error: AltusError) -> Members:
    return {
        "Id": entry_id,
        "Code": _legacy_code(error.code),
        "Message": error.message,
        "SenderFault": error.fault == "User",
    }


def _check_entries(entries: list[Any]) -> None:
    if not entries:
        raise EmptyBatchRequest("The batch request doesn't contain any entries.")
    if len(entries) > MAX_ENTRIES:
        raise TooManyEntriesInBatchRequest(
            "The batch request contains more entries than permissible."
        )
    ids = [entry["Id"] for entry in entries]
    for entry_id in ids:
        if not _ENTRY_ID.fullmatch(entry_id):
            raise InvalidBatchEntryId(
                "A batch entry id can only contain alphanumeric characters, hyphens and "
                "underscores. It can be at most 80 letters long."
            )
    if len(set(ids)) != len(ids):
        raise BatchEntryIdsNotDistinct("Two or more batch entries in the request have the same Id.")


async def publish_batch(sns: Topics, call: Call, input: Members) -> Members:
    entries = list(input["PublishBatchRequestEntries"])
    _check_entries(entries)
    checked: list[tuple[str, messages.Request]] = []
    failed: list[Members] = []
    total = 0
    for entry in entries:
        try:
            request = _traced(messages.request(entry), call)
        except InvalidParameter as error:
            if error.message not in _PER_ENTRY:
                raise
            failed.append(_failed(entry["Id"], error))
            continue
        total += request.size
        checked.append((entry["Id"], request))
    if total > messages.MAX_BYTES:
        raise BatchRequestTooLong(
            "The length of all the messages put together is more than the limit."
        )
    state = sns.core.state_of_arn(input["TopicArn"])
    results = await publishing.publish_batch(
        sns.core, sns.deliveries, state, [request for _, request in checked]
    )
    successful: list[Members] = []
    for (entry_id, _), result in zip(checked, results, strict=True):
        if isinstance(result, AltusError):
            failed.append(_failed(entry_id, result))
            continue
        done: Members = {"Id": entry_id, "MessageId": result.message_id}
        if result.sequence is not None:
            done["SequenceNumber"] = result.sequence
        successful.append(done)
    return {"Successful": successful, "Failed": failed}


def _traced(request: messages.Request, call: Call) -> messages.Request:
    """The publish with the caller's X-Ray trace header (``X-Amzn-Trace-Id``)."""
    # Normalised: a header that is not X-Ray's (or is oversized) is not kept.
    trace = normal(call.request.headers.get("x-amzn-trace-id"))
    return dataclasses.replace(request, trace=trace) if trace else request

"""The Amazon SQS API over the built-in queues: each operation takes the request's
members (from awsJson 1.0, what boto3 speaks, or the legacy query protocol, the same
members either way) and returns the output members.

Queues are named by URL, ``<base url>/<account id>/<name>``: the base is the server's
own scheme, host and port as the request reached it; any URL whose last two path
segments are this account and a queue name is accepted. A request sent to the queue's
URL itself (as older SDKs send the query protocol's) names its queue by that path
(``implied``).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request

from altus.api import paging
from altus.api.protocols.common import header_map
from altus.api.spec import Call, Members
from altus.observe.trace_header import normal
from altus.queues import messages as message_checks
from altus.queues.errors import (
    BatchRequestTooLong,
    InvalidAttributeName,
    InvalidParameterValue,
    MissingParameter,
    QueueDoesNotExist,
    QueueError,
    legacy_code,
)
from altus.queues.handles import sequence_number
from altus.queues.md5 import md5_of_attributes, md5_of_body
from altus.queues.planning import Received, SendRequest
from altus.queues.service import QueueService

MAX_BATCH_BYTES = 1_048_576

#: What ReceiveMessage's AttributeNames / MessageSystemAttributeNames may name.
SYSTEM_NAMES = {
    "All",
    "SenderId",
    "SentTimestamp",
    "ApproximateReceiveCount",
    "ApproximateFirstReceiveTimestamp",
    "SequenceNumber",
    "MessageDeduplicationId",
    "MessageGroupId",
    "AWSTraceHeader",
    "DeadLetterQueueSourceArn",
}
#: AttributeNames is modelled as queue attribute names; SQS ignores those there.
_QUEUE_NAMES = {
    "Policy",
    "VisibilityTimeout",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "QueueArn",
    "ApproximateNumberOfMessagesDelayed",
    "DelaySeconds",
    "ReceiveMessageWaitTimeSeconds",
    "RedrivePolicy",
    "FifoQueue",
    "ContentBasedDeduplication",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "DeduplicationScope",
    "FifoThroughputLimit",
    "RedriveAllowPolicy",
    "SqsManagedSseEnabled",
}


def implied(request: Request, members: Members) -> Members:
    """A request sent to ``/<account>/<queue>`` names that queue when its members do not."""
    if not members.get("QueueUrl") and request.url.path.count("/") == 2:
        return {**members, "QueueUrl": str(request.url.replace(query=""))}
    return members


def _url(queues: QueueService, call: Call, name: str) -> str:
    return f"{call.base_url}/{queues.account_id}/{name}"


def _name(queues: QueueService, call: Call, body: Mapping[str, Any]) -> str:
    """The queue a request's ``QueueUrl`` names (it must exist)."""
    url: str | None = body.get("QueueUrl")
    if url is None or url == "":
        raise MissingParameter("The request must contain the parameter QueueUrl.")
    name = queue_name_of_url(url, queues.account_id)
    if name is None:
        raise QueueDoesNotExist()
    queues.queue(name)
    return name


def queue_name_of_url(url: str, account_id: str) -> str | None:
    """The queue a QueueUrl names (``<endpoint>/<account>/<name>``), read from its path
    alone: what the operation acts on, and what its permission is checked against."""
    segments = urlsplit(url).path.rstrip("/").split("/")
    if len(segments) < 3 or segments[-2] != account_id:
        return None
    return segments[-1]


# --- queues ------------------------------------------------------------------------------


async def create_queue(queues: QueueService, call: Call, body: Members) -> Members:
    queue = await queues.create_queue(
        body.get("QueueName"), body.get("Attributes"), body.get("tags")
    )
    return {"QueueUrl": _url(queues, call, queue.name)}


async def get_queue_url(queues: QueueService, call: Call, body: Members) -> Members:
    name = body.get("QueueName")
    if not isinstance(name, str) or not name:
        raise MissingParameter("The request must contain the parameter QueueName.")
    owner = body.get("QueueOwnerAWSAccountId")
    if owner not in (None, "", queues.account_id):
        raise QueueDoesNotExist()
    queues.queue(name)
    return {"QueueUrl": _url(queues, call, name)}


def _paged(names: list[str], body: Members) -> paging.Page[str]:
    """A page of queue names: SQS's MaxResults (1 to 1000; without it, at most 1000 and
    no NextToken) and NextToken."""
    limit = body.get("MaxResults")
    if limit is not None and not 1 <= limit <= 1000:
        raise InvalidParameterValue(
            f"Value {limit} for parameter MaxResults is invalid. "
            "Reason: MaxResults must be an integer between 1 and 1000."
        )
    found = paging.page(
        names,
        names,
        body.get("NextToken"),
        limit or 1000,
        lambda token: InvalidParameterValue("Invalid NextToken value."),
    )
    return found if limit is not None else paging.Page(found.items, None)


async def list_queues(queues: QueueService, call: Call, body: Members) -> Members:
    found = _paged(queues.list_queues(body.get("QueueNamePrefix") or ""), body)
    out: Members = {}
    if found.items:
        out["QueueUrls"] = [_url(queues, call, n) for n in found.items]
    if found.next:
        out["NextToken"] = found.next
    return out


async def list_dead_letter_source_queues(
    queues: QueueService, call: Call, body: Members
) -> Members:
    found = _paged(queues.list_dead_letter_sources(_name(queues, call, body)), body)
    out: Members = {"queueUrls": [_url(queues, call, n) for n in found.items]}
    if found.next:
        out["NextToken"] = found.next
    return out


async def delete_queue(queues: QueueService, call: Call, body: Members) -> Members:
    await queues.delete_queue(_name(queues, call, body))
    return {}


async def get_queue_attributes(queues: QueueService, call: Call, body: Members) -> Members:
    attributes = queues.get_attributes(_name(queues, call, body), body.get("AttributeNames"))
    return {"Attributes": attributes} if attributes else {}


async def set_queue_attributes(queues: QueueService, call: Call, body: Members) -> Members:
    await queues.set_attributes(_name(queues, call, body), body.get("Attributes"))
    return {}


async def tag_queue(queues: QueueService, call: Call, body: Members) -> Members:
    await queues.tag_queue(_name(queues, call, body), body.get("Tags"))
    return {}


async def untag_queue(queues: QueueService, call: Call, body: Members) -> Members:
    await queues.untag_queue(_name(queues, call, body), body.get("TagKeys"))
    return {}


async def list_queue_tags(queues: QueueService, call: Call, body: Members) -> Members:
    tags = queues.list_tags(_name(queues, call, body))
    return {"Tags": tags} if tags else {}


async def purge_queue(queues: QueueService, call: Call, body: Members) -> Members:
    await queues.purge(_name(queues, call, body))
    return {}


# --- messages ----------------------------------------------------------------------------


def _stored_form(attributes: Any) -> Any:
    """Attributes as the queues keep them (SQS's JSON wire form): a binary value in
    base64, where the protocol handed over its bytes."""
    if not isinstance(attributes, dict):
        return attributes
    out: dict[str, Any] = {}
    for name, value in attributes.items():
        if isinstance(value, dict) and isinstance(value.get("BinaryValue"), bytes):
            value = {**value, "BinaryValue": base64.b64encode(value["BinaryValue"]).decode()}
        out[name] = value
    return out


def _answered_form(attributes: Mapping[str, dict[str, str]]) -> dict[str, dict[str, Any]]:
    """Kept attributes as output members: a binary value as bytes (the protocol encodes
    it)."""
    return {
        name: {**value, "BinaryValue": base64.b64decode(value["BinaryValue"])}
        if "BinaryValue" in value
        else dict(value)
        for name, value in attributes.items()
    }


def _send_request(entry: Mapping[str, Any], trace: str | None) -> SendRequest:
    return SendRequest(
        body=entry.get("MessageBody"),
        attributes=_stored_form(entry.get("MessageAttributes")),
        system=_stored_form(entry.get("MessageSystemAttributes")),
        delay=entry.get("DelaySeconds"),
        group_id=entry.get("MessageGroupId"),
        dedup_id=entry.get("MessageDeduplicationId"),
        trace=trace,
    )


def _trace(call: Call) -> str | None:
    """The call's X-Ray trace header (what an instrumented SDK sends for every message of
    a SendMessage or SendMessageBatch), normalised; None where it has none that is
    X-Ray's."""
    return normal(header_map(call.request).get("x-amzn-trace-id"))


def _sent_json(sent: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"MD5OfMessageBody": sent.md5_body}
    if sent.md5_attributes:
        out["MD5OfMessageAttributes"] = sent.md5_attributes
    if sent.md5_system:
        out["MD5OfMessageSystemAttributes"] = sent.md5_system
    out["MessageId"] = sent.message_id
    if sent.sequence_number:
        out["SequenceNumber"] = sent.sequence_number
    return out


def _failure(entry_id: str, error: QueueError) -> dict[str, Any]:
    return {
        "Id": entry_id,
        "SenderFault": True,
        "Code": legacy_code(error),
        "Message": error.message,
    }


async def send_message(queues: QueueService, call: Call, body: Members) -> Members:
    name = _name(queues, call, body)
    return _sent_json(await queues.send(name, _send_request(body, _trace(call))))


def _entry_size(entry: Mapping[str, Any]) -> int:
    text = entry.get("MessageBody")
    size = len(text.encode("utf-8")) if isinstance(text, str) else 0
    attributes = entry.get("MessageAttributes")
    if isinstance(attributes, dict):
        for key, value in attributes.items():
            size += len(str(key).encode("utf-8"))
            if isinstance(value, dict):
                for part in ("DataType", "StringValue", "BinaryValue"):
                    item = value.get(part)
                    if isinstance(item, bytes):
                        size += len(item)
                    elif isinstance(item, str):
                        size += len(item.encode("utf-8"))
    return size


async def send_message_batch(queues: QueueService, call: Call, body: Members) -> Members:
    name = _name(queues, call, body)
    entries = message_checks.check_entries(body.get("Entries"), "SendMessageBatchRequestEntry")
    total = sum(_entry_size(e) for e in entries)
    if total > MAX_BATCH_BYTES:
        raise BatchRequestTooLong(
            f"Batch requests cannot be longer than {MAX_BATCH_BYTES} "
            f"bytes. You have sent {total} bytes."
        )
    trace = _trace(call)
    results = await queues.send_batch(name, [_send_request(e, trace) for e in entries])
    successful, failed = [], []
    for entry, result in zip(entries, results, strict=True):
        if isinstance(result, QueueError):
            failed.append(_failure(entry["Id"], result))
        else:
            successful.append({"Id": entry["Id"], **_sent_json(result)})
    return {"Successful": successful, "Failed": failed}


def _names(body: Mapping[str, Any], key: str) -> list[str]:
    value = body.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidParameterValue(f"Value for parameter {key} is invalid.")
    return value


def _select_attributes(
    attributes: Mapping[str, dict[str, str]], names: list[str]
) -> dict[str, dict[str, str]]:
    if not names:
        return {}
    if "All" in names or ".*" in names:
        return {k: dict(v) for k, v in attributes.items()}
    prefixes = tuple(n[:-1] for n in names if n.endswith(".*"))
    exact = set(names)
    return {
        k: dict(v)
        for k, v in attributes.items()
        if k in exact or (prefixes and k.startswith(prefixes))
    }


def message_json(
    received: Received, system_names: set[str], attribute_names: list[str]
) -> dict[str, Any]:
    message = received.message
    out: dict[str, Any] = {
        "MessageId": message.id,
        "ReceiptHandle": received.receipt_handle,
        "MD5OfBody": md5_of_body(message.body),
        "Body": message.body,
    }
    every = "All" in system_names
    candidates: dict[str, str | None] = {
        "SenderId": message.sender_id,
        "SentTimestamp": str(message.sent_ms),
        "ApproximateReceiveCount": str(message.receive_count),
        "ApproximateFirstReceiveTimestamp": str(message.first_receive_ms),
        "MessageGroupId": message.group_id,
        "SequenceNumber": sequence_number(message.seq) if received.fifo else None,
        "MessageDeduplicationId": message.dedup_id,
        "AWSTraceHeader": message.system.get("AWSTraceHeader", {}).get("StringValue"),
        "DeadLetterQueueSourceArn": message.source_arn,
    }
    system = {k: v for k, v in candidates.items() if v is not None and (every or k in system_names)}
    if system:
        out["Attributes"] = system
    selected = _select_attributes(message.attributes, attribute_names)
    if selected:
        out["MD5OfMessageAttributes"] = md5_of_attributes(selected)
        out["MessageAttributes"] = _answered_form(selected)
    return out


async def receive_message(queues: QueueService, call: Call, body: Members) -> Members:
    name = _name(queues, call, body)
    system_names = {*_names(body, "AttributeNames"), *_names(body, "MessageSystemAttributeNames")}
    for unknown in system_names - SYSTEM_NAMES - _QUEUE_NAMES:
        raise InvalidAttributeName(f"Unknown Attribute {unknown}.")
    attribute_names = _names(body, "MessageAttributeNames")
    received = await queues.receive(
        name,
        body.get("MaxNumberOfMessages"),
        body.get("VisibilityTimeout"),
        body.get("WaitTimeSeconds"),
    )
    if not received:
        return {}
    return {"Messages": [message_json(r, system_names, attribute_names) for r in received]}


async def delete_message(queues: QueueService, call: Call, body: Members) -> Members:
    await queues.delete(_name(queues, call, body), body.get("ReceiptHandle"))
    return {}


def _batch_answer(
    entries: list[dict[str, Any]], results: list[QueueError | None]
) -> dict[str, Any]:
    successful = [{"Id": e["Id"]} for e, r in zip(entries, results, strict=True) if r is None]
    failed = [_failure(e["Id"], r) for e, r in zip(entries, results, strict=True) if r is not None]
    return {"Successful": successful, "Failed": failed}


async def delete_message_batch(queues: QueueService, call: Call, body: Members) -> Members:
    name = _name(queues, call, body)
    entries = message_checks.check_entries(body.get("Entries"), "DeleteMessageBatchRequestEntry")
    results = await queues.delete_batch(name, [e.get("ReceiptHandle") for e in entries])
    return _batch_answer(entries, results)


async def change_message_visibility(queues: QueueService, call: Call, body: Members) -> Members:
    await queues.change_visibility(
        _name(queues, call, body), body.get("ReceiptHandle"), body.get("VisibilityTimeout")
    )
    return {}


async def change_message_visibility_batch(
    queues: QueueService, call: Call, body: Members
) -> Members:
    name = _name(queues, call, body)
    entries = message_checks.check_entries(
        body.get("Entries"), "ChangeMessageVisibilityBatchRequestEntry"
    )
    results = await queues.change_visibility_batch(
        name, [(e.get("ReceiptHandle"), e.get("VisibilityTimeout")) for e in entries]
    )
    return _batch_answer(entries, results)

"""The Amazon SQS API over the built-in queues (``altus.queues``).

Served on the API port as awsJson 1.0 (``POST /``, ``X-Amz-Target: AmazonSQS.<Op>``,
what boto3 speaks) and as the legacy query protocol (``sqs_query.py``). Each operation
here takes the request's members as a dict (the JSON body, or the form parsed by the
model) and returns the output members as a dict, so both protocols share it.

Queues are named by URL, ``<base url>/<account id>/<name>``: the base is the server's
own scheme, host and port as the request reached it; any URL whose last two path
segments are this account and a queue name is accepted.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from altus.api.responses import request_id
from altus.queues import messages as message_checks
from altus.queues.errors import (
    BatchRequestTooLong,
    InvalidAction,
    InvalidAttributeName,
    InvalidParameterValue,
    MissingParameter,
    QueueDoesNotExist,
    QueueError,
    UnsupportedOperation,
)
from altus.queues.md5 import md5_of_attributes, md5_of_body
from altus.queues.service import QueueService, Received, SendRequest, sequence_number

CONTENT_TYPE = "application/x-amz-json-1.0"
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


@dataclass(frozen=True, slots=True)
class Call:
    """One operation's context: the service and the base of the queue URLs to answer."""

    queues: QueueService
    base_url: str

    def url(self, name: str) -> str:
        return f"{self.base_url}/{self.queues.account_id}/{name}"

    def name(self, body: Mapping[str, Any]) -> str:
        """The queue a request's ``QueueUrl`` names (it must exist)."""
        url = body.get("QueueUrl")
        if url is None or url == "":
            raise MissingParameter("The request must contain the parameter QueueUrl.")
        if not isinstance(url, str):
            raise InvalidParameterValue("Value for parameter QueueUrl is invalid.")
        segments = urlsplit(url).path.rstrip("/").split("/")
        if len(segments) < 3 or segments[-2] != self.queues.account_id:
            raise QueueDoesNotExist()
        name = segments[-1]
        self.queues.queue(name)
        return name


Operation = Callable[[Call, dict[str, Any]], Awaitable[dict[str, Any]]]


def base_url(request: Request) -> str:
    """scheme://host[:port] as the client addressed this server (its Host header)."""
    return str(request.base_url).rstrip("/")


# --- queues ------------------------------------------------------------------------------


async def create_queue(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    queue = await call.queues.create_queue(
        body.get("QueueName"), body.get("Attributes"), body.get("tags")
    )
    return {"QueueUrl": call.url(queue.name)}


async def get_queue_url(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    name = body.get("QueueName")
    if not isinstance(name, str) or not name:
        raise MissingParameter("The request must contain the parameter QueueName.")
    owner = body.get("QueueOwnerAWSAccountId")
    if owner not in (None, "", call.queues.account_id):
        raise QueueDoesNotExist()
    call.queues.queue(name)
    return {"QueueUrl": call.url(name)}


def _paged(names: list[str], body: dict[str, Any], what: str) -> tuple[list[str], str | None]:
    limit = body.get("MaxResults")
    if limit is not None and (
        isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1000
    ):
        raise InvalidParameterValue(
            f"Value {limit} for parameter MaxResults is invalid. "
            "Reason: MaxResults must be an integer between 1 and 1000."
        )
    token = body.get("NextToken")
    if token:
        try:
            after = base64.urlsafe_b64decode(str(token).encode()).decode()
        except (binascii.Error, ValueError, UnicodeError):
            raise InvalidParameterValue("Invalid NextToken value.") from None
        names = [n for n in names if n > after]
    if limit is None:
        return names[:1000], None
    page = names[:limit]
    more = len(names) > limit
    return page, base64.urlsafe_b64encode(page[-1].encode()).decode() if more else None


async def list_queues(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    prefix = body.get("QueueNamePrefix") or ""
    if not isinstance(prefix, str):
        raise InvalidParameterValue("Value for parameter QueueNamePrefix is invalid.")
    page, token = _paged(call.queues.list_queues(prefix), body, "QueueUrls")
    out: dict[str, Any] = {}
    if page:
        out["QueueUrls"] = [call.url(n) for n in page]
    if token:
        out["NextToken"] = token
    return out


async def list_dead_letter_source_queues(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    page, token = _paged(call.queues.list_dead_letter_sources(call.name(body)), body, "queueUrls")
    out: dict[str, Any] = {"queueUrls": [call.url(n) for n in page]}
    if token:
        out["NextToken"] = token
    return out


async def delete_queue(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    await call.queues.delete_queue(call.name(body))
    return {}


async def get_queue_attributes(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    attributes = call.queues.get_attributes(call.name(body), body.get("AttributeNames"))
    return {"Attributes": attributes} if attributes else {}


async def set_queue_attributes(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    await call.queues.set_attributes(call.name(body), body.get("Attributes"))
    return {}


async def tag_queue(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    await call.queues.tag_queue(call.name(body), body.get("Tags"))
    return {}


async def untag_queue(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    await call.queues.untag_queue(call.name(body), body.get("TagKeys"))
    return {}


async def list_queue_tags(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    tags = call.queues.list_tags(call.name(body))
    return {"Tags": tags} if tags else {}


async def purge_queue(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    await call.queues.purge(call.name(body))
    return {}


# --- messages ----------------------------------------------------------------------------


def _send_request(entry: Mapping[str, Any]) -> SendRequest:
    return SendRequest(
        body=entry.get("MessageBody"),
        attributes=entry.get("MessageAttributes"),
        system=entry.get("MessageSystemAttributes"),
        delay=entry.get("DelaySeconds"),
        group_id=entry.get("MessageGroupId"),
        dedup_id=entry.get("MessageDeduplicationId"),
    )


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
    return {"Id": entry_id, "SenderFault": True, "Code": error.query_code, "Message": error.message}


async def send_message(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    name = call.name(body)
    return _sent_json(await call.queues.send(name, _send_request(body)))


def _entry_size(entry: Mapping[str, Any]) -> int:
    text = entry.get("MessageBody")
    size = len(text.encode("utf-8")) if isinstance(text, str) else 0
    attributes = entry.get("MessageAttributes")
    if isinstance(attributes, dict):
        for key, value in attributes.items():
            size += len(str(key).encode("utf-8"))
            if isinstance(value, dict):
                for part in ("DataType", "StringValue", "BinaryValue"):
                    if isinstance(value.get(part), str):
                        size += len(value[part].encode("utf-8"))
    return size


async def send_message_batch(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    name = call.name(body)
    entries = message_checks.check_entries(body.get("Entries"), "SendMessageBatchRequestEntry")
    total = sum(_entry_size(e) for e in entries)
    if total > MAX_BATCH_BYTES:
        raise BatchRequestTooLong(
            f"Batch requests cannot be longer than {MAX_BATCH_BYTES} "
            f"bytes. You have sent {total} bytes."
        )
    results = await call.queues.send_batch(name, [_send_request(e) for e in entries])
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
        out["MessageAttributes"] = selected
    return out


async def receive_message(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    name = call.name(body)
    system_names = {*_names(body, "AttributeNames"), *_names(body, "MessageSystemAttributeNames")}
    for unknown in system_names - SYSTEM_NAMES - _QUEUE_NAMES:
        raise InvalidAttributeName(f"Unknown Attribute {unknown}.")
    attribute_names = _names(body, "MessageAttributeNames")
    received = await call.queues.receive(
        name,
        body.get("MaxNumberOfMessages"),
        body.get("VisibilityTimeout"),
        body.get("WaitTimeSeconds"),
    )
    if not received:
        return {}
    return {"Messages": [message_json(r, system_names, attribute_names) for r in received]}


async def delete_message(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    await call.queues.delete(call.name(body), body.get("ReceiptHandle"))
    return {}


def _batch_answer(
    entries: list[dict[str, Any]], results: list[QueueError | None]
) -> dict[str, Any]:
    successful = [{"Id": e["Id"]} for e, r in zip(entries, results, strict=True) if r is None]
    failed = [_failure(e["Id"], r) for e, r in zip(entries, results, strict=True) if r is not None]
    return {"Successful": successful, "Failed": failed}


async def delete_message_batch(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    name = call.name(body)
    entries = message_checks.check_entries(body.get("Entries"), "DeleteMessageBatchRequestEntry")
    results = await call.queues.delete_batch(name, [e.get("ReceiptHandle") for e in entries])
    return _batch_answer(entries, results)


async def change_message_visibility(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    await call.queues.change_visibility(
        call.name(body), body.get("ReceiptHandle"), body.get("VisibilityTimeout")
    )
    return {}


async def change_message_visibility_batch(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    name = call.name(body)
    entries = message_checks.check_entries(
        body.get("Entries"), "ChangeMessageVisibilityBatchRequestEntry"
    )
    results = await call.queues.change_visibility_batch(
        name, [(e.get("ReceiptHandle"), e.get("VisibilityTimeout")) for e in entries]
    )
    return _batch_answer(entries, results)


async def _unsupported(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    raise UnsupportedOperation("This operation is not supported by Altus's queues.")


OPERATIONS: dict[str, Operation] = {
    "CreateQueue": create_queue,
    "GetQueueUrl": get_queue_url,
    "ListQueues": list_queues,
    "DeleteQueue": delete_queue,
    "GetQueueAttributes": get_queue_attributes,
    "SetQueueAttributes": set_queue_attributes,
    "ListDeadLetterSourceQueues": list_dead_letter_source_queues,
    "TagQueue": tag_queue,
    "UntagQueue": untag_queue,
    "ListQueueTags": list_queue_tags,
    "PurgeQueue": purge_queue,
    "SendMessage": send_message,
    "SendMessageBatch": send_message_batch,
    "ReceiveMessage": receive_message,
    "DeleteMessage": delete_message,
    "DeleteMessageBatch": delete_message_batch,
    "ChangeMessageVisibility": change_message_visibility,
    "ChangeMessageVisibilityBatch": change_message_visibility_batch,
    "AddPermission": _unsupported,
    "RemovePermission": _unsupported,
    "StartMessageMoveTask": _unsupported,
    "CancelMessageMoveTask": _unsupported,
    "ListMessageMoveTasks": _unsupported,
}


def operation(name: str) -> Operation:
    found = OPERATIONS.get(name)
    if found is not None:
        return found

    async def invalid(call: Call, body: dict[str, Any]) -> dict[str, Any]:
        raise InvalidAction(f"The action {name or '(none)'} is not valid for this endpoint.")

    return invalid


def handler(name: str) -> Callable[[Request, dict[str, Any]], Awaitable[Response]]:
    """The awsJson handler of operation ``name`` for ``app.json_protocol``."""
    run = operation(name)

    async def handle(request: Request, body: dict[str, Any]) -> Response:
        call = Call(request.app.state.platform.queues, base_url(request))
        result = await run(call, body)
        return Response(
            json.dumps(result, separators=(",", ":")).encode(),
            200,
            {"x-amzn-RequestId": request_id(request)},
            media_type=CONTENT_TYPE,
        )

    return handle

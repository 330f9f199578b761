"""Records as Lambda puts them in the events of its pollers: SQS messages, Kinesis
records and DynamoDB stream records, and what a record shows to filters (its metadata
plus its parsed data)."""

from __future__ import annotations

import base64
import json
from typing import Any

from altus.sources import QueueMessage, StreamRecord


def sqs_record(message: QueueMessage, queue_arn: str, region: str) -> dict[str, Any]:
    """One message as an SQS event record: every attribute a string, message
    attributes with Lambda's lower-camel keys."""
    record: dict[str, Any] = {
        "messageId": message.message_id,
        "receiptHandle": message.receipt_handle,
        "body": message.body,
        "attributes": dict(message.attributes),
        "messageAttributes": {
            name: _message_attribute(value) for name, value in message.message_attributes.items()
        },
        "md5OfBody": message.md5_of_body,
    }
    if message.md5_of_message_attributes:
        record["md5OfMessageAttributes"] = message.md5_of_message_attributes
    record["eventSource"] = "aws:sqs"
    record["eventSourceARN"] = queue_arn
    record["awsRegion"] = region
    return record


def _message_attribute(value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "StringValue" in value:
        out["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        binary = value["BinaryValue"]
        out["binaryValue"] = (
            base64.b64encode(binary).decode() if isinstance(binary, bytes) else binary
        )
    out["stringListValues"] = []
    out["binaryListValues"] = []
    out["dataType"] = value.get("DataType", "String")
    return out


def kinesis_record(
    record: StreamRecord, shard_id: str, stream_arn: str, region: str, role_arn: str
) -> dict[str, Any]:
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": record.partition_key,
            "sequenceNumber": record.sequence_number,
            "data": base64.b64encode(record.data).decode(),
            "approximateArrivalTimestamp": record.arrival,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard_id}:{record.sequence_number}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": role_arn,
        "awsRegion": region,
        "eventSourceARN": stream_arn,
    }


def dynamodb_record(record: StreamRecord, stream_arn: str) -> dict[str, Any]:
    """A DynamoDB stream record as Lambda's event has it. The source hands the record
    in its JSON form (``extra["record"]``: images with binaries in base64,
    ``ApproximateCreationDateTime`` a number, ``userIdentity`` for a deletion by time to
    live); the stream's ARN is added after ``dynamodb``, where Lambda puts it."""
    shown: dict[str, Any] = record.extra["record"]
    out: dict[str, Any] = {
        "eventID": shown["eventID"],
        "eventName": shown["eventName"],
        "eventVersion": shown["eventVersion"],
        "eventSource": "aws:dynamodb",
        "awsRegion": shown["awsRegion"],
        "dynamodb": shown["dynamodb"],
        "eventSourceARN": stream_arn,
    }
    if "userIdentity" in shown:
        out["userIdentity"] = shown["userIdentity"]
    return out


def filterable(record: dict[str, Any], data_key: str) -> dict[str, Any]:
    """What a filter pattern sees of a record: its metadata, with its data (SQS ``body``,
    Kinesis ``kinesis.data``) parsed as JSON where it is JSON, as Lambda filters it.
    Data that is not JSON stays a string, which only a plain-string pattern can match.
    A DynamoDB record is seen as it is: its ``dynamodb`` member is JSON already
    (patterns test the images' typed values: ``{"S": ["x"]}``)."""
    view = dict(record)
    if data_key == "dynamodb":
        return view
    if data_key == "body":
        view["body"] = _parsed(record["body"])
    else:
        inner = dict(record["kinesis"])
        try:
            text = base64.b64decode(inner["data"]).decode()
        except (ValueError, UnicodeDecodeError):
            text = inner["data"]
        inner["data"] = _parsed(text)
        view["kinesis"] = inner
        # Kinesis patterns name ``data`` at the top level as well as under ``kinesis``.
        view["data"] = inner["data"]
    return view


def _parsed(text: str) -> Any:
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, (dict, list)) else text

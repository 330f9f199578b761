"""What SQS accepts in a message: the body's characters, message attributes and system
attributes, FIFO ids, batch entry ids, and the size a message counts for. Pure checks
over request values, each raising the error SQS answers with."""

from __future__ import annotations

import base64
import binascii
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from altus.queues.base import Attribute
from altus.queues.errors import (
    BatchEntryIdsNotDistinct,
    EmptyBatchRequest,
    InvalidBatchEntryId,
    InvalidMessageContents,
    InvalidParameterValue,
    MissingParameter,
    TooManyEntriesInBatchRequest,
)

# XML 1.0's characters: what SQS allows in a body and in string attribute values.
_INVALID_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,256}")
_FIFO_ID = re.compile(r"[A-Za-z0-9!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]{1,128}")
_ENTRY_ID = re.compile(r"[A-Za-z0-9_-]{1,80}")
MAX_ATTRIBUTES = 10


def check_body(body: Any) -> str:
    if body is None or body == "":
        raise MissingParameter("The request must contain the parameter MessageBody.")
    if not isinstance(body, str):
        raise InvalidParameterValue("Value for parameter MessageBody is invalid.")
    bad = _INVALID_CHAR.search(body)
    if bad is not None:
        raise InvalidMessageContents(
            f"Invalid binary character '#x{ord(bad.group()):X}' was found in the message "
            "body, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | "
            "#xE000 to #xFFFD | #x10000 to #x10FFFF"
        )
    return body


def _check_attribute(name: str, value: Any, kind: str) -> Attribute:
    what = "message (user)" if kind == "user" else "message system"
    if not isinstance(value, dict):
        raise InvalidParameterValue(f"The {what} attribute '{name}' is invalid.")
    data_type = value.get("DataType")
    if not isinstance(data_type, str) or not data_type:
        raise InvalidParameterValue(
            f"The {what} attribute '{name}' must contain a non-empty message attribute type."
        )
    base = data_type.split(".", 1)[0]
    if base not in ("String", "Number", "Binary") or len(data_type) > 256:
        raise InvalidParameterValue(
            f"The type of {what} attribute '{name}' is invalid. You must use only the "
            "following supported type prefixes: Binary, Number, String."
        )
    if value.get("StringListValues") or value.get("BinaryListValues"):
        raise InvalidParameterValue(
            "Message attribute list values in SendMessage operation are not supported."
        )
    out: Attribute = {"DataType": data_type}
    if base == "Binary":
        raw = value.get("BinaryValue")
        if not isinstance(raw, str) or raw == "":
            raise InvalidParameterValue(
                f"The {what} attribute '{name}' must contain a non-empty message attribute "
                f"value for message attribute type '{base}'."
            )
        try:
            base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidParameterValue(
                f"The {what} attribute '{name}' has an invalid binary value."
            ) from None
        out["BinaryValue"] = raw
        return out
    text = value.get("StringValue")
    if not isinstance(text, str) or text == "":
        raise InvalidParameterValue(
            f"The {what} attribute '{name}' must contain a non-empty message attribute value "
            f"for message attribute type '{base}'."
        )
    if _INVALID_CHAR.search(text):
        raise InvalidParameterValue(
            f"The {what} attribute '{name}' contains characters outside the allowed set."
        )
    if base == "Number":
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = Decimal("NaN")
        digits = len(number.as_tuple().digits) if number.is_finite() else 0
        if (
            not number.is_finite()
            or digits > 38
            or (number != 0 and not Decimal("1e-128") <= abs(number) <= Decimal("1e126"))
        ):
            raise InvalidParameterValue(
                f"Can't cast the value of {what} attribute '{name}' to a number."
            )
    out["StringValue"] = text
    return out


def check_attributes(attributes: Any) -> dict[str, Attribute]:
    """Message attributes as stored: at most ten, each name and value as SQS allows."""
    if attributes is None:
        return {}
    if not isinstance(attributes, dict):
        raise InvalidParameterValue("MessageAttributes must be a map.")
    if len(attributes) > MAX_ATTRIBUTES:
        raise InvalidParameterValue(
            f"Number of message attributes [{len(attributes)}] "
            f"exceeds the allowed maximum [{MAX_ATTRIBUTES}]."
        )
    out: dict[str, Attribute] = {}
    for name, value in attributes.items():
        lowered = name.lower()
        if (
            not _ATTRIBUTE_NAME.fullmatch(name)
            or name.startswith(".")
            or name.endswith(".")
            or ".." in name
            or lowered.startswith(("aws.", "amazon."))
        ):
            raise InvalidParameterValue(
                f"Message (user) attribute name '{name}' is invalid. The attribute name can "
                "contain only alphanumeric characters, hyphens (-), underscores (_) and "
                "periods (.); it cannot begin or end with a period, or contain consecutive "
                "periods, or begin with AWS. or Amazon."
            )
        out[name] = _check_attribute(name, value, "user")
    return out


def check_system_attributes(attributes: Any) -> dict[str, Attribute]:
    if attributes is None:
        return {}
    if not isinstance(attributes, dict):
        raise InvalidParameterValue("MessageSystemAttributes must be a map.")
    out: dict[str, Attribute] = {}
    for name, value in attributes.items():
        if name != "AWSTraceHeader":
            raise InvalidParameterValue(f"Message system attribute name '{name}' is invalid.")
        checked = _check_attribute(name, value, "system")
        if checked["DataType"] != "String":
            raise InvalidParameterValue(
                f"Message system attribute '{name}' must be of type 'String'."
            )
        out[name] = checked
    return out


def size_of(body: str, attributes: dict[str, Attribute]) -> int:
    """The bytes a message counts against MaximumMessageSize: its body and, for each
    attribute, its name, data type and value."""
    size = len(body.encode("utf-8"))
    for name, value in attributes.items():
        size += len(name.encode("utf-8")) + len(value["DataType"].encode("utf-8"))
        if "BinaryValue" in value:
            size += len(base64.b64decode(value["BinaryValue"]))
        else:
            size += len(value["StringValue"].encode("utf-8"))
    return size


def check_fifo_id(name: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _FIFO_ID.fullmatch(value):
        raise InvalidParameterValue(
            f"Value {value} for parameter {name} is invalid. Reason: {name} can only include "
            "alphanumeric and punctuation characters. 1 to 128 in length."
        )
    return value


def check_int(name: str, value: Any, low: int, high: int, reason: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidParameterValue(
            f"Value {value} for parameter {name} is invalid. Reason: {reason}"
        )
    return value


def check_entries(entries: Any, entry_name: str) -> list[dict[str, Any]]:
    """A batch's entries: 1 to 10 objects with distinct, well-formed ``Id`` values."""
    if not entries:
        raise EmptyBatchRequest(f"There should be at least one {entry_name} in the request.")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise InvalidParameterValue("Entries must be a list of batch entries.")
    if len(entries) > 10:
        raise TooManyEntriesInBatchRequest(
            f"Maximum number of entries per request are 10. You have sent {len(entries)}."
        )
    seen: set[str] = set()
    for entry in entries:
        entry_id = entry.get("Id")
        if entry_id is None:
            raise MissingParameter(f"The request must contain the parameter {entry_name}.Id.")
        if not isinstance(entry_id, str) or not _ENTRY_ID.fullmatch(entry_id):
            raise InvalidBatchEntryId(
                "A batch entry id can only contain alphanumeric characters, hyphens and "
                "underscores. It can be at most 80 letters long."
            )
        if entry_id in seen:
            raise BatchEntryIdsNotDistinct(f"Id {entry_id} repeated.")
        seen.add(entry_id)
    return entries

"""What Publish and PublishBatch accept in a message, checked as SNS checks it, each
refusal in SNS's words (recorded from AWS where they could be): the message and its
subject, MessageStructure=json, message attributes (String, String.Array, Number,
Binary and their custom sub-types), the 256 KB limit, FIFO's group and deduplication
ids. Pure: the checked request is data the component plans a publish from.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from altus.sns.errors import InvalidParameterValue, invalid

#: A message and its attributes together (SNS: 256 KB).
MAX_BYTES = 262_144
MAX_ATTRIBUTES = 10
MAX_SUBJECT = 100
#: Per-protocol keys of a MessageStructure=json message SNS knows.
PROTOCOL_KEYS = ("default", "sqs", "lambda", "http", "https", "email", "email-json", "sms")
_NAME_CHARS = re.compile(r"[A-Za-z0-9_.-]")
_SUBJECT = re.compile(r"[\x20-\x7e]+")
_FIFO_ID = re.compile(r"[A-Za-z0-9!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]{1,128}")


@dataclass(frozen=True, slots=True)
class Request:
    """A publish, checked (whether its topic is FIFO is checked later, with the topic)."""

    #: The default message (MessageStructure=json: its ``default``).
    text: str
    per_protocol: Mapping[str, str] = field(default_factory=dict)
    subject: str | None = None
    attributes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    group_id: str | None = None
    dedup_id: str | None = None
    #: The message as given (what content-based deduplication hashes).
    raw: str = ""
    #: The publisher's X-Ray trace header, handed on to the subscriptions.
    trace: str | None = None

    @property
    def size(self) -> int:
        """What it counts for against the limits: its message and attributes' bytes."""
        return len(self.raw.encode()) + attributes_size(self.attributes)


def attributes_size(attributes: Mapping[str, Mapping[str, str]]) -> int:
    return sum(
        len(name.encode()) + len(a["Type"].encode()) + len(a["Value"].encode())
        for name, a in attributes.items()
    )


def check_subject(subject: Any) -> str | None:
    """ASCII, printable, no line breaks, under 100 characters: else ``Invalid parameter:
    Subject`` (an empty one too)."""
    if subject is None:
        return None
    if not isinstance(subject, str) or not _SUBJECT.fullmatch(subject) or len(subject) > 100:
        raise invalid("Subject")
    return subject


def check_message(text: Any) -> str:
    if not isinstance(text, str) or text == "":
        raise invalid("Empty message")
    return text


def check_structure(structure: Any, text: str) -> tuple[str, dict[str, str]]:
    """(the default message, the per-protocol ones) of a MessageStructure=json
    message; (text, {}) without one."""
    if structure is None:
        return text, {}
    if structure != "json":
        raise invalid("MessageStructure")
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        raise invalid("Message Structure - JSON message body failed to parse") from None
    if not isinstance(document, dict) or not isinstance(document.get("default"), str):
        raise invalid("Message Structure - No default entry in JSON message body")
    per_protocol = {
        key: value
        for key, value in document.items()
        if key != "default" and key in PROTOCOL_KEYS and isinstance(value, str)
    }
    return document["default"], per_protocol


def _check_name(name: str) -> None:
    if len(name.encode()) >= 256:
        raise InvalidParameterValue("Length of message attribute name must be less than 256 bytes.")
    for char in name:
        if not _NAME_CHARS.fullmatch(char):
            raise InvalidParameterValue(
                f"Invalid non-alphanumeric character '#x{ord(char):X}' was found in the "
                "message attribute name. Can only include alphanumeric characters, hyphens, "
                "underscores, or dots."
            )
    if name.startswith("."):
        raise InvalidParameterValue(
            "Invalid message attribute name starting with character '.' was found."
        )
    if name.endswith("."):
        raise InvalidParameterValue(
            "Invalid message attribute name ending with character '.' was found."
        )
    if ".." in name:
        raise InvalidParameterValue("Message attribute name can not have successive '.' character.")


def _check_attribute(name: str, value: Mapping[str, Any]) -> dict[str, str]:
    _check_name(name)
    kind = value.get("DataType")
    base = kind.split(".", 1)[0] if isinstance(kind, str) else ""
    if base not in ("String", "Number", "Binary"):
        raise InvalidParameterValue(
            f"The message attribute '{name}' has an invalid message attribute type, the set "
            "of supported type prefixes is Binary, Number, and String."
        )
    assert isinstance(kind, str)
    text, binary = value.get("StringValue"), value.get("BinaryValue")
    field_name = "Binary" if base == "Binary" else "String"
    present = binary if base == "Binary" else text
    if present is None and (text if base == "Binary" else binary) is not None:
        raise InvalidParameterValue(
            f"The message attribute '{name}' with type '{base}' must use field '{field_name}'."
        )
    if present is None or present == "" or present == b"":
        raise InvalidParameterValue(
            f"The message attribute '{name}' must contain non-empty message attribute value "
            f"for message attribute type '{base}'."
        )
    if base == "Binary":
        raw = present if isinstance(present, bytes) else str(present).encode()
        return {"Type": kind, "Value": base64.b64encode(raw).decode()}
    assert isinstance(present, str)
    if base == "Number":
        try:
            number = Decimal(present)
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite():
            raise InvalidParameterValue(
                f"Could not cast message attribute '{name}' value to number."
            )
    if kind == "String.Array":
        try:
            parsed = json.loads(present)
        except (ValueError, RecursionError):
            parsed = None
        if not isinstance(parsed, list) or any(isinstance(v, list | dict) for v in parsed):
            raise InvalidParameterValue(
                f"The message attribute '{name}' with type 'String.Array' must be a JSON array "
                "of strings, numbers, true, false or null."
            )
    return {"Type": kind, "Value": present}


def check_attributes(given: Any) -> dict[str, dict[str, str]]:
    """Message attributes as SNS shows them (``{"Type", "Value"}``, binary in base64)."""
    if not given:
        return {}
    if len(given) > MAX_ATTRIBUTES:
        raise InvalidParameterValue(
            f"Number of message attributes [{len(given)}] exceeds the allowed maximum "
            f"[{MAX_ATTRIBUTES}]."
        )
    return {name: _check_attribute(name, value) for name, value in given.items()}


def check_fifo(
    fifo: bool, content_dedup: bool, group_id: Any, dedup_id: Any, text: str
) -> str | None:
    """The deduplication id of a publish to a FIFO topic (content-based: SHA-256 of the
    message), or None for a standard topic."""
    if not fifo:
        if dedup_id is not None:
            raise invalid(
                "MessageDeduplicationId",
                "The request includes MessageDeduplicationId parameter that is not valid for "
                "this topic type",
            )
        return None
    if group_id is None:
        raise invalid("The MessageGroupId parameter is required for FIFO topics")
    if not isinstance(group_id, str) or not _FIFO_ID.fullmatch(group_id):
        raise invalid(
            "MessageGroupId",
            "MessageGroupId can only include alphanumeric and punctuation characters. 1 to "
            "128 in length.",
        )
    if dedup_id is None:
        if not content_dedup:
            raise invalid(
                "The topic should either have ContentBasedDeduplication enabled or "
                "MessageDeduplicationId provided explicitly"
            )
        return hashlib.sha256(text.encode()).hexdigest()
    if not isinstance(dedup_id, str) or not _FIFO_ID.fullmatch(dedup_id):
        raise invalid(
            "MessageDeduplicationId",
            "MessageDeduplicationId can only include alphanumeric and punctuation characters. "
            "1 to 128 in length.",
        )
    return dedup_id


def request(members: Mapping[str, Any]) -> Request:
    """One message of Publish (or an entry of PublishBatch), checked in the order SNS
    checks: its attributes, the message, its subject, its size, its structure."""
    attributes = check_attributes(members.get("MessageAttributes"))
    text = check_message(members.get("Message"))
    subject = check_subject(members.get("Subject"))
    if len(text.encode()) + attributes_size(attributes) > MAX_BYTES:
        raise invalid("Message too long")
    default, per_protocol = check_structure(members.get("MessageStructure"), text)
    return Request(
        text=default,
        per_protocol=per_protocol,
        subject=subject,
        attributes=attributes,
        group_id=members.get("MessageGroupId"),
        dedup_id=members.get("MessageDeduplicationId"),
        raw=text,
    )

"""What Publish accepts in a message, refused in SNS's words: attributes, structure,
size, subject, FIFO ids."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from altus.errors import AltusError
from altus.sns import messages


def refusal(members: dict[str, Any]) -> tuple[str, str]:
    with pytest.raises(AltusError) as raised:
        messages.request(members)
    return raised.value.code, raised.value.message


def test_a_checked_request() -> None:
    request = messages.request(
        {
            "Message": '{"default": "all", "sqs": "queues", "unknown": "dropped"}',
            "MessageStructure": "json",
            "Subject": "Hi!",
            "MessageAttributes": {
                "b": {"DataType": "Binary", "BinaryValue": b"\x00"},
                "n": {"DataType": "Number.int", "StringValue": "-1.5e3"},
                "a": {"DataType": "String.Array", "StringValue": '["x", 1, null]'},
            },
        }
    )
    assert (request.text, dict(request.per_protocol), request.subject) == (
        "all",
        {"sqs": "queues"},
        "Hi!",
    )
    assert request.attributes == {
        "b": {"Type": "Binary", "Value": "AA=="},
        "n": {"Type": "Number.int", "Value": "-1.5e3"},
        "a": {"Type": "String.Array", "Value": '["x", 1, null]'},
    }


def test_refusals() -> None:
    assert refusal({"Message": ""}) == (
        "InvalidParameterException",
        "Invalid parameter: Empty message",
    )
    assert refusal({"Message": "m", "Subject": "x" * 101})[1] == "Invalid parameter: Subject"
    assert refusal({"Message": "m", "Subject": "é"})[1] == "Invalid parameter: Subject"
    assert refusal({"Message": "m", "MessageStructure": "xml"})[1] == (
        "Invalid parameter: MessageStructure"
    )
    too_many = {f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(11)}
    assert refusal({"Message": "m", "MessageAttributes": too_many}) == (
        "InvalidParameterValueException",
        "Number of message attributes [11] exceeds the allowed maximum [10].",
    )
    assert (
        refusal(
            {
                "Message": "m",
                "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "ten"}},
            }
        )[1]
        == "Could not cast message attribute 'n' value to number."
    )
    assert (
        refusal(
            {
                "Message": "m",
                "MessageAttributes": {"a": {"DataType": "String.Array", "StringValue": "{}"}},
            }
        )[0]
        == "InvalidParameterValueException"
    )
    assert (
        refusal(
            {
                "Message": "m",
                "MessageAttributes": {".a": {"DataType": "String", "StringValue": "v"}},
            }
        )[1]
        == "Invalid message attribute name starting with character '.' was found."
    )
    assert (
        refusal(
            {
                "Message": "m",
                "MessageAttributes": {"a.": {"DataType": "String", "StringValue": "v"}},
            }
        )[1]
        == "Invalid message attribute name ending with character '.' was found."
    )
    assert (
        refusal(
            {
                "Message": "m",
                "MessageAttributes": {"x" * 256: {"DataType": "String", "StringValue": "v"}},
            }
        )[1]
        == "Length of message attribute name must be less than 256 bytes."
    )
    assert (
        refusal(
            {"Message": "m", "MessageAttributes": {"b": {"DataType": "Binary", "StringValue": "v"}}}
        )[1]
        == "The message attribute 'b' with type 'Binary' must use field 'Binary'."
    )
    # The limit counts the attributes too.
    attribute = {"a": {"DataType": "String", "StringValue": "v" * 100}}
    assert (
        refusal({"Message": "m" * (messages.MAX_BYTES - 100), "MessageAttributes": attribute})[1]
        == "Invalid parameter: Message too long"
    )


def test_fifo_ids() -> None:
    check = messages.check_fifo
    assert check(False, False, "g", None, "m") is None
    assert check(True, True, "g", None, "Test") == hashlib.sha256(b"Test").hexdigest()
    assert check(True, False, "g", "d-1", "m") == "d-1"
    with pytest.raises(AltusError) as raised:
        check(True, False, None, "d", "m")
    assert raised.value.message == (
        "Invalid parameter: The MessageGroupId parameter is required for FIFO topics"
    )
    with pytest.raises(AltusError):
        check(True, False, "g", None, "m")
    with pytest.raises(AltusError):
        check(True, True, "g" * 129, None, "m")
    with pytest.raises(AltusError):
        check(True, False, "g", "bad id é", "m")

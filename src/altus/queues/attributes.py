"""Queue names and queue attributes: what SQS accepts, its defaults, what it reports.

Pure functions; the service adds the checks that need other queues (a redrive policy's
dead-letter queue must exist and be of the same type).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from altus.api.protocols.common import parse_json
from altus.identity import grammar
from altus.identity.evaluation import statements
from altus.queues.errors import (
    InvalidAttributeName,
    InvalidAttributeValue,
    InvalidParameterValue,
)

#: The names GetQueueAttributes knows (the model's ``QueueAttributeName`` without "All").
COMPUTED = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "QueueArn",
)
FIFO_ONLY = ("FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit")

STANDARD_DEFAULTS = {
    "VisibilityTimeout": "30",
    "MaximumMessageSize": "1048576",
    "MessageRetentionPeriod": "345600",
    "DelaySeconds": "0",
    "ReceiveMessageWaitTimeSeconds": "0",
    "SqsManagedSseEnabled": "true",
}
FIFO_DEFAULTS = {
    **STANDARD_DEFAULTS,
    "FifoQueue": "true",
    "ContentBasedDeduplication": "false",
    "DeduplicationScope": "queue",
    "FifoThroughputLimit": "perQueue",
}

_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")
_FIFO_NAME = re.compile(r"[A-Za-z0-9_-]{1,75}\.fifo")


def check_name(name: Any, fifo: bool) -> str:
    if not isinstance(name, str) or not name:
        raise InvalidParameterValue(
            "Value for parameter QueueName is invalid. Reason: Must specify a queue name."
        )
    if fifo and not _FIFO_NAME.fullmatch(name):
        raise InvalidParameterValue(
            "The name of a FIFO queue can only include alphanumeric characters, hyphens, or "
            "underscores, must end with .fifo suffix and be 1 to 80 in length."
        )
    if not fifo and not _NAME.fullmatch(name):
        raise InvalidParameterValue(
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
        )
    return name


def _invalid(name: str, reason: str = "") -> InvalidAttributeValue:
    return InvalidAttributeValue(
        f"Invalid value for the parameter {name}." + (f" Reason: {reason}" if reason else "")
    )


def _integer(low: int, high: int) -> Callable[[str, str], str]:
    def check(name: str, value: str) -> str:
        if not re.fullmatch(r"-?\d{1,12}", value.strip()) or not low <= int(value) <= high:
            raise _invalid(name)
        return str(int(value))

    return check


def _boolean(name: str, value: str) -> str:
    if value.lower() not in ("true", "false"):
        raise _invalid(name)
    return value.lower()


def _choice(*options: str) -> Callable[[str, str], str]:
    def check(name: str, value: str) -> str:
        if value not in options:
            raise _invalid(name)
        return value

    return check


def _text(name: str, value: str) -> str:
    return value


def _policy(name: str, value: str) -> str:
    if value == "":
        return value
    try:
        document = parse_json(value)
    except ValueError:
        raise _invalid(name) from None
    if not isinstance(document, dict):
        raise _invalid(name)
    if name == "Policy":
        # A queue's access policy is weighed by the authoriser: one it could misread
        # (a misspelt key, an Effect of "deny") is refused, as SQS refuses it.
        try:
            policy = grammar.parse(value)
        except grammar.Malformed:
            raise _invalid(name) from None
        if any("Principal" not in s and "NotPrincipal" not in s for s in statements(policy)):
            raise _invalid(name)
    return value


@dataclass(frozen=True, slots=True)
class RedrivePolicy:
    dead_letter_arn: str
    max_receive_count: int


def parse_redrive(value: str) -> RedrivePolicy | None:
    """The redrive policy an attribute value states (None for "", which removes it).
    Raises InvalidParameterValue, as SQS does, for anything it cannot use."""
    if value == "":
        return None

    def bad(reason: str) -> InvalidParameterValue:
        return InvalidParameterValue(
            f"Value {value} for parameter RedrivePolicy is invalid. Reason: {reason}"
        )

    try:
        document = parse_json(value)
    except ValueError:
        raise bad("Redrive policy is not a valid JSON map.") from None
    if not isinstance(document, dict):
        raise bad("Redrive policy is not a valid JSON map.")
    unknown = set(document) - {"deadLetterTargetArn", "maxReceiveCount"}
    if unknown:
        raise bad(
            f"Only following attributes are supported: [deadLetterTargetArn, "
            f"maxReceiveCount], got {sorted(unknown)[0]}."
        )
    arn = document.get("deadLetterTargetArn")
    if not isinstance(arn, str) or not arn:
        raise bad("Redrive policy does not contain mandatory attribute: deadLetterTargetArn.")
    count = document.get("maxReceiveCount")
    if count is None:
        raise bad("Redrive policy does not contain mandatory attribute: maxReceiveCount.")
    try:
        number = int(count) if not isinstance(count, bool) else -1
    except (TypeError, ValueError):
        number = -1
    if not 1 <= number <= 1000 or (isinstance(count, float) and not count.is_integer()):
        raise bad(
            f"Invalid value for maxReceiveCount: {count}, valid values are from 1 to "
            f"1000 both inclusive."
        )
    return RedrivePolicy(arn, number)


def _redrive(name: str, value: str) -> str:
    policy = parse_redrive(value)
    if policy is None:
        return ""
    # Stored and reported as SQS reports it: the count a number, no spaces.
    return json.dumps(
        {
            "deadLetterTargetArn": policy.dead_letter_arn,
            "maxReceiveCount": policy.max_receive_count,
        },
        separators=(",", ":"),
    )


def _redrive_allow(name: str, value: str) -> str:
    if value == "":
        return ""

    def bad(reason: str) -> InvalidParameterValue:
        return InvalidParameterValue(
            f"Value {value} for parameter RedriveAllowPolicy is invalid. Reason: {reason}"
        )

    try:
        document = parse_json(value)
    except ValueError:
        raise bad(
            "Amazon SQS can't create the redrive allow policy, as it's in an unsupported format."
        ) from None
    if not isinstance(document, dict) or document.get("redrivePermission") not in (
        "allowAll",
        "denyAll",
        "byQueue",
    ):
        raise bad(
            "Amazon SQS can't create the redrive allow policy, as it's in an unsupported format."
        )
    sources = document.get("sourceQueueArns")
    if document["redrivePermission"] == "byQueue":
        if (
            not isinstance(sources, list)
            or not 1 <= len(sources) <= 10
            or not all(isinstance(s, str) for s in sources)
        ):
            raise bad(
                "Amazon SQS can't create the redrive allow policy. To specify one or "
                "more source queues, you must specify between 1 and 10 source queue "
                "ARNs."
            )
    elif sources is not None:
        raise bad(
            "Amazon SQS can't create the redrive allow policy. To specify one or more "
            "source queues, you must set redrivePermission to byQueue."
        )
    return json.dumps(document, separators=(",", ":"))


_CHECKS: dict[str, Callable[[str, str], str]] = {
    "DelaySeconds": _integer(0, 900),
    "MaximumMessageSize": _integer(1024, 1048576),
    "MessageRetentionPeriod": _integer(60, 1209600),
    "ReceiveMessageWaitTimeSeconds": _integer(0, 20),
    "VisibilityTimeout": _integer(0, 43200),
    "Policy": _policy,
    "RedrivePolicy": _redrive,
    "RedriveAllowPolicy": _redrive_allow,
    "KmsMasterKeyId": _text,
    "KmsDataKeyReusePeriodSeconds": _integer(60, 86400),
    "SqsManagedSseEnabled": _boolean,
    "FifoQueue": _boolean,
    "ContentBasedDeduplication": _boolean,
    "DeduplicationScope": _choice("messageGroup", "queue"),
    "FifoThroughputLimit": _choice("perQueue", "perMessageGroupId"),
}
SETTABLE = tuple(_CHECKS)


def _checked(attributes: Mapping[str, Any], fifo: bool) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in attributes.items():
        check = _CHECKS.get(name)
        if check is None or (name in FIFO_ONLY and not fifo):
            raise InvalidAttributeName(f"Unknown Attribute {name}.")
        if not isinstance(value, str):
            raise _invalid(name)
        out[name] = check(name, value)
    return out


def _settle(attributes: dict[str, str]) -> dict[str, str]:
    """Drop what setting to "" removes; a KMS key replaces SQS-managed encryption."""
    settled = {
        k: v
        for k, v in attributes.items()
        if v != "" or k not in ("RedrivePolicy", "RedriveAllowPolicy", "Policy", "KmsMasterKeyId")
    }
    if settled.get("KmsMasterKeyId"):
        settled["SqsManagedSseEnabled"] = "false"
        settled.setdefault("KmsDataKeyReusePeriodSeconds", "300")
    return settled


def for_create(name: str, given: Mapping[str, Any]) -> dict[str, str]:
    """The attributes a new queue has: ``given`` checked, over the defaults. The queue
    is FIFO when ``FifoQueue`` is "true"; its name must agree."""
    fifo_value = given.get("FifoQueue")
    fifo = isinstance(fifo_value, str) and fifo_value.lower() == "true"
    checked = _checked(given, fifo=True)
    if not fifo:
        for key in FIFO_ONLY:
            if key in checked and not (key == "FifoQueue" and checked[key] == "false"):
                raise InvalidAttributeName(f"Unknown Attribute {key}.")
        checked.pop("FifoQueue", None)
    check_name(name, fifo)
    if checked.get("KmsMasterKeyId") and checked.get("SqsManagedSseEnabled") == "true":
        raise InvalidAttributeValue(
            "You can use one type of server-side encryption (SSE) at "
            "one time. You can either enable KMS SSE or SQS SSE."
        )
    return _settle({**(FIFO_DEFAULTS if fifo else STANDARD_DEFAULTS), **checked})


def for_set(current: Mapping[str, str], given: Mapping[str, Any], fifo: bool) -> dict[str, str]:
    """The attributes after SetQueueAttributes ``given``; the queue type cannot change."""
    checked = _checked(given, fifo=fifo)
    if "FifoQueue" in checked and checked["FifoQueue"] != current.get("FifoQueue", "false"):
        raise _invalid("FifoQueue", "Modifying queue type is not supported.")
    merged = {**current, **checked}
    if checked.get("KmsMasterKeyId"):
        merged.pop("SqsManagedSseEnabled", None)
    if checked.get("SqsManagedSseEnabled") == "true":
        merged.pop("KmsMasterKeyId", None)
        merged.pop("KmsDataKeyReusePeriodSeconds", None)
    return _settle(merged)


def check_names(names: Any, fifo: bool) -> list[str]:
    """The attribute names GetQueueAttributes should answer for ``names`` ("All" is
    every one the queue has)."""
    if names is None:
        return []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise InvalidAttributeName("AttributeNames must be a list of attribute names.")
    known = {*SETTABLE, *COMPUTED, "All"}
    for name in names:
        if name not in known:
            raise InvalidAttributeName(f"Unknown Attribute {name}.")
    return names


#: Most tags a queue has.
MAX_TAGS = 50


def string_map(value: Any, name: str) -> dict[str, Any]:
    """A map member (attributes, tags); absent is empty."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidParameterValue(f"{name} must be a map of strings.")
    return value


def check_tags(value: Any) -> dict[str, str]:
    """Queue tags: keys of 1 to 128 characters, values of at most 256, at most 50."""
    tags = string_map(value, "Tags")
    for key, tag in tags.items():
        if not isinstance(tag, str) or not 1 <= len(key) <= 128 or len(tag) > 256:
            raise InvalidParameterValue(
                f"Tag {key} is invalid: keys are 1 to 128 characters, values at most 256."
            )
    if len(tags) > MAX_TAGS:
        raise InvalidParameterValue("Too many tags: a queue has at most 50.")
    return tags

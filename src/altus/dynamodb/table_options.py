"""A table's name, stream, encryption and tags as DynamoDB checks them, for CreateTable
and the operations that change them (UpdateTable, TagResource). Pure: no I/O, no clock.

The texts are DynamoDB's as captured against it (the ack-api-quirks catalogue of its
ValidationException texts, 2026-10; dynalite's tests, which run against DynamoDB);
where one could not be checked its line says ``# text not verified``.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from altus.api.validate import Problem, coral_message
from altus.arns import Account
from altus.dynamodb.errors import ValidationException, validation
from altus.dynamodb.model import Stream

INVALID = "One or more parameter values were invalid: "
MAX_TAGS = 50
#: The table name's bounds where a name (not an ARN) is given.
NAME_MIN, NAME_MAX = 3, 255
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
_TAG_PUNCTUATION = frozenset(" _.:/=+-@")


def invalid(text: str) -> ValidationException:
    """A ValidationException in DynamoDB's usual words: ``One or more parameter values
    were invalid: <text>``."""
    return validation(INVALID + text)


# --- names -------------------------------------------------------------------------------------


def name_problems(name: str, path: str = "tableName") -> list[Problem]:
    """What a table name breaks, as Coral words it (the model's ``TableName`` shape)."""
    shown = f"'{name}'"
    problems = []
    if not set(name) <= _NAME_CHARS:
        problems.append(
            Problem(
                "constraint",
                "TableName",
                path,
                shown,
                "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
            )
        )
    if len(name) < NAME_MIN:
        problems.append(
            Problem(
                "constraint",
                "TableName",
                path,
                shown,
                f"Member must have length greater than or equal to {NAME_MIN}",
            )
        )
    elif len(name) > NAME_MAX:
        problems.append(
            Problem(
                "constraint",
                "TableName",
                path,
                shown,
                f"Member must have length less than or equal to {NAME_MAX}",
            )
        )
    return problems


def table_name(given: str, account: Account) -> str:
    """The table a ``TableName`` member names: a name, or this account's table ARN
    (``arn:aws:dynamodb:<region>:<account>:table/<name>``, which every table operation
    takes). A name breaking the name's constraints is refused in Coral's words (the
    length problem verified; the pattern's, and both together, not)."""
    if given.startswith("arn:"):
        prefix = account.arn("dynamodb", "table/")
        if given.startswith(prefix) and "/" not in given[len(prefix) :]:
            return given[len(prefix) :]
        # text not verified: DynamoDB names the ARN's part it cannot use.
        raise validation(f"1 validation error detected: Invalid TableArn '{given}'")
    problems = name_problems(given)
    if problems:
        raise validation(coral_message(problems))
    return given


# --- streams, encryption, tags -----------------------------------------------------------------


def stream_label(now: float, taken: Sequence[str] = ()) -> str:
    """A stream's label: the time it was enabled, to the millisecond, as DynamoDB writes
    ``LatestStreamLabel`` (``2024-01-01T00:00:00.000``); a millisecond later than any
    label in ``taken`` (a stream enabled, disabled and enabled again within one
    millisecond, as under a fake clock, still gets a new ARN)."""
    moment = datetime.fromtimestamp(now, tz=UTC)
    for _ in range(len(taken) + 1):  # each step passes one taken label at most
        label = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"
        if label not in taken:
            return label
        moment += timedelta(milliseconds=1)
    raise AssertionError("unreachable")


def new_stream(table_arn: str, view_type: str, now: float, taken: Sequence[str]) -> Stream:
    label = stream_label(now, taken)
    return Stream(label, f"{table_arn}/stream/{label}", view_type, now)


def create_stream_view(given: Mapping[str, Any] | None) -> str | None:
    """CreateTable's StreamSpecification: the view type of the table's first stream, or
    None (both texts verified)."""
    if given is None:
        return None
    view = given.get("StreamViewType")
    if given.get("StreamEnabled"):
        if view is None:
            raise invalid(
                "Table is being created with a stream enabled, UpdateViewType is required"
            )
        return str(view)
    if view is not None:
        raise invalid(
            "Table is being created with a stream disabled, UpdateViewType should not be specified"
        )
    return None


def kms_key_arn(account: Account, key: str | None) -> str:
    """The key ARN DynamoDB reports for ``KMSMasterKeyId`` (an ARN, a key id or an
    alias; None: the AWS managed key ``alias/aws/dynamodb``). No KMS is asked: an alias
    stands for a key whose id is derived from it."""
    if key is not None and key.startswith("arn:"):
        return key
    if key is None or key.startswith("alias/"):
        alias = key or "alias/aws/dynamodb"
        name = f"{account.partition}:{account.region}:{account.account_id}:{alias}"
        key = str(uuid.uuid5(uuid.NAMESPACE_URL, name))
    return account.arn("kms", f"key/{key}")


def sse_description(given: Mapping[str, Any] | None, account: Account) -> dict[str, Any] | None:
    """SSESpecification's SSEDescription, None for DynamoDB's default encryption (no
    SSESpecification, ``{}``, or ``Enabled: false``). The texts verified: with
    ``Enabled: false`` neither SSEType nor KMSMasterKeyId; AES256 is not supported; a
    key needs SSEType KMS."""
    if not given:
        return None
    enabled = given.get("Enabled")
    kind = given.get("SSEType")
    key = given.get("KMSMasterKeyId")
    if enabled is False:
        if kind is not None:
            raise invalid("SSEType can not be specified if Enabled is false")
        if key is not None:
            raise invalid("KMSMasterKeyId can not be specified if Enabled is false")
        return None
    if kind == "AES256":
        raise invalid("SSEType AES256 is not supported")
    if key is not None and kind != "KMS":
        raise invalid("SSEType KMS is required if KMSMasterKeyId is specified")
    if enabled is None and kind is None:
        return None
    return {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": kms_key_arn(account, key)}


def _tag_text(text: str) -> bool:
    return all(unicodedata.category(ch)[0] in "LNZ" or ch in _TAG_PUNCTUATION for ch in text)


def check_tags(tags: Sequence[Mapping[str, Any]], current: Mapping[str, str]) -> dict[str, str]:
    """The tags after ``tags`` are added to ``current``, each checked (texts verified
    but for the characters a key may have: letters, digits, spaces and ``_.:/=+-@``, as
    the tagging guide says)."""
    merged = dict(current)
    seen: set[str] = set()
    for tag in tags:
        key, value = tag["Key"], tag["Value"]
        if key in seen:
            raise validation(f"Duplicate Tag Keys provided as input: Duplicate Tag Key found {key}")
        seen.add(key)
        if not _tag_text(key):
            raise validation(f"The Tag Key provided is invalid, Key: {key}")
        if key.startswith("aws:"):
            raise validation(f"Tag Key cannot be prefixed with aws:, Key: {key}")
        if not _tag_text(value):
            raise validation(f"The Tag Value provided is invalid, Value: {value}")
        merged[key] = value
    if len(merged) > MAX_TAGS:
        raise validation("Number of Tags exceed the current limit for the provided ResourceArn")
    return merged

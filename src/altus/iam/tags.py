"""Tags of IAM resources, as IAM keeps them (IAM User Guide, "Tags for AWS Identity and
Access Management resources", Case sensitivity):

- Roles' and users' keys are compared without case, and keep the case they were given:
  ``department=hr`` given to a user tagged ``Department=finance`` replaces that tag. A
  customer managed policy's keys are compared with case: ``Costcenter`` and
  ``costcenter`` are two tags.
- A key may appear once in one request; a key given again replaces its value.
- At most 50 tags per resource (IAM's quota), counted after the request's are merged.
- Keys beginning with ``aws:`` (in any case) are AWS's own.

The words of the quota and ``aws:`` refusals are Altus's: no AWS answer quoting them was
found (see docs/identity.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from altus.iam.errors import InvalidInput, LimitExceeded

#: IAM's quota of tags on one role, user or customer managed policy.
MAX_TAGS = 50


def given(tags: Sequence[Mapping[str, Any]] | None, *, fold_case: bool) -> dict[str, str]:
    """A request's ``Tags`` (``[{"Key": ..., "Value": ...}]``) as a dict, refusing a key
    given twice (in any case where ``fold_case``) and AWS's own keys."""
    found: dict[str, str] = {}
    seen: set[str] = set()
    for tag in tags or []:
        key = str(tag["Key"])
        compared = key.lower() if fold_case else key
        if compared in seen:
            if fold_case:
                raise InvalidInput(
                    "Duplicate tag keys found. Please note that Tag keys are case insensitive."
                )
            raise InvalidInput("Duplicate tag keys found.")
        if key.lower().startswith("aws:"):
            raise InvalidInput(f"Tag key {key} is not allowed: the prefix aws: is reserved.")
        seen.add(compared)
        found[key] = str(tag["Value"])
    return found


def merged(
    existing: Mapping[str, str], new: Mapping[str, str], *, fold_case: bool, quota: str
) -> dict[str, str]:
    """``existing`` with ``new`` added or replacing (a key in another case replaces
    where ``fold_case``); LimitExceeded past ``MAX_TAGS`` (``quota``: ``TagsPerRole``
    ...), changing nothing."""
    result = dict(existing)
    for key, value in new.items():
        if fold_case:
            for old in [k for k in result if k.lower() == key.lower()]:
                del result[old]
        result[key] = value
    if len(result) > MAX_TAGS:
        raise LimitExceeded(f"Cannot exceed quota for {quota}: {MAX_TAGS}")
    return result


def without(existing: Mapping[str, str], keys: Iterable[str], *, fold_case: bool) -> dict[str, str]:
    """``existing`` less ``keys`` (a key it does not have is no error, as in IAM)."""
    gone = {k.lower() for k in keys} if fold_case else set(keys)
    return {k: v for k, v in existing.items() if (k.lower() if fold_case else k) not in gone}


def shown(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]

"""How IAM's answers show things every part of the API shows: times, pages of a list,
permissions boundaries."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from altus.api.spec import Members
from altus.iam.errors import InvalidInput

#: A page's size when the caller names none (IAM's default).
DEFAULT_MAX_ITEMS = 100


def when(ms: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC)


def boundary(arn: str) -> Members:
    return {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": arn}


def page(items: list[Any], input: Members, key: str, shown: Callable[[Any], Any]) -> Members:
    """One page of ``items`` (``Marker``: how many came before, as IAM's markers are
    opaque; ``MaxItems``)."""
    start, limit = bounds(input)
    chosen = items[start : start + limit]
    answer: Members = {key: [shown(item) for item in chosen]}
    return {**answer, **truncation(start, limit, len(items))}


def bounds(input: Members) -> tuple[int, int]:
    """Where a page starts and how long it is, from ``Marker`` and ``MaxItems``."""
    marker = input.get("Marker")
    if marker is not None and not str(marker).isdigit():
        raise InvalidInput("Invalid Marker.")
    start = int(marker) if marker is not None else 0
    return start, int(input.get("MaxItems", DEFAULT_MAX_ITEMS))


def truncation(start: int, limit: int, total: int) -> Members:
    """``IsTruncated``, and the ``Marker`` of the next page where there is one."""
    if start + limit < total:
        return {"IsTruncated": True, "Marker": str(start + limit)}
    return {"IsTruncated": False}

"""One paginator for every listing: pages over keys in a fixed order, continued by an
opaque token (the last key shown, base64url-encoded), so a page never repeats or skips
an item when others are created or deleted meanwhile.

A service words a token it cannot read its own way (``invalid``): Lambda's
``Invalid Marker``, SQS's ``Invalid NextToken value.``.
"""

from __future__ import annotations

import base64
import binascii
import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from altus.errors import AltusError

T = TypeVar("T")


def token(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode()


def after(value: str) -> str | None:
    """The key a token continues after; None if it is not one of ours (the decoder skips
    characters that are not base64: a token must encode back to itself)."""
    try:
        key = base64.urlsafe_b64decode(value.encode()).decode()
    except (binascii.Error, ValueError, UnicodeError):
        return None
    return key if token(key) == value else None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    #: The token of the next page; None on the last one.
    next: str | None


def page(
    items: Sequence[T],
    keys: Sequence[str],
    continued: str | None,
    limit: int,
    invalid: Callable[[str], AltusError],
) -> Page[T]:
    """Up to ``limit`` of ``items`` (sorted by ``keys``, ascending) after the one a
    ``continued`` token names."""
    start = 0
    if continued:
        key = after(continued)
        if key is None:
            raise invalid(continued)
        start = bisect.bisect_right(keys, key)
    end = min(start + limit, len(items))
    return Page(list(items[start:end]), token(keys[end - 1]) if end < len(items) else None)

"""Pages of a listing in either order, continued by an opaque token: the sort key of the
last item shown (JSON, base64url-encoded), so a page never repeats or skips an item when
others come or go between calls."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from altus.secretsmanager.errors import InvalidNextToken

T = TypeVar("T")

#: A sort key: plain values (numbers, strings), ending in something unique.
Key = tuple[Any, ...]


def _token(key: Key) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode()


def _after(token: str) -> Key:
    try:
        found = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError, UnicodeError, RecursionError):
        raise InvalidNextToken() from None
    if not isinstance(found, list):
        raise InvalidNextToken()
    return tuple(found)


def page(
    items: Sequence[T],
    key: Callable[[T], Key],
    token: str | None,
    limit: int,
    *,
    descending: bool = False,
) -> tuple[list[T], str | None]:
    """Up to ``limit`` of ``items`` in ``key`` order, after the item ``token`` names; and
    the token of the next page (None on the last)."""
    ordered = sorted(items, key=key, reverse=descending)
    start = 0
    if token:
        after = _after(token)
        try:
            start = next(
                (
                    i
                    for i, item in enumerate(ordered)
                    if (key(item) < after if descending else key(item) > after)
                ),
                len(ordered),
            )
        except TypeError:  # a key of other types: not a token of this listing
            raise InvalidNextToken() from None
    shown = ordered[start : start + limit]
    more = start + limit < len(ordered)
    return shown, _token(key(shown[-1])) if more and shown else None

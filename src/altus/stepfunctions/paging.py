"""Listing pages: a nextToken is the last key given (opaque to clients: base64 of a JSON
document), so a page never repeats or skips what did not change. A token this module did
not write is ``InvalidToken``."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from altus.stepfunctions.errors import InvalidToken

T = TypeVar("T")
#: AWS's default page (and what a maxResults of 0 means).
DEFAULT_PAGE = 100


def size(limit: int | None) -> int:
    return limit or DEFAULT_PAGE


def write(key: Any) -> str:
    text = json.dumps(key, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode()


def read(token: str) -> Any:
    """The key a token stands for; InvalidToken for anything not written by ``write``."""
    try:
        key = json.loads(base64.b64decode(token.encode(), altchars=b"-_", validate=True))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise bad_token() from None
    if write(key) != token:
        raise bad_token()
    return key


def bad_token() -> InvalidToken:
    # Altus's wording: AWS's text for a token it did not write was not found.
    return InvalidToken("Invalid Token: 'The nextToken is not valid'")


def page(
    items: Sequence[T], key: Callable[[T], str], token: str | None, limit: int | None
) -> tuple[list[T], str | None]:
    """The page after ``token`` of ``items`` ordered by ``key``, and the next token."""
    after = read(token) if token else None
    if after is not None and not isinstance(after, str):
        raise bad_token()
    ordered = sorted(items, key=key)
    if after is not None:
        ordered = [item for item in ordered if key(item) > after]
    count = size(limit)
    chosen = ordered[:count]
    more = len(ordered) > count
    return chosen, (write(key(chosen[-1])) if more and chosen else None)

"""Listing pages: names in order, a NextToken that is the last key given (opaque to
clients: base64 of it), so a page never repeats or skips what did not change."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import TypeVar

from altus.scheduler.errors import ValidationException

T = TypeVar("T")
DEFAULT_PAGE = 100


def page(
    items: Sequence[T], key: Callable[[T], str], token: str | None, limit: int | None
) -> tuple[list[T], str | None]:
    """The page after ``token`` of ``items`` (sorted by ``key``), and the next token."""
    after = _read(token) if token else None
    ordered = sorted(items, key=key)
    if after is not None:
        ordered = [item for item in ordered if key(item) > after]
    size = limit or DEFAULT_PAGE
    chosen = ordered[:size]
    more = len(ordered) > size
    return chosen, (_write(key(chosen[-1])) if more and chosen else None)


def _write(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode()


def _read(token: str) -> str:
    """The key a token stands for. Only a token this module wrote is taken: strict
    base64 (no characters dropped, as a lenient decoder would) that encodes back to the
    same text; anything else is a ValidationException (Altus's wording)."""
    try:
        key = base64.b64decode(token.encode(), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValidationException("The NextToken is not valid.") from None
    if not key or _write(key) != token:
        raise ValidationException("The NextToken is not valid.")
    return key

"""``position`` / ``limit`` paging as API Gateway's listings have it: ``limit`` 1-500
(default 25); ``position`` the opaque token of where the next page starts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from altus.apigateway.errors import BadRequest

T = TypeVar("T")


def page(items: Sequence[T], position: Any, limit: Any) -> tuple[list[T], str | None]:
    """The page of ``items`` (already in their listing order) from ``position``, and the
    next page's position (None on the last page)."""
    size = 25 if limit is None else int(limit)
    if not 1 <= size <= 500:
        raise BadRequest("Invalid limit: the limit must be between 1 and 500")
    start = 0
    if position:
        if not str(position).isdigit():
            raise BadRequest(f"Invalid position: {position}")
        start = int(str(position))
    chosen = list(items[start : start + size])
    following = start + size
    return chosen, (str(following) if following < len(items) else None)


def listing(items: Sequence[Any], position: Any, limit: Any) -> dict[str, Any]:
    """A listing's members: ``items`` and, where more follow, ``position``."""
    chosen, following = page(items, position, limit)
    output: dict[str, Any] = {"items": chosen}
    if following is not None:
        output["position"] = following
    return output

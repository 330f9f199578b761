"""Pages of a listing (DescribeParameters, GetParametersByPath): parameters in name
order, those a test keeps, up to a page's size, continued by a token that names the
last parameter looked at.

Like Parameter Store, a page may hold fewer than it could and still have a token: a call
looks at ``SCAN_LIMIT`` parameters at most, so a sparse filter over many parameters
answers in bounded time and is continued by the next call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from altus.api import paging
from altus.ssm.errors import InvalidNextToken
from altus.ssm.model import Parameter
from altus.ssm.store import ParameterStore

T = TypeVar("T")

#: Parameters read from the store at a time.
BATCH = 100
#: The most parameters one call looks at.
SCAN_LIMIT = 2000


@dataclass(frozen=True, slots=True)
class Scanned(Generic[T]):
    items: list[T]
    next: str | None


def after(token: str | None) -> str:
    """The key a NextToken continues after ("" without one); InvalidNextToken for a
    token this service did not make (base64 decoding skips what is not base64, so the
    token must be exactly the one its key makes)."""
    if not token:
        return ""
    found = paging.after(token)
    if found is None or paging.token(found) != token:
        raise InvalidNextToken("The specified token isn't valid.")
    return found


async def scan(
    store: ParameterStore,
    token: str | None,
    limit: int,
    keep: Callable[[Parameter], Awaitable[T | None]],
    prefix: str = "",
) -> Scanned[T]:
    """Up to ``limit`` results of ``keep`` (None: not kept) over the parameters named
    ``prefix``..., after the one ``token`` names."""
    last = after(token)
    found: list[T] = []
    looked = 0
    while looked < SCAN_LIMIT:
        batch = await store.listing(last, BATCH, prefix)
        for index, parameter in enumerate(batch):
            last = parameter.name
            looked += 1
            kept = await keep(parameter)
            if kept is not None:
                found.append(kept)
            if len(found) >= limit:
                more = index < len(batch) - 1 or len(batch) == BATCH
                return Scanned(found, paging.token(last) if more else None)
        if len(batch) < BATCH:
            return Scanned(found, None)
    return Scanned(found, paging.token(last))

"""What every page does with the API's answers: a failed call becomes a problem shown on
the page (access denied, not available on this server, or the service's error), never a
crash of the page."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

from altus.console.api import CallFailed, Unavailable

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Problem:
    #: ``denied``, ``unavailable`` or ``error`` (the CSS class it is shown with).
    kind: str
    title: str
    message: str

    def __str__(self) -> str:
        return f"{self.title}: {self.message}"


def problem_of(failed: CallFailed, what: str = "") -> Problem:
    if isinstance(failed, Unavailable):
        return Problem("unavailable", "Not available on this server", what or failed.message)
    if failed.denied:
        return Problem("denied", f"Access denied ({failed.code})", failed.message)
    return Problem("error", failed.code, failed.message)


async def attempt(work: Awaitable[T], what: str = "") -> tuple[T | None, Problem | None]:
    """``work``'s result, or the problem it met."""
    try:
        return await work, None
    except CallFailed as failed:
        return None, problem_of(failed, what)


async def gather(*works: Awaitable[Any]) -> list[tuple[Any, Problem | None]]:
    return list(await asyncio.gather(*(attempt(w) for w in works)))

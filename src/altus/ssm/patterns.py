"""AllowedPattern: the regular expression a parameter's values must match.

The pattern is the caller's, and a backtracking engine can be made to run for ages
(``(a+)+$`` against 8 KB of ``a``). The ``regex`` library bounds a match by a timeout
and lets go of the GIL while it runs (``concurrent``), so the match runs on a worker
thread for at most ``MATCH_SECONDS``; a value that cannot be checked in that time is
refused as one that does not match.
"""

from __future__ import annotations

import asyncio

import regex

#: How long a value's match may take.
MATCH_SECONDS = 0.5


def compiles(pattern: str) -> bool:
    """Whether ``pattern`` is a regular expression (compiling one is quick at any
    size the model allows)."""
    try:
        regex.compile(pattern)
    except (regex.error, RecursionError, OverflowError, ValueError):
        return False
    return True


def _matches(pattern: str, value: str) -> bool:
    try:
        return regex.fullmatch(pattern, value, concurrent=True, timeout=MATCH_SECONDS) is not None
    except TimeoutError:
        return False


async def matches(pattern: str, value: str) -> bool:
    """Whether the whole of ``value`` matches ``pattern`` (a pattern that ``compiles``);
    False if that cannot be told within ``MATCH_SECONDS``."""
    return await asyncio.to_thread(_matches, pattern, value)

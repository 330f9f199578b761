"""Caller-given regular expressions (filter patterns' ``%regex%``, Insights' ``like
/re/``, ``=~``, ``parse /re/``), matched under a timeout.

A backtracking engine can be made to run for ages by a pattern and a message of the
caller's (``(a|aa)+$`` against 40 ``a`` and a ``b``), and these matches run on the
event loop: the whole server would stop. The ``regex`` library checks a timeout while
it matches, so one match takes at most about :data:`MATCH_SECONDS` (it overshoots a
little); past that, :class:`MatchTimeout` says which pattern it was, and the caller
refuses the request or ends the query.
"""

from __future__ import annotations

import regex

#: How long one match may take.
MATCH_SECONDS = 0.1

Pattern = regex.Pattern[str]
Match = regex.Match[str]


class BadPattern(ValueError):
    """A pattern ``regex`` cannot compile."""


class MatchTimeout(Exception):
    """A match that took longer than :data:`MATCH_SECONDS`."""

    def __init__(self, pattern: str) -> None:
        super().__init__(
            f"the regular expression /{pattern}/ took more than "
            f"{int(MATCH_SECONDS * 1000)} ms to match one event"
        )
        self.pattern = pattern


def compile_pattern(text: str, flags: int = 0) -> Pattern:
    """``text`` compiled; BadPattern if it is not a regular expression (a huge
    repeat count is refused here too, not by an OverflowError)."""
    try:
        return regex.compile(text, flags)
    except (regex.error, OverflowError, RecursionError, ValueError) as problem:
        raise BadPattern(str(problem)) from None


def search(pattern: Pattern, text: str) -> Match | None:
    """The first match of ``pattern`` in ``text``; MatchTimeout past the timeout."""
    try:
        return pattern.search(text, timeout=MATCH_SECONDS)
    except TimeoutError:
        raise MatchTimeout(pattern.pattern) from None


IGNORECASE = int(regex.IGNORECASE)
DOTALL = int(regex.DOTALL)

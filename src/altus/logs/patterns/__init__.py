"""CloudWatch Logs' filter pattern syntax (FilterLogEvents' ``filterPattern``): terms,
``"phrases"``, ``?any`` and ``-none`` of them, ``%regex%``, JSON patterns
(``{ $.a[0].b = "x*" && $.n > 3 }``) and space-delimited ones (``[ip, ..., code = 4*]``).
Pure code, no I/O.

Modules: ``grammar`` (the lark grammar), ``build`` (text to ``ast``, and
:class:`PatternError`), ``regex`` (CloudWatch's regex subset), ``evaluate`` (patterns
against messages).
"""

from __future__ import annotations

from dataclasses import dataclass

from altus.logs.patterns import ast
from altus.logs.patterns.build import PatternError, parse_pattern
from altus.logs.patterns.evaluate import matches
from altus.logs.timed_regex import MatchTimeout


@dataclass(frozen=True)
class FilterPattern:
    """A parsed pattern; ``search`` says whether a message matches it (MatchTimeout
    when one of its regexes takes too long on the message)."""

    pattern: ast.Pattern

    def search(self, message: str) -> bool:
        return matches(self.pattern, message)


def compile_pattern(text: str | None) -> FilterPattern | None:
    """The pattern ``text`` (None when empty: everything matches); PatternError if it
    does not parse or CloudWatch refuses it."""
    parsed = parse_pattern(text or "")
    return None if parsed is None else FilterPattern(parsed)


__all__ = ["FilterPattern", "MatchTimeout", "PatternError", "compile_pattern"]

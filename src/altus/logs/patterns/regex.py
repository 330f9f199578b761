"""CloudWatch Logs' regular expressions in filter patterns (``%...%``): the subset the
guide allows ("Supported regular expressions (regex) syntax"), checked, then compiled
with the ``regex`` library (which reads that subset as Python's ``re`` does), to be
matched under a timeout (``altus.logs.timed_regex``).

Allowed: ASCII letters and digits; the symbols ``: _ # = @ / ; , -``; the operators
``^ $ ? [ ] { } | \\ * + .``. Not allowed: parentheses (no sub-patterns), any other
character (``%something!%`` is refused), multibyte characters. A backslash escapes the
character after it (``\\.``, ``\\d``, ``\\s``, ``\\w`` ...), which must be ASCII.
"""

from __future__ import annotations

import string

from altus.logs.timed_regex import BadPattern, Pattern
from altus.logs.timed_regex import compile_pattern as compile_timed

_ALLOWED = frozenset(string.ascii_letters + string.digits + ":_#=@/;,-" + "^$?[]{}|*+.")

#: Most regexes one JSON or space-delimited pattern may hold (the guide's quota).
MAX_PER_PATTERN = 2


class BadRegex(ValueError):
    """A regex outside CloudWatch's subset, or one that does not compile."""


def compile_regex(body: str) -> Pattern:
    """The compiled form of a ``%body%`` regex; BadRegex if CloudWatch refuses it."""
    if not body:
        raise BadRegex("empty regex")
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\":
            if index + 1 >= len(body) or not body[index + 1].isascii():
                raise BadRegex("bad escape")
            index += 2
            continue
        if char not in _ALLOWED:
            raise BadRegex(f"unsupported character {char!r}")
        index += 1
    try:
        return compile_timed(body)
    except BadPattern as problem:
        raise BadRegex(str(problem)) from None

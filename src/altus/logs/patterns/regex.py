"""CloudWatch Logs' regular expressions in filter patterns (``%...%``): the subset the
guide allows ("Supported regular expressions (regex) syntax"), checked, then compiled
with Python's ``re`` (which reads that subset alike).

Allowed: ASCII letters and digits; the symbols ``: _ # = @ / ; , -``; the operators
``^ $ ? [ ] { } | \\ * + .``. Not allowed: parentheses (no sub-patterns), any other
character (``%something!%`` is refused), multibyte characters. A backslash escapes the
character after it (``\\.``, ``\\d``, ``\\s``, ``\\w`` ...), which must be ASCII.
"""

from __future__ import annotations

import re
import string

_ALLOWED = frozenset(string.ascii_letters + string.digits + ":_#=@/;,-" + "^$?[]{}|*+.")

#: Most regexes one JSON or space-delimited pattern may hold (the guide's quota).
MAX_PER_PATTERN = 2


class BadRegex(ValueError):
    """A regex outside CloudWatch's subset, or one Python cannot compile."""


def compile_regex(body: str) -> re.Pattern[str]:
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
        return re.compile(body)
    except re.error as problem:
        raise BadRegex(str(problem)) from None

"""Text every backend can store: PostgreSQL's ``text`` refuses NUL, and no UTF-8 codec
(PostgreSQL's, SQLite's) takes a lone surrogate. Both reach stores in what functions
print and what callers send; one such character must not lose a whole transaction."""

from __future__ import annotations

import re

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def storable(text: str) -> str:
    """``text`` with each NUL and lone surrogate replaced by U+FFFD (itself when it has
    none, which a single scan in C finds)."""
    if text.isascii():  # known without a scan: then only a NUL can be there
        return text.replace("\x00", REPLACEMENT) if "\x00" in text else text
    if _UNSTORABLE.search(text) is None:
        return text
    return _UNSTORABLE.sub(REPLACEMENT, text)

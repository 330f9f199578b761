"""CloudWatch Logs filter patterns, for FilterLogEvents."""

from __future__ import annotations

import re

from altus.logs.errors import InvalidParameter


def compile_filter(pattern: str | None) -> re.Pattern[str] | None:
    """CloudWatch's term syntax: every term must occur (``"quoted phrases"`` as one term),
    ``-term`` must not occur, and if any ``?term`` is given at least one must occur.
    Returns None for an empty pattern (everything matches)."""
    if pattern is None or not pattern.strip():
        return None
    if pattern.strip().startswith("{") or pattern.strip().startswith("["):
        raise InvalidParameter(
            "Invalid filter pattern: JSON and space-delimited patterns are not supported"
        )
    tokens = re.findall(r'([-?]?)(?:"((?:[^"\\]|\\.)*)"|(\S+))', pattern)
    required: list[str] = []
    excluded: list[str] = []
    optional: list[str] = []
    for sign, quoted, bare in tokens:
        term = re.escape(quoted if quoted else bare)
        {"": required, "-": excluded, "?": optional}[sign].append(term)
    parts = [f"(?=.*{t})" for t in required] + [f"(?!.*{t})" for t in excluded]
    if optional:
        parts.append(f"(?=.*(?:{'|'.join(optional)}))")
    return re.compile("^" + "".join(parts), re.DOTALL)

"""Stored policy documents as the evaluator reads them, each parsed once: the same few
documents (a role's, a queue's, a function's) are read on every call they authorise."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any


@functools.lru_cache(maxsize=4096)
def parsed(document: str) -> Mapping[str, Any] | None:
    """The policy in ``document`` (JSON text), or None where it is not a JSON object.
    Callers must not change what they are given: it is shared."""
    try:
        policy = json.loads(document)
    except (ValueError, RecursionError):
        return None
    return policy if isinstance(policy, dict) else None

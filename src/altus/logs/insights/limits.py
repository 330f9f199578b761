"""What one Logs Insights query may hold in memory, and how it ends when it would
hold more: :class:`TooLarge`, which ends the query ``Failed`` with its message (as
Insights fails a query too large for it rather than answering part of it).

- ``stats`` groups: :data:`MAX_GROUPS`.
- ``dedup``'s keys seen: :data:`MAX_DEDUP_KEYS`.
- Values kept exactly for ``pct`` and ``count_distinct``, across the query:
  :data:`MAX_VALUES`; past it ``pct`` goes on in a histogram (within 1%), and
  ``count_distinct`` fails the query.
- Rows held by ``sort`` (when it cannot keep only the top ones) and kept as results:
  :data:`MAX_HELD_BYTES`, by an estimate of each row's size.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_GROUPS = 100_000
MAX_DEDUP_KEYS = 100_000
MAX_VALUES = 1_000_000
MAX_HELD_BYTES = 64 * 1024 * 1024


class QueryAborted(Exception):
    """A query that cannot go on; its message says why."""


class TooLarge(QueryAborted):
    """A query that would hold more than its share of memory."""


def row_size(row: Mapping[str, Any]) -> int:
    """About how many bytes a row holds: its message (which its JSON fields repeat)
    and a little per field."""
    message = row.get("@message")
    return 64 * len(row) + (2 * len(message) if isinstance(message, str) else 0)


class Budget:
    """A query's memory: exact values kept, bytes of rows held."""

    def __init__(self) -> None:
        self.values = MAX_VALUES
        self.held = 0

    def take_value(self) -> bool:
        """Whether one more exact value may be kept (it is counted if so)."""
        if self.values <= 0:
            return False
        self.values -= 1
        return True

    def give_values(self, count: int) -> None:
        self.values += count

    def hold(self, size: int) -> None:
        """Count ``size`` bytes more held; TooLarge past :data:`MAX_HELD_BYTES`."""
        self.held += size
        if self.held > MAX_HELD_BYTES:
            raise TooLarge(
                f"Query exceeded the memory limit: its rows would take more than "
                f"{MAX_HELD_BYTES // (1024 * 1024)} MB; narrow it (filter, fields, limit)"
            )

    def release(self, size: int) -> None:
        self.held -= size

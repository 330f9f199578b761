"""A mapping's FilterCriteria: a record goes to the function if any filter's pattern
matches what Lambda shows filters of it (``records.filterable``); with no filters,
every record does."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from altus.events.patterns import Pattern
from altus.events.records import filterable


class Filters:
    def __init__(self, patterns: Sequence[str], data_key: str) -> None:
        # Validated when the mapping was created or updated.
        self._patterns = [Pattern.parse(text) for text in patterns]
        self._data_key = data_key

    def __bool__(self) -> bool:
        return bool(self._patterns)

    def passes(self, record: dict[str, Any]) -> bool:
        if not self._patterns:
            return True
        return self.admits(filterable(record, self._data_key))

    def admits(self, view: Mapping[str, Any]) -> bool:
        """Whether a record whose filter view (what patterns see of it) is ``view``
        passes."""
        event = view if isinstance(view, dict) else dict(view)
        return not self._patterns or any(pattern.matches(event) for pattern in self._patterns)

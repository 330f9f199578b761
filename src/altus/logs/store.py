"""The log store: log groups, streams and events, as CloudWatch Logs models them.

Writers (the engine) call ``append`` on the event loop; it only queues. A task of the
store writes what queued in batches, one transaction per burst, so logging never adds
a disk write to an invoke. Readers (the Logs API, ``altus logs``) query by group,
stream, time and filter pattern; ``flush`` first makes everything appended so far
visible to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from altus.observe.logs import LogEvent


@dataclass(frozen=True, slots=True)
class StoredEvent:
    group: str
    stream: str
    timestamp: int
    ingestion_time: int
    message: str
    event_id: int


@dataclass(frozen=True, slots=True)
class StreamInfo:
    group: str
    stream: str
    created: int
    first_event: int
    last_event: int
    last_ingestion: int
    stored_bytes: int


@dataclass(frozen=True, slots=True)
class GroupInfo:
    group: str
    created: int
    stored_bytes: int
    retention_days: int | None


class LogStore(Protocol):
    def append(self, group: str, stream: str, events: Sequence[LogEvent]) -> None:
        """Queue events for writing (on the event loop); returns at once."""
        ...

    async def start(self) -> None:
        """Start writing what is appended."""
        ...

    async def flush(self) -> None:
        """Return once everything appended so far is stored (or was lost to a failing
        database, which the server log reports)."""
        ...

    async def groups(self, prefix: str = "") -> list[GroupInfo]: ...

    async def streams(self, group: str, prefix: str = "") -> list[StreamInfo]: ...

    async def events(
        self,
        group: str,
        streams: Sequence[str] | None = None,
        start: int | None = None,
        end: int | None = None,
        after_id: int = 0,
        limit: int = 10000,
        descending: bool = False,
    ) -> list[StoredEvent]:
        """Events of a group (optionally some streams), by time then arrival order;
        ``after_id`` continues after (``descending``: before) an event id."""
        ...

    async def prune(self, older_than_ms: int) -> int:
        """Delete events older than the cutoff, and streams left empty; how many events."""
        ...

    async def delete_group(self, group: str) -> None: ...

    async def close(self) -> None:
        """Write what is queued, then stop."""
        ...

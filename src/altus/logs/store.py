"""The log store: log groups, streams and events, as CloudWatch Logs models them.

Writers (the engine) call ``append`` on the event loop; it only queues. A task of the
store writes what queued in batches, one transaction per burst, so logging never adds
a disk write to an invoke. Readers (the Logs API, ``altus logs``) query by group,
stream, time and filter pattern; ``flush`` first makes everything appended so far
visible to them. A client's own events (PutLogEvents) are written at once instead, into
a stream it created, so the call answers only once they are stored.

A group is here once something logged into it (or a stream was created in it); a
group's settings (created by CreateLogGroup, its retention, tags, KMS key) are kept
apart, in the main database (``group_store.py``): this database may lose its last
moments in a power cut, configuration never may.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    #: The first and last event's times and when the last was stored; all 0 for a stream
    #: nothing was written to yet (CreateLogStream's, until PutLogEvents).
    first_event: int
    last_event: int
    last_ingestion: int
    stored_bytes: int

    @property
    def empty(self) -> bool:
        return self.last_ingestion == 0


@dataclass(frozen=True, slots=True)
class GroupInfo:
    group: str
    created: int
    stored_bytes: int


class LogStore(Protocol):
    def append(self, group: str, stream: str, events: Sequence[LogEvent]) -> None:
        """Queue events for writing (on the event loop); returns at once. The group and
        stream are made if they are not there (Lambda's logging)."""
        ...

    async def start(self) -> None:
        """Start writing what is appended."""
        ...

    async def flush(self) -> None:
        """Return once everything appended so far is stored (or was lost to a failing
        database, which the server log reports)."""
        ...

    async def groups(self, prefix: str = "") -> list[GroupInfo]:
        """The groups with anything stored (logged into, or holding a stream), by name."""
        ...

    async def group(self, name: str) -> GroupInfo | None:
        """One group of ``groups``; None if nothing of it is stored."""
        ...

    async def streams(self, group: str, prefix: str = "") -> list[StreamInfo]: ...

    async def create_stream(self, group: str, stream: str, now: int) -> bool:
        """Store an empty stream; False (nothing changed) if the group has one of that
        name already."""
        ...

    async def delete_stream(self, group: str, stream: str) -> bool:
        """Delete a stream and its events (appended ones included) in one transaction;
        False if there was no such stream."""
        ...

    async def put_events(
        self, group: str, stream: str, events: Sequence[LogEvent], now: int
    ) -> bool:
        """Store events in an existing stream, all of them or (raising) none, before
        returning. False, storing nothing, if the stream is not there (checked in the
        same transaction: a concurrent delete of the stream or its group either removes
        these events or refuses them)."""
        ...

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

    async def newest(
        self,
        group: str,
        start: int | None,
        end: int | None,
        before: tuple[int, int] | None,
        limit: int,
    ) -> list[StoredEvent]:
        """Events of a group in ``[start, end)``, newest first (by time, then id, both
        descending); ``before`` continues after the (time, id) of the last one read, so
        paging never skips an event written out of time order (Logs Insights)."""
        ...

    async def prune(self, older_than_ms: int) -> int:
        """Delete events older than the cutoff, and streams they leave empty (never one
        nothing was written to yet); how many events."""
        ...

    async def prune_groups(self, cutoffs: Mapping[str, int]) -> int:
        """``prune`` per group, each with its own cutoff, in one transaction; how many
        events."""
        ...

    async def delete_group(self, group: str) -> None:
        """Delete a group's events and streams (appended ones included)."""
        ...

    async def close(self) -> None:
        """Write what is queued, then stop."""
        ...

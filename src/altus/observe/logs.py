"""Function logs: log groups, streams and events, as CloudWatch Logs models them.

Writers (the engine) call ``append`` on the event loop; it only queues. A background
thread writes batches, so logging never adds a disk write to an invoke. Readers (the
Logs API, ``altus logs``) query by group, stream, time and filter pattern.

Backends: ``SqliteLogStore`` (its own database file beside the main one, so log traffic
never contends with configuration writes) and ``MemoryLogStore``.
"""

from __future__ import annotations

import queue
import re
import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from altus.errors import UserError


class InvalidFilterPattern(UserError):
    code = "InvalidParameterException"


@dataclass(frozen=True, slots=True)
class LogEvent:
    timestamp: int  # ms since the epoch
    message: str


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
        """Queue events for writing; returns at once."""
        ...

    def flush(self) -> None:
        """Block until everything appended so far is stored."""
        ...

    def groups(self, prefix: str = "") -> list[GroupInfo]: ...

    def streams(self, group: str, prefix: str = "") -> list[StreamInfo]: ...

    def events(
        self,
        group: str,
        streams: Sequence[str] | None = None,
        start: int | None = None,
        end: int | None = None,
        after_id: int = 0,
        limit: int = 10000,
        descending: bool = False,
    ) -> list[StoredEvent]:
        """Events of a group (optionally some streams), by time then arrival order."""
        ...

    def prune(self, older_than_ms: int) -> int: ...

    def delete_group(self, group: str) -> None: ...

    def close(self) -> None: ...


# --- filter patterns --------------------------------------------------------------------------


def compile_filter(pattern: str | None) -> re.Pattern[str] | None:
    """CloudWatch's term syntax: every term must occur (``"quoted phrases"`` as one term),
    ``-term`` must not occur, and if any ``?term`` is given at least one must occur.
    Returns None for an empty pattern (everything matches)."""
    if pattern is None or not pattern.strip():
        return None
    if pattern.strip().startswith("{") or pattern.strip().startswith("["):
        raise InvalidFilterPattern(
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


# --- SQLite ------------------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS log_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    grp TEXT NOT NULL,
    stream TEXT NOT NULL,
    ts INTEGER NOT NULL,
    ingest INTEGER NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS log_events_group_ts ON log_events (grp, ts, id);
CREATE INDEX IF NOT EXISTS log_events_stream_ts ON log_events (grp, stream, ts, id);
CREATE TABLE IF NOT EXISTS log_streams (
    grp TEXT NOT NULL,
    stream TEXT NOT NULL,
    created INTEGER NOT NULL,
    first_event INTEGER NOT NULL,
    last_event INTEGER NOT NULL,
    last_ingest INTEGER NOT NULL,
    bytes INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (grp, stream)
);
CREATE TABLE IF NOT EXISTS log_groups (
    grp TEXT PRIMARY KEY,
    created INTEGER NOT NULL,
    retention_days INTEGER
);
"""

_Batch = tuple[str, str, Sequence[LogEvent]]


class SqliteLogStore:
    """Logs in ``<data_dir>/logs.db``, written by one background thread."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        self._read = self._connect()
        self._read_lock = threading.Lock()
        self._queue: queue.Queue[_Batch | threading.Event | None] = queue.Queue()
        self._writer = threading.Thread(target=self._write_loop, name="altus-logs", daemon=True)
        self._writer.start()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(str(self._path), isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        # Logs may lose their last moments in a power cut; configuration may not (FULL).
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=5000")
        conn.executescript(_SCHEMA)
        return conn

    def append(self, group: str, stream: str, events: Sequence[LogEvent]) -> None:
        if events:
            self._queue.put((group, stream, events))

    def flush(self) -> None:
        done = threading.Event()
        self._queue.put(done)
        done.wait(timeout=30)

    def _write_loop(self) -> None:
        conn = self._connect()
        while True:
            item = self._queue.get()
            batch: list[_Batch] = []
            waiters: list[threading.Event] = []
            stop = False
            # Take everything queued so far: one transaction per burst, not per event.
            while True:
                if item is None:
                    stop = True
                elif isinstance(item, threading.Event):
                    waiters.append(item)
                else:
                    batch.append(item)
                if len(batch) >= 500:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if batch:
                self._write(conn, batch)
            for waiter in waiters:
                waiter.set()
            if stop:
                conn.close()
                return

    def _write(self, conn: sqlite3.Connection, batch: list[_Batch]) -> None:
        now = int(time.time() * 1000)
        conn.execute("BEGIN")
        try:
            for group, stream, events in batch:
                conn.execute(
                    "INSERT OR IGNORE INTO log_groups (grp, created) VALUES (?, ?)", (group, now)
                )
                conn.executemany(
                    "INSERT INTO log_events (grp, stream, ts, ingest, message) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [(group, stream, e.timestamp, now, e.message) for e in events],
                )
                size = sum(len(e.message) for e in events)
                first = min(e.timestamp for e in events)
                last = max(e.timestamp for e in events)
                conn.execute(
                    "INSERT INTO log_streams (grp, stream, created, first_event, last_event, "
                    "last_ingest, bytes) VALUES (?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (grp, stream) DO UPDATE SET "
                    "first_event = min(first_event, excluded.first_event), "
                    "last_event = max(last_event, excluded.last_event), "
                    "last_ingest = excluded.last_ingest, bytes = bytes + excluded.bytes",
                    (group, stream, now, first, last, now, size),
                )
            conn.execute("COMMIT")
        except sqlite3.Error:
            conn.execute("ROLLBACK")
            raise

    def groups(self, prefix: str = "") -> list[GroupInfo]:
        with self._read_lock:
            rows = self._read.execute(
                "SELECT g.grp, g.created, g.retention_days, "
                "(SELECT coalesce(sum(bytes), 0) FROM log_streams s WHERE s.grp = g.grp) "
                "FROM log_groups g WHERE g.grp >= ? ORDER BY g.grp",
                (prefix,),
            ).fetchall()
        return [GroupInfo(r[0], r[1], r[3], r[2]) for r in rows if r[0].startswith(prefix)]

    def streams(self, group: str, prefix: str = "") -> list[StreamInfo]:
        with self._read_lock:
            rows = self._read.execute(
                "SELECT stream, created, first_event, last_event, last_ingest, bytes "
                "FROM log_streams WHERE grp = ? AND stream >= ? ORDER BY stream",
                (group, prefix),
            ).fetchall()
        return [StreamInfo(group, *r) for r in rows if r[0].startswith(prefix)]

    def events(
        self,
        group: str,
        streams: Sequence[str] | None = None,
        start: int | None = None,
        end: int | None = None,
        after_id: int = 0,
        limit: int = 10000,
        descending: bool = False,
    ) -> list[StoredEvent]:
        sql = "SELECT grp, stream, ts, ingest, message, id FROM log_events WHERE grp = ?"
        params: list[object] = [group]
        if streams:
            sql += f" AND stream IN ({','.join('?' * len(streams))})"
            params.extend(streams)
        if start is not None:
            sql += " AND ts >= ?"
            params.append(start)
        if end is not None:
            sql += " AND ts < ?"
            params.append(end)
        if after_id:
            sql += " AND id > ?" if not descending else " AND id < ?"
            params.append(after_id)
        order = "DESC" if descending else "ASC"
        sql += f" ORDER BY ts {order}, id {order} LIMIT ?"
        params.append(limit)
        with self._read_lock:
            rows = self._read.execute(sql, params).fetchall()
        return [StoredEvent(*r) for r in rows]

    def prune(self, older_than_ms: int) -> int:
        with self._read_lock:
            cursor = self._read.execute("DELETE FROM log_events WHERE ts < ?", (older_than_ms,))
            self._read.execute(
                "DELETE FROM log_streams WHERE last_event < ? AND NOT EXISTS (SELECT 1 FROM "
                "log_events e WHERE e.grp = log_streams.grp AND e.stream = log_streams.stream)",
                (older_than_ms,),
            )
            return cursor.rowcount

    def delete_group(self, group: str) -> None:
        self.flush()
        with self._read_lock:
            self._read.execute("DELETE FROM log_events WHERE grp = ?", (group,))
            self._read.execute("DELETE FROM log_streams WHERE grp = ?", (group,))
            self._read.execute("DELETE FROM log_groups WHERE grp = ?", (group,))

    def close(self) -> None:
        self._queue.put(None)
        self._writer.join(timeout=30)
        with self._read_lock:
            self._read.close()


class MemoryLogStore:
    """Logs in lists, for tests."""

    def __init__(self) -> None:
        self._events: list[StoredEvent] = []
        self._created: dict[str, int] = {}

    def append(self, group: str, stream: str, events: Sequence[LogEvent]) -> None:
        now = int(time.time() * 1000)
        self._created.setdefault(group, now)
        for event in events:
            self._events.append(
                StoredEvent(
                    group, stream, event.timestamp, now, event.message, len(self._events) + 1
                )
            )

    def flush(self) -> None:
        pass

    def groups(self, prefix: str = "") -> list[GroupInfo]:
        return [
            GroupInfo(g, c, sum(len(e.message) for e in self._events if e.group == g), None)
            for g, c in sorted(self._created.items())
            if g.startswith(prefix)
        ]

    def streams(self, group: str, prefix: str = "") -> list[StreamInfo]:
        found: dict[str, list[StoredEvent]] = {}
        for event in self._events:
            if event.group == group and event.stream.startswith(prefix):
                found.setdefault(event.stream, []).append(event)
        return [
            StreamInfo(
                group,
                s,
                min(e.ingestion_time for e in es),
                min(e.timestamp for e in es),
                max(e.timestamp for e in es),
                max(e.ingestion_time for e in es),
                sum(len(e.message) for e in es),
            )
            for s, es in sorted(found.items())
        ]

    def events(
        self,
        group: str,
        streams: Sequence[str] | None = None,
        start: int | None = None,
        end: int | None = None,
        after_id: int = 0,
        limit: int = 10000,
        descending: bool = False,
    ) -> list[StoredEvent]:
        chosen = [
            e
            for e in self._events
            if e.group == group
            and (not streams or e.stream in streams)
            and (start is None or e.timestamp >= start)
            and (end is None or e.timestamp < end)
            and (not after_id or (e.event_id < after_id if descending else e.event_id > after_id))
        ]
        chosen.sort(key=lambda e: (e.timestamp, e.event_id), reverse=descending)
        return chosen[:limit]

    def prune(self, older_than_ms: int) -> int:
        before = len(self._events)
        self._events = [e for e in self._events if e.timestamp >= older_than_ms]
        return before - len(self._events)

    def delete_group(self, group: str) -> None:
        self._events = [e for e in self._events if e.group != group]
        self._created.pop(group, None)

    def close(self) -> None:
        pass

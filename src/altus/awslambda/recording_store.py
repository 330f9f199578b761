"""The store of recorded invocations: what ``altus replay`` and the console read.

One row per request id: what the function was given (event, client context, trace id,
the qualifier it was invoked by) and what came of it (result, function error, usage,
the log lines). Rows are written in bursts by the recorder (``recording.py``), never on
the invocation path, to a database of their own where the backend has several (SQLite:
``recordings.db``, not durable: a power cut may lose the last moments of recordings,
never configuration). Retention deletes the oldest rows first, a bounded number a pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

#: What a row costs besides its event, result, client context and log text: its ids,
#: names and figures (an estimate; the size cap counts it so many tiny rows count too).
ROW_OVERHEAD = 256


@dataclass(frozen=True, slots=True)
class Summary:
    """A recording as a list shows it."""

    #: The store's order of arrival: larger is newer (a page's continuation token).
    seq: int
    request_id: str
    function: str
    #: The qualifier the function was invoked by (a version, an alias, ``$LATEST``).
    qualifier: str
    executed_version: str
    #: When the invocation was admitted (epoch seconds).
    started: float
    duration_ms: float | None
    billed_ms: int | None
    function_error: str | None
    error_type: str | None


# Not frozen, though never changed: a frozen dataclass's __init__ sets each of these
# fields through object.__setattr__, several µs per recording more (measured), and one
# is made per invocation.
@dataclass(slots=True)
class Recording:
    """One invocation, whole."""

    request_id: str
    function: str
    qualifier: str
    executed_version: str
    started: float
    event: bytes
    client_context: str | None
    trace_id: str
    result: bytes
    content_type: str | None
    function_error: str | None
    error_type: str | None
    duration_ms: float | None
    billed_ms: int | None
    memory_size_mb: int | None
    max_memory_used_mb: int | None
    init_duration_ms: float | None
    #: The invocation's log lines, START to REPORT (a cold start's INIT lines first); a
    #: message of several lines is read back as those lines.
    log: tuple[str, ...]
    #: Its arrival order in the store (0 until stored).
    seq: int = 0
    #: For a streamed response (``InvokeWithResponseStream``, a function URL's
    #: ``RESPONSE_STREAM``), the bytes the function streamed; ``result`` holds the first
    #: of them (up to ``altus.engine.results.KEPT_STREAM_BYTES``, as the caller read
    #: them). None for a response returned whole.
    streamed_bytes: int | None = None

    @property
    def size(self) -> int:
        """What it counts against the size cap: its event, result, client context and log
        text (in UTF-8 bytes), plus a fixed overhead."""
        return (
            len(self.event)
            + len(self.result)
            + utf8_len(self.client_context or "")
            + sum(map(utf8_len, self.log))
            + len(self.log)
            + ROW_OVERHEAD
        )


def utf8_len(text: str) -> int:
    """The length of ``text`` in UTF-8 (ASCII text, the usual, without encoding it)."""
    return len(text) if text.isascii() else len(text.encode("utf-8", "replace"))


@dataclass(frozen=True, slots=True)
class Oldest:
    """A row as retention sees it: its order, its size, when its invocation started."""

    seq: int
    size: int
    started: float


class RecordingStore(Protocol):
    async def add(self, recordings: Sequence[Recording]) -> None:
        """Store recordings in one transaction, all or (raising) none, newest last. A
        request id may be stored more than once (an asynchronous event's retries keep
        its request id: each attempt is recorded)."""
        ...

    async def recent(
        self, function: str | None = None, limit: int = 50, before: int | None = None
    ) -> list[Summary]:
        """Up to ``limit`` summaries, newest first (of ``function`` alone if given), those
        older than ``before`` (a ``seq``) when given."""
        ...

    async def get(self, request_id: str) -> Recording | None:
        """The newest recording of a request id; None if none is stored (or it was
        deleted). Fast for recent invocations; the oldest may take a scan."""
        ...

    async def total_bytes(self) -> int:
        """The sum of the stored rows' ``size``."""
        ...

    async def oldest(self, limit: int) -> list[Oldest]:
        """The ``limit`` oldest rows (by arrival), oldest first."""
        ...

    async def delete_through(self, seq: int) -> int:
        """Delete every row up to and including ``seq`` (by arrival); how many."""
        ...

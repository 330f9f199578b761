"""Where the X-Ray service keeps segment documents: the interface (``sql_store.py``
implements it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from altus.xray.segments import SegmentRow


class TraceStore(Protocol):
    async def put(self, rows: Sequence[SegmentRow], now_ms: int) -> None:
        """Keep ``rows`` (a document already kept under its trace and id is replaced:
        an in-progress segment is sent again when it ends), all or none, before it
        returns. Raises DatabaseError when the database fails."""
        ...

    def append(self, rows: Sequence[SegmentRow], now_ms: int) -> None:
        """Keep ``rows`` soon (the daemon's and the platform's segments: written in the
        background, off the event loop; lost only if the process dies first, or the
        database refuses a row: counted in ``dropped``)."""
        ...

    async def flush(self) -> None:
        """Everything appended before this call is written (or dropped) when it
        returns, however much is appended meanwhile."""
        ...

    async def documents(self, trace_ids: Sequence[str]) -> dict[str, list[str]]:
        """The documents of each trace that has any, in start order."""
        ...

    async def traces_between(
        self, start_us: int, end_us: int, limit: int, after: tuple[int, str] | None = None
    ) -> list[tuple[int, str]]:
        """The traces with a document starting in [start_us, end_us], as (their first
        such start, trace id), in that order, at most ``limit``: those after ``after``
        (the last one a previous page had)."""
        ...

    async def trace_of_request(self, request_id: str) -> str | None:
        """The trace whose Lambda platform segment records invocation ``request_id``."""
        ...

    async def prune(self, before_ms: int) -> int:
        """Forget the documents received before ``before_ms``; how many."""
        ...

    async def start(self) -> None: ...

    async def close(self) -> None:
        """Write what is appended, then stop."""
        ...

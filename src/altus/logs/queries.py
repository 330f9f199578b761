"""Logs Insights queries as they run: each StartQuery becomes a task of its own (the
call answers at once with its id), reading the groups' events newest first, a page at
a time, merged across groups, into the query's execution (``insights/execute.py``).

Queries are kept in memory, as CloudWatch Logs keeps them: their results for
:data:`KEPT_MS` (seven days, the quota guide's), at most :data:`MAX_KEPT` of them
(the oldest finished ones go first); a restart forgets them. At most
:data:`MAX_RUNNING` run at once (CloudWatch's 30 concurrent queries); one running
longer than :data:`TIMEOUT_S` (60 minutes) ends as ``Timeout``. A query too large for
its memory bounds (``insights/limits.py``), or whose regex takes too long on an event
(``altus.logs.timed_regex``), ends as ``Failed``; ``QueryRun.reason`` says why (and the
server's log). A run gives the event loop back at least every :data:`SLICE_S`, so a
long query never holds up other requests; finished results are kept up to
:data:`MAX_KEPT_BYTES` in all (the oldest finished queries go first).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field

from altus.logs.errors import LimitExceeded
from altus.logs.insights import ast
from altus.logs.insights.execute import Execution
from altus.logs.insights.fields import discover
from altus.logs.insights.limits import QueryAborted
from altus.logs.store import LogStore, StoredEvent
from altus.logs.timed_regex import MatchTimeout

log = logging.getLogger(__name__)

KEPT_MS = 7 * 86_400_000
MAX_KEPT = 1000
MAX_RUNNING = 30
TIMEOUT_S = 3600.0
#: Events read per store query: what a run holds of the store at once, per group.
PAGE = 1000
#: Longest a run holds the event loop before letting other work run.
SLICE_S = 0.02
#: Bytes of results kept for all finished queries together.
MAX_KEPT_BYTES = 256 * 1024 * 1024

#: The states a query ends in.
ENDED = frozenset({"Complete", "Failed", "Cancelled", "Timeout"})


@dataclass(frozen=True)
class Source:
    """A group to read, and the earliest event time it shows (its retention policy may
    hide older events than the query's start)."""

    group: str
    start: int | None


@dataclass
class QueryRun:
    query_id: str
    query_string: str
    groups: tuple[str, ...]
    created: int
    status: str = "Scheduled"
    results: list[list[tuple[str, str]]] = field(default_factory=list)
    records_scanned: int = 0
    records_matched: int = 0
    bytes_scanned: int = 0
    task: asyncio.Task[None] | None = None
    #: The running execution (for its results so far), until the run ends.
    execution: Execution | None = None
    #: Why a ``Failed`` query failed.
    reason: str = ""
    #: The results' size (field names and values), once complete.
    result_bytes: int = 0


class Queries:
    def __init__(self, store: LogStore, account: str, now_ms: Callable[[], int]) -> None:
        self._store = store
        self._account = account
        self._now_ms = now_ms
        self._runs: dict[str, QueryRun] = {}

    def start(
        self,
        text: str,
        query: ast.Query,
        sources: Sequence[Source],
        end: int,
        cap: int,
    ) -> QueryRun:
        """Schedule a query over ``sources`` (events before ``end``, ms, exclusive);
        LimitExceededException if :data:`MAX_RUNNING` run already."""
        self._forget()
        if sum(1 for r in self._runs.values() if r.status not in ENDED) >= MAX_RUNNING:
            raise LimitExceeded("Account maximum query concurrency limit of 30 reached.")
        run = QueryRun(str(uuid.uuid4()), text, tuple(s.group for s in sources), self._now_ms())
        self._runs[run.query_id] = run
        run.task = asyncio.get_running_loop().create_task(
            self._run(run, Execution(query, cap), sources, end)
        )
        return run

    def results(self, run: QueryRun) -> list[list[tuple[str, str]]]:
        """What GetQueryResults shows: all the results once ``Complete``, those so far
        while ``Running`` (as Insights shows partial results), none otherwise."""
        if run.status == "Complete":
            return run.results
        if run.status == "Running" and run.execution is not None:
            return run.execution.partial()
        return []

    def get(self, query_id: str) -> QueryRun | None:
        self._forget()
        return self._runs.get(query_id)

    def listing(self) -> list[QueryRun]:
        """The queries kept, newest first."""
        self._forget()
        return sorted(self._runs.values(), key=lambda r: (-r.created, r.query_id))

    def stop(self, run: QueryRun) -> bool:
        """Cancel a query that has not ended; False if it had."""
        if run.status in ENDED:
            return False
        run.status = "Cancelled"
        if run.task is not None:
            run.task.cancel()
        return True

    async def close(self) -> None:
        for run in list(self._runs.values()):
            if run.task is not None and not run.task.done():
                run.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await run.task

    def _forget(self) -> None:
        oldest = self._now_ms() - KEPT_MS
        for query_id, run in list(self._runs.items()):
            if run.status in ENDED and run.created < oldest:
                del self._runs[query_id]
        ended = sorted(
            (r for r in self._runs.values() if r.status in ENDED), key=lambda r: r.created
        )
        for run in ended[: max(0, len(self._runs) - MAX_KEPT)]:
            del self._runs[run.query_id]
        kept = sum(r.result_bytes for r in self._runs.values())
        for run in ended:
            if kept <= MAX_KEPT_BYTES:
                break
            if run.query_id in self._runs:
                kept -= run.result_bytes
                del self._runs[run.query_id]

    async def _run(
        self, run: QueryRun, execution: Execution, sources: Sequence[Source], end: int
    ) -> None:
        run.status = "Running"
        run.execution = execution
        try:
            async with asyncio.timeout(TIMEOUT_S):
                await self._store.flush()  # what was logged before the query is in it
                sliced = time.monotonic()
                async for event in _newest_first(self._store, sources, end):
                    if time.monotonic() - sliced > SLICE_S:
                        await asyncio.sleep(0)  # let other requests run
                        sliced = time.monotonic()
                    run.records_scanned += 1
                    run.bytes_scanned += len(event.message.encode())
                    row = discover(
                        self._account,
                        event.group,
                        event.stream,
                        event.timestamp,
                        event.ingestion_time,
                        event.message,
                        event.event_id,
                    )
                    if not execution.push(row):
                        break
                results = execution.finish()
                run.records_matched = execution.matched
                run.results = results
                run.result_bytes = sum(len(f) + len(v) for row in results for f, v in row)
                run.status = "Complete"
            self._forget()  # within the bytes kept
        except TimeoutError:
            run.status = "Timeout"
        except asyncio.CancelledError:
            run.status = "Cancelled"
            raise
        except (QueryAborted, MatchTimeout) as problem:
            run.reason = str(problem)
            log.warning("Logs Insights query %s failed: %s", run.query_id, run.reason)
            run.status = "Failed"
        except Exception as problem:
            log.exception("Logs Insights query %s failed", run.query_id)
            run.reason = f"internal error: {type(problem).__name__}"
            run.status = "Failed"
        finally:
            run.execution = None


async def _newest_first(
    store: LogStore, sources: Sequence[Source], end: int
) -> AsyncIterator[StoredEvent]:
    """The sources' events, newest first across them all, a page per group at a time."""
    pages: list[list[StoredEvent]] = [[] for _ in sources]
    cursors: list[tuple[int, int] | None] = [None] * len(sources)
    done = [False] * len(sources)
    while True:
        for index, source in enumerate(sources):
            if not pages[index] and not done[index]:
                page = await store.newest(source.group, source.start, end, cursors[index], PAGE)
                done[index] = len(page) < PAGE
                if page:
                    cursors[index] = (page[-1].timestamp, page[-1].event_id)
                # Reversed, so the group's next event is at the end (``pop``).
                pages[index] = page[::-1]
        heads = [(p[-1].timestamp, p[-1].event_id, i) for i, p in enumerate(pages) if p]
        if not heads:
            return
        _, _, chosen = max(heads)
        yield pages[chosen].pop()

"""Logs Insights' query runs (``altus.logs.queries``) over a store that answers when told:
a query runs as a task, StopQuery cancels it, at most 30 run at once, results are kept
for seven days, and groups are merged newest first."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from altus.logs.errors import LimitExceeded
from altus.logs.insights.build import parse_query
from altus.logs.queries import KEPT_MS, MAX_RUNNING, Queries, Source
from altus.logs.store import StoredEvent


class Store:
    """Just what a run reads: ``flush`` and ``newest``; ``newest`` waits for ``gate``."""

    def __init__(self, events: dict[str, list[StoredEvent]]) -> None:
        self.events = events
        self.gate = asyncio.Event()
        self.reads = 0

    async def flush(self) -> None:
        return None

    async def newest(
        self,
        group: str,
        start: int | None,
        end: int | None,
        before: tuple[int, int] | None,
        limit: int,
    ) -> list[StoredEvent]:
        await self.gate.wait()
        self.reads += 1
        chosen = sorted(self.events.get(group, []), key=lambda e: (e.timestamp, e.event_id))
        chosen.reverse()
        if before is not None:
            chosen = [e for e in chosen if (e.timestamp, e.event_id) < before]
        return [
            e
            for e in chosen
            if (start is None or e.timestamp >= start) and (end is None or e.timestamp < end)
        ][:limit]


def stored(group: str, at: int, event_id: int) -> StoredEvent:
    return StoredEvent(group, "s", at, at, f"{group}@{at}", event_id)


async def settle(queries: Queries, query_id: str) -> str:
    for _ in range(100):
        run = queries.get(query_id)
        assert run is not None
        if run.status in ("Complete", "Failed", "Cancelled", "Timeout"):
            return run.status
        await asyncio.sleep(0)
    raise AssertionError("the query did not end")


def test_runs_in_the_background_and_stops() -> None:
    async def scenario() -> None:
        store = Store({"a": [stored("a", 1, 1)]})
        queries = Queries(store, "123456789012", lambda: 0)  # type: ignore[arg-type]
        run = queries.start("fields @message", parse_query("fields @message"),
                            [Source("a", None)], 10, 100)  # fmt: skip
        assert run.status == "Scheduled"
        await asyncio.sleep(0)
        assert run.status == "Running"
        assert queries.stop(run)
        assert await settle(queries, run.query_id) == "Cancelled"
        assert not queries.stop(run)  # it has ended
        await queries.close()

    asyncio.run(scenario())


def test_merges_groups_newest_first_a_page_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("altus.logs.queries.PAGE", 2)

    async def scenario() -> None:
        store = Store(
            {
                "a": [stored("a", t, i) for i, t in enumerate([1, 4, 5, 9], start=1)],
                "b": [stored("b", t, i) for i, t in enumerate([2, 3, 7], start=10)],
            }
        )
        store.gate.set()
        queries = Queries(store, "123456789012", lambda: 0)  # type: ignore[arg-type]
        text = "fields @message"
        run = queries.start(text, parse_query(text), [Source("a", 2), Source("b", None)], 8, 100)
        assert await settle(queries, run.query_id) == "Complete"
        messages = [dict(r)["@message"] for r in run.results]
        assert messages == ["b@7", "a@5", "a@4", "b@3", "b@2"]
        assert run.records_scanned == 5 and run.records_matched == 5
        await queries.close()

    asyncio.run(scenario())


def test_concurrency_and_keeping() -> None:
    async def scenario() -> None:
        now = [0]
        store = Store({})
        queries = Queries(store, "123456789012", lambda: now[0])  # type: ignore[arg-type]
        query = parse_query("stats count(*)")
        runs = [queries.start("q", query, [Source("a", None)], 1, 10) for _ in range(MAX_RUNNING)]
        with pytest.raises(LimitExceeded):
            queries.start("q", query, [Source("a", None)], 1, 10)
        store.gate.set()
        for run in runs:
            assert await settle(queries, run.query_id) == "Complete"
        assert run.results == []  # no events: no group to count
        queries.start("q", query, [Source("a", None)], 1, 10)  # room again
        now[0] = KEPT_MS + 1
        assert queries.get(runs[0].query_id) is None  # forgotten after seven days
        assert len(queries.listing()) == 1
        await queries.close()

    asyncio.run(scenario())


def test_a_failing_store_fails_the_query() -> None:
    class Broken(Store):
        async def newest(self, *args: Any) -> list[StoredEvent]:
            raise RuntimeError("disk on fire")

    async def scenario() -> None:
        queries = Queries(Broken({}), "1", lambda: 0)  # type: ignore[arg-type]
        run = queries.start("q", parse_query("fields x"), [Source("a", None)], 1, 10)
        assert await settle(queries, run.query_id) == "Failed"

    asyncio.run(scenario())


def test_a_query_too_slow_or_too_large_fails_saying_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("altus.logs.insights.execute.MAX_GROUPS", 1)

    async def scenario() -> None:
        store = Store({"a": [StoredEvent("a", "s", 1, 1, "a" * 40 + "b", 1),
                             StoredEvent("a", "s", 2, 2, "x", 2)]})  # fmt: skip
        store.gate.set()
        queries = Queries(store, "1", lambda: 0)  # type: ignore[arg-type]
        slow = "filter @message like /(a|aa)+$/"
        run = queries.start(slow, parse_query(slow), [Source("a", None)], 10, 10)
        assert await settle(queries, run.query_id) == "Failed"
        assert "took more than" in run.reason
        large = "stats count(*) by @message"
        run = queries.start(large, parse_query(large), [Source("a", None)], 10, 10)
        assert await settle(queries, run.query_id) == "Failed"
        assert "more than 1 groups" in run.reason
        await queries.close()

    asyncio.run(scenario())


def test_results_so_far_while_running(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("altus.logs.queries.PAGE", 1)

    class Paced(Store):
        async def newest(self, *args: Any) -> list[StoredEvent]:
            page = await super().newest(*args)
            self.gate.clear()  # one page at a time, when the test says
            return page

    async def scenario() -> None:
        store = Paced({"a": [stored("a", t, t) for t in (1, 2, 3)]})
        queries = Queries(store, "1", lambda: 0)  # type: ignore[arg-type]
        text = "fields @message"
        run = queries.start(text, parse_query(text), [Source("a", None)], 10, 10)
        sorting = "sort @message"
        held = queries.start(sorting, parse_query(sorting), [Source("a", None)], 10, 10)
        for _ in range(2):
            store.gate.set()
            for _ in range(20):
                await asyncio.sleep(0)
        assert run.status == "Running"
        so_far = [dict(r)["@message"] for r in queries.results(run)]
        assert so_far and so_far == ["a@3", "a@2", "a@1"][: len(so_far)] and len(so_far) < 3
        assert queries.results(held) == []  # a sort shows its rows at the end
        for _ in range(10):
            store.gate.set()
            await asyncio.sleep(0)
        assert await settle(queries, run.query_id) == "Complete"
        assert len(queries.results(run)) == 3
        await queries.close()

    asyncio.run(scenario())


def test_finished_results_are_kept_within_a_byte_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("altus.logs.queries.MAX_KEPT_BYTES", 40)

    async def scenario() -> None:
        now = [0]
        store = Store({"a": [stored("a", 1, 1)]})
        store.gate.set()
        queries = Queries(store, "1", lambda: now[0])  # type: ignore[arg-type]
        text = "fields @message"
        ids = []
        for at in range(4):
            now[0] = at
            run = queries.start(text, parse_query(text), [Source("a", None)], 10, 10)
            assert await settle(queries, run.query_id) == "Complete"
            assert run.result_bytes > 10
            ids.append(run.query_id)
        kept = [r.query_id for r in queries.listing()]
        assert ids[-1] in kept and ids[0] not in kept
        assert sum(r.result_bytes for r in queries.listing()) <= 40
        await queries.close()

    asyncio.run(scenario())

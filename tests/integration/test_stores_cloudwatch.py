"""The metric store's contract (``altus.cloudwatch.store.MetricStore``) on every backend:
SQLite in memory, SQLite in a file and the machine's PostgreSQL. Writes merge into what
buckets hold (histograms included), reads take one resolution's buckets of one metric,
ListMetrics' query pages and filters, pruning goes by each resolution's retention, a
bounded number of rows at a time, and concurrent writers of one bucket lose nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from altus.cloudwatch.component import prune_all
from altus.cloudwatch.rollups import DAY, HOUR, plan
from altus.cloudwatch.sql_store import SCHEMA, SqlMetricStore
from altus.cloudwatch.store import MetricInfo
from altus.observe.metrics import Aggregate, Dimensions, SeriesKey, Statistics
from altus.store.database import Conflict
from altus.store.storage import Storage

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

NOW = 1_750_000_000 - 1_750_000_000 % 3600
LATENCY = SeriesKey("App", "Latency", (("Stage", "prod"),), "Milliseconds")


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[SqlMetricStore]:
    storage = Storage(store_url)
    db = storage.database("metrics", durable=False)
    db.migrate([SCHEMA])
    yield SqlMetricStore(db)
    await asyncio.to_thread(storage.close)


def of(*values: float) -> Statistics:
    found = Statistics()
    for v in values:
        found.add(v)
    return found


def everything(_: Dimensions) -> bool:
    return True


async def add(store: SqlMetricStore, *aggregates: Aggregate, now: int = NOW) -> None:
    await store.add(plan(aggregates, now), now)


async def test_writes_merge_into_their_buckets(store: SqlMetricStore) -> None:
    await add(store, Aggregate(LATENCY, NOW - 70, of(1.0, 2.0), 1))
    await add(
        store, Aggregate(LATENCY, NOW - 70, of(10.0), 1), Aggregate(LATENCY, NOW - 10, of(4.0), 1)
    )
    seconds = await store.points(
        "App", "Latency", LATENCY.dimensions, None, 1, NOW - 100, NOW, True
    )
    assert [
        (p.bucket, p.values.count, p.values.total) for p in sorted(seconds, key=lambda p: p.bucket)
    ] == [
        (NOW - 70, 3, 13.0),
        (NOW - 10, 1, 4.0),
    ]
    # A bucket of one value keeps no histogram: it is made again when read.
    single = max(seconds, key=lambda p: p.bucket).values
    assert single.histogram and single.percentile(50) == 4.0
    [hour] = await store.points(
        "App", "Latency", LATENCY.dimensions, "Milliseconds", 3600, NOW - HOUR, NOW, True
    )
    assert (hour.unit, hour.values.count, hour.values.minimum, hour.values.maximum) == (
        "Milliseconds",
        4,
        1.0,
        10.0,
    )
    assert hour.values.percentile(100) == 10.0
    assert sum(hour.values.histogram.values()) == 4
    [bare] = await store.points(
        "App", "Latency", LATENCY.dimensions, None, 3600, NOW - HOUR, NOW, False
    )
    assert bare.values.histogram == {} and bare.values.count == 4


async def test_points_are_of_one_metric_unit_and_range(store: SqlMetricStore) -> None:
    other_unit = SeriesKey("App", "Latency", LATENCY.dimensions, "Seconds")
    other_dims = SeriesKey("App", "Latency", (("Stage", "dev"),), "Milliseconds")
    await add(
        store,
        Aggregate(LATENCY, NOW - 30, of(1.0)),
        Aggregate(other_unit, NOW - 30, of(2.0)),
        Aggregate(other_dims, NOW - 30, of(3.0)),
        Aggregate(LATENCY, NOW - 2 * HOUR, of(5.0)),
    )
    found = await store.points(
        "App", "Latency", LATENCY.dimensions, None, 60, NOW - HOUR, NOW, False
    )
    assert sorted((p.unit, p.values.total) for p in found) == [
        ("Milliseconds", 1.0),
        ("Seconds", 2.0),
    ]
    found = await store.points(
        "App", "Latency", LATENCY.dimensions, "Seconds", 60, NOW - HOUR, NOW, False
    )
    assert [p.values.total for p in found] == [2.0]
    assert await store.points("App", "Latency", (), None, 60, NOW - HOUR, NOW, False) == []


async def test_metrics_pages_and_filters(store: SqlMetricStore) -> None:
    keys = [SeriesKey("App", f"m{i}", (("Fn", f"f{i % 2}"),)) for i in range(5)]
    keys.append(SeriesKey("App", "m0", (("Fn", "f0"),), "Count"))  # one metric, two units
    keys.append(SeriesKey("Other", "x"))
    await add(store, *(Aggregate(k, NOW - 5, of(1.0)) for k in keys))
    first = await store.metrics("App", None, NOW - DAY, None, 3, everything)
    assert [m.name for m in first] == ["m0", "m1", "m2"]
    rest = await store.metrics("App", None, NOW - DAY, first[-1], 10, everything)
    assert [m.name for m in rest] == ["m3", "m4"]
    odd = await store.metrics(None, None, NOW - DAY, None, 10, lambda d: dict(d).get("Fn") == "f1")
    assert [m.name for m in odd] == ["m1", "m3"]
    assert await store.metrics("Other", "x", NOW - DAY, None, 10, everything) == [
        MetricInfo("Other", "x", ())
    ]
    assert await store.metrics(None, None, NOW + 1, None, 10, everything) == []


async def test_pruning_follows_each_resolution_and_is_bounded(store: SqlMetricStore) -> None:
    then = NOW - 2 * HOUR
    await add(store, *(Aggregate(LATENCY, then + i, of(1.0), 1) for i in range(10)), now=NOW)
    later = NOW + 2 * HOUR  # the second buckets are now past their 3 hours
    assert await store.prune(later, 4) == 4
    assert await store.prune(later, 100) == 6
    assert await store.prune(later, 100) == 0
    assert await store.points("App", "Latency", LATENCY.dimensions, None, 1, 0, later, False) == []
    minutes = await store.points("App", "Latency", LATENCY.dimensions, None, 60, 0, later, False)
    assert sum(p.values.count for p in minutes) == 10
    # Past every retention: the series goes too (and is made again when put to).
    gone = NOW + 500 * DAY
    assert await store.prune(gone, 100) > 0
    assert await store.metrics(None, None, 0, None, 10, everything) == []
    await add(store, Aggregate(LATENCY, gone - 5, of(2.0)), now=gone)
    [point] = await store.points(
        "App", "Latency", LATENCY.dimensions, None, 60, gone - 60, gone, False
    )
    assert point.values.total == 2.0


async def test_concurrent_writers_of_one_bucket_lose_nothing(store_url: str) -> None:
    """Two stores on one database (two frontends on one PostgreSQL, or one SQLite file)
    adding into the same buckets at once."""
    if store_url == "memory:":
        pytest.skip("an in-memory database is one store's alone")
    storages = [Storage(store_url), Storage(store_url)]
    dbs = [s.database("metrics", durable=False) for s in storages]
    dbs[0].migrate([SCHEMA])
    stores = [SqlMetricStore(db) for db in dbs]
    try:
        await asyncio.gather(
            *(add(stores[i % 2], Aggregate(LATENCY, NOW - 30, of(float(i)))) for i in range(20))
        )
        [hour] = await stores[0].points(
            "App", "Latency", LATENCY.dimensions, None, 3600, NOW - HOUR, NOW, True
        )
        assert (hour.values.count, hour.values.total) == (20, float(sum(range(20))))
        assert sum(hour.values.histogram.values()) + hour.values.zeros == 20
    finally:
        for storage in storages:
            await asyncio.to_thread(storage.close)


async def test_writers_of_many_series_in_opposite_orders_neither_deadlock_nor_lose(
    store_url: str,
) -> None:
    """Two frontends flushing the same series, each in its own order (another hash seed,
    another dict order): rows are locked in one order, and a write that still loses to
    a deadlock is run again rather than dropped."""
    if store_url == "memory:":
        pytest.skip("an in-memory database is one store's alone")
    storages = [Storage(store_url), Storage(store_url)]
    dbs = [s.database("metrics", durable=False) for s in storages]
    dbs[0].migrate([SCHEMA])
    stores = [SqlMetricStore(db) for db in dbs]
    keys = [SeriesKey("Many", f"m{i}") for i in range(300)]
    try:
        for round in range(3):
            forward = plan([Aggregate(k, NOW - 30 + round, of(1.0)) for k in keys], NOW)
            backward = dict(reversed(forward.items()))
            await asyncio.gather(stores[0].add(forward, NOW), stores[1].add(backward, NOW))
        for key in (keys[0], keys[-1]):
            [minute] = await stores[0].points("Many", key.name, (), None, 60, NOW - 60, NOW, False)
            assert minute.values.count == 6
    finally:
        for storage in storages:
            await asyncio.to_thread(storage.close)


class _LosesOnce:
    """A database whose first write loses to a concurrent one (a deadlock)."""

    def __init__(self, db: Any) -> None:
        self._db = db
        self.dialect = db.dialect
        self.lost = 0

    async def write(self, work: Any) -> Any:
        if not self.lost:
            self.lost += 1

            def losing(tx: Any) -> Any:
                work(tx)  # done, then rolled back whole
                raise Conflict("deadlock detected")

            return await self._db.write(losing)
        return await self._db.write(work)

    async def read(self, work: Any) -> Any:
        return await self._db.read(work)


async def test_a_write_that_lost_to_a_deadlock_is_run_again(store_url: str) -> None:
    storage = Storage(store_url)
    db = storage.database("metrics", durable=False)
    db.migrate([SCHEMA])
    flaky = _LosesOnce(db)
    store = SqlMetricStore(flaky)  # type: ignore[arg-type]
    try:
        await add(store, Aggregate(LATENCY, NOW - 30, of(4.0)))
        [minute] = await store.points(
            "App", "Latency", LATENCY.dimensions, None, 60, NOW - 60, NOW, False
        )
        assert (flaky.lost, minute.values.count, minute.values.total) == (1, 1, 4.0)
    finally:
        await asyncio.to_thread(storage.close)


async def test_pruning_runs_pass_after_pass_until_caught_up(store: SqlMetricStore) -> None:
    then = NOW - 2 * HOUR
    await add(store, *(Aggregate(LATENCY, then + i, of(1.0), 1) for i in range(25)), now=NOW)
    later = NOW + 2 * HOUR
    # Batches of 4: one run goes on until a pass deletes fewer (7 passes), not one pass.
    assert await prune_all(store, later, limit=4) == 25
    assert await store.points("App", "Latency", LATENCY.dimensions, None, 1, 0, later, False) == []


def test_list_pages_find_their_place_in_the_index() -> None:
    """The page condition is spelled so that the (namespace, name, dimensions) index
    gives the range, not a scan of every series (SQLite's plan shows it)."""
    import sqlite3

    from altus.cloudwatch.sql_store import _after

    after = MetricInfo("ns1", "m5", ())
    connection = sqlite3.connect(":memory:")
    connection.executescript(SCHEMA.migrations[0].sql)
    for namespace, name in ((None, None), ("ns1", None), ("ns1", "m5")):
        condition, params = _after(after, namespace, name)
        where = ["last_put >= ?", condition]
        fixed = [value for value in (namespace, name) if value is not None]
        where[1:1] = [f"{c} = ?" for c, v in (("namespace", namespace), ("name", name)) if v]
        plan_rows = connection.execute(
            "EXPLAIN QUERY PLAN SELECT namespace, name, dimensions FROM metric_series WHERE "
            f"{' AND '.join(where)} GROUP BY namespace, name, dimensions "
            "ORDER BY namespace, name, dimensions",
            [0, *fixed, *params],
        ).fetchall()
        assert any("SEARCH" in str(row[-1]) and ">" in str(row[-1]) for row in plan_rows), plan_rows
    connection.close()

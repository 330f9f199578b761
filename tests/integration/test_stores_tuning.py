"""The tuning store's contract (``altus.awslambda.tuning_store.TuningStore``) on every
backend: SQLite in memory, SQLite in a file and the machine's PostgreSQL. A job written
and replaced as it progresses; listed newest first, per function; the jobs a stopped
server left RUNNING failed at the next start, the others untouched."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from altus.awslambda.tuning_model import FAILED, RUNNING, SUCCEEDED, Best, SizeResult, Tuning
from altus.awslambda.tuning_sql_store import SCHEMA, SqlTuningStore
from altus.store.storage import Storage

pytestmark = [pytest.mark.integration, pytest.mark.anyio]


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[SqlTuningStore]:
    storage = Storage(store_url)
    db = storage.database()
    db.migrate([SCHEMA])
    yield SqlTuningStore(db)
    await asyncio.to_thread(storage.close)


def job(tuning_id: str, function: str = "f", started: float = 1_700_000_000.25) -> Tuning:
    return Tuning(
        tuning_id=tuning_id,
        function=function,
        qualifier="$LATEST",
        memory_sizes=(128, 256),
        payload='{"k": "v"}',
        runs=5,
        parallel=True,
        status=RUNNING,
        started=started,
    )


async def test_written_and_replaced(store: SqlTuningStore) -> None:
    assert await store.get("t1") is None
    made = job("t1")
    await store.put(made)
    assert await store.get("t1") == made
    result = SizeResult(128, 5, 0, 10.5, 12.0, 11.0, 80.25, 0.223)
    done = made.replace(
        status=SUCCEEDED, ended=1_700_000_010.5, results=(result,), best=Best(128, 128, 128)
    )
    await store.put(done)
    assert await store.get("t1") == done
    assert await store.list() == [done]


async def test_listed_newest_first_per_function(store: SqlTuningStore) -> None:
    await store.put(job("a", "f", 1_700_000_001.0))
    await store.put(job("b", "g", 1_700_000_002.0))
    await store.put(job("c", "f", 1_700_000_003.0))
    assert [t.tuning_id for t in await store.list()] == ["c", "b", "a"]
    assert [t.tuning_id for t in await store.list("f")] == ["c", "a"]
    assert [t.tuning_id for t in await store.list("f", limit=1)] == ["c"]
    assert await store.list("h") == []


async def test_running_jobs_fail_at_start(store: SqlTuningStore) -> None:
    finished = job("done").replace(status=SUCCEEDED, ended=1_700_000_005.0)
    await store.put(finished)
    await store.put(job("cut"))
    assert await store.fail_running("stopped", 1_700_000_009.0) == 1
    cut = await store.get("cut")
    assert cut is not None
    assert (cut.status, cut.error, cut.ended) == (FAILED, "stopped", 1_700_000_009.0)
    assert await store.get("done") == finished
    assert await store.fail_running("stopped", 1_700_000_010.0) == 0

"""Text no database takes, on every backend: the function logs store
(``altus.logs.sql_store``) keeps the rest of a burst, and the line with its NUL (which
PostgreSQL's text refuses) or lone surrogate replaced by U+FFFD."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from altus.logs.sql_store import SCHEMA as LOGS
from altus.logs.sql_store import SqlLogStore
from altus.observe.logs import LogEvent
from altus.store.database import Database
from altus.store.storage import Storage
from altus.store.text import storable

pytestmark = [pytest.mark.integration, pytest.mark.anyio]


@pytest.fixture
async def database(store_url: str) -> AsyncIterator[Database]:
    storage = Storage(store_url)
    db = storage.database()
    db.migrate([LOGS])
    yield db
    await asyncio.to_thread(storage.close)


async def test_a_nul_in_a_log_line_loses_nothing(database: Database) -> None:
    logs = SqlLogStore(database)
    await logs.start()
    logs.append("/aws/lambda/f", "s", [LogEvent(1, "before")])
    logs.append("/aws/lambda/f", "s", [LogEvent(2, "a\x00b"), LogEvent(3, "c\ud800d")])
    logs.append("/aws/lambda/g", "s", [LogEvent(4, "other")])
    await logs.flush()
    assert [e.message for e in await logs.events("/aws/lambda/f")] == [
        "before",
        "a\ufffdb",
        "c\ufffdd",
    ]
    assert [e.message for e in await logs.events("/aws/lambda/g")] == ["other"]
    await logs.close()


def test_storable_text_is_itself() -> None:
    text = "héllo\tthere"
    assert storable(text) is text

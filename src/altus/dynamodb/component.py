"""The DynamoDB service's component: tables in memory (their definitions, loaded at
start, changed by writing them first), items in the store, and the work done in the
background:

- **purge**: a deleted table's items, index rows and stream records, and a dropped
  index's rows, deleted a few thousand rows per transaction (other writes go between;
  the store notes what is to purge in the write that deletes or drops, so a restart
  goes on with it);
- **backfill**: a global secondary index added to a table with items is filled, a
  chunk of items per transaction, then made ACTIVE (a restart goes on where it was:
  writing an index row twice is harmless);
- **time to live**: items whose TTL attribute (epoch seconds) has passed are deleted
  every ``TTL_INTERVAL`` seconds, as writes of the service (their stream records carry
  ``userIdentity``); when TTL is enabled, every item's expiry is noted first;
- **stream trim**: stream records older than 24 hours are deleted.

A table is ACTIVE as soon as CreateTable has written it (DynamoDB takes seconds in
CREATING; boto3's ``table_exists`` waiter then succeeds at its first poll).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, TypeVar

from altus.api.spec import Context
from altus.dynamodb import errors
from altus.dynamodb.errors import InternalServerError, ResourceInUse, table_not_found
from altus.dynamodb.model import ACTIVE, CREATING, ItemWrite, Table, Written
from altus.dynamodb.rows import Address
from altus.dynamodb.sql_store import SqlTableStore
from altus.dynamodb.store import (
    ConditionsFailed,
    KeyRange,
    Row,
    ScanRange,
    TableChanged,
    TableStore,
    TokenClaim,
    TokenRepeated,
)
from altus.dynamodb.values import Item
from altus.store.database import DatabaseError

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Seconds between the sweeps of items whose time to live has passed.
TTL_INTERVAL = 30.0
#: Seconds between the trims of stream records past their 24 hours.
TRIM_INTERVAL = 300.0
STREAM_RETENTION = 24 * 3600.0
#: Rows per transaction of the background work (SQLite's one writer is held meanwhile).
CHUNK = 500
#: Times a write is planned again on a table whose definition changed meanwhile.
_REPLANS = 10
#: How long DescribeTable's item count and size are reused (DynamoDB refreshes them
#: about every six hours).
STATS_TTL = 30.0


class DynamoDB:
    def __init__(self, context: Context) -> None:
        self.context = context
        self.account = context.account
        self.clock = context.clock
        self.store: TableStore = SqlTableStore(context.storage.database())
        #: By name: every table (DELETING ones are gone at once, their rows purged).
        self.tables: dict[str, Table] = {}
        self._stats: dict[str, tuple[float, tuple[int, int]]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        #: The keys of the background jobs under way (one backfill per index ...).
        self._jobs: set[str] = set()
        self._counting: set[str] = set()
        self._closing = False
        #: Held while a table's definition is read, changed and written (the API's
        #: table operations, an index becoming ACTIVE): one change at a time.
        self.changing = asyncio.Lock()
        #: Set whenever a stream gets a record (stream readers wait on it).
        self.stream_changed = asyncio.Event()

    # --- life -------------------------------------------------------------------------------

    async def start(self) -> None:
        for table in await self.store.load():
            self.tables[table.name] = table
        self._spawn(self._forever(self._purge_step, 1.0))
        self._spawn(self._forever(self._expire_all, TTL_INTERVAL))
        self._spawn(self._forever(self._trim, TRIM_INTERVAL))
        for table in self.tables.values():
            self._follow_up(table)

    def interrupt(self) -> None:
        self._closing = True
        self.stream_changed.set()

    async def close(self) -> None:
        self.interrupt()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()

    @property
    def closing(self) -> bool:
        return self._closing

    # --- tables -----------------------------------------------------------------------------

    def table(self, name: str) -> Table:
        """The table of ``name``, or ResourceNotFoundException (the items' text)."""
        found = self.tables.get(name)
        if found is None:
            raise table_not_found()
        return found

    def arn(self, name: str) -> str:
        return self.account.arn("dynamodb", f"table/{name}")

    def now(self) -> float:
        return self.clock.now()

    async def create_table(self, table: Table) -> Table:
        if table.name in self.tables:
            raise ResourceInUse(f"Table already exists: {table.name}")
        table = dataclasses.replace(table, version=1)
        await self._guard(self.store.put_table(table))
        self.tables[table.name] = table
        self._follow_up(table)
        return table

    async def update_table(self, table: Table, dropped_ids: Sequence[str] = ()) -> Table:
        """Store the table's new definition; ``dropped_ids``: indexes (or streams) whose
        rows are purged now. Its version goes up: writes planned on the one before are
        planned again (``store.TableChanged``)."""
        current = self.tables.get(table.name)
        version = (current.version if current is not None else table.version) + 1
        table = dataclasses.replace(table, version=version)
        await self._guard(self.store.put_table(table, dropped_ids))
        self.tables[table.name] = table
        self._follow_up(table)
        return table

    async def delete_table(self, table: Table) -> None:
        ids = [table.id, *(index.id for index in table.indexes), *(s.arn for s in table.streams)]
        await self._guard(self.store.drop_table(table, ids))
        self.tables.pop(table.name, None)
        for id_ in (table.id, *(index.id for index in table.indexes)):
            self._stats.pop(id_, None)

    async def stats(self, id: str) -> tuple[int, int]:
        """Item count and bytes of a table or index: counted the first time it is asked,
        then the last count, recounted in the background once it is ``STATS_TTL`` old
        (a count reads every row: never on the request path of a large table twice)."""
        kept = self._stats.get(id)
        if kept is None:
            counted = await self._guard(self.store.stats(id))
            self._stats[id] = (time.monotonic(), counted)
            return counted
        if time.monotonic() - kept[0] >= STATS_TTL and id not in self._counting:
            self._counting.add(id)
            self._spawn(self._recount(id))
        return kept[1]

    async def _recount(self, id: str) -> None:
        try:
            counted = await self.store.stats(id)
            self._stats[id] = (time.monotonic(), counted)
        finally:
            self._counting.discard(id)

    # --- items ------------------------------------------------------------------------------

    async def write(
        self, writes: Sequence[ItemWrite], claim: TokenClaim | None = None
    ) -> list[Written]:
        """``TableStore.write`` now, on the tables as they are (a table changed since the
        writes were planned: planned again on it; deleted: ResourceNotFoundException);
        ConditionsFailed, TokenRepeated and ValidationException propagate."""
        for _ in range(_REPLANS):
            try:
                written = await self.store.write(writes, self.now(), self.account.region, claim)
                break
            except TableChanged:
                writes = [dataclasses.replace(w, table=self.table(w.table.name)) for w in writes]
            except (ConditionsFailed, TokenRepeated, errors.DynamoDBError):
                raise
            except DatabaseError as error:
                log.exception("DynamoDB could not write")
                raise InternalServerError("Internal server error") from error
        else:
            raise InternalServerError("Internal server error")
        if any(w.table.stream is not None for w in writes):
            self.stream_changed.set()
            self.stream_changed = asyncio.Event()
        return written

    async def get(self, table: Table, keys: Sequence[Item]) -> list[Item | None]:
        return await self._guard(self.store.get(table, keys))

    async def query(self, read: KeyRange, limit: int, max_bytes: int) -> list[Row]:
        return await self._guard(self.store.query(read, limit, max_bytes))

    async def scan(self, read: ScanRange, limit: int, max_bytes: int) -> list[Row]:
        return await self._guard(self.store.scan(read, limit, max_bytes))

    async def _guard(self, work: Awaitable[T]) -> T:
        try:
            return await work
        except DatabaseError as error:
            log.exception("DynamoDB's store failed")
            raise InternalServerError("Internal server error") from error

    # --- background -------------------------------------------------------------------------

    def _spawn(self, work: Coroutine[Any, Any, None], key: str | None = None) -> None:
        """Run ``work`` in the background (one at a time per ``key``), forgotten when
        done."""
        if key is not None:
            if key in self._jobs:
                return
            self._jobs.add(key)
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.append(task)

        def done(finished: asyncio.Task[None]) -> None:
            with contextlib.suppress(ValueError):
                self._tasks.remove(finished)
            if key is not None:
                self._jobs.discard(key)

        task.add_done_callback(done)

    def _follow_up(self, table: Table) -> None:
        """Start what a table's definition still asks for (once each): indexes to fill,
        expiries to note."""
        for index in table.indexes:
            if index.status == CREATING:
                key = f"backfill {index.id}"
                self._spawn(self._backfill(table.name, index.name), key)
        if table.extra.get("ttlPending"):
            self._spawn(self._note_expiries(table.name), f"expiries {table.id}")

    async def _forever(self, step: Callable[[], Awaitable[Any]], every: float) -> None:
        for _ in range(10**12):  # until the component closes
            try:
                await step()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("DynamoDB background work failed; it is tried again")
            await self.clock.sleep(every)

    async def _purge_step(self) -> None:
        for _ in range(10**9):  # until nothing is left to purge
            if await self.store.purge(CHUNK) < CHUNK:
                return
            await asyncio.sleep(0)

    async def _backfill(self, name: str, index_name: str) -> None:
        after: Address | None = None
        for _ in range(10**12):  # chunks, until every item is in the index
            table = self.tables.get(name)
            index = table.index(index_name) if table is not None else None
            if table is None or index is None or index.status != CREATING:
                return
            try:
                after = await self.store.backfill(table, index, after, CHUNK)
            except Exception:
                log.exception("DynamoDB could not fill index %s of %s", index_name, name)
                await self.clock.sleep(1.0)
                continue
            if after is None:
                break
            await asyncio.sleep(0)
        async with self.changing:
            table = self.tables.get(name)
            index = table.index(index_name) if table is not None else None
            if table is None or index is None or index.status != CREATING:
                return
            indexes = tuple(
                dataclasses.replace(i, status=ACTIVE, backfilling=False)
                if i.name == index_name
                else i
                for i in table.indexes
            )
            await self.update_table(dataclasses.replace(table, indexes=indexes))

    async def _note_expiries(self, name: str) -> None:
        after: Address | None = None
        for _ in range(10**12):  # chunks, until every item's expiry is noted
            table = self.tables.get(name)
            if table is None:
                return
            try:
                after = await self.store.set_expiry(table, after, CHUNK)
            except Exception:
                log.exception("DynamoDB could not note the expiries of %s", name)
                await self.clock.sleep(1.0)
                continue
            if after is None:
                break
            await asyncio.sleep(0)
        async with self.changing:
            table = self.tables.get(name)
            if table is not None:
                extra = {k: v for k, v in table.extra.items() if k != "ttlPending"}
                await self.update_table(dataclasses.replace(table, extra=extra))

    async def _expire_all(self) -> None:
        for name in list(self.tables):
            first = self.tables.get(name)
            for _ in range(10**6):  # chunks, until none has expired
                # The table as it is now, each chunk (an index added, time to live
                # turned off meanwhile); not while every item's expiry is being noted
                # (rows may hold one by another attribute).
                table = self.tables.get(name)
                if (
                    table is None
                    or first is None
                    or table.id != first.id
                    or table.ttl.attribute is None
                    or table.ttl.status != "ENABLED"
                    or table.extra.get("ttlPending")
                ):
                    break
                deleted = await self.store.expire(table, self.now(), CHUNK, self.account.region)
                if deleted and table.stream is not None:
                    self.stream_changed.set()
                    self.stream_changed = asyncio.Event()
                if deleted < CHUNK:
                    break

    async def _trim(self) -> None:
        await self.store.forget_tokens(self.now())
        before = self.now() - STREAM_RETENTION
        for _ in range(10**6):  # chunks, until nothing is older
            if await self.store.trim_streams(before, CHUNK) < CHUNK:
                return

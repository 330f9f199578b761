"""The Logs service's component: the log store (written by the engine through
``append``, read by the CloudWatch Logs API), and its retention: events older than
``log_retention_days`` are pruned in the background."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence

from altus.api.spec import Context
from altus.logs.sql_store import SqlLogStore
from altus.observe.logs import LogEvent

log = logging.getLogger(__name__)

#: How often old events are looked for.
_PRUNE_INTERVAL = 600.0


class Logs:
    def __init__(self, context: Context) -> None:
        self.store = SqlLogStore(context.storage.database("logs", durable=False))
        self.account = context.account
        self._retention_days = context.settings.log_retention_days
        self._pruner: asyncio.Task[None] | None = None

    def append(self, group: str, stream: str, events: Sequence[LogEvent]) -> None:
        """The engine's ``LogSink``: queued, written in the background."""
        self.store.append(group, stream, events)

    async def start(self) -> None:
        await self.store.start()
        if self._retention_days:
            self._pruner = asyncio.get_running_loop().create_task(self._prune_forever())

    def interrupt(self) -> None:
        """Nothing here waits on a client."""

    async def close(self) -> None:
        if self._pruner is not None:
            self._pruner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pruner
        await self.store.close()

    async def _prune_forever(self) -> None:
        while True:
            await asyncio.sleep(_PRUNE_INTERVAL)
            cutoff = int((time.time() - self._retention_days * 86400) * 1000)
            try:
                await self.store.prune(cutoff)
            except Exception:
                log.exception("pruning old log events failed")

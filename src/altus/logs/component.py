"""The Logs service's component: the log store (written by the engine through
``append``, read and written by the CloudWatch Logs API), the groups' settings (in the
main database: ``group_store.py``), and retention.

Retention: every ten minutes, a group with a retention policy loses its events older
than the policy; a group without one loses those older than the server's
``log_retention_days`` (0: kept forever). A group's own policy wins either way, as it
does in CloudWatch Logs: a template that asks for a year keeps a year. Reads hide the
events older than a group's policy at once (``api.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence

from altus.api.spec import Context
from altus.logs.groups import LogGroups
from altus.logs.queries import Queries
from altus.logs.retention import cutoff
from altus.logs.sql_group_store import SqlGroupSettingsStore
from altus.logs.sql_store import SqlLogStore
from altus.observe.logs import LogEvent

log = logging.getLogger(__name__)

#: How often old events are looked for.
_PRUNE_INTERVAL = 600.0


class Logs:
    def __init__(self, context: Context) -> None:
        self.store = SqlLogStore(context.storage.database("logs", durable=False))
        self.groups = LogGroups(SqlGroupSettingsStore(context.storage.database()), self.store)
        self.account = context.account
        #: Logs Insights' queries, running and run (``queries.py``).
        self.queries = Queries(self.store, context.account.account_id, self.now_ms)
        self._retention_days = context.settings.log_retention_days
        self._pruner: asyncio.Task[None] | None = None

    def append(self, group: str, stream: str, events: Sequence[LogEvent]) -> None:
        """The engine's ``LogSink``: queued, written in the background."""
        self.store.append(group, stream, events)

    def now_ms(self) -> int:
        """Now, as event times are written (the wall clock: the engine's events carry
        its time too)."""
        return int(time.time() * 1000)

    async def start(self) -> None:
        await self.groups.load()
        await self.store.start()
        self._pruner = asyncio.get_running_loop().create_task(self._prune_forever())

    def interrupt(self) -> None:
        """Nothing here waits on a client."""

    async def close(self) -> None:
        if self._pruner is not None:
            self._pruner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pruner
        await self.queries.close()
        await self.store.close()

    async def prune(self, now_ms: int | None = None) -> int:
        """Delete what retention no longer keeps (at ``now_ms``, else now); how many
        events."""
        now = self.now_ms() if now_ms is None else now_ms
        policies = self.groups.retention_policies()
        cutoffs = {name: cutoff(days, now) for name, days in policies.items()}
        if self._retention_days:
            default = cutoff(self._retention_days, now)
            for group in await self.store.groups():
                cutoffs.setdefault(group.group, default)
        return await self.store.prune_groups(cutoffs)

    async def _prune_forever(self) -> None:
        while True:
            await asyncio.sleep(_PRUNE_INTERVAL)
            try:
                await self.prune()
            except Exception:
                log.exception("pruning old log events failed")

"""The API Gateway (REST APIs) component: what the platform builds, starts,
interrupts and closes. It holds the documents (``state.Core``), the directory the front
door reads (``directory.Directory``), and the task that writes usage counts once a
second."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from altus.api.spec import Context
from altus.apigateway.directory import Directory
from altus.apigateway.model import ACCOUNT, API, KEY, PLAN, SNAPSHOT
from altus.apigateway.sql_store import SqlGatewayStore
from altus.apigateway.state import Core
from altus.apigateway.store import GatewayStore

log = logging.getLogger(__name__)

#: How often counted requests are written (seconds): at most this much counting is
#: lost to a crash.
FLUSH_INTERVAL = 1.0


class ApiGateway:
    def __init__(self, context: Context, store: GatewayStore | None = None) -> None:
        self.core = Core(
            context.account,
            context.clock,
            store or SqlGatewayStore(context.storage.database()),
        )
        self.settings = context.settings
        self.directory = Directory(self.core)
        self._flusher: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        """Load everything stored; start writing counts."""
        snapshot = await self.core.store.load()
        self.core.apis = dict(snapshot.docs.get(API, {}))
        self.core.snapshots = dict(snapshot.docs.get(SNAPSHOT, {}))
        self.core.keys = dict(snapshot.docs.get(KEY, {}))
        self.core.plans = dict(snapshot.docs.get(PLAN, {}))
        self.core.account_doc = snapshot.docs.get(ACCOUNT, {}).get("account", {})
        self.directory.counts = dict(snapshot.counts)
        self.directory.rebuild()
        self._flusher = asyncio.create_task(self._flush_loop(), name="apigateway-usage")

    async def _flush_loop(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), FLUSH_INTERVAL)
            try:
                await self.directory.flush()
            except Exception:
                log.exception("writing API Gateway usage counts failed; retrying")

    def interrupt(self) -> None:
        self._stopping.set()

    async def close(self) -> None:
        self._stopping.set()
        if self._flusher is not None:
            await self._flusher
            self._flusher = None
        await self.directory.flush()

    def health(self) -> dict[str, Any]:
        return {
            "rest_apis": len(self.core.apis),
            "api_keys": len(self.core.keys),
            "usage_plans": len(self.core.plans),
        }

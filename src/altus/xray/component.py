"""The X-Ray service's component: the segment store (``traces`` database), the daemon
functions send segments to, retention, and OTLP export.

Every document kept (PutTraceSegments, the daemon, Lambda's platform segments through
``record``) goes to the store and, where ``otlp_endpoint`` is set, to the exporter.
Retention: documents received more than ``trace_retention_days`` ago (X-Ray keeps 30
days) are deleted when the service starts and every ten minutes after.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

from altus.api.spec import Context
from altus.xray import segments
from altus.xray.daemon import XRayDaemon
from altus.xray.exporter import OtlpExporter
from altus.xray.segments import BadSegment, SegmentRow
from altus.xray.sql_store import SqlTraceStore
from altus.xray.store import TraceStore

log = logging.getLogger(__name__)

_PRUNE_INTERVAL = 600.0
_DAY_MS = 86_400_000


class XRay:
    def __init__(self, context: Context) -> None:
        settings = context.settings
        self.store: TraceStore = SqlTraceStore(context.storage.database("traces", durable=False))
        self.daemon = XRayDaemon(settings.xray_daemon_port, self._from_daemon)
        self.exporter = OtlpExporter(settings.otlp_endpoint) if settings.otlp_endpoint else None
        self._retention_days = settings.trace_retention_days
        self._pruner: asyncio.Task[None] | None = None

    # --- life ---------------------------------------------------------------------------

    async def start(self) -> None:
        await self.store.start()
        if self.exporter is not None:
            await self.exporter.start()
        await self.daemon.start()
        self._pruner = asyncio.get_running_loop().create_task(self._prune_forever())

    def interrupt(self) -> None:
        """Nothing here waits on a client."""

    async def close(self) -> None:
        await self.daemon.close()
        if self._pruner is not None:
            self._pruner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pruner
        await self.store.close()
        if self.exporter is not None:
            await self.exporter.close()

    # --- what functions are given ------------------------------------------------------

    @property
    def daemon_address(self) -> str | None:
        """Where environments send segments (``AWS_XRAY_DAEMON_ADDRESS``)."""
        return self.daemon.address

    # --- keeping --------------------------------------------------------------------------

    def record(self, documents: Sequence[Mapping[str, Any]]) -> None:
        """Keep documents made by the platform (Lambda's segments), in the background.
        Raises BadSegment for one X-Ray would refuse (none is kept then)."""
        rows = [segments.row_of(doc) for doc in documents]
        self._keep_soon(rows, [dict(doc) for doc in documents])

    async def put(self, texts: Sequence[str]) -> list[tuple[str, str]]:
        """PutTraceSegments: keep the valid documents before answering; the refused
        ones' (id, message). A string may hold one document or an array of
        subsegments (all kept, or the string refused)."""
        rows: list[SegmentRow] = []
        docs: list[dict[str, Any]] = []
        refused: list[tuple[str, str]] = []
        for text in texts:
            try:
                found = segments.decode(text)
                rows.extend(segments.row_of(doc) for doc in found)
                docs.extend(found)
            except BadSegment as error:
                del rows[len(docs) :]
                refused.append((error.segment_id, str(error)))
        if rows:
            await self.store.put(rows, _now_ms())
            self._export(docs)
        return refused

    def _from_daemon(self, document: bytes) -> None:
        """A daemon datagram's document(s): decoded once, kept soon; BadSegment (a
        ValueError: the daemon counts it) where X-Ray would refuse it."""
        docs = segments.decode(document)
        self._keep_soon([segments.row_of(doc) for doc in docs], docs)

    def _keep_soon(self, rows: list[SegmentRow], docs: list[dict[str, Any]]) -> None:
        self.store.append(rows, _now_ms())
        self._export(docs)

    def _export(self, docs: list[dict[str, Any]]) -> None:
        if self.exporter is not None:
            self.exporter.offer(docs)

    # --- reading ------------------------------------------------------------------------

    async def traces(self, trace_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """Each trace's segments, assembled (``segments.assemble``); traces with none
        are left out."""
        await self.store.flush()
        found = await self.store.documents(trace_ids)
        return {trace_id: segments.assemble(docs) for trace_id, docs in found.items()}

    async def trace_of_request(self, request_id: str) -> str | None:
        await self.store.flush()
        return await self.store.trace_of_request(request_id)

    # --- retention ----------------------------------------------------------------------

    async def prune(self, now_ms: int | None = None) -> int:
        now = _now_ms() if now_ms is None else now_ms
        return await self.store.prune(now - self._retention_days * _DAY_MS)

    async def _prune_forever(self) -> None:
        # Once at the start (a server down for days comes back within retention), then
        # every interval.
        while True:
            try:
                await self.prune()
            except Exception:
                log.exception("pruning old trace segments failed")
            await asyncio.sleep(_PRUNE_INTERVAL)


def _now_ms() -> int:
    return int(time.time() * 1000)

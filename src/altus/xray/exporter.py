"""OTLP export of kept segments (``otlp_endpoint``): off the hot path, in batches, with
back-off, never blocking whoever keeps a segment.

``offer`` puts documents in a bounded queue (the oldest are dropped, and counted, once it
is full: an exporter that cannot keep up, or a collector that is down, costs spans, never
memory or invocations); a background task takes up to ``BATCH`` at a time and POSTs them
to ``<endpoint>/v1/traces`` as OTLP/HTTP JSON (``otlp.py``), retrying a failed POST with
doubling delays before it gives the batch up. As the OTLP spec has it, only a failure
that may pass is retried (the network, 429, 502, 503, 504); any other answer (a 400: the
collector will never take that batch) drops the batch at once. No failure ends the
task; a failing collector is logged once per streak of failures, not per batch.
``close`` sends what is still queued, within a bounded wait."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from altus.xray.otlp import export_request

log = logging.getLogger(__name__)

#: Most documents in one POST.
BATCH = 256
#: Most documents waiting.
QUEUE = 10_000
#: How long documents gather before a POST (unless a batch is full).
LINGER = 0.5
#: Tries per batch, and the first delay between them (doubled each time).
TRIES = 5
FIRST_DELAY = 0.5
TIMEOUT = 5.0
#: How long ``close`` spends sending what is still queued.
CLOSE_WAIT = 2.0
#: The HTTP answers a retry may cure (OTLP/HTTP's list).
RETRYABLE = frozenset({429, 502, 503, 504})


class Rejected(Exception):
    """The collector refused the batch for good (an HTTP answer OTLP says not to retry)."""


Post = Callable[[str, bytes], Awaitable[None]]


async def _post(url: str, body: bytes) -> None:
    """POST ``body`` (JSON) to ``url``; raises Rejected for an answer not to retry,
    another exception for one that may pass, nothing for a 2xx."""

    def send() -> None:
        request = urllib.request.Request(
            url, body, {"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                response.read()
        except urllib.error.HTTPError as error:
            if error.code in RETRYABLE:
                raise
            raise Rejected(f"HTTP {error.code}") from None

    await asyncio.to_thread(send)


class OtlpExporter:
    def __init__(self, endpoint: str, post: Post = _post) -> None:
        self.url = endpoint.rstrip("/") + "/v1/traces"
        self._post = post
        self._queue: collections.deque[Mapping[str, Any]] = collections.deque(maxlen=QUEUE)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.dropped = 0
        self.exported = 0
        #: Whether the last POST failed (a streak is logged once, at its start).
        self._failing = False

    def offer(self, documents: Sequence[Mapping[str, Any]]) -> None:
        overflow = len(self._queue) + len(documents) - (self._queue.maxlen or QUEUE)
        if overflow > 0:
            self.dropped += overflow
        self._queue.extend(documents)
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def close(self, wait: float = CLOSE_WAIT) -> None:
        """Stop the task, then send what is queued (one try a batch) for at most
        ``wait`` seconds; what is left then is dropped and counted."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._drain(), wait)
        if self._queue:
            self.dropped += len(self._queue)
            self._queue.clear()

    async def _drain(self) -> None:
        while self._queue:
            await self._send(self._take(), tries=1)

    def _take(self) -> list[Mapping[str, Any]]:
        return [self._queue.popleft() for _ in range(min(BATCH, len(self._queue)))]

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            if len(self._queue) < BATCH:
                await asyncio.sleep(LINGER)
            self._wake.clear()
            while self._queue:
                batch = self._take()
                try:
                    await self._send(batch)
                except Exception:  # never ends the task: the next batch is sent
                    log.exception("OTLP export failed; %d documents dropped", len(batch))
                    self.dropped += len(batch)

    async def _send(self, batch: list[Mapping[str, Any]], tries: int | None = None) -> None:
        tries = TRIES if tries is None else tries
        request, skipped = export_request(batch)
        if skipped:
            self.dropped += skipped
        if not request["resourceSpans"]:
            return
        body = json.dumps(request, separators=(",", ":"), allow_nan=False).encode()
        sent = len(batch) - skipped
        delay = FIRST_DELAY
        for attempt in range(tries):
            try:
                await self._post(self.url, body)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                final = isinstance(error, Rejected) or attempt == tries - 1
                if not self._failing:
                    self._failing = True
                    log.warning(
                        "OTLP export to %s failing (%s: %s); spans are dropped until it "
                        "answers again",
                        self.url,
                        type(error).__name__,
                        error,
                    )
                if final:
                    self.dropped += sent
                    return
                await asyncio.sleep(delay)
                delay *= 2
            else:
                if self._failing:
                    self._failing = False
                    log.info("OTLP export to %s works again", self.url)
                self.exported += sent
                return

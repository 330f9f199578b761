"""Asynchronous (``Event``) invocation: accept durably, deliver in the background.

``submit`` writes the event to the store's queue before it returns, so a 202 is only
ever sent for an event that survives a crash; events still queued when the server starts
are delivered then. A bounded number of deliveries run at once. A throttled delivery
waits and tries again with exponential backoff (1 s doubling to 5 min) for up to the
event's maximum age (6 h), as Lambda does; the function's own result is recorded in its
log. (Retries of function errors, destinations and dead-letter queues build on this.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid

from altus.control.arns import FunctionRef
from altus.control.errors import ControlError
from altus.engine.errors import TooManyRequests
from altus.engine.invoker import Invoker, InvokeRequest
from altus.store.base import EventQueue, QueuedEvent

log = logging.getLogger(__name__)

MAX_EVENT_AGE_MS = 6 * 60 * 60 * 1000
BACKOFF_START, BACKOFF_MAX = 1.0, 300.0


class AsyncInvoker:
    def __init__(self, invoker: Invoker, queue: EventQueue, workers: int) -> None:
        self._invoker = invoker
        self._queue = queue
        self._slots = asyncio.Semaphore(workers)
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self) -> int:
        """Schedule every event a previous run accepted but did not finish."""
        pending = self._queue.pending()
        for event in pending:
            self._schedule(event)
        return len(pending)

    async def submit(self, ref: FunctionRef, payload: bytes) -> str:
        """Queue an Event invoke durably; returns its request id once it is stored."""
        event = QueuedEvent(
            id=str(uuid.uuid4()),
            function=ref.name,
            qualifier=ref.qualifier,
            payload=payload,
            received_ms=int(time.time() * 1000),
        )
        # An fsync'ed write: off the event loop, and finished before we acknowledge.
        await asyncio.to_thread(self._queue.put, event)
        self._schedule(event)
        return event.id

    @property
    def backlog(self) -> int:
        return len(self._tasks)

    def _schedule(self, event: QueuedEvent) -> None:
        task = asyncio.get_running_loop().create_task(self._deliver(event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, event: QueuedEvent) -> None:
        delay = BACKOFF_START
        while True:
            async with self._slots:
                try:
                    await self._invoker.invoke(InvokeRequest(
                        ref=FunctionRef(event.function, event.qualifier),
                        payload=event.payload,
                        request_id=event.id,
                    ))
                    break
                except TooManyRequests:
                    pass
                except ControlError as error:
                    # The function (or qualifier) is gone: nothing can run this event.
                    log.warning("dropping event %s for %s: %s", event.id, event.function,
                                error.message)
                    break
                except Exception:
                    log.exception("delivering event %s to %s failed", event.id, event.function)
            age = int(time.time() * 1000) - event.received_ms
            if age + delay * 1000 > MAX_EVENT_AGE_MS:
                log.warning("dropping event %s for %s: older than the maximum event age",
                            event.id, event.function)
                break
            await asyncio.sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX)
        await asyncio.to_thread(self._queue.done, event.id)

    async def close(self) -> None:
        """Stop delivering; undelivered events stay queued for the next start."""
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

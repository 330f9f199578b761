"""Serving an ASGI app on listening sockets until told to stop, then stopping gently:
no new connections, idle ones closed, open requests given ``graceful`` seconds to finish
before they are cancelled. Meanwhile one sweep closes connections idle past the
keep-alive, and those whose client stopped sending in the middle of a request."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable, Sequence

from altus.httpd.connection import ASGIApp, HttpConnection, ServerState

log = logging.getLogger(__name__)


class HttpServer:
    """``serve`` runs until ``stop`` is called (from the loop's thread, or through
    ``loop.call_soon_threadsafe`` from another)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        keep_alive: float = 5.0,
        request_timeout: float = 60.0,
        graceful: float = 10.0,
        close_timeout: float = 5.0,
        on_stop: Callable[[], None] | None = None,
    ) -> None:
        self._state = ServerState(
            app,
            keep_alive=keep_alive,
            request_timeout=request_timeout,
            close_timeout=close_timeout,
        )
        self._graceful = graceful
        self._on_stop = on_stop
        self._stopping = asyncio.Event()
        self._listeners: list[asyncio.AbstractServer] = []
        #: Listening (set once every socket accepts).
        self.started = False

    async def serve(self, sockets: Sequence[socket.socket]) -> None:
        loop = asyncio.get_running_loop()
        state = self._state
        for sock in sockets:
            listener = await loop.create_server(
                lambda: HttpConnection(state), sock=sock, backlog=2048
            )
            self._listeners.append(listener)
        self.started = True
        sweep = loop.create_task(self._close_idle(state))
        try:
            await self._stopping.wait()
        finally:
            sweep.cancel()
            await self._shutdown()

    @staticmethod
    async def _close_idle(state: ServerState) -> None:
        """Close each connection idle for ``keep_alive`` seconds, and each whose client
        sent nothing of a request it began for ``request_timeout`` seconds (within a
        quarter of the shorter, at most a second, late)."""
        loop = asyncio.get_running_loop()
        interval = min(1.0, state.keep_alive / 4, state.request_timeout / 4)
        while True:  # until cancelled by the stop
            await asyncio.sleep(interval)
            now = loop.time()
            expired = now - state.keep_alive
            stalled = now - state.request_timeout
            for connection in list(state.connections):
                since = connection.idle_since
                if since is not None and since <= expired:
                    connection.close_if_idle()
                elif connection.stalled(stalled):
                    connection.time_out()

    def stop(self) -> None:
        self._stopping.set()

    async def _shutdown(self) -> None:
        state = self._state
        state.closing = True
        for listener in self._listeners:
            listener.close()
        if self._on_stop is not None:
            self._on_stop()  # long polls answer now rather than hold the shutdown
        for connection in list(state.connections):
            connection.close_if_idle()
        if state.tasks:
            _, pending = await asyncio.wait(set(state.tasks), timeout=self._graceful)
            if pending:
                log.warning(
                    "%d requests still open after %.0f s: cancelled", len(pending), self._graceful
                )
                for task in pending:
                    task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait(pending, timeout=1)
        for connection in list(state.connections):
            connection.abort()
        for listener in self._listeners:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(listener.wait_closed(), timeout=1)

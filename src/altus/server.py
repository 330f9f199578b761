"""Running a server: the platform behind the ASGI app on uvicorn (httptools, uvloop)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Awaitable, Callable

import uvicorn

from altus.app import create_app
from altus.platform import Platform, build_platform
from altus.settings import Settings

log = logging.getLogger(__name__)

ReadyCallback = Callable[[Platform, str], Awaitable[None]]


def bind(host: str, port: int) -> socket.socket:
    """The API's listening socket, bound before uvicorn starts so ``port=0`` can be told."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    sock.set_inheritable(False)
    return sock


async def serve(
    settings: Settings, on_ready: ReadyCallback | None = None, sock: socket.socket | None = None
) -> None:
    """Serve until SIGINT/SIGTERM; the platform is started before the socket accepts and
    closed (environments killed, logs flushed) after the last request."""
    sock = sock or bind(settings.host, settings.port)
    platform = build_platform(settings)
    await platform.start()
    config = uvicorn.Config(
        create_app(platform),
        http="httptools",
        loop="none",
        lifespan="off",
        access_log=False,
        log_level=settings.log_level,
        timeout_graceful_shutdown=10,
    )
    server = _Server(config, platform)
    port = sock.getsockname()[1]
    host = settings.host if ":" not in settings.host else f"[{settings.host}]"
    url = f"http://{host}:{port}"
    ready: asyncio.Task[None] | None = None
    if on_ready is not None:

        async def announce() -> None:
            while not server.started:
                await asyncio.sleep(0.01)
            await on_ready(platform, url)

        ready = asyncio.get_running_loop().create_task(announce())
    try:
        await server.serve(sockets=[sock])
    finally:
        if ready is not None:
            ready.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await ready
        await platform.close()


class _Server(uvicorn.Server):
    """uvicorn's server, interrupting the platform as its shutdown begins: it waits for
    open requests, and a long poll (ReceiveMessage) may otherwise wait 20 seconds."""

    def __init__(self, config: uvicorn.Config, platform: Platform) -> None:
        super().__init__(config)
        self._platform = platform

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self._platform.interrupt()
        await super().shutdown(sockets)


def _install_shutdown_handlers() -> None:
    """uvicorn handles SIGINT/SIGTERM itself and, once its HTTP server has stopped,
    raises the signal again to whatever handler was installed before it. With the default
    handler that would kill the process before the platform shuts down (environments
    killed, logs flushed), so that handler is this one: the re-raised signal is absorbed,
    and only a further signal (a second Ctrl-C) interrupts the shutdown."""
    received = 0

    def handler(signum: int, frame: object) -> None:
        nonlocal received
        received += 1
        if received > 1:
            raise KeyboardInterrupt

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, handler)


def run(settings: Settings, on_ready: ReadyCallback | None = None) -> None:
    """Blocking entry point: uvloop where available."""
    sock = bind(settings.host, settings.port)
    _install_shutdown_handlers()
    try:
        import uvloop
    except ImportError:  # not on this platform: the standard loop works too
        asyncio.run(serve(settings, on_ready, sock))
        return
    uvloop.run(serve(settings, on_ready, sock))

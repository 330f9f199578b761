"""Running a server: the platform behind the ASGI app on Altus's HTTP server (httptools,
uvloop)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import gc
import signal
import socket
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from altus.app import create_app
from altus.httpd import HttpServer
from altus.platform import Platform, build_platform
from altus.sandbox.base import SandboxBackend
from altus.sandbox.choose import discard
from altus.settings import Settings

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
    settings: Settings,
    on_ready: ReadyCallback | None = None,
    sock: socket.socket | None = None,
    sandbox: concurrent.futures.Future[SandboxBackend] | None = None,
) -> None:
    """Serve until SIGINT/SIGTERM; the platform is started before the socket accepts and
    closed (environments killed, logs flushed) after the last request. ``sandbox``: the
    backend being opened meanwhile (``altus.sandbox.choose.opening``), else the platform
    opens one."""
    sock = sock or bind(settings.host, settings.port)
    port = sock.getsockname()[1]
    host = settings.host if ":" not in settings.host else f"[{settings.host}]"
    url = f"http://{host}:{port}"
    parts = {"sandbox": await asyncio.wrap_future(sandbox)} if sandbox is not None else {}
    try:
        platform = build_platform(settings, parts=parts, endpoint=local_url(settings.host, port))
    except BaseException:
        if sandbox is not None:  # no component took it
            await asyncio.to_thread(discard, sandbox)
        raise
    try:
        await platform.start()
    except BaseException:
        await platform.close()  # what did start (and the sandbox) is stopped
        raise
    # What exists now lives as long as the server (the services' models, the settings,
    # the components): out of the collector's reach, the collections that requests'
    # allocations set off traverse only what requests made. ``altus up`` turns the
    # collector off while it imports and builds (a tenth of its start went to collections
    # of objects that all live on); it runs from here on.
    gc.freeze()
    gc.enable()
    # A long poll (ReceiveMessage) would otherwise hold the stop for 20 seconds.
    server = HttpServer(create_app(platform), graceful=10, on_stop=platform.interrupt)
    if threading.current_thread() is threading.main_thread():
        _stop_on_signals(server)
    ready: asyncio.Task[None] | None = None
    if on_ready is not None:

        async def announce() -> None:
            while not server.started:
                await asyncio.sleep(0.001)
            await on_ready(platform, url)

        ready = asyncio.get_running_loop().create_task(announce())
    try:
        await server.serve([sock])
    finally:
        if ready is not None:
            ready.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await ready
        await platform.close()


def local_url(host: str, port: int) -> str:
    """The API's URL as processes on this machine reach it (a server listening on every
    address is reached on loopback)."""
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _stop_on_signals(server: HttpServer) -> None:
    """The first SIGINT or SIGTERM stops the server gently (open requests finish, the
    platform closes); a second one cancels the wait for open requests."""
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    received = 0

    def handler() -> None:
        nonlocal received
        received += 1
        if received == 1:
            server.stop()
        elif main is not None:
            main.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, handler)


def run(
    settings: Settings,
    on_ready: ReadyCallback | None = None,
    sandbox: concurrent.futures.Future[SandboxBackend] | None = None,
) -> None:
    """Blocking entry point: uvloop where available. A second signal, which cuts the
    stop short, ends it as a Ctrl-C would. A ``sandbox`` being opened is closed here if
    the server never took it."""
    try:
        sock = bind(settings.host, settings.port)
    except OSError:
        if sandbox is not None:
            discard(sandbox)
        raise
    run_loop: Callable[[Coroutine[Any, Any, None]], None] = asyncio.run
    with contextlib.suppress(ImportError):  # elsewhere the standard loop works too
        from uvloop import run as run_loop
    try:
        run_loop(serve(settings, on_ready, sock, sandbox))
    except asyncio.CancelledError:
        raise KeyboardInterrupt from None

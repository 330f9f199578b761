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
from altus.console import BASE as CONSOLE
from altus.console import ConsoleApp
from altus.httpd import HttpServer
from altus.platform import Platform, build_platform
from altus.sandbox.base import SandboxBackend
from altus.sandbox.choose import discard
from altus.settings import Settings

ReadyCallback = Callable[[Platform, str], Awaitable[None]]
#: Told the web console's URL before ``ReadyCallback`` runs (where the console is on).
ConsoleCallback = Callable[[str], None]


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


def console_port(settings: Settings) -> int | None:
    """The web console's port (0: any free one), None where it is off: its own setting,
    else the API's port + 1 (any free port where the API's is 0)."""
    if not settings.console:
        return None
    if settings.console_port is not None:
        return settings.console_port
    return settings.port + 1 if 0 < settings.port < 65535 else 0


async def serve(
    settings: Settings,
    on_ready: ReadyCallback | None = None,
    sock: socket.socket | None = None,
    sandbox: concurrent.futures.Future[SandboxBackend] | None = None,
    console_sock: socket.socket | None = None,
    on_console: ConsoleCallback | None = None,
) -> None:
    """Serve until SIGINT/SIGTERM; the platform is started before the socket accepts and
    closed (environments killed, logs flushed) after the last request. ``sandbox``: the
    backend being opened meanwhile (``altus.sandbox.choose.opening``), else the platform
    opens one. The web console answers on a listener of its own (``console_sock``, else
    one bound here), in the same loop: its origin is not the API's, whose function URLs,
    APIs and buckets serve whatever their owners wrote."""
    sock = sock or bind(settings.host, settings.port)
    port = sock.getsockname()[1]
    host = settings.host if ":" not in settings.host else f"[{settings.host}]"
    url = f"http://{host}:{port}"
    if console_sock is None and (wanted := console_port(settings)) is not None:
        try:
            console_sock = bind(settings.host, wanted)
        except BaseException:
            sock.close()
            if sandbox is not None:
                await asyncio.to_thread(discard, sandbox)
            raise
    parts = {"sandbox": await asyncio.wrap_future(sandbox)} if sandbox is not None else {}
    try:
        platform = build_platform(settings, parts=parts, endpoint=local_url(settings.host, port))
    except BaseException:
        if sandbox is not None:  # no component took it
            await asyncio.to_thread(discard, sandbox)
        raise
    console: ConsoleApp | None = None
    try:
        if console_sock is not None:
            # Made before the platform starts, as the services' own tables are migrated
            # (blocking, before any background work of theirs writes).
            console = ConsoleApp(platform, local_url(settings.host, port))
        await platform.start()
    except BaseException:
        if console_sock is not None:
            console_sock.close()
        if console is not None:
            await console.close()
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
    servers = [server]
    if console is not None and console_sock is not None:
        servers.append(HttpServer(console, graceful=10))
        if on_console is not None:
            on_console(f"{local_url(settings.host, console_sock.getsockname()[1])}{CONSOLE}/")
    if threading.current_thread() is threading.main_thread():
        _stop_on_signals(servers)
    ready: asyncio.Task[None] | None = None
    if on_ready is not None:

        async def announce() -> None:
            while not all(s.started for s in servers):
                await asyncio.sleep(0.001)
            await on_ready(platform, url)

        ready = asyncio.get_running_loop().create_task(announce())
    try:
        if console_sock is None:
            await server.serve([sock])
        else:
            await _serve_both(servers, [sock, console_sock])
    finally:
        if console is not None:
            await console.close()
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


async def _serve_both(servers: list[HttpServer], sockets: list[socket.socket]) -> None:
    """The API's server and the console's, each on its socket; when either stops (the
    signal stops both), the other is stopped too."""
    tasks = [
        asyncio.get_running_loop().create_task(one.serve([sock]))
        for one, sock in zip(servers, sockets, strict=True)
    ]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for one in servers:
            one.stop()
        results = await asyncio.gather(*tasks, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result


def _stop_on_signals(servers: list[HttpServer]) -> None:
    """The first SIGINT or SIGTERM stops the servers gently (open requests finish, the
    platform closes); a second one cancels the wait for open requests."""
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    received = 0

    def handler() -> None:
        nonlocal received
        received += 1
        if received == 1:
            for server in servers:
                server.stop()
        elif main is not None:
            main.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, handler)


class ConsolePortTaken(OSError):
    """The console's port could not be listened on (the API's could)."""


def run(
    settings: Settings,
    on_ready: ReadyCallback | None = None,
    sandbox: concurrent.futures.Future[SandboxBackend] | None = None,
    on_console: ConsoleCallback | None = None,
) -> None:
    """Blocking entry point: uvloop where available. A second signal, which cuts the
    stop short, ends it as a Ctrl-C would. A ``sandbox`` being opened is closed here if
    the server never took it. Both ports are bound before anything starts:
    ConsolePortTaken where the console's is taken."""
    console_sock: socket.socket | None = None
    try:
        sock = bind(settings.host, settings.port)
        wanted = console_port(settings)
        if wanted is not None:
            try:
                console_sock = bind(settings.host, wanted)
            except OSError as error:
                sock.close()
                raise ConsolePortTaken(error.errno, error.strerror, str(wanted)) from None
    except OSError:
        if sandbox is not None:
            discard(sandbox)
        raise
    run_loop: Callable[[Coroutine[Any, Any, None]], None] = asyncio.run
    with contextlib.suppress(ImportError):  # elsewhere the standard loop works too
        from uvloop import run as run_loop
    try:
        run_loop(serve(settings, on_ready, sock, sandbox, console_sock, on_console))
    except asyncio.CancelledError:
        raise KeyboardInterrupt from None

"""``Harness``: an Altus server inside the test's process, for tests of functions and of
what calls them, through the same boto3 clients they use against AWS.

    from altus.testing import Harness

    def handler(event, context):
        return {"hello": event["name"]}

    with Harness() as altus:
        altus.create_function("hello", handler)
        lam = altus.client("lambda")
        answer = lam.invoke(FunctionName="hello", Payload=b'{"name": "you"}')

The server is the real one (the dispatcher, every service, the engine, the Runtime API),
on a thread with its own event loop, with state in memory, a fake clock (``advance``
moves queue visibility, delays, retention and asynchronous retries), and functions run
by the in-process sandbox (a Python callable per function) unless another sandbox is
asked for.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, TypeVar

from botocore.config import Config

from altus.app import create_app
from altus.brokers.base import Connector
from altus.clock import FakeClock
from altus.httpd import HttpServer
from altus.packaging import zip_files
from altus.platform import Platform, build_platform
from altus.server import bind, local_url
from altus.settings import Settings
from altus.testing.sandbox import Handler, InProcessBackend

T = TypeVar("T")

#: The role test functions are created with (Altus does not check roles yet).
ROLE = "arn:aws:iam::000000000000:role/altus-testing"
#: What a function created from a callable has as its code: never run in-process.
_PLACEHOLDER = {
    "handler.py": "def handler(event, context):\n"
    '    raise RuntimeError("this function runs a callable given to altus.testing")\n'
}


class Harness:
    """``sandbox``: ``inprocess`` (the default: Python callables in this process),
    ``process`` or ``linux`` (real environments, for functions given as code);
    ``clock``: a ``FakeClock`` (the default) or None for the wall clock; ``brokers``: what
    broker mappings connect with instead of the real clients (``MemoryBroker().connect``
    from ``altus.brokers.memory``, whatever the mapping's endpoint); other keyword
    arguments are settings."""

    def __init__(
        self,
        *,
        sandbox: str = "inprocess",
        clock: FakeClock | bool | None = True,
        data_dir: Path | None = None,
        brokers: Connector | None = None,
        **settings: Any,
    ) -> None:
        self._brokers = brokers
        self._own_dir: tempfile.TemporaryDirectory[str] | None = None
        if data_dir is None:
            self._own_dir = tempfile.TemporaryDirectory(prefix="altus-testing-")
            data_dir = Path(self._own_dir.name)
        self.clock: FakeClock | None = (
            FakeClock() if clock is True else clock if isinstance(clock, FakeClock) else None
        )
        self.backend = InProcessBackend() if sandbox == "inprocess" else None
        # The in-process backend is given as a part; the settings' own stays the
        # portable one, which is never built then.
        chosen: Literal["process", "linux"] = "linux" if sandbox == "linux" else "process"
        self._settings = Settings(
            port=0,
            data_dir=data_dir,
            store=settings.pop("store", "memory:"),
            sandbox=chosen,
            **settings,
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: HttpServer | None = None
        self.platform: Platform | None = None
        self.url = ""

    # --- running -------------------------------------------------------------------------

    def __enter__(self) -> Harness:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        sock = bind("127.0.0.1", 0)
        started: concurrent.futures.Future[None] = concurrent.futures.Future()

        async def main() -> None:
            parts: dict[str, Any] = {"sandbox": self.backend} if self.backend is not None else {}
            if self._brokers is not None:
                parts["brokers"] = self._brokers
            endpoint = local_url("127.0.0.1", sock.getsockname()[1])
            kwargs: dict[str, Any] = {"parts": parts, "endpoint": endpoint}
            if self.clock is not None:
                kwargs["clock"] = self.clock
            try:
                self.platform = build_platform(self._settings, **kwargs)
                await self.platform.start()
                self._server = HttpServer(
                    create_app(self.platform), graceful=10, on_stop=self.platform.interrupt
                )
            except BaseException as error:
                started.set_exception(error)
                raise
            self._loop = asyncio.get_running_loop()
            started.set_result(None)
            try:
                await self._server.serve([sock])
            finally:
                await self.platform.close()

        self._thread = threading.Thread(
            target=asyncio.run, args=(main(),), name="altus-harness", daemon=True
        )
        self._thread.start()
        started.result(timeout=60)
        for _ in range(1000):  # bounded: the server listens within moments
            if self._server is not None and self._server.started:
                break
            time.sleep(0.005)
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"

    def stop(self) -> None:
        if self._server is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(self._server.stop)
        if self._thread is not None:
            self._thread.join(timeout=60)
        if self._own_dir is not None:
            self._own_dir.cleanup()

    # --- using it ------------------------------------------------------------------------

    def client(self, service: str, **config: Any) -> Any:
        """A boto3 client of ``service`` for this server (``pip install
        'altus[testing]'`` brings boto3)."""
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=self._settings.region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"total_max_attempts": 1}, **config),
        )

    def create_function(
        self,
        name: str,
        handler: Handler | None = None,
        *,
        files: dict[str, str | bytes] | None = None,
        runtime: str = "python3.12",
        **config: Any,
    ) -> dict[str, Any]:
        """Create ``name`` and wait until it is Active. With ``handler``, its invocations
        run that callable (in-process sandbox); with ``files``, its code is those files
        (``Handler`` defaults to ``app.handler``)."""
        if handler is not None:
            if self.backend is None:
                raise ValueError("a callable needs the in-process sandbox")
            self.backend.handlers[name] = handler
        lam = self.client("lambda")
        created: dict[str, Any] = lam.create_function(
            FunctionName=name,
            Runtime=runtime,
            Handler=config.pop("Handler", "handler.handler" if files is None else "app.handler"),
            Role=config.pop("Role", ROLE),
            Code={"ZipFile": zip_files(files or _PLACEHOLDER)},
            **config,
        )
        lam.get_waiter("function_active_v2").wait(
            FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 600}
        )
        return created

    def call(self, work: Callable[[Platform], Coroutine[Any, Any, T]]) -> T:
        """Run ``work(platform)`` on the server's event loop; its result (or exception)."""
        assert self._loop is not None and self.platform is not None
        platform = self.platform
        return asyncio.run_coroutine_threadsafe(work(platform), self._loop).result(timeout=60)

    def advance(self, seconds: float) -> None:
        """Move the fake clock ``seconds`` on, and let what came due run."""
        if self.clock is None:
            raise ValueError("this harness runs on the wall clock")
        clock = self.clock

        async def moved(platform: Platform) -> None:
            clock.advance(seconds)
            for _ in range(10):  # let woken waiters take their turn
                await asyncio.sleep(0)

        self.call(moved)


def wait_until(check: Callable[[], T], *, timeout: float = 10.0, interval: float = 0.01) -> T:
    """Poll ``check`` until it returns something true; that value. AssertionError after
    ``timeout`` seconds (of the wall clock)."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() >= deadline:
            raise AssertionError(f"nothing came within {timeout} s")
        time.sleep(interval)

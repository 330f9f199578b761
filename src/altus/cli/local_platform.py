"""The platform ``altus local`` runs functions on: a whole Altus in this process, built
as ``altus up`` builds it (``altus.platform``, ``altus.app``, Altus's HTTP server), on a
thread with an event loop of its own: the ``process`` sandbox (real function code, no
containers and no root), the wall clock, state in memory (``memory:``), no request
authentication, and a data directory of its own that is removed when it stops. Its API
listens on a free loopback port; ``serve`` adds another server on the same loop (the
port ``start-api`` serves). Other settings come as ``altus up`` takes them (``ALTUS_*``,
``ALTUS_CONFIG``): runtime interpreters, the region, the account.

The AWS SDK for JavaScript that Node.js functions import is installed once (``npm ci``)
into a cache shared by every run, ``$XDG_CACHE_HOME/altus`` (``~/.cache/altus``), and
hard-linked into each run's data directory from there, rather than fetched again each
time: unless the settings name a ``node_sdk_source`` already.

Code goes to Lambda through the platform's own S3 (``altus-local``), which takes packages
of any size, where a request's ``ZipFile`` stops at 50 MB.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import logging
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from altus.cli.local_template import FunctionSpec, LocalError
from altus.packaging import zip_directory
from altus.settings import Settings, load_settings

T = TypeVar("T")

#: Where ``altus local`` puts code and packaged templates in the platform's S3.
BUCKET = "altus-local"
#: The role functions are created with (Altus does not check roles).
ROLE = "arn:aws:iam::000000000000:role/altus-local"
#: Any credentials do: the platform authenticates nothing.
_KEYS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}

#: The logger of the Parameters and Secrets extension (its port may be taken).
_EXTENSION_LOGGER = "altus.awslambda.secrets_extension"

#: How a step reports itself to the person at the terminal.
Say = Callable[[str], None]
#: Wraps the platform's ASGI app for a server of ``serve``.
Wrap = Callable[[Any], Any]


def say_to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cache_dir() -> Path:
    """Where what ``altus local`` keeps between runs lives (the Node.js SDK)."""
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "altus"


def node_sdk_source(settings: Settings, say: Say) -> Path | None:
    """A prepared AWS SDK for JavaScript for this run's platform to link from: made once
    in ``cache_dir()``. None where the settings name their own source (the platform
    uses that) or it cannot be installed (said why; the platform tries again itself)."""
    from altus.runtimes.node_sdk import SdkUnavailable, find_npm, install, lock_digest

    if settings.node_sdk_source is not None:
        return None
    root = cache_dir() / "node-sdk"
    if not (root / f"nodejs-{lock_digest()}").is_dir():
        say(f"Installing the AWS SDK for JavaScript for Node.js functions into {root} (once)")
    try:
        return install(root, find_npm(settings.node_binary))
    except SdkUnavailable as error:
        say(f"Warning: Node.js functions get no AWS SDK for JavaScript here: {error}")
        return None
    except OSError as error:
        say(f"Warning: cannot install the AWS SDK for JavaScript into {root}: {error}")
        return None


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or ``localhost``) is reachable from this machine
    only. A name other than ``localhost`` counts as public: it may resolve to anything."""
    import ipaddress

    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def listen(host: str, port: int) -> tuple[socket.socket, str]:
    """A listening socket on ``host:port`` (0: any free port) and its URL. LocalError if
    the port cannot be had: asked before anything is built or started."""
    from altus.server import bind, local_url

    try:
        sock = bind(host, port)
    except OSError as error:
        raise LocalError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    url: str = local_url(host, sock.getsockname()[1])
    return sock, url


@contextlib.contextmanager
def refused(what: str) -> Iterator[None]:
    """Lambda's refusal of ``what`` (a runtime it does not know, a memory size out of
    range) as a one-line LocalError, not botocore's traceback."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as error:
        found = error.response.get("Error", {})
        code, message = found.get("Code", "Error"), found.get("Message", str(error))
        raise LocalError(f"{what} was refused: {code}: {message}") from None
    except BotoCoreError as error:  # botocore's own checks (a memory size below 128 ...)
        lines = " ".join(str(error).split())
        raise LocalError(f"{what} was refused: {lines}") from None


class LocalPlatform:
    """A platform for one ``altus local`` command. ``nodejs``: the template has Node.js
    functions (their SDK is readied before the platform starts)."""

    def __init__(self, *, nodejs: bool = False, say: Say = say_to_stderr) -> None:
        self._say = say
        #: Ready the AWS SDK for JavaScript before starting (settable until ``start``).
        self.nodejs = nodejs
        # Named now, made by ``start``: nothing is left on disk by a command that fails
        # before it starts the platform.
        self._data_dir = Path(tempfile.gettempdir()) / f"altus-local-{uuid.uuid4().hex[:12]}"
        self._flags: dict[str, Any] = {
            "host": "127.0.0.1",
            "port": 0,
            "data_dir": self._data_dir,
            "store": "memory:",
            "sandbox": "process",
            "auth": "open",
        }
        self.settings = load_settings(**self._flags)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: Any = None
        self._platform: Any = None
        self._clients: dict[str, Any] = {}
        self._bucket_made = False
        self._fronts: list[tuple[Any, asyncio.Task[None]]] = []
        self._started: concurrent.futures.Future[None] | None = None
        #: The platform's own API (every AWS service it serves), once started.
        self.url = ""

    def __enter__(self) -> LocalPlatform:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    # --- running -------------------------------------------------------------------------

    def start(self) -> None:
        """Start the platform and its API; returns once it answers. LocalError (and
        nothing left running) if it cannot start."""
        from altus.app import create_app
        from altus.httpd import HttpServer
        from altus.platform import build_platform
        from altus.server import bind, local_url

        # Another platform on this machine holds the extension's port 2773: this one
        # takes another and tells its functions so, nothing a local command need say.
        logging.getLogger(_EXTENSION_LOGGER).setLevel(logging.ERROR)
        if self.nodejs:
            source = node_sdk_source(self.settings, self._say)
            if source is not None:
                self.settings = load_settings(**self._flags, node_sdk_source=source)
        self._data_dir.mkdir(mode=0o700)
        try:
            sock = bind("127.0.0.1", 0)
        except OSError:
            shutil.rmtree(self._data_dir, ignore_errors=True)
            raise
        port = sock.getsockname()[1]
        started: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._started = started

        async def main() -> None:
            try:
                platform = build_platform(self.settings, endpoint=local_url("127.0.0.1", port))
                self._platform = platform
                await platform.start()
            except BaseException as error:
                if self._platform is not None:
                    await self._platform.close()
                started.set_exception(error)
                sock.close()
                return
            self._server = HttpServer(create_app(platform), graceful=10, on_stop=platform.interrupt)
            self._loop = asyncio.get_running_loop()
            started.set_result(None)
            try:
                await self._server.serve([sock])
            finally:
                await platform.close()

        self._thread = threading.Thread(
            target=asyncio.run, args=(main(),), name="altus-local", daemon=True
        )
        self._thread.start()
        try:
            started.result(timeout=120)
        except Exception as error:
            self._thread.join(timeout=60)
            shutil.rmtree(self._data_dir, ignore_errors=True)
            message = getattr(error, "message", None) or str(error)
            raise LocalError(f"the platform did not start: {message}") from None
        for _ in range(2000):  # bounded: the server listens within moments
            if self._server.started:
                break
            time.sleep(0.005)
        self.url = f"http://127.0.0.1:{port}"

    def serve(self, sock: socket.socket, wrap: Wrap) -> None:
        """Serve ``wrap(the platform's app)`` on the listening socket ``sock`` too (see
        ``listen``), until ``close``."""
        from altus.app import create_app
        from altus.httpd import HttpServer

        async def open_front() -> Any:
            server = HttpServer(wrap(create_app(self._platform)), graceful=5)
            task = asyncio.get_running_loop().create_task(server.serve([sock]))
            self._fronts.append((server, task))
            return server

        server = self.call(open_front())
        for _ in range(2000):  # bounded: it listens within moments
            if server.started:
                break
            time.sleep(0.005)

    def call(self, work: Coroutine[Any, Any, T]) -> T:
        """Run ``work`` on the platform's event loop; its result (or exception)."""
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout=120)

    def close(self) -> None:
        """Stop the servers and the platform (its environments killed) and remove its
        data directory."""
        if self._started is not None and self._thread is not None and self._thread.is_alive():
            # Interrupted while it was starting: let it finish starting, then stop it.
            with contextlib.suppress(Exception):
                self._started.result(timeout=120)
        if self._loop is not None and self._thread is not None and self._thread.is_alive():
            if self._fronts:

                async def stop_fronts() -> None:
                    for server, _ in self._fronts:
                        server.stop()
                    await asyncio.gather(
                        *(task for _, task in self._fronts), return_exceptions=True
                    )

                # Stopping regardless: the platform's own stop ends them too.
                with contextlib.suppress(Exception):
                    self.call(stop_fronts())
                self._fronts.clear()
            self._loop.call_soon_threadsafe(self._server.stop)
        if self._thread is not None:
            self._thread.join(timeout=60)
            self._thread = None
        shutil.rmtree(self._data_dir, ignore_errors=True)

    @property
    def region(self) -> str:
        return self.settings.region

    @property
    def account(self) -> str:
        return self.settings.account_id

    def client(self, service: str) -> Any:
        """A boto3 client of ``service`` for the platform (one per service, kept)."""
        found = self._clients.get(service)
        if found is None:
            import boto3
            from botocore.config import Config

            found = boto3.client(
                service,
                endpoint_url=self.url,
                region_name=self.region,
                config=Config(
                    retries={"total_max_attempts": 1},
                    # Long enough for the longest function (Lambda's 900 s) to answer.
                    read_timeout=960,
                    connect_timeout=10,
                ),
                **_KEYS,
            )
            self._clients[service] = found
        return found

    # --- code ----------------------------------------------------------------------------

    def upload(self, folder: Path, name: str) -> dict[str, str]:
        """``folder`` zipped into the platform's S3; where it is, as Lambda's ``Code`` and
        ``Content`` take it."""
        s3 = self.client("s3")
        if not self._bucket_made:
            from botocore.exceptions import ClientError

            try:
                s3.head_bucket(Bucket=BUCKET)
            except ClientError:  # not there yet: the platform's S3 is this run's alone
                s3.create_bucket(Bucket=BUCKET)
            self._bucket_made = True
        try:
            data = zip_directory(folder)
        except OSError as error:
            raise LocalError(f"cannot package {folder}: {error}") from None
        key = f"{name}/{hashlib.sha256(data).hexdigest()}.zip"
        s3.put_object(Bucket=BUCKET, Key=key, Body=data)
        return {"S3Bucket": BUCKET, "S3Key": key}

    def publish_layer(self, logical_id: str, folder: Path) -> str:
        """The template's layer ``logical_id`` published from ``folder``: its version's
        ARN."""
        with refused(f"the layer {logical_id}"):
            published = self.client("lambda").publish_layer_version(
                LayerName=logical_id, Content=self.upload(folder, logical_id)
            )
        arn: str = published["LayerVersionArn"]
        return arn

    def create_function(self, spec: FunctionSpec, folder: Path, layers: list[str]) -> str:
        """The function ``spec`` made from the code in ``folder`` with the layer
        versions ``layers``, once it is Active; its name."""
        lam = self.client("lambda")
        config: dict[str, Any] = {
            "FunctionName": spec.name,
            "Runtime": spec.runtime,
            "Handler": spec.handler,
            "Role": ROLE,
            "Code": self.upload(folder, spec.logical_id),
            "MemorySize": spec.memory_size,
            "Timeout": spec.timeout,
        }
        # As sam sets it, so code can tell it runs locally.
        config["Environment"] = {"Variables": {**spec.environment, "AWS_SAM_LOCAL": "true"}}
        if layers:
            config["Layers"] = layers
        with refused(spec.logical_id):
            lam.create_function(**config)
        self.wait_ready(spec.name)
        return spec.name

    def update_code(self, function_name: str, folder: Path, name: str) -> None:
        """Replace the code of ``function_name`` with ``folder``'s, and wait until the
        update is done (new invocations then run it)."""
        code = self.upload(folder, name)
        self.client("lambda").update_function_code(
            FunctionName=function_name, S3Bucket=code["S3Bucket"], S3Key=code["S3Key"]
        )
        self.wait_ready(function_name)

    def wait_ready(self, function_name: str) -> None:
        """Wait (bounded: five minutes, long enough for a first SDK install) until the
        function is Active and its last update done. LocalError if it failed."""
        from botocore.exceptions import WaiterError

        lam = self.client("lambda")
        try:
            lam.get_waiter("function_active_v2").wait(
                FunctionName=function_name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 6000}
            )
            lam.get_waiter("function_updated_v2").wait(
                FunctionName=function_name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 6000}
            )
        except WaiterError as error:
            state = lam.get_function_configuration(FunctionName=function_name)
            reason = state.get("LastUpdateStatusReason") or state.get("StateReason") or error
            raise LocalError(f"{function_name} is not ready: {reason}") from None

"""Shared fixtures: servers to test against and boto3 clients pointed at them.

- ``altus_server`` (integration): a real ``altus up`` subprocess with its own data
  directory and port, as a user would run it.
- ``inproc_server`` (functional): the same server in a thread of the test process, with
  in-memory state, for fast API tests.
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from altus.packaging import zip_files

ROOT = Path(__file__).resolve().parent.parent
PYTHON_RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
ROLE = "arn:aws:iam::000000000000:role/test-role"


def lambda_client(endpoint: str, **config: Any) -> Any:
    return boto3.client(
        "lambda",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(
            retries={"total_max_attempts": 1}, read_timeout=960, connect_timeout=10, **config
        ),
    )


@dataclass
class Server:
    url: str
    data_dir: Path
    process: subprocess.Popen[str] | None = None
    output: list[str] = field(default_factory=list)

    def client(self, **config: Any) -> Any:
        return lambda_client(self.url, **config)

    def logs_client(self) -> Any:
        return boto3.client(
            "logs",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    @property
    def sandbox(self) -> str:
        """The sandbox backend the server chose (``linux`` or ``process``)."""
        with urllib.request.urlopen(f"{self.url}/_altus/health", timeout=10) as answer:
            backend: str = json.loads(answer.read())["sandbox"]
        return backend

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_server(data_dir: Path, extra_env: dict[str, str] | None = None, port: int = 0) -> Server:
    """Run ``altus up`` and wait until it prints the URL it serves."""
    env = {**os.environ, "ALTUS_LOG_LEVEL": "warning", **(extra_env or {})}
    process = subprocess.Popen(
        [sys.executable, "-m", "altus", "up", "--port", str(port), "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    server = Server(url="", data_dir=data_dir, process=process)
    deadline = time.monotonic() + 30
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        server.output.append(line)
        match = re.search(r"serving the Lambda API at (http://\S+)", line)
        if match:
            server.url = match.group(1)
            threading.Thread(target=_drain, args=(process, server.output), daemon=True).start()
            return server
    process.kill()
    raise RuntimeError("altus up did not start:\n" + "".join(server.output))


def _drain(process: subprocess.Popen[str], sink: list[str]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        sink.append(line)


# --- services on the machine ---------------------------------------------------------------

#: The PostgreSQL the tests use (a schema of their own per server or store).
POSTGRES_URL = os.environ.get("ALTUS_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def unavailable(what: str, how: str) -> None:
    """A machine service a test needs is missing: skip with the reason on a laptop, fail
    in CI (``CI=true``), where every service is expected to run."""
    message = f"{what} is not available: {how}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


class PostgresSchemas:
    """Fresh schemas in the test database, dropped at the end of the session."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._made: list[str] = []

    def url(self) -> str:
        """The store URL of a new, empty schema."""
        name = f"altus_t_{uuid.uuid4().hex[:16]}"
        self._conn.execute(f"CREATE SCHEMA {name}")
        self._made.append(name)
        return f"{POSTGRES_URL}?options=-csearch_path%3D{name}"

    def drop_all(self) -> None:
        for name in self._made:
            self._conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresSchemas]:
    try:
        import psycopg

        conn = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5)
    except Exception as error:
        unavailable(
            f"PostgreSQL at {POSTGRES_URL}",
            f"{error}; start it with `pg_ctlcluster --skip-systemctl-redirect "
            "$(ls /etc/postgresql) main start` (see ../shared/SERVICES.md)",
        )
    schemas = PostgresSchemas(conn)
    yield schemas
    schemas.drop_all()
    conn.close()


#: Every store backend: the embedded ones and the machine's PostgreSQL.
STORES = ["memory", "sqlite", "postgresql"]


@pytest.fixture(params=STORES)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store URL of each backend, fresh for each test."""
    if request.param == "memory":
        return "memory:"
    if request.param == "sqlite":
        return f"sqlite:{tmp_path / 'altus.db'}"
    schemas: PostgresSchemas = request.getfixturevalue("postgres")
    return schemas.url()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass(frozen=True)
class NodeSdkSource:
    """The AWS SDK for JavaScript of Node.js functions, prepared once for the session's
    servers (their ``node_sdk_source``), or why it could not be."""

    path: Path | None
    why: str = ""
    #: The npm cache its install filled: the other kind of ``node_sdk_source``.
    npm_cache: Path | None = None

    def env(self) -> dict[str, str]:
        """What points ``altus up`` at it (nothing where there is none: the server then
        tries the registry itself, if a Node.js function is made)."""
        return {"ALTUS_NODE_SDK_SOURCE": str(self.path)} if self.path is not None else {}

    def required(self) -> Path:
        """For tests of the SDK itself: skipped without it, but in CI, a failure."""
        if self.path is None:
            unavailable("The AWS SDK for JavaScript (npm and its registry)", self.why)
        assert self.path is not None
        return self.path


@pytest.fixture(scope="session")
def node_sdk_source(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> NodeSdkSource:
    """Installed by the server's own code (``altus.runtimes.node_sdk.install``, from the
    npm registry) into pytest's cache, where later sessions find it, so that no test
    server downloads it."""
    from altus.runtimes.node_sdk import SdkUnavailable, find_npm, install

    cache = getattr(request.config, "cache", None)
    root = cache.mkdir("altus-node-sdk") if cache is not None else tmp_path_factory.mktemp("sdk")
    npm_cache = root / "npm-cache"
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("npm_config_cache", str(npm_cache))  # npm's downloads kept there
            made = install(root, find_npm("node"))
    except SdkUnavailable as error:
        return NodeSdkSource(None, str(error))
    return NodeSdkSource(made, npm_cache=npm_cache if (npm_cache / "_cacache").is_dir() else None)


#: The sandbox backends this machine runs: ``linux`` needs root on Linux (where it must
#: work: a server asked for it explicitly fails to start otherwise).
#: The sandbox backends this machine runs: ``linux`` needs root on Linux (where it must
#: work: a server asked for it explicitly fails to start otherwise).
SANDBOXES = ["linux", "process"] if sys.platform == "linux" and os.geteuid() == 0 else ["process"]


def needs_linux_sandbox() -> None:
    """For tests of what only the linux sandbox does: skipped where it cannot run, but
    in CI, where it must, a failure."""
    if "linux" not in SANDBOXES:
        unavailable("The linux sandbox", "it needs root on Linux")


#: For tests of what only the linux sandbox does (see ``needs_linux_sandbox``).
NEEDS_LINUX_SANDBOX = pytest.mark.usefixtures("linux_sandbox_required")


@pytest.fixture
def linux_sandbox_required() -> None:
    needs_linux_sandbox()


#: The stores a server is tried on: every server-backed module runs on both.
SERVER_STORES = ["sqlite", "postgresql"]


def store_env(request: pytest.FixtureRequest, kind: str) -> dict[str, str]:
    """The environment that points ``altus up`` at a store of ``kind`` (a fresh schema of
    the machine's PostgreSQL; SQLite is the default, in the data directory)."""
    if kind == "sqlite":
        return {}
    schemas: PostgresSchemas = request.getfixturevalue("postgres")
    return {"ALTUS_STORE": schemas.url()}


@pytest.fixture(params=SERVER_STORES)
def server_store(request: pytest.FixtureRequest) -> dict[str, str]:
    """Per test: the environment of a store of each kind, the same for every server the
    test starts (a restart finds the data where it left it)."""
    return store_env(request, request.param)


@pytest.fixture(scope="module", params=SERVER_STORES)
def module_store(request: pytest.FixtureRequest) -> dict[str, str]:
    """Per module: the environment of a store of each kind."""
    return store_env(request, request.param)


#: The servers most API tests run on: every sandbox, and every store (PostgreSQL on the
#: portable sandbox, where the store is what differs).
SERVERS = [(sandbox, "sqlite") for sandbox in SANDBOXES] + [("process", "postgresql")]


@pytest.fixture(scope="module", params=SERVERS, ids=[f"{s}-{k}" for s, k in SERVERS])
def altus_server(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    node_sdk_source: NodeSdkSource,
) -> Iterator[Server]:
    sandbox, store = request.param
    server = start_server(
        tmp_path_factory.mktemp("altus"),
        extra_env={"ALTUS_SANDBOX": sandbox, **store_env(request, store), **node_sdk_source.env()},
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def linux_server(
    tmp_path_factory: pytest.TempPathFactory, node_sdk_source: NodeSdkSource
) -> Iterator[Server]:
    """A real ``altus up`` on the linux sandbox, one per test module."""
    needs_linux_sandbox()
    server = start_server(
        tmp_path_factory.mktemp("linux"),
        extra_env={"ALTUS_SANDBOX": "linux", **node_sdk_source.env()},
    )
    assert server.sandbox == "linux"
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client(altus_server: Server) -> Any:
    return altus_server.client()


@pytest.fixture(scope="module")
def inproc_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The server in a thread of this process (the public harness), with in-memory state
    and the portable sandbox: real functions, no process of the server's own."""
    from altus.testing import Harness

    data_dir = tmp_path_factory.mktemp("altus-inproc")
    with Harness(
        sandbox="process", clock=None, data_dir=data_dir, keep_alive_seconds=60
    ) as harness:
        yield Server(url=harness.url, data_dir=data_dir)


@pytest.fixture(scope="module", params=SERVER_STORES)
def inproc_stored(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """The server in a thread of this process (the public harness, functions in-process,
    the wall clock), on each store: a SQLite file, and the machine's PostgreSQL."""
    from altus.testing import Harness

    data_dir = tmp_path_factory.mktemp("altus-stored")
    env = store_env(request, request.param)
    store = env.get("ALTUS_STORE", f"sqlite:{data_dir / 'altus.db'}")
    with Harness(clock=None, data_dir=data_dir, store=store) as harness:
        yield Server(url=harness.url, data_dir=data_dir)


# --- building functions ------------------------------------------------------------------------


def create_function(
    client: Any,
    name: str,
    files: Mapping[str, str | bytes],
    *,
    runtime: str = PYTHON_RUNTIME,
    handler: str = "app.handler",
    wait: bool = True,
    role: str = ROLE,
    **config: Any,
) -> dict[str, Any]:
    response: dict[str, Any] = client.create_function(
        FunctionName=name,
        Runtime=runtime,
        Handler=handler,
        Role=role,
        Code={"ZipFile": zip_files(files)},
        **config,
    )
    if wait:
        client.get_waiter("function_active_v2").wait(
            FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 200}
        )
    return response


def python_function(body: str) -> dict[str, str | bytes]:
    return {"app.py": body}


def invoke(
    client: Any, name: str, payload: Any = None, **kwargs: Any
) -> tuple[dict[str, Any], Any]:
    """Invoke and return (the raw response, the decoded JSON body or None)."""
    import json

    if payload is not None and not isinstance(payload, (bytes, str)):
        payload = json.dumps(payload)
    args = {"FunctionName": name, **kwargs}
    if payload is not None:
        args["Payload"] = payload
    response = client.invoke(**args)
    raw = response["Payload"].read()
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = raw
    return response, body


def log_tail(response: dict[str, Any]) -> str:
    return base64.b64decode(response.get("LogResult", "")).decode()


def processes_of_uid(uid: int) -> list[int]:
    """PIDs of the processes running as ``uid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            if re.search(rf"^Uid:\s+{uid}\s", status, re.MULTILINE):
                found.append(int(entry.name))
    return found

"""Shared pieces of the benchmarks: servers to measure and the statistics to report.

Every benchmark measures a physical baseline in the same run (a bare loopback HTTP
server, a bare interpreter spawn) so that results read as ratios, which survive a noisy
machine far better than absolute times.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ROLE = "arn:aws:iam::000000000000:role/bench"
PYTHON_RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"

# A loopback HTTP server with nothing behind it: a raw asyncio protocol answering every
# request with a small fixed JSON body (keep-alive, TCP_NODELAY).
BARE_SERVER = r"""
import asyncio, socket, sys
BODY = b'{"ok":true}'
RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
            + str(len(BODY)).encode() + b"\r\n\r\n" + BODY)
class P(asyncio.Protocol):
    def connection_made(self, t):
        self.t = t; self.buf = b""
        t.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    def data_received(self, data):
        self.buf += data
        while b"\r\n\r\n" in self.buf:
            head, _, rest = self.buf.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                k, _, v = line.partition(b":")
                if k.strip().lower() == b"content-length": length = int(v)
            if len(rest) < length: return
            self.buf = rest[length:]
            self.t.write(RESPONSE)
async def main():
    server = await asyncio.get_running_loop().create_server(P, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()
asyncio.run(main())
"""


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50": statistics.median(values),
        "p99": percentile(values, 0.99),
        "mean": statistics.fmean(values),
        "n": len(values),
    }


@contextmanager
def bare_server() -> Iterator[int]:
    with bare_process() as (port, _):
        yield port


@contextmanager
def bare_process() -> Iterator[tuple[int, int]]:
    """The bare loopback server: its port and its PID."""
    process = subprocess.Popen(
        [sys.executable, "-c", BARE_SERVER], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        yield int(process.stdout.readline()), process.pid
    finally:
        process.kill()
        process.wait()


@contextmanager
def altus_server(env: dict[str, str] | None = None) -> Iterator[str]:
    """A fresh ``altus up`` on a free port with its own data directory: its URL."""
    with altus_process(env) as (url, _):
        yield url


@contextmanager
def revision(rev: str) -> Iterator[dict[str, str]]:
    """The environment that runs ``altus up`` from another revision of this repository
    (checked out into a temporary worktree, with this environment's dependencies): a
    baseline measured in the same run as the change."""
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory(prefix="altus-baseline-") as folder:
        tree = Path(folder) / "tree"
        subprocess.run(
            ["git", "-C", str(root), "worktree", "add", "--detach", str(tree), rev],
            check=True,
            capture_output=True,
        )
        try:
            yield {"PYTHONPATH": str(tree / "src")}
        finally:
            subprocess.run(
                ["git", "-C", str(root), "worktree", "remove", "--force", str(tree)],
                check=False,
                capture_output=True,
            )


@contextmanager
def altus_process(
    env: dict[str, str] | None = None, data_dir: str | None = None
) -> Iterator[tuple[str, int]]:
    """A fresh ``altus up``: its URL and its PID (``data_dir``: its data directory,
    else one of its own, removed after)."""
    with contextlib.ExitStack() as stack:
        if data_dir is None:
            data_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="altus-bench-"))
        process = subprocess.Popen(
            [sys.executable, "-m", "altus", "up", "--port", "0", "--data-dir", data_dir],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "ALTUS_LOG_LEVEL": "warning", **(env or {})},
        )
        try:
            assert process.stdout is not None
            for _ in range(100):
                line = process.stdout.readline()
                match = re.search(r"at (http://\S+)", line)
                if match:
                    yield match.group(1), process.pid
                    break
                if not line:
                    raise RuntimeError("altus up did not start")
        finally:
            process.terminate()
            process.wait(timeout=60)


class Http:
    """One keep-alive connection, as a load generator would hold it."""

    def __init__(self, url: str) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=900)

    def call(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        self.conn.request(method, path, body=body, headers=headers or {})
        response = self.conn.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def timed(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> float:
        started = time.perf_counter()
        status, _, _ = self.call(method, path, body, headers)
        elapsed = (time.perf_counter() - started) * 1000
        if status >= 400:
            raise RuntimeError(f"{method} {path} answered {status}")
        return elapsed


def create_function(http_client: Http, name: str, zip_bytes: bytes, **config: object) -> None:
    body = {
        "FunctionName": name,
        "Runtime": PYTHON_RUNTIME,
        "Handler": "app.handler",
        "Role": ROLE,
        "Code": {"ZipFile": base64.b64encode(zip_bytes).decode()},
        **config,
    }
    status, _, data = http_client.call("POST", "/2015-03-31/functions", json.dumps(body).encode())
    if status != 201:
        raise RuntimeError(data.decode())
    wait_ready(http_client, name)


def wait_ready(http_client: Http, name: str) -> None:
    for _ in range(2000):
        _, _, data = http_client.call("GET", f"/2015-03-31/functions/{name}/configuration")
        config = json.loads(data)
        if config["State"] == "Active" and config.get("LastUpdateStatus") == "Successful":
            return
        time.sleep(0.01)
    raise RuntimeError(f"{name} never became ready")


def table(title: str, rows: list[tuple[str, dict[str, float]]], unit: str = "ms") -> str:
    lines = [
        f"## {title}",
        "",
        f"| what | p50 ({unit}) | p99 ({unit}) | mean ({unit}) | n |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, stats in rows:
        lines.append(
            f"| {name} | {stats['p50']:.3f} | {stats['p99']:.3f} | "
            f"{stats['mean']:.3f} | {int(stats['n'])} |"
        )
    return "\n".join(lines)


#: boto3 and what it needs: the heavy import of the cold start and density benchmarks.
HEAVY_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")


def heavy_package(handler: str) -> bytes:
    """A package of ``app.py`` = ``handler`` with boto3 and its dependencies vendored as
    ``pip install -t`` leaves them: each distribution's modules and its ``*.dist-info``
    (which is how a function zygote tells installed packages from the function's own
    code)."""
    import importlib.metadata

    sys.path.insert(0, str(ROOT / "src"))
    from altus.packaging import zip_files

    files: dict[str, str | bytes] = {"app.py": handler}
    owners = importlib.metadata.packages_distributions()
    for name in HEAVY_PACKAGES:
        distribution = importlib.metadata.distribution(owners[name][0])
        for entry in distribution.files or []:
            path = Path(str(entry.locate()))
            if entry.parts[0] != ".." and "__pycache__" not in entry.parts and path.is_file():
                files[entry.as_posix()] = path.read_bytes()
    return zip_files(files)


class Conn:
    """One keep-alive connection speaking an awsJson protocol (unsigned: ``--auth open``)."""

    def __init__(self, url: str, protocol: tuple[str, str]) -> None:
        self.host, port = url.removeprefix("http://").split(":")
        self.port = int(port)
        self.prefix, self.content_type = protocol
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def call(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        data = json.dumps(body).encode()
        self.writer.write(
            (
                f"POST / HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: {self.content_type}"
                f"\r\nX-Amz-Target: {self.prefix}{operation}\r\n"
                f"Content-Length: {len(data)}\r\n\r\n"
            ).encode()
            + data
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        payload = await self.reader.readexactly(length)
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"{operation}: {payload.decode()}")
        answer: dict[str, Any] = json.loads(payload) if payload else {}
        return answer

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


@contextmanager
def postgres_database(url: str, prefix: str = "altus_bench") -> Iterator[str]:
    """A fresh database on the PostgreSQL server of ``url`` (dropped after): its URL."""
    import uuid

    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

"""Altus next to serverless-offline (the local Lambda emulator most people use), in one
run on one machine: the same Python hello-world handler behind an HTTP route, called the
same way.

    .venv/bin/python bench/versus_offline.py [--requests 3000] [--seconds 5]

serverless-offline 13 (with the Serverless Framework 3 it needs) is installed with npm
into ``~/.cache/altus-bench/serverless-offline`` on first use; without npm the script
says so and stops. Altus serves the function through a function URL (its HTTP route)
and serverless-offline through an ``httpApi`` route; both are also called through
their Invoke API. Measured for each: warm latency on one keep-alive connection
(sequential requests), throughput at 8 and 64 connections (``loadgen.py``, a process
of its own), and the first request to a function neither has run yet.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Http, altus_server, bare_server, create_function, summary
from throughput import load

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from altus.packaging import zip_files

CACHE = Path.home() / ".cache" / "altus-bench" / "serverless-offline"
PACKAGES = ("serverless@3", "serverless-offline@13")
HANDLER = "def hello(event, context):\n    return {'hello': 'world'}\n"
SERVERLESS_YML = """service: hello
frameworkVersion: "3"
provider:
  name: aws
  runtime: python{major}.{minor}
plugins:
  - serverless-offline
functions:
  hello:
    handler: handler.hello
    events:
      - httpApi:
          path: /hello
          method: any
"""


def installed() -> Path | None:
    """serverless's command, installed into the cache if need be; None without npm."""
    command = CACHE / "node_modules" / ".bin" / "serverless"
    if command.exists():
        return command
    if shutil.which("npm") is None:
        return None
    CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(CACHE), *PACKAGES],
        check=True,
        capture_output=True,
        timeout=900,
    )
    return command


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def serverless_offline(command: Path) -> Iterator[tuple[str, str]]:
    """serverless-offline serving the handler: (its HTTP URL, its Lambda API URL)."""
    with tempfile.TemporaryDirectory(prefix="altus-bench-sls-") as folder:
        app = Path(folder)
        major, minor = sys.version_info[:2]
        (app / "serverless.yml").write_text(SERVERLESS_YML.format(major=major, minor=minor))
        (app / "handler.py").write_text(HANDLER)
        (app / "node_modules").symlink_to(CACHE / "node_modules")
        http_port, lambda_port = free_port(), free_port()
        process = subprocess.Popen(
            [
                str(command),
                "offline",
                "--httpPort",
                str(http_port),
                "--lambdaPort",
                str(lambda_port),
                "--host",
                "127.0.0.1",
                "--noPrependStageInUrl",
            ],
            cwd=app,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "SLS_TELEMETRY_DISABLED": "1", "SLS_NOTIFICATIONS_MODE": "off"},
        )
        try:
            assert process.stdout is not None
            for _ in range(200):  # bounded: it prints "Server ready" within seconds
                line = process.stdout.readline()
                if not line:
                    raise RuntimeError("serverless-offline did not start")
                if "Server ready" in line:
                    break
            yield f"http://127.0.0.1:{http_port}", f"http://127.0.0.1:{lambda_port}"
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def latency(url: str, path: str, count: int, method: str = "POST") -> dict[str, float]:
    client = Http(url)
    for _ in range(200):  # warm: the handler's process, the connection, the caches
        client.timed(method, path, b'{"k":1}')
    return summary([client.timed(method, path, b'{"k":1}') for _ in range(count)])


def first_request(url: str, path: str) -> float:
    return Http(url).timed("POST", path, b'{"k":1}')


def function_url(client: Http, name: str) -> str:
    status, _, data = client.call(
        "POST", f"/2021-10-31/functions/{name}/url", json.dumps({"AuthType": "NONE"}).encode()
    )
    if status != 201:
        raise RuntimeError(data.decode())
    url: str = json.loads(data)["FunctionUrl"]
    return "/" + url.split("/", 3)[3]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--backends", default="process,linux")
    args = parser.parse_args()
    command = installed()
    if command is None:
        print("skipped: npm is not installed, so serverless-offline cannot be")
        return
    rows: list[tuple[str, str, dict[str, float], dict[int, float]]] = []
    zipped = zip_files({"app.py": HANDLER.replace("hello(", "handler(")})

    def measure(name: str, kind: str, url: str, path: str) -> None:
        warm = latency(url, path, args.requests)
        rates = {}
        for level in (8, 64):
            load(url, path, level, args.seconds / 2)
            rates[level] = load(url, path, level, args.seconds)["per_second"]
        rows.append((name, kind, warm, rates))

    with bare_server() as port:
        bare = latency(f"http://127.0.0.1:{port}", "/", args.requests)
    firsts: list[tuple[str, float]] = []
    with serverless_offline(command) as (http_url, lambda_url):
        firsts.append(("serverless-offline", first_request(http_url, "/hello")))
        measure("serverless-offline", "HTTP route", http_url, "/hello")
        measure(
            "serverless-offline",
            "Invoke API",
            lambda_url,
            "/2015-03-31/functions/hello-dev-hello/invocations",
        )
    for backend in args.backends.split(","):
        with altus_server({"ALTUS_SANDBOX": backend}) as url:
            client = Http(url)
            create_function(client, "first", zipped, MemorySize=1769)
            firsts.append(
                (
                    f"Altus ({backend})",
                    first_request(url, "/2015-03-31/functions/first/invocations"),
                )
            )
            create_function(client, "hello", zipped, MemorySize=1769)
            measure(f"Altus ({backend})", "function URL", url, function_url(client, "hello"))
            measure(
                f"Altus ({backend})", "Invoke API", url, "/2015-03-31/functions/hello/invocations"
            )
    print(f"bare loopback HTTP round trip: p50 {bare['p50']:.3f} ms, p99 {bare['p99']:.3f} ms\n")
    print(
        "| target | path | warm p50 (ms) | warm p99 (ms) | p50 over bare (ms) "
        "| 8 conns (/s) | 64 conns (/s) |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, kind, warm, rates in rows:
        print(
            f"| {name} | {kind} | {warm['p50']:.3f} | {warm['p99']:.3f} | "
            f"{warm['p50'] - bare['p50']:.3f} | {rates[8]:.0f} | {rates[64]:.0f} |"
        )
    print("\n| target | first request to a new function (ms) |\n|---|---:|")
    for name, elapsed in firsts:
        print(f"| {name} | {elapsed:.1f} |")


if __name__ == "__main__":
    main()

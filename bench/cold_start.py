"""Cold starts: a hello-world handler and one that imports a heavy module (boto3), on the
linux sandbox with function zygotes (the default), with runtime zygotes only, without
zygotes, and on the process backend; next to the physical floors measured in the same
run: ``fork()`` of an interpreter that has the runtime client (and the heavy module)
imported, and a fresh interpreter spawn.

    .venv/bin/python bench/cold_start.py [--rounds 30] [--heavy-rounds 10]

A cold start is an invoke that finds no warm environment, timed from the client
(request out to result back), with Init Duration read from its REPORT line. Two kinds:

- *the same configuration again*: the servers retire idle environments after 0.2 s, so
  each round waits until the function has none and invokes it. The first cold start of
  each function (which starts its zygotes and teaches the platform what it imports) is
  left out. This is what a function zygote serves.
- *a new configuration*: each round changes the function's configuration first, so the
  environment is a new configuration's first (forked from the runtime zygote, reporting
  what it imports, and starting a function zygote in the background).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    Http,
    altus_server,
    create_function,
    heavy_package,
    summary,
    table,
    wait_ready,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from altus.packaging import zip_files

HELLO = {"app.py": "def handler(event, context):\n    return {'hello': 'world'}\n"}
HEAVY_HANDLER = (
    "import boto3\ndef handler(event, context):\n    return {'boto3': boto3.__version__}\n"
)

#: Idle environments are retired this soon, so that every round is a cold start.
KEEP_ALIVE = {"ALTUS_KEEP_ALIVE_SECONDS": "0.2"}
#: (label, server settings, whether function zygotes serve it)
BACKENDS = [
    ("linux, function zygotes", {"ALTUS_SANDBOX": "linux"}, True),
    (
        "linux, runtime zygotes only",
        {"ALTUS_SANDBOX": "linux", "ALTUS_SANDBOX_FUNCTION_ZYGOTES": "0"},
        False,
    ),
    ("linux, no zygotes", {"ALTUS_SANDBOX": "linux", "ALTUS_SANDBOX_ZYGOTES": "false"}, False),
    ("process", {"ALTUS_SANDBOX": "process"}, False),
]

# Forks of an interpreter that has imported what a zygote imports, timed from fork() to
# the parent seeing the child's exit: the floor under any zygote-based cold start.
FORK_FLOOR = r"""
import importlib.util, os, statistics, sys, time, json
spec = importlib.util.spec_from_file_location("bootstrap", sys.argv[1])
module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)
for name in sys.argv[3:]:
    __import__(name)
times = []
for _ in range(int(sys.argv[2])):
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    times.append((time.perf_counter() - started) * 1000)
print(json.dumps(times))
"""


def cold_invoke(client: Http, name: str) -> tuple[float, float]:
    """One invoke that must be a cold start: (client-observed ms, Init Duration ms)."""
    path = f"/2015-03-31/functions/{name}/invocations"
    started = time.perf_counter()
    status, headers, data = client.call("POST", path, b"{}", {"X-Amz-Log-Type": "Tail"})
    elapsed = (time.perf_counter() - started) * 1000
    log = base64.b64decode(headers.get("x-amz-log-result", "")).decode()
    match = re.search(r"Init Duration: ([\d.]+) ms", log)
    if status != 200 or not match or "x-amz-function-error" in headers:
        raise RuntimeError(f"cold invoke of {name} failed: {data[:300]!r} {log}")
    return elapsed, float(match[1])


def wait_until(client: Http, ready: Callable[[dict[str, Any]], bool]) -> None:
    for _ in range(3000):
        _, _, data = client.call("GET", "/_altus/health")
        if ready(json.loads(data)):
            return
        time.sleep(0.01)
    raise RuntimeError("the server never got there")


def measure_same(
    url: str, name: str, rounds: int, function_zygote: bool
) -> tuple[list[float], list[float]]:
    """Cold starts of one configuration, each after its environment was retired."""
    client = Http(url)
    totals, inits = [], []
    cold_invoke(client, name)  # starts the runtime zygote, and learns what it imports
    if function_zygote:
        wait_until(
            client,
            lambda health: any(
                z.get("function", "").startswith(f"{name}:") for z in health["zygotes"]
            ),
        )
    for _ in range(rounds):
        wait_until(client, lambda health: health["environments"] == 0)
        time.sleep(0.05)  # let the retired environment's teardown finish
        elapsed, init = cold_invoke(client, name)
        totals.append(elapsed)
        inits.append(init)
    return totals, inits


def measure_new(url: str, name: str, rounds: int) -> tuple[list[float], list[float]]:
    """Cold starts of a new configuration each round."""
    client = Http(url)
    totals, inits = [], []
    for i in range(rounds):
        body = json.dumps({"Environment": {"Variables": {"ROUND": str(i)}}}).encode()
        client.call("PUT", f"/2015-03-31/functions/{name}/configuration", body)
        wait_ready(client, name)
        wait_until(client, lambda health: health["environments"] == 0)
        time.sleep(0.05)
        elapsed, init = cold_invoke(client, name)
        totals.append(elapsed)
        inits.append(init)
    return totals, inits


def spawn_floor(rounds: int, code: str, *flags: str) -> list[float]:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        subprocess.run([sys.executable, *flags, "-c", code], check=True)
        times.append((time.perf_counter() - started) * 1000)
    return times


def fork_floor(rounds: int, *modules: str) -> list[float]:
    bootstrap = Path(__file__).resolve().parent.parent / "src/altus/runtimes/python/bootstrap.py"
    flags = [] if modules else ["-S"]  # site-packages only where a module needs them
    out = subprocess.run(
        [sys.executable, *flags, "-c", FORK_FLOOR, str(bootstrap), str(rounds), *modules],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    times: list[float] = json.loads(out)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--heavy-rounds", type=int, default=10)
    args = parser.parse_args()
    heavy_zip = heavy_package(HEAVY_HANDLER)
    hello_rows, heavy_rows = [], []
    for label, env, function_zygote in BACKENDS:
        with altus_server({**env, **KEEP_ALIVE}) as url:
            setup = Http(url)
            create_function(setup, "hello", zip_files(HELLO))
            # A full vCPU, as Lambda gives at 1,769 MB: the import is CPU-bound.
            create_function(setup, "heavy", heavy_zip, MemorySize=1769, Timeout=60)
            # Hello world imports nothing a function zygote would preload: it has none.
            totals, inits = measure_same(url, "hello", args.rounds, function_zygote=False)
            hello_rows += [
                (f"{label}: Init Duration", summary(inits)),
                (f"{label}: cold Invoke, client-observed", summary(totals)),
            ]
            totals, inits = measure_same(url, "heavy", args.heavy_rounds, function_zygote)
            heavy_rows += [
                (f"{label}: Init Duration", summary(inits)),
                (f"{label}: cold Invoke, client-observed", summary(totals)),
            ]
            if function_zygote:
                totals, inits = measure_new(url, "heavy", args.heavy_rounds)
                heavy_rows += [
                    (f"{label}, a new configuration: Init Duration", summary(inits)),
                    (
                        f"{label}, a new configuration: cold Invoke, client-observed",
                        summary(totals),
                    ),
                ]
    floors = [
        (
            "fork() of an interpreter with the runtime client imported",
            summary(fork_floor(args.rounds)),
        ),
        ("fresh `python3 -S -c pass` spawn", summary(spawn_floor(args.rounds, "pass", "-S"))),
    ]
    heavy_floors = [
        (
            "fork() of an interpreter with boto3 imported",
            summary(fork_floor(args.heavy_rounds, "boto3")),
        ),
        (
            "fresh `python3 -c 'import boto3'` spawn",
            summary(spawn_floor(args.heavy_rounds, "import boto3")),
        ),
    ]
    print(table("Cold start, hello-world Python (128 MB)", floors + hello_rows))
    print()
    print(table("Cold start, a handler importing boto3 (1,769 MB)", heavy_floors + heavy_rows))
    print(f"\n(machine: {os.cpu_count()} CPUs; Python {sys.version.split()[0]})")


if __name__ == "__main__":
    main()

"""Cold starts: a hello-world handler and one that imports a heavy module (boto3), on the
linux sandbox with zygotes, on the linux sandbox without them, and on the process
backend; next to the physical floors measured in the same run: ``fork()`` of an
interpreter that has the runtime client (and the heavy module) imported, and a fresh
interpreter spawn.

    .venv/bin/python bench/cold_start.py [--rounds 30] [--heavy-rounds 10]

A cold start here is an invoke that finds no warm environment: each round changes the
function's configuration (retiring its environment), waits until the function is ready
again, then times the next invoke from the client (request out to result back) and reads
Init Duration from its REPORT line.
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Http, altus_server, create_function, summary, table, wait_ready

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from altus.packaging import zip_files

HELLO = {"app.py": "def handler(event, context):\n    return {'hello': 'world'}\n"}
HEAVY_HANDLER = (
    "import boto3\n"
    "def handler(event, context):\n"
    "    return {'boto3': boto3.__version__}\n"
)
HEAVY_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3",
                  "six")

BACKENDS = [
    ("linux, zygotes", {"ALTUS_SANDBOX": "linux"}),
    ("linux, no zygotes", {"ALTUS_SANDBOX": "linux", "ALTUS_SANDBOX_ZYGOTES": "false"}),
    ("process", {"ALTUS_SANDBOX": "process"}),
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


def heavy_package() -> bytes:
    """boto3 and its dependencies vendored into the package, as a user would ship them."""
    files: dict[str, str | bytes] = {"app.py": HEAVY_HANDLER}
    for name in HEAVY_PACKAGES:
        source = Path(__import__(name).__file__)
        if source.name != "__init__.py":  # a single-module distribution (six)
            files[source.name] = source.read_bytes()
            continue
        for path in source.parent.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                files[path.relative_to(source.parent.parent).as_posix()] = path.read_bytes()
    return zip_files(files)


def measure_cold(url: str, name: str, rounds: int) -> tuple[list[float], list[float]]:
    client = Http(url)
    path = f"/2015-03-31/functions/{name}/invocations"
    totals, inits = [], []
    for i in range(rounds + 1):
        body = json.dumps({"Environment": {"Variables": {"ROUND": str(i)}}}).encode()
        client.call("PUT", f"/2015-03-31/functions/{name}/configuration", body)
        wait_ready(client, name)
        time.sleep(0.05)  # let the retired environment's teardown finish
        started = time.perf_counter()
        status, headers, data = client.call("POST", path, b"{}", {"X-Amz-Log-Type": "Tail"})
        elapsed = (time.perf_counter() - started) * 1000
        log = base64.b64decode(headers.get("x-amz-log-result", "")).decode()
        match = re.search(r"Init Duration: ([\d.]+) ms", log)
        if status != 200 or not match or "x-amz-function-error" in headers:
            raise RuntimeError(f"cold invoke {i} of {name} failed: {data[:300]!r} {log}")
        if i == 0:
            continue  # the first also starts the zygote: not a steady-state cold start
        totals.append(elapsed)
        inits.append(float(match[1]))
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
    out = subprocess.run([sys.executable, *flags, "-c", FORK_FLOOR, str(bootstrap),
                          str(rounds), *modules], check=True, capture_output=True,
                         text=True).stdout
    times: list[float] = json.loads(out)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--heavy-rounds", type=int, default=10)
    args = parser.parse_args()
    heavy_zip = heavy_package()
    hello_rows, heavy_rows = [], []
    for label, env in BACKENDS:
        with altus_server(env) as url:
            setup = Http(url)
            create_function(setup, "hello", zip_files(HELLO))
            # A full vCPU, as Lambda gives at 1,769 MB: the import is CPU-bound.
            create_function(setup, "heavy", heavy_zip, MemorySize=1769, Timeout=60)
            totals, inits = measure_cold(url, "hello", args.rounds)
            hello_rows += [(f"{label}: Init Duration", summary(inits)),
                           (f"{label}: cold Invoke, client-observed", summary(totals))]
            totals, inits = measure_cold(url, "heavy", args.heavy_rounds)
            heavy_rows += [(f"{label}: Init Duration", summary(inits)),
                           (f"{label}: cold Invoke, client-observed", summary(totals))]
    floors = [
        ("fork() of an interpreter with the runtime client imported",
         summary(fork_floor(args.rounds))),
        ("fresh `python3 -S -c pass` spawn", summary(spawn_floor(args.rounds, "pass", "-S"))),
    ]
    heavy_floors = [
        ("fork() of an interpreter with boto3 imported",
         summary(fork_floor(args.heavy_rounds, "boto3"))),
        ("fresh `python3 -c 'import boto3'` spawn",
         summary(spawn_floor(args.heavy_rounds, "import boto3"))),
    ]
    print(table("Cold start, hello-world Python (128 MB)", floors + hello_rows))
    print()
    print(table("Cold start, a handler importing boto3 (1,769 MB)", heavy_floors + heavy_rows))
    print(f"\n(machine: {os.cpu_count()} CPUs; Python {sys.version.split()[0]})")


if __name__ == "__main__":
    main()

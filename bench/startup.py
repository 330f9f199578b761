"""Start-up: how long ``altus up`` takes, on an existing data directory, to answer its
first API request (ListFunctions), next to how long a bare interpreter takes to answer
its first request from a bare asyncio HTTP server in the same run.

    .venv/bin/python bench/startup.py [--rounds 10] [--baseline REV]

The data directory is made once (a first ``altus up`` creates its store and a hello
world function, then stops), so every measured start opens a store that already holds
state, as a restart does. The clock starts before the process is spawned and stops when
the first answer has been read; the client retries a refused connection every
millisecond. ``--baseline REV`` measures a git revision's code the same way,
interleaved with this tree's.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BARE_SERVER, Http, create_function, revision

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from altus.packaging import zip_files

HELLO = {"app.py": "def handler(event, context):\n    return {'hello': 'world'}\n"}
FIRST = "/2015-03-31/functions/"
#: How long one start may take before the run is abandoned.
PATIENCE = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def first_answer(port: int, path: str, started: float) -> float:
    """Seconds from ``started`` until ``GET path`` on ``port`` has been answered 200."""
    while time.perf_counter() - started < PATIENCE:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=PATIENCE)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            if response.status == 200:
                return time.perf_counter() - started
        except OSError:
            time.sleep(0.001)
        finally:
            connection.close()
    raise RuntimeError(f"nothing answered on port {port} within {PATIENCE} s")


def altus_start(data_dir: str, env: dict[str, str]) -> float:
    port = free_port()
    command = [sys.executable, "-m", "altus", "up", "--port", str(port), "--data-dir", data_dir]
    environment = {**os.environ, "ALTUS_LOG_LEVEL": "warning", **env}
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment
    )
    try:
        return first_answer(port, FIRST, started)
    finally:
        process.terminate()
        process.wait(timeout=60)


# The bare server with its port given (it binds before anything else runs).
BARE_ON_PORT = BARE_SERVER.replace('"127.0.0.1", 0', '"127.0.0.1", int(sys.argv[1])')


def bare_start() -> float:
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", BARE_ON_PORT, str(port)], stdout=subprocess.DEVNULL
    )
    try:
        return first_answer(port, "/", started)
    finally:
        process.kill()
        process.wait()


def prepared_data_dir(folder: str, env: dict[str, str]) -> str:
    """A data directory that has been started once and holds a function."""
    data_dir = str(Path(folder) / "data")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "altus", "up", "--port", str(port), "--data-dir", data_dir],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "ALTUS_LOG_LEVEL": "warning", **env},
    )
    try:
        first_answer(port, FIRST, time.perf_counter())
        create_function(Http(f"http://127.0.0.1:{port}"), "hello", zip_files(HELLO))
    finally:
        process.terminate()
        process.wait(timeout=60)
    return data_dir


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--baseline", help="a git revision to measure in the same run")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        trees: list[tuple[str, dict[str, str]]] = [("this tree", {})]
        if args.baseline:
            trees.append((args.baseline, stack.enter_context(revision(args.baseline))))
        folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="altus-startup-"))
        data_dir = prepared_data_dir(folder, {})
        for _, env in trees:  # the first start of each tree compiles its bytecode
            altus_start(data_dir, env)
        bare_start()
        times: dict[str, list[float]] = {name: [] for name, _ in trees}
        times["bare interpreter + asyncio server"] = []
        for _ in range(args.rounds):
            for name, env in trees:
                times[name].append(altus_start(data_dir, env) * 1000)
            times["bare interpreter + asyncio server"].append(bare_start() * 1000)
    print("## First answer after start (ms)\n")
    print("| what | p50 | min | max | n |")
    print("|---|---:|---:|---:|---:|")
    for name, values in times.items():
        print(
            f"| {name} | {statistics.median(values):.0f} | {min(values):.0f} "
            f"| {max(values):.0f} | {len(values)} |"
        )


if __name__ == "__main__":
    main()

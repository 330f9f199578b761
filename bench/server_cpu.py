"""Server CPU per warm invoke: what the platform's own process spends on each request
(user and system time of every thread of ``altus up``, read from ``/proc``; the
environments are other processes and are not counted), through the Invoke API and a
function URL, next to what a bare loopback HTTP server spends per request in the same
run.

    .venv/bin/python bench/server_cpu.py [--requests 5000] [--baseline REV]

Besides CPU time, the read and write system calls the server makes per request (all
threads, from ``/proc/<pid>/io``): counts, not times, so they do not move with the
machine's noise. The kernel counts the read and write family there (libuv's socket
reads and writes, SQLite's file I/O), not ``recv``/``send``, which is what the bare
server's asyncio loop uses: its row has none.

Requests are sequential on one keep-alive connection (hello world, 1,769 MB, so the
function is never throttled). ``--baseline REV`` measures a git revision's code the same
way, interleaved with this tree's.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Http, altus_process, bare_process, create_function, revision

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from altus.packaging import zip_files

HELLO = {"app.py": "def handler(event, context):\n    return {'hello': 'world'}\n"}
INVOKE = "/2015-03-31/functions/hello/invocations"
BACKENDS = [("linux", {"ALTUS_SANDBOX": "linux"}), ("process", {"ALTUS_SANDBOX": "process"})]
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of every thread of ``pid`` (not of its children)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[11]) / TICK, int(fields[12]) / TICK


def syscalls(pid: int) -> tuple[int, int]:
    """(read, write) system calls made so far by every thread of ``pid``."""
    with open(f"/proc/{pid}/io") as io:
        counts = dict(line.split(":") for line in io)
    return int(counts["syscr"]), int(counts["syscw"])


def per_request(pid: int, client: Http, method: str, path: str, count: int) -> dict[str, float]:
    """Microseconds of the server's CPU per request, its read and write system calls per
    request, and the requests per second."""
    for _ in range(300):  # the environment, the connection and the caches warm
        client.timed(method, path, b'{"k":1}')
    user0, system0 = cpu_seconds(pid)
    reads0, writes0 = syscalls(pid)
    started = time.perf_counter()
    for _ in range(count):
        client.timed(method, path, b'{"k":1}')
    elapsed = time.perf_counter() - started
    user1, system1 = cpu_seconds(pid)
    reads1, writes1 = syscalls(pid)
    return {
        "user": (user1 - user0) / count * 1e6,
        "system": (system1 - system0) / count * 1e6,
        "reads": (reads1 - reads0) / count,
        "writes": (writes1 - writes0) / count,
        "rate": count / elapsed,
    }


def url_path(client: Http) -> str:
    status, _, data = client.call(
        "POST", "/2021-10-31/functions/hello/url", json.dumps({"AuthType": "NONE"}).encode()
    )
    if status != 201:
        raise RuntimeError(data.decode())
    url: str = json.loads(data)["FunctionUrl"]
    return "/" + url.split("/", 3)[3]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--baseline", help="a git revision to measure in the same run")
    parser.add_argument("--backends", help="comma-separated backends (linux, process)")
    args = parser.parse_args()
    chosen = [b for b in BACKENDS if not args.backends or b[0] in args.backends.split(",")]
    rows: list[tuple[str, dict[str, float]]] = []
    with contextlib.ExitStack() as stack:
        trees: list[tuple[str, dict[str, str]]] = [("this tree", {})]
        if args.baseline:
            trees.append(
                (f"baseline {args.baseline}", stack.enter_context(revision(args.baseline)))
            )
        with bare_process() as (port, pid):
            bare = Http(f"http://127.0.0.1:{port}")
            rows.append(
                ("bare loopback HTTP server", per_request(pid, bare, "POST", "/", args.requests))
            )
        for backend, env in chosen:
            for tree, tree_env in trees:
                with altus_process({**env, **tree_env}) as (url, pid):
                    client = Http(url)
                    create_function(client, "hello", zip_files(HELLO), MemorySize=1769)
                    function_url = url_path(client)
                    for what, method, path in (
                        ("Invoke", "POST", INVOKE),
                        ("function URL", "POST", function_url),
                    ):
                        rows.append(
                            (
                                f"{backend}: {what} ({tree})",
                                per_request(pid, client, method, path, args.requests),
                            )
                        )
    print("| what | server CPU per request (µs) | user | system | reads | writes | requests/s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, figures in rows:
        total = figures["user"] + figures["system"]
        counted = figures["reads"] or figures["writes"]
        calls = f"{figures['reads']:.2f} | {figures['writes']:.2f}" if counted else "— | —"
        print(
            f"| {name} | {total:.0f} | {figures['user']:.0f} | {figures['system']:.0f} | "
            f"{calls} | {figures['rate']:.0f} |"
        )


if __name__ == "__main__":
    main()

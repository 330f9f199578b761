"""Warm invoke latency through the public Invoke API, next to a bare loopback HTTP round
trip measured in the same run, and the cold start of a hello-world Python function.

    .venv/bin/python bench/invoke_latency.py [--warm 3000] [--cold 30]
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Http, altus_server, bare_server, create_function, summary, table, wait_ready

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from altus.packaging import zip_files

HELLO = {"app.py": "def handler(event, context):\n    return {'hello': 'world'}\n"}
INVOKE = "/2015-03-31/functions/hello/invocations"


def measure_warm(url: str, count: int) -> list[float]:
    client = Http(url)
    for _ in range(200):  # warm up the environment, the connection and the caches
        client.timed("POST", INVOKE, b'{"k":1}')
    return [client.timed("POST", INVOKE, b'{"k":1}') for _ in range(count)]


def measure_bare(port: int, count: int) -> list[float]:
    client = Http(f"http://127.0.0.1:{port}")
    for _ in range(200):
        client.timed("POST", "/", b'{"k":1}')
    return [client.timed("POST", "/", b'{"k":1}') for _ in range(count)]


def measure_cold(url: str, count: int) -> tuple[list[float], list[float]]:
    """Each round changes the configuration (retiring the warm environment), then times
    the invoke that has to start a new one; Init Duration comes from its REPORT line."""
    client = Http(url)
    totals, inits = [], []
    for i in range(count):
        body = json.dumps({"Environment": {"Variables": {"ROUND": str(i)}}}).encode()
        client.call("PUT", "/2015-03-31/functions/hello/configuration", body)
        wait_ready(client, "hello")
        started = time.perf_counter()
        status, headers, _ = client.call("POST", INVOKE, b"{}", {"X-Amz-Log-Type": "Tail"})
        totals.append((time.perf_counter() - started) * 1000)
        log = base64.b64decode(headers.get("x-amz-log-result", "")).decode()
        match = re.search(r"Init Duration: ([\d.]+) ms", log)
        if status != 200 or not match:
            raise RuntimeError(f"cold invoke {i} was not cold: {log}")
        inits.append(float(match[1]))
    return totals, inits


def measure_spawn(count: int) -> list[float]:
    """A fresh interpreter that imports nothing: the floor of any spawn-based cold start."""
    times = []
    for _ in range(count):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-S", "-c", "pass"], check=True)
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warm", type=int, default=3000)
    parser.add_argument("--cold", type=int, default=30)
    args = parser.parse_args()
    with bare_server() as port, altus_server() as url:
        setup = Http(url)
        create_function(setup, "hello", zip_files(HELLO))
        # Interleave the two so that machine noise hits both alike.
        warm, bare = [], []
        for _ in range(5):
            bare += measure_bare(port, args.warm // 5)
            warm += measure_warm(url, args.warm // 5)
        cold_total, cold_init = measure_cold(url, args.cold)
    spawn = measure_spawn(args.cold)
    warm_stats, bare_stats = summary(warm), summary(bare)
    print(table("Warm invoke vs bare loopback HTTP", [
        ("bare loopback HTTP round trip (asyncio, keep-alive)", bare_stats),
        ("Altus warm Invoke (RequestResponse, hello world)", warm_stats),
    ]))
    print(f"\nAdded over bare loopback: p50 {warm_stats['p50'] - bare_stats['p50']:.3f} ms, "
          f"ratio {warm_stats['p50'] / bare_stats['p50']:.1f}x; warm invokes/s on one "
          f"connection: {1000 / warm_stats['mean']:.0f}\n")
    print(table("Cold start (process backend, hello-world Python)", [
        ("fresh `python3 -S -c pass` spawn", summary(spawn)),
        ("Init Duration (REPORT line)", summary(cold_init)),
        ("cold Invoke, client-observed", summary(cold_total)),
    ]))


if __name__ == "__main__":
    main()

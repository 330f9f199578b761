"""Warm invoke latency through the public Invoke API, on each sandbox backend, next to a
bare loopback HTTP round trip measured in the same run.

    .venv/bin/python bench/invoke_latency.py [--warm 3000]

Cold starts are measured by ``cold_start.py``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Http, altus_server, bare_server, create_function, summary, table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from altus.packaging import zip_files

HELLO = {"app.py": "def handler(event, context):\n    return {'hello': 'world'}\n"}
INVOKE = "/2015-03-31/functions/hello/invocations"
# The linux sandbox gives CPU in proportion to memory, as Lambda does: at 128 MB a
# function gets 7% of a CPU, and invokes back to back exhaust that share (CFS throttling
# shows in p99); at 1,769 MB it has a full CPU and the platform's own cost shows.
BACKENDS = [
    ("linux, 128 MB", {"ALTUS_SANDBOX": "linux"}, 128),
    ("linux, 1769 MB", {"ALTUS_SANDBOX": "linux"}, 1769),
    (
        "linux, isolated network, 1769 MB",
        {"ALTUS_SANDBOX": "linux", "ALTUS_SANDBOX_NETWORK": "isolated"},
        1769,
    ),
    ("process, 128 MB", {"ALTUS_SANDBOX": "process"}, 128),
]


def measure(url: str, path: str, count: int) -> list[float]:
    client = Http(url)
    for _ in range(200):  # warm up the environment, the connection and the caches
        client.timed("POST", path, b'{"k":1}')
    return [client.timed("POST", path, b'{"k":1}') for _ in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warm", type=int, default=3000)
    args = parser.parse_args()
    rows = []
    with bare_server() as port:
        bare_url = f"http://127.0.0.1:{port}"
        for name, env, memory in BACKENDS:
            with altus_server(env) as url:
                create_function(Http(url), "hello", zip_files(HELLO), MemorySize=memory)
                # Interleave the two so that machine noise hits both alike.
                warm, bare = [], []
                for _ in range(5):
                    bare += measure(bare_url, "/", args.warm // 5)
                    warm += measure(url, INVOKE, args.warm // 5)
            warm_stats, bare_stats = summary(warm), summary(bare)
            rows.append((f"{name}: bare loopback HTTP round trip", bare_stats))
            rows.append((f"{name}: Altus warm Invoke (hello world)", warm_stats))
            print(
                f"{name}: added over bare loopback p50 "
                f"{warm_stats['p50'] - bare_stats['p50']:.3f} ms, ratio "
                f"{warm_stats['p50'] / bare_stats['p50']:.1f}x; invokes/s on one connection "
                f"{1000 / warm_stats['mean']:.0f}"
            )
    print()
    print(table("Warm invoke (RequestResponse) vs bare loopback HTTP, one connection", rows))


if __name__ == "__main__":
    main()

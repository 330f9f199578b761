"""Warm invoke latency through the public Invoke API, on each sandbox backend, next to a
bare loopback HTTP round trip measured in the same run.

    .venv/bin/python bench/invoke_latency.py [--warm 3000] [--baseline REV]

``--baseline REV`` also measures the code of a git revision (a worktree of it, on the
same dependencies), interleaved with this tree's, so that a change's cost is read
against what came before it in one run.

Cold starts are measured by ``cold_start.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Http, altus_server, bare_server, create_function, revision, summary, table

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
    parser.add_argument("--baseline", help="a git revision to measure in the same run")
    parser.add_argument("--backends", help="comma-separated substrings of the backends to run")
    args = parser.parse_args()
    chosen = [
        b for b in BACKENDS if not args.backends or any(p in b[0] for p in args.backends.split(","))
    ]
    with contextlib.ExitStack() as stack:
        trees: list[tuple[str, dict[str, str]]] = [("this tree", {})]
        if args.baseline:
            trees.append(
                (f"baseline {args.baseline}", stack.enter_context(revision(args.baseline)))
            )
        run(chosen, trees, args.warm)


def run(
    backends: list[tuple[str, dict[str, str], int]],
    trees: list[tuple[str, dict[str, str]]],
    count: int,
) -> None:
    rows = []
    with bare_server() as port:
        bare_url = f"http://127.0.0.1:{port}"
        for name, env, memory in backends:
            with contextlib.ExitStack() as servers:
                urls = []
                for _, tree_env in trees:
                    url = servers.enter_context(altus_server({**env, **tree_env}))
                    create_function(Http(url), "hello", zip_files(HELLO), MemorySize=memory)
                    urls.append(url)
                # Interleave them all, so that machine noise hits each alike.
                warm: list[list[float]] = [[] for _ in trees]
                bare: list[float] = []
                for _ in range(5):
                    bare += measure(bare_url, "/", count // 5)
                    for index, url in enumerate(urls):
                        warm[index] += measure(url, INVOKE, count // 5)
            bare_stats = summary(bare)
            rows.append((f"{name}: bare loopback HTTP round trip", bare_stats))
            for (tree, _), samples in zip(trees, warm, strict=True):
                stats = summary(samples)
                rows.append((f"{name}: Altus warm Invoke ({tree})", stats))
                print(
                    f"{name}, {tree}: added over bare loopback p50 "
                    f"{stats['p50'] - bare_stats['p50']:.3f} ms, ratio "
                    f"{stats['p50'] / bare_stats['p50']:.1f}x; invokes/s on one connection "
                    f"{1000 / stats['mean']:.0f}"
                )
    print()
    print(table("Warm invoke (RequestResponse) vs bare loopback HTTP, one connection", rows))


if __name__ == "__main__":
    main()

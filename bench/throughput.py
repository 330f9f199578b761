"""Warm throughput through the Invoke API at concurrency 1, 8 and 64, with the load
generator (``loadgen.py``) in a process of its own, next to the same load on a bare
loopback HTTP server measured in the same run.

    .venv/bin/python bench/throughput.py [--seconds 5] [--memory 1769]

Each concurrency level first runs a warm-up of the same length (which also starts the
environments it needs), then the measured run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Http, altus_server, bare_server, create_function

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from altus.packaging import zip_files

HELLO = {"app.py": "def handler(event, context):\n    return {'hello': 'world'}\n"}
INVOKE = "/2015-03-31/functions/hello/invocations"
LOADGEN = Path(__file__).resolve().parent / "loadgen.py"
LEVELS = (1, 8, 64)
BACKENDS = [("linux", {"ALTUS_SANDBOX": "linux"}), ("process", {"ALTUS_SANDBOX": "process"})]


def load(url: str, path: str, connections: int, seconds: float) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, str(LOADGEN), url, path, str(connections), str(seconds)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, Any] = json.loads(out)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--memory", type=int, default=1769)
    args = parser.parse_args()
    lines = [
        "## Warm throughput (hello world, one load-generator process)",
        "",
        "| target | concurrency | requests/s | p50 (ms) | p99 (ms) | errors |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    with bare_server() as port:
        bare_url = f"http://127.0.0.1:{port}"
        for level in LEVELS:
            load(bare_url, "/", level, args.seconds / 2)
            r = load(bare_url, "/", level, args.seconds)
            lines.append(
                f"| bare loopback HTTP | {level} | {r['per_second']:.0f} | "
                f"{r['p50']:.2f} | {r['p99']:.2f} | {r['errors']} |"
            )
        for name, env in BACKENDS:
            with altus_server(env) as url:
                create_function(Http(url), "hello", zip_files(HELLO), MemorySize=args.memory)
                for level in LEVELS:
                    load(url, INVOKE, level, args.seconds)  # warm-up: starts environments
                    r = load(url, INVOKE, level, args.seconds)
                    lines.append(
                        f"| Altus ({name}, {args.memory} MB) | {level} | "
                        f"{r['per_second']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | "
                        f"{r['errors']} |"
                    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()

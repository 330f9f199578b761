"""Density: the memory (PSS) of N idle warm environments, and how many fit in 8 GB, per
sandbox backend; next to N idle bare interpreters and N idle forks of an interpreter with
the runtime client imported, measured in the same run.

    .venv/bin/python bench/density.py [--environments 32]

PSS (proportional set size) charges each shared page to its sharers in proportion, so
forked environments that share the zygote's pages are not counted N times. An
environment's cost is the growth of the whole server process tree (server, zygotes,
keepers, inits, runtimes, environments started ahead of need) from one warm environment
to N + 1, divided by N.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Http, altus_process, create_function

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from altus.packaging import zip_files

IDLE = {"app.py": (
    "import time\n"
    "def handler(event, context):\n"
    "    time.sleep(event.get('sleep', 0))\n"
    "    return 'ok'\n")}
INVOKE = "/2015-03-31/functions/idle/invocations"
BACKENDS = [("linux", {"ALTUS_SANDBOX": "linux"}), ("process", {"ALTUS_SANDBOX": "process"})]
BUDGET_MB = 8192

FORKS = r"""
import importlib.util, os, sys, time
spec = importlib.util.spec_from_file_location("bootstrap", sys.argv[1])
module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)
children = []
for _ in range(int(sys.argv[2])):
    pid = os.fork()
    if pid == 0:
        time.sleep(600)
        os._exit(0)
    children.append(pid)
print(" ".join(map(str, children)), flush=True)
time.sleep(600)
"""


def pss_kb(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    found, pending = [pid], [pid]
    for _ in range(100_000):
        if not pending:
            break
        parent = pending.pop()
        try:
            tasks = Path(f"/proc/{parent}/task").iterdir()
            for task in tasks:
                kids = [int(k) for k in (task / "children").read_text().split()]
                found += kids
                pending += kids
        except OSError:
            continue
    return found


def tree_pss_mb(pid: int) -> float:
    return sum(pss_kb(p) for p in tree(pid)) / 1024


def environments_mb(env: dict[str, str], count: int) -> float:
    with altus_process(env) as (url, pid):
        client = Http(url)
        create_function(client, "idle", zip_files(IDLE))
        client.call("POST", INVOKE, b"{}")
        time.sleep(1.0)
        before = tree_pss_mb(pid)
        body = json.dumps({"sleep": 1.5}).encode()

        def call(_: int) -> None:
            Http(url).call("POST", INVOKE, body)

        with ThreadPoolExecutor(count + 1) as pool:
            list(pool.map(call, range(count + 1)))
        time.sleep(1.0)  # idle (and, on linux, frozen); blanks refilled
        after = tree_pss_mb(pid)
    return (after - before) / count


def bare_interpreters_mb(count: int) -> float:
    processes = [subprocess.Popen([sys.executable, "-S", "-c", "import time; time.sleep(600)"])
                 for _ in range(count)]
    try:
        time.sleep(1.0)
        return sum(pss_kb(p.pid) for p in processes) / 1024 / count
    finally:
        for process in processes:
            process.kill()
            process.wait()


def forks_mb(count: int) -> float:
    bootstrap = Path(__file__).resolve().parent.parent / "src/altus/runtimes/python/bootstrap.py"
    parent = subprocess.Popen([sys.executable, "-S", "-c", FORKS, str(bootstrap), str(count)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        children = [int(p) for p in parent.stdout.readline().split()]
        time.sleep(1.0)
        return sum(pss_kb(p) for p in children) / 1024 / count
    finally:
        parent.kill()
        parent.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--environments", type=int, default=32)
    args = parser.parse_args()
    n = args.environments
    rows = [("idle bare interpreter (`python3 -S`, sleeping)", bare_interpreters_mb(n)),
            ("idle fork of an interpreter with the runtime client imported", forks_mb(n))]
    for name, env in BACKENDS:
        rows.append((f"idle warm Altus environment ({name}, hello world)",
                     environments_mb(env, n)))
    print(f"## Density: PSS of {n} idle processes or environments\n")
    print("| what | PSS each (MB) | fit in 8 GB |")
    print("|---|---:|---:|")
    for name, mb in rows:
        print(f"| {name} | {mb:.2f} | {int(BUDGET_MB / mb) if mb > 0 else 0} |")


if __name__ == "__main__":
    main()

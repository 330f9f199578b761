"""Density: the memory (PSS) of N idle warm environments, and how many fit in 8 GB, per
sandbox backend, for hello world and for a handler that imports boto3; next to N idle
bare interpreters, N idle forks of an interpreter with the runtime client imported, and
N idle interpreters with boto3 imported, measured in the same run.

    .venv/bin/python bench/density.py [--environments 32]

PSS (proportional set size) charges each shared page to its sharers in proportion, so
forked environments that share the zygote's pages are not counted N times. An
environment's cost is the growth of the whole server process tree (server, zygotes,
keepers, inits, runtimes, environments started ahead of need) from one warm environment
to N + 1, divided by N. For boto3 on the linux sandbox with function zygotes, the
function's zygote is started before the first reading, so the N environments are its
forks.
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

from common import Http, altus_process, create_function, heavy_package

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from altus.packaging import zip_files

IDLE = {
    "app.py": (
        "import time\n"
        "def handler(event, context):\n"
        "    time.sleep(event.get('sleep', 0))\n"
        "    return 'ok'\n"
    )
}
BOTO3 = (
    "import time, boto3\n"
    "def handler(event, context):\n"
    "    time.sleep(event.get('sleep', 0))\n"
    "    return 'ok'\n"
)
INVOKE = "/2015-03-31/functions/idle/invocations"
#: (label, server settings, whether the boto3 environments come from a function zygote)
BACKENDS = [
    ("linux, function zygotes", {"ALTUS_SANDBOX": "linux"}, True),
    (
        "linux, runtime zygotes only",
        {"ALTUS_SANDBOX": "linux", "ALTUS_SANDBOX_FUNCTION_ZYGOTES": "0"},
        False,
    ),
    ("process", {"ALTUS_SANDBOX": "process"}, False),
]
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


def environments_mb(
    env: dict[str, str], count: int, package: bytes, function_zygote: bool = False
) -> float:
    with altus_process(env) as (url, pid):
        client = Http(url)
        create_function(client, "idle", package, MemorySize=512, Timeout=60)
        client.call("POST", INVOKE, b"{}")
        for _ in range(3000 if function_zygote else 0):
            _, _, data = client.call("GET", "/_altus/health")
            if any("function" in z for z in json.loads(data)["zygotes"]):
                break
            time.sleep(0.01)
        time.sleep(1.0)
        before, started = tree_pss_mb(pid), environments(url)
        # Each call holds an environment long enough for all of them to be cold starts
        # at once, even with boto3 imported at 512 MB's share of a CPU.
        body = json.dumps({"sleep": 8.0}).encode()

        def call(_: int) -> None:
            Http(url).call("POST", INVOKE, body)

        with ThreadPoolExecutor(count) as pool:
            list(pool.map(call, range(count)))
        time.sleep(1.0)  # idle (and, on linux, frozen); blanks refilled
        after, added = tree_pss_mb(pid), environments(url) - started
    if added < count // 2:
        raise RuntimeError(f"only {added} of {count} environments started")
    return (after - before) / added


def environments(url: str) -> int:
    _, _, data = Http(url).call("GET", "/_altus/health")  # a fresh connection: idle ones close
    count: int = json.loads(data)["environments"]
    return count


def interpreters_mb(count: int, code: str, *flags: str, settle: float = 1.0) -> float:
    """PSS of ``count`` idle interpreters that ran ``code`` (which then sleeps)."""
    processes = [subprocess.Popen([sys.executable, *flags, "-c", code]) for _ in range(count)]
    try:
        time.sleep(settle)
        return sum(pss_kb(p.pid) for p in processes) / 1024 / count
    finally:
        for process in processes:
            process.kill()
            process.wait()


def forks_mb(count: int) -> float:
    bootstrap = Path(__file__).resolve().parent.parent / "src/altus/runtimes/python/bootstrap.py"
    parent = subprocess.Popen(
        [sys.executable, "-S", "-c", FORKS, str(bootstrap), str(count)],
        stdout=subprocess.PIPE,
        text=True,
    )
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
    rows = [
        (
            "idle bare interpreter (`python3 -S`, sleeping)",
            interpreters_mb(n, "import time; time.sleep(600)", "-S"),
        ),
        ("idle fork of an interpreter with the runtime client imported", forks_mb(n)),
    ]
    for name, env, _ in BACKENDS:
        rows.append(
            (
                f"idle warm Altus environment ({name}, hello world)",
                environments_mb(env, n, zip_files(IDLE)),
            )
        )
    rows.append(
        (
            "idle interpreter with boto3 imported (`python3 -c 'import boto3'`)",
            interpreters_mb(n, "import time, boto3; time.sleep(600)", settle=3.0),
        )
    )
    boto3_package = heavy_package(BOTO3)
    for name, env, function_zygote in BACKENDS:
        rows.append(
            (
                f"idle warm Altus environment ({name}, boto3 imported)",
                environments_mb(env, n, boto3_package, function_zygote),
            )
        )
    print(f"## Density: PSS of {n} idle processes or environments\n")
    print("| what | PSS each (MB) | fit in 8 GB |")
    print("|---|---:|---:|")
    for name, mb in rows:
        print(f"| {name} | {mb:.2f} | {int(BUDGET_MB / mb) if mb > 0 else 0} |")


if __name__ == "__main__":
    main()

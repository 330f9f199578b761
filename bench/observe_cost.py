"""What seeing costs on the warm path: the server's CPU per warm invoke with metrics,
metering and recording on (the default), with recording off, and in a revision before
any of them (``--baseline REV``), measured in the same run, rounds interleaved.

    .venv/bin/python bench/observe_cost.py --baseline 92be185 [--requests 4000] [--rounds 8]

CPU is the server process's (user + system, every thread, from ``/proc``): where the
invocation hooks run and where the metrics, usage and recordings are written. The
function's own process does the same work in every variant and is left out, so the
ratio is of the part metering can change (the whole warm path, runtime included, is
larger: the true share is smaller than shown). The machine's noise moves a round by
more than the effect measured, so rounds are many and short, and both the median and
the least of them (the least disturbed) are shown. Requests are sequential Invoke calls on
one keep-alive connection (hello world, 1,769 MB), long enough for several metrics
flushes (every 5 s by default) and recording bursts, so their writes are counted too.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Http, altus_process, create_function, revision
from server_cpu import HELLO, INVOKE, per_request

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from altus.packaging import zip_files


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--baseline", required=True, help="a git revision before metering")
    parser.add_argument("--sandbox", default="process", choices=["process", "linux"])
    args = parser.parse_args()
    common = {"ALTUS_SANDBOX": args.sandbox}
    with contextlib.ExitStack() as stack:
        variants: list[tuple[str, dict[str, str]]] = [
            (
                f"baseline {args.baseline} (none of them)",
                stack.enter_context(revision(args.baseline)),
            ),
            ("metrics + metering + tracing, recording off", {"ALTUS_RECORD_INVOCATIONS": "false"}),
            ("metrics + metering + tracing + recording (default)", {}),
        ]
        cpu: dict[str, list[float]] = {name: [] for name, _ in variants}
        rate: dict[str, list[float]] = {name: [] for name, _ in variants}
        for _ in range(args.rounds):
            for name, env in variants:
                with altus_process({**common, **env}) as (url, pid):
                    client = Http(url)
                    create_function(client, "hello", zip_files(HELLO), MemorySize=1769)
                    figures = per_request(pid, client, "POST", INVOKE, args.requests)
                    cpu[name].append(figures["user"] + figures["system"])
                    rate[name].append(figures["rate"])
    base = statistics.median(cpu[variants[0][0]])
    least = min(cpu[variants[0][0]])
    print(
        "| variant | server CPU per invoke (µs): median of rounds | vs baseline | "
        "least of rounds | vs baseline | invokes/s |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for name, _ in variants:
        value, low = statistics.median(cpu[name]), min(cpu[name])
        print(
            f"| {name} | {value:.0f} | {value / base:.3f} | {low:.0f} | {low / least:.3f} | "
            f"{statistics.median(rate[name]):.0f} |"
        )


if __name__ == "__main__":
    main()

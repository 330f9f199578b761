"""``altus tune``: power tuning on a running server (``POST /_altus/tunings``).

Starts the job, shows each memory size as it is measured, prints the results table and
the best sizes for cost, speed and balanced, and writes the chart beside you
(``tune-<function>-<id>.html`` and ``.svg``, or in ``--out``). The job runs on the
server: if this command is interrupted it goes on, and the console shows it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from altus.cli.client import AltusClient, CliError

ClientCommand = Callable[[str, str], argparse.ArgumentParser]

#: How often the job is polled for progress.
POLL_SECONDS = 0.25


def add_commands(client_command: ClientCommand) -> None:
    tune = client_command(
        "tune", "run a function at several memory sizes; report duration, cost, best sizes"
    )
    tune.add_argument("function", help="the function's name or ARN")
    tune.add_argument(
        "--memory",
        required=True,
        help="memory sizes in MB, comma-separated: 128,256,512,1024,1769,3008",
    )
    tune.add_argument("--payload", default="{}", help="the event: JSON, or @file to read it")
    tune.add_argument("--runs", type=int, default=10, help="invokes per size (default 10)")
    tune.add_argument("--qualifier", help="a version or alias to tune (default $LATEST)")
    tune.add_argument("--parallel", action="store_true", help="run each size's invokes at once")
    tune.add_argument("--out", default=".", help="where the chart files go (default: here)")
    tune.add_argument("--json", action="store_true", help="print the job as JSON")
    tune.set_defaults(func=_tune)


def _sizes(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise CliError(f"--memory must be MB values separated by commas: {text}") from None


def _payload(text: str) -> str:
    if text.startswith("@"):
        try:
            return Path(text[1:]).read_text()
        except OSError as error:
            raise CliError(f"cannot read the payload file {text[1:]}: {error}") from None
    return text


def _tune(args: argparse.Namespace) -> int:
    client = AltusClient(args.endpoint)
    body: dict[str, Any] = {
        "FunctionName": args.function,
        "MemorySizes": _sizes(args.memory),
        "Payload": _payload(args.payload),
        "Runs": args.runs,
        "Parallel": args.parallel,
    }
    if args.qualifier:
        body["Qualifier"] = args.qualifier
    started = client.request("POST", "/_altus/tunings", json_body=body).json()
    tuning_id = started["TuningId"]
    print(f"tuning {tuning_id} started on the server", file=sys.stderr)
    tuning = _follow(client, tuning_id)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"tune-{tuning['FunctionName']}-{tuning_id}"
    written = []
    for kind in ("html", "svg"):
        chart = client.request("GET", f"/_altus/tunings/{tuning_id}/chart.{kind}").text
        path = stem.with_suffix(f".{kind}")
        path.write_text(chart)
        written.append(str(path))
    if args.json:
        print(json.dumps(tuning, indent=2))
    else:
        _report(tuning)
        print(f"chart: {written[0]} (and {written[1]})")
    return 0 if tuning["Status"] == "SUCCEEDED" else 1


def _follow(client: AltusClient, tuning_id: str) -> dict[str, Any]:
    """Poll the job until it ends, telling of each size as it is measured."""
    shown = 0
    while True:
        tuning: dict[str, Any] = client.request("GET", f"/_altus/tunings/{tuning_id}").json()
        results = tuning["Results"]
        for number, result in enumerate(results[shown:], start=shown + 1):
            failing = f", {result['Errors']} errors" if result["Errors"] else ""
            print(
                f"  {result['MemorySize']} MB measured "
                f"({number}/{len(tuning['MemorySizes'])}){failing}",
                file=sys.stderr,
            )
        shown = len(results)
        if tuning["Status"] != "RUNNING":
            return tuning
        time.sleep(POLL_SECONDS)


def _number(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _report(tuning: dict[str, Any]) -> None:
    rows = [("MEMORY", "RUNS", "ERRORS", "P50 MS", "P95 MS", "BILLED MS", "INIT MS", "$/MILLION")]
    for r in tuning["Results"]:
        rows.append(
            (
                f"{r['MemorySize']} MB",
                str(r["Runs"]),
                str(r["Errors"]) + (" (failing)" if r["Errors"] else ""),
                _number(r["P50Ms"]),
                _number(r["P95Ms"]),
                _number(r["AverageBilledMs"]),
                _number(r["InitDurationMs"]),
                _number(r["CostPerMillion"], 4),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))
    if tuning["Status"] != "SUCCEEDED":
        print(f"tuning {tuning['Status']}: {tuning.get('Error', '')}")
        return
    best = tuning["Best"]
    for label, key in (("cost", "Cost"), ("speed (P50)", "Speed"), ("balanced", "Balanced")):
        value = best[key]
        print(f"best for {label}: {'none (every size failed)' if value is None else f'{value} MB'}")

"""The parts of what seeing costs a warm invoke, each measured alone in this process
(CPU time, so the machine's noise moves them little): the invocation hooks with and
without metrics, metering, recording and tracing; Lambda's metrics flushed into the
CloudWatch store; recordings written to their SQLite store. ``observe_cost.py`` measures
the whole server; this says where its difference goes.

    .venv/bin/python bench/observe_parts.py [--invocations 60000] [--baseline-store REV]

``--baseline-store`` measures the recordings store of an earlier revision alongside
today's, rounds interleaved.

The invocations are hello world's: a small event and result and the three platform log
lines, one function at $LATEST, as the server bench runs them, arriving at 1,500 a
second (what the server bench sustains): metrics are flushed every 5 s of that time
(7,500 invocations a flush) and recordings written in bursts of 500.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path
from types import ModuleType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from altus.awslambda.lambda_metrics import LambdaMetrics
from altus.awslambda.metering import Meter
from altus.awslambda.metrics import InvocationCounters
from altus.awslambda.recording import Recorder, capture
from altus.awslambda.sql_recording_store import SCHEMA as RECORDINGS
from altus.awslambda.sql_recording_store import SqlRecordingStore
from altus.awslambda.tracing import PlatformSegments
from altus.cloudwatch.rollups import plan
from altus.cloudwatch.sql_store import SCHEMA as METRICS
from altus.cloudwatch.sql_store import SqlMetricStore
from altus.engine.concurrency import Concurrency
from altus.engine.hooks import Hooks
from altus.engine.results import InvokeInput, InvokeResult, Usage
from altus.observe.logs import LogEvent
from altus.observe.trace_header import unsampled
from altus.store.backends.sqlite import SqliteDatabase

ROOT = Path(__file__).resolve().parent.parent
ARN = "arn:aws:lambda:us-east-1:000000000000:function:hello"
RATE = 1500
FLUSH_SECONDS = 5


class Config:
    """The FunctionConfig fields the hooks read."""

    name = "hello"
    version = "$LATEST"
    architectures = ("x86_64",)
    memory_size = 1769
    ephemeral_storage = 512


class NoStore:
    async def add(self, *args: Any) -> None:
        """Written elsewhere: the hooks alone are measured."""


def invocation(n: int) -> tuple[InvokeInput, InvokeResult]:
    request_id = f"5e1b4151-5ac6-4c8f-b5da-a4a6{n:08d}"
    log = [
        LogEvent(0, f"START RequestId: {request_id} Version: $LATEST"),
        LogEvent(0, f"END RequestId: {request_id}"),
        LogEvent(
            0,
            f"REPORT RequestId: {request_id}\tDuration: 1.23 ms\tBilled Duration: 2 ms\t"
            "Memory Size: 1769 MB\tMax Memory Used: 40 MB",
        ),
    ]
    given = InvokeInput(request_id, b'{"k":1}', ARN, trace_id=unsampled())
    result = InvokeResult(
        request_id,
        b'{"hello": "world"}',
        "$LATEST",
        None,
        None,
        None,
        usage=Usage(1.23 + n % 7, 2, 1769, 40),
        log=log,
        log_bytes=sum(len(e.message) for e in log) + 128 * len(log),
    )
    return given, result


def hooks_cost(hooks: Hooks, recorder: Recorder | None, count: int) -> float:
    """Microseconds of CPU a warm invoke spends in ``hooks`` (admit and finish)."""
    made = [invocation(n) for n in range(1000)]
    config: Any = Config()

    def run() -> None:
        for given, result in made:
            hooks.admitted(config, given.request_id)
            hooks.finished(config, given, result)
        if recorder is not None:  # what the writer would take away
            recorder.bursts._queued.clear()
            recorder.bursts.held = recorder.bursts.held_bytes = 0

    rounds = max(1, count // len(made))
    best = min(timeit.repeat(run, number=rounds, repeat=5))
    return best / (rounds * len(made)) * 1e6


def metrics_flush_cost(folder: Path, count: int) -> float:
    """Microseconds of CPU per invoke of draining Lambda's metrics and writing them."""
    database = SqliteDatabase(folder / "metrics.db", durable=False)
    database.migrate((METRICS,))
    store = SqlMetricStore(database)
    now = [1_765_000_000.0]
    source = LambdaMetrics(Concurrency(1000), lambda name, qualifier: 0, clock=lambda: now[0])
    config: Any = Config()
    made = [invocation(n) for n in range(RATE)]

    async def run() -> float:
        spent = 0.0
        for _ in range(count // (RATE * FLUSH_SECONDS)):
            for _ in range(FLUSH_SECONDS):
                for given, result in made:
                    source.admitted(config, given.request_id)
                    source.finished(config, given, result)
                now[0] += 1
            started = time.process_time()  # every thread: the database's too
            drained = list(source.drain())
            await store.add(plan(drained, int(now[0])), int(now[0]))
            spent += time.process_time() - started
        return spent

    spent = asyncio.run(run())
    database.close()
    return spent / count * 1e6


def store_of(rev: str) -> ModuleType:
    """The recordings' SQL store module as it was in git revision ``rev``."""
    source = subprocess.run(
        ["git", "show", f"{rev}:src/altus/awslambda/sql_recording_store.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    module = ModuleType(f"sql_recording_store_{rev}")
    exec(compile(source, f"{rev}:sql_recording_store.py", "exec"), module.__dict__)
    return module


def recording_write_cost(folder: Path, count: int, module: Any = None) -> float:
    """Microseconds of CPU per invoke of capturing and writing recordings in bursts (with
    the store of ``module``, else today's), in a database of its own."""
    schema = RECORDINGS if module is None else module.SCHEMA
    made_store = SqlRecordingStore if module is None else module.SqlRecordingStore
    database = SqliteDatabase(Path(tempfile.mkdtemp(dir=folder)) / "recordings.db", durable=False)
    database.migrate((schema,))
    store = made_store(database)
    made = [invocation(n) for n in range(500)]

    async def run() -> float:
        spent = 0.0
        for _ in range(count // len(made)):
            started = time.process_time()
            await store.add([capture("hello", given, result) for given, result in made])
            spent += time.process_time() - started
        return spent

    spent = asyncio.run(run())
    database.close()
    return spent / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invocations", type=int, default=60000)
    parser.add_argument("--rounds", type=int, default=5, help="rounds of recording writes")
    parser.add_argument(
        "--baseline-store", help="a git revision whose recordings store to measure alongside"
    )
    args = parser.parse_args()
    count = args.invocations
    concurrency = Concurrency(1000)
    recorder = Recorder(NoStore(), retention_seconds=3600, max_bytes=1 << 30)  # type: ignore[arg-type]
    seeing: list[Any] = [
        Meter(NoStore(), list, FLUSH_SECONDS),  # type: ignore[arg-type]
        LambdaMetrics(concurrency, lambda name, qualifier: 0),
        PlatformSegments(object()),  # type: ignore[arg-type]
    ]
    before = hooks_cost(Hooks([InvocationCounters()]), None, count)
    observing = hooks_cost(Hooks([InvocationCounters(), *seeing]), None, count)
    everything = hooks_cost(Hooks([InvocationCounters(), *seeing, recorder]), recorder, count)
    with tempfile.TemporaryDirectory(prefix="altus-parts-") as folder:
        flush = metrics_flush_cost(Path(folder), count)
        # Rounds interleaved with the baseline's store: the least of each (the writes'
        # CPU moves by a fifth between runs here, with WAL checkpoints and the cache).
        old = store_of(args.baseline_store) if args.baseline_store else None
        written_rounds: list[float] = []
        old_rounds: list[float] = []
        for _ in range(args.rounds):
            written_rounds.append(recording_write_cost(Path(folder), count))
            if old is not None:
                old_rounds.append(recording_write_cost(Path(folder), count, old))
        written = min(written_rounds)
    rows = [
        ("hooks before issue 22 (Prometheus counters)", before),
        ("hooks: + metrics, metering, tracing", observing - before),
        ("hooks: + recording (queueing a reference)", everything - observing),
        ("Lambda's metrics drained and written (per invoke)", flush),
        ("recordings captured and written, bursts of 500 (per invoke)", written),
    ]
    print("| part | CPU per warm invoke (µs) |")
    print("|---|---:|")
    for name, value in rows:
        print(f"| {name} | {value:.2f} |")
    added = observing - before + flush
    print(f"| metrics + metering + tracing in all | {added:.2f} |")
    print(f"| recording in all | {everything - observing + written:.2f} |")
    if old_rounds:
        print(
            f"| recordings written by {args.baseline_store}'s store, for comparison "
            f"| {min(old_rounds):.2f} |"
        )


if __name__ == "__main__":
    main()

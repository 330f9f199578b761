"""Step Functions on a real ``altus up``: state transitions per second for a chain of 100
Pass states (STANDARD, durable; EXPRESS through StartSyncExecution and through an
asynchronous StartExecution), and a Map of 1,000 Lambda tasks end to end, each next to a
baseline measured in the same run.

    .venv/bin/python bench/stepfunctions.py [--rounds 5] [--executions 10]
        [--items 1000] [--max-concurrency 0] [--postgres postgresql://user@host:port/db]

One ``altus up`` (the process sandbox, the default SQLite store in its data directory,
so every journal append is a durable commit); with ``--postgres``, a second one on a
fresh database made there (and dropped after), measured in the same rounds. The client
is boto3 (``Config(inject_host_prefix=False)``, so StartSyncExecution goes to the
endpoint, not to ``sync-<endpoint>``), one client per thread.

A transition is a state entered (a ``*StateEntered`` event): 100 per chain execution,
1 + items per Map execution (the Map state and each iteration's Task). Each round runs:

- The baselines. The interpreter alone: the same chain run ``--executions`` times in this
  process by ``altus.asl``'s interpreter on its in-memory journal (no HTTP, no store).
  SQLite: one-row INSERT transactions on a WAL file in the same temporary directory with
  ``synchronous=FULL``, as the store's writer commits (what one durable append costs).
  Direct invokes: the Map's function invoked ``--items`` times through the Invoke API
  from as many keep-alive connections at once as the Map runs iterations (40 for
  MaxConcurrency 0, Altus's and AWS's inline limit; else its value), each connection
  invoking again as soon as it is answered.
- STANDARD chain, one at a time: ``--executions`` executions, each started when the one
  before has closed (DescribeExecution every 10 ms); and the same number at once, from as
  many threads. Wall time is the server's: the last ``stopDate`` less the first
  ``startDate``.
- EXPRESS chain, StartSyncExecution: one at a time from one thread, and as many at once
  from as many threads; wall time is the client's, from the first call to the last answer.
- EXPRESS chain, asynchronous StartExecution: an Express execution is not stored, so the
  chain ends in a 101st state, an ``sqs:sendMessage`` Task to a queue of the bench's,
  whose messages' ``SentTimestamp`` says when each ended; wall time runs from just before
  the first StartExecution to the last of those. The same 101-state machine through
  StartSyncExecution (one at a time) is in the table too, so the marker's cost is seen.
- The Map: one STANDARD execution whose Map state runs an ``arn:aws:states:::lambda:invoke``
  Task per item (a no-op Python function, 1,769 MB, warmed to as many environments as
  the Map runs at once before the first round); wall time from its ``startDate`` to its
  ``stopDate``.

Transitions/s is the transitions over the wall time; executions/s the executions over it.
The figures are the medians of the rounds. "vs baseline" is the row's rate over its
baseline's (transitions/s over the interpreter alone's for the chains; invokes/s over the
direct invokes' for the Map), taken within each round; its median and range are shown.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROLE, Http, altus_process, create_function, postgres_database

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
import boto3
from botocore.config import Config

from altus.asl.host import ExecutionInfo
from altus.asl.interpreter import run_execution
from altus.asl.memory import MemoryHost
from altus.clock import SystemClock
from altus.packaging import zip_files

NOOP = {"app.py": "def handler(event, context):\n    return event\n"}
REGION = "us-east-1"
CHAIN = 100
#: Inline Map's concurrency for MaxConcurrency 0 (AWS's practice, and Altus's).
INLINE_LIMIT = 40


def chain(length: int, tail: dict[str, Any] | None = None) -> dict[str, Any]:
    """``length`` Pass states one after another (and ``tail`` as the last state)."""
    states: dict[str, Any] = {}
    for index in range(length):
        last = index == length - 1 and tail is None
        states[f"S{index}"] = {
            "Type": "Pass",
            **({"End": True} if last else {"Next": f"S{index + 1}"}),
        }
    if tail is not None:
        states[f"S{length}"] = {**tail, "End": True}
    return {"StartAt": "S0", "States": states}


def map_of(function_arn: str, max_concurrency: int) -> dict[str, Any]:
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": function_arn, "Payload.$": "$"},
        "ResultSelector": {"r.$": "$.Payload"},
        "End": True,
    }
    return {
        "StartAt": "Fan",
        "States": {
            "Fan": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": max_concurrency,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "Call",
                    "States": {"Call": task},
                },
                "End": True,
            }
        },
    }


class Clients:
    """boto3 clients of one server, one set per thread (boto3 clients are made once)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._local = threading.local()

    def __call__(self, service: str) -> Any:
        made = self._local.__dict__.setdefault("made", {})
        if service not in made:
            made[service] = boto3.client(
                service,
                endpoint_url=self.url,
                region_name=REGION,
                aws_access_key_id="bench",
                aws_secret_access_key="bench",
                config=Config(
                    inject_host_prefix=False,
                    retries={"total_max_attempts": 1},
                    max_pool_connections=64,
                ),
            )
        return made[service]


class Server:
    """One ``altus up`` with the bench's function, queue and state machines."""

    def __init__(self, url: str, pid: int, label: str, items: int, concurrency: int) -> None:
        self.url, self.pid, self.label = url, pid, label
        self.clients = Clients(url)
        sfn, lam, sqs = self.clients("stepfunctions"), self.clients("lambda"), self.clients("sqs")
        create_function(Http(url), "noop", zip_files(NOOP), MemorySize=1769)
        function_arn = lam.get_function(FunctionName="noop")["Configuration"]["FunctionArn"]
        self.queue = sqs.create_queue(QueueName="sfn-bench-done")["QueueUrl"]
        marker = {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage",
            "Parameters": {"QueueUrl": self.queue, "MessageBody.$": "$"},
        }

        def machine(name: str, definition: dict[str, Any], kind: str) -> str:
            made = sfn.create_state_machine(
                name=name, definition=json.dumps(definition), roleArn=ROLE, type=kind
            )
            return str(made["stateMachineArn"])

        self.standard = machine("chain-standard", chain(CHAIN), "STANDARD")
        self.express = machine("chain-express", chain(CHAIN), "EXPRESS")
        self.marked = machine("chain-express-marked", chain(CHAIN, marker), "EXPRESS")
        self.map = machine("map", map_of(function_arn, concurrency), "STANDARD")
        self.map_input = json.dumps({"items": list(range(items))})


# --- the baselines ---------------------------------------------------------------------------


def interpreter_alone(executions: int) -> float:
    """Transitions/s of the chain run by the interpreter in this process, in memory."""
    definition = chain(CHAIN)
    clock = SystemClock()

    async def all_of() -> None:
        for index in range(executions):
            info = ExecutionInfo(
                arn=f"arn:aws:states:{REGION}:000000000000:execution:m:{index}",
                name=str(index),
                state_machine_arn=f"arn:aws:states:{REGION}:000000000000:stateMachine:m",
                state_machine_name="m",
                role_arn=ROLE,
                start_time=clock.now(),
                input={"n": index},
            )
            outcome = await run_execution(definition, info, MemoryHost(clock))
            assert outcome.status == "SUCCEEDED", outcome

    started = time.perf_counter()
    asyncio.run(all_of())
    return CHAIN * executions / (time.perf_counter() - started)


def sqlite_commits(folder: str, count: int) -> float:
    """Durable one-row transactions per second, as the store's writer makes them."""
    path = Path(folder) / f"commits-{uuid.uuid4().hex}.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)")
    started = time.perf_counter()
    for index in range(count):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t VALUES (?, ?)", (index, '{"name":"S0","input":"{}"}'))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{path}{suffix}")
    return count / elapsed


async def _invoker(url: str, count: list[int]) -> None:
    """One keep-alive connection invoking ``noop`` until ``count`` is used up."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    body = b"1"
    head = (
        f"POST /2015-03-31/functions/noop/invocations HTTP/1.1\r\nHost: {host}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    try:
        while count[0] > 0:
            count[0] -= 1
            writer.write(head + body)
            answer = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in answer.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            payload = await reader.readexactly(length)
            if not answer.startswith(b"HTTP/1.1 200") or b"errorType" in payload:
                raise RuntimeError(f"Invoke answered {answer!r} {payload!r}")
    finally:
        writer.close()


def direct_invokes(url: str, count: int, connections: int) -> float:
    """Wall seconds of ``count`` Invokes from ``connections`` connections at once."""

    async def all_of() -> None:
        left = [count]
        await asyncio.gather(*(_invoker(url, left) for _ in range(connections)))

    started = time.perf_counter()
    asyncio.run(all_of())
    return time.perf_counter() - started


# --- the workloads ----------------------------------------------------------------------------


def _closed(sfn: Any, arn: str) -> dict[str, Any]:
    for _ in range(600_000):  # DescribeExecution every 10 ms until it closes
        described: dict[str, Any] = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            if described["status"] != "SUCCEEDED":
                raise RuntimeError(f"{arn} ended {described['status']}: {described}")
            return described
        time.sleep(0.01)
    raise RuntimeError(f"{arn} never closed")


def _server_wall(described: list[dict[str, Any]]) -> float:
    first = min(float(d["startDate"].timestamp()) for d in described)
    last = max(float(d["stopDate"].timestamp()) for d in described)
    return last - first


def standard(server: Server, machine: str, given: str, count: int, at_once: bool) -> float:
    """Server wall seconds of ``count`` executions, one at a time or all at once."""

    def one(_: int) -> dict[str, Any]:
        sfn = server.clients("stepfunctions")
        arn = sfn.start_execution(stateMachineArn=machine, input=given)["executionArn"]
        return _closed(sfn, arn)

    if not at_once:
        return _server_wall([one(index) for index in range(count)])
    with ThreadPoolExecutor(count) as pool:
        return _server_wall(list(pool.map(one, range(count))))


def express_sync(server: Server, machine: str, count: int, at_once: bool) -> float:
    """Client wall seconds of ``count`` StartSyncExecution calls."""

    def one(index: int) -> None:
        done = server.clients("stepfunctions").start_sync_execution(
            stateMachineArn=machine, input=json.dumps({"n": index})
        )
        if done["status"] != "SUCCEEDED":
            raise RuntimeError(f"StartSyncExecution ended {done['status']}: {done}")

    with ThreadPoolExecutor(count if at_once else 1) as pool:
        list(pool.map(one, range(count)))  # the threads' clients are made before the clock
        started = time.perf_counter()
        list(pool.map(one, range(count)))
        return time.perf_counter() - started


def express_async(server: Server, count: int) -> float:
    """Wall seconds from the first StartExecution to the last marker message sent."""
    sfn, sqs = server.clients("stepfunctions"), server.clients("sqs")
    run = uuid.uuid4().hex  # the markers of this call (the synchronous rows' are there too)
    started = time.time()
    for index in range(count):
        given = json.dumps({"run": run, "n": index})
        sfn.start_execution(stateMachineArn=server.marked, input=given)
    last, seen = 0.0, 0
    deadline = time.monotonic() + 600
    while seen < count and time.monotonic() < deadline:
        got = sqs.receive_message(
            QueueUrl=server.queue,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=1,
            AttributeNames=["SentTimestamp"],
        ).get("Messages", [])
        for message in got:
            if json.loads(message["Body"]).get("run") == run:
                last = max(last, int(message["Attributes"]["SentTimestamp"]) / 1000)
                seen += 1
        if got:
            entries = [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)
            ]
            sqs.delete_message_batch(QueueUrl=server.queue, Entries=entries)
    if seen < count:
        raise RuntimeError(f"only {seen} of {count} express executions ended")
    return last - started


def the_map(server: Server) -> tuple[float, int]:
    """Server wall seconds of one Map execution, and its history's length."""
    sfn = server.clients("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=server.map, input=server.map_input)["executionArn"]
    described = _closed(sfn, arn)
    return _server_wall([described]), history_length(sfn, arn)


def history_length(sfn: Any, arn: str) -> int:
    pages = sfn.get_paginator("get_execution_history").paginate(
        executionArn=arn, PaginationConfig={"PageSize": 1000}
    )
    return sum(len(page["events"]) for page in pages)


# --- the run --------------------------------------------------------------------------------


Row = dict[str, float]


def measure(
    servers: list[Server], args: argparse.Namespace, folder: str, results: dict[str, list[Row]]
) -> None:
    """One round of every workload on every server, each beside its baseline."""
    n, items, limit = args.executions, args.items, args.limit
    alone = interpreter_alone(n)
    base = {"transitions": alone, "executions": alone / CHAIN}
    commits = sqlite_commits(folder, 500)

    def add(name: str, row: Row) -> None:
        results.setdefault(name, []).append(row)

    add("baseline: the interpreter alone, in memory (chain)", {**base, "wall": CHAIN * n / alone})
    add("baseline: SQLite durable commits/s (WAL, synchronous=FULL)", {"commits": commits})

    def chain_row(name: str, wall: float, count: int, transitions: int = CHAIN) -> None:
        rate = transitions * count / wall
        add(
            name,
            {"transitions": rate, "executions": count / wall, "wall": wall, "ratio": rate / alone},
        )

    for server in servers:
        tag = f"[{server.label}]"
        chain_row(
            f"{tag} STANDARD chain, 1 at a time",
            standard(server, server.standard, "{}", n, False),
            n,
        )
        chain_row(
            f"{tag} STANDARD chain, {n} at once",
            standard(server, server.standard, "{}", n, True),
            n,
        )
        chain_row(
            f"{tag} EXPRESS chain, StartSyncExecution, 1 at a time",
            express_sync(server, server.express, n, False),
            n,
        )
        chain_row(
            f"{tag} EXPRESS chain, StartSyncExecution, {n} at once",
            express_sync(server, server.express, n, True),
            n,
        )
        chain_row(
            f"{tag} EXPRESS chain + SQS marker, StartSyncExecution, 1 at a time",
            express_sync(server, server.marked, n, False),
            n,
            CHAIN + 1,
        )
        chain_row(
            f"{tag} EXPRESS chain + SQS marker, async StartExecution, {n} at once",
            express_async(server, n),
            n,
            CHAIN + 1,
        )
        direct = direct_invokes(server.url, items, limit)
        add(
            f"{tag} baseline: {items} direct Invokes, {limit} connections",
            {
                "executions": items / direct,
                "wall": direct,
                "invokes": items / direct,
            },
        )
        wall, events = the_map(server)
        add(
            f"{tag} Map of {items} Lambda tasks (MaxConcurrency {args.max_concurrency})",
            {
                "transitions": (items + 1) / wall,
                "executions": 1 / wall,
                "wall": wall,
                "invokes": items / wall,
                "ratio": (items / wall) / (items / direct),
                "events": events,
            },
        )


def warm(server: Server, limit: int) -> None:
    """As many environments of ``noop`` as the Map runs at once, and one round of each
    workload untimed (connections, caches, the queue)."""
    direct_invokes(server.url, limit * 4, limit)
    express_sync(server, server.express, 2, False)
    standard(server, server.standard, "{}", 2, False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--executions", type=int, default=10)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--max-concurrency", type=int, default=0)
    parser.add_argument("--postgres", help="also measure on a fresh database of this server")
    args = parser.parse_args()
    args.limit = args.max_concurrency or INLINE_LIMIT
    results: dict[str, list[Row]] = {}
    env = {"ALTUS_SANDBOX": "process"}
    with contextlib.ExitStack() as stack:
        folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="altus-bench-sfn-"))
        url, pid = stack.enter_context(altus_process(env))
        servers = [Server(url, pid, "SQLite", args.items, args.max_concurrency)]
        if args.postgres:
            database = stack.enter_context(postgres_database(args.postgres, "altus_bench_sfn"))
            pg_url, pg_pid = stack.enter_context(altus_process({**env, "ALTUS_STORE": database}))
            servers.append(Server(pg_url, pg_pid, "PostgreSQL", args.items, args.max_concurrency))
        for server in servers:
            warm(server, args.limit)
        for round_ in range(args.rounds):
            measure(servers if round_ % 2 == 0 else servers[::-1], args, folder, results)
            print(f"round {round_ + 1} of {args.rounds} done", file=sys.stderr, flush=True)
    report(results, args)


def report(results: dict[str, list[Row]], args: argparse.Namespace) -> None:
    def median(rows: list[Row], key: str) -> float | None:
        values = [row[key] for row in rows if key in row]
        return statistics.median(values) if values else None

    def shown(value: float | None, digits: int = 0) -> str:
        return "—" if value is None else f"{value:,.{digits}f}"

    print(
        f"sandbox: process; {args.executions} executions a round ({CHAIN} Pass states each), "
        f"Map of {args.items}, {args.rounds} rounds; medians"
    )
    print("| workload | transitions/s | executions/s | wall (s) | vs baseline (lowest-highest) |")
    print("|---|---:|---:|---:|---:|")
    order = sorted(results, key=lambda name: (name.split("]")[0] if "[" in name else "",))
    for name in order:
        rows = results[name]
        if "commits" in rows[0]:
            print(f"| {name} | {shown(median(rows, 'commits'))} commits/s | — | — | — |")
            continue
        ratio = "—"
        if "ratio" in rows[0]:
            ratios = sorted(row["ratio"] for row in rows)
            ratio = f"{statistics.median(ratios):.3f}x ({ratios[0]:.3f}-{ratios[-1]:.3f})"
        executions = median(rows, "executions")
        if "invokes" in rows[0] and "transitions" not in rows[0]:
            label = f"{shown(median(rows, 'invokes'))} invokes/s"
            print(f"| {name} | {label} | — | {shown(median(rows, 'wall'), 3)} | — |")
            continue
        extra = ""
        if "events" in rows[0]:
            extra = (
                f" ({shown(median(rows, 'invokes'))} invokes/s; {int(rows[0]['events'])} events)"
            )
        print(
            f"| {name} | {shown(median(rows, 'transitions'))}{extra} | "
            f"{shown(executions, 2)} | {shown(median(rows, 'wall'), 3)} | {ratio} |"
        )


if __name__ == "__main__":
    main()

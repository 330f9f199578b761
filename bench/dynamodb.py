"""DynamoDB on a real ``altus up``: PutItem, GetItem and Query items per second at
concurrency 1 and 16, next to the built-in queues' SendMessage and ReceiveMessage in the
same run; and Query latency on a large table next to a small one.

    .venv/bin/python bench/dynamodb.py [--rounds 3] [--ops 2000] [--big 1000000]
        [--postgres postgresql://user@host:port/db]

One ``altus up`` (the default SQLite store in its data directory: every write is a
durable commit); with ``--postgres``, a second one on a fresh database made there (and
dropped after). Clients are boto3, one per thread. Each round, at each concurrency
(threads, each calling again as soon as it is answered, ``--ops`` calls in all):

- PutItem of a 200-byte item (a new key each) next to SendMessage of a 200-byte body;
- GetItem of a key put before next to ReceiveMessage of one message (then deleted: the
  queue's read of one item is a receive and a delete);
- Query of one partition of 10 items (items/s) next to ReceiveMessage of up to 10
  messages (messages/s, each batch deleted with DeleteMessageBatch).

"vs queue" is the row's rate over its queue baseline's in the same round (median and
range over the rounds). Then, once: a table of ``--big`` items (loaded with
BatchWriteItem, 25 items a call from 16 threads; the load's rate is reported) and one of
1,000 items with the same layout (100 items per partition key), and the latency of a
Query of one partition (10 items: ``Limit`` 10) on each, one call at a time: p50 and p95
of 500 calls, and their ratio (the large table's over the small one's).
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import boto3
from botocore.config import Config
from common import altus_process, percentile, postgres_database

CONCURRENCY = (1, 16)
BODY = "x" * 200


def client(url: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 0}, max_pool_connections=64),
    )


def run_parallel(
    threads: int, ops: int, work: Callable[[Any, int], int], make: Callable[[], Any]
) -> float:
    """``work(client, i)`` for i in range(ops) from ``threads`` threads (one client
    each); the items it reports over the wall time."""
    clients = [make() for _ in range(threads)]
    counter = iter(range(ops))
    lock = threading.Lock()
    done = [0] * threads

    def worker(slot: int) -> None:
        for _ in range(ops):
            with lock:
                index = next(counter, None)
            if index is None:
                return
            done[slot] += work(clients[slot], index)

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(worker, range(threads)))
    return sum(done) / (time.perf_counter() - start)


def create_table(ddb: Any, name: str) -> None:
    ddb.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.1})


def item(pk: str, sk: int) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"N": str(sk)}, "body": {"S": BODY}}


def load(url: str, table: str, count: int, per_partition: int) -> float:
    """``count`` items in partitions of ``per_partition``, by BatchWriteItem from 16
    threads: items per second."""

    def work(ddb: Any, batch: int) -> int:
        requests = [
            {"PutRequest": {"Item": item(f"p{n // per_partition}", n % per_partition)}}
            for n in range(batch * 25, min(count, batch * 25 + 25))
        ]
        pending: dict[str, Any] = {table: requests}
        for _ in range(100):  # until nothing is left unprocessed
            answer = ddb.batch_write_item(RequestItems=pending)
            pending = answer.get("UnprocessedItems") or {}
            if not pending:
                break
        return len(requests)

    return run_parallel(16, (count + 24) // 25, work, lambda: client(url, "dynamodb"))


def round_of(url: str, ops: int) -> dict[str, float]:
    ddb = client(url, "dynamodb")
    name = f"bench-{uuid.uuid4().hex[:8]}"
    create_table(ddb, name)
    rates: dict[str, float] = {}
    for threads in CONCURRENCY:
        rates.update(at_concurrency(url, name, ops, threads))
    ddb.delete_table(TableName=name)
    return rates


def at_concurrency(url: str, name: str, ops: int, threads: int) -> dict[str, float]:
    """Each workload and its queue baseline with ``threads`` callers."""

    def ddb_make() -> Any:
        return client(url, "dynamodb")

    def sqs_make() -> Any:
        return client(url, "sqs")

    tag = uuid.uuid4().hex[:6]
    sqs = sqs_make()
    queue = sqs.create_queue(QueueName=f"bench-{tag}")["QueueUrl"]

    def put(c: Any, i: int) -> int:
        c.put_item(TableName=name, Item=item(f"{tag}-{i // 10}", i % 10))
        return 1

    def send(c: Any, i: int) -> int:
        c.send_message(QueueUrl=queue, MessageBody=BODY)
        return 1

    def get(c: Any, i: int) -> int:
        key = {"pk": {"S": f"{tag}-{i // 10}"}, "sk": {"N": str(i % 10)}}
        c.get_item(TableName=name, Key=key)
        return 1

    def receive_one(c: Any, i: int) -> int:
        got = c.receive_message(QueueUrl=queue, MaxNumberOfMessages=1).get("Messages", [])
        for message in got:
            c.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
        return len(got)

    def query(c: Any, i: int) -> int:
        found = c.query(
            TableName=name,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": f"{tag}-{(i * 7) % (ops // 10)}"}},
        )
        return int(found["Count"])

    def receive_ten(c: Any, i: int) -> int:
        got = c.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        if got:
            entries = [
                {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(got)
            ]
            c.delete_message_batch(QueueUrl=queue, Entries=entries)
        return len(got)

    rates = {
        f"PutItem x{threads}": run_parallel(threads, ops, put, ddb_make),
        # Twice the messages: half for the one-message receives, half for the batches.
        f"SendMessage x{threads}": run_parallel(threads, 2 * ops, send, sqs_make) / 2,
        f"GetItem x{threads}": run_parallel(threads, ops, get, ddb_make),
        f"ReceiveMessage(1) x{threads}": run_parallel(threads, ops, receive_one, sqs_make),
        f"Query items x{threads}": run_parallel(threads, ops // 10, query, ddb_make),
        f"ReceiveMessage(10) msgs x{threads}": run_parallel(
            threads, ops // 10, receive_ten, sqs_make
        ),
    }
    sqs.delete_queue(QueueUrl=queue)
    return rates


PAIRS = [
    ("PutItem", "SendMessage"),
    ("GetItem", "ReceiveMessage(1)"),
    ("Query items", "ReceiveMessage(10) msgs"),
]


def latency(url: str, table: str, partitions: int, calls: int) -> list[float]:
    ddb = client(url, "dynamodb")
    spent = []
    for i in range(calls):
        key = f"p{(i * 7919) % partitions}"
        start = time.perf_counter()
        ddb.query(
            TableName=table,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": key}},
            Limit=10,
        )
        spent.append((time.perf_counter() - start) * 1000)
    return spent


def report(label: str, url: str, args: argparse.Namespace) -> None:
    rounds = [round_of(url, args.ops) for _ in range(args.rounds)]
    print(f"\n{label}: {args.rounds} rounds of {args.ops} calls; medians")
    print("| workload | items/s | queue baseline | items/s | vs queue (lowest-highest) |")
    print("|---|---:|---|---:|---:|")
    for threads in CONCURRENCY:
        for ours, theirs in PAIRS:
            mine = [r[f"{ours} x{threads}"] for r in rounds]
            base = [r[f"{theirs} x{threads}"] for r in rounds]
            ratios = [m / b for m, b in zip(mine, base, strict=True)]
            print(
                f"| {ours}, {threads} at once | {statistics.median(mine):,.0f} | {theirs} | "
                f"{statistics.median(base):,.0f} | {statistics.median(ratios):.2f}x "
                f"({min(ratios):.2f}-{max(ratios):.2f}) |"
            )
    if args.big:
        ddb = client(url, "dynamodb")
        big, small = f"big-{uuid.uuid4().hex[:6]}", f"small-{uuid.uuid4().hex[:6]}"
        create_table(ddb, big)
        create_table(ddb, small)
        rate = load(url, big, args.big, 100)
        load(url, small, 1000, 100)
        large_ms = latency(url, big, args.big // 100, 500)
        small_ms = latency(url, small, 10, 500)
        print(f"\nloaded {args.big:,} items at {rate:,.0f} items/s (BatchWriteItem, 16 threads)")
        print("| table | Query p50 (ms) | p95 (ms) |")
        print("|---|---:|---:|")
        for name, spent in ((f"{args.big:,} items", large_ms), ("1,000 items", small_ms)):
            print(f"| {name} | {percentile(spent, 0.5):.2f} | {percentile(spent, 0.95):.2f} |")
        print(
            f"p50 ratio (large/small): {percentile(large_ms, 0.5) / percentile(small_ms, 0.5):.2f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ops", type=int, default=2000)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--postgres", help="also measure on a fresh database of this server")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        url, _ = stack.enter_context(altus_process())
        report("SQLite", url, args)
        if args.postgres:
            database = stack.enter_context(postgres_database(args.postgres, "altus_bench_ddb"))
            pg_url, _ = stack.enter_context(altus_process({"ALTUS_STORE": database}))
            report("PostgreSQL", pg_url, args)


if __name__ == "__main__":
    main()

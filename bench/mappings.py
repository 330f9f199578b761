"""Event source mappings on a real ``altus up`` (its default sandbox, the SQLite store):
how fast a mapping drains a queue and a stream into a no-op function, next to the
source's own read throughput in the same run, and how long one record takes from its
send to the start of the function's handler at low load.

    .venv/bin/python bench/mappings.py [--messages 20000] [--records 50000] [--shards 1]
        [--rounds 2] [--consumers 1,4] [--batch-size 100] [--samples 50] [--gap 20]
        [--memory 1769] [--sandbox linux|process] [--skip queue,stream,latency]

Draining. Each round fills the mapped queue (or stream), then enables its mapping (created
disabled), and times from the enable call until the function has been sent every record
(``altus_event_source_mapping_records_invoked`` on ``GET /metrics``, scraped every 20 ms,
every 2 ms for the last tenth), no invocation is running, and, for the queue, every
message is deleted (``ApproximateNumberOfMessages`` and ``...NotVisible`` both 0): the
mapping's drain rate, its start included. Both mappings take ``--batch-size`` records a
batch; the queue's has MaximumBatchingWindowInSeconds 1 (SQS takes more than 10 a batch
only with a window), the stream's starts at TRIM_HORIZON with no window. Earlier in the
same round the same number of records is filled into a queue (a stream) of its own and
read through the source's API by this script, raw HTTP on keep-alive connections (as
``sqs_loadgen.py``): ReceiveMessage (10) + DeleteMessageBatch loops on ``--consumers``
connections; GetShardIterator (TRIM_HORIZON) + GetRecords loops, one connection per
shard, at Limit 100 and 10,000 (GetRecords' most). A round's mapping finds the
function's environments as the last round left them (the first: none).

Latency. One record at a time, ``--gap`` ms apart (``--samples``, after five not
counted): the function's handler notes ``time.time()`` as its first statement and posts
it, with the ids of its records, to a webhook served by this script; the latency is that
time less this script's ``time.time()`` just before it wrote the request (one machine,
one clock). The same function invoked synchronously is measured the same way; for the
queue, a consumer already waiting in ReceiveMessage (WaitTimeSeconds 20) times
SendMessage to message in hand. The sends' own answers are shown from the same samples.
Queue mapping: Lambda's defaults (BatchSize 10, no window); stream mapping: BatchSize
100, no window.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import re
import statistics
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Conn, Http, altus_process, create_function, percentile

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from altus.packaging import zip_files

REGION = "us-east-1"
NOOP = {"app.py": "def handler(event, context):\n    return None\n"}
# The latency function: the handler's first statement notes the time; then it tells the
# webhook which records it got (an SQS body, a Kinesis record's data, or a direct event).
# It reaches the webhook on loopback: the sandbox's network must be the host's (the
# default, not ``sandbox_network = "isolated"``).
TIMED = {
    "app.py": """import base64, json, os, time, urllib.request

URL = os.environ["BENCH_WEBHOOK"]


def handler(event, context):
    started = time.time()
    ids = []
    for record in event.get("Records") or [event]:
        if "body" in record:
            ids.append(record["body"])
        elif "kinesis" in record:
            ids.append(base64.b64decode(record["kinesis"]["data"]).decode())
        else:
            ids.append(record["id"])
    body = json.dumps({"started": started, "ids": ids}).encode()
    urllib.request.urlopen(urllib.request.Request(URL, data=body), timeout=10).read()
"""
}
BODY = "x" * 200
SQS = ("AmazonSQS.", "application/x-amz-json-1.0")
KINESIS = ("Kinesis_20131202.", "application/x-amz-json-1.1")
#: How often the drain's end is looked for (GET /metrics costs the server ~0.7 ms); a
#: tenth of it once 90% of the records are in.
POLL = 0.02
#: No wait in this script is longer (a drain, a state change, a record's arrival).
TIMEOUT = 120.0


# --- the source APIs, raw HTTP ------------------------------------------------------------


async def fill_queue(url: str, queue_url: str, count: int, connections: int = 4) -> None:
    """``count`` messages of 200 bytes, SendMessageBatch of 10 on a few connections."""
    calls = [min(10, count - start) for start in range(0, count, 10)]

    async def sender(conn: Conn, mine: list[int]) -> None:
        for size in mine:
            answer = await conn.call(
                "SendMessageBatch",
                {
                    "QueueUrl": queue_url,
                    "Entries": [{"Id": str(i), "MessageBody": BODY} for i in range(size)],
                },
            )
            if answer.get("Failed"):
                raise RuntimeError(f"SendMessageBatch failed: {answer['Failed']}")
        conn.close()

    await asyncio.gather(
        *(sender(Conn(url, SQS), calls[i::connections]) for i in range(connections))
    )


async def drain_queue(url: str, queue_url: str, count: int, connections: int) -> float:
    """Seconds for ``connections`` consumers looping ReceiveMessage (10) and
    DeleteMessageBatch to delete ``count`` messages."""
    deleted = 0

    async def consumer() -> None:
        nonlocal deleted
        conn = Conn(url, SQS)
        try:
            for _ in range(count + 100):  # bounded: at least one message a call
                if deleted >= count:
                    return
                got = await conn.call(
                    "ReceiveMessage",
                    {"QueueUrl": queue_url, "MaxNumberOfMessages": 10, "VisibilityTimeout": 600},
                )
                messages = got.get("Messages") or []
                if not messages:
                    return  # nothing visible: the rest is with the other consumers
                answer = await conn.call(
                    "DeleteMessageBatch",
                    {
                        "QueueUrl": queue_url,
                        "Entries": [
                            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                            for i, m in enumerate(messages)
                        ],
                    },
                )
                deleted += len(answer.get("Successful") or [])
        finally:
            conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(consumer() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    if deleted != count:
        raise RuntimeError(f"consumers deleted {deleted} of {count} messages")
    return elapsed


async def fill_stream(url: str, stream: str, count: int, connections: int = 2) -> None:
    """``count`` records of 200 bytes, PutRecords of 500, partition keys spread evenly."""
    data = base64.b64encode(BODY.encode()).decode()
    calls = [(start, min(500, count - start)) for start in range(0, count, 500)]

    async def putter(conn: Conn, mine: list[tuple[int, int]]) -> None:
        for start, size in mine:
            answer = await conn.call(
                "PutRecords",
                {
                    "StreamName": stream,
                    "Records": [
                        {"Data": data, "PartitionKey": f"k{start + i}"} for i in range(size)
                    ],
                },
            )
            if answer.get("FailedRecordCount"):
                raise RuntimeError(f"PutRecords failed {answer['FailedRecordCount']} records")
        conn.close()

    await asyncio.gather(
        *(putter(Conn(url, KINESIS), calls[i::connections]) for i in range(connections))
    )


async def drain_stream(url: str, stream: str, shards: list[str], count: int, limit: int) -> float:
    """Seconds for one reader per shard (GetShardIterator at TRIM_HORIZON, then GetRecords
    of ``limit`` until caught up) to read ``count`` records in all."""
    read = 0

    async def reader(shard: str) -> None:
        nonlocal read
        conn = Conn(url, KINESIS)
        try:
            answer = await conn.call(
                "GetShardIterator",
                {"StreamName": stream, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"},
            )
            iterator = answer["ShardIterator"]
            for _ in range(count + 100):  # bounded: at least one record a call until the end
                got = await conn.call("GetRecords", {"ShardIterator": iterator, "Limit": limit})
                read += len(got["Records"])
                iterator = got.get("NextShardIterator")
                if not got["Records"] and got.get("MillisBehindLatest", 0) == 0:
                    return
                if iterator is None:
                    return
        finally:
            conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(reader(shard) for shard in shards))
    elapsed = time.perf_counter() - started
    if read != count:
        raise RuntimeError(f"readers read {read} of {count} records")
    return elapsed


# --- the server's side --------------------------------------------------------------------


def clients(url: str) -> tuple[Any, Any, Any]:
    import boto3

    options: dict[str, Any] = {
        "endpoint_url": url,
        "region_name": REGION,
        "aws_access_key_id": "bench",
        "aws_secret_access_key": "bench",
    }
    return (
        boto3.client("lambda", **options),
        boto3.client("sqs", **options),
        boto3.client("kinesis", **options),
    )


class Metrics:
    """What ``GET /metrics`` shows of a mapping and its function, on one connection."""

    def __init__(self, url: str) -> None:
        self.http = Http(url)

    def read(self, uuid: str, function: str) -> dict[str, float]:
        """The mapping's counters by name (``records_invoked``, ``batches`` ...), and the
        function's ``invocations`` (ended) and ``cold_starts``, and ``in_flight`` (every
        function's invocations running now)."""
        status, _, data = self.http.call("GET", "/metrics")
        if status != 200:
            raise RuntimeError(f"/metrics answered {status}")
        found: dict[str, float] = {}
        for line in data.decode().splitlines():
            match = SAMPLE.match(line)
            if match is None:
                continue
            name, label, value = match.groups()
            if name.startswith("altus_event_source_mapping_") and label == f'mapping="{uuid}"':
                found[name.removeprefix("altus_event_source_mapping_")] = float(value)
            elif name in ("altus_invocations", "altus_cold_starts") and label == (
                f'function="{function}"'
            ):
                found[name.removeprefix("altus_")] = float(value)
            elif name == "altus_invocations_in_flight":
                found["in_flight"] = float(value)
        return found


#: A sample line of the Prometheus text format: name (less ``_total``), labels, value.
SAMPLE = re.compile(r"^(\w+?)(?:_total)?(?:\{(.*)\})? (\S+)$")


def wait_state(lam: Any, uuid: str, state: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if lam.get_event_source_mapping(UUID=uuid)["State"] == state:
            return
        time.sleep(0.01)
    raise RuntimeError(f"mapping {uuid} never became {state}")


def queue_empty(sqs: Any, queue_url: str) -> bool:
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return all(value == "0" for value in attributes.values())


def mapping_round(
    lam: Any,
    url: str,
    uuid: str,
    count: int,
    done: Callable[[], bool] = lambda: True,
) -> dict[str, float]:
    """Enable the mapping, wait until ``count`` more records went to the function, no
    invocation is running and ``done``; disable it. The seconds taken, when the first
    batch was seen, and the counters' increases."""
    metrics = Metrics(url)  # a new connection: the server closes idle ones
    before = metrics.read(uuid, "noop")
    started = time.perf_counter()
    lam.update_event_source_mapping(UUID=uuid, Enabled=True)
    first = 0.0
    deadline = started + TIMEOUT
    while True:
        now = time.perf_counter()
        if now > deadline:
            raise RuntimeError(f"mapping {uuid} did not drain in {TIMEOUT} s")
        seen = metrics.read(uuid, "noop")
        invoked = seen.get("records_invoked", 0.0) - before.get("records_invoked", 0.0)
        if invoked and not first:
            first = now
        if invoked >= count and not seen["in_flight"] and done():
            elapsed = time.perf_counter() - started
            break
        # Finer near the end, where the interval would be the error.
        time.sleep(POLL if invoked < 0.9 * count else POLL / 10)
    lam.update_event_source_mapping(UUID=uuid, Enabled=False)
    wait_state(lam, uuid, "Disabled")
    grown = {key: value - before.get(key, 0.0) for key, value in seen.items()}
    return {**grown, "seconds": elapsed, "start": first - started}


def described(r: dict[str, float], count: int) -> str:
    """The note of a mapping's round."""
    return (
        f"first batch seen after {r['start'] * 1000:.0f} ms; {r['batches']:.0f} batches "
        f"(mean {r['records_invoked'] / max(r['batches'], 1):.1f}), "
        f"{r['invocations']:.0f} invocations, {r['cold_starts']:.0f} cold; "
        f"{r['records_invoked'] - count:.0f} sent twice; "
        f"{r['batch_errors'] + r['throttles']:.0f} errors/throttles"
    )


# --- draining ------------------------------------------------------------------------------


Row = tuple[str, int, float, str]  # what, records, seconds, note


def queue_rows(
    url: str, count: int, rounds: int, consumers: list[int], batch_size: int
) -> list[Row]:
    lam, sqs, _ = clients(url)
    mapped_url = sqs.create_queue(QueueName="mapped")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=mapped_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    uuid = lam.create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName="noop",
        BatchSize=batch_size,
        MaximumBatchingWindowInSeconds=1,
        Enabled=False,
    )["UUID"]
    wait_state(lam, uuid, "Disabled")
    rows: list[Row] = []
    for number in range(1, rounds + 1):
        for level in consumers:
            own = sqs.create_queue(QueueName=f"direct-{number}-{level}")["QueueUrl"]
            asyncio.run(fill_queue(url, own, count))
            seconds = asyncio.run(drain_queue(url, own, count, level))
            rows.append(
                (f"ReceiveMessage (10) + DeleteMessageBatch, {level} conn.", count, seconds, "")
            )
        asyncio.run(fill_queue(url, mapped_url, count))
        r = mapping_round(lam, url, uuid, count, lambda: queue_empty(sqs, mapped_url))
        rows.append(
            (
                f"SQS mapping, BatchSize {batch_size}, window 1 s (round {number})",
                count,
                r["seconds"],
                described(r, count),
            )
        )
    return rows


def stream_rows(url: str, count: int, rounds: int, shards: int, batch_size: int) -> list[Row]:
    lam, _, kinesis = clients(url)

    def stream(name: str) -> tuple[str, list[str]]:
        kinesis.create_stream(StreamName=name, ShardCount=shards)
        found = kinesis.list_shards(StreamName=name)["Shards"]
        arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
            "StreamARN"
        ]
        return arn, [shard["ShardId"] for shard in found]

    arn, _ = stream("mapped")
    uuid = lam.create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName="noop",
        BatchSize=batch_size,
        StartingPosition="TRIM_HORIZON",
        Enabled=False,
    )["UUID"]
    wait_state(lam, uuid, "Disabled")
    rows: list[Row] = []
    for number in range(1, rounds + 1):
        for limit in (100, 10_000):
            name = f"direct-{number}-{limit}"
            _, ids = stream(name)
            asyncio.run(fill_stream(url, name, count))
            seconds = asyncio.run(drain_stream(url, name, ids, count, limit))
            rows.append(
                (
                    f"GetShardIterator + GetRecords (Limit {limit}), {shards} conn.",
                    count,
                    seconds,
                    "",
                )
            )
        asyncio.run(fill_stream(url, "mapped", count))
        r = mapping_round(lam, url, uuid, count)
        rows.append(
            (
                f"Kinesis mapping, BatchSize {batch_size} (round {number})",
                count,
                r["seconds"],
                described(r, count),
            )
        )
    return rows


def rate_table(title: str, rows: list[Row], baseline: str) -> str:
    """Records/s, and each as a ratio to the mean rate of the rows named ``baseline`` (the
    same read in every round)."""
    rates = [count / seconds for name, count, seconds, _ in rows if name.startswith(baseline)]
    reference = statistics.fmean(rates)
    lines = [
        f"## {title}",
        "",
        f"Ratio: records/s over the mean of the rows `{baseline}`.",
        "",
        "| what | records | seconds | records/s | ratio | note |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name, count, seconds, note in rows:
        rate = count / seconds
        lines.append(
            f"| {name} | {count} | {seconds:.2f} | {rate:.0f} | {rate / reference:.2f} | {note} |"
        )
    return "\n".join(lines)


# --- latency -------------------------------------------------------------------------------


class Webhook:
    """Where the latency function posts when its handler started, and which records."""

    def __init__(self) -> None:
        self.started: dict[str, float] = {}
        self.signal = threading.Condition()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                with hook.signal:
                    for identifier in body["ids"]:
                        hook.started[identifier] = body["started"]
                    hook.signal.notify_all()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/started"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, identifier: str) -> float:
        with self.signal:
            if not self.signal.wait_for(lambda: identifier in self.started, timeout=TIMEOUT):
                raise RuntimeError(f"the function never saw {identifier}")
            return self.started[identifier]


def sampled(samples: int, gap: float, one: Callable[[str], float]) -> list[float]:
    """``one(identifier)`` (a latency in ms) ``samples`` times after five warm-ups, ``gap``
    seconds apart (so that each finds the last one's work done: low load)."""
    values = []
    for index in range(samples + 5):
        values.append(one(f"s{index}-{time.time_ns()}"))
        time.sleep(gap)
    return values[5:]


def send(http: Http, protocol: tuple[str, str], operation: str, body: dict[str, Any]) -> Any:
    """One awsJson call on a keep-alive ``http.client`` connection."""
    prefix, content_type = protocol
    status, _, data = http.call(
        "POST",
        "/",
        json.dumps(body).encode(),
        {"X-Amz-Target": prefix + operation, "Content-Type": content_type},
    )
    if status != 200:
        raise RuntimeError(f"{operation}: {data.decode()}")
    return json.loads(data) if data else {}


def latency_rows(url: str, samples: int, gap: float, memory: int) -> list[tuple[str, list[float]]]:
    """Each row's sends are raw HTTP on one keep-alive connection: the time runs from just
    before the request is written."""
    lam, sqs, kinesis = clients(url)
    hook = Webhook()
    create_function(
        Http(url),
        "timed",
        zip_files(TIMED),
        MemorySize=memory,
        Environment={"Variables": {"BENCH_WEBHOOK": hook.url}},
    )
    rows: list[tuple[str, list[float]]] = []

    http = Http(url)

    def invoke(identifier: str) -> float:
        sent = time.time()
        status, _, data = http.call(
            "POST",
            "/2015-03-31/functions/timed/invocations",
            json.dumps({"id": identifier}).encode(),
        )
        if status != 200:
            raise RuntimeError(data.decode())
        return (hook.wait(identifier) - sent) * 1000

    rows.append(("synchronous Invoke to handler start", sampled(samples, gap, invoke)))

    direct_url = sqs.create_queue(QueueName="direct-latency")["QueueUrl"]
    http, receiver = Http(url), Http(url)

    def long_polled(identifier: str) -> float:
        got: dict[str, Any] = {}

        def receive() -> None:
            body = {"QueueUrl": direct_url, "WaitTimeSeconds": 20}
            got.update(send(receiver, SQS, "ReceiveMessage", body))
            got["arrived"] = time.time()

        waiting = threading.Thread(target=receive)
        waiting.start()
        time.sleep(0.02)  # the receive is waiting
        sent = time.time()
        send(http, SQS, "SendMessage", {"QueueUrl": direct_url, "MessageBody": identifier})
        waiting.join(TIMEOUT)
        message = got["Messages"][0]
        if message["Body"] != identifier:
            raise RuntimeError("a stray message")
        handle = {"QueueUrl": direct_url, "ReceiptHandle": message["ReceiptHandle"]}
        send(http, SQS, "DeleteMessage", handle)
        return float(got["arrived"] - sent) * 1000

    rows.append(
        (
            "SQS: SendMessage to a waiting ReceiveMessage's answer",
            sampled(samples, gap, long_polled),
        )
    )

    queue_url = sqs.create_queue(QueueName="latency")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    uuid = lam.create_event_source_mapping(EventSourceArn=queue_arn, FunctionName="timed")["UUID"]
    wait_state(lam, uuid, "Enabled")
    http = Http(url)

    answered: list[float] = []  # the send's own answer, in the same samples

    def queued(identifier: str) -> float:
        sent = time.time()
        send(http, SQS, "SendMessage", {"QueueUrl": queue_url, "MessageBody": identifier})
        answered.append((time.time() - sent) * 1000)
        return (hook.wait(identifier) - sent) * 1000

    started = sampled(samples, gap, queued)
    rows.append(("SQS mapping: SendMessage answered (same samples)", answered[5:]))
    rows.append(("SQS mapping (BatchSize 10): SendMessage to handler start", started))
    lam.update_event_source_mapping(UUID=uuid, Enabled=False)
    wait_state(lam, uuid, "Disabled")

    kinesis.create_stream(StreamName="latency", ShardCount=1)
    stream_arn = kinesis.describe_stream_summary(StreamName="latency")["StreamDescriptionSummary"][
        "StreamARN"
    ]
    uuid = lam.create_event_source_mapping(
        EventSourceArn=stream_arn,
        FunctionName="timed",
        BatchSize=100,
        StartingPosition="TRIM_HORIZON",
    )["UUID"]
    wait_state(lam, uuid, "Enabled")
    http = Http(url)

    def streamed(identifier: str) -> float:
        body = {
            "StreamName": "latency",
            "PartitionKey": "k",
            "Data": base64.b64encode(identifier.encode()).decode(),
        }
        sent = time.time()
        send(http, KINESIS, "PutRecord", body)
        answered.append((time.time() - sent) * 1000)
        return (hook.wait(identifier) - sent) * 1000

    answered.clear()
    started = sampled(samples, gap, streamed)
    rows.append(("Kinesis mapping: PutRecord answered (same samples)", answered[5:]))
    rows.append(("Kinesis mapping (BatchSize 100): PutRecord to handler start", started))
    lam.update_event_source_mapping(UUID=uuid, Enabled=False)
    wait_state(lam, uuid, "Disabled")
    hook.server.shutdown()
    return rows


def latency_table(rows: list[tuple[str, list[float]]]) -> str:
    lines = [
        "## From send to the function's start, one record at a time",
        "",
        "| what | p50 (ms) | p90 (ms) | p99 (ms) | mean (ms) | n |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, values in rows:
        lines.append(
            f"| {name} | {statistics.median(values):.2f} | {percentile(values, 0.9):.2f} | "
            f"{percentile(values, 0.99):.2f} | {statistics.fmean(values):.2f} | {len(values)} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=20_000, help="queue messages a round")
    parser.add_argument("--records", type=int, default=50_000, help="stream records a round")
    parser.add_argument("--shards", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=100, help="the draining mappings'")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--consumers", default="1,4", help="queue consumer connections")
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--gap", type=float, default=20.0, help="ms between latency samples")
    parser.add_argument("--memory", type=int, default=1769, help="the function's MB")
    parser.add_argument("--sandbox", help="ALTUS_SANDBOX (default: the server's own)")
    parser.add_argument("--skip", default="", help="comma-separated: queue, stream, latency")
    args = parser.parse_args()
    skip = set(args.skip.split(",")) - {""}
    env = {"ALTUS_SANDBOX": args.sandbox} if args.sandbox else {}
    with altus_process(env) as (url, pid):
        print(f"altus up at {url} (PID {pid}), sandbox {args.sandbox or 'default'}")
        create_function(Http(url), "noop", zip_files(NOOP), MemorySize=args.memory)
        if "queue" not in skip:
            consumers = [int(level) for level in args.consumers.split(",")]
            rows = queue_rows(url, args.messages, args.rounds, consumers, args.batch_size)
            print()
            reference = f"ReceiveMessage (10) + DeleteMessageBatch, {consumers[0]} conn."
            print(rate_table("Draining a queue", rows, reference))
        if "stream" not in skip:
            rows = stream_rows(url, args.records, args.rounds, args.shards, args.batch_size)
            print()
            reference = "GetShardIterator + GetRecords (Limit 100)"
            print(rate_table("Draining a stream", rows, reference))
        if "latency" not in skip:
            print()
            print(latency_table(latency_rows(url, args.samples, args.gap / 1000, args.memory)))


if __name__ == "__main__":
    main()

"""The push-model services on a real ``altus up`` (its default sandbox, the SQLite store):
object throughput next to a plain file copy on the same disk, an SNS publish fanned out
to ten functions, and PutEvents accepted per second next to SQS SendMessageBatch.

    .venv/bin/python bench/push.py [--small 40] [--large 3] [--large-mb 100]
        [--samples 30] [--events 20000] [--connections 4] [--skip s3,sns,events]

Objects. PutObject then GetObject of ``--small`` 1 MB objects and ``--large`` objects of
``--large-mb`` MB, one at a time on one keep-alive connection (unsigned, UNSIGNED-PAYLOAD:
the client hashes nothing), the body streamed from a file in the data directory's file
system and the answer read into nothing; MB/s = bytes / seconds over the whole series.
The baselines, in the same run: the same file copied to a new file on the same disk in
1 MiB blocks, with an fsync before close (what an acknowledged PUT costs at the least:
PutObject's), and without (GetObject's: the bytes read and moved once).

SNS. A topic with ten ``lambda`` subscriptions (ten functions, each allowing SNS); each
handler's first statement notes ``time.time()`` and posts it to a webhook served by this
script. One Publish at a time (``--samples``, after three not counted, 200 ms apart):
the time from just before the Publish request was written to each handler's start
(p50 over every delivery), to the first and to the last of the ten (p50 over
publishes). An Event invoke and a synchronous Invoke of one of the functions, measured
the same way, are the baselines.

Events. A custom bus with one rule matching every event, targeting a queue; PutEvents of
10 entries on ``--connections`` keep-alive connections until ``--events`` are accepted:
events accepted per second, next to SendMessageBatch of 10 messages (the same durable
write per call) on the same number of connections in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import statistics
import sys
import tempfile
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

MB = 1024 * 1024
TIMED = {
    "app.py": """import json, os, time, urllib.request

URL = os.environ["BENCH_WEBHOOK"]


def handler(event, context):
    started = time.time()
    records = event.get("Records")
    sample = records[0]["Sns"]["Message"] if records else event["id"]
    body = json.dumps({"started": started, "id": sample}).encode()
    urllib.request.urlopen(urllib.request.Request(URL, data=body), timeout=10).read()
"""
}
#: No wait in this script is longer.
TIMEOUT = 120.0


# --- objects --------------------------------------------------------------------------------


def _file(folder: Path, size: int) -> Path:
    path = folder / f"source-{size}"
    if not path.exists():
        block = os.urandom(MB)
        with path.open("wb") as out:
            for _ in range(size // MB):
                out.write(block)
    return path


def copy_rate(source: Path, folder: Path, count: int, *, fsync: bool) -> float:
    """MB/s of copying ``source`` to a new file ``count`` times (fsynced before close,
    or not)."""
    size = source.stat().st_size
    started = time.perf_counter()
    for i in range(count):
        target = folder / f"copy-{i}"
        with source.open("rb") as src, target.open("wb") as dst:
            while block := src.read(MB):
                dst.write(block)
            dst.flush()
            if fsync:
                os.fsync(dst.fileno())
    elapsed = time.perf_counter() - started
    for i in range(count):
        (folder / f"copy-{i}").unlink()
    return size * count / MB / elapsed


def object_rate(url: str, source: Path, count: int, bucket: str) -> tuple[float, float]:
    """MB/s of PutObject and of GetObject of ``source``, ``count`` objects."""
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=900, blocksize=MB)
    size = source.stat().st_size
    started = time.perf_counter()
    for i in range(count):
        with source.open("rb") as body:
            conn.request(
                "PUT",
                f"/{bucket}/object-{size}-{i}",
                body=body,
                headers={
                    "Content-Length": str(size),
                    "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
                },
            )
            answer = conn.getresponse()
            answer.read()
            if answer.status != 200:
                raise RuntimeError(f"PutObject answered {answer.status}")
    put = time.perf_counter() - started
    started = time.perf_counter()
    for i in range(count):
        conn.request("GET", f"/{bucket}/object-{size}-{i}")
        answer = conn.getresponse()
        got = 0
        while block := answer.read(MB):
            got += len(block)
        if answer.status != 200 or got != size:
            raise RuntimeError(f"GetObject answered {answer.status} with {got} bytes")
    get = time.perf_counter() - started
    conn.close()
    return size * count / MB / put, size * count / MB / get


def bench_objects(url: str, folder: Path, args: argparse.Namespace) -> None:
    http_client = Http(url)
    status, _, data = http_client.call(
        "PUT", "/bench", headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"}
    )
    if status != 200:
        raise RuntimeError(data.decode())
    print("\nObjects (MB/s; one connection, one object at a time)")
    print(
        f"{'':>14} {'PUT':>7} {'copy+fsync':>11} {'ratio':>6} {'GET':>7} {'copy':>7} {'ratio':>6}"
    )
    for size_mb, count in ((1, args.small), (args.large_mb, args.large)):
        source = _file(folder, size_mb * MB)
        put, get = object_rate(url, source, count, "bench")
        synced = copy_rate(source, folder, count, fsync=True)
        copied = copy_rate(source, folder, count, fsync=False)
        label = f"{count} x {size_mb} MB"
        print(
            f"{label:>14} {put:7.0f} {synced:11.0f} {put / synced:6.2f} "
            f"{get:7.0f} {copied:7.0f} {get / copied:6.2f}"
        )


# --- SNS fan-out ----------------------------------------------------------------------------


class Webhook:
    """Collects what the functions post: (id, started) pairs."""

    def __init__(self) -> None:
        self.starts: dict[str, list[float]] = {}
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                note = json.loads(self.rfile.read(length))
                with outer.lock:
                    outer.starts.setdefault(note["id"], []).append(note["started"])
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, key: str, count: int) -> list[float]:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            with self.lock:
                found = list(self.starts.get(key, ()))
            if len(found) >= count:
                return found
            time.sleep(0.001)
        raise RuntimeError(f"{key}: {len(found)} of {count} handlers started")


def _query(http_client: Http, params: dict[str, str]) -> bytes:
    from urllib.parse import urlencode

    status, _, data = http_client.call(
        "POST",
        "/",
        urlencode({**params, "Version": "2010-03-31"}).encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    if status != 200:
        raise RuntimeError(data.decode())
    return data


def bench_sns(url: str, args: argparse.Namespace) -> None:
    import re

    hook = Webhook()
    http_client = Http(url)
    data = _query(http_client, {"Action": "CreateTopic", "Name": "bench"})
    topic = re.search(rb"<TopicArn>(.*?)</TopicArn>", data)
    assert topic is not None
    topic_arn = topic.group(1).decode()
    package = zip_files(TIMED)
    for i in range(10):
        name = f"fan{i}"
        create_function(
            http_client,
            name,
            package,
            Environment={"Variables": {"BENCH_WEBHOOK": hook.url}},
        )
        body = json.dumps(
            {
                "StatementId": "sns",
                "Action": "lambda:InvokeFunction",
                "Principal": "sns.amazonaws.com",
                "SourceArn": topic_arn,
            }
        ).encode()
        status, _, answer = http_client.call("POST", f"/2015-03-31/functions/{name}/policy", body)
        if status != 201:
            raise RuntimeError(answer.decode())
        _query(
            http_client,
            {
                "Action": "Subscribe",
                "TopicArn": topic_arn,
                "Protocol": "lambda",
                "Endpoint": f"arn:aws:lambda:us-east-1:000000000000:function:{name}",
            },
        )

    def publish(key: str) -> float:
        sent = time.time()
        _query(http_client, {"Action": "Publish", "TopicArn": topic_arn, "Message": key})
        return sent

    def invoke(key: str) -> float:
        sent = time.time()
        status, _, answer = http_client.call(
            "POST", "/2015-03-31/functions/fan0/invocations", json.dumps({"id": key}).encode()
        )
        if status != 200:
            raise RuntimeError(answer.decode())
        return sent

    def event(key: str) -> float:
        sent = time.time()
        status, _, answer = http_client.call(
            "POST",
            "/2015-03-31/functions/fan0/invocations",
            json.dumps({"id": key}).encode(),
            {"X-Amz-Invocation-Type": "Event"},
        )
        if status != 202:
            raise RuntimeError(answer.decode())
        return sent

    def measure(
        send: Callable[[str], float], fanout: int
    ) -> tuple[list[float], list[float], list[float]]:
        each: list[float] = []
        first: list[float] = []
        last: list[float] = []
        for i in range(args.samples + 3):
            key = f"{send.__name__}-{i}"
            sent = send(key)
            starts = hook.wait(key, fanout)
            if i >= 3:
                each.extend((s - sent) * 1000 for s in starts)
                first.append((min(starts) - sent) * 1000)
                last.append((max(starts) - sent) * 1000)
            time.sleep(0.2)
        return each, first, last

    invoked, _, _ = measure(invoke, 1)
    queued, _, _ = measure(event, 1)
    each, first, last = measure(publish, 10)
    print("\nSNS Publish to 10 function subscribers (ms from the request to a handler's start)")
    rows = [
        ("every delivery", each),
        ("first of the ten", first),
        ("last of the ten", last),
        ("Event invoke, one", queued),
        ("sync Invoke, one", invoked),
    ]
    for label, values in rows:
        median, p90 = statistics.median(values), percentile(values, 0.9)
        print(f"  {label:<18} p50 {median:7.2f}  p90 {p90:7.2f}")
    hook.server.shutdown()


# --- PutEvents ------------------------------------------------------------------------------


EVENTS = ("AWSEvents.", "application/x-amz-json-1.1")
SQS = ("AmazonSQS.", "application/x-amz-json-1.0")


async def rate(
    url: str,
    protocol: tuple[str, str],
    call: tuple[str, dict[str, Any]],
    total: int,
    connections: int,
) -> float:
    """Records accepted per second: ``call`` (10 records a call) on ``connections``."""
    calls = total // 10
    done = 0

    async def worker(mine: int) -> None:
        nonlocal done
        conn = Conn(url, protocol)
        try:
            for _ in range(mine):
                answer = await conn.call(*call)
                if answer.get("FailedEntryCount") or answer.get("Failed"):
                    raise RuntimeError(f"{call[0]} failed: {answer}")
                done += 10
        finally:
            conn.close()

    started = time.perf_counter()
    share = [
        calls // connections + (1 if i < calls % connections else 0) for i in range(connections)
    ]
    await asyncio.gather(*(worker(n) for n in share))
    return done / (time.perf_counter() - started)


def bench_events(url: str, args: argparse.Namespace) -> None:
    async def run() -> tuple[float, float]:
        setup_sqs = Conn(url, SQS)
        queue = await setup_sqs.call("CreateQueue", {"QueueName": "bench-events"})
        other = await setup_sqs.call("CreateQueue", {"QueueName": "bench-baseline"})
        attributes = await setup_sqs.call(
            "GetQueueAttributes", {"QueueUrl": queue["QueueUrl"], "AttributeNames": ["QueueArn"]}
        )
        setup_sqs.close()
        setup = Conn(url, EVENTS)
        await setup.call("CreateEventBus", {"Name": "bench"})
        await setup.call(
            "PutRule",
            {
                "Name": "all",
                "EventBusName": "bench",
                "EventPattern": json.dumps({"source": [{"prefix": ""}]}),
            },
        )
        await setup.call(
            "PutTargets",
            {
                "Rule": "all",
                "EventBusName": "bench",
                "Targets": [{"Id": "q", "Arn": attributes["Attributes"]["QueueArn"]}],
            },
        )
        setup.close()
        entry = {
            "Source": "bench",
            "DetailType": "tick",
            "Detail": json.dumps({"n": 1}),
            "EventBusName": "bench",
        }
        events = await rate(
            url, EVENTS, ("PutEvents", {"Entries": [entry] * 10}), args.events, args.connections
        )
        batch = {
            "QueueUrl": other["QueueUrl"],
            "Entries": [{"Id": str(i), "MessageBody": json.dumps(entry)} for i in range(10)],
        }
        sends = await rate(url, SQS, ("SendMessageBatch", batch), args.events, args.connections)
        return events, sends

    events, sends = asyncio.run(run())
    print(f"\nPutEvents (10 entries a call, {args.connections} connections)")
    print(f"  PutEvents         {events:9.0f} events/s")
    print(f"  SendMessageBatch  {sends:9.0f} messages/s (baseline)  ratio {events / sends:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=40)
    parser.add_argument("--large", type=int, default=3)
    parser.add_argument("--large-mb", type=int, default=100)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--skip", default="")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    with tempfile.TemporaryDirectory(prefix="altus-bench-push-") as folder:
        data_dir = Path(folder) / "data"
        with altus_process(data_dir=str(data_dir)) as (url, _):
            if "s3" not in skip:
                bench_objects(url, Path(folder), args)
            if "sns" not in skip:
                bench_sns(url, args)
            if "events" not in skip:
                bench_events(url, args)


if __name__ == "__main__":
    main()

"""Throughput of the built-in queues (the SQS API, awsJson 1.0) on a real ``altus up``,
with the load generators in processes of their own, next to baselines measured in the
same run: the same load on a bare loopback HTTP server, and an SQS call that does no
queue work (ListQueues: the same HTTP, JSON and dispatch, no store).

    .venv/bin/python bench/sqs_throughput.py [--seconds 5]

Rows: SendMessage (one message a call, each fsync'ed before its answer; concurrent calls
share commits), SendMessageBatch (10 a call), and consumers looping ReceiveMessage (10 a
call) + DeleteMessageBatch over the messages the sends left.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Http, altus_server, bare_server

HERE = Path(__file__).resolve().parent
LEVELS = (1, 8, 64)
ENV = {"ALTUS_SANDBOX": "process"}


def load(
    url: str, connections: int, seconds: float, body: str = "{}", target: str | None = None
) -> dict[str, Any]:
    headers = [f"X-Amz-Target: AmazonSQS.{target}"] if target else []
    out = subprocess.run(
        [
            sys.executable,
            str(HERE / "loadgen.py"),
            url,
            "/",
            str(connections),
            str(seconds),
            body,
            *headers,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, Any] = json.loads(out)
    return result


def consume(url: str, queue_url: str, connections: int, seconds: float) -> dict[str, Any]:
    out = subprocess.run(
        [
            sys.executable,
            str(HERE / "sqs_loadgen.py"),
            url,
            queue_url,
            str(connections),
            str(seconds),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, Any] = json.loads(out)
    return result


def sqs(http_client: Http, target: str, body: dict[str, Any]) -> dict[str, Any]:
    status, _, data = http_client.call(
        "POST",
        "/",
        json.dumps(body).encode(),
        {"X-Amz-Target": f"AmazonSQS.{target}", "Content-Type": "application/x-amz-json-1.0"},
    )
    if status != 200:
        raise RuntimeError(data.decode())
    answer: dict[str, Any] = json.loads(data) if data else {}
    return answer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    seconds = args.seconds
    rows: list[tuple[str, int, float, float, str]] = []
    with bare_server() as port:
        for level in LEVELS:
            r = load(f"http://127.0.0.1:{port}", level, seconds)
            rows.append(("bare loopback HTTP (requests/s)", level, r["per_second"], r["p50"], ""))
    with altus_server(ENV) as url:
        client = Http(url)
        queue_url = sqs(client, "CreateQueue", {"QueueName": "bench"})["QueueUrl"]
        body = "x" * 200
        send = json.dumps({"QueueUrl": queue_url, "MessageBody": body})
        batch = json.dumps(
            {
                "QueueUrl": queue_url,
                "Entries": [{"Id": str(i), "MessageBody": body} for i in range(10)],
            }
        )
        for level in LEVELS:
            load(url, level, seconds / 2, "{}", "ListQueues")  # warm-up
            r = load(url, level, seconds, "{}", "ListQueues")
            rows.append(
                ("ListQueues, no queue work (requests/s)", level, r["per_second"], r["p50"], "")
            )
            r = load(url, level, seconds, send, "SendMessage")
            rows.append(
                (
                    "SendMessage (messages/s)",
                    level,
                    r["per_second"],
                    r["p50"],
                    f"{r['errors']} errors",
                )
            )
            r = load(url, level, seconds, batch, "SendMessageBatch")
            rows.append(
                (
                    "SendMessageBatch, 10 a call (messages/s)",
                    level,
                    10 * r["per_second"],
                    r["p50"],
                    f"{r['errors']} errors",
                )
            )
        depth = sqs(
            Http(url),
            "GetQueueAttributes",
            {"QueueUrl": queue_url, "AttributeNames": ["ApproximateNumberOfMessages"]},
        )
        for level in LEVELS:
            r = consume(url, queue_url, level, seconds)
            rows.append(
                (
                    "ReceiveMessage, 10 a call (messages/s)",
                    level,
                    r["received_per_second"],
                    r["receive_p50"],
                    f"{r['empty_receives']} empty of {r['receive_calls']}",
                )
            )
            rows.append(
                (
                    "DeleteMessageBatch, 10 a call (messages/s)",
                    level,
                    r["deleted_per_second"],
                    r["delete_p50"],
                    "",
                )
            )
    baseline = {level: rate for name, level, rate, _, _ in rows if name.startswith("ListQueues")}
    lines = [
        "## Queue throughput (SQS API, one load-generator process)",
        "",
        f"Queue depth before the consumers: "
        f"{depth['Attributes']['ApproximateNumberOfMessages']} messages of 200 bytes.",
        "",
        "| what | concurrency | per second | p50 call (ms) | vs ListQueues calls/s | note |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name, level, rate, p50, note in rows:
        calls = rate / 10 if "10 a call" in name else rate
        ratio = f"{calls / baseline[level]:.2f}" if not name.startswith("bare") else ""
        lines.append(f"| {name} | {level} | {rate:.0f} | {p50:.2f} | {ratio} | {note} |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

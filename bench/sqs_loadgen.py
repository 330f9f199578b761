"""A queue consumer load generator, run as its own process: C keep-alive connections,
each looping ReceiveMessage (10 per call) then DeleteMessageBatch of what it got, for a
fixed time. Prints one JSON line: messages received and deleted, calls, latencies.

    python bench/sqs_loadgen.py <url> <queue url> <connections> <seconds>
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time


async def call(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    host: str,
    target: str,
    body: dict[str, object],
) -> dict[str, object]:
    data = json.dumps(body).encode()
    writer.write(
        (
            f"POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-amz-json-1.0"
            f"\r\nX-Amz-Target: AmazonSQS.{target}\r\nContent-Length: {len(data)}\r\n\r\n"
        ).encode()
        + data
    )
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    payload = await reader.readexactly(length)
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(payload.decode())
    answer: dict[str, object] = json.loads(payload) if payload else {}
    return answer


async def consumer(
    host: str, port: int, queue_url: str, until: float, stats: dict[str, list[float]]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < until:
            started = time.perf_counter()
            got = await call(
                reader,
                writer,
                host,
                "ReceiveMessage",
                {"QueueUrl": queue_url, "MaxNumberOfMessages": 10, "VisibilityTimeout": 600},
            )
            stats["receive_ms"].append((time.perf_counter() - started) * 1000)
            messages = got.get("Messages") or []
            assert isinstance(messages, list)
            stats["received"].append(len(messages))
            if not messages:
                continue
            started = time.perf_counter()
            deleted = await call(
                reader,
                writer,
                host,
                "DeleteMessageBatch",
                {
                    "QueueUrl": queue_url,
                    "Entries": [
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                        for i, m in enumerate(messages)
                    ],
                },
            )
            stats["delete_ms"].append((time.perf_counter() - started) * 1000)
            successful = deleted.get("Successful") or []
            assert isinstance(successful, list)
            stats["deleted"].append(len(successful))
    finally:
        writer.close()


async def main() -> None:
    url, queue_url, connections, seconds = (
        sys.argv[1],
        sys.argv[2],
        int(sys.argv[3]),
        float(sys.argv[4]),
    )
    host, port = url.removeprefix("http://").split(":")
    stats: dict[str, list[float]] = {
        "receive_ms": [],
        "delete_ms": [],
        "received": [],
        "deleted": [],
    }
    started = time.perf_counter()
    await asyncio.gather(
        *(
            consumer(host, int(port), queue_url, started + seconds, stats)
            for _ in range(connections)
        )
    )
    elapsed = time.perf_counter() - started
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "received_per_second": sum(stats["received"]) / elapsed,
                "deleted_per_second": sum(stats["deleted"]) / elapsed,
                "receive_calls": len(stats["receive_ms"]),
                "empty_receives": stats["received"].count(0),
                "receive_p50": statistics.median(stats["receive_ms"] or [0.0]),
                "delete_p50": statistics.median(stats["delete_ms"] or [0.0]),
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())

"""A load generator, run as its own process: C keep-alive connections, each sending
requests back to back for a fixed time. Prints one JSON line: requests completed, errors
and latency percentiles.

    python bench/loadgen.py <url> <path> <connections> <seconds> [<body> [<header>...]]

Each ``<header>`` is one ``Name: value`` line added to every request.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time


async def connection(
    host: str, port: int, request: bytes, until: float, latencies: list[float], errors: list[int]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < until:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            if not head.startswith(b"HTTP/1.1 2"):
                errors.append(1)
            latencies.append((time.perf_counter() - started) * 1000)
    finally:
        writer.close()


async def main() -> None:
    url, path, connections, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    body = sys.argv[5].encode() if len(sys.argv) > 5 else b"{}"
    extra = "".join(f"{line}\r\n" for line in sys.argv[6:])
    host, port = url.removeprefix("http://").split(":")
    request = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"{extra}Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    latencies: list[float] = []
    errors: list[int] = []
    started = time.perf_counter()
    until = started + seconds
    await asyncio.gather(
        *(
            connection(host, int(port), request, until, latencies, errors)
            for _ in range(connections)
        )
    )
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies) or [0.0]
    print(
        json.dumps(
            {
                "requests": len(latencies),
                "errors": len(errors),
                "seconds": elapsed,
                "per_second": len(latencies) / elapsed,
                "p50": statistics.median(ordered),
                "p99": ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))],
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())

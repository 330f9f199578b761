"""Asynchronous invocation: how many Event invokes a server accepts per second, what the
durable write before each 202 costs, how many it accepts and delivers at once, and how
long an event takes end to end at low load.

    .venv/bin/python bench/async_invoke.py [--seconds 5] [--samples 200]

Accepting: Event invokes from one load-generator process at concurrency 1, 16 and 64,
next to DryRun invokes of the same function at the same concurrency in the same run
(the same request parsing and function lookup, without the queue write): the ratio is
the cost of the durable (fsync'ed, group-committed) write. Deliveries are held back
meanwhile (one worker, a function that sleeps) so that they do not compete for the CPU.

End to end: one Event invoke at a time of a warm function whose OnSuccess destination is
a webhook served by this script; the time from sending the invoke to receiving the
record, next to a synchronous invoke of the same function and a bare loopback round trip.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Http, altus_server, bare_server, create_function, summary, table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from altus.packaging import zip_files

LOADGEN = Path(__file__).resolve().parent / "loadgen.py"
SLEEPY = {"app.py": "import time\ndef handler(event, context):\n    time.sleep(5)\n"}
HELLO = {"app.py": "def handler(event, context):\n    return {'hello': 'world'}\n"}
LEVELS = (1, 16, 64)


def load(
    url: str, path: str, connections: int, seconds: float, headers: list[str]
) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, str(LOADGEN), url, path, str(connections), str(seconds), "{}", *headers],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, Any] = json.loads(out)
    return result


def accepting(seconds: float) -> str:
    lines = [
        "## Event invokes accepted (one load-generator process)",
        "",
        "| request | concurrency | requests/s | p50 (ms) | p99 (ms) | errors |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    path = "/2015-03-31/functions/sleepy/invocations"
    with altus_server({"ALTUS_ASYNC_WORKERS": "1"}) as url:
        create_function(Http(url), "sleepy", zip_files(SLEEPY))
        for level in LEVELS:
            for name, header in (
                ("DryRun (baseline)", "X-Amz-Invocation-Type: DryRun"),
                ("Event (durable)", "X-Amz-Invocation-Type: Event"),
            ):
                load(url, path, level, seconds / 2, [header])  # warm-up
                r = load(url, path, level, seconds, [header])
                lines.append(
                    f"| {name} | {level} | {r['per_second']:.0f} | {r['p50']:.2f} | "
                    f"{r['p99']:.2f} | {r['errors']} |"
                )
    return "\n".join(lines)


def draining(seconds: float) -> str:
    """Event invokes accepted while they are delivered, until the queue is empty, next to
    synchronous invokes of the same function at the same concurrency."""
    import urllib.request

    path = "/2015-03-31/functions/hello/invocations"
    with altus_server() as url:
        create_function(Http(url), "hello", zip_files(HELLO))
        load(url, path, 16, seconds / 2, [])  # warm-up: starts the environments
        sync = load(url, path, 16, seconds, [])
        started = time.perf_counter()
        sent = load(url, path, 16, seconds, ["X-Amz-Invocation-Type: Event"])
        for _ in range(600_000):
            with urllib.request.urlopen(f"{url}/_altus/async/stats", timeout=60) as answer:
                if json.loads(answer.read())["Queued"] == 0:
                    break
            time.sleep(0.01)
        elapsed = time.perf_counter() - started
    return "\n".join(
        [
            "## Accepted and delivered (hello world, 16 workers, concurrency 16)",
            "",
            "| what | per second |",
            "|---|---:|",
            f"| synchronous invokes (baseline) | {sync['per_second']:.0f} |",
            f"| Event invokes accepted and delivered, until the queue is empty | "
            f"{sent['requests'] / elapsed:.0f} |",
        ]
    )


class _Catcher:
    """The webhook destination: notes when each record arrives."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.signal = threading.Condition()
        catcher = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                at = time.perf_counter()
                request_id = json.loads(body)["requestContext"]["requestId"]
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                with catcher.signal:
                    catcher.arrived[request_id] = at
                    catcher.signal.notify_all()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/records"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, request_id: str) -> float:
        with self.signal:
            if not self.signal.wait_for(lambda: request_id in self.arrived, timeout=60):
                raise RuntimeError(f"no record for {request_id}")
            return self.arrived[request_id]


def end_to_end(samples: int) -> str:
    catcher = _Catcher()
    rows: list[tuple[str, dict[str, float]]] = []
    with bare_server() as port:
        bare = Http(f"http://127.0.0.1:{port}")
        for _ in range(50):
            bare.timed("POST", "/", b"{}")
        rows.append(
            (
                "bare loopback HTTP round trip",
                summary([bare.timed("POST", "/", b"{}") for _ in range(samples)]),
            )
        )
    with altus_server() as url:
        api = Http(url)
        create_function(api, "hello", zip_files(HELLO))
        config = {"DestinationConfig": {"OnSuccess": {"Destination": catcher.url}}}
        status, _, data = api.call(
            "PUT", "/2019-09-25/functions/hello/event-invoke-config", json.dumps(config).encode()
        )
        if status != 200:
            raise RuntimeError(data.decode())
        path = "/2015-03-31/functions/hello/invocations"
        for _ in range(50):
            api.timed("POST", path, b"{}")
        rows.append(
            (
                "synchronous invoke (RequestResponse)",
                summary([api.timed("POST", path, b"{}") for _ in range(samples)]),
            )
        )
        latencies, accepted = [], []
        for i in range(samples + 20):
            started = time.perf_counter()
            status, headers, _ = api.call("POST", path, b"{}", {"X-Amz-Invocation-Type": "Event"})
            acknowledged = time.perf_counter()
            if status != 202:
                raise RuntimeError(f"Event invoke answered {status}")
            arrived = catcher.wait(headers["x-amzn-requestid"])
            if i >= 20:  # the first ones warm the webhook client and the worker
                accepted.append((acknowledged - started) * 1000)
                latencies.append((arrived - started) * 1000)
        rows.append(("Event invoke: 202 received", summary(accepted)))
        rows.append(("Event invoke: success record at the webhook", summary(latencies)))
    catcher.server.shutdown()
    return table("Asynchronous delivery end to end, one event at a time", rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    print(accepting(args.seconds))
    print()
    print(draining(args.seconds))
    print()
    print(end_to_end(args.samples))


if __name__ == "__main__":
    main()

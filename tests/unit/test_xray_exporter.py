"""The OTLP exporter off the hot path: batches POSTed to ``<endpoint>/v1/traces``, a
failed POST retried with back-off, a batch given up after its tries, and a bounded queue
that drops the oldest."""

from __future__ import annotations

import asyncio
import http.client
import http.server
import json
import logging
import threading
import urllib.error

import pytest

from altus.xray import exporter
from altus.xray.exporter import OtlpExporter

pytestmark = pytest.mark.anyio

ROOT = "1-5759e988-bd862e3fe1be46a994272793"


def _doc(n: int) -> dict[str, object]:
    return {"trace_id": ROOT, "id": f"{n:016x}", "name": "svc", "start_time": 1.0, "end_time": 2.0}


async def test_batches_are_posted_and_failures_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exporter, "LINGER", 0.0)
    monkeypatch.setattr(exporter, "FIRST_DELAY", 0.0)
    posted: list[tuple[str, dict[str, object]]] = []
    failures = [OSError("refused"), OSError("refused")]
    done = asyncio.Event()

    async def post(url: str, body: bytes) -> None:
        if failures:
            raise failures.pop()
        posted.append((url, json.loads(body)))
        done.set()

    sender = OtlpExporter("http://127.0.0.1:4318/", post)
    await sender.start()
    sender.offer([_doc(1), _doc(2)])
    await asyncio.wait_for(done.wait(), 10)
    await sender.close()
    [(url, body)] = posted
    assert url == "http://127.0.0.1:4318/v1/traces"
    spans = body["resourceSpans"][0]["scopeSpans"][0]["spans"]  # type: ignore[index]
    assert [s["spanId"] for s in spans] == [f"{1:016x}", f"{2:016x}"]
    assert (sender.exported, sender.dropped) == (2, 0)


async def test_a_batch_is_given_up_after_its_tries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exporter, "LINGER", 0.0)
    monkeypatch.setattr(exporter, "FIRST_DELAY", 0.0)
    tries = 0

    async def post(url: str, body: bytes) -> None:
        nonlocal tries
        tries += 1
        raise OSError("down")

    sender = OtlpExporter("http://127.0.0.1:1", post)
    await sender._send([_doc(1)])
    assert (tries, sender.dropped, sender.exported) == (exporter.TRIES, 1, 0)


async def test_the_queue_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exporter, "QUEUE", 3)

    async def post(url: str, body: bytes) -> None:
        return None

    sender = OtlpExporter("http://127.0.0.1:1", post)
    sender.offer([_doc(n) for n in range(5)])
    assert sender.dropped == 2


async def test_no_failure_ends_the_task_and_a_streak_is_logged_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(exporter, "LINGER", 0.0)
    monkeypatch.setattr(exporter, "FIRST_DELAY", 0.0)
    monkeypatch.setattr(exporter, "TRIES", 2)
    # Not an OSError: an HTTPException escaped the old except and ended the task.
    failures: list[Exception] = [http.client.BadStatusLine("x"), http.client.BadStatusLine("x")]
    posted = asyncio.Event()

    async def post(url: str, body: bytes) -> None:
        if failures:
            raise failures.pop()
        posted.set()

    sender = OtlpExporter("http://127.0.0.1:4318", post)
    await sender.start()
    with caplog.at_level(logging.WARNING, logger=exporter.__name__):
        sender.offer([_doc(1)])
        for _ in range(1000):
            if sender.dropped:
                break
            await asyncio.sleep(0.01)
        sender.offer([_doc(2)])
        await asyncio.wait_for(posted.wait(), 10)
    await sender.close()
    assert (sender.dropped, sender.exported) == (1, 1)
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1


async def test_an_answer_otlp_says_not_to_retry_is_not_retried(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tries = 0

    async def post(url: str, body: bytes) -> None:
        nonlocal tries
        tries += 1
        raise exporter.Rejected("HTTP 400")

    sender = OtlpExporter("http://127.0.0.1:1", post)
    await sender._send([_doc(1)])
    assert (tries, sender.dropped) == (1, 1)


class _Collector(http.server.BaseHTTPRequestHandler):
    status = 400

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(self.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


async def test_http_answers_are_sorted_into_final_and_retryable() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v1/traces"
    try:
        _Collector.status = 400
        with pytest.raises(exporter.Rejected):
            await exporter._post(url, b"{}")
        _Collector.status = 503
        with pytest.raises(urllib.error.HTTPError):
            await exporter._post(url, b"{}")
        _Collector.status = 200
        await exporter._post(url, b"{}")
    finally:
        server.shutdown()
        server.server_close()


async def test_close_sends_what_is_queued() -> None:
    posted: list[bytes] = []

    async def post(url: str, body: bytes) -> None:
        posted.append(body)

    sender = OtlpExporter("http://127.0.0.1:4318", post)
    await sender.start()
    sender.offer([_doc(n) for n in range(3)])
    await sender.close()
    assert sender.exported == 3 and len(posted) == 1

"""Asynchronous invocation against a running server, with boto3: retries and their count,
maximum age, throttles, reserved concurrency 0, destinations (functions and signed
webhooks) and parked records with their replay.

Records are caught by a real HTTP server in this process (a webhook destination, an Altus
extension). The server runs with ``ALTUS_ASYNC_TIME_SCALE=0.01``: Lambda's 1 and 2 minute
retry delays take 0.6 and 1.2 s, a maximum age of 60 s lasts 0.6 s.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.conftest import Server, create_function, python_function, start_server

pytestmark = pytest.mark.integration

SCALE = "0.01"


class Sink:
    """An HTTP endpoint that keeps each whole request POSTed to it; ``failing`` makes it
    answer 503."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.failing = False
        self.refused = 0
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                # Only a whole request is a record: a POST cut short (the sender killed
                # mid-write) reads fewer bytes than it declared, and is dropped unanswered.
                declared = self.headers.get("Content-Length")
                if declared is None or not declared.isdigit():
                    self.close_connection = True
                    return
                body = self.rfile.read(int(declared))
                if len(body) != int(declared):
                    self.close_connection = True
                    return
                if sink.failing:
                    sink.refused += 1
                    self.send_response(503)
                else:
                    sink.received.append((dict(self.headers.items()), body))
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def records(self, path: str | None = None) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in list(self.received)]

    def wait(
        self, predicate: Callable[[list[dict[str, Any]]], bool], timeout: float = 60
    ) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            records = self.records()
            if predicate(records):
                return records
            time.sleep(0.05)
        raise AssertionError(f"the sink never saw what was expected; it has {self.records()}")

    def close(self) -> None:
        self._server.shutdown()


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, module_store: dict[str, str]
) -> Iterator[Server]:
    running = start_server(
        tmp_path_factory.mktemp("async"),
        extra_env={"ALTUS_ASYNC_TIME_SCALE": SCALE, **module_store},
    )
    yield running
    running.stop()


@pytest.fixture
def sink() -> Iterator[Sink]:
    catcher = Sink()
    yield catcher
    catcher.close()


def _for(request_id: str) -> Callable[[list[dict[str, Any]]], bool]:
    return lambda records: any(r["requestContext"]["requestId"] == request_id for r in records)


def _record(records: list[dict[str, Any]], request_id: str) -> dict[str, Any]:
    return next(r for r in records if r["requestContext"]["requestId"] == request_id)


FAILING = python_function(
    "def handler(event, context):\n"
    "    print('run', context.aws_request_id)\n"
    "    raise ValueError('no good: ' + str(event.get('n')))\n"
)
ECHO = python_function(
    "def handler(event, context):\n"
    "    return {'echo': event, 'version': context.function_version}\n"
)


def test_function_errors_are_retried_twice_then_go_to_on_failure(server, sink):
    lam = server.client()
    create_function(lam, "fails", FAILING)
    lam.put_function_event_invoke_config(
        FunctionName="fails", DestinationConfig={"OnFailure": {"Destination": sink.url}}
    )
    answer = lam.invoke(FunctionName="fails", InvocationType="Event", Payload=b'{"n": 7}')
    assert answer["StatusCode"] == 202
    request_id = answer["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    record = _record(sink.wait(_for(request_id)), request_id)
    assert record["version"] == "1.0"
    assert record["timestamp"].endswith("Z") and "T" in record["timestamp"]
    assert record["requestContext"] == {
        "requestId": request_id,
        "functionArn": "arn:aws:lambda:us-east-1:000000000000:function:fails:$LATEST",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 3,
    }
    assert record["requestPayload"] == {"n": 7}
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert record["responsePayload"]["errorMessage"] == "no good: 7"
    assert record["responsePayload"]["errorType"] == "ValueError"
    # Three runs, all with the event's request id, and no fourth.
    logs = server.logs_client()
    time.sleep(0.5)
    events = logs.filter_log_events(logGroupName="/aws/lambda/fails")["events"]
    runs = [e for e in events if e["message"].startswith(f"run {request_id}")]
    assert len(runs) == 3


def test_the_signature_proves_the_sender(server, sink):
    lam = server.client()
    create_function(lam, "signed", ECHO)
    lam.put_function_event_invoke_config(
        FunctionName="signed", DestinationConfig={"OnSuccess": {"Destination": sink.url}}
    )
    answer = lam.invoke(FunctionName="signed", InvocationType="Event", Payload=b"{}")
    request_id = answer["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    sink.wait(_for(request_id))
    headers, body = next(
        (h, b)
        for h, b in sink.received
        if json.loads(b)["requestContext"]["requestId"] == request_id
    )
    key = (server.data_dir / "webhook.key").read_bytes().strip()
    stamp = headers["X-Altus-Timestamp"]
    expected = hmac.new(key, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["X-Altus-Signature"] == f"sha256={expected}"
    assert headers["X-Altus-Record-Kind"] == "OnSuccess"


def test_retries_follow_the_event_invoke_config_of_the_qualifier(server, sink):
    lam = server.client()
    create_function(lam, "fails-once", FAILING)
    version = lam.publish_version(FunctionName="fails-once")["Version"]
    lam.create_alias(FunctionName="fails-once", Name="live", FunctionVersion=version)
    lam.put_function_event_invoke_config(
        FunctionName="fails-once",
        Qualifier="live",
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": sink.url}},
    )
    answer = lam.invoke(
        FunctionName="fails-once", Qualifier="live", InvocationType="Event", Payload=b"{}"
    )
    request_id = answer["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    record = _record(sink.wait(_for(request_id)), request_id)
    assert record["requestContext"]["functionArn"].endswith(":function:fails-once:live")
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["responseContext"]["executedVersion"] == version


def test_an_event_older_than_its_maximum_age_is_not_run_again(server, sink):
    lam = server.client()
    create_function(lam, "ages", FAILING)
    # 60 s at this server's time scale: shorter than the first retry's delay.
    lam.put_function_event_invoke_config(
        FunctionName="ages",
        MaximumEventAgeInSeconds=60,
        MaximumRetryAttempts=2,
        DestinationConfig={"OnFailure": {"Destination": sink.url}},
    )
    answer = lam.invoke(FunctionName="ages", InvocationType="Event", Payload=b"{}")
    request_id = answer["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    record = _record(sink.wait(_for(request_id)), request_id)
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 1


def test_success_goes_to_on_success_and_a_function_destination_gets_the_record(server, sink):
    lam = server.client()
    create_function(lam, "first", ECHO)
    create_function(lam, "second", ECHO)
    second_arn = lam.get_function(FunctionName="second")["Configuration"]["FunctionArn"]
    lam.put_function_event_invoke_config(
        FunctionName="first", DestinationConfig={"OnSuccess": {"Destination": second_arn}}
    )
    lam.put_function_event_invoke_config(
        FunctionName="second", DestinationConfig={"OnSuccess": {"Destination": sink.url}}
    )
    answer = lam.invoke(FunctionName="first", InvocationType="Event", Payload=b'{"k": 1}')
    first_id = answer["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    records = sink.wait(
        lambda rs: any(
            isinstance(r["requestPayload"], dict)
            and r["requestPayload"].get("requestContext", {}).get("requestId") == first_id
            for r in rs
        )
    )
    # The second function was invoked with the first one's success record.
    outer = next(
        r
        for r in records
        if isinstance(r["requestPayload"], dict)
        and r["requestPayload"].get("requestContext", {}).get("requestId") == first_id
    )
    inner = outer["requestPayload"]
    assert inner["requestContext"]["condition"] == "Success"
    assert inner["requestContext"]["approximateInvokeCount"] == 1
    assert inner["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert inner["responsePayload"] == {"echo": {"k": 1}, "version": "$LATEST"}
    assert outer["requestContext"]["functionArn"].endswith(":function:second:$LATEST")
    assert outer["responsePayload"]["echo"] == inner


def test_reserved_concurrency_zero_sends_events_straight_to_failure(server, sink):
    lam = server.client()
    create_function(lam, "disabled", ECHO)
    lam.put_function_concurrency(FunctionName="disabled", ReservedConcurrentExecutions=0)
    lam.put_function_event_invoke_config(
        FunctionName="disabled", DestinationConfig={"OnFailure": {"Destination": sink.url}}
    )
    answer = lam.invoke(FunctionName="disabled", InvocationType="Event", Payload=b"{}")
    assert answer["StatusCode"] == 202
    request_id = answer["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    record = _record(sink.wait(_for(request_id)), request_id)
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["responseContext"]["statusCode"] == 429
    assert "functionError" not in record["responseContext"]


def test_throttled_events_wait_and_then_run(server, sink):
    lam = server.client()
    create_function(
        lam,
        "narrow",
        python_function(
            "import time\n"
            "def handler(event, context):\n"
            "    time.sleep(event.get('sleep', 0))\n"
            "    return 'ran'\n"
        ),
    )
    lam.put_function_concurrency(FunctionName="narrow", ReservedConcurrentExecutions=1)
    lam.put_function_event_invoke_config(
        FunctionName="narrow", DestinationConfig={"OnSuccess": {"Destination": sink.url}}
    )
    busy = threading.Thread(
        target=lambda: server.client().invoke(FunctionName="narrow", Payload=b'{"sleep": 1.5}')
    )
    busy.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # until the slow invoke holds the only slot
        with urllib.request.urlopen(f"{server.url}/_altus/health", timeout=10) as answer:
            if json.loads(answer.read())["in_flight"] >= 1:
                break
        time.sleep(0.02)
    answer = lam.invoke(FunctionName="narrow", InvocationType="Event", Payload=b"{}")
    request_id = answer["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    record = _record(sink.wait(_for(request_id)), request_id)
    busy.join(timeout=60)
    assert record["requestContext"]["condition"] == "Success"
    assert record["requestContext"]["approximateInvokeCount"] >= 2
    assert record["responsePayload"] == "ran"
    stats = _get(server, "/_altus/async/stats")["Functions"]["narrow"]
    assert stats["throttled"] >= 1 and stats["succeeded"] >= 1


def test_a_target_that_is_down_gets_the_record_later_or_parks_it(server, sink):
    lam = server.client()
    create_function(lam, "patient", ECHO)
    lam.put_function_event_invoke_config(
        FunctionName="patient", DestinationConfig={"OnSuccess": {"Destination": sink.url}}
    )
    sink.failing = True
    answer = lam.invoke(FunctionName="patient", InvocationType="Event", Payload=b"{}")
    request_id = answer["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    # Eight tries (backoff 10 ms doubling at this scale), then the record is parked.
    parked = _wait(
        lambda: [
            r
            for r in _get(server, "/_altus/async/parked")["Records"]
            if r["RequestId"] == request_id
        ]
    )
    assert sink.refused >= 8
    assert parked[0]["Kind"] == "OnSuccess" and parked[0]["Target"] == sink.url
    assert "503" in parked[0]["LastError"]
    assert not any(r["requestContext"]["requestId"] == request_id for r in sink.records())
    # The operator replays it once the target is back.
    sink.failing = False
    replayed = _post(server, "/_altus/async/parked/replay", {"Ids": [parked[0]["Id"]]})
    assert replayed == {"Replayed": [parked[0]["Id"]]}
    sink.wait(_for(request_id))
    assert not [
        r for r in _get(server, "/_altus/async/parked")["Records"] if r["RequestId"] == request_id
    ]


def test_metrics_report_the_queue(server):
    with urllib.request.urlopen(f"{server.url}/metrics", timeout=10) as answer:
        text = answer.read().decode()
        assert answer.headers["Content-Type"].startswith("text/plain")
    assert 'altus_async_received_total{function="fails"}' in text
    assert "altus_async_queued_events" in text
    # The invocation hook's counters: every run of "fails" ended in a function error.
    runs = re.search(r'altus_invocations_total\{function="fails"\} (\d+)', text)
    errors = re.search(r'altus_invocation_errors_total\{function="fails"\} (\d+)', text)
    assert runs and errors and int(runs.group(1)) >= 1
    assert errors.group(1) == runs.group(1)
    assert 'altus_cold_starts_total{function="fails"}' in text


def test_bad_destinations_and_admin_requests_are_refused(server):
    lam = server.client()
    create_function(lam, "picky", ECHO)
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.put_function_event_invoke_config(
            FunctionName="picky",
            DestinationConfig={
                "OnSuccess": {"Destination": "arn:aws:dynamodb:us-east-1:000000000000:table/t"}
            },
        )
    with pytest.raises(lam.exceptions.ClientError, match="ValidationException"):
        lam.put_function_event_invoke_config(
            FunctionName="picky", DestinationConfig={"OnSuccess": {"Destination": "ftp://x"}}
        )
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function_event_invoke_config(FunctionName="picky")
    request = urllib.request.Request(
        f"{server.url}/_altus/async/parked/replay", data=b'{"Ids": []}', method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 400


def _get(server: Server, path: str) -> Any:
    with urllib.request.urlopen(f"{server.url}{path}", timeout=10) as answer:
        return json.loads(answer.read())


def _post(server: Server, path: str, body: Any) -> Any:
    request = urllib.request.Request(
        f"{server.url}{path}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def _wait(probe: Callable[[], Any], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_no_acknowledged_event_is_lost_when_the_server_is_killed(tmp_path, sink, server_store):
    data_dir = tmp_path / "crash"
    first = start_server(data_dir, extra_env={"ALTUS_ASYNC_TIME_SCALE": SCALE, **server_store})
    second: Server | None = None
    try:
        lam = first.client()
        create_function(
            lam,
            "steady",
            python_function(
                "import time\ndef handler(event, context):\n    time.sleep(0.2)\n    return event\n"
            ),
        )
        lam.put_function_event_invoke_config(
            FunctionName="steady", DestinationConfig={"OnSuccess": {"Destination": sink.url}}
        )
        acknowledged: set[str] = set()
        stop = threading.Event()

        # Made here: boto3's default session is not safe to build clients from in threads.
        clients = [first.client() for _ in range(4)]

        def send(worker: int) -> None:
            own = clients[worker]
            for i in range(2000):
                if stop.is_set():
                    return
                tag = f"{worker}-{i}"
                try:
                    answer = own.invoke(
                        FunctionName="steady",
                        InvocationType="Event",
                        Payload=json.dumps({"tag": tag}).encode(),
                    )
                except Exception:
                    return  # the server is gone: this one was never acknowledged
                if answer["StatusCode"] == 202:
                    acknowledged.add(tag)

        senders = [threading.Thread(target=send, args=(n,)) for n in range(4)]
        for thread in senders:
            thread.start()
        sink.wait(lambda records: len(records) >= 10)
        first.stop(signal.SIGKILL)
        stop.set()
        for thread in senders:
            thread.join(timeout=60)
        delivered = {r["requestPayload"]["tag"] for r in sink.records()}
        assert acknowledged - delivered, "every event was delivered before the kill"

        second = start_server(data_dir, extra_env={"ALTUS_ASYNC_TIME_SCALE": SCALE, **server_store})
        sink.wait(
            lambda records: acknowledged <= {r["requestPayload"]["tag"] for r in records},
            timeout=240,
        )
    finally:
        first.stop(signal.SIGKILL)
        if second is not None:
            second.stop()


def test_altus_queue_commands(server, sink):
    lam = server.client()
    create_function(lam, "cli-parked", ECHO)
    lam.put_function_event_invoke_config(
        FunctionName="cli-parked",
        DestinationConfig={
            "OnSuccess": {"Destination": "arn:aws:events:us-east-1:000000000000:event-bus/x"}
        },
    )
    lam.invoke(FunctionName="cli-parked", InvocationType="Event", Payload=b"{}")
    parked = _wait(
        lambda: [
            r
            for r in _get(server, "/_altus/async/parked")["Records"]
            if r["FunctionName"] == "cli-parked"
        ]
    )
    assert "Event bus x does not exist." in parked[0]["LastError"]
    # A bus that does not exist (yet): tried as often as a missing queue, then parked.
    assert parked[0]["Attempts"] == 8

    def altus(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "altus", "queue", *args, "--endpoint", server.url],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "cli-parked" in altus("stats")
    assert parked[0]["Id"] in altus("parked")
    assert json.loads(altus("parked", "--json"))
    assert "discarded 1 record(s)" in altus("discard", parked[0]["Id"])
    assert parked[0]["Id"] not in altus("parked")
    assert "queued" in altus("events", "--function", "cli-parked")

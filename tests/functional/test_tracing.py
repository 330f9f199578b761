"""X-Ray traces end to end on an in-process server (real functions in the ``process``
sandbox): trace headers through Invoke, async invokes, an SQS mapping, API Gateway and
Step Functions; Lambda's platform segments; a function's own segment sent over UDP to
``AWS_XRAY_DAEMON_ADDRESS``, kept and nested under the function's segment; an invocation's
trace by its request id; OTLP export to a receiver this module runs on loopback."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from altus.testing import Harness
from altus.xray import api as xray_api
from tests.conftest import PYTHON_RUNTIME
from tests.functional.gateways import allow_api_gateway, lambda_uri

ROOT = "1-5759e988-bd862e3fe1be46a994272793"
ACCOUNT = "000000000000"

FUNCTION = """
import json, os, random, socket, time

def handler(event, context):
    header = os.environ.get("_X_AMZN_TRACE_ID", "")
    fields = dict(p.split("=", 1) for p in header.split(";") if "=" in p)
    if isinstance(event, dict) and event.get("send") and fields.get("Sampled") == "1":
        host, port = os.environ["AWS_XRAY_DAEMON_ADDRESS"].rsplit(":", 1)
        now = time.time()
        doc = {"type": "subsegment", "id": "%016x" % random.getrandbits(64),
               "trace_id": fields["Root"], "parent_id": fields["Parent"], "name": "work",
               "start_time": now, "end_time": now + 0.001, "annotations": {"k": "v"}}
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.sendto(b'{"format": "json", "version": 1}\\n' + json.dumps(doc).encode(),
                    (host, int(port)))
        sock.close()
    found = {"trace": header, "daemon": os.environ.get("AWS_XRAY_DAEMON_ADDRESS"),
             "missing": os.environ.get("AWS_XRAY_CONTEXT_MISSING"), "event": event}
    if isinstance(event, dict) and "httpMethod" in event:
        return {"statusCode": 200, "body": json.dumps(found)}
    return found
"""


class Receiver:
    """A small OTLP/HTTP receiver: what was POSTed to /v1/traces."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                if self.path == "/v1/traces":
                    received.append(json.loads(body))
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def spans(self) -> list[dict[str, Any]]:
        return [
            span
            for body in list(self.bodies)
            for resource in body["resourceSpans"]
            for scope in resource["scopeSpans"]
            for span in scope["spans"]
        ]


class Traced:
    def __init__(self, altus: Harness, receiver: Receiver) -> None:
        self.altus = altus
        self.receiver = receiver
        self.lam = altus.client("lambda")
        self.xray = altus.client("xray")
        self.arns: dict[str, str] = {}
        for name, mode in (("active", "Active"), ("passthrough", "PassThrough")):
            made = altus.create_function(
                name,
                files={"app.py": FUNCTION},
                runtime=PYTHON_RUNTIME,
                TracingConfig={"Mode": mode},
            )
            self.arns[name] = made["FunctionArn"]

    def invoke(self, name: str, event: Any = None, header: str | None = None) -> Any:
        client = self.altus.client("lambda")
        if header is not None:

            def add(request: Any, **_: Any) -> None:
                request.headers["X-Amzn-Trace-Id"] = header

            client.meta.events.register("before-sign.lambda.Invoke", add)
        response = client.invoke(FunctionName=name, Payload=json.dumps(event or {}))
        return response, json.loads(response["Payload"].read())

    def segments(self, root: str) -> list[dict[str, Any]]:
        """The trace's segments once the platform's two are kept (bounded wait)."""
        for _ in range(400):
            traces = self.xray.batch_get_traces(TraceIds=[root])["Traces"]
            if traces:
                docs = [json.loads(s["Document"]) for s in traces[0]["Segments"]]
                if {d.get("origin") for d in docs} >= {"AWS::Lambda", "AWS::Lambda::Function"}:
                    return docs
            time.sleep(0.05)
        raise AssertionError(f"no platform segments for {root}")


@pytest.fixture(scope="module")
def traced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Traced]:
    receiver = Receiver()
    data_dir: Path = tmp_path_factory.mktemp("altus-traces")
    with Harness(
        sandbox="process", clock=None, data_dir=data_dir, otlp_endpoint=receiver.url
    ) as altus:
        yield Traced(altus, receiver)
    receiver.server.shutdown()
    receiver.server.server_close()


def _fields(header: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in header.split(";"))


def _by_origin(docs: list[dict[str, Any]], origin: str) -> dict[str, Any]:
    return next(d for d in docs if d.get("origin") == origin)


def _until(check: Callable[[], Any]) -> Any:
    for _ in range(400):
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("not seen in time")


def test_invoke_joins_the_callers_trace_and_the_functions_segment_nests_its_own(
    traced: Traced,
) -> None:
    header = f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1"
    response, body = traced.invoke("passthrough", {"send": True}, header)
    seen = _fields(body["trace"])
    assert seen["Root"] == ROOT and seen["Sampled"] == "1"
    assert seen["Parent"] != "53995c3f42cd8ad8"  # the function segment's, not the caller's
    assert body["daemon"].startswith("127.0.0.1:")
    assert body["missing"] == "LOG_ERROR"
    docs = traced.segments(ROOT)
    service = _by_origin(docs, "AWS::Lambda")
    function = _by_origin(docs, "AWS::Lambda::Function")
    assert service["parent_id"] == "53995c3f42cd8ad8"
    assert function["parent_id"] == service["id"]
    assert function["id"] == seen["Parent"]
    request_id = response["ResponseMetadata"]["RequestId"]
    assert service["aws"]["request_id"] == request_id

    def nested() -> list[str]:
        found = traced.segments(ROOT)
        subs = _by_origin(found, "AWS::Lambda::Function")["subsegments"]
        return [s["name"] for s in subs]

    names = _until(lambda: "work" in nested() and nested())
    assert {"Invocation", "Overhead", "work"} <= set(names)
    # The invocation's trace, by its request id (what the console shows).
    with urllib.request.urlopen(
        f"{traced.altus.url}/_altus/traces/by-request/{request_id}", timeout=10
    ) as answer:
        shown = json.loads(answer.read())
    assert shown["TraceId"] == ROOT
    assert {s.get("origin") for s in shown["Segments"]} >= {"AWS::Lambda"}
    # Summaries, filtered.
    now = time.time()
    window = {"StartTime": now - 600, "EndTime": now + 60}
    found = traced.xray.get_trace_summaries(
        **window, FilterExpression='service("passthrough") AND annotation.k = "v"'
    )["TraceSummaries"]
    assert ROOT in [s["Id"] for s in found]
    none = traced.xray.get_trace_summaries(**window, FilterExpression="fault")["TraceSummaries"]
    assert ROOT not in [s["Id"] for s in none]
    with pytest.raises(ClientError) as refused:
        traced.xray.get_trace_summaries(**window, FilterExpression="edge(a, b)")
    assert refused.value.response["Error"]["Code"] == "InvalidRequestException"
    assert "edge" in refused.value.response["Error"]["Message"]
    # The graph: the caller's segment is not kept, so Lambda's service node is a root
    # calling the function's.
    graph = {
        (node["Name"], node["Type"]): node
        for node in traced.xray.get_trace_graph(TraceIds=[ROOT])["Services"]
    }
    service = graph[("passthrough", "AWS::Lambda")]
    function_node = graph[("passthrough", "AWS::Lambda::Function")]
    assert service["Root"] is True
    assert [e["ReferenceId"] for e in service["Edges"]] == [function_node["ReferenceId"]]


def test_tracing_config_decides_sampling_without_an_upstream_decision(traced: Traced) -> None:
    response, active = traced.invoke("active")
    assert _fields(active["trace"])["Sampled"] == "1"
    _, passthrough = traced.invoke("passthrough")
    assert _fields(passthrough["trace"])["Sampled"] == "0"
    # An upstream decision wins over Active.
    _, declined = traced.invoke("active", header=f"Root={ROOT};Sampled=0")
    assert _fields(declined["trace"]) == {**_fields(declined["trace"]), "Sampled": "0"}
    assert _fields(declined["trace"])["Root"] == ROOT
    request_id = response["ResponseMetadata"]["RequestId"]
    root = _fields(active["trace"])["Root"]
    assert _by_origin(traced.segments(root), "AWS::Lambda")["aws"]["request_id"] == request_id


def test_async_invokes_keep_the_trace(traced: Traced) -> None:
    root = "1-5759e988-00000000000000000000a51c"
    lam = traced.altus.client("lambda")

    def add(request: Any, **_: Any) -> None:
        request.headers["X-Amzn-Trace-Id"] = f"Root={root};Sampled=1"

    lam.meta.events.register("before-sign.lambda.Invoke", add)
    response = lam.invoke(FunctionName="passthrough", InvocationType="Event", Payload=b"{}")
    assert response["StatusCode"] == 202
    docs = traced.segments(root)
    request_id = response["ResponseMetadata"]["RequestId"]
    assert _by_origin(docs, "AWS::Lambda")["aws"]["request_id"] == request_id


def test_an_sqs_mapping_invokes_in_the_first_records_trace(traced: Traced) -> None:
    root = "1-5759e988-000000000000000000005e55"
    sqs = traced.altus.client("sqs")
    url = sqs.create_queue(QueueName="traced")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sqs.send_message(
        QueueUrl=url,
        MessageBody="{}",
        MessageSystemAttributes={
            "AWSTraceHeader": {
                "StringValue": f"Root={root};Parent=1111111111111111;Sampled=1",
                "DataType": "String",
            }
        },
    )
    mapping = traced.lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName="passthrough", BatchSize=1
    )
    try:
        docs = traced.segments(root)
        assert _by_origin(docs, "AWS::Lambda")["parent_id"] == "1111111111111111"
    finally:
        traced.lam.delete_event_source_mapping(UUID=mapping["UUID"])


def test_sqs_takes_the_senders_http_trace_header_unless_the_message_names_one(
    traced: Traced,
) -> None:
    # What the X-Ray SDK does for an instrumented client: the header, for every message
    # of the call; a message's own AWSTraceHeader attribute wins over it.
    sqs = traced.altus.client("sqs")
    header = "Root=1-5759e988-00000000000000000000a5a5;Parent=4444444444444444;Sampled=1"
    own = "Root=1-5759e988-00000000000000000000b6b6;Sampled=0"

    def add(request: Any, **_: Any) -> None:
        request.headers["X-Amzn-Trace-Id"] = header + ";Lineage=a:1"

    sqs.meta.events.register("before-sign.sqs.*", add)
    url = sqs.create_queue(QueueName="traced-by-header")["QueueUrl"]
    sent = sqs.send_message(QueueUrl=url, MessageBody="one")
    assert "MD5OfMessageSystemAttributes" not in sent  # none was sent as an attribute
    sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "a", "MessageBody": "two"},
            {
                "Id": "b",
                "MessageBody": "three",
                "MessageSystemAttributes": {
                    "AWSTraceHeader": {"DataType": "String", "StringValue": own}
                },
            },
        ],
    )
    plain = traced.altus.client("sqs")
    plain.send_message(QueueUrl=url, MessageBody="four")
    seen: dict[str, str | None] = {}
    for _ in range(20):
        got = plain.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["AWSTraceHeader"]
        ).get("Messages", [])
        for message in got:
            seen[message["Body"]] = message.get("Attributes", {}).get("AWSTraceHeader")
        if len(seen) == 4:
            break
    assert seen == {"one": header, "two": header, "three": own, "four": None}


def test_api_gateway_hands_its_trace_to_the_function_and_answers_it(traced: Traced) -> None:
    gw = traced.altus.client("apigateway")
    allow_api_gateway(traced.lam, "passthrough")
    api_id = gw.create_rest_api(name="traced")["id"]
    root_resource = next(r["id"] for r in gw.get_resources(restApiId=api_id)["items"])
    gw.put_method(
        restApiId=api_id, resourceId=root_resource, httpMethod="GET", authorizationType="NONE"
    )
    gw.put_integration(
        restApiId=api_id,
        resourceId=root_resource,
        httpMethod="GET",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=lambda_uri(traced.arns["passthrough"]),
    )
    gw.create_deployment(restApiId=api_id, stageName="prod")
    url = f"{traced.altus.url}/_aws/execute-api/{api_id}/prod/"
    root = "1-5759e988-00000000000000000000a919"
    given = f"Root={root};Parent=2222222222222222;Sampled=1"
    answer = httpx.get(url, headers={"X-Amzn-Trace-Id": given}, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-amzn-trace-id"] == given
    body = answer.json()
    assert _fields(body["trace"])["Root"] == root
    # Without one, API Gateway starts a trace: the event and the answer show it.
    fresh = httpx.get(url, timeout=30)
    started = fresh.headers["x-amzn-trace-id"]
    assert _fields(started)["Root"].startswith("1-")
    assert fresh.json()["event"]["headers"]["X-Amzn-Trace-Id"] == started
    # The event shows the header API Gateway hands on (normalised), not the client's.
    extra = httpx.get(url, headers={"X-Amzn-Trace-Id": given + ";Lineage=a:1"}, timeout=30)
    assert extra.json()["event"]["headers"]["X-Amzn-Trace-Id"] == given
    assert extra.headers["x-amzn-trace-id"] == given


def test_a_function_url_carries_the_callers_trace_or_starts_one(traced: Traced) -> None:
    made = traced.lam.create_function_url_config(FunctionName="passthrough", AuthType="NONE")
    url = f"{traced.altus.url}/{made['FunctionUrl'].split('/', 3)[3]}"
    root = "1-5759e988-00000000000000000000a91a"
    given = f"Root={root};Parent=3333333333333333;Sampled=1"
    answer = httpx.get(url, headers={"X-Amzn-Trace-Id": given + ";Lineage=a:1"}, timeout=30)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert _fields(body["trace"])["Root"] == root
    # The event shows the header handed on (normalised), in the URL event's lower case.
    assert body["event"]["headers"]["x-amzn-trace-id"] == given
    # Without one, a trace is started: the event and the function see the same root.
    fresh = httpx.get(url, timeout=30).json()
    started = _fields(fresh["event"]["headers"]["x-amzn-trace-id"])["Root"]
    assert started.startswith("1-") and started != root
    assert _fields(fresh["trace"])["Root"] == started


def test_step_functions_hand_the_executions_trace_to_lambda(traced: Traced) -> None:
    sfn = traced.altus.client("stepfunctions")
    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": traced.arns["passthrough"], "Payload.$": "$"},
                "OutputPath": "$.Payload",
                "End": True,
            }
        },
    }
    machine = sfn.create_state_machine(
        name="traced",
        definition=json.dumps(definition),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn",
        tracingConfiguration={"enabled": True},
    )["stateMachineArn"]
    root = "1-5759e988-0000000000000000000005f9"
    execution = sfn.start_execution(
        stateMachineArn=machine, input="{}", traceHeader=f"Root={root};Parent=3333333333333333"
    )["executionArn"]

    def finished() -> dict[str, Any] | None:
        described: dict[str, Any] = sfn.describe_execution(executionArn=execution)
        return described if described["status"] != "RUNNING" else None

    described = _until(finished)
    assert described["status"] == "SUCCEEDED", described
    seen = _fields(json.loads(described["output"])["trace"])
    # Tracing enabled: the execution's trace, sampled since the header decided nothing.
    assert (seen["Root"], seen["Sampled"]) == (root, "1")


def test_kept_segments_are_exported_as_otlp_spans(traced: Traced) -> None:
    root = "1-5759e988-000000000000000000000071"
    traced.invoke("passthrough", header=f"Root={root};Sampled=1")
    traced.segments(root)
    wanted = "5759e988000000000000000000000071"
    spans = _until(lambda: [s for s in traced.receiver.spans() if s["traceId"] == wanted])
    names = {s["name"] for s in spans}
    assert {"passthrough", "Invocation"} <= names
    by_id = {s["spanId"]: s for s in spans}
    function = next(
        s
        for s in spans
        if {"key": "aws.xray.origin", "value": {"stringValue": "AWS::Lambda::Function"}}
        in s["attributes"]
    )
    assert by_id[function["parentSpanId"]]["name"] == "passthrough"
    assert int(function["endTimeUnixNano"]) >= int(function["startTimeUnixNano"]) > 0


def test_put_trace_segments_keeps_and_refuses(traced: Traced) -> None:
    root = "1-5759e988-0000000000000000000000b0"
    now = time.time()
    good = {
        "trace_id": root,
        "id": "70de5b6f19ff9a0a",
        "name": "client",
        "start_time": now,
        "end_time": now + 0.5,
        "http": {"response": {"status": 500}},
        "fault": True,
    }
    answer = traced.xray.put_trace_segments(
        TraceSegmentDocuments=[json.dumps(good), json.dumps({"id": "70de5b6f19ff9a0b"}), "{"]
    )
    refused = answer["UnprocessedTraceSegments"]
    assert [r["Id"] for r in refused] == ["70de5b6f19ff9a0b", ""]
    traces = traced.xray.batch_get_traces(TraceIds=[root, "1-5759e988-0000000000000000000000b1"])
    assert [t["Id"] for t in traces["Traces"]] == [root]
    assert traces["UnprocessedTraceIds"] == ["1-5759e988-0000000000000000000000b1"]
    window = {"StartTime": now - 60, "EndTime": now + 60}
    for expression in ("http.status = 500", "fault", "responsetime > 0.4", "!ok"):
        found = traced.xray.get_trace_summaries(**window, FilterExpression=expression)
        assert root in [s["Id"] for s in found["TraceSummaries"]], expression
    summary = next(
        s for s in traced.xray.get_trace_summaries(**window)["TraceSummaries"] if s["Id"] == root
    )
    assert summary["HasFault"] is True and summary["Http"]["HttpStatus"] == 500


def _queue(traced: Traced, name: str) -> tuple[Any, str, str]:
    sqs = traced.altus.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return sqs, url, arn


def _trace_of_message(sqs: Any, url: str) -> str:
    def received() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = sqs.receive_message(
            QueueUrl=url, MessageSystemAttributeNames=["AWSTraceHeader"], WaitTimeSeconds=0
        ).get("Messages", [])
        return found

    [message] = _until(received)
    trace: str = message["Attributes"]["AWSTraceHeader"]
    return trace


def test_sns_hands_the_publishers_trace_to_functions_and_queues(traced: Traced) -> None:
    root = "1-5759e988-000000000000000000000535"
    header = f"Root={root};Parent=4444444444444444;Sampled=1"
    sns = traced.altus.client("sns")
    topic = sns.create_topic(Name="traced")["TopicArn"]
    traced.lam.add_permission(
        FunctionName="passthrough",
        StatementId="sns",
        Action="lambda:InvokeFunction",
        Principal="sns.amazonaws.com",
        SourceArn=topic,
    )
    sqs, url, queue_arn = _queue(traced, "from-sns")
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=traced.arns["passthrough"])
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)

    def add(request: Any, **_: Any) -> None:
        request.headers["X-Amzn-Trace-Id"] = header

    sns.meta.events.register("before-sign.sns.Publish", add)
    sns.publish(TopicArn=topic, Message="hello")
    assert _trace_of_message(sqs, url) == header
    assert _by_origin(traced.segments(root), "AWS::Lambda")["parent_id"] == "4444444444444444"


def test_eventbridge_hands_the_events_trace_to_functions(traced: Traced) -> None:
    root = "1-5759e988-0000000000000000000000eb"
    events = traced.altus.client("events")
    rule = events.put_rule(Name="traced", EventPattern=json.dumps({"source": ["traced.test"]}))
    traced.lam.add_permission(
        FunctionName="passthrough",
        StatementId="events",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=rule["RuleArn"],
    )
    events.put_targets(Rule="traced", Targets=[{"Id": "f", "Arn": traced.arns["passthrough"]}])
    events.put_events(
        Entries=[
            {
                "Source": "traced.test",
                "DetailType": "t",
                "Detail": "{}",
                "TraceHeader": f"Root={root};Parent=5555555555555555;Sampled=1",
            }
        ]
    )
    assert _by_origin(traced.segments(root), "AWS::Lambda")["parent_id"] == "5555555555555555"


def test_an_async_events_destination_record_keeps_its_trace(traced: Traced) -> None:
    header = "Root=1-5759e988-0000000000000000000000de;Sampled=0"
    sqs, url, queue_arn = _queue(traced, "destination")
    traced.lam.put_function_event_invoke_config(
        FunctionName="active", DestinationConfig={"OnSuccess": {"Destination": queue_arn}}
    )
    lam = traced.altus.client("lambda")

    def add(request: Any, **_: Any) -> None:
        request.headers["X-Amzn-Trace-Id"] = header

    lam.meta.events.register("before-sign.lambda.Invoke", add)
    lam.invoke(FunctionName="active", InvocationType="Event", Payload=b"{}")
    assert _trace_of_message(sqs, url) == header


def test_put_trace_segments_refuses_what_it_could_not_read_back(traced: Traced) -> None:
    now = time.time()

    def doc(n: int, **extra: Any) -> dict[str, Any]:
        return {
            "trace_id": f"1-5759e988-{n:024x}",
            "id": f"{n:016x}",
            "name": "svc",
            "start_time": now,
            "end_time": now + 0.1,
            **extra,
        }

    bad = [
        json.dumps(doc(0xC1, subsegments=5)),
        json.dumps(doc(0xC2, start_time=1e300)),
        json.dumps(doc(0xC3, http={"response": {"status": "abc"}})),
        json.dumps(doc(0xC4)).replace(f"{now + 0.1}", "NaN"),
    ]
    subsegments = [
        doc(0xC6, type="subsegment", parent_id=f"{0xC5:016x}", trace_id=doc(0xC5)["trace_id"])
    ]
    answer = traced.xray.put_trace_segments(
        TraceSegmentDocuments=[*bad, json.dumps(doc(0xC5)), json.dumps(subsegments)]
    )
    assert len(answer["UnprocessedTraceSegments"]) == len(bad)
    kept = traced.xray.batch_get_traces(TraceIds=[doc(0xC5)["trace_id"]])["Traces"]
    [top] = [json.loads(s["Document"]) for s in kept[0]["Segments"]]
    assert [s["id"] for s in top["subsegments"]] == [f"{0xC6:016x}"]
    traced.xray.get_trace_summaries(StartTime=now - 60, EndTime=now + 60)
    with pytest.raises(traced.xray.exceptions.InvalidRequestException):
        traced.xray.batch_get_traces(TraceIds=[doc(n)["trace_id"] for n in range(1, 7)])


def test_trace_summaries_page_with_next_token(
    traced: Traced, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xray_api, "PAGE", 2)
    monkeypatch.setattr(xray_api, "CHUNK", 3)
    start = time.time() - 7 * 86400  # a window of its own
    roots = [f"1-5759e988-{0xD00 + n:024x}" for n in range(7)]
    traced.xray.put_trace_segments(
        TraceSegmentDocuments=[
            json.dumps(
                {
                    "trace_id": root,
                    "id": f"{n + 1:016x}",
                    "name": "paged",
                    "start_time": start + n,
                    "end_time": start + n + 0.5,
                }
            )
            for n, root in enumerate(roots)
        ]
    )
    window = {"StartTime": start - 1, "EndTime": start + 60}
    seen: list[str] = []
    token = None
    for _ in range(10):
        page = traced.xray.get_trace_summaries(**window, **({"NextToken": token} if token else {}))
        assert len(page["TraceSummaries"]) <= 2
        seen += [s["Id"] for s in page["TraceSummaries"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == roots
    with pytest.raises(traced.xray.exceptions.InvalidRequestException):
        traced.xray.get_trace_summaries(**window, NextToken="nope")

"""Response streaming end to end: InvokeWithResponseStream through boto3, real Python and
Node functions, real sandboxes; and Invoke of functions that stream."""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import sys
import textwrap
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import create_function, invoke

pytestmark = pytest.mark.integration

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")


class Rendezvous:
    """A socket a function connects to after its first chunk, waiting for a word from
    the test, which sends it only once it holds that chunk. A platform that buffered the
    response would keep the chunk until the function ended, and the function, having
    waited in vain (20 s at most), says so in its last chunk."""

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(30)
        self.port = self._sock.getsockname()[1]

    def release(self) -> None:
        try:
            conn, _ = self._sock.accept()
            with conn:
                conn.sendall(b"go")
        except OSError:
            pass  # the function gave up already: its last chunk tells

    def close(self) -> None:
        self._sock.close()


PYTHON_RENDEZVOUS = textwrap.dedent("""
    import socket

    def handler(event, context):
        yield "first;"
        try:
            with socket.create_connection(("127.0.0.1", event["port"]), timeout=20) as s:
                got = s.recv(2).decode()
        except OSError:
            got = "nothing"
        yield b"then:" + got.encode()
""")

NODE_RENDEZVOUS = textwrap.dedent("""
    const net = require('net');
    exports.handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
      responseStream.setContentType('text/plain');
      responseStream.write('first;');
      const got = await new Promise((resolve) => {
        const s = net.connect(event.port, '127.0.0.1');
        s.setTimeout(20000, () => { s.destroy(); resolve('nothing'); });
        s.on('data', (data) => { resolve(data.toString()); s.destroy(); });
        s.on('error', () => resolve('nothing'));
      });
      responseStream.write(Buffer.from('then:' + got));
      if (event.fail) throw new TypeError('broken after ' + context.awsRequestId);
      responseStream.end();
    });
""")


def events(response: dict[str, Any]) -> list[dict[str, Any]]:
    return list(response["EventStream"])


def streamed(
    client: Any, name: str, rendezvous: Rendezvous, payload: dict[str, Any], **kwargs: Any
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Invoke with a response stream; release the function once its first chunk is
    here; return the response and every event."""
    response = client.invoke_with_response_stream(
        FunctionName=name, Payload=json.dumps({**payload, "port": rendezvous.port}), **kwargs
    )
    stream = iter(response["EventStream"])
    first = next(stream)
    rendezvous.release()
    return response, [first, *stream]


def chunks_of(got: list[dict[str, Any]]) -> bytes:
    return b"".join(e["PayloadChunk"]["Payload"] for e in got if "PayloadChunk" in e)


@pytest.fixture
def rendezvous() -> Any:
    point = Rendezvous()
    yield point
    point.close()


def test_a_python_generator_streams_as_it_yields(client: Any, rendezvous: Rendezvous) -> None:
    create_function(client, "py-stream", {"app.py": PYTHON_RENDEZVOUS}, Timeout=30)
    response, got = streamed(client, "py-stream", rendezvous, {}, LogType="Tail")
    assert response["StatusCode"] == 200
    assert response["ExecutedVersion"] == "$LATEST"
    assert response["ResponseStreamContentType"] == "application/vnd.amazon.eventstream"
    assert got[0] == {"PayloadChunk": {"Payload": b"first;"}}
    assert chunks_of(got) == b"first;then:go"
    complete = got[-1]["InvokeComplete"]
    assert "ErrorCode" not in complete
    tail = base64.b64decode(complete["LogResult"]).decode()
    request_id = response["ResponseMetadata"]["RequestId"]
    assert f"END RequestId: {request_id}" in tail and f"REPORT RequestId: {request_id}" in tail


@needs_node
def test_node_streamify_response_streams_and_reports_a_mid_stream_error(
    client: Any, rendezvous: Rendezvous
) -> None:
    create_function(
        client,
        "node-stream",
        {"index.js": NODE_RENDEZVOUS},
        runtime="nodejs20.x",
        handler="index.handler",
        Timeout=30,
    )
    _, got = streamed(client, "node-stream", rendezvous, {})
    assert chunks_of(got) == b"first;then:go"
    assert got[-1] == {"InvokeComplete": {}}

    response, got = streamed(client, "node-stream", rendezvous, {"fail": True})
    assert chunks_of(got) == b"first;then:go"  # what came before the error still came
    complete = got[-1]["InvokeComplete"]
    assert complete["ErrorCode"] == "TypeError"
    details = json.loads(complete["ErrorDetails"])
    request_id = response["ResponseMetadata"]["RequestId"]
    assert details["errorType"] == "TypeError"
    assert details["errorMessage"] == f"broken after {request_id}"


@needs_node
def test_node_http_response_stream_prelude_and_buffered_invokes_of_streams(client: Any) -> None:
    create_function(
        client,
        "node-http",
        {
            "index.mjs": textwrap.dedent("""
        export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
          const stream = awslambda.HttpResponseStream.from(responseStream, {
            statusCode: 201, headers: { 'x-custom': 'yes' }, cookies: ['a=b'] });
          stream.write('body');
          stream.end('!');
        });
    """)
        },
        runtime="nodejs20.x",
        handler="index.handler",
    )
    got = events(client.invoke_with_response_stream(FunctionName="node-http"))
    prelude, _, body = chunks_of(got).partition(b"\0" * 8)
    assert json.loads(prelude) == {
        "statusCode": 201,
        "headers": {"x-custom": "yes"},
        "cookies": ["a=b"],
    }
    assert body == b"body!"
    # Invoke waits for the whole stream.
    response = client.invoke(FunctionName="node-http")
    assert "FunctionError" not in response
    assert response["Payload"].read().endswith(b"\0" * 8 + b"body!")


def test_buffered_invokes_of_a_generator_collect_it(client: Any) -> None:
    create_function(
        client,
        "py-gen",
        {
            "app.py": textwrap.dedent("""
        def handler(event, context):
            if event.get("early"):
                raise KeyError("before anything")
            yield "a"
            yield None
            yield b""
            yield bytearray(b"b")
            if event.get("bad"):
                yield {"not": "bytes"}
            if event.get("big"):
                for _ in range(7):
                    yield b"x" * (1024 * 1024)
            yield "c"
    """)
        },
    )
    response = client.invoke(FunctionName="py-gen", Payload=b"{}")
    assert "FunctionError" not in response and response["Payload"].read() == b"abc"

    response, body = invoke(client, "py-gen", {"bad": True})
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.MarshalError"
    assert "must be bytes or str, not dict" in body["errorMessage"]

    response, body = invoke(client, "py-gen", {"big": True})
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Function.ResponseSizeTooLarge"

    response, body = invoke(client, "py-gen", {"early": True})
    assert response["FunctionError"] == "Unhandled" and body["errorType"] == "KeyError"
    # The environment served all of these and still does.
    assert client.invoke(FunctionName="py-gen")["Payload"].read() == b"abc"


def test_a_large_stream_passes_whole(client: Any) -> None:
    create_function(
        client,
        "py-large",
        {
            "app.py": textwrap.dedent("""
        def handler(event, context):
            for i in range(40):
                yield bytes([i]) * (256 * 1024)
    """)
        },
        MemorySize=256,
    )
    got = events(client.invoke_with_response_stream(FunctionName="py-large"))
    data = chunks_of(got)
    assert len(data) == 40 * 256 * 1024
    assert data == b"".join(bytes([i]) * (256 * 1024) for i in range(40))
    assert got[-1] == {"InvokeComplete": {}}


def test_a_function_that_does_not_stream_is_one_chunk(client: Any) -> None:
    create_function(
        client,
        "plain",
        {
            "app.py": textwrap.dedent("""
        def handler(event, context):
            if event.get("fail"):
                raise ValueError("plain failure")
            return {"echo": event}
    """)
        },
    )
    got = events(
        client.invoke_with_response_stream(
            FunctionName="plain",
            Payload=b'{"a": 1}',
            ClientContext=base64.b64encode(b'{"custom": {}}').decode(),
        )
    )
    assert got == [{"PayloadChunk": {"Payload": b'{"echo": {"a": 1}}'}}, {"InvokeComplete": {}}]

    got = events(
        client.invoke_with_response_stream(FunctionName="plain", Payload=b'{"fail": true}')
    )
    assert len(got) == 1
    complete = got[0]["InvokeComplete"]
    assert complete["ErrorCode"] == "ValueError"
    assert json.loads(complete["ErrorDetails"])["errorMessage"] == "plain failure"


def test_a_timeout_mid_stream_ends_the_stream(client: Any) -> None:
    create_function(
        client,
        "py-slow",
        {
            "app.py": textwrap.dedent("""
        import time

        def handler(event, context):
            yield "started"
            time.sleep(60)
            yield "never"
    """)
        },
        Timeout=1,
    )
    got = events(client.invoke_with_response_stream(FunctionName="py-slow", LogType="Tail"))
    assert chunks_of(got) == b"started"
    complete = got[-1]["InvokeComplete"]
    assert complete["ErrorCode"] == "Sandbox.Timedout"
    assert (
        "Task timed out after 1.00 seconds" in json.loads(complete["ErrorDetails"])["errorMessage"]
    )
    tail = base64.b64decode(complete["LogResult"]).decode()
    assert "Status: timeout" in tail
    # A new environment serves the next invoke.
    assert (
        chunks_of(events(client.invoke_with_response_stream(FunctionName="py-slow"))) == b"started"
    )


def test_a_crash_mid_stream_is_an_exit_error(client: Any) -> None:
    create_function(
        client,
        "py-crash",
        {
            "app.py": textwrap.dedent("""
        import os

        def handler(event, context):
            yield "partial"
            if event.get("crash"):
                os._exit(3)
            yield " fine"
    """)
        },
    )
    got = events(
        client.invoke_with_response_stream(FunctionName="py-crash", Payload=b'{"crash": true}')
    )
    assert chunks_of(got) == b"partial"
    complete = got[-1]["InvokeComplete"]
    assert complete["ErrorCode"] == "Runtime.ExitError"
    assert "exit status 3" in json.loads(complete["ErrorDetails"])["errorMessage"]
    assert (
        chunks_of(events(client.invoke_with_response_stream(FunctionName="py-crash")))
        == b"partial fine"
    )


def test_errors_before_the_stream_are_ordinary_api_errors(client: Any) -> None:
    with pytest.raises(ClientError) as missing:
        client.invoke_with_response_stream(FunctionName="no-such-function")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404

    create_function(client, "py-guarded", {"app.py": "def handler(e, c):\n    return 1\n"})
    with pytest.raises(ClientError) as bad:
        client.invoke_with_response_stream(FunctionName="py-guarded", Payload=b"{not json")
    assert bad.value.response["Error"]["Code"] == "InvalidRequestContentException"

    dry = client.invoke_with_response_stream(FunctionName="py-guarded", InvocationType="DryRun")
    assert dry["StatusCode"] == 204 and dry["ExecutedVersion"] == "$LATEST"

    client.put_function_concurrency(FunctionName="py-guarded", ReservedConcurrentExecutions=0)
    try:
        with pytest.raises(ClientError) as throttled:
            client.invoke_with_response_stream(FunctionName="py-guarded")
        error = throttled.value.response
        assert error["Error"]["Code"] == "TooManyRequestsException"
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 429
        assert error["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    finally:
        client.delete_function_concurrency(FunctionName="py-guarded")


def test_qualifiers_and_aliases(client: Any) -> None:
    create_function(
        client,
        "py-versions",
        {
            "app.py": textwrap.dedent("""
        def handler(event, context):
            yield context.function_version
    """)
        },
    )
    version = client.publish_version(FunctionName="py-versions")["Version"]
    client.create_alias(FunctionName="py-versions", Name="live", FunctionVersion=version)
    response = client.invoke_with_response_stream(FunctionName="py-versions", Qualifier="live")
    assert response["ExecutedVersion"] == version
    assert chunks_of(events(response)) == version.encode()


# The interpreter itself, not the venv's link to it (an isolating sandbox shows the
# interpreters Altus runs).
CUSTOM_STREAMING_BOOTSTRAP = f"""#!{os.path.realpath(sys.executable)}
# A custom runtime streaming with the standard library's chunked encoding.
import http.client, json, os
api = os.environ["AWS_LAMBDA_RUNTIME_API"]
while True:
    conn = http.client.HTTPConnection(api)
    conn.request("GET", "/2018-06-01/runtime/invocation/next")
    answer = conn.getresponse()
    request_id = answer.getheader("Lambda-Runtime-Aws-Request-Id")
    event = json.loads(answer.read())
    conn.request("POST", f"/2018-06-01/runtime/invocation/{{request_id}}/response",
                 body=iter([b"chunk one, ", b"chunk two"]), encode_chunked=True,
                 headers={{"Lambda-Runtime-Function-Response-Mode": event["mode"],
                          "Content-Type": "text/plain", "Transfer-Encoding": "chunked"}})
    answer = conn.getresponse()
    print("the Runtime API answered", answer.status, json.loads(answer.read()), flush=True)
    conn.close()
"""


def test_a_custom_runtime_streams_and_a_bad_mode_fails_the_invocation(client: Any) -> None:
    create_function(
        client,
        "custom-stream",
        {"bootstrap": CUSTOM_STREAMING_BOOTSTRAP},
        runtime="provided.al2023",
        handler="x",
    )
    got = events(
        client.invoke_with_response_stream(
            FunctionName="custom-stream", Payload=b'{"mode": "streaming"}'
        )
    )
    assert chunks_of(got) == b"chunk one, chunk two" and got[-1] == {"InvokeComplete": {}}

    response, body = invoke(client, "custom-stream", {"mode": "buffered"})
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.InvalidResponseModeHeader"
    # The runtime was told (400) and goes on serving.
    response, body = invoke(client, "custom-stream", {"mode": "streaming"})
    assert "FunctionError" not in response and body == b"chunk one, chunk two"


@needs_node
def test_node_uncaught_exception_mid_stream_and_a_stream_never_ended(client: Any) -> None:
    create_function(
        client,
        "node-crash",
        {
            "index.js": textwrap.dedent("""
        exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
          responseStream.write('x');
          if (event.crash) {
            setTimeout(() => { throw new Error('uncaught!'); }, 10);
            await new Promise(() => {});
          }
          if (event.forget) return;  // never ended: the invocation runs to its timeout
          responseStream.end('y');
        });
    """)
        },
        runtime="nodejs20.x",
        handler="index.handler",
        Timeout=2,
    )
    got = events(
        client.invoke_with_response_stream(FunctionName="node-crash", Payload=b'{"crash": true}')
    )
    assert chunks_of(got) == b"x"
    complete = got[-1]["InvokeComplete"]
    assert complete["ErrorCode"] == "Runtime.UncaughtException"
    assert json.loads(complete["ErrorDetails"])["errorMessage"] == "uncaught!"
    got = events(
        client.invoke_with_response_stream(FunctionName="node-crash", Payload=b'{"forget": true}')
    )
    assert got[-1]["InvokeComplete"]["ErrorCode"] == "Sandbox.Timedout"
    # Each failure cost its environment; a fresh one serves the next invoke.
    got = events(client.invoke_with_response_stream(FunctionName="node-crash"))
    assert chunks_of(got) == b"xy" and got[-1] == {"InvokeComplete": {}}


def test_an_init_failure_is_the_invoke_complete_error(client: Any) -> None:
    create_function(client, "py-broken", {"app.py": "x = (\n"})
    got = events(client.invoke_with_response_stream(FunctionName="py-broken"))
    assert len(got) == 1
    assert got[0]["InvokeComplete"]["ErrorCode"] == "Runtime.UserCodeSyntaxError"

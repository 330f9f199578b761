"""Function URLs served over HTTP: real functions behind them, called with httpx, the
URLs configured with boto3."""

from __future__ import annotations

import json
import shutil
import socket
import textwrap
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import Server, create_function, start_server
from tests.integration.test_streaming import NODE_RENDEZVOUS, Rendezvous

pytestmark = pytest.mark.integration

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")

ECHO = textwrap.dedent("""
    import base64, json

    def handler(event, context):
        http = event["requestContext"]["http"]
        if http["method"] == "OPTIONS":
            raise RuntimeError("a preflight reached the function")
        if event["rawPath"] == "/fail":
            raise ValueError("asked to fail")
        if event["rawPath"] == "/bare":
            return {"just": "json"}
        if event["rawPath"] == "/string":
            return "Hello, world!"
        if event["rawPath"] == "/binary":
            data = base64.b64decode(event["body"]) if event.get("isBase64Encoded") else b""
            return {"statusCode": 200, "headers": {"Content-Type": "application/octet-stream"},
                    "body": base64.b64encode(data[::-1]).decode(), "isBase64Encoded": True}
        if event["rawPath"] == "/malformed":
            return {"statusCode": "not a number"}
        return {
            "statusCode": 201,
            "headers": {"X-Echo": "yes", "Content-Type": "application/json",
                        "Access-Control-Allow-Origin": "https://overridden.example"},
            "cookies": ["session=abc; Max-Age=60", "theme=dark"],
            "body": json.dumps({"event": event, "request_id": context.aws_request_id,
                                "version": context.function_version}),
        }
""")


@pytest.fixture(scope="module")
def echo_url(client: Any) -> str:
    create_function(client, "url-echo", {"app.py": ECHO})
    config = client.create_function_url_config(
        FunctionName="url-echo",
        AuthType="NONE",
        Cors={
            "AllowOrigins": ["https://app.example"],
            "AllowMethods": ["GET", "POST"],
            "AllowHeaders": ["x-custom", "content-type"],
            "ExposeHeaders": ["x-echo"],
            "MaxAge": 600,
        },
    )
    url: str = config["FunctionUrl"]
    return url


def test_the_event_and_a_structured_response(echo_url: str) -> None:
    address = urlsplit(echo_url)
    answer = httpx.post(
        echo_url + "some/path%20x?a=1&a=2&b=two+words",
        json={"hello": "world"},
        headers={"Cookie": "c1=v1; c2=v2", "X-Multi": "one", "User-Agent": "tester/1.0"},
    )
    assert answer.status_code == 201
    assert answer.headers["x-echo"] == "yes"
    assert answer.headers.get_list("set-cookie") == ["session=abc; Max-Age=60", "theme=dark"]
    body = answer.json()
    event = body["event"]
    assert event["version"] == "2.0" and event["routeKey"] == "$default"
    assert event["rawPath"] == "/some/path%20x"
    assert event["rawQueryString"] == "a=1&a=2&b=two+words"
    assert event["queryStringParameters"] == {"a": "1,2", "b": "two words"}
    assert event["cookies"] == ["c1=v1", "c2=v2"]
    assert "cookie" not in event["headers"]
    assert event["headers"]["x-multi"] == "one"
    assert event["headers"]["content-type"] == "application/json"
    assert json.loads(event["body"]) == {"hello": "world"}
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    url_id = address.path.split("/")[2]
    assert context["accountId"] == "anonymous"
    assert context["apiId"] == context["domainPrefix"] == url_id
    assert context["domainName"] == address.hostname
    assert context["http"] == {
        "method": "POST",
        "path": "/some/path%20x",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "tester/1.0",
    }
    assert context["stage"] == "$default" and context["routeKey"] == "$default"
    assert isinstance(context["timeEpoch"], int)
    # The request id is the invocation's, and the caller is told it.
    assert context["requestId"] == body["request_id"] == answer.headers["x-amzn-requestid"]
    assert body["version"] == "$LATEST"


def test_the_root_path_with_or_without_a_slash(echo_url: str) -> None:
    for url in (echo_url, echo_url.rstrip("/")):
        event = httpx.get(url).json()["event"]
        assert event["rawPath"] == "/" and "body" not in event
        assert event["requestContext"]["http"]["method"] == "GET"


def test_binary_bodies_both_ways(echo_url: str) -> None:
    data = bytes(range(256))
    answer = httpx.put(echo_url + "binary", content=data, headers={"Content-Type": "image/png"})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/octet-stream"
    assert answer.content == data[::-1]
    # A form is not text to Lambda either.
    answer = httpx.post(echo_url + "binary", data={"a": "1"})
    assert answer.content == b"a=1"[::-1]


def test_inferred_and_failed_responses(echo_url: str) -> None:
    answer = httpx.get(echo_url + "bare")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == {"just": "json"}
    answer = httpx.get(echo_url + "string")
    assert answer.status_code == 200 and answer.content == b'"Hello, world!"'
    for path in ("fail", "malformed"):
        answer = httpx.get(echo_url + path)
        assert answer.status_code == 502
        assert answer.content == b"Internal Server Error"


def test_cors_preflight_is_answered_without_the_function(echo_url: str) -> None:
    answer = httpx.options(
        echo_url + "anything",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "X-Custom, Content-Type",
        },
    )
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == "https://app.example"
    assert answer.headers["access-control-allow-methods"] == "GET,POST"
    assert answer.headers["access-control-allow-headers"] == "x-custom,content-type"
    assert answer.headers["access-control-max-age"] == "600"
    refused = httpx.options(
        echo_url,
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert refused.status_code == 200
    assert "access-control-allow-origin" not in refused.headers


def test_cors_headers_on_responses_replace_the_functions(echo_url: str) -> None:
    answer = httpx.get(echo_url, headers={"Origin": "https://app.example"})
    assert answer.status_code == 201
    assert answer.headers["access-control-allow-origin"] == "https://app.example"
    assert answer.headers["access-control-expose-headers"] == "x-echo"
    answer = httpx.get(echo_url + "fail", headers={"Origin": "https://app.example"})
    assert answer.status_code == 502
    assert answer.headers["access-control-allow-origin"] == "https://app.example"
    # An origin that is not allowed gets none of the platform's, and the function's stay.
    answer = httpx.get(echo_url, headers={"Origin": "https://evil.example"})
    assert answer.headers["access-control-allow-origin"] == "https://overridden.example"


def test_urls_that_do_not_answer(client: Any, altus_server: Server, echo_url: str) -> None:
    unknown = httpx.get(f"{altus_server.url}/lambda-url/{'z' * 32}/")
    assert unknown.status_code == 403 and unknown.json() == {"Message": "Forbidden"}
    create_function(client, "url-iam", {"app.py": "def handler(e, c):\n    return 1\n"})
    iam = client.create_function_url_config(FunctionName="url-iam", AuthType="AWS_IAM")[
        "FunctionUrl"
    ]
    answer = httpx.get(iam)
    assert answer.status_code == 403 and answer.json() == {"Message": "Forbidden"}
    # On an open server any well-formed signature is taken (an unknown key as the root).
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    signed = AWSRequest("GET", iam)
    SigV4Auth(Credentials("AKIAANYKEY0000000000", "x"), "lambda", "us-east-1").add_auth(signed)
    assert httpx.get(iam, headers=dict(signed.headers.items())).status_code == 200

    client.put_function_concurrency(FunctionName="url-echo", ReservedConcurrentExecutions=0)
    try:
        throttled = httpx.get(echo_url)
        assert throttled.status_code == 429
        assert throttled.headers["x-amzn-errortype"] == "TooManyRequestsException"
    finally:
        client.delete_function_concurrency(FunctionName="url-echo")
    assert httpx.get(echo_url).status_code == 201


def test_an_alias_url_runs_the_aliased_version(client: Any, echo_url: str) -> None:
    version = client.publish_version(FunctionName="url-echo")["Version"]
    client.create_alias(FunctionName="url-echo", Name="prod", FunctionVersion=version)
    url = client.create_function_url_config(
        FunctionName="url-echo", Qualifier="prod", AuthType="NONE"
    )["FunctionUrl"]
    assert url != echo_url
    assert httpx.get(url).json()["version"] == version


# --- RESPONSE_STREAM ---------------------------------------------------------------------------


def read_until(stream: Iterator[bytes], marker: bytes) -> bytes:
    got = b""
    for piece in stream:
        got += piece
        if marker in got:
            break
    return got


NODE_PORT_FROM_QUERY = NODE_RENDEZVOUS.replace(
    "net.connect(event.port,", "net.connect(Number(event.queryStringParameters.port),"
)


@needs_node
def test_a_streamed_node_response_reaches_the_client_as_it_is_written(client: Any) -> None:
    create_function(
        client,
        "url-node-stream",
        {"index.js": NODE_PORT_FROM_QUERY},
        runtime="nodejs20.x",
        handler="index.handler",
        Timeout=30,
    )
    url = client.create_function_url_config(
        FunctionName="url-node-stream", AuthType="NONE", InvokeMode="RESPONSE_STREAM"
    )["FunctionUrl"]
    point = Rendezvous()
    try:
        # The event is the v2 event: the port travels in the query string.
        with httpx.stream("GET", url, params={"port": point.port}, timeout=60) as answer:
            assert answer.status_code == 200
            assert answer.headers["content-type"] == "text/plain"
            assert answer.headers["transfer-encoding"] == "chunked"
            pieces = answer.iter_raw()
            first = read_until(pieces, b"first;")
            point.release()
            rest = b"".join(pieces)
        assert first + rest == b"first;then:go"
    finally:
        point.close()


@needs_node
def test_node_http_response_stream_sets_status_headers_and_cookies(client: Any) -> None:
    create_function(
        client,
        "url-node-http",
        {
            "index.js": textwrap.dedent("""
        exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
          const fail = event.rawPath === '/fail';
          const early = event.rawPath === '/early';
          if (early) throw new Error('before any byte');
          const stream = awslambda.HttpResponseStream.from(responseStream, {
            statusCode: 418, headers: { 'content-type': 'text/html', 'x-tea': 'pot' },
            cookies: ['a=1', 'b=2'] });
          stream.write('<p>');
          if (fail) throw new Error('in the middle');
          stream.write('short and stout</p>');
          stream.end();
        });
    """)
        },
        runtime="nodejs20.x",
        handler="index.handler",
    )
    for mode in ("RESPONSE_STREAM", "BUFFERED"):
        if mode == "BUFFERED":
            client.update_function_url_config(FunctionName="url-node-http", InvokeMode=mode)
            url = client.get_function_url_config(FunctionName="url-node-http")["FunctionUrl"]
        else:
            url = client.create_function_url_config(
                FunctionName="url-node-http", AuthType="NONE", InvokeMode=mode
            )["FunctionUrl"]
        answer = httpx.get(url)
        assert answer.status_code == 418, mode
        assert answer.headers["content-type"] == "text/html"
        assert answer.headers["x-tea"] == "pot"
        assert answer.headers.get_list("set-cookie") == ["a=1", "b=2"]
        assert answer.content == b"<p>short and stout</p>"
        assert httpx.get(url + "early").status_code == 502
    client.update_function_url_config(FunctionName="url-node-http", InvokeMode="RESPONSE_STREAM")
    # Failing after the first byte: the response is broken off, visibly.
    with pytest.raises(httpx.RemoteProtocolError), httpx.stream("GET", url + "fail") as answer:
        assert answer.status_code == 418
        answer.read()


def test_a_python_generator_streams_with_its_prelude(client: Any) -> None:
    create_function(
        client,
        "url-py-stream",
        {
            "app.py": textwrap.dedent("""
        def handler(event, context):
            if event["rawPath"] == "/plain":
                yield "no prelude"
                return
            yield {"statusCode": 207, "headers": {"content-type": "text/csv"},
                   "cookies": ["c=d"]}
            yield "a,b\\n"
            yield b"1,2\\n"
    """)
        },
    )
    url = client.create_function_url_config(
        FunctionName="url-py-stream", AuthType="NONE", InvokeMode="RESPONSE_STREAM"
    )["FunctionUrl"]
    answer = httpx.get(url)
    assert answer.status_code == 207
    assert answer.headers["content-type"] == "text/csv"
    assert answer.headers["set-cookie"] == "c=d"
    assert answer.content == b"a,b\n1,2\n"
    plain = httpx.get(url + "plain")
    assert plain.status_code == 200
    assert plain.headers["content-type"] == "application/octet-stream"
    assert plain.content == b"no prelude"


def _in_flight(server: Server) -> int:
    answer = httpx.get(f"{server.url}/_altus/health")
    count: int = answer.json()["in_flight"]
    return count


def _settles(server: Server) -> bool:
    """Whether the server has no invoke in flight within about ten seconds."""
    for _ in range(200):
        if _in_flight(server) == 0:
            return True
        time.sleep(0.05)
    return False


def test_headers_that_cannot_go_on_the_wire_are_a_bad_gateway(
    client: Any, altus_server: Server
) -> None:
    create_function(
        client,
        "url-bad-headers",
        {
            "app.py": textwrap.dedent("""
        def handler(event, context):
            bad = {"/space": {"x y": "1"}, "/nul": {"x-n": "a\\x00b"},
                   "/colon": {"x:y": "1"}}[event["rawPath"]]
            yield {"statusCode": 200, "headers": bad}
            yield "body"
    """)
        },
    )
    url = client.create_function_url_config(
        FunctionName="url-bad-headers", AuthType="NONE", InvokeMode="RESPONSE_STREAM"
    )["FunctionUrl"]
    for mode in ("RESPONSE_STREAM", "BUFFERED"):
        client.update_function_url_config(FunctionName="url-bad-headers", InvokeMode=mode)
        for path in ("space", "nul", "colon"):
            assert httpx.get(url + path).status_code == 502, (mode, path)
    # Nothing is left holding an environment or a concurrency slot.
    assert _settles(altus_server)
    # A non-ASCII value is sent (as UTF-8), not refused.
    create_function(
        client,
        "url-utf8-header",
        {
            "app.py": textwrap.dedent("""
        def handler(event, context):
            yield {"statusCode": 200, "headers": {"x-price": "\u20ac5"}}
            yield "ok"
    """)
        },
    )
    utf8 = client.create_function_url_config(
        FunctionName="url-utf8-header", AuthType="NONE", InvokeMode="RESPONSE_STREAM"
    )["FunctionUrl"]
    answer = httpx.get(utf8)
    assert answer.status_code == 200 and answer.content == b"ok"
    assert (b"x-price", "\u20ac5".encode()) in answer.headers.raw
    assert _settles(altus_server)


@needs_node
def test_a_reader_that_stalls_does_not_hold_the_function_past_its_timeout(
    client: Any, altus_server: Server
) -> None:
    create_function(
        client,
        "url-stall",
        {
            "index.mjs": textwrap.dedent("""
        export const handler = awslambda.streamifyResponse(async (event, stream) => {
          const chunk = Buffer.alloc(65536, 120);
          for (let i = 0; i < 4096; i++) {
            if (!stream.write(chunk)) await new Promise((go) => stream.once('drain', go));
          }
          stream.end();
        });
    """)
        },
        runtime="nodejs20.x",
        handler="index.handler",
        Timeout=2,
    )
    url = client.create_function_url_config(
        FunctionName="url-stall", AuthType="NONE", InvokeMode="RESPONSE_STREAM"
    )["FunctionUrl"]
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port)) as reader:
        reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        reader.sendall(f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode())
        assert reader.recv(64).startswith(b"HTTP/1.1 200")
        # The client reads no more, and keeps the connection open: the function still
        # ends at its timeout, and gives back its environment and its slot.
        assert _settles(altus_server)


def test_a_buffered_function_behind_a_streaming_url_is_its_raw_json(
    client: Any, echo_url: str
) -> None:
    client.update_function_url_config(FunctionName="url-echo", InvokeMode="RESPONSE_STREAM")
    try:
        answer = httpx.get(echo_url + "bare")
        assert answer.status_code == 200 and answer.json() == {"just": "json"}
        assert httpx.get(echo_url + "fail").status_code == 502
    finally:
        client.update_function_url_config(FunctionName="url-echo", InvokeMode="BUFFERED")


# --- routing by host -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def domain_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(
        tmp_path_factory.mktemp("url-domain"),
        extra_env={"ALTUS_URL_DOMAIN": "altus.test", "ALTUS_SANDBOX": "process"},
    )
    yield server
    server.stop()


def test_urls_by_host_see_the_whole_path(domain_server: Server) -> None:
    client = domain_server.client()
    create_function(client, "url-host", {"app.py": ECHO})
    url = client.create_function_url_config(FunctionName="url-host", AuthType="NONE")["FunctionUrl"]
    address = urlsplit(url)
    assert address.hostname is not None
    url_id, _, domain = address.hostname.partition(".")
    assert domain == "lambda-url.us-east-1.altus.test" and len(url_id) == 32
    # No DNS for altus.test here: connect to the server, name the URL in Host.
    server = urlsplit(domain_server.url)
    answer = httpx.post(
        f"http://{server.netloc}/lambda-url/ignored/path?x=1",
        content=b"hi",
        headers={"Host": f"{address.hostname}:{server.port}", "Content-Type": "text/plain"},
    )
    assert answer.status_code == 201
    event = answer.json()["event"]
    assert event["rawPath"] == "/lambda-url/ignored/path"
    assert event["body"] == "hi" and event["queryStringParameters"] == {"x": "1"}
    assert event["requestContext"]["domainName"] == address.hostname
    assert event["requestContext"]["domainPrefix"] == url_id
    # Other hosts are the API, as before.
    assert (
        client.get_function(FunctionName="url-host")["Configuration"]["FunctionName"] == "url-host"
    )
    # Path-based URLs still work on the API's own address.
    assert httpx.get(f"{domain_server.url}/lambda-url/{url_id}/").status_code == 201

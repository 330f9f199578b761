"""The Runtime API's streaming mode over a real socket: chunked bodies forwarded as they
arrive, errors in trailers, broken-off bodies, bad modes."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable

from altus.runtime_api.endpoint import INVALID_MODE, Invocation, RuntimeEndpoint
from altus.runtime_api.server import serve
from altus.runtime_api.stream import TRUNCATED

Scenario = Callable[[RuntimeEndpoint, asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def run(scenario: Scenario) -> None:
    async def main() -> None:
        endpoint = RuntimeEndpoint()
        server = await serve(endpoint)
        host, port = endpoint.address.split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            await asyncio.wait_for(scenario(endpoint, reader, writer), 30)
        finally:
            writer.close()
            server.close()

    asyncio.run(main())


async def next_event(
    endpoint: RuntimeEndpoint,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    request_id: str,
) -> Invocation:
    """Deliver an invocation and take it with a ``GET /next`` on the connection."""
    invocation = Invocation(request_id, b"{}", 1, "arn", response_limit=1 << 20)
    endpoint.deliver(invocation)
    writer.write(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: r\r\n\r\n")
    status, _, _ = await read_response(reader)
    assert status == 200
    return invocation


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {
        k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)
    }
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return int(lines[0].split()[1]), headers, body


def stream_head(request_id: str, mode: str = "streaming", extra: str = "") -> bytes:
    return (
        f"POST /2018-06-01/runtime/invocation/{request_id}/response HTTP/1.1\r\n"
        f"Host: r\r\nLambda-Runtime-Function-Response-Mode: {mode}\r\n"
        f"Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n{extra}\r\n"
    ).encode()


def chunk(data: bytes) -> bytes:
    return b"%x\r\n" % len(data) + data + b"\r\n"


def test_chunks_reach_the_consumer_before_the_body_ends_and_trailers_carry_errors() -> None:
    async def scenario(
        endpoint: RuntimeEndpoint, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        invocation = await next_event(endpoint, reader, writer, "r1")
        writer.write(
            stream_head("r1", extra="Trailer: Lambda-Runtime-Function-Error-Type\r\n")
            + chunk(b"first")
        )
        outcome = await invocation.future
        stream = outcome.stream
        assert stream is not None and stream.content_type == "text/plain"
        # The body is not over, yet its first chunk is here.
        assert await stream.read() == [b"first"]
        document = {"errorType": "Mid.Stream", "errorMessage": "boom", "trace": []}
        encoded = base64.b64encode(json.dumps(document).encode()).decode()
        writer.write(
            chunk(b"second")
            + b"0\r\n"
            + b"Lambda-Runtime-Function-Error-Type: Mid.Stream\r\n"
            + f"Lambda-Runtime-Function-Error-Body: {encoded}\r\n\r\n".encode()
        )
        status, _, body = await read_response(reader)
        assert status == 202 and json.loads(body) == {"status": "OK"}
        assert await stream.read() == [b"second"]
        assert await stream.read() == []
        end = stream.ended.result()
        assert end.error_type == "Mid.Stream" and json.loads(end.error_body) == document
        # The connection serves the next invocation (keep-alive), buffered this time.
        second = await next_event(endpoint, reader, writer, "r2")
        writer.write(
            b"POST /2018-06-01/runtime/invocation/r2/response HTTP/1.1\r\n"
            b"Host: r\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n42"
        )
        assert (await read_response(reader))[0] == 202
        result = await second.future
        assert result.payload == b"42" and result.content_type == "application/json"

    run(scenario)


def test_a_trailer_error_without_a_usable_body_gets_a_document() -> None:
    async def scenario(
        endpoint: RuntimeEndpoint, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        invocation = await next_event(endpoint, reader, writer, "r")
        writer.write(
            stream_head("r") + b"0\r\nLambda-Runtime-Function-Error-Type: X.Y\r\n"
            b"Lambda-Runtime-Function-Error-Body: not base64!\r\n\r\n"
        )
        assert (await read_response(reader))[0] == 202
        stream = (await invocation.future).stream
        assert stream is not None
        end = await stream.ended
        assert end.error_type == "X.Y" and json.loads(end.error_body)["errorType"] == "X.Y"

    run(scenario)


def test_a_body_broken_off_is_a_truncated_response() -> None:
    async def scenario(
        endpoint: RuntimeEndpoint, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        invocation = await next_event(endpoint, reader, writer, "r")
        writer.write(stream_head("r") + chunk(b"partial"))
        stream = (await invocation.future).stream
        assert stream is not None
        assert await stream.read() == [b"partial"]
        writer.close()
        end = await stream.ended
        assert end.error_type == TRUNCATED

    run(scenario)


def test_a_streamed_body_with_a_content_length_streams_too() -> None:
    async def scenario(
        endpoint: RuntimeEndpoint, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        invocation = await next_event(endpoint, reader, writer, "r")
        writer.write(
            b"POST /2018-06-01/runtime/invocation/r/response HTTP/1.1\r\nHost: r\r\n"
            b"Lambda-Runtime-Function-Response-Mode: streaming\r\n"
            b"Content-Length: 6\r\n\r\nabc"
        )
        stream = (await invocation.future).stream
        assert stream is not None and stream.content_type == "application/octet-stream"
        assert await stream.read() == [b"abc"]
        writer.write(b"def")
        assert (await read_response(reader))[0] == 202
        assert await stream.read() == [b"def"]
        assert (await stream.ended).error_type is None

    run(scenario)


def test_another_mode_fails_the_invocation_and_the_runtime_is_told() -> None:
    async def scenario(
        endpoint: RuntimeEndpoint, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        invocation = await next_event(endpoint, reader, writer, "r")
        writer.write(stream_head("r", mode="Streaming") + chunk(b"ignored") + b"0\r\n\r\n")
        status, _, body = await read_response(reader)
        assert status == 400 and json.loads(body)["errorType"] == "InvalidFunctionResponseMode"
        outcome = await invocation.future
        assert outcome.error_type == INVALID_MODE and outcome.stream is None

    run(scenario)


def test_a_stream_for_another_request_is_refused_once_its_body_is_read() -> None:
    async def scenario(
        endpoint: RuntimeEndpoint, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        invocation = await next_event(endpoint, reader, writer, "r")
        writer.write(stream_head("other") + chunk(b"x") + b"0\r\n\r\n")
        status, _, body = await read_response(reader)
        assert status == 400 and json.loads(body)["errorType"] == "InvalidRequestID"
        assert not invocation.future.done()

    run(scenario)

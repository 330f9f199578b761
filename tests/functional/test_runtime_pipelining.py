"""The Runtime API over a real socket, for a runtime that pipelines (the built-in ones
send ``POST .../response`` and the next ``GET /next`` in one write) and for one that
waits for every answer (the official clients)."""

from __future__ import annotations

import asyncio

import pytest

from altus.runtime_api.endpoint import Invocation, RuntimeEndpoint
from tests.functional.test_runtime_streaming import next_event, read_response, run

NEXT = b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: r\r\n\r\n"


def response(request_id: str, body: bytes) -> bytes:
    return (
        f"POST /2018-06-01/runtime/invocation/{request_id}/response HTTP/1.1\r\n"
        f"Host: r\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def test_a_pipelined_next_gets_the_202_with_the_next_event() -> None:
    async def scenario(
        endpoint: RuntimeEndpoint, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        first = await next_event(endpoint, reader, writer, "r1")
        writer.write(response("r1", b'{"n":1}') + NEXT)
        outcome = await first.future
        assert outcome.payload == b'{"n":1}'
        # Nothing is owed to a runtime that waits in /next: the 202 waits for the event.
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(reader.readexactly(1), 0.05)
        second = Invocation("r2", b'{"k":2}', 1, "arn", response_limit=1 << 20)
        endpoint.deliver(second)
        assert (await read_response(reader))[0] == 202
        status, headers, body = await read_response(reader)
        assert status == 200 and body == b'{"k":2}'
        assert headers["lambda-runtime-aws-request-id"] == "r2"
        writer.write(response("r2", b"2") + NEXT)
        assert (await second.future).payload == b"2"

    run(scenario)


def test_a_runtime_that_waits_for_each_answer_gets_the_202_at_once() -> None:
    async def scenario(
        endpoint: RuntimeEndpoint, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        first = await next_event(endpoint, reader, writer, "r1")
        writer.write(response("r1", b"1"))
        assert (await read_response(reader))[0] == 202
        assert (await first.future).payload == b"1"
        writer.write(NEXT)
        endpoint.deliver(Invocation("r2", b"{}", 1, "arn", response_limit=1 << 20))
        assert (await read_response(reader))[0] == 200

    run(scenario)

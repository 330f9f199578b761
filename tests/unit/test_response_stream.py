"""A streamed response between the Runtime API and its consumer, and the endpoint's part."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from typing import Any

from altus.runtime_api.endpoint import (
    INVALID_MODE,
    Invocation,
    Reply,
    RuntimeEndpoint,
)
from altus.runtime_api.stream import (
    HIGH_WATER,
    TOO_LARGE,
    ResponseStream,
    StreamEnd,
)


def run(coro: Coroutine[Any, Any, None]) -> None:
    asyncio.run(coro)


class Switch:
    """Records the pause/resume calls a stream makes to the runtime's socket."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def pause(self) -> None:
        self.calls.append("pause")

    def resume(self) -> None:
        self.calls.append("resume")


def test_chunks_are_read_as_they_arrive_then_the_end() -> None:
    async def scenario() -> None:
        stream = ResponseStream("text/plain")
        reader = asyncio.ensure_future(stream.read())
        await asyncio.sleep(0)
        assert not reader.done()
        stream.feed(b"one")
        assert await reader == [b"one"]
        stream.feed(b"two")
        stream.feed(b"three")
        assert await stream.read() == [b"two", b"three"]
        stream.finish(StreamEnd("Custom.Error", b'{"errorType":"Custom.Error"}'))
        stream.feed(b"late")  # after the end: dropped
        assert await stream.read() == []
        assert stream.ended.result().error_type == "Custom.Error"

    run(scenario())


def test_a_slow_consumer_pauses_the_runtime_until_it_catches_up() -> None:
    async def scenario() -> None:
        switch = Switch()
        stream = ResponseStream("x", pause=switch.pause, resume=switch.resume)
        stream.feed(b"a" * HIGH_WATER)
        assert switch.calls == []
        stream.feed(b"b")
        stream.feed(b"c")
        assert switch.calls == ["pause"]
        assert len(b"".join(await stream.read())) == HIGH_WATER + 2
        assert switch.calls == ["pause", "resume"]

    run(scenario())


def test_the_first_end_wins_and_an_ended_stream_is_never_left_paused() -> None:
    async def scenario() -> None:
        switch = Switch()
        stream = ResponseStream("x", pause=switch.pause, resume=switch.resume)
        stream.feed(b"a" * (HIGH_WATER + 1))
        stream.abort("Sandbox.Timedout")
        assert switch.calls == ["pause", "resume"]
        stream.finish()
        assert stream.ended.result() == StreamEnd("Sandbox.Timedout", b"")
        assert await stream.read() == [b"a" * (HIGH_WATER + 1)]  # what came before the end
        assert await stream.read() == []

    run(scenario())


def test_past_its_limit_a_stream_ends_too_large_and_counts_the_rest() -> None:
    async def scenario() -> None:
        stream = ResponseStream("x", limit=10)
        stream.feed(b"12345")
        stream.feed(b"678901")
        stream.feed(b"more")
        assert stream.oversized and stream.size == 15
        assert await stream.read() == [b"12345"]
        end = stream.ended.result()
        assert end.error_type == TOO_LARGE
        assert json.loads(end.error_body)["errorMessage"] == (
            "Response payload size exceeded maximum allowed payload size (10 bytes)."
        )

    run(scenario())


def test_a_discarded_stream_drops_everything_and_keeps_reading() -> None:
    async def scenario() -> None:
        switch = Switch()
        stream = ResponseStream("x", pause=switch.pause, resume=switch.resume)
        stream.feed(b"a" * (HIGH_WATER + 1))
        stream.discard()
        stream.feed(b"b")
        assert switch.calls == ["pause", "resume"]
        stream.finish()
        assert await stream.read() == []

    run(scenario())


def test_the_endpoint_hands_the_stream_to_the_invocation() -> None:
    async def scenario() -> None:
        endpoint = RuntimeEndpoint()
        endpoint.on_next(lambda reply: None)
        invocation = Invocation("r", b"{}", 1, "arn", response_limit=100)
        future = endpoint.deliver(invocation)
        assert endpoint.on_stream("other", None, _no, _no) == endpoint.on_stream(
            "other", None, _no, _no
        )
        stream = endpoint.on_stream("r", "text/plain", _no, _no)
        assert isinstance(stream, ResponseStream)
        outcome = await future
        assert outcome.stream is stream and invocation.stream is stream
        assert stream.content_type == "text/plain" and stream.limit == 100
        stream.feed(b"x" * 101)
        reply = RuntimeEndpoint.end_stream(stream, StreamEnd())
        assert reply.status == 413
        assert stream.ended.result().error_type == TOO_LARGE
        # Nothing is in flight any more.
        again = endpoint.on_stream("r", None, _no, _no)
        assert isinstance(again, Reply) and again.status == 403

    run(scenario())


def test_a_stream_without_content_type_is_octet_stream_and_ends_accepted() -> None:
    async def scenario() -> None:
        endpoint = RuntimeEndpoint()
        endpoint.on_next(lambda reply: None)
        endpoint.deliver(Invocation("r", b"{}", 1, "arn"))
        stream = endpoint.on_stream("r", None, _no, _no)
        assert isinstance(stream, ResponseStream)
        assert stream.content_type == "application/octet-stream"
        assert RuntimeEndpoint.end_stream(stream, StreamEnd()).status == 202

    run(scenario())


def test_an_invalid_response_mode_fails_the_invocation() -> None:
    async def scenario() -> None:
        endpoint = RuntimeEndpoint()
        endpoint.on_next(lambda reply: None)
        future = endpoint.deliver(Invocation("r", b"{}", 1, "arn"))
        reply = endpoint.on_invalid_mode("r", "buffered-please")
        assert reply.status == 400
        assert json.loads(reply.body)["errorType"] == "InvalidFunctionResponseMode"
        outcome = await future
        assert outcome.error_type == INVALID_MODE
        assert json.loads(outcome.payload)["errorType"] == INVALID_MODE

    run(scenario())


def _no() -> None:
    pass

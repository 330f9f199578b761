"""A streamed invocation gives its environment and slot back exactly once, however its
caller ends."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from altus.engine.results import InvokeResult, PhaseResult
from altus.engine.streaming import StreamedInvocation, StreamingPhase
from altus.runtime_api.stream import ResponseStream, StreamEnd


def run(coro: Coroutine[Any, Any, None]) -> None:
    asyncio.run(coro)


def describe(phase: PhaseResult) -> InvokeResult:
    return InvokeResult(
        "rid",
        phase.payload,
        "$LATEST",
        "Unhandled" if phase.failed else None,
        phase.error_type,
        None,
    )


def streamed(stream: ResponseStream, released: list[bool]) -> StreamedInvocation:
    async def finish() -> PhaseResult:
        end = await stream.ended
        return PhaseResult(end.error_body, end.error_type, reusable=end.error_type is None)

    return StreamedInvocation(
        "rid", "$LATEST", StreamingPhase(stream, finish), release=released.append, describe=describe
    )


def test_read_to_the_end_then_the_result() -> None:
    async def scenario() -> None:
        stream = ResponseStream("text/plain")
        released: list[bool] = []
        invocation = streamed(stream, released)
        assert invocation.content_type == "text/plain"
        stream.feed(b"a")
        assert await invocation.read() == [b"a"]
        stream.finish(StreamEnd("E.Rror", b"{}"))
        assert await invocation.read() == []
        result = await invocation.result()
        assert result.function_error == "Unhandled" and result.error_type == "E.Rror"
        assert await invocation.result() is result
        invocation.abandon()  # too late to matter
        assert released == [False]

    run(scenario())


def test_an_abandoned_invocation_is_finished_in_the_background() -> None:
    async def scenario() -> None:
        stream = ResponseStream("x")
        released: list[bool] = []
        invocation = streamed(stream, released)
        stream.feed(b"unread")
        invocation.abandon()
        invocation.abandon()
        stream.feed(b"dropped")
        await asyncio.sleep(0)
        assert released == []  # the function is still running
        stream.finish()
        for _ in range(10):
            await asyncio.sleep(0)
        assert released == [True]

    run(scenario())


def test_a_caller_that_stops_waiting_does_not_stop_the_release() -> None:
    async def scenario() -> None:
        stream = ResponseStream("x")
        released: list[bool] = []
        invocation = streamed(stream, released)
        waiter = asyncio.ensure_future(invocation.result())
        await asyncio.sleep(0)
        waiter.cancel()
        stream.finish()
        for _ in range(10):
            await asyncio.sleep(0)
        assert released == [True]

    run(scenario())


def test_a_whole_response_is_one_chunk_and_a_failed_one_none() -> None:
    async def scenario() -> None:
        released: list[bool] = []
        ok = StreamedInvocation(
            "rid",
            "1",
            StreamingPhase.whole(PhaseResult(b'{"a":1}', None, content_type="application/json")),
            release=released.append,
            describe=describe,
        )
        assert ok.content_type == "application/json"
        assert await ok.read() == [b'{"a":1}'] and await ok.read() == []
        assert (await ok.result()).function_error is None
        failed = StreamedInvocation(
            "rid",
            "1",
            StreamingPhase.whole(PhaseResult(b'{"errorType":"X"}', "X")),
            release=released.append,
            describe=describe,
        )
        assert await failed.read() == []
        assert (await failed.result()).payload == b'{"errorType":"X"}'
        assert released == [True, True]

    run(scenario())

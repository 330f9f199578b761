"""Invocations whose response is read as the function produces it.

Two layers hand one out. An environment's ``invoke_streaming`` returns a
``StreamingPhase``: the response's chunks, then the phase's result (END and REPORT are
logged when it is finished). The invoker wraps it in a ``StreamedInvocation``, which
also holds the environment and the concurrency slot until the function's response is
over (it has ended, failed or timed out), and gives them back exactly once then, however
far the caller has read: a caller that stops reading, or goes away (``abandon``: on
Lambda a streaming function runs on when its client goes away, and is billed for it),
holds neither past the function's timeout.

A function that does not stream is served the same way: its whole response is the one
chunk, already complete.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from altus.engine.results import InvokeResult, PhaseResult
from altus.runtime_api.stream import ResponseStream

log = logging.getLogger(__name__)

#: Streamed invocations still running, kept referenced until they end.
_draining: set[asyncio.Task[InvokeResult]] = set()


def _drained(task: asyncio.Task[InvokeResult]) -> None:
    _draining.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.error("a streamed invocation failed", exc_info=task.exception())


class StreamingPhase:
    """One INVOKE phase being streamed: ``read`` until it returns no chunks, then
    ``finish`` (once) for its result."""

    def __init__(
        self,
        stream: ResponseStream | None,
        finish: Callable[[], Awaitable[PhaseResult]] | None = None,
        result: PhaseResult | None = None,
    ) -> None:
        self._stream = stream
        self._finish = finish
        self._result = result
        self._whole_read = False
        if stream is not None:
            self.content_type: str | None = stream.content_type
        else:
            assert result is not None
            self.content_type = result.content_type

    @classmethod
    def whole(cls, result: PhaseResult) -> StreamingPhase:
        """A phase that ended before anything was streamed: its payload, if it succeeded,
        is the only chunk."""
        return cls(None, result=result)

    async def read(self) -> list[bytes]:
        """The next chunks of the response (waiting for some); none at its end. A failed
        phase streams nothing before its end: its error comes with ``finish``."""
        if self._stream is not None:
            return await self._stream.read()
        if self._whole_read:
            return []
        self._whole_read = True
        result = self._result
        assert result is not None
        return [result.payload] if not result.failed and result.payload else []

    async def finish(self) -> PhaseResult:
        """Wait for the end of the response and return the phase's result."""
        if self._result is None:
            assert self._finish is not None
            self._result = await self._finish()
        return self._result

    def discard(self) -> None:
        """Nobody reads the rest: chunks still to come are dropped."""
        if self._stream is not None:
            self._stream.discard()
        self._whole_read = True


class StreamedInvocation:
    """A synchronous invocation whose response the caller reads as it is produced.

    ``read`` until no chunks come, then ``result`` for the outcome (function error, log
    tail); or ``abandon`` at any point (what is still to come is then dropped, and the
    function no longer waits for a reader).
    """

    def __init__(
        self,
        request_id: str,
        executed_version: str,
        phase: StreamingPhase,
        *,
        release: Callable[[bool], None],
        describe: Callable[[PhaseResult], InvokeResult],
    ) -> None:
        self.request_id = request_id
        self.executed_version = executed_version
        self.content_type = phase.content_type
        self._phase = phase
        self._release = release
        self._describe = describe
        self._result: InvokeResult | None = None
        self._finishing: asyncio.Task[InvokeResult] | None = None
        # The invocation ends when the function's response does (or its deadline passes),
        # not when the caller has read it all: a caller that stops reading must not hold
        # the environment and the concurrency slot past the function's timeout. What is
        # still unread stays with the stream for the caller.
        task = self._finish_once()
        _draining.add(task)
        task.add_done_callback(_drained)

    async def read(self) -> list[bytes]:
        return await self._phase.read()

    async def result(self) -> InvokeResult:
        """The invocation's outcome, once its response has ended. The environment and
        the concurrency slot are given back here."""
        if self._result is not None:
            return self._result
        # Shielded: a caller that stops waiting does not stop the bookkeeping.
        return await asyncio.shield(self._finish_once())

    def abandon(self) -> None:
        """The caller is gone: the function runs to its end unread, and the environment
        and slot are given back then."""
        if self._result is not None:
            return
        self._phase.discard()

    def _finish_once(self) -> asyncio.Task[InvokeResult]:
        if self._finishing is None:
            self._finishing = asyncio.get_running_loop().create_task(self._finish())
        return self._finishing

    async def _finish(self) -> InvokeResult:
        try:
            phase = await self._phase.finish()
        except BaseException:
            self._release(False)
            raise
        self._release(phase.reusable)
        self._result = self._describe(phase)
        return self._result

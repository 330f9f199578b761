"""A response the runtime is streaming: its body chunks on their way to whoever consumes
the invocation, and how the stream ended.

The Runtime API server feeds the chunks in as the runtime's chunked ``POST .../response``
arrives (``feed``) and ends the stream with the error its trailers carried, if any
(``finish``). The platform may end it first: a timeout, the runtime's death, a connection
dropped mid-body (``abort``). The first end wins; later chunks are dropped.

Flow control: a consumer slower than the function (a slow HTTP client) must not make the
platform buffer up to 200 MB, so past ``HIGH_WATER`` queued bytes the server stops
reading the runtime's socket (``pause``), and starts again once the consumer has taken
everything (``resume``). The runtime's writes then block in its own socket buffer, as
they would on Lambda. An ended or discarded stream never keeps the socket paused: the
rest of the body is read and dropped, so the connection can close or serve ``/next``.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

#: Lambda's limit on a streamed response (20 MB until July 2025, 200 MB since).
MAX_STREAM_BYTES = 200 * 1024 * 1024
#: Queued bytes past which the runtime's socket stops being read.
HIGH_WATER = 1024 * 1024

TRUNCATED = "Runtime.TruncatedResponse"
TOO_LARGE = "Function.ResponseSizeTooLarge"
#: Content type of a stream that starts with an HTTP prelude (``HttpResponseStream.from``).
HTTP_INTEGRATION = "application/vnd.awslambda.http-integration-response"


@dataclass(frozen=True, slots=True)
class StreamEnd:
    """How a stream ended: ``error_type`` None for success, else the error and its
    JSON document (what Invoke would have answered as the body)."""

    error_type: str | None = None
    error_body: bytes = b""


COMPLETE = StreamEnd()


def error_document(error_type: str, message: str) -> bytes:
    return json.dumps({"errorMessage": message, "errorType": error_type}).encode()


def too_large(limit: int) -> StreamEnd:
    message = f"Response payload size exceeded maximum allowed payload size ({limit} bytes)."
    return StreamEnd(TOO_LARGE, error_document(TOO_LARGE, message))


class ResponseStream:
    """One streamed response. Everything runs on the event loop thread."""

    def __init__(
        self,
        content_type: str,
        limit: int = MAX_STREAM_BYTES,
        pause: Callable[[], None] | None = None,
        resume: Callable[[], None] | None = None,
    ) -> None:
        self.content_type = content_type
        self.limit = limit
        #: Bytes the runtime has sent, counted even when they are dropped.
        self.size = 0
        self._chunks: deque[bytes] = deque()
        self._queued = 0
        self._pause = pause
        self._resume = resume
        self._paused = False
        self._discarding = False
        self._wakeup: asyncio.Future[None] | None = None
        loop = asyncio.get_running_loop()
        #: Resolves with how the stream ended (the consumer need not read it all).
        self.ended: asyncio.Future[StreamEnd] = loop.create_future()

    @property
    def oversized(self) -> bool:
        return self.size > self.limit

    # --- producer side (the Runtime API server) ----------------------------------------------

    def feed(self, chunk: bytes) -> None:
        """Body bytes as they arrive from the runtime."""
        self.size += len(chunk)
        if self.ended.done() or self._discarding:
            return
        if self.size > self.limit:
            self._end(too_large(self.limit))
            return
        self._chunks.append(chunk)
        self._queued += len(chunk)
        if self._queued > HIGH_WATER and not self._paused and self._pause is not None:
            self._paused = True
            self._pause()
        self._wake()

    def finish(self, end: StreamEnd = COMPLETE) -> None:
        """The runtime's body is complete; ``end`` carries the error its trailers named."""
        self._end(end)

    def abort(self, error_type: str, error_body: bytes = b"") -> None:
        """End the stream from the platform's side (no effect once it has ended)."""
        self._end(StreamEnd(error_type, error_body))

    # --- consumer side -------------------------------------------------------------------------

    async def read(self) -> list[bytes]:
        """The chunks that arrived since the last read (waiting for at least one); an
        empty list once the stream has ended and everything was read."""
        while not self._chunks:
            if self.ended.done():
                return []
            self._wakeup = asyncio.get_running_loop().create_future()
            try:
                await self._wakeup
            finally:
                self._wakeup = None
        chunks = list(self._chunks)
        self._chunks.clear()
        self._queued = 0
        self._unpause()
        return chunks

    def discard(self) -> None:
        """The consumer is gone: drop what is queued and whatever still arrives."""
        self._discarding = True
        self._chunks.clear()
        self._queued = 0
        self._unpause()

    # --- internals -------------------------------------------------------------------------------

    def _end(self, end: StreamEnd) -> None:
        if self.ended.done():
            return
        self.ended.set_result(end)
        self._unpause()
        self._wake()

    def _wake(self) -> None:
        wakeup = self._wakeup
        if wakeup is not None and not wakeup.done():
            wakeup.set_result(None)

    def _unpause(self) -> None:
        if self._paused:
            self._paused = False
            if self._resume is not None:
                self._resume()

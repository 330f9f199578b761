"""A response whose body is sent as an async iterator produces it (chunked on HTTP/1.1).

Unlike Starlette's ``StreamingResponse`` it runs no task beside the body to watch for the
client's disconnect: a streamed invocation must be read to its end either way (the
function runs on when its client goes away, as on Lambda), and the server drops what is
sent to a closed connection. The server's flow control (``send`` waits while the client
is not reading) carries back to the function through its ``ResponseStream``.

A body that raises ``Truncated`` leaves the response incomplete: the server closes the
connection without the final empty chunk, so the client can tell the body is not whole.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Callable, Mapping

from starlette.responses import Response
from starlette.types import Receive, Scope, Send


class Truncated(Exception):
    """Raised by a body that cannot be completed (the function failed mid-stream)."""


class ChunkedResponse(Response):
    def __init__(
        self,
        body: AsyncGenerator[bytes, None],
        status_code: int = 200,
        headers: Mapping[str, str] | list[tuple[str, str]] | None = None,
        media_type: str | None = None,
        on_abort: Callable[[], None] | None = None,
    ) -> None:
        self.status_code = status_code
        self.media_type = media_type
        self.background = None
        self._body = body
        #: Called when the response cannot even begin (the server refused its head): the
        #: body, never started, cannot clean up after itself.
        self._on_abort = on_abort
        if isinstance(headers, list):
            self.init_headers()
            self.raw_headers = [
                *self.raw_headers,
                *((n.lower().encode("latin-1"), v.encode("utf-8")) for n, v in headers),
            ]
        else:
            self.init_headers(headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": self.status_code,
                    "headers": self.raw_headers,
                }
            )
        except BaseException:
            if self._on_abort is not None:
                self._on_abort()
            raise
        async with contextlib.aclosing(self._body) as body:
            try:
                async for chunk in body:
                    if chunk:
                        await send({"type": "http.response.body", "body": chunk, "more_body": True})
            except Truncated:
                return
        await send({"type": "http.response.body", "body": b"", "more_body": False})

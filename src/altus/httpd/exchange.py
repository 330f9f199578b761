"""One request and its response, as the ASGI app sees them: ``receive`` and ``send``.

The response is framed here: a body sent whole goes out with its head in one write (one
system call, one segment), a body sent in parts goes out with its ``Content-Length`` or
chunked, a HEAD answer without its body. Header names and values are checked before
anything is written, so a value a function chose (function URLs pass its headers on)
cannot split the response.
"""

from __future__ import annotations

import asyncio
import logging
import re
from http import HTTPStatus
from typing import Any, Protocol

log = logging.getLogger(__name__)

Message = dict[str, Any]

#: A buffered request body past this pauses reading until the app takes it.
HIGH_WATER = 256 * 1024

_STATUS_LINES = {
    status.value: f"HTTP/1.1 {status.value} {status.phrase}\r\n".encode() for status in HTTPStatus
}
#: A header name is an RFC 9110 token; a value may not hold CR, LF or NUL.
_BAD_NAME = re.compile(rb"[^!#$%&'*+\-.^_`|~0-9a-zA-Z]")
#: Names already found good: most answers repeat a few dozen names.
_GOOD_NAMES: set[bytes] = set()
_DISCONNECT: Message = {"type": "http.disconnect"}
#: How the body is framed: by Content-Length, chunked, not at all (HEAD, 204, 304), or
#: not yet known (decided by the first part sent).
_LENGTH, _CHUNKED, _NONE, _UNDECIDED = range(4)
_INTERNAL_ERROR = (
    b"HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 21\r\nconnection: close\r\n\r\nInternal Server Error"
)


def status_line(status: int) -> bytes:
    line = _STATUS_LINES.get(status)
    if line is None:
        if not 100 <= status <= 999:
            raise RuntimeError(f"Invalid HTTP status {status}.")
        line = f"HTTP/1.1 {status} \r\n".encode()
    return line


class Connection(Protocol):
    """What an exchange needs of its connection."""

    def write(self, data: bytes) -> None: ...

    def resume_reading(self) -> None: ...

    async def drain(self) -> None: ...

    def date_header(self) -> bytes: ...


class Exchange:
    """One request's ASGI cycle. The connection feeds it (``feed``, ``end``,
    ``disconnect``); the app reads with ``receive`` and answers with ``send``."""

    __slots__ = (
        "_body",
        "_connection",
        "_expect_continue",
        "_given",
        "_head",
        "_mode",
        "_remaining",
        "_waiter",
        "complete",
        "disconnected",
        "finished",
        "head_only",
        "keep_alive",
        "scope",
        "started",
        "wait_body",
    )

    def __init__(
        self,
        connection: Connection,
        scope: dict[str, Any],
        keep_alive: bool,
        expect_continue: bool,
    ) -> None:
        self._connection = connection
        self.scope = scope
        self.keep_alive = keep_alive
        self.head_only = scope["method"] == "HEAD"
        self._expect_continue = expect_continue
        self._body = bytearray()
        self._waiter: asyncio.Future[None] | None = None
        #: The whole body has been given to the app.
        self._given = False
        #: The request's body has all arrived.
        self.complete = False
        self.disconnected = False
        self.started = False
        self.finished = False
        #: The app starts once the body is in (a small one of declared length).
        self.wait_body = False
        self._head = b""
        self._mode = _UNDECIDED
        self._remaining: int | None = None

    # --- fed by the connection --------------------------------------------------------------

    def feed(self, data: bytes) -> bool:
        """A piece of the request body; True when reading should pause (the app has not
        taken what came before)."""
        if self.finished:
            return False  # answered without reading it: the rest is dropped
        self._body += data
        self._wake()
        return len(self._body) > HIGH_WATER

    def end(self) -> None:
        self.complete = True
        self._wake()

    def disconnect(self) -> None:
        self.disconnected = True
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    # --- ASGI -------------------------------------------------------------------------------

    async def receive(self) -> Message:
        """The body as it arrives; once all of it was given, waits until the client goes
        away or the response ends (both answered ``http.disconnect``)."""
        while not (self.disconnected or self.finished):
            if self._body or (self.complete and not self._given):
                body = bytes(self._body)
                self._body.clear()
                self._given = self.complete
                # Taken: reading goes on (the next part, or the next request after it).
                self._connection.resume_reading()
                return {"type": "http.request", "body": body, "more_body": not self.complete}
            if not self.complete:
                if self._expect_continue and not self.started:
                    self._expect_continue = False
                    self._connection.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                self._connection.resume_reading()
            waiter = asyncio.get_running_loop().create_future()
            self._waiter = waiter
            try:
                await waiter
            finally:
                self._waiter = None
        return _DISCONNECT

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            if self.started:
                raise RuntimeError("The response has already started.")
            # Framed first: a head refused (a bad header) leaves the exchange unstarted,
            # so the client gets a 500 rather than a cut connection.
            self._head = self._frame_head(message["status"], message.get("headers") or ())
            self.started = True
            return
        if kind != "http.response.body":
            raise RuntimeError(f"Unexpected ASGI message {kind!r}.")
        if not self.started:
            raise RuntimeError("The response body was sent before its start.")
        if self.finished:
            raise RuntimeError("The response body was sent after its end.")
        if self.disconnected:
            return  # nobody to tell: the app finds out from receive
        body: bytes = message.get("body", b"")
        more: bool = message.get("more_body", False)
        out = self._frame_body(body, more)
        if not more:
            self.finished = True
            self._wake()  # a receive waiting for the end of the exchange
        self._connection.write(out)
        if more:
            await self._connection.drain()

    # --- framing ----------------------------------------------------------------------------

    def _frame_head(self, status: int, headers: Any) -> bytes:
        """The head, without the blank line that ends it (the first body adds that, and
        the framing header it may need)."""
        parts = [status_line(status), self._connection.date_header()]
        close = False
        mode = _UNDECIDED
        for name, value in headers:
            if name not in _GOOD_NAMES:
                if not name or _BAD_NAME.search(name):
                    raise RuntimeError(f"Invalid HTTP header name {name!r}.")
                if len(_GOOD_NAMES) < 4096:
                    _GOOD_NAMES.add(name)
            if b"\r" in value or b"\n" in value or b"\0" in value:
                raise RuntimeError(f"Invalid HTTP header value for {name!r}.")
            lower = name.lower()
            if lower == b"content-length":
                self._remaining = int(value)
                mode = _LENGTH
            elif lower == b"transfer-encoding" and value.lower() == b"chunked":
                mode = _CHUNKED
            elif lower == b"connection" and b"close" in value.lower():
                close = True
            parts += (name, b": ", value, b"\r\n")
        if close:
            self.keep_alive = False
        elif not self.keep_alive:
            parts.append(b"connection: close\r\n")
        if self.head_only or status in (204, 304) or status < 200:
            mode = _NONE
        self._mode = mode
        return b"".join(parts)

    def _frame_body(self, body: bytes, more: bool) -> bytes:
        """This part of the body as it goes on the wire; the head with the first part."""
        head, self._head = self._head, b""
        mode = self._mode
        if mode == _UNDECIDED:
            # Sent whole: its length is known. Sent in parts: chunked.
            if more:
                head += b"transfer-encoding: chunked\r\n"
                mode = self._mode = _CHUNKED
            else:
                head += b"content-length: %d\r\n" % len(body)
                self._remaining = len(body)
                mode = self._mode = _LENGTH
        if head:
            head += b"\r\n"
        if mode == _CHUNKED:
            out = b"%x\r\n%b\r\n" % (len(body), body) if body else b""
            return head + (out if more else out + b"0\r\n\r\n")
        if mode == _NONE:
            return head
        remaining = (self._remaining or 0) - len(body)
        self._remaining = remaining
        if remaining < 0 or (not more and remaining != 0):
            raise RuntimeError("The response body does not match its Content-Length.")
        return head + body if head else body

    @property
    def awaiting_continue(self) -> bool:
        """The client holds its body back until ``100 Continue``, which has not been sent
        (the app has not read the body yet)."""
        return self._expect_continue and not self.complete

    @property
    def body_refused(self) -> bool:
        """The client waits for ``100 Continue`` before sending a body the app answered
        without reading: it may never send it, so where the next request begins is
        unknown, and the connection must close."""
        return self._expect_continue and not self.complete

    def internal_error(self) -> None:
        """Answer 500 and close, for an app that failed before its response began."""
        self.finished = True
        self.keep_alive = False
        self._wake()
        if not self.disconnected:
            self._connection.write(_INTERNAL_ERROR)

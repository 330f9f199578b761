"""One client connection: ``httptools`` parses its requests, each becomes an
``Exchange`` run as one task of the ASGI app, answered in the order they came
(pipelined requests wait their turn).

Reading pauses while a request's body waits unread past ``HIGH_WATER``, and an app
writing a long response waits while the socket's buffer is full, so neither a fast
client nor a slow one makes the server hold more than a few buffers per connection. A
connection left idle for ``keep_alive`` seconds is closed (the client's pool opens a new
one). So is one whose request head is not whole ``request_timeout`` seconds after it
began, however it trickles in, and one whose client stops sending its body for that
long: otherwise a client sending half a head, or a head a byte now and then, holds a
connection for ever. (A body sent a byte now and then is not cut off: its pace is the
client's.)

A GET asking to switch to WebSocket, with nothing else queued before it, hands the
connection over to a ``WebSocketSession`` (``websocket.py``).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections import deque
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any, cast
from urllib.parse import unquote

import httptools

from altus.httpd.exchange import Exchange
from altus.httpd.websocket import (
    CLOSE_TIMEOUT,
    WebSocketSession,
    is_websocket,
    request_head,
    websocket_scope,
)

log = logging.getLogger(__name__)

ASGIApp = Any  # (scope, receive, send) -> awaitable

#: The request line and headers together may take this much; more answers 431.
MAX_HEAD_BYTES = 64 * 1024
#: A body of declared length up to this is in before the app starts.
WAIT_FOR = 64 * 1024

_ASGI = {"version": "3.0", "spec_version": "2.4"}
_BAD_REQUEST = (
    b"HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 11\r\nconnection: close\r\n\r\nBad Request"
)
_TIMED_OUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 15\r\nconnection: close\r\n\r\nRequest Timeout"
)
_HEAD_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8"
    b"\r\ncontent-length: 31\r\nconnection: close\r\n\r\nRequest Header Fields Too Large"
)


class _HeadTooLarge(Exception):
    pass


@dataclass
class ServerState:
    """What the connections of one server share."""

    app: ASGIApp
    keep_alive: float = 5.0
    #: How long a client may send nothing in the middle of a request.
    request_timeout: float = 60.0
    connections: set[HttpConnection] = field(default_factory=set)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    #: Shutting down: no new exchange starts, each connection closes once answered.
    closing: bool = False
    #: How long a WebSocket client has to answer a close frame before it is cut off.
    close_timeout: float = CLOSE_TIMEOUT
    _date_second: int = -1
    _date: bytes = b""

    def date_header(self) -> bytes:
        """``date: <IMF-fixdate>``, made once a second."""
        now = int(time.time())
        if now != self._date_second:
            self._date_second = now
            self._date = b"date: " + formatdate(now, usegmt=True).encode() + b"\r\n"
        return self._date


class HttpConnection(asyncio.Protocol):
    def __init__(self, state: ServerState) -> None:
        self._state = state
        self._app = state.app
        self._loop = asyncio.get_running_loop()
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._client: tuple[str, int] | None = None
        self._server: tuple[str, int] | None = None
        #: Exchanges in arrival order; the first is being answered.
        self._queue: deque[Exchange] = deque()
        #: The exchange whose request is being read (its body still coming).
        self._reading: Exchange | None = None
        #: When the connection last fell idle (``loop.time()``), None while in use: the
        #: server's sweep closes it ``keep_alive`` seconds later (one timer for the
        #: server, not one per request).
        self.idle_since: float | None = None
        #: When the client last sent part of a request it has not finished (its head or
        #: its body), None while no request is coming in: the sweep closes the
        #: connection ``request_timeout`` seconds later (``stalled``).
        self.receiving_since: float | None = None
        #: When the head being read began (None once it is whole).
        self._head_since: float | None = None
        self._in_message = False
        self._read_paused = False
        self._write_paused = False
        self._drained: asyncio.Future[None] | None = None
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._head_bytes = 0
        self._expect = False
        self._declared: int | None = None
        self._too_large = False
        #: A request to open a WebSocket, waiting for its head's end (the parser's
        #: ``HttpParserUpgrade``): its scope and head.
        self._websocket: tuple[dict[str, Any], bytes] | None = None
        #: The WebSocket this connection became, now the transport's protocol.
        self._session: WebSocketSession | None = None

    # --- asyncio.Protocol -------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement the interface without subclassing it.
        self._transport = cast(asyncio.Transport, transport)
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        peer, local = transport.get_extra_info("peername"), transport.get_extra_info("sockname")
        if isinstance(peer, tuple):
            self._client = (str(peer[0]), int(peer[1]))
        if isinstance(local, tuple):
            self._server = (str(local[0]), int(local[1]))
        self._state.connections.add(self)
        self.idle_since = self._loop.time()

    def data_received(self, data: bytes) -> None:
        self.idle_since = None
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade as upgrade:
            if self._websocket is None:
                self._no_upgrade()
            else:
                self._switch(data[upgrade.args[0] :])
        except httptools.HttpParserError:
            self._refuse(_HEAD_TOO_LARGE if self._too_large else _BAD_REQUEST)
        if not self._in_message:
            self.receiving_since = None
        elif self._head_since is not None:
            # A head has request_timeout seconds in all, however it trickles in.
            self.receiving_since = self._head_since
        else:
            self.receiving_since = self._loop.time()

    def connection_lost(self, exc: Exception | None) -> None:
        # Also called by the WebSocket session that took the transport over.
        self._state.connections.discard(self)
        self._transport = None
        for exchange in self._queue:
            exchange.disconnect()
        self._release_writers()

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        self._release_writers()

    # --- httptools callbacks ----------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._in_message = True
        self._head_since = self._loop.time()
        self._url = b""
        self._headers = []
        self._head_bytes = 0
        self._expect = False
        self._declared = None

    def on_url(self, url: bytes) -> None:
        self._url += url
        self._count(len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        self._headers.append((name, value))
        self._count(len(name) + len(value))
        if name == b"content-length" and value.isdigit():
            self._declared = int(value)
        elif name == b"expect" and value.lower() == b"100-continue":
            self._expect = True

    def on_headers_complete(self) -> None:
        self._head_since = None
        parser = self._parser
        url = self._url
        if not url.startswith(b"/"):  # absolute form (a proxy's), or "*"
            parsed = httptools.parse_url(url)
            url = (parsed.path or b"/") + (b"?" + parsed.query if parsed.query else b"")
        raw_path, _, query = url.partition(b"?")
        path = raw_path.decode("latin-1")
        if "%" in path:
            path = unquote(path)
        scope = {
            "type": "http",
            "asgi": _ASGI,
            "http_version": parser.get_http_version(),
            "server": self._server,
            "client": self._client,
            "scheme": "http",
            "method": parser.get_method().decode("ascii"),
            "root_path": "",
            "path": path,
            "raw_path": raw_path,
            "query_string": query,
            "headers": self._headers,
        }
        # Only an upgrade costs a look at the headers; an upgrade behind other requests
        # is answered as HTTP (the connection closes after it).
        if (
            parser.should_upgrade()
            and not self._queue
            and is_websocket(parser.get_method(), self._headers)
        ):
            head = request_head(parser.get_method(), parser.get_http_version(), self._headers)
            self._websocket = (scope, head)
            return
        exchange = Exchange(self, scope, parser.should_keep_alive(), self._expect)
        self._reading = exchange
        self._queue.append(exchange)
        # A small body of declared length is waited for before the app starts (clients
        # send it a moment after the head, in a packet of its own): the app then reads it
        # at once instead of waiting for it, a task switch fewer. Anything else (chunked,
        # large, or held back for ``100 Continue``) streams to an app already running.
        declared = self._declared
        exchange.wait_body = not self._expect and declared is not None and declared <= WAIT_FOR
        if len(self._queue) == 1 and not exchange.wait_body:
            self._start(exchange)

    def on_body(self, body: bytes) -> None:
        exchange = self._reading
        if exchange is not None and exchange.feed(body) and not self._read_paused:
            self._read_paused = True
            if self._transport is not None:
                self._transport.pause_reading()

    def on_message_complete(self) -> None:
        self._in_message = False
        exchange, self._reading = self._reading, None
        if exchange is not None:
            exchange.end()
            if exchange.wait_body and self._queue and self._queue[0] is exchange:
                self._start(exchange)

    def _switch(self, rest: bytes) -> None:
        """The request asked for a WebSocket, and nothing else is being answered: the
        connection becomes a ``WebSocketSession``, the transport's protocol from now on
        (so what comes next never passes through here), with ``rest``, what came after
        the head, as its first bytes. This connection stays the server's handle on it
        (for the stop), never idle nor stalled: ``data_received`` is not called again."""
        assert self._websocket is not None
        scope, head = self._websocket
        self._websocket = None
        self._in_message = False
        transport = self._transport
        if transport is None:
            return
        # The transport says its buffer is full once: a session starting behind a long
        # answer the client has not read yet must know it is so.
        session = WebSocketSession(
            self._state,
            transport,
            websocket_scope(scope),
            self.connection_lost,
            write_paused=self._write_paused,
        )
        self._session = session
        transport.set_protocol(session)
        session.begin(head, rest)

    def _no_upgrade(self) -> None:
        """A request to switch to a protocol not spoken here (``h2c``; or a WebSocket
        asked for behind other requests, or not by a GET): it is answered as plain
        HTTP, with what came after its head taken as the other protocol's (not a body,
        not a next request), and the connection closes after the answer."""
        self._in_message = False  # what follows is not HTTP: no request is coming in
        if not self._queue:
            return
        self._queue[-1].keep_alive = False
        exchange, self._reading = self._reading, None
        if exchange is not None:
            exchange.end()
            if exchange.wait_body and self._queue[0] is exchange:
                self._start(exchange)

    def _count(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > MAX_HEAD_BYTES:
            self._too_large = True
            raise _HeadTooLarge

    # --- what an exchange needs (exchange.Connection) ---------------------------------------

    def write(self, data: bytes) -> None:
        transport = self._transport
        if transport is not None and not transport.is_closing():
            transport.write(data)

    def resume_reading(self) -> None:
        if self._read_paused:
            self._read_paused = False
            if self._in_message:
                # The wait was the app's, not the client's: the client's time starts now.
                self.receiving_since = self._loop.time()
            if self._transport is not None:
                self._transport.resume_reading()

    async def drain(self) -> None:
        if not self._write_paused or self._transport is None:
            return
        if self._drained is None:
            self._drained = self._loop.create_future()
        await self._drained

    def date_header(self) -> bytes:
        return self._state.date_header()

    # --- running exchanges ------------------------------------------------------------------

    def _start(self, exchange: Exchange) -> None:
        task = self._loop.create_task(self._run(exchange))
        self._state.tasks.add(task)
        task.add_done_callback(self._state.tasks.discard)

    async def _run(self, exchange: Exchange) -> None:
        scope = exchange.scope
        try:
            await self._app(scope, exchange.receive, exchange.send)
        except Exception:
            log.exception("unexpected error answering %s %s", scope["method"], scope["path"])
            self._unanswered(exchange)
        else:
            # A client gone mid-answer leaves it unfinished, and nobody to tell.
            if not exchange.finished and not exchange.disconnected:
                log.error(
                    "%s %s: the app returned without finishing its answer",
                    scope["method"],
                    scope["path"],
                )
                self._unanswered(exchange)
        finally:
            self._done(exchange)

    def _unanswered(self, exchange: Exchange) -> None:
        """An exchange the app did not finish: a 500 if nothing was sent yet, else the
        connection is cut (the client sees the response is incomplete)."""
        if not exchange.started:
            exchange.internal_error()
        else:
            exchange.keep_alive = False
            exchange.finished = True

    def _done(self, exchange: Exchange) -> None:
        queue = self._queue
        if queue and queue[0] is exchange:
            queue.popleft()
        transport = self._transport
        if transport is None:
            return
        if not exchange.keep_alive or exchange.body_refused or self._state.closing:
            transport.close()
            return
        # Reading goes on: the next request, or the unread rest of this one's body (dropped
        # as it comes, so that the next request can be found after it).
        self.resume_reading()
        if queue:
            following = queue[0]
            if not following.wait_body or following.complete:
                self._start(following)  # else once its body is in (on_message_complete)
        else:
            self.idle_since = self._loop.time()

    # --- closing ----------------------------------------------------------------------------

    def stalled(self, since: float) -> bool:
        """Whether the client has sent nothing of the request it began since ``since``
        (a loop time), while the server was ready to read it: not while reading is
        paused for an app that has not taken the body so far, nor while the client waits
        for its ``100 Continue``."""
        began = self.receiving_since
        if began is None or began > since or self._read_paused:
            return False
        reading = self._reading
        return reading is None or not reading.awaiting_continue

    def time_out(self) -> None:
        """Close a stalled connection: a 408 if nothing is being answered on it (the
        head never came whole), else just closed (the app reading the body is told the
        client went away)."""
        transport = self._transport
        if transport is None:
            return
        if not self._queue:
            transport.write(_TIMED_OUT)
        transport.close()

    def close_if_idle(self) -> None:
        """Close now if nothing is being answered (shutdown); a WebSocket is told the
        server is going away (its closing handshake ends it)."""
        if self._session is not None:
            self._session.going_away()
        elif not self._queue and self._transport is not None:
            self._transport.close()

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    def _refuse(self, answer: bytes) -> None:
        """A request that cannot be parsed: answered (if nothing else is being answered)
        and the connection closed, since where the next request starts is unknown."""
        transport = self._transport
        if transport is None:
            return
        if not self._queue:
            transport.write(answer)
        transport.close()

    def _release_writers(self) -> None:
        drained, self._drained = self._drained, None
        if drained is not None and not drained.done():
            drained.set_result(None)

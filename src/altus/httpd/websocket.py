"""One WebSocket session: a connection whose request switched protocols, served to the
ASGI app as a ``websocket`` scope (ASGI 3, WebSocket spec 2.4, with the
``websocket.http.response`` denial extension).

The WebSocket protocol itself (the handshake's checks, frames, masking, ping and pong,
the closing handshake, the message size limit) is ``websockets``' sans-I/O
``ServerProtocol``: the session only moves bytes between it and the transport, and
messages between it and the app. The request head, already parsed by the HTTP
connection, is given to the protocol again (rebuilt from the headers the handshake
reads, so that its parser's stricter limits do not refuse what HTTP takes) so that it
checks the handshake by its own rules; a handshake it refuses is answered with its
response and the app never runs. What the client sends after the head waits, unread,
until the app has answered: frames come after the 101, and are dropped with a refusal.
The session replaces the HTTP connection as the transport's protocol, so the HTTP path
pays nothing for it.

Flow control both ways: reading pauses while messages the app has not taken are past
``MAX_QUEUED_MESSAGES`` or ``MAX_QUEUED_BYTES``, and while the socket's buffer is full
(a client that sends pings and never reads the pongs is not answered into memory); an
app sending faster than the client reads waits while the socket's buffer is full. Once
the server sends a close frame, the app's messages still queued are dropped, and so is
any data the client sends after them; reading goes on (unless the client does not read)
so that its answer is seen, and the client has ``close_timeout`` seconds to give it
before the connection is cut.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import re
from collections import deque
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, Protocol, cast

from websockets.datastructures import Headers
from websockets.exceptions import ProtocolError
from websockets.frames import Close, CloseCode, Frame, Opcode
from websockets.http11 import Request, Response
from websockets.protocol import State
from websockets.server import ServerProtocol

log = logging.getLogger(__name__)

Message = dict[str, Any]

#: The largest message taken from a client (fragments assembled, into one buffer: a
#: flood of empty or tiny fragments holds no more than the message's bytes), as
#: ``websockets``' default; a larger one closes the session with 1009.
MAX_MESSAGE = 1024 * 1024
#: The longest close reason, in UTF-8 bytes (a control frame's payload is at most 125
#: bytes, two of them the code); an app giving a longer one gets a ``RuntimeError``.
MAX_CLOSE_REASON = 123
#: Messages waiting for the app past either bound pause reading until it takes them.
MAX_QUEUED_MESSAGES = 64
MAX_QUEUED_BYTES = 1024 * 1024
#: How long a client has to answer a close frame (or to read what is left to send it)
#: before the connection is cut.
CLOSE_TIMEOUT = 5.0

_ASGI = {"version": "3.0", "spec_version": "2.4"}
#: A header name is an RFC 9110 token; a value may not hold CR, LF or NUL.
_BAD_NAME = re.compile(rb"[^!#$%&'*+\-.^_`|~0-9a-zA-Z]")
_BAD_VALUE = re.compile(rb"[\r\n\0]")
#: The headers the handshake check reads (``websockets``' request parser and
#: ``ServerProtocol.accept``), the body's framing among them: a handshake with a body is
#: refused by its rules.
_HANDSHAKE_HEADERS = frozenset(
    {b"host", b"connection", b"upgrade", b"origin", b"content-length", b"transfer-encoding"}
)
_BAD_REQUEST = (
    b"HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 11\r\nconnection: close\r\n\r\nBad Request"
)
_CONNECT: Message = {"type": "websocket.connect"}
#: Headers of the handshake's answer that are the server's to write (a subprotocol is
#: chosen with ``subprotocol``, not a header).
_RESERVED = frozenset(
    {
        b"connection",
        b"upgrade",
        b"date",
        b"sec-websocket-accept",
        b"sec-websocket-extensions",
        b"sec-websocket-protocol",
    }
)

# Where the session is in its life, as the app sees it.
#: The handshake awaits the app's answer.
_CONNECTING = 0
#: Accepted: messages flow.
_OPEN = 1
#: The app began a denial response (``websocket.http.response.start``).
_DENYING = 2
#: Answered without accepting (403, 500, the app's denial) or closed.
_DONE = 3


class _Quiet(logging.LoggerAdapter[logging.Logger]):
    """The protocol's log, its line per session opened and closed at DEBUG (the HTTP
    side logs nothing per request either); its errors stay errors."""

    def info(self, msg: object, *args: Any, **kwargs: Any) -> None:
        self.debug(msg, *args, **kwargs)


_PROTOCOL_LOG = _Quiet(logging.getLogger(f"{__name__}.protocol"))


class ClientDisconnected(OSError):
    """``send`` on a session the client has left, or that is closing (ASGI 2.4: an
    ``OSError`` subclass)."""


class Host(Protocol):
    """What a session needs of its server (``connection.ServerState``)."""

    app: Any
    tasks: set[asyncio.Task[None]]
    closing: bool
    close_timeout: float


def websocket_scope(http_scope: dict[str, Any]) -> dict[str, Any]:
    """The ``websocket`` scope for a request whose ``http`` scope was made: the same
    path, query and headers, with the subprotocols the client offers."""
    subprotocols: list[str] = []
    for name, value in http_scope["headers"]:
        if name == b"sec-websocket-protocol":
            subprotocols += (p.strip() for p in value.decode("latin-1").split(",") if p.strip())
    return {
        "type": "websocket",
        "asgi": _ASGI,
        "http_version": http_scope["http_version"],
        "scheme": "ws",
        "server": http_scope["server"],
        "client": http_scope["client"],
        "root_path": http_scope["root_path"],
        "path": http_scope["path"],
        "raw_path": http_scope["raw_path"],
        "query_string": http_scope["query_string"],
        "headers": http_scope["headers"],
        "subprotocols": subprotocols,
        # The denial extension: the app may refuse with an HTTP response of its own.
        "extensions": {"websocket.http.response": {}},
    }


def request_head(method: bytes, version: str, headers: Any) -> bytes:
    """The request head for the protocol's handshake check: the method and version as
    they came, and only the headers the check reads (names lowered). The rest (cookies,
    long URLs, many headers), which HTTP takes up to its own limits, would only meet the
    stricter ones of ``websockets``' parser (8 KiB a line, 128 headers); the app's scope
    keeps them all, and its path."""
    lines = [b"%b / HTTP/%b\r\n" % (method, version.encode("ascii"))]
    lines += (
        b"%b: %b\r\n" % (name, value)
        for name, value in headers
        if name in _HANDSHAKE_HEADERS or name.startswith(b"sec-websocket-")
    )
    lines.append(b"\r\n")
    return b"".join(lines)


def is_websocket(method: bytes, headers: Any) -> bool:
    """Whether an upgrade request asks for a WebSocket (a GET whose ``Upgrade`` names
    it): others (h2c...) are not spoken here."""
    if method != b"GET":
        return False
    for name, value in headers:
        if name == b"upgrade" and any(
            token.strip().lower() == b"websocket" for token in value.split(b",")
        ):
            return True
    return False


class WebSocketSession(asyncio.Protocol):
    """The transport's protocol once a request asked for a WebSocket. ``begin`` checks
    the handshake and starts the app; the app talks through ``receive`` and ``send``.

    ``on_lost`` is called once the connection is gone (the HTTP connection's own
    ``connection_lost``, so the server forgets it); ``write_paused``, whether the
    transport's buffer was already full when it was handed over (it says so only once)."""

    def __init__(
        self,
        host: Host,
        transport: asyncio.Transport,
        scope: dict[str, Any],
        on_lost: Callable[[Exception | None], None],
        write_paused: bool = False,
    ) -> None:
        self._host = host
        self._transport: asyncio.Transport | None = transport
        self._loop = asyncio.get_running_loop()
        self.scope = scope
        self._on_lost = on_lost
        self._protocol = ServerProtocol(max_size=MAX_MESSAGE, logger=_PROTOCOL_LOG)
        #: The 101 answer, sent when the app accepts.
        self._response: Response | None = None
        self._phase = _CONNECTING
        self._connect_given = False
        #: Messages for the app, each with its size.
        self._messages: deque[tuple[Message, int]] = deque()
        self._queued_bytes = 0
        #: The message being assembled from fragments, and its kind.
        self._partial = bytearray()
        self._partial_text = False
        #: What the client sent while the app decides the handshake (fed after the 101).
        self._pending = bytearray()
        #: The ``websocket.disconnect`` the app gets once its messages are taken.
        self._disconnect: Message | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._read_paused = False
        self._write_paused = write_paused
        self._drained: asyncio.Future[None] | None = None
        self._close_timer: asyncio.TimerHandle | None = None
        #: The app has sent ``websocket.close`` (sending after it is its bug).
        self._app_closed = False
        #: The server began the closing handshake: the client's data is dropped since.
        self._closing = False
        #: The denial response: status, headers, body so far.
        self._denial: tuple[int, Headers] | None = None
        self._denial_body = bytearray()
        #: The client sent a text message that is not UTF-8 (the session is failed).
        self._failed = False

    @property
    def backlog(self) -> tuple[int, int]:
        """The messages received and not yet taken by the app: how many, how many bytes."""
        return len(self._messages), self._queued_bytes

    @property
    def reading_paused(self) -> bool:
        """Reading waits: for the app to take its backlog or to answer the handshake, or
        for the client to read what is sent to it."""
        return self._read_paused

    @property
    def writing_paused(self) -> bool:
        """The socket's buffer is full: ``websocket.send`` waits, reading pauses."""
        return self._write_paused

    @property
    def write_buffered(self) -> int:
        """Bytes written and not yet taken by the socket."""
        transport = self._transport
        return 0 if transport is None else transport.get_write_buffer_size()

    @property
    def assembling(self) -> int:
        """Bytes held of the message being assembled from fragments."""
        return len(self._partial)

    # --- start ------------------------------------------------------------------------------

    def begin(self, head: bytes, rest: bytes) -> None:
        """Check the handshake in ``head`` (``request_head``); if good, run the app,
        holding ``rest`` (what the client sent after the head) and pausing reading until
        the app answers. A refused handshake is answered with the protocol's response
        and closes."""
        protocol = self._protocol
        protocol.receive_data(head)
        events = protocol.events_received()
        # Nothing; or the protocol's own refusal of a head its parser did not take (414,
        # 431), then its end of stream; or that end alone (no answer of its own).
        answer = b"".join(protocol.data_to_send())
        request = events[0] if events else None
        if not isinstance(request, Request):
            self._phase = _DONE
            self._write_raw(answer or _BAD_REQUEST)
            return
        response = protocol.accept(request)
        if response.status_code != 101:
            self._phase = _DONE
            protocol.send_response(response)
            self._flush()
            return
        self._response = response
        self._pending += rest
        self._pace_reading()
        task = self._loop.create_task(self._run())
        self._host.tasks.add(task)
        task.add_done_callback(self._host.tasks.discard)

    # --- asyncio.Protocol -------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        phase = self._phase
        if phase == _OPEN:
            self._feed(data)
        elif phase != _DONE:
            # The handshake is undecided (reading is paused, but a read may have been
            # under way): frames wait for the 101, so that none is answered before it.
            self._pending += data
        # Refused: nothing more is taken (the connection is closing).

    def _feed(self, data: bytes) -> None:
        """Frames for the protocol; what it lets through for the app."""
        protocol = self._protocol
        protocol.receive_data(data)
        events = protocol.events_received()
        self._flush()
        for event in events:
            self._take(cast(Frame, event))
        if self._disconnect is None and protocol.close_sent is not None:
            # The protocol failed the session (a bad frame, too large a message).
            self._disconnected(protocol.close_sent.code, protocol.close_sent.reason)
        self._pace_reading()

    def eof_received(self) -> bool | None:
        self._protocol.receive_eof()
        self._flush()
        return None  # the transport closes

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        if self._close_timer is not None:
            self._close_timer.cancel()
            self._close_timer = None
        self._disconnected(CloseCode.ABNORMAL_CLOSURE, "")
        self._release_writers()
        self._on_lost(exc)

    def pause_writing(self) -> None:
        self._write_paused = True
        self._pace_reading()

    def resume_writing(self) -> None:
        self._write_paused = False
        self._release_writers()
        self._pace_reading()

    def _pace_reading(self) -> None:
        """Pause or resume reading, as ``_should_read`` says (the one place that does)."""
        transport = self._transport
        if transport is None:
            return
        read = self._should_read()
        if read != self._read_paused:
            return  # already so
        self._read_paused = not read
        if read:
            transport.resume_reading()
        else:
            transport.pause_reading()

    def _should_read(self) -> bool:
        """Whether what the client sends is wanted now: not while the app decides the
        handshake; not while the socket's buffer is full (what is read may need an
        answer: a pong, a close); once the server sent its close, regardless of the
        app's backlog (the client's answer is awaited); else while the backlog is
        within its bounds. After a refusal it is read only to be dropped."""
        phase = self._phase
        if phase == _DONE:
            return True
        if phase != _OPEN or self._write_paused:
            return False
        if self._closing:
            return True
        return len(self._messages) < MAX_QUEUED_MESSAGES and self._queued_bytes < MAX_QUEUED_BYTES

    # --- from the client --------------------------------------------------------------------

    def _take(self, frame: Frame) -> None:
        """A frame the protocol let through: a message (or part of one) for the app, or
        the client's close. Pings are answered by the protocol itself."""
        if self._failed:
            return  # nothing more is taken from a client that broke the protocol
        opcode = frame.opcode
        if opcode is Opcode.CLOSE:
            close = self._protocol.close_rcvd
            if close is not None:
                self._disconnected(close.code, close.reason)
        elif self._closing:
            return  # the server closed: the app is told of that, not of what came after
        elif opcode is Opcode.TEXT or opcode is Opcode.BINARY:
            self._partial_text = opcode is Opcode.TEXT
            if not frame.fin:
                self._partial = bytearray(frame.data)
                return
            self._deliver(bytes(frame.data))
        elif opcode is Opcode.CONT:
            self._partial += frame.data
            if frame.fin:
                data, self._partial = bytes(self._partial), bytearray()
                self._deliver(data)

    def _deliver(self, data: bytes) -> None:
        if self._partial_text:
            try:
                message: Message = {"type": "websocket.receive", "text": data.decode()}
            except UnicodeDecodeError:
                self._failed = True
                self._protocol.fail(CloseCode.INVALID_DATA, "invalid UTF-8 in a text message")
                self._flush()
                return
        else:
            message = {"type": "websocket.receive", "bytes": data}
        self._messages.append((message, len(data)))
        self._queued_bytes += len(data)
        self._wake()

    def _disconnected(self, code: int, reason: str) -> None:
        """The app's last message, once it has taken the others (the first reason
        wins: the client's close, the server's, or the connection lost)."""
        if self._disconnect is None:
            self._disconnect = {"type": "websocket.disconnect", "code": code, "reason": reason}
            self._wake()

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # --- ASGI -------------------------------------------------------------------------------

    async def receive(self) -> Message:
        """``websocket.connect`` first, then the client's messages as they come, then
        ``websocket.disconnect`` (again on every later call)."""
        if not self._connect_given:
            self._connect_given = True
            return _CONNECT
        while True:
            if self._messages:
                message, size = self._messages.popleft()
                self._queued_bytes -= size
                if self._read_paused:
                    self._pace_reading()
                return message
            if self._disconnect is not None:
                return self._disconnect
            waiter = self._loop.create_future()
            self._waiter = waiter
            try:
                await waiter
            finally:
                self._waiter = None

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "websocket.send":
            await self._send_message(message)
        elif kind == "websocket.accept":
            self._accept(message)
        elif kind == "websocket.close":
            self._close(message)
        elif kind == "websocket.http.response.start":
            self._deny_start(message)
        elif kind == "websocket.http.response.body":
            self._deny_body(message)
        else:
            raise RuntimeError(f"Unexpected ASGI message {kind!r}.")

    async def _send_message(self, message: Message) -> None:
        if self._phase != _OPEN:
            raise RuntimeError("websocket.send before the session was accepted.")
        if self._app_closed:
            raise RuntimeError("websocket.send after websocket.close.")
        protocol = self._protocol
        if self._writable() is None or protocol.state is not State.OPEN:
            raise ClientDisconnected("The WebSocket is closed.")
        text, data = message.get("text"), message.get("bytes")
        if text is not None:
            protocol.send_text(text.encode())
        elif data is not None:
            protocol.send_binary(data)
        else:
            raise RuntimeError("websocket.send with neither text nor bytes.")
        self._flush()
        if self._write_paused:
            await self._drain()

    def _accept(self, message: Message) -> None:
        response = self._response
        if self._phase != _CONNECTING or response is None:
            raise RuntimeError("websocket.accept after the handshake was answered.")
        if self._writable() is None or self._protocol.state is not State.CONNECTING:
            raise ClientDisconnected("The client went away before it was accepted.")
        headers = response.headers
        for name, value in message.get("headers") or ():
            _check_header(name, value)
            if name.lower() not in _RESERVED:
                headers[name.decode("latin-1")] = value.decode("latin-1")
        subprotocol = message.get("subprotocol")
        if subprotocol is not None:
            headers["Sec-WebSocket-Protocol"] = subprotocol
        self._phase = _OPEN
        self._protocol.send_response(response)
        self._flush()
        # What the client sent meanwhile comes after the 101, then reading goes on.
        pending, self._pending = self._pending, bytearray()
        if pending:
            self._feed(bytes(pending))
        self._pace_reading()
        if self._host.closing:
            self.going_away()  # accepted as the server stops: closed at once

    def _close(self, message: Message) -> None:
        phase = self._phase
        if phase == _CONNECTING:
            # Refused before it was accepted: 403, and the handshake is not completed.
            self._answer(self._protocol.reject(HTTPStatus.FORBIDDEN, "Forbidden\n"))
            return
        if phase == _DENYING:
            raise RuntimeError("websocket.close in the middle of a denial response.")
        if phase == _DONE:
            return  # already refused: nothing more to close
        code = message.get("code", CloseCode.NORMAL_CLOSURE)
        reason = message.get("reason") or ""
        try:
            Close(code, reason).check()
        except ProtocolError as exc:
            raise RuntimeError(f"Invalid close code {code!r}.") from exc
        # Refused rather than cut short: a reason cut at 123 bytes could say otherwise.
        if not isinstance(reason, str) or len(reason.encode()) > MAX_CLOSE_REASON:
            raise RuntimeError(
                f"A close reason is a string of {MAX_CLOSE_REASON} bytes (UTF-8) at most."
            )
        self._app_closed = True
        self._send_close(code, reason)

    def _deny_start(self, message: Message) -> None:
        if self._phase != _CONNECTING:
            raise RuntimeError("websocket.http.response.start after the handshake was answered.")
        headers = Headers()
        for name, value in message.get("headers") or ():
            _check_header(name, value)
            headers[name.decode("latin-1")] = value.decode("latin-1")
        status = int(message["status"])
        if not 200 <= status <= 999:  # a final answer
            raise RuntimeError(f"Invalid denial status {status}.")
        self._denial = (status, headers)
        self._phase = _DENYING

    def _deny_body(self, message: Message) -> None:
        denial = self._denial
        if self._phase != _DENYING or denial is None:
            raise RuntimeError("websocket.http.response.body without its start.")
        self._denial_body += message.get("body", b"")
        if message.get("more_body", False):
            return
        status, headers = denial
        # Framed by the body as sent, and the last answer on this connection.
        for name in ("Content-Length", "Transfer-Encoding", "Connection"):
            if name in headers:
                del headers[name]
        headers["Content-Length"] = str(len(self._denial_body))
        headers["Connection"] = "close"
        if "Date" not in headers:
            headers["Date"] = email.utils.formatdate(usegmt=True)
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = ""
        self._answer(Response(status, phrase, headers, bytes(self._denial_body)))

    def _answer(self, response: Response) -> None:
        """An HTTP answer instead of the handshake's (the connection closes after it);
        what the client sent after its head is dropped."""
        self._phase = _DONE
        self._pending = bytearray()
        self._pace_reading()
        if self._writable() is None or self._protocol.eof_sent:
            return  # the client is gone, or its connection is closing
        self._protocol.send_response(response)
        self._flush()
        self._disconnected(CloseCode.ABNORMAL_CLOSURE, "")

    # --- running the app --------------------------------------------------------------------

    async def _run(self) -> None:
        try:
            await self._host.app(self.scope, self.receive, self.send)
        except ClientDisconnected:
            # The app did not catch the client's leaving: nothing is left to tell it.
            self._ended(CloseCode.NORMAL_CLOSURE, failed=True)
        except Exception:
            log.exception("unexpected error in the WebSocket session on %s", self.scope["path"])
            self._ended(CloseCode.INTERNAL_ERROR, failed=True)
        else:
            self._ended(CloseCode.NORMAL_CLOSURE, failed=False)

    def _ended(self, code: int, failed: bool) -> None:
        """The app is done: a session still open is closed with ``code``; one never
        answered gets a 500, one whose denial was left unfinished is cut. An app that
        returned (not ``failed``) leaving either is logged."""
        phase = self._phase
        if phase == _OPEN:
            self._send_close(code, "")
        elif phase == _CONNECTING:
            if not failed and self._writable() is not None:
                log.error(
                    "%s: the app returned without answering the handshake", self.scope["path"]
                )
            self._answer(
                self._protocol.reject(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal Server Error\n")
            )
        elif phase == _DENYING:
            if not failed:
                log.error("%s: the app returned without finishing its denial", self.scope["path"])
            self._phase = _DONE
            self.abort()

    # --- closing ----------------------------------------------------------------------------

    def going_away(self) -> None:
        """The server stops: an open session is closed with 1001 and its app told so;
        one whose handshake the app is still deciding is closed 1001 once accepted."""
        if self._phase == _OPEN:
            self._send_close(CloseCode.GOING_AWAY, "")

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    def _send_close(self, code: int, reason: str) -> None:
        """Start the closing handshake (unless under way); the app is told at once: its
        next ``receive`` is the disconnect, what was queued for it dropped (ASGI: after
        its close, the session is over for the app)."""
        self._closing = True
        self._messages.clear()
        self._queued_bytes = 0
        self._partial = bytearray()
        if self._protocol.state is State.OPEN and self._writable() is not None:
            self._protocol.send_close(code, reason)
            self._flush()
        self._disconnected(code, reason)
        self._pace_reading()

    def _close_timed_out(self) -> None:
        self._close_timer = None
        self.abort()

    # --- writing ----------------------------------------------------------------------------

    def _flush(self) -> None:
        """Write what the protocol has to send; its end-of-stream closes the transport
        (a server closes the TCP connection first). Once a close is under way, the
        client has ``close_timeout`` seconds to finish it."""
        transport = self._writable()
        writes = self._protocol.data_to_send()
        if transport is None:
            return
        for data in writes:
            if data:
                transport.write(data)
            else:
                transport.close()
        if self._close_timer is None and self._protocol.close_expected():
            self._close_timer = self._loop.call_later(
                self._host.close_timeout, self._close_timed_out
            )

    def _writable(self) -> asyncio.Transport | None:
        """The transport, unless gone or closing."""
        transport = self._transport
        return None if transport is None or transport.is_closing() else transport

    def _write_raw(self, data: bytes) -> None:
        transport = self._transport
        if transport is not None:
            transport.write(data)
            transport.close()

    async def _drain(self) -> None:
        if self._transport is None:
            return
        if self._drained is None:
            self._drained = self._loop.create_future()
        await self._drained

    def _release_writers(self) -> None:
        drained, self._drained = self._drained, None
        if drained is not None and not drained.done():
            drained.set_result(None)


def _check_header(name: bytes, value: bytes) -> None:
    """Refuse a header that is not one (it could split the answer)."""
    if not name or _BAD_NAME.search(name):
        raise RuntimeError(f"Invalid HTTP header name {name!r}.")
    if _BAD_VALUE.search(value):
        raise RuntimeError(f"Invalid HTTP header value for {name!r}.")

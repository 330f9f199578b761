"""WebSockets on the API port's HTTP server, driven by the real ``websockets`` client
(and raw bytes where a client would not misbehave): the handshake, messages both ways,
the closing handshake from either side, refusals, flow control, lost connections and
the stop; and that plain HTTP on the same server is unchanged."""

from __future__ import annotations

import asyncio
import queue
import socket
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import pytest
import uvloop
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.frames import Close, Frame, Opcode

from altus.httpd import HttpServer
from altus.httpd.websocket import MAX_QUEUED_BYTES, MAX_QUEUED_MESSAGES, WebSocketSession
from altus.server import bind

T = TypeVar("T")

#: What the apps saw, by the tag in their query string (filled on the server's thread).
SEEN: dict[str, queue.Queue[Any]] = {}
MESSAGES = 400
MESSAGE_SIZE = 16 * 1024
#: A response larger than the socket's buffers can take from a client that reads nothing.
BIG_BODY = 32 * 1024 * 1024


def seen(tag: str) -> queue.Queue[Any]:
    return SEEN.setdefault(tag, queue.Queue())


def next_seen(tag: str) -> Any:
    return seen(tag).get(timeout=5)


async def echo(receive: Any, send: Any, tag: str) -> None:
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            seen(tag).put(message)
            return
        reply = {"type": "websocket.send"}
        if "text" in message:
            reply["text"] = message["text"]
        else:
            reply["bytes"] = message["bytes"]
        await send(reply)


async def backlogged(receive: Any, send: Any, tag: str) -> None:
    """Takes nothing until reading paused, then takes all: the backlog it found."""
    session = receive.__self__  # the WebSocketSession (its backlog is public)
    await send({"type": "websocket.accept"})
    for _ in range(1000):
        if session.reading_paused:
            break
        await asyncio.sleep(0.01)
    seen(tag).put((session.reading_paused, session.backlog))
    count = 0
    while count < MESSAGES:
        message = await receive()
        assert message["type"] == "websocket.receive" and len(message["bytes"]) == MESSAGE_SIZE
        count += 1
    await send({"type": "websocket.send", "text": str(count)})
    await receive()


async def held(receive: Any, send: Any, tag: str) -> None:
    """Hands its session over, then passes on every message, the disconnect last."""
    await send({"type": "websocket.accept"})
    seen(tag).put(receive.__self__)
    while True:
        message = await receive()
        seen(tag).put(message)
        if message["type"] == "websocket.disconnect":
            return


async def closes_while_paused(receive: Any, send: Any, tag: str) -> None:
    """Takes nothing until reading paused, then closes: what it finds after its close."""
    session = receive.__self__
    await send({"type": "websocket.accept"})
    seen(tag).put(session)
    for _ in range(1000):
        if session.reading_paused:
            break
        await asyncio.sleep(0.01)
    paused_before = session.reading_paused
    await send({"type": "websocket.close", "code": 4000})
    after = (paused_before, session.reading_paused, session.backlog)
    seen(tag).put((*after, await receive()))


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    path = scope["path"]
    tag = scope["query_string"].decode()
    if scope["type"] == "http":
        body = f"{scope['method']} {path}".encode() if path != "/big" else b"z" * BIG_BODY
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})
        if path == "/big":
            seen(tag).put("answered")
        return
    assert scope["type"] == "websocket"
    seen(tag).put(await receive())  # websocket.connect
    if path == "/echo":
        await echo(receive, send, tag)
    elif path == "/sc ope":
        seen(tag).put({key: value for key, value in scope.items() if key != "asgi"})
        headers = [(b"x-altus", b"yes")]
        await send({"type": "websocket.accept", "subprotocol": "chat", "headers": headers})
        await receive()
    elif path == "/refuse":
        await send({"type": "websocket.close"})
    elif path == "/deny":
        headers = [(b"content-type", b"text/plain"), (b"www-authenticate", b"Bearer")]
        await send({"type": "websocket.http.response.start", "status": 401, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": b"no ", "more_body": True})
        await send({"type": "websocket.http.response.body", "body": b"entry"})
        seen(tag).put(await receive())
    elif path == "/server-close":
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.close", "code": 4001, "reason": "bye"})
        seen(tag).put(await receive())
    elif path == "/returns":
        await send({"type": "websocket.accept"})
    elif path == "/fails":
        await send({"type": "websocket.accept"})
        raise ValueError("a bug after accepting")
    elif path == "/fails-early":
        raise ValueError("a bug before answering")
    elif path == "/backlog":
        await backlogged(receive, send, tag)
    elif path == "/hold":
        await held(receive, send, tag)
    elif path == "/close-paused":
        await closes_while_paused(receive, send, tag)
    elif path == "/after-big":
        session = receive.__self__
        await send({"type": "websocket.accept"})
        seen(tag).put((session.writing_paused, session.write_buffered))
        await receive()
    elif path == "/headers":
        seen(tag).put(scope["headers"])
        await send({"type": "websocket.accept"})
        await receive()
    elif path == "/reason":
        await send({"type": "websocket.accept"})
        try:
            await send({"type": "websocket.close", "code": 4002, "reason": "é" * 62})
        except RuntimeError as exc:
            seen(tag).put(exc)
        await send({"type": "websocket.close", "code": 4002, "reason": "é" * 61 + "!"})
    elif path == "/flood":
        await send({"type": "websocket.accept"})
        for n in range(MESSAGES):
            await send({"type": "websocket.send", "bytes": n.to_bytes(4, "big") * 16384})
        await send({"type": "websocket.close"})


class Running:
    def __init__(self, close_timeout: float = 1.0) -> None:
        self.sock = bind("127.0.0.1", 0)
        self.port = self.sock.getsockname()[1]
        self.server = HttpServer(app, graceful=2, close_timeout=close_timeout)
        self.loop = uvloop.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_until_complete, args=(self.server.serve([self.sock]),)
        )
        self.thread.start()
        for _ in range(500):
            if self.server.started:
                break
            time.sleep(0.005)

    def url(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def connect(self, receive_buffer: int | None = None) -> socket.socket:
        """A raw client; with ``receive_buffer``, one whose socket holds little unread."""
        conn = socket.socket()
        if receive_buffer is not None:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        conn.settimeout(5)
        conn.connect(("127.0.0.1", self.port))
        return conn

    def call(self, read: Callable[[], T]) -> T:
        """``read()`` run on the server's loop (sessions are read there only)."""

        async def on_loop() -> T:
            return read()

        return asyncio.run_coroutine_threadsafe(on_loop(), self.loop).result(timeout=5)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.server.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@pytest.fixture(scope="module")
def running() -> Iterator[Running]:
    server = Running()
    yield server
    server.stop()


@asynccontextmanager
async def client(url: str, **options: Any) -> AsyncIterator[ClientConnection]:
    """The ``websockets`` client, without a proxy, compression, or pings of its own."""
    options = {"proxy": None, "compression": None, "ping_interval": None, **options}
    async with connect(url, open_timeout=5, close_timeout=5, **options) as ws:
        yield ws


def handshake(path: str, version: bytes = b"13", extra: bytes = b"") -> bytes:
    return (
        b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
        b"Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        b"Sec-WebSocket-Version: " + version + b"\r\n" + extra + b"\r\n"
    )


def frame(opcode: Opcode, data: bytes, fin: bool = True) -> bytes:
    """A frame as a client sends it (masked)."""
    return Frame(opcode, data, fin).serialize(mask=True)


def read_head(conn: socket.socket) -> bytes:
    head = b""
    for _ in range(65536):  # bounded: a head is shorter
        if head.endswith(b"\r\n\r\n"):
            return head
        chunk = conn.recv(1)
        if not chunk:
            break
        head += chunk
    raise AssertionError(f"no whole head: {head!r}")


def read_exactly(conn: socket.socket, size: int) -> bytes:
    received = b""
    for _ in range(size):  # bounded: each read brings a byte at least
        if len(received) >= size:
            break
        chunk = conn.recv(size - len(received))
        if not chunk:
            break
        received += chunk
    return received


def open_session(running: Running, tag: str, conn: socket.socket) -> WebSocketSession:
    """A raw client's handshake to ``/hold``: the session the app handed over."""
    conn.sendall(handshake(f"/hold?{tag}"))
    assert read_head(conn).startswith(b"HTTP/1.1 101 ")
    assert next_seen(tag) == {"type": "websocket.connect"}
    session = next_seen(tag)
    assert isinstance(session, WebSocketSession)
    return session


def read_until_closed(conn: socket.socket) -> bytes:
    received = b""
    for _ in range(10000):  # bounded: the socket times out, or the server closes
        chunk = conn.recv(65536)
        if not chunk:
            return received
        received += chunk
    raise AssertionError("the server never closed")


# --- messages ----------------------------------------------------------------------------


def test_text_and_binary_messages_are_echoed_and_the_client_close_code_reaches_the_app(running):
    async def talk() -> None:
        async with client(running.url("/echo?t1")) as ws:
            await ws.send("hello")
            assert await ws.recv() == "hello"
            await ws.send(b"\x00\x01\xff")
            assert await ws.recv() == b"\x00\x01\xff"
            await ws.send("žluťoučký kůň")
            assert await ws.recv() == "žluťoučký kůň"
            await ws.close(4000, "done here")

    asyncio.run(talk())
    assert next_seen("t1") == {"type": "websocket.connect"}
    assert next_seen("t1") == {"type": "websocket.disconnect", "code": 4000, "reason": "done here"}


def test_fragmented_messages_are_assembled(running):
    async def talk() -> None:
        async with client(running.url("/echo?t2")) as ws:
            await ws.send(["frag", "ment", "ed"])
            assert await ws.recv() == "fragmented"
            await ws.send([b"\x01" * 70000, b"\x02" * 70000])
            assert await ws.recv() == b"\x01" * 70000 + b"\x02" * 70000

    asyncio.run(talk())


def test_a_ping_is_answered_with_a_pong(running):
    async def talk() -> None:
        async with client(running.url("/echo?t3")) as ws:
            pong = await ws.ping(b"are you there")
            await asyncio.wait_for(pong, 5)
            await ws.send("still here")
            assert await ws.recv() == "still here"

    asyncio.run(talk())


def test_the_scope_subprotocol_and_accept_headers(running):
    async def talk() -> None:
        async with client(running.url("/sc%20ope?t4"), subprotocols=["chat", "v2"]) as ws:
            assert ws.subprotocol == "chat"
            assert ws.response is not None and ws.response.headers["x-altus"] == "yes"

    asyncio.run(talk())
    next_seen("t4")  # websocket.connect
    scope = next_seen("t4")
    assert scope["type"] == "websocket" and scope["scheme"] == "ws"
    assert scope["path"] == "/sc ope" and scope["raw_path"] == b"/sc%20ope"
    assert scope["query_string"] == b"t4" and scope["http_version"] == "1.1"
    assert scope["subprotocols"] == ["chat", "v2"]
    assert "websocket.http.response" in scope["extensions"]
    assert (b"upgrade", b"websocket") in scope["headers"]
    assert scope["client"][0] == "127.0.0.1" and scope["server"][1] == running.port


def test_a_message_over_the_size_limit_closes_with_1009(running):
    async def talk() -> int | None:
        async with client(running.url("/echo?t5"), max_size=None) as ws:
            with pytest.raises(ConnectionClosed):  # on the send, or on the next recv
                await ws.send(b"x" * (1024 * 1024 + 1))
                await ws.recv()
            return ws.close_code

    assert asyncio.run(talk()) == 1009
    next_seen("t5")
    assert next_seen("t5")["code"] == 1009


def test_a_text_message_that_is_not_utf8_closes_with_1007(running):
    conn = running.connect()
    conn.sendall(handshake("/echo?t6"))
    head = b""
    while b"\r\n\r\n" not in head:
        head += conn.recv(1)
    assert head.startswith(b"HTTP/1.1 101 ")
    conn.sendall(Frame(Opcode.TEXT, b"\xff\xfe").serialize(mask=True))
    received = read_until_closed(conn)
    assert received[0] == 0x88  # a close frame
    assert Close.parse(received[2 : 2 + received[1]]).code == 1007
    conn.close()
    next_seen("t6")
    assert next_seen("t6")["code"] == 1007


# --- closing ------------------------------------------------------------------------------


def test_the_app_closes_with_its_code_and_reason(running):
    async def talk() -> tuple[int | None, str | None]:
        async with client(running.url("/server-close?t7")) as ws:
            with pytest.raises(ConnectionClosed):
                await ws.recv()
            return ws.close_code, ws.close_reason

    assert asyncio.run(talk()) == (4001, "bye")
    next_seen("t7")
    assert next_seen("t7") == {"type": "websocket.disconnect", "code": 4001, "reason": "bye"}


def test_an_app_that_returns_closes_1000_and_one_that_fails_closes_1011(running):
    async def close_code(path: str) -> int | None:
        async with client(running.url(path)) as ws:
            with pytest.raises(ConnectionClosed):
                await ws.recv()
            return ws.close_code

    assert asyncio.run(close_code("/returns")) == 1000
    assert asyncio.run(close_code("/fails")) == 1011


def test_a_client_that_never_answers_the_close_is_cut_off(running):
    conn = running.connect()
    conn.sendall(handshake("/server-close?t8"))
    received = read_until_closed(conn)  # the close frame came, then the end
    assert received.startswith(b"HTTP/1.1 101 ")
    close = received.partition(b"\r\n\r\n")[2]
    assert close[0] == 0x88 and Close.parse(close[2 : 2 + close[1]]).code == 4001
    conn.close()


def test_a_lost_connection_is_a_disconnect_1006(running):
    async def talk() -> None:
        async with client(running.url("/echo?t9")) as ws:
            await ws.send("hello")
            assert await ws.recv() == "hello"
            ws.transport.abort()

    asyncio.run(talk())
    next_seen("t9")
    assert next_seen("t9") == {"type": "websocket.disconnect", "code": 1006, "reason": ""}


# --- refusals ------------------------------------------------------------------------------


def test_a_close_before_accepting_answers_403(running):
    async def talk() -> None:
        async with client(running.url("/refuse?t10")):
            pass

    with pytest.raises(InvalidStatus) as refused:
        asyncio.run(talk())
    assert refused.value.response.status_code == 403


def test_the_denial_extension_answers_with_the_apps_response(running):
    async def talk() -> None:
        async with client(running.url("/deny?t11")):
            pass

    with pytest.raises(InvalidStatus) as refused:
        asyncio.run(talk())
    response = refused.value.response
    assert response.status_code == 401 and response.body == b"no entry"
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-length"] == "8"
    next_seen("t11")
    assert next_seen("t11")["type"] == "websocket.disconnect"


def test_an_app_that_fails_before_answering_gives_500(running):
    async def talk() -> None:
        async with client(running.url("/fails-early?t12")):
            pass

    with pytest.raises(InvalidStatus) as refused:
        asyncio.run(talk())
    assert refused.value.response.status_code == 500


def test_a_bad_handshake_is_answered_by_the_protocol_and_the_app_never_runs(running):
    conn = running.connect()
    conn.sendall(handshake("/echo?t13", version=b"12"))
    received = read_until_closed(conn)
    assert received.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"Sec-WebSocket-Version" in received
    conn.close()
    assert seen("t13").empty()


# --- flow control -------------------------------------------------------------------------


def test_a_slow_app_pauses_reading_and_its_backlog_stays_bounded(running):
    async def talk() -> str | bytes:
        async with client(running.url("/backlog?t14")) as ws:
            for n in range(MESSAGES):
                await ws.send(n.to_bytes(2, "big") * (MESSAGE_SIZE // 2))
            return await ws.recv()

    assert asyncio.run(talk()) == str(MESSAGES)
    next_seen("t14")
    paused, (messages, size) = next_seen("t14")
    assert paused
    # Reading stops after the read that crossed a bound: at most one read past it.
    assert messages <= MAX_QUEUED_MESSAGES + 16
    assert size <= MAX_QUEUED_BYTES + 256 * 1024 + MESSAGE_SIZE


def test_an_app_sending_faster_than_the_client_reads_loses_nothing(running):
    async def talk() -> list[int]:
        firsts = []
        async with client(running.url("/flood?t15"), max_queue=2) as ws:
            for _ in range(MESSAGES):
                message = await ws.recv()
                assert isinstance(message, bytes) and len(message) == 65536
                firsts.append(int.from_bytes(message[:4], "big"))
                await asyncio.sleep(0)
        return firsts

    assert asyncio.run(talk()) == list(range(MESSAGES))


# --- the stop -----------------------------------------------------------------------------


def test_the_stop_closes_open_sessions_with_1001():
    server = Running()
    try:

        async def talk() -> int | None:
            async with client(server.url("/echo?t16")) as ws:
                await ws.send("hello")
                assert await ws.recv() == "hello"
                server.loop.call_soon_threadsafe(server.server.stop)
                with pytest.raises(ConnectionClosed):
                    await ws.recv()
                return ws.close_code

        assert asyncio.run(talk()) == 1001
        next_seen("t16")
        assert next_seen("t16")["code"] == 1001
    finally:
        server.stop()


# --- plain HTTP beside it -----------------------------------------------------------------


def test_plain_http_and_pipelining_are_unchanged(running):
    conn = running.connect()
    conn.sendall(b"GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\n")
    received = b""
    for _ in range(100):
        if received.count(b"GET /") == 2:
            break
        received += conn.recv(65536)
    assert received.count(b"HTTP/1.1 200 OK") == 2
    assert received.index(b"GET /one") < received.index(b"GET /two")
    conn.close()


def test_an_h2c_upgrade_is_answered_as_plain_http_and_closed(running):
    conn = running.connect()
    conn.sendall(
        b"GET /h2 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
        b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n"
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"  # the other protocol's: not a next request
    )
    received = read_until_closed(conn)
    assert received.startswith(b"HTTP/1.1 200 OK\r\n") and received.endswith(b"GET /h2")
    assert b"connection: close" in received
    conn.close()


def test_a_websocket_asked_for_behind_another_request_is_answered_as_http(running):
    conn = running.connect()
    conn.sendall(b"GET /first HTTP/1.1\r\nHost: x\r\n\r\n" + handshake("/echo?t17"))
    received = read_until_closed(conn)
    assert received.count(b"HTTP/1.1 200 OK") == 2 and received.endswith(b"GET /echo")
    conn.close()
    assert seen("t17").empty()


# --- what a client sends around the handshake ---------------------------------------------


def test_frames_sent_before_the_app_accepts_are_answered_after_the_101(running):
    conn = running.connect()
    conn.sendall(handshake("/echo?t20") + frame(Opcode.PING, b"early") + frame(Opcode.TEXT, b"hi"))
    assert read_head(conn).startswith(b"HTTP/1.1 101 ")
    pong, echo = b"\x8a\x05early", b"\x81\x02hi"
    assert read_exactly(conn, len(pong) + len(echo)) == pong + echo
    conn.close()


def test_a_close_frame_sent_before_the_app_accepts_is_answered_after_the_101(running):
    conn = running.connect()
    conn.sendall(handshake("/echo?t21") + frame(Opcode.CLOSE, Close(1000, "").serialize()))
    received = read_until_closed(conn)
    head, _, after = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101 ")
    assert after[0] == 0x88 and Close.parse(after[2 : 2 + after[1]]).code == 1000
    conn.close()
    next_seen("t21")
    assert next_seen("t21")["code"] == 1000


def test_frames_sent_before_a_refusal_are_dropped(running):
    conn = running.connect()
    conn.sendall(handshake("/refuse?t22") + frame(Opcode.PING, b"early"))
    received = read_until_closed(conn)
    assert received.startswith(b"HTTP/1.1 403 Forbidden\r\n")
    assert received.endswith(b"\r\n\r\nForbidden\n")  # the answer, and nothing after it
    conn.close()


def test_a_handshake_keeps_headers_beyond_the_websocket_parsers_limits(running):
    cookie = b"a" * 9000  # a line longer than websockets' parser takes (8 KiB)
    extra = b"cookie: " + cookie + b"\r\n" + b"".join(b"x-h%d: v\r\n" % n for n in range(150))
    conn = running.connect()
    conn.sendall(handshake("/headers?t23", extra=extra))
    assert read_head(conn).startswith(b"HTTP/1.1 101 ")
    conn.close()
    next_seen("t23")
    headers = next_seen("t23")
    assert (b"cookie", cookie) in headers and (b"x-h149", b"v") in headers
    assert len(headers) == 5 + 1 + 150  # the handshake's own, the cookie, the others


def test_a_handshake_header_too_long_for_the_protocol_gets_its_own_431(running):
    conn = running.connect()
    conn.sendall(handshake("/echo?t24", extra=b"sec-websocket-protocol: " + b"p" * 9000 + b"\r\n"))
    received = read_until_closed(conn)
    assert received.startswith(b"HTTP/1.1 431 ")
    assert b"Failed to open a WebSocket connection" in received
    conn.close()
    assert seen("t24").empty()


# --- back-pressure from a client that does not read ----------------------------------------


def test_a_client_that_pings_and_never_reads_has_reading_paused(running):
    conn = running.connect(receive_buffer=4096)
    session = open_session(running, "t25", conn)
    pings = frame(Opcode.PING, b"p" * 125) * 1000
    conn.setblocking(False)
    sent = 0
    for _ in range(10000):  # bounded: at most 64 MiB are sent
        try:
            sent += conn.send(pings)
        except BlockingIOError:
            if running.call(lambda: session.reading_paused):
                break
            time.sleep(0.001)
        assert sent < 64 * 1024 * 1024, "the server read on while its pongs piled up"
    state = running.call(lambda: (session.reading_paused, session.writing_paused))
    assert state == (True, True)
    # The socket's high-water mark (64 KiB), and the pongs to one read at most.
    assert running.call(lambda: session.write_buffered) < 1024 * 1024
    conn.close()


def test_a_session_behind_an_unread_answer_starts_with_writing_paused(running):
    conn = running.connect(receive_buffer=4096)
    conn.sendall(b"GET /big?t26 HTTP/1.1\r\nHost: x\r\n\r\n")
    assert next_seen("t26") == "answered"  # the answer is written, and not read
    conn.sendall(handshake("/after-big?t27"))
    next_seen("t27")
    paused, buffered = next_seen("t27")
    assert buffered > 0 and paused
    conn.close()


# --- fragments, the close, its reason -------------------------------------------------------


def test_fragments_are_held_as_one_buffer_of_their_bytes(running):
    conn = running.connect()
    session = open_session(running, "t28", conn)
    fragments = (
        frame(Opcode.BINARY, b"a", fin=False)
        + frame(Opcode.CONT, b"", fin=False) * 5000
        + frame(Opcode.CONT, b"b", fin=False) * 5000
    )
    conn.sendall(fragments + frame(Opcode.PING, b"sync"))
    # The pong comes once every frame before its ping was taken.
    assert read_exactly(conn, 6) == b"\x8a\x04sync"
    assembling, footprint = running.call(
        lambda: (session.assembling, sys.getsizeof(session._partial))
    )
    assert assembling == 5001
    assert footprint < 4 * 5001  # not a list of 10001 objects (over 300 KiB)
    conn.sendall(frame(Opcode.CONT, b"c"))
    assert next_seen("t28") == {"type": "websocket.receive", "bytes": b"a" + b"b" * 5000 + b"c"}
    assert running.call(lambda: session.assembling) == 0
    conn.close()


def test_a_close_while_reading_is_paused_reads_the_clients_answer(running):
    async def talk() -> int | None:
        async with client(running.url("/close-paused?t29")) as ws:
            for _ in range(200):
                await ws.send(b"x" * 100)
            with pytest.raises(ConnectionClosed):
                await ws.recv()
            await ws.wait_closed()
            return ws.close_code

    assert asyncio.run(talk()) == 4000
    next_seen("t29")
    session = next_seen("t29")
    paused_before, paused_after, backlog, then = next_seen("t29")
    assert paused_before and not paused_after
    # The app's own close ends the session for it: what was queued is not given.
    assert backlog == (0, 0)
    assert then == {"type": "websocket.disconnect", "code": 4000, "reason": ""}
    # The client's close was read (not cut off unread by the close timeout).
    close = running.call(lambda: session._protocol.close_rcvd)
    assert close is not None and close.code == 4000


def test_a_close_reason_over_123_bytes_is_the_apps_error(running):
    async def talk() -> tuple[int | None, str | None]:
        async with client(running.url("/reason?t30")) as ws:
            with pytest.raises(ConnectionClosed):
                await ws.recv()
            return ws.close_code, ws.close_reason

    assert asyncio.run(talk()) == (4002, "é" * 61 + "!")
    next_seen("t30")
    assert isinstance(next_seen("t30"), RuntimeError)


def test_a_handshake_with_a_body_is_refused_and_the_app_never_runs(running):
    conn = running.connect()
    conn.sendall(handshake("/echo?t31", extra=b"content-length: 5\r\n") + b"hello")
    received = read_until_closed(conn)
    assert received.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    conn.close()
    assert seen("t31").empty()

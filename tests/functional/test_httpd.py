"""The API port's HTTP/1.1 server, driven over real loopback sockets with raw bytes: what
a client sees of framing, keep-alive, pipelining, flow, failures and the stop."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvloop

from altus.httpd import HttpServer
from altus.server import bind


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    path = scope["path"]
    if path == "/echo":
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})
    elif path == "/scope":
        text = f"{scope['method']} {scope['path']} {scope['raw_path']!r} {scope['query_string']!r}"
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": text.encode()})
    elif path == "/parts":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ab", "more_body": True})
        await send({"type": "http.response.body", "body": b"cde", "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    elif path == "/fails":
        raise ValueError("a bug")
    elif path == "/fails-midway":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"partial", "more_body": True})
        raise ValueError("a bug after the first part")
    elif path == "/silent":
        return
    elif path == "/inject":
        headers = [(b"x-evil", b"a\r\nset-cookie: stolen")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
    elif path == "/slow":
        await asyncio.sleep(0.3)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"finished"})
    elif path == "/wait-for-disconnect":
        message = await receive()
        assert message["type"] == "http.request"
        message = await receive()
        DISCONNECTS.append(message["type"])
    elif path == "/unread":
        await send({"type": "http.response.start", "status": 413, "headers": []})
        await send({"type": "http.response.body", "body": b"too large"})
    elif path == "/no-content":
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})
    else:
        body = b"not here"
        headers = [(b"content-type", b"text/plain"), (b"content-length", b"8")]
        await send({"type": "http.response.start", "status": 404, "headers": headers})
        await send({"type": "http.response.body", "body": body})


DISCONNECTS: list[str] = []


class Running:
    def __init__(self, keep_alive: float = 5.0) -> None:
        self.sock = bind("127.0.0.1", 0)
        self.port = self.sock.getsockname()[1]
        self.server = HttpServer(app, keep_alive=keep_alive, graceful=2)
        self.loop = uvloop.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_until_complete, args=(self.server.serve([self.sock]),)
        )
        self.thread.start()
        for _ in range(500):
            if self.server.started:
                break
            time.sleep(0.005)

    def connect(self) -> socket.socket:
        conn = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        return conn

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.server.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@pytest.fixture(scope="module")
def running() -> Iterator[Running]:
    server = Running()
    yield server
    server.stop()


def read_response(
    conn: socket.socket, buffer: bytearray, head_only: bool = False
) -> tuple[bytes, dict[bytes, bytes], bytes]:
    """One response off ``conn`` (its status line, headers, de-chunked body; a HEAD
    answer's head only); what comes after it stays in ``buffer``."""
    while b"\r\n\r\n" not in buffer:
        chunk = conn.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a whole head: {bytes(buffer)!r}")
        buffer += chunk
    head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    buffer[:] = rest
    body = b""
    if head_only:
        pass
    elif headers.get(b"transfer-encoding") == b"chunked":
        while True:
            while b"\r\n" not in buffer:
                buffer += _recv(conn)
            size_line, _, rest = bytes(buffer).partition(b"\r\n")
            size = int(size_line, 16)
            while len(rest) < size + 2:
                rest += _recv(conn)
            body += rest[:size]
            buffer[:] = rest[size + 2 :]
            if size == 0:
                break
    elif b"content-length" in headers:
        length = int(headers[b"content-length"])
        while len(buffer) < length:
            buffer += _recv(conn)
        body = bytes(buffer[:length])
        del buffer[:length]
    return lines[0], headers, body


def _recv(conn: socket.socket) -> bytes:
    chunk = conn.recv(65536)
    if not chunk:
        raise ConnectionError("closed mid-body")
    return chunk


def closed(conn: socket.socket) -> bool:
    try:
        return conn.recv(1) == b""
    except ConnectionResetError:
        return True


def test_a_whole_body_goes_out_with_its_length_and_the_connection_is_kept(running):
    conn = running.connect()
    buffer = bytearray()
    for n in range(3):
        conn.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
        status, headers, body = read_response(conn, buffer)
        assert status == b"HTTP/1.1 200 OK", n
        assert headers[b"content-length"] == b"5" and body == b"hello"
        assert b"date" in headers
    conn.close()


def test_pipelined_requests_are_answered_in_order(running):
    conn = running.connect()
    conn.sendall(
        b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /scope?a=1 HTTP/1.1\r\nHost: x\r\n\r\n"
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
    )
    buffer = bytearray()
    assert read_response(conn, buffer)[2] == b"finished"
    assert read_response(conn, buffer)[2] == b"GET /scope b'/scope' b'a=1'"
    assert read_response(conn, buffer)[2] == b"abc"
    conn.close()


def test_the_path_is_decoded_and_the_raw_path_kept(running):
    conn = running.connect()
    conn.sendall(b"GET /sc%6Fpe?x=%20 HTTP/1.1\r\nHost: x\r\n\r\n")
    assert read_response(conn, bytearray())[2] == b"GET /scope b'/sc%6Fpe' b'x=%20'"
    conn.close()


def test_a_chunked_request_body_is_read_whole(running):
    conn = running.connect()
    conn.sendall(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n"
    )
    assert read_response(conn, bytearray())[2] == b"abcdefg"
    conn.close()


def test_expect_100_continue_is_answered_when_the_body_is_read(running):
    conn = running.connect()
    conn.sendall(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"
    )
    interim = conn.recv(65536)
    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    conn.sendall(b"body")
    assert read_response(conn, bytearray())[2] == b"body"
    conn.close()


def test_a_body_refused_before_100_continue_closes_the_connection(running):
    conn = running.connect()
    conn.sendall(
        b"POST /unread HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"
    )
    status, _, body = read_response(conn, bytearray())
    assert status.startswith(b"HTTP/1.1 413") and body == b"too large"
    assert closed(conn)  # the body never sent cannot be told from a next request
    conn.close()


def test_a_large_body_is_read_through_the_flow_control(running):
    conn = running.connect()
    payload = bytes(range(256)) * 8192  # 2 MiB, past the high-water mark many times
    conn.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(payload))
    sender = threading.Thread(target=conn.sendall, args=(payload,))
    sender.start()
    buffer = bytearray()
    status, _, body = read_response(conn, buffer)
    sender.join()
    assert status == b"HTTP/1.1 200 OK" and body == payload
    conn.sendall(b"GET /scope HTTP/1.1\r\nHost: x\r\n\r\n")  # the connection serves on
    assert read_response(conn, buffer)[2] == b"GET /scope b'/scope' b''"
    conn.close()


def test_a_body_answered_unread_is_dropped_and_the_connection_serves_on(running):
    conn = running.connect()
    payload = b"z" * (1024 * 1024)
    conn.sendall(b"POST /unread HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(payload))
    sender = threading.Thread(target=conn.sendall, args=(payload,))
    sender.start()
    buffer = bytearray()
    assert read_response(conn, buffer)[2] == b"too large"
    sender.join()
    conn.sendall(b"GET /scope HTTP/1.1\r\nHost: x\r\n\r\n")
    assert read_response(conn, buffer)[2] == b"GET /scope b'/scope' b''"
    conn.close()


def test_a_body_in_parts_is_chunked(running):
    conn = running.connect()
    conn.sendall(b"GET /parts HTTP/1.1\r\nHost: x\r\n\r\n")
    _, headers, body = read_response(conn, bytearray())
    assert headers[b"transfer-encoding"] == b"chunked" and body == b"abcde"
    conn.close()


def test_head_and_204_answers_have_no_body(running):
    conn = running.connect()
    buffer = bytearray()
    conn.sendall(b"HEAD /missing HTTP/1.1\r\nHost: x\r\n\r\n")
    status, headers, _ = read_response(conn, buffer, head_only=True)
    assert status.startswith(b"HTTP/1.1 404") and headers[b"content-length"] == b"8"
    conn.sendall(
        b"GET /no-content HTTP/1.1\r\nHost: x\r\n\r\nGET /scope HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    status, headers, body = read_response(conn, buffer)
    assert status == b"HTTP/1.1 204 No Content" and body == b""
    assert b"content-length" not in headers and b"transfer-encoding" not in headers
    assert read_response(conn, buffer)[2] == b"GET /scope b'/scope' b''"
    conn.close()


def test_an_app_that_fails_before_answering_gives_500_and_close(running):
    for path in (b"/fails", b"/silent"):
        conn = running.connect()
        conn.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        status, headers, body = read_response(conn, bytearray())
        assert status == b"HTTP/1.1 500 Internal Server Error", path
        assert headers[b"connection"] == b"close" and body == b"Internal Server Error"
        assert closed(conn)
        conn.close()


def test_an_app_that_fails_midway_cuts_the_connection_without_the_last_chunk(running):
    conn = running.connect()
    conn.sendall(b"GET /fails-midway HTTP/1.1\r\nHost: x\r\n\r\n")
    received = b""
    while chunk := conn.recv(65536):
        received += chunk
    assert b"7\r\npartial\r\n" in received and not received.endswith(b"0\r\n\r\n")
    conn.close()


def test_a_header_value_that_would_split_the_response_is_refused(running):
    conn = running.connect()
    conn.sendall(b"GET /inject HTTP/1.1\r\nHost: x\r\n\r\n")
    status, _, _ = read_response(conn, bytearray())
    assert status == b"HTTP/1.1 500 Internal Server Error"
    conn.close()


def test_a_request_to_upgrade_to_another_protocol_is_answered_as_plain_http_and_closed(running):
    # WebSocket upgrades are served (tests/functional/test_httpd_websocket.py); h2c is not.
    conn = running.connect()
    conn.sendall(
        b"GET /echo HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"
        b"PRI * HTTP/2.0\r\n"  # the other protocol's bytes: not a body, not a next request
    )
    status, headers, body = read_response(conn, bytearray())
    assert status == b"HTTP/1.1 200 OK" and body == b""
    assert headers[b"connection"] == b"close" and closed(conn)
    conn.close()


def test_malformed_and_oversized_heads_are_refused(running):
    conn = running.connect()
    conn.sendall(b"NONSENSE\r\n\r\n")
    assert read_response(conn, bytearray())[0] == b"HTTP/1.1 400 Bad Request"
    assert closed(conn)
    conn.close()
    conn = running.connect()
    conn.sendall(b"GET /scope HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n")
    assert read_response(conn, bytearray())[0] == b"HTTP/1.1 431 Request Header Fields Too Large"
    conn.close()


def test_connection_close_and_http_1_0_close_after_the_answer(running):
    for request in (
        b"GET /scope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET /scope HTTP/1.0\r\n\r\n",
    ):
        conn = running.connect()
        conn.sendall(request)
        status, headers, _ = read_response(conn, bytearray())
        assert status.endswith(b"200 OK") and headers[b"connection"] == b"close"
        assert closed(conn)
        conn.close()


def test_the_app_is_told_when_the_client_goes_away(running):
    DISCONNECTS.clear()
    conn = running.connect()
    conn.sendall(b"POST /wait-for-disconnect HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
    time.sleep(0.05)
    conn.close()
    for _ in range(200):
        if DISCONNECTS:
            break
        time.sleep(0.01)
    assert DISCONNECTS == ["http.disconnect"]


def test_an_idle_connection_is_closed_after_the_keep_alive():
    server = Running(keep_alive=0.2)
    try:
        conn = server.connect()
        conn.sendall(b"GET /scope HTTP/1.1\r\nHost: x\r\n\r\n")
        read_response(conn, bytearray())
        conn.settimeout(5)
        started = time.monotonic()
        assert closed(conn)
        assert time.monotonic() - started < 4
        conn.close()
    finally:
        server.stop()


def test_the_stop_lets_an_open_request_finish_and_closes_idle_connections():
    server = Running()
    try:
        idle = server.connect()
        busy = server.connect()
        busy.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.05)
        server.loop.call_soon_threadsafe(server.server.stop)
        assert closed(idle)
        assert read_response(busy, bytearray())[2] == b"finished"
        assert closed(busy)
        idle.close()
        busy.close()
        server.thread.join(timeout=10)
        assert not server.thread.is_alive()
    finally:
        server.stop()

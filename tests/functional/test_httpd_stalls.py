"""The HTTP server and clients that stop in the middle of a request (found by the fuzz
suite's hostile callers: a client could hold a connection for ever with half a head).
Raw bytes over real loopback sockets, the server with a short ``request_timeout``."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvloop

from altus.httpd import HttpServer
from altus.server import bind
from tests.functional.test_httpd import DISCONNECTS, app, closed, read_response

#: Short, so the tests wait little: what matters is what is closed, and what is not.
TIMEOUT = 0.2


class Stalling:
    """The test app (``test_httpd.app``) served with ``request_timeout=TIMEOUT``."""

    def __init__(self) -> None:
        self.sock = bind("127.0.0.1", 0)
        self.port = self.sock.getsockname()[1]
        self.server = HttpServer(app, keep_alive=30, request_timeout=TIMEOUT, graceful=2)
        self.loop = uvloop.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_until_complete, args=(self.server.serve([self.sock]),)
        )
        self.thread.start()
        for _ in range(500):  # bounded: it listens within moments
            if self.server.started:
                break
            time.sleep(0.005)

    def connect(self) -> socket.socket:
        # The server closes a stalled connection within a second or so; ten is plenty.
        return socket.create_connection(("127.0.0.1", self.port), timeout=10)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.server.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@pytest.fixture(scope="module")
def stalling() -> Iterator[Stalling]:
    server = Stalling()
    yield server
    server.stop()


def test_half_a_head_is_answered_408_and_closed(stalling: Stalling) -> None:
    conn = stalling.connect()
    conn.sendall(b"GET /scope HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    status, headers, body = read_response(conn, bytearray())
    assert status == b"HTTP/1.1 408 Request Timeout"
    assert headers[b"connection"] == b"close" and body == b"Request Timeout"
    assert closed(conn)
    conn.close()


def test_a_head_that_trickles_in_is_cut_off_all_the_same(stalling: Stalling) -> None:
    """A byte now and then never lets a head outlive ``request_timeout`` in all."""
    conn = stalling.connect()
    conn.sendall(b"GET /scope HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    answered = b""
    for _ in range(40):  # bounded: 40 bytes, 4 timeouts' worth of them
        try:
            conn.sendall(b"a")
        except OSError:
            break  # cut off
        time.sleep(TIMEOUT / 10)
        conn.setblocking(False)
        try:
            answered += conn.recv(4096)
        except BlockingIOError:
            pass
        finally:
            conn.setblocking(True)
        if answered:
            break
    assert answered.startswith(b"HTTP/1.1 408 Request Timeout")
    conn.close()


def test_a_body_that_stops_coming_closes_the_connection_and_tells_the_app(
    stalling: Stalling,
) -> None:
    DISCONNECTS.clear()
    conn = stalling.connect()
    # Past the 64 KiB waited for, so the app is reading when the client stops.
    conn.sendall(
        b"POST /wait-for-disconnect HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n"
        + b"x" * 70_000
    )
    assert closed(conn)
    conn.close()
    for _ in range(500):  # bounded: the app hears of it as the connection goes
        if DISCONNECTS:
            break
        time.sleep(0.01)
    assert DISCONNECTS == ["http.disconnect"]


def test_an_app_slower_than_the_timeout_still_answers(stalling: Stalling) -> None:
    """The request is whole: waiting is the app's (a long poll), not the client's."""
    conn = stalling.connect()
    conn.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
    status, _, body = read_response(conn, bytearray())
    assert (status, body) == (b"HTTP/1.1 200 OK", b"finished")
    conn.close()


def test_a_client_waiting_for_100_continue_is_not_stalled(stalling: Stalling) -> None:
    """It holds its body back until the app reads it (this app never does)."""
    conn = stalling.connect()
    conn.sendall(
        b"POST /slow HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n"
    )
    status, _, body = read_response(conn, bytearray())
    assert (status, body) == (b"HTTP/1.1 200 OK", b"finished")
    conn.close()

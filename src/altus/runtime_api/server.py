"""HTTP/1.1 transport of the Runtime API: one listening socket per environment.

This sits on the hot path of every invoke (the event goes out as the answer to a parked
``GET /next``, the result comes back as a ``POST .../response``), so it is a bare asyncio
protocol over ``httptools`` (the parser uvicorn uses) rather than an ASGI stack: each
answer is built as one bytes object and written with one ``transport.write``, with
TCP_NODELAY set, so neither Nagle nor an extra task switch adds latency.

Where every environment runs as a uid of its own (the ``linux`` sandbox), a connection is
accepted only from a socket owned by the environment's uid, read from ``/proc/net/tcp``:
the port alone would let one function fetch another's events.

It also copes with what real runtime clients send: libcurl (inside awslambdaric) sends
``Expect: 100-continue`` before large bodies, and a response over Lambda's 6 MiB limit is
counted and dropped as it streams in rather than buffered.

A streamed response (``Lambda-Runtime-Function-Response-Mode: streaming``, usually with
``Transfer-Encoding: chunked``) is recognised once its headers are in: each body chunk
goes to the invocation's ``ResponseStream`` as ``httptools`` reports it, and the error a
runtime reports mid-stream arrives in the HTTP trailers, which ``httptools`` reports as
headers after the body (``on_header`` after ``on_headers_complete``). A buffered response
takes none of this: its path stays the same few callbacks and one write.

A runtime may pipeline: the built-in clients send ``POST .../response`` and the next
``GET /next`` together, since nothing in the 202 changes what they do next. Answers made
while one read is parsed are written together at its end, and when that read leaves a
``/next`` parked, the ``202`` waits and goes out in the same write as the next event: one
write and one wake-up of the runtime per invoke instead of two. A client that waits for
each answer (the official ones) never leaves a ``/next`` parked behind an answer in one
read, so it gets every answer at once, as before.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import re
import socket
from typing import cast

import httptools

from altus.httpd.exchange import status_line
from altus.runtime_api.endpoint import (
    ACCEPTED,
    MAX_RESPONSE_BYTES,
    STREAMING,
    Reply,
    RuntimeEndpoint,
)
from altus.runtime_api.stream import (
    COMPLETE,
    TRUNCATED,
    ResponseStream,
    StreamEnd,
    error_document,
)

log = logging.getLogger(__name__)

_INVOCATION = re.compile(r"/2018-06-01/runtime/invocation/([^/]+)/(response|error)")
_NEXT = "/2018-06-01/runtime/invocation/next"
_INIT_ERROR = "/2018-06-01/runtime/init/error"
_ERROR_TYPE = b"lambda-runtime-function-error-type"
_ERROR_BODY = b"lambda-runtime-function-error-body"
_RESPONSE_MODE = b"lambda-runtime-function-response-mode"


class RuntimeApiProtocol(asyncio.Protocol):
    """One runtime connection; requests on it are dispatched to its endpoint."""

    def __init__(self, endpoint: RuntimeEndpoint) -> None:
        self._endpoint = endpoint
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        # Answers not written yet: made while a read is parsed, or held for a parked /next.
        self._pending: list[bytes] = []
        self._feeding = False
        self._reset()

    def _reset(self) -> None:
        self._url = b""
        self._headers: dict[bytes, bytes] = {}
        self._body: list[bytes] = []
        self._size = 0
        self._parked: object | None = None
        self._headers_done = False
        # A streamed response: its stream, or the answer owed once its body is read.
        self._streaming = False
        self._stream: ResponseStream | None = None
        self._refusal: Reply | None = None
        self._trailers: dict[bytes, bytes] | None = None

    # --- asyncio.Protocol ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement the interface without subclassing it.
        self._transport = cast(asyncio.Transport, transport)
        sock = transport.get_extra_info("socket")
        allowed = self._endpoint.allowed_uid
        if allowed is not None:
            peer, local = transport.get_extra_info("peername"), transport.get_extra_info("sockname")
            if peer is None or local is None or socket_uid(peer, local) != allowed:
                log.warning(
                    "refused a Runtime API connection from %s: not the environment's uid", peer
                )
                self._transport.abort()
                return
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        self._feeding = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            self._feeding = False
            self._truncate("the runtime sent a malformed chunked body")
            self._write(Reply(400, b"bad request"), close=True)
            return
        finally:
            self._feeding = False
        if self._pending and self._parked is None:
            self._flush(b"")

    def connection_lost(self, exc: Exception | None) -> None:
        if self._parked is not None:
            self._endpoint.on_disconnect(self._parked)  # type: ignore[arg-type]
            self._parked = None
        self._truncate("the runtime closed its connection before the end of the response")
        self._transport = None
        self._pending.clear()

    def _truncate(self, why: str) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.abort(TRUNCATED, error_document(TRUNCATED, f"Response truncated: {why}."))

    # --- httptools callbacks --------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._reset()

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._headers_done:  # a trailer, after a chunked body
            if self._trailers is None:
                self._trailers = {}
            self._trailers[name.lower()] = value
            return
        self._headers[name.lower()] = value

    def on_headers_complete(self) -> None:
        self._headers_done = True
        headers = self._headers
        if headers.get(b"expect", b"").lower() == b"100-continue" and self._transport:
            self._flush(b"HTTP/1.1 100 Continue\r\n\r\n")
        mode = headers.get(_RESPONSE_MODE)
        if mode is not None:
            self._begin_stream(mode.decode("latin-1"))

    def on_body(self, body: bytes) -> None:
        if self._streaming:
            stream = self._stream
            if stream is not None:
                stream.feed(body)
            return
        self._size += len(body)
        if self._size <= MAX_RESPONSE_BYTES:
            self._body.append(body)

    def on_message_complete(self) -> None:
        if self._streaming:
            self._end_stream()
            return
        method = self._parser.get_method()
        path = self._url.split(b"?", 1)[0].decode("latin-1")
        body = b"".join(self._body)
        endpoint = self._endpoint
        if method == b"GET" and path == _NEXT:
            # Parked until the engine has an event; the responder writes it out.
            responder = self._respond_next
            self._parked = responder
            endpoint.on_next(responder)
            return
        if method == b"POST":
            error_type = self._headers.get(_ERROR_TYPE)
            error_name = error_type.decode("latin-1") if error_type else None
            if path == _INIT_ERROR:
                self._write(endpoint.on_init_error(body, error_name))
                return
            match = _INVOCATION.fullmatch(path)
            if match:
                request_id, kind = match.groups()
                if kind == "response":
                    oversized = self._size > MAX_RESPONSE_BYTES
                    content_type = self._headers.get(b"content-type")
                    self._write(
                        endpoint.on_response(
                            request_id,
                            body,
                            oversized,
                            content_type.decode("latin-1") if content_type else None,
                        )
                    )
                else:
                    self._write(endpoint.on_error(request_id, body, error_name))
                return
        self._write(Reply(404, b'{"errorMessage":"not found","errorType":"NotFound"}'))

    # --- streamed responses -----------------------------------------------------------------

    def _begin_stream(self, mode: str) -> None:
        if self._parser.get_method() != b"POST":
            return
        match = _INVOCATION.fullmatch(self._url.split(b"?", 1)[0].decode("latin-1"))
        if match is None or match.group(2) != "response":
            return
        request_id = match.group(1)
        self._streaming = True
        endpoint = self._endpoint
        if mode != STREAMING:
            self._refusal = endpoint.on_invalid_mode(request_id, mode)
            return
        content_type = self._headers.get(b"content-type")
        opened = endpoint.on_stream(
            request_id,
            content_type.decode("latin-1") if content_type else None,
            self._pause_reading,
            self._resume_reading,
        )
        if isinstance(opened, Reply):
            self._refusal = opened
        else:
            self._stream = opened

    def _end_stream(self) -> None:
        self._streaming = False
        stream, self._stream = self._stream, None
        if stream is not None:
            reply = RuntimeEndpoint.end_stream(stream, _trailer_end(self._trailers))
        else:
            reply = self._refusal or Reply(400, b"bad request")
        self._write(reply)

    def _pause_reading(self) -> None:
        transport = self._transport
        if transport is not None and not transport.is_closing():
            transport.pause_reading()

    def _resume_reading(self) -> None:
        transport = self._transport
        if transport is not None and not transport.is_closing():
            transport.resume_reading()

    # --- writing ---------------------------------------------------------------------------

    def _respond_next(self, reply: Reply) -> None:
        self._parked = None
        self._write(reply)

    def _write(self, reply: Reply, close: bool = False) -> None:
        # ACCEPTED: every response and error the runtime posts, from bytes made once.
        data = _ACCEPTED_WIRE if reply is ACCEPTED and not close else wire(reply, close)
        if self._feeding and not close:
            self._pending.append(data)  # written when the read is parsed, or with /next
            return
        self._flush(data)
        if close and self._transport is not None:
            self._transport.close()

    def _flush(self, data: bytes) -> None:
        """Write what is pending, then ``data``, in one write."""
        transport = self._transport
        if self._pending:
            data = b"".join((*self._pending, data))
            self._pending.clear()
        if transport is not None and not transport.is_closing():
            transport.write(data)


def wire(reply: Reply, close: bool = False) -> bytes:
    """``reply`` as one HTTP/1.1 response."""
    head = [
        status_line(reply.status),
        b"Content-Length: %d\r\n" % len(reply.body),
    ]
    if reply.headers:
        head.append("".join(f"{n}: {v}\r\n" for n, v in reply.headers).encode("latin-1"))
    if close:
        head.append(b"Connection: close\r\n")
    head.append(b"\r\n")
    head.append(reply.body)
    return b"".join(head)


_ACCEPTED_WIRE = wire(ACCEPTED)


def _trailer_end(trailers: dict[bytes, bytes] | None) -> StreamEnd:
    """How the runtime's trailers say its stream ended: the error type it named and its
    base64 error document (one is made from the type when the body is missing or bad)."""
    if not trailers:
        return COMPLETE
    raw_type = trailers.get(_ERROR_TYPE)
    if not raw_type:
        return COMPLETE
    error_type = raw_type.decode("latin-1")
    try:
        body = base64.b64decode(trailers.get(_ERROR_BODY, b""), validate=True)
        document = json.loads(body) if body else None
    except (binascii.Error, ValueError):
        document = None
    if not isinstance(document, dict):
        body = error_document(error_type, "")
    return StreamEnd(error_type, body)


async def serve(endpoint: RuntimeEndpoint, host: str = "127.0.0.1") -> asyncio.Server:
    """Open a listening socket on a free port for ``endpoint``; sets ``endpoint.address``."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: RuntimeApiProtocol(endpoint), host=host, port=0, backlog=16
    )
    port = server.sockets[0].getsockname()[1]
    endpoint.address = f"{host}:{port}"
    return server


def socket_uid(peer: tuple[str, int], local: tuple[str, int]) -> int | None:
    """The uid owning the IPv4 loopback socket ``peer`` connected to ``local`` (None if
    it is not found). Both ends are on this machine, so the kernel's socket table lists
    the peer's end with its owner."""
    wanted_local = _hex_address(peer)
    wanted_remote = _hex_address(local)
    if wanted_local is None or wanted_remote is None:
        return None
    try:
        with open("/proc/net/tcp", "rb") as table:
            next(table)
            for line in table:
                fields = line.split()
                if len(fields) > 7 and fields[1] == wanted_local and fields[2] == wanted_remote:
                    return int(fields[7])
    except (OSError, ValueError, StopIteration):
        return None
    return None


def _hex_address(address: tuple[str, int]) -> bytes | None:
    """``("127.0.0.1", 9001)`` as /proc/net/tcp writes it: ``0100007F:2329``."""
    try:
        packed = socket.inet_aton(address[0])
    except OSError:
        return None
    return f"{int.from_bytes(packed, 'little'):08X}:{address[1]:04X}".encode()

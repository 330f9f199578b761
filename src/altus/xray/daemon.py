"""The X-Ray daemon's UDP interface, which functions' SDKs send segments to
(``AWS_XRAY_DAEMON_ADDRESS``): each datagram is a header line and one document,
``{"format": "json", "version": 1}\\n{segment JSON}``. Listened for on loopback only;
what arrives is handed on as is (``accept``), a datagram that is not one is dropped and
counted, as the daemon drops it. Nothing is answered: UDP, as the daemon.

Documents are decoded on the event loop (a datagram is small and decoded once), so the
daemon takes at most a budget each second, in datagrams and in bytes: past it,
datagrams are dropped and counted (``limited``), as a flood from a function (or
anything else on loopback) must not starve the server's requests."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

#: The largest datagram the SDKs send (their documents are kept within 64 KB).
MAX_DATAGRAM = 65_507
#: What the daemon takes each second: a few thousand segments, a few megabytes.
DATAGRAMS_PER_SECOND = 5000
BYTES_PER_SECOND = 8 * 1024 * 1024


def split(datagram: bytes) -> bytes | None:
    """The document a datagram carries, or None where it is not the daemon's format."""
    header, newline, body = datagram.partition(b"\n")
    if not newline or not body.strip():
        return None
    try:
        given = json.loads(header)
    except ValueError:
        return None
    if not isinstance(given, dict) or given.get("format") != "json":
        return None
    return body


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, daemon: XRayDaemon) -> None:
        self._daemon = daemon

    def datagram_received(self, data: bytes, addr: object) -> None:
        self._daemon.received(data)

    def error_received(self, exc: Exception) -> None:
        log.debug("X-Ray daemon socket error: %s", exc)


class XRayDaemon:
    """``accept(document)``: what each document is given to (it must not block)."""

    def __init__(
        self,
        port: int,
        accept: Callable[[bytes], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._port = port
        self._accept = accept
        self._clock = clock
        self._transport: asyncio.DatagramTransport | None = None
        #: Datagrams refused (not the daemon's format, or a document refused).
        self.dropped = 0
        #: Datagrams dropped because they came over the budget of their second.
        self.limited = 0
        self.received_count = 0
        self._second = -1
        self._datagrams = 0
        self._bytes = 0

    @property
    def address(self) -> str | None:
        """``127.0.0.1:<port>`` once listening (AWS_XRAY_DAEMON_ADDRESS's form)."""
        if self._transport is None:
            return None
        host, port = self._transport.get_extra_info("sockname")[:2]
        return f"{host}:{port}"

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Protocol(self), local_addr=("127.0.0.1", self._port)
        )
        self._transport = transport

    def received(self, datagram: bytes) -> None:
        self.received_count += 1
        if not self._within_budget(len(datagram)):
            self.limited += 1
            return
        document = split(datagram)
        if document is None:
            self.dropped += 1
            return
        try:
            self._accept(document)
        except (ValueError, ArithmeticError, RecursionError):
            self.dropped += 1
        except Exception:  # a datagram must never take the listener down
            self.dropped += 1
            log.exception("an X-Ray daemon datagram could not be kept")

    def _within_budget(self, size: int) -> bool:
        second = int(self._clock())
        if second != self._second:
            self._second, self._datagrams, self._bytes = second, 0, 0
        if self._datagrams >= DATAGRAMS_PER_SECOND or self._bytes + size > BYTES_PER_SECOND:
            return False
        self._datagrams += 1
        self._bytes += size
        return True

    async def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None

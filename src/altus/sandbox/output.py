"""The read end of an environment's stdout/stderr pipe, on the event loop.

Shared by every backend: output is delivered in order as it arrives, ``drain`` delivers
what is already written (bounded, so a runtime writing faster than we read cannot pin
the loop), and EOF (every writer gone) is reported once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable

from altus.sandbox.base import OutputSink

_READ_CHUNK = 1 << 16
_DRAIN_CHUNKS = 64


class OutputPipe:
    def __init__(self, fd: int, on_output: OutputSink, on_eof: Callable[[], None]) -> None:
        os.set_blocking(fd, False)
        self._fd: int | None = fd
        self._on_output = on_output
        self._on_eof = on_eof
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(fd, self._readable)

    @property
    def open(self) -> bool:
        return self._fd is not None

    def _readable(self) -> None:
        if self._fd is None:
            return
        try:
            chunk = os.read(self._fd, _READ_CHUNK)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if chunk:
            self._on_output(chunk)
            return
        self.close()
        self._on_eof()

    def drain(self) -> None:
        for _ in range(_DRAIN_CHUNKS):
            if self._fd is None:
                return
            try:
                chunk = os.read(self._fd, _READ_CHUNK)
            except (BlockingIOError, OSError):
                return
            if not chunk:
                return
            self._on_output(chunk)

    def close(self) -> None:
        if self._fd is not None:
            self._loop.remove_reader(self._fd)
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

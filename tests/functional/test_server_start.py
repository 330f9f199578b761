"""``altus up``'s start: the sandbox backend opens on a thread of its own while the rest
of the server imports, and the server takes it before it serves."""

from __future__ import annotations

import concurrent.futures
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from altus.sandbox.base import SandboxBackend, SandboxError
from altus.sandbox.choose import opening
from altus.server import run
from altus.settings import Settings
from tests.conftest import NEEDS_LINUX_SANDBOX


def test_a_backend_that_failed_to_open_stops_the_server_before_it_serves(tmp_path: Path) -> None:
    failed: concurrent.futures.Future[SandboxBackend] = concurrent.futures.Future()
    failed.set_exception(SandboxError("the linux sandbox cannot run here: a test said so"))
    served: list[str] = []

    async def on_ready(platform: object, url: str) -> None:
        served.append(url)

    settings = Settings(data_dir=tmp_path, port=0, store="memory:")
    with pytest.raises(SandboxError, match="a test said so"):
        run(settings, on_ready, failed)
    assert served == []


def test_the_backend_opens_on_its_own_thread(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, sandbox="process")
    backend = opening(settings).result(timeout=30)
    assert backend.name == "process"
    backend.close()


def test_a_port_taken_closes_the_backend_opened_for_it(tmp_path: Path) -> None:
    class Backend:
        closed = False

        def close(self) -> None:
            self.closed = True

    backend = Backend()
    opened: concurrent.futures.Future[Any] = concurrent.futures.Future()
    opened.set_result(backend)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        settings = Settings(data_dir=tmp_path, port=taken.getsockname()[1], store="memory:")
        with pytest.raises(OSError):
            run(settings, None, opened)
    assert backend.closed


@NEEDS_LINUX_SANDBOX
def test_the_launcher_zygote_outlives_the_thread_that_opened_the_backend(tmp_path: Path) -> None:
    # The zygote takes its parent's death (PR_SET_PDEATHSIG) for the server's, and the
    # kernel counts the forking thread as the parent: that thread must not end.
    backend = opening(Settings(data_dir=tmp_path, sandbox="linux")).result(timeout=60)
    try:
        assert any(t.name == "altus-sandbox-open" for t in threading.enumerate())
        for _ in range(50):
            assert [z["runtime"] for z in backend.zygotes()] == ["launcher"]
            time.sleep(0.01)
    finally:
        backend.close()


def test_stopping_leaves_no_sdk_compilation_running(tmp_path: Path) -> None:
    """The SDK's background compilation is stopped with the server, all of it."""
    import sys

    from altus.runtimes.sdk import Compiler, python_sdk

    sdk = python_sdk(tmp_path / "sdk")
    assert sdk is not None
    compiler = Compiler()
    compiler.compile_for(sys.executable, sdk)
    assert _compiling(sdk), "the compilation should still be running"
    compiler.close()
    assert _compiling(sdk) == []


def _compiling(sdk: Path) -> list[int]:
    """PIDs of the processes whose command line names ``sdk`` (workers included)."""
    import os

    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                    if str(sdk).encode() in cmdline.read():
                        found.append(int(entry))
            except OSError:
                continue
    return found

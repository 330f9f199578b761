"""A NATS server with JetStream of a test's own (the machine's is shared), on a free
loopback port, its store in a folder the test gives: stopped and started again on the
same port and store, it keeps its streams and consumers."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

from tests.conftest import unavailable

#: How long the server may take to listen.
PATIENCE = 15.0


def free_port() -> int:
    """A loopback port nothing listens on (now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class NatsServer:
    def __init__(self, store: Path, *options: str) -> None:
        binary = shutil.which("nats-server") or (
            "/usr/sbin/nats-server" if Path("/usr/sbin/nats-server").exists() else None
        )
        if binary is None:
            unavailable("nats-server", "it is not installed")
        assert binary is not None
        self.port = free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self._command = [binary, "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(store)]
        self._command += options
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            self._command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + PATIENCE
        while True:
            assert self.process.poll() is None, "nats-server exited"
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                assert time.monotonic() < deadline, "nats-server did not listen"
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

"""Environments started ahead of need ("blanks"), and their assignment.

A blank is an environment a zygote has forked already (keeper, init, runtime: the
namespaces made, the cgroup joined, which costs an RCU grace period on cgroup v1) whose
runtime waits on its control socket for an *assignment*: the function's command line,
environment, /tmp size and uid. Each zygote keeps ``prestart`` blanks, refilled after
every cold start, so that a cold start skips the forks and the cgroup join.

A blank of a function zygote lives in a user namespace of its own; its assignment first
maps the environment's uid into that namespace, from outside, as root, which is what lets
an unprivileged zygote give every environment a uid of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import select
import socket
import time
from typing import Any, Protocol

from altus.sandbox.backends.linux.cgroups import Cgroups, EnvironmentCgroup
from altus.sandbox.base import SandboxError

log = logging.getLogger(__name__)

#: How long a blank may take to report its PID when it is assigned.
_PID_TIMEOUT = 5.0


class Forker(Protocol):
    """A zygote, as blanks need it."""

    pool_key: str
    userns: bool

    @property
    def alive(self) -> bool: ...

    def fork(self, request: dict[str, Any], fds: list[int]) -> None: ...


class Blank:
    """One environment waiting for its assignment."""

    def __init__(self, zygote: Forker, cgroup: EnvironmentCgroup, control: socket.socket,
                 status_r: int, exec_r: int) -> None:
        self.zygote = zygote
        self.cgroup = cgroup
        self.control = control
        self.status_r = status_r
        self.exec_r = exec_r
        #: What was read of the status pipe before the sandbox took it over.
        self.status_read = b""

    def assign(self, assignment: dict[str, Any], fds: list[int]) -> None:
        """Send the assignment (and the descriptors it needs). Raises SandboxError if the
        blank is gone."""
        if self.zygote.userns:
            self._map_uid(int(assignment["uid"]))
        try:
            socket.send_fds(self.control, [json.dumps(assignment).encode()], fds)
        except OSError as error:
            raise SandboxError(f"a prepared sandbox was lost: {error}") from None

    def _map_uid(self, uid: int) -> None:
        # The keeper reports init's PID first; its user namespace is init's.
        pid = self._read_pid()
        try:
            for name in ("uid_map", "gid_map"):
                fd = os.open(f"/proc/{pid}/{name}", os.O_WRONLY | os.O_CLOEXEC)
                try:
                    os.write(fd, f"{uid} {uid} 1\n".encode())
                finally:
                    os.close(fd)
        except OSError as error:
            raise SandboxError(f"a prepared sandbox was lost: {error}") from None

    def _read_pid(self) -> int:
        deadline = time.monotonic() + _PID_TIMEOUT
        while b"\n" not in self.status_read:
            remaining = deadline - time.monotonic()
            readable, _, _ = select.select([self.status_r], [], [], max(0.0, remaining))
            chunk = os.read(self.status_r, 256) if readable else b""
            if not chunk:
                raise SandboxError("a prepared sandbox was lost before it started")
            self.status_read += chunk
        words = self.status_read.partition(b"\n")[0].split()
        if len(words) != 2 or words[0] != b"pid" or not words[1].isdigit() or \
                b"gone" in self.status_read:
            raise SandboxError("a prepared sandbox was lost before it started")
        return int(words[1])

    def discard(self) -> None:
        """Let it go: closing the control socket makes the runtime exit; the cgroup
        removal kills whatever is left."""
        self.control.close()
        for fd in (self.status_r, self.exec_r):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.cgroup.remove()


class Blanks:
    """The blanks of every zygote, by the zygote's ``pool_key``."""

    def __init__(self, prestart: int) -> None:
        self.prestart = prestart
        self._cgroups: Cgroups | None = None
        self._pools: dict[str, list[Blank]] = {}

    def open(self, cgroups: Cgroups) -> None:
        self._cgroups = cgroups

    def spawn(self, zygote: Forker, name: str | None = None) -> Blank:
        """Ask ``zygote`` for a blank (non-blocking: the zygote does the forking; this
        makes the cgroup and the pipes)."""
        if self._cgroups is None:
            raise SandboxError("the linux backend is closed")
        cgroup = self._cgroups.environment(name or f"env-{os.urandom(6).hex()}")
        status_r, status_w = os.pipe()
        exec_r, exec_w = os.pipe()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        procs: list[int] = []
        try:
            procs = cgroup.procs_fds()
            zygote.fork({}, [status_w, exec_w, theirs.fileno(), *procs])
        except BaseException:
            for fd in (status_r, exec_r):
                os.close(fd)
            ours.close()
            cgroup.remove()
            raise
        finally:
            for fd in (status_w, exec_w, *procs):
                os.close(fd)
            theirs.close()
        return Blank(zygote, cgroup, ours, status_r, exec_r)

    def take(self, zygote: Forker) -> Blank:
        """A blank of ``zygote``: a prepared one if there is one, else a new one."""
        pool = self._pools.setdefault(zygote.pool_key, [])
        while pool:
            blank = pool.pop(0)
            if blank.zygote is zygote and zygote.alive:
                return blank
            blank.discard()
        return self.spawn(zygote)

    def refill(self, zygote: Forker) -> None:
        """Top the zygote's blanks up to ``prestart`` (call it off the invoke path)."""
        if self._cgroups is None or not zygote.alive:
            return  # closed meanwhile, or the zygote died (restarted at the next need)
        pool = self._pools.setdefault(zygote.pool_key, [])
        for _ in range(max(0, self.prestart - len(pool))):
            try:
                pool.append(self.spawn(zygote))
            except (SandboxError, OSError) as error:
                log.warning("could not start a sandbox ahead of need: %s", error)
                return

    def drop(self, pool_key: str) -> None:
        """Discard the blanks of a zygote that is gone or going."""
        for blank in self._pools.pop(pool_key, []):
            blank.discard()

    def close(self) -> None:
        for key in list(self._pools):
            self.drop(key)
        self._cgroups = None


async def read_async(fd: int, timeout: float) -> str:
    """Everything written to a pipe until its writers are gone (bounded by ``timeout``)."""
    loop = asyncio.get_running_loop()
    os.set_blocking(fd, False)
    done: asyncio.Future[None] = loop.create_future()
    chunks: list[bytes] = []

    def readable() -> None:
        try:
            chunk = os.read(fd, 4096)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if chunk and sum(map(len, chunks)) < 65536:
            chunks.append(chunk)
        elif not chunk and not done.done():
            done.set_result(None)

    loop.add_reader(fd, readable)
    try:
        await asyncio.wait_for(done, timeout)
    except TimeoutError:
        raise SandboxError(f"sandbox set-up took longer than {timeout:.0f} s") from None
    finally:
        loop.remove_reader(fd)
    return b"".join(chunks).decode(errors="replace")


def read_all(fd: int, timeout: float) -> str:
    """The same, blocking (the start-up trial)."""
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    os.set_blocking(fd, False)
    for _ in range(1_000_000):
        try:
            chunk = os.read(fd, 4096)
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise SandboxError("the trial sandbox did not finish") from None
            time.sleep(0.002)
            continue
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")

"""Environments started ahead of need ("blanks"), and their assignment.

A blank is an environment a zygote has forked already (keeper, init, runtime: the
namespaces made, the cgroup joined, which costs an RCU grace period on cgroup v1) whose
runtime waits on its control socket for an *assignment*: the function's command line,
environment, /tmp size and uid. Each zygote keeps ``prestart`` blanks, refilled after
every cold start, so that a cold start skips the forks and the cgroup join.

A runtime zygote runs only Altus's code: its blanks join their cgroup themselves, through
descriptors of ``cgroup.procs`` the platform opened. A function zygote has run the
function's own import code, and so has everything it forks: its blanks get nothing
privileged and are believed only what the kernel vouches for. Their cgroup is sized at
once; the keeper says hello on the control socket, the kernel attaches its PID
(``SO_PASSCRED``), the zygote checks that it is one of its own and moves it into the
cgroup (``FunctionZygote.admit``), keeping a pidfd and a ``/proc/<pid>`` directory of it;
the keeper then makes its namespaces inside a user namespace of its own and says
``ready``; the blank waits at 1% of a CPU until its assignment, when the platform, as
root and from outside, maps the environment's uid into that user namespace.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import select
import socket
import struct
import time
from typing import Any, Protocol

from altus.sandbox.backends.linux.cgroups import Cgroups, EnvironmentCgroup
from altus.sandbox.base import SandboxError


def exited(pidfd: int) -> bool:
    """Whether the process of ``pidfd`` has exited (a pidfd turns readable then)."""
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    return bool(poller.poll(0))


log = logging.getLogger(__name__)

_UCRED = struct.Struct("iII")  # struct ucred: pid, uid, gid
#: How long a function zygote's blank may take over each step of its set-up.
_SETUP_TIMEOUT = 10.0


class NoAnswer(SandboxError):
    """Nothing came in time."""


class Forker(Protocol):
    """A zygote, as blanks need it."""

    pool_key: str
    #: A function zygote: its blanks are admitted by the platform and get their uid
    #: mapped into a user namespace of their own.
    userns: bool

    @property
    def alive(self) -> bool: ...

    def prepare(self, cgroup: EnvironmentCgroup) -> None:
        """Ready a new blank's cgroup, before the fork."""
        ...

    def fork(self, request: dict[str, Any], fds: list[int]) -> None: ...

    def forked(self) -> None:
        """A request sent with ``fork`` has been answered (or given up)."""
        ...

    async def admit(self, pid: int, cgroup: EnvironmentCgroup) -> tuple[int, int]:
        """Move one of its own processes into ``cgroup``: (pidfd, /proc directory)."""
        ...

    def cgroup_removed(self, removed: bool) -> None:
        """A cgroup ``prepare`` was given is gone (with nothing left in it, or not)."""
        ...


class Blank:
    """One environment waiting for its assignment."""

    def __init__(
        self,
        zygote: Forker,
        cgroup: EnvironmentCgroup,
        control: socket.socket,
        status_r: int,
        exec_r: int,
    ) -> None:
        self.zygote = zygote
        self.cgroup = cgroup
        self.control = control
        self.status_r = status_r
        self.exec_r = exec_r
        #: A function zygote's blank, once admitted: the keeper's PID as the kernel gave
        #: it, a pidfd and a /proc directory of that very process (for the sandbox).
        self.pid: int | None = None
        self.pidfd: int | None = None
        self.procfd: int | None = None
        #: Resolves once a function zygote's blank is in its cgroup and namespaces.
        self.ready: asyncio.Future[None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._discarded = False
        self._answered = False

    # --- a function zygote's blank: hello, admission, ready -------------------------------

    def watch(self) -> None:
        """Follow a function zygote's blank to readiness, on the event loop."""
        loop = asyncio.get_running_loop()
        self.ready = loop.create_future()
        self.ready.add_done_callback(lambda f: f.cancelled() or f.exception())
        self.control.setblocking(False)
        self._task = loop.create_task(self._follow())

    async def _follow(self) -> None:
        assert self.ready is not None
        try:
            pid = await receive_pid(self.control, b"hello", _SETUP_TIMEOUT)
            self.pidfd, self.procfd = await self.zygote.admit(pid, self.cgroup)
            self.pid = pid
            self.control.send(b"joined")
            if (
                await receive_pid(self.control, b"ready", _SETUP_TIMEOUT) != pid
                or self.pidfd is None
                or exited(self.pidfd)
            ):
                raise SandboxError("it changed hands")
            # Until its assignment nothing of it should run: it waits at 1% of a CPU.
            # (Freezing would do as well, but a thaw costs a cold start ~3 ms where
            # giving the CPU back is two writes.)
            self.cgroup.give_cpu(0)
            if not self.ready.done():
                self.ready.set_result(None)
        except (OSError, SandboxError) as error:
            self.cgroup.kill_all()  # of no use now, and the function's code: stopped
            if not self.ready.done():
                self.ready.set_exception(SandboxError(f"a prepared sandbox was lost: {error}"))
        finally:
            self._answer()

    def _answer(self) -> None:
        if not self._answered:
            self._answered = True
            self.zygote.forked()

    # --- assignment ----------------------------------------------------------------------

    def assign(
        self, assignment: dict[str, Any], fds: list[int], memory_mb: int | None = None
    ) -> None:
        """Send the assignment (and the descriptors it needs). Raises SandboxError if the
        blank is gone. A function zygote's blank must be ``ready``; it gets the CPU of
        ``memory_mb`` back."""
        try:
            if self.zygote.userns:
                self._map_uid(int(assignment["uid"]))
                if memory_mb is not None:
                    self.cgroup.give_cpu(memory_mb)
            socket.send_fds(self.control, [json.dumps(assignment).encode()], fds)
        except OSError as error:
            raise SandboxError(f"a prepared sandbox was lost: {error}") from None

    def _map_uid(self, uid: int) -> None:
        # Through the directory of the admitted process: if it is gone, this fails
        # rather than reach whatever process has its number now.
        if self.procfd is None:
            raise SandboxError("a prepared sandbox is not ready")
        for name in ("uid_map", "gid_map"):
            fd = os.open(name, os.O_WRONLY | os.O_CLOEXEC, dir_fd=self.procfd)
            try:
                os.write(fd, f"{uid} {uid} 1\n".encode())
            finally:
                os.close(fd)

    def hand_over(self) -> tuple[int | None, int | None]:
        """The pidfd and /proc directory, now the sandbox's to close."""
        pidfd, procfd, self.pidfd, self.procfd = self.pidfd, self.procfd, None, None
        return pidfd, procfd

    def discard(self) -> None:
        """Let it go: closing the control socket makes it exit; the cgroup removal
        (off the event loop, where there is one) kills whatever is left. Idempotent:
        its descriptors are closed once."""
        if self._discarded:
            return
        self._discarded = True
        self._answer()
        if self._task is not None:
            with contextlib.suppress(RuntimeError):  # off the loop: the loop is gone
                loop = asyncio.get_running_loop()
                self._task.cancel()
                # Before the close: a reader left on a closed descriptor would be found
                # on whatever reuses its number.
                loop.remove_reader(self.control.fileno())
        self.control.close()
        for fd in (self.status_r, self.exec_r, *self.hand_over()):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        remove_cgroup(self.cgroup, self.zygote)


def remove_cgroup(cgroup: EnvironmentCgroup, zygote: Forker) -> None:
    """Remove a blank's or environment's cgroup and tell its zygote how it went: in a
    thread when called on the event loop (the removal waits for processes to die)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        zygote.cgroup_removed(cgroup.remove())
        return
    future = loop.run_in_executor(None, cgroup.remove)
    future.add_done_callback(
        lambda done: zygote.cgroup_removed(
            not done.cancelled() and done.exception() is None and bool(done.result())
        )
    )


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
        prepared = False
        try:
            if zygote.userns:
                ours.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
            else:
                procs = cgroup.procs_fds()
            zygote.prepare(cgroup)
            prepared = True
            zygote.fork({}, [status_w, exec_w, theirs.fileno(), *procs])
        except BaseException:
            for fd in (status_r, exec_r):
                os.close(fd)
            ours.close()
            if prepared:
                remove_cgroup(cgroup, zygote)
            else:
                cgroup.remove()
            raise
        finally:
            for fd in (status_w, exec_w, *procs):
                os.close(fd)
            theirs.close()
        blank = Blank(zygote, cgroup, ours, status_r, exec_r)
        if zygote.userns:
            blank.watch()
        return blank

    def take(self, zygote: Forker) -> Blank:
        """A blank of ``zygote``: a prepared one if there is one, else a new one."""
        pool = self._pools.setdefault(zygote.pool_key, [])
        while pool:
            blank = pool.pop(0)
            if (
                blank.zygote is zygote
                and zygote.alive
                and not (
                    blank.ready is not None
                    and blank.ready.done()
                    and blank.ready.exception() is not None
                )
            ):
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


async def receive_pid(
    sock: socket.socket, expected: bytes | None = None, timeout: float = 30.0
) -> int:
    """Wait for one message on a non-blocking ``SO_PASSCRED`` socket and return the PID
    the kernel attached to it: the sender's own (or, for a sender privileged in its PID
    namespace, one of that namespace's). A number, not a process: the sender may have
    exited since, so a caller checks it before acting on it (``FunctionZygote.admit``).
    Raises SandboxError if it is not ``expected`` or does not come."""
    message, pid = await receive_with_pid(sock, timeout)
    if expected is not None and message != expected:
        raise SandboxError("unexpected message" if message else "it closed")
    return pid


async def receive_with_pid(sock: socket.socket, timeout: float) -> tuple[bytes, int]:
    loop = asyncio.get_running_loop()
    done: asyncio.Future[tuple[bytes, int]] = loop.create_future()
    space = socket.CMSG_SPACE(_UCRED.size)

    def readable() -> None:
        try:
            message, ancillary, _, _ = sock.recvmsg(8192, space)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as error:
            if not done.done():
                done.set_exception(SandboxError(str(error)))
            return
        pid = 0
        for level, kind, data in ancillary:
            if (
                level == socket.SOL_SOCKET
                and kind == socket.SCM_CREDENTIALS
                and len(data) >= _UCRED.size
            ):
                pid = _UCRED.unpack(data[: _UCRED.size])[0]
        if not done.done():
            if message and pid <= 0:
                done.set_exception(SandboxError("no credentials"))
            else:
                done.set_result((message, pid))

    fd = sock.fileno()
    loop.add_reader(fd, readable)
    try:
        return await asyncio.wait_for(done, timeout)
    except TimeoutError:
        raise NoAnswer(f"no answer in {timeout:.0f} s") from None
    finally:
        if sock.fileno() == fd:  # still open (a discarded blank removed it already)
            loop.remove_reader(fd)


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
    """The same, blocking (the start-up trial): woken by the pipe, not by polling it."""
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    for _ in range(1_000_000):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            raise SandboxError("the trial sandbox did not finish")
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")

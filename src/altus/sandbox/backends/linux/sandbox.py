"""One execution environment of the ``linux`` backend, as the engine holds it.

``LinuxSandbox`` is the ``Sandbox`` of ``base.py`` (whose contract it keeps) for an
environment a zygote forked and the backend assigned. What it holds of it:

- the keeper's *status pipe*: ``pid N`` (init's host PID), then how the runtime ended
  (from init) and how init ended (from the keeper: the only word when init itself was
  killed). EOF before any word of how it ended: the keeper was killed, ``-SIGKILL``. A
  function zygote's environment is known instead by the process the platform admitted
  (a pidfd and a ``/proc`` directory of it, see ``blanks.py``): its status pipe is the
  function's code speaking, believed for how it ended, never for a PID;
- its output pipe, drained before ``exited`` resolves;
- its cgroup: peak memory, OOM kills, the freezer, and the kill of last resort.

``exited`` resolves once, when how it ended is known and its output is delivered.
``destroy`` kills it (one SIGKILL to init, PID 1 of its namespace, or to the keeper,
whose death init follows, takes every process; the cgroup's kill when neither is
known), waits up to 5 s for its status (then takes it as ``-SIGKILL``), takes the last
memory reading, removes its cgroup off the event loop and tells ``on_gone`` whether the
cgroup went with nothing left in it (a function zygote's uids depend on that), then
removes its work directory. A second ``destroy`` does nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
from collections.abc import Callable
from pathlib import Path

from altus.sandbox.backends.linux.blanks import Blank
from altus.sandbox.backends.linux.zygotes import kill_pending
from altus.sandbox.base import OutputSink, SandboxSpec
from altus.sandbox.output import OutputPipe


class LinuxSandbox:
    """A running isolated environment."""

    def __init__(
        self,
        spec: SandboxSpec,
        blank: Blank,
        uid: int,
        output_fd: int,
        on_output: OutputSink,
        shared_bytes: int,
        on_gone: Callable[[LinuxSandbox, bool], None],
    ) -> None:
        self.sandbox_id = spec.sandbox_id
        self.uid = uid
        #: The zygote it was forked from (the backend counts a function zygote's
        #: environments).
        self.zygote = blank.zygote
        self._spec = spec
        #: Told once it is destroyed, and whether its cgroup went with nothing left in it
        #: (the backend frees its uid, counts its function zygote's environments).
        self._on_gone = on_gone
        self._cgroup = blank.cgroup
        #: Memory it shares with its zygote: not charged to its cgroup, but used.
        self._shared = shared_bytes
        self._loop = asyncio.get_running_loop()
        self._exited: asyncio.Future[int] = self._loop.create_future()
        self._status: int | None = None
        self._pid = 0
        self._pidfd: int | None = None
        self._peak = 0
        self._destroyed = False
        self._status_buffer = b""
        self._status_files: list[int] = []
        self._status_fd: int | None = blank.status_r
        os.set_blocking(blank.status_r, False)
        self._loop.add_reader(blank.status_r, self._read_status)
        self._output = OutputPipe(output_fd, on_output, self._maybe_finish)
        # A function zygote's environment: its keeper as the platform admitted it (a
        # pidfd and a /proc directory of that process), and nothing its status pipe
        # claims (that comes from code the function shaped).
        self._trusted_pid = blank.pid is not None
        self._procfd: int | None = None
        if blank.pid is not None:
            self._pid = blank.pid
            self._pidfd, self._procfd = blank.hand_over()

    @property
    def pid(self) -> int:
        return self._pid

    @property
    def exited(self) -> asyncio.Future[int]:
        return self._exited

    # --- status from the keeper ------------------------------------------------------------

    def _read_status(self) -> None:
        fd = self._status_fd
        if fd is None:
            return
        try:
            chunk = os.read(fd, 256)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if chunk:
            self._consume(chunk)
            return
        self._close_status()
        if self._status is None:
            self._status = -signal.SIGKILL  # the keeper itself was killed
        self._maybe_finish()

    def _consume(self, chunk: bytes) -> None:
        self._status_buffer += chunk
        while b"\n" in self._status_buffer:
            line, _, self._status_buffer = self._status_buffer.partition(b"\n")
            self._on_status(line.decode(errors="replace"))

    def _on_status(self, line: str) -> None:
        # "pid N" (init's host PID), then "exit N" / "signal N" (how the runtime ended,
        # from init), then "gone exit N" / "gone signal N" (how init ended, from the
        # keeper: the only word when init itself was killed).
        words = line.split()
        gone = words[:1] == ["gone"]
        if gone:
            words = words[1:]
        if len(words) != 2 or not words[1].isdigit():
            return
        kind, value = words[0], int(words[1])
        if kind == "pid":
            if self._trusted_pid:
                return
            self._pid = value
            with contextlib.suppress(OSError):
                self._pidfd = os.pidfd_open(value)
        elif self._status is None or not gone:
            if kind == "exit":
                self._status = value
            elif kind == "signal":
                self._status = -value

    def _close_status(self) -> None:
        if self._status_fd is not None:
            self._loop.remove_reader(self._status_fd)
            os.close(self._status_fd)
            self._status_fd = None

    def _maybe_finish(self) -> None:
        if self._status is None or self._exited.done():
            return
        self._peak = max(self._peak, self._cgroup.peak_bytes())
        if self._output.open:
            self._output.drain()
            self._output.close()
        for held in (self._pidfd, self._procfd):
            if held is not None:
                os.close(held)
        self._pidfd = self._procfd = None
        for fd in self._status_files:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._status_files = []
        self._exited.set_result(self._status)

    # --- the Sandbox interface ----------------------------------------------------------------

    def drain_output(self) -> None:
        self._output.drain()

    def max_memory_mb(self) -> int:
        if not self._destroyed:
            self._peak = max(self._peak, self._cgroup.peak_bytes())
        return max(1, round((self._peak + self._shared) / (1024 * 1024)))

    def out_of_memory(self) -> bool:
        return not self._destroyed and self._cgroup.oom_kills() > 0

    def freeze(self) -> None:
        if not self._destroyed and self._status is None:
            with contextlib.suppress(OSError):
                self._cgroup.freeze()

    def thaw(self) -> bool:
        if self._destroyed or self._status is not None:
            return False
        if not self._cgroup.frozen:
            return True
        # On cgroup v1 a frozen process that is sent SIGKILL (by the OOM killer, an
        # operator) dies only once thawed: look for the pending kill first, so that such
        # an environment is replaced instead of failing the invoke it would be given.
        doomed = self._kill_pending()
        with contextlib.suppress(OSError):
            self._cgroup.thaw()
        return not doomed

    def _kill_pending(self) -> bool:
        if not self._status_files:
            self._open_status_files()
        return any(kill_pending(fd) for fd in self._status_files)

    def _open_status_files(self) -> None:
        """/proc/<pid>/status of init and of the runtime (init's child), kept open; of the
        keeper too when the PID known is the keeper's (a function zygote's, read through
        the directory of the process that was admitted)."""
        if not self._pid:
            return
        pids = [self._pid]
        for _ in range(2 if self._trusted_pid else 1):
            with contextlib.suppress(OSError, ValueError):
                last = pids[-1]
                children = Path(f"/proc/{last}/task/{last}/children").read_text()
                pids += [int(p) for p in children.split()[:1]]
        for pid in pids:
            with contextlib.suppress(OSError):
                if pid == self._pid and self._procfd is not None:
                    fd = os.open("status", os.O_RDONLY | os.O_CLOEXEC, dir_fd=self._procfd)
                else:
                    fd = os.open(f"/proc/{pid}/status", os.O_RDONLY | os.O_CLOEXEC)
                self._status_files.append(fd)

    def kill(self) -> None:
        if self._destroyed or self._status is not None:
            return
        # init is PID 1 of its namespace: killing it (or the keeper, whose death init
        # follows) kills every process in it.
        if self._pidfd is not None:
            with contextlib.suppress(OSError):
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
        else:
            self._cgroup.kill_all()
        self.thaw()  # a frozen process dies only once thawed

    async def destroy(self) -> None:
        if self._destroyed:
            return
        self.kill()
        if not self._exited.done():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._exited), timeout=5)
        if not self._exited.done():
            self._status = -signal.SIGKILL
            self._close_status()
            self._maybe_finish()
        self.max_memory_mb()  # the last reading, before the cgroup goes
        self._destroyed = True
        self._output.close()
        removed = await asyncio.to_thread(self._cgroup.remove)
        self._on_gone(self, removed)
        shutil.rmtree(self._spec.work_dir, ignore_errors=True)

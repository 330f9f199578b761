"""The portable ``process`` backend: one subprocess (and its children) per environment.

Isolation is what a plain process can have: its own session and process group (killed as
a whole), a clean environment, its own working directory and TMPDIR, and rlimits (data
segment = MemorySize, so an allocation past the function's memory fails; open files
1024; file size = EphemeralStorage). It shares the host's filesystem view and user; the
``linux`` backend is the one that isolates.

Spawning uses ``subprocess.Popen`` without a ``preexec_fn`` so CPython can use vfork:
forking the whole server (tens of MB) per cold start would cost milliseconds. The limits
are applied with ``prlimit`` right after the spawn returns, which is after ``exec`` and
long before the interpreter reaches user code. Where util-linux's ``setpriv`` exists the
runtime is started through it with a parent-death signal, so that if the server is
killed outright its environments die with it instead of running on as orphans (about
1.5 ms per cold start); leftovers from a server without it are reaped at the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import functools
import json
import os
import resource
import shutil
import signal
import subprocess
from pathlib import Path

from altus.sandbox.base import EntrypointError, OutputSink, SandboxSpec
from altus.sandbox.output import OutputPipe

_SETPRIV = shutil.which("setpriv")
_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


class ProcessSandbox:
    """A running subprocess environment."""

    def __init__(
        self,
        spec: SandboxSpec,
        popen: subprocess.Popen[bytes],
        output_fd: int,
        on_output: OutputSink,
    ) -> None:
        self.sandbox_id = spec.sandbox_id
        self._spec = spec
        self._popen = popen
        self._pid = popen.pid
        self._loop = asyncio.get_running_loop()
        self._exited: asyncio.Future[int] = self._loop.create_future()
        self._status: int | None = None
        self._peak_kb = 0
        self._meter = _ProcMeter(self._pid)
        self._output = OutputPipe(output_fd, on_output, self._maybe_finish)
        self._pidfd: int | None = None
        try:
            self._pidfd = os.pidfd_open(self._pid)
            self._loop.add_reader(self._pidfd, self._on_exit)
        except (AttributeError, OSError):
            # No pidfd (old kernel): fall back to polling for the exit.
            self._loop.call_later(0.05, self._poll_exit)

    @property
    def pid(self) -> int:
        return self._pid

    @property
    def exited(self) -> asyncio.Future[int]:
        return self._exited

    def drain_output(self) -> None:
        self._output.drain()

    # --- exit -----------------------------------------------------------------------------

    def _on_exit(self) -> None:
        if self._pidfd is not None:
            self._loop.remove_reader(self._pidfd)
            os.close(self._pidfd)
            self._pidfd = None
        self._reap()

    def _poll_exit(self) -> None:
        if self._status is None and not self._reap():
            self._loop.call_later(0.05, self._poll_exit)

    def _reap(self) -> bool:
        self._sample_memory()
        status = self._popen.poll()
        if status is None:
            return False
        self._status = status
        self._meter.close()
        # The runtime is gone; its children may still hold the pipe. They belong to the
        # environment, so they go too, and then the pipe reaches EOF.
        self._killpg()
        self._maybe_finish()
        return True

    def _maybe_finish(self) -> None:
        if self._status is None or self._exited.done():
            return
        if self._output.open:
            # Deliver what is left; a child that escaped the group may keep the pipe
            # open, so do not wait for EOF beyond what is already written.
            self._output.drain()
            self._output.close()
        self._exited.set_result(self._status)

    # --- metering and control ------------------------------------------------------------

    def _sample_memory(self) -> None:
        # VmHWM is the peak resident set of the runtime process; its descendants' current
        # resident sets are added (a shell bootstrap may run the real work in a child).
        total = self._meter.peak_rss_kb()
        if self._meter.has_children():
            total += sum(_rss_kb(child) for child in _children(self._pid))
        self._peak_kb = max(self._peak_kb, total)

    def max_memory_mb(self) -> int:
        if self._status is None:
            self._sample_memory()
        return max(1, round(self._peak_kb / 1024))

    def out_of_memory(self) -> bool:
        return False  # an allocation past RLIMIT_DATA fails inside the runtime instead

    def freeze(self) -> None:
        pass  # a plain process cannot be frozen safely without the cgroup freezer

    def thaw(self) -> bool:
        return self._status is None

    def _killpg(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._pid, signal.SIGKILL)

    def kill(self) -> None:
        if self._status is None:
            self._killpg()
            with contextlib.suppress(ProcessLookupError):
                self._popen.kill()

    async def destroy(self) -> None:
        self.kill()
        if not self._exited.done():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._exited), timeout=5)
        if not self._exited.done():
            self._reap()
            self._output.close()
        self._meter.close()
        shutil.rmtree(self._spec.work_dir, ignore_errors=True)


class ProcessBackend:
    """Creates ``ProcessSandbox`` environments."""

    name = "process"

    def allocate_uid(self, zygote_key: str | None = None) -> None:
        return None  # every environment runs as the server's user

    def zygotes(self) -> list[dict[str, object]]:
        return []  # every environment is a fresh process

    async def shutdown(self) -> None:
        pass  # nothing is prepared ahead of need

    def close(self) -> None:
        pass

    async def create(self, spec: SandboxSpec, on_output: OutputSink) -> ProcessSandbox:
        env = dict(spec.env)
        argv = list(spec.argv)
        executable = (
            argv[0] if os.path.isabs(argv[0]) else shutil.which(argv[0], path=env.get("PATH"))
        )
        if executable is None or not os.path.isfile(executable):
            raise EntrypointError(f"Couldn't find valid bootstrap(s): [{argv[0]}]")
        if not os.access(executable, os.X_OK):
            raise EntrypointError(f"fork/exec {executable}: permission denied")
        if _SETPRIV is not None:
            argv = [_SETPRIV, "--pdeathsig", "KILL", "--", *argv]
        tmp = spec.work_dir / "tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        env["TMPDIR"] = str(tmp)
        if spec.opt_root is not None and spec.python is not None:
            # No mount namespace here to show the layers at /opt, where Altus's Python
            # runtime client looks: their Python folders go on the path instead.
            env["PYTHONPATH"] = ":".join(_layer_python_path(spec.opt_root, spec.python))
        read_fd, write_fd = os.pipe()
        try:
            popen = subprocess.Popen(
                argv,
                env=env,
                cwd=spec.task_root,
                stdin=subprocess.DEVNULL,
                stdout=write_fd,
                stderr=write_fd,
                start_new_session=True,
                close_fds=True,
            )
        except OSError as error:
            os.close(read_fd)
            os.close(write_fd)
            shutil.rmtree(spec.work_dir, ignore_errors=True)
            raise _entrypoint_error(spec.argv[0], error) from None
        os.close(write_fd)
        _limit(popen.pid, spec)
        _record(spec.work_dir, popen.pid)
        return ProcessSandbox(spec, popen, read_fd, on_output)

    def recover(self, sandboxes_dir: Path) -> int:
        """Kill process groups recorded by a previous server and remove their files."""
        killed = 0
        if not sandboxes_dir.is_dir():
            return 0
        for work_dir in sandboxes_dir.iterdir():
            marker = work_dir / "process.json"
            with contextlib.suppress(OSError, ValueError, KeyError):
                recorded = json.loads(marker.read_text())
                pid, started = int(recorded["pid"]), int(recorded["start"])
                # Only a process that is still the one we started (same start time), so a
                # recycled PID is never killed.
                if _start_time(pid) == started:
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(pid, signal.SIGKILL)
                        killed += 1
            shutil.rmtree(work_dir, ignore_errors=True)
        return killed


def _limit(pid: int, spec: SandboxSpec) -> None:
    memory = spec.memory_mb * 1024 * 1024
    limits = [
        (resource.RLIMIT_DATA, memory),
        (resource.RLIMIT_NOFILE, 1024),
        (resource.RLIMIT_FSIZE, spec.ephemeral_storage_mb * 1024 * 1024),
        (resource.RLIMIT_CORE, 0),
    ]
    for which, value in limits:
        with contextlib.suppress(ProcessLookupError, ValueError, PermissionError):
            resource.prlimit(pid, which, (value, value))


def _record(work_dir: Path, pid: int) -> None:
    with contextlib.suppress(OSError):
        (work_dir / "process.json").write_text(json.dumps({"pid": pid, "start": _start_time(pid)}))


def _entrypoint_error(path: str, error: OSError) -> EntrypointError:
    if error.errno == errno.ENOENT:
        return EntrypointError(f"Couldn't find valid bootstrap(s): [{path}]")
    if error.errno == errno.EACCES:
        return EntrypointError(f"fork/exec {path}: permission denied")
    return EntrypointError(f"fork/exec {path}: {error.strerror}")


def _start_time(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 22 (starttime) counts from after the parenthesised command name.
    return int(stat.rsplit(")", 1)[1].split()[19])


class _ProcMeter:
    """Reads a process's memory from /proc through descriptors kept open, since this
    runs after every invoke: ``pread`` of an open /proc file is a fraction of the cost of
    opening it again."""

    def __init__(self, pid: int) -> None:
        self._status = _open(f"/proc/{pid}/status")
        self._children = _open(f"/proc/{pid}/task/{pid}/children")

    def peak_rss_kb(self) -> int:
        if self._status is None:
            return 0
        try:
            data = os.pread(self._status, 4096, 0)
            start = data.index(b"VmHWM:") + 6
            return int(data[start : data.index(b"kB", start)])
        except (OSError, ValueError):
            return 0

    def has_children(self) -> bool:
        if self._children is None:
            return True  # cannot tell cheaply: look
        try:
            return bool(os.pread(self._children, 64, 0).strip())
        except OSError:
            return False

    def close(self) -> None:
        for fd in (self._status, self._children):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._status = self._children = None


def _open(path: str) -> int | None:
    try:
        return os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE_KB
    except (OSError, ValueError, IndexError):
        return 0


def _children(pid: int) -> list[int]:
    """Every descendant of ``pid`` (needs /proc/<pid>/task/*/children)."""
    found: list[int] = []
    pending = [pid]
    while pending and len(found) < 1024:
        parent = pending.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{parent}/task/{task}/children", "rb") as children:
                    kids = [int(k) for k in children.read().split()]
            except (OSError, ValueError):
                continue
            found.extend(kids)
            pending.extend(kids)
    return found


def _layer_python_path(opt_root: Path, python: str) -> list[str]:
    """Where a layer's Python packages are, in Lambda's order: python/lib/<version>/
    site-packages, then python."""
    version = _python_version(python)
    return [str(opt_root / "python" / "lib" / version / "site-packages"), str(opt_root / "python")]


@functools.cache
def _python_version(python: str) -> str:
    return subprocess.run(
        [
            python,
            "-S",
            "-c",
            "import sys; print(f'python{sys.version_info[0]}.{sys.version_info[1]}')",
        ],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    ).stdout.strip()

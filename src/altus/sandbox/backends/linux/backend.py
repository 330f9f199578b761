"""The ``linux`` backend: namespaces, cgroups, one uid per environment, zygotes.

Every environment is forked by a zygote (``zygote.py``): Python functions from a zygote
of their interpreter that has Altus's runtime client imported already (no exec), every
other runtime from the launcher zygote, which execs the runtime's command line inside
the sandbox. What an environment gets:

- its own mount, PID, IPC and UTS namespaces; a root of its own with the code read-only
  at ``/var/task``, a private ``/tmp`` of EphemeralStorage size, nothing else of the host
  writable and nothing of other functions or of the platform's data directory visible;
- its own uid (from ``uid_base``), no supplementary groups, no_new_privs, so it cannot
  signal or trace anything else, and its Runtime API accepts only that uid's sockets;
- a cgroup: memory = MemorySize (an OOM kill is reported as ``Runtime.OutOfMemory``),
  CPU proportional to memory, 1,024 pids, and the freezer between invokes;
- parent-death signals from the platform down to the runtime, and cgroups named for
  this server, swept at the next start, so nothing outlives a server killed outright.

Paths the engine gives in host terms (the code directory, Altus's runtime clients) are
rewritten to what the environment sees (``/var/task``, ``/var/runtime``).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from altus.runtimes.registry import RUNTIME_DIR
from altus.sandbox.backends.linux.cgroups import Cgroups, EnvironmentCgroup
from altus.sandbox.base import EntrypointError, OutputSink, SandboxError, SandboxSpec
from altus.sandbox.output import OutputPipe

log = logging.getLogger(__name__)

ZYGOTE = Path(__file__).with_name("zygote.py")
TASK_ROOT = "/var/task"
RUNTIME_ROOT = "/var/runtime"
#: How long a zygote may take to start, and a sandbox to be set up.
_START_TIMEOUT = 30.0
_STATE_FILE = "linux-backend.json"
_SIGKILL_BIT = 1 << (signal.SIGKILL - 1)


class Zygote:
    """One zygote process, seen from the platform."""

    def __init__(self, interpreter: str, template_root: Path, binds: list[tuple[str, str]],
                 bootstrap: Path | None) -> None:
        self.interpreter = interpreter
        self._template_root = template_root
        self._binds = binds
        self._bootstrap = bootstrap
        self._process: subprocess.Popen[bytes] | None = None
        self._control: socket.socket | None = None

    def start(self) -> None:
        """Start the zygote and wait until it is ready (blocking). Raises SandboxError."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        argv = [self.interpreter, "-S", "-B", "-u", str(ZYGOTE), str(self._template_root),
                json.dumps(self._binds), str(theirs.fileno())]
        if self._bootstrap is not None:
            argv.append(str(self._bootstrap))
        try:
            self._process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, pass_fds=(theirs.fileno(),),
                env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
            )
        except OSError as error:
            ours.close()
            raise SandboxError(f"cannot start a zygote on {self.interpreter}: {error}") from None
        finally:
            theirs.close()
        self._control = ours
        ours.settimeout(_START_TIMEOUT)
        try:
            answer = ours.recv(4096)
        except OSError:
            answer = b""
        if answer != b"ready":
            self.close()
            detail = answer.decode(errors="replace").removeprefix("error ") or "exited"
            raise SandboxError(f"zygote on {self.interpreter} failed to start: {detail}")
        ours.setblocking(True)

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def fork(self, request: dict[str, Any], fds: list[int]) -> None:
        """Ask for one environment. The fds are duplicated into the zygote by the send."""
        if self._control is None:
            raise SandboxError("zygote is not running")
        try:
            socket.send_fds(self._control, [json.dumps(request).encode()], fds)
        except OSError as error:
            raise SandboxError(f"zygote on {self.interpreter} is gone: {error}") from None

    def close(self) -> None:
        if self._control is not None:
            self._control.close()  # the zygote exits at EOF
            self._control = None
        if self._process is not None:
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout=5)
            self._process = None


class LinuxSandbox:
    """A running isolated environment."""

    def __init__(self, spec: SandboxSpec, backend: LinuxBackend, cgroup: EnvironmentCgroup,
                 uid: int, output_fd: int, status_fd: int, on_output: OutputSink) -> None:
        self.sandbox_id = spec.sandbox_id
        self.uid = uid
        self._spec = spec
        self._backend = backend
        self._cgroup = cgroup
        self._loop = asyncio.get_running_loop()
        self._exited: asyncio.Future[int] = self._loop.create_future()
        self._status: int | None = None
        self._pid = 0
        self._pidfd: int | None = None
        self._peak = 0
        self._destroyed = False
        self._status_buffer = b""
        self._status_files: list[int] = []
        self._status_fd: int | None = status_fd
        os.set_blocking(status_fd, False)
        self._loop.add_reader(status_fd, self._read_status)
        self._output = OutputPipe(output_fd, on_output, self._maybe_finish)

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
            self._status_buffer += chunk
            while b"\n" in self._status_buffer:
                line, _, self._status_buffer = self._status_buffer.partition(b"\n")
                self._on_status(line.decode(errors="replace"))
            return
        self._close_status()
        if self._status is None:
            self._status = -signal.SIGKILL  # the keeper itself was killed
        self._maybe_finish()

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
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None
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
        return max(1, round(self._peak / (1024 * 1024)))

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
        for fd in self._status_files:
            try:
                data = os.pread(fd, 4096, 0)
            except OSError:
                return True  # the process is gone
            for line in data.splitlines():
                if line.startswith((b"SigPnd:", b"ShdPnd:")) and \
                        int(line.split()[1], 16) & _SIGKILL_BIT:
                    return True
        return False

    def _open_status_files(self) -> None:
        """/proc/<pid>/status of init and of the runtime (init's child), kept open."""
        if not self._pid:
            return
        pids = [self._pid]
        with contextlib.suppress(OSError, ValueError):
            children = Path(f"/proc/{self._pid}/task/{self._pid}/children").read_text()
            pids += [int(p) for p in children.split()[:1]]
        for pid in pids:
            with contextlib.suppress(OSError):
                self._status_files.append(
                    os.open(f"/proc/{pid}/status", os.O_RDONLY | os.O_CLOEXEC))

    def kill(self) -> None:
        if self._destroyed or self._status is not None:
            return
        # The runtime is PID 1 of its namespace: killing it kills every process in it.
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
        await asyncio.to_thread(self._cgroup.remove)
        self._backend.release_uid(self.uid)
        shutil.rmtree(self._spec.work_dir, ignore_errors=True)


class LinuxBackend:
    """Creates ``LinuxSandbox`` environments."""

    name = "linux"
    isolates = True

    def __init__(self, state_dir: Path, uid_base: int = 200_000, uid_count: int = 60_000,
                 prestart: int = 2, zygotes: bool = True, network: str = "host") -> None:
        self._state_dir = state_dir
        self._template_root = state_dir / "root"
        self._empty = state_dir / "empty"
        self._uid_base = uid_base
        self._uid_count = uid_count
        self._free_uids: list[int] = []
        self._next_uid = 0
        self._used_uids: set[int] = set()
        self._cgroups: Cgroups | None = None
        self._zygotes: dict[str, Zygote] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._node_prefix: str | None = None
        #: Blanks started ahead of need, per zygote, and how many to keep.
        self._blanks: dict[str, list[_Blank]] = {}
        self.prestart = prestart
        #: Off: Python runtimes are exec'd like any other (the baseline zygotes beat).
        self.use_zygotes = zygotes
        #: "isolated": each environment has a network namespace with loopback only.
        self.network = network

    # --- set-up -------------------------------------------------------------------------------

    def open(self, node_binary: str | None = None) -> None:
        """Check that this machine can isolate (root, namespaces, cgroups) by starting the
        launcher zygote and running one trial sandbox; blocking. Raises SandboxError or
        CgroupError with the reason when it cannot."""
        if sys.platform != "linux":
            raise SandboxError("the linux sandbox needs Linux")
        if os.geteuid() != 0:
            raise SandboxError("the linux sandbox needs root (namespaces and cgroups)")
        for path in (self._state_dir, self._template_root, self._empty):
            path.mkdir(parents=True, exist_ok=True)
        self._sweep_previous()
        self._cgroups = Cgroups.create()
        self._remember()
        if node_binary:
            found = shutil.which(node_binary)
            if found:
                self._node_prefix = _prefix(found)
        try:
            launcher = self._zygote_blocking(sys.executable, None)
            self._trial(launcher)
        except Exception:
            self.close()
            raise

    def _trial(self, launcher: Zygote) -> None:
        """One environment that runs ``true``, start to finish, synchronously."""
        blank = self._spawn_blank(launcher, "trial")
        output_r, output_w = os.pipe()
        uid = self.allocate_uid()
        try:
            blank.cgroup.size(128)
            blank.assign(self._assignment("exec", ["/bin/true"], {}, self._empty, 1, uid),
                         output_w)
            os.close(output_w)
            failure = _read_all(blank.exec_r, _START_TIMEOUT)
            if failure:
                raise SandboxError(f"the kernel refused a sandbox: {failure}")
            status = _read_all(blank.status_r, _START_TIMEOUT)
            if "exit 0" not in status:
                raise SandboxError(f"the trial sandbox failed: {status.strip() or 'no status'}")
        finally:
            os.close(output_r)
            blank.discard()
            self.release_uid(uid)

    def _sweep_previous(self) -> None:
        """Remove the cgroups a previous server on this data directory left behind."""
        state = self._state_dir / _STATE_FILE
        with contextlib.suppress(OSError, ValueError, KeyError):
            previous = json.loads(state.read_text())
            roots = [Path(p) for p in previous["cgroup_roots"]]
            if all(p.is_dir() for p in roots):
                leftover = Cgroups(roots, unified=bool(previous["unified"]))
                busy = leftover.sweep()
                if busy:
                    log.warning("killed %d execution environments left by a previous run",
                                busy)
                leftover.close()
        with contextlib.suppress(OSError):
            state.unlink()

    def _remember(self) -> None:
        assert self._cgroups is not None
        state = {"cgroup_roots": [str(p) for p in self._cgroups.roots],
                 "unified": self._cgroups.unified}
        (self._state_dir / _STATE_FILE).write_text(json.dumps(state))

    def recover(self, sandboxes_dir: Path) -> int:
        # Leftover environments were killed by ``open`` (their cgroups swept, counted
        # and logged there); what is left under sandboxes/ is only files.
        if sandboxes_dir.is_dir():
            for work_dir in sandboxes_dir.iterdir():
                shutil.rmtree(work_dir, ignore_errors=True)
        return 0

    def close(self) -> None:
        for pool in self._blanks.values():
            for blank in pool:
                blank.discard()
        self._blanks.clear()
        for zygote in self._zygotes.values():
            zygote.close()
        self._zygotes.clear()
        if self._cgroups is not None:
            self._cgroups.close()
            self._cgroups = None
        with contextlib.suppress(OSError):
            (self._state_dir / _STATE_FILE).unlink()

    # --- identities ------------------------------------------------------------------------

    def allocate_uid(self) -> int:
        if self._free_uids:
            uid = self._free_uids.pop()
        elif self._next_uid < self._uid_count:
            uid = self._uid_base + self._next_uid
            self._next_uid += 1
        else:
            raise SandboxError("no free sandbox uid left")
        self._used_uids.add(uid)
        return uid

    def api_client_uid(self, uid: int | None) -> int | None:
        """The uid whose sockets reach the Runtime API of an environment running as
        ``uid``: its own, or root's when init relays for an isolated network."""
        return 0 if self.network == "isolated" else uid

    def release_uid(self, uid: int) -> None:
        if uid in self._used_uids:
            self._used_uids.discard(uid)
            self._free_uids.append(uid)

    # --- zygotes ----------------------------------------------------------------------------

    def _binds_for(self, interpreter: str | None) -> list[tuple[str, str]]:
        binds = [(str(RUNTIME_DIR), RUNTIME_ROOT)]
        prefixes = {self._node_prefix, _prefix(interpreter) if interpreter else None}
        binds += [(p, p) for p in sorted(x for x in prefixes if x)]
        return binds

    def _zygote_blocking(self, interpreter: str, bootstrap: Path | None) -> Zygote:
        key = interpreter if bootstrap is not None else ""
        zygote = self._zygotes.get(key)
        if zygote is not None and zygote.alive:
            return zygote
        if zygote is not None:
            log.warning("zygote on %s died; restarting it", interpreter)
            zygote.close()
            for blank in self._blanks.pop(key, []):
                blank.discard()
        zygote = Zygote(interpreter, self._template_root, self._binds_for(interpreter),
                        bootstrap)
        zygote.start()
        self._zygotes[key] = zygote
        return zygote

    async def _zygote(self, interpreter: str, bootstrap: Path | None) -> Zygote:
        key = interpreter if bootstrap is not None else ""
        zygote = self._zygotes.get(key)
        if zygote is not None and zygote.alive:
            return zygote
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            return await asyncio.to_thread(self._zygote_blocking, interpreter, bootstrap)

    def zygotes(self) -> dict[str, int | None]:
        """Running zygotes: interpreter (``""`` for the launcher) -> PID."""
        return {key: z.pid for key, z in self._zygotes.items() if z.alive}

    # --- environments ------------------------------------------------------------------------

    # --- blanks ------------------------------------------------------------------------------

    def _spawn_blank(self, zygote: Zygote, name: str | None = None) -> _Blank:
        """Ask ``zygote`` for an environment that waits for its assignment (non-blocking:
        the zygote does the forking; this makes the cgroup and the pipes)."""
        assert self._cgroups is not None
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
        return _Blank(zygote, cgroup, ours, status_r, exec_r)

    def _take_blank(self, key: str, zygote: Zygote) -> _Blank:
        pool = self._blanks.setdefault(key, [])
        while pool:
            blank = pool.pop(0)
            if blank.zygote is zygote and zygote.alive:
                return blank
            blank.discard()
        return self._spawn_blank(zygote)

    def _refill(self, key: str, zygote: Zygote) -> None:
        if self._cgroups is None or not zygote.alive:
            return  # closed meanwhile, or the zygote died (restarted at the next need)
        pool = self._blanks.setdefault(key, [])
        for _ in range(max(0, self.prestart - len(pool))):
            try:
                pool.append(self._spawn_blank(zygote))
            except (SandboxError, OSError) as error:
                log.warning("could not start a sandbox ahead of need: %s", error)
                return

    def _assignment(self, mode: str, argv: list[str], env: dict[str, str], task_root: Path,
                    tmp_mb: int, uid: int) -> dict[str, Any]:
        # Lambda's hostnames are link-local addresses; each environment has its own.
        return {"mode": mode, "argv": argv, "env": env, "task_root": str(task_root),
                "tmp_mb": tmp_mb, "uid": uid, "binds": [], "network": self.network,
                "hostname": f"169.254.{(uid >> 8) & 255}.{uid & 255}"}

    # --- environments ------------------------------------------------------------------------

    async def create(self, spec: SandboxSpec, on_output: OutputSink) -> LinuxSandbox:
        if self._cgroups is None:
            raise SandboxError("the linux backend is closed")
        inside = _Paths(spec.task_root)
        python_mode = spec.python is not None and self.use_zygotes
        argv = [inside.rewrite(a) for a in _without_pycache_prefix(spec.argv)]
        env = {k: inside.rewrite(v) for k, v in spec.env.items()}
        env["LAMBDA_TASK_ROOT"] = TASK_ROOT
        uid = spec.uid if spec.uid is not None else self.allocate_uid()
        try:
            if not python_mode:
                _check_entrypoint(argv[0], inside.host(argv[0]))
            if python_mode:
                assert spec.python is not None
                interpreter, bootstrap = spec.python, _bootstrap_of(spec.argv)
            else:
                interpreter, bootstrap = sys.executable, None
            key = interpreter if bootstrap is not None else ""
            zygote = await self._zygote(interpreter, bootstrap)
            blank = self._take_blank(key, zygote)
        except BaseException:
            self.release_uid(uid)
            raise
        # Replace it off the invoke path: once this one is on its way, the zygote forks
        # the next while this one starts.
        asyncio.get_running_loop().call_soon(self._refill, key, zygote)
        output_r, output_w = os.pipe()
        try:
            blank.cgroup.size(spec.memory_mb)
            assignment = self._assignment("python" if python_mode else "exec", argv, env,
                                          spec.task_root, spec.ephemeral_storage_mb, uid)
            if spec.python is not None and not python_mode:
                # An exec'd Python runtime needs its interpreter's installation in view.
                prefix = _prefix(spec.python)
                if prefix:
                    assignment["binds"] = [(prefix, prefix)]
            try:
                blank.assign(assignment, output_w)
            except SandboxError:
                # That one died while it waited (killed, or its zygote went): take a new
                # one, once.
                log.warning("a prepared sandbox was gone; starting another")
                blank.discard()
                blank = self._spawn_blank(await self._zygote(interpreter, bootstrap))
                blank.cgroup.size(spec.memory_mb)
                blank.assign(assignment, output_w)
        except BaseException:
            os.close(output_r)
            blank.discard()
            self.release_uid(uid)
            raise
        finally:
            os.close(output_w)
        spec.work_dir.mkdir(parents=True, exist_ok=True)
        sandbox = LinuxSandbox(spec, self, blank.cgroup, uid, output_r, blank.status_r,
                               on_output)
        try:
            failure = await _read_async(blank.exec_r, _START_TIMEOUT)
        except BaseException:
            await sandbox.destroy()
            raise
        finally:
            os.close(blank.exec_r)
            blank.control.close()
        if failure:
            await sandbox.destroy()
            if failure.startswith("exec "):
                raise EntrypointError(_exec_message(failure))
            raise SandboxError(f"sandbox set-up failed: {failure}")
        return sandbox


class _Blank:
    """An environment started ahead of need, waiting for its assignment."""

    def __init__(self, zygote: Zygote, cgroup: EnvironmentCgroup, control: socket.socket,
                 status_r: int, exec_r: int) -> None:
        self.zygote = zygote
        self.cgroup = cgroup
        self.control = control
        self.status_r = status_r
        self.exec_r = exec_r

    def assign(self, assignment: dict[str, Any], output_w: int) -> None:
        try:
            socket.send_fds(self.control, [json.dumps(assignment).encode()], [output_w])
        except OSError as error:
            raise SandboxError(f"a prepared sandbox was lost: {error}") from None

    def discard(self) -> None:
        """Let it go: closing the control socket makes the runtime exit; the cgroup
        removal kills whatever is left."""
        self.control.close()
        for fd in (self.status_r, self.exec_r):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.cgroup.remove()


class _Paths:
    """Host paths in the engine's terms <-> what the environment sees."""

    def __init__(self, task_root: Path) -> None:
        self._map = [(str(task_root), TASK_ROOT), (str(RUNTIME_DIR), RUNTIME_ROOT)]

    def rewrite(self, value: str) -> str:
        for host, inside in self._map:
            if value == host or value.startswith(host + "/"):
                return inside + value[len(host):]
            # Lists of paths (NODE_PATH, PYTHONPATH): rewrite each member.
            if ":" in value and host in value:
                return ":".join(self.rewrite(part) for part in value.split(":"))
        return value

    def host(self, value: str) -> str:
        for host, inside in self._map:
            if value == inside or value.startswith(inside + "/"):
                return host + value[len(inside):]
        return value


def _prefix(executable: str) -> str | None:
    """The installation prefix of an interpreter outside /usr (pyenv, nvm ...), which the
    environment needs to see; None when /usr already covers it."""
    real = Path(os.path.realpath(executable))
    prefix = real.parent.parent
    if str(prefix) in ("/", "/usr") or str(prefix).startswith("/usr/"):
        return None
    return str(prefix)


def _without_pycache_prefix(argv: Iterable[str]) -> list[str]:
    """The command line without ``-X pycache_prefix=...``: that directory (the process
    backend's, on the host) is not in the environment's view, and a prefix that cannot be
    read would make the interpreter recompile its standard library on every start."""
    out: list[str] = []
    for arg in argv:
        if arg.startswith("pycache_prefix=") and out and out[-1] == "-X":
            out.pop()
            continue
        out.append(arg)
    return out


def _bootstrap_of(argv: Iterable[str]) -> Path:
    return next(Path(a) for a in argv if a.endswith("bootstrap.py"))


def _check_entrypoint(inside: str, host: str) -> None:
    if not os.path.isfile(host):
        raise EntrypointError(f"Couldn't find valid bootstrap(s): [{inside}]")
    if not os.access(host, os.X_OK):
        raise EntrypointError(f"fork/exec {inside}: permission denied")


def _exec_message(failure: str) -> str:
    # "exec <path>: <strerror>" -> Lambda's wording.
    path, _, reason = failure.removeprefix("exec ").rpartition(": ")
    if reason == os.strerror(errno.ENOENT):
        return f"Couldn't find valid bootstrap(s): [{path}]"
    if reason == os.strerror(errno.EACCES):
        return f"fork/exec {path}: permission denied"
    return f"fork/exec {path}: {reason}"


async def _read_async(fd: int, timeout: float) -> str:
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


def _read_all(fd: int, timeout: float) -> str:
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

"""The ``linux`` backend: namespaces, cgroups, one uid per environment, zygotes.

Every environment is forked by a zygote (``zygote.py``, managed through
``zygotes.py``): Python functions from a zygote of their interpreter that has Altus's
runtime client imported already (no exec), and once a function configuration has been
started, from a *function zygote* of its own that has its dependencies imported too;
every other runtime from the launcher zygote, which execs the runtime's command line
inside the sandbox. What an environment gets:

- its own mount, PID, IPC and UTS namespaces; a root of its own with the code read-only
  at ``/var/task``, a private ``/tmp`` of EphemeralStorage size, nothing else of the host
  writable and nothing of other functions or of the platform's data directory visible;
- its own uid (from ``uid_base``), no supplementary groups, no capabilities,
  no_new_privs, so it cannot signal or trace anything else, and its Runtime API accepts
  only that uid's sockets;
- a cgroup: memory = MemorySize (less what it shares with its zygote, which Max Memory
  Used counts back in; an OOM kill is reported as ``Runtime.OutOfMemory``), CPU
  proportional to memory, 1,024 pids, and the freezer between invokes;
- parent-death signals from the platform down to the runtime, and cgroups named for
  this server, swept at the next start, so nothing outlives a server killed outright.

Paths the engine gives in host terms (the code directory, Altus's runtime clients) are
rewritten to what the environment sees (``/var/task``, ``/var/runtime``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

from altus.runtimes.registry import RUNTIME_DIR
from altus.sandbox.backends.linux.blanks import (
    Blank,
    Blanks,
    NoAnswer,
    read_all,
    read_async,
    receive_with_pid,
)
from altus.sandbox.backends.linux.cgroups import Cgroups, EnvironmentCgroup
from altus.sandbox.backends.linux.paths import (
    OPT_ROOT,
    RUNTIME_ROOT,
    TASK_ROOT,
    Paths,
    bootstrap_of,
    check_entrypoint,
    exec_message,
    prefix_of,
    without_pycache_prefix,
)
from altus.sandbox.backends.linux.zygotes import (
    START_TIMEOUT,
    FunctionZygote,
    FunctionZygotes,
    Recipe,
    RuntimeZygote,
    kill_pending,
)
from altus.sandbox.base import EntrypointError, OutputSink, SandboxError, SandboxSpec
from altus.sandbox.output import OutputPipe

log = logging.getLogger(__name__)

_STATE_FILE = "linux-backend.json"
#: How long a cold start waits for a function zygote's blank to be ready (normally a
#: cgroup move, a few milliseconds) before it starts from the runtime zygote instead.
_READY_TIMEOUT = 5.0
#: A function zygote's own /tmp (an import may write there); memory-backed, bounded.
_ZYGOTE_TMP_MB = 64
#: Largest report of a learning environment (module names as JSON).
_MAX_LEARNED_BYTES = 4 << 20


class LinuxSandbox:
    """A running isolated environment."""

    def __init__(
        self,
        spec: SandboxSpec,
        backend: LinuxBackend,
        blank: Blank,
        uid: int,
        output_fd: int,
        on_output: OutputSink,
        shared_bytes: int,
    ) -> None:
        self.sandbox_id = spec.sandbox_id
        self.uid = uid
        #: The zygote it was forked from (the backend counts a function zygote's
        #: environments).
        self.zygote = blank.zygote
        self._spec = spec
        self._backend = backend
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
        self._backend.gone(self, removed)
        shutil.rmtree(self._spec.work_dir, ignore_errors=True)


class LinuxBackend:
    """Creates ``LinuxSandbox`` environments."""

    name = "linux"
    isolates = True

    def __init__(
        self,
        state_dir: Path,
        uid_base: int = 200_000,
        uid_count: int = 60_000,
        prestart: int = 2,
        zygotes: bool = True,
        network: str = "host",
        function_zygotes: int = 8,
        function_zygote_idle: float = 1800.0,
    ) -> None:
        self._state_dir = state_dir
        self._template_root = state_dir / "root"
        self._empty = state_dir / "empty"
        self._uid_base = uid_base
        self._uid_count = uid_count
        self._free_uids: list[int] = []
        self._next_uid = 0
        self._used_uids: set[int] = set()
        self._cgroups: Cgroups | None = None
        self._zygotes: dict[str, RuntimeZygote] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._node_prefix: str | None = None
        self._blanks = Blanks(prestart)
        #: Off: Python runtimes are exec'd like any other (the baseline zygotes beat).
        self.use_zygotes = zygotes
        #: "isolated": each environment has a network namespace with loopback only.
        self.network = network
        # A function zygote runs the function's dependencies' import-time code with the
        # host's network, so an isolated network forgoes them.
        self._functions: FunctionZygotes | None = (
            FunctionZygotes(function_zygotes, function_zygote_idle)
            if zygotes and function_zygotes > 0 and network == "host"
            else None
        )
        self._tasks: set[asyncio.Task[None]] = set()
        self._idle_timer: asyncio.TimerHandle | None = None
        #: uid -> the function zygote whose environment it was mapped into.
        self._uid_owners: dict[int, FunctionZygote] = {}

    @property
    def prestart(self) -> int:
        return self._blanks.prestart

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
        self._blanks.open(self._cgroups)
        self._remember()
        if node_binary:
            found = shutil.which(node_binary)
            if found:
                self._node_prefix = prefix_of(found)
        try:
            launcher = self._zygote_blocking(sys.executable, None)
            self._trial(launcher)
        except Exception:
            self.close()
            raise

    def _trial(self, launcher: RuntimeZygote) -> None:
        """One environment that runs ``true``, start to finish, synchronously."""
        blank = self._blanks.spawn(launcher, "trial")
        output_r, output_w = os.pipe()
        uid = self.allocate_uid()
        try:
            blank.cgroup.size(128)
            blank.assign(
                self._assignment("exec", ["/bin/true"], {}, self._empty, 1, uid), [output_w]
            )
            os.close(output_w)
            failure = read_all(blank.exec_r, START_TIMEOUT)
            if failure:
                raise SandboxError(f"the kernel refused a sandbox: {failure}")
            status = read_all(blank.status_r, START_TIMEOUT)
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
                    log.warning("killed %d execution environments left by a previous run", busy)
                leftover.close()
        with contextlib.suppress(OSError):
            state.unlink()

    def _remember(self) -> None:
        assert self._cgroups is not None
        state = {
            "cgroup_roots": [str(p) for p in self._cgroups.roots],
            "unified": self._cgroups.unified,
        }
        (self._state_dir / _STATE_FILE).write_text(json.dumps(state))

    def recover(self, sandboxes_dir: Path) -> int:
        # Leftover environments were killed by ``open`` (their cgroups swept, counted
        # and logged there); what is left under sandboxes/ is only files.
        if sandboxes_dir.is_dir():
            for work_dir in sandboxes_dir.iterdir():
                shutil.rmtree(work_dir, ignore_errors=True)
        return 0

    async def shutdown(self) -> None:
        self._blanks.close()  # on the loop: a blank being prepared has a task there

    def close(self) -> None:
        # Runs off the event loop (blocking): its timer and tasks are left to find the
        # backend closed (a function zygote still starting dies with its runtime zygote).
        self._blanks.close()
        if self._functions is not None:
            for zygote in self._functions.clear():
                zygote.close()
        for runtime in self._zygotes.values():
            runtime.close()
        self._zygotes.clear()
        if self._cgroups is not None:
            self._cgroups.close()
            self._cgroups = None
        with contextlib.suppress(OSError):
            (self._state_dir / _STATE_FILE).unlink()

    # --- identities ------------------------------------------------------------------------

    def allocate_uid(self, zygote_key: str | None = None) -> int:
        # An environment that will fork from a function zygote takes one of the uids its
        # earlier environments had, when there is one.
        function = (
            self._functions.ready(zygote_key)
            if self._functions is not None and zygote_key
            else None
        )
        if function is not None and function.free_uids and not function.closed:
            uid = function.free_uids.pop()
        elif self._free_uids:
            uid = self._free_uids.pop()
        elif self._next_uid < self._uid_count:
            uid = self._uid_base + self._next_uid
            self._next_uid += 1
        else:
            raise SandboxError("no free sandbox uid left")
        self._used_uids.add(uid)
        return uid

    def release_uid(self, uid: int) -> None:
        """A uid an environment is done with. One that was mapped into a function
        zygote's environment stays with that zygote's unit (which owns the environment's
        user namespace, so a process of its making may hold the uid still: another
        function's Runtime API must never answer it): reused by its later environments,
        and back in the shared pool once the unit is drained."""
        if uid not in self._used_uids:
            return
        self._used_uids.discard(uid)
        owner = self._uid_owners.get(uid)
        if owner is None:
            self._free_uids.append(uid)
        elif not owner.closed:
            owner.free_uids.append(uid)
        # else: quarantined with its closed zygote until the unit drains

    def _taint(self, uid: int, zygote: FunctionZygote) -> None:
        self._uid_owners[uid] = zygote
        zygote.uids.add(uid)

    def _drained(self, zygote: FunctionZygote) -> None:
        """Nothing of a function zygote's unit is left: its uids are anyone's again."""
        self._used_uids.discard(zygote.uid)  # its own, held since it started
        for uid in zygote.uids:
            if self._uid_owners.get(uid) is zygote:
                del self._uid_owners[uid]
            if uid not in self._used_uids:
                self._free_uids.append(uid)
        zygote.uids.clear()
        zygote.free_uids.clear()

    def gone(self, sandbox: LinuxSandbox, removed: bool) -> None:
        """A sandbox is destroyed (its cgroup ``removed`` with nothing left in it, or
        not): its uid is free, its function zygote has one environment less."""
        self.release_uid(sandbox.uid)
        zygote = sandbox.zygote
        if isinstance(zygote, FunctionZygote):
            zygote.environments -= 1
            zygote.last_used = time.monotonic()
            zygote.cgroup_removed(removed)
            if zygote.environments == 0:
                self._schedule_idle_check()

    # --- runtime zygotes -------------------------------------------------------------------

    def _binds_for(self, interpreter: str | None) -> list[tuple[str, str]]:
        binds = [(str(RUNTIME_DIR), RUNTIME_ROOT)]
        prefixes = {self._node_prefix, prefix_of(interpreter) if interpreter else None}
        binds += [(p, p) for p in sorted(x for x in prefixes if x)]
        return binds

    def _zygote_blocking(self, interpreter: str, bootstrap: Path | None) -> RuntimeZygote:
        key = interpreter if bootstrap is not None else ""
        zygote = self._zygotes.get(key)
        if zygote is not None and zygote.alive:
            return zygote
        if zygote is not None:
            log.warning("zygote on %s died; restarting it", interpreter)
            zygote.close()
            self._blanks.drop(key)
        zygote = RuntimeZygote(
            interpreter, self._template_root, self._binds_for(interpreter), bootstrap, self._cgroups
        )
        zygote.start()
        self._zygotes[key] = zygote
        return zygote

    async def _zygote(self, interpreter: str, bootstrap: Path | None) -> RuntimeZygote:
        key = interpreter if bootstrap is not None else ""
        zygote = self._zygotes.get(key)
        if zygote is not None and zygote.alive:
            return zygote
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            return await asyncio.to_thread(self._zygote_blocking, interpreter, bootstrap)

    def zygotes(self) -> list[dict[str, Any]]:
        """The zygotes running now, for operators (the health endpoint)."""
        running: list[dict[str, Any]] = [
            {
                "runtime": key or "launcher",
                "pid": z.pid,
                "shared_mb": round(z.shared_bytes / (1024 * 1024), 1),
            }
            for key, z in self._zygotes.items()
            if z.alive
        ]
        if self._functions is not None:
            running += [z.describe() for z in self._functions.zygotes() if z.alive]
        return running

    # --- function zygotes --------------------------------------------------------------------

    def _function_zygote(
        self, spec: SandboxSpec, interpreter: str, bootstrap: Path, env: dict[str, str]
    ) -> tuple[FunctionZygote | None, Recipe | None]:
        """The function zygote a Python cold start forks from, if its configuration has
        one; else, when this environment is to teach us what to import, the recipe its
        report completes."""
        functions, key = self._functions, spec.zygote_key
        if functions is None or not key:
            return None, None
        zygote = functions.ready(key)
        if zygote is not None:
            if zygote.alive:
                return zygote, None
            log.warning("the function zygote of %s died; it will be restarted", key)
            functions.failed(key)
            self._retire(zygote)
        action = functions.plan(key)
        if action == "start":
            self._spawn(self._start_function_zygote(key))
        if action != "learn":
            return None, None
        variables = {k: v for k, v in env.items() if k != "AWS_LAMBDA_RUNTIME_API"}
        return None, Recipe(
            interpreter=interpreter,
            bootstrap=bootstrap,
            task_root=spec.task_root,
            opt_root=spec.opt_root,
            env=variables,
            memory_mb=spec.memory_mb,
            handler=env.get("_HANDLER", ""),
        )

    def _learn(self, fd: int, key: str, recipe: Recipe) -> None:
        """Read a learning environment's report (the module names its INIT imported)
        off the invoke path; start the function zygote once it is in."""
        loop = asyncio.get_running_loop()
        os.set_blocking(fd, False)
        chunks: list[bytes] = []

        def readable() -> None:
            try:
                chunk = os.read(fd, 1 << 16)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if chunk and sum(map(len, chunks)) < _MAX_LEARNED_BYTES:
                chunks.append(chunk)
                return
            loop.remove_reader(fd)
            os.close(fd)
            try:
                names = json.loads(b"".join(chunks)) if chunks and not chunk else None
            except ValueError:
                names = None
            if isinstance(names, list):
                recipe.modules = [n for n in names if isinstance(n, str)]
            functions = self._functions
            if functions is not None and functions.learned(
                key, recipe if isinstance(names, list) else None
            ):
                self._spawn(self._start_function_zygote(key))

        loop.add_reader(fd, readable)

    async def _start_function_zygote(self, key: str) -> None:
        functions = self._functions
        recipe = functions.recipe(key) if functions is not None else None
        if functions is None or recipe is None:
            return
        try:
            await self._start_with(functions, key, recipe)
        except Exception:  # a bug must not leave the configuration STARTING for good
            log.exception("the function zygote of %s did not start", key)
            functions.failed(key, permanent=True)

    async def _start_with(self, functions: FunctionZygotes, key: str, recipe: Recipe) -> None:
        victims = functions.make_room(key)
        if victims is None:
            functions.postpone(key)  # every zygote has live environments: later
            return
        for victim in victims:
            self._retire(victim)
        try:
            zygote = await self._launch_function_zygote(key, recipe)
        except _Unsupported as error:
            log.warning("function zygotes are off: %s", error)
            for live in functions.clear():
                self._retire(live)
            self._functions = None
            return
        except (SandboxError, OSError) as error:
            log.warning("the function zygote of %s did not start: %s", key, error)
            functions.failed(key, permanent=isinstance(error, _Refused))
            return
        if self._functions is not functions or self._cgroups is None or zygote.modules == 0:
            if zygote.modules == 0:
                functions.plain(key)  # its dependencies were all the function's own code
            self._retire(zygote)
            return
        functions.started(key, zygote)
        self._blanks.refill(zygote)
        zygote.rest()  # frozen but while it forks
        self._schedule_idle_check()

    async def _launch_function_zygote(self, key: str, recipe: Recipe) -> FunctionZygote:
        """Ask the runtime zygote of the recipe's interpreter to fork the function zygote;
        wait until it has imported what it was given. Raises SandboxError."""
        if self._cgroups is None:
            raise SandboxError("the linux backend is closed")
        runtime = await self._zygote(recipe.interpreter, recipe.bootstrap)
        uid = self.allocate_uid()
        cgroup: EnvironmentCgroup | None = None
        ours: socket.socket | None = None
        try:
            cgroup = self._cgroups.environment(f"zygote-{os.urandom(6).hex()}")
            # The function's own memory and CPU share: its imports must fit there anyway.
            cgroup.size(recipe.memory_mb)
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            ours.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
            ours.setblocking(False)
            procs: list[int] = []
            try:
                procs = cgroup.procs_fds()  # the runtime zygote's child joins, then imports
                runtime.fork(
                    {
                        "kind": "zygote",
                        "task_root": str(recipe.task_root),
                        "tmp_mb": _ZYGOTE_TMP_MB,
                        "binds": _opt_binds(recipe.opt_root),
                        "uid": uid,
                        "env": recipe.env,
                        "modules": recipe.modules,
                        "handler": recipe.handler,
                    },
                    [theirs.fileno(), *procs],
                )
            finally:
                for fd in procs:
                    os.close(fd)
                theirs.close()
            try:
                # Its PID is the kernel's word, not its own.
                answer, pid = await receive_with_pid(ours, START_TIMEOUT)
            except NoAnswer:
                raise _Refused(f"its imports took longer than {START_TIMEOUT:.0f} s") from None
            word, _, detail = answer.decode(errors="replace").partition(" ")
            if word == "unsupported":
                raise _Unsupported(detail)
            if word == "error":
                raise _Refused(detail)
            fields = detail.split()
            if word != "ready" or len(fields) != 2 or not fields[1].isdigit():
                raise SandboxError(detail or "it exited while importing")
            if pid not in cgroup.pids():
                raise _Refused("its answer came from outside its cgroup")
            zygote = FunctionZygote(
                key, recipe.interpreter, ours, pid, uid, cgroup, int(fields[1]), recipe.memory_mb
            )
            self._taint(uid, zygote)
            zygote.on_drained = self._drained
            return zygote
        except BaseException:
            if ours is not None:
                ours.close()
            # Its cgroup holds whatever it started: gone with it, the uid is free again.
            if cgroup is None or await asyncio.to_thread(cgroup.remove):
                self.release_uid(uid)
            raise

    def _retire(self, zygote: FunctionZygote) -> None:
        """Stop a function zygote the registry no longer holds (off the loop: its cgroup
        removal waits for its processes to die). Its unit's uids return to the shared
        pool once nothing of the unit is left (its live environments, if any, end as
        environments do)."""
        zygote.closed = True  # before the thread starts: nothing touches its cgroup now
        self._blanks.drop(zygote.pool_key)

        async def close() -> None:
            if await asyncio.to_thread(zygote.close):
                zygote.closed_cleanly()
            else:
                log.warning(
                    "processes of the function zygote of %s outlived it; its uids are not reused",
                    zygote.key,
                )

        self._spawn(close())

    def _schedule_idle_check(self) -> None:
        functions = self._functions
        if functions is None or self._idle_timer is not None:
            return
        expiry = functions.next_expiry()
        if expiry is not None:
            delay = max(0.0, expiry - time.monotonic()) + 0.01
            self._idle_timer = asyncio.get_running_loop().call_later(delay, self._idle_check)

    def _idle_check(self) -> None:
        self._idle_timer = None
        if self._cgroups is None:
            return  # closed
        if self._functions is not None:
            for zygote in self._functions.expired():
                self._retire(zygote)
        self._schedule_idle_check()

    def _spawn(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- environments ------------------------------------------------------------------------

    def _assignment(
        self,
        mode: str,
        argv: list[str],
        env: dict[str, str],
        task_root: Path,
        tmp_mb: int,
        uid: int,
    ) -> dict[str, Any]:
        # Lambda's hostnames are link-local addresses; each environment has its own.
        return {
            "mode": mode,
            "argv": argv,
            "env": env,
            "task_root": str(task_root),
            "tmp_mb": tmp_mb,
            "uid": uid,
            "binds": [],
            "network": self.network,
            "hostname": f"169.254.{(uid >> 8) & 255}.{uid & 255}",
        }

    async def create(self, spec: SandboxSpec, on_output: OutputSink) -> LinuxSandbox:
        if self._cgroups is None:
            raise SandboxError("the linux backend is closed")
        inside = Paths(spec.task_root, spec.opt_root)
        python_mode = spec.python is not None and self.use_zygotes
        argv = [inside.rewrite(a) for a in without_pycache_prefix(spec.argv)]
        env = {k: inside.rewrite(v) for k, v in spec.env.items()}
        env["LAMBDA_TASK_ROOT"] = TASK_ROOT
        uid = spec.uid if spec.uid is not None else self.allocate_uid()
        assignment = self._assignment(
            "python" if python_mode else "exec",
            argv,
            env,
            spec.task_root,
            spec.ephemeral_storage_mb,
            uid,
        )
        assignment["binds"] = _opt_binds(spec.opt_root)
        if spec.python is not None and not python_mode:
            # An exec'd Python runtime needs its interpreter's installation in view.
            prefix = prefix_of(spec.python)
            if prefix:
                assignment["binds"].append((prefix, prefix))
        recipe: Recipe | None = None
        try:
            if python_mode:
                assert spec.python is not None
                interpreter, bootstrap = spec.python, bootstrap_of(spec.argv)
                function, recipe = self._function_zygote(spec, interpreter, bootstrap, env)
            else:
                check_entrypoint(argv[0], inside.host(argv[0]))
                interpreter, bootstrap, function = sys.executable, None, None
            zygote: RuntimeZygote | FunctionZygote = function or await self._zygote(
                interpreter, bootstrap
            )
            try:
                blank = self._blanks.take(zygote)
            except SandboxError:
                if not isinstance(zygote, FunctionZygote):
                    raise
                self._function_zygote_failed(zygote)  # it does not take requests
                zygote = await self._zygote(interpreter, bootstrap)
                blank = self._blanks.take(zygote)
        except BaseException:
            self.release_uid(uid)
            self._learning_failed(spec, recipe)
            raise
        # Replace it off the invoke path: once this one is on its way, the zygote forks
        # the next while this one starts.
        asyncio.get_running_loop().call_soon(self._blanks.refill, zygote)
        output_r, output_w = os.pipe()
        learn_r, learn_w = os.pipe() if recipe is not None else (-1, -1)
        fds = [output_w] if recipe is None else [output_w, learn_w]

        async def assign(blank: Blank, zygote: RuntimeZygote | FunctionZygote) -> None:
            if blank.ready is not None:
                try:
                    await asyncio.wait_for(asyncio.shield(blank.ready), _READY_TIMEOUT)
                except TimeoutError:
                    if isinstance(zygote, FunctionZygote):
                        self._function_zygote_failed(zygote)  # it does not fork
                    raise SandboxError("a prepared sandbox never got ready") from None
            if isinstance(zygote, FunctionZygote):
                # Sized when it was made (the configuration fixes its memory); it gets
                # its CPU back with the assignment.
                self._taint(uid, zygote)  # mapped into its namespace: its unit's uid now
                blank.assign(assignment, fds, spec.memory_mb)
            else:
                blank.cgroup.size(spec.memory_mb, zygote.shared_bytes if python_mode else 0)
                blank.assign(assignment, fds)

        try:
            try:
                await assign(blank, zygote)
            except SandboxError as error:
                # That one died while it waited (killed, or its zygote went): take a new
                # one from the runtime zygote, once.
                log.warning("a prepared sandbox was gone (%s); starting another", error)
                blank.discard()
                zygote = await self._zygote(interpreter, bootstrap)
                blank = self._blanks.spawn(zygote)
                await assign(blank, zygote)
        except BaseException:
            for fd in (output_r, learn_r):
                if fd >= 0:
                    os.close(fd)
            blank.discard()
            self.release_uid(uid)
            self._learning_failed(spec, recipe)
            raise
        finally:
            for fd in (output_w, learn_w):
                if fd >= 0:
                    os.close(fd)
        if recipe is not None and spec.zygote_key:
            self._learn(learn_r, spec.zygote_key, recipe)
        if isinstance(zygote, FunctionZygote):
            zygote.environments += 1
            zygote.last_used = time.monotonic()
        spec.work_dir.mkdir(parents=True, exist_ok=True)
        sandbox = LinuxSandbox(
            spec, self, blank, uid, output_r, on_output, zygote.shared_bytes if python_mode else 0
        )
        try:
            failure = await read_async(blank.exec_r, START_TIMEOUT)
        except BaseException:
            await sandbox.destroy()
            raise
        finally:
            os.close(blank.exec_r)
            blank.control.close()
        if failure:
            await sandbox.destroy()
            if failure.startswith("exec "):
                raise EntrypointError(exec_message(failure))
            raise SandboxError(f"sandbox set-up failed: {failure}")
        return sandbox

    def _function_zygote_failed(self, zygote: FunctionZygote) -> None:
        functions = self._functions
        if functions is not None and functions.ready(zygote.key) is zygote:
            log.warning("the function zygote of %s does not serve; retiring it", zygote.key)
            functions.failed(zygote.key)
            self._retire(zygote)

    def _learning_failed(self, spec: SandboxSpec, recipe: Recipe | None) -> None:
        """The environment that was to teach us its imports never started: the next one
        learns instead."""
        if recipe is not None and self._functions is not None and spec.zygote_key:
            self._functions.learned(spec.zygote_key, None)


class _Unsupported(SandboxError):
    """This machine cannot run function zygotes (unprivileged user namespaces are off)."""


class _Refused(SandboxError):
    """A function zygote refused its configuration (its imports failed, started threads
    or took too long): it would again, so it is not retried."""


def _opt_binds(opt_root: Path | None) -> list[tuple[str, str]]:
    """The function's layers at /opt (read-only, as the whole root is)."""
    return [(str(opt_root), OPT_ROOT)] if opt_root is not None else []

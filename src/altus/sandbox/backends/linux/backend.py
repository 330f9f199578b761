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

This module is the backend as the engine sees it: ``open`` proves the machine can
isolate (one trial sandbox), the runtime zygotes are started and restarted here, and
``create`` turns a spec into a running environment (a blank from the right zygote,
sized, assigned, waited for). The rest has a module of its own: one environment
(``sandbox.py``), the uids and when one may be handed out again (``uids.py``), the
function zygotes' lifecycle (``supervisor.py``), environments started ahead of need
(``blanks.py``), cgroups (``cgroups.py``), host paths as an environment sees them
(``paths.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from altus.runtimes.registry import RUNTIME_DIR
from altus.sandbox.backends.linux.blanks import Blank, Blanks, read_all, read_async
from altus.sandbox.backends.linux.cgroups import Cgroups
from altus.sandbox.backends.linux.paths import (
    RUNTIME_ROOT,
    TASK_ROOT,
    Paths,
    bootstrap_of,
    check_entrypoint,
    exec_message,
    opt_binds,
    prefix_of,
    without_pycache_prefix,
)
from altus.sandbox.backends.linux.sandbox import LinuxSandbox
from altus.sandbox.backends.linux.supervisor import FunctionZygoteSupervisor
from altus.sandbox.backends.linux.uids import Uids
from altus.sandbox.backends.linux.zygotes import (
    START_TIMEOUT,
    FunctionZygote,
    FunctionZygotes,
    Recipe,
    RuntimeZygote,
)
from altus.sandbox.base import EntrypointError, OutputSink, SandboxError, SandboxSpec

log = logging.getLogger(__name__)

_STATE_FILE = "linux-backend.json"
#: How long a cold start waits for a function zygote's blank to be ready (normally a
#: cgroup move, a few milliseconds) before it starts from the runtime zygote instead.
_READY_TIMEOUT = 5.0


class LinuxBackend:
    """Creates ``LinuxSandbox`` environments (the ``SandboxBackend`` of ``base.py``)."""

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
        shared: Sequence[tuple[Path, str]] = (),
    ) -> None:
        self._state_dir = state_dir
        #: Host directories every environment sees read-only, and where (the runtimes'
        #: SDK): in every zygote's template, and translated in environment variables.
        self._shared = [(str(host), inside) for host, inside in shared]
        self._template_root = state_dir / "root"
        self._empty = state_dir / "empty"
        self._uids = Uids(uid_base, uid_count)
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
        self._functions = FunctionZygoteSupervisor(
            (
                FunctionZygotes(function_zygotes, function_zygote_idle)
                if zygotes and function_zygotes > 0 and network == "host"
                else None
            ),
            self._blanks,
            self._uids,
            self._zygote,
        )

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
        self._functions.open(self._cgroups)
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
        # Runs off the event loop (blocking): the function zygotes' timer and tasks are
        # left to find the backend closed (see FunctionZygoteSupervisor.close).
        self._blanks.close()
        self._functions.close()
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
        """See ``SandboxBackend.allocate_uid``. An environment that will fork from a
        function zygote takes one of the uids its earlier environments had, when there
        is one. Raises SandboxError when none is left."""
        return self._uids.allocate(self._functions.ready(zygote_key))

    def release_uid(self, uid: int) -> None:
        """A uid an environment is done with (see ``Uids.release``)."""
        self._uids.release(uid)

    def gone(self, sandbox: LinuxSandbox, removed: bool) -> None:
        """A sandbox is destroyed (its cgroup ``removed`` with nothing left in it, or
        not): its uid is free, its function zygote has one environment less."""
        self.release_uid(sandbox.uid)
        zygote = sandbox.zygote
        if isinstance(zygote, FunctionZygote):
            self._functions.environment_gone(zygote, removed)

    # --- runtime zygotes -------------------------------------------------------------------

    def _binds_for(self, interpreter: str | None) -> list[tuple[str, str]]:
        binds = [(str(RUNTIME_DIR), RUNTIME_ROOT), *self._shared]
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
        return running + self._functions.describe()

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
        inside = Paths(spec.task_root, spec.opt_root, self._shared)
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
        assignment["binds"] = opt_binds(spec.opt_root)
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
                function, recipe = self._functions.for_cold_start(spec, interpreter, bootstrap, env)
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
                self._functions.failed(zygote)  # it does not take requests
                zygote = await self._zygote(interpreter, bootstrap)
                blank = self._blanks.take(zygote)
        except BaseException:
            self.release_uid(uid)
            self._functions.learning_failed(spec, recipe)
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
                        self._functions.failed(zygote)  # it does not fork
                    raise SandboxError("a prepared sandbox never got ready") from None
            if isinstance(zygote, FunctionZygote):
                # Sized when it was made (the configuration fixes its memory); it gets
                # its CPU back with the assignment.
                self._uids.taint(uid, zygote)  # mapped into its namespace: its unit's uid now
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
            self._functions.learning_failed(spec, recipe)
            raise
        finally:
            for fd in (output_w, learn_w):
                if fd >= 0:
                    os.close(fd)
        if recipe is not None and spec.zygote_key:
            self._functions.learn(learn_r, spec.zygote_key, recipe)
        if isinstance(zygote, FunctionZygote):
            self._functions.environment_started(zygote)
        spec.work_dir.mkdir(parents=True, exist_ok=True)
        sandbox = LinuxSandbox(
            spec,
            blank,
            uid,
            output_r,
            on_output,
            zygote.shared_bytes if python_mode else 0,
            self.gone,
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

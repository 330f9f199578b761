"""The zygotes environments are forked from, as the platform sees and manages them.

- ``RuntimeZygote``: one per Python interpreter, with Altus's runtime client imported
  (and the *launcher*, on the server's interpreter, for every runtime that is exec'd).
  Started by the platform, restarted when it dies.
- ``FunctionZygote``: one per function configuration that has been started before,
  forked by the runtime zygote of its interpreter. It runs in that function's root as a
  uid of its own and has imported what the function's first environment imported from
  installed distributions and the standard library (numpy, pandas, boto3 ...), so that
  its environments pay for those imports once, not at every cold start.
- ``FunctionZygotes``: the bookkeeping of function zygotes, pure and clock-driven: what
  each configuration has taught us, which zygote to start, to restart after a death, to
  evict (least recently used among those with no live environment, under a bound) and to
  retire when idle.

A zygote never serves two functions: the key is the function configuration
(``SandboxSpec.zygote_key``), and each function zygote has its own uid and root.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from altus.sandbox.backends.linux.blanks import exited
from altus.sandbox.backends.linux.cgroups import Cgroups, EnvironmentCgroup
from altus.sandbox.base import SandboxError

ZYGOTE = Path(__file__).with_name("zygote.py")
#: How long a zygote may take to start (a function zygote imports the function's
#: dependencies, at the function's share of a CPU).
START_TIMEOUT = 30.0
#: A function zygote that dies this often is not started again for its configuration.
MAX_FAILURES = 3
#: Configurations remembered (learned, failed, or with nothing worth a zygote).
MAX_REMEMBERED = 4096


def resident_bytes(pid: int) -> int:
    """VmRSS of a process: what an environment forked from it shares with it."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _send(
    control: socket.socket | None, request: dict[str, Any], fds: list[int], what: str
) -> None:
    """One request to a zygote over its control socket. Raises SandboxError."""
    if control is None:
        raise SandboxError(f"{what} is not running")
    try:
        socket.send_fds(control, [json.dumps(request).encode()], fds)
    except OSError as error:
        raise SandboxError(f"{what} is gone: {error}") from None


_SIGKILL_BIT = 1 << (signal.SIGKILL - 1)


def kill_pending(status_fd: int) -> bool:
    """Whether the process whose ``/proc/<pid>/status`` is open at ``status_fd`` is gone
    or has a SIGKILL pending (a frozen process dies of it only once thawed)."""
    try:
        data = os.pread(status_fd, 4096, 0)
    except OSError:
        return True
    for line in data.splitlines():
        if line.startswith((b"SigPnd:", b"ShdPnd:")) and int(line.split()[1], 16) & _SIGKILL_BIT:
            return True
    return False


class RuntimeZygote:
    """A zygote process of one interpreter, started by the platform."""

    #: Its environments need no user namespace: it forks them as root.
    userns = False

    def __init__(
        self,
        interpreter: str,
        template_root: Path,
        binds: list[tuple[str, str]],
        bootstrap: Path | None,
        cgroups: Cgroups | None = None,
    ) -> None:
        self.interpreter = interpreter
        self.pool_key = interpreter if bootstrap is not None else ""
        self._template_root = template_root
        self._binds = binds
        self._bootstrap = bootstrap
        #: Swept by the zygote if the platform dies outright (see zygote.py).
        self._cgroups = cgroups
        self._process: subprocess.Popen[bytes] | None = None
        self._control: socket.socket | None = None
        #: Memory an environment forked from it shares with it (Python runtimes only:
        #: the launcher's environments exec a program of their own).
        self.shared_bytes = 0

    def start(self) -> None:
        """Start the zygote and wait until it is ready (blocking). Raises SandboxError."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        argv = [
            self.interpreter,
            "-S",
            "-B",
            "-u",
            str(ZYGOTE),
            str(self._template_root),
            json.dumps(self._binds),
            str(theirs.fileno()),
        ]
        if self._bootstrap is not None:
            argv.append(str(self._bootstrap))
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
        if self._cgroups is not None:
            env["ALTUS_CGROUP_ROOT"] = str(self._cgroups.freezer_root)
            env["ALTUS_CGROUP_UNIFIED"] = "1" if self._cgroups.unified else "0"
        try:
            self._process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                pass_fds=(theirs.fileno(),),
                env=env,
            )
        except OSError as error:
            ours.close()
            raise SandboxError(f"cannot start a zygote on {self.interpreter}: {error}") from None
        finally:
            theirs.close()
        self._control = ours
        ours.settimeout(START_TIMEOUT)
        try:
            answer = ours.recv(4096)
        except OSError:
            answer = b""
        if answer != b"ready":
            self.close()
            detail = answer.decode(errors="replace").removeprefix("error ") or "exited"
            raise SandboxError(f"zygote on {self.interpreter} failed to start: {detail}")
        ours.setblocking(True)
        if self._bootstrap is not None:
            self.shared_bytes = resident_bytes(self._process.pid)

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def forked(self) -> None:
        pass  # nothing to do: a runtime zygote is never frozen

    def prepare(self, cgroup: EnvironmentCgroup) -> None:
        pass  # its blanks run only Altus's code until their assignment sizes them

    def cgroup_removed(self, removed: bool) -> None:
        pass

    async def admit(self, pid: int, cgroup: EnvironmentCgroup) -> tuple[int, int]:
        raise SandboxError("a runtime zygote's blanks join their cgroup themselves")

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def fork(self, request: dict[str, Any], fds: list[int]) -> None:
        """Send one request (an environment, or a function zygote). The fds are
        duplicated into the zygote by the send."""
        _send(self._control, request, fds, f"zygote on {self.interpreter}")

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


class FunctionZygote:
    """A zygote of one function configuration, forked by a runtime zygote (so not the
    platform's child: watched through a pidfd, killed through it and its cgroup).

    It has run the function's own import code, and so has every process descended from
    it (keepers and inits of its environments included): all of them are the function's,
    a *unit* accounted as one. Nothing the unit says is trusted (PIDs are the kernel's
    word), nothing privileged is handed to it, its cgroup is frozen except while it
    forks, and every uid it ever held (its own, its environments') returns to the shared
    pool only once it is closed and every cgroup of the unit (its own, its blanks', its
    environments') has been removed with nothing left in it."""

    #: Unprivileged: each environment it forks makes its namespaces inside a user
    #: namespace of its own, into which the platform maps the environment's uid.
    userns = True

    def __init__(
        self,
        key: str,
        interpreter: str,
        control: socket.socket,
        pid: int,
        uid: int,
        cgroup: EnvironmentCgroup,
        modules: int,
        memory_mb: int,
    ) -> None:
        self.key = key
        self.interpreter = interpreter
        self.pool_key = f"function:{key}"
        self.pid = pid
        self.uid = uid
        self.cgroup = cgroup
        self.memory_mb = memory_mb
        #: How many modules it says it imported ahead of its environments.
        self.modules = modules
        self.shared_bytes = resident_bytes(pid)
        #: Live environments forked from it (it is evicted or retired only at 0).
        self.environments = 0
        self.last_used = time.monotonic()
        #: Every uid the unit held, and those free for its next environments.
        self.uids: set[int] = {uid}
        self.free_uids: list[int] = []
        self.closed = False
        #: Called once the unit is drained (closed, every cgroup of it removed).
        self.on_drained: Callable[[FunctionZygote], None] | None = None
        self._held = 1  # cgroups of the unit not yet removed: its own, for a start
        self._own_removed = False
        #: Fork requests not yet answered: it runs (thawed) while there are any.
        self._pending = 0
        self._admitting = asyncio.Lock()
        control.setblocking(False)  # a zygote that stops reading fails, never blocks
        self._control: socket.socket | None = control
        self._pidfd: int | None = None
        self._status: int | None = None
        with contextlib.suppress(OSError):
            self._pidfd = os.pidfd_open(pid)
            self._status = os.open(f"/proc/{pid}/status", os.O_RDONLY | os.O_CLOEXEC)

    @property
    def alive(self) -> bool:
        """Running, and not about to die: frozen between forks, it would die of a kill
        only when next thawed."""
        if self._control is None or self._pidfd is None or self._status is None:
            return False
        return not exited(self._pidfd) and not kill_pending(self._status)

    # --- forking blanks -----------------------------------------------------------------

    def prepare(self, cgroup: EnvironmentCgroup) -> None:
        """A blank's cgroup, before the fork: part of the unit, and sized at once (what
        runs in it before its assignment is the function's code too)."""
        self._held += 1
        cgroup.size(self.memory_mb, self.shared_bytes)

    def fork(self, request: dict[str, Any], fds: list[int]) -> None:
        if self.closed:
            raise SandboxError(f"function zygote of {self.key} is closed")
        with contextlib.suppress(OSError):
            self.cgroup.thaw()
        try:
            _send(self._control, request, fds, f"function zygote of {self.key}")
        except SandboxError:
            self.rest()
            raise
        self._pending += 1

    def forked(self) -> None:
        self._pending = max(0, self._pending - 1)
        self.rest()

    def rest(self) -> None:
        """Freeze it when it has nothing to fork."""
        if self._pending == 0 and not self.closed and not self._admitting.locked():
            with contextlib.suppress(OSError):
                self.cgroup.freeze()

    async def admit(self, pid: int, cgroup: EnvironmentCgroup) -> tuple[int, int]:
        """Move ``pid``, which must be one of its own processes (in its own cgroup), into
        ``cgroup`` (a blank's), and return a pidfd and a ``/proc/<pid>`` directory of
        that process. The check and the move are made with its cgroup frozen: a frozen
        process cannot exit (cgroup v1), so the number cannot pass to another process in
        between. Raises SandboxError."""
        async with self._admitting:
            with contextlib.suppress(OSError):
                self.cgroup.freeze()
            try:
                return await asyncio.to_thread(self._admit, pid, cgroup)
            finally:
                if self._pending and not self.closed:
                    with contextlib.suppress(OSError):
                        self.cgroup.thaw()

    def _admit(self, pid: int, cgroup: EnvironmentCgroup) -> tuple[int, int]:
        self.cgroup.wait_frozen()
        if pid not in self.cgroup.pids():
            raise SandboxError("a prepared sandbox was not the zygote's")
        procfd = os.open(f"/proc/{pid}", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:
            os.close(procfd)
            raise
        try:
            cgroup.join(pid)
        except OSError:
            os.close(procfd)
            os.close(pidfd)
            raise
        return pidfd, procfd

    # --- the unit's end -------------------------------------------------------------------

    def cgroup_removed(self, removed: bool) -> None:
        """A blank's or environment's cgroup of the unit is gone (``removed``: with
        nothing left in it; if not, the unit never drains and its uids stay out of use)."""
        if removed:
            self._held -= 1
            self._maybe_drained()

    def close(self) -> bool:
        """Stop it and whatever is left in its cgroup (blocking, bounded). Environments
        forked from it end as any environment does. True once nothing is left in its
        own cgroup."""
        self.closed = True
        if self._control is not None:
            self._control.close()
            self._control = None
        if self._pidfd is not None:
            with contextlib.suppress(OSError):
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
            os.close(self._pidfd)
            self._pidfd = None
        if self._status is not None:
            os.close(self._status)
            self._status = None
        return self.cgroup.remove()  # thaws and kills what is left

    def closed_cleanly(self) -> None:
        """Its own cgroup is gone: one cgroup of the unit less (on the event loop)."""
        if not self._own_removed:
            self._own_removed = True
            self.cgroup_removed(True)

    def _maybe_drained(self) -> None:
        if self.closed and self._held == 0 and self.on_drained is not None:
            on_drained, self.on_drained = self.on_drained, None
            on_drained(self)

    def describe(self) -> dict[str, Any]:
        return {
            "function": self.key,
            "pid": self.pid,
            "uid": self.uid,
            "modules": self.modules,
            "environments": self.environments,
            "shared_mb": round(self.shared_bytes / (1024 * 1024), 1),
        }


@dataclass
class Recipe:
    """How to start a configuration's function zygote, learned from its first
    environment: what that environment ran and the modules its INIT imported."""

    interpreter: str
    bootstrap: Path
    task_root: Path
    #: The function's merged layers (None: an empty /opt).
    opt_root: Path | None
    env: dict[str, str]
    memory_mb: int
    handler: str
    modules: list[str] = field(default_factory=list)


class State(enum.Enum):
    LEARNING = "learning"  # an environment of it reports what its INIT imports
    STARTING = "starting"
    READY = "ready"
    WAITING = "waiting"  # learned, no zygote: started at its next cold start
    PLAIN = "plain"  # nothing worth a zygote (its INIT imported nothing preloadable)
    FAILED = "failed"


@dataclass
class _Entry:
    state: State
    recipe: Recipe | None = None
    zygote: FunctionZygote | None = None
    failures: int = 0


class FunctionZygotes:
    """Which configuration has which function zygote, and what to do next. Pure: the
    backend starts and closes the processes; this decides."""

    def __init__(
        self, limit: int, idle_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.idle_seconds = idle_seconds
        self._clock = clock
        self._entries: dict[str, _Entry] = {}

    def state(self, key: str) -> State | None:
        entry = self._entries.get(key)
        return entry.state if entry is not None else None

    def ready(self, key: str) -> FunctionZygote | None:
        """The configuration's zygote when it has one (alive or not: the caller checks)."""
        entry = self._entries.get(key)
        if entry is None or entry.state is not State.READY:
            return None
        assert entry.zygote is not None
        entry.zygote.last_used = self._clock()
        return entry.zygote

    def plan(self, key: str) -> str | None:
        """What a cold start of ``key`` without a zygote does besides starting: ``learn``
        (its environment reports its imports), ``start`` (start the zygote now, from
        what was learned), or nothing."""
        entry = self._entries.get(key)
        if entry is None:
            self._remember(key, _Entry(State.LEARNING))
            return "learn"
        if entry.state is State.WAITING:
            entry.state = State.STARTING
            return "start"
        return None

    def learned(self, key: str, recipe: Recipe | None) -> bool:
        """The learning environment reported (``None``: it ended without a report, so
        the next cold start learns again). True: start the zygote now."""
        entry = self._entries.get(key)
        if entry is None or entry.state is not State.LEARNING:
            return False
        if recipe is None:
            del self._entries[key]
            return False
        entry.recipe = recipe
        if not recipe.modules:
            entry.state = State.PLAIN
            return False
        entry.state = State.STARTING
        return True

    def recipe(self, key: str) -> Recipe | None:
        entry = self._entries.get(key)
        return entry.recipe if entry is not None else None

    def make_room(self, key: str) -> list[FunctionZygote] | None:
        """Room for ``key``'s zygote: the zygotes to close first (least recently used,
        with no live environment), or None when every slot holds a busy one."""
        occupied = [
            k
            for k, e in self._entries.items()
            if k != key and e.state in (State.READY, State.STARTING)
        ]
        excess = len(occupied) + 1 - self.limit
        if excess <= 0:
            return []
        idle = sorted(
            (
                e.zygote
                for e in self._entries.values()
                if e.state is State.READY and e.zygote is not None and e.zygote.environments == 0
            ),
            key=lambda z: z.last_used,
        )
        if len(idle) < excess:
            return None
        victims = idle[:excess]
        for victim in victims:
            self._entries[victim.key].state = State.WAITING
            self._entries[victim.key].zygote = None
        return victims

    def started(self, key: str, zygote: FunctionZygote) -> None:
        entry = self._entries.setdefault(key, _Entry(State.STARTING))
        entry.state, entry.zygote = State.READY, zygote

    def plain(self, key: str) -> None:
        """Its zygote imported nothing: environments of ``key`` start from the runtime
        zygote for good."""
        entry = self._entries.get(key)
        if entry is not None:
            entry.state, entry.zygote = State.PLAIN, None

    def postpone(self, key: str) -> None:
        """No room now: try again at its next cold start."""
        entry = self._entries.get(key)
        if entry is not None:
            entry.state, entry.zygote = State.WAITING, None

    def failed(self, key: str, permanent: bool = False) -> None:
        """Its zygote died or could not start: started again later, unless it keeps
        failing or the failure is its own (``permanent``: its imports failed or took
        too long, which they would again)."""
        entry = self._entries.get(key)
        if entry is None:
            return
        entry.failures += 1
        entry.zygote = None
        entry.state = State.FAILED if permanent or entry.failures >= MAX_FAILURES else State.WAITING

    def expired(self) -> list[FunctionZygote]:
        """Zygotes idle (no live environment, unused) for ``idle_seconds``: forgotten
        here, for the caller to close."""
        cutoff = self._clock() - self.idle_seconds
        gone = [
            e.zygote
            for e in self._entries.values()
            if e.state is State.READY
            and e.zygote is not None
            and e.zygote.environments == 0
            and e.zygote.last_used <= cutoff
        ]
        for zygote in gone:
            del self._entries[zygote.key]
        return gone

    def next_expiry(self) -> float | None:
        """When the next idle zygote expires (clock time), if any is idle."""
        times = [
            e.zygote.last_used + self.idle_seconds
            for e in self._entries.values()
            if e.state is State.READY and e.zygote is not None and e.zygote.environments == 0
        ]
        return min(times) if times else None

    def zygotes(self) -> list[FunctionZygote]:
        return [
            e.zygote
            for e in self._entries.values()
            if e.state is State.READY and e.zygote is not None
        ]

    def clear(self) -> list[FunctionZygote]:
        live = self.zygotes()
        self._entries.clear()
        return live

    def _remember(self, key: str, entry: _Entry) -> None:
        if len(self._entries) >= MAX_REMEMBERED:
            # Forget the oldest configuration that holds no process.
            for old, held in self._entries.items():
                if held.state not in (State.READY, State.STARTING, State.LEARNING):
                    del self._entries[old]
                    break
        self._entries[key] = entry

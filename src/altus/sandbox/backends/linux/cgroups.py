"""cgroups for execution environments: memory, CPU, pids and the freezer.

One cgroup per environment, under a root that belongs to this server
(``<the server's own cgroup>/altus-<id>``), so that two servers on one machine never
touch each other's environments. Both hierarchies are supported and detected at start:

- v2 (unified; most current distributions): ``memory.max``, ``memory.peak``,
  ``cpu.weight`` / ``cpu.max``, ``pids.max``, ``cgroup.freeze``, ``cgroup.kill``.
- v1 (one hierarchy per controller): ``memory.limit_in_bytes``,
  ``memory.max_usage_in_bytes``, ``cpu.shares`` / ``cpu.cfs_quota_us``, ``pids.max``,
  ``freezer.state``.

Sizes follow Lambda: memory = MemorySize, CPU proportional to memory (one full vCPU at
1,769 MB), at most 1,024 processes and threads. The runtime process joins its cgroup
itself, before it runs anything, by writing ``0`` to descriptors of the ``cgroup.procs``
files that the platform opened and passed to it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

#: MemorySize at which Lambda gives a function one full vCPU.
MB_PER_VCPU = 1769
#: Lambda's limit on processes and threads per execution environment.
PIDS_MAX = 1024
#: The CFS period a function's CPU share is enforced over. A short one keeps a function
#: that uses up its share from waiting long for the next: at 100 ms (the kernel's
#: default), a 128 MB function (7% of a CPU) invoked back to back ran for 7 ms, then
#: waited 93 ms, its p99. At 10 ms the wait is under 14 ms; the share is the same.
_CFS_PERIOD_US = 10_000
#: The kernel's floor on a quota: a smaller share gets a longer period instead.
_MIN_QUOTA_US = 1000
#: The longest period (a blank waiting for assignment: 1% of a CPU).
_MAX_PERIOD_US = 100_000
#: The least memory an environment's own cgroup is given, whatever it shares.
_MIN_MEMORY = 16 * 1024 * 1024
_V1_CONTROLLERS = ("memory", "cpu", "pids", "freezer")


class CgroupError(OSError):
    """cgroups are missing or refuse what an environment needs."""


def _write(path: Path, value: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)


def cfs_quota(cpus: float) -> tuple[int, int]:
    """(quota, period) in µs for a share of ``cpus`` CPUs: the share over
    ``_CFS_PERIOD_US``, or over a longer period where the quota would fall under the
    kernel's floor (at least 1% of a CPU)."""
    period = _CFS_PERIOD_US
    quota = round(period * cpus)
    if quota < _MIN_QUOTA_US:
        period = min(_MAX_PERIOD_US, round(_MIN_QUOTA_US / cpus)) if cpus > 0 else _MAX_PERIOD_US
        quota = _MIN_QUOTA_US
    return quota, period


def _read_int(fd: int, key: bytes | None = None) -> int:
    """An integer from an open cgroup file: the whole file, or the ``key N`` line."""
    try:
        data = os.pread(fd, 4096, 0)
    except OSError:
        return 0
    if key is None:
        text = data.strip()
        return int(text) if text.isdigit() else 0
    for line in data.splitlines():
        name, _, value = line.partition(b" ")
        if name == key and value.strip().isdigit():
            return int(value)
    return 0


@dataclass
class EnvironmentCgroup:
    """The cgroup (one directory per v1 controller, or one v2 directory) of one
    environment, with descriptors kept open for what the invoke path reads and writes."""

    dirs: list[Path]
    unified: bool
    _freeze_fd: int = -1
    _peak_fd: int = -1
    _oom_fd: int = -1
    _frozen: bool = field(default=False)

    def __post_init__(self) -> None:
        flags = os.O_CLOEXEC
        if self.unified:
            base = self.dirs[0]
            self._freeze_fd = os.open(base / "cgroup.freeze", os.O_WRONLY | flags)
            peak = base / "memory.peak"
            self._peak_fd = os.open(
                peak if peak.exists() else base / "memory.current", os.O_RDONLY | flags
            )
            self._oom_fd = os.open(base / "memory.events", os.O_RDONLY | flags)
        else:
            memory, freezer = self.dirs[0], self.dirs[3]  # in _V1_CONTROLLERS order
            self._freeze_fd = os.open(freezer / "freezer.state", os.O_WRONLY | flags)
            self._peak_fd = os.open(memory / "memory.max_usage_in_bytes", os.O_RDONLY | flags)
            self._oom_fd = os.open(memory / "memory.oom_control", os.O_RDONLY | flags)

    def size(self, memory_mb: int, shared_bytes: int = 0, waiting: bool = False) -> None:
        """Memory = ``memory_mb``, less ``shared_bytes`` (what the environment uses of its
        zygote's memory, charged there and not here); CPU in proportion to
        ``memory_mb``, as Lambda gives it, or (``waiting``) the least CPU the kernel
        allows, for an environment that must not run until ``give_cpu``. Raises OSError."""
        memory = max(memory_mb * 1024 * 1024 - shared_bytes, _MIN_MEMORY)
        if self.unified:
            d = self.dirs[0]
            _write(d / "memory.max", str(memory))
            with contextlib.suppress(OSError):
                _write(d / "memory.swap.max", "0")
        else:
            memory_dir = self.dirs[0]
            _write(memory_dir / "memory.limit_in_bytes", str(memory))
            swap = memory_dir / "memory.memsw.limit_in_bytes"
            if swap.exists():
                with contextlib.suppress(OSError):
                    _write(swap, str(memory))
        self.give_cpu(0 if waiting else memory_mb)

    def give_cpu(self, memory_mb: int) -> None:
        """CPU in proportion to ``memory_mb`` (0: the least there is, 1% of a CPU).
        Raises OSError."""
        cpus = memory_mb / MB_PER_VCPU
        quota, period = cfs_quota(cpus)
        if self.unified:
            d = self.dirs[0]
            _write(d / "cpu.weight", str(max(1, min(10000, round(100 * cpus)))))
            _write(d / "cpu.max", f"{quota} {period}")
            return
        cpu_dir = self.dirs[1]
        _write(cpu_dir / "cpu.shares", str(max(2, round(1024 * cpus))))
        # v1 takes the quota and the period in two writes, and checks the share between
        # them against the parent's: of the two orders, the one whose in-between share is
        # the smaller.
        quota_file, period_file = cpu_dir / "cpu.cfs_quota_us", cpu_dir / "cpu.cfs_period_us"
        old_quota, old_period = int(quota_file.read_text()), int(period_file.read_text())
        writes = [(quota_file, quota), (period_file, period)]
        if old_quota >= 0 and old_quota / period < quota / old_period:
            writes.reverse()
        for path, value in writes:
            _write(path, str(value))

    def join(self, pid: int) -> None:
        """Move process ``pid`` (and, later, its children) into this cgroup, as root.
        Blocking: on cgroup v1 a move waits for an RCU grace period. Raises OSError."""
        for d in self.dirs:
            _write(d / "cgroup.procs", str(pid))

    def procs_fds(self) -> list[int]:
        """Fresh write descriptors of every ``cgroup.procs``, for the runtime to join by.
        The caller hands them to the sandbox and closes its copies."""
        return [os.open(d / "cgroup.procs", os.O_WRONLY | os.O_CLOEXEC) for d in self.dirs]

    @property
    def frozen(self) -> bool:
        return self._frozen

    def freeze(self) -> None:
        if not self._frozen:
            os.pwrite(self._freeze_fd, b"1" if self.unified else b"FROZEN", 0)
            self._frozen = True

    def thaw(self) -> None:
        if self._frozen:
            os.pwrite(self._freeze_fd, b"0" if self.unified else b"THAWED", 0)
            self._frozen = False

    def wait_frozen(self, timeout: float = 1.0) -> bool:
        """Block until a freeze has taken hold of every process (v1 freezes them one by
        one: ``FREEZING`` until ``FROZEN``). True if it did within ``timeout``."""
        state = self.dirs[0] / "cgroup.events" if self.unified else self.dirs[3] / "freezer.state"
        deadline = time.monotonic() + timeout
        for attempt in range(10_000):
            try:
                text = state.read_text()
            except OSError:
                return False
            if ("frozen 1" in text) if self.unified else (text.strip() == "FROZEN"):
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(min(0.0002 * (attempt + 1), 0.01))
        return False

    def peak_bytes(self) -> int:
        return _read_int(self._peak_fd)

    def oom_kills(self) -> int:
        return _read_int(self._oom_fd, b"oom_kill")

    def pids(self) -> list[int]:
        found: set[int] = set()
        for d in self.dirs:
            with contextlib.suppress(OSError):
                found.update(int(p) for p in (d / "cgroup.procs").read_text().split())
        return sorted(found)

    def kill_all(self) -> None:
        """SIGKILL every process in the cgroup (frozen ones die once thawed)."""
        if self.unified:
            with contextlib.suppress(OSError):
                _write(self.dirs[0] / "cgroup.kill", "1")
                self.thaw()
                return
        for pid in self.pids():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            self.thaw()

    def remove(self, timeout: float = 5.0) -> bool:
        """Kill what is left and delete the cgroup (blocking, bounded). True if gone."""
        for fd in (self._freeze_fd, self._peak_fd, self._oom_fd):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._freeze_fd = self._peak_fd = self._oom_fd = -1
        return _remove_dirs(self.dirs, timeout)


def _remove_dirs(dirs: list[Path], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    remaining = [d for d in dirs if d.exists()]
    for attempt in range(10_000):
        for d in list(remaining):
            for pid in _procs(d):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            state = d / "freezer.state"
            # Thawed once, after the kills (a frozen process dies only once thawed):
            # every write takes the v1 freezer's one global lock, which every freeze,
            # thaw and move on the machine waits for.
            if attempt == 0 and state.exists():
                with contextlib.suppress(OSError):
                    _write(state, "THAWED")
            try:
                d.rmdir()
                remaining.remove(d)
            except FileNotFoundError:
                remaining.remove(d)
            except OSError as error:
                if error.errno != errno.EBUSY:
                    remaining.remove(d)
        if not remaining or time.monotonic() > deadline:
            break
        time.sleep(min(0.001 * (attempt + 1), 0.05))
    return not remaining


def _procs(d: Path) -> list[int]:
    try:
        return [int(p) for p in (d / "cgroup.procs").read_text().split()]
    except (OSError, ValueError):
        return []


class Cgroups:
    """This server's cgroup root, and the environments' cgroups under it."""

    def __init__(self, roots: list[Path], unified: bool) -> None:
        self.roots = roots
        self.unified = unified

    @property
    def freezer_root(self) -> Path:
        """The root whose environments the freezer holds (v1's freezer hierarchy)."""
        return self.roots[0] if self.unified else self.roots[_V1_CONTROLLERS.index("freezer")]

    @classmethod
    def create(cls, name: str | None = None) -> Cgroups:
        """Detect the hierarchy and make this server's root. Raises CgroupError."""
        name = name or f"altus-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        own = _own_cgroups()
        mounts = _cgroup_mounts()
        if "" in mounts and "" in own and not any(c in mounts for c in _V1_CONTROLLERS):
            return cls._create_v2(mounts[""] / own[""].lstrip("/"), name)
        roots = []
        for controller in _V1_CONTROLLERS:
            if controller not in mounts:
                raise CgroupError(f"the cgroup v1 {controller} controller is not mounted")
            base = mounts[controller] / own.get(controller, "/").lstrip("/")
            roots.append(base / name)
        try:
            for root in roots:
                root.mkdir(exist_ok=True)
            memory = roots[0]
            # Children account their usage in the parent as well.
            with contextlib.suppress(OSError):
                _write(memory / "memory.use_hierarchy", "1")
        except OSError as error:
            _remove_dirs(roots, 1.0)
            raise CgroupError(f"cannot create cgroups: {error}") from None
        return cls(roots, unified=False)

    @classmethod
    def _create_v2(cls, base: Path, name: str) -> Cgroups:
        wanted = {"memory", "cpu", "pids"}
        enable = " ".join(f"+{c}" for c in sorted(wanted))
        root = base / name
        try:
            available = set((base / "cgroup.controllers").read_text().split())
            if not wanted <= available:
                raise CgroupError(f"cgroup v2 controllers missing: {sorted(wanted - available)}")
            delegated = set((base / "cgroup.subtree_control").read_text().split())
            if not wanted <= delegated:
                try:
                    _write(base / "cgroup.subtree_control", enable)
                except OSError as error:
                    if error.errno != errno.EBUSY:
                        raise
                    # v2 lets a cgroup with processes of its own hand no controllers to
                    # children: the server moves into a leaf of its own first.
                    leaf = base / f"{name}-server"
                    leaf.mkdir(exist_ok=True)
                    _write(leaf / "cgroup.procs", str(os.getpid()))
                    _write(base / "cgroup.subtree_control", enable)
            root.mkdir(exist_ok=True)
            _write(root / "cgroup.subtree_control", enable)
        except CgroupError:
            raise
        except OSError as error:
            _remove_dirs([root], 1.0)
            raise CgroupError(f"cannot create cgroups: {error}") from None
        return cls([root], unified=True)

    def environment(self, env_id: str) -> EnvironmentCgroup:
        """A new environment's cgroup (sized later, by ``EnvironmentCgroup.size``)."""
        dirs = [root / env_id for root in self.roots]
        try:
            for d in dirs:
                d.mkdir()
            cgroup = EnvironmentCgroup(dirs, self.unified)
            if self.unified:
                _write(dirs[0] / "pids.max", str(PIDS_MAX))
            else:
                _write(dirs[2] / "pids.max", str(PIDS_MAX))
            return cgroup
        except OSError as error:
            _remove_dirs(dirs, 1.0)
            raise CgroupError(f"cannot create the environment's cgroup: {error}") from None

    def sweep(self) -> int:
        """Remove every environment cgroup under this root (a previous run's leftovers);
        returns how many had processes."""
        busy = 0
        for env_dirs in self._children():
            if any(_procs(d) for d in env_dirs):
                busy += 1
            _remove_dirs(env_dirs, 2.0)
        return busy

    def _children(self) -> Iterator[list[Path]]:
        names: set[str] = set()
        for root in self.roots:
            with contextlib.suppress(OSError):
                names.update(p.name for p in root.iterdir() if p.is_dir())
        for name in sorted(names):
            yield [root / name for root in self.roots]

    def close(self) -> None:
        self.sweep()
        _remove_dirs(self.roots, 2.0)


def _own_cgroups() -> dict[str, str]:
    """controller -> this process's cgroup path ("" is the v2 hierarchy)."""
    own: dict[str, str] = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(","):
            own[controller] = path
    return own


def _cgroup_mounts() -> dict[str, Path]:
    """controller -> its mount point ("" is the v2 hierarchy)."""
    mounts: dict[str, Path] = {}
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(fields) < 5 or len(tail) < 3:
            continue
        point = Path(fields[4].replace("\\040", " "))
        if tail[0] == "cgroup2":
            mounts.setdefault("", point)
        elif tail[0] == "cgroup":
            for option in tail[2].split(","):
                if option in _V1_CONTROLLERS:
                    mounts.setdefault(option, point)
    return mounts

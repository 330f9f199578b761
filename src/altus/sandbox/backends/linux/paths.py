"""Paths between the host and an environment's view, and runtime entry points.

The engine names paths in host terms (the code directory, Altus's runtime clients); an
environment of the ``linux`` sandbox sees them at ``/var/task`` and ``/var/runtime``.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from altus.runtimes.registry import RUNTIME_DIR
from altus.sandbox.base import EntrypointError

TASK_ROOT = "/var/task"
RUNTIME_ROOT = "/var/runtime"
OPT_ROOT = "/opt"


class Paths:
    """Host paths in the engine's terms <-> what the environment sees."""

    def __init__(
        self,
        task_root: Path,
        opt_root: Path | None = None,
        shared: Sequence[tuple[str, str]] = (),
    ) -> None:
        self._map = [(str(task_root), TASK_ROOT), (str(RUNTIME_DIR), RUNTIME_ROOT), *shared]
        if opt_root is not None:
            self._map.append((str(opt_root), OPT_ROOT))

    def rewrite(self, value: str) -> str:
        # Lists of paths (PATH, NODE_PATH ...): each member on its own.
        if ":" in value:
            return ":".join(self._rewrite_one(part) for part in value.split(":"))
        return self._rewrite_one(value)

    def _rewrite_one(self, value: str) -> str:
        for host, inside in self._map:
            if value == host or value.startswith(host + "/"):
                return inside + value[len(host) :]
        return value

    def host(self, value: str) -> str:
        for host, inside in self._map:
            if value == inside or value.startswith(inside + "/"):
                return host + value[len(inside) :]
        return value


def prefix_of(executable: str) -> str | None:
    """The installation prefix of an interpreter outside /usr (pyenv, nvm ...), which the
    environment needs to see; None when /usr already covers it."""
    real = Path(os.path.realpath(executable))
    prefix = real.parent.parent
    if str(prefix) in ("/", "/usr") or str(prefix).startswith("/usr/"):
        return None
    return str(prefix)


def without_pycache_prefix(argv: Iterable[str]) -> list[str]:
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


def bootstrap_of(argv: Iterable[str]) -> Path:
    return next(Path(a) for a in argv if a.endswith("bootstrap.py"))


def check_entrypoint(inside: str, host: str) -> None:
    if not os.path.isfile(host):
        raise EntrypointError(f"Couldn't find valid bootstrap(s): [{inside}]")
    if not os.access(host, os.X_OK):
        raise EntrypointError(f"fork/exec {inside}: permission denied")


def exec_message(failure: str) -> str:
    # "exec <path>: <strerror>" -> Lambda's wording.
    path, _, reason = failure.removeprefix("exec ").rpartition(": ")
    if reason == os.strerror(errno.ENOENT):
        return f"Couldn't find valid bootstrap(s): [{path}]"
    if reason == os.strerror(errno.EACCES):
        return f"fork/exec {path}: permission denied"
    return f"fork/exec {path}: {reason}"


def opt_binds(opt_root: Path | None) -> list[tuple[str, str]]:
    """The function's layers at /opt (read-only, as the whole root is)."""
    return [(str(opt_root), OPT_ROOT)] if opt_root is not None else []

"""The sandbox interface: an execution environment's processes, isolated and metered.

A backend turns a ``SandboxSpec`` (what to run, with which environment, code, /tmp and
limits) into a running ``Sandbox``. The engine never touches processes directly; it asks
the sandbox to drain output, report memory, freeze, thaw and die.

Backends: ``process`` (portable: a subprocess with rlimits, its own /tmp and working
directory) and ``linux`` (namespaces, cgroups, one uid per environment, zygotes).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from altus.errors import AltusError

#: Called with each chunk of the sandbox's combined stdout and stderr, in order.
OutputSink = Callable[[bytes], None]


class SandboxError(AltusError):
    """Root of the sandbox layer's errors."""


class EntrypointError(SandboxError):
    """The runtime's entry point cannot be started (missing, not executable); the engine
    reports it as Lambda does, as ``Runtime.InvalidEntrypoint``."""


@dataclass(frozen=True, slots=True)
class SandboxSpec:
    """Everything a backend needs to start an execution environment."""

    sandbox_id: str
    argv: Sequence[str]
    env: Mapping[str, str]
    #: The function's unpacked code (read-only; /var/task inside an isolating backend).
    task_root: Path
    #: The environment's own directory; its ``tmp`` is the writable /tmp.
    work_dir: Path
    memory_mb: int
    ephemeral_storage_mb: int = 512
    #: The interpreter, when ``argv`` runs Altus's own Python runtime client on it: a
    #: backend with zygotes of that interpreter can start it without an exec.
    python: str | None = None
    #: The uid the environment runs as, from the backend's ``allocate_uid`` (None where
    #: the backend runs every environment as the server's own user).
    uid: int | None = None
    #: What the environment is built from (function, version, configuration): a backend
    #: may keep a zygote with the dependencies of one key imported, and fork the key's
    #: later environments from it. Environments of different keys never share one.
    zygote_key: str | None = None
    #: The function's layers merged in order (read-only; /opt inside an isolating
    #: backend); None when it has none.
    opt_root: Path | None = None


class Sandbox(Protocol):
    """A running execution environment."""

    sandbox_id: str

    @property
    def pid(self) -> int: ...

    @property
    def exited(self) -> asyncio.Future[int]:
        """Resolves with the exit status once every byte of output has been delivered:
        ``>= 0`` an exit code, ``< 0`` the signal that killed it."""
        ...

    def drain_output(self) -> None:
        """Deliver whatever output is already written, synchronously. Called when the
        runtime reports a result, so that output printed before it is attributed to that
        invocation."""
        ...

    def max_memory_mb(self) -> int:
        """Peak memory of the environment so far, in MB."""
        ...

    def out_of_memory(self) -> bool:
        """Whether the kernel killed a process of the environment for memory."""
        ...

    def freeze(self) -> None:
        """Stop the environment's processes while it is idle (no-op where unsupported)."""
        ...

    def thaw(self) -> bool:
        """Resume a frozen environment. False if it is dead or dying (killed while it was
        frozen): it must not be given an invoke."""
        ...

    def kill(self) -> None:
        """Kill every process of the environment. Idempotent; never raises."""
        ...

    async def destroy(self) -> None:
        """Kill, reap and remove the environment's files."""
        ...


class SandboxBackend(Protocol):
    name: str

    def allocate_uid(self, zygote_key: str | None = None) -> int | None:
        """A uid of its own for a new environment of ``zygote_key`` (None: the server's
        user). Whatever ``create`` is then given owns it, and gives it back when the
        sandbox is gone. The environment's Runtime API answers sockets of that uid
        only."""
        ...

    def zygotes(self) -> list[dict[str, object]]:
        """The zygotes the backend runs for itself, described for operators."""
        ...

    async def shutdown(self) -> None:
        """Stop what the backend does on the event loop (environments being prepared);
        called before ``close``."""
        ...

    def close(self) -> None:
        """Stop what the backend runs for itself (zygotes, cgroup roots); blocking."""
        ...

    async def create(self, spec: SandboxSpec, on_output: OutputSink) -> Sandbox:
        """Start the spec's process. Raises EntrypointError if it cannot be executed."""
        ...

    def recover(self, sandboxes_dir: Path) -> int:
        """Kill environments left running by a previous server that died; returns how many."""
        ...

"""The lifecycle of function zygotes: learning, starting, serving, retiring.

``FunctionZygotes`` (``zygotes.py``) decides, purely, what each function configuration
needs next; ``FunctionZygoteSupervisor`` does it, on the event loop, with processes:

- *learning*: a configuration's first Python cold start (``for_cold_start``) gets a
  ``Recipe``; its environment reports the modules its INIT imported through a pipe
  (``learn``), read off the invoke path, and the zygote is started once it is in. An
  environment that never started (``learning_failed``) or never reported lets the next
  cold start learn instead;
- *starting*: in a background task, making room first (least recently used zygotes with
  no live environment are retired; with none, the start waits for a later cold start),
  then asking the runtime zygote of the recipe's interpreter to fork the function zygote
  in a cgroup of its own, as a uid of its own, and waiting (``START_TIMEOUT``) until it
  has imported what it was given. A zygote whose imports fail, start threads, take too
  long or answer from outside its cgroup is *refused* (never tried again for its
  configuration); one that imported nothing makes its configuration *plain*; where the
  kernel forbids unprivileged user namespaces, function zygotes are turned off for good
  (one warning);
- *serving*: cold starts of the configuration fork from it (``for_cold_start``); one
  that does not take requests or whose blanks do not get ready counts as ``failed``;
- *retiring*: a zygote that died, failed, was evicted, or has had no environment for
  ``idle_seconds`` is closed off the loop (its cgroup removal waits for its processes to
  die). Its live environments, if any, end as environments do; its uids stay its unit's
  (``uids.py``) until the unit is drained.

No cold start waits for a function zygote to start, and one whose function zygote
fails it is served from the runtime zygote instead; a bug in a start leaves the
configuration failed, not starting for good.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from altus.sandbox.backends.linux.blanks import Blanks, NoAnswer, receive_with_pid
from altus.sandbox.backends.linux.cgroups import Cgroups, EnvironmentCgroup
from altus.sandbox.backends.linux.paths import opt_binds
from altus.sandbox.backends.linux.uids import Uids
from altus.sandbox.backends.linux.zygotes import (
    START_TIMEOUT,
    FunctionZygote,
    FunctionZygotes,
    Recipe,
    RuntimeZygote,
)
from altus.sandbox.base import SandboxError, SandboxSpec

log = logging.getLogger(__name__)

#: A function zygote's own /tmp (an import may write there); memory-backed, bounded.
_ZYGOTE_TMP_MB = 64
#: Largest report of a learning environment (module names as JSON).
_MAX_LEARNED_BYTES = 4 << 20

#: The runtime zygote of an interpreter (started, or restarted, when needed).
RuntimeZygoteOf = Callable[[str, Path | None], Awaitable[RuntimeZygote]]


class FunctionZygoteSupervisor:
    """Starts, serves and retires the function zygotes ``registry`` decides on (None:
    function zygotes are off). Lives on the event loop, except ``close``."""

    def __init__(
        self,
        registry: FunctionZygotes | None,
        blanks: Blanks,
        uids: Uids,
        runtime_zygote: RuntimeZygoteOf,
    ) -> None:
        self._registry = registry
        self._blanks = blanks
        self._uids = uids
        self._runtime_zygote = runtime_zygote
        self._cgroups: Cgroups | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._idle_timer: asyncio.TimerHandle | None = None

    def open(self, cgroups: Cgroups) -> None:
        """Function zygotes get their cgroups under ``cgroups`` from now on."""
        self._cgroups = cgroups

    def close(self) -> None:
        """Stop every function zygote (blocking; runs off the event loop). Its timer and
        tasks are left to find it closed (a function zygote still starting dies with its
        runtime zygote)."""
        self._cgroups = None
        if self._registry is not None:
            for zygote in self._registry.clear():
                zygote.close()

    # --- cold starts -----------------------------------------------------------------------

    def ready(self, key: str | None) -> FunctionZygote | None:
        """The function zygote of configuration ``key`` when it has one (alive or not:
        ``for_cold_start`` checks); counts as a use of it."""
        registry = self._registry
        return registry.ready(key) if registry is not None and key else None

    def for_cold_start(
        self, spec: SandboxSpec, interpreter: str, bootstrap: Path, env: dict[str, str]
    ) -> tuple[FunctionZygote | None, Recipe | None]:
        """The function zygote a Python cold start forks from, if its configuration has
        one; else, when this environment is to teach us what to import, the recipe its
        report completes (hand its pipe to ``learn``, or call ``learning_failed``). A
        dead zygote is retired here, and restarted in the background when its
        configuration is due one."""
        functions, key = self._registry, spec.zygote_key
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
            self._spawn(self._start(key))
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

    def learn(self, fd: int, key: str, recipe: Recipe) -> None:
        """Read a learning environment's report (the module names its INIT imported)
        off the invoke path; start the function zygote once it is in. Takes ``fd``
        (closed at EOF, or once the report passes its bound)."""
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
            functions = self._registry
            if functions is not None and functions.learned(
                key, recipe if isinstance(names, list) else None
            ):
                self._spawn(self._start(key))

        loop.add_reader(fd, readable)

    def learning_failed(self, spec: SandboxSpec, recipe: Recipe | None) -> None:
        """The environment that was to teach us its imports never started: the next one
        learns instead."""
        if recipe is not None and self._registry is not None and spec.zygote_key:
            self._registry.learned(spec.zygote_key, None)

    def failed(self, zygote: FunctionZygote) -> None:
        """``zygote`` does not serve (it took no fork request, or its blank never got
        ready): retired, and started again later unless it keeps failing."""
        functions = self._registry
        if functions is not None and functions.ready(zygote.key) is zygote:
            log.warning("the function zygote of %s does not serve; retiring it", zygote.key)
            functions.failed(zygote.key)
            self._retire(zygote)

    def environment_started(self, zygote: FunctionZygote) -> None:
        """An environment forked from ``zygote`` is running: it is not idle."""
        zygote.environments += 1
        zygote.last_used = time.monotonic()

    def environment_gone(self, zygote: FunctionZygote, removed: bool) -> None:
        """An environment forked from ``zygote`` is destroyed (its cgroup ``removed``
        with nothing left in it, or not): the zygote may be idle from now on."""
        zygote.environments -= 1
        zygote.last_used = time.monotonic()
        zygote.cgroup_removed(removed)
        if zygote.environments == 0:
            self._schedule_idle_check()

    def describe(self) -> list[dict[str, Any]]:
        """The function zygotes running now, for operators."""
        if self._registry is None:
            return []
        return [z.describe() for z in self._registry.zygotes() if z.alive]

    # --- starting ---------------------------------------------------------------------------

    async def _start(self, key: str) -> None:
        functions = self._registry
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
            zygote = await self._launch(key, recipe)
        except _Unsupported as error:
            log.warning("function zygotes are off: %s", error)
            for live in functions.clear():
                self._retire(live)
            self._registry = None
            return
        except (SandboxError, OSError) as error:
            log.warning("the function zygote of %s did not start: %s", key, error)
            functions.failed(key, permanent=isinstance(error, _Refused))
            return
        if self._registry is not functions or self._cgroups is None or zygote.modules == 0:
            if zygote.modules == 0:
                functions.plain(key)  # its dependencies were all the function's own code
            self._retire(zygote)
            return
        functions.started(key, zygote)
        self._blanks.refill(zygote)
        zygote.rest()  # frozen but while it forks
        self._schedule_idle_check()

    async def _launch(self, key: str, recipe: Recipe) -> FunctionZygote:
        """Ask the runtime zygote of the recipe's interpreter to fork the function zygote;
        wait until it has imported what it was given. Raises SandboxError."""
        if self._cgroups is None:
            raise SandboxError("the linux backend is closed")
        runtime = await self._runtime_zygote(recipe.interpreter, recipe.bootstrap)
        uid = self._uids.allocate()
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
                        "binds": opt_binds(recipe.opt_root),
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
            self._uids.taint(uid, zygote)
            zygote.on_drained = self._uids.drained
            return zygote
        except BaseException:
            if ours is not None:
                ours.close()
            # Its cgroup holds whatever it started: gone with it, the uid is free again.
            if cgroup is None or await asyncio.to_thread(cgroup.remove):
                self._uids.release(uid)
            raise

    # --- retiring ---------------------------------------------------------------------------

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
        functions = self._registry
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
        if self._registry is not None:
            for zygote in self._registry.expired():
                self._retire(zygote)
        self._schedule_idle_check()

    def _spawn(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


class _Unsupported(SandboxError):
    """This machine cannot run function zygotes (unprivileged user namespaces are off)."""


class _Refused(SandboxError):
    """A function zygote refused its configuration (its imports failed, started threads
    or took too long): it would again, so it is not retried."""

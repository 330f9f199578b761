"""The warm pool: execution environments kept between invocations.

Environments are keyed by ``FunctionConfig.env_key`` (function, version, revision): an
invoke reuses an idle environment of exactly its snapshot, a provisioned one first, then
the most recently used, or starts a new one. Provisioned environments (started ahead by
``engine.provisioned``) are never reaped or evicted; when one is lost, the pool says so.
Each environment serves one invoke at a time. Idle ones are frozen,
retired after the keep-alive, and evicted oldest-first when the machine's environment
budget is full. A change to a function retires the environments it made stale (idle ones
at once, busy ones when their invoke ends).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from typing import Protocol

from altus.control.model import FunctionConfig
from altus.engine.environment import ExecutionEnvironment
from altus.engine.errors import TooManyRequests
from altus.engine.results import PhaseResult

log = logging.getLogger(__name__)

#: Makes an environment of a configuration, of an initialization type (on-demand, or
#: provisioned-concurrency).
EnvironmentFactory = Callable[[FunctionConfig, str], ExecutionEnvironment]
ON_DEMAND, PROVISIONED = "on-demand", "provisioned-concurrency"
#: Why a provisioned environment could not be started: the pool is full of busy ones.
ENVIRONMENT_LIMIT = "Altus.EnvironmentLimit"


class Environments(Protocol):
    """Where an invoke gets an execution environment and gives it back: the seam at
    which placement on other machines (a worker with a warm environment for the
    configuration) will go. ``WarmPool`` is this machine's."""

    def take_idle(self, key: str) -> ExecutionEnvironment | None:
        """A warm environment for ``key``, marked busy; None if there is none."""
        ...

    async def start_new(
        self, config: FunctionConfig, request_id: str | None
    ) -> tuple[ExecutionEnvironment, PhaseResult | None]:
        """Cold-start an environment for ``config``: it (busy) and, if its INIT failed,
        the failure (the environment is then already gone). Raises TooManyRequests when
        no environment can be had."""
        ...

    def release(self, env: ExecutionEnvironment, reusable: bool) -> None:
        """An invoke is done with ``env``; ``reusable`` False retires it."""
        ...


#: An idle environment is frozen once it has been idle this long rather than as soon as
#: it is released: back-to-back invokes would otherwise pay a freeze and a thaw each (two
#: writes to the cgroup freezer, and the runtime scheduled again; about 0.2 ms of the
#: invoke on cgroup v1). A background thread may run meanwhile, on its own cgroup's CPU
#: share, as it could while the invoke ran.
FREEZE_AFTER = 0.05


class WarmPool:
    def __init__(
        self, factory: EnvironmentFactory, *, max_environments: int, keep_alive: float
    ) -> None:
        self._factory = factory
        self._max = max_environments
        self._keep_alive = keep_alive
        self._idle: dict[str, list[ExecutionEnvironment]] = {}
        self._provisioned_idle: dict[str, list[ExecutionEnvironment]] = {}
        self._provisioned: set[str] = set()  # ids of provisioned environments alive
        self._initialising: set[str] = set()  # ... of which these are still in INIT
        self._alive: dict[str, ExecutionEnvironment] = {}
        #: Called with a function's name when one of its provisioned environments is lost.
        self.on_provisioned_lost: Callable[[str], None] | None = None
        self._retired_keys: set[str] = set()
        self._teardowns: set[asyncio.Task[None]] = set()
        self._reaper: asyncio.Task[None] | None = None

    # --- acquire / release ---------------------------------------------------------------

    def take_idle(self, key: str) -> ExecutionEnvironment | None:
        """A warm environment for ``key``, marked busy; None if there is none."""
        return self._take(self._provisioned_idle.get(key)) or self._take(self._idle.get(key))

    def _take(self, stack: list[ExecutionEnvironment] | None) -> ExecutionEnvironment | None:
        while stack:
            env = stack.pop()
            if env.freezing is not None:
                env.freezing.cancel()
                env.freezing = None
            if env.dead:
                continue
            if env.retire_by is not None and time.monotonic() >= env.retire_by:
                self._discard(env)  # its credentials end soon: a fresh one gets new ones
                continue
            if not env.thaw():  # died while frozen: replace it, do not fail the invoke
                self._discard(env)
                continue
            env.busy = True
            return env
        return None

    async def start_new(
        self, config: FunctionConfig, request_id: str | None
    ) -> tuple[ExecutionEnvironment, PhaseResult | None]:
        """Cold-start an environment for ``config``. Returns it (busy) and, if its INIT
        failed, the failure (the environment is then already gone)."""
        if len(self._alive) >= self._max and not self._evict_one():
            raise TooManyRequests("Rate Exceeded.", "ConcurrentInvocationLimitExceeded")
        env = self._factory(config, ON_DEMAND)
        env.busy = True
        env.on_exit = self._exited
        self._alive[env.id] = env
        try:
            failure = await env.start(request_id)
        except BaseException:
            self._alive.pop(env.id, None)
            self._teardown(env)
            raise
        if failure is not None:
            self._alive.pop(env.id, None)
        return env, failure

    async def start_provisioned(self, config: FunctionConfig) -> PhaseResult | None:
        """Initialise one provisioned environment of ``config`` and keep it idle and warm.
        Returns the INIT failure, if it failed."""
        if len(self._alive) >= self._max and not self._evict_one():
            return PhaseResult(b"", ENVIRONMENT_LIMIT, reusable=False)
        env = self._factory(config, PROVISIONED)
        env.busy = True
        env.on_exit = self._exited
        self._alive[env.id] = env
        self._provisioned.add(env.id)
        self._initialising.add(env.id)
        try:
            failure = await env.start(None)
        except BaseException:
            self._alive.pop(env.id, None)
            self._provisioned.discard(env.id)
            self._teardown(env)
            raise
        finally:
            self._initialising.discard(env.id)
        if failure is not None:
            self._alive.pop(env.id, None)
            self._provisioned.discard(env.id)
            return failure
        self.release(env, True)
        return None

    def provisioned_count(self, key: str, *, ready: bool = False) -> int:
        """Provisioned environments of ``key`` alive: being initialised, idle or serving
        (``ready``: initialised only)."""
        return sum(
            1
            for env_id in self._provisioned
            if (env := self._alive.get(env_id)) is not None
            and env.key == key
            and not (ready and env_id in self._initialising)
        )

    def provisioned_keys(self, function: str) -> set[str]:
        prefix = f"{function}:"
        return {
            env.key
            for env_id in self._provisioned
            if (env := self._alive.get(env_id)) is not None and env.key.startswith(prefix)
        }

    def unprovision(self, key: str, keep: int) -> None:
        """Keep at most ``keep`` provisioned environments of ``key``: idle ones beyond it
        go now; busy ones become on-demand environments (kept warm, then reaped)."""
        surplus = self.provisioned_count(key) - keep
        stack = self._provisioned_idle.get(key, [])
        while surplus > 0 and stack:
            idle = stack.pop()
            self._provisioned.discard(idle.id)
            self._discard(idle)
            surplus -= 1
        if not stack:
            self._provisioned_idle.pop(key, None)
        for env_id in list(self._provisioned):
            env = self._alive.get(env_id)
            if surplus > 0 and env is not None and env.key == key and env.busy:
                self._provisioned.discard(env_id)
                surplus -= 1

    def release(self, env: ExecutionEnvironment, reusable: bool) -> None:
        env.busy = False
        env.last_used = time.monotonic()
        if (
            not reusable
            or env.dead
            or env.key in self._retired_keys
            or (env.retire_by is not None and time.monotonic() >= env.retire_by)
        ):
            self._discard(env)
            return
        stacks = self._provisioned_idle if env.id in self._provisioned else self._idle
        stacks.setdefault(env.key, []).append(env)
        # Frozen once it has stayed idle a while, off the invoke's path; an invoke that
        # takes it first finds it running and pays neither the freeze nor the thaw.
        env.freezing = asyncio.get_running_loop().call_later(
            FREEZE_AFTER, self._freeze_if_idle, env
        )

    @staticmethod
    def _freeze_if_idle(env: ExecutionEnvironment) -> None:
        env.freezing = None
        if not env.busy and not env.dead:
            env.freeze()

    # --- retirement ------------------------------------------------------------------------

    def retire(self, function: str, valid_keys: set[str]) -> None:
        """Retire every environment of ``function`` whose key is no longer valid."""
        prefix = f"{function}:"
        for stacks in (self._idle, self._provisioned_idle):
            for key in list(stacks):
                if key.startswith(prefix) and key not in valid_keys:
                    for env in list(stacks.get(key, ())):
                        self._discard(env)
        for env in self._alive.values():
            if env.key.startswith(prefix) and env.key not in valid_keys:
                self._retired_keys.add(env.key)

    def _exited(self, env: ExecutionEnvironment) -> None:
        # The runtime died on its own while idle (or between invokes): drop it.
        if not env.busy:
            self._discard(env)

    def _evict_one(self) -> bool:
        oldest: ExecutionEnvironment | None = None
        for stack in self._idle.values():
            for env in stack:
                if oldest is None or env.last_used < oldest.last_used:
                    oldest = env
        if oldest is None:
            return False
        self._discard(oldest)
        return True

    def _discard(self, env: ExecutionEnvironment) -> None:
        self._alive.pop(env.id, None)
        for stacks in (self._idle, self._provisioned_idle):
            stack = stacks.get(env.key)
            if stack and env in stack:
                stack.remove(env)
                if not stack:
                    del stacks[env.key]
        if env.id in self._provisioned:
            self._provisioned.discard(env.id)
            if self.on_provisioned_lost is not None:
                self.on_provisioned_lost(env.config.name)
        if env.key in self._retired_keys and not any(
            e.key == env.key for e in self._alive.values()
        ):
            self._retired_keys.discard(env.key)
        self._teardown(env)

    def _teardown(self, env: ExecutionEnvironment) -> None:
        task = asyncio.get_running_loop().create_task(env.destroy())
        self._teardowns.add(task)
        task.add_done_callback(self._teardowns.discard)

    # --- keep-alive ---------------------------------------------------------------------------

    def start(self) -> None:
        self._reaper = asyncio.get_running_loop().create_task(self._reap_forever())

    async def _reap_forever(self) -> None:
        interval = min(max(self._keep_alive / 4, 0.05), 30.0)
        while True:
            await asyncio.sleep(interval)
            self.reap(time.monotonic() - self._keep_alive)

    def reap(self, idle_since: float) -> int:
        """Retire environments idle since before ``idle_since``; returns how many."""
        expired = [
            env for stack in self._idle.values() for env in stack if env.last_used < idle_since
        ]
        for env in expired:
            self._discard(env)
        return len(expired)

    # --- inspection and shutdown --------------------------------------------------------------

    def environments(self) -> Iterable[ExecutionEnvironment]:
        return list(self._alive.values())

    async def close(self) -> None:
        self.on_provisioned_lost = None  # shutting down: nothing is to be replaced
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
        for env in list(self._alive.values()):
            self._discard(env)
        if self._teardowns:
            await asyncio.gather(*self._teardowns, return_exceptions=True)

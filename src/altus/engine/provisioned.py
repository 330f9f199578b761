"""Provisioned concurrency: environments initialised ahead of invokes and kept warm.

For every provisioned concurrency config (a version or an alias of a function, and how
many), the provisioner keeps that many environments of the version(s) it resolves to in
the warm pool, marked provisioned: an alias with routing weights has them split by
weight. It reconciles a function whenever its configuration changes (a config put or
deleted, an alias moved, a version deleted) and when a provisioned environment is lost
(a timeout or a crash ends it), and reports each config's status: IN_PROGRESS until all
are initialised, READY, or FAILED when an INIT failed (retried on the next change).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from dataclasses import dataclass

from altus.control.arns import is_version
from altus.control.concurrency import PROVISIONED
from altus.control.errors import ResourceNotFound
from altus.control.functions import FunctionService
from altus.control.model import FunctionConfig, FunctionRecord
from altus.engine.pool import ENVIRONMENT_LIMIT, WarmPool

log = logging.getLogger(__name__)

IN_PROGRESS, READY, FAILED = "IN_PROGRESS", "READY", "FAILED"
#: INITs run at once for one function's provisioned environments.
_PARALLEL_INITS = 4


@dataclass(frozen=True, slots=True)
class Status:
    requested: int
    allocated: int
    status: str
    reason: str | None = None


class Provisioner:
    def __init__(self, functions: FunctionService, pool: WarmPool) -> None:
        self._functions = functions
        self._pool = pool
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._failures: dict[str, str] = {}  # env key -> why its INIT failed
        self._dirty: set[str] = set()

    def start(self) -> None:
        self._pool.on_provisioned_lost = self.reconcile
        self._functions.on_change(self.reconcile)
        for record in self._functions.records():
            if record.attached.get(PROVISIONED):
                self.reconcile(record.name)

    async def close(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # --- what is wanted ----------------------------------------------------------------------

    def _wanted(self, record: FunctionRecord) -> dict[str, tuple[FunctionConfig, int]]:
        """env key -> (configuration, environments) for every config of the function."""
        wanted: dict[str, tuple[FunctionConfig, int]] = {}
        for qualifier, document in record.attached.get(PROVISIONED, {}).items():
            for config, count in _split(record, qualifier, int(document["requested"])):
                previous = wanted.get(config.env_key, (config, 0))[1]
                wanted[config.env_key] = (config, previous + count)
        return wanted

    def configured(self, name: str) -> list[tuple[FunctionConfig, int]]:
        """The versions ``name``'s provisioned concurrency configs ask to keep warm, and
        how many environments of each (what provisioned concurrency is billed for)."""
        try:
            record = self._functions.record(name)
        except ResourceNotFound:
            return []
        return list(self._wanted(record).values())

    def status(self, name: str, qualifier: str) -> Status:
        record = self._functions.record(name)
        document = record.attachment(PROVISIONED, qualifier) or {"requested": 0}
        requested = int(document["requested"])
        parts = _split(record, qualifier, requested)
        allocated = sum(
            min(self._pool.provisioned_count(c.env_key, ready=True), n) for c, n in parts
        )
        failures = [self._failures[c.env_key] for c, _ in parts if c.env_key in self._failures]
        if allocated >= requested:
            return Status(requested, allocated, READY)
        if failures:
            return Status(requested, allocated, FAILED, failures[0])
        return Status(requested, allocated, IN_PROGRESS)

    # --- reconciling -----------------------------------------------------------------------

    def reconcile(self, name: str) -> None:
        """Bring ``name``'s provisioned environments to what its configs ask (in the
        background; one pass per function at a time, another after it if asked again)."""
        running = self._tasks.get(name)
        if running is not None and not running.done():
            self._dirty.add(name)
            return
        task = asyncio.get_running_loop().create_task(self._reconcile(name))
        self._tasks[name] = task

    async def _reconcile(self, name: str) -> None:
        while True:
            self._dirty.discard(name)
            try:
                record = self._functions.record(name)
            except ResourceNotFound:
                record = None
            wanted = self._wanted(record) if record is not None else {}
            for key in self._pool.provisioned_keys(name) - set(wanted):
                self._pool.unprovision(key, 0)
                self._failures.pop(key, None)
            starts: list[FunctionConfig] = []
            for key, (config, count) in wanted.items():
                have = self._pool.provisioned_count(key)
                if have > count:
                    self._pool.unprovision(key, count)
                elif have < count and key not in self._failures:
                    starts += [config] * (count - have)
            if starts:
                await self._start_all(starts)
            if name not in self._dirty:
                return

    async def _start_all(self, configs: list[FunctionConfig]) -> None:
        gate = asyncio.Semaphore(_PARALLEL_INITS)

        async def one(config: FunctionConfig) -> None:
            async with gate:
                if config.env_key in self._failures:
                    return
                failure = await self._pool.start_provisioned(config)
                if failure is not None:
                    log.warning(
                        "a provisioned environment of %s:%s failed its INIT: %s",
                        config.name,
                        config.version,
                        failure.error_type,
                    )
                    self._failures[config.env_key] = (
                        "Altus reached max_environments; raise it or lower the provisioned "
                        "concurrency."
                        if failure.error_type == ENVIRONMENT_LIMIT
                        else "FUNCTION_ERROR_INIT_FAILURE"
                    )

        await asyncio.gather(*(one(c) for c in configs))

    def forget_failures(self, name: str) -> None:
        """A config was put again: failed INITs are retried."""
        prefix = f"{name}:"
        for key in [k for k in self._failures if k.startswith(prefix)]:
            del self._failures[key]


def _split(
    record: FunctionRecord, qualifier: str, requested: int
) -> list[tuple[FunctionConfig, int]]:
    """The versions a config's environments run: its version, or its alias's versions
    by routing weight."""
    if is_version(qualifier):
        config = record.versions.get(qualifier)
        return [(config, requested)] if config is not None else []
    alias = record.aliases.get(qualifier)
    if alias is None:
        return []
    counts: Counter[str] = Counter()
    for version, weight in alias.additional_weights.items():
        counts[version] = round(requested * weight)
    counts[alias.function_version] = requested - sum(counts.values())
    return [(record.versions[v], n) for v, n in counts.items() if n > 0 and v in record.versions]

"""The composition root: builds every part of a server from the settings, in one place.

The CLI, the tests and the benchmarks all get their objects here, so what they run is
what ``altus up`` runs.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from dataclasses import dataclass, field

from altus.control.arns import Account
from altus.control.concurrency import RESERVED, ConcurrencyService
from altus.control.errors import ResourceNotFound
from altus.control.event_invoke import EventInvokeConfigService
from altus.control.functions import FunctionService
from altus.control.layers import LayerService
from altus.control.model import FunctionConfig
from altus.control.permissions import PermissionService
from altus.control.tags import TagService
from altus.control.urls import UrlService
from altus.engine.async_invoke import AsyncInvoker, AsyncSettings
from altus.engine.concurrency import Concurrency
from altus.engine.destinations import Targets
from altus.engine.environment import EnvironmentSettings, ExecutionEnvironment
from altus.engine.invoker import Invoker
from altus.engine.pool import WarmPool
from altus.engine.provisioned import Provisioner
from altus.observe.logs import LogStore, MemoryLogStore, SqliteLogStore
from altus.queues.backends.memory import MemoryQueueStore
from altus.queues.backends.sqlite import SqliteQueueStore
from altus.queues.service import QueueService
from altus.runtimes.registry import Runtimes
from altus.sandbox.backends.linux import LinuxBackend
from altus.sandbox.backends.process import ProcessBackend
from altus.sandbox.base import SandboxBackend, SandboxError
from altus.settings import Settings
from altus.store.backends.memory import MemoryStore
from altus.store.backends.sqlite import SqliteStore
from altus.store.code import CodeStore
from altus.store.secrets import FernetCipher, key_file

log = logging.getLogger(__name__)

_MAINTENANCE_INTERVAL = 600.0


@dataclass
class Platform:
    settings: Settings
    account: Account
    store: SqliteStore | MemoryStore
    logs: LogStore
    code: CodeStore
    backend: SandboxBackend
    runtimes: Runtimes
    functions: FunctionService
    layers: LayerService
    concurrency: ConcurrencyService
    permissions: PermissionService
    urls: UrlService
    event_invoke: EventInvokeConfigService
    tags: TagService
    pool: WarmPool
    provisioner: Provisioner
    invoker: Invoker
    async_invoker: AsyncInvoker
    queues: QueueService
    _maintenance: asyncio.Task[None] | None = field(default=None, repr=False)

    async def start(self) -> None:
        await self.queues.start()
        killed = self.backend.recover(self.settings.sandboxes_dir)
        if killed:
            log.warning("killed %d execution environments left by a previous run", killed)
        await self.functions.start()
        self.functions.on_change(
            lambda name: self.pool.retire(name, self.functions.valid_env_keys(name))
        )
        self.functions.on_change(self._reserve)
        for record in self.functions.records():
            self._reserve(record.name)
        self.urls.start()
        self.pool.start()
        self.provisioner.start()
        recovered = self.async_invoker.start()
        if recovered:
            log.info("redelivering %d queued asynchronous events", recovered)
        self._maintenance = asyncio.get_running_loop().create_task(self._maintain())

    def _reserve(self, name: str) -> None:
        """Give the engine a function's reservation as the control layer now has it."""
        try:
            document = self.functions.record(name).attachment(RESERVED)
        except ResourceNotFound:
            document = None
        self.invoker.concurrency.reserve(
            name, int(document["reserved"]) if document is not None else None
        )

    async def _maintain(self) -> None:
        """Housekeeping off the invoke path: log retention and unreferenced code."""
        while True:
            await asyncio.sleep(_MAINTENANCE_INTERVAL)
            try:
                days = self.settings.log_retention_days
                if days:
                    cutoff = int((time.time() - days * 86400) * 1000)
                    await asyncio.to_thread(self.logs.prune, cutoff)
                keep = self.store.code_references()
                await asyncio.to_thread(self.code.collect, keep)
            except Exception:
                log.exception("maintenance failed")

    async def close(self) -> None:
        if self._maintenance is not None:
            self._maintenance.cancel()
        # The invoker first: its outbox may be sending to a queue.
        await self.async_invoker.close()
        await self.queues.close()
        await self.provisioner.close()
        await self.pool.close()
        await self.functions.close()
        self.logs.close()
        self.store.close()
        await self.backend.shutdown()
        await asyncio.to_thread(self.backend.close)


def build_platform(settings: Settings, *, in_memory: bool = False) -> Platform:
    """Wire a server. ``in_memory`` keeps state and logs in memory (tests, throwaways);
    code packages and sandboxes still live under the data directory."""
    data_dir = settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    account = Account(region=settings.region, account_id=settings.account_id)
    # Environment variables are encrypted at rest with a key of this data directory.
    store: SqliteStore | MemoryStore = (
        MemoryStore()
        if in_memory
        else SqliteStore(settings.db_path, FernetCipher.from_file(data_dir / "secret.key"))
    )
    logs: LogStore = MemoryLogStore() if in_memory else SqliteLogStore(data_dir / "logs.db")
    code = CodeStore(settings.code_dir)
    backend = choose_backend(settings)
    runtimes = Runtimes(settings.runtime_interpreters, settings.node_binary)
    layers = LayerService(store, code, account)
    functions = FunctionService(
        store,
        code,
        account,
        prepare=lambda config, path: runtimes.prepare(config.runtime, path),
        layers=layers,
    )
    env_settings = EnvironmentSettings(
        account=account,
        sandboxes_dir=settings.sandboxes_dir,
        init_timeout=settings.init_timeout_seconds,
    )

    def new_environment(config: FunctionConfig, init_type: str) -> ExecutionEnvironment:
        return ExecutionEnvironment(
            config,
            backend=backend,
            runtimes=runtimes,
            code=code,
            logs=logs,
            settings=env_settings,
            init_type=init_type,
        )

    pool = WarmPool(
        new_environment,
        max_environments=settings.max_environments,
        keep_alive=settings.keep_alive_seconds,
    )
    invoker = Invoker(functions, pool, Concurrency(settings.concurrency_limit))
    event_invoke = EventInvokeConfigService(functions)
    webhook_key = (
        settings.webhook_secret.encode()
        if settings.webhook_secret
        else key_file(data_dir / "webhook.key", lambda: secrets.token_hex(32).encode())
    )
    queues = QueueService(
        MemoryQueueStore() if in_memory else SqliteQueueStore(settings.db_path),
        account,
        offload=not in_memory,
    )
    targets = Targets(account, functions, queues, webhook_key)
    async_invoker = AsyncInvoker(
        invoker,
        functions,
        store,
        targets,
        event_invoke.lookup,
        AsyncSettings(
            workers=settings.async_workers,
            time_scale=settings.async_time_scale,
            destination_attempts=settings.async_destination_attempts,
        ),
    )
    return Platform(
        settings=settings,
        account=account,
        store=store,
        logs=logs,
        code=code,
        backend=backend,
        runtimes=runtimes,
        functions=functions,
        layers=layers,
        concurrency=ConcurrencyService(
            functions, settings.concurrency_limit, settings.concurrency_min_unreserved
        ),
        permissions=PermissionService(functions),
        urls=UrlService(functions),
        event_invoke=event_invoke,
        tags=TagService(functions),
        pool=pool,
        provisioner=Provisioner(functions, pool),
        invoker=invoker,
        async_invoker=async_invoker,
        queues=queues,
    )


def choose_backend(settings: Settings) -> SandboxBackend:
    """The sandbox backend the settings ask for. ``auto`` takes ``linux`` where this
    machine can isolate (root, namespaces, cgroups: checked by running one trial
    sandbox) and otherwise ``process``, saying why once."""
    if settings.sandbox == "process":
        return ProcessBackend()
    linux = LinuxBackend(
        settings.data_dir / "linux",
        uid_base=settings.sandbox_uid_base,
        prestart=settings.sandbox_prestart,
        zygotes=settings.sandbox_zygotes,
        network=settings.sandbox_network,
        function_zygotes=settings.sandbox_function_zygotes,
        function_zygote_idle=settings.sandbox_function_zygote_idle_seconds,
    )
    try:
        linux.open(settings.node_binary)
    except (SandboxError, OSError) as error:
        if settings.sandbox == "linux":
            raise SandboxError(f"the linux sandbox cannot run here: {error}") from None
        log.warning(
            "sandbox: using the process backend (no isolation between functions): %s", error
        )
        return ProcessBackend()
    return linux

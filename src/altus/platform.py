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

from altus.control.aliases import AliasService
from altus.control.arns import Account
from altus.control.concurrency import RESERVED, ConcurrencyService
from altus.control.errors import ResourceNotFound
from altus.control.event_invoke import EventInvokeConfigService
from altus.control.functions import FunctionService
from altus.control.layers import LayerService
from altus.control.model import FunctionConfig
from altus.control.permissions import PermissionService
from altus.control.sql_store import SCHEMA as FUNCTIONS_SCHEMA
from altus.control.sql_store import SqlFunctionStore
from altus.control.store import FunctionStore
from altus.control.tags import TagService
from altus.control.urls import UrlService
from altus.engine.async_invoke import AsyncInvoker, AsyncSettings
from altus.engine.async_store import SCHEMA as ASYNC_SCHEMA
from altus.engine.async_store import SqlEventQueue
from altus.engine.concurrency import Concurrency
from altus.engine.destinations import Targets
from altus.engine.environment import EnvironmentSettings, ExecutionEnvironment
from altus.engine.invoker import Invoker
from altus.engine.pool import WarmPool
from altus.engine.provisioned import Provisioner
from altus.logs.sql_store import SCHEMA as LOGS_SCHEMA
from altus.logs.sql_store import SqlLogStore
from altus.logs.store import LogStore
from altus.queues.service import QueueService
from altus.queues.sql_store import SCHEMA as QUEUES_SCHEMA
from altus.queues.sql_store import SqlQueueStore
from altus.runtimes.registry import Runtimes
from altus.sandbox.backends.linux import LinuxBackend
from altus.sandbox.backends.process import ProcessBackend
from altus.sandbox.base import SandboxBackend, SandboxError
from altus.settings import Settings
from altus.store.code import CodeStore
from altus.store.secrets import FernetCipher, key_file
from altus.store.storage import Storage

log = logging.getLogger(__name__)

_MAINTENANCE_INTERVAL = 600.0


@dataclass
class Platform:
    settings: Settings
    account: Account
    storage: Storage
    store: FunctionStore
    logs: LogStore
    code: CodeStore
    backend: SandboxBackend
    runtimes: Runtimes
    functions: FunctionService
    aliases: AliasService
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
        await self.logs.start()
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
        recovered = await self.async_invoker.start()
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
                    await self.logs.prune(cutoff)
                keep = await self.store.code_references()
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
        await self.logs.close()
        await asyncio.to_thread(self.storage.close)
        await self.backend.shutdown()
        await asyncio.to_thread(self.backend.close)


def build_platform(settings: Settings) -> Platform:
    """Wire a server: state where ``settings.store_url`` says (``memory:`` for tests and
    throwaways); code packages and sandboxes live under the data directory."""
    data_dir = settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    account = Account(region=settings.region, account_id=settings.account_id)
    storage = Storage(settings.store_url)
    main = storage.database()
    main.migrate([FUNCTIONS_SCHEMA, ASYNC_SCHEMA, QUEUES_SCHEMA])
    logs_db = storage.database("logs", durable=False)
    logs_db.migrate([LOGS_SCHEMA])
    # Environment variables are encrypted at rest with a key of this data directory.
    store = SqlFunctionStore(main, FernetCipher.from_file(data_dir / "secret.key"))
    logs = SqlLogStore(logs_db)
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
    queues = QueueService(SqlQueueStore(main), account)
    targets = Targets(account, functions, queues, webhook_key)
    async_invoker = AsyncInvoker(
        invoker,
        functions,
        SqlEventQueue(main),
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
        storage=storage,
        store=store,
        logs=logs,
        code=code,
        backend=backend,
        runtimes=runtimes,
        functions=functions,
        aliases=AliasService(functions),
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

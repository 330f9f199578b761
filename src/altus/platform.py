"""The composition root: builds a server from the settings and the registry, in one
place.

The CLI, the tests and the benchmarks all get their servers here, so what they run is
what ``altus up`` runs: the storage the settings name, every registered service's
schemas migrated, its component built (in registry order, each seeing those before it),
and each service bound to its component for the dispatcher.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from altus.api.service import BoundService
from altus.api.spec import Component, ServiceSpec
from altus.arns import Account
from altus.clock import SYSTEM, Clock
from altus.identity.authenticator import Identity, resolve_mode
from altus.identity.keys import SCHEMA as IDENTITY
from altus.identity.keys import SqlKeyStore
from altus.registry import SERVICES
from altus.settings import Settings
from altus.sources import SourceRegistry
from altus.store.secrets import FernetCipher
from altus.store.storage import Storage
from altus.targets import TargetRegistry

log = logging.getLogger(__name__)


@dataclass
class _Context:
    """What a service's ``build`` is given."""

    settings: Settings
    account: Account
    storage: Storage
    clock: Clock
    registry: TargetRegistry
    built: dict[str, Any]
    parts: Mapping[str, Any]
    identity: Identity
    endpoint: str | None
    sources: SourceRegistry

    def provided(self, part: str) -> Any:
        return self.parts.get(part)

    def component(self, service: str) -> Any:
        found = self.built.get(service)
        if found is None:
            raise LookupError(f"service {service!r} is not built yet: register it earlier")
        return found

    @property
    def targets(self) -> TargetRegistry:
        return self.registry


@dataclass
class Platform:
    settings: Settings
    account: Account
    storage: Storage
    targets: TargetRegistry
    #: Every service's component, by service name, in registry order.
    components: dict[str, Component]
    services: list[BoundService]
    #: Who may call: the access keys, and the mode requests are checked in.
    identity: Identity

    def component(self, service: str) -> Any:
        """The component of a registered service (``lambda``, ``sqs``, ``logs`` ...)."""
        return self.components[service]

    async def start(self) -> None:
        await self.identity.start()
        for component in self.components.values():
            await component.start()

    def interrupt(self) -> None:
        """A shutdown began: whatever waits on a client (long polls) ends now."""
        for component in self.components.values():
            component.interrupt()

    async def close(self) -> None:
        for name, component in reversed(self.components.items()):
            try:
                await component.close()
            except Exception:
                log.exception("closing the %s service failed", name)
        await asyncio.to_thread(self.storage.close)


def build_platform(
    settings: Settings,
    services: Sequence[ServiceSpec] = SERVICES,
    clock: Clock = SYSTEM,
    parts: Mapping[str, Any] | None = None,
    endpoint: str | None = None,
) -> Platform:
    """Wire a server: state where ``settings.store_url`` says (``memory:`` for tests and
    throwaways), time from ``clock`` (a fake one in tests), and ``parts`` instead of what
    the settings would make (``altus.testing``); code packages and sandboxes live under
    the data directory. ``endpoint``: the URL the server will answer at, which functions
    are given to call services at."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    account = Account(region=settings.region, account_id=settings.account_id)
    storage = Storage(settings.store_url)
    storage.database().migrate((IDENTITY,))
    for spec in services:
        for schemas in spec.schemas:
            storage.database(schemas.database, durable=schemas.durable).migrate(schemas.schemas)
    identity = Identity(
        resolve_mode(settings.auth, settings.host),
        SqlKeyStore(storage.database(), FernetCipher.from_file(settings.data_dir / "secret.key")),
        account,
        clock,
        settings.credentials_file,
    )
    context = _Context(
        settings,
        account,
        storage,
        clock,
        TargetRegistry(),
        {},
        parts or {},
        identity,
        endpoint,
        SourceRegistry(),
    )
    for spec in services:
        context.built[spec.name] = spec.build(context)
    components: dict[str, Component] = dict(context.built)
    bound = [
        BoundService(spec, components[spec.name], account, settings, identity) for spec in services
    ]
    return Platform(
        settings=settings,
        account=account,
        storage=storage,
        targets=context.registry,
        components=components,
        services=bound,
        identity=identity,
    )

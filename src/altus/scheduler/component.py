"""The Scheduler service's component: what the platform builds, starts, interrupts and
closes. It holds the groups and schedules (``state.Core``), the ticker that fires them
and the worker that delivers what fired."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from altus.api.spec import Context
from altus.scheduler.delivery import Deliveries
from altus.scheduler.firing import Ticker
from altus.scheduler.model import DEFAULT_GROUP, Group, PutGroup
from altus.scheduler.sql_store import SqlScheduleStore
from altus.scheduler.state import Core
from altus.scheduler.store import ScheduleStore


class Schedules:
    def __init__(
        self,
        context: Context,
        store: ScheduleStore | None = None,
        draw: Callable[[], float] = random.random,
    ) -> None:
        self.core = Core(
            context.account, context.clock, store or SqlScheduleStore(context.storage.database())
        )
        #: The random draws of flexible delays and retry jitter (tests replace it).
        self.draw = draw
        self.identity = context.identity
        #: Roles: whether one exists (PassRole) and trusts Scheduler (a target's RoleArn).
        self.iam = context.component("iam")
        self.deliveries = Deliveries(
            self.core, context.targets, context.identity, self._draw, roles=self.iam
        )
        self.ticker = Ticker(self.core, self.deliveries)

    def _draw(self) -> float:
        return self.draw()

    async def start(self) -> None:
        """Load groups, schedules and pending deliveries (making the default group the
        first time); start delivering and firing (an occurrence missed while down fires
        once)."""
        core = self.core
        snapshot = await core.store.load()
        for group in snapshot.groups:
            core.groups[group.name] = group
        for schedule in snapshot.schedules:
            core.schedules[schedule.key] = schedule
        if DEFAULT_GROUP not in core.groups:
            now = core.now_ms()
            default = Group(DEFAULT_GROUP, now, now)
            await core.store.apply([PutGroup(default)])
            core.groups[DEFAULT_GROUP] = default
        for delivery in snapshot.deliveries:
            core.seen_seq(delivery.seq)
            self.deliveries.add(delivery)
        self.deliveries.start()
        self.ticker.start()

    def interrupt(self) -> None:
        self.ticker.interrupt()
        self.deliveries.interrupt()

    async def close(self) -> None:
        await self.ticker.close()
        await self.deliveries.close()

    def health(self) -> dict[str, Any]:
        return {
            "groups": len(self.core.groups),
            "schedules": len(self.core.schedules),
            "pending_deliveries": len(self.deliveries.pending()),
        }

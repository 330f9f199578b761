"""The Scheduler's shared state: the groups and schedules in memory (mirroring the
store), their ARNs, and the one lock every change of them takes, so a fire and an API
call never plan from the same stale schedule."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable, Sequence

from altus.arns import Account
from altus.clock import Clock
from altus.scheduler.errors import InternalServer
from altus.scheduler.model import Change, Group, Schedule
from altus.scheduler.store import ScheduleStore

log = logging.getLogger(__name__)


class Core:
    def __init__(self, account: Account, clock: Clock, store: ScheduleStore) -> None:
        self.account = account
        self.clock = clock
        self.store = store
        self.groups: dict[str, Group] = {}
        self.schedules: dict[tuple[str, str], Schedule] = {}
        self.lock = asyncio.Lock()
        self._seq = itertools.count(1)

    def now_ms(self) -> int:
        return int(self.clock.now() * 1000)

    def next_seq(self) -> int:
        return next(self._seq)

    def seen_seq(self, seq: int) -> None:
        """A stored delivery's seq: new ones come after it."""
        current = next(self._seq)
        self._seq = itertools.count(max(current, seq + 1))

    def schedule_arn(self, group: str, name: str) -> str:
        a = self.account
        return f"arn:{a.partition}:scheduler:{a.region}:{a.account_id}:schedule/{group}/{name}"

    def group_arn(self, name: str) -> str:
        a = self.account
        return f"arn:{a.partition}:scheduler:{a.region}:{a.account_id}:schedule-group/{name}"

    def group_of_arn(self, arn: str) -> str | None:
        prefix = self.group_arn("")
        return arn[len(prefix) :] if arn.startswith(prefix) else None

    async def write(self, plan: Sequence[Change], applied: Callable[[], object]) -> None:
        """Write ``plan``, then let memory follow (``applied``). Raises InternalServer
        when the store fails: then nothing of it was kept, in the store or memory."""
        try:
            await self.store.apply(plan)
        except Exception:
            log.exception("writing a Scheduler change failed")
            raise InternalServer("The change could not be stored; nothing was changed.") from None
        applied()

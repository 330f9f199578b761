"""The ticker: sleeps on the platform clock until the earliest schedule's fire time,
then fires every schedule whose time has come.

A fire is one plan, written in one transaction: the occurrence's delivery row, and the
schedule advanced to its next occurrence (with that occurrence's flexible delay drawn
now and stored), or deleted when it has none left and ActionAfterCompletion is DELETE.
So a crash never fires an occurrence twice: either the fire was written (the delivery
resumes after a restart; the schedule has moved on) or it was not (it is due again).

Catch-up: occurrences that came due while the server was down fire ONCE when it comes
back (the delivery's scheduled time is the first one missed) and the schedule moves to
its first occurrence after now: however long the gap, at most one fire per schedule.
With a flexible window the next occurrence is the first after ``now`` less the window
(an occurrence fires up to the window after its scheduled time, so one fired late must
not make the next ones, already due, be skipped): in steady running every occurrence
fires once; after a gap, the first missed and those still within their window.

A fire that fails (the store refuses the write, the stored expression no longer reads)
is tried again after a back-off of its own schedule (2 s doubling to
``MAX_BACKOFF_S``), logged once per back-off, while other schedules fire on time; a
schedule written anew (UpdateSchedule) is looked at on its new time at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import uuid

from altus.scheduler import timing
from altus.scheduler.delivery import Deliveries
from altus.scheduler.model import Change, Delivery, DropSchedule, PutDelivery, PutSchedule
from altus.scheduler.state import Core

log = logging.getLogger(__name__)

#: The longest a schedule whose fire failed waits before it is tried again.
MAX_BACKOFF_S = 60.0


def backoff_s(failures: int) -> float:
    """Seconds before a schedule whose fire failed ``failures`` times in a row is tried
    again."""
    return min(2.0 ** min(failures, 16), MAX_BACKOFF_S)


@dataclasses.dataclass(frozen=True, slots=True)
class _Held:
    """A schedule held back after failed fires: how many in a row, until when (epoch
    ms), and the fire time that failed (a schedule written anew has another, and is not
    held)."""

    failures: int
    until_ms: int
    fire_ms: int | None


class Ticker:
    def __init__(self, core: Core, deliveries: Deliveries) -> None:
        self._core = core
        self._deliveries = deliveries
        self._wake = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self._held: dict[tuple[str, str], _Held] = {}
        #: A fire under way (its write may be in flight), for ``settled``.
        self._firing = False
        #: Occurrences fired, and fires that failed, for tests.
        self.fired = 0
        self.failures = 0

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    def wake(self) -> None:
        """A schedule changed: look at the fire times again."""
        self._wake.set()

    def interrupt(self) -> None:
        self._closing = True
        self._wake.set()

    async def close(self) -> None:
        self.interrupt()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    def _look_ms(self, key: tuple[str, str], fire_ms: int | None) -> int | None:
        """When the schedule is next looked at: its fire time, or the end of its
        back-off."""
        if fire_ms is None:
            return None
        held = self._held.get(key)
        if held is None or held.fire_ms != fire_ms:
            return fire_ms
        return max(fire_ms, held.until_ms)

    def settled(self) -> bool:
        """Nothing left to do now: no fire under way and no schedule due (for tests'
        negative checks; read on the event loop)."""
        if self._firing:
            return False
        now = self._core.now_ms()
        return not any(
            _due(self._look_ms(k, s.fire_ms), now) for k, s in self._core.schedules.items()
        )

    async def _run(self) -> None:
        core = self._core
        while not self._closing:
            self._wake.clear()
            now = core.now_ms()
            due = [k for k, s in core.schedules.items() if _due(self._look_ms(k, s.fire_ms), now)]
            for key in due:
                try:
                    await self.fire(key)
                except Exception as error:
                    self._failed(key, error)
                else:
                    self._held.pop(key, None)
            for key in [k for k in self._held if k not in core.schedules]:
                del self._held[key]
            times = [
                t
                for t in (self._look_ms(k, s.fire_ms) for k, s in core.schedules.items())
                if t is not None
            ]
            timeout = max(min(times) - core.now_ms(), 0) / 1000 if times else None
            if timeout == 0:
                # Due again already (a fire took long): let others run before it.
                await asyncio.sleep(0)
            await core.clock.wait(self._wake, timeout)

    def _failed(self, key: tuple[str, str], error: Exception) -> None:
        self.failures += 1
        schedule = self._core.schedules.get(key)
        fire_ms = schedule.fire_ms if schedule is not None else None
        held = self._held.get(key)
        failures = held.failures + 1 if held is not None and held.fire_ms == fire_ms else 1
        delay = backoff_s(failures)
        self._held[key] = _Held(failures, self._core.now_ms() + int(delay * 1000), fire_ms)
        log.warning(
            "firing the schedule %s/%s failed (%s): trying again in %.0f s",
            *key,
            getattr(error, "message", repr(error)),
            delay,
            exc_info=failures == 1,
        )

    async def fire(self, key: tuple[str, str]) -> bool:
        """Fire the schedule if its time has come; whether it fired."""
        core = self._core
        async with core.lock:
            self._firing = True
            try:
                return await self._fire(key)
            finally:
                self._firing = False

    async def _fire(self, key: tuple[str, str]) -> bool:
        core = self._core
        schedule = core.schedules.get(key)
        now = core.now_ms()
        if schedule is None or schedule.due_ms is None or not _due(schedule.fire_ms, now):
            return False
        config = schedule.config
        arn = core.schedule_arn(*key)
        delivery = Delivery(
            seq=core.next_seq(),
            schedule_arn=arn,
            target=config["Target"],
            scheduled_ms=schedule.due_ms,
            execution_id=str(uuid.uuid4()),
            # MaximumEventAgeInSeconds counts from when it was meant to fire.
            fired_ms=schedule.fire_ms if schedule.fire_ms is not None else now,
            due_ms=now,
        )
        after = max(schedule.due_ms, now - timing.window_ms(config))
        following = timing.next_due(config, after, schedule.anchor_ms)
        plan: list[Change] = [PutDelivery(delivery)]
        advanced = None
        if following is None and config.get("ActionAfterCompletion") == "DELETE":
            plan.append(DropSchedule(*key))
        else:
            delay = 0 if following is None else timing.flexible_delay_ms(config, self.draw)
            advanced = dataclasses.replace(
                schedule,
                due_ms=following,
                fire_ms=None if following is None else following + delay,
            )
            plan.append(PutSchedule(advanced))

        def applied() -> None:
            if advanced is None:
                core.schedules.pop(key, None)
            else:
                core.schedules[key] = advanced
            self._deliveries.add(delivery)

        await core.write(plan, applied)
        self.fired += 1
        return True

    def draw(self) -> float:
        return self._deliveries.draw()


def _due(fire_ms: int | None, now: int) -> bool:
    return fire_ms is not None and fire_ms <= now

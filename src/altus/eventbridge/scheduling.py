"""Scheduled rules: each rule with a ScheduleExpression (default bus only) keeps its next
fire time in the store; when it comes, the rule's targets get EventBridge's "Scheduled
Event" and the next time is advanced, both in ONE transaction, so a fire is never
lost and never repeated across a crash.

Catch-up: a fire time that passed while the server was down fires once when it comes
back (the event's ``time`` is that first missed time, to the minute), and the next time
is the first one after now: however long the gap, a rule fires at most once for it.
A disabled rule's times pass without firing. Times are read from the platform clock.

A fire that fails (its write failed, or the stored expression no longer parses) is tried
again after a back-off of its own rule (2 s, doubling to ``MAX_BACKOFF_S``), logged once
per back-off; other rules fire on time meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging

from altus import ids
from altus.eventbridge import names
from altus.eventbridge.delivery import Deliveries
from altus.eventbridge.entries import compact, iso_seconds
from altus.eventbridge.ingest import deliveries_for
from altus.eventbridge.model import AddEvent, Rule, SetFire, StoredEvent
from altus.eventbridge.rules import next_fire, parse_schedule
from altus.eventbridge.state import Core

log = logging.getLogger(__name__)

#: The longest a rule whose fire failed waits before it is tried again.
MAX_BACKOFF_S = 60.0


def backoff_s(failures: int) -> float:
    """Seconds before a rule whose fire failed ``failures`` times in a row is tried
    again."""
    return min(2.0 ** min(failures, 16), MAX_BACKOFF_S)


def scheduled_event(core: Core, rule: Rule, due_ms: int, event_id: str) -> dict[str, object]:
    """The envelope AWS sends for a scheduled rule."""
    minute = (due_ms // 60000) * 60
    return {
        "version": "0",
        "id": event_id,
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": core.account.account_id,
        "time": iso_seconds(minute),
        "region": core.account.region,
        "resources": [core.rule_arn(rule.bus, rule.name)],
        "detail": {},
    }


class Scheduler:
    def __init__(self, core: Core, deliveries: Deliveries) -> None:
        self._core = core
        self._deliveries = deliveries
        self._wake = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        #: Rules whose fire failed: (failures in a row, not before this time, epoch ms).
        self._backoff: dict[str, tuple[int, int]] = {}
        #: Fires made, for tests.
        self.fired = 0

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    def wake(self) -> None:
        """A rule changed: look at the schedules again."""
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

    def _scheduled(self) -> list[Rule]:
        bus = self._core.buses.get(names.DEFAULT_BUS)
        if bus is None:
            return []
        return [r for r in bus.rules.values() if r.schedule and r.next_fire_ms is not None]

    def _due_ms(self, rule: Rule) -> int | None:
        """When ``rule`` is next looked at: its fire time, or the end of its back-off."""
        if rule.next_fire_ms is None:
            return None
        held = self._backoff.get(rule.name)
        return max(rule.next_fire_ms, held[1]) if held is not None else rule.next_fire_ms

    async def _run(self) -> None:
        clock = self._core.clock
        while not self._closing:
            self._wake.clear()
            now = self._core.now_ms()
            for rule in self._scheduled():
                due = self._due_ms(rule)
                if due is None or due > now:
                    continue
                try:
                    await self.fire(rule.name)
                except Exception as error:
                    self._failed(rule.name, error)
                else:
                    self._backoff.pop(rule.name, None)
            upcoming = [d for d in map(self._due_ms, self._scheduled()) if d is not None]
            timeout = None
            if upcoming:
                timeout = max(min(upcoming) - self._core.now_ms(), 0) / 1000
            await clock.wait(self._wake, timeout)

    def _failed(self, name: str, error: Exception) -> None:
        failures = self._backoff.get(name, (0, 0))[0] + 1
        delay = backoff_s(failures)
        self._backoff[name] = (failures, self._core.now_ms() + int(delay * 1000))
        log.warning(
            "firing the scheduled rule %s failed (%s): trying again in %.0f s",
            name,
            getattr(error, "message", repr(error)),
            delay,
        )

    async def fire(self, name: str) -> None:
        """Fire the rule if its time has come: its deliveries and its next time, one
        write."""
        core = self._core
        async with core.admin:
            bus = core.buses.get(names.DEFAULT_BUS)
            rule = bus.rules.get(name) if bus is not None else None
            if bus is None or rule is None or rule.schedule is None or rule.next_fire_ms is None:
                return
            due = rule.next_fire_ms
            now = core.now_ms()
            if due > now:
                return
            following = next_fire(parse_schedule(rule.schedule), max(due, now), due)
            event = scheduled_event(core, rule, due, ids.request_id())
            stored = StoredEvent(str(event["id"]), compact(event), now)
            deliveries = (
                deliveries_for(core, rule, event, stored, now) if rule.state != "DISABLED" else []
            )

            def applied() -> None:
                current = bus.rules.get(name)
                if current is not None:
                    bus.put_rule(dataclasses.replace(current, next_fire_ms=following))
                self._deliveries.add(stored, deliveries)

            await core.write(
                [AddEvent(stored, deliveries), SetFire(bus.bus.name, name, following)], applied
            )
            if rule.state != "DISABLED":
                self.fired += 1

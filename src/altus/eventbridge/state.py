"""What the EventBridge service holds in memory, mirrored by its store: buses with their
rules (and each rule's parsed pattern), and the group commit every change is written
through before memory takes it, so concurrent PutEvents calls share commits and are
durable before they are answered."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from altus.arns import Account
from altus.clock import Clock
from altus.eventbridge import names
from altus.eventbridge.errors import InternalException, bus_not_found, rule_not_found
from altus.eventbridge.model import Bus, Change, Rule
from altus.eventbridge.store import EventStore
from altus.events.patterns import Pattern
from altus.store.commit import GroupCommit


def _nothing() -> None:
    return None


def _failure(error: Exception) -> Exception:
    return InternalException(f"The store failed to write the change: {error}")


@dataclass(slots=True)
class BusState:
    bus: Bus
    rules: dict[str, Rule] = field(default_factory=dict)
    #: Each rule's parsed pattern (rules with a pattern only).
    patterns: dict[str, Pattern] = field(default_factory=dict)

    def put_rule(self, rule: Rule) -> None:
        self.rules[rule.name] = rule
        if rule.event_pattern:
            self.patterns[rule.name] = Pattern.parse(rule.event_pattern)
        else:
            self.patterns.pop(rule.name, None)

    def drop_rule(self, name: str) -> None:
        self.rules.pop(name, None)
        self.patterns.pop(name, None)


class Core:
    def __init__(self, account: Account, clock: Clock, store: EventStore) -> None:
        self.account = account
        self.clock = clock
        self.store = store
        self._commit: GroupCommit[Sequence[Change]] = GroupCommit(self._apply, failure=_failure)
        self.buses: dict[str, BusState] = {}
        #: Changes of buses, rules and targets, one at a time.
        self.admin = asyncio.Lock()
        self._seq = 0

    async def _apply(self, plans: Sequence[Sequence[Change]]) -> list[Exception | None]:
        return await self.store.apply(plans)

    async def write(self, plan: Sequence[Change], applied: Callable[[], Any] = _nothing) -> Any:
        """Write ``plan`` durably, then run ``applied`` (memory follows the store)."""
        return await asyncio.ensure_future(self._commit.write(plan, applied))

    async def drain(self) -> None:
        await self._commit.drain()

    def now_ms(self) -> int:
        return int(self.clock.now() * 1000)

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def seen_seq(self, seq: int) -> None:
        self._seq = max(self._seq, seq)

    # --- names -----------------------------------------------------------------------------

    def bus_arn(self, name: str) -> str:
        return names.bus_arn(self.account, name)

    def rule_arn(self, bus: str, name: str) -> str:
        return names.rule_arn(self.account, bus, name)

    def bus(self, member: str | None) -> BusState:
        """The bus ``EventBusName`` names (by name or ARN); ResourceNotFound if none."""
        name = names.bus_name(member, self.account)
        found = self.buses.get(name)
        if found is None:
            raise bus_not_found(name)
        return found

    def rule(self, name: str, bus_member: str | None) -> tuple[BusState, Rule]:
        state = self.bus(bus_member)
        rule = state.rules.get(name)
        if rule is None:
            raise rule_not_found(name, state.bus.name)
        return state, rule

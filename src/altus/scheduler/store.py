"""The schedule store: groups, schedules (with their next fire times) and the
deliveries of occurrences that fired.

Writes are durable before they return. A plan is written all-or-nothing in one
transaction: a fire is the occurrence's delivery row and the schedule's next time
(or its deletion, ActionAfterCompletion DELETE) together, so a crash either loses the
fire before it happened (it is due again at restart, and fires) or keeps both (the
delivery is resumed, the schedule has moved on): never both a delivery and the old
time, which would fire the occurrence twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from altus.scheduler.model import Change, Snapshot


class ScheduleStore(Protocol):
    async def load(self) -> Snapshot:
        """Everything stored (read once, at start): groups and schedules by name,
        deliveries in ``seq`` order."""
        ...

    async def apply(self, plan: Sequence[Change]) -> None:
        """Write ``plan`` in order in one transaction, all of it or (raising) none.
        A put replaces the row of the same key; dropping a group drops its schedules;
        dropping what is not there does nothing."""
        ...

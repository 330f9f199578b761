"""The EventBridge store: buses, rules (with their targets and next fire times),
accepted events and their pending deliveries.

Writes are durable before they return. ``apply`` takes several plans (each a list of
changes) and writes them in one transaction, each all-or-nothing on its own, so
concurrent PutEvents calls (and the delivery worker's bookkeeping) share one commit
(``altus.store.commit.GroupCommit``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from altus.eventbridge.model import Change, Snapshot


class EventStore(Protocol):
    async def load(self) -> Snapshot:
        """Everything stored (read once, at start): buses and rules in the order they
        were made, pending deliveries in ``seq`` order and the events they refer to."""
        ...

    async def apply(self, plans: Sequence[Sequence[Change]]) -> list[Exception | None]:
        """Write ``plans`` in order, in one transaction; per plan None, or the error that
        kept it out (then nothing of that plan was written, and the others were).
        Dropping a bus drops its rules; dropping the last delivery of an event drops the
        event; ``AddEvent`` with no deliveries writes nothing."""
        ...

"""The topic store: topics, subscriptions, messages waiting for delivery, their
deliveries and FIFO deduplication ids.

Writes are durable before they return. ``apply`` takes several plans (each a list of
changes) and writes them in one transaction, each all-or-nothing on its own, so
concurrent publishes (and the delivery worker's bookkeeping) share one commit
(``altus.store.commit.GroupCommit``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from altus.sns.model import Change, Snapshot


class TopicStore(Protocol):
    async def load(self) -> Snapshot:
        """Everything stored (read once, at start): topics and subscriptions in the order
        they were made, pending deliveries in ``seq`` order and the messages they refer
        to, unexpired or not dedup ids."""
        ...

    async def apply(self, plans: Sequence[Sequence[Change]]) -> list[Exception | None]:
        """Write ``plans`` in order, in one transaction; per plan None, or the error that
        kept it out (then nothing of that plan was written, and the others were).
        Dropping a topic drops its subscriptions, their deliveries, its messages and
        dedup ids; dropping a subscription drops its deliveries (not one added after it
        in the same plan) and the messages no delivery refers to any more."""
        ...

    async def collect(self) -> int:
        """Delete messages no delivery refers to (a crash between a delivery's end and
        its message's); how many went."""
        ...

"""What every part of the SNS service shares: topics and subscriptions in memory, the
FIFO deduplication ids, the group commit every change is written through, and the
account, clock and signer (``Core``). The component (``altus.sns.component``) builds it
and starts what runs on it; planners and senders are given it.

Every change is a plan written through one ``GroupCommit`` before memory takes it, so
concurrent publishes share commits and are durable before they are answered. Plans are
queued in the order they were made (each submission is a task made at once), so a
publish planned before an Unsubscribe is written before it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from altus.arns import Account
from altus.clock import Clock
from altus.identity.documents import parsed
from altus.sns import names
from altus.sns.envelopes import Urls
from altus.sns.errors import InternalError, SnsError, topic_not_found
from altus.sns.model import Change, Dedup, Subscription, Topic
from altus.sns.signing import Signer
from altus.sns.store import TopicStore
from altus.store.commit import GroupCommit


def _failure(error: Exception) -> Exception:
    if isinstance(error, SnsError):
        return error
    return InternalError("The topic store failed to write the change: nothing of it was kept.")


def _nothing() -> None:
    return None


@dataclass(slots=True)
class TopicState:
    """A topic as memory holds it, with its subscriptions in the order they were made."""

    topic: Topic
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    #: SubscriptionsDeleted: unsubscribed since the server started.
    deleted: int = 0
    #: A FIFO topic's publishes go one at a time.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last_sequence: int = 0

    def next_sequence(self, now_ms: int) -> str:
        """A FIFO topic's next sequence number: rising, and past any from before a
        restart (they start from the clock)."""
        self.last_sequence = max(self.last_sequence + 1, now_ms * 1_000_000)
        return f"{self.last_sequence:020d}"

    def counts(self) -> tuple[int, int]:
        """(confirmed, pending) subscriptions."""
        confirmed = sum(1 for s in self.subscriptions.values() if s.confirmed)
        return confirmed, len(self.subscriptions) - confirmed


class Core:
    def __init__(
        self,
        account: Account,
        clock: Clock,
        store: TopicStore,
        signer: Signer,
        base_url: str,
    ) -> None:
        self.account = account
        self.clock = clock
        self.store = store
        self.signer = signer
        self.base_url = base_url
        self._commit: GroupCommit[Sequence[Change]] = GroupCommit(self._apply, failure=_failure)
        self.topics: dict[str, TopicState] = {}
        #: Every subscription, by ARN.
        self.subscriptions: dict[str, Subscription] = {}
        #: FIFO deduplication ids, by (topic name, id).
        self.dedups: dict[tuple[str, str], Dedup] = {}
        #: Changes of topics and subscriptions, one at a time.
        self.admin = asyncio.Lock()
        self._seq = 0

    async def _apply(self, plans: Sequence[Sequence[Change]]) -> list[Exception | None]:
        # The store as it is now (a test may wrap it to make some writes fail).
        return await self.store.apply(plans)

    def submit(
        self, plan: Sequence[Change], applied: Callable[[], Any] = _nothing
    ) -> asyncio.Future[Any]:
        """Queue ``plan`` for writing now, in this order among all plans; the future
        gives what ``applied()`` returns once it is written (or the error)."""
        return asyncio.ensure_future(self._commit.write(plan, applied))

    async def write(self, plan: Sequence[Change], applied: Callable[[], Any] = _nothing) -> Any:
        return await self.submit(plan, applied)

    async def drain(self) -> None:
        await self._commit.drain()

    # --- names -----------------------------------------------------------------------------

    def arn(self, name: str) -> str:
        return self.account.arn("sns", name)

    def now_ms(self) -> int:
        return int(self.clock.now() * 1000)

    def next_seq(self) -> int:
        """The next delivery's number."""
        self._seq += 1
        return self._seq

    def seen_seq(self, seq: int) -> None:
        self._seq = max(self._seq, seq)

    def urls(self) -> Urls:
        return Urls(self.base_url, self.signer.certificate_name)

    # --- reading ---------------------------------------------------------------------------

    def state(self, name: str) -> TopicState:
        found = self.topics.get(name)
        if found is None:
            raise topic_not_found()
        return found

    def state_of_arn(self, arn: str, parameter: str = "TopicArn") -> TopicState:
        """The topic ``arn`` names: InvalidParameter for what is no topic ARN here,
        NotFound for one that names no topic."""
        return self.state(names.topic_name(arn, self.account, parameter))

    def policies(self, arn: str) -> list[Mapping[str, Any]]:
        """The topic's access policy, as the authoriser reads resource policies (none
        for what is no topic here)."""
        try:
            name = names.topic_name(arn, self.account)
        except SnsError:
            return []
        state = self.topics.get(name)
        document = state.topic.attributes.get("Policy", "") if state is not None else ""
        found = parsed(document) if document else None
        return [found] if found is not None else []

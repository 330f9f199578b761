"""The SNS service's component: what the platform builds, starts, interrupts and
closes. It holds the shared state (``state.Core``: topics, subscriptions, the group
commit), the delivery worker and its senders, and is the target other services send
records to by a topic's ARN (``deliver``: the record is published to the topic, so
topics serve as Lambda's destinations and dead-letter queues and as event source
mappings' on-failure destinations).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

from altus.api.spec import Context
from altus.sns import publishing
from altus.sns.delivery import Deliveries
from altus.sns.endpoints import Endpoints
from altus.sns.model import DropDedups
from altus.sns.signing import Signer
from altus.sns.sql_store import SqlTopicStore
from altus.sns.state import Core, TopicState
from altus.sns.store import TopicStore

log = logging.getLogger(__name__)

#: How often (platform clock seconds) expired FIFO deduplication ids are deleted.
SWEEP_INTERVAL = 60.0


class Topics:
    def __init__(self, context: Context, store: TopicStore | None = None) -> None:
        settings = context.settings
        base = context.endpoint or f"http://{settings.host}:{settings.port}"
        self.core = Core(
            context.account,
            context.clock,
            store or SqlTopicStore(context.storage.database()),
            Signer(settings.data_dir / "sns-signing.pem"),
            base.rstrip("/"),
        )
        self.identity = context.identity
        self.endpoints = Endpoints(self.core, context.targets, context.identity)
        self.deliveries = Deliveries(self.endpoints, context.clock, self.core.write)
        self._sweeper: asyncio.Task[None] | None = None
        context.targets.register("sns", self)

    @property
    def account_id(self) -> str:
        return self.core.account.account_id

    # --- life ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Load topics, subscriptions and pending deliveries; start delivering."""
        core = self.core
        await core.store.collect()
        snapshot = await core.store.load()
        for topic in snapshot.topics:
            core.topics[topic.name] = TopicState(topic)
        for subscription in snapshot.subscriptions:
            state = core.topics.get(subscription.topic)
            if state is not None:
                state.subscriptions[subscription.arn] = subscription
                core.subscriptions[subscription.arn] = subscription
        for dedup in snapshot.dedups:
            core.dedups[(dedup.topic, dedup.dedup_id)] = dedup
            state = core.topics.get(dedup.topic)
            if state is not None:
                state.last_sequence = max(state.last_sequence, int(dedup.sequence))
        messages = {message.id: message for message in snapshot.messages}
        for delivery in snapshot.deliveries:
            core.seen_seq(delivery.seq)
            message = messages.get(delivery.message_id)
            if message is not None:
                self.deliveries.add(message, [delivery])
        # The signing key is made (or read) off the event loop, once.
        await asyncio.to_thread(lambda: core.signer.certificate)
        self.deliveries.start()
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep_forever())

    def interrupt(self) -> None:
        self.deliveries.interrupt()

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._sweeper
        await self.deliveries.close()
        await self.core.drain()
        await self.endpoints.close()

    # --- FIFO deduplication ids ------------------------------------------------------------

    async def _sweep_forever(self) -> None:
        while True:
            await self.core.clock.sleep(SWEEP_INTERVAL)
            try:
                await self.sweep()
            except Exception:
                log.warning("sweeping expired SNS deduplication ids failed", exc_info=True)

    async def sweep(self) -> None:
        """Delete the FIFO deduplication ids past their five minutes."""
        core = self.core
        now = core.now_ms()
        if not any(d.expires_ms < now for d in core.dedups.values()):
            return

        def applied() -> None:
            for key, dedup in list(core.dedups.items()):
                if dedup.expires_ms < now:
                    del core.dedups[key]

        await core.write([DropDedups(now)], applied)

    # --- as a target -----------------------------------------------------------------------

    def resource_policies(self, arn: str) -> list[Mapping[str, Any]]:
        """``altus.targets.PolicySource``: the policies of the topic ``arn`` names."""
        return self.core.policies(arn)

    async def deliver(
        self,
        arn: str,
        body: str,
        attributes: Mapping[str, Mapping[str, str]] | None = None,
        *,
        trace: str | None = None,
    ) -> None:
        """A record sent to a topic (``altus.targets``): published to the topic ``arn``
        names, with ``attributes`` (SQS wire form) as its message attributes; durable
        once this returns. Raises InvalidParameter (no topic ARN of this region and
        account; a FIFO topic, which needs a message group; an empty record or one over
        256 KB) or NotFound (no such topic)."""
        state = self.core.state_of_arn(arn)
        await publishing.publish_record(self.core, self.deliveries, state, body, attributes, trace)

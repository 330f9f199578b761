"""A broker in memory: the in-memory implementation of ``base.Consumer``, for tests of
what drives consumers (the mapping engine's broker poller) without a server.

Each group (a queue, a topic) is a list of messages; each mapping (its subscription's
``mapping_id``) keeps one position per group: the first message it has not
acknowledged. Whatever a consumer fetched and did not acknowledge is delivered again to
the next consumer, as a broker does after a reconnect. ``down`` makes every call fail as
a lost connection does. Consumers hold their callers to ``base.Consumer``'s contract: an
``ack`` of anything but a prefix of what is in hand raises ``ContractBroken``.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Sequence
from typing import Any

from altus.brokers.base import CONNECTION, BrokerError, Consumer, Message, Subscription


class ContractBroken(AssertionError):
    """A consumer was used against its contract (``base.Consumer``)."""


class MemoryBroker:
    def __init__(self) -> None:
        self.groups: dict[str, list[bytes]] = {}
        #: Per mapping id, per group: the index of the first message not acknowledged.
        self.positions: dict[str, dict[str, int]] = {}
        #: Every consumer's calls fail (the connection is lost) while set.
        self.down = False
        #: Connections open, but every fetch fails (a broker that drops each
        #: connection at once) while set.
        self.fail_fetches = False
        #: How many times each message (group, index) was fetched.
        self.deliveries: dict[tuple[str, int], int] = {}
        #: What ``forget`` removed: the subscriptions' mapping ids.
        self.forgotten: list[str] = []
        #: Every fetch's ``(limit, wait)``, in order.
        self.fetches: list[tuple[int, float]] = []
        self._arrived = asyncio.Event()

    def acked(self, mapping_id: str, group: str) -> int:
        """How many of ``group``'s messages the mapping has acknowledged."""
        return self.positions.get(mapping_id, {}).get(group, 0)

    def publish(self, group: str, data: bytes) -> None:
        self.groups.setdefault(group, []).append(data)
        self._arrived.set()

    def connect(self, subscription: Subscription) -> Consumer:
        return MemoryConsumer(self, subscription)


class MemoryConsumer:
    def __init__(self, broker: MemoryBroker, subscription: Subscription) -> None:
        self._broker = broker
        self._names = subscription.names
        self._mapping_id = subscription.mapping_id
        #: Per group, the index of the next message to fetch.
        self._next: dict[str, int] = {}
        #: Fetched and not acknowledged, in fetch order.
        self._in_hand: list[Message] = []
        self._open = False

    def _check(self) -> None:
        if self._broker.down or not self._open:
            raise BrokerError(CONNECTION, "the in-memory broker is down")

    async def open(self) -> None:
        self._open = True
        self._check()
        acked = self._broker.positions.setdefault(self._mapping_id, {})
        for name in self._names:
            self._next[name] = acked.get(name, 0)

    async def fetch(self, limit: int, wait: float) -> list[Message]:
        self._check()
        self._broker.fetches.append((limit, wait))
        if self._broker.fail_fetches:
            raise BrokerError(CONNECTION, "the in-memory broker dropped the connection")
        found = self._take(limit)
        if not found and wait > 0:
            self._broker._arrived.clear()
            try:
                await asyncio.wait_for(self._broker._arrived.wait(), wait)
            except TimeoutError:
                return []
            self._check()
            found = self._take(limit)
        if len(found) > limit:
            raise ContractBroken(f"fetched {len(found)} messages, asked for {limit}")
        self._in_hand.extend(found)
        return found

    def _take(self, limit: int) -> list[Message]:
        out: list[Message] = []
        for name in self._names:
            messages = self._broker.groups.get(name, [])
            while len(out) < limit and self._next[name] < len(messages):
                index = self._next[name]
                self._next[name] += 1
                key = (name, index)
                self._broker.deliveries[key] = self._broker.deliveries.get(key, 0) + 1
                out.append(self._message(name, index, messages[index]))
        return out

    def _message(self, group: str, index: int, data: bytes) -> Message:
        record = {
            "eventSource": "altus:memory",
            "eventID": f"{group}:{index}",
            "memory": {"group": group, "index": index, "data": base64.b64encode(data).decode()},
        }
        try:
            view: Any = json.loads(data)
        except ValueError:
            view = data.decode(errors="replace")
        return Message(
            id=f"{group}:{index}",
            group=group,
            record=record,
            filter_view={"data": view},
            size=len(json.dumps(record)),
            token=(group, index),
        )

    async def ack(self, messages: Sequence[Message]) -> None:
        self._check()
        prefix = self._in_hand[: len(messages)]
        if len(prefix) != len(messages) or any(
            given is not held for given, held in zip(messages, prefix, strict=True)
        ):
            raise ContractBroken("ack takes a prefix of the messages in hand, in order")
        del self._in_hand[: len(messages)]
        acked = self._broker.positions.setdefault(self._mapping_id, {})
        for message in messages:
            group, index = message.token
            acked[group] = max(acked.get(group, 0), index + 1)

    async def hold(self, messages: Sequence[Message]) -> None:
        self._check()

    def event(self, messages: Sequence[Message]) -> dict[str, Any]:
        return {"Records": [dict(message.record) for message in messages]}

    async def close(self) -> None:
        self._open = False
        self._in_hand.clear()

    async def forget(self) -> None:
        if self._broker.down:
            raise BrokerError(CONNECTION, "the in-memory broker is down")
        self._broker.forgotten.append(self._mapping_id)

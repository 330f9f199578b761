"""One queue in memory: its messages indexed for receiving, and what operations have
claimed but not yet written.

``QueueService`` changes a ``QueueState`` only once the store has a change (plan, then
apply); the selection functions here are pure reads over it, given the time.

- Every message has one live entry in a heap ordered by (visible time, send order); an
  entry is replaced, not updated, when the message's visible time changes, and older
  entries are skipped when they surface. A standard queue receives from the top of the
  heap; both kinds of queue find their next wake-up there.
- A FIFO queue also keeps each message group's messages in send order. A group is
  locked while any of its messages is in flight, and yields messages from its head only.
- ``busy`` holds the messages an operation has picked but not yet written, so two
  concurrent receives never deliver the same message.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass, field

from altus.queues.attributes import RedrivePolicy, parse_redrive
from altus.queues.base import Dedup, Message, Queue


@dataclass(slots=True)
class Pick:
    """What a receive found: messages to deliver, to redrive, and expired ones."""

    deliver: list[Message] = field(default_factory=list)
    redrive: list[Message] = field(default_factory=list)
    expired: list[Message] = field(default_factory=list)
    #: Heap entries popped while picking, restored if the receive is not written.
    popped: list[tuple[int, int, str, int]] = field(default_factory=list)

    def messages(self) -> list[Message]:
        return [*self.deliver, *self.redrive, *self.expired]


class QueueState:
    def __init__(self, queue: Queue) -> None:
        self.queue = queue
        self.messages: dict[str, Message] = {}
        self.dedups: dict[str, Dedup] = {}
        self.busy: set[str] = set()
        self._heap: list[tuple[int, int, str, int]] = []
        self._slots: dict[str, int] = {}
        self._groups: dict[str, deque[str]] = {}

    # --- changes (applied after the store has them) --------------------------------------

    def add(self, message: Message) -> None:
        self.messages[message.id] = message
        self.index(message)
        if self.queue.fifo:
            self._groups.setdefault(message.group_id or "", deque()).append(message.id)

    def index(self, message: Message) -> None:
        """(Re)enter a message in the heap at its current visible time."""
        slot = self._slots.get(message.id, 0) + 1
        self._slots[message.id] = slot
        heapq.heappush(self._heap, (message.visible_ms, message.seq, message.id, slot))

    def remove(self, message_id: str) -> Message | None:
        message = self.messages.pop(message_id, None)
        self._slots.pop(message_id, None)
        if message is not None and self.queue.fifo:
            group = self._groups.get(message.group_id or "")
            if group is not None:
                if group and group[0] == message_id:
                    group.popleft()
                else:
                    group.remove(message_id)
                if not group:
                    del self._groups[message.group_id or ""]
        return message

    def clear(self) -> None:
        self.messages.clear()
        self._slots.clear()
        self._heap.clear()
        self._groups.clear()

    def restore(self, popped: list[tuple[int, int, str, int]]) -> None:
        for entry in popped:
            heapq.heappush(self._heap, entry)

    # --- reads ---------------------------------------------------------------------------

    def retention_ms(self) -> int:
        return self.queue.number("MessageRetentionPeriod") * 1000

    def expired(self, message: Message, now_ms: int) -> bool:
        return message.sent_ms + self.retention_ms() <= now_ms

    def redrive_policy(self) -> RedrivePolicy | None:
        return parse_redrive(self.queue.attributes.get("RedrivePolicy", ""))

    def _live(self, entry: tuple[int, int, str, int]) -> bool:
        return self._slots.get(entry[2]) == entry[3]

    def pick(self, now_ms: int, limit: int, redrive_at: int | None) -> Pick:
        """Up to ``limit`` messages to deliver now; with ``redrive_at``, a message already
        received that many times goes to ``redrive`` instead (its next receive attempt)."""
        if self.queue.fifo:
            return self._pick_fifo(now_ms, limit, redrive_at)
        pick = Pick()
        heap = self._heap
        while heap and len(pick.deliver) < limit and heap[0][0] <= now_ms:
            entry = heapq.heappop(heap)
            if not self._live(entry):
                continue
            message = self.messages[entry[2]]
            pick.popped.append(entry)
            if message.id in self.busy:
                continue
            if self.expired(message, now_ms):
                pick.expired.append(message)
            elif redrive_at is not None and message.receive_count >= redrive_at:
                pick.redrive.append(message)
            else:
                pick.deliver.append(message)
        # Busy messages go back at once: their own operation re-enters them when written.
        for entry in pick.popped:
            if entry[2] in self.busy:
                heapq.heappush(heap, entry)
        pick.popped = [e for e in pick.popped if e[2] not in self.busy]
        return pick

    def _pick_fifo(self, now_ms: int, limit: int, redrive_at: int | None) -> Pick:
        pick = Pick()
        heads = sorted(self._groups.values(), key=lambda ids: self.messages[ids[0]].seq)
        for ids in heads:
            if len(pick.deliver) >= limit:
                break
            if self._locked(ids, now_ms):
                continue
            for message_id in ids:
                if len(pick.deliver) >= limit:
                    break
                message = self.messages[message_id]
                if self.expired(message, now_ms):
                    pick.expired.append(message)
                    continue
                if message.visible_ms > now_ms:
                    break  # delayed: the group's later messages wait behind it
                if redrive_at is not None and message.receive_count >= redrive_at:
                    pick.redrive.append(message)
                    continue
                pick.deliver.append(message)
        return pick

    def _locked(self, ids: deque[str], now_ms: int) -> bool:
        for message_id in ids:
            message = self.messages[message_id]
            if message_id in self.busy or message.in_flight(now_ms):
                return True
            if message.receive_count == 0:
                return False  # never received: nothing after it has been either
        return False

    def next_wake_ms(self, now_ms: int) -> int | None:
        """The earliest time after ``now_ms`` a message may become receivable."""
        heap = self._heap
        while heap and (not self._live(heap[0]) or (self.queue.fifo and heap[0][0] <= now_ms)):
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def counts(self, now_ms: int) -> tuple[int, int, int]:
        """(visible, in flight, delayed): ApproximateNumberOfMessages[NotVisible|Delayed]."""
        visible = in_flight = delayed = 0
        for message in self.messages.values():
            if self.expired(message, now_ms):
                continue
            if message.visible_ms <= now_ms:
                visible += 1
            elif message.receive_count:
                in_flight += 1
            else:
                delayed += 1
        return visible, in_flight, delayed

"""In-memory queue store: the same contract as SQLite, for tests and throwaway servers."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import replace

from altus.queues.base import (
    Dedup,
    DropAllMessages,
    DropDedups,
    DropMessages,
    DropQueue,
    Message,
    PutDedup,
    PutDelivery,
    PutMessage,
    PutQueue,
    Queue,
    QueueChange,
    Snapshot,
)


class MemoryQueueStore:
    """``QueueStore`` in dictionaries; each plan applies all-or-nothing."""

    def __init__(self) -> None:
        self._queues: dict[str, Queue] = {}
        self._messages: dict[tuple[str, str], Message] = {}
        self._dedups: dict[tuple[str, str], Dedup] = {}

    def load(self) -> Snapshot:
        return Snapshot(
            queues=[copy.deepcopy(q) for q in self._queues.values()],
            messages=sorted(
                (copy.deepcopy(m) for m in self._messages.values()), key=lambda m: m.seq
            ),
            dedups=list(self._dedups.values()),
        )

    def apply(self, plans: Sequence[Sequence[QueueChange]]) -> list[Exception | None]:
        results: list[Exception | None] = []
        for plan in plans:
            try:
                staged = (dict(self._queues), dict(self._messages), dict(self._dedups))
                for change in plan:
                    _apply_one(*staged, change)
            except Exception as error:  # reported per plan, as SQLite does
                results.append(error)
                continue
            self._queues, self._messages, self._dedups = staged
            results.append(None)
        return results

    def close(self) -> None:
        pass


def _apply_one(
    queues: dict[str, Queue],
    messages: dict[tuple[str, str], Message],
    dedups: dict[tuple[str, str], Dedup],
    change: QueueChange,
) -> None:
    match change:
        case PutQueue(queue):
            queues[queue.name] = copy.deepcopy(queue)
        case DropQueue(name):
            queues.pop(name, None)
            for key in [k for k in messages if k[0] == name]:
                del messages[key]
            for key in [k for k in dedups if k[0] == name]:
                del dedups[key]
        case PutMessage(message):
            if message.queue not in queues:
                raise KeyError(f"no queue {message.queue}")
            messages[message.queue, message.id] = copy.deepcopy(message)
        case PutDelivery(queue, message_id, visible_ms, count, first_ms, receipt):
            old = messages.get((queue, message_id))
            if old is not None:
                messages[queue, message_id] = replace(
                    old,
                    visible_ms=visible_ms,
                    receive_count=count,
                    first_receive_ms=first_ms,
                    receipt=receipt,
                )
        case DropMessages(queue, ids):
            for message_id in ids:
                messages.pop((queue, message_id), None)
        case DropAllMessages(queue):
            for key in [k for k in messages if k[0] == queue]:
                del messages[key]
        case PutDedup(dedup):
            if dedup.queue not in queues:
                raise KeyError(f"no queue {dedup.queue}")
            dedups[dedup.queue, dedup.key] = dedup
        case DropDedups(before_ms):
            for key in [k for k, d in dedups.items() if d.expires_ms <= before_ms]:
                del dedups[key]

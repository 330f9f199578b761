"""How a deployment's steps are kept: each change of a stack or of one of its resources
is made to the stack in memory and written at once (the whole stack document and the
event it makes, in one transaction), in the order the steps happened.

Writes of one stack are serialised, and each writes the document as it is when its turn
comes, so a later step can never be overwritten by an earlier one.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import uuid
from collections.abc import Callable
from typing import Any

from altus.cloudformation.model import STACK_TYPE, ChangeSet, Resource, Stack, StackEvent
from altus.cloudformation.store import StackStore, Write


def event_time(moment: float) -> str:
    return datetime.datetime.fromtimestamp(moment, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Recorder:
    def __init__(self, store: StackStore, now: Callable[[], float]) -> None:
        self._store = store
        self._now = now
        self._locks: dict[str, asyncio.Lock] = {}

    def now(self) -> float:
        return self._now()

    async def save(
        self,
        stack: Stack,
        *events: StackEvent,
        change_sets: tuple[ChangeSet, ...] = (),
        dropped: tuple[str, ...] = (),
    ) -> None:
        """Write the stack as it is now, with ``events`` (and change sets put or dropped
        in the same transaction)."""
        lock = self._locks.setdefault(stack.stack_id, asyncio.Lock())
        async with lock:
            await self._store.write(
                Write(
                    stacks=(stack,),
                    events=events,
                    change_sets=change_sets,
                    dropped_change_sets=dropped,
                )
            )

    def stack_event(self, stack: Stack, status: str, reason: str | None = None) -> StackEvent:
        """An event of the stack itself (its status is set too)."""
        now = self._now()
        stack.status = status
        stack.reason = reason
        return self._event(
            stack,
            str(uuid.uuid4()),
            stack.name,
            stack.stack_id,
            STACK_TYPE,
            now,
            status,
            reason,
            None,
        )

    def resource_event(
        self,
        stack: Stack,
        resource: Resource,
        status: str,
        reason: str | None = None,
        properties: Any = None,
    ) -> StackEvent:
        """An event of ``resource`` (its status and reason are set too)."""
        now = self._now()
        resource.status = status
        resource.reason = reason
        resource.updated = now
        text = json.dumps(properties, separators=(",", ":")) if properties is not None else None
        return self._event(
            stack,
            f"{resource.logical_id}-{status}-{event_time(now)}",
            resource.logical_id,
            resource.physical_id,
            resource.type,
            now,
            status,
            reason,
            text,
        )

    def _event(
        self,
        stack: Stack,
        event_id: str,
        logical_id: str,
        physical_id: str | None,
        kind: str,
        now: float,
        status: str,
        reason: str | None,
        properties: str | None,
    ) -> StackEvent:
        sequence = stack.events
        stack.events += 1
        token = stack.operation.token if stack.operation is not None else None
        return StackEvent(
            stack_id=stack.stack_id,
            event_id=event_id,
            sequence=sequence,
            stack_name=stack.name,
            logical_id=logical_id,
            physical_id=physical_id,
            resource_type=kind,
            timestamp=now,
            status=status,
            reason=reason,
            properties=properties,
            token=token,
        )

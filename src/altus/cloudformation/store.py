"""Where stacks, their events and change sets are kept (``sql_store.py`` is the one
implementation, on every backend).

The component keeps every stack and change set in memory and writes each change through
here before it acts on it: a step of a deployment is written (the stack's whole document
and the events it made, in one transaction) before the next step starts, so a restart
finds each stack as it was after its last completed step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from altus.cloudformation.model import ChangeSet, Stack, StackEvent


@dataclass(frozen=True)
class Write:
    """One atomic change: stacks (whole documents) and their new events, change sets
    put or removed, stacks purged (with their events and change sets)."""

    stacks: Sequence[Stack] = ()
    events: Sequence[StackEvent] = ()
    change_sets: Sequence[ChangeSet] = ()
    dropped_change_sets: Sequence[str] = ()
    purged_stacks: Sequence[str] = field(default_factory=tuple)


class StackStore(Protocol):
    async def load(self) -> tuple[list[Stack], list[ChangeSet]]:
        """Every stack kept (deleted ones too, until purged) and every change set."""
        ...

    async def write(self, write: Write) -> None:
        """Apply ``write`` all at once or not at all. An event whose (stack, sequence) is
        already stored is not stored twice (a step written again after a failed write)."""
        ...

    async def events(self, stack_id: str, before: int | None, limit: int) -> list[StackEvent]:
        """Up to ``limit`` of the stack's events, newest first, those with a sequence
        below ``before`` where given."""
        ...

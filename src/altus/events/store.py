"""The mapping store: event source mappings and the positions their pollers reached.

The mapping service plans each change as data (a list of ``MappingChange``) and the
store writes a plan in one transaction, durably, before memory changes or a client is
answered. Stream pollers write a checkpoint after each batch they finished, so a restart
(even after a SIGKILL) resumes every shard after the last batch it finished: records
are delivered at least once, in order.

One implementation, ``sql_store.SqlMappingStore``, on every ``altus.store`` database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from altus.events.mapping import EventSourceMapping


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """Where a mapping's reader of one shard is: after sequence number ``position``
    (None: before the oldest record), with the state a tumbling window carries."""

    position: str | None
    state: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PutMapping:
    mapping: EventSourceMapping


@dataclass(frozen=True, slots=True)
class DropMapping:
    """Remove a mapping with its checkpoints."""

    uuid: str


@dataclass(frozen=True, slots=True)
class PutCheckpoint:
    uuid: str
    shard: str
    checkpoint: Checkpoint


@dataclass(frozen=True, slots=True)
class DropCheckpoints:
    """Forget where a mapping's readers were (its stream was deleted)."""

    uuid: str


MappingChange = PutMapping | DropMapping | PutCheckpoint | DropCheckpoints


@dataclass(frozen=True, slots=True)
class Snapshot:
    mappings: list[EventSourceMapping]
    #: By mapping, by shard.
    checkpoints: dict[str, dict[str, Checkpoint]]


class MappingStore(Protocol):
    async def load(self) -> Snapshot:
        """Every mapping and every checkpoint."""
        ...

    async def apply(self, plans: Sequence[Sequence[MappingChange]]) -> list[Exception | None]:
        """Write each plan all-or-nothing (all of them in one transaction where it can),
        durably before returning; per plan None or the error that kept it out. A
        checkpoint of a mapping no longer stored is dropped silently. Raises
        ``altus.store.database.DatabaseError`` if the database fails as a whole."""
        ...

"""The store interface: where the function model lives between restarts.

The control layer computes a plan (a list of ``Change`` values, pure data) and hands it to
``Store.apply``, which writes all of it in one transaction or none of it. Only after
``apply`` returns does the control layer update its in-memory view and answer the client:
a crash at any point leaves either the old state or the new one, never half.

Backends: ``sqlite`` (the embedded default), ``memory`` (tests). PostgreSQL implements the
same interface for many machines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from altus.control.model import Alias, FunctionConfig, FunctionRecord, LayerVersion


@dataclass(frozen=True, slots=True)
class CreateFunction:
    """Insert a new function. Fails (StoreConflict) if the name exists."""

    latest: FunctionConfig
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PutLatest:
    """Replace $LATEST. ``expect_revision`` makes it a compare-and-swap."""

    latest: FunctionConfig
    expect_revision: str | None = None


@dataclass(frozen=True, slots=True)
class PutVersion:
    """Insert a published version and advance the function's version counter."""

    config: FunctionConfig
    last_version: int


@dataclass(frozen=True, slots=True)
class DeleteVersion:
    name: str
    version: str


@dataclass(frozen=True, slots=True)
class PutAlias:
    alias: Alias


@dataclass(frozen=True, slots=True)
class DeleteAlias:
    function: str
    name: str


@dataclass(frozen=True, slots=True)
class PutTags:
    name: str
    tags: dict[str, str]


@dataclass(frozen=True, slots=True)
class DeleteFunction:
    """Remove a function with all its versions, aliases and attachments."""

    name: str


@dataclass(frozen=True, slots=True)
class PutAttached:
    """Attach a document (a policy, a URL, a concurrency setting ...) to a function or one
    of its qualifiers; ``value=None`` removes it."""

    function: str
    kind: str
    qualifier: str
    value: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class PutLayerVersion:
    """Insert or replace a layer version and advance its layer's version counter."""

    layer: LayerVersion


@dataclass(frozen=True, slots=True)
class DeleteLayerVersion:
    name: str
    version: int


Change = CreateFunction | PutLatest | PutVersion | DeleteVersion | PutAlias | DeleteAlias | (
    PutTags | DeleteFunction | PutAttached | PutLayerVersion | DeleteLayerVersion
)


class StoreConflict(Exception):
    """A change's precondition failed (duplicate name, revision moved on). Nothing applied."""


class Store(Protocol):
    """Durable function state."""

    def load(self) -> list[FunctionRecord]:
        """Every function with its versions, aliases and tags (``runnable_latest`` unset)."""
        ...

    def apply(self, changes: Sequence[Change]) -> None:
        """Apply every change atomically and durably before returning.

        Raises StoreConflict if any precondition fails; then nothing is applied."""
        ...

    def load_layers(self) -> tuple[list[LayerVersion], dict[str, int]]:
        """Every layer version, and each layer's last version number handed out."""
        ...

    def code_references(self) -> set[str]:
        """Every code digest some version or layer version still uses (for code store
        garbage collection)."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class QueuedEvent:
    """An accepted asynchronous invoke, stored before the 202 is sent."""

    id: str
    function: str
    qualifier: str | None
    payload: bytes
    received_ms: int
    attempts: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class EventQueue(Protocol):
    """Durable queue of accepted Event invokes."""

    def put(self, event: QueuedEvent) -> None:
        """Store the event durably; only then may the caller acknowledge it."""
        ...

    def pending(self) -> list[QueuedEvent]:
        """Events accepted but not yet finished, oldest first (recovery after restart)."""
        ...

    def done(self, event_id: str) -> None:
        """Forget an event that has been handled (delivered, or finally failed)."""
        ...

    def close(self) -> None: ...

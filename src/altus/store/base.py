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


Change = (
    CreateFunction
    | PutLatest
    | PutVersion
    | DeleteVersion
    | PutAlias
    | DeleteAlias
    | (PutTags | DeleteFunction | PutAttached | PutLayerVersion | DeleteLayerVersion)
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
    """An accepted asynchronous invoke, stored before the 202 is sent.

    ``attempts`` counts the function's runs that failed; ``extra`` keeps what a retry
    needs after a restart (``due_ms``: not before; ``last``: the last failure)."""

    id: str
    function: str
    qualifier: str | None
    payload: bytes
    received_ms: int
    attempts: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    """What an event's end sends on: a destination record (``kind`` OnSuccess or
    OnFailure) or the original event for a dead-letter queue (``kind`` DeadLetter), on
    its way to ``target`` (an ARN, or an http(s) URL). ``parked_ms`` is set once it has
    failed too often to reach its target and waits for an operator."""

    id: str
    event_id: str
    function: str
    kind: str
    target: str
    body: str
    attributes: dict[str, Any] = field(default_factory=dict)
    created_ms: int = 0
    attempts: int = 0
    parked_ms: int | None = None
    last_error: str | None = None


class EventQueue(Protocol):
    """Durable queue of accepted Event invokes, and the outbox of what their ends send."""

    def put(self, events: Sequence[QueuedEvent]) -> None:
        """Store the events durably, in one transaction; only then may the caller
        acknowledge them."""
        ...

    def pending(self) -> list[QueuedEvent]:
        """Events accepted but not yet finished, oldest first (recovery after restart)."""
        ...

    def payload(self, event_id: str) -> bytes | None:
        """One pending event's payload (None if it is finished)."""
        ...

    def update(self, event: QueuedEvent) -> None:
        """Durably record an event's ``attempts`` and ``extra`` (a retry is scheduled)."""
        ...

    def finish(self, ends: Sequence[tuple[str, Sequence[OutboxRecord]]]) -> None:
        """Forget handled events, each with what it sends on, in one transaction: a crash
        leaves either an event (to be run again) or its records, never neither."""
        ...

    def outbox(self, parked: bool) -> list[OutboxRecord]:
        """Records still to be sent (``parked=False``) or parked ones, oldest first."""
        ...

    def put_record(self, record: OutboxRecord) -> None:
        """Insert or replace one record (its tries, parking or un-parking)."""
        ...

    def record_done(self, record_id: str) -> None:
        """Forget a record its target has (or an operator discarded)."""
        ...

    def close(self) -> None: ...

"""The function store: where the function model lives between restarts.

The control layer computes a plan (a list of ``Change`` values, pure data) and hands it to
``FunctionStore.apply``, which writes all of it in one transaction or none of it. Only
after ``apply`` returns does the control layer update its in-memory view and answer the
client: a crash at any point leaves either the old state or the new one, never half.

One implementation, ``sql_store.SqlFunctionStore``, on every database backend of
``altus.store`` (SQLite in memory or in a file, PostgreSQL).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from altus.control.errors import StoreFailure
from altus.control.model import Alias, FunctionConfig, FunctionRecord, LayerVersion
from altus.store.database import DatabaseError

T = TypeVar("T")


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


class FunctionStore(Protocol):
    """Durable function and layer state. Every method is a coroutine: the work runs off
    the event loop."""

    async def load(self) -> list[FunctionRecord]:
        """Every function with its versions, aliases, tags and attachments
        (``runnable_latest`` unset)."""
        ...

    async def apply(self, changes: Sequence[Change]) -> None:
        """Apply every change atomically and durably before returning.

        Raises StoreConflict if any precondition fails; then nothing is applied. Raises
        ``altus.store.database.DatabaseError`` if the database fails; then nothing is
        applied either."""
        ...

    async def load_layers(self) -> tuple[list[LayerVersion], dict[str, int]]:
        """Every layer version, and each layer's last version number handed out."""
        ...

    async def code_references(self) -> set[str]:
        """Every code digest some version or layer version still uses (for code store
        garbage collection), and the merged /opt trees configurations use."""
        ...


async def commit(store: FunctionStore, changes: Sequence[Change], then: Callable[[], T]) -> T:
    """Apply ``changes`` durably, then ``then()`` (the in-memory update), as one step that
    a cancelled caller does not cut in half: once the store has a change, memory follows.
    Raises StoreConflict (nothing applied) and StoreFailure (the database failed;
    nothing applied)."""

    async def step() -> T:
        try:
            await store.apply(changes)
        except DatabaseError as error:
            raise StoreFailure(f"The function store failed: {error}") from None
        return then()

    return await asyncio.shield(asyncio.ensure_future(step()))

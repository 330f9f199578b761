"""The DynamoDB service's store: tables, items, index rows and stream records.

Items are rows keyed by their table's id and their ``rows.Address``; an item's rows in
the table's secondary indexes and its stream record are written in the same
transaction as the item, so no reader ever sees an item without its index rows, and a
committed change always has its stream record (``sql_store``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from altus.dynamodb.model import Index, ItemWrite, Table, Written
from altus.dynamodb.rows import Address
from altus.dynamodb.values import Item


class ConditionsFailed(Exception):
    """Writes whose condition the stored item did not meet: by the write's index, the
    item as stored (None: there was none). Nothing of the call was written."""

    def __init__(self, failed: dict[int, Item | None]) -> None:
        super().__init__(f"conditions failed: {sorted(failed)}")
        self.failed = failed


class TableChanged(Exception):
    """A table's definition changed (or it was deleted) since the writes were planned
    on it: nothing was written; plan them again on the table as it is."""

    def __init__(self, name: str) -> None:
        super().__init__(f"table {name} changed")
        self.name = name


@dataclass(frozen=True, slots=True)
class TokenClaim:
    """A TransactWriteItems' ClientRequestToken, kept with its write until ``expires``;
    ``digest`` says what the request was."""

    token: str
    digest: str
    expires: float


class TokenRepeated(Exception):
    """The token is kept already (a repeat): nothing was written. ``same``: the repeat
    asks what the first call did (an idempotent repeat), else it is a mismatch."""

    def __init__(self, same: bool) -> None:
        super().__init__("token repeated")
        self.same = same


@dataclass(frozen=True, slots=True)
class Row:
    """An item (or what an index holds of it) as read, and the bytes it counts for."""

    item: dict[str, Any]
    size: int


@dataclass(frozen=True, slots=True)
class KeyRange:
    """A Query's read: the rows of one partition key of a table (``index`` None) or of
    an index, sort keys within [``low``, ``high``] (each bound None: open; exclusive
    where its flag says), in order or reversed, after ``after`` (a row's sort key and,
    for an index, its table address: what LastEvaluatedKey named)."""

    table: Table
    index: Index | None
    partition: Address
    low: bytes | None = None
    low_inclusive: bool = True
    high: bytes | None = None
    high_inclusive: bool = True
    forward: bool = True
    after: tuple[bytes, Address | None] | None = None


@dataclass(frozen=True, slots=True)
class ScanRange:
    """A Scan's read: the rows of a table (``index`` None) or index in the store's order
    (partition hash, partition, sort), within ``segment`` of ``segments`` (parts of the
    hash space), after ``after`` (a row's address and, for an index, its table address)."""

    table: Table
    index: Index | None
    segment: int = 0
    segments: int = 1
    after: tuple[Address, Address | None] | None = None


class TableStore(Protocol):
    # --- tables -----------------------------------------------------------------------------

    async def load(self) -> list[Table]:
        """Every table stored (deleted ones are not)."""
        ...

    async def put_table(self, table: Table, purge: Sequence[str] = ()) -> None:
        """Store ``table`` (created or changed), durably; ``purge``: ids (of indexes it
        no longer has, streams it no longer keeps) whose rows ``purge`` deletes from
        now on, noted in the same write."""
        ...

    async def drop_table(self, table: Table, purge: Sequence[str]) -> None:
        """Forget ``table`` (DeleteTable) and note ``purge`` (its id, its indexes' and
        streams' ids) in the same write: their rows are left for ``purge``."""
        ...

    async def purge(self, limit: int) -> int:
        """Delete up to ``limit`` rows kept under the ids noted for purging, and forget
        the ids with nothing left; how many rows were deleted (0: nothing is left)."""
        ...

    # --- items ------------------------------------------------------------------------------

    async def write(
        self,
        writes: Sequence[ItemWrite],
        now: float,
        region: str,
        claim: TokenClaim | None = None,
    ) -> list[Written]:
        """Apply ``writes`` all together or not at all: ``TableChanged`` if a table's
        definition version is no longer the one they were planned on; ``TokenRepeated``
        if ``claim``'s token is kept (else it is kept with the write); read each item, check every
        condition (``ConditionsFailed`` naming each that failed, nothing written), make
        each new item (``writing.after``: its ValidationException propagates, nothing
        written), then write the items that changed, their index rows, and a stream
        record for each change to a table whose stream is enabled. Returns each item
        before and after. No two writes may name the same item."""
        ...

    async def get(self, table: Table, keys: Sequence[Item]) -> list[Item | None]:
        """The items of these keys (None where there is none), consistently read."""
        ...

    async def query(self, read: KeyRange, limit: int, max_bytes: int) -> list[Row]:
        """Up to ``limit`` rows of the range, in its order, stopping once their sizes
        reach ``max_bytes`` (the row that reaches it included)."""
        ...

    async def scan(self, read: ScanRange, limit: int, max_bytes: int) -> list[Row]:
        """As ``query``, for a Scan."""
        ...

    async def stats(self, id: str) -> tuple[int, int]:
        """How many items a table (or index, by its id) holds, and their bytes."""
        ...

    async def backfill(
        self, table: Table, index: Index, after: Address | None, limit: int
    ) -> Address | None:
        """Write the index rows of up to ``limit`` items of ``table`` after ``after`` (in
        the store's order); the last item's address, None when no item was left."""
        ...

    async def expire(self, table: Table, now: float, limit: int, region: str) -> int:
        """Delete up to ``limit`` items whose time to live (the table's TTL attribute, a
        number of epoch seconds) is before ``now``, as a write of the service (stream
        records say so); how many were deleted."""
        ...

    async def set_expiry(self, table: Table, after: Address | None, limit: int) -> Address | None:
        """Note when each of up to ``limit`` items after ``after`` expires, by the
        table's TTL attribute as it is now (time to live was just enabled or changed);
        the last item's address, None when no item was left."""
        ...

    # --- streams ----------------------------------------------------------------------------

    async def stream_records(
        self, stream_id: str, after: int | None, limit: int
    ) -> list[tuple[int, dict[str, Any]]]:
        """Up to ``limit`` records of the stream after sequence ``after`` (None: from
        the oldest kept), oldest first, with their sequences."""
        ...

    async def stream_bounds(self, stream_id: str) -> tuple[int | None, int | None]:
        """The oldest sequence the stream keeps (None: none) and the newest it ever
        had (None: none yet; kept when every record has been trimmed)."""
        ...

    async def forget_tokens(self, now: float) -> int:
        """Forget the tokens kept until before ``now``; how many."""
        ...

    async def trim_streams(self, before: float, limit: int) -> int:
        """Delete up to ``limit`` stream records written before ``before`` (24 hours
        ago); how many."""
        ...

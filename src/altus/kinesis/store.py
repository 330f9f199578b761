"""The stream store: streams' configurations and their records.

Writes are durable before they return. ``apply`` takes several plans (each a list of
changes) and writes them in one transaction, each all-or-nothing on its own, so
concurrent puts share one commit (``altus.store.commit.GroupCommit``). Records are read
by key ranges of one shard; nothing here holds records in memory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from altus.kinesis.model import Change, Snapshot, StoredRecord


class StreamStore(Protocol):
    async def load(self) -> Snapshot:
        """Every stream, and per shard that has records: how many and the newest key
        (read once, at start)."""
        ...

    async def apply(self, plans: Sequence[Sequence[Change]]) -> list[Exception | None]:
        """Write ``plans`` in order, in one transaction; per plan None, or the error that
        kept it out (then nothing of that plan was written, and the others were).
        Adding records to a stream that is not there writes them anyway: the caller
        orders its plans so that this never happens (a stream's puts are submitted
        before its deletion)."""
        ...

    async def read(
        self,
        stream: str,
        shard: int,
        after: int,
        floor: int,
        limit: int,
        max_bytes: int,
    ) -> list[StoredRecord]:
        """Up to ``limit`` records of the shard with keys above ``after`` and at or above
        ``floor`` (the retention cutoff), in key order, with at most ``max_bytes`` of
        data (partition keys included), but always the first if there is one."""
        ...

    async def purge(self, stream: str, limit: int) -> int:
        """Delete up to ``limit`` records of ``stream``, in a transaction of their own;
        how many went (fewer than ``limit``: none is left)."""
        ...

    async def trim(self, stream: str, floor: int, shards: Sequence[int]) -> Mapping[int, int]:
        """Delete the records of these shards with keys below ``floor``, and raise the
        stream's ``base_key`` to ``floor`` if it is lower; how many went, per shard."""
        ...

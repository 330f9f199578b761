"""A stream in memory: its configuration, where each hash key goes, and per shard what a
reader needs without asking the store (the newest key written, how many records, who
waits for the next one). Records themselves stay in the store.

``last_key`` of a shard moves only once records are written (their plan applied), in
key order: a reader that saw a shard's newest key has everything below it. The stream's
``last_key`` is the other thing: the highest key handed out, written or not, so a new
record always gets a key above every earlier one.
"""

from __future__ import annotations

import asyncio
import bisect

from altus.kinesis import sequences
from altus.kinesis.model import ACTIVE, DELETING, UPDATING, Shard, Stream


class ShardState:
    __slots__ = ("event", "last_key", "records", "shard")

    def __init__(self, shard: Shard) -> None:
        self.shard = shard
        #: The newest key written to the shard (its start while it has none).
        self.last_key = shard.start_key
        self.records = 0
        #: Set (and dropped) when a record is written, the shard closes or goes.
        self.event: asyncio.Event | None = None

    def added(self, key: int) -> None:
        """A record of ``key`` was written."""
        self.last_key = max(self.last_key, key)
        self.records += 1
        self.wake()

    def waiter(self) -> asyncio.Event:
        if self.event is None:
            self.event = asyncio.Event()
        return self.event

    def wake(self) -> None:
        if self.event is not None:
            self.event.set()
            self.event = None


class StreamState:
    def __init__(self, stream: Stream) -> None:
        self.stream = stream
        self.shards: dict[int, ShardState] = {}
        self.last_key = stream.base_key
        #: Set while its deletion is being written: it takes and serves nothing more.
        self.deleting = False
        #: Set while a resharding is being written: puts wait for it (they must go to
        #: the shards the change leaves open, with keys above those it closes at).
        self.pause: asyncio.Event | None = None
        self._starts: list[int] = []
        self._open: list[ShardState] = []
        self.configure(stream)

    @property
    def name(self) -> str:
        return self.stream.name

    @property
    def status(self) -> str:
        if self.deleting:
            return DELETING
        return UPDATING if self.pause is not None else ACTIVE

    def configure(self, stream: Stream) -> None:
        """Take ``stream``'s (written) configuration: shards made are added, those
        closed or dropped wake their readers, what each kept shard holds stays."""
        self.stream = stream
        shards: dict[int, ShardState] = {}
        for shard in stream.shards:
            state = self.shards.get(shard.index) or ShardState(shard)
            if shard.closed and not state.shard.closed:
                state.wake()
            state.shard = shard
            shards[shard.index] = state
            self.last_key = max(self.last_key, shard.start_key, shard.end_key or 0)
        for index, state in self.shards.items():
            if index not in shards:
                state.wake()
        self.shards = shards
        opened = sorted(stream.open_shards, key=lambda shard: shard.start_hash)
        self._starts = [shard.start_hash for shard in opened]
        self._open = [shards[shard.index] for shard in opened]

    def route(self, hash_key: int) -> ShardState:
        """The open shard whose range holds ``hash_key`` (open ranges cover them all)."""
        return self._open[bisect.bisect_right(self._starts, hash_key) - 1]

    def allocate(self, now_ms: int) -> int:
        """The key of a record arriving now."""
        self.last_key = sequences.next_key(self.last_key, now_ms)
        return self.last_key

    def wake_all(self) -> None:
        for state in self.shards.values():
            state.wake()

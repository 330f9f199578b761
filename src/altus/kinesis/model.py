"""What the stream service keeps: streams, their shards (open and closed), and the
records in them; the limits Kinesis Data Streams puts on them; and the changes a plan is
made of.

A stream's configuration (mode, retention, tags, its shards with their hash key ranges
and lineage) is one small value, written whole on every change; records are rows of
their own, keyed by (stream, shard, key), never held in memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

PROVISIONED = "PROVISIONED"
ON_DEMAND = "ON_DEMAND"

ACTIVE = "ACTIVE"
UPDATING = "UPDATING"
DELETING = "DELETING"

#: Retention (hours): the default, and the range Increase/DecreaseStreamRetentionPeriod
#: accept.
DEFAULT_RETENTION = 24
MIN_RETENTION = 24
MAX_RETENTION = 8760
#: The shards an on-demand stream starts with (AWS: 4 MB/s of writes, about 4 shards).
ON_DEMAND_SHARDS = 4
#: Open shards an account may have (AWS's default quota), and on-demand streams.
SHARD_LIMIT = 500
ON_DEMAND_STREAM_LIMIT = 50
#: The largest record (data plus partition key, bytes) unless the stream says more
#: (``MaxRecordSizeInKiB``, 1024 to 10240).
DEFAULT_MAX_RECORD_KIB = 1024
#: PutRecords: at most 500 records (the model says so) and 5 MiB with partition keys.
MAX_PUT_RECORDS_BYTES = 5 * 1024 * 1024
#: GetRecords: at most 10,000 records (the model's maximum, and the default) and about
#: 10 MiB of data per call.
MAX_GET_RECORDS = 10_000
MAX_GET_BYTES = 10 * 1024 * 1024
#: Tags a stream may carry.
MAX_TAGS = 50
#: The shard-level metrics EnableEnhancedMonitoring takes (``ALL`` means all of them).
METRICS = (
    "IncomingBytes",
    "IncomingRecords",
    "OutgoingBytes",
    "OutgoingRecords",
    "WriteProvisionedThroughputExceeded",
    "ReadProvisionedThroughputExceeded",
    "IteratorAgeMilliseconds",
)


@dataclass(frozen=True, slots=True)
class Shard:
    """One shard: the hash keys it takes (inclusive), the sequence keys it covers
    (records have keys above ``start_key``; a closed shard none above ``end_key``) and
    the shards it came from."""

    index: int
    start_hash: int
    end_hash: int
    start_key: int
    #: Set when the shard was split or merged (closed): it takes no more records.
    end_key: int | None = None
    parent: int | None = None
    adjacent_parent: int | None = None

    @property
    def shard_id(self) -> str:
        return shard_id(self.index)

    @property
    def closed(self) -> bool:
        return self.end_key is not None

    def takes(self, hash_key: int) -> bool:
        return self.start_hash <= hash_key <= self.end_hash


@dataclass(frozen=True, slots=True)
class Stream:
    """A stream's configuration, written whole on every change."""

    name: str
    #: 16 digits that sequence numbers of this stream (and no other) begin with, after
    #: ``49``: creation milliseconds and three random digits.
    tag: int
    created_ms: int
    mode: str
    retention_hours: int
    #: Every shard still listed, open and closed, by index.
    shards: tuple[Shard, ...]
    tags: Mapping[str, str] = field(default_factory=dict)
    #: Enhanced monitoring's shard-level metrics (accepted and reported, not computed).
    metrics: tuple[str, ...] = ()
    max_record_kib: int = DEFAULT_MAX_RECORD_KIB
    #: A key no record of the stream has passed when this was written: the floor of
    #: new keys after a restart (records below it may all have been trimmed).
    base_key: int = 0
    #: Its deletion began: its records go in bounded steps (a restart goes on with
    #: them), then the stream itself.
    deleting: bool = False

    @property
    def open_shards(self) -> list[Shard]:
        return [shard for shard in self.shards if not shard.closed]

    def shard(self, index: int) -> Shard | None:
        for shard in self.shards:
            if shard.index == index:
                return shard
        return None

    @property
    def next_index(self) -> int:
        """The index of the next shard made (children always number after parents)."""
        return max(shard.index for shard in self.shards) + 1 if self.shards else 0


def shard_id(index: int) -> str:
    return f"shardId-{index:012d}"


# --- records -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewRecord:
    """A record as PutRecord(s) writes it."""

    shard: int
    key: int
    partition_key: str
    data: bytes


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """A record as read back (its arrival time is in its key: ``sequences.arrival_ms``)."""

    key: int
    partition_key: str
    data: bytes


# --- the changes a plan is made of ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PutStream:
    """Create the stream, or replace its configuration (its records stay)."""

    stream: Stream


@dataclass(frozen=True, slots=True)
class DropStream:
    """Delete the stream and every record of it."""

    name: str


@dataclass(frozen=True, slots=True)
class AddRecords:
    """Append records to the stream's shards."""

    stream: str
    records: tuple[NewRecord, ...]


Change = PutStream | DropStream | AddRecords


@dataclass(frozen=True, slots=True)
class ShardCounts:
    """What the store holds of one shard, read once at start."""

    stream: str
    shard: int
    records: int
    #: The key of its newest record.
    last_key: int


@dataclass(frozen=True, slots=True)
class Snapshot:
    streams: list[Stream]
    shards: list[ShardCounts]

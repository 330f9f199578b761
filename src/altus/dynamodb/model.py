"""What the DynamoDB service keeps: tables (key schema, attribute types, indexes, billing,
streams, time to live, tags) as frozen values, and the writes that change items.

A table has an ``id`` of its own (a UUID): its items, index entries and stream records
are stored under it, so a table deleted (its items purged in the background) and
created again under the same name never meets the old one's data. An index has an id
too (``<table id>/<index name>``): an index dropped and added again is backfilled anew.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from altus.dynamodb.expressions.ast import Condition, Update
from altus.dynamodb.values import Item

# Table and index statuses (DescribeTable's ``TableStatus`` / ``IndexStatus``).
CREATING = "CREATING"
UPDATING = "UPDATING"
DELETING = "DELETING"
ACTIVE = "ACTIVE"

PROVISIONED = "PROVISIONED"
PAY_PER_REQUEST = "PAY_PER_REQUEST"

GLOBAL = "GLOBAL"
LOCAL = "LOCAL"

# Projection types.
ALL = "ALL"
KEYS_ONLY = "KEYS_ONLY"
INCLUDE = "INCLUDE"

# Stream view types.
NEW_IMAGE = "NEW_IMAGE"
OLD_IMAGE = "OLD_IMAGE"
NEW_AND_OLD_IMAGES = "NEW_AND_OLD_IMAGES"

# Time to live statuses.
TTL_ENABLED = "ENABLED"
TTL_DISABLED = "DISABLED"


@dataclass(frozen=True, slots=True)
class KeySchema:
    """A table's or an index's key: the partition (HASH) attribute and, optionally, the
    sort (RANGE) attribute, each with its scalar type (``S``, ``N``, ``B``)."""

    hash_name: str
    hash_type: str
    range_name: str | None = None
    range_type: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return (self.hash_name,) if self.range_name is None else (self.hash_name, self.range_name)


@dataclass(frozen=True, slots=True)
class Projection:
    """What an index holds of an item besides the keys: ``ALL``, ``KEYS_ONLY`` or
    ``INCLUDE`` (with ``non_key``)."""

    type: str = ALL
    non_key: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Throughput:
    read: int = 0
    write: int = 0
    #: When the last increase and decrease were made (epoch seconds), and how many
    #: decreases today (DescribeTable's ``ProvisionedThroughput``).
    last_increase: float | None = None
    last_decrease: float | None = None
    decreases_today: int = 0


@dataclass(frozen=True, slots=True)
class Index:
    """A secondary index: ``GLOBAL`` (its own key, kept for every item that has it) or
    ``LOCAL`` (the table's partition key with another sort key)."""

    name: str
    id: str
    kind: str
    key: KeySchema
    projection: Projection
    status: str = ACTIVE
    #: A global index added to a table with items is filled in the background.
    backfilling: bool = False
    throughput: Throughput | None = None
    created: float = 0.0


@dataclass(frozen=True, slots=True)
class Stream:
    """A table's stream: one per time streaming was enabled (its label is the time, as
    AWS's ``LatestStreamLabel``); a disabled one stays readable for 24 hours."""

    label: str
    arn: str
    view_type: str
    created: float
    #: When streaming was disabled (None: it is the table's current stream).
    disabled: float | None = None

    @property
    def enabled(self) -> bool:
        return self.disabled is None


@dataclass(frozen=True, slots=True)
class TimeToLive:
    attribute: str | None = None
    status: str = TTL_DISABLED


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    id: str
    arn: str
    key: KeySchema
    #: ``AttributeDefinitions``: every key attribute of the table and its indexes.
    attributes: Mapping[str, str]
    created: float
    billing_mode: str = PROVISIONED
    throughput: Throughput = field(default_factory=Throughput)
    indexes: tuple[Index, ...] = ()
    status: str = ACTIVE
    streams: tuple[Stream, ...] = ()
    ttl: TimeToLive = field(default_factory=TimeToLive)
    tags: Mapping[str, str] = field(default_factory=dict)
    deletion_protection: bool = False
    table_class: str = "STANDARD"
    #: When billing was last changed (``BillingModeSummary``).
    billing_changed: float | None = None
    #: Members kept as given and shown back (``SSEDescription`` ...).
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: Counts the changes of the definition (the store refuses writes planned on an
    #: older one: ``store.TableChanged``).
    version: int = 0

    @property
    def stream(self) -> Stream | None:
        """The table's current stream (streaming enabled), if any."""
        return next((s for s in reversed(self.streams) if s.enabled), None)

    def index(self, name: str) -> Index | None:
        return next((i for i in self.indexes if i.name == name), None)


# --- item writes ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Put:
    """PutItem's (and BatchWriteItem's) item, whole."""

    item: Item


@dataclass(frozen=True, slots=True)
class Patch:
    """UpdateItem's expression, applied to the item as it is when written."""

    update: Update


@dataclass(frozen=True, slots=True)
class Remove:
    """DeleteItem."""


@dataclass(frozen=True, slots=True)
class Check:
    """TransactWriteItems' ConditionCheck: the condition alone, nothing written."""


Action = Put | Patch | Remove | Check


@dataclass(frozen=True, slots=True)
class ItemWrite:
    """One item's write: the table, the item's key (its key attributes, checked), what
    to do and the condition the item as stored must meet first."""

    table: Table
    key: Item
    action: Action
    condition: Condition | None = None


@dataclass(frozen=True, slots=True)
class Written:
    """An item before and after its write (None: there was none / there is none)."""

    old: Item | None
    new: Item | None

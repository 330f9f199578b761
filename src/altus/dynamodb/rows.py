"""Where an item is stored: its row in the table (the partition key's hash, the encoded
partition and sort keys) and its rows in the table's secondary indexes (the index's
keys, then the table's, and what the index projects of the item). Pure: no I/O.

A row's order is the store's order: within a partition key (its hash first, then its
bytes), by the sort key's encoding (``keys``): DynamoDB's order. An index row carries the
table's key too, so two items with the same index key are two rows; an item without
the index's key attributes (or with a key of the wrong type) has no row there: indexes
are sparse, as DynamoDB's are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from altus.dynamodb import keys
from altus.dynamodb.model import ALL, INCLUDE, Index, KeySchema, Table
from altus.dynamodb.values import Item, item_size


@dataclass(frozen=True, slots=True)
class Address:
    """A row's key in the store: the partition key's hash and encoding, the sort key's
    encoding (``b""`` without one)."""

    hash: bytes
    partition: bytes
    sort: bytes


@dataclass(frozen=True, slots=True)
class IndexRow:
    index_id: str
    address: Address
    #: The table's key of the item (its row's address).
    table: Address
    item: Mapping[str, Any]
    size: int


def address(key: KeySchema, item: Item) -> Address | None:
    """Where ``item`` sits under ``key``, None if it lacks a key attribute or has one of
    another type than the key's (an index does not hold it then)."""
    partition = item.get(key.hash_name)
    if partition is None or key.hash_type not in partition:
        return None
    sort = b""
    if key.range_name is not None:
        value = item.get(key.range_name)
        if value is None or key.range_type not in value:
            return None
        sort = keys.encode(value)
    return Address(keys.partition_hash(partition), keys.encode(partition), sort)


def primary(table: Table, item: Item) -> Address:
    """The table row of ``item`` (whose key the caller has checked)."""
    found = address(table.key, item)
    if found is None:
        raise ValueError(f"the item has no key of table {table.name}")
    return found


def key_of(key: KeySchema, item: Item) -> dict[str, Any]:
    """The key attributes of ``item`` under ``key``."""
    return {name: item[name] for name in key.names if name in item}


def table_key(table: Table, item: Item) -> dict[str, Any]:
    return key_of(table.key, item)


def projected(table: Table, index: Index, item: Item) -> dict[str, Any]:
    """What ``index`` holds of ``item``: the table's and the index's keys, and the
    projection's attributes."""
    projection = index.projection
    if projection.type == ALL:
        return dict(item)
    kept = set(table.key.names) | set(index.key.names)
    if projection.type == INCLUDE:
        kept |= set(projection.non_key)
    return {name: value for name, value in item.items() if name in kept}


def index_rows(table: Table, item: Item) -> list[IndexRow]:
    """The rows ``item`` has in the table's indexes (those being created too)."""
    base = primary(table, item)
    rows = []
    for index in table.indexes:
        found = address(index.key, item)
        if found is None:
            continue
        held = projected(table, index, item)
        rows.append(IndexRow(index.id, found, base, held, item_size(held)))
    return rows

"""Tables as the store keeps them (JSON), and items as it keeps them (CBOR: binary
attribute values stay bytes, and it is compact)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import cbor2

from altus.dynamodb.model import (
    Index,
    KeySchema,
    Projection,
    Stream,
    Table,
    Throughput,
    TimeToLive,
)


def item_bytes(item: Mapping[str, Any]) -> bytes:
    return cbor2.dumps(dict(item))


def item_of(data: bytes) -> dict[str, Any]:
    found: dict[str, Any] = cbor2.loads(bytes(data))
    return found


def _key(key: KeySchema) -> dict[str, Any]:
    return {
        "hash": [key.hash_name, key.hash_type],
        "range": None if key.range_name is None else [key.range_name, key.range_type],
    }


def _key_of(doc: Mapping[str, Any]) -> KeySchema:
    hash_name, hash_type = doc["hash"]
    ranged = doc.get("range")
    if ranged is None:
        return KeySchema(hash_name, hash_type)
    return KeySchema(hash_name, hash_type, ranged[0], ranged[1])


def _throughput(value: Throughput | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {
        "read": value.read,
        "write": value.write,
        "lastIncrease": value.last_increase,
        "lastDecrease": value.last_decrease,
        "decreasesToday": value.decreases_today,
    }


def _throughput_of(doc: Mapping[str, Any] | None) -> Throughput | None:
    if doc is None:
        return None
    return Throughput(
        read=int(doc["read"]),
        write=int(doc["write"]),
        last_increase=doc.get("lastIncrease"),
        last_decrease=doc.get("lastDecrease"),
        decreases_today=int(doc.get("decreasesToday") or 0),
    )


def table_body(table: Table) -> str:
    doc = {
        "name": table.name,
        "id": table.id,
        "arn": table.arn,
        "key": _key(table.key),
        "attributes": dict(table.attributes),
        "created": table.created,
        "billingMode": table.billing_mode,
        "throughput": _throughput(table.throughput),
        "indexes": [
            {
                "name": index.name,
                "id": index.id,
                "kind": index.kind,
                "key": _key(index.key),
                "projection": [index.projection.type, list(index.projection.non_key)],
                "status": index.status,
                "backfilling": index.backfilling,
                "throughput": _throughput(index.throughput),
                "created": index.created,
            }
            for index in table.indexes
        ],
        "status": table.status,
        "streams": [
            {
                "label": stream.label,
                "arn": stream.arn,
                "viewType": stream.view_type,
                "created": stream.created,
                "disabled": stream.disabled,
            }
            for stream in table.streams
        ],
        "ttl": [table.ttl.attribute, table.ttl.status],
        "tags": dict(table.tags),
        "deletionProtection": table.deletion_protection,
        "tableClass": table.table_class,
        "billingChanged": table.billing_changed,
        "extra": dict(table.extra),
    }
    return json.dumps(doc, separators=(",", ":"))


def table_of(body: str) -> Table:
    doc = json.loads(body)
    throughput = _throughput_of(doc.get("throughput")) or Throughput()
    return Table(
        name=doc["name"],
        id=doc["id"],
        arn=doc["arn"],
        key=_key_of(doc["key"]),
        attributes=dict(doc["attributes"]),
        created=float(doc["created"]),
        billing_mode=doc["billingMode"],
        throughput=throughput,
        indexes=tuple(
            Index(
                name=index["name"],
                id=index["id"],
                kind=index["kind"],
                key=_key_of(index["key"]),
                projection=Projection(index["projection"][0], tuple(index["projection"][1])),
                status=index["status"],
                backfilling=bool(index.get("backfilling")),
                throughput=_throughput_of(index.get("throughput")),
                created=float(index.get("created") or 0.0),
            )
            for index in doc.get("indexes", [])
        ),
        status=doc["status"],
        streams=tuple(
            Stream(
                label=stream["label"],
                arn=stream["arn"],
                view_type=stream["viewType"],
                created=float(stream["created"]),
                disabled=stream.get("disabled"),
            )
            for stream in doc.get("streams", [])
        ),
        ttl=TimeToLive(*doc.get("ttl", [None, "DISABLED"])),
        tags=dict(doc.get("tags") or {}),
        deletion_protection=bool(doc.get("deletionProtection")),
        table_class=doc.get("tableClass") or "STANDARD",
        billing_changed=doc.get("billingChanged"),
        extra=dict(doc.get("extra") or {}),
    )

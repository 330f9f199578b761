"""What the Query and Scan tests share (``test_dynamodb_queries``,
``test_dynamodb_index_reads``, ``test_dynamodb_query_errors``): a real server, tables
made through CreateTable when the service serves it (else straight through the
component), items written through the component in one transaction per batch (fast, and
independent of the item operations), values in Python (boto3's serializer) and every page
of a read collected."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from altus.dynamodb import model, rows
from altus.dynamodb.values import check_item
from altus.platform import Platform
from altus.testing import Harness


class _ExactNumbers(TypeDeserializer):  # type: ignore[misc]  # boto3 is untyped
    """boto3's deserializer, but numbers as exact Decimals: its own context rounds at 38
    digits and refuses DynamoDB's largest numbers in the plain notation DynamoDB
    returns (boto3 issue 2500)."""

    def _deserialize_n(self, value: str) -> Decimal:
        return Decimal(value)

    def _deserialize_ns(self, value: list[str]) -> set[Decimal]:
        return {Decimal(text) for text in value}


_SERIALIZER = TypeSerializer()
_DESERIALIZER = _ExactNumbers()
#: Items per store write when filling a table.
_BATCH = 500
#: Pages a collected read may take (every loop is bounded).
MAX_PAGES = 1000


def wire(item: Mapping[str, Any]) -> dict[str, Any]:
    """A Python item (str, Decimal, bytes, sets, lists, dicts) as attribute values."""
    return {name: _SERIALIZER.serialize(value) for name, value in item.items()}


def plain(item: Mapping[str, Any]) -> dict[str, Any]:
    """Attribute values as Python (numbers as Decimal, binaries as bytes)."""
    found = {name: _DESERIALIZER.deserialize(value) for name, value in item.items()}
    return {name: getattr(value, "value", value) for name, value in found.items()}


def values(**given: Any) -> dict[str, Any]:
    """ExpressionAttributeValues from Python values: ``values(a=1)`` is ``{":a": ...}``."""
    return {f":{name}": _SERIALIZER.serialize(value) for name, value in given.items()}


@dataclass(frozen=True)
class IndexSpec:
    """A secondary index to create: its name, key ((name, type) pairs) and projection."""

    name: str
    hash: tuple[str, str]
    range: tuple[str, str] | None = None
    projection: str = model.ALL
    non_key: tuple[str, ...] = ()


@dataclass
class Tables:
    harness: Harness
    client: Any = field(init=False)

    def __post_init__(self) -> None:
        self.client = self.harness.client("dynamodb")

    # --- tables ---------------------------------------------------------------------------

    def create(
        self,
        hash: tuple[str, str],
        range: tuple[str, str] | None = None,
        *,
        local: Sequence[IndexSpec] = (),
        global_: Sequence[IndexSpec] = (),
    ) -> str:
        """A new table of this key and these indexes; its name."""
        name = f"t-{uuid.uuid4().hex[:10]}"
        self._create_by_api(name, hash, range, local, global_)
        return name

    def _create_by_api(
        self,
        name: str,
        hash: tuple[str, str],
        range: tuple[str, str] | None,
        local: Sequence[IndexSpec],
        global_: Sequence[IndexSpec],
    ) -> None:
        attributes = dict([hash, *([range] if range else [])])
        for spec in (*local, *global_):
            attributes.update(dict([spec.hash, *([spec.range] if spec.range else [])]))
        members: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": [
                {"AttributeName": n, "AttributeType": t} for n, t in attributes.items()
            ],
            "KeySchema": _key_schema(hash, range),
            "BillingMode": "PAY_PER_REQUEST",
        }
        if local:
            members["LocalSecondaryIndexes"] = [_index_member(spec) for spec in local]
        if global_:
            members["GlobalSecondaryIndexes"] = [_index_member(spec) for spec in global_]
        self.client.create_table(**members)

    def table(self, name: str) -> model.Table:
        """The table as the component holds it."""

        async def work(platform: Platform) -> model.Table:
            found: model.Table = platform.component("dynamodb").table(name)
            return found

        return self.harness.call(work)

    def replace(self, table: model.Table) -> None:
        """Put ``table``'s definition in the component's memory only (nothing stored, no
        background work started): for states a test cannot hold otherwise (an index
        being filled)."""

        async def work(platform: Platform) -> None:
            platform.component("dynamodb").tables[table.name] = table

        self.harness.call(work)

    # --- items ----------------------------------------------------------------------------

    def put(self, name: str, items: Sequence[Mapping[str, Any]]) -> None:
        """Write Python ``items`` into table ``name``, a batch per transaction."""
        checked = [check_item(wire(item)) for item in items]

        async def work(platform: Platform) -> None:
            component = platform.component("dynamodb")
            table = component.table(name)
            for start in range(0, len(checked), _BATCH):
                await component.write(
                    [
                        model.ItemWrite(table, rows.table_key(table, item), model.Put(item))
                        for item in checked[start : start + _BATCH]
                    ]
                )

        self.harness.call(work)

    # --- reads ----------------------------------------------------------------------------

    def pages(self, operation: str, **members: Any) -> list[dict[str, Any]]:
        """Every page of a Query or Scan, following LastEvaluatedKey to the end."""
        call: Callable[..., dict[str, Any]] = getattr(self.client, operation)
        found = []
        start: dict[str, Any] | None = None
        for _ in range(MAX_PAGES):
            page = call(**members, **({"ExclusiveStartKey": start} if start else {}))
            found.append(page)
            start = page.get("LastEvaluatedKey")
            if start is None:
                return found
        raise AssertionError(f"{operation} did not end within {MAX_PAGES} pages")

    def items(self, operation: str, **members: Any) -> list[dict[str, Any]]:
        """Every item of every page, as Python."""
        return [plain(item) for page in self.pages(operation, **members) for item in page["Items"]]

    def error(self, operation: str, **members: Any) -> tuple[str, str]:
        """The code and message a call is refused with."""
        with pytest.raises(ClientError) as caught:
            getattr(self.client, operation)(**members)
        error = caught.value.response["Error"]
        return error["Code"], error.get("Message", "")


def serve() -> Iterator[Tables]:
    with Harness() as harness:
        yield Tables(harness)


def _key_schema(hash: tuple[str, str], range: tuple[str, str] | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": hash[0], "KeyType": "HASH"}]
    if range is not None:
        schema.append({"AttributeName": range[0], "KeyType": "RANGE"})
    return schema


def _index_member(spec: IndexSpec) -> dict[str, Any]:
    projection: dict[str, Any] = {"ProjectionType": spec.projection}
    if spec.non_key:
        projection["NonKeyAttributes"] = list(spec.non_key)
    return {
        "IndexName": spec.name,
        "KeySchema": _key_schema(spec.hash, spec.range),
        "Projection": projection,
    }

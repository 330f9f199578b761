"""What the item operations' tests (``test_dynamodb_items``, ``test_dynamodb_batch``,
``test_dynamodb_transactions``) share: a real server (``serve``), a boto3 client of it,
and tables made with CreateTable where the server serves it, else through the component
(the table operations are written beside the item operations: either way the tests
run)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from altus.testing import Harness


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Index:
    """A secondary index to create: ``local`` (the table's hash key and ``range``) or
    global (``hash`` and optional ``range``); each key attribute is (name, type)."""

    name: str
    hash: tuple[str, str]
    range: tuple[str, str] | None = None
    local: bool = False
    projection: str = "ALL"
    non_key: tuple[str, ...] = ()


def _key_schema(hash: tuple[str, str], range: tuple[str, str] | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": hash[0], "KeyType": "HASH"}]
    if range:
        schema.append({"AttributeName": range[0], "KeyType": "RANGE"})
    return schema


class Tables:
    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        self.ddb = harness.client("dynamodb")

    def create(
        self,
        hash: tuple[str, str] = ("pk", "S"),
        range: tuple[str, str] | None = None,
        indexes: Sequence[Index] = (),
        name: str | None = None,
    ) -> str:
        name = name or unique("t")
        self._create_by_api(name, hash, range, indexes)
        return name

    def _create_by_api(
        self,
        name: str,
        hash: tuple[str, str],
        range: tuple[str, str] | None,
        indexes: Sequence[Index],
    ) -> None:
        types = dict([hash, *([range] if range else [])])
        members: dict[str, Any] = {"BillingMode": "PAY_PER_REQUEST"}
        for kind, local in (("LocalSecondaryIndexes", True), ("GlobalSecondaryIndexes", False)):
            for index in (index for index in indexes if index.local == local):
                types.update([index.hash, *([index.range] if index.range else [])])
                projection: dict[str, Any] = {"ProjectionType": index.projection}
                if index.non_key:
                    projection["NonKeyAttributes"] = list(index.non_key)
                members.setdefault(kind, []).append(
                    {
                        "IndexName": index.name,
                        "KeySchema": _key_schema(index.hash, index.range),
                        "Projection": projection,
                    }
                )
        self.ddb.create_table(
            TableName=name,
            KeySchema=_key_schema(hash, range),
            AttributeDefinitions=[
                {"AttributeName": attribute, "AttributeType": kind}
                for attribute, kind in types.items()
            ],
            **members,
        )


def serve() -> Iterator[Tables]:
    with Harness() as harness:
        yield Tables(harness)


def error(call: Any) -> tuple[str, str, dict[str, Any]]:
    """The code, message and whole response of the ClientError ``call()`` raises."""
    with pytest.raises(ClientError) as caught:
        call()
    response: dict[str, Any] = caught.value.response
    return response["Error"]["Code"], response["Error"].get("Message", ""), response


def bare(response: dict[str, Any]) -> dict[str, Any]:
    """A response without its ResponseMetadata."""
    return {name: value for name, value in response.items() if name != "ResponseMetadata"}

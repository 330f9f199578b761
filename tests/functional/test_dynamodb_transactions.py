"""TransactWriteItems and TransactGetItems through boto3 against a real server:
all-or-nothing writes over tables, CancellationReasons in order (ConditionalCheckFailed
with the old item, ValidationError for an update the stored item cannot take), one item
per transaction, idempotency tokens over the fake clock's ten minutes (a repeat answered
as the first call, a cancelled call's token not kept, a token kept across a restart,
calls of one token at once writing once), reads of many tables in order, and the
transactions' doubled, split capacity."""

from __future__ import annotations

import functools
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from altus.testing import Harness
from tests.functional.dynamodb_items_support import Index, Tables, bare, error, serve

CANCELLED = "Transaction cancelled, please refer cancellation reasons for specific reasons"
FAILED = {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"}


@pytest.fixture(scope="module")
def tables() -> Iterator[Tables]:
    yield from serve()


@pytest.fixture(scope="module")
def pair(tables: Tables) -> tuple[str, str]:
    """A table of ``pk`` (S) and one of ``pk`` (S) and ``sk`` (N)."""
    return tables.create(), tables.create(range=("sk", "N"))


def _item(tables: Tables, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
    found: dict[str, Any] | None = tables.ddb.get_item(TableName=table, Key=key).get("Item")
    return found


def test_a_transaction_writes_every_action(tables: Tables, pair: tuple[str, str]) -> None:
    plain, ranged = pair
    tables.ddb.put_item(TableName=plain, Item={"pk": {"S": "t-upd"}, "n": {"N": "1"}})
    tables.ddb.put_item(TableName=plain, Item={"pk": {"S": "t-del"}})
    tables.ddb.put_item(TableName=plain, Item={"pk": {"S": "t-check"}, "ok": {"BOOL": True}})
    got = tables.ddb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": ranged, "Item": {"pk": {"S": "t-put"}, "sk": {"N": "1"}}}},
            {
                "Update": {
                    "TableName": plain,
                    "Key": {"pk": {"S": "t-upd"}},
                    "UpdateExpression": "SET n = n + :one",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            },
            {"Delete": {"TableName": plain, "Key": {"pk": {"S": "t-del"}}}},
            {
                "ConditionCheck": {
                    "TableName": plain,
                    "Key": {"pk": {"S": "t-check"}},
                    "ConditionExpression": "ok = :yes",
                    "ExpressionAttributeValues": {":yes": {"BOOL": True}},
                }
            },
        ],
        ReturnConsumedCapacity="INDEXES",
    )
    # Twice a plain write's units, with the write split shown.
    assert got["ConsumedCapacity"] == [
        {
            "TableName": ranged,
            "CapacityUnits": 2.0,
            "WriteCapacityUnits": 2.0,
            "Table": {"CapacityUnits": 2.0, "WriteCapacityUnits": 2.0},
        },
        {
            "TableName": plain,
            "CapacityUnits": 6.0,
            "WriteCapacityUnits": 6.0,
            "Table": {"CapacityUnits": 6.0, "WriteCapacityUnits": 6.0},
        },
    ]
    assert _item(tables, ranged, {"pk": {"S": "t-put"}, "sk": {"N": "1"}}) is not None
    assert _item(tables, plain, {"pk": {"S": "t-upd"}}) == {"pk": {"S": "t-upd"}, "n": {"N": "2"}}
    assert _item(tables, plain, {"pk": {"S": "t-del"}}) is None


def test_a_failed_condition_cancels_everything(tables: Tables, pair: tuple[str, str]) -> None:
    plain, _ = pair
    tables.ddb.put_item(TableName=plain, Item={"pk": {"S": "c-held"}, "v": {"N": "1"}})
    code, message, response = error(
        lambda: tables.ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": plain, "Item": {"pk": {"S": "c-new"}}}},
                {
                    "Put": {
                        "TableName": plain,
                        "Item": {"pk": {"S": "c-held"}, "v": {"N": "2"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": plain,
                        "Key": {"pk": {"S": "c-absent"}},
                        "ConditionExpression": "attribute_exists(pk)",
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
            ]
        )
    )
    assert code == "TransactionCanceledException"
    assert message == f"{CANCELLED} [None, ConditionalCheckFailed, ConditionalCheckFailed]"
    assert response["CancellationReasons"] == [
        {"Code": "None"},
        {**FAILED, "Item": {"pk": {"S": "c-held"}, "v": {"N": "1"}}},
        FAILED,
    ]
    assert _item(tables, plain, {"pk": {"S": "c-new"}}) is None
    assert _item(tables, plain, {"pk": {"S": "c-held"}}) == {"pk": {"S": "c-held"}, "v": {"N": "1"}}


def test_an_update_the_item_cannot_take_cancels_with_its_reason(
    tables: Tables, pair: tuple[str, str]
) -> None:
    plain, _ = pair
    tables.ddb.put_item(TableName=plain, Item={"pk": {"S": "v-text"}, "n": {"S": "not a number"}})
    code, message, response = error(
        lambda: tables.ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": plain, "Item": {"pk": {"S": "v-other"}}}},
                {
                    "Update": {
                        "TableName": plain,
                        "Key": {"pk": {"S": "v-text"}},
                        "UpdateExpression": "SET n = n + :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
            ]
        )
    )
    assert (code, message) == (
        "TransactionCanceledException",
        f"{CANCELLED} [None, ValidationError]",
    )
    assert response["CancellationReasons"] == [
        {"Code": "None"},
        {
            "Code": "ValidationError",
            "Message": "An operand in the update expression has an incorrect data type",
        },
    ]
    assert _item(tables, plain, {"pk": {"S": "v-other"}}) is None


def test_a_token_makes_a_transaction_idempotent_for_ten_minutes(
    tables: Tables, pair: tuple[str, str]
) -> None:
    plain, _ = pair
    key = {"pk": {"S": "idem"}}
    token = uuid.uuid4().hex
    add = [
        {
            "Update": {
                "TableName": plain,
                "Key": key,
                "UpdateExpression": "ADD n :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        }
    ]
    first = tables.ddb.transact_write_items(TransactItems=add, ClientRequestToken=token)
    again = tables.ddb.transact_write_items(
        TransactItems=add, ClientRequestToken=token, ReturnConsumedCapacity="TOTAL"
    )
    assert bare(first) == {}
    # A repeat writes nothing, and reports the read of the item instead.
    assert again["ConsumedCapacity"] == [
        {"TableName": plain, "CapacityUnits": 1.0, "ReadCapacityUnits": 1.0}
    ]
    assert _item(tables, plain, key) == {**key, "n": {"N": "1"}}
    changed = [{"Put": {"TableName": plain, "Item": {**key, "other": {"S": "x"}}}}]
    code, _, _ = error(
        lambda: tables.ddb.transact_write_items(TransactItems=changed, ClientRequestToken=token)
    )
    assert code == "IdempotentParameterMismatchException"
    tables.harness.advance(601)
    tables.ddb.transact_write_items(TransactItems=add, ClientRequestToken=token)
    assert _item(tables, plain, key) == {**key, "n": {"N": "2"}}


def _add(table: str, key: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "Update": {
                "TableName": table,
                "Key": key,
                "UpdateExpression": "ADD n :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        }
    ]


def test_a_repeat_answers_item_collections_as_the_first_call(tables: Tables) -> None:
    table = tables.create(
        range=("sk", "S"), indexes=[Index("lsi", ("pk", "S"), ("l", "S"), local=True)]
    )
    key = {"pk": {"S": "r"}, "sk": {"S": "1"}}
    token = uuid.uuid4().hex
    calls = [
        tables.ddb.transact_write_items(
            TransactItems=_add(table, key),
            ClientRequestToken=token,
            ReturnItemCollectionMetrics="SIZE",
        )
        for _ in range(2)
    ]
    metrics = {
        table: [{"ItemCollectionKey": {"pk": {"S": "r"}}, "SizeEstimateRangeGB": [0.0, 1.0]}]
    }
    assert [bare(call) for call in calls] == [{"ItemCollectionMetrics": metrics}] * 2
    assert _item(tables, table, key) == {**key, "n": {"N": "1"}}


def test_a_cancelled_transactions_token_is_not_kept(tables: Tables, pair: tuple[str, str]) -> None:
    plain, _ = pair
    key = {"pk": {"S": "cancelled-token"}}
    token = uuid.uuid4().hex
    guarded = [{"Update": {**_add(plain, key)[0]["Update"], "ConditionExpression": "ok = :one"}}]
    code, _, _ = error(
        lambda: tables.ddb.transact_write_items(TransactItems=guarded, ClientRequestToken=token)
    )
    assert code == "TransactionCanceledException"
    # Nothing was written, the token with it: another request of that token runs.
    tables.ddb.transact_write_items(TransactItems=_add(plain, key), ClientRequestToken=token)
    assert _item(tables, plain, key) == {**key, "n": {"N": "1"}}


def test_calls_of_one_token_at_once_write_once(tables: Tables, pair: tuple[str, str]) -> None:
    plain, _ = pair
    key = {"pk": {"S": "at-once"}}
    token = uuid.uuid4().hex
    failures: list[BaseException] = []

    def send() -> None:
        try:
            tables.harness.client("dynamodb").transact_write_items(
                TransactItems=_add(plain, key), ClientRequestToken=token
            )
        except BaseException as problem:  # reported below
            failures.append(problem)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert _item(tables, plain, key) == {**key, "n": {"N": "1"}}


def test_a_token_is_kept_across_a_restart(tmp_path: Path) -> None:
    store = f"sqlite:{tmp_path / 'altus.db'}"
    key = {"pk": {"S": "restarted"}}
    token = uuid.uuid4().hex
    with Harness(data_dir=tmp_path, store=store) as first:
        table = Tables(first).create()
        first.client("dynamodb").transact_write_items(
            TransactItems=_add(table, key), ClientRequestToken=token
        )
    with Harness(data_dir=tmp_path, store=store) as second:
        again = Tables(second)
        again.ddb.transact_write_items(TransactItems=_add(table, key), ClientRequestToken=token)
        assert _item(again, table, key) == {**key, "n": {"N": "1"}}
        code, _, _ = error(
            lambda: again.ddb.transact_write_items(
                TransactItems=_add(table, {"pk": {"S": "other"}}), ClientRequestToken=token
            )
        )
        assert code == "IdempotentParameterMismatchException"


def test_transact_get_reads_in_order(tables: Tables, pair: tuple[str, str]) -> None:
    plain, ranged = pair
    tables.ddb.put_item(TableName=plain, Item={"pk": {"S": "g1"}, "a": {"S": "A"}, "b": {"S": "B"}})
    tables.ddb.put_item(
        TableName=ranged, Item={"pk": {"S": "g2"}, "sk": {"N": "1"}, "big": {"S": "x" * 5000}}
    )
    got = tables.ddb.transact_get_items(
        TransactItems=[
            {
                "Get": {
                    "TableName": ranged,
                    "Key": {"pk": {"S": "g2"}, "sk": {"N": "1"}},
                    "ProjectionExpression": "sk",
                }
            },
            {"Get": {"TableName": plain, "Key": {"pk": {"S": "absent"}}}},
            {
                "Get": {
                    "TableName": plain,
                    "Key": {"pk": {"S": "g1"}},
                    "ProjectionExpression": "#a",
                    "ExpressionAttributeNames": {"#a": "a"},
                }
            },
        ],
        ReturnConsumedCapacity="TOTAL",
    )
    assert got["Responses"] == [{"Item": {"sk": {"N": "1"}}}, {}, {"Item": {"a": {"S": "A"}}}]
    # Two units per 4 KB read, a missing item too.
    assert got["ConsumedCapacity"] == [
        {"TableName": ranged, "CapacityUnits": 4.0, "ReadCapacityUnits": 4.0},
        {"TableName": plain, "CapacityUnits": 4.0, "ReadCapacityUnits": 4.0},
    ]


def test_transactions_report_item_collections(tables: Tables) -> None:
    table = tables.create(
        range=("sk", "S"), indexes=[Index("lsi", ("pk", "S"), ("l", "S"), local=True)]
    )
    got = tables.ddb.transact_write_items(
        TransactItems=[{"Put": {"TableName": table, "Item": {"pk": {"S": "c"}, "sk": {"S": "1"}}}}],
        ReturnItemCollectionMetrics="SIZE",
    )
    assert got["ItemCollectionMetrics"] == {
        table: [{"ItemCollectionKey": {"pk": {"S": "c"}}, "SizeEstimateRangeGB": [0.0, 1.0]}]
    }


SAME_ITEM = "Transaction request cannot include multiple operations on one item"


def _refusals(plain: str, ranged: str) -> list[tuple[str, dict[str, Any], str, str]]:
    """(operation, members, code, message)."""
    put = {"Put": {"TableName": plain, "Item": {"pk": {"S": "r"}}}}
    return [
        (
            "transact_write_items",
            {"TransactItems": [put, {"Delete": {"TableName": plain, "Key": {"pk": {"S": "r"}}}}]},
            "ValidationException",
            SAME_ITEM,
        ),
        (
            "transact_get_items",
            {
                "TransactItems": [
                    {"Get": {"TableName": plain, "Key": {"pk": {"S": "r"}}}},
                    {"Get": {"TableName": plain, "Key": {"pk": {"S": "r"}}}},
                ]
            },
            "ValidationException",
            SAME_ITEM,
        ),
        (
            "transact_write_items",
            {"TransactItems": [{**put, "Delete": {"TableName": plain, "Key": {"pk": {"S": "s"}}}}]},
            "ValidationException",
            "TransactItems can only contain one of Check, Put, Update or Delete",
        ),
        (
            "transact_write_items",
            {
                "TransactItems": [
                    {
                        "Update": {
                            "TableName": ranged,
                            "Key": {"pk": {"S": "r"}, "sk": {"N": "1"}},
                            "UpdateExpression": "SET sk = :v",
                            "ExpressionAttributeValues": {":v": {"N": "2"}},
                        }
                    }
                ]
            },
            "ValidationException",
            "One or more parameter values were invalid: Cannot update attribute sk. This "
            "attribute is part of the key",
        ),
        (
            "transact_write_items",
            {
                "TransactItems": [
                    {"Put": {"TableName": "no-such-table", "Item": {"pk": {"S": "r"}}}}
                ]
            },
            "ResourceNotFoundException",
            "Requested resource not found",
        ),
        (
            "transact_get_items",
            {"TransactItems": [{"Get": {"TableName": ranged, "Key": {"pk": {"S": "r"}}}}]},
            "ValidationException",
            "The provided key element does not match the schema",
        ),
    ]


def test_transaction_mistakes_are_refused_in_dynamodbs_words(
    tables: Tables, pair: tuple[str, str]
) -> None:
    for operation, members, code, message in _refusals(*pair):
        got = error(functools.partial(getattr(tables.ddb, operation), **members))
        assert got[:2] == (code, message), (operation, members)

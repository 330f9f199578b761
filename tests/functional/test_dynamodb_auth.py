"""Who may do what to DynamoDB's tables and streams under ``--auth iam``: a batch needs
its action on every table it names, a transaction each of its actions' operations on
each table (PutItem, UpdateItem, DeleteItem, ConditionCheckItem, GetItem), PartiQL its
verb's action on the table (or index) each statement names, GetRecords the stream its
iterator reads (and a forged iterator reads nothing); a table ARN of another account
is refused, not taken for the table of that name here."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.functional.guarded import Guarded, guarded

ACCOUNT = "000000000000"
PREFIX = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/"
A, B = "tab-a", "tab-b"


@pytest.fixture(scope="module")
def altus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Guarded]:
    with guarded(Path(tmp_path_factory.mktemp("ddb-auth"))) as made:
        ddb = made.client("dynamodb")
        for name in (A, B):
            ddb.create_table(
                TableName=name,
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                AttributeDefinitions=[
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "x", "AttributeType": "S"},
                ],
                GlobalSecondaryIndexes=[
                    {
                        "IndexName": "by-x",
                        "KeySchema": [{"AttributeName": "x", "KeyType": "HASH"}],
                        "Projection": {"ProjectionType": "ALL"},
                    }
                ],
                BillingMode="PAY_PER_REQUEST",
                StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
            )
            ddb.put_item(TableName=name, Item={"pk": {"S": "k"}, "x": {"S": "x"}})
        yield made


def _user(altus: Guarded, name: str, allowed: dict[str, list[str]]) -> Any:
    """A DynamoDB client of a new user allowed each action on its tables (by name)."""
    statements = [
        {"Effect": "Allow", "Action": action, "Resource": [PREFIX + t for t in tables]}
        for action, tables in allowed.items()
    ]
    return altus.client("dynamodb", **altus.user(name, statements))


def _denied(call: Any, needed: str) -> None:
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert needed in error["Message"]


def _key(table: str) -> dict[str, Any]:
    return {"TableName": table, "Key": {"pk": {"S": "k"}}}


def test_a_batch_needs_its_action_on_every_table(altus: Guarded) -> None:
    ddb = _user(
        altus,
        "batcher",
        {"dynamodb:BatchGetItem": [A], "dynamodb:BatchWriteItem": [A]},
    )
    keys = {"Keys": [{"pk": {"S": "k"}}]}
    assert len(ddb.batch_get_item(RequestItems={A: keys})["Responses"][A]) == 1
    # The table named second is authorised too.
    _denied(
        lambda: ddb.batch_get_item(RequestItems={A: keys, B: keys}),
        f"dynamodb:BatchGetItem on resource: {PREFIX}{B}",
    )
    put = [{"PutRequest": {"Item": {"pk": {"S": "new"}}}}]
    ddb.batch_write_item(RequestItems={A: put})
    _denied(
        lambda: ddb.batch_write_item(RequestItems={A: put, B: put}),
        f"dynamodb:BatchWriteItem on resource: {PREFIX}{B}",
    )
    assert "Item" not in altus.client("dynamodb").get_item(TableName=B, Key={"pk": {"S": "new"}})


def test_a_transaction_needs_each_actions_operation_on_its_table(altus: Guarded) -> None:
    ddb = _user(
        altus,
        "transactor",
        {
            "dynamodb:PutItem": [A, B],
            "dynamodb:UpdateItem": [A],
            "dynamodb:ConditionCheckItem": [A],
            "dynamodb:GetItem": [A],
        },
    )
    put_b = {"Put": {"TableName": B, "Item": {"pk": {"S": "t"}}}}
    check_a = {"ConditionCheck": {**_key(A), "ConditionExpression": "attribute_exists(pk)"}}
    ddb.transact_write_items(TransactItems=[put_b, check_a])
    for action, needed in [
        ({"Update": {**_key(B), "UpdateExpression": "SET y = x"}}, "UpdateItem"),
        ({"Delete": _key(A)}, "DeleteItem"),
        (
            {"ConditionCheck": {**_key(B), "ConditionExpression": "attribute_exists(pk)"}},
            "ConditionCheckItem",
        ),
    ]:
        table = next(iter(action.values()))["TableName"]
        _denied(
            lambda action=action: ddb.transact_write_items(
                TransactItems=[{"Put": {"TableName": A, "Item": {"pk": {"S": "u"}}}}, action]
            ),
            f"dynamodb:{needed} on resource: {PREFIX}{table}",
        )
    assert "Item" not in altus.client("dynamodb").get_item(**_key(A) | {"Key": {"pk": {"S": "u"}}})
    got = ddb.transact_get_items(TransactItems=[{"Get": _key(A)}])
    assert got["Responses"][0]["Item"]["pk"] == {"S": "k"}
    _denied(
        lambda: ddb.transact_get_items(TransactItems=[{"Get": _key(A)}, {"Get": _key(B)}]),
        f"dynamodb:GetItem on resource: {PREFIX}{B}",
    )


def test_partiql_needs_its_verb_on_the_table_or_index(altus: Guarded) -> None:
    ddb = _user(
        altus,
        "querier",
        {
            "dynamodb:PartiQLSelect": [A, f"{B}/index/by-x"],
            "dynamodb:PartiQLUpdate": [A],
        },
    )
    found = ddb.execute_statement(Statement=f"SELECT * FROM \"{A}\" WHERE pk = 'k'")
    assert found["Items"][0]["pk"] == {"S": "k"}
    assert ddb.execute_statement(Statement=f'SELECT pk FROM "{B}"."by-x" WHERE x = \'x\'')["Items"]
    _denied(
        lambda: ddb.execute_statement(Statement=f"SELECT * FROM \"{B}\" WHERE pk = 'k'"),
        f"dynamodb:PartiQLSelect on resource: {PREFIX}{B}",
    )
    _denied(
        lambda: ddb.execute_statement(Statement=f"DELETE FROM \"{A}\" WHERE pk = 'k'"),
        f"dynamodb:PartiQLDelete on resource: {PREFIX}{A}",
    )
    _denied(
        lambda: ddb.execute_statement(Statement=f"INSERT INTO \"{A}\" VALUE {{'pk': 'p'}}"),
        f"dynamodb:PartiQLInsert on resource: {PREFIX}{A}",
    )
    update = {"Statement": f"UPDATE \"{A}\" SET y = 'y' WHERE pk = 'k'"}
    ddb.execute_transaction(TransactStatements=[update])
    _denied(
        lambda: ddb.execute_transaction(
            TransactStatements=[update, {"Statement": f"UPDATE \"{B}\" SET y = 'y' WHERE pk = 'k'"}]
        ),
        f"dynamodb:PartiQLUpdate on resource: {PREFIX}{B}",
    )
    _denied(
        lambda: ddb.batch_execute_statement(
            Statements=[update, {"Statement": f"DELETE FROM \"{A}\" WHERE pk = 'k'"}]
        ),
        f"dynamodb:PartiQLDelete on resource: {PREFIX}{A}",
    )


def test_get_records_is_authorised_on_the_iterators_stream(altus: Guarded) -> None:
    admin = altus.client("dynamodbstreams")
    arns = {
        name: altus.client("dynamodb").describe_table(TableName=name)["Table"]["LatestStreamArn"]
        for name in (A, B)
    }
    iterators = {}
    for name, arn in arns.items():
        shard = admin.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        iterators[name] = admin.get_shard_iterator(
            StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
    keys = altus.user(
        "reader",
        [{"Effect": "Allow", "Action": "dynamodb:GetRecords", "Resource": arns[A]}],
    )
    streams = altus.client("dynamodbstreams", **keys)
    assert streams.get_records(ShardIterator=iterators[A])["Records"]
    with pytest.raises(ClientError) as caught:
        streams.get_records(ShardIterator=iterators[B])
    error = caught.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert f"dynamodb:GetRecords on resource: {arns[B]}" in error["Message"]
    # b's iterator's body under a's signature: authorised on b, and refused.
    spliced = iterators[B].partition(".")[0] + "." + iterators[A].partition(".")[2]
    with pytest.raises(ClientError) as caught:
        streams.get_records(ShardIterator=spliced)
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"
    with pytest.raises(ClientError) as caught:
        admin.get_records(ShardIterator=spliced)
    assert caught.value.response["Error"]["Code"] == "ExpiredIteratorException"


@pytest.mark.parametrize(
    "arn",
    [
        f"arn:aws:dynamodb:us-east-1:111111111111:table/{A}",
        f"arn:aws:dynamodb:eu-west-1:000000000000:table/{A}",
        f"arn:aws:dynamodb:us-east-1:000000000000:table/{A}/index/by-x",
    ],
)
def test_another_accounts_or_regions_table_arn_is_refused(altus: Guarded, arn: str) -> None:
    ddb = altus.client("dynamodb")
    assert ddb.get_item(TableName=PREFIX + A, Key={"pk": {"S": "k"}})["Item"]
    for call in (
        lambda: ddb.get_item(TableName=arn, Key={"pk": {"S": "k"}}),
        lambda: ddb.batch_get_item(RequestItems={arn: {"Keys": [{"pk": {"S": "k"}}]}}),
        lambda: ddb.transact_get_items(
            TransactItems=[{"Get": {"TableName": arn, "Key": {"pk": {"S": "k"}}}}]
        ),
    ):
        with pytest.raises(ClientError) as caught:
            call()
        error = caught.value.response["Error"]
        assert (error["Code"], error["Message"]) == (
            "ValidationException",
            f"1 validation error detected: Invalid TableArn '{arn}'",
        )

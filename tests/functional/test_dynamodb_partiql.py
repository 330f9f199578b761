"""PartiQL through boto3 against a real server: ExecuteStatement's every form (SELECT as
a Query and as a Scan, paged by Limit, 1 MB and NextToken; INSERT; UPDATE; DELETE;
RETURNING; parameters; indexes), BatchExecuteStatement's per-statement answers and
errors, ExecuteTransaction's all-or-nothing writes, reads, condition checks and
idempotency (a repeat answered as the first call, a cancelled call's token not kept, a
token kept across a restart, calls of one token at once writing once, a read-only
transaction's token not kept), and DynamoDB's errors for each."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from altus.testing import Harness
from tests.functional.dynamodb_items_support import Tables, bare, error, serve

WELL = "Statement wasn't well formed, can't be processed: "
CANCELLED = "Transaction cancelled, please refer cancellation reasons for specific reasons"
FAILED = {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"}


@pytest.fixture(scope="module")
def tables() -> Iterator[Tables]:
    yield from serve()


def create(
    tables: Tables,
    hash: tuple[str, str] = ("pk", "S"),
    range: tuple[str, str] | None = None,
    **members: Any,
) -> str:
    name = f"pq-{uuid.uuid4().hex[:8]}"
    schema = [{"AttributeName": hash[0], "KeyType": "HASH"}]
    types = dict([hash])
    if range is not None:
        schema.append({"AttributeName": range[0], "KeyType": "RANGE"})
        types[range[0]] = range[1]
    types.update(members.pop("extra_types", {}))
    tables.ddb.create_table(
        TableName=name,
        KeySchema=schema,
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in types.items()],
        BillingMode="PAY_PER_REQUEST",
        **members,
    )
    return name


@pytest.fixture(scope="module")
def plain(tables: Tables) -> str:
    return create(tables)


@pytest.fixture(scope="module")
def music(tables: Tables) -> str:
    """Artist and SongTitle, a global index on AlbumTitle (keys only) and a local one on
    Year."""
    return create(
        tables,
        ("Artist", "S"),
        ("SongTitle", "S"),
        extra_types={"AlbumTitle": "S", "Year": "N"},
        GlobalSecondaryIndexes=[
            {
                "IndexName": "byAlbum",
                "KeySchema": [{"AttributeName": "AlbumTitle", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
        LocalSecondaryIndexes=[
            {
                "IndexName": "byYear",
                "KeySchema": [
                    {"AttributeName": "Artist", "KeyType": "HASH"},
                    {"AttributeName": "Year", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )


def run(tables: Tables, statement: str, *parameters: dict[str, Any], **members: Any) -> Any:
    if parameters:
        members["Parameters"] = list(parameters)
    return bare(tables.ddb.execute_statement(Statement=statement, **members))


def items(tables: Tables, statement: str, *parameters: dict[str, Any], **members: Any) -> Any:
    return run(tables, statement, *parameters, **members)["Items"]


def get(tables: Tables, table: str, key: dict[str, Any]) -> Any:
    return tables.ddb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")


def S(text: str) -> dict[str, str]:
    return {"S": text}


def N(text: str) -> dict[str, str]:
    return {"N": text}


# --- INSERT and SELECT ------------------------------------------------------------------


def test_an_inserted_item_is_selected_by_its_key(tables: Tables, plain: str) -> None:
    answer = run(
        tables,
        f"INSERT INTO \"{plain}\" VALUE {{'pk': 'every', 's': 'it''s', 'n': -1.50, "
        "'b': true, 'z': null, 'l': [1, 'x'], 'm': {'k': {'deep': 2}}, "
        "'ss': <<'a', 'b'>>, 'ns': <<1, 2.5>>, 'blob': ?}",
        {"B": b"\x00\x01"},
    )
    assert answer == {"Items": []}
    stored = {
        "pk": S("every"),
        "s": S("it's"),
        "n": N("-1.5"),
        "b": {"BOOL": True},
        "z": {"NULL": True},
        "l": {"L": [N("1"), S("x")]},
        "m": {"M": {"k": {"M": {"deep": N("2")}}}},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2.5"]},
        "blob": {"B": b"\x00\x01"},
    }
    assert get(tables, plain, {"pk": S("every")}) == stored
    assert items(tables, f"SELECT * FROM \"{plain}\" WHERE pk = 'every'") == [stored]
    assert items(
        tables, f'select "pk", m.k.deep, l[1] from "{plain}" where pk = ?', S("every")
    ) == [{"pk": S("every"), "deep": N("2"), "_3": S("x")}]


def test_an_insert_of_a_key_that_is_there_is_a_duplicate(tables: Tables, plain: str) -> None:
    statement = f"INSERT INTO \"{plain}\" VALUE {{'pk': 'dup', 'v': ?}}"
    run(tables, statement, S("first"))
    code, message, _ = error(lambda: run(tables, statement, S("second")))
    assert (code, message) == ("DuplicateItemException", "Duplicate primary key exists in table")
    assert get(tables, plain, {"pk": S("dup")}) == {"pk": S("dup"), "v": S("first")}
    run(tables, f"DELETE FROM \"{plain}\" WHERE pk = 'dup'")
    run(tables, statement, S("again"))
    assert get(tables, plain, {"pk": S("dup")}) == {"pk": S("dup"), "v": S("again")}


def test_a_select_pinning_the_partition_key_reads_its_range(tables: Tables, music: str) -> None:
    for artist, songs in (("A", "abcde"), ("B", "xy")):
        for at, title in enumerate(songs):
            run(
                tables,
                f"INSERT INTO \"{music}\" VALUE {{'Artist': ?, 'SongTitle': ?, 'n': {at}}}",
                S(artist),
                S(title),
            )

    def titles(where: str, **members: Any) -> list[str]:
        found = items(tables, f'SELECT SongTitle FROM "{music}" WHERE {where}', **members)
        return [item["SongTitle"]["S"] for item in found]

    assert titles("Artist = 'A'") == list("abcde")
    assert titles("Artist = 'A' AND SongTitle > 'b' AND n < 4") == list("cd")
    assert titles("Artist = 'A' AND SongTitle BETWEEN 'b' AND 'c'") == list("bc")
    assert titles("Artist = 'A' AND begins_with(SongTitle, 'd')") == ["d"]
    assert titles("Artist = 'A' ORDER BY SongTitle DESC") == list("edcba")
    assert titles("Artist IN ['B', 'A'] AND n = 1") == ["y", "b"]
    assert titles("Artist = 'B' OR Artist = 'A' ORDER BY Artist") == list("abcdexy")
    assert titles("n = 0") in (["a", "x"], ["x", "a"])  # a Scan, in the store's order
    assert titles("Artist = 1") == []
    code, message, _ = error(lambda: titles("Artist IN ['A', 'B'] ORDER BY SongTitle"))
    assert (code, message) == (
        "ValidationException",
        "Must have hash key in ORDER BY clause when more than one hash key condition "
        "specified in WHERE clause.",
    )


def test_pages_follow_next_tokens(tables: Tables) -> None:
    table = create(tables, ("pk", "S"), ("sk", "N"))
    for partition in ("p", "q"):
        for sort in range(5):
            run(tables, f"INSERT INTO \"{table}\" VALUE {{'pk': ?, 'sk': {sort}}}", S(partition))

    def pages(statement: str, limit: int) -> list[list[str]]:
        found: list[list[str]] = []
        members: dict[str, Any] = {"Limit": limit}
        for _ in range(20):  # bounded: 10 items
            answer = run(tables, statement, **members)
            found.append([f"{i['pk']['S']}{i['sk']['N']}" for i in answer["Items"]])
            if "NextToken" not in answer:
                return found
            assert answer["LastEvaluatedKey"]["pk"] in (S("p"), S("q"))
            members["NextToken"] = answer["NextToken"]
        raise AssertionError("no last page")

    # A Query of two partitions runs on from one into the other within a page.
    assert pages(f"SELECT * FROM \"{table}\" WHERE pk IN ['p', 'q']", 3) == [
        ["p0", "p1", "p2"],
        ["p3", "p4", "q0"],
        ["q1", "q2", "q3"],
        ["q4"],
    ]
    # Limit counts the items evaluated, not those the filter keeps.
    assert pages(f"SELECT * FROM \"{table}\" WHERE pk = 'p' AND sk <> 1", 2) == [
        ["p0"],
        ["p2", "p3"],
        ["p4"],
    ]
    scanned = pages(f'SELECT * FROM "{table}"', 4)
    assert sorted(name for page in scanned for name in page) == [
        f"{p}{s}" for p in "pq" for s in range(5)
    ]
    assert [len(page) for page in scanned] == [4, 4, 2]
    first = run(tables, f'SELECT * FROM "{table}"', Limit=1)
    code, message, _ = error(
        lambda: run(tables, f'SELECT * FROM "{table}" WHERE sk > 0', NextToken=first["NextToken"])
    )
    assert (code, message) == ("ValidationException", "NextToken does not match request")
    code, message, _ = error(lambda: run(tables, f'SELECT * FROM "{table}"', NextToken="nonsense"))
    assert (code, message) == ("ValidationException", "Invalid NextToken")


def test_a_page_stops_at_a_megabyte(tables: Tables) -> None:
    table = create(tables)
    big = "x" * 350_000
    for at in range(4):
        run(tables, f"INSERT INTO \"{table}\" VALUE {{'pk': ?, 'big': ?}}", S(f"k{at}"), S(big))
    first = run(tables, f'SELECT pk FROM "{table}"')
    # The item that takes the page past 1 MB is the page's last.
    assert len(first["Items"]) == 3 and "NextToken" in first
    rest = run(tables, f'SELECT pk FROM "{table}"', NextToken=first["NextToken"])
    assert len(rest["Items"]) == 1 and "NextToken" not in rest


def test_an_index_is_read_by_its_own_key(tables: Tables, music: str) -> None:
    run(
        tables,
        f"INSERT INTO \"{music}\" VALUE {{'Artist': 'I', 'SongTitle': 't1', "
        "'AlbumTitle': 'Album', 'Year': 2020, 'other': 'o'}",
    )
    assert items(tables, f'SELECT * FROM "{music}"."byAlbum" WHERE AlbumTitle = \'Album\'') == [
        {"Artist": S("I"), "SongTitle": S("t1"), "AlbumTitle": S("Album")}
    ]
    assert items(
        tables, f'SELECT other FROM "{music}"."byYear" WHERE Artist = \'I\' AND Year > 2000'
    ) == [{"other": S("o")}]
    for members, statement, message in (
        (
            {"ConsistentRead": True},
            f'SELECT * FROM "{music}"."byAlbum" WHERE AlbumTitle = \'Album\'',
            "Strongly consistent read is not supported on Global Secondary Indexes",
        ),
        (
            {},
            f'SELECT other FROM "{music}"."byAlbum" WHERE AlbumTitle = \'Album\'',
            "One or more parameter values were invalid: Global secondary index byAlbum does "
            "not project [other]",
        ),
        (
            {},
            f"SELECT * FROM \"{music}\".\"byAlbum\" WHERE AlbumTitle = 'Album' AND other = 'o'",
            "One or more parameter values were invalid: Secondary index byAlbum does not "
            "project one or more filter attributes: [other]",
        ),
        (
            {},
            f'SELECT * FROM "{music}"."nope" WHERE Artist = \'I\'',
            "The table does not have the specified index",
        ),
    ):
        assert error(lambda s=statement, m=members: run(tables, s, **m))[:2] == (
            "ValidationException",
            message,
        )


# --- UPDATE and DELETE ------------------------------------------------------------------


def test_update_sets_removes_and_returns(tables: Tables, plain: str) -> None:
    key = {"pk": S("upd")}
    run(
        tables,
        f"INSERT INTO \"{plain}\" VALUE {{'pk': 'upd', 'n': 1, 'l': [1], 'ss': <<'a'>>, "
        "'gone': 'x', 'm': {'sub': 'old', 'sib': 'keep'}}",
    )
    answer = run(
        tables,
        f'UPDATE "{plain}" SET n = n + ?, l = list_append(l, [2]) '
        "SET ss = set_add(ss, <<'b'>>) REMOVE gone SET m.sub = 'new' "
        "WHERE pk = 'upd' RETURNING MODIFIED NEW *",
        N("2"),
    )
    assert answer == {
        "Items": [
            {
                "n": N("3"),
                "l": {"L": [N("1"), N("2")]},
                "ss": {"SS": ["a", "b"]},
                "m": {"M": {"sub": S("new")}},
            }
        ]
    }
    assert get(tables, plain, key) == {
        **key,
        "n": N("3"),
        "l": {"L": [N("1"), N("2")]},
        "ss": {"SS": ["a", "b"]},
        "m": {"M": {"sub": S("new"), "sib": S("keep")}},
    }
    returned = items(
        tables,
        f"UPDATE \"{plain}\" SET ss = set_delete(ss, <<'a'>>) WHERE pk = 'upd' RETURNING ALL OLD *",
    )
    assert returned[0]["ss"] == {"SS": ["a", "b"]} and returned[0]["pk"] == S("upd")
    assert (
        items(tables, f"FROM \"{plain}\" WHERE pk = 'upd' REMOVE n RETURNING MODIFIED NEW *") == []
    )
    assert (
        items(tables, f"UPDATE \"{plain}\" SET fresh = 1 WHERE pk = 'upd' RETURNING MODIFIED OLD *")
        == []
    )
    assert items(tables, f"UPDATE \"{plain}\" SET l[0] = 9 WHERE pk = 'upd' RETURNING ALL NEW *")[
        0
    ]["l"] == {"L": [N("9"), N("2")]}


def test_update_and_delete_judge_their_where(tables: Tables, plain: str) -> None:
    key = {"pk": S("judged")}
    tables.ddb.put_item(TableName=plain, Item={**key, "name": S("alpha"), "n": N("5")})
    update = f'UPDATE "{plain}" SET n = 9 WHERE pk = ? AND "name" = ?'
    code, message, response = error(
        lambda: run(
            tables, update, S("judged"), S("beta"), ReturnValuesOnConditionCheckFailure="ALL_OLD"
        )
    )
    assert (code, message) == ("ConditionalCheckFailedException", "The conditional request failed")
    assert response["Item"] == {**key, "name": S("alpha"), "n": N("5")}
    run(tables, update, S("judged"), S("alpha"))
    assert get(tables, plain, key)["n"] == N("9")
    # An UPDATE of no item fails; a DELETE of none succeeds, whatever else it says.
    code, _, _ = error(lambda: run(tables, f"UPDATE \"{plain}\" SET n = 1 WHERE pk = 'ghost'"))
    assert code == "ConditionalCheckFailedException"
    assert get(tables, plain, {"pk": S("ghost")}) is None
    assert run(tables, f"DELETE FROM \"{plain}\" WHERE pk = 'ghost' AND n = 1") == {"Items": []}
    assert items(tables, f"DELETE FROM \"{plain}\" WHERE pk = 'ghost' RETURNING ALL OLD *") == []
    code, _, _ = error(
        lambda: run(tables, f"DELETE FROM \"{plain}\" WHERE pk = 'judged' AND NOT n = 9")
    )
    assert code == "ConditionalCheckFailedException"
    deleted = items(tables, f"DELETE FROM \"{plain}\" WHERE pk = 'judged' RETURNING ALL OLD *")
    assert deleted == [{**key, "name": S("alpha"), "n": N("9")}]
    assert get(tables, plain, key) is None


@pytest.mark.parametrize(
    ("statement", "code", "message"),
    [
        (
            "UPDATE {t} SET a = 1 WHERE a = 2",
            "ValidationException",
            "Where clause does not contain a mandatory equality on all key attributes",
        ),
        (
            "DELETE FROM {t} WHERE a = 2",
            "ValidationException",
            "Where clause does not contain a mandatory equality on all key attributes",
        ),
        (
            "FROM {t} SET c = 1",
            "ValidationException",
            "Where clause does not contain a mandatory equality on all key attributes",
        ),
        (
            "UPDATE {t} SET pk = 'b' WHERE pk = 'a'",
            "ValidationException",
            "One or more parameter values were invalid: Cannot update attribute pk. This "
            "attribute is part of the key",
        ),
        (
            "DELETE FROM {t} WHERE pk = 'x' RETURNING MODIFIED OLD *",
            "ValidationException",
            "Invalid returning clause: RETURNING MODIFIED OLD *. Only RETURNING ALL OLD * is "
            "allowed in DELETE statements.",
        ),
        (
            "UPDATE {t} SET newlist[0] = 'x' WHERE pk = 'there'",
            "ValidationException",
            "The document path provided in the update expression is invalid for update",
        ),
        ("SELECT * FROM {t} WHERE", "ValidationException", WELL + "Unexpected term"),
        ("SELECTT * FROMM {t}", "ValidationException", WELL + "Expected data manipulation"),
        (
            "SELECT pk FROM {t} WHERE pk = 'x' AND val < true",
            "ValidationException",
            "Incorrect operand type for operator or function; operator or function: <, operand "
            "type: BOOL",
        ),
        (
            "EXISTS(SELECT * FROM {t} WHERE pk = 'x' AND a = 1)",
            "ValidationException",
            "EXISTS can only be used in ExecuteTransaction write requests.",
        ),
        (
            "SELECT * FROM \"nowhere\" WHERE pk = 'x'",
            "ResourceNotFoundException",
            "Requested resource not found",
        ),
        (
            "INSERT INTO \"nowhere\" VALUE {{'pk': 'x'}}",
            "ResourceNotFoundException",
            "Requested resource not found",
        ),
    ],
)
def test_what_execute_statement_refuses(
    tables: Tables, plain: str, statement: str, code: str, message: str
) -> None:
    tables.ddb.put_item(TableName=plain, Item={"pk": S("there")})
    found = error(lambda: run(tables, statement.format(t=f'"{plain}"')))
    assert found[:2] == (code, message)


def test_too_few_parameters_are_refused(tables: Tables, plain: str) -> None:
    code, message, _ = error(
        lambda: run(tables, f'SELECT * FROM "{plain}" WHERE pk = ? AND a = ?', S("x"))
    )
    assert (code, message) == (
        "ValidationException",
        "Number of parameters in request and statement don't match.",
    )


def test_statements_report_their_capacity(tables: Tables, plain: str) -> None:
    written = run(
        tables,
        f"INSERT INTO \"{plain}\" VALUE {{'pk': 'cap'}}",
        ReturnConsumedCapacity="TOTAL",
    )
    assert written["ConsumedCapacity"] == {"TableName": plain, "CapacityUnits": 1.0}
    read = run(
        tables, f"SELECT * FROM \"{plain}\" WHERE pk = 'cap'", ReturnConsumedCapacity="TOTAL"
    )
    assert read["ConsumedCapacity"] == {"TableName": plain, "CapacityUnits": 0.5}
    consistent = run(
        tables,
        f"SELECT * FROM \"{plain}\" WHERE pk = 'cap'",
        ReturnConsumedCapacity="TOTAL",
        ConsistentRead=True,
    )
    assert consistent["ConsumedCapacity"] == {"TableName": plain, "CapacityUnits": 1.0}


# --- BatchExecuteStatement ------------------------------------------------------------------


def batch(tables: Tables, *statements: str | dict[str, Any], **members: Any) -> Any:
    given = [s if isinstance(s, dict) else {"Statement": s} for s in statements]
    return bare(tables.ddb.batch_execute_statement(Statements=given, **members))


def test_a_batch_of_reads_answers_each_statement(tables: Tables, plain: str) -> None:
    tables.ddb.put_item(TableName=plain, Item={"pk": S("b1"), "v": N("1")})
    answer = batch(
        tables,
        f"SELECT * FROM \"{plain}\" WHERE pk = 'b1'",
        {"Statement": f'SELECT v FROM "{plain}" WHERE pk = ?', "Parameters": [S("b1")]},
        {"Statement": f"SELECT * FROM \"{plain}\" WHERE pk = 'none'", "ConsistentRead": True},
        f'SELECT * FROM "{plain}" WHERE v = 1',
        f"SLECT * FROM \"{plain}\" WHERE pk = 'b1'",
        "SELECT * FROM \"nowhere\" WHERE pk = 'x'",
        ReturnConsumedCapacity="TOTAL",
    )
    assert answer["Responses"] == [
        {"TableName": plain, "Item": {"pk": S("b1"), "v": N("1")}},
        {"TableName": plain, "Item": {"v": N("1")}},
        {"TableName": plain},
        {
            "Error": {
                "Code": "ValidationError",
                "Message": "Select statements within BatchExecuteStatement must specify the "
                "primary key in the where clause.",
            }
        },
        {"Error": {"Code": "ValidationError", "Message": WELL + "Expected data manipulation"}},
        {"Error": {"Code": "ResourceNotFound", "Message": "Requested resource not found"}},
    ]
    # Two eventually consistent reads and a consistent one.
    assert answer["ConsumedCapacity"] == [{"TableName": plain, "CapacityUnits": 2.0}]


def test_a_batch_of_writes_runs_each_on_its_own(tables: Tables, plain: str) -> None:
    tables.ddb.put_item(TableName=plain, Item={"pk": S("w-held"), "v": N("1")})
    answer = batch(
        tables,
        f"INSERT INTO \"{plain}\" VALUE {{'pk': 'w-new'}}",
        f"INSERT INTO \"{plain}\" VALUE {{'pk': 'w-held'}}",
        {
            "Statement": f"UPDATE \"{plain}\" SET v = 2 WHERE pk = 'w-held' AND v = 5",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        },
        f"UPDATE \"{plain}\" SET v = 3 WHERE pk = 'w-held' RETURNING MODIFIED NEW *",
        f'DELETE FROM "{plain}" WHERE v = 3',
        ReturnConsumedCapacity="TOTAL",
    )
    assert answer["Responses"] == [
        {"TableName": plain},
        {
            "TableName": plain,
            "Error": {"Code": "DuplicateItem", "Message": "Duplicate primary key exists in table"},
        },
        {"TableName": plain, "Error": FAILED},
        {"TableName": plain, "Item": {"v": N("3")}},
        {
            "Error": {
                "Code": "ValidationError",
                "Message": "Where clause does not contain a mandatory equality on all key "
                "attributes",
            }
        },
    ]
    assert answer["ConsumedCapacity"] == [{"TableName": plain, "CapacityUnits": 2.0}]
    assert get(tables, plain, {"pk": S("w-new")}) == {"pk": S("w-new")}
    assert get(tables, plain, {"pk": S("w-held")}) == {"pk": S("w-held"), "v": N("3")}


def test_a_batch_may_not_mix_reads_and_writes(tables: Tables, plain: str) -> None:
    code, message, _ = error(
        lambda: batch(
            tables,
            f"SELECT * FROM \"{plain}\" WHERE pk = 'x'",
            f"INSERT INTO \"{plain}\" VALUE {{'pk': 'mixed'}}",
        )
    )
    assert (code, message) == (
        "ValidationException",
        "Read and write requests together in the same batch is not supported.",
    )
    assert get(tables, plain, {"pk": S("mixed")}) is None


# --- ExecuteTransaction -------------------------------------------------------------------


def transact(tables: Tables, *statements: str | dict[str, Any], **members: Any) -> Any:
    given = [s if isinstance(s, dict) else {"Statement": s} for s in statements]
    return bare(tables.ddb.execute_transaction(TransactStatements=given, **members))


def test_a_transaction_writes_all_or_nothing(tables: Tables, plain: str) -> None:
    tables.ddb.put_item(TableName=plain, Item={"pk": S("t-upd"), "n": N("1")})
    tables.ddb.put_item(TableName=plain, Item={"pk": S("t-check"), "ok": {"BOOL": True}})
    answer = transact(
        tables,
        f"INSERT INTO \"{plain}\" VALUE {{'pk': 't-new'}}",
        f"UPDATE \"{plain}\" SET n = n + 1 WHERE pk = 't-upd'",
        f"EXISTS(SELECT * FROM \"{plain}\" WHERE pk = 't-check' AND ok = true)",
        ReturnConsumedCapacity="TOTAL",
    )
    assert answer == {
        "ConsumedCapacity": [{"TableName": plain, "CapacityUnits": 6.0, "WriteCapacityUnits": 6.0}]
    }
    assert get(tables, plain, {"pk": S("t-new")}) == {"pk": S("t-new")}
    assert get(tables, plain, {"pk": S("t-upd")}) == {"pk": S("t-upd"), "n": N("2")}
    code, message, response = error(
        lambda: transact(
            tables,
            f"INSERT INTO \"{plain}\" VALUE {{'pk': 't-other'}}",
            f"INSERT INTO \"{plain}\" VALUE {{'pk': 't-new'}}",
            {
                "Statement": f"UPDATE \"{plain}\" SET n = 0 WHERE pk = 't-upd' AND n = 9",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            },
            f"UPDATE \"{plain}\" SET n = 0 WHERE pk = 't-ghost'",
            f"EXISTS(SELECT * FROM \"{plain}\" WHERE pk = 't-check' AND ok = false)",
        )
    )
    assert code == "TransactionCanceledException"
    assert message == (
        f"{CANCELLED} [None, ValidationError, ConditionalCheckFailed, ConditionalCheckFailed, "
        "ConditionalCheckFailed]"
    )
    assert response["CancellationReasons"] == [
        {"Code": "None"},
        {"Code": "ValidationError", "Message": "Duplicate primary key exists in table"},
        {**FAILED, "Item": {"pk": S("t-upd"), "n": N("2")}},
        FAILED,
        FAILED,
    ]
    assert get(tables, plain, {"pk": S("t-other")}) is None


def test_a_transaction_of_reads_reads_at_one_moment(tables: Tables, plain: str) -> None:
    tables.ddb.put_item(TableName=plain, Item={"pk": S("r1"), "a": S("A"), "b": S("B")})
    tables.ddb.put_item(TableName=plain, Item={"pk": S("r2"), "a": S("A")})
    answer = transact(
        tables,
        f"SELECT a FROM \"{plain}\" WHERE pk = 'r1'",
        f"SELECT * FROM \"{plain}\" WHERE pk = 'r-none'",
        f"SELECT * FROM \"{plain}\" WHERE pk = 'r2' AND a = 'other'",
        ReturnConsumedCapacity="TOTAL",
    )
    assert answer == {
        "Responses": [{"Item": {"a": S("A")}}, {}, {}],
        "ConsumedCapacity": [{"TableName": plain, "CapacityUnits": 6.0, "ReadCapacityUnits": 6.0}],
    }


@pytest.mark.parametrize(
    ("statements", "code", "message"),
    [
        (
            ["SELECT * FROM {t} WHERE pk = 'a'", "INSERT INTO {t} VALUE {{'pk': 'b'}}"],
            "ValidationException",
            "ExecuteTransaction API does not support both read and write operations in the same "
            "request.",
        ),
        (
            ["UPDATE {t} SET v = 1 WHERE pk = 'a' RETURNING ALL NEW *"],
            "ValidationException",
            "Validation failed in TransactStatements[0]: RETURNING clause is not supported in "
            "ExecuteTransaction.",
        ),
        (
            ["INSERT INTO {t} VALUE {{'pk': 'a'}}", "SELECT * FROM {t} WHERE"],
            "ValidationException",
            f"Validation failed in TransactStatements[1]: {WELL}Unexpected term",
        ),
        (
            ["SELECT * FROM {t} WHERE v = 1"],
            "ValidationException",
            "Validation failed in TransactStatements[0]: Select statements within "
            "ExecuteTransaction must specify the primary key in the where clause.",
        ),
        (
            ["INSERT INTO {t} VALUE {{'pk': 'a'}}", "UPDATE {t} SET v = 1 WHERE pk = 'a'"],
            "ValidationException",
            "Transaction request cannot include multiple operations on one item",
        ),
        (
            ["INSERT INTO {t} VALUE {{'pk': 'a'}}", "UPDATE {t} SET v = 1 WHERE v = 2"],
            "TransactionCanceledException",
            f"{CANCELLED} [None, ValidationError]",
        ),
        (
            ["SELECT * FROM \"nowhere\" WHERE pk = 'a'"],
            "ResourceNotFoundException",
            "Requested resource not found",
        ),
    ],
)
def test_what_execute_transaction_refuses(
    tables: Tables, plain: str, statements: list[str], code: str, message: str
) -> None:
    given = [statement.format(t=f'"{plain}"') for statement in statements]
    assert error(lambda: transact(tables, *given))[:2] == (code, message)
    assert get(tables, plain, {"pk": S("a")}) is None


def test_an_index_read_in_a_transaction_is_refused(tables: Tables, music: str) -> None:
    code, message, _ = error(
        lambda: transact(tables, f'SELECT * FROM "{music}"."byAlbum" WHERE AlbumTitle = \'x\'')
    )
    assert (code, message) == (
        "ValidationException",
        "Validation failed in TransactStatements[0]: Reads on indices are not supported within "
        "transactions.",
    )


def test_a_token_runs_a_transaction_once(tables: Tables, plain: str) -> None:
    run(tables, f"INSERT INTO \"{plain}\" VALUE {{'pk': 'idem', 'n': 0}}")
    token = uuid.uuid4().hex
    add = [{"Statement": f"UPDATE \"{plain}\" SET n = n + 1 WHERE pk = 'idem'"}]
    first = transact(tables, *add, ClientRequestToken=token, ReturnConsumedCapacity="INDEXES")
    again = transact(tables, *add, ClientRequestToken=token, ReturnConsumedCapacity="INDEXES")
    assert get(tables, plain, {"pk": S("idem")}) == {"pk": S("idem"), "n": N("1")}
    # The first is a transaction's write; the repeat reads what it wrote, as a
    # transaction reads (the conformance suite's record: 2 and 2).
    assert first["ConsumedCapacity"][0]["WriteCapacityUnits"] == 2.0
    assert again["ConsumedCapacity"][0]["ReadCapacityUnits"] == 2.0
    assert "WriteCapacityUnits" not in again["ConsumedCapacity"][0]
    other = [{"Statement": f"UPDATE \"{plain}\" SET n = n + 2 WHERE pk = 'idem'"}]
    code, _, _ = error(lambda: transact(tables, *other, ClientRequestToken=token))
    assert code == "IdempotentParameterMismatchException"
    tables.harness.advance(601)
    transact(tables, *add, ClientRequestToken=token)
    assert get(tables, plain, {"pk": S("idem")}) == {"pk": S("idem"), "n": N("2")}


def test_a_repeat_is_answered_though_its_statements_could_not_run_again(
    tables: Tables, plain: str
) -> None:
    token = uuid.uuid4().hex
    insert = f"INSERT INTO \"{plain}\" VALUE {{'pk': 'idem-insert', 'n': 1}}"
    assert transact(tables, insert, ClientRequestToken=token) == {}
    # A second run would be a duplicate; a repeat writes nothing and is answered.
    again = transact(tables, insert, ClientRequestToken=token, ReturnConsumedCapacity="TOTAL")
    assert again == {
        "ConsumedCapacity": [{"TableName": plain, "CapacityUnits": 2.0, "ReadCapacityUnits": 2.0}]
    }
    code, _, _ = error(lambda: transact(tables, insert))
    assert code == "TransactionCanceledException"


def test_a_cancelled_transactions_token_is_not_kept(tables: Tables, plain: str) -> None:
    token = uuid.uuid4().hex
    guarded = f"UPDATE \"{plain}\" SET n = 1 WHERE pk = 'idem-cancelled' AND ok = true"
    code, _, _ = error(lambda: transact(tables, guarded, ClientRequestToken=token))
    assert code == "TransactionCanceledException"
    # Nothing was written, the token with it: another request of that token runs.
    insert = f"INSERT INTO \"{plain}\" VALUE {{'pk': 'idem-cancelled', 'n': 2}}"
    transact(tables, insert, ClientRequestToken=token)
    assert get(tables, plain, {"pk": S("idem-cancelled")}) == {
        "pk": S("idem-cancelled"),
        "n": N("2"),
    }


def test_calls_of_one_token_at_once_write_once(tables: Tables, plain: str) -> None:
    run(tables, f"INSERT INTO \"{plain}\" VALUE {{'pk': 'idem-at-once', 'n': 0}}")
    token = uuid.uuid4().hex
    add = [{"Statement": f"UPDATE \"{plain}\" SET n = n + 1 WHERE pk = 'idem-at-once'"}]
    failures: list[BaseException] = []

    def send() -> None:
        try:
            tables.harness.client("dynamodb").execute_transaction(
                TransactStatements=add, ClientRequestToken=token
            )
        except BaseException as problem:  # reported below
            failures.append(problem)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert get(tables, plain, {"pk": S("idem-at-once")}) == {"pk": S("idem-at-once"), "n": N("1")}


def test_a_token_is_kept_across_a_restart(tables: Tables, tmp_path: Path) -> None:
    # (``tables``: the PartiQL operations are the service's while it is served.)
    store = f"sqlite:{tmp_path / 'altus.db'}"
    token = uuid.uuid4().hex
    with Harness(data_dir=tmp_path, store=store) as first:
        table = Tables(first).create()
        add = [{"Statement": f"UPDATE \"{table}\" SET n = n + 1 WHERE pk = 'restarted'"}]
        first.client("dynamodb").put_item(TableName=table, Item={"pk": S("restarted"), "n": N("0")})
        first.client("dynamodb").execute_transaction(
            TransactStatements=add, ClientRequestToken=token
        )
    with Harness(data_dir=tmp_path, store=store) as second:
        again = Tables(second)
        again.ddb.execute_transaction(TransactStatements=add, ClientRequestToken=token)
        assert get(again, table, {"pk": S("restarted")}) == {"pk": S("restarted"), "n": N("1")}
        other = [{"Statement": f"UPDATE \"{table}\" SET n = 2 WHERE pk = 'restarted'"}]
        code, _, _ = error(
            lambda: again.ddb.execute_transaction(
                TransactStatements=other, ClientRequestToken=token
            )
        )
        assert code == "IdempotentParameterMismatchException"


def test_a_read_transactions_token_is_not_kept(tables: Tables, plain: str) -> None:
    tables.ddb.put_item(TableName=plain, Item={"pk": S("idem-read"), "a": N("1")})
    token = uuid.uuid4().hex
    read = f"SELECT a FROM \"{plain}\" WHERE pk = 'idem-read'"
    assert transact(tables, read, ClientRequestToken=token)["Responses"] == [
        {"Item": {"a": N("1")}}
    ]
    tables.ddb.put_item(TableName=plain, Item={"pk": S("idem-read"), "a": N("2")})
    # Reads run at every call: the same token reads the item as it is now.
    assert transact(tables, read, ClientRequestToken=token)["Responses"] == [
        {"Item": {"a": N("2")}}
    ]
    # The token names no request yet: a write transaction takes it (Altus's choice; what
    # DynamoDB does is not documented).
    transact(
        tables, f"UPDATE \"{plain}\" SET a = 3 WHERE pk = 'idem-read'", ClientRequestToken=token
    )
    assert get(tables, plain, {"pk": S("idem-read")}) == {"pk": S("idem-read"), "a": N("3")}

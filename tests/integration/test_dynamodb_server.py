"""DynamoDB and DynamoDB Streams on a real ``altus up`` (the portable sandbox, on each
store: a SQLite file and the machine's PostgreSQL), driven by real clients.

- SIGKILL mid-write: threads put, delete, ADD to a counter and write transactions of
  three items, each keeping a ledger of what was acknowledged; the server is killed while
  they write and started again on the same store. Every acknowledged write is there
  (a put's item unless a later acknowledged delete removed it; a counter at least the
  acknowledged adds, at most those and the one in flight), no item is torn (each is
  whole, as one write left it; a transaction's items all or none), and the stream
  (NEW_AND_OLD_IMAGES), read from TRIM_HORIZON, has exactly one record per change that
  landed: each item's records replay its history, the last image is the item in the
  table, and sequence numbers go on after the restart. A TransactWriteItems retried with
  its ClientRequestToken after the restart is not written again (the token is kept with
  the write).
- A mapping on the table's stream (TRIM_HORIZON) into a Python function that sends each
  record's Keys to a FIFO queue: changes written before a SIGKILL, while its poller is
  under way, and after the restart are all delivered, at least once, in order per key,
  and only the batch under way at the kill is delivered again.
- The AWS CLI: create-table, wait table-exists, put-item, get-item, query, scan
  --select COUNT, update-item --return-values ALL_NEW, delete-table.
- The AWS SDK for JavaScript v3 inside a Node.js function: ``@aws-sdk/client-dynamodb``
  and ``@aws-sdk/lib-dynamodb``'s DynamoDBDocumentClient (Put, Get, Query, Update) with
  numbers (38 digits through ``NumberValue``), nested maps and lists, sets and binaries.
"""

from __future__ import annotations

import base64
import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import (
    NodeSdkSource,
    Server,
    create_function,
    invoke,
    lambda_client,
    python_function,
    start_server,
    unavailable,
)
from tests.integration.aws_cli import aws
from tests.integration.dynamodb_server import (
    COUNTED,
    COUNTER,
    TRANSACTED,
    Item,
    Key,
    Writer,
    by_key,
    chain_breaks,
    key_item,
    key_of,
    plain,
    scan_all,
    stream_records,
    whole_item,
)
from tests.integration.stepfunctions_server import PATIENCE, Altus, client, poll, server_env

pytestmark = pytest.mark.integration

#: Threads writing at once, each to its own partition.
WRITERS = 6
#: Acknowledged writes (all threads together) after which the server is killed: every
#: thread is well under way by then.
KILL_AFTER = 600
#: The most writes one thread sends: far more than it gets to before the kill.
MOST_WRITES = 100_000


@pytest.fixture
def altus(tmp_path: Path, server_store: dict[str, str]) -> Iterator[Altus]:
    """A server of the test's own on each store, which the test kills and starts again."""
    running = Altus(tmp_path / "data", server_store)
    running.start()
    yield running
    running.stop()


def create_table(ddb: Any, name: str, view: str = "NEW_AND_OLD_IMAGES") -> str:
    """A table keyed ``pk`` (S) and ``sk`` (N) with a stream of ``view``: its stream's
    ARN."""
    described = ddb.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": view},
    )["TableDescription"]
    ddb.get_waiter("table_exists").wait(
        TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    arn: str = described["LatestStreamArn"]
    return arn


# --- SIGKILL mid-write ---------------------------------------------------------------------------


def test_acknowledged_writes_and_their_stream_records_survive_sigkill(altus: Altus) -> None:
    stream_arn = create_table(altus.client("dynamodb"), "crash")
    # Clients are made here: making them is not thread-safe (boto3's default session).
    writers = [Writer(n, "crash", altus.client("dynamodb"), seed=n) for n in range(WRITERS)]
    killing, enough, lock = threading.Event(), threading.Event(), threading.Lock()
    count = [0]

    def acked() -> None:
        with lock:
            count[0] += 1
            if count[0] >= KILL_AFTER:
                enough.set()

    threads = [
        threading.Thread(target=w.run, args=(MOST_WRITES, killing, acked), daemon=True)
        for w in writers
    ]
    for thread in threads:
        thread.start()
    reached = enough.wait(timeout=PATIENCE)
    killing.set()
    altus.kill()
    for thread in threads:
        thread.join(timeout=60)
    assert [w.error for w in writers if w.error] == []
    assert reached, f"{count[0]} writes acknowledged, wanted {KILL_AFTER} before the kill"
    assert not any(thread.is_alive() for thread in threads)
    # Each thread was writing when the server died: its last request has no answer.
    assert all(w.in_flight is not None for w in writers)

    altus.start()
    ddb, streams = altus.client("dynamodb"), altus.client("dynamodbstreams")
    table = {key_of(item): item for item in scan_all(ddb, "crash")}
    records = stream_records(streams, stream_arn)
    numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert numbers == sorted(set(numbers)), "the stream's sequence numbers repeat or go back"
    streamed = by_key(records)
    known = {key for w in writers for key in w.owned()}
    assert set(table) <= known and set(streamed) <= known
    for writer in writers:
        assert_acknowledged_and_whole(writer, table)
        assert_streamed_once(writer, table, streamed)

    # New writes go on after the old records.
    ddb.put_item(TableName="crash", Item={**key_item(("after", 0)), "v": {"S": "after"}})
    newer = [
        r
        for r in stream_records(streams, stream_arn)
        if key_of(r["dynamodb"]["Keys"])[0] == "after"
    ]
    assert len(newer) == 1 and int(newer[0]["dynamodb"]["SequenceNumber"]) > max(numbers)


def assert_acknowledged_and_whole(writer: Writer, table: dict[Key, Item]) -> None:
    """Each of the writer's items is as its acknowledged writes left it, or as the write
    in flight would have (a transaction's three items all one way); each put's item is
    whole; the counters are within the acknowledged adds and the one in flight."""
    flying = writer.in_flight.after if writer.in_flight is not None else {}
    for key in writer.owned():
        found = plain(table.get(key))
        acknowledged = plain(writer.items.get(key))
        if found != acknowledged:
            assert key in flying and found == plain(flying[key]), (
                f"{key}: {found} is neither what the acknowledged writes left "
                f"({acknowledged}) nor what the write in flight would have ({flying.get(key)})"
            )
        item = table.get(key)
        if item is not None and "body" in item:
            size = len(item["body"]["S"])
            assert plain(item) == plain(whole_item(key, item["w"]["S"], size)), f"{key} torn"
    for key, names in (
        ((writer.partition, COUNTER), COUNTED),
        ((writer.partition, TRANSACTED[1]), ("n",)),
    ):
        acked, in_flight = writer.adds(key)
        item = table.get(key)
        values = [int(item[name]["N"]) if item else 0 for name in names]
        assert all(acked <= v <= acked + in_flight for v in values), (key, values, acked)
        assert len(set(values)) == 1, f"{key}: one ADD of {names} tore: {values}"
    transacted = [table.get((writer.partition, sk), {}).get("w", {}).get("S") for sk in TRANSACTED]
    assert len(set(transacted)) == 1, f"{writer.partition}: a transaction tore: {transacted}"


def assert_streamed_once(
    writer: Writer, table: dict[Key, Item], streamed: dict[Key, list[dict[str, Any]]]
) -> None:
    """The writer's items' records replay exactly the changes that landed: the
    acknowledged ones, and the one in flight on all its items or on none."""
    images: dict[Key, list[Any]] = {}
    for key in writer.owned():
        records = streamed.get(key, [])
        assert chain_breaks(records) == [], key
        images[key] = [plain(r["dynamodb"].get("NewImage")) for r in records]
        last = images[key][-1] if images[key] else None
        assert last == plain(table.get(key)), f"{key}: the last record is not the item"
    worlds = {
        landed: {k: [plain(i) for i in h] for k, h in writer.histories(landed).items()}
        for landed in (False, True)
    }
    if images not in worlds.values():
        counts = {k: (len(images[k]), len(worlds[False][k])) for k in writer.owned()}
        raise AssertionError(
            f"{writer.partition}: the stream's records per key (found, acknowledged) "
            f"{counts} are not the acknowledged changes, with or without "
            f"{writer.in_flight.kind if writer.in_flight else None}"
        )


def test_a_transactions_token_holds_across_a_restart(altus: Altus) -> None:
    """An SDK retries a transaction whose answer a crash took with the same
    ClientRequestToken (botocore fills it in once per call): within ten minutes of the
    first call, DynamoDB answers the retry without writing again."""
    stream_arn = create_table(altus.client("dynamodb"), "tokens")
    key = key_item(("t", 0))
    request = {
        "TransactItems": [
            {
                "Update": {
                    "TableName": "tokens",
                    "Key": key,
                    "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            }
        ],
        "ClientRequestToken": "retried-after-a-crash",
    }
    altus.client("dynamodb").transact_write_items(**request)
    altus.kill()

    altus.start()
    ddb = altus.client("dynamodb")
    ddb.transact_write_items(**request)
    item = ddb.get_item(TableName="tokens", Key=key, ConsistentRead=True)["Item"]
    records = stream_records(altus.client("dynamodbstreams"), stream_arn)
    assert (item["n"], len(records)) == ({"N": "1"}, 1)


# --- a stream mapping across a restart -----------------------------------------------------------

#: Sends each record's Keys (with its sequence number) to the FIFO queue $OUT, a message
#: group per item; HOLD seconds' pause after each batch keeps the poller under way.
FORWARDER = python_function(
    """
import json, os, time, uuid, boto3

sqs = boto3.client("sqs")


def handler(event, context):
    for record in event["Records"]:
        change = record["dynamodb"]
        body = {"keys": change["Keys"], "sequence": change["SequenceNumber"]}
        sqs.send_message(
            QueueUrl=os.environ["OUT"],
            MessageBody=json.dumps(body),
            MessageGroupId=change["Keys"]["pk"]["S"],
            MessageDeduplicationId=uuid.uuid4().hex,
        )
    time.sleep(float(os.environ["HOLD"]))
"""
)

ITEMS = ("k0", "k1", "k2", "k3")
#: Changes of one ``write_round``.
CHANGES = 2 * len(ITEMS) + 1
#: Records per batch: small, so that the poller is under way when the server dies.
BATCH = 2


def write_round(ddb: Any, table: str, number: int) -> None:
    """Nine changes: each item put and added to, and the last deleted."""
    for pk in ITEMS:
        key = key_item((pk, 0))
        ddb.put_item(TableName=table, Item={**key, "round": {"N": str(number)}})
        ddb.update_item(
            TableName=table,
            Key=key,
            UpdateExpression="ADD hits :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
        )
    ddb.delete_item(TableName=table, Key=key_item((ITEMS[-1], 0)))


def take(sqs: Any, queue: str) -> list[dict[str, Any]]:
    """One long poll's messages (deleted as taken)."""
    found = []
    for message in sqs.receive_message(
        QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1
    ).get("Messages", []):
        found.append(json.loads(message["Body"]))
        sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    return found


def test_a_stream_mapping_delivers_every_change_across_a_restart(altus: Altus) -> None:
    ddb, sqs, lam = altus.client("dynamodb"), altus.client("sqs"), lambda_client(altus.url)
    queue = sqs.create_queue(QueueName="keys.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    create_function(
        lam,
        "forward",
        FORWARDER,
        Timeout=60,
        Environment={"Variables": {"OUT": queue, "HOLD": "0.05"}},
    )
    stream_arn = create_table(ddb, "mapped", view="KEYS_ONLY")
    uuid = lam.create_event_source_mapping(
        EventSourceArn=stream_arn,
        FunctionName="forward",
        StartingPosition="TRIM_HORIZON",
        BatchSize=BATCH,
    )["UUID"]
    poll(lambda: lam.get_event_source_mapping(UUID=uuid)["State"] == "Enabled", "enabled")
    delivered: list[dict[str, Any]] = []

    def distinct() -> int:
        delivered.extend(take(sqs, queue))
        return len({m["sequence"] for m in delivered})

    # The first round all delivered (its checkpoints written), the second under way.
    write_round(ddb, "mapped", 0)
    poll(lambda: distinct() >= CHANGES, "the first round delivered")
    write_round(ddb, "mapped", 1)
    altus.kill()

    altus.start()
    ddb, sqs, lam = altus.client("dynamodb"), altus.client("sqs"), lambda_client(altus.url)
    write_round(ddb, "mapped", 2)
    changes: dict[str, list[int]] = {}
    for record in stream_records(altus.client("dynamodbstreams"), stream_arn):
        pk = record["dynamodb"]["Keys"]["pk"]["S"]
        changes.setdefault(pk, []).append(int(record["dynamodb"]["SequenceNumber"]))
    assert sum(map(len, changes.values())) == 3 * CHANGES, "the stream lost or repeated one"
    poll(lambda: distinct() >= 3 * CHANGES, "every change delivered")
    assert lam.get_event_source_mapping(UUID=uuid)["State"] == "Enabled"
    # The checkpoint is written after each batch: the restart gives again at most the
    # batch that was under way, never what was done before it.
    distinct()  # one more look, for late repeats
    again = len(delivered) - len({m["sequence"] for m in delivered})
    assert again <= BATCH, f"{again} changes delivered again after the restart"
    for pk, numbers in changes.items():
        got = [int(m["sequence"]) for m in delivered if m["keys"]["pk"]["S"] == pk]
        assert set(got) == set(numbers), f"{pk}: delivered what the stream does not hold"
        assert_runs(pk, got, numbers)
    assert {json.dumps(m["keys"], sort_keys=True) for m in delivered} == {
        json.dumps(key_item((pk, 0)), sort_keys=True) for pk in ITEMS
    }


def assert_runs(pk: str, got: list[int], numbers: list[int]) -> None:
    """An item's deliveries are in order: runs of its changes, each a stretch of them
    without a gap; the first from the first change, the last to the last; each begins
    at or before the end of the one before (a batch given again after the restart), and
    there are at most two (one restart)."""
    runs: list[list[int]] = []
    for number in got:
        if runs and number > runs[-1][-1]:
            runs[-1].append(number)
        else:
            runs.append([number])
    assert len(runs) <= 2, f"{pk}: delivered out of order: {runs}"
    position = {number: i for i, number in enumerate(numbers)}
    for run in runs:
        places = [position[number] for number in run]
        assert places == list(range(places[0], places[0] + len(run))), f"{pk}: a gap in {run}"
    assert runs[0][0] == numbers[0] and runs[-1][-1] == numbers[-1], (pk, runs)
    if len(runs) == 2:
        assert position[runs[1][0]] <= position[runs[0][-1]] + 1, f"{pk}: skipped: {runs}"


# --- the AWS CLI, and the SDK for JavaScript in a function ---------------------------------------


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    module_store: dict[str, str],
    node_sdk_source: NodeSdkSource,
) -> Iterator[Server]:
    running = start_server(
        tmp_path_factory.mktemp("dynamodb"),
        extra_env={**server_env(module_store), **node_sdk_source.env()},
    )
    yield running
    running.stop()


def test_the_cli_drives_a_table(server: Server) -> None:
    def cli(*args: str) -> Any:
        return aws(server.url, "dynamodb", *args)

    created = cli(
        "create-table",
        "--table-name",
        "cli-table",
        "--attribute-definitions",
        "AttributeName=pk,AttributeType=S",
        "AttributeName=sk,AttributeType=N",
        "--key-schema",
        "AttributeName=pk,KeyType=HASH",
        "AttributeName=sk,KeyType=RANGE",
        "--billing-mode",
        "PAY_PER_REQUEST",
    )["TableDescription"]
    assert created["TableName"] == "cli-table"
    assert created["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert cli("wait", "table-exists", "--table-name", "cli-table") is None
    for pk, sk in [("p", 1), ("p", 2), ("p", 3), ("p", 4), ("p", 5), ("q", 1)]:
        item = {"pk": {"S": pk}, "sk": {"N": str(sk)}, "v": {"S": f"{pk}{sk}"}}
        assert cli("put-item", "--table-name", "cli-table", "--item", json.dumps(item)) is None
    key = json.dumps({"pk": {"S": "p"}, "sk": {"N": "2"}})
    got = cli("get-item", "--table-name", "cli-table", "--key", key, "--consistent-read")
    assert got["Item"] == {"pk": {"S": "p"}, "sk": {"N": "2"}, "v": {"S": "p2"}}
    queried = cli(
        "query",
        "--table-name",
        "cli-table",
        "--key-condition-expression",
        "pk = :p AND sk BETWEEN :low AND :high",
        "--expression-attribute-values",
        json.dumps({":p": {"S": "p"}, ":low": {"N": "2"}, ":high": {"N": "4"}}),
        "--no-scan-index-forward",
    )
    assert [i["sk"]["N"] for i in queried["Items"]] == ["4", "3", "2"]
    assert queried["Count"] == 3
    counted = cli("scan", "--table-name", "cli-table", "--select", "COUNT")
    assert (counted["Count"], counted["ScannedCount"]) == (6, 6)
    assert "Items" not in counted
    updated = cli(
        "update-item",
        "--table-name",
        "cli-table",
        "--key",
        key,
        "--update-expression",
        "SET v = :v ADD hits :one",
        "--expression-attribute-values",
        json.dumps({":v": {"S": "changed"}, ":one": {"N": "1"}}),
        "--return-values",
        "ALL_NEW",
    )
    assert updated["Attributes"] == {
        "pk": {"S": "p"},
        "sk": {"N": "2"},
        "v": {"S": "changed"},
        "hits": {"N": "1"},
    }
    deleted = cli("delete-table", "--table-name", "cli-table")["TableDescription"]
    assert (deleted["TableName"], deleted["TableStatus"]) == ("cli-table", "DELETING")
    assert cli("wait", "table-not-exists", "--table-name", "cli-table") is None
    assert "cli-table" not in cli("list-tables")["TableNames"]


#: The SDK for JavaScript v3 as a Lambda function uses it: unconfigured clients (the
#: endpoint and credentials are the environment's), DynamoDBDocumentClient over
#: DynamoDBClient, JavaScript values marshalled (numbers, maps, lists, Sets, Uint8Array,
#: null) and a 38-digit number through NumberValue. What it read is answered in JSON,
#: which has no sets, bytes or exact numbers: those are tagged.
NODE_DOCUMENTS = """
const { DynamoDBClient } = require("@aws-sdk/client-dynamodb");
const {
  DynamoDBDocumentClient, GetCommand, NumberValue, PutCommand, QueryCommand, UpdateCommand,
} = require("@aws-sdk/lib-dynamodb");

// Each over a client of its own: a document client keeps its options in the config it
// shares with the client it wraps.
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const exact = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  unmarshallOptions: { wrapNumbers: true },
});

const json = (value) => {
  if (value instanceof Set) {
    const members = [...value].map(json).map((m) => JSON.stringify(m)).sort();
    return { set: members.map((m) => JSON.parse(m)) };
  }
  if (value instanceof Uint8Array) return { bytes: Buffer.from(value).toString("base64") };
  if (value instanceof NumberValue) return { number: value.toString() };
  if (typeof value === "bigint") return { bigint: value.toString() };
  if (Array.isArray(value)) return value.map(json);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, json(v)]));
  }
  return value;
};

exports.handler = async (event) => {
  const TableName = event.table;
  await documents.send(new PutCommand({
    TableName,
    Item: {
      pk: "js", sk: 1, count: 41, price: 19.99, below: -0.5,
      big: NumberValue.from("12345678901234567890123456789012345678"),
      doc: { name: "nested", inner: { list: [1, "two", true, null, { deep: [3, 4] }] } },
      tags: new Set(["red", "green"]), scores: new Set([1, 2.5]),
      blob: new Uint8Array([0, 1, 254, 255]), flag: false, nothing: null, empty: [],
    },
  }));
  await documents.send(new PutCommand({ TableName, Item: { pk: "js", sk: 2, count: 1 } }));
  await documents.send(new PutCommand({ TableName, Item: { pk: "other", sk: 1 } }));
  const got = await exact.send(
    new GetCommand({ TableName, Key: { pk: "js", sk: 1 }, ConsistentRead: true }),
  );
  const queried = await documents.send(new QueryCommand({
    TableName,
    KeyConditionExpression: "pk = :pk AND sk >= :from",
    ExpressionAttributeValues: { ":pk": "js", ":from": 1 },
    ScanIndexForward: false,
  }));
  const updated = await documents.send(new UpdateCommand({
    TableName,
    Key: { pk: "js", sk: 1 },
    UpdateExpression:
      "SET #c = #c + :one, #d.#i.#l[1] = :two, #d.#i.#a = :added " +
      "ADD #k :more, #s :score DELETE #t :gone REMOVE #n",
    ExpressionAttributeNames: {
      "#c": "count", "#d": "doc", "#i": "inner", "#l": "list", "#a": "added",
      "#t": "tags", "#k": "colours", "#s": "scores", "#n": "nothing",
    },
    ExpressionAttributeValues: {
      ":one": 1, ":two": "TWO", ":added": { x: [1, { y: new Set(["s"]) }] },
      ":more": new Set(["blue"]), ":score": new Set([7]), ":gone": new Set(["red"]),
    },
    ReturnValues: "ALL_NEW",
  }));
  return {
    got: json(got.Item),
    queried: { count: queried.Count, items: json(queried.Items) },
    updated: json(updated.Attributes),
  };
};
"""


def test_the_javascript_sdk_reads_and_writes_documents_in_a_function(
    server: Server, node_sdk_source: NodeSdkSource
) -> None:
    node_sdk_source.required()
    if shutil.which("node") is None:
        unavailable("Node.js", "install node")
    ddb = client(server.url, "dynamodb")
    create_table(ddb, "documents")
    lam = lambda_client(server.url)
    create_function(
        lam,
        "documents",
        {"index.js": NODE_DOCUMENTS},
        runtime="nodejs22.x",
        handler="index.handler",
        MemorySize=1024,
        Timeout=60,
    )
    response, body = invoke(lam, "documents", {"table": "documents"})
    assert "FunctionError" not in response, body

    def number(text: str) -> dict[str, str]:
        return {"number": text}

    assert body["got"] == {
        "pk": "js",
        "sk": number("1"),
        "count": number("41"),
        "price": number("19.99"),
        "below": number("-0.5"),
        "big": number("12345678901234567890123456789012345678"),
        "doc": {
            "name": "nested",
            "inner": {
                "list": [number("1"), "two", True, None, {"deep": [number("3"), number("4")]}]
            },
        },
        "tags": {"set": ["green", "red"]},
        "scores": {"set": [number("1"), number("2.5")]},
        "blob": {"bytes": base64.b64encode(bytes([0, 1, 254, 255])).decode()},
        "flag": False,
        "nothing": None,
        "empty": [],
    }
    assert body["queried"]["count"] == 2
    assert [(i["pk"], i["sk"]) for i in body["queried"]["items"]] == [("js", 2), ("js", 1)]
    updated = body["updated"]
    assert updated["count"] == 42 and "nothing" not in updated
    # Without wrapNumbers, an integer past JavaScript's safe ones is a BigInt.
    assert updated["big"] == {"bigint": "12345678901234567890123456789012345678"}
    assert updated["doc"]["inner"] == {
        "list": [1, "TWO", True, None, {"deep": [3, 4]}],
        "added": {"x": [1, {"y": {"set": ["s"]}}]},
    }
    assert (updated["tags"], updated["colours"]) == ({"set": ["green"]}, {"set": ["blue"]})
    assert updated["scores"] == {"set": [1, 2.5, 7]}

    # As the wire has it, read by another SDK.
    stored = ddb.get_item(TableName="documents", Key=key_item(("js", 1)), ConsistentRead=True)
    item = stored["Item"]
    assert item["big"] == {"N": "12345678901234567890123456789012345678"}
    assert item["count"] == {"N": "42"} and item["price"] == {"N": "19.99"}
    assert (item["tags"], item["colours"]) == ({"SS": ["green"]}, {"SS": ["blue"]})
    assert sorted(item["scores"]["NS"], key=float) == ["1", "2.5", "7"]
    assert item["blob"] == {"B": bytes([0, 1, 254, 255])}
    assert (item["flag"], item["empty"]) == ({"BOOL": False}, {"L": []})
    assert item["doc"]["M"]["inner"]["M"]["list"]["L"][4] == {
        "M": {"deep": {"L": [{"N": "3"}, {"N": "4"}]}}
    }
    assert item["doc"]["M"]["inner"]["M"]["added"] == {
        "M": {"x": {"L": [{"N": "1"}, {"M": {"y": {"SS": ["s"]}}}]}}
    }

"""What the DynamoDB server tests share: writers that drive a table from threads and keep
a ledger of what the server acknowledged (and what it was sent when it died), the model
of the items those writes leave, and reading a table and its stream back whole.

Each writer owns its own items (one partition), so its writes to them happen in the order
it sends them: after a SIGKILL, what the table and its stream hold can be told exactly
from its ledger, with one unknown per writer: whether the write in flight when the
server died landed (wholly) or not (at all).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

#: An item as the wire carries it (attribute name to attribute value).
Item = dict[str, Any]
#: An item's key: partition (``pk``) and sort (``sk``) values.
Key = tuple[str, int]

#: Sort keys of a writer's items: slots that are put and deleted, a counter that is
#: added to, and the three items every transaction writes together.
SLOTS = (0, 1, 2, 3)
COUNTER = 10
TRANSACTED = (20, 21, 22)
#: Attributes the counter's UpdateItem adds 1 to together (equal unless it tore).
COUNTED = ("n", "twin")

_DESERIALIZER = TypeDeserializer()


def plain(item: Mapping[str, Any] | None) -> Any:
    """``item`` as Python values (numbers as ``Decimal``, sets as sets): the form in
    which two images compare equal whatever order or spelling the server chose for a
    set's members or a number's digits."""
    if item is None:
        return None
    return {name: _DESERIALIZER.deserialize(value) for name, value in item.items()}


def key_of(item: Mapping[str, Any]) -> Key:
    return item["pk"]["S"], int(item["sk"]["N"])


def key_item(key: Key) -> Item:
    return {"pk": {"S": key[0]}, "sk": {"N": str(key[1])}}


def whole_item(key: Key, token: str, size: int) -> Item:
    """What a put of ``token`` writes: every attribute is derived from the token, so an
    item is whole exactly when it equals this for the token in its ``w``."""
    serial = int(token.rsplit("-", 1)[1])
    return {
        **key_item(key),
        "w": {"S": token},
        "body": {"S": (token + ".") * (size // (len(token) + 1))},
        # 38 significant digits, DynamoDB's precision.
        "precise": {"N": f"{serial % 10}" + "1234567890" * 3 + "1234567"},
        "blob": {"B": token.encode()},
        "tags": {"SS": [token, f"also-{token}"]},
        "numbers": {"NS": ["-1", str(serial)]},
        "doc": {
            "M": {
                "token": {"S": token},
                "list": {
                    "L": [
                        {"N": str(serial)},
                        {"BOOL": serial % 2 == 0},
                        {"NULL": True},
                        {"M": {"deep": {"S": token}}},
                    ]
                },
            }
        },
    }


@dataclass(frozen=True)
class Change:
    """One request a writer sent: its kind, and the item it leaves at each key whose item
    it changes (None: no item there). A delete of an item that is not there changes
    nothing, and so has nothing here."""

    token: str
    kind: str
    after: Mapping[Key, Item | None]


@dataclass
class Writer:
    """One thread's writes to its own partition ``w<number>``: puts and deletes of the
    slots, ADD to the counter, and TransactWriteItems of three items; the model
    (``items``) is what the acknowledged writes left."""

    number: int
    table: str
    ddb: Any
    seed: int
    #: The items as the acknowledged writes left them.
    items: dict[Key, Item | None] = field(default_factory=dict)
    acknowledged: list[Change] = field(default_factory=list)
    #: The request whose answer the server's death took (its outcome is unknown).
    in_flight: Change | None = None
    #: What went wrong before the kill (an error answer, or an answer the model
    #: contradicts): the test fails with it.
    error: str | None = None

    @property
    def partition(self) -> str:
        return f"w{self.number}"

    def owned(self) -> list[Key]:
        """The keys of the writer's items."""
        return [(self.partition, sk) for sk in (*SLOTS, COUNTER, *TRANSACTED)]

    def run(self, most: int, killing: threading.Event, acked: Callable[[], None]) -> None:
        """Write until the server dies (``killing`` is set before it is killed: an error
        after that is the kill's) or ``most`` writes are done."""
        rng = random.Random(self.seed)
        for serial in range(most):
            token = f"{self.partition}-{serial}"
            change, send = self._next(rng, token)
            try:
                answer = send()
            except Exception as error:
                if killing.is_set():
                    self.in_flight = change
                else:
                    self.error = f"{change.kind} {token}: {error!r}"
                return
            problem = self._contradiction(change, answer)
            if problem is not None and not killing.is_set():
                self.error = problem
                return
            self.acknowledged.append(change)
            self.items.update(change.after)
            acked()

    # --- the writes ------------------------------------------------------------------------

    def _next(self, rng: random.Random, token: str) -> tuple[Change, Callable[[], Any]]:
        roll = rng.random()
        if roll < 0.4:
            key = (self.partition, rng.choice(SLOTS))
            item = whole_item(key, token, rng.randrange(100, 4000))
            return Change(token, "put", {key: item}), lambda: self.ddb.put_item(
                TableName=self.table, Item=item
            )
        if roll < 0.6:
            key = (self.partition, COUNTER)
            after = self._added(key, token, COUNTED)
            return Change(token, "add", {key: after}), lambda: self.ddb.update_item(
                TableName=self.table,
                Key=key_item(key),
                UpdateExpression="ADD n :one, twin :one SET w = :w",
                ExpressionAttributeValues={":one": {"N": "1"}, ":w": {"S": token}},
                ReturnValues="ALL_NEW",
            )
        if roll < 0.75:
            key = (self.partition, rng.choice(SLOTS))
            gone: dict[Key, Item | None] = {key: None} if self.items.get(key) else {}
            return Change(token, "delete", gone), lambda: self.ddb.delete_item(
                TableName=self.table, Key=key_item(key), ReturnValues="ALL_OLD"
            )
        first, counted, last = ((self.partition, sk) for sk in TRANSACTED)
        size = rng.randrange(100, 2000)
        put_first, put_last = whole_item(first, token, size), whole_item(last, token, size)
        written = {first: put_first, counted: self._added(counted, token, ("n",)), last: put_last}
        actions = [
            {"Put": {"TableName": self.table, "Item": put_first}},
            {
                "Update": {
                    "TableName": self.table,
                    "Key": key_item(counted),
                    "UpdateExpression": "SET w = :w ADD n :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}, ":w": {"S": token}},
                }
            },
            {"Put": {"TableName": self.table, "Item": put_last}},
        ]
        return Change(token, "transaction", written), lambda: self.ddb.transact_write_items(
            TransactItems=actions
        )

    def _added(self, key: Key, token: str, names: tuple[str, ...]) -> Item:
        """The item at ``key`` once 1 is added to each of ``names`` and ``w`` set."""
        old = self.items.get(key) or key_item(key)
        new = {**old, "w": {"S": token}}
        for name in names:
            new[name] = {"N": str(int(old.get(name, {"N": "0"})["N"]) + 1)}
        return new

    def _contradiction(self, change: Change, answer: Mapping[str, Any]) -> str | None:
        """What in the answer disagrees with the model (the returned images)."""
        if change.kind == "add":
            [(_, expected)] = change.after.items()
            if plain(answer.get("Attributes")) != plain(expected):
                return f"{change.token}: ALL_NEW {answer.get('Attributes')} != {expected}"
        if change.kind == "delete":
            old = next((self.items.get(key) for key in change.after), None)
            if plain(answer.get("Attributes")) != plain(old):
                return f"{change.token}: ALL_OLD {answer.get('Attributes')} != {old}"
        return None

    # --- what the server may hold ------------------------------------------------------------

    def histories(self, landed: bool) -> dict[Key, list[Item | None]]:
        """Per key, the item after each change to it, oldest first: the acknowledged
        changes, and the one in flight too if ``landed``."""
        changes = [*self.acknowledged, *([self.in_flight] if landed and self.in_flight else [])]
        found: dict[Key, list[Item | None]] = {key: [] for key in self.owned()}
        for change in changes:
            for key, item in change.after.items():
                found[key].append(item)
        return found

    def adds(self, key: Key) -> tuple[int, int]:
        """Acknowledged writes that added to ``key``'s ``n``, and in-flight ones (0 or 1)."""
        acked = sum(1 for change in self.acknowledged if key in change.after)
        flying = 1 if self.in_flight is not None and key in self.in_flight.after else 0
        return acked, flying


# --- reading back ---------------------------------------------------------------------------------


def scan_all(ddb: Any, table: str) -> list[Item]:
    """Every item of ``table`` (a consistent Scan, every page)."""
    items: list[Item] = []
    start: dict[str, Any] | None = None
    for _ in range(10_000):  # pages of 1 MB: far more than any table here
        page = ddb.scan(
            TableName=table, ConsistentRead=True, **({"ExclusiveStartKey": start} if start else {})
        )
        items += page["Items"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return items
    raise AssertionError(f"the scan of {table} never ends")


def stream_records(streams: Any, stream_arn: str) -> list[dict[str, Any]]:
    """Every record of the stream from TRIM_HORIZON, shard by shard, until a read finds
    no more."""
    shards = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
    records: list[dict[str, Any]] = []
    for shard in shards:
        iterator = streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        ).get("ShardIterator")
        for _ in range(10_000):  # pages of 1,000 records: far more than any stream here
            if iterator is None:
                break
            answer = streams.get_records(ShardIterator=iterator, Limit=1000)
            records += answer["Records"]
            if not answer["Records"]:
                break
            iterator = answer.get("NextShardIterator")
    return records


def by_key(records: list[dict[str, Any]]) -> dict[Key, list[dict[str, Any]]]:
    """The records of each item, in the stream's order."""
    found: dict[Key, list[dict[str, Any]]] = {}
    for record in records:
        found.setdefault(key_of(record["dynamodb"]["Keys"]), []).append(record)
    return found


def chain_breaks(records: list[dict[str, Any]]) -> list[str]:
    """Where an item's records (NEW_AND_OLD_IMAGES) do not follow one another: each
    record's old image is the previous one's new image (none before the first), and its
    event name says which of the two it has."""
    problems: list[str] = []
    before: Item | None = None
    for record in records:
        change = record["dynamodb"]
        old, new = change.get("OldImage"), change.get("NewImage")
        kind = "INSERT" if old is None else "REMOVE" if new is None else "MODIFY"
        if record["eventName"] != kind:
            problems.append(f"{change['SequenceNumber']}: {record['eventName']}, images of {kind}")
        if plain(old) != plain(before):
            problems.append(f"{change['SequenceNumber']}: old image is not the previous new one")
        before = new
    return problems

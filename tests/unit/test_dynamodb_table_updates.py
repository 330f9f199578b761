"""UpdateTable's members applied to a table (``table_updates``): one change per call as
DynamoDB allows, each refusal with its text, the table each change leaves and the ids
it purges; and the table as DescribeTable shows it (``describe``)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from altus.arns import Account
from altus.dynamodb import definitions, describe, table_updates
from altus.dynamodb.errors import LimitExceeded, ResourceNotFound, ValidationException
from altus.dynamodb.model import ACTIVE, CREATING, PAY_PER_REQUEST, PROVISIONED, Table

ACCOUNT = Account("us-east-1", "000000000000")
ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/books"
NOW = 1_700_000_000.0
DAY = 24 * 3600.0
INVALID = "One or more parameter values were invalid: "
PT = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}


def _defs(**types: str) -> list[dict[str, str]]:
    return [{"AttributeName": name, "AttributeType": kind} for name, kind in types.items()]


def _key(*names: str) -> list[dict[str, str]]:
    return [
        {"AttributeName": n, "KeyType": "HASH" if i == 0 else "RANGE"} for i, n in enumerate(names)
    ]


def _table(provisioned: bool = False, **members: Any) -> Table:
    given: dict[str, Any] = {
        "TableName": "books",
        "AttributeDefinitions": _defs(pk="S", sk="N", g="S"),
        "KeySchema": _key("pk", "sk"),
        "LocalSecondaryIndexes": [
            {
                "IndexName": "lsi",
                "KeySchema": _key("pk", "g"),
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "gsi",
                "KeySchema": _key("g"),
                "Projection": {"ProjectionType": "ALL"},
                **({"ProvisionedThroughput": PT} if provisioned else {}),
            }
        ],
        "BillingMode": "PROVISIONED" if provisioned else "PAY_PER_REQUEST",
        **({"ProvisionedThroughput": PT} if provisioned else {}),
        **members,
    }
    return definitions.new_table(given, name="books", id="tid", arn=ARN, now=NOW, account=ACCOUNT)


def _update(table: Table, now: float = NOW + 60, **members: Any) -> table_updates.TableUpdate:
    return table_updates.update_table(
        table, {"TableName": "books", **members}, now=now, nonce="n1", account=ACCOUNT
    )


def _create_gsi(name: str = "new", *keys: str, **more: Any) -> dict[str, Any]:
    return {
        "Create": {
            "IndexName": name,
            "KeySchema": _key(*(keys or ("h",))),
            "Projection": {"ProjectionType": "KEYS_ONLY"},
            **more,
        }
    }


AT_LEAST = (
    "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, "
    "GlobalSecondaryIndexUpdates, SSESpecification, ReplicaUpdates, MultiAccountReplicaReady, "
    "ReplicaTransitRoleArn, {mrc}DeletionProtectionEnabled, OnDemandThroughput, WarmThroughput "
    "or TableClass is required"
)
ONLINE = (
    "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously "
    "per table"
)
STREAM = {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}


@pytest.mark.parametrize(
    ("provisioned", "members", "text"),
    [
        (False, {}, AT_LEAST.format(mrc="MultiRegionConsistency, ")),
        (False, {"MultiRegionConsistency": "STRONG"}, AT_LEAST.format(mrc="")),
        (
            False,
            {"GlobalSecondaryIndexUpdates": []},
            AT_LEAST.format(mrc="MultiRegionConsistency, "),
        ),
        (
            False,
            {"AttributeDefinitions": _defs(pk="N")},
            AT_LEAST.format(mrc="MultiRegionConsistency, "),
        ),
        (
            False,
            {"GlobalSecondaryIndexUpdates": [], "DeletionProtectionEnabled": True},
            INVALID + "List of GlobalSecondaryIndexUpdates is empty",
        ),
        # One change per call.
        (
            False,
            {"SSESpecification": {"Enabled": True}, "TableClass": "STANDARD"},
            INVALID
            + "Server-Side Encryption modification must be the only operation in the request",
        ),
        (
            False,
            {"TableClass": "STANDARD", "DeletionProtectionEnabled": True},
            INVALID + "TableClass modification must be the only operation in the request",
        ),
        (
            False,
            {"DeletionProtectionEnabled": True, "StreamSpecification": STREAM},
            INVALID + "DeletionProtection modification must be the only operation in the request",
        ),
        (
            True,
            {"WarmThroughput": {"ReadUnitsPerSecond": 9}, "ProvisionedThroughput": PT},
            INVALID + "WarmThroughput must be the only operation in the request",
        ),
        (
            False,
            {
                "WarmThroughput": {"ReadUnitsPerSecond": 9},
                "GlobalSecondaryIndexUpdates": [_create_gsi()],
            },
            INVALID
            + "Create global secondary index cannot be specified when updating WarmThroughput",
        ),
        (
            False,
            {"OnDemandThroughput": {"MaxReadRequestUnits": 9}, "StreamSpecification": STREAM},
            INVALID
            + "OnDemandThroughput can only be combined with BillingMode in an UpdateTable request",
        ),
        (
            True,
            {
                "StreamSpecification": STREAM,
                "ProvisionedThroughput": {"ReadCapacityUnits": 6, "WriteCapacityUnits": 6},
            },
            INVALID + "You cannot modify stream status while updating table IOPS",
        ),
        (
            True,
            {
                "ProvisionedThroughput": PT,
                "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "gsi"}}],
            },
            INVALID + "You cannot create or delete index while updating table IOPS",
        ),
        (
            False,
            {
                "StreamSpecification": STREAM,
                "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "gsi"}}],
            },
            INVALID + "You cannot create or delete index while changing stream status",
        ),
        # Index actions.
        (
            False,
            {"GlobalSecondaryIndexUpdates": [{}]},
            INVALID
            + "One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, "
            "GlobalSecondaryIndexUpdate.Delete must not be null",
        ),
        (
            False,
            {
                "GlobalSecondaryIndexUpdates": [
                    {"Delete": {"IndexName": "gsi"}, "Update": {"IndexName": "gsi"}}
                ]
            },
            INVALID + "Only one global secondary index action is allowed per "
            "GlobalSecondaryIndexUpdate object",
        ),
        (
            False,
            {"GlobalSecondaryIndexUpdates": [{"Update": {"IndexName": "gsi"}}] * 2},
            INVALID + "Only one global secondary index update per index is allowed "
            "simultaneously. Index: gsi",
        ),
        (
            False,
            {"GlobalSecondaryIndexUpdates": [_create_gsi()]},
            INVALID + "AttributeDefinitions is not specified for index: new",
        ),
        (
            False,
            {
                "AttributeDefinitions": _defs(g="S"),
                "GlobalSecondaryIndexUpdates": [_create_gsi("gsi", "g")],
            },
            "Attempting to create an index which already exists",
        ),
        (
            False,
            {
                "AttributeDefinitions": _defs(g="S"),
                "GlobalSecondaryIndexUpdates": [_create_gsi("lsi", "g")],
            },
            "Attempting to create an index which already exists",
        ),
        (
            False,
            {
                "AttributeDefinitions": _defs(x="S"),
                "GlobalSecondaryIndexUpdates": [_create_gsi("new", "h")],
            },
            INVALID + "Some index key attributes are not defined in AttributeDefinitions. "
            "Keys: [h], AttributeDefinitions: [x]",
        ),
        (
            False,
            {
                "AttributeDefinitions": _defs(h="S"),
                "GlobalSecondaryIndexUpdates": [_create_gsi("new", "h", ProvisionedThroughput=PT)],
            },
            INVALID + "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified for "
            "index: new when BillingMode is PAY_PER_REQUEST",
        ),
        (
            True,
            {
                "AttributeDefinitions": _defs(h="S"),
                "GlobalSecondaryIndexUpdates": [_create_gsi("new", "h")],
            },
            INVALID
            + "Both ReadCapacityUnits and WriteCapacityUnits must be specified for index: new",
        ),
        (
            False,
            {"GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "lsi"}}]},
            "Cannot delete an index that is not a GlobalSecondaryIndex: lsi",
        ),
        (
            False,
            {"GlobalSecondaryIndexUpdates": [{"Update": {"IndexName": "lsi"}}]},
            "Cannot update an index that is not a GlobalSecondaryIndex: lsi",
        ),
        (
            False,
            {
                "GlobalSecondaryIndexUpdates": [
                    {"Update": {"IndexName": "gsi", "ProvisionedThroughput": PT}}
                ]
            },
            INVALID + "The only Updates for index: gsi when TableThroughputMode is "
            "PAY_PER_REQUEST can be to OnDemandThroughput, WarmThroughput",
        ),
        (
            True,
            {
                "GlobalSecondaryIndexUpdates": [
                    {"Update": {"IndexName": "gsi", "ProvisionedThroughput": PT}}
                ]
            },
            "The provisioned throughput for the index gsi will not change. The requested value "
            "equals the current value. Current ReadCapacityUnits provisioned for index gsi: 5. "
            "Requested ReadCapacityUnits: 5. Current WriteCapacityUnits provisioned for index "
            "gsi: 5. Requested WriteCapacityUnits: 5. Refer to the Amazon DynamoDB Developer "
            "Guide for current limits and how to request higher limits.",
        ),
        # Billing and capacity.
        (
            True,
            {"ProvisionedThroughput": PT},
            "The provisioned throughput for the table will not change. The requested value "
            "equals the current value. Current ReadCapacityUnits provisioned for the table: 5. "
            "Requested ReadCapacityUnits: 5. Current WriteCapacityUnits provisioned for the "
            "table: 5. Requested WriteCapacityUnits: 5. Refer to the Amazon DynamoDB Developer "
            "Guide for current limits and how to request higher limits.",
        ),
        (
            False,
            {"ProvisionedThroughput": PT},
            INVALID + "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when "
            "BillingMode is PAY_PER_REQUEST",
        ),
        (
            True,
            {"BillingMode": "PAY_PER_REQUEST", "ProvisionedThroughput": PT},
            INVALID
            + "ProvisionedThroughput cannot be specified when BillingMode is PAY_PER_REQUEST",
        ),
        (
            True,
            {"BillingMode": "PROVISIONED"},
            INVALID + "ProvisionedThroughput must be specified when BillingMode is PROVISIONED",
        ),
        (
            False,
            {"BillingMode": "PROVISIONED", "ProvisionedThroughput": PT},
            INVALID + "ProvisionedThroughput must be specified for index: gsi",
        ),
        (
            False,
            {
                "BillingMode": "PROVISIONED",
                "ProvisionedThroughput": PT,
                "GlobalSecondaryIndexUpdates": [{"Update": {"IndexName": "gsi"}}],
            },
            INVALID + "ProvisionedThroughput must be specified for index: gsi",
        ),
        (
            True,
            {"OnDemandThroughput": {"MaxReadRequestUnits": 9}},
            INVALID + "MaxReadRequestUnits for OnDemandThroughput cannot be specified when the "
            "table BillingMode is PROVISIONED",
        ),
        # Streams and encryption.
        (
            False,
            {"StreamSpecification": {"StreamEnabled": True}},
            INVALID + "If stream is being enabled then UpdateViewType is required",
        ),
        (
            False,
            {"StreamSpecification": {"StreamEnabled": False, "StreamViewType": "KEYS_ONLY"}},
            INVALID + "If stream is being disabled, then UpdateViewType must not be specified",
        ),
        (
            False,
            {"StreamSpecification": {"StreamEnabled": False}},
            "Table has no stream to disable: TableName: books",
        ),
        (
            False,
            {"SSESpecification": {"Enabled": False}},
            INVALID + "Table is already encrypted by default",
        ),
        (False, {"SSESpecification": {}}, INVALID + "Table is already encrypted by default"),
        (
            False,
            {"ReplicaUpdates": [{"Create": {"RegionName": "eu-west-1"}}]},
            "Altus does not serve ReplicaUpdates (global tables, vector indexes)",
        ),
    ],
)
def test_refusals(provisioned: bool, members: dict[str, Any], text: str) -> None:
    with pytest.raises(ValidationException) as caught:
        _update(_table(provisioned), **members)
    assert caught.value.message == text


@pytest.mark.parametrize(
    ("members", "error", "text"),
    [
        (
            {"GlobalSecondaryIndexUpdates": [{"Update": {"IndexName": "nope"}}]},
            ResourceNotFound,
            "Requested resource not found: Index nope for table books",
        ),
        (
            {"GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "nope"}}]},
            ResourceNotFound,
            "Requested resource not found: Index nope for table books",
        ),
        (
            {
                "AttributeDefinitions": _defs(h="S"),
                "GlobalSecondaryIndexUpdates": [
                    _create_gsi("new", "h"),
                    {"Delete": {"IndexName": "gsi"}},
                ],
            },
            LimitExceeded,
            ONLINE,
        ),
    ],
)
def test_other_refusals(members: dict[str, Any], error: type[Exception], text: str) -> None:
    with pytest.raises(error) as caught:
        _update(_table(), **members)
    assert str(caught.value) == text


def test_an_index_is_created_one_at_a_time() -> None:
    created = _update(
        _table(), AttributeDefinitions=_defs(h="S"), GlobalSecondaryIndexUpdates=[_create_gsi()]
    ).table
    with pytest.raises(LimitExceeded) as caught:
        _update(created, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "gsi"}}])
    assert str(caught.value) == ONLINE
    table = _table()  # one global index
    for n in range(19):
        table = _update(
            table,
            AttributeDefinitions=_defs(h="S"),
            GlobalSecondaryIndexUpdates=[_create_gsi(f"g{n:02}")],
        ).table
        filled = tuple(dataclasses.replace(i, status=ACTIVE) for i in table.indexes)
        table = dataclasses.replace(table, indexes=filled)
    with pytest.raises(LimitExceeded) as limit:
        _update(
            table, AttributeDefinitions=_defs(h="S"), GlobalSecondaryIndexUpdates=[_create_gsi()]
        )
    assert str(limit.value) == (
        "Subscriber limit exceeded: Number of global secondary indexes exceeds per-table "
        "limit of 20"
    )


# --- what a change leaves ----------------------------------------------------------------------


def test_a_new_index_is_creating_and_defines_its_keys() -> None:
    change = _update(
        _table(),
        AttributeDefinitions=_defs(h="N", pk="N"),
        GlobalSecondaryIndexUpdates=[_create_gsi("new", "h", "pk")],
    )
    index = change.table.index("new")
    assert index is not None
    assert (index.status, index.backfilling, index.id) == (CREATING, True, "tid/new/n1")
    # A key attribute the table defines keeps its type.
    assert (index.key.hash_type, index.key.range_type) == ("N", "S")
    assert dict(change.table.attributes) == {"g": "S", "h": "N", "pk": "S", "sk": "N"}
    assert change.dropped == ()


def test_a_deleted_index_is_dropped_with_its_attributes() -> None:
    change = _update(_table(), GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "gsi"}}])
    assert change.table.index("gsi") is None
    assert change.dropped == ("tid/gsi",)
    # g is still the local index's key.
    assert dict(change.table.attributes) == {"g": "S", "pk": "S", "sk": "N"}
    bare = _table(LocalSecondaryIndexes=None, AttributeDefinitions=_defs(pk="S", sk="N", g="S"))
    assert (
        "g"
        not in _update(
            bare, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "gsi"}}]
        ).table.attributes
    )


def test_capacity_changes_count_decreases_per_utc_day() -> None:
    table = _table(provisioned=True)
    down = _update(
        table, ProvisionedThroughput={"ReadCapacityUnits": 2, "WriteCapacityUnits": 9}
    ).table
    assert (down.throughput.read, down.throughput.write) == (2, 9)
    assert down.throughput.last_decrease == down.throughput.last_increase == NOW + 60
    assert down.throughput.decreases_today == 1
    again = _update(
        down, ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 9}
    ).table
    assert again.throughput.decreases_today == 2
    assert table_updates.decreases_today(again.throughput, NOW + DAY) == 0


def test_billing_switches() -> None:
    provisioned = _update(
        _table(),
        BillingMode="PROVISIONED",
        ProvisionedThroughput=PT,
        GlobalSecondaryIndexUpdates=[{"Update": {"IndexName": "gsi", "ProvisionedThroughput": PT}}],
    ).table
    assert provisioned.billing_mode == PROVISIONED
    gsi = provisioned.index("gsi")
    assert gsi is not None and gsi.throughput is not None and gsi.throughput.read == 5
    on_demand = _update(provisioned, now=NOW + 120, BillingMode="PAY_PER_REQUEST").table
    assert (on_demand.billing_mode, on_demand.billing_changed) == (PAY_PER_REQUEST, NOW + 120)
    assert on_demand.index("gsi").throughput is None  # type: ignore[union-attr]


def test_streams_are_enabled_disabled_and_forgotten_after_a_day() -> None:
    on = _update(_table(), StreamSpecification=STREAM).table
    (first,) = on.streams
    assert on.stream == first
    with pytest.raises(ValidationException) as caught:
        _update(on, StreamSpecification=STREAM)
    assert caught.value.message == "Table already has an enabled stream: TableName: books"
    off = _update(on, StreamSpecification={"StreamEnabled": False}).table
    assert off.stream is None and off.streams[0].disabled == NOW + 60
    # Enabled again at the same moment: a new label all the same.
    again = _update(off, StreamSpecification=STREAM).table
    assert [s.label for s in again.streams] == [first.label, "2023-11-14T22:14:20.001"]
    later = _update(again, now=NOW + 2 * DAY, StreamSpecification={"StreamEnabled": False})
    assert [s.arn for s in later.table.streams] == [again.streams[1].arn]
    assert later.dropped == (first.arn,)


def test_encryption_class_protection_and_on_demand_limits() -> None:
    encrypted = _update(_table(), SSESpecification={"Enabled": True}).table
    assert encrypted.extra["sse"]["Status"] == "ENABLED"
    key = encrypted.extra["sse"]["KMSMasterKeyArn"]
    with pytest.raises(ValidationException) as caught:
        _update(
            encrypted, SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key}
        )
    assert "Table is already encrypted with given KMSMasterKeyId" in caught.value.message
    assert "sse" not in _update(encrypted, SSESpecification={"Enabled": False}).table.extra
    cold = _update(_table(), TableClass="STANDARD_INFREQUENT_ACCESS").table
    assert (cold.table_class, cold.extra["tableClassUpdated"]) == (
        "STANDARD_INFREQUENT_ACCESS",
        NOW + 60,
    )
    assert "tableClassUpdated" not in _update(_table(), TableClass="STANDARD").table.extra
    assert _update(_table(), DeletionProtectionEnabled=True).table.deletion_protection
    limited = _update(_table(), OnDemandThroughput={"MaxReadRequestUnits": 50}).table
    assert limited.extra["onDemand"] == {"MaxReadRequestUnits": 50}
    cleared = _update(limited, OnDemandThroughput={"MaxReadRequestUnits": -1}).table
    assert "onDemand" not in cleared.extra


def test_warm_throughput_only_grows() -> None:
    warm = _update(_table(), WarmThroughput={"ReadUnitsPerSecond": 13000}).table
    assert table_updates.warm_throughput(warm) == (13000, 4000)
    with pytest.raises(ValidationException):
        _update(warm, WarmThroughput={"ReadUnitsPerSecond": 12000})


# --- DescribeTable ------------------------------------------------------------------------------


def test_an_on_demand_table_as_described() -> None:
    table = _update(
        _table(), AttributeDefinitions=_defs(h="S"), GlobalSecondaryIndexUpdates=[_create_gsi()]
    ).table
    shown = describe.table_description(table, {"tid": (3, 120), "tid/gsi": (2, 80)}, NOW)
    assert shown["ProvisionedThroughput"] == {
        "NumberOfDecreasesToday": 0,
        "ReadCapacityUnits": 0,
        "WriteCapacityUnits": 0,
    }
    assert shown["BillingModeSummary"] == {
        "BillingMode": "PAY_PER_REQUEST",
        "LastUpdateToPayPerRequestDateTime": NOW,
    }
    assert (shown["ItemCount"], shown["TableSizeBytes"]) == (3, 120)
    assert [a["AttributeName"] for a in shown["AttributeDefinitions"]] == ["g", "h", "pk", "sk"]
    (local,) = shown["LocalSecondaryIndexes"]
    assert set(local) == {
        "IndexName",
        "KeySchema",
        "Projection",
        "IndexSizeBytes",
        "ItemCount",
        "IndexArn",
    }
    gsi, new = shown["GlobalSecondaryIndexes"]
    assert (gsi["IndexStatus"], gsi["ItemCount"], gsi["IndexSizeBytes"]) == ("ACTIVE", 2, 80)
    assert "Backfilling" not in gsi
    assert gsi["IndexArn"] == f"{ARN}/index/gsi"
    assert (new["IndexStatus"], new["Backfilling"]) == ("CREATING", True)
    assert shown["WarmThroughput"] == {
        "ReadUnitsPerSecond": 12000,
        "WriteUnitsPerSecond": 4000,
        "Status": "ACTIVE",
    }
    assert shown["DeletionProtectionEnabled"] is False
    for absent in ("StreamSpecification", "LatestStreamArn", "SSEDescription", "TableClassSummary"):
        assert absent not in shown


def test_a_provisioned_table_with_a_disabled_stream_as_described() -> None:
    table = _table(provisioned=True, StreamSpecification=STREAM, TableClass="STANDARD")
    table = _update(table, StreamSpecification={"StreamEnabled": False}).table
    shown = describe.table_description(table, {}, NOW)
    assert "BillingModeSummary" not in shown
    assert shown["ProvisionedThroughput"] == {
        "NumberOfDecreasesToday": 0,
        "ReadCapacityUnits": 5,
        "WriteCapacityUnits": 5,
    }
    assert "StreamSpecification" not in shown
    assert shown["LatestStreamLabel"] == "2023-11-14T22:13:20.000"
    assert shown["LatestStreamArn"] == f"{ARN}/stream/2023-11-14T22:13:20.000"
    assert shown["TableClassSummary"] == {"TableClass": "STANDARD"}
    (gsi,) = shown["GlobalSecondaryIndexes"]
    assert gsi["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert shown["WarmThroughput"]["ReadUnitsPerSecond"] == 5

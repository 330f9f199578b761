"""CreateTable's members as DynamoDB checks them (``definitions``, ``table_options``):
the tables valid definitions make, and each refusal with DynamoDB's text, table-driven;
the parts UpdateTable shares (names and ARNs, projections, streams, encryption, tags)."""

from __future__ import annotations

from typing import Any

import pytest

from altus.arns import Account
from altus.dynamodb import definitions, table_options
from altus.dynamodb.errors import LimitExceeded, ValidationException
from altus.dynamodb.model import (
    ALL,
    GLOBAL,
    INCLUDE,
    KEYS_ONLY,
    LOCAL,
    PAY_PER_REQUEST,
    PROVISIONED,
    KeySchema,
    Projection,
    Throughput,
)

ACCOUNT = Account("us-east-1", "000000000000")
ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/books"
NOW = 1_700_000_000.0
INVALID = "One or more parameter values were invalid: "


def _defs(**types: str) -> list[dict[str, str]]:
    return [{"AttributeName": name, "AttributeType": kind} for name, kind in types.items()]


def _key(*names: str) -> list[dict[str, str]]:
    return [
        {"AttributeName": name, "KeyType": "HASH" if i == 0 else "RANGE"}
        for i, name in enumerate(names)
    ]


def _gsi(name: str, *keys: str, projection: Any = None, **more: Any) -> dict[str, Any]:
    return {
        "IndexName": name,
        "KeySchema": _key(*keys),
        "Projection": projection or {"ProjectionType": "ALL"},
        **more,
    }


PT = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
BASE: dict[str, Any] = {
    "TableName": "books",
    "AttributeDefinitions": _defs(pk="S", sk="N"),
    "KeySchema": _key("pk", "sk"),
    "BillingMode": "PAY_PER_REQUEST",
}


def _create(**members: Any) -> Any:
    given = {**BASE, **members}
    given = {key: value for key, value in given.items() if value is not None}
    return definitions.new_table(
        given, name=given["TableName"], id="tid", arn=ARN, now=NOW, account=ACCOUNT
    )


def _refused(**members: Any) -> str:
    with pytest.raises(ValidationException) as caught:
        _create(**members)
    return caught.value.message


# --- valid definitions -------------------------------------------------------------------------


def test_a_table_of_hash_and_range_on_demand() -> None:
    table = _create()
    assert table.key == KeySchema("pk", "S", "sk", "N")
    assert table.billing_mode == PAY_PER_REQUEST
    assert table.billing_changed == NOW
    assert table.throughput == Throughput()
    assert (table.id, table.arn, table.created, table.indexes) == ("tid", ARN, NOW, ())
    assert dict(table.attributes) == {"pk": "S", "sk": "N"}


def test_a_provisioned_table_keeps_its_capacity() -> None:
    table = _create(
        BillingMode=None,
        AttributeDefinitions=_defs(pk="B"),
        KeySchema=_key("pk"),
        ProvisionedThroughput=PT,
    )
    assert table.billing_mode == PROVISIONED
    assert table.billing_changed is None
    assert (table.throughput.read, table.throughput.write) == (5, 5)
    assert table.key == KeySchema("pk", "B")


def test_indexes_get_typed_keys_ids_and_projections() -> None:
    table = _create(
        AttributeDefinitions=_defs(z="S", pk="S", sk="N", g="N", l="B"),
        LocalSecondaryIndexes=[
            {
                "IndexName": "by-l",
                "KeySchema": _key("pk", "l"),
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
        GlobalSecondaryIndexes=[
            _gsi(
                "by-g",
                "g",
                "z",
                projection={"ProjectionType": "INCLUDE", "NonKeyAttributes": ["zz", "aa"]},
            )
        ],
    )
    local, global_ = table.indexes
    assert (local.name, local.id, local.kind) == ("by-l", "tid/by-l", LOCAL)
    assert local.key == KeySchema("pk", "S", "l", "B")
    assert local.projection == Projection(KEYS_ONLY)
    assert (global_.name, global_.id, global_.kind) == ("by-g", "tid/by-g", GLOBAL)
    assert global_.key == KeySchema("g", "N", "z", "S")
    # DescribeTable shows NonKeyAttributes sorted, and AttributeDefinitions too.
    assert global_.projection == Projection(INCLUDE, ("aa", "zz"))
    assert list(table.attributes) == ["g", "l", "pk", "sk", "z"]
    assert all(index.status == "ACTIVE" for index in table.indexes)


def test_a_stream_tags_encryption_class_and_protection() -> None:
    table = _create(
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        Tags=[{"Key": "team", "Value": "books"}],
        SSESpecification={"Enabled": True},
        TableClass="STANDARD_INFREQUENT_ACCESS",
        DeletionProtectionEnabled=True,
    )
    (stream,) = table.streams
    assert stream.label == "2023-11-14T22:13:20.000"
    assert stream.arn == f"{ARN}/stream/2023-11-14T22:13:20.000"
    assert (stream.view_type, stream.enabled) == ("NEW_AND_OLD_IMAGES", True)
    assert table.tags == {"team": "books"}
    sse = table.extra["sse"]
    assert (sse["Status"], sse["SSEType"]) == ("ENABLED", "KMS")
    assert sse["KMSMasterKeyArn"].startswith("arn:aws:kms:us-east-1:000000000000:key/")
    assert table.table_class == "STANDARD_INFREQUENT_ACCESS"
    assert table.deletion_protection is True


@pytest.mark.parametrize(
    "spec",
    [None, {"StreamEnabled": False}],
)
def test_no_stream(spec: Any) -> None:
    assert _create(StreamSpecification=spec).streams == ()


# --- refusals ----------------------------------------------------------------------------------

COUNT_MISMATCH = (
    "Number of attributes in KeySchema does not exactly match number of attributes defined "
    "in AttributeDefinitions"
)


@pytest.mark.parametrize(
    ("members", "text"),
    [
        # Coral's words for what the model would have said.
        (
            {"TableName": "ab"},
            "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy "
            "constraint: Member must have length greater than or equal to 3",
        ),
        (
            {"TableName": "a b c"},
            "1 validation error detected: Value 'a b c' at 'tableName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
        ),
        (
            {"KeySchema": None},
            "1 validation error detected: Value null at 'keySchema' failed to satisfy "
            "constraint: Member must not be null",
        ),
        (
            {"AttributeDefinitions": None},
            "1 validation error detected: Value null at 'attributeDefinitions' failed to "
            "satisfy constraint: Member must not be null",
        ),
        # The table key's shape.
        (
            {"KeySchema": _key("pk", "sk")[::-1]},
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        ),
        (
            {"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}] * 2},
            "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
        ),
        (
            {"KeySchema": _key("pk", "pk")},
            "Both the Hash Key and the Range Key element in the KeySchema have the same name",
        ),
        (
            {"AttributeDefinitions": _defs(pk="S", sk="N") + _defs(pk="N")},
            "Attribute Name is duplicated: pk",
        ),
        # AttributeDefinitions against the keys.
        ({"AttributeDefinitions": _defs(pk="S", sk="N", x="S")}, INVALID + COUNT_MISMATCH),
        (
            {"AttributeDefinitions": _defs(pk="S")},
            "Invalid KeySchema: Some index key attribute have no definition",
        ),
        (
            {"AttributeDefinitions": _defs(pk="S", typo="N")},
            INVALID + "Some index key attributes are not defined in AttributeDefinitions. "
            "Keys: [pk, sk], AttributeDefinitions: [pk, typo]",
        ),
        (
            {"GlobalSecondaryIndexes": [_gsi("by-g", "g")]},
            INVALID + "Some index key attributes are not defined in AttributeDefinitions. "
            "Keys: [g], AttributeDefinitions: [pk, sk]",
        ),
        (
            {
                "AttributeDefinitions": _defs(pk="S", sk="N", g="S", x="S"),
                "GlobalSecondaryIndexes": [_gsi("by-g", "g")],
            },
            INVALID + "Some AttributeDefinitions are not used. AttributeDefinitions: "
            "[pk, sk, g, x], keys used: [pk, sk, g]",
        ),
        # Billing.
        (
            {"BillingMode": None},
            INVALID + "ReadCapacityUnits and WriteCapacityUnits must both be specified when "
            "BillingMode is PROVISIONED",
        ),
        (
            {"ProvisionedThroughput": PT},
            INVALID + "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when "
            "BillingMode is PAY_PER_REQUEST",
        ),
        # Index lists and local indexes.
        ({"GlobalSecondaryIndexes": []}, INVALID + "List of GlobalSecondaryIndexes is empty"),
        ({"LocalSecondaryIndexes": []}, INVALID + "List of LocalSecondaryIndexes is empty"),
        (
            {
                "AttributeDefinitions": _defs(pk="S", l="S"),
                "KeySchema": _key("pk"),
                "LocalSecondaryIndexes": [_gsi("by-l", "pk", "l")],
            },
            INVALID + "Table KeySchema does not have a range key, which is required when "
            "specifying a LocalSecondaryIndex",
        ),
        (
            {
                "AttributeDefinitions": _defs(pk="S", sk="N", a="S"),
                "LocalSecondaryIndexes": [_gsi("l-a", "a", "sk")],
            },
            INVALID + "Index KeySchema does not have the same leading hash key as table "
            "KeySchema for index: l-a. index hash key: a, table hash key: pk",
        ),
        (
            {"LocalSecondaryIndexes": [_gsi("l-a", "pk")]},
            INVALID + "Index KeySchema does not have a range key for index: l-a",
        ),
        (
            {"LocalSecondaryIndexes": [_gsi(f"l-{i}", "pk", "sk") for i in range(6)]},
            INVALID + "Number of LocalSecondaryIndexes exceeds per-table limit of 5",
        ),
        # Global indexes.
        (
            {
                "AttributeDefinitions": _defs(pk="S", sk="N", g="S"),
                "GlobalSecondaryIndexes": [_gsi(f"g-{i:02}", "g") for i in range(21)],
            },
            INVALID + "GlobalSecondaryIndex count exceeds the per-table limit of 20",
        ),
        (
            {
                "AttributeDefinitions": _defs(pk="S", sk="N", g="S"),
                "GlobalSecondaryIndexes": [_gsi("dup", "g"), _gsi("dup", "g")],
            },
            INVALID + "Duplicate index name: dup",
        ),
        (
            {
                "LocalSecondaryIndexes": [_gsi("dup", "pk", "sk")],
                "GlobalSecondaryIndexes": [_gsi("dup", "sk")],
            },
            INVALID + "Duplicate index name: dup",
        ),
        (
            {
                "AttributeDefinitions": _defs(pk="S", sk="N", g="S"),
                "GlobalSecondaryIndexes": [_gsi("g-a", "g", ProvisionedThroughput=PT)],
            },
            INVALID + "ProvisionedThroughput should not be specified for index: g-a when "
            "BillingMode is PAY_PER_REQUEST",
        ),
        (
            {
                "BillingMode": "PROVISIONED",
                "ProvisionedThroughput": PT,
                "AttributeDefinitions": _defs(pk="S", sk="N", g="S"),
                "GlobalSecondaryIndexes": [_gsi("g-a", "g")],
            },
            INVALID + "ProvisionedThroughput is not specified for index: g-a",
        ),
        # Projections.
        (
            {
                "GlobalSecondaryIndexes": [
                    _gsi("g-a", "sk", projection={"ProjectionType": "INCLUDE"})
                ]
            },
            INVALID + "ProjectionType is INCLUDE, but NonKeyAttributes is not specified",
        ),
        (
            {
                "GlobalSecondaryIndexes": [
                    _gsi(
                        "g-a", "sk", projection={"ProjectionType": "ALL", "NonKeyAttributes": ["x"]}
                    )
                ]
            },
            INVALID + "ProjectionType is ALL, but NonKeyAttributes is specified",
        ),
        (
            {
                "GlobalSecondaryIndexes": [
                    _gsi(
                        "g-a",
                        "sk",
                        projection={"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x", "x"]},
                    )
                ]
            },
            INVALID + "Duplicate element in NonKeyAttributes: x",
        ),
        (
            {"GlobalSecondaryIndexes": [_gsi("g-a", "sk", projection={"x": 1})]},
            INVALID + "Unknown ProjectionType: null",
        ),
        (
            {
                "GlobalSecondaryIndexes": [
                    _gsi(
                        f"g-{n}",
                        "sk",
                        projection={
                            "ProjectionType": "INCLUDE",
                            "NonKeyAttributes": [f"a{i}" for i in range(20)],
                        },
                    )
                    for n in range(6)
                ]
            },
            INVALID + "Number of projected attributes in all indexes exceeds limit of 100",
        ),
        # Streams, encryption, tags.
        (
            {"StreamSpecification": {"StreamEnabled": True}},
            INVALID + "Table is being created with a stream enabled, UpdateViewType is required",
        ),
        (
            {"StreamSpecification": {"StreamEnabled": False, "StreamViewType": "KEYS_ONLY"}},
            INVALID + "Table is being created with a stream disabled, UpdateViewType should "
            "not be specified",
        ),
        (
            {"SSESpecification": {"Enabled": False, "SSEType": "KMS"}},
            INVALID + "SSEType can not be specified if Enabled is false",
        ),
        (
            {"SSESpecification": {"Enabled": False, "KMSMasterKeyId": "k"}},
            INVALID + "KMSMasterKeyId can not be specified if Enabled is false",
        ),
        (
            {"SSESpecification": {"Enabled": True, "SSEType": "AES256"}},
            INVALID + "SSEType AES256 is not supported",
        ),
        (
            {"SSESpecification": {"Enabled": True, "KMSMasterKeyId": "k"}},
            INVALID + "SSEType KMS is required if KMSMasterKeyId is specified",
        ),
        (
            {"Tags": [{"Key": "aws:x", "Value": "v"}]},
            "Tag Key cannot be prefixed with aws:, Key: aws:x",
        ),
        (
            {"Tags": [{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}]},
            "Duplicate Tag Keys provided as input: Duplicate Tag Key found a",
        ),
        ({"Tags": [{"Key": "a#", "Value": "v"}]}, "The Tag Key provided is invalid, Key: a#"),
        ({"Tags": [{"Key": "a", "Value": "v#"}]}, "The Tag Value provided is invalid, Value: v#"),
        (
            {"Tags": [{"Key": f"k{i}", "Value": "v"} for i in range(51)]},
            "Number of Tags exceed the current limit for the provided ResourceArn",
        ),
    ],
)
def test_refusals(members: dict[str, Any], text: str) -> None:
    assert _refused(**members) == text


def test_an_unused_definition_masks_later_rules() -> None:
    # DynamoDB checks AttributeDefinitions before projections and throughput.
    text = _refused(
        AttributeDefinitions=_defs(pk="S", sk="N", g="S", x="S"),
        GlobalSecondaryIndexes=[_gsi("g-a", "g", projection={"ProjectionType": "INCLUDE"})],
        ProvisionedThroughput=PT,
    )
    assert "Some AttributeDefinitions are not used" in text


def test_a_key_of_three_elements_is_refused_in_corals_words() -> None:
    text = _refused(
        AttributeDefinitions=_defs(pk="S", sk="N", x="S"), KeySchema=_key("pk", "sk", "x")
    )
    assert text.startswith("1 validation error detected: Value '[com.amazonaws.dynamodb")
    assert text.endswith(
        "at 'keySchema' failed to satisfy constraint: "
        "Member must have length less than or equal to 2"
    )


def test_capacity_above_the_per_table_maximum() -> None:
    with pytest.raises(LimitExceeded) as caught:
        _create(
            BillingMode="PROVISIONED",
            ProvisionedThroughput={"ReadCapacityUnits": 40001, "WriteCapacityUnits": 1},
        )
    assert caught.value.message == (
        "The requested ReadCapacityUnits, 40001, is above the per table maximum for the "
        "account in us-east-1. Per table maximum: 40000. Refer to the Amazon DynamoDB "
        "Developer Guide for current limits and how to request higher limits."
    )


# --- the shared parts --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "name"),
    [
        ("books", "books"),
        (ARN, "books"),
        ("a.b-c_D", "a.b-c_D"),
    ],
)
def test_a_table_is_named_or_given_by_arn(given: str, name: str) -> None:
    assert table_options.table_name(given, ACCOUNT) == name


@pytest.mark.parametrize(
    "given",
    ["ab", "x" * 256, "no/slash", "arn:aws:dynamodb:eu-west-1:000000000000:table/books"],
)
def test_names_that_are_refused(given: str) -> None:
    with pytest.raises(ValidationException):
        table_options.table_name(given, ACCOUNT)


@pytest.mark.parametrize(
    ("given", "projection"),
    [
        ({"ProjectionType": "ALL"}, Projection(ALL)),
        ({"ProjectionType": "KEYS_ONLY"}, Projection(KEYS_ONLY)),
        (
            {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["b", "a"]},
            Projection(INCLUDE, ("a", "b")),
        ),
    ],
)
def test_projections(given: dict[str, Any], projection: Projection) -> None:
    assert definitions.projection(given) == projection


def test_stream_labels_are_milliseconds_and_never_repeat() -> None:
    first = table_options.stream_label(NOW + 0.0125)
    assert first == "2023-11-14T22:13:20.012"
    assert table_options.stream_label(NOW + 0.0125, [first]) == "2023-11-14T22:13:20.013"


@pytest.mark.parametrize(
    ("key", "arn"),
    [
        ("arn:aws:kms:us-east-1:000000000000:key/k1", "arn:aws:kms:us-east-1:000000000000:key/k1"),
        (
            "1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        ),
    ],
)
def test_kms_keys(key: str, arn: str) -> None:
    assert table_options.kms_key_arn(ACCOUNT, key) == arn
    # An alias (and the AWS managed key) stands for a key id of its own, always the same.
    assert table_options.kms_key_arn(ACCOUNT, "alias/a") == table_options.kms_key_arn(
        ACCOUNT, "alias/a"
    )
    assert table_options.kms_key_arn(ACCOUNT, None) != table_options.kms_key_arn(ACCOUNT, "alias/a")


@pytest.mark.parametrize(
    "spec",
    [None, {}, {"Enabled": False}],
)
def test_default_encryption_has_no_description(spec: Any) -> None:
    assert table_options.sse_description(spec, ACCOUNT) is None


def test_tags_merge_over_the_current_ones() -> None:
    merged = table_options.check_tags(
        [{"Key": "a", "Value": "2"}, {"Key": "c d", "Value": ""}], {"a": "1", "b": "x"}
    )
    assert merged == {"a": "2", "b": "x", "c d": ""}

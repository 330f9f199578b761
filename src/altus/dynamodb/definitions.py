"""CreateTable's members as DynamoDB checks them, and the ``model.Table`` they define;
the checks UpdateTable shares (key schemas, projections, throughput; the name, stream,
encryption and tags are ``table_options``'). Pure: no I/O, no clock, no ids of its own
(the caller gives them).

The model says little here: since global tables (``GlobalTableSourceArn``) neither
``KeySchema`` nor ``AttributeDefinitions`` is required, ``TableName`` is any ARN-sized
string, and nothing bounds the key schema's length. DynamoDB checks the rest itself,
roughly in this order, and so does :func:`new_table`: the Coral-worded constraints
(``1 validation error detected: ...``), the table key's shape, duplicate attribute
definitions, empty index lists, the index keys' shapes, AttributeDefinitions against
every key attribute (before the projection and throughput rules: an unused definition
masks them), billing and throughput, the local then global indexes, projections,
capacity caps, the stream, encryption, tags.

The texts are DynamoDB's as captured against it (the ack-api-quirks catalogue of
DynamoDB's ValidationException texts, 2026-10; dynalite's tests, which run against
DynamoDB; issue threads quoting the service). Where a text could not be checked the
line says ``# text not verified``.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from typing import Any

from altus.api.validate import Problem, coral_message
from altus.arns import Account
from altus.dynamodb.errors import LimitExceeded, validation
from altus.dynamodb.model import (
    ALL,
    GLOBAL,
    INCLUDE,
    KEYS_ONLY,
    LOCAL,
    PAY_PER_REQUEST,
    PROVISIONED,
    Index,
    KeySchema,
    Projection,
    Table,
    Throughput,
)
from altus.dynamodb.table_options import (
    check_tags,
    create_stream_view,
    invalid,
    name_problems,
    new_stream,
    sse_description,
)

MAX_GLOBAL_INDEXES = 20
MAX_LOCAL_INDEXES = 5
#: Projected non-key attributes, summed over every index of a table.
MAX_PROJECTED = 100
#: DescribeLimits' per-table maxima (and the account's), as a new account has them.
TABLE_MAX_CAPACITY = 40000
ACCOUNT_MAX_CAPACITY = 80000


# --- key schemas -------------------------------------------------------------------------------


def _element_text(element: Mapping[str, Any]) -> str:
    # DynamoDB shows a list of KeySchemaElement objects by Java's Object.toString (class
    # name @ identity hash); a stable digest stands for the hash here.
    digest = zlib.crc32(f"{element.get('AttributeName')}:{element.get('KeyType')}".encode())
    return f"com.amazonaws.dynamodb.v20120810.KeySchemaElement@{digest:08x}"


def key_length_problem(elements: Sequence[Mapping[str, Any]], path: str) -> Problem | None:
    """A table's or local index's key of more than two elements (the text verified, the
    element rendering not)."""
    if len(elements) <= 2:
        return None
    shown = "'[" + ", ".join(_element_text(e) for e in elements) + "]'"
    return Problem(
        "constraint", "KeySchema", path, shown, "Member must have length less than or equal to 2"
    )


def key_names(elements: Sequence[Mapping[str, Any]]) -> tuple[str, str | None]:
    """The HASH then optional RANGE attribute of a key of one or two elements, in
    DynamoDB's words when their order or names are wrong."""
    if elements[0]["KeyType"] != "HASH":
        raise validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
    if len(elements) == 1:
        return elements[0]["AttributeName"], None
    if elements[1]["KeyType"] != "RANGE":
        raise validation("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
    if elements[0]["AttributeName"] == elements[1]["AttributeName"]:
        raise validation(
            "Both the Hash Key and the Range Key element in the KeySchema have the same name"
        )
    return elements[0]["AttributeName"], elements[1]["AttributeName"]


def index_key_names(elements: Sequence[Mapping[str, Any]]) -> tuple[str, str | None]:
    """A global index's key. DynamoDB now takes up to four HASH and four RANGE
    attributes there (multi-attribute keys); Altus keeps one of each."""
    if len(elements) > 2 and elements[0]["KeyType"] == "HASH":
        # Altus's own text: DynamoDB accepts these keys.
        raise invalid("Altus supports global secondary index keys of one HASH and one RANGE key")
    return key_names(elements)


def typed_key(hash_name: str, range_name: str | None, types: Mapping[str, str]) -> KeySchema:
    if range_name is None:
        return KeySchema(hash_name, types[hash_name])
    return KeySchema(hash_name, types[hash_name], range_name, types[range_name])


def key_schema_members(key: KeySchema) -> list[dict[str, str]]:
    """A key as ``KeySchema`` shows it: HASH, then RANGE."""
    elements = [{"AttributeName": key.hash_name, "KeyType": "HASH"}]
    if key.range_name is not None:
        elements.append({"AttributeName": key.range_name, "KeyType": "RANGE"})
    return elements


def defined_types(definitions: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """AttributeDefinitions by name; a name given twice is refused (verified, whether
    the two types agree or not)."""
    types: dict[str, str] = {}
    for definition in definitions:
        name = definition["AttributeName"]
        if name in types:
            raise validation(f"Attribute Name is duplicated: {name}")
        types[name] = definition["AttributeType"]
    return types


def _listed(names: Sequence[str]) -> str:
    return "[" + ", ".join(names) + "]"


def check_definitions(
    definitions: Sequence[Mapping[str, Any]],
    table_keys: Sequence[str],
    index_keys: Sequence[str],
) -> None:
    """AttributeDefinitions must be exactly the key attributes of the table and its
    indexes. DynamoDB words the mismatch one way for a table without indexes (by the
    counts, then the names) and another with them (the missing keys, then the unused
    definitions); each text verified."""
    defined = [d["AttributeName"] for d in definitions]
    used = list(dict.fromkeys([*table_keys, *index_keys]))
    missing = [name for name in used if name not in defined]
    unused = [name for name in defined if name not in used]
    if not index_keys:
        if len(defined) > len(used):
            raise invalid(
                "Number of attributes in KeySchema does not exactly match number of "
                "attributes defined in AttributeDefinitions"
            )
        if len(defined) < len(used):
            raise validation("Invalid KeySchema: Some index key attribute have no definition")
        if missing:
            raise invalid(
                "Some index key attributes are not defined in AttributeDefinitions. "
                f"Keys: {_listed(used)}, AttributeDefinitions: {_listed(defined)}"
            )
        return
    if missing:
        raise invalid(
            "Some index key attributes are not defined in AttributeDefinitions. "
            f"Keys: {_listed(missing)}, AttributeDefinitions: {_listed(defined)}"
        )
    if unused:
        raise invalid(
            "Some AttributeDefinitions are not used. "
            f"AttributeDefinitions: {_listed(defined)}, keys used: {_listed(used)}"
        )


# --- projections and throughput ----------------------------------------------------------------


def projection(given: Mapping[str, Any]) -> Projection:
    """An index's Projection: INCLUDE with its NonKeyAttributes (kept sorted, as
    DescribeTable shows them), ALL or KEYS_ONLY without (each text verified)."""
    kind = given.get("ProjectionType")
    non_key = given.get("NonKeyAttributes")
    if kind is None:
        raise invalid("Unknown ProjectionType: null")
    if kind == INCLUDE:
        if non_key is None:
            raise invalid("ProjectionType is INCLUDE, but NonKeyAttributes is not specified")
        seen: set[str] = set()
        for name in non_key:
            if name in seen:
                raise invalid(f"Duplicate element in NonKeyAttributes: {name}")
            seen.add(name)
        return Projection(INCLUDE, tuple(sorted(non_key)))
    if non_key is not None:
        raise invalid(f"ProjectionType is {kind}, but NonKeyAttributes is specified")
    return Projection(ALL if kind == ALL else KEYS_ONLY)


def check_projected(indexes: Sequence[Index]) -> None:
    total = sum(len(index.projection.non_key) for index in indexes)
    if total > MAX_PROJECTED:
        # text not verified (the limit is documented).
        raise invalid(
            f"Number of projected attributes in all indexes exceeds limit of {MAX_PROJECTED}"
        )


def throughput(given: Mapping[str, Any]) -> Throughput:
    return Throughput(int(given["ReadCapacityUnits"]), int(given["WriteCapacityUnits"]))


def check_capacity(value: Throughput, region: str, index: str | None = None) -> None:
    """The per-table (and per-index) maximum of a new account: LimitExceededException
    (the read text verified for tables and indexes; the write one by symmetry)."""
    for unit, amount in (("ReadCapacityUnits", value.read), ("WriteCapacityUnits", value.write)):
        if amount <= TABLE_MAX_CAPACITY:
            continue
        what = f"{unit}, {amount}, is above the per table maximum"
        if index is not None:
            what = f"{unit} for index {index}, {amount}, is above the per index maximum"
        raise LimitExceeded(
            f"The requested {what} for the account in {region}. Per table maximum: "
            f"{TABLE_MAX_CAPACITY}. Refer to the Amazon DynamoDB Developer Guide for "
            "current limits and how to request higher limits."
        )


# --- CreateTable -------------------------------------------------------------------------------


def _coral_problems(input: Mapping[str, Any], name: str) -> list[Problem]:
    problems = name_problems(name)
    if input.get("AttributeDefinitions") is None:
        problems.append(
            Problem(
                "required",
                "AttributeDefinitions",
                "attributeDefinitions",
                "",
                "Member must not be null",
            )
        )
    elements = input.get("KeySchema")
    if elements is None:
        problems.append(
            Problem("required", "KeySchema", "keySchema", "", "Member must not be null")
        )
    else:
        found = key_length_problem(elements, "keySchema")
        if found is not None:
            problems.append(found)
    for i, index in enumerate(input.get("LocalSecondaryIndexes") or ()):
        path = f"localSecondaryIndexes.{i + 1}.member.keySchema"
        found = key_length_problem(index["KeySchema"], path)
        if found is not None:
            problems.append(found)
    return problems


def _index_lists(
    input: Mapping[str, Any],
) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    local = input.get("LocalSecondaryIndexes")
    global_ = input.get("GlobalSecondaryIndexes")
    for given, kind in ((global_, "GlobalSecondaryIndexes"), (local, "LocalSecondaryIndexes")):
        if given is not None and not given:
            raise invalid(f"List of {kind} is empty")
    return list(local or ()), list(global_ or ())


def _billing(input: Mapping[str, Any]) -> tuple[str, Throughput]:
    mode = input.get("BillingMode") or PROVISIONED
    given = input.get("ProvisionedThroughput")
    if mode == PAY_PER_REQUEST:
        if given is not None:
            raise invalid(
                "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when "
                "BillingMode is PAY_PER_REQUEST"
            )
        return mode, Throughput()
    if given is None:
        raise invalid(
            "ReadCapacityUnits and WriteCapacityUnits must both be specified when "
            "BillingMode is PROVISIONED"
        )
    if input.get("OnDemandThroughput") is not None:
        raise invalid(
            "MaxReadRequestUnits for OnDemandThroughput cannot be specified when table "
            "BillingMode is PROVISIONED."
        )
    return mode, throughput(given)


def _local_indexes(
    given: Sequence[Mapping[str, Any]],
    key: KeySchema,
    types: Mapping[str, str],
    table_id: str,
    now: float,
) -> list[Index]:
    if len(given) > MAX_LOCAL_INDEXES:
        raise invalid(
            f"Number of LocalSecondaryIndexes exceeds per-table limit of {MAX_LOCAL_INDEXES}"
        )
    if key.range_name is None:
        raise invalid(
            "Table KeySchema does not have a range key, which is required when specifying "
            "a LocalSecondaryIndex"
        )
    found = []
    for index in given:
        name = index["IndexName"]
        hash_name, range_name = key_names(index["KeySchema"])
        if hash_name != key.hash_name:
            raise invalid(
                "Index KeySchema does not have the same leading hash key as table KeySchema "
                f"for index: {name}. index hash key: {hash_name}, table hash key: {key.hash_name}"
            )
        if range_name is None:
            raise invalid(f"Index KeySchema does not have a range key for index: {name}")
        found.append(
            Index(
                name,
                f"{table_id}/{name}",
                LOCAL,
                typed_key(hash_name, range_name, types),
                projection(index["Projection"]),
                created=now,
            )
        )
    return found


def new_table(
    input: Mapping[str, Any], *, name: str, id: str, arn: str, now: float, account: Account
) -> Table:
    """The table CreateTable's members define, ACTIVE (its indexes too: there is nothing
    to fill), or the ValidationException (LimitExceededException for a capacity above
    the account's per-table maximum) DynamoDB answers."""
    problems = _coral_problems(input, name)
    if problems:
        raise validation(coral_message(problems))
    definitions = input["AttributeDefinitions"]
    hash_name, range_name = key_names(input["KeySchema"])
    types = defined_types(definitions)
    local, global_ = _index_lists(input)
    local_keys = [key_names(index["KeySchema"]) for index in local]
    global_keys = [index_key_names(index["KeySchema"]) for index in global_]
    index_keys = [n for pair in (*local_keys, *global_keys) for n in pair if n is not None]
    check_definitions(definitions, [n for n in (hash_name, range_name) if n], index_keys)
    key = typed_key(hash_name, range_name, types)
    mode, table_throughput = _billing(input)

    indexes = _local_indexes(local, key, types, id, now) if local else []
    if len(global_) > MAX_GLOBAL_INDEXES:
        raise invalid(
            f"GlobalSecondaryIndex count exceeds the per-table limit of {MAX_GLOBAL_INDEXES}"
        )
    names = [index["IndexName"] for index in (*local, *global_)]
    for i, index_name in enumerate(names):
        if index_name in names[:i]:
            raise invalid(f"Duplicate index name: {index_name}")
    for index, (index_hash, index_range) in zip(global_, global_keys, strict=True):
        index_name = index["IndexName"]
        given = index.get("ProvisionedThroughput")
        if mode == PAY_PER_REQUEST and given is not None:
            raise invalid(
                f"ProvisionedThroughput should not be specified for index: {index_name} when "
                "BillingMode is PAY_PER_REQUEST"
            )
        if mode == PROVISIONED and given is None:
            raise invalid(f"ProvisionedThroughput is not specified for index: {index_name}")
        indexes.append(
            Index(
                index_name,
                f"{id}/{index_name}",
                GLOBAL,
                typed_key(index_hash, index_range, types),
                projection(index["Projection"]),
                throughput=None if given is None else throughput(given),
                created=now,
            )
        )
    check_projected(indexes)
    check_capacity(table_throughput, account.region)
    for made in indexes:
        if made.throughput is not None:
            check_capacity(made.throughput, account.region, made.name)

    view = create_stream_view(input.get("StreamSpecification"))
    sse = sse_description(input.get("SSESpecification"), account)
    tags = check_tags(input.get("Tags") or (), {})
    extra: dict[str, Any] = {}
    if sse is not None:
        extra["sse"] = sse
    if input.get("TableClass") is not None:
        extra["tableClassSet"] = True
    warm = input.get("WarmThroughput")
    if warm and warm.get("ReadUnitsPerSecond") and warm.get("WriteUnitsPerSecond"):
        extra["warm"] = [warm["ReadUnitsPerSecond"], warm["WriteUnitsPerSecond"]]
    if mode == PAY_PER_REQUEST and input.get("OnDemandThroughput"):
        extra["onDemand"] = dict(input["OnDemandThroughput"])
    return Table(
        name=name,
        id=id,
        arn=arn,
        key=key,
        attributes={n: types[n] for n in sorted(types)},
        created=now,
        billing_mode=mode,
        throughput=table_throughput,
        indexes=tuple(indexes),
        streams=() if view is None else (new_stream(arn, view, now, ()),),
        tags=tags,
        deletion_protection=bool(input.get("DeletionProtectionEnabled")),
        table_class=input.get("TableClass") or "STANDARD",
        billing_changed=now if mode == PAY_PER_REQUEST else None,
        extra=extra,
    )

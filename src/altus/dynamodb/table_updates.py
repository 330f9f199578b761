"""UpdateTable's members applied to a table, as DynamoDB checks them: the new
definition and the ids whose rows are to be purged (a dropped index's, the streams
kept past their 24 hours). Pure: the caller gives the time and the new index's nonce.

DynamoDB makes UpdateTable one change per call, and says which rule a call breaks:
encryption, the table class, deletion protection and warm throughput must each be the
only change (checked in that order); a stream cannot change with the table's capacity;
an index cannot be created or deleted with either; one index at a time is created or
deleted (LimitExceededException, also while another is being created). Several index
throughput updates, or an index change with a billing switch, go together. Every text
is DynamoDB's as captured against it (the ack-api-quirks catalogue, 2026-10) unless
its line says ``# text not verified``.

Altus applies a change at once: the table stays ACTIVE, a new global index is CREATING
(backfilling, which the component does and then makes it ACTIVE), a deleted one is gone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from altus.arns import Account
from altus.dynamodb.definitions import (
    MAX_GLOBAL_INDEXES,
    check_capacity,
    check_projected,
    defined_types,
    index_key_names,
    projection,
    throughput,
    typed_key,
)
from altus.dynamodb.errors import LimitExceeded, ResourceNotFound, validation
from altus.dynamodb.model import (
    CREATING,
    GLOBAL,
    LOCAL,
    PAY_PER_REQUEST,
    PROVISIONED,
    Index,
    Stream,
    Table,
    Throughput,
)
from altus.dynamodb.table_options import invalid, new_stream, sse_description

#: A disabled stream stays readable this long; then the table forgets it.
STREAM_KEPT = 24 * 3600.0
#: What DescribeTable shows as warm throughput when none was asked for (on-demand).
WARM_DEFAULT = (12000, 4000)

#: The members one of which UpdateTable needs, as its refusal lists them.
_AT_LEAST = (
    "ProvisionedThroughput",
    "BillingMode",
    "UpdateStreamEnabled",
    "GlobalSecondaryIndexUpdates",
    "SSESpecification",
    "ReplicaUpdates",
    "MultiAccountReplicaReady",
    "ReplicaTransitRoleArn",
    "MultiRegionConsistency",
    "DeletionProtectionEnabled",
    "OnDemandThroughput",
    "WarmThroughput",
    "TableClass",
)
#: The members that change something (the others, alone, are no request).
_CHANGES = (
    "ProvisionedThroughput",
    "BillingMode",
    "StreamSpecification",
    "GlobalSecondaryIndexUpdates",
    "SSESpecification",
    "ReplicaUpdates",
    "GlobalTableWitnessUpdates",
    "VectorIndexUpdates",
    "DeletionProtectionEnabled",
    "OnDemandThroughput",
    "WarmThroughput",
    "TableClass",
)
#: Global tables and vector indexes: Altus serves neither.
_UNSERVED = ("ReplicaUpdates", "GlobalTableWitnessUpdates", "VectorIndexUpdates")


@dataclass(frozen=True, slots=True)
class TableUpdate:
    """The table as the call leaves it, and the ids whose rows are purged now."""

    table: Table
    dropped: tuple[str, ...] = ()


def decreases_today(value: Throughput, now: float) -> int:
    """Decreases made on ``now``'s UTC day (the count restarts at midnight UTC)."""
    if value.last_decrease is None or _day(value.last_decrease) != _day(now):
        return 0
    return value.decreases_today


def _day(moment: float) -> str:
    return datetime.fromtimestamp(moment, tz=UTC).strftime("%Y-%m-%d")


def changed_throughput(old: Throughput, new: Throughput, now: float) -> Throughput:
    """``new``'s capacity with ``old``'s history moved on: an increase or a decrease
    (both, when one unit goes up and the other down: one decrease) noted at ``now``."""
    up = new.read > old.read or new.write > old.write
    down = new.read < old.read or new.write < old.write
    count = decreases_today(old, now)
    return Throughput(
        new.read,
        new.write,
        last_increase=now if up else old.last_increase,
        last_decrease=now if down else old.last_decrease,
        decreases_today=count + 1 if down else count,
    )


def warm_throughput(table: Table) -> tuple[int, int]:
    """The warm throughput DescribeTable reports: as asked, else 12000/4000 for a table
    that has been on-demand, else its provisioned capacity (DynamoDB keeps the highest
    ever provisioned; Altus, the present one)."""
    warm = table.extra.get("warm")
    if warm is not None:
        return int(warm[0]), int(warm[1])
    if table.billing_mode == PAY_PER_REQUEST or table.billing_changed is not None:
        return WARM_DEFAULT
    return table.throughput.read, table.throughput.write


def _at_least_one(input: Mapping[str, Any]) -> str:
    names = [n for n in _AT_LEAST if n != "MultiRegionConsistency" or n not in input]
    return f"At least one of {', '.join(names[:-1])} or {names[-1]} is required"


def _changes(input: Mapping[str, Any]) -> list[str]:
    found = [m for m in _CHANGES if input.get(m) is not None]
    if input.get("GlobalSecondaryIndexUpdates") == []:
        found.remove("GlobalSecondaryIndexUpdates")
    return found


def _check_granularity(input: Mapping[str, Any], changes: list[str], index_changes: int) -> None:
    """One change per call, in DynamoDB's order of rules."""
    several = len(changes) > 1
    if several and "SSESpecification" in changes:
        raise invalid(
            "Server-Side Encryption modification must be the only operation in the request"
        )
    if several and "TableClass" in changes:
        raise invalid("TableClass modification must be the only operation in the request")
    if several and "DeletionProtectionEnabled" in changes:
        raise invalid("DeletionProtection modification must be the only operation in the request")
    if several and "WarmThroughput" in changes:
        if index_changes:
            raise invalid(
                "Create global secondary index cannot be specified when updating WarmThroughput"
            )
        raise invalid("WarmThroughput must be the only operation in the request")
    if "OnDemandThroughput" in changes and set(changes) - {"OnDemandThroughput", "BillingMode"}:
        raise invalid(
            "OnDemandThroughput can only be combined with BillingMode in an UpdateTable request"
        )
    iops = "ProvisionedThroughput" in changes or input.get("BillingMode") == PROVISIONED
    stream = "StreamSpecification" in changes
    if stream and iops:
        raise invalid("You cannot modify stream status while updating table IOPS")
    if index_changes and "ProvisionedThroughput" in changes:
        raise invalid("You cannot create or delete index while updating table IOPS")
    if index_changes and stream:
        raise invalid("You cannot create or delete index while changing stream status")


#: An index action: Create, Update or Delete, the index's name, the action's members.
Action = tuple[str, str, Mapping[str, Any]]


def _index_actions(updates: Sequence[Mapping[str, Any]]) -> list[Action]:
    """(action, index name, action members) of each GlobalSecondaryIndexUpdate."""
    actions = []
    seen: set[str] = set()
    for update in updates:
        given = [
            (kind, update[kind]) for kind in ("Create", "Update", "Delete") if update.get(kind)
        ]
        if not given:
            raise invalid(
                "One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, "
                "GlobalSecondaryIndexUpdate.Delete must not be null"
            )
        if len(given) > 1:
            raise invalid(
                "Only one global secondary index action is allowed per "
                "GlobalSecondaryIndexUpdate object"
            )
        kind, members = given[0]
        name = members["IndexName"]
        if name in seen:
            raise invalid(
                "Only one global secondary index update per index is allowed simultaneously. "
                f"Index: {name}"
            )
        seen.add(name)
        actions.append((kind, name, members))
    return actions


def _one_online_index() -> LimitExceeded:
    return LimitExceeded(
        "Subscriber limit exceeded: Only 1 online index can be created or deleted "
        "simultaneously per table"
    )


def _index_not_found(name: str, table: Table) -> ResourceNotFound:
    return ResourceNotFound(f"Requested resource not found: Index {name} for table {table.name}")


def _same_capacity(old: Throughput, new: Throughput, what: str, where: str) -> Exception:
    return validation(
        f"The provisioned throughput for the {what} will not change. The requested value "
        f"equals the current value. Current ReadCapacityUnits provisioned for {where}: "
        f"{old.read}. Requested ReadCapacityUnits: {new.read}. Current WriteCapacityUnits "
        f"provisioned for {where}: {old.write}. Requested WriteCapacityUnits: {new.write}. "
        "Refer to the Amazon DynamoDB Developer Guide for current limits and how to request "
        "higher limits."
    )


class _Plan:
    """The table being changed, member by member."""

    def __init__(
        self, table: Table, input: Mapping[str, Any], now: float, nonce: str, account: Account
    ) -> None:
        self.table = table
        self.nonce = nonce
        self.input = input
        self.now = now
        self.account = account
        self.mode = input.get("BillingMode") or table.billing_mode
        self.switching = self.mode != table.billing_mode
        self.dropped: list[str] = []
        self.extra = dict(table.extra)

    def billing(self) -> None:
        table, given = self.table, self.input.get("ProvisionedThroughput")
        if self.mode == PAY_PER_REQUEST:
            if given is not None:
                if self.input.get("BillingMode") == PAY_PER_REQUEST:
                    raise invalid(
                        "ProvisionedThroughput cannot be specified when BillingMode is "
                        "PAY_PER_REQUEST"
                    )
                raise invalid(
                    "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when "
                    "BillingMode is PAY_PER_REQUEST"
                )
            if self.switching:
                self.table = dataclasses.replace(
                    table, billing_mode=PAY_PER_REQUEST, billing_changed=self.now
                )
            return
        if given is None:
            if self.input.get("BillingMode") == PROVISIONED:
                raise invalid(
                    "ProvisionedThroughput must be specified when BillingMode is PROVISIONED"
                )
            return
        new = throughput(given)
        old = table.throughput
        if not self.switching and (new.read, new.write) == (old.read, old.write):
            raise _same_capacity(old, new, "table", "the table")
        check_capacity(new, self.account.region)
        self.extra.pop("onDemand", None)
        self.table = dataclasses.replace(
            table, billing_mode=PROVISIONED, throughput=changed_throughput(old, new, self.now)
        )

    def indexes(self, actions: list[Action]) -> None:
        updated = {
            name
            for kind, name, members in actions
            if kind == "Update" and members.get("ProvisionedThroughput") is not None
        }
        if self.switching and self.mode == PROVISIONED:
            deleted = {name for kind, name, _ in actions if kind == "Delete"}
            for index in self.table.indexes:
                if index.kind == GLOBAL and index.name not in updated | deleted:
                    raise invalid(
                        f"ProvisionedThroughput must be specified for index: {index.name}"
                    )
        for kind, name, members in actions:
            if kind == "Create":
                self._create(name, members)
            elif kind == "Update":
                self._update(name, members)
            else:
                self._delete(name)
        if self.switching and self.mode == PAY_PER_REQUEST:
            self._replace_indexes(
                [
                    dataclasses.replace(i, throughput=None) if i.kind == GLOBAL else i
                    for i in self.table.indexes
                ]
            )

    def _replace_indexes(self, indexes: Sequence[Index]) -> None:
        table = self.table
        used = {table.key.hash_name, table.key.range_name}
        for index in indexes:
            used |= {index.key.hash_name, index.key.range_name}
        types = {name: kind for name, kind in table.attributes.items() if name in used}
        self.table = dataclasses.replace(
            table, indexes=tuple(indexes), attributes={n: types[n] for n in sorted(types)}
        )

    def _create(self, name: str, members: Mapping[str, Any]) -> None:
        table = self.table
        definitions = self.input.get("AttributeDefinitions")
        if definitions is None:
            raise invalid(f"AttributeDefinitions is not specified for index: {name}")
        if table.index(name) is not None:
            raise validation("Attempting to create an index which already exists")
        hash_name, range_name = index_key_names(members["KeySchema"])
        given = defined_types(definitions)
        missing = [n for n in (hash_name, range_name) if n is not None and n not in given]
        if missing:
            # text not verified for UpdateTable (CreateTable's).
            raise invalid(
                "Some index key attributes are not defined in AttributeDefinitions. "
                f"Keys: [{', '.join(missing)}], AttributeDefinitions: [{', '.join(given)}]"
            )
        if sum(1 for i in table.indexes if i.kind == GLOBAL) >= MAX_GLOBAL_INDEXES:
            raise LimitExceeded(
                "Subscriber limit exceeded: Number of global secondary indexes exceeds "
                f"per-table limit of {MAX_GLOBAL_INDEXES}"
            )
        capacity = members.get("ProvisionedThroughput")
        if self.mode == PAY_PER_REQUEST and capacity is not None:
            raise invalid(
                "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified for index: "
                f"{name} when BillingMode is PAY_PER_REQUEST"
            )
        if self.mode == PROVISIONED and capacity is None:
            raise invalid(
                f"Both ReadCapacityUnits and WriteCapacityUnits must be specified for index: {name}"
            )
        # A key attribute the table already defines keeps its type.
        types = {**given, **table.attributes}
        index = Index(
            name,
            f"{table.id}/{name}/{self.nonce}",
            GLOBAL,
            typed_key(hash_name, range_name, types),
            projection(members["Projection"]),
            status=CREATING,
            backfilling=True,
            throughput=None if capacity is None else throughput(capacity),
            created=self.now,
        )
        if index.throughput is not None:
            check_capacity(index.throughput, self.account.region, name)
        indexes = (*table.indexes, index)
        check_projected(indexes)
        new_types = {n: types[n] for n in (hash_name, range_name) if n is not None}
        attributes = {**table.attributes, **new_types}
        self.table = dataclasses.replace(
            table, indexes=indexes, attributes={n: attributes[n] for n in sorted(attributes)}
        )

    def _update(self, name: str, members: Mapping[str, Any]) -> None:
        index = self.table.index(name)
        if index is None:
            raise _index_not_found(name, self.table)
        if index.kind == LOCAL:
            raise validation(f"Cannot update an index that is not a GlobalSecondaryIndex: {name}")
        given = members.get("ProvisionedThroughput")
        if given is None:
            return  # OnDemandThroughput / WarmThroughput of an index: accepted, not kept
        if self.mode == PAY_PER_REQUEST:
            raise invalid(
                f"The only Updates for index: {name} when TableThroughputMode is "
                "PAY_PER_REQUEST can be to OnDemandThroughput, WarmThroughput"
            )
        new = throughput(given)
        old = index.throughput or Throughput()
        if not self.switching and (new.read, new.write) == (old.read, old.write):
            raise _same_capacity(old, new, f"index {name}", f"index {name}")
        check_capacity(new, self.account.region, name)
        changed = dataclasses.replace(index, throughput=changed_throughput(old, new, self.now))
        self._replace_indexes([changed if i.name == name else i for i in self.table.indexes])

    def _delete(self, name: str) -> None:
        index = self.table.index(name)
        if index is None:
            raise _index_not_found(name, self.table)
        if index.kind == LOCAL:
            raise validation(f"Cannot delete an index that is not a GlobalSecondaryIndex: {name}")
        self.dropped.append(index.id)
        self._replace_indexes([i for i in self.table.indexes if i.name != name])

    def stream(self, given: Mapping[str, Any]) -> None:
        table, view = self.table, given.get("StreamViewType")
        if given["StreamEnabled"]:
            if view is None:
                raise invalid("If stream is being enabled then UpdateViewType is required")
            if table.stream is not None:
                raise validation(f"Table already has an enabled stream: TableName: {table.name}")
            labels = [s.label for s in table.streams]
            streams = (*table.streams, new_stream(table.arn, view, self.now, labels))
        else:
            if view is not None:
                raise invalid(
                    "If stream is being disabled, then UpdateViewType must not be specified"
                )
            current = table.stream
            if current is None:
                raise validation(f"Table has no stream to disable: TableName: {table.name}")
            streams = tuple(
                dataclasses.replace(s, disabled=self.now) if s is current else s
                for s in table.streams
            )
        self.table = dataclasses.replace(table, streams=streams)

    def encryption(self, given: Mapping[str, Any]) -> None:
        current = self.extra.get("sse")
        described = sse_description(given, self.account)  # its own refusals first
        if described is None:  # {}, or Enabled: false: DynamoDB's default encryption
            if current is None:
                raise invalid("Table is already encrypted by default")
            self.extra.pop("sse")
            return
        key = given.get("KMSMasterKeyId")
        if current is not None and key == current["KMSMasterKeyArn"]:
            raise invalid(
                "Table is already encrypted with given KMSMasterKeyId. Use KMSMasterKeyId "
                "parameter if you want to change Master Key"
            )
        self.extra["sse"] = described

    def table_class(self, given: str) -> None:
        if given != self.table.table_class:
            self.extra["tableClassUpdated"] = self.now
            self.table = dataclasses.replace(self.table, table_class=given)

    def on_demand(self, given: Mapping[str, Any]) -> None:
        if self.mode == PROVISIONED:
            raise invalid(
                "MaxReadRequestUnits for OnDemandThroughput cannot be specified when the table "
                "BillingMode is PROVISIONED"
            )
        merged = {**self.extra.get("onDemand", {}), **given}
        # -1 clears a maximum.
        kept = {k: v for k, v in merged.items() if v != -1}
        if kept:
            self.extra["onDemand"] = kept
        else:
            self.extra.pop("onDemand", None)

    def warm(self, given: Mapping[str, Any]) -> None:
        read, write = warm_throughput(self.table)
        asked_read = given.get("ReadUnitsPerSecond", read)
        asked_write = given.get("WriteUnitsPerSecond", write)
        for unit, asked, current in (
            ("ReadUnitsPerSecond", asked_read, read),
            ("WriteUnitsPerSecond", asked_write, write),
        ):
            if asked < current:
                raise invalid(
                    f"Requested {unit} for WarmThroughput for table is lower than current "
                    "WarmThroughput, decreasing WarmThroughput is not supported"
                )
        self.extra["warm"] = [asked_read, asked_write]

    def prune_streams(self) -> None:
        """Forget streams disabled over 24 hours ago (their ARNs are purged); the latest
        stays, for LatestStreamArn."""
        streams = self.table.streams
        kept: list[Stream] = []
        for stream in streams:
            old = stream.disabled is not None and self.now - stream.disabled > STREAM_KEPT
            if old and stream is not streams[-1]:
                self.dropped.append(stream.arn)
            else:
                kept.append(stream)
        self.table = dataclasses.replace(self.table, streams=tuple(kept))


def check_request(input: Mapping[str, Any]) -> list[Action]:
    """What DynamoDB refuses of an UpdateTable before it looks for the table (even a
    missing table's call is refused so): no change, an empty index list, one change too
    many, index actions it cannot take at once. The index actions."""
    changes = _changes(input)
    if not changes:
        raise validation(_at_least_one(input))
    if input.get("GlobalSecondaryIndexUpdates") == []:
        raise invalid("List of GlobalSecondaryIndexUpdates is empty")
    for member in _UNSERVED:
        if member in changes:
            # Altus's own text: DynamoDB serves these.
            raise validation(f"Altus does not serve {member} (global tables, vector indexes)")
    actions = _index_actions(input.get("GlobalSecondaryIndexUpdates") or ())
    online = sum(1 for kind, _, _ in actions if kind != "Update")
    _check_granularity(input, changes, online)
    if online > 1:
        raise _one_online_index()
    return actions


def update_table(
    table: Table, input: Mapping[str, Any], *, now: float, nonce: str, account: Account
) -> TableUpdate:
    """``table`` as UpdateTable's members leave it, or DynamoDB's refusal
    (ValidationException, LimitExceededException, ResourceNotFoundException for an index
    it does not have). ``nonce`` makes a new index's id unlike any dropped one's (whose
    rows may still be purged)."""
    actions = check_request(input)
    if any(kind != "Update" for kind, _, _ in actions) and any(
        i.status == CREATING for i in table.indexes
    ):
        raise _one_online_index()
    plan = _Plan(table, input, now, nonce, account)
    plan.billing()
    plan.indexes(actions)
    if input.get("StreamSpecification") is not None:
        plan.stream(input["StreamSpecification"])
    if input.get("SSESpecification") is not None:
        plan.encryption(input["SSESpecification"])
    if input.get("TableClass") is not None:
        plan.table_class(input["TableClass"])
    if input.get("OnDemandThroughput") is not None:
        plan.on_demand(input["OnDemandThroughput"])
    if input.get("WarmThroughput") is not None:
        plan.warm(input["WarmThroughput"])
    plan.prune_streams()
    changed = plan.table
    if input.get("DeletionProtectionEnabled") is not None:
        changed = dataclasses.replace(
            changed, deletion_protection=bool(input["DeletionProtectionEnabled"])
        )
    return TableUpdate(dataclasses.replace(changed, extra=plan.extra), tuple(plan.dropped))

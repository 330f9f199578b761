"""``AWS::DynamoDB::Table``'s properties as DynamoDB's API members: pure conversions the
table provider (``dynamodb.py``) builds its CreateTable and UpdateTable calls from.

CloudFormation's shapes are the API's but for a few: ``SSESpecification.SSEEnabled``
(the API's ``Enabled``), ``StreamSpecification`` without ``StreamEnabled`` (its presence
enables the stream), ``ResourcePolicy.PolicyDocument`` as an object, and a global
index's ``ContributorInsightsSpecification`` (no member of the index in the API).
Numbers may arrive as text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from altus.cloudformation.providers.base import (
    Properties,
    ResourceFailed,
    boolean,
    integer,
)

PROVISIONED = "PROVISIONED"
PAY_PER_REQUEST = "PAY_PER_REQUEST"
#: Properties Altus's DynamoDB has no operation for, when they ask for something.
UNSERVED = {
    "KinesisStreamSpecification": "EnableKinesisStreamingDestination",
    "ImportSourceSpecification": "ImportTable",
}


def billing_mode(props: Properties) -> str:
    """The table's billing mode (the API's default: PROVISIONED)."""
    return str(props.get("BillingMode") or PROVISIONED)


def throughput(value: Any, where: str) -> dict[str, int] | None:
    """A ``ProvisionedThroughput`` or ``OnDemandThroughput`` object with its numbers as
    numbers (None for none)."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ResourceFailed(f"Property {where} must be an object")
    return {key: int(number) for key in value if (number := integer(value, key)) is not None}


def sse(value: Any) -> dict[str, Any]:
    """``SSESpecification`` as the API's (its absence: encryption with DynamoDB's own key,
    which the API asks for as ``Enabled: false``)."""
    if value is None:
        return {"Enabled": False}
    out: dict[str, Any] = {"Enabled": bool(boolean(value, "SSEEnabled", False))}
    for member in ("SSEType", "KMSMasterKeyId"):
        if value.get(member):
            out[member] = str(value[member])
    return out


def stream_view(props: Properties) -> str | None:
    """The stream's view type, or None for no stream."""
    spec = props.get("StreamSpecification")
    if not spec:
        return None
    if not isinstance(spec, Mapping) or not spec.get("StreamViewType"):
        raise ResourceFailed(
            "Properties validation failed for resource with message: "
            "#/StreamSpecification: required key [StreamViewType] not found"
        )
    return str(spec["StreamViewType"])


def time_to_live(props: Properties) -> tuple[bool, str | None]:
    """(enabled, attribute) of ``TimeToLiveSpecification`` (absent: disabled)."""
    spec = props.get("TimeToLiveSpecification")
    if not spec:
        return False, None
    enabled = bool(boolean(spec, "Enabled", False))
    attribute = spec.get("AttributeName")
    if enabled and not attribute:
        raise ResourceFailed(
            "Properties validation failed for resource with message: "
            "#/TimeToLiveSpecification: AttributeName is required when Enabled is true"
        )
    return enabled, (str(attribute) if attribute else None)


def refuse_unserved(props: Properties) -> None:
    """Refuse what Altus's DynamoDB cannot do, naming the property and the operation."""
    for prop, operation in UNSERVED.items():
        if props.get(prop):
            raise ResourceFailed(
                f"Property {prop} is not supported: Altus's DynamoDB does not serve {operation}"
            )
    insights = [props.get("ContributorInsightsSpecification")] + [
        index.get("ContributorInsightsSpecification")
        for index in props.get("GlobalSecondaryIndexes") or []
        if isinstance(index, Mapping)
    ]
    if any(spec and boolean(spec, "Enabled", False) for spec in insights):
        raise ResourceFailed(
            "Property ContributorInsightsSpecification is not supported: Altus's DynamoDB "
            "does not serve UpdateContributorInsights"
        )
    recovery = props.get("PointInTimeRecoverySpecification")
    if recovery and boolean(recovery, "PointInTimeRecoveryEnabled", False):
        raise ResourceFailed(
            "Property PointInTimeRecoverySpecification is not supported: Altus's DynamoDB "
            "does not serve UpdateContinuousBackups"
        )


def global_index(index: Any, mode: str) -> dict[str, Any]:
    """A ``GlobalSecondaryIndexes`` entry as CreateTable (or a Create update) takes it."""
    if not isinstance(index, Mapping) or not index.get("IndexName"):
        raise ResourceFailed(
            "Properties validation failed for resource with message: "
            "#/GlobalSecondaryIndexes: required key [IndexName] not found"
        )
    out: dict[str, Any] = {
        "IndexName": str(index["IndexName"]),
        "KeySchema": index.get("KeySchema"),
        "Projection": index.get("Projection"),
    }
    provisioned = throughput(index.get("ProvisionedThroughput"), "ProvisionedThroughput")
    if provisioned is not None and mode == PROVISIONED:
        out["ProvisionedThroughput"] = provisioned
    on_demand = throughput(index.get("OnDemandThroughput"), "OnDemandThroughput")
    if on_demand is not None:
        out["OnDemandThroughput"] = on_demand
    return out


def global_indexes(props: Properties) -> dict[str, dict[str, Any]]:
    """The template's global indexes by name, as the API takes them."""
    mode = billing_mode(props)
    made = [global_index(index, mode) for index in props.get("GlobalSecondaryIndexes") or []]
    return {index["IndexName"]: index for index in made}


def same_shape(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Whether two global indexes have the same keys and projection (else the index
    must be made again: DynamoDB changes neither in place)."""
    return old.get("KeySchema") == new.get("KeySchema") and old.get("Projection") == new.get(
        "Projection"
    )


def create_params(name: str, props: Properties, tags: list[dict[str, str]]) -> dict[str, Any]:
    """CreateTable's members for the template's properties."""
    mode = billing_mode(props)
    params: dict[str, Any] = {
        "TableName": name,
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props.get("AttributeDefinitions") or [],
    }
    if props.get("BillingMode"):
        params["BillingMode"] = mode
    provisioned = throughput(props.get("ProvisionedThroughput"), "ProvisionedThroughput")
    if provisioned is not None:
        params["ProvisionedThroughput"] = provisioned
    on_demand = throughput(props.get("OnDemandThroughput"), "OnDemandThroughput")
    if on_demand is not None:
        params["OnDemandThroughput"] = on_demand
    if props.get("LocalSecondaryIndexes"):
        params["LocalSecondaryIndexes"] = [
            {k: v for k, v in index.items() if k in ("IndexName", "KeySchema", "Projection")}
            for index in props["LocalSecondaryIndexes"]
        ]
    indexes = global_indexes(props)
    if indexes:
        params["GlobalSecondaryIndexes"] = list(indexes.values())
    view = stream_view(props)
    if view is not None:
        params["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": view}
    if props.get("SSESpecification") is not None:
        params["SSESpecification"] = sse(props["SSESpecification"])
    if props.get("TableClass"):
        params["TableClass"] = str(props["TableClass"])
    protection = boolean(props, "DeletionProtectionEnabled")
    if protection is not None:
        params["DeletionProtectionEnabled"] = protection
    policy = (props.get("ResourcePolicy") or {}).get("PolicyDocument")
    if policy is not None:
        params["ResourcePolicy"] = policy if isinstance(policy, str) else json.dumps(policy)
    if tags:
        params["Tags"] = tags
    return params

"""CloudWatch Logs' resource types: ``AWS::Logs::LogGroup``, made through the Logs API.

A log group's Ref is its name; ``Fn::GetAtt Arn`` is its ARN ending ``:*``, as
CloudFormation gives it. Its name and class need a new group; retention, the KMS key and
tags change in place (PutRetentionPolicy / DeleteRetentionPolicy, AssociateKmsKey /
DisassociateKmsKey, TagResource / UntagResource on the ARN without ``:*``), a removed
property returning to the default (retained forever, no key, no tags of its own).
CloudFormation deletes a group with its events (DeleteLogGroup).

``AWS::Logs::SubscriptionFilter`` is not provided: Altus's Logs does not serve
PutSubscriptionFilter. The data protection, field index and resource policies and the
bearer-token and deletion-protection settings need operations it does not serve either,
and are refused by name.
"""

from __future__ import annotations

from typing import Any

from altus.cloudformation.providers.base import (
    Current,
    Outcome,
    Properties,
    Provider,
    ProviderContext,
    ResourceFailed,
    integer,
    tag_map,
)
from altus.cloudformation.providers.common import Tagging, present, quietly, sync_tags

TYPE = "AWS::Logs::LogGroup"
#: CloudWatch Logs' limit on a group's name.
NAME_LENGTH = 512
#: Properties whose operations Altus's Logs service does not serve: property -> operation.
_UNSERVED = {
    "DataProtectionPolicy": "PutDataProtectionPolicy",
    "FieldIndexPolicies": "PutIndexPolicy",
    "ResourcePolicyDocument": "PutResourcePolicy",
    "BearerTokenAuthenticationEnabled": "PutBearerTokenAuthentication",
    "DeletionProtectionEnabled": "PutLogGroupDeletionProtection",
}


def _refuse_unserved(props: Properties) -> None:
    for prop, operation in _UNSERVED.items():
        if props.get(prop) not in (None, False, "false", [], {}):
            raise ResourceFailed(
                f"Property {prop} of {TYPE} is not supported by this Altus installation "
                f"(CloudWatch Logs' {operation} is not served)."
            )


def group_arn(ctx: ProviderContext, name: str) -> str:
    """The group's ARN as the tagging operations take it (no ``:*``)."""
    return f"arn:{ctx.partition}:logs:{ctx.region}:{ctx.account_id}:log-group:{name}"


def _name(ctx: ProviderContext, props: Properties) -> str:
    return str(props.get("LogGroupName") or ctx.name(max_length=NAME_LENGTH))


def _outcome(ctx: ProviderContext, name: str) -> Outcome:
    return Outcome(name, {"Arn": f"{group_arn(ctx, name)}:*"})


async def _set_retention(ctx: ProviderContext, name: str, days: int | None) -> None:
    if days is None:
        await ctx.call("logs", "DeleteRetentionPolicy", {"logGroupName": name})
    else:
        await ctx.call(
            "logs", "PutRetentionPolicy", {"logGroupName": name, "retentionInDays": days}
        )


#: CloudWatch Logs' tags: on the group's ARN (no ``:*``), as a map.
_TAGGING = Tagging("logs", tags="tags", keys="tagKeys", pair=None)


class LogGroup:
    replaced_by = frozenset({"LogGroupName", "LogGroupClass"})
    attributes = frozenset({"Arn"})

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        _refuse_unserved(props)
        name = _name(ctx, props)
        params: dict[str, Any] = {"logGroupName": name}
        if props.get("KmsKeyId"):
            params["kmsKeyId"] = str(props["KmsKeyId"])
        if props.get("LogGroupClass"):
            params["logGroupClass"] = str(props["LogGroupClass"])
        params |= present(tags=tag_map(props, ctx) or None)
        await ctx.call("logs", "CreateLogGroup", params)
        days = integer(props, "RetentionInDays")
        if days is not None:
            await _set_retention(ctx, name, days)
        return _outcome(ctx, name)

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        _refuse_unserved(props)
        old = current.properties
        name = current.physical_id or _name(ctx, props)
        days = integer(props, "RetentionInDays")
        if integer(old, "RetentionInDays") != days:
            await _set_retention(ctx, name, days)
        if old.get("KmsKeyId") != props.get("KmsKeyId"):
            if props.get("KmsKeyId"):
                await ctx.call(
                    "logs",
                    "AssociateKmsKey",
                    {"logGroupName": name, "kmsKeyId": str(props["KmsKeyId"])},
                )
            else:
                await ctx.call("logs", "DisassociateKmsKey", {"logGroupName": name})
        scope = {"resourceArn": group_arn(ctx, name)}
        await sync_tags(ctx, _TAGGING, scope, tag_map(props, ctx))
        return _outcome(ctx, name)

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        name = current.physical_id or _name(ctx, current.properties)
        await quietly(ctx, "logs", "DeleteLogGroup", {"logGroupName": name})


PROVIDERS: dict[str, Provider] = {"AWS::Logs::LogGroup": LogGroup()}

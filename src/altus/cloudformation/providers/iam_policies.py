"""IAM's policy resource types: ``AWS::IAM::Policy`` (one inline policy put on several
roles, users and groups), customer managed policies, and users' access keys.

- ``AWS::IAM::Policy`` has no IAM object of its own: its physical id is a name
  CloudFormation generates (``<stack>-<Logi>-<RANDOM>``, the parts cut short as
  CloudFormation cuts them), and it lives as the inline policy ``PolicyName`` of each
  role, user and group it names; its delete removes it from each.
- Deleting a managed policy detaches it from every role, user and group and deletes its
  other versions first; a new document becomes a new default version, the oldest other
  version giving way when the policy already has IAM's five.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from altus.cloudformation.providers.base import (
    Current,
    Outcome,
    Properties,
    ProviderContext,
    ResourceFailed,
    integer,
    required,
)
from altus.cloudformation.providers.common import gone_or, json_text, known, quietly
from altus.cloudformation.providers.iam_holders import GROUPS, ROLES, USERS, listed, strings

#: How many versions IAM keeps of a managed policy.
_MAX_VERSIONS = 5

# --- AWS::IAM::Policy --------------------------------------------------------------------------


_HOLDERS = (("Roles", ROLES), ("Users", USERS), ("Groups", GROUPS))


class Policy:
    """``AWS::IAM::Policy``: one inline policy put on each role, user and group named."""

    replaced_by: frozenset[str] = frozenset()
    attributes = frozenset({"Id"})
    _properties = ("Groups", "PolicyDocument", "PolicyName", "Roles", "Users")

    def _check(self, props: Properties) -> None:
        known("AWS::IAM::Policy", props, self._properties)
        required(props, "PolicyName", "PolicyDocument")
        if not any(strings(props, key) for key, _ in _HOLDERS):
            raise ResourceFailed(
                "Properties validation failed for resource with message: "
                "#: At least one of [Groups, Roles, Users] must be specified"
            )

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        self._check(props)
        policy_id = ctx.name(max_length=25)
        name, text = str(props["PolicyName"]), json_text(props["PolicyDocument"])
        for key, holder in _HOLDERS:
            for target in strings(props, key):
                await holder.put_policies(ctx, target, {}, {name: text})
        return Outcome(policy_id, {"Id": policy_id})

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        self._check(props)
        old = current.properties
        policy_id = current.physical_id or ctx.name(max_length=25)
        name, text = str(props["PolicyName"]), json_text(props["PolicyDocument"])
        old_name = str(old.get("PolicyName") or "")
        old_text = json_text(old.get("PolicyDocument") or "")
        for key, holder in _HOLDERS:
            before, after = strings(old, key), strings(props, key)
            for target in after:
                # Put where it is new, renamed or rewritten; the old name goes below.
                had = {old_name: old_text} if target in before else {}
                await holder.put_policies(ctx, target, had, {name: text})
            for target in before:
                if target not in after:
                    await holder.put_policies(ctx, target, {old_name: old_text}, {})
        return Outcome(policy_id, {"Id": policy_id})

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        props = current.properties
        name = str(props.get("PolicyName") or "")
        if not name:
            return
        for key, holder in _HOLDERS:
            for target in strings(props, key):
                await holder.put_policies(ctx, target, {name: ""}, {})


# --- AWS::IAM::ManagedPolicy -------------------------------------------------------------------


class ManagedPolicy:
    """``AWS::IAM::ManagedPolicy``: Ref is the policy's ARN."""

    replaced_by = frozenset({"ManagedPolicyName", "Description", "Path"})
    attributes = frozenset(
        {
            "PolicyArn",
            "PolicyId",
            "AttachmentCount",
            "CreateDate",
            "DefaultVersionId",
            "IsAttachable",
            "PermissionsBoundaryUsageCount",
            "UpdateDate",
        }
    )
    _properties = (
        "Description",
        "Groups",
        "ManagedPolicyName",
        "Path",
        "PolicyDocument",
        "Roles",
        "Users",
    )

    def _arn(self, ctx: ProviderContext, props: Properties) -> str:
        name = props.get("ManagedPolicyName") or ctx.name(max_length=128)
        return f"arn:{ctx.partition}:iam::{ctx.account_id}:policy{props.get('Path') or '/'}{name}"

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        known("AWS::IAM::ManagedPolicy", props, self._properties)
        required(props, "PolicyDocument")
        params: dict[str, Any] = {
            "PolicyName": str(props.get("ManagedPolicyName") or ctx.name(max_length=128)),
            "PolicyDocument": json_text(props["PolicyDocument"]),
        }
        for member in ("Path", "Description"):
            if props.get(member):
                params[member] = str(props[member])
        arn = (await ctx.call("iam", "CreatePolicy", params))["Policy"]["Arn"]
        await self._attach(ctx, arn, {}, props)
        return Outcome(arn, await self._attributes(ctx, arn))

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        known("AWS::IAM::ManagedPolicy", props, self._properties)
        required(props, "PolicyDocument")
        old = current.properties
        arn = current.physical_id or self._arn(ctx, props)
        text = json_text(props["PolicyDocument"])
        if json_text(old.get("PolicyDocument") or "") != text:
            await self._new_version(ctx, arn, text)
        await self._attach(ctx, arn, old, props)
        return Outcome(arn, await self._attributes(ctx, arn))

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        arn = current.physical_id or self._arn(ctx, current.properties)
        versions = await gone_or(listed(ctx, "ListPolicyVersions", {"PolicyArn": arn}, "Versions"))
        if versions is None:
            return
        for key, holder in _HOLDERS:
            entities = await gone_or(
                listed(
                    ctx,
                    "ListEntitiesForPolicy",
                    {"PolicyArn": arn, "EntityFilter": holder.label},
                    f"Policy{key}",
                )
            )
            if entities is None:
                return
            for entity in entities:
                await holder.attach(ctx, entity[holder.member], [arn], [])
        for version in versions:
            if not version.get("IsDefaultVersion"):
                await quietly(
                    ctx,
                    "iam",
                    "DeletePolicyVersion",
                    {"PolicyArn": arn, "VersionId": version["VersionId"]},
                )
        await quietly(ctx, "iam", "DeletePolicy", {"PolicyArn": arn})

    async def _attach(
        self, ctx: ProviderContext, arn: str, old: Properties, new: Properties
    ) -> None:
        for key, holder in _HOLDERS:
            before, after = strings(old, key), strings(new, key)
            for target in after:
                if target not in before:
                    await holder.attach(ctx, target, [], [arn])
            for target in before:
                if target not in after:
                    await holder.attach(ctx, target, [arn], [])

    async def _new_version(self, ctx: ProviderContext, arn: str, text: str) -> None:
        versions = await listed(ctx, "ListPolicyVersions", {"PolicyArn": arn}, "Versions")
        if len(versions) >= _MAX_VERSIONS:
            others = [v for v in versions if not v.get("IsDefaultVersion")]
            oldest = min(others, key=lambda v: (str(v.get("CreateDate")), _number(v)))
            await ctx.call(
                "iam", "DeletePolicyVersion", {"PolicyArn": arn, "VersionId": oldest["VersionId"]}
            )
        await ctx.call(
            "iam",
            "CreatePolicyVersion",
            {"PolicyArn": arn, "PolicyDocument": text, "SetAsDefault": True},
        )

    async def _attributes(self, ctx: ProviderContext, arn: str) -> dict[str, Any]:
        policy = (await ctx.call("iam", "GetPolicy", {"PolicyArn": arn}))["Policy"]
        return {
            "PolicyArn": policy["Arn"],
            "PolicyId": policy["PolicyId"],
            "AttachmentCount": policy.get("AttachmentCount", 0),
            "CreateDate": policy.get("CreateDate"),
            "DefaultVersionId": policy.get("DefaultVersionId"),
            "IsAttachable": policy.get("IsAttachable", True),
            "PermissionsBoundaryUsageCount": policy.get("PermissionsBoundaryUsageCount", 0),
            "UpdateDate": policy.get("UpdateDate"),
        }


def _number(version: Mapping[str, Any]) -> int:
    """``v12`` -> 12 (versions made in one millisecond order by number)."""
    digits = str(version.get("VersionId", "")).lstrip("v")
    return int(digits) if digits.isdigit() else 0


# --- AWS::IAM::AccessKey -----------------------------------------------------------------------


class AccessKey:
    """``AWS::IAM::AccessKey``: Ref is the access key id; ``SecretAccessKey`` is only
    given when the key is made (CloudFormation keeps it as an attribute)."""

    replaced_by = frozenset({"UserName", "Serial"})
    attributes = frozenset({"SecretAccessKey", "Id"})
    _properties = ("Serial", "Status", "UserName")

    def _status(self, props: Properties) -> str:
        status = str(props.get("Status") or "Active")
        if status not in ("Active", "Inactive"):
            raise ResourceFailed(
                "Properties validation failed for resource with message: "
                f"#/Status: {status} is not a valid enum value"
            )
        return status

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        known("AWS::IAM::AccessKey", props, self._properties)
        required(props, "UserName")
        integer(props, "Serial")
        status = self._status(props)
        user = str(props["UserName"])
        key = (await ctx.call("iam", "CreateAccessKey", {"UserName": user}))["AccessKey"]
        key_id = key["AccessKeyId"]
        if status != "Active":
            await ctx.call(
                "iam",
                "UpdateAccessKey",
                {"UserName": user, "AccessKeyId": key_id, "Status": status},
            )
        return Outcome(key_id, {"SecretAccessKey": key["SecretAccessKey"], "Id": key_id})

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        known("AWS::IAM::AccessKey", props, self._properties)
        status = self._status(props)
        key_id = current.physical_id or ""
        if status != self._status(current.properties):
            await ctx.call(
                "iam",
                "UpdateAccessKey",
                {"UserName": str(props["UserName"]), "AccessKeyId": key_id, "Status": status},
            )
        return Outcome(key_id, {**current.attributes, "Id": key_id})

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        # IAM makes up the id: a create interrupted before its answer left nothing to
        # find it by.
        if current.physical_id is None:
            return
        await quietly(
            ctx,
            "iam",
            "DeleteAccessKey",
            {"UserName": str(current.properties["UserName"]), "AccessKeyId": current.physical_id},
        )

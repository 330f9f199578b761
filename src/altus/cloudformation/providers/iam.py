"""IAM's resource types: roles, users and groups with the policies they hold
(``iam_holders``), inline policies put on several of them, customer managed policies
and users' access keys (``iam_policies``), made through Altus's IAM API.

Deleting a role or a user first removes what it holds (its inline policies, its
attached managed policies; a user's group memberships and access keys too), as
CloudFormation's handlers do, so one changed outside the stack does not block the
stack's delete. A group's members are not removed: a group that still has users is
refused as IAM refuses it.

``AWS::IAM::InstanceProfile`` is not here: Altus's IAM does not serve instance profiles.
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
    required,
    tag_list,
)
from altus.cloudformation.providers.common import gone_or, json_text, known, present, quietly
from altus.cloudformation.providers.iam_holders import (
    GROUPS,
    ROLES,
    USERS,
    boundary,
    inline_policies,
    listed,
    strings,
)
from altus.cloudformation.providers.iam_policies import AccessKey, ManagedPolicy, Policy

# --- AWS::IAM::Role --------------------------------------------------------------------------


class Role:
    """``AWS::IAM::Role``: Ref is the role's name."""

    replaced_by = frozenset({"RoleName", "Path"})
    attributes = frozenset({"Arn", "RoleId"})
    _properties = (
        "AssumeRolePolicyDocument",
        "Description",
        "ManagedPolicyArns",
        "MaxSessionDuration",
        "Path",
        "PermissionsBoundary",
        "Policies",
        "RoleName",
        "Tags",
    )

    def _name(self, ctx: ProviderContext, props: Properties) -> str:
        return str(props.get("RoleName") or ctx.name(max_length=64))

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        known("AWS::IAM::Role", props, self._properties)
        required(props, "AssumeRolePolicyDocument")
        inline_policies(props)  # refuse a malformed one before anything is made
        name = self._name(ctx, props)
        params: dict[str, Any] = {
            "RoleName": name,
            "AssumeRolePolicyDocument": json_text(props["AssumeRolePolicyDocument"]),
        }
        for member in ("Path", "Description", "PermissionsBoundary"):
            if props.get(member) not in (None, ""):
                params[member] = str(props[member])
        params |= present(
            MaxSessionDuration=integer(props, "MaxSessionDuration"),
            Tags=tag_list(props, ctx) or None,
        )
        role = (await ctx.call("iam", "CreateRole", params))["Role"]
        await ROLES.hold(ctx, name, {}, props)
        return Outcome(name, {"Arn": role["Arn"], "RoleId": role["RoleId"]})

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        known("AWS::IAM::Role", props, self._properties)
        required(props, "AssumeRolePolicyDocument")
        old = current.properties
        name = current.physical_id or self._name(ctx, props)
        trust = json_text(props["AssumeRolePolicyDocument"])
        if json_text(old.get("AssumeRolePolicyDocument")) != trust:
            await ctx.call(
                "iam", "UpdateAssumeRolePolicy", {"RoleName": name, "PolicyDocument": trust}
            )
        changes: dict[str, Any] = {}
        if old.get("Description") != props.get("Description"):
            changes["Description"] = str(props.get("Description") or "")
        duration = integer(props, "MaxSessionDuration", 3600)
        if integer(old, "MaxSessionDuration", 3600) != duration:
            changes["MaxSessionDuration"] = duration
        if changes:
            await ctx.call("iam", "UpdateRole", {"RoleName": name, **changes})
        await boundary(ctx, ROLES, name, old, props)
        await ROLES.retag(ctx, name, old, props)
        await ROLES.hold(ctx, name, old, props)
        attributes = current.attributes
        if not self.attributes <= set(attributes):
            role = (await ctx.call("iam", "GetRole", {"RoleName": name}))["Role"]
            attributes = {"Arn": role["Arn"], "RoleId": role["RoleId"]}
        return Outcome(name, attributes)

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        name = current.physical_id or self._name(ctx, current.properties)
        await ROLES.empty(ctx, name)
        await quietly(ctx, "iam", "DeleteRole", {"RoleName": name})


# --- AWS::IAM::User ----------------------------------------------------------------------------


class User:
    """``AWS::IAM::User``: Ref is the user's name. ``LoginProfile`` is refused: Altus's IAM
    serves no console passwords."""

    replaced_by = frozenset({"UserName"})
    attributes = frozenset({"Arn"})
    _properties = (
        "Groups",
        "LoginProfile",
        "ManagedPolicyArns",
        "Path",
        "PermissionsBoundary",
        "Policies",
        "Tags",
        "UserName",
    )

    def _name(self, ctx: ProviderContext, props: Properties) -> str:
        return str(props.get("UserName") or ctx.name(max_length=64))

    def _check(self, props: Properties) -> None:
        known("AWS::IAM::User", props, self._properties)
        if props.get("LoginProfile") is not None:
            raise ResourceFailed(
                "Property LoginProfile of AWS::IAM::User is not supported: Altus's IAM does "
                "not serve login profiles (CreateLoginProfile)"
            )
        inline_policies(props)

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        self._check(props)
        name = self._name(ctx, props)
        params: dict[str, Any] = {"UserName": name}
        for member in ("Path", "PermissionsBoundary"):
            if props.get(member) not in (None, ""):
                params[member] = str(props[member])
        params |= present(Tags=tag_list(props, ctx) or None)
        user = (await ctx.call("iam", "CreateUser", params))["User"]
        for group in strings(props, "Groups"):
            await ctx.call("iam", "AddUserToGroup", {"GroupName": group, "UserName": name})
        await USERS.hold(ctx, name, {}, props)
        return Outcome(name, {"Arn": user["Arn"]})

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        self._check(props)
        old = current.properties
        name = current.physical_id or self._name(ctx, props)
        path = props.get("Path") or "/"
        if (old.get("Path") or "/") != path:
            await ctx.call("iam", "UpdateUser", {"UserName": name, "NewPath": str(path)})
        before, after = strings(old, "Groups"), strings(props, "Groups")
        for group in after:
            if group not in before:
                await ctx.call("iam", "AddUserToGroup", {"GroupName": group, "UserName": name})
        for group in before:
            if group not in after:
                await quietly(
                    ctx, "iam", "RemoveUserFromGroup", {"GroupName": group, "UserName": name}
                )
        await boundary(ctx, USERS, name, old, props)
        await USERS.retag(ctx, name, old, props)
        await USERS.hold(ctx, name, old, props)
        user = (await ctx.call("iam", "GetUser", {"UserName": name}))["User"]
        return Outcome(name, {"Arn": user["Arn"]})

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        name = current.physical_id or self._name(ctx, current.properties)
        groups = await gone_or(listed(ctx, "ListGroupsForUser", {"UserName": name}, "Groups"))
        if groups is None:
            return
        keys = await gone_or(listed(ctx, "ListAccessKeys", {"UserName": name}, "AccessKeyMetadata"))
        if keys is None:
            return
        for group in groups:
            await quietly(
                ctx,
                "iam",
                "RemoveUserFromGroup",
                {"GroupName": group["GroupName"], "UserName": name},
            )
        for key in keys:
            await quietly(
                ctx, "iam", "DeleteAccessKey", {"UserName": name, "AccessKeyId": key["AccessKeyId"]}
            )
        await USERS.empty(ctx, name)
        await quietly(ctx, "iam", "DeleteUser", {"UserName": name})


# --- AWS::IAM::Group ---------------------------------------------------------------------------


class Group:
    """``AWS::IAM::Group``: Ref is the group's name."""

    replaced_by = frozenset({"GroupName"})
    attributes = frozenset({"Arn"})
    _properties = ("GroupName", "ManagedPolicyArns", "Path", "Policies")

    def _name(self, ctx: ProviderContext, props: Properties) -> str:
        return str(props.get("GroupName") or ctx.name(max_length=128))

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        known("AWS::IAM::Group", props, self._properties)
        inline_policies(props)
        name = self._name(ctx, props)
        params: dict[str, Any] = {"GroupName": name}
        if props.get("Path"):
            params["Path"] = str(props["Path"])
        group = (await ctx.call("iam", "CreateGroup", params))["Group"]
        await GROUPS.hold(ctx, name, {}, props)
        return Outcome(name, {"Arn": group["Arn"]})

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        known("AWS::IAM::Group", props, self._properties)
        inline_policies(props)
        old = current.properties
        name = current.physical_id or self._name(ctx, props)
        path = props.get("Path") or "/"
        if (old.get("Path") or "/") != path:
            await ctx.call("iam", "UpdateGroup", {"GroupName": name, "NewPath": str(path)})
        await GROUPS.hold(ctx, name, old, props)
        group = (await ctx.call("iam", "GetGroup", {"GroupName": name, "MaxItems": 1}))["Group"]
        return Outcome(name, {"Arn": group["Arn"]})

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        name = current.physical_id or self._name(ctx, current.properties)
        await GROUPS.empty(ctx, name)
        await quietly(ctx, "iam", "DeleteGroup", {"GroupName": name})


PROVIDERS: dict[str, Provider] = {
    "AWS::IAM::Role": Role(),
    "AWS::IAM::User": User(),
    "AWS::IAM::Group": Group(),
    "AWS::IAM::Policy": Policy(),
    "AWS::IAM::ManagedPolicy": ManagedPolicy(),
    "AWS::IAM::AccessKey": AccessKey(),
}

"""What the IAM providers share: IAM's paged listings, and what roles, users and groups
hold alike (inline policies, attached managed policies, a permissions boundary; tags of
roles and users), through IAM's operations named after the kind."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from altus.cloudformation.providers.base import (
    Properties,
    ProviderContext,
    ResourceFailed,
    tag_map,
)
from altus.cloudformation.providers.common import Tagging, gone_or, json_text, paged, quietly, retag

_MAX_PAGES = 100


async def listed(
    ctx: ProviderContext, operation: str, params: Mapping[str, Any], key: str
) -> list[Any]:
    """Every item of a paged IAM listing (``Marker``/``IsTruncated``)."""
    return await paged(
        ctx,
        "iam",
        operation,
        params,
        key,
        token="Marker",
        truncated="IsTruncated",
        max_pages=_MAX_PAGES,
        whole=True,
    )


def strings(props: Properties, name: str) -> list[str]:
    """A list-of-strings property, in order, without repeats."""
    seen: dict[str, None] = {}
    for item in props.get(name) or []:
        seen[str(item)] = None
    return list(seen)


def inline_policies(props: Properties) -> dict[str, str]:
    """A ``Policies`` property as name -> document text (a repeated name: the last)."""
    out: dict[str, str] = {}
    for policy in props.get("Policies") or []:
        if not isinstance(policy, Mapping) or not policy.get("PolicyName"):
            raise ResourceFailed(
                "Properties validation failed for resource with message: "
                "#/Policies: required key [PolicyName] not found"
            )
        if policy.get("PolicyDocument") in (None, ""):
            raise ResourceFailed(
                "Properties validation failed for resource with message: "
                "#/Policies: required key [PolicyDocument] not found"
            )
        out[str(policy["PolicyName"])] = json_text(policy["PolicyDocument"])
    return out


@dataclass(frozen=True, slots=True)
class Holder:
    """What roles, users and groups share: inline policies and attached managed
    policies (and, for roles and users, tags), through IAM's operations named after the
    kind (``PutRolePolicy``, ``AttachUserPolicy``, ``ListGroupPolicies``, ``TagRole``
    ...)."""

    label: str

    @property
    def member(self) -> str:
        return f"{self.label}Name"

    async def put_policies(
        self, ctx: ProviderContext, name: str, old: Mapping[str, str], new: Mapping[str, str]
    ) -> None:
        """Put the new and changed inline policies, then delete the ones gone (the
        holder is never without a policy both versions of the template give it)."""
        for policy_name, text in new.items():
            if old.get(policy_name) != text:
                await ctx.call(
                    "iam",
                    f"Put{self.label}Policy",
                    {self.member: name, "PolicyName": policy_name, "PolicyDocument": text},
                )
        for policy_name in old:
            if policy_name not in new:
                await quietly(
                    ctx,
                    "iam",
                    f"Delete{self.label}Policy",
                    {self.member: name, "PolicyName": policy_name},
                )

    async def attach(
        self, ctx: ProviderContext, name: str, old: Sequence[str], new: Sequence[str]
    ) -> None:
        for arn in new:
            if arn not in old:
                await ctx.call(
                    "iam", f"Attach{self.label}Policy", {self.member: name, "PolicyArn": arn}
                )
        for arn in old:
            if arn not in new:
                await quietly(
                    ctx, "iam", f"Detach{self.label}Policy", {self.member: name, "PolicyArn": arn}
                )

    async def hold(self, ctx: ProviderContext, name: str, old: Properties, new: Properties) -> None:
        """``Policies`` and ``ManagedPolicyArns`` from ``old``'s to ``new``'s."""
        await self.put_policies(ctx, name, inline_policies(old), inline_policies(new))
        await self.attach(
            ctx, name, strings(old, "ManagedPolicyArns"), strings(new, "ManagedPolicyArns")
        )

    async def retag(
        self, ctx: ProviderContext, name: str, old: Properties, new: Properties
    ) -> None:
        """The tags of a role or user from ``old``'s to ``new``'s (the stack's included)."""
        tagging = Tagging("iam", f"Tag{self.label}", f"Untag{self.label}")
        await retag(ctx, tagging, {self.member: name}, tag_map(old, ctx), tag_map(new, ctx))

    async def empty(self, ctx: ProviderContext, name: str) -> None:
        """Delete every inline policy and detach every managed one (a holder already
        gone is empty)."""
        scope = {self.member: name}
        names = await gone_or(listed(ctx, f"List{self.label}Policies", scope, "PolicyNames"))
        if names is None:
            return
        attached = await gone_or(
            listed(ctx, f"ListAttached{self.label}Policies", scope, "AttachedPolicies")
        )
        if attached is None:
            return
        await self.put_policies(ctx, name, dict.fromkeys(names, ""), {})
        await self.attach(ctx, name, [policy["PolicyArn"] for policy in attached], [])


ROLES, USERS, GROUPS = Holder("Role"), Holder("User"), Holder("Group")


async def boundary(
    ctx: ProviderContext, holder: Holder, name: str, old: Properties, new: Properties
) -> None:
    """A role's or user's ``PermissionsBoundary`` from ``old``'s to ``new``'s."""
    before, after = old.get("PermissionsBoundary") or "", new.get("PermissionsBoundary") or ""
    if before == after:
        return
    if after:
        await ctx.call(
            "iam",
            f"Put{holder.label}PermissionsBoundary",
            {holder.member: name, "PermissionsBoundary": str(after)},
        )
    else:
        await quietly(ctx, "iam", f"Delete{holder.label}PermissionsBoundary", {holder.member: name})

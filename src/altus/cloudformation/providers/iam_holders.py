"""What the IAM providers share: policy documents as IAM takes them, IAM's paged
listings, calls whose "no such entity" means done, tags kept in step with the template,
and what roles, users and groups hold alike (inline policies, attached managed
policies, a permissions boundary), through IAM's operations named after the kind."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from altus.cloudformation.providers.base import (
    Properties,
    ProviderContext,
    ResourceFailed,
    ServiceFailed,
    tag_map,
)

_MAX_PAGES = 100


def document(value: Any) -> str:
    """A policy document as IAM takes it: text (an object as its JSON, as CloudFormation
    converts a template's YAML or JSON policy before it submits it)."""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def known(type_name: str, props: Properties, names: Iterable[str]) -> None:
    """Refuse a property the type does not have, as CloudFormation words it."""
    allowed = set(names)
    for name in props:
        if name not in allowed:
            raise ResourceFailed(
                f"Encountered unsupported property {name} (in {type_name})", "InvalidRequest"
            )


async def quietly(ctx: ProviderContext, operation: str, params: Mapping[str, Any]) -> None:
    """An IAM call whose "no such entity" means the work is done already."""
    try:
        await ctx.call("iam", operation, params)
    except ServiceFailed as failed:
        if not failed.not_found:
            raise


async def listed(
    ctx: ProviderContext, operation: str, params: Mapping[str, Any], key: str
) -> list[Any]:
    """Every item of a paged IAM listing (``Marker``/``IsTruncated``)."""
    items: list[Any] = []
    marker: str | None = None
    for _ in range(_MAX_PAGES):
        answer = await ctx.call(
            "iam", operation, {**params, **({"Marker": marker} if marker else {})}
        )
        items.extend(answer.get(key) or [])
        marker = answer.get("Marker")
        if not answer.get("IsTruncated") or not marker:
            return items
    raise ResourceFailed(f"IAM's {operation} did not finish listing", "ServiceInternalError")


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
        out[str(policy["PolicyName"])] = document(policy["PolicyDocument"])
    return out


def tag_changes(
    ctx: ProviderContext, old: Properties, new: Properties
) -> tuple[dict[str, str], list[str]]:
    """The tags to set (new or changed values) and the keys to remove."""
    before, after = tag_map(old, ctx), tag_map(new, ctx)
    return {k: v for k, v in after.items() if before.get(k) != v}, [
        k for k in before if k not in after
    ]


def pairs(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


@dataclass(frozen=True, slots=True)
class Holder:
    """What roles, users and groups share: inline policies and attached managed
    policies, through IAM's operations named after the kind (``PutRolePolicy``,
    ``AttachUserPolicy``, ``ListGroupPolicies`` ...)."""

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
                    ctx, f"Delete{self.label}Policy", {self.member: name, "PolicyName": policy_name}
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
                    ctx, f"Detach{self.label}Policy", {self.member: name, "PolicyArn": arn}
                )

    async def hold(self, ctx: ProviderContext, name: str, old: Properties, new: Properties) -> None:
        """``Policies`` and ``ManagedPolicyArns`` from ``old``'s to ``new``'s."""
        await self.put_policies(ctx, name, inline_policies(old), inline_policies(new))
        await self.attach(
            ctx, name, strings(old, "ManagedPolicyArns"), strings(new, "ManagedPolicyArns")
        )

    async def empty(self, ctx: ProviderContext, name: str) -> None:
        """Delete every inline policy and detach every managed one (a holder already
        gone is empty)."""
        try:
            names = await listed(
                ctx, f"List{self.label}Policies", {self.member: name}, "PolicyNames"
            )
            attached = await listed(
                ctx, f"ListAttached{self.label}Policies", {self.member: name}, "AttachedPolicies"
            )
        except ServiceFailed as failed:
            if failed.not_found:
                return
            raise
        for policy_name in names:
            await quietly(
                ctx, f"Delete{self.label}Policy", {self.member: name, "PolicyName": policy_name}
            )
        for policy in attached:
            await quietly(
                ctx,
                f"Detach{self.label}Policy",
                {self.member: name, "PolicyArn": policy["PolicyArn"]},
            )


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
        await quietly(ctx, f"Delete{holder.label}PermissionsBoundary", {holder.member: name})

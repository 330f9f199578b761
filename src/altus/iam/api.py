"""IAM's operations Altus serves so far: roles (create, read, list, delete, their trust
policy), their inline policies, and the AWS managed policies attached to them. Policy
documents travel URL-encoded in IAM's answers, as IAM sends them (the SDKs decode
them)."""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import quote

from altus.api.spec import Call, Members
from altus.iam.component import Iam
from altus.iam.errors import InvalidInput
from altus.iam.managed import AWS_MANAGED
from altus.iam.roles import Role

#: ListRoles' page size when the caller names none (IAM's default).
DEFAULT_MAX_ITEMS = 100


def _role(iam: Iam, role: Role) -> Members:
    shown: Members = {
        "Path": role.path,
        "RoleName": role.name,
        "RoleId": role.id,
        "Arn": iam.arn(role),
        "CreateDate": datetime.datetime.fromtimestamp(role.created_ms / 1000, datetime.UTC),
        "AssumeRolePolicyDocument": quote(role.trust, safe=""),
        "MaxSessionDuration": role.max_session,
        "RoleLastUsed": {},
    }
    if role.description:
        shown["Description"] = role.description
    if role.tags:
        shown["Tags"] = [{"Key": k, "Value": v} for k, v in role.tags.items()]
    return shown


async def create_role(iam: Iam, call: Call, input: Members) -> Members:
    tags: dict[str, str] = {}
    for tag in input.get("Tags") or []:
        if tag["Key"].lower() in (k.lower() for k in tags):
            raise InvalidInput(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive."
            )
        tags[tag["Key"]] = tag["Value"]
    role = await iam.create_role(
        input["RoleName"],
        input["AssumeRolePolicyDocument"],
        path=input.get("Path", "/"),
        description=input.get("Description", ""),
        max_session=input.get("MaxSessionDuration", 3600),
        tags=tags,
    )
    return {"Role": _role(iam, role)}


async def get_role(iam: Iam, call: Call, input: Members) -> Members:
    return {"Role": _role(iam, iam.role(input["RoleName"]))}


async def list_roles(iam: Iam, call: Call, input: Members) -> Members:
    roles = sorted(iam.roles(input.get("PathPrefix", "/")), key=lambda r: r.name.lower())
    marker = input.get("Marker")
    if marker:
        roles = [r for r in roles if r.name.lower() > marker.lower()]
    limit = input.get("MaxItems", DEFAULT_MAX_ITEMS)
    page, rest = roles[:limit], roles[limit:]
    answer: dict[str, Any] = {"Roles": [_role(iam, r) for r in page], "IsTruncated": bool(rest)}
    if rest:
        answer["Marker"] = page[-1].name
    return answer


async def delete_role(iam: Iam, call: Call, input: Members) -> Members:
    await iam.delete_role(input["RoleName"])
    return {}


async def update_assume_role_policy(iam: Iam, call: Call, input: Members) -> Members:
    await iam.update_trust(input["RoleName"], input["PolicyDocument"])
    return {}


async def put_role_policy(iam: Iam, call: Call, input: Members) -> Members:
    await iam.put_role_policy(input["RoleName"], input["PolicyName"], input["PolicyDocument"])
    return {}


async def get_role_policy(iam: Iam, call: Call, input: Members) -> Members:
    document = iam.role_policy(input["RoleName"], input["PolicyName"])
    return {
        "RoleName": iam.role(input["RoleName"]).name,
        "PolicyName": input["PolicyName"],
        "PolicyDocument": quote(document, safe=""),
    }


async def list_role_policies(iam: Iam, call: Call, input: Members) -> Members:
    names = iam.role_policy_names(input["RoleName"])
    return _page(names, input, "PolicyNames", lambda name: name)


async def delete_role_policy(iam: Iam, call: Call, input: Members) -> Members:
    await iam.delete_role_policy(input["RoleName"], input["PolicyName"])
    return {}


async def attach_role_policy(iam: Iam, call: Call, input: Members) -> Members:
    await iam.attach(input["RoleName"], input["PolicyArn"])
    return {}


async def detach_role_policy(iam: Iam, call: Call, input: Members) -> Members:
    await iam.detach(input["RoleName"], input["PolicyArn"])
    return {}


async def list_attached_role_policies(iam: Iam, call: Call, input: Members) -> Members:
    prefix = input.get("PathPrefix", "/")
    attached = [AWS_MANAGED[arn] for arn in iam.attached(input["RoleName"])]
    chosen = [p for p in attached if p.path.startswith(prefix)]
    return _page(
        chosen, input, "AttachedPolicies", lambda p: {"PolicyName": p.name, "PolicyArn": p.arn}
    )


def _page(items: list[Any], input: Members, key: str, shown: Any) -> Members:
    """One page of ``items`` (``Marker``: how many came before; ``MaxItems``)."""
    start = int(input["Marker"]) if str(input.get("Marker", "")).isdigit() else 0
    limit = input.get("MaxItems", DEFAULT_MAX_ITEMS)
    page = items[start : start + limit]
    answer: Members = {
        key: [shown(item) for item in page],
        "IsTruncated": start + limit < len(items),
    }
    if answer["IsTruncated"]:
        answer["Marker"] = str(start + limit)
    return answer

"""IAM's operations Altus serves: roles and users, the inline and managed policies they
and groups hold, their permissions boundaries, users' access keys, and customer managed
policies with their versions and the entities they are attached to. Policy documents
travel URL-encoded in IAM's answers, as IAM sends them (the SDKs decode them).

Roles, users and groups hold policies the same way: those operations are made once per
kind. Groups themselves are ``group_api``'s, tags ``tag_api``'s."""

from __future__ import annotations

from urllib.parse import quote

from altus.api.service import caller, request_context
from altus.api.spec import Call, Members, Operation
from altus.iam import tags
from altus.iam.component import Iam
from altus.iam.errors import InvalidInput
from altus.iam.holdings import GROUP, ROLE, USER
from altus.iam.policy_book import Managed
from altus.iam.roles import Role
from altus.iam.shapes import boundary, bounds, page, truncation, when
from altus.iam.users import User
from altus.identity.keys import AccessKey

# --- roles ------------------------------------------------------------------------------


def _role(iam: Iam, role: Role) -> Members:
    shown: Members = {
        "Path": role.path,
        "RoleName": role.name,
        "RoleId": role.id,
        "Arn": iam.arn(role),
        "CreateDate": when(role.created_ms),
        "AssumeRolePolicyDocument": quote(role.trust, safe=""),
        "MaxSessionDuration": role.max_session,
        "RoleLastUsed": {},
    }
    if role.description:
        shown["Description"] = role.description
    if role.boundary:
        shown["PermissionsBoundary"] = boundary(role.boundary)
    if role.tags:
        shown["Tags"] = tags.shown(role.tags)
    return shown


async def create_role(iam: Iam, call: Call, input: Members) -> Members:
    role = await iam.create_role(
        input["RoleName"],
        input["AssumeRolePolicyDocument"],
        path=input.get("Path", "/"),
        description=input.get("Description", ""),
        max_session=input.get("MaxSessionDuration", 3600),
        tags=tags.given(input.get("Tags"), fold_case=True),
        boundary=input.get("PermissionsBoundary", ""),
    )
    return {"Role": _role(iam, role)}


async def get_role(iam: Iam, call: Call, input: Members) -> Members:
    return {"Role": _role(iam, iam.role(input["RoleName"]))}


async def list_roles(iam: Iam, call: Call, input: Members) -> Members:
    roles = sorted(iam.roles(input.get("PathPrefix", "/")), key=lambda r: r.name.lower())
    return page(roles, input, "Roles", lambda r: _role(iam, r))


async def delete_role(iam: Iam, call: Call, input: Members) -> Members:
    await iam.delete_role(input["RoleName"])
    return {}


async def update_assume_role_policy(iam: Iam, call: Call, input: Members) -> Members:
    await iam.update_trust(input["RoleName"], input["PolicyDocument"])
    return {}


async def update_role(iam: Iam, call: Call, input: Members) -> Members:
    await iam.update_role(
        input["RoleName"], input.get("Description"), input.get("MaxSessionDuration")
    )
    return {}


async def update_role_description(iam: Iam, call: Call, input: Members) -> Members:
    role = await iam.update_role(input["RoleName"], description=input["Description"])
    return {"Role": _role(iam, role)}


async def put_role_permissions_boundary(iam: Iam, call: Call, input: Members) -> Members:
    await iam.set_role_boundary(input["RoleName"], input["PermissionsBoundary"])
    return {}


async def delete_role_permissions_boundary(iam: Iam, call: Call, input: Members) -> Members:
    await iam.set_role_boundary(input["RoleName"], "")
    return {}


# --- users ------------------------------------------------------------------------------


def user_shown(iam: Iam, user: User) -> Members:
    shown: Members = {
        "Path": user.path,
        "UserName": user.name,
        "UserId": user.id,
        "Arn": iam.user_arn(user),
        "CreateDate": when(user.created_ms),
    }
    if user.boundary:
        shown["PermissionsBoundary"] = boundary(user.boundary)
    if user.tags:
        shown["Tags"] = tags.shown(user.tags)
    return shown


def _named_or_caller(iam: Iam, call: Call, input: Members) -> User:
    """The user a request names, or, naming none, the user who signed it (as IAM takes
    it from the signing key); a caller who is no user must name one."""
    name = input.get("UserName")
    if name:
        return iam.user(name)
    who = caller(call, iam.identity)
    if who is not None:
        found = iam.user_of(who.arn)
        if found is not None:
            return found
    raise InvalidInput("Must specify userName when calling with non-User credentials")


async def create_user(iam: Iam, call: Call, input: Members) -> Members:
    user = await iam.create_user(
        input["UserName"],
        path=input.get("Path", "/"),
        tags=tags.given(input.get("Tags"), fold_case=True),
        boundary=input.get("PermissionsBoundary", ""),
    )
    return {"User": user_shown(iam, user)}


async def get_user(iam: Iam, call: Call, input: Members) -> Members:
    return {"User": user_shown(iam, _named_or_caller(iam, call, input))}


async def list_users(iam: Iam, call: Call, input: Members) -> Members:
    users = sorted(iam.users(input.get("PathPrefix", "/")), key=lambda u: u.name.lower())
    return page(users, input, "Users", lambda u: user_shown(iam, u))


async def delete_user(iam: Iam, call: Call, input: Members) -> Members:
    await iam.delete_user(input["UserName"])
    return {}


async def update_user(iam: Iam, call: Call, input: Members) -> Members:
    user = iam.user(input["UserName"])
    new_name, new_path = input.get("NewUserName"), input.get("NewPath")
    renamed = User(new_name or user.name, user.id, new_path or user.path, user.created_ms)
    # The caller must be allowed to update the user under its new name too, as in IAM.
    authorize_also(iam, call, "iam:UpdateUser", iam.user_arn(renamed))
    await iam.update_user(input["UserName"], new_name, new_path)
    return {}


def authorize_also(iam: Iam, call: Call, action: str, arn: str) -> None:
    """Where requests are authenticated, the caller must be allowed ``action`` on ``arn``
    as well as on what the call names (a rename's new name)."""
    who = caller(call, iam.identity)
    if iam.identity.enforcing and who is not None:
        iam.identity.authorize(who, action, arn, context=request_context(call.request.scope))


async def put_user_permissions_boundary(iam: Iam, call: Call, input: Members) -> Members:
    await iam.set_user_boundary(input["UserName"], input["PermissionsBoundary"])
    return {}


async def delete_user_permissions_boundary(iam: Iam, call: Call, input: Members) -> Members:
    await iam.set_user_boundary(input["UserName"], "")
    return {}


# --- access keys ------------------------------------------------------------------------


def _key(user: User, key: AccessKey) -> Members:
    return {
        "UserName": user.name,
        "AccessKeyId": key.id,
        "Status": key.status,
        "CreateDate": when(key.created_ms),
    }


async def create_access_key(iam: Iam, call: Call, input: Members) -> Members:
    user = _named_or_caller(iam, call, input)
    key = await iam.create_key(user)
    return {"AccessKey": {**_key(user, key), "SecretAccessKey": key.secret}}


async def list_access_keys(iam: Iam, call: Call, input: Members) -> Members:
    user = _named_or_caller(iam, call, input)
    keys = iam.keys_of(user)
    return page(keys, input, "AccessKeyMetadata", lambda k: _key(user, k))


async def update_access_key(iam: Iam, call: Call, input: Members) -> Members:
    user = _named_or_caller(iam, call, input)
    await iam.set_key_status(user, input["AccessKeyId"], input["Status"])
    return {}


async def delete_access_key(iam: Iam, call: Call, input: Members) -> Members:
    user = _named_or_caller(iam, call, input)
    await iam.delete_key(user, input["AccessKeyId"])
    return {}


# --- what a role or user holds, made once per kind ------------------------------------------


def _holder_operations(kind: str) -> dict[str, Operation]:
    label = {ROLE: "Role", USER: "User", GROUP: "Group"}[kind]
    member = f"{label}Name"

    async def put_policy(iam: Iam, call: Call, input: Members) -> Members:
        await iam.put_policy(kind, input[member], input["PolicyName"], input["PolicyDocument"])
        return {}

    async def get_policy(iam: Iam, call: Call, input: Members) -> Members:
        document = iam.inline_policy(kind, input[member], input["PolicyName"])
        return {
            member: iam.holder(kind, input[member]),
            "PolicyName": input["PolicyName"],
            "PolicyDocument": quote(document, safe=""),
        }

    async def list_policies(iam: Iam, call: Call, input: Members) -> Members:
        return page(iam.inline_names(kind, input[member]), input, "PolicyNames", lambda n: n)

    async def delete_policy(iam: Iam, call: Call, input: Members) -> Members:
        await iam.delete_policy(kind, input[member], input["PolicyName"])
        return {}

    async def attach_policy(iam: Iam, call: Call, input: Members) -> Members:
        await iam.attach(kind, input[member], input["PolicyArn"])
        return {}

    async def detach_policy(iam: Iam, call: Call, input: Members) -> Members:
        await iam.detach(kind, input[member], input["PolicyArn"])
        return {}

    async def list_attached(iam: Iam, call: Call, input: Members) -> Members:
        prefix = input.get("PathPrefix", "/")
        attached = [iam.policies.find(arn) for arn in iam.attached(kind, input[member])]
        chosen = [p for p in attached if p is not None and p.path.startswith(prefix)]
        return page(
            chosen, input, "AttachedPolicies", lambda p: {"PolicyName": p.name, "PolicyArn": p.arn}
        )

    return {
        f"Put{label}Policy": put_policy,
        f"Get{label}Policy": get_policy,
        f"List{label}Policies": list_policies,
        f"Delete{label}Policy": delete_policy,
        f"Attach{label}Policy": attach_policy,
        f"Detach{label}Policy": detach_policy,
        f"ListAttached{label}Policies": list_attached,
    }


HOLDER_OPERATIONS = {
    **_holder_operations(ROLE),
    **_holder_operations(USER),
    **_holder_operations(GROUP),
}


# --- managed policies -------------------------------------------------------------------


def _policy(iam: Iam, policy: Managed) -> Members:
    shown: Members = {
        "PolicyName": policy.name,
        "PolicyId": policy.id,
        "Arn": policy.arn,
        "Path": policy.path,
        "DefaultVersionId": policy.default_version,
        "AttachmentCount": iam.attachment_count(policy.arn),
        "PermissionsBoundaryUsageCount": iam.boundary_count(policy.arn),
        "IsAttachable": True,
        "CreateDate": when(policy.created_ms),
        "UpdateDate": when(policy.updated_ms),
    }
    if policy.description:
        shown["Description"] = policy.description
    if policy.tags:
        shown["Tags"] = tags.shown(policy.tags)
    return shown


async def create_policy(iam: Iam, call: Call, input: Members) -> Members:
    policy = await iam.policies.create(
        input["PolicyName"],
        input.get("Path", "/"),
        input["PolicyDocument"],
        input.get("Description", ""),
        tags.given(input.get("Tags"), fold_case=False),
    )
    shown = _policy(iam, policy)
    shown.pop("Description", None)  # CreatePolicy's answer leaves it out, as IAM's does
    return {"Policy": shown}


async def get_policy(iam: Iam, call: Call, input: Members) -> Members:
    return {"Policy": _policy(iam, iam.policies.get(input["PolicyArn"]))}


async def delete_policy(iam: Iam, call: Call, input: Members) -> Members:
    await iam.delete_managed(input["PolicyArn"])
    return {}


async def list_policies(iam: Iam, call: Call, input: Members) -> Members:
    prefix = input.get("PathPrefix", "/")
    chosen = [
        p for p in iam.policies.listed(input.get("Scope", "All")) if p.path.startswith(prefix)
    ]
    if input.get("OnlyAttached"):
        chosen = [p for p in chosen if iam.attachment_count(p.arn) > 0]
    usage = input.get("PolicyUsageFilter")
    if usage == "PermissionsPolicy":
        chosen = [p for p in chosen if iam.attachment_count(p.arn) > 0]
    elif usage == "PermissionsBoundary":
        chosen = [p for p in chosen if iam.boundary_count(p.arn) > 0]
    return page(chosen, input, "Policies", lambda p: _policy(iam, p))


async def list_entities_for_policy(iam: Iam, call: Call, input: Members) -> Members:
    """Groups, then users, then roles, paged as one list (``MaxItems`` counts them all)."""
    groups, users, roles = iam.entities_of(input["PolicyArn"], input.get("PolicyUsageFilter"))
    wanted = input.get("EntityFilter")
    prefix = input.get("PathPrefix", "/")
    # LocalManagedPolicy and AWSManagedPolicy (the enum is shared with other operations)
    # name no kind of entity a policy is attached to: they find nothing.
    listed: list[tuple[str, Members]] = []
    if wanted in (None, "Group"):
        listed += [
            ("PolicyGroups", {"GroupName": g.name, "GroupId": g.id})
            for g in groups
            if g.path.startswith(prefix)
        ]
    if wanted in (None, "User"):
        listed += [
            ("PolicyUsers", {"UserName": u.name, "UserId": u.id})
            for u in users
            if u.path.startswith(prefix)
        ]
    if wanted in (None, "Role"):
        listed += [
            ("PolicyRoles", {"RoleName": r.name, "RoleId": r.id})
            for r in roles
            if r.path.startswith(prefix)
        ]
    start, limit = bounds(input)
    answer: Members = {"PolicyGroups": [], "PolicyUsers": [], "PolicyRoles": []}
    for key, entity in listed[start : start + limit]:
        answer[key].append(entity)
    return {**answer, **truncation(start, limit, len(listed))}


def _version(policy: Managed, version_id: str, *, document: bool = True) -> Members:
    found = next(v for v in policy.versions if v.id == version_id)
    shown: Members = {
        "VersionId": found.id,
        "IsDefaultVersion": found.id == policy.default_version,
        "CreateDate": when(found.created_ms),
    }
    if document:
        shown["Document"] = quote(found.document, safe="")
    return shown


async def create_policy_version(iam: Iam, call: Call, input: Members) -> Members:
    arn = input["PolicyArn"]
    version = await iam.policies.create_version(
        arn, input["PolicyDocument"], bool(input.get("SetAsDefault"))
    )
    return {"PolicyVersion": _version(iam.policies.get(arn), version.id, document=False)}


async def get_policy_version(iam: Iam, call: Call, input: Members) -> Members:
    policy, version = iam.policies.version(input["PolicyArn"], input["VersionId"])
    return {"PolicyVersion": _version(policy, version.id)}


async def list_policy_versions(iam: Iam, call: Call, input: Members) -> Members:
    policy = iam.policies.get(input["PolicyArn"])
    newest_first = sorted(
        policy.versions, key=lambda v: (v.created_ms, int(v.id[1:])), reverse=True
    )
    return page(newest_first, input, "Versions", lambda v: _version(policy, v.id, document=False))


async def delete_policy_version(iam: Iam, call: Call, input: Members) -> Members:
    await iam.policies.delete_version(input["PolicyArn"], input["VersionId"])
    return {}


async def set_default_policy_version(iam: Iam, call: Call, input: Members) -> Members:
    await iam.policies.set_default(input["PolicyArn"], input["VersionId"])
    return {}

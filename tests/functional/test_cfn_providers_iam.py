"""The IAM providers against a server in this process: roles (trust policy, inline and
managed policies, boundary, tags; their delete clearing what they hold), users and
groups, inline policies put on several holders, customer managed policies (new
versions, attachments), access keys, checked through boto3."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

import pytest

from altus.cloudformation.providers.base import Current, ResourceFailed
from altus.cloudformation.providers.iam import PROVIDERS
from tests.functional import cloudformation_providers
from tests.functional.cloudformation_providers import ACCOUNT, World, delete_twice, missing

#: The module's server and contexts (a fixture, found by its name).
world = cloudformation_providers.world

ROLE = PROVIDERS["AWS::IAM::Role"]
USER = PROVIDERS["AWS::IAM::User"]
GROUP = PROVIDERS["AWS::IAM::Group"]
POLICY = PROVIDERS["AWS::IAM::Policy"]
MANAGED = PROVIDERS["AWS::IAM::ManagedPolicy"]
KEY = PROVIDERS["AWS::IAM::AccessKey"]

TRUST: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def allow(action: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}],
    }


def decoded(text: Any) -> Any:
    """A document as boto3 gives it (decoded already) or as IAM sends it (URL-encoded)."""
    return text if isinstance(text, dict) else json.loads(unquote(text))


def managed_policy(world: World, name: str) -> str:
    iam = world.client("iam")
    made = iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(allow("s3:GetObject")))
    return str(made["Policy"]["Arn"])


def test_role_lifecycle(world: World) -> None:
    iam = world.client("iam")
    boundary = managed_policy(world, "role-boundary")
    reader = managed_policy(world, "role-reader")
    writer = managed_policy(world, "role-writer")
    ctx = world.context("Role")
    props: dict[str, Any] = {
        "AssumeRolePolicyDocument": TRUST,
        "Description": "runs functions",
        "MaxSessionDuration": "7200",
        "PermissionsBoundary": boundary,
        "ManagedPolicyArns": [reader],
        "Policies": [{"PolicyName": "logs", "PolicyDocument": allow("logs:*")}],
        "Tags": [{"Key": "tier", "Value": "gold"}],
    }
    made = world.run(ROLE.create(ctx, "Role", props))
    name = made.physical_id
    assert name.startswith("teststack-Role-") and len(name) <= 64
    role = iam.get_role(RoleName=name)["Role"]
    assert made.attributes == {"Arn": role["Arn"], "RoleId": role["RoleId"]}
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/{name}"
    assert decoded(role["AssumeRolePolicyDocument"]) == TRUST
    assert role["Description"] == "runs functions" and role["MaxSessionDuration"] == 7200
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
    assert {t["Key"]: t["Value"] for t in role["Tags"]} == {"team": "altus", "tier": "gold"}
    assert iam.list_role_policies(RoleName=name)["PolicyNames"] == ["logs"]
    attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [reader]
    assert {"RoleName", "Path"} <= ROLE.replaced_by

    changed: dict[str, Any] = {
        "AssumeRolePolicyDocument": json.dumps(TRUST),  # the same document, as text
        "ManagedPolicyArns": [writer],
        "Policies": [{"PolicyName": "queues", "PolicyDocument": allow("sqs:*")}],
    }
    current = Current("Role", name, props, made.attributes)
    updated = world.run(ROLE.update(ctx, current, changed))
    assert updated.physical_id == name and updated.attributes == made.attributes
    role = iam.get_role(RoleName=name)["Role"]
    assert "Description" not in role or role["Description"] == ""
    assert role["MaxSessionDuration"] == 3600
    assert "PermissionsBoundary" not in role
    assert {t["Key"] for t in role.get("Tags", [])} == {"team"}
    assert iam.list_role_policies(RoleName=name)["PolicyNames"] == ["queues"]
    document = iam.get_role_policy(RoleName=name, PolicyName="queues")["PolicyDocument"]
    assert decoded(document) == allow("sqs:*")
    attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [writer]

    # A policy put on the role outside the stack does not keep it from being deleted.
    iam.attach_role_policy(RoleName=name, PolicyArn=reader)
    iam.put_role_policy(RoleName=name, PolicyName="extra", PolicyDocument=json.dumps(allow("s3:*")))
    current = Current("Role", name, changed, updated.attributes)
    delete_twice(world, ROLE, current, iam.get_role, RoleName=name)


def test_named_role_and_an_interrupted_create(world: World) -> None:
    iam = world.client("iam")
    ctx = world.context("Named")
    props = {"RoleName": "cfn-named-role", "AssumeRolePolicyDocument": TRUST, "Path": "/svc/"}
    made = world.run(ROLE.create(ctx, "Named", props))
    assert made.physical_id == "cfn-named-role"
    assert made.attributes["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/svc/cfn-named-role"
    with pytest.raises(ResourceFailed) as refused:
        world.run(ROLE.create(world.context("Again"), "Again", props))
    assert "already exists" in refused.value.message
    world.run(ROLE.delete(ctx, Current("Named", None, props)))
    assert missing(iam.get_role, RoleName="cfn-named-role")

    ctx = world.context("Unnamed")
    made = world.run(ROLE.create(ctx, "Unnamed", {"AssumeRolePolicyDocument": TRUST}))
    world.run(ROLE.delete(ctx, Current("Unnamed", None, {"AssumeRolePolicyDocument": TRUST})))
    assert missing(iam.get_role, RoleName=made.physical_id)


def test_a_role_is_refused_without_its_trust_policy(world: World) -> None:
    with pytest.raises(ResourceFailed, match="AssumeRolePolicyDocument"):
        world.run(ROLE.create(world.context("Bare"), "Bare", {}))
    with pytest.raises(ResourceFailed, match="unsupported property Color"):
        world.run(
            ROLE.create(
                world.context("Odd"), "Odd", {"AssumeRolePolicyDocument": TRUST, "Color": 1}
            )
        )


def test_user_and_group_lifecycle(world: World) -> None:
    iam = world.client("iam")
    reader = managed_policy(world, "group-reader")
    group_ctx = world.context("Team")
    group_props: dict[str, Any] = {
        "Path": "/teams/",
        "ManagedPolicyArns": [reader],
        "Policies": [{"PolicyName": "read", "PolicyDocument": allow("s3:GetObject")}],
    }
    group = world.run(GROUP.create(group_ctx, "Team", group_props))
    group_name = group.physical_id
    assert group.attributes["Arn"] == f"arn:aws:iam::{ACCOUNT}:group/teams/{group_name}"
    assert iam.list_group_policies(GroupName=group_name)["PolicyNames"] == ["read"]
    assert iam.list_attached_group_policies(GroupName=group_name)["AttachedPolicies"]

    user_ctx = world.context("Dev")
    user_props: dict[str, Any] = {
        "Groups": [group_name],
        "Policies": [{"PolicyName": "own", "PolicyDocument": allow("sqs:*")}],
        "Tags": [{"Key": "desk", "Value": "7"}],
    }
    user = world.run(USER.create(user_ctx, "Dev", user_props))
    user_name = user.physical_id
    assert user.attributes["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/{user_name}"
    groups = iam.list_groups_for_user(UserName=user_name)["Groups"]
    assert [g["GroupName"] for g in groups] == [group_name]
    tags = iam.list_user_tags(UserName=user_name)["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {"team": "altus", "desk": "7"}

    # Update: a new path, out of the group, the inline policy removed.
    changed: dict[str, Any] = {"Path": "/moved/", "Tags": [{"Key": "desk", "Value": "8"}]}
    updated = world.run(USER.update(user_ctx, Current("Dev", user_name, user_props), changed))
    assert updated.attributes["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/moved/{user_name}"
    assert iam.list_groups_for_user(UserName=user_name)["Groups"] == []
    assert iam.list_user_policies(UserName=user_name)["PolicyNames"] == []
    tags = iam.list_user_tags(UserName=user_name)["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {"team": "altus", "desk": "8"}
    assert {"UserName"} <= USER.replaced_by and {"GroupName"} <= GROUP.replaced_by

    group_changed: dict[str, Any] = {"Path": "/"}
    updated_group = world.run(
        GROUP.update(group_ctx, Current("Team", group_name, group_props), group_changed)
    )
    assert updated_group.attributes["Arn"] == f"arn:aws:iam::{ACCOUNT}:group/{group_name}"
    assert iam.list_group_policies(GroupName=group_name)["PolicyNames"] == []
    assert iam.list_attached_group_policies(GroupName=group_name)["AttachedPolicies"] == []

    # A user's delete takes it out of groups and deletes its keys (made outside).
    iam.add_user_to_group(GroupName=group_name, UserName=user_name)
    iam.create_access_key(UserName=user_name)
    world.run(USER.delete(user_ctx, Current("Dev", user_name, changed)))
    assert missing(iam.get_user, UserName=user_name)
    world.run(USER.delete(user_ctx, Current("Dev", user_name, changed)))
    world.run(GROUP.delete(group_ctx, Current("Team", group_name, group_changed)))
    assert missing(iam.get_group, GroupName=group_name)
    world.run(GROUP.delete(group_ctx, Current("Team", group_name, group_changed)))

    # Interrupted creates are found by the names they would have had.
    ctx = world.context("Lost")
    lost = world.run(USER.create(ctx, "Lost", {}))
    world.run(USER.delete(ctx, Current("Lost", None, {})))
    assert missing(iam.get_user, UserName=lost.physical_id)
    ctx = world.context("LostGroup")
    lost = world.run(GROUP.create(ctx, "LostGroup", {}))
    world.run(GROUP.delete(ctx, Current("LostGroup", None, {})))
    assert missing(iam.get_group, GroupName=lost.physical_id)


def test_a_login_profile_is_refused(world: World) -> None:
    with pytest.raises(ResourceFailed, match="LoginProfile"):
        world.run(USER.create(world.context("Web"), "Web", {"LoginProfile": {"Password": "x"}}))


def test_inline_policy_on_several_holders(world: World) -> None:
    iam = world.client("iam")
    roles = [
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]
        for name in ("holder-a", "holder-b")
    ]
    iam.create_user(UserName="holder-user")
    ctx = world.context("Shared")
    props: dict[str, Any] = {
        "PolicyName": "shared",
        "PolicyDocument": allow("sqs:SendMessage"),
        "Roles": ["holder-a", "holder-b"],
        "Users": ["holder-user"],
    }
    made = world.run(POLICY.create(ctx, "Shared", props))
    assert made.physical_id.startswith("tests-Share") and len(made.physical_id) == 25
    assert made.attributes == {"Id": made.physical_id}
    for role in roles:
        got = iam.get_role_policy(RoleName=role["RoleName"], PolicyName="shared")
        assert decoded(got["PolicyDocument"]) == allow("sqs:SendMessage")
    assert iam.list_user_policies(UserName="holder-user")["PolicyNames"] == ["shared"]

    # Renamed, rewritten, off one role and the user.
    changed: dict[str, Any] = {
        "PolicyName": "renamed",
        "PolicyDocument": allow("sqs:*"),
        "Roles": ["holder-b"],
    }
    updated = world.run(POLICY.update(ctx, Current("Shared", made.physical_id, props), changed))
    assert updated.physical_id == made.physical_id
    assert iam.list_role_policies(RoleName="holder-a")["PolicyNames"] == []
    assert iam.list_role_policies(RoleName="holder-b")["PolicyNames"] == ["renamed"]
    assert iam.list_user_policies(UserName="holder-user")["PolicyNames"] == []
    got = iam.get_role_policy(RoleName="holder-b", PolicyName="renamed")
    assert decoded(got["PolicyDocument"]) == allow("sqs:*")

    world.run(POLICY.delete(ctx, Current("Shared", None, changed)))
    assert iam.list_role_policies(RoleName="holder-b")["PolicyNames"] == []
    world.run(POLICY.delete(ctx, Current("Shared", made.physical_id, changed)))

    with pytest.raises(ResourceFailed, match="Groups, Roles, Users"):
        world.run(
            POLICY.create(ctx, "Shared", {"PolicyName": "p", "PolicyDocument": allow("s3:*")})
        )


def test_managed_policy_lifecycle(world: World) -> None:
    iam = world.client("iam")
    iam.create_role(RoleName="managed-holder", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.create_group(GroupName="managed-group")
    ctx = world.context("Managed")
    props: dict[str, Any] = {
        "Description": "reads",
        "Path": "/app/",
        "PolicyDocument": allow("s3:GetObject"),
        "Roles": ["managed-holder"],
    }
    made = world.run(MANAGED.create(ctx, "Managed", props))
    arn = made.physical_id
    assert arn.startswith(f"arn:aws:iam::{ACCOUNT}:policy/app/teststack-Managed-")
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    assert made.attributes["PolicyArn"] == arn
    assert made.attributes["PolicyId"] == policy["PolicyId"]
    assert made.attributes["AttachmentCount"] == 1
    assert made.attributes["DefaultVersionId"] == "v1"
    assert policy["Description"] == "reads"
    attached = iam.list_attached_role_policies(RoleName="managed-holder")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [arn]
    assert {"ManagedPolicyName", "Description", "Path"} <= MANAGED.replaced_by

    # Six new documents: the oldest version gives way each time after the fifth.
    current = Current("Managed", arn, props, made.attributes)
    for number in range(6):
        changed = {**props, "PolicyDocument": allow(f"s3:Action{number}"), "Roles": []}
        changed["Groups"] = ["managed-group"]
        outcome = world.run(MANAGED.update(ctx, current, changed))
        current = Current("Managed", arn, changed, outcome.attributes)
    assert current.attributes["DefaultVersionId"] == "v7"
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert len(versions) == 5
    default = iam.get_policy_version(PolicyArn=arn, VersionId="v7")["PolicyVersion"]
    assert decoded(default["Document"]) == allow("s3:Action5")
    assert iam.list_attached_role_policies(RoleName="managed-holder")["AttachedPolicies"] == []
    attached = iam.list_attached_group_policies(GroupName="managed-group")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [arn]

    # Attached outside the stack too: the delete detaches everything first.
    iam.attach_role_policy(RoleName="managed-holder", PolicyArn=arn)
    delete_twice(world, MANAGED, current, iam.get_policy, PolicyArn=arn)

    ctx = world.context("LostPolicy")
    lost = world.run(MANAGED.create(ctx, "LostPolicy", {"PolicyDocument": allow("s3:*")}))
    world.run(MANAGED.delete(ctx, Current("LostPolicy", None, {"PolicyDocument": allow("s3:*")})))
    assert missing(iam.get_policy, PolicyArn=lost.physical_id)


def test_access_key_lifecycle(world: World) -> None:
    iam = world.client("iam")
    iam.create_user(UserName="key-holder")
    ctx = world.context("Key")
    props: dict[str, Any] = {"UserName": "key-holder", "Status": "Inactive"}
    made = world.run(KEY.create(ctx, "Key", props))
    [key] = iam.list_access_keys(UserName="key-holder")["AccessKeyMetadata"]
    assert made.physical_id == key["AccessKeyId"] and key["Status"] == "Inactive"
    assert made.attributes["SecretAccessKey"]
    assert {"UserName", "Serial"} <= KEY.replaced_by

    changed = {"UserName": "key-holder"}
    updated = world.run(
        KEY.update(ctx, Current("Key", made.physical_id, props, made.attributes), changed)
    )
    assert updated.attributes["SecretAccessKey"] == made.attributes["SecretAccessKey"]
    [key] = iam.list_access_keys(UserName="key-holder")["AccessKeyMetadata"]
    assert key["Status"] == "Active"

    current = Current("Key", made.physical_id, changed, updated.attributes)
    world.run(KEY.delete(ctx, current))
    assert iam.list_access_keys(UserName="key-holder")["AccessKeyMetadata"] == []
    world.run(KEY.delete(ctx, current))
    world.run(KEY.delete(ctx, Current("Key", None, changed)))

"""IAM's users, access keys, managed policies and their versions, and permissions
boundaries, through boto3 against the in-process server: the shapes IAM answers with,
its errors and quotas, and what survives a restart. (What they allow and deny is
``tests/integration/test_auth.py``'s, on a server that enforces it.)"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import Server

ACCOUNT = "000000000000"
SEND = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}],
    }
)
READ = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sqs:ReceiveMessage", "Resource": "*"}],
    }
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    from altus.testing import Harness

    data_dir = tmp_path_factory.mktemp("iam")
    with Harness(clock=None, data_dir=data_dir, store=f"sqlite:{data_dir / 'altus.db'}") as h:
        yield Server(url=h.url, data_dir=data_dir)


def iam(server: Server) -> Any:
    return boto3.client(
        "iam",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 0}),
    )


def refusal(call: Any, **kwargs: Any) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    response = raised.value.response
    error = response["Error"]
    return response["ResponseMetadata"]["HTTPStatusCode"], error["Code"], error["Message"]


def test_a_user_is_made_listed_and_deleted_once_it_holds_nothing(server: Server) -> None:
    client = iam(server)
    made = client.create_user(UserName="Ann", Path="/team/", Tags=[{"Key": "k", "Value": "v"}])
    user = made["User"]
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/team/Ann"
    assert user["UserId"].startswith("AIDA") and len(user["UserId"]) == 21
    assert client.get_user(UserName="ann")["User"]["UserId"] == user["UserId"]
    assert [u["UserName"] for u in client.list_users(PathPrefix="/team/")["Users"]] == ["Ann"]
    assert refusal(client.create_user, UserName="ANN") == (
        409,
        "EntityAlreadyExists",
        "User with name ANN already exists.",
    )
    assert refusal(client.get_user, UserName="nobody") == (
        404,
        "NoSuchEntity",
        "The user with name nobody cannot be found.",
    )
    # The administrator is Altus's own: there, never made again nor removed.
    assert client.get_user(UserName="admin")["User"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/admin"
    assert refusal(client.create_user, UserName="admin")[1] == "EntityAlreadyExists"
    assert refusal(client.delete_user, UserName="admin")[1] == "UnmodifiableEntity"

    client.put_user_policy(UserName="Ann", PolicyName="send", PolicyDocument=SEND)
    assert client.list_user_policies(UserName="Ann")["PolicyNames"] == ["send"]
    document = client.get_user_policy(UserName="Ann", PolicyName="send")["PolicyDocument"]
    assert document == json.loads(SEND)
    assert refusal(client.delete_user, UserName="Ann") == (
        409,
        "DeleteConflict",
        "Cannot delete entity, must delete policies first.",
    )
    client.delete_user_policy(UserName="Ann", PolicyName="send")
    client.attach_user_policy(
        UserName="Ann", PolicyArn="arn:aws:iam::aws:policy/AmazonSQSFullAccess"
    )
    assert refusal(client.delete_user, UserName="Ann")[2] == (
        "Cannot delete entity, must detach all policies first."
    )
    client.detach_user_policy(
        UserName="Ann", PolicyArn="arn:aws:iam::aws:policy/AmazonSQSFullAccess"
    )
    key = client.create_access_key(UserName="Ann")["AccessKey"]
    assert refusal(client.delete_user, UserName="Ann")[2] == (
        "Cannot delete entity, must delete access keys first."
    )
    client.delete_access_key(UserName="Ann", AccessKeyId=key["AccessKeyId"])
    client.delete_user(UserName="Ann")
    assert refusal(client.get_user, UserName="Ann")[1] == "NoSuchEntity"


def test_a_user_has_at_most_two_access_keys_active_or_not(server: Server) -> None:
    client = iam(server)
    client.create_user(UserName="keyed")
    first = client.create_access_key(UserName="keyed")["AccessKey"]
    assert first["AccessKeyId"].startswith("AKIA") and len(first["AccessKeyId"]) == 20
    assert len(first["SecretAccessKey"]) == 40 and first["Status"] == "Active"
    second = client.create_access_key(UserName="keyed")["AccessKey"]
    client.update_access_key(UserName="keyed", AccessKeyId=second["AccessKeyId"], Status="Inactive")
    assert refusal(client.create_access_key, UserName="keyed") == (
        409,
        "LimitExceeded",
        "Cannot exceed quota for AccessKeysPerUser: 2",
    )
    listed = client.list_access_keys(UserName="keyed")["AccessKeyMetadata"]
    assert [(k["AccessKeyId"], k["Status"]) for k in listed] == [
        (first["AccessKeyId"], "Active"),
        (second["AccessKeyId"], "Inactive"),
    ]
    assert "SecretAccessKey" not in listed[0]
    # Another user's key is not this user's to change.
    client.create_user(UserName="other")
    assert refusal(
        client.delete_access_key, UserName="other", AccessKeyId=first["AccessKeyId"]
    ) == (404, "NoSuchEntity", f"The Access Key with id {first['AccessKeyId']} cannot be found.")
    assert refusal(
        client.update_access_key, UserName="keyed", AccessKeyId=first["AccessKeyId"], Status="Off"
    )[1] == ("ValidationError")


def test_a_customer_managed_policy_keeps_five_versions_one_of_them_default(
    server: Server,
) -> None:
    client = iam(server)
    made = client.create_policy(
        PolicyName="queues", Path="/app/", PolicyDocument=SEND, Description="send to queues"
    )["Policy"]
    arn = made["Arn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:policy/app/queues"
    assert made["PolicyId"].startswith("ANPA") and made["DefaultVersionId"] == "v1"
    assert (made["AttachmentCount"], made["IsAttachable"]) == (0, True)
    assert refusal(client.create_policy, PolicyName="QUEUES", PolicyDocument=SEND) == (
        409,
        "EntityAlreadyExists",
        "A policy called QUEUES already exists. Duplicate names are not allowed.",
    )
    assert refusal(client.create_policy, PolicyName="bad", PolicyDocument="{")[1] == (
        "MalformedPolicyDocument"
    )
    shown = client.get_policy(PolicyArn=arn)["Policy"]
    assert shown["Description"] == "send to queues"
    two = client.create_policy_version(PolicyArn=arn, PolicyDocument=READ, SetAsDefault=True)
    assert two["PolicyVersion"]["VersionId"] == "v2"
    assert two["PolicyVersion"]["IsDefaultVersion"] is True
    assert client.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"
    got = client.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert got["Document"] == json.loads(SEND)  # botocore decodes IAM's URL-encoded JSON
    for _ in range(3):
        client.create_policy_version(PolicyArn=arn, PolicyDocument=SEND)
    assert refusal(client.create_policy_version, PolicyArn=arn, PolicyDocument=SEND) == (
        409,
        "LimitExceeded",
        "A managed policy can have up to 5 versions. Before you create a new version, you "
        "must delete an existing version.",
    )
    versions = client.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in versions] == [
        ("v5", False),
        ("v4", False),
        ("v3", False),
        ("v2", True),
        ("v1", False),
    ]
    assert refusal(client.delete_policy_version, PolicyArn=arn, VersionId="v2") == (
        409,
        "DeleteConflict",
        "Cannot delete the default version of a policy.",
    )
    assert refusal(client.get_policy_version, PolicyArn=arn, VersionId="v9") == (
        404,
        "NoSuchEntity",
        f"Policy {arn} version v9 does not exist or is not attachable.",
    )
    client.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    client.create_role(RoleName="holder", AssumeRolePolicyDocument=_trust())
    client.attach_role_policy(RoleName="holder", PolicyArn=arn)
    assert client.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    local = client.list_policies(Scope="Local", OnlyAttached=True)["Policies"]
    assert [p["Arn"] for p in local] == [arn]
    assert refusal(client.delete_policy, PolicyArn=arn) == (
        409,
        "DeleteConflict",
        "Cannot delete a policy attached to entities.",
    )
    client.detach_role_policy(RoleName="holder", PolicyArn=arn)
    assert refusal(client.delete_policy, PolicyArn=arn)[2].startswith(
        "This policy has more than one version."
    )
    for version in ("v2", "v3", "v4", "v5"):
        client.delete_policy_version(PolicyArn=arn, VersionId=version)
    client.delete_policy(PolicyArn=arn)
    assert refusal(client.get_policy, PolicyArn=arn) == (
        404,
        "NoSuchEntity",
        f"Policy {arn} was not found.",
    )


def test_aws_managed_policies_are_listed_and_read_like_the_accounts_own(server: Server) -> None:
    client = iam(server)
    arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    policy = client.get_policy(PolicyArn=arn)["Policy"]
    assert policy["PolicyName"] == "AWSLambdaBasicExecutionRole"
    version = client.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])
    document = version["PolicyVersion"]["Document"]
    assert "logs:PutLogEvents" in json.dumps(document)
    aws = client.list_policies(Scope="AWS", PathPrefix="/service-role/")["Policies"]
    assert arn in [p["Arn"] for p in aws]
    assert all(p["Arn"].startswith("arn:aws:iam::aws:policy/service-role/") for p in aws)
    # AWS's are not the account's to change.
    assert refusal(client.delete_policy, PolicyArn=arn)[1] == "NoSuchEntity"
    assert refusal(
        client.attach_role_policy,
        RoleName="altus-function",
        PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicy",
    ) == (
        404,
        "NoSuchEntity",
        "Policy arn:aws:iam::aws:policy/NoSuchPolicy does not exist or is not attachable.",
    )


def test_a_role_or_user_holds_at_most_ten_managed_policies(server: Server) -> None:
    client = iam(server)
    client.create_user(UserName="collector")
    arns = [
        client.create_policy(PolicyName=f"many-{n}", PolicyDocument=SEND)["Policy"]["Arn"]
        for n in range(11)
    ]
    for arn in arns[:10]:
        client.attach_user_policy(UserName="collector", PolicyArn=arn)
    assert refusal(client.attach_user_policy, UserName="collector", PolicyArn=arns[10]) == (
        409,
        "LimitExceeded",
        "Cannot exceed quota for PoliciesPerUser: 10",
    )
    # Attaching one already attached changes nothing, and is no error.
    client.attach_user_policy(UserName="collector", PolicyArn=arns[0])
    attached = client.list_attached_user_policies(UserName="collector", MaxItems=4)
    assert attached["IsTruncated"] is True and len(attached["AttachedPolicies"]) == 4
    rest = client.list_attached_user_policies(UserName="collector", Marker=attached["Marker"])
    assert len(rest["AttachedPolicies"]) == 6


def test_permissions_boundaries_are_set_shown_and_counted(server: Server) -> None:
    client = iam(server)
    boundary = client.create_policy(PolicyName="edge", PolicyDocument=SEND)["Policy"]["Arn"]
    client.create_role(
        RoleName="bounded", AssumeRolePolicyDocument=_trust(), PermissionsBoundary=boundary
    )
    client.create_user(UserName="bounded-user")
    client.put_user_permissions_boundary(UserName="bounded-user", PermissionsBoundary=boundary)
    expected = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary}
    assert client.get_role(RoleName="bounded")["Role"]["PermissionsBoundary"] == expected
    assert client.get_user(UserName="bounded-user")["User"]["PermissionsBoundary"] == expected
    assert client.get_policy(PolicyArn=boundary)["Policy"]["PermissionsBoundaryUsageCount"] == 2
    assert refusal(client.delete_policy, PolicyArn=boundary)[1] == "DeleteConflict"
    missing = f"arn:aws:iam::{ACCOUNT}:policy/none"
    assert refusal(
        client.put_role_permissions_boundary, RoleName="bounded", PermissionsBoundary=missing
    )[1] == ("NoSuchEntity")
    client.delete_role_permissions_boundary(RoleName="bounded")
    client.delete_user_permissions_boundary(UserName="bounded-user")
    assert "PermissionsBoundary" not in client.get_role(RoleName="bounded")["Role"]
    client.delete_policy(PolicyArn=boundary)


def test_users_keys_and_policies_survive_a_restart(tmp_path: Path) -> None:
    from altus.testing import Harness

    store = f"sqlite:{tmp_path / 'altus.db'}"
    with Harness(clock=None, data_dir=tmp_path, store=store) as harness:
        client = iam(Server(url=harness.url, data_dir=tmp_path))
        client.create_user(UserName="kept")
        key = client.create_access_key(UserName="kept")["AccessKey"]["AccessKeyId"]
        arn = client.create_policy(PolicyName="kept", PolicyDocument=SEND)["Policy"]["Arn"]
        client.create_policy_version(PolicyArn=arn, PolicyDocument=READ, SetAsDefault=True)
        client.attach_user_policy(UserName="kept", PolicyArn=arn)
    with Harness(clock=None, data_dir=tmp_path, store=store) as harness:
        client = iam(Server(url=harness.url, data_dir=tmp_path))
        assert client.get_user(UserName="kept")["User"]["UserName"] == "kept"
        keys = client.list_access_keys(UserName="kept")["AccessKeyMetadata"]
        assert [k["AccessKeyId"] for k in keys] == [key]
        assert client.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"
        attached = client.list_attached_user_policies(UserName="kept")["AttachedPolicies"]
        assert attached == [{"PolicyName": "kept", "PolicyArn": arn}]


def _trust() -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )


# --- groups ---------------------------------------------------------------------------------


def test_a_group_is_made_listed_paged_and_deleted_once_empty(server: Server) -> None:
    client = iam(server)
    made = client.create_group(GroupName="Builders", Path="/eng/")["Group"]
    assert made["Arn"] == f"arn:aws:iam::{ACCOUNT}:group/eng/Builders"
    assert made["GroupId"].startswith("AGPA") and len(made["GroupId"]) == 21
    assert made["Path"] == "/eng/" and made["GroupName"] == "Builders"
    assert refusal(client.create_group, GroupName="BUILDERS") == (
        409,
        "EntityAlreadyExists",
        "Group with name BUILDERS already exists.",
    )
    assert refusal(client.get_group, GroupName="nobody") == (
        404,
        "NoSuchEntity",
        "The group with name nobody cannot be found.",
    )
    client.create_group(GroupName="builders-two", Path="/eng/")
    client.create_group(GroupName="outsiders", Path="/other/")
    eng = client.list_groups(PathPrefix="/eng/")
    assert [g["GroupName"] for g in eng["Groups"]] == ["Builders", "builders-two"]
    first = client.list_groups(PathPrefix="/eng/", MaxItems=1)
    assert first["IsTruncated"] is True and len(first["Groups"]) == 1
    rest = client.list_groups(PathPrefix="/eng/", Marker=first["Marker"])
    assert [g["GroupName"] for g in rest["Groups"]] == ["builders-two"]

    for name in ("gm-c", "gm-a", "gm-b"):
        client.create_user(UserName=name)
        client.add_user_to_group(GroupName="builders", UserName=name)
    client.add_user_to_group(GroupName="Builders", UserName="gm-a")  # already in: no error
    got = client.get_group(GroupName="builders", MaxItems=2)
    assert got["Group"]["GroupId"] == made["GroupId"]
    assert [u["UserName"] for u in got["Users"]] == ["gm-a", "gm-b"]
    assert got["IsTruncated"] is True
    more = client.get_group(GroupName="builders", Marker=got["Marker"])
    assert [u["UserName"] for u in more["Users"]] == ["gm-c"] and more["IsTruncated"] is False
    groups = client.list_groups_for_user(UserName="gm-a")["Groups"]
    assert [g["Arn"] for g in groups] == [made["Arn"]]
    assert refusal(client.add_user_to_group, GroupName="Builders", UserName="ghost") == (
        404,
        "NoSuchEntity",
        "The user with name ghost cannot be found.",
    )
    assert refusal(client.add_user_to_group, GroupName="ghosts", UserName="gm-a")[1] == (
        "NoSuchEntity"
    )
    assert refusal(client.list_groups_for_user, UserName="ghost")[1] == "NoSuchEntity"
    # The administrator is Altus's own: it joins no group.
    assert refusal(client.add_user_to_group, GroupName="Builders", UserName="admin")[1] == (
        "UnmodifiableEntity"
    )
    assert client.list_groups_for_user(UserName="admin")["Groups"] == []

    # Neither the group nor a member goes while they are bound to each other.
    assert refusal(client.delete_group, GroupName="Builders") == (
        409,
        "DeleteConflict",
        "Cannot delete entity, must remove users from group first.",
    )
    assert refusal(client.delete_user, UserName="gm-a") == (
        409,
        "DeleteConflict",
        "Cannot delete entity, must remove users from group first.",
    )
    for name in ("gm-a", "gm-b", "gm-c"):
        client.remove_user_from_group(GroupName="Builders", UserName=name)
    client.remove_user_from_group(GroupName="Builders", UserName="gm-a")  # not in: no error
    assert client.list_groups_for_user(UserName="gm-a")["Groups"] == []
    client.delete_user(UserName="gm-a")

    client.put_group_policy(GroupName="Builders", PolicyName="send", PolicyDocument=SEND)
    assert refusal(client.delete_group, GroupName="Builders")[2] == (
        "Cannot delete entity, must delete policies first."
    )
    client.delete_group_policy(GroupName="Builders", PolicyName="send")
    client.attach_group_policy(
        GroupName="Builders", PolicyArn="arn:aws:iam::aws:policy/AmazonSQSFullAccess"
    )
    assert refusal(client.delete_group, GroupName="Builders")[2] == (
        "Cannot delete entity, must detach all policies first."
    )
    client.detach_group_policy(
        GroupName="Builders", PolicyArn="arn:aws:iam::aws:policy/AmazonSQSFullAccess"
    )
    client.delete_group(GroupName="Builders")
    assert refusal(client.get_group, GroupName="Builders")[1] == "NoSuchEntity"


def test_a_group_holds_inline_and_at_most_ten_managed_policies(server: Server) -> None:
    client = iam(server)
    client.create_group(GroupName="holders")
    client.put_group_policy(GroupName="holders", PolicyName="send", PolicyDocument=SEND)
    client.put_group_policy(GroupName="HOLDERS", PolicyName="read", PolicyDocument=READ)
    assert client.list_group_policies(GroupName="holders")["PolicyNames"] == ["read", "send"]
    got = client.get_group_policy(GroupName="holders", PolicyName="send")
    assert (got["GroupName"], got["PolicyName"]) == ("holders", "send")
    assert got["PolicyDocument"] == json.loads(SEND)
    assert refusal(client.get_group_policy, GroupName="holders", PolicyName="none") == (
        404,
        "NoSuchEntity",
        "The group policy with name none cannot be found.",
    )
    assert refusal(
        client.put_group_policy, GroupName="holders", PolicyName="bad", PolicyDocument="{"
    )[1] == ("MalformedPolicyDocument")
    arns = [
        client.create_policy(PolicyName=f"group-{n}", Path="/grp/", PolicyDocument=SEND)["Policy"][
            "Arn"
        ]
        for n in range(11)
    ]
    for arn in arns[:10]:
        client.attach_group_policy(GroupName="holders", PolicyArn=arn)
    assert refusal(client.attach_group_policy, GroupName="holders", PolicyArn=arns[10]) == (
        409,
        "LimitExceeded",
        "Cannot exceed quota for PoliciesPerGroup: 10",
    )
    attached = client.list_attached_group_policies(GroupName="holders", MaxItems=6)
    assert attached["IsTruncated"] is True and len(attached["AttachedPolicies"]) == 6
    rest = client.list_attached_group_policies(GroupName="holders", Marker=attached["Marker"])
    assert len(rest["AttachedPolicies"]) == 4
    # A group's attachments count, as roles' and users' do.
    assert client.get_policy(PolicyArn=arns[0])["Policy"]["AttachmentCount"] == 1
    assert refusal(client.delete_policy, PolicyArn=arns[0])[1] == "DeleteConflict"
    assert refusal(client.detach_group_policy, GroupName="holders", PolicyArn=arns[10]) == (
        404,
        "NoSuchEntity",
        f"Policy {arns[10]} was not found.",
    )


def test_a_user_is_a_member_of_at_most_ten_groups(server: Server) -> None:
    client = iam(server)
    client.create_user(UserName="joiner")
    for n in range(11):
        client.create_group(GroupName=f"club-{n}")
    for n in range(10):
        client.add_user_to_group(GroupName=f"club-{n}", UserName="joiner")
    assert refusal(client.add_user_to_group, GroupName="club-10", UserName="joiner") == (
        409,
        "LimitExceeded",
        "Cannot exceed quota for GroupsPerUser: 10",
    )
    page = client.list_groups_for_user(UserName="joiner", MaxItems=7)
    assert page["IsTruncated"] is True
    rest = client.list_groups_for_user(UserName="joiner", Marker=page["Marker"])
    assert len(page["Groups"]) + len(rest["Groups"]) == 10


def test_a_group_renamed_keeps_its_id_members_and_policies(server: Server) -> None:
    client = iam(server)
    group = client.create_group(GroupName="before")["Group"]
    client.create_user(UserName="renamed-member")
    client.add_user_to_group(GroupName="before", UserName="renamed-member")
    client.put_group_policy(GroupName="before", PolicyName="send", PolicyDocument=SEND)
    client.attach_group_policy(
        GroupName="before", PolicyArn="arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess"
    )
    client.create_group(GroupName="taken")
    assert refusal(client.update_group, GroupName="before", NewGroupName="TAKEN") == (
        409,
        "EntityAlreadyExists",
        "Group with name TAKEN already exists.",
    )
    client.update_group(GroupName="before", NewGroupName="after", NewPath="/moved/")
    assert refusal(client.get_group, GroupName="before")[1] == "NoSuchEntity"
    got = client.get_group(GroupName="after")
    assert got["Group"]["GroupId"] == group["GroupId"]
    assert got["Group"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:group/moved/after"
    assert [u["UserName"] for u in got["Users"]] == ["renamed-member"]
    assert client.list_group_policies(GroupName="after")["PolicyNames"] == ["send"]
    attached = client.list_attached_group_policies(GroupName="after")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AmazonSQSReadOnlyAccess"]
    groups = client.list_groups_for_user(UserName="renamed-member")["Groups"]
    assert [g["GroupName"] for g in groups] == ["after"]
    assert refusal(client.update_group, GroupName="before", NewPath="/x/")[1] == "NoSuchEntity"


# --- which entities a policy is attached to --------------------------------------------------


def test_list_entities_for_policy_finds_groups_users_and_roles(server: Server) -> None:
    client = iam(server)
    arn = client.create_policy(PolicyName="entities", PolicyDocument=SEND)["Policy"]["Arn"]
    group = client.create_group(GroupName="ent-group", Path="/ent/")["Group"]
    user = client.create_user(UserName="ent-user", Path="/ent/")["User"]
    bounded = client.create_user(UserName="ent-bounded", PermissionsBoundary=arn)["User"]
    role = client.create_role(RoleName="ent-role", AssumeRolePolicyDocument=_trust())["Role"]
    client.attach_group_policy(GroupName="ent-group", PolicyArn=arn)
    client.attach_user_policy(UserName="ent-user", PolicyArn=arn)
    client.attach_role_policy(RoleName="ent-role", PolicyArn=arn)
    everything = client.list_entities_for_policy(PolicyArn=arn)
    assert everything["PolicyGroups"] == [{"GroupName": "ent-group", "GroupId": group["GroupId"]}]
    assert everything["PolicyUsers"] == [
        {"UserName": "ent-bounded", "UserId": bounded["UserId"]},
        {"UserName": "ent-user", "UserId": user["UserId"]},
    ]
    assert everything["PolicyRoles"] == [{"RoleName": "ent-role", "RoleId": role["RoleId"]}]
    assert everything["IsTruncated"] is False
    attached = client.list_entities_for_policy(PolicyArn=arn, PolicyUsageFilter="PermissionsPolicy")
    assert [u["UserName"] for u in attached["PolicyUsers"]] == ["ent-user"]
    bounding = client.list_entities_for_policy(
        PolicyArn=arn, PolicyUsageFilter="PermissionsBoundary"
    )
    assert [u["UserName"] for u in bounding["PolicyUsers"]] == ["ent-bounded"]
    assert (bounding["PolicyGroups"], bounding["PolicyRoles"]) == ([], [])
    roles = client.list_entities_for_policy(PolicyArn=arn, EntityFilter="Role")
    assert (len(roles["PolicyRoles"]), roles["PolicyUsers"], roles["PolicyGroups"]) == (1, [], [])
    under = client.list_entities_for_policy(PolicyArn=arn, PathPrefix="/ent/")
    assert [g["GroupName"] for g in under["PolicyGroups"]] == ["ent-group"]
    assert [u["UserName"] for u in under["PolicyUsers"]] == ["ent-user"]
    assert under["PolicyRoles"] == []
    assert client.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 3
    # One list, paged: groups, then users, then roles.
    first = client.list_entities_for_policy(PolicyArn=arn, MaxItems=2)
    assert first["IsTruncated"] is True
    assert (len(first["PolicyGroups"]), len(first["PolicyUsers"])) == (1, 1)
    second = client.list_entities_for_policy(PolicyArn=arn, Marker=first["Marker"])
    assert [u["UserName"] for u in second["PolicyUsers"]] == ["ent-user"]
    assert len(second["PolicyRoles"]) == 1 and second["IsTruncated"] is False
    missing = f"arn:aws:iam::{ACCOUNT}:policy/none"
    assert refusal(client.list_entities_for_policy, PolicyArn=missing) == (
        404,
        "NoSuchEntity",
        f"Policy {missing} was not found.",
    )


# --- tags -----------------------------------------------------------------------------------


def test_roles_and_users_tags_keys_are_compared_without_case(server: Server) -> None:
    client = iam(server)
    client.create_role(
        RoleName="tagged", AssumeRolePolicyDocument=_trust(), Tags=[{"Key": "Team", "Value": "a"}]
    )
    client.tag_role(
        RoleName="tagged",
        Tags=[{"Key": "Department", "Value": "finance"}, {"Key": "Cost", "Value": "1"}],
    )
    # A key in another case replaces the tag, and is kept as given.
    client.tag_role(RoleName="tagged", Tags=[{"Key": "department", "Value": "hr"}])
    tags = client.list_role_tags(RoleName="tagged")["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [
        ("Cost", "1"),
        ("Team", "a"),
        ("department", "hr"),
    ]
    assert len(client.get_role(RoleName="tagged")["Role"]["Tags"]) == 3
    client.untag_role(RoleName="tagged", TagKeys=["TEAM", "never-there"])
    remaining = client.list_role_tags(RoleName="tagged", MaxItems=1)
    assert remaining["IsTruncated"] is True and len(remaining["Tags"]) == 1
    rest = client.list_role_tags(RoleName="tagged", Marker=remaining["Marker"])
    assert {t["Key"] for t in remaining["Tags"] + rest["Tags"]} == {"Cost", "department"}
    assert refusal(
        client.tag_role,
        RoleName="tagged",
        Tags=[{"Key": "k", "Value": "1"}, {"Key": "K", "Value": "2"}],
    ) == (
        400,
        "InvalidInput",
        "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
    )
    assert refusal(client.tag_role, RoleName="tagged", Tags=[{"Key": "aws:x", "Value": "1"}])[
        :2
    ] == (400, "InvalidInput")
    assert refusal(client.list_role_tags, RoleName="ghost")[1] == "NoSuchEntity"

    client.create_user(UserName="tagged-user")
    client.tag_user(UserName="tagged-user", Tags=[{"Key": "Department", "Value": "finance"}])
    client.tag_user(UserName="TAGGED-USER", Tags=[{"Key": "department", "Value": "hr"}])
    assert client.list_user_tags(UserName="tagged-user")["Tags"] == [
        {"Key": "department", "Value": "hr"}
    ]
    client.untag_user(UserName="tagged-user", TagKeys=["DEPARTMENT"])
    assert client.list_user_tags(UserName="tagged-user")["Tags"] == []
    assert client.list_user_tags(UserName="admin")["Tags"] == []
    assert refusal(client.tag_user, UserName="admin", Tags=[{"Key": "k", "Value": "v"}])[1] == (
        "UnmodifiableEntity"
    )


def test_a_resource_has_at_most_fifty_tags(server: Server) -> None:
    client = iam(server)
    client.create_user(UserName="many-tags")
    first = [{"Key": f"k{n}", "Value": "v"} for n in range(30)]
    client.tag_user(UserName="many-tags", Tags=first)
    more = [{"Key": f"m{n}", "Value": "v"} for n in range(21)]
    assert refusal(client.tag_user, UserName="many-tags", Tags=more) == (
        409,
        "LimitExceeded",
        "Cannot exceed quota for TagsPerUser: 50",
    )
    assert len(client.list_user_tags(UserName="many-tags")["Tags"]) == 30  # nothing added
    # Replacing values (in any case) adds no tag.
    client.tag_user(UserName="many-tags", Tags=[{"Key": f"K{n}", "Value": "w"} for n in range(30)])
    client.tag_user(UserName="many-tags", Tags=more[:20])
    assert len(client.list_user_tags(UserName="many-tags")["Tags"]) == 50
    client.create_role(RoleName="many-tags", AssumeRolePolicyDocument=_trust(), Tags=first)
    assert refusal(client.tag_role, RoleName="many-tags", Tags=more)[2] == (
        "Cannot exceed quota for TagsPerRole: 50"
    )
    arn = client.create_policy(PolicyName="many-tags", PolicyDocument=SEND, Tags=first)["Policy"][
        "Arn"
    ]
    assert refusal(client.tag_policy, PolicyArn=arn, Tags=more)[2] == (
        "Cannot exceed quota for TagsPerPolicy: 50"
    )


def test_a_policys_tag_keys_are_compared_with_case(server: Server) -> None:
    client = iam(server)
    arn = client.create_policy(
        PolicyName="tagged-policy", PolicyDocument=SEND, Tags=[{"Key": "Costcenter", "Value": "1"}]
    )["Policy"]["Arn"]
    client.tag_policy(PolicyArn=arn, Tags=[{"Key": "costcenter", "Value": "2"}])
    tags = client.list_policy_tags(PolicyArn=arn)["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [
        ("Costcenter", "1"),
        ("costcenter", "2"),
    ]
    client.untag_policy(PolicyArn=arn, TagKeys=["COSTCENTER", "Costcenter"])
    assert client.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "costcenter", "Value": "2"}]
    assert client.get_policy(PolicyArn=arn)["Policy"]["Tags"] == [
        {"Key": "costcenter", "Value": "2"}
    ]
    aws = "arn:aws:iam::aws:policy/AmazonSQSFullAccess"
    assert client.list_policy_tags(PolicyArn=aws)["Tags"] == []
    assert refusal(client.tag_policy, PolicyArn=aws, Tags=[{"Key": "k", "Value": "v"}]) == (
        404,
        "NoSuchEntity",
        f"Policy {aws} was not found.",
    )


# --- updating roles and users ---------------------------------------------------------------


def test_update_role_changes_its_description_and_session_limit(server: Server) -> None:
    client = iam(server)
    client.create_role(RoleName="updated", AssumeRolePolicyDocument=_trust(), Description="old")
    client.update_role(RoleName="updated", MaxSessionDuration=43200)
    role = client.get_role(RoleName="updated")["Role"]
    assert (role["MaxSessionDuration"], role["Description"]) == (43200, "old")
    answered = client.update_role_description(RoleName="UPDATED", Description="new")["Role"]
    assert (answered["RoleName"], answered["Description"]) == ("updated", "new")
    assert answered["MaxSessionDuration"] == 43200
    client.update_role(RoleName="updated", Description="")
    assert "Description" not in client.get_role(RoleName="updated")["Role"]
    # botocore checks the least on the client; the most, and what an unchecked client
    # sends, the server checks from the model.
    unchecked = boto3.client(
        "iam",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 0}, parameter_validation=False),
    )
    for seconds in (43201, 3599):
        status, code, message = refusal(
            unchecked.update_role, RoleName="updated", MaxSessionDuration=seconds
        )
        assert (status, code) == (400, "ValidationError")
        assert "maxSessionDuration" in message
    assert client.get_role(RoleName="updated")["Role"]["MaxSessionDuration"] == 43200
    assert refusal(client.update_role, RoleName="ghost", Description="x")[1] == "NoSuchEntity"


def test_a_user_renamed_keeps_its_id_policies_groups_and_keys(server: Server) -> None:
    client = iam(server)
    user = client.create_user(UserName="old-name", Path="/a/")["User"]
    key = client.create_access_key(UserName="old-name")["AccessKey"]["AccessKeyId"]
    client.put_user_policy(UserName="old-name", PolicyName="send", PolicyDocument=SEND)
    client.attach_user_policy(
        UserName="old-name", PolicyArn="arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess"
    )
    client.create_group(GroupName="rename-club")
    client.add_user_to_group(GroupName="rename-club", UserName="old-name")
    client.create_user(UserName="occupied")
    assert refusal(client.update_user, UserName="old-name", NewUserName="OCCUPIED") == (
        409,
        "EntityAlreadyExists",
        "User with name OCCUPIED already exists.",
    )
    assert refusal(client.update_user, UserName="old-name", NewUserName="admin")[1] == (
        "EntityAlreadyExists"
    )
    assert refusal(client.update_user, UserName="admin", NewUserName="root2")[1] == (
        "UnmodifiableEntity"
    )
    client.update_user(UserName="old-name", NewUserName="new-name", NewPath="/b/")
    assert refusal(client.get_user, UserName="old-name")[1] == "NoSuchEntity"
    renamed = client.get_user(UserName="new-name")["User"]
    assert renamed["UserId"] == user["UserId"]
    assert renamed["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/b/new-name"
    assert client.list_user_policies(UserName="new-name")["PolicyNames"] == ["send"]
    attached = client.list_attached_user_policies(UserName="new-name")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AmazonSQSReadOnlyAccess"]
    groups = client.list_groups_for_user(UserName="new-name")["Groups"]
    assert [g["GroupName"] for g in groups] == ["rename-club"]
    assert [u["UserName"] for u in client.get_group(GroupName="rename-club")["Users"]] == [
        "new-name"
    ]
    keys = client.list_access_keys(UserName="new-name")["AccessKeyMetadata"]
    assert [(k["AccessKeyId"], k["UserName"]) for k in keys] == [(key, "new-name")]
    # Its old name is free again, for a user with an id of its own.
    again = client.create_user(UserName="old-name", Path="/a/")["User"]
    assert again["UserId"] != user["UserId"]
    assert client.list_access_keys(UserName="old-name")["AccessKeyMetadata"] == []
    # A move within the path alone keeps everything too.
    client.update_user(UserName="new-name", NewPath="/c/")
    assert client.get_user(UserName="new-name")["User"]["Path"] == "/c/"
    assert len(client.list_access_keys(UserName="new-name")["AccessKeyMetadata"]) == 1


def test_groups_tags_renames_and_their_keys_survive_a_restart(tmp_path: Path) -> None:
    from altus.testing import Harness

    store = f"sqlite:{tmp_path / 'altus.db'}"
    with Harness(clock=None, data_dir=tmp_path, store=store) as harness:
        client = iam(Server(url=harness.url, data_dir=tmp_path))
        group = client.create_group(GroupName="kept-group", Path="/k/")["Group"]
        client.create_user(UserName="kept-user", Tags=[{"Key": "a", "Value": "1"}])
        key = client.create_access_key(UserName="kept-user")["AccessKey"]["AccessKeyId"]
        client.add_user_to_group(GroupName="kept-group", UserName="kept-user")
        client.put_group_policy(GroupName="kept-group", PolicyName="send", PolicyDocument=SEND)
        client.attach_group_policy(
            GroupName="kept-group", PolicyArn="arn:aws:iam::aws:policy/AmazonSQSFullAccess"
        )
        client.create_role(RoleName="kept-role", AssumeRolePolicyDocument=_trust())
        client.tag_role(RoleName="kept-role", Tags=[{"Key": "Team", "Value": "x"}])
        client.update_role(RoleName="kept-role", MaxSessionDuration=7200, Description="d")
        arn = client.create_policy(PolicyName="kept-tags", PolicyDocument=SEND)["Policy"]["Arn"]
        client.tag_policy(PolicyArn=arn, Tags=[{"Key": "p", "Value": "q"}])
        client.update_user(UserName="kept-user", NewUserName="kept-renamed")
        client.update_group(GroupName="kept-group", NewGroupName="kept-renamed-group")
    with Harness(clock=None, data_dir=tmp_path, store=store) as harness:
        client = iam(Server(url=harness.url, data_dir=tmp_path))
        got = client.get_group(GroupName="kept-renamed-group")
        assert got["Group"]["GroupId"] == group["GroupId"]
        assert [u["UserName"] for u in got["Users"]] == ["kept-renamed"]
        assert client.list_group_policies(GroupName="kept-renamed-group")["PolicyNames"] == ["send"]
        attached = client.list_attached_group_policies(GroupName="kept-renamed-group")
        assert [p["PolicyName"] for p in attached["AttachedPolicies"]] == ["AmazonSQSFullAccess"]
        keys = client.list_access_keys(UserName="kept-renamed")["AccessKeyMetadata"]
        assert [k["AccessKeyId"] for k in keys] == [key]
        assert client.list_user_tags(UserName="kept-renamed")["Tags"] == [
            {"Key": "a", "Value": "1"}
        ]
        role = client.get_role(RoleName="kept-role")["Role"]
        assert (role["MaxSessionDuration"], role["Description"]) == (7200, "d")
        assert role["Tags"] == [{"Key": "Team", "Value": "x"}]
        assert client.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "p", "Value": "q"}]


def test_a_rename_a_crash_cut_short_is_finished_at_start(tmp_path: Path) -> None:
    """The user's row was renamed and the rename recorded, but its keys were not moved
    yet (a crash in between): the next start moves them."""
    import asyncio
    import dataclasses

    from altus.iam.users import SqlUserStore
    from altus.store.storage import Storage
    from altus.testing import Harness

    store = f"sqlite:{tmp_path / 'altus.db'}"
    with Harness(clock=None, data_dir=tmp_path, store=store) as harness:
        client = iam(Server(url=harness.url, data_dir=tmp_path))
        client.create_user(UserName="cut")
        key = client.create_access_key(UserName="cut")["AccessKey"]["AccessKeyId"]

    async def rename_without_keys() -> None:
        storage = Storage(store)
        users = SqlUserStore(storage.database())
        (user,) = [u for u in await users.users() if u.name == "cut"]
        old, new = f"arn:aws:iam::{ACCOUNT}:user/cut", f"arn:aws:iam::{ACCOUNT}:user/short"
        await users.rename("cut", dataclasses.replace(user, name="short"), old, new, 1)
        await asyncio.to_thread(storage.close)

    asyncio.run(rename_without_keys())
    with Harness(clock=None, data_dir=tmp_path, store=store) as harness:
        client = iam(Server(url=harness.url, data_dir=tmp_path))
        keys = client.list_access_keys(UserName="short")["AccessKeyMetadata"]
        assert [k["AccessKeyId"] for k in keys] == [key]

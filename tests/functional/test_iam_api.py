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

"""STS on an open server (the harness, in this process): who a caller is, from its key
where Altus knows it, the account's root where it does not; what Altus does not serve of
STS is refused in STS's own shape."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import Server

ACCOUNT = "000000000000"


@pytest.fixture(scope="module")
def server(inproc_stored: Server) -> Server:
    return inproc_stored


def sts(server: Server, key_id: str = "x", secret: str = "x") -> Any:
    return boto3.client(
        "sts",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 0}),
    )


def test_any_key_is_the_account_root_on_an_open_server(server: Server) -> None:
    caller = sts(server).get_caller_identity()
    assert (caller["UserId"], caller["Account"]) == (ACCOUNT, ACCOUNT)
    assert caller["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"


def test_the_administrator_key_is_the_admin_user(server: Server) -> None:
    from altus.identity.keys import read_credentials

    found = read_credentials(server.data_dir / "credentials")
    assert found is not None
    caller = sts(server, found[0], found[1]).get_caller_identity()
    assert caller["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/admin"
    assert caller["UserId"].startswith("AIDA") and len(caller["UserId"]) == 21
    # Stable: the same principal, the same id.
    assert sts(server, found[0], found[1]).get_caller_identity()["UserId"] == caller["UserId"]


def test_an_operation_altus_does_not_serve_is_refused_in_sts_shape(server: Server) -> None:
    with pytest.raises(ClientError) as raised:
        sts(server).get_federation_token(Name="nope")
    error = raised.value.response["Error"]
    assert (error["Type"], error["Code"]) == ("Sender", "InvalidAction")
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_the_root_of_an_open_server_assumes_a_role_that_trusts_the_account(
    server: Server,
) -> None:
    iam = boto3.client(
        "iam",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    trust = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"'
        + ACCOUNT
        + '"},"Action":"sts:AssumeRole"}]}'
    )
    arn = iam.create_role(RoleName="open-deployer", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    assumed = sts(server).assume_role(RoleArn=arn, RoleSessionName="me")["AssumedRoleUser"]
    assert assumed["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/open-deployer/me"
    # altus-function trusts Lambda only.
    with pytest.raises(ClientError) as raised:
        sts(server).assume_role(
            RoleArn=f"arn:aws:iam::{ACCOUNT}:role/altus-function", RoleSessionName="me"
        )
    assert raised.value.response["Error"]["Code"] == "AccessDenied"


def _iam(server: Server) -> Any:
    return boto3.client(
        "iam",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 0}),
    )


def test_get_access_key_info_answers_this_servers_account(server: Server) -> None:
    iam = _iam(server)
    iam.create_user(UserName="key-info")
    key = iam.create_access_key(UserName="key-info")["AccessKey"]
    assert sts(server).get_access_key_info(AccessKeyId=key["AccessKeyId"])["Account"] == ACCOUNT
    # A key id Altus never made: AWS decodes its account from it; Altus answers its own.
    unknown = sts(server).get_access_key_info(AccessKeyId="AKIAIOSFODNN7EXAMPLE")
    assert unknown["Account"] == ACCOUNT
    unchecked = boto3.client(
        "sts",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 0}, parameter_validation=False),
    )
    with pytest.raises(ClientError) as raised:
        unchecked.get_access_key_info(AccessKeyId="AKIA")  # shorter than the model allows
    assert raised.value.response["Error"]["Code"] == "ValidationError"


def test_a_renamed_user_keeps_the_id_sts_reports(server: Server) -> None:
    iam = _iam(server)
    user = iam.create_user(UserName="sts-before")["User"]
    key = iam.create_access_key(UserName="sts-before")["AccessKey"]
    as_user = sts(server, key["AccessKeyId"], key["SecretAccessKey"])
    assert as_user.get_caller_identity()["UserId"] == user["UserId"]
    iam.update_user(UserName="sts-before", NewUserName="sts-after")
    caller = as_user.get_caller_identity()
    assert caller["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/sts-after"
    assert caller["UserId"] == user["UserId"]

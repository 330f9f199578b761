"""S3 where requests are authorised (``--auth iam``), for what an operation checks
itself beyond its own action: a copy must be allowed to read its source (the source
bucket's policy applying), DeleteObjects is authorised key by key, and a read of a
missing key says 404 only to a caller allowed to list the bucket."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from altus.identity.keys import read_credentials
from altus.testing import Harness

REGION = "us-east-1"


class Server:
    def __init__(self, harness: Harness, keys: dict[str, str]) -> None:
        self.harness = harness
        self.keys = keys
        self._users = iter(range(1000))

    def client(self, service: str, keys: dict[str, str] | None = None) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.harness.url,
            region_name=REGION,
            config=Config(retries={"total_max_attempts": 1}),
            **(keys or self.keys),
        )

    def user(self, *statements: tuple[str | list[str], str | list[str]]) -> Any:
        """An S3 client of a new user allowed each (actions, resources)."""
        iam = self.client("iam")
        name = f"user-{next(self._users)}"
        iam.create_user(UserName=name)
        document = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": action, "Resource": resource}
                for action, resource in statements
            ],
        }
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(document))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return self.client(
            "s3",
            {
                "aws_access_key_id": key["AccessKeyId"],
                "aws_secret_access_key": key["SecretAccessKey"],
            },
        )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data: Path = tmp_path_factory.mktemp("s3-iam")
    with Harness(clock=None, data_dir=data, auth="iam") as harness:
        found = read_credentials(data / "credentials")
        assert found is not None
        key, secret = found[:2]
        made = Server(harness, {"aws_access_key_id": key, "aws_secret_access_key": secret})
        admin = made.client("s3")
        for bucket in ("src-bucket", "dst-bucket"):
            admin.create_bucket(Bucket=bucket)
        admin.put_bucket_versioning(
            Bucket="src-bucket", VersioningConfiguration={"Status": "Enabled"}
        )
        admin.put_object(Bucket="src-bucket", Key="open/a", Body=b"a")
        admin.put_object(Bucket="src-bucket", Key="closed/b", Body=b"b")
        yield made


def code_of(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return str(raised.value.response["Error"]["Code"])


def test_a_copy_needs_to_read_its_source(server: Server) -> None:
    writer = server.user(("s3:PutObject", "arn:aws:s3:::dst-bucket/*"))
    source = {"Bucket": "src-bucket", "Key": "open/a"}
    assert code_of(writer.copy_object, Bucket="dst-bucket", Key="c", CopySource=source) == (
        "AccessDenied"
    )
    upload = writer.create_multipart_upload(Bucket="dst-bucket", Key="p")["UploadId"]
    assert (
        code_of(
            writer.upload_part_copy,
            Bucket="dst-bucket",
            Key="p",
            UploadId=upload,
            PartNumber=1,
            CopySource=source,
        )
        == "AccessDenied"
    )

    reader = server.user(
        ("s3:PutObject", "arn:aws:s3:::dst-bucket/*"),
        ("s3:GetObject", "arn:aws:s3:::src-bucket/open/*"),
    )
    reader.copy_object(Bucket="dst-bucket", Key="c", CopySource=source)
    assert (
        code_of(
            reader.copy_object,
            Bucket="dst-bucket",
            Key="c",
            CopySource={"Bucket": "src-bucket", "Key": "closed/b"},
        )
        == "AccessDenied"
    )
    # A named version is s3:GetObjectVersion.
    version = server.client("s3").head_object(**source)["VersionId"]
    versioned = {**source, "VersionId": version}
    assert (
        code_of(reader.copy_object, Bucket="dst-bucket", Key="c", CopySource=versioned)
        == "AccessDenied"
    )
    # The source bucket's policy may grant it.
    server.client("s3").put_bucket_policy(
        Bucket="src-bucket",
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObjectVersion",
                        "Resource": "arn:aws:s3:::src-bucket/*",
                    }
                ],
            }
        ),
    )
    try:
        reader.copy_object(Bucket="dst-bucket", Key="c", CopySource=versioned)
    finally:
        server.client("s3").delete_bucket_policy(Bucket="src-bucket")


def test_delete_objects_is_authorised_key_by_key(server: Server) -> None:
    admin = server.client("s3")
    for key in ("mine/1", "mine/2", "theirs/1"):
        admin.put_object(Bucket="dst-bucket", Key=key, Body=b"x")
    deleter = server.user(("s3:DeleteObject", "arn:aws:s3:::dst-bucket/mine/*"))
    out = deleter.delete_objects(
        Bucket="dst-bucket",
        Delete={"Objects": [{"Key": "mine/1"}, {"Key": "theirs/1"}, {"Key": "mine/2"}]},
    )
    assert sorted(d["Key"] for d in out["Deleted"]) == ["mine/1", "mine/2"]
    assert [(e["Key"], e["Code"], e["Message"]) for e in out["Errors"]] == [
        ("theirs/1", "AccessDenied", "Access Denied")
    ]
    left = [
        o["Key"] for o in admin.list_objects_v2(Bucket="dst-bucket", Prefix="theirs/")["Contents"]
    ]
    assert left == ["theirs/1"]
    # A named version needs s3:DeleteObjectVersion.
    out = deleter.delete_objects(
        Bucket="dst-bucket", Delete={"Objects": [{"Key": "mine/1", "VersionId": "null"}]}
    )
    assert [e["Code"] for e in out["Errors"]] == ["AccessDenied"]


def test_a_missing_key_is_403_without_list_bucket(server: Server) -> None:
    reader = server.user(("s3:GetObject", "arn:aws:s3:::src-bucket/*"))
    assert code_of(reader.get_object, Bucket="src-bucket", Key="absent") == "AccessDenied"
    assert code_of(reader.head_object, Bucket="src-bucket", Key="absent") == "403"
    assert reader.get_object(Bucket="src-bucket", Key="open/a")["Body"].read() == b"a"
    lister = server.user(
        ("s3:GetObject", "arn:aws:s3:::src-bucket/*"),
        ("s3:ListBucket", "arn:aws:s3:::src-bucket"),
    )
    assert code_of(lister.get_object, Bucket="src-bucket", Key="absent") == "NoSuchKey"
    assert code_of(lister.head_object, Bucket="src-bucket", Key="absent") == "404"

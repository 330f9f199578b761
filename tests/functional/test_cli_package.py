"""``altus package`` against an in-process Altus: the artifacts land in its S3 (the bucket
made when missing), the template is rewritten to them, nested templates are packaged
and uploaded too, Lambda takes the uploaded code, and packaging again uploads nothing."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import textwrap
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml

from altus.cli.package import PackageError, package
from altus.testing import Harness


@pytest.fixture(scope="module")
def altus() -> Iterator[Harness]:
    with Harness() as harness:
        yield harness


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())


def _project(root: Path) -> None:
    _write(root / "src/app.py", "def handler(event, context):\n    return 'hi'\n")
    _write(root / "src/bootstrap", "#!/bin/sh\necho hi\n")
    (root / "src/bootstrap").chmod(0o755)
    _write(root / "single/handler.py", "def handler(event, context):\n    return 1\n")
    _write(root / "layer/python/util.py", "X = 1\n")
    _write(
        root / "machine.asl.json",
        '{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}',
    )
    _write(root / "snippet.yaml", "Description: included\n")
    _write(
        root / "nested/child.yaml",
        """
        Resources:
          Inner:
            Type: AWS::Lambda::Function
            Properties:
              Code: ../single/handler.py
              Handler: handler.handler
              Runtime: python3.12
              Role: arn:aws:iam::000000000000:role/r
        """,
    )
    _write(
        root / "template.yaml",
        """
        AWSTemplateFormatVersion: "2010-09-09"
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src
              Handler: app.handler
              Runtime: python3.12
              Environment:
                Variables:
                  ARN: !GetAtt Machine.Arn
          Plain:
            Type: AWS::Lambda::Function
            Properties:
              Code: src/
              Handler: app.handler
              Runtime: python3.12
              Role: arn:aws:iam::000000000000:role/r
          Layer:
            Type: AWS::Serverless::LayerVersion
            Properties:
              ContentUri: layer
          Machine:
            Type: AWS::StepFunctions::StateMachine
            Properties:
              DefinitionS3Location: machine.asl.json
              RoleArn: arn:aws:iam::000000000000:role/r
          Child:
            Type: AWS::CloudFormation::Stack
            Properties:
              TemplateURL: nested/child.yaml
          Extra:
            Fn::Transform:
              Name: AWS::Include
              Parameters:
                Location: snippet.yaml
        """,
    )


def _object(s3: Any, bucket: str, key: str) -> bytes:
    body: bytes = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    return body


def test_package_uploads_and_rewrites(altus: Harness, tmp_path: Path) -> None:
    _project(tmp_path)
    s3 = altus.client("s3")
    packaged = package(tmp_path / "template.yaml", s3, "artifacts", prefix="app")

    assert {(u.logical_id, u.property) for u in packaged.uploads} == {
        ("Fn", "CodeUri"),
        ("Plain", "Code"),
        ("Layer", "ContentUri"),
        ("Machine", "DefinitionS3Location"),
        ("Inner", "Code"),
        ("Child", "TemplateURL"),
        ("Transform", "Location"),
    }
    # One folder, one zip, one key: the second reference found it there already.
    by_id = {u.logical_id: u for u in packaged.uploads}
    assert by_id["Fn"].key == by_id["Plain"].key
    assert by_id["Fn"].uploaded != by_id["Plain"].uploaded
    for upload in packaged.uploads:
        assert upload.bucket == "artifacts"
        assert upload.key.startswith("app/")
        stored = _object(s3, "artifacts", upload.key)
        assert upload.key.split("/", 1)[1].split(".")[0] == hashlib.md5(stored).hexdigest()

    resources = packaged.template["Resources"]
    code_key = by_id["Fn"].key
    assert resources["Fn"]["Properties"]["CodeUri"] == f"s3://artifacts/{code_key}"
    assert resources["Fn"]["Properties"]["Environment"]["Variables"]["ARN"] == {
        "Fn::GetAtt": ["Machine", "Arn"]
    }
    assert resources["Plain"]["Properties"]["Code"] == {"S3Bucket": "artifacts", "S3Key": code_key}
    assert resources["Layer"]["Properties"]["ContentUri"] == f"s3://artifacts/{by_id['Layer'].key}"
    assert resources["Machine"]["Properties"]["DefinitionS3Location"] == {
        "Bucket": "artifacts",
        "Key": by_id["Machine"].key,
    }
    assert resources["Extra"]["Fn::Transform"]["Parameters"]["Location"] == (
        f"s3://artifacts/{by_id['Transform'].key}"
    )
    assert _object(s3, "artifacts", by_id["Machine"].key).startswith(b'{"StartAt"')

    # The code: a deterministic zip keeping the executable bit.
    with zipfile.ZipFile(io.BytesIO(_object(s3, "artifacts", code_key))) as code:
        assert code.namelist() == ["app.py", "bootstrap"]
        assert code.getinfo("bootstrap").external_attr >> 16 & 0o777 == 0o755

    # The nested template: path-style on the S3 endpoint, itself packaged.
    url = resources["Child"]["Properties"]["TemplateURL"]
    assert url == f"{altus.url}/artifacts/{by_id['Child'].key}"
    assert by_id["Child"].key.endswith(".template")
    child = yaml.safe_load(_object(s3, "artifacts", urlparse(url).path.split("/", 2)[2]))
    inner = child["Resources"]["Inner"]["Properties"]["Code"]
    assert inner == {"S3Bucket": "artifacts", "S3Key": by_id["Inner"].key}
    with zipfile.ZipFile(io.BytesIO(_object(s3, "artifacts", inner["S3Key"]))) as single:
        assert single.namelist() == ["handler.py"]

    # The YAML text is the template.
    assert yaml.safe_load(packaged.yaml) == packaged.template

    # Lambda takes the uploaded code as it is.
    lam = altus.client("lambda")
    made = lam.create_function(
        FunctionName="packaged",
        Runtime="python3.12",
        Handler="app.handler",
        Role="arn:aws:iam::000000000000:role/r",
        Code=resources["Plain"]["Properties"]["Code"],
    )
    uploaded = _object(s3, "artifacts", code_key)
    assert made["CodeSha256"] == base64.b64encode(hashlib.sha256(uploaded).digest()).decode()


def test_packaging_again_uploads_nothing(altus: Harness, tmp_path: Path) -> None:
    _project(tmp_path)
    s3 = altus.client("s3")
    first = package(tmp_path / "template.yaml", s3, "again")
    # The bucket was made for it.
    assert "again" in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="again")["Contents"]}
    assert keys == {u.key for u in first.uploads}
    assert all("/" not in key for key in keys)

    second = package(tmp_path / "template.yaml", s3, "again")
    assert [u.uploaded for u in second.uploads] == [False] * len(second.uploads)
    assert second.template == first.template
    assert second.yaml == first.yaml

    forced = package(tmp_path / "template.yaml", s3, "again", force_upload=True)
    assert {u.uploaded for u in forced.uploads} == {True}
    assert {o["Key"] for o in s3.list_objects_v2(Bucket="again")["Contents"]} == keys


def test_refusals(altus: Harness, tmp_path: Path) -> None:
    s3 = altus.client("s3")
    _write(
        tmp_path / "loop.yaml",
        """
        Resources:
          Self:
            Type: AWS::CloudFormation::Stack
            Properties:
              TemplateURL: loop.yaml
        """,
    )
    with pytest.raises(PackageError, match="includes itself"):
        package(tmp_path / "loop.yaml", s3, "refusals")
    _write(tmp_path / "bad.yaml", "Resources: [unclosed\n")
    with pytest.raises(
        PackageError, match=r"bad\.yaml: Template format error: YAML not well-formed"
    ):
        package(tmp_path / "bad.yaml", s3, "refusals")
    _write(
        tmp_path / "missing.yaml",
        """
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: not-here
        """,
    )
    with pytest.raises(PackageError, match="Parameter CodeUri of resource Fn refers to a file"):
        package(tmp_path / "missing.yaml", s3, "refusals")


def test_large_artifacts_go_in_parts_and_versions_are_kept(altus: Harness, tmp_path: Path) -> None:
    # Over 8 MB: a multipart upload, as boto3's transfer makes it.
    blob = tmp_path / "definition.bin"
    blob.write_bytes(os.urandom(9_000_000))
    _write(
        tmp_path / "template.yaml",
        """
        Resources:
          Machine:
            Type: AWS::StepFunctions::StateMachine
            Properties:
              DefinitionS3Location: definition.bin
        """,
    )
    s3 = altus.client("s3")
    s3.create_bucket(Bucket="versioned")
    s3.put_bucket_versioning(Bucket="versioned", VersioningConfiguration={"Status": "Enabled"})
    first = package(tmp_path / "template.yaml", s3, "versioned")
    (upload,) = first.uploads
    assert upload.key == hashlib.md5(blob.read_bytes()).hexdigest()
    assert _object(s3, "versioned", upload.key) == blob.read_bytes()
    location = first.template["Resources"]["Machine"]["Properties"]["DefinitionS3Location"]
    version = s3.head_object(Bucket="versioned", Key=upload.key)["VersionId"]
    assert location == {"Bucket": "versioned", "Key": upload.key, "Version": version}
    # Found there the next time, with its version.
    second = package(tmp_path / "template.yaml", s3, "versioned")
    assert second.uploads[0].uploaded is False
    assert second.template == first.template

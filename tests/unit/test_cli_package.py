"""``altus package``'s pure parts: which properties are rewritten and into what (a fake
``Artifacts`` records the uploads), the deterministic zips, the YAML it writes, and the
S3 side's keys and de-duplication against a fake S3 client."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from botocore.exceptions import ClientError

from altus.cli.package import (
    PackageError,
    S3Artifacts,
    Stored,
    Where,
    archive,
    export,
    map_local,
    to_yaml,
)

BASE = Path("/project")


class FakeArtifacts:
    """Uploads recorded, each answered with a key of its own."""

    def __init__(self, version: str | None = None) -> None:
        self.calls: list[tuple[str, str, Path, bool]] = []
        self.version = version

    def upload(self, path: Path, *, zip_file: bool, where: Where) -> Stored:
        self.calls.append((where.logical_id, where.spot.property_name, path, zip_file))
        return Stored("bucket", f"key-{len(self.calls)}", self.version)

    def upload_template(self, path: Path, where: Where) -> str:
        self.calls.append((where.logical_id, where.spot.property_name, path, False))
        return f"https://s3.example/bucket/{len(self.calls)}.template"


def _resource(kind: str, **properties: Any) -> dict[str, Any]:
    return {"Type": kind, "Properties": properties}


def test_sam_functions_and_layers_become_s3_uris() -> None:
    template = {
        "Resources": {
            "Fn": _resource("AWS::Serverless::Function", CodeUri="src", Runtime="python3.12"),
            "Here": _resource("AWS::Serverless::Function", Runtime="python3.12"),
            "Layer": _resource("AWS::Serverless::LayerVersion", ContentUri="layer/"),
        }
    }
    fake = FakeArtifacts()
    out = export(template, BASE, fake)
    resources = out["Resources"]
    assert resources["Fn"]["Properties"]["CodeUri"] == "s3://bucket/key-1"
    # No CodeUri: the template's folder, as sam package has it.
    assert resources["Here"]["Properties"]["CodeUri"] == "s3://bucket/key-2"
    assert resources["Layer"]["Properties"]["ContentUri"] == "s3://bucket/key-3"
    assert fake.calls == [
        ("Fn", "CodeUri", BASE / "src", True),
        ("Here", "CodeUri", BASE / ".", True),
        ("Layer", "ContentUri", BASE / "layer/", True),
    ]
    # The template given is untouched.
    assert template["Resources"]["Fn"]["Properties"]["CodeUri"] == "src"
    assert "CodeUri" not in template["Resources"]["Here"]["Properties"]


def test_functions_without_a_package_and_remote_code_are_left_alone() -> None:
    template = {
        "Resources": {
            "Inline": _resource("AWS::Serverless::Function", InlineCode="x = 1"),
            "Image": _resource("AWS::Serverless::Function", PackageType="Image", ImageUri="r:1"),
            "Remote": _resource("AWS::Serverless::Function", CodeUri="s3://b/k.zip"),
            "Dict": _resource("AWS::Serverless::Function", CodeUri={"Bucket": "b", "Key": "k"}),
            "Ref": _resource("AWS::Lambda::Function", Code={"Ref": "CodeParameter"}),
            "Zip": _resource("AWS::Lambda::Function", Code={"ZipFile": "x = 1"}),
            "Url": _resource("AWS::CloudFormation::Stack", TemplateURL="https://h/b/t.yaml"),
            "App": _resource(
                "AWS::Serverless::Application",
                Location={"ApplicationId": "arn:aws:serverlessrepo:::applications/x"},
            ),
            "Other": _resource("AWS::SQS::Queue", QueueName="src"),
        }
    }
    fake = FakeArtifacts()
    assert export(template, BASE, fake) == template
    assert fake.calls == []


def test_global_code_uri_is_packaged_once_and_not_defaulted() -> None:
    template = {
        "Globals": {"Function": {"CodeUri": "shared", "Runtime": "nodejs20.x"}},
        "Resources": {
            "A": _resource("AWS::Serverless::Function", Handler="a.handler"),
            "B": _resource("AWS::Serverless::Function", Handler="b.handler", CodeUri="b"),
        },
    }
    fake = FakeArtifacts()
    out = export(template, BASE, fake)
    assert out["Globals"]["Function"]["CodeUri"] == "s3://bucket/key-1"
    assert "CodeUri" not in out["Resources"]["A"]["Properties"]
    assert out["Resources"]["B"]["Properties"]["CodeUri"] == "s3://bucket/key-2"
    assert [c[:2] for c in fake.calls] == [("Globals", "CodeUri"), ("B", "CodeUri")]


def test_lambda_code_and_definitions_become_dicts_with_versions_when_there_are() -> None:
    template = {
        "Resources": {
            "Fn": _resource("AWS::Lambda::Function", Code="handler.py", Runtime="python3.12"),
            "Layer": _resource("AWS::Lambda::LayerVersion", Content="layer"),
            "Machine": _resource(
                "AWS::StepFunctions::StateMachine", DefinitionS3Location="sm.json"
            ),
            "SamMachine": _resource("AWS::Serverless::StateMachine", DefinitionUri="sm.asl.json"),
            "Rest": _resource("AWS::ApiGateway::RestApi", BodyS3Location="openapi.yaml"),
            "Api": _resource("AWS::Serverless::Api", DefinitionUri="api.yaml", StageName="p"),
            "Http": _resource("AWS::Serverless::HttpApi", DefinitionUri="http.yaml"),
            "Glue": _resource(
                "AWS::Glue::Job", Command={"Name": "glueetl", "ScriptLocation": "j.py"}
            ),
        }
    }
    out = export(template, BASE, FakeArtifacts(version="v1"))["Resources"]
    assert out["Fn"]["Properties"]["Code"] == {
        "S3Bucket": "bucket",
        "S3Key": "key-1",
        "S3ObjectVersion": "v1",
    }
    assert out["Layer"]["Properties"]["Content"] == {
        "S3Bucket": "bucket",
        "S3Key": "key-2",
        "S3ObjectVersion": "v1",
    }
    location = {"Bucket": "bucket", "Key": "key-3", "Version": "v1"}
    assert out["Machine"]["Properties"]["DefinitionS3Location"] == location
    assert out["SamMachine"]["Properties"]["DefinitionUri"]["Key"] == "key-4"
    assert out["Rest"]["Properties"]["BodyS3Location"]["Key"] == "key-5"
    assert out["Api"]["Properties"]["DefinitionUri"] == "s3://bucket/key-6"
    assert out["Http"]["Properties"]["DefinitionUri"] == "s3://bucket/key-7"
    assert out["Glue"]["Properties"]["Command"] == {
        "Name": "glueetl",
        "ScriptLocation": "s3://bucket/key-8",
    }
    unversioned = export(template, BASE, FakeArtifacts())["Resources"]
    assert unversioned["Fn"]["Properties"]["Code"] == {"S3Bucket": "bucket", "S3Key": "key-1"}


def test_which_files_are_zipped() -> None:
    template = {
        "Resources": {
            "Fn": _resource("AWS::Lambda::Function", Code="handler.py"),
            "Machine": _resource(
                "AWS::StepFunctions::StateMachine", DefinitionS3Location="sm.json"
            ),
        }
    }
    fake = FakeArtifacts()
    export(template, BASE, fake)
    assert [(c[0], c[3]) for c in fake.calls] == [("Fn", True), ("Machine", False)]


def test_nested_templates_and_includes() -> None:
    template: dict[str, Any] = {
        "Transform": [
            "AWS::Serverless-2016-10-31",
            {"Name": "AWS::Include", "Parameters": {"Location": "top.yaml"}},
        ],
        "Resources": {
            "Child": _resource("AWS::CloudFormation::Stack", TemplateURL="nested/child.yaml"),
            "App": _resource("AWS::Serverless::Application", Location="app.yaml"),
            "Fn": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "CodeUri": "s3://b/k",
                    "Environment": {
                        "Fn::Transform": {
                            "Name": "AWS::Include",
                            "Parameters": {"Location": "env.yaml"},
                        }
                    },
                },
            },
        },
        "Metadata": {
            "AWS::ServerlessRepo::Application": {"LicenseUrl": "LICENSE", "ReadmeUrl": "s3://b/r"}
        },
    }
    fake = FakeArtifacts()
    out = export(template, BASE, fake)
    assert out["Resources"]["Child"]["Properties"]["TemplateURL"] == (
        "https://s3.example/bucket/1.template"
    )
    assert out["Resources"]["App"]["Properties"]["Location"] == (
        "https://s3.example/bucket/2.template"
    )
    assert out["Metadata"]["AWS::ServerlessRepo::Application"] == {
        "LicenseUrl": "s3://bucket/key-3",
        "ReadmeUrl": "s3://b/r",
    }
    assert out["Transform"][1]["Parameters"]["Location"] == "s3://bucket/key-4"
    environment = out["Resources"]["Fn"]["Properties"]["Environment"]
    assert environment["Fn::Transform"]["Parameters"]["Location"] == "s3://bucket/key-5"
    assert [(c[0], c[2]) for c in fake.calls] == [
        ("Child", BASE / "nested/child.yaml"),
        ("App", BASE / "app.yaml"),
        ("Metadata", BASE / "LICENSE"),
        ("Transform", BASE / "top.yaml"),
        ("Transform", BASE / "env.yaml"),
    ]


def test_map_local_hands_each_reference_as_written() -> None:
    template = {
        "Resources": {
            "Fn": _resource("AWS::Serverless::Function", CodeUri="../src"),
            "Stack": _resource("AWS::CloudFormation::Stack", TemplateURL="child.yaml"),
        }
    }
    seen: list[tuple[str, str, str]] = []

    def visit(where: Where, value: str) -> str:
        seen.append((where.logical_id, where.spot.resource_type, value))
        return value.upper()

    out = map_local(template, visit)
    assert seen == [
        ("Fn", "AWS::Serverless::Function", "../src"),
        ("Stack", "AWS::CloudFormation::Stack", "child.yaml"),
    ]
    assert out["Resources"]["Fn"]["Properties"]["CodeUri"] == "../SRC"


# --- zips --------------------------------------------------------------------------------


def _tree(root: Path) -> None:
    (root / "pkg").mkdir(parents=True)
    (root / "app.py").write_text("def handler(e, c):\n    return 1\n")
    (root / "pkg" / "__init__.py").write_text("")
    (root / "bootstrap").write_text("#!/bin/sh\nexec python3 app.py\n")
    (root / "bootstrap").chmod(0o755)
    (root / "__pycache__").mkdir()
    (root / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"junk")


def test_folder_zips_are_deterministic_and_keep_modes(tmp_path: Path) -> None:
    _tree(tmp_path / "a")
    first = archive(tmp_path / "a", zip_file=True)
    # Other times, the same content: the same bytes.
    for path in (tmp_path / "a").rglob("*"):
        os.utime(path, (1_000_000, 1_000_000))
    assert archive(tmp_path / "a", zip_file=True) == first
    _tree(tmp_path / "b")
    assert archive(tmp_path / "b", zip_file=False) == first
    with zipfile.ZipFile(io.BytesIO(first)) as package:
        names = package.namelist()
        assert names == sorted(names) == ["app.py", "bootstrap", "pkg/__init__.py"]
        modes = {info.filename: info.external_attr >> 16 & 0o777 for info in package.infolist()}
        assert modes["bootstrap"] == 0o755
        assert modes["app.py"] == 0o644
        assert {info.date_time for info in package.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_single_files_are_zipped_for_code_only(tmp_path: Path) -> None:
    handler = tmp_path / "handler.py"
    handler.write_text("x = 1\n")
    handler.chmod(0o755)
    zipped = archive(handler, zip_file=True)
    with zipfile.ZipFile(io.BytesIO(zipped)) as package:
        assert package.namelist() == ["handler.py"]
        assert package.infolist()[0].external_attr >> 16 & 0o777 == 0o755
    assert archive(handler, zip_file=True) == zipped
    assert archive(handler, zip_file=False) == b"x = 1\n"
    # A zip already goes as it is.
    (tmp_path / "code.zip").write_bytes(zipped)
    assert archive(tmp_path / "code.zip", zip_file=True) == zipped


# --- YAML --------------------------------------------------------------------------------


def test_yaml_has_no_aliases_and_reads_back() -> None:
    shared = {"Fn::GetAtt": ["Fn", "Arn"]}
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "A": {"Type": "X", "Properties": {"Target": shared, "Code": "line 1\nline 2\n"}},
            "B": {"Type": "X", "Properties": {"Target": shared}},
        },
    }
    text = to_yaml(template)
    assert "&" not in text and "*id" not in text
    assert "Code: |" in text
    assert text.index("AWSTemplateFormatVersion") < text.index("Resources")
    assert yaml.safe_load(text) == template


# --- S3 ----------------------------------------------------------------------------------


def _missing(operation: str) -> ClientError:
    return ClientError({"Error": {"Code": "404", "Message": "Not Found"}}, operation)


class FakeS3:
    class meta:  # boto3's attribute name
        endpoint_url = "http://127.0.0.1:9000"
        region_name = "eu-west-1"

    def __init__(self) -> None:
        self.buckets: set[str] = set()
        self.objects: dict[tuple[str, str], bytes] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def head_bucket(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("head_bucket", kwargs))
        if kwargs["Bucket"] not in self.buckets:
            raise _missing("HeadBucket")
        return {}

    def create_bucket(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("create_bucket", kwargs))
        self.buckets.add(kwargs["Bucket"])
        return {}

    def head_object(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("head_object", kwargs))
        if (kwargs["Bucket"], kwargs["Key"]) not in self.objects:
            raise _missing("HeadObject")
        return {"ContentLength": 1}

    def put_object(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("put_object", {k: v for k, v in kwargs.items() if k != "Body"}))
        self.objects[(kwargs["Bucket"], kwargs["Key"])] = kwargs["Body"]
        return {"ETag": '"x"', "VersionId": "v7"}


def test_keys_are_md5s_under_the_prefix_and_each_is_sent_once(tmp_path: Path) -> None:
    (tmp_path / "sm.json").write_text('{"StartAt": "A"}')
    s3 = FakeS3()
    artifacts = S3Artifacts(s3, "artifacts", prefix="app/", kms_key_id="k1")
    template = {
        "Resources": {
            "M": _resource("AWS::StepFunctions::StateMachine", DefinitionS3Location="sm.json"),
            "N": _resource("AWS::StepFunctions::StateMachine", DefinitionS3Location="./sm.json"),
        }
    }
    out = export(template, tmp_path, artifacts)
    key = "app/" + hashlib.md5(b'{"StartAt": "A"}').hexdigest()
    assert out["Resources"]["M"]["Properties"]["DefinitionS3Location"] == {
        "Bucket": "artifacts",
        "Key": key,
        "Version": "v7",
    }
    assert [u.uploaded for u in artifacts.uploads] == [True, False]
    assert s3.calls[0] == ("head_bucket", {"Bucket": "artifacts"})
    assert s3.calls[1] == (
        "create_bucket",
        {"Bucket": "artifacts", "CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"}},
    )
    puts = [kwargs for name, kwargs in s3.calls if name == "put_object"]
    assert puts == [
        {"Bucket": "artifacts", "Key": key, "ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "k1"}
    ]
    assert artifacts.url(Stored("artifacts", key)) == f"http://127.0.0.1:9000/artifacts/{key}"
    forced = S3Artifacts(s3, "artifacts", prefix="app", force_upload=True)
    export(template, tmp_path, forced)
    assert [u.uploaded for u in forced.uploads] == [True, True]


def test_a_missing_path_is_refused_in_the_aws_clis_words(tmp_path: Path) -> None:
    template = {"Resources": {"Fn": _resource("AWS::Serverless::Function", CodeUri="nowhere")}}
    s3 = FakeS3()
    with pytest.raises(PackageError) as caught:
        export(template, tmp_path, S3Artifacts(s3, "artifacts"))
    assert str(caught.value) == (
        "Parameter CodeUri of resource Fn refers to a file or folder that does not exist "
        f"{tmp_path / 'nowhere'}"
    )
    assert s3.calls == []

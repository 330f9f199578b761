"""SSM Parameter Store through boto3's ``ssm`` client, against a server in this process
(the public harness) on each store: every operation Altus serves, versions and labels,
hierarchies and paging, AWS's errors, SecureString values encrypted at rest, restarts,
Secrets Manager references and IAM authorisation."""

from __future__ import annotations

import base64
import json
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from altus.testing import Harness
from tests.conftest import Server

ACCOUNT = "000000000000"
ARN = f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter"


def ssm_client(url: str, **keys: str) -> Any:
    return boto3.client(
        "ssm",
        endpoint_url=url,
        region_name="us-east-1",
        **(keys or {"aws_access_key_id": "x", "aws_secret_access_key": "x"}),
        config=Config(retries={"total_max_attempts": 1}),
    )


@pytest.fixture(scope="module")
def server(inproc_stored: Server) -> Server:
    return inproc_stored


@pytest.fixture
def ssm(server: Server) -> Any:
    return ssm_client(server.url)


@pytest.fixture
def root() -> str:
    """A hierarchy of this test's own (the server is shared by the module's tests)."""
    return f"/t{uuid.uuid4().hex[:12]}"


def refusal(call: Any, **kwargs: Any) -> tuple[str, str]:
    """The error code and message a call is refused with (always a 400 in SSM)."""
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    response = raised.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return response["Error"]["Code"], response["Error"]["Message"]


# --- putting and getting --------------------------------------------------------------------


def test_versions_count_up_and_selectors_pick_them(ssm: Any, root: str) -> None:
    name = f"{root}/db/url"
    made = ssm.put_parameter(Name=name, Value="one", Type="String")
    assert (made["Version"], made["Tier"]) == (1, "Standard")
    assert ssm.put_parameter(Name=name, Value="two", Overwrite=True)["Version"] == 2
    latest = ssm.get_parameter(Name=name)["Parameter"]
    assert (latest["Name"], latest["Value"], latest["Version"]) == (name, "two", 2)
    assert (latest["Type"], latest["DataType"]) == ("String", "text")
    assert latest["ARN"] == f"{ARN}{name}"
    assert "Selector" not in latest
    first = ssm.get_parameter(Name=f"{name}:1")["Parameter"]
    assert (first["Value"], first["Version"], first["Selector"]) == ("one", 1, ":1")
    by_arn = ssm.get_parameter(Name=f"{ARN}{name}:2")["Parameter"]
    assert by_arn["Value"] == "two"

    code, message = refusal(ssm.get_parameter, Name=f"{name}:7")
    assert code == "ParameterVersionNotFound"
    assert (
        message
        == f"Systems Manager could not find version 7 of {name}. Verify the version and try again."
    )
    assert refusal(ssm.get_parameter, Name=f"{root}/missing") == ("ParameterNotFound", "")


def test_putting_again_needs_overwrite_and_creating_needs_a_type(ssm: Any, root: str) -> None:
    name = f"{root}/once"
    ssm.put_parameter(Name=name, Value="a", Type="String")
    assert refusal(ssm.put_parameter, Name=name, Value="b", Type="String") == (
        "ParameterAlreadyExists",
        "The parameter already exists. To overwrite this value, set the overwrite option in "
        "the request to true.",
    )
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "a"
    assert refusal(ssm.put_parameter, Name=f"{root}/untyped", Value="a") == (
        "ValidationException",
        "A parameter type is required when you create a parameter.",
    )
    # A new version keeps what the request leaves out: its type, description, pattern.
    ssm.put_parameter(
        Name=f"{root}/kept", Value="1", Type="StringList", Description="d", AllowedPattern="[0-9,]+"
    )
    ssm.put_parameter(Name=f"{root}/kept", Value="1,2", Overwrite=True)
    (kept,) = ssm.describe_parameters(
        ParameterFilters=[{"Key": "Name", "Values": [f"{root}/kept"]}]
    )["Parameters"]
    assert (kept["Type"], kept["Description"], kept["AllowedPattern"]) == (
        "StringList",
        "d",
        "[0-9,]+",
    )
    assert kept["Version"] == 2


def test_names_follow_the_hierarchy_rules(ssm: Any, root: str) -> None:
    rules = (
        'Parameter name: can\'t be prefixed with "ssm" (case-insensitive). If formed as a path, '
        "it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a "
        "mix of letters, numbers and the following 3 symbols .-_"
    )
    for bad in ("SSM-thing", "/ssm/x", "a/b", "/a//b", "/a b", "/a$", "/a/"):
        assert refusal(ssm.put_parameter, Name=bad, Value="v", Type="String") == (
            "ValidationException",
            rules,
        ), bad
    # AWS's own names: not malformed, but no one's to write.
    for reserved, shown in (("/aws/mine", "aws/mine"), ("/Aws", "Aws"), ("awsfoo", "awsfoo")):
        assert refusal(ssm.put_parameter, Name=reserved, Value="v", Type="String") == (
            "AccessDeniedException",
            f"No access to reserved parameter name: {shown}.",
        ), reserved
    assert refusal(ssm.delete_parameter, Name="aws-thing") == (
        "AccessDeniedException",
        "No access to reserved parameter name: aws-thing.",
    )
    # A one-level name's leading slash is dropped: one ARN, one parameter.
    ssm.put_parameter(Name="/single", Value="a", Type="String")
    assert refusal(ssm.put_parameter, Name="single", Value="b", Type="String")[0] == (
        "ParameterAlreadyExists"
    )
    shown = ssm.get_parameter(Name="/single")["Parameter"]
    assert (shown["Name"], shown["Value"]) == ("single", "a")
    ssm.delete_parameter(Name="/single")
    # An empty value is refused (the model no longer says so; AWS does).
    assert refusal(ssm.put_parameter, Name=f"{root}/empty", Value="", Type="String") == (
        "ValidationException",
        "1 validation error detected: Value at 'value' failed to satisfy constraint: Member "
        "must have length greater than or equal to 1.",
    )
    deep = root + "".join(f"/l{i}" for i in range(14))  # 15 levels
    assert ssm.put_parameter(Name=deep, Value="v", Type="String")["Version"] == 1
    code, message = refusal(ssm.put_parameter, Name=f"{deep}/x", Value="v", Type="String")
    assert code == "HierarchyLevelLimitExceededException"
    assert message.startswith("A hierarchy can have a maximum of 15 levels.")
    # The ARN counts towards the 1011 characters a name may have.
    prefix = len(f"{ARN}/")
    fits = f"{root}/" + "n" * (1011 - prefix - len(root))
    assert ssm.put_parameter(Name=fits, Value="v", Type="String")["Version"] == 1
    code, _ = refusal(ssm.put_parameter, Name=fits + "n", Value="v", Type="String")
    assert code == "ValidationException"
    # Spaces around a name are dropped; a name of one level needs no slash.
    ssm.put_parameter(Name=f"  {root}/spaced  ", Value="v", Type="String")
    assert ssm.get_parameter(Name=f"{root}/spaced")["Parameter"]["Value"] == "v"
    plain = f"plain{uuid.uuid4().hex[:8]}"
    ssm.put_parameter(Name=plain, Value="v", Type="String")
    assert ssm.get_parameter(Name=f"{ARN}/{plain}")["Parameter"]["Name"] == plain


def test_tiers_and_their_sizes(ssm: Any, root: str) -> None:
    code, message = refusal(ssm.put_parameter, Name=f"{root}/big", Value="x" * 4097, Type="String")
    assert code == "ValidationException"
    assert message.startswith(
        "Standard tier parameters support a maximum parameter value of 4096 characters."
    )
    assert ssm.put_parameter(Name=f"{root}/fits", Value="x" * 4096, Type="String")["Tier"] == (
        "Standard"
    )
    big = ssm.put_parameter(Name=f"{root}/big", Value="x" * 8192, Type="String", Tier="Advanced")
    assert big["Tier"] == "Advanced"
    code, _ = refusal(ssm.put_parameter, Name=f"{root}/big", Value="x" * 8193, Overwrite=True)
    assert code == "ValidationException"
    # Advanced stays advanced: asking for standard is refused, saying nothing keeps it.
    code, message = refusal(
        ssm.put_parameter, Name=f"{root}/big", Value="y", Overwrite=True, Tier="Standard"
    )
    assert "You can't downgrade a parameter from the advanced-parameter tier" in message
    assert ssm.put_parameter(Name=f"{root}/big", Value="y", Overwrite=True)["Tier"] == "Advanced"
    # Intelligent-Tiering picks standard unless the value needs advanced.
    small = ssm.put_parameter(
        Name=f"{root}/smart", Value="x", Type="String", Tier="Intelligent-Tiering"
    )
    assert small["Tier"] == "Standard"
    grown = ssm.put_parameter(
        Name=f"{root}/smart", Value="x" * 5000, Overwrite=True, Tier="Intelligent-Tiering"
    )
    assert grown["Tier"] == "Advanced"
    history = ssm.get_parameter_history(Name=f"{root}/smart")["Parameters"]
    assert [v["Tier"] for v in history] == ["Standard", "Advanced"]


def test_allowed_patterns_check_values(ssm: Any, root: str) -> None:
    name = f"{root}/port"
    ssm.put_parameter(Name=name, Value="8080", Type="String", AllowedPattern=r"^\d+$")
    assert refusal(ssm.put_parameter, Name=name, Value="80a", Overwrite=True) == (
        "ParameterPatternMismatchException",
        r"Parameter value, cannot be validated against allowedPattern: ^\d+$",
    )
    assert ssm.put_parameter(Name=name, Value="443", Overwrite=True)["Version"] == 2
    code, _ = refusal(
        ssm.put_parameter, Name=f"{root}/bad", Value="v", Type="String", AllowedPattern="(["
    )
    assert code == "InvalidAllowedPatternException"
    # A pattern that backtracks for ever is cut short, not left to stall the server.
    code, _ = refusal(
        ssm.put_parameter,
        Name=f"{root}/slow",
        Value="a" * 4000 + "!",
        Type="String",
        AllowedPattern="(a+)+$",
    )
    assert code == "ParameterPatternMismatchException"
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "443"


def test_data_types(ssm: Any, root: str) -> None:
    ami = ssm.put_parameter(
        Name=f"{root}/ami", Value="ami-0123456789abcdef0", Type="String", DataType="aws:ec2:image"
    )
    assert ami["Version"] == 1
    assert ssm.get_parameter(Name=f"{root}/ami")["Parameter"]["DataType"] == "aws:ec2:image"
    # Not an AMI id: answered as a success, and (as AWS's asynchronous check) not stored.
    ssm.put_parameter(Name=f"{root}/notami", Value="nope", Type="String", DataType="aws:ec2:image")
    assert refusal(ssm.get_parameter, Name=f"{root}/notami")[0] == "ParameterNotFound"
    ssm.put_parameter(Name=f"{root}/ami", Value="ami-12345678", Overwrite=True)
    ssm.put_parameter(Name=f"{root}/ami", Value="bad", Overwrite=True)
    assert ssm.get_parameter(Name=f"{root}/ami")["Parameter"]["Value"] == "ami-12345678"
    code, message = refusal(
        ssm.put_parameter, Name=f"{root}/odd", Value="v", Type="String", DataType="Text"
    )
    assert (code, message) == (
        "ValidationException",
        "The following data type is not supported: Text (Data type names are all lowercase.)",
    )
    code, _ = refusal(
        ssm.put_parameter,
        Name=f"{root}/ami",
        Value="ami-12345678",
        Overwrite=True,
        DataType="text",
    )
    assert code == "ValidationException"


def test_policies_and_tags_with_overwrite_are_refused(ssm: Any, root: str) -> None:
    name = f"{root}/p"
    code, _ = refusal(
        ssm.put_parameter,
        Name=name,
        Value="v",
        Type="String",
        Tier="Advanced",
        Policies='[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2030-01-01T00:00:00.000Z"}}]',
    )
    assert code == "InvalidPolicyTypeException"
    assert refusal(
        ssm.put_parameter,
        Name=name,
        Value="v",
        Type="String",
        Overwrite=True,
        Tags=[{"Key": "a", "Value": "b"}],
    ) == (
        "ValidationException",
        "Invalid request: tags and overwrite can't be used together. To create a parameter with "
        "tags, please remove overwrite flag. To update tags for an existing parameter, please "
        "use AddTagsToResource or RemoveTagsFromResource.",
    )
    assert refusal(ssm.get_parameter, Name=name)[0] == "ParameterNotFound"


def test_model_constraints_are_coral_validation_errors(ssm: Any) -> None:
    code, message = refusal(ssm.get_parameters, Names=[f"/n{i}" for i in range(11)])
    assert code == "ValidationException"
    assert message.startswith("1 validation error detected: Value")
    assert (
        "at 'names' failed to satisfy constraint: Member must have length less than or equal to 10"
        in message
    )


# --- SecureString -------------------------------------------------------------------------------


def test_secure_strings_are_shown_encrypted_unless_decrypted(ssm: Any, root: str) -> None:
    name = f"{root}/password"
    ssm.put_parameter(Name=name, Value="hunter2-hunter2", Type="SecureString")
    shown = ssm.get_parameter(Name=name)["Parameter"]
    assert shown["Type"] == "SecureString"
    assert "hunter2" not in shown["Value"]
    assert len(base64.b64decode(shown["Value"], validate=True)) > 32
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == (
        "hunter2-hunter2"
    )
    (described,) = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])[
        "Parameters"
    ]
    assert described["KeyId"] == "alias/aws/ssm"
    ssm.put_parameter(Name=name, Value="second", Overwrite=True, KeyId="alias/mine")
    history = ssm.get_parameter_history(Name=name, WithDecryption=True)["Parameters"]
    assert [(v["Value"], v["KeyId"]) for v in history] == [
        ("hunter2-hunter2", "alias/aws/ssm"),
        ("second", "alias/mine"),
    ]
    assert all(
        "second" not in v["Value"] for v in ssm.get_parameter_history(Name=name)["Parameters"]
    )
    assert refusal(
        ssm.put_parameter, Name=f"{root}/plain", Value="v", Type="String", KeyId="alias/mine"
    ) == ("ValidationException", "KeyId is required for SecureString type parameter only.")


# --- several at once ------------------------------------------------------------------------


def test_get_parameters_lists_what_it_cannot_find(ssm: Any, root: str) -> None:
    ssm.put_parameter(Name=f"{root}/a", Value="1", Type="String")
    ssm.put_parameter(Name=f"{root}/b", Value="2", Type="SecureString")
    found = ssm.get_parameters(
        Names=[f"{root}/a", f"{root}/b", f"{root}/c", f"{root}/a:9", "bad name"],
        WithDecryption=True,
    )
    assert [(p["Name"], p["Value"]) for p in found["Parameters"]] == [
        (f"{root}/a", "1"),
        (f"{root}/b", "2"),
    ]
    assert found["InvalidParameters"] == [f"{root}/c", f"{root}/a:9", "bad name"]


def test_deleting_one_or_several(ssm: Any, root: str) -> None:
    for name in ("a", "b", "c"):
        ssm.put_parameter(Name=f"{root}/{name}", Value="v", Type="String")
    ssm.delete_parameter(Name=f"{root}/a")
    assert refusal(ssm.delete_parameter, Name=f"{root}/a") == ("ParameterNotFound", "")
    answer = ssm.delete_parameters(Names=[f"{root}/b", f"{root}/a", f"{root}/c"])
    assert answer["DeletedParameters"] == [f"{root}/b", f"{root}/c"]
    assert answer["InvalidParameters"] == [f"{root}/a"]
    # Made again, a parameter starts again at version 1.
    assert ssm.put_parameter(Name=f"{root}/b", Value="v", Type="String")["Version"] == 1


# --- hierarchies and listings ---------------------------------------------------------------


def test_parameters_by_path(ssm: Any, root: str) -> None:
    for name, kind in (
        ("app/url", "String"),
        ("app/key", "SecureString"),
        ("app/db/host", "String"),
        ("app/db/pass", "SecureString"),
        ("other/x", "String"),
    ):
        ssm.put_parameter(Name=f"{root}/{name}", Value=name, Type=kind)

    def names(**kwargs: Any) -> list[str]:
        pages = ssm.get_paginator("get_parameters_by_path").paginate(**kwargs)
        return [p["Name"].removeprefix(root) for page in pages for p in page["Parameters"]]

    assert names(Path=f"{root}/app") == ["/app/key", "/app/url"]
    assert names(Path=f"{root}/app/") == ["/app/key", "/app/url"]
    assert names(Path=f"{root}/app", Recursive=True) == [
        "/app/db/host",
        "/app/db/pass",
        "/app/key",
        "/app/url",
    ]
    secure = [{"Key": "Type", "Values": ["SecureString"]}]
    assert names(Path=root, Recursive=True, ParameterFilters=secure) == [
        "/app/db/pass",
        "/app/key",
    ]
    decrypted = ssm.get_parameters_by_path(
        Path=f"{root}/app/db", WithDecryption=True, ParameterFilters=secure
    )["Parameters"]
    assert [p["Value"] for p in decrypted] == ["app/db/pass"]
    # Pages of one.
    first = ssm.get_parameters_by_path(Path=f"{root}/app", Recursive=True, MaxResults=1)
    assert len(first["Parameters"]) == 1 and first["NextToken"]
    assert names(Path=f"{root}/app", Recursive=True, PaginationConfig={"PageSize": 1}) == names(
        Path=f"{root}/app", Recursive=True
    )
    assert names(Path=f"{root}/nowhere") == []

    code, _ = refusal(
        ssm.get_parameters_by_path, Path=root, ParameterFilters=[{"Key": "Name", "Values": ["x"]}]
    )
    assert code == "InvalidFilterKey"
    code, _ = refusal(
        ssm.get_parameters_by_path,
        Path=root,
        ParameterFilters=[{"Key": "Label", "Option": "BeginsWith", "Values": ["x"]}],
    )
    assert code == "InvalidFilterOption"
    code, message = refusal(ssm.get_parameters_by_path, Path="app")
    assert code == "ValidationException"
    assert message.startswith("The parameter doesn't meet the parameter name requirements.")
    assert refusal(ssm.get_parameters_by_path, Path=root, NextToken="%%%")[0] == "InvalidNextToken"


def test_the_root_path_holds_names_without_a_slash(ssm: Any) -> None:
    plain = f"root{uuid.uuid4().hex[:8]}"
    ssm.put_parameter(Name=plain, Value="v", Type="String")
    pages = ssm.get_paginator("get_parameters_by_path").paginate(Path="/")
    assert plain in [p["Name"] for page in pages for p in page["Parameters"]]


def test_labels_pick_versions_by_path(ssm: Any, root: str) -> None:
    name = f"{root}/svc/config"
    ssm.put_parameter(Name=name, Value="old", Type="String")
    ssm.put_parameter(Name=name, Value="new", Overwrite=True)
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["stable"])
    found = ssm.get_parameters_by_path(
        Path=f"{root}/svc", ParameterFilters=[{"Key": "Label", "Values": ["stable"]}]
    )["Parameters"]
    assert [(p["Value"], p["Version"]) for p in found] == [("old", 1)]
    none = ssm.get_parameters_by_path(
        Path=f"{root}/svc", ParameterFilters=[{"Key": "Label", "Values": ["other"]}]
    )["Parameters"]
    assert none == []


def test_describe_parameters_filters_and_pages(ssm: Any, root: str) -> None:
    ssm.put_parameter(
        Name=f"{root}/web/port", Value="80", Type="String", Tags=[{"Key": "team", "Value": "web"}]
    )
    ssm.put_parameter(Name=f"{root}/web/key", Value="k", Type="SecureString")
    ssm.put_parameter(Name=f"{root}/api/port", Value="81", Type="String", Tier="Advanced")

    def described(**kwargs: Any) -> list[str]:
        pages = ssm.get_paginator("describe_parameters").paginate(**kwargs)
        return [p["Name"].removeprefix(root) for page in pages for p in page["Parameters"]]

    mine = [{"Key": "Path", "Option": "Recursive", "Values": [root]}]
    assert described(ParameterFilters=mine) == ["/api/port", "/web/key", "/web/port"]
    assert described(ParameterFilters=mine, PaginationConfig={"PageSize": 1}) == [
        "/api/port",
        "/web/key",
        "/web/port",
    ]
    assert described(
        ParameterFilters=[*mine, {"Key": "Name", "Option": "Contains", "Values": ["port"]}]
    ) == ["/api/port", "/web/port"]
    assert described(
        ParameterFilters=[{"Key": "Name", "Option": "BeginsWith", "Values": [f"{root}/web"]}]
    ) == ["/web/key", "/web/port"]
    assert described(ParameterFilters=[*mine, {"Key": "Tier", "Values": ["Advanced"]}]) == [
        "/api/port"
    ]
    assert described(ParameterFilters=[*mine, {"Key": "tag:team"}]) == ["/web/port"]
    assert described(ParameterFilters=[*mine, {"Key": "tag:team", "Values": ["api"]}]) == []
    assert described(ParameterFilters=[*mine, {"Key": "KeyId", "Values": ["alias/aws/ssm"]}]) == [
        "/web/key"
    ]
    assert described(Filters=[{"Key": "Name", "Values": [f"{root}/web/key"]}]) == ["/web/key"]
    page = ssm.describe_parameters(ParameterFilters=mine, MaxResults=2)
    assert len(page["Parameters"]) == 2 and page["NextToken"]
    (meta,) = ssm.describe_parameters(
        ParameterFilters=[{"Key": "Name", "Values": [f"{root}/api/port"]}]
    )["Parameters"]
    assert meta["ARN"] == f"{ARN}{root}/api/port"
    assert (meta["Tier"], meta["Version"], meta["DataType"]) == ("Advanced", 1, "text")
    assert meta["LastModifiedUser"] == f"arn:aws:iam::{ACCOUNT}:root"

    assert (
        refusal(ssm.describe_parameters, ParameterFilters=[{"Key": "Label", "Values": ["x"]}])[0]
        == "InvalidFilterKey"
    )
    assert (
        refusal(
            ssm.describe_parameters,
            ParameterFilters=[{"Key": "Type", "Option": "Contains", "Values": ["x"]}],
        )[0]
        == "InvalidFilterOption"
    )
    assert (
        refusal(ssm.describe_parameters, ParameterFilters=[{"Key": "Path", "Values": ["nope"]}])[0]
        == "InvalidFilterValue"
    )
    assert (
        refusal(
            ssm.describe_parameters,
            Filters=[{"Key": "Name", "Values": ["a"]}],
            ParameterFilters=[{"Key": "Name", "Values": ["a"]}],
        )[0]
        == "ValidationException"
    )
    assert ssm.describe_parameters(Shared=True)["Parameters"] == []


# --- versions and labels --------------------------------------------------------------------


def test_history_pages_through_versions_with_their_labels(ssm: Any, root: str) -> None:
    name = f"{root}/h"
    ssm.put_parameter(Name=name, Value="v1", Type="String", Description="first")
    for i in range(2, 6):
        ssm.put_parameter(Name=name, Value=f"v{i}", Overwrite=True)
    ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=["beta"])
    pages = ssm.get_paginator("get_parameter_history").paginate(
        Name=name, PaginationConfig={"PageSize": 2}
    )
    seen = [(v["Version"], v["Value"], v["Labels"]) for page in pages for v in page["Parameters"]]
    assert seen == [(1, "v1", []), (2, "v2", ["beta"]), (3, "v3", []), (4, "v4", []), (5, "v5", [])]
    assert refusal(ssm.get_parameter_history, Name=f"{root}/none")[0] == "ParameterNotFound"


def test_labels_move_between_versions_and_are_checked(ssm: Any, root: str) -> None:
    name = f"{root}/l"
    ssm.put_parameter(Name=name, Value="a", Type="String")
    ssm.put_parameter(Name=name, Value="b", Overwrite=True)
    answer = ssm.label_parameter_version(
        Name=name, Labels=["prod", "1st", "awsy", "SSM-x", "ok.label-1_"]
    )
    assert answer["ParameterVersion"] == 2
    assert answer["InvalidLabels"] == ["1st", "awsy", "SSM-x"]
    assert ssm.get_parameter(Name=f"{name}:prod")["Parameter"]["Value"] == "b"
    # A label is on one version at a time: attaching it elsewhere moves it.
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["prod"])
    assert ssm.get_parameter(Name=f"{name}:prod")["Parameter"]["Value"] == "a"
    history = ssm.get_parameter_history(Name=name)["Parameters"]
    assert [v["Labels"] for v in history] == [["prod"], ["ok.label-1_"]]
    # At most ten labels on a version.
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=[f"l{i}" for i in range(9)])
    code, _ = refusal(
        ssm.label_parameter_version, Name=name, ParameterVersion=1, Labels=["eleventh"]
    )
    assert code == "ParameterVersionLabelLimitExceeded"
    assert (
        refusal(ssm.label_parameter_version, Name=name, ParameterVersion=9, Labels=["x"])[0]
        == "ParameterVersionNotFound"
    )
    assert refusal(ssm.label_parameter_version, Name=f"{root}/none", Labels=["x"])[0] == (
        "ParameterNotFound"
    )
    removed = ssm.unlabel_parameter_version(
        Name=name, ParameterVersion=1, Labels=["prod", "ok.label-1_", "never"]
    )
    assert removed["RemovedLabels"] == ["prod"]
    assert removed["InvalidLabels"] == ["ok.label-1_", "never"]
    assert refusal(ssm.get_parameter, Name=f"{name}:prod")[0] == "ParameterVersionNotFound"
    assert (
        refusal(ssm.unlabel_parameter_version, Name=name, ParameterVersion=5, Labels=["x"])[0]
        == "ParameterVersionNotFound"
    )


def test_a_parameter_keeps_its_last_100_versions(ssm: Any, root: str) -> None:
    name = f"{root}/many"
    ssm.put_parameter(Name=name, Value="1", Type="String")
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["pinned"])
    for i in range(2, 101):
        ssm.put_parameter(Name=name, Value=str(i), Overwrite=True)
    # The oldest carries a label: AWS refuses to drop it.
    assert refusal(ssm.put_parameter, Name=name, Value="101", Overwrite=True) == (
        "ParameterMaxVersionLimitExceeded",
        f"You attempted to create a new version of {name} by calling the PutParameter API with "
        "the overwrite flag. Version 1, the oldest version, can't be deleted because it has a "
        "label associated with it. Move the label to another version of the parameter, and try "
        "again.",
    )
    ssm.label_parameter_version(Name=name, ParameterVersion=50, Labels=["pinned"])
    assert ssm.put_parameter(Name=name, Value="101", Overwrite=True)["Version"] == 101
    pages = ssm.get_paginator("get_parameter_history").paginate(Name=name)
    versions = [v["Version"] for page in pages for v in page["Parameters"]]
    assert versions == list(range(2, 102))
    assert refusal(ssm.get_parameter, Name=f"{name}:1")[0] == "ParameterVersionNotFound"


# --- tags ------------------------------------------------------------------------------------


def test_tags(ssm: Any, root: str) -> None:
    name = f"{root}/tagged"
    ssm.put_parameter(Name=name, Value="v", Type="String", Tags=[{"Key": "a", "Value": "1"}])
    ssm.add_tags_to_resource(
        ResourceType="Parameter",
        ResourceId=name,
        Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "3"}],
    )
    listed = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
    assert listed == [{"Key": "a", "Value": "3"}, {"Key": "b", "Value": "2"}]
    ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId=name, TagKeys=["a", "z"])
    listed = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
    assert listed == [{"Key": "b", "Value": "2"}]
    code, _ = refusal(
        ssm.add_tags_to_resource,
        ResourceType="Parameter",
        ResourceId=name,
        Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)],
    )
    assert code == "TooManyTagsError"
    assert (
        refusal(ssm.list_tags_for_resource, ResourceType="Parameter", ResourceId=f"{root}/none")[0]
        == "InvalidResourceId"
    )
    assert (
        refusal(ssm.list_tags_for_resource, ResourceType="Document", ResourceId="doc")[0]
        == "InvalidResourceType"
    )


def test_operations_altus_does_not_serve_are_unknown(ssm: Any) -> None:
    with pytest.raises(ClientError) as raised:
        ssm.list_documents()
    assert raised.value.response["Error"]["Code"] == "UnknownOperationException"


# --- Secrets Manager references --------------------------------------------------------------


def test_secrets_manager_secrets_read_as_parameters(server: Server, ssm: Any) -> None:
    secrets = boto3.client(
        "secretsmanager",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    secret = f"app/{uuid.uuid4().hex[:8]}"
    arn = secrets.create_secret(Name=secret, SecretString='{"user":"me"}')["ARN"]
    secrets.put_secret_value(SecretId=secret, SecretString='{"user":"you"}')
    name = f"/aws/reference/secretsmanager/{secret}"
    shown = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
    assert (shown["Name"], shown["Type"], shown["Value"]) == (
        name,
        "SecureString",
        '{"user":"you"}',
    )
    assert (shown["Version"], shown["ARN"]) == (0, arn)
    source = json.loads(shown["SourceResult"])
    assert source["ARN"] == arn and "you" not in shown["SourceResult"]
    previous = ssm.get_parameter(Name=f"{name}:AWSPREVIOUS", WithDecryption=True)["Parameter"]
    assert (previous["Value"], previous["Selector"]) == ('{"user":"me"}', ":AWSPREVIOUS")
    assert refusal(ssm.get_parameter, Name=name) == (
        "ValidationException",
        "WithDecryption flag must be True for retrieving a Secret Manager secret.",
    )
    code, message = refusal(ssm.get_parameter, Name=f"{name}-missing", WithDecryption=True)
    assert code == "ParameterNotFound"
    assert message.startswith(
        "An error occurred (ParameterNotFound) when referencing Secrets Manager"
    )
    both = ssm.get_parameters(Names=[name, f"{name}-missing"], WithDecryption=True)
    assert [p["Value"] for p in both["Parameters"]] == ['{"user":"you"}']
    assert both["InvalidParameters"] == [f"{name}-missing"]


# --- at rest, across restarts, for the rest of Altus ----------------------------------------


@pytest.fixture
def stored_harness(tmp_path: Path, server_store: dict[str, str]) -> Iterator[tuple[Path, str]]:
    """A data directory and store URL (a SQLite file or a PostgreSQL schema) for
    servers started and stopped by the test."""
    yield tmp_path, server_store.get("ALTUS_STORE", f"sqlite:{tmp_path / 'altus.db'}")


def _stored_values(store: str) -> list[str]:
    if store.startswith("sqlite:"):
        with sqlite3.connect(store.removeprefix("sqlite:")) as db:
            return [row[0] for row in db.execute("SELECT value FROM ssm_versions")]
    import psycopg

    with psycopg.connect(store) as db:
        return [row[0] for row in db.execute("SELECT value FROM ssm_versions")]


def test_secure_strings_are_encrypted_at_rest_and_survive_a_restart(
    stored_harness: tuple[Path, str],
) -> None:
    data_dir, store = stored_harness
    with Harness(clock=None, data_dir=data_dir, store=store) as first:
        ssm = ssm_client(first.url)
        ssm.put_parameter(Name="/keep/secret", Value="correct-horse-battery", Type="SecureString")
        ssm.put_parameter(Name="/keep/plain", Value="visible", Type="String")
        ssm.label_parameter_version(Name="/keep/secret", Labels=["live"])
        ssm.add_tags_to_resource(
            ResourceType="Parameter", ResourceId="/keep/plain", Tags=[{"Key": "k", "Value": "v"}]
        )
    stored = _stored_values(store)
    assert "visible" in stored
    assert not any("correct-horse" in value for value in stored)
    if store.startswith("sqlite:"):
        raw = b"".join(p.read_bytes() for p in data_dir.glob("altus.db*"))
        assert b"correct-horse" not in raw
    with Harness(clock=None, data_dir=data_dir, store=store) as second:
        ssm = ssm_client(second.url)
        shown = ssm.get_parameter(Name="/keep/secret:live", WithDecryption=True)["Parameter"]
        assert (shown["Value"], shown["Version"]) == ("correct-horse-battery", 1)
        assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/keep/plain")[
            "TagList"
        ] == [{"Key": "k", "Value": "v"}]
        # The value other parts of Altus read (the Parameters and Secrets extension).
        assert second.call(lambda p: p.component("ssm").value("/keep/secret")) == (
            "correct-horse-battery"
        )
        assert second.call(lambda p: p.component("ssm").value("/keep/secret:live")) == (
            "correct-horse-battery"
        )


# --- authorisation ---------------------------------------------------------------------------


def test_callers_need_the_action_on_every_parameter_they_name(tmp_path: Path) -> None:
    from altus.identity.keys import read_credentials

    with Harness(clock=None, data_dir=tmp_path, auth="iam") as altus:
        found = read_credentials(tmp_path / "credentials")
        assert found is not None
        admin = {"aws_access_key_id": found[0], "aws_secret_access_key": found[1]}
        ssm = ssm_client(altus.url, **admin)
        for name in ("/team/a", "/team/b", "/other/c"):
            ssm.put_parameter(Name=name, Value="v", Type="String")
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
                    "Resource": [f"{ARN}/team/*", f"{ARN}/team"],
                }
            ],
        }
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/admin"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        iam = boto3.client("iam", endpoint_url=altus.url, region_name="us-east-1", **admin)
        iam.create_role(RoleName="reader", AssumeRolePolicyDocument=json.dumps(trust))
        iam.put_role_policy(RoleName="reader", PolicyName="p", PolicyDocument=json.dumps(policy))
        sts = boto3.client("sts", endpoint_url=altus.url, region_name="us-east-1", **admin)
        granted = sts.assume_role(
            RoleArn=f"arn:aws:iam::{ACCOUNT}:role/reader", RoleSessionName="session"
        )["Credentials"]
        reader = ssm_client(
            altus.url,
            aws_access_key_id=granted["AccessKeyId"],
            aws_secret_access_key=granted["SecretAccessKey"],
            aws_session_token=granted["SessionToken"],
        )
        assert reader.get_parameter(Name="/team/a")["Parameter"]["Value"] == "v"
        assert len(reader.get_parameters(Names=["/team/a", "/team/b"])["Parameters"]) == 2
        assert len(reader.get_parameters_by_path(Path="/team")["Parameters"]) == 2
        code, message = refusal(reader.get_parameters, Names=["/team/a", "/other/c"])
        assert code == "AccessDeniedException"
        assert f"ssm:GetParameters on resource: {ARN}/other/c" in message
        code, _ = refusal(reader.get_parameter, Name="/other/c")
        assert code == "AccessDeniedException"
        code, _ = refusal(reader.put_parameter, Name="/team/a", Value="w", Overwrite=True)
        assert code == "AccessDeniedException"
        code, _ = refusal(reader.describe_parameters)
        assert code == "AccessDeniedException"

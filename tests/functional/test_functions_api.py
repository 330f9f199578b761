"""The function lifecycle through boto3 against an in-process server."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import urllib.error
import urllib.request
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from altus.packaging import zip_files
from tests.conftest import PYTHON_RUNTIME, ROLE, Server, create_function

HELLO = {"app.py": "def handler(event, context):\n    return {'ok': True}\n"}


@pytest.fixture(scope="module")
def lam(inproc_server: Server) -> Any:
    return inproc_server.client()


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    error = excinfo.value.response
    return (
        error["Error"]["Code"],
        error["ResponseMetadata"]["HTTPStatusCode"],
        error["Error"]["Message"],
    )


def test_create_returns_aws_shape_and_becomes_active(lam: Any) -> None:
    package = zip_files(HELLO)
    created = lam.create_function(
        FunctionName="shape",
        Runtime=PYTHON_RUNTIME,
        Handler="app.handler",
        Role=ROLE,
        Code={"ZipFile": package},
        Description="d",
        Timeout=5,
        MemorySize=256,
        Environment={"Variables": {"AB": "1"}},
        Tags={"team": "x"},
    )
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert created["FunctionName"] == "shape"
    assert created["FunctionArn"] == "arn:aws:lambda:us-east-1:000000000000:function:shape"
    assert created["CodeSha256"] == base64.b64encode(hashlib.sha256(package).digest()).decode()
    assert created["CodeSize"] == len(package)
    assert created["Version"] == "$LATEST"
    assert created["State"] == "Pending"
    assert created["StateReasonCode"] == "Creating"
    assert created["Timeout"] == 5 and created["MemorySize"] == 256
    assert created["Environment"] == {"Variables": {"AB": "1"}}
    assert created["PackageType"] == "Zip" and created["Architectures"] == ["x86_64"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000", created["LastModified"])
    assert re.fullmatch(r"[0-9a-f-]{36}", created["RevisionId"])
    assert created["EphemeralStorage"] == {"Size": 512}
    assert created["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": "/aws/lambda/shape"}

    lam.get_waiter("function_active_v2").wait(
        FunctionName="shape", WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    got = lam.get_function(FunctionName="shape")
    assert got["Configuration"]["State"] == "Active"
    assert got["Configuration"]["LastUpdateStatus"] == "Successful"
    assert got["Configuration"]["RevisionId"] == created["RevisionId"]
    assert got["Tags"] == {"team": "x"}
    assert got["Code"]["RepositoryType"] == "S3"
    location = got["Code"]["Location"]
    with urllib.request.urlopen(location) as download:
        assert download.read() == package
    # A presigned location: without its signature, or with another's, it is refused.
    base = location.split("?")[0]
    for forged in (
        base,
        location[:-4] + "0000",
        f"{base}?Expires={'9' * 5000}&Signature={'0' * 64}",
        f"{base}?Expires=99999999999&Signature=%C3%A9",
    ):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(forged)
        assert refused.value.code == 403


def test_every_function_name_form_reaches_the_function(lam: Any) -> None:
    create_function(lam, "forms", HELLO)
    arn = "arn:aws:lambda:us-east-1:000000000000:function:forms"
    for name in ("forms", arn, "000000000000:function:forms", "forms:$LATEST", f"{arn}:$LATEST"):
        assert lam.get_function_configuration(FunctionName=name)["FunctionName"] == "forms"
    assert (
        lam.get_function_configuration(FunctionName="forms", Qualifier="$LATEST")["Version"]
        == "$LATEST"
    )
    with pytest.raises(ClientError) as excinfo:
        lam.get_function_configuration(FunctionName="forms:1", Qualifier="2")
    assert error_of(excinfo)[:2] == ("InvalidParameterValueException", 400)
    with pytest.raises(ClientError) as excinfo:
        lam.get_function(FunctionName="arn:aws:lambda:eu-west-1:000000000000:function:forms")
    assert error_of(excinfo)[:2] == ("ResourceNotFoundException", 404)


def test_unknown_function_is_404_with_the_arn(lam: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        lam.get_function(FunctionName="nope")
    code, status, message = error_of(excinfo)
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert message == "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope"
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.delete_function(FunctionName="nope")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.invoke(FunctionName="nope")


def test_duplicate_create_conflicts_and_changes_nothing(lam: Any) -> None:
    first = create_function(lam, "dup", HELLO)
    with pytest.raises(ClientError) as excinfo:
        create_function(lam, "dup", {"app.py": "x = 1\n"}, wait=False, Timeout=9)
    assert error_of(excinfo) == ("ResourceConflictException", 409, "Function already exist: dup")
    current = lam.get_function_configuration(FunctionName="dup")
    assert current["CodeSha256"] == first["CodeSha256"] and current["Timeout"] == 3


def test_list_functions_paginates_with_markers(lam: Any) -> None:
    for i in range(5):
        create_function(lam, f"page-{i}", HELLO, wait=False)
    names: list[str] = []
    marker = None
    pages = 0
    while True:
        kwargs = {"MaxItems": 2, **({"Marker": marker} if marker else {})}
        page = lam.list_functions(**kwargs)
        pages += 1
        assert len(page["Functions"]) <= 2
        names += [f["FunctionName"] for f in page["Functions"]]
        marker = page.get("NextMarker")
        if not marker:
            break
    assert names == sorted(names)
    assert [n for n in names if n.startswith("page-")] == [f"page-{i}" for i in range(5)]
    assert pages >= 3
    everything = [
        f["FunctionName"]
        for p in lam.get_paginator("list_functions").paginate()
        for f in p["Functions"]
    ]
    assert everything == names
    assert "State" not in lam.list_functions()["Functions"][0]


def test_bad_list_parameters_are_validation_errors(inproc_server: Server) -> None:
    # Values boto3 refuses to send, sent raw.
    for query in ("MaxItems=0", "MaxItems=10001", "FunctionVersion=SOME"):
        with pytest.raises(urllib.error.HTTPError) as excinfo:
            urllib.request.urlopen(f"{inproc_server.url}/2015-03-31/functions/?{query}", timeout=30)
        assert excinfo.value.code == 400
        assert excinfo.value.headers["x-amzn-ErrorType"].startswith("ValidationException")


def test_list_functions_with_every_version(lam: Any) -> None:
    create_function(lam, "zz-versions", HELLO)
    lam.publish_version(FunctionName="zz-versions")
    listed = [
        f["FunctionArn"]
        for p in lam.get_paginator("list_functions").paginate(FunctionVersion="ALL")
        for f in p["Functions"]
        if f["FunctionName"] == "zz-versions"
    ]
    base = "arn:aws:lambda:us-east-1:000000000000:function:zz-versions"
    assert listed == [f"{base}:$LATEST", f"{base}:1"]


def test_update_code_and_configuration_with_waiters_and_revisions(lam: Any) -> None:
    created = create_function(lam, "upd", HELLO)
    new_package = zip_files({"app.py": "def handler(e, c):\n    return 2\n"})
    updated = lam.update_function_code(FunctionName="upd", ZipFile=new_package)
    assert updated["LastUpdateStatus"] == "InProgress"
    assert updated["RevisionId"] != created["RevisionId"]
    assert updated["CodeSha256"] == base64.b64encode(hashlib.sha256(new_package).digest()).decode()
    lam.get_waiter("function_updated_v2").wait(
        FunctionName="upd", WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    with pytest.raises(ClientError) as excinfo:
        lam.update_function_configuration(
            FunctionName="upd", Timeout=10, RevisionId=created["RevisionId"]
        )
    assert error_of(excinfo)[:2] == ("PreconditionFailedException", 412)
    current = lam.get_function_configuration(FunctionName="upd")
    assert current["Timeout"] == 3
    configured = lam.update_function_configuration(
        FunctionName="upd",
        Timeout=10,
        MemorySize=512,
        RevisionId=current["RevisionId"],
        Environment={"Variables": {"KEY": "v"}},
        Description="new",
    )
    assert (configured["Timeout"], configured["MemorySize"]) == (10, 512)
    assert configured["Environment"] == {"Variables": {"KEY": "v"}}
    lam.get_waiter("function_updated_v2").wait(
        FunctionName="upd", WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    cleared = lam.update_function_configuration(FunctionName="upd", Environment={"Variables": {}})
    assert "Environment" not in cleared
    dry = lam.update_function_code(FunctionName="upd", ZipFile=zip_files(HELLO), DryRun=True)
    assert dry["CodeSha256"] != lam.get_function_configuration(FunctionName="upd")["CodeSha256"]


def test_delete_function(lam: Any) -> None:
    create_function(lam, "gone", HELLO)
    response = lam.delete_function(FunctionName="gone")
    assert response["ResponseMetadata"]["HTTPStatusCode"] in (200, 204)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName="gone")
    create_function(lam, "gone", HELLO)  # the name is free again


@pytest.mark.parametrize(
    ("overrides", "code", "fragment"),
    [
        ({"MemorySize": 20000}, "ValidationException", "less than or equal to 10240"),
        ({"Timeout": 901}, "ValidationException", "less than or equal to 900"),
        ({"Handler": "app handler"}, "ValidationException", "regular expression pattern"),
        ({"Role": "not-a-role"}, "ValidationException", "at 'role'"),
        ({"Runtime": "java21"}, "InvalidParameterValueException", "not supported"),
        ({"Runtime": "python2.7"}, "InvalidParameterValueException", "no longer supported"),
        (
            {"Environment": {"Variables": {"AWS_REGION": "x"}}},
            "InvalidParameterValueException",
            "reserved keys",
        ),
        (
            {"Environment": {"Variables": {"BIG": "x" * 5000}}},
            "InvalidParameterValueException",
            "exceeded the 4KB limit",
        ),
        ({"Environment": {"Variables": {"1bad": "x"}}}, "ValidationException", "Map keys"),
        (
            {"Code": {"ZipFile": b"not a zip"}},
            "InvalidParameterValueException",
            "Could not unzip uploaded file",
        ),
        (
            {"Layers": ["arn:aws:lambda:us-east-1:000000000000:layer:l:1"]},
            "InvalidParameterValueException",
            "does not exist",
        ),
        ({"EphemeralStorage": {"Size": 20000}}, "ValidationException", "10240"),
        (
            {"LoggingConfig": {"LogFormat": "Text", "ApplicationLogLevel": "DEBUG"}},
            "InvalidParameterValueException",
            "LogLevel is not supported",
        ),
    ],
)
def test_bad_create_requests_are_refused_precisely(
    lam: Any, overrides: dict[str, Any], code: str, fragment: str
) -> None:
    args: dict[str, Any] = {
        "FunctionName": "bad",
        "Runtime": PYTHON_RUNTIME,
        "Handler": "app.handler",
        "Role": ROLE,
        "Code": {"ZipFile": zip_files(HELLO)},
    }
    args.update(overrides)
    with pytest.raises(ClientError) as excinfo:
        lam.create_function(**args)
    got_code, status, message = error_of(excinfo)
    assert (got_code, status) == (code, 400)
    assert fragment in message
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName="bad")


def test_versions_are_immutable_snapshots(lam: Any) -> None:
    create_function(lam, "ver", HELLO, Description="latest")
    v1 = lam.publish_version(FunctionName="ver", Description="first")
    assert v1["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert v1["Version"] == "1"
    assert v1["FunctionArn"].endswith(":function:ver:1")
    again = lam.publish_version(FunctionName="ver")
    assert again["Version"] == "1"  # nothing changed since version 1
    lam.update_function_configuration(FunctionName="ver", Timeout=30)
    lam.get_waiter("function_updated_v2").wait(
        FunctionName="ver", WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    with pytest.raises(ClientError) as excinfo:
        lam.publish_version(FunctionName="ver", CodeSha256="AAAA")
    assert error_of(excinfo)[0] == "InvalidParameterValueException"
    v2 = lam.publish_version(FunctionName="ver")
    assert v2["Version"] == "2" and v2["Timeout"] == 30
    assert lam.get_function_configuration(FunctionName="ver", Qualifier="1")["Timeout"] == 3
    versions = lam.list_versions_by_function(FunctionName="ver")["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1", "2"]
    assert versions[0]["FunctionArn"].endswith(":ver:$LATEST")
    with pytest.raises(ClientError) as excinfo:
        lam.delete_function(FunctionName="ver", Qualifier="$LATEST")
    assert error_of(excinfo)[0] == "InvalidParameterValueException"
    lam.delete_function(FunctionName="ver", Qualifier="2")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName="ver:2")
    v3 = lam.publish_version(FunctionName="ver", Description="numbers are never reused")
    assert v3["Version"] == "3"


def test_alias_lifecycle_and_routing_rules(lam: Any) -> None:
    create_function(lam, "al", HELLO)
    lam.publish_version(FunctionName="al")
    lam.update_function_configuration(FunctionName="al", Timeout=7)
    lam.get_waiter("function_updated_v2").wait(
        FunctionName="al", WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    lam.publish_version(FunctionName="al")
    alias = lam.create_alias(
        FunctionName="al",
        Name="live",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.25}},
    )
    assert alias["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert alias["AliasArn"] == "arn:aws:lambda:us-east-1:000000000000:function:al:live"
    assert alias["RoutingConfig"] == {"AdditionalVersionWeights": {"2": 0.25}}
    with pytest.raises(ClientError) as excinfo:
        lam.create_alias(FunctionName="al", Name="live", FunctionVersion="1")
    assert error_of(excinfo)[:2] == ("ResourceConflictException", 409)
    assert lam.get_alias(FunctionName="al", Name="live")["FunctionVersion"] == "1"
    assert lam.get_function_configuration(FunctionName="al:live")["Timeout"] == 3
    lam.create_alias(FunctionName="al", Name="edge", FunctionVersion="$LATEST")
    listed = lam.list_aliases(FunctionName="al")["Aliases"]
    assert [a["Name"] for a in listed] == ["edge", "live"]
    assert [
        a["Name"] for a in lam.list_aliases(FunctionName="al", FunctionVersion="1")["Aliases"]
    ] == ["live"]
    with pytest.raises(ClientError) as excinfo:
        lam.update_alias(FunctionName="al", Name="live", FunctionVersion="2", RevisionId="stale")
    assert error_of(excinfo)[:2] == ("PreconditionFailedException", 412)
    for bad in ({"3": 0.5}, {"1": 0.5}, {"2": 0.5, "1": 0.1}):
        with pytest.raises(ClientError) as excinfo:
            lam.update_alias(
                FunctionName="al",
                Name="live",
                FunctionVersion="1",
                RoutingConfig={"AdditionalVersionWeights": bad},
            )
        assert error_of(excinfo)[0] == "InvalidParameterValueException"
    with pytest.raises(ClientError) as excinfo:
        lam.create_alias(
            FunctionName="al",
            Name="weighted-latest",
            FunctionVersion="$LATEST",
            RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}},
        )
    assert error_of(excinfo)[0] == "InvalidParameterValueException"
    with pytest.raises(ClientError) as excinfo:
        lam.delete_function(FunctionName="al", Qualifier="1")
    assert error_of(excinfo)[:2] == ("ResourceConflictException", 409)
    updated = lam.update_alias(
        FunctionName="al",
        Name="live",
        FunctionVersion="2",
        RoutingConfig={"AdditionalVersionWeights": {}},
    )
    assert updated["FunctionVersion"] == "2" and "RoutingConfig" not in updated
    assert (
        lam.delete_alias(FunctionName="al", Name="live")["ResponseMetadata"]["HTTPStatusCode"]
        == 204
    )
    arn = "arn:aws:lambda:us-east-1:000000000000:function:al:live"
    with pytest.raises(ClientError) as excinfo:
        lam.get_alias(FunctionName="al", Name="live")
    assert error_of(excinfo) == ("ResourceNotFoundException", 404, f"Cannot find alias arn: {arn}")
    with pytest.raises(ClientError) as excinfo:
        lam.update_alias(FunctionName="al", Name="live", FunctionVersion="1")
    assert error_of(excinfo)[2] == f"Alias not found: {arn}"
    with pytest.raises(ClientError) as excinfo:
        lam.get_function(FunctionName="al:live")
    assert error_of(excinfo)[2] == f"Function not found: {arn}"
    # Deleting what is already gone succeeds, as on Lambda.
    assert (
        lam.delete_alias(FunctionName="al", Name="live")["ResponseMetadata"]["HTTPStatusCode"]
        == 204
    )


def test_invoke_errors_before_running(lam: Any) -> None:
    create_function(lam, "inv", HELLO)
    with pytest.raises(ClientError) as excinfo:
        lam.invoke(FunctionName="inv", Payload=b"x" * (6 * 1024 * 1024 + 1))
    assert error_of(excinfo)[:2] == ("RequestTooLargeException", 413)
    with pytest.raises(ClientError) as excinfo:
        lam.invoke(FunctionName="inv", Payload=b"{not json")
    assert error_of(excinfo)[:2] == ("InvalidRequestContentException", 400)
    with pytest.raises(ClientError) as excinfo:
        lam.invoke(FunctionName="inv", ClientContext="!!notbase64")
    assert error_of(excinfo)[:2] == ("InvalidRequestContentException", 400)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.invoke(FunctionName="inv", Qualifier="missing-alias")
    dry = lam.invoke(FunctionName="inv", InvocationType="DryRun")
    assert dry["StatusCode"] == 204


def test_account_settings(lam: Any) -> None:
    settings = lam.get_account_settings()
    assert settings["AccountLimit"]["ConcurrentExecutions"] == 1000
    assert settings["AccountUsage"]["FunctionCount"] >= 1


def test_malformed_bodies_get_aws_errors_not_500s(inproc_server: Server, lam: Any) -> None:
    create_function(lam, "deep", HELLO)
    deep = b"[" * 100_000 + b"]" * 100_000
    for path, body in [
        ("/2015-03-31/functions/deep/invocations", deep),
        ("/2015-03-31/functions/deep/invocations", b'{"x": NaN}'),
        ("/2015-03-31/functions", deep),
    ]:
        request = urllib.request.Request(inproc_server.url + path, data=body, method="POST")
        with pytest.raises(urllib.error.HTTPError) as excinfo:
            urllib.request.urlopen(request, timeout=30)
        assert excinfo.value.code == 400
        assert excinfo.value.headers["x-amzn-ErrorType"].startswith(
            "InvalidRequestContentException"
        )
    # Requests boto3 would refuse to send, sent raw.
    for target, body, error in [
        ("DescribeLogGroups", b'{"limit": 0}', "InvalidParameterException"),
        ("DescribeLogGroups", b'{"logGroupNamePrefix": 5}', "SerializationException"),
        (
            "GetLogEvents",
            b'{"logGroupName": "/aws/lambda/deep", "logStreamName": "s", "startTime": 1e400}',
            "SerializationException",
        ),
        (
            "FilterLogEvents",
            b'{"logGroupName": "g", "endTime": 99999999999999999999999}',
            "SerializationException",
        ),
        ("DescribeLogGroups", b"[" * 100_000, "SerializationException"),
    ]:
        request = urllib.request.Request(
            inproc_server.url + "/",
            data=body,
            method="POST",
            headers={
                "X-Amz-Target": f"Logs_20140328.{target}",
                "Content-Type": "application/x-amz-json-1.1",
            },
        )
        with pytest.raises(urllib.error.HTTPError) as excinfo:
            urllib.request.urlopen(request, timeout=30)
        assert excinfo.value.code == 400, (target, body[:40])
        assert json.loads(excinfo.value.read())["__type"] == error


def test_concurrent_publishing_updates_each_get_their_own_version(lam: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    create_function(lam, "racy", HELLO)
    packages = [zip_files({"app.py": f"def handler(e, c):\n    return {n}\n"}) for n in range(6)]

    def update(package: bytes) -> dict[str, Any]:
        return lam.update_function_code(FunctionName="racy", ZipFile=package, Publish=True)

    with ThreadPoolExecutor(6) as pool:
        versions = list(pool.map(update, packages))
    for package, version in zip(packages, versions, strict=True):
        expected = base64.b64encode(hashlib.sha256(package).digest()).decode()
        assert version["CodeSha256"] == expected
        assert (
            lam.get_function_configuration(FunctionName="racy", Qualifier=version["Version"])[
                "CodeSha256"
            ]
            == expected
        )
    assert len({v["Version"] for v in versions}) == 6


def test_publish_version_keeps_the_latest_description(lam: Any) -> None:
    create_function(lam, "described", HELLO, Description="from latest")
    assert lam.publish_version(FunctionName="described")["Description"] == "from latest"


def test_code_from_a_bucket_for_functions_and_layers(lam: Any, inproc_server: Server) -> None:
    """Code.S3Bucket/S3Key/S3ObjectVersion in CreateFunction, UpdateFunctionCode and
    PublishLayerVersion read the object store; a missing object is refused in Lambda's
    words, quoting S3's error."""
    s3 = boto3.client(
        "s3",
        endpoint_url=inproc_server.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    s3.create_bucket(Bucket="code")
    s3.put_bucket_versioning(Bucket="code", VersioningConfiguration={"Status": "Enabled"})
    first = zip_files({"app.py": "def handler(event, context):\n    return 'first'\n"})
    second = zip_files({"app.py": "def handler(event, context):\n    return 'second'\n"})
    v1 = s3.put_object(Bucket="code", Key="pkg/app.zip", Body=first)["VersionId"]
    s3.put_object(Bucket="code", Key="pkg/app.zip", Body=second)
    created = lam.create_function(
        FunctionName="from-s3",
        Runtime=PYTHON_RUNTIME,
        Role=ROLE,
        Handler="app.handler",
        Code={"S3Bucket": "code", "S3Key": "pkg/app.zip", "S3ObjectVersion": v1},
    )
    assert created["CodeSha256"] == base64.b64encode(hashlib.sha256(first).digest()).decode()
    lam.get_waiter("function_active_v2").wait(
        FunctionName="from-s3", WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    assert json.loads(lam.invoke(FunctionName="from-s3")["Payload"].read()) == "first"
    lam.update_function_code(FunctionName="from-s3", S3Bucket="code", S3Key="pkg/app.zip")
    lam.get_waiter("function_updated_v2").wait(
        FunctionName="from-s3", WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    assert json.loads(lam.invoke(FunctionName="from-s3")["Payload"].read()) == "second"
    layer = lam.publish_layer_version(
        LayerName="from-s3", Content={"S3Bucket": "code", "S3Key": "pkg/app.zip"}
    )
    assert layer["Content"]["CodeSize"] == len(second)
    with pytest.raises(ClientError) as missing:
        lam.update_function_code(FunctionName="from-s3", S3Bucket="code", S3Key="nothing.zip")
    assert error_of(missing) == (
        "InvalidParameterValueException",
        400,
        "Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: "
        "The specified key does not exist.",
    )
    with pytest.raises(ClientError) as both:
        lam.update_function_code(
            FunctionName="from-s3", ZipFile=first, S3Bucket="code", S3Key="pkg/app.zip"
        )
    assert error_of(both)[0] == "InvalidParameterValueException"

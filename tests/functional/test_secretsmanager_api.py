"""Secrets Manager through boto3 against the in-process server: secrets and their values,
versions and staging labels, idempotency, deletion with a recovery window (purged on the
platform's clock, a fake one here), tags, resource policies, random passwords, batch
reads, errors in AWS's words, values sealed at rest, and a restart that keeps it all."""

from __future__ import annotations

import datetime
import json
import string
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from altus.clock import FakeClock
from altus.testing import Harness, wait_until
from tests.conftest import Server

ACCOUNT = "000000000000"
ARN_PREFIX = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:"
NOT_FOUND = "Secrets Manager can't find the specified secret."
MARKED = "You can't perform this operation on the secret because it was marked for deletion."
START = 1_700_000_000.0


@pytest.fixture(scope="module")
def server(inproc_stored: Server) -> Server:
    return inproc_stored


@pytest.fixture(scope="module")
def clocked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    """A server on a fake clock, its state in a SQLite file."""
    data_dir = tmp_path_factory.mktemp("secrets-clocked")
    with Harness(
        clock=FakeClock(START), data_dir=data_dir, store=f"sqlite:{data_dir / 'altus.db'}"
    ) as harness:
        yield harness


def client(url: str, **keys: str) -> Any:
    credentials = keys or {"aws_access_key_id": "x", "aws_secret_access_key": "x"}
    return boto3.client(
        "secretsmanager",
        endpoint_url=url,
        region_name="us-east-1",
        config=Config(retries={"total_max_attempts": 1}),
        **credentials,
    )


def unique(prefix: str = "t") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def refused(call: Any) -> dict[str, Any]:
    """The error a call is refused with (its HTTP status under ``Status``)."""
    with pytest.raises(ClientError) as raised:
        call()
    response = raised.value.response
    return {**response["Error"], "Status": response["ResponseMetadata"]["HTTPStatusCode"]}


def token() -> str:
    return str(uuid.uuid4())


# --- secrets and their values ------------------------------------------------------------------


def test_a_secret_is_read_by_name_full_arn_and_partial_arn(server: Server) -> None:
    sm = client(server.url)
    name = unique("app/db-")
    made = sm.create_secret(
        Name=name,
        SecretString='{"password": "hunter2"}',
        Description="the database's",
        KmsKeyId="alias/mine",
        Tags=[{"Key": "env", "Value": "prod"}],
    )
    assert made["Name"] == name and "VersionId" in made
    arn = made["ARN"]
    assert arn.startswith(f"{ARN_PREFIX}{name}-") and len(arn) == len(ARN_PREFIX + name) + 7
    suffix = arn.rsplit("-", 1)[1]
    assert len(suffix) == 6 and set(suffix) <= set(string.ascii_letters + string.digits)
    for secret_id in (name, arn, ARN_PREFIX + name):
        got = sm.get_secret_value(SecretId=secret_id)
        assert (got["ARN"], got["Name"], got["SecretString"]) == (arn, name, made_value())
        assert got["VersionId"] == made["VersionId"] and got["VersionStages"] == ["AWSCURRENT"]
        assert "SecretBinary" not in got
    described = sm.describe_secret(SecretId=arn)
    assert described["Description"] == "the database's"
    assert described["KmsKeyId"] == "alias/mine"
    assert described["Tags"] == [{"Key": "env", "Value": "prod"}]
    assert described["VersionIdsToStages"] == {made["VersionId"]: ["AWSCURRENT"]}
    assert "DeletedDate" not in described and "RotationEnabled" not in described
    assert described["CreatedDate"] <= described["LastChangedDate"]
    assert isinstance(described["LastAccessedDate"], datetime.datetime)  # read above
    versions = sm.list_secret_version_ids(SecretId=name)["Versions"]
    assert [(v["VersionId"], v["KmsKeyIds"]) for v in versions] == [
        (made["VersionId"], ["alias/mine"])
    ]
    # Back to the default key: the current version is encrypted again with it.
    sm.update_secret(SecretId=name, KmsKeyId="")
    assert "KmsKeyId" not in sm.describe_secret(SecretId=name)
    versions = sm.list_secret_version_ids(SecretId=name)["Versions"]
    assert versions[0]["KmsKeyIds"] == ["DefaultEncryptionKey"]
    # Another secret's (or account's) ARN is not this one.
    other = ARN_PREFIX.replace(ACCOUNT, "111111111111") + name
    assert refused(lambda: sm.get_secret_value(SecretId=other))["Message"] == NOT_FOUND


def made_value() -> str:
    return '{"password": "hunter2"}'


def test_binary_values_round_trip_and_a_secret_without_one_has_no_current_version(
    server: Server,
) -> None:
    sm = client(server.url)
    name = unique()
    sm.create_secret(Name=name, SecretBinary=b"\x00\x01binary\xff")
    got = sm.get_secret_value(SecretId=name)
    assert got["SecretBinary"] == b"\x00\x01binary\xff" and "SecretString" not in got
    empty = unique()
    made = sm.create_secret(Name=empty)
    assert "VersionId" not in made
    error = refused(lambda: sm.get_secret_value(SecretId=empty))
    assert (error["Code"], error["Status"]) == ("ResourceNotFoundException", 400)
    assert error["Message"] == (
        "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT"
    )
    assert "VersionIdsToStages" not in sm.describe_secret(SecretId=empty)
    # Its first value becomes AWSCURRENT, whatever labels it is given.
    first = sm.put_secret_value(SecretId=empty, SecretString="v", VersionStages=["AWSPENDING"])
    assert first["VersionStages"] == ["AWSCURRENT", "AWSPENDING"]


def test_the_version_stage_dance(server: Server) -> None:
    sm = client(server.url)
    name = unique()
    one = sm.create_secret(Name=name, SecretString="one")["VersionId"]
    two = sm.put_secret_value(SecretId=name, SecretString="two")
    assert two["VersionStages"] == ["AWSCURRENT"]
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert stages == {one: ["AWSPREVIOUS"], two["VersionId"]: ["AWSCURRENT"]}
    assert sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == "one"
    # A third value: the first version loses its last label and is deprecated.
    three = sm.update_secret(SecretId=name, SecretString="three")["VersionId"]
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert stages == {two["VersionId"]: ["AWSPREVIOUS"], three: ["AWSCURRENT"]}
    listed = sm.list_secret_version_ids(SecretId=name)["Versions"]
    assert [v["VersionId"] for v in listed] == [two["VersionId"], three]
    every = sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]
    assert [v["VersionId"] for v in every] == [one, two["VersionId"], three]
    assert "VersionStages" not in every[0]
    # A deprecated version is still there by its id until Secrets Manager removes it.
    got = sm.get_secret_value(SecretId=name, VersionId=one)
    assert got["SecretString"] == "one" and "VersionStages" not in got
    mismatch = refused(
        lambda: sm.get_secret_value(SecretId=name, VersionId=one, VersionStage="AWSCURRENT")
    )
    assert (mismatch["Code"], mismatch["Message"]) == (
        "InvalidRequestException",
        "You provided a VersionStage that is not associated to the provided VersionId.",
    )
    missing = token()
    assert refused(lambda: sm.get_secret_value(SecretId=name, VersionId=missing))["Message"] == (
        f"Secrets Manager can't find the specified secret value for VersionId: {missing}"
    )
    # A pending version: labelled, AWSCURRENT stays where it is.
    pending = sm.put_secret_value(SecretId=name, SecretString="four", VersionStages=["AWSPENDING"])
    assert pending["VersionStages"] == ["AWSPENDING"]
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "three"
    # Moving AWSCURRENT needs the version it leaves named.
    move = refused(
        lambda: sm.update_secret_version_stage(
            SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=pending["VersionId"]
        )
    )
    assert (move["Code"], move["Message"]) == (
        "InvalidParameterException",
        "The parameter RemoveFromVersionId can't be empty. Staging label AWSCURRENT is "
        f"currently attached to version {three}, so you must explicitly reference that "
        "version in RemoveFromVersionId.",
    )
    wrong = refused(
        lambda: sm.update_secret_version_stage(
            SecretId=name,
            VersionStage="AWSCURRENT",
            MoveToVersionId=pending["VersionId"],
            RemoveFromVersionId=one,
        )
    )
    assert wrong["Code"] == "InvalidParameterException"
    moved = sm.update_secret_version_stage(
        SecretId=name,
        VersionStage="AWSCURRENT",
        MoveToVersionId=pending["VersionId"],
        RemoveFromVersionId=three,
    )
    assert moved["Name"] == name
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert stages == {three: ["AWSPREVIOUS"], pending["VersionId"]: ["AWSPENDING", "AWSCURRENT"]}
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "four"
    # A label of one's own is removed by naming where it is; AWSCURRENT cannot just go.
    sm.update_secret_version_stage(
        SecretId=name, VersionStage="AWSPENDING", RemoveFromVersionId=pending["VersionId"]
    )
    assert sm.describe_secret(SecretId=name)["VersionIdsToStages"][pending["VersionId"]] == [
        "AWSCURRENT"
    ]
    kept = refused(
        lambda: sm.update_secret_version_stage(
            SecretId=name, VersionStage="AWSCURRENT", RemoveFromVersionId=pending["VersionId"]
        )
    )
    assert kept["Code"] == "InvalidParameterException"
    # A label named twice, or attached where it is, changes nothing.
    sm.update_secret_version_stage(
        SecretId=name,
        VersionStage="AWSCURRENT",
        MoveToVersionId=pending["VersionId"],
        RemoveFromVersionId=pending["VersionId"],
    )
    assert sm.get_secret_value(SecretId=name)["VersionId"] == pending["VersionId"]


# --- idempotency -------------------------------------------------------------------------------


def test_client_request_tokens_make_retries_safe(server: Server) -> None:
    sm = client(server.url)
    name = unique()
    first = token()
    made = sm.create_secret(Name=name, SecretString="v1", ClientRequestToken=first)
    again = sm.create_secret(Name=name, SecretString="v1", ClientRequestToken=first)
    assert (again["ARN"], again["VersionId"]) == (made["ARN"], first)
    # The same name under another token is another secret: refused.
    exists = refused(lambda: sm.create_secret(Name=name, SecretString="v1"))
    assert (exists["Code"], exists["Message"]) == (
        "ResourceExistsException",
        f"The operation failed because the secret {name} already exists.",
    )
    assert refused(
        lambda: sm.create_secret(Name=name, SecretString="other", ClientRequestToken=first)
    )["Code"] == ("ResourceExistsException")
    # PutSecretValue: the same token and value do nothing; another value is refused.
    second = token()
    put = sm.put_secret_value(SecretId=name, SecretString="v2", ClientRequestToken=second)
    retried = sm.put_secret_value(SecretId=name, SecretString="v2", ClientRequestToken=second)
    assert retried["VersionId"] == put["VersionId"] == second
    assert retried["VersionStages"] == ["AWSCURRENT"]
    versions = sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]
    assert len(versions) == 2
    changed = refused(
        lambda: sm.put_secret_value(SecretId=name, SecretString="v3", ClientRequestToken=second)
    )
    assert changed["Code"] == "ResourceExistsException"
    # The same bytes as text are another value.
    assert refused(
        lambda: sm.put_secret_value(SecretId=name, SecretBinary=b"v2", ClientRequestToken=second)
    )["Code"] == ("ResourceExistsException")
    # UpdateSecret never reuses a version's token.
    assert refused(
        lambda: sm.update_secret(SecretId=name, SecretString="v2", ClientRequestToken=second)
    )["Code"] == ("ResourceExistsException")
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v2"


def test_a_value_sent_without_a_token_is_refused_as_aws_refuses_it(server: Server) -> None:
    """The SDKs always send one; a raw request without it is refused."""
    name = unique()
    request = urllib.request.Request(
        server.url + "/",
        data=json.dumps({"Name": name, "SecretString": "x"}).encode(),
        headers={
            "X-Amz-Target": "secretsmanager.CreateSecret",
            "Content-Type": "application/x-amz-json-1.1",
        },
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=30)
    assert raised.value.code == 400
    assert json.loads(raised.value.read()) == {
        "__type": "InvalidRequestException",
        "Message": "You must provide a ClientRequestToken value. We recommend a UUID-type value.",
    }
    assert refused(lambda: client(server.url).describe_secret(SecretId=name))["Message"] == (
        NOT_FOUND
    )


# --- errors ------------------------------------------------------------------------------------


def test_bad_input_is_refused_in_aws_words_and_changes_nothing(server: Server) -> None:
    sm = client(server.url)
    missing = refused(lambda: sm.get_secret_value(SecretId=unique()))
    assert (missing["Code"], missing["Message"], missing["Status"]) == (
        "ResourceNotFoundException",
        NOT_FOUND,
        400,
    )
    bad_name = refused(lambda: sm.create_secret(Name="no spaces", SecretString="x"))
    assert (bad_name["Code"], bad_name["Message"]) == (
        "ValidationException",
        "Invalid name. Must be a valid name containing alphanumeric characters, or any of "
        "the following: -/_+=.@!",
    )
    name = unique()
    both = refused(lambda: sm.create_secret(Name=name, SecretString="x", SecretBinary=b"x"))
    assert (both["Code"], both["Message"]) == (
        "InvalidParameterException",
        "You can't specify both a binary secret value and a string secret value in the same "
        "secret.",
    )
    # 65,536 characters pass the model, but not the quota of 65,536 bytes.
    too_big = refused(lambda: sm.create_secret(Name=name, SecretString="é" * 40_000))
    assert too_big["Code"] == "InvalidParameterException"
    too_long = refused(lambda: sm.create_secret(Name=name, SecretString="x" * 65_537))
    assert too_long["Code"] == "ValidationException"
    assert "at 'secretString' failed to satisfy constraint" in too_long["Message"]
    assert refused(lambda: sm.describe_secret(SecretId=name))["Message"] == NOT_FOUND
    sm.create_secret(Name=name, SecretString="x" * 65_536)
    assert len(sm.get_secret_value(SecretId=name)["SecretString"]) == 65_536
    neither = refused(lambda: sm.put_secret_value(SecretId=name))
    assert neither["Code"] == "InvalidParameterException"
    window = refused(lambda: sm.delete_secret(SecretId=name, RecoveryWindowInDays=6))
    assert (window["Code"], window["Message"]) == (
        "InvalidParameterException",
        "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).",
    )
    conflict = refused(
        lambda: sm.delete_secret(
            SecretId=name, RecoveryWindowInDays=7, ForceDeleteWithoutRecovery=True
        )
    )
    assert conflict["Message"] == (
        "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays."
    )
    replicated = refused(
        lambda: sm.create_secret(
            Name=unique(), SecretString="x", AddReplicaRegions=[{"Region": "eu-west-1"}]
        )
    )
    assert replicated["Code"] == "InvalidParameterException"
    assert sm.describe_secret(SecretId=name)["Name"] == name  # still there, unchanged


# --- deletion ----------------------------------------------------------------------------------


def test_a_deleted_secret_waits_its_recovery_window_and_can_be_restored(server: Server) -> None:
    sm = client(server.url)
    name = unique()
    arn = sm.create_secret(Name=name, SecretString="keep me")["ARN"]
    before = datetime.datetime.now(datetime.UTC)
    deleted = sm.delete_secret(SecretId=name)
    assert (deleted["ARN"], deleted["Name"]) == (arn, name)
    window = deleted["DeletionDate"] - before
    assert datetime.timedelta(days=30) - datetime.timedelta(minutes=1) < window
    assert window < datetime.timedelta(days=30, minutes=1)
    for call in (
        lambda: sm.get_secret_value(SecretId=name),
        lambda: sm.put_secret_value(SecretId=name, SecretString="x"),
        lambda: sm.update_secret(SecretId=name, Description="x"),
        lambda: sm.tag_resource(SecretId=name, Tags=[{"Key": "k", "Value": "v"}]),
        lambda: sm.delete_secret(SecretId=name),
        lambda: sm.get_resource_policy(SecretId=name),
    ):
        error = refused(call)
        assert (error["Code"], error["Message"]) == ("InvalidRequestException", MARKED)
    described = sm.describe_secret(SecretId=name)
    assert "DeletedDate" in described
    again = refused(lambda: sm.create_secret(Name=name, SecretString="x"))
    assert (again["Code"], again["Message"]) == (
        "InvalidRequestException",
        "You can't create this secret because a secret with this name is already scheduled "
        "for deletion.",
    )
    assert name not in names_listed(sm, name)
    assert name in names_listed(sm, name, IncludePlannedDeletion=True)
    restored = sm.restore_secret(SecretId=arn)
    assert (restored["ARN"], restored["Name"]) == (arn, name)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "keep me"
    assert "DeletedDate" not in sm.describe_secret(SecretId=name)
    sm.restore_secret(SecretId=name)  # not scheduled: nothing to cancel, no error


def test_a_forced_deletion_is_immediate_and_never_not_found(server: Server) -> None:
    sm = client(server.url)
    name = unique()
    arn = sm.create_secret(Name=name, SecretString="gone")["ARN"]
    sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    forced = sm.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
    assert (forced["ARN"], forced["Name"]) == (arn, name)
    assert refused(lambda: sm.describe_secret(SecretId=arn))["Message"] == NOT_FOUND
    ghost = unique()
    assert sm.delete_secret(SecretId=ghost, ForceDeleteWithoutRecovery=True)["Name"] == ghost
    assert refused(lambda: sm.delete_secret(SecretId=ghost))["Message"] == NOT_FOUND
    # The name is free again, under a new ARN: grants on the old one do not reach it.
    reborn = sm.create_secret(Name=name, SecretString="new")["ARN"]
    assert reborn != arn
    assert refused(lambda: sm.get_secret_value(SecretId=arn))["Message"] == NOT_FOUND


def test_a_secret_is_purged_when_its_recovery_window_ends(clocked: Harness) -> None:
    sm = client(clocked.url)
    name = unique()
    arn = sm.create_secret(Name=name, SecretString="short-lived")["ARN"]
    deleted = sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    assert clocked.clock is not None
    now = clocked.clock.now()
    assert deleted["DeletionDate"].timestamp() == pytest.approx(now + 7 * 86400, abs=1)
    clocked.advance(7 * 86400 - 1)
    assert sm.describe_secret(SecretId=arn)["Name"] == name  # a second to go
    clocked.advance(2)
    wait_until(lambda: _gone(sm, arn))
    assert name not in names_listed(sm, name, IncludePlannedDeletion=True)
    assert sm.create_secret(Name=name, SecretString="again")["ARN"] != arn


def _gone(sm: Any, secret_id: str) -> bool:
    try:
        sm.describe_secret(SecretId=secret_id)
    except sm.exceptions.ResourceNotFoundException:
        return True
    return False


def names_listed(sm: Any, prefix: str, **listing: Any) -> list[str]:
    secrets = sm.list_secrets(Filters=[{"Key": "name", "Values": [prefix]}], **listing)
    return [s["Name"] for s in secrets["SecretList"]]


# --- versions kept ---------------------------------------------------------------------------


def test_a_secret_keeps_100_versions_and_those_of_the_last_day(clocked: Harness) -> None:
    sm = client(clocked.url)
    name = unique()
    first = sm.create_secret(Name=name, SecretString="v0")["VersionId"]
    for n in range(1, 100):
        sm.put_secret_value(SecretId=name, SecretString=f"v{n}")
    assert len(all_versions(sm, name)) == 100
    full = refused(lambda: sm.put_secret_value(SecretId=name, SecretString="v100"))
    assert full["Code"] == "LimitExceededException"
    assert len(all_versions(sm, name)) == 100
    # A day later the oldest deprecated version makes room.
    clocked.advance(24 * 3600)
    newest = sm.put_secret_value(SecretId=name, SecretString="v100")["VersionId"]
    kept = all_versions(sm, name)
    assert len(kept) == 100 and first not in kept and kept[-1] == newest
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v100"


def all_versions(sm: Any, name: str) -> list[str]:
    found: list[str] = []
    listing: dict[str, Any] = {"SecretId": name, "IncludeDeprecated": True, "MaxResults": 30}
    for _ in range(20):  # bounded: 30 a page
        answer = sm.list_secret_version_ids(**listing)
        found += [v["VersionId"] for v in answer["Versions"]]
        if "NextToken" not in answer:
            return found
        listing["NextToken"] = answer["NextToken"]
    raise AssertionError("ListSecretVersionIds did not end")


# --- listing -----------------------------------------------------------------------------------


def test_list_secrets_filters_sorts_and_pages(server: Server) -> None:
    sm = client(server.url)
    base = unique("list")
    made = {}
    for suffix, description, tags in (
        ("/alpha", "Database password for prod", [("team", "core"), ("env", "prod")]),
        ("/beta", "API key", [("team", "edge")]),
        ("/gamma", "my basic description", [("env", "dev")]),
    ):
        name = base + suffix
        tagged = [{"Key": k, "Value": v} for k, v in tags]
        made[name] = sm.create_secret(
            Name=name, SecretString="x", Description=description, Tags=tagged
        )["ARN"]
    a, b, g = (base + s for s in ("/alpha", "/beta", "/gamma"))

    def listed(*filters: tuple[str, list[str]], **listing: Any) -> list[str]:
        chosen = [{"Key": "name", "Values": [base]}]
        chosen += [{"Key": key, "Values": values} for key, values in filters]
        return [s["Name"] for s in sm.list_secrets(Filters=chosen, **listing)["SecretList"]]

    assert listed() == [a, b, g]  # by creation date
    assert listed(SortOrder="desc") == [g, b, a]
    assert listed(SortBy="name", SortOrder="desc") == [g, b, a]
    assert listed(("name", [base + "/b", base + "/g"])) == [b, g]
    assert listed(("name", [f"!{base}/a"])) == [b, g]
    assert listed(("name", [base.upper()])) == []  # names: case-sensitive
    assert listed(("description", ["DATABASE prod"])) == [a]  # words, any case
    assert listed(("description", ["My Description"])) == [g]
    assert listed(("tag-key", ["te"])) == [a, b]
    assert listed(("tag-key", ["!env"])) == [b]
    assert listed(("tag-value", ["prod", "dev"])) == [a, g]
    assert listed(("tag-value", ["Prod"])) == []  # tag values: case-sensitive
    assert listed(("all", ["EDGE"])) == [b]  # all: any field, any case
    assert listed(("all", ["password prod"])) == [a]  # every word in one field
    assert listed(("all", ["!api"])) == [a, g]
    assert listed(("owning-service", ["!x"])) == [a, b, g]
    assert listed(("primary-region", ["us-east"])) == [a, b, g]
    assert listed(("tag-key", ["team"]), ("tag-value", ["core"])) == [a]  # filters: all hold
    described = sm.list_secrets(Filters=[{"Key": "name", "Values": [a]}])["SecretList"][0]
    assert described["ARN"] == made[a] and "SecretVersionsToStages" in described
    # Pages: nothing twice, nothing left out.
    seen: list[str] = []
    listing: dict[str, Any] = {"Filters": [{"Key": "name", "Values": [base]}], "MaxResults": 2}
    for _ in range(5):  # bounded: two pages expected
        answer = sm.list_secrets(**listing)
        seen += [s["Name"] for s in answer["SecretList"]]
        if "NextToken" not in answer:
            break
        listing["NextToken"] = answer["NextToken"]
    assert seen == [a, b, g]
    paged = sm.get_paginator("list_secrets").paginate(
        Filters=[{"Key": "name", "Values": [base]}], PaginationConfig={"PageSize": 1}
    )
    assert [s["Name"] for page in paged for s in page["SecretList"]] == [a, b, g]
    bad = refused(lambda: sm.list_secrets(NextToken="not-a-token"))
    assert bad["Code"] == "InvalidNextTokenException"
    invalid = refused(lambda: sm.list_secrets(Filters=[{"Key": "name", "Values": ["a*b"]}]))
    assert invalid["Code"] == "ValidationException"


# --- tags --------------------------------------------------------------------------------------


def test_tags_are_added_replaced_and_removed(server: Server) -> None:
    sm = client(server.url)
    name = unique()
    sm.create_secret(Name=name, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    sm.tag_resource(SecretId=name, Tags=[{"Key": "b", "Value": "two"}, {"Key": "C", "Value": ""}])
    tags = sm.describe_secret(SecretId=name)["Tags"]
    assert tags == [
        {"Key": "a", "Value": "1"},
        {"Key": "b", "Value": "two"},
        {"Key": "C", "Value": ""},
    ]
    sm.untag_resource(SecretId=name, TagKeys=["a", "c", "missing"])  # keys: case-sensitive
    tags = sm.describe_secret(SecretId=name)["Tags"]
    assert tags == [{"Key": "b", "Value": "two"}, {"Key": "C", "Value": ""}]
    assert refused(lambda: sm.tag_resource(SecretId=unique(), Tags=[]))["Message"] == NOT_FOUND


# --- resource policies -------------------------------------------------------------------------


def test_a_resource_policy_is_checked_stored_and_removed(server: Server) -> None:
    sm = client(server.url)
    name = unique()
    arn = sm.create_secret(Name=name, SecretString="x")["ARN"]
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId=name)
    assert sm.list_resource_policies(SecretId=name)["ResourcePolicies"] == []
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/reader"},
                    "Action": "secretsmanager:GetSecretValue",
                    "Resource": "*",
                }
            ],
        }
    )
    put = sm.put_resource_policy(SecretId=name, ResourcePolicy=document, BlockPublicPolicy=True)
    assert (put["ARN"], put["Name"], put["PolicyName"]) == (arn, name, "default")
    got = sm.get_resource_policy(SecretId=arn)
    assert (got["ResourcePolicy"], got["PolicyName"]) == (document, "default")
    policies = sm.list_resource_policies(SecretId=name)["ResourcePolicies"]
    assert policies == [{"PolicyName": "default"}]
    malformed = refused(lambda: sm.put_resource_policy(SecretId=name, ResourcePolicy="{not json"))
    assert (malformed["Code"], malformed["Message"]) == (
        "MalformedPolicyDocumentException",
        "This policy has invalid syntax.",
    )
    public = document.replace(f'{{"AWS": "arn:aws:iam::{ACCOUNT}:role/reader"}}', '"*"')
    assert refused(
        lambda: sm.put_resource_policy(SecretId=name, ResourcePolicy=public, BlockPublicPolicy=True)
    )["Code"] == ("PublicPolicyException")
    other = refused(
        lambda: sm.put_resource_policy(SecretId=name, ResourcePolicy=document, PolicyName="x")
    )
    assert other["Code"] == "InvalidParameterException"
    assert refused(lambda: sm.get_resource_policy(SecretId=name, PolicyName="x"))["Code"] == (
        "ResourceNotFoundException"
    )
    assert sm.get_resource_policy(SecretId=name)["ResourcePolicy"] == document  # unchanged
    sm.put_resource_policy(SecretId=name, ResourcePolicy=public)  # not blocked: allowed
    deleted = sm.delete_resource_policy(SecretId=name)
    assert deleted["PolicyName"] == "default"
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId=name)


def test_a_secrets_policy_counts_when_calls_are_authorised(tmp_path: Path) -> None:
    """With ``--auth iam``, a role with no policy of its own reads a secret whose resource
    policy names it, and no other; BatchGetSecretValue reports the others as errors."""
    from altus.identity.keys import read_credentials

    with Harness(auth="iam", clock=None, data_dir=tmp_path) as harness:
        found = read_credentials(tmp_path / "credentials")
        assert found is not None
        keys = {"aws_access_key_id": found[0], "aws_secret_access_key": found[1]}
        admin = client(harness.url, **keys)
        iam = boto3.client("iam", endpoint_url=harness.url, region_name="us-east-1", **keys)
        sts = boto3.client("sts", endpoint_url=harness.url, region_name="us-east-1", **keys)
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
        role = iam.create_role(RoleName="reader", AssumeRolePolicyDocument=json.dumps(trust))
        iam.put_role_policy(
            RoleName="reader",
            PolicyName="batch",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "secretsmanager:BatchGetSecretValue",
                            "Resource": "*",
                        }
                    ],
                }
            ),
        )
        open_arn = admin.create_secret(Name="shared", SecretString="for the reader")["ARN"]
        admin.create_secret(Name="private", SecretString="not for the reader")
        admin.put_resource_policy(
            SecretId="shared",
            ResourcePolicy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": role["Role"]["Arn"]},
                            "Action": "secretsmanager:GetSecretValue",
                            "Resource": "*",
                        }
                    ],
                }
            ),
        )
        granted = sts.assume_role(RoleArn=role["Role"]["Arn"], RoleSessionName="reading")[
            "Credentials"
        ]
        reader = client(
            harness.url,
            aws_access_key_id=granted["AccessKeyId"],
            aws_secret_access_key=granted["SecretAccessKey"],
            aws_session_token=granted["SessionToken"],
        )
        assert reader.get_secret_value(SecretId="shared")["SecretString"] == "for the reader"
        denied = refused(lambda: reader.get_secret_value(SecretId="private"))
        assert (denied["Code"], denied["Status"]) == ("AccessDeniedException", 400)
        assert "secretsmanager:GetSecretValue on resource: " in denied["Message"]
        assert refused(lambda: reader.describe_secret(SecretId="shared"))["Code"] == (
            "AccessDeniedException"
        )
        batch = reader.batch_get_secret_value(SecretIdList=["shared", "private"])
        assert [v["ARN"] for v in batch["SecretValues"]] == [open_arn]
        assert [(e["SecretId"], e["ErrorCode"]) for e in batch["Errors"]] == [
            ("private", "AccessDeniedException")
        ]
        # Finding secrets by filters is listing them, which the reader may not do.
        assert refused(
            lambda: reader.batch_get_secret_value(Filters=[{"Key": "name", "Values": ["s"]}])
        )["Code"] == ("AccessDeniedException")


# --- passwords ---------------------------------------------------------------------------------


def test_random_passwords_follow_their_options(server: Server) -> None:
    sm = client(server.url)
    default = sm.get_random_password()["RandomPassword"]
    assert len(default) == 32
    for kind in (string.ascii_lowercase, string.ascii_uppercase, string.digits, string.punctuation):
        assert any(c in kind for c in default)
    assert " " not in default
    digits = sm.get_random_password(
        PasswordLength=50, ExcludeLowercase=True, ExcludeUppercase=True, ExcludePunctuation=True
    )["RandomPassword"]
    assert len(digits) == 50 and set(digits) <= set(string.digits)
    narrowed = sm.get_random_password(
        PasswordLength=200, ExcludeCharacters="abcdefghijklmnopqrstuvwxyz0123456789!@"
    )["RandomPassword"]
    assert not set(narrowed) & set("abcdefghijklmnopqrstuvwxyz0123456789!@")
    spaced = sm.get_random_password(
        PasswordLength=4096, IncludeSpace=True, ExcludePunctuation=True
    )["RandomPassword"]
    assert " " in spaced and len(spaced) == 4096  # 4096 draws from 63 characters
    assert (
        len(
            sm.get_random_password(PasswordLength=1, RequireEachIncludedType=False)[
                "RandomPassword"
            ]
        )
        == 1
    )
    short = refused(lambda: sm.get_random_password(PasswordLength=3))
    assert (short["Code"], short["Message"]) == (
        "InvalidParameterException",
        "Password length is too short based on the required types.",
    )
    nothing = refused(
        lambda: sm.get_random_password(
            ExcludeLowercase=True,
            ExcludeUppercase=True,
            ExcludePunctuation=True,
            ExcludeNumbers=True,
        )
    )
    assert nothing["Code"] == "InvalidParameterException"
    too_long = refused(lambda: sm.get_random_password(PasswordLength=4097))
    assert (too_long["Code"], too_long["Message"]) == (
        "ValidationException",
        "1 validation error detected: Value '4097' at 'passwordLength' failed to satisfy "
        "constraint: Member must have value less than or equal to 4096",
    )


# --- batches -----------------------------------------------------------------------------------


def test_batch_get_secret_value_by_ids_and_by_filters(server: Server) -> None:
    sm = client(server.url)
    base = unique("batch")
    arns = [
        sm.create_secret(Name=f"{base}/{n}", SecretString=f"value {n}")["ARN"] for n in range(3)
    ]
    sm.delete_secret(SecretId=arns[2])
    missing = unique()
    got = sm.batch_get_secret_value(SecretIdList=[arns[0], f"{base}/1", missing, arns[2]])
    assert [(v["ARN"], v["SecretString"]) for v in got["SecretValues"]] == [
        (arns[0], "value 0"),
        (arns[1], "value 1"),
    ]
    assert got["SecretValues"][0]["VersionStages"] == ["AWSCURRENT"]
    assert [(e["SecretId"], e["ErrorCode"], e["Message"]) for e in got["Errors"]] == [
        (missing, "ResourceNotFoundException", NOT_FOUND),
        (arns[2], "InvalidRequestException", MARKED),
    ]
    # By filters: secrets scheduled for deletion are left out; pages of MaxResults.
    sm.create_secret(Name=f"{base}/3", SecretString="value 3")
    found: list[str] = []
    asked: dict[str, Any] = {"Filters": [{"Key": "name", "Values": [base]}], "MaxResults": 2}
    for _ in range(5):  # bounded: two pages expected
        answer = sm.batch_get_secret_value(**asked)
        found += [v["SecretString"] for v in answer["SecretValues"]]
        assert answer["Errors"] == []
        if "NextToken" not in answer:
            break
        asked["NextToken"] = answer["NextToken"]
    assert found == ["value 0", "value 1", "value 3"]
    both = refused(
        lambda: sm.batch_get_secret_value(
            SecretIdList=[arns[0]], Filters=[{"Key": "name", "Values": [base]}]
        )
    )
    assert both["Code"] == "InvalidParameterException"
    alone = refused(lambda: sm.batch_get_secret_value(SecretIdList=[arns[0]], MaxResults=2))
    assert alone["Code"] == "InvalidParameterException"


# --- durability, and what the rest of Altus reads -------------------------------------------------


def test_secrets_survive_a_restart_sealed_and_are_purged_when_due_after_it(
    tmp_path: Path,
) -> None:
    store = f"sqlite:{tmp_path / 'altus.db'}"
    with Harness(clock=FakeClock(START), data_dir=tmp_path, store=store) as first:
        sm = client(first.url)
        kept = sm.create_secret(Name="kept", SecretString="correct-horse-battery-staple")
        sm.put_secret_value(SecretId="kept", SecretBinary=b"binary-staple-0042")
        sm.tag_resource(SecretId="kept", Tags=[{"Key": "k", "Value": "v"}])
        doomed = sm.create_secret(Name="doomed", SecretString="doomed-value-0042")["ARN"]
        sm.delete_secret(SecretId="doomed", RecoveryWindowInDays=7)
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("altus.db*"))
    assert b"kept" in raw  # names are stored as they are ...
    for value in (b"correct-horse-battery-staple", b"binary-staple-0042", b"doomed-value-0042"):
        assert value not in raw  # ... values never
    with Harness(clock=FakeClock(START + 60), data_dir=tmp_path, store=store) as second:
        sm = client(second.url)
        current = sm.get_secret_value(SecretId="kept")
        assert current["SecretBinary"] == b"binary-staple-0042"
        previous = sm.get_secret_value(SecretId=kept["ARN"], VersionStage="AWSPREVIOUS")
        assert previous["SecretString"] == "correct-horse-battery-staple"
        assert previous["VersionId"] == kept["VersionId"]
        assert sm.describe_secret(SecretId="kept")["Tags"] == [{"Key": "k", "Value": "v"}]
        assert refused(lambda: sm.get_secret_value(SecretId=doomed))["Message"] == MARKED

        # The platform's other parts read values through the component.
        async def read(platform: Any) -> Any:
            return await platform.component("secretsmanager").read_value(
                "kept", stage="AWSPREVIOUS"
            )

        fetched = second.call(read)
        assert (fetched.name, fetched.value) == ("kept", "correct-horse-battery-staple")
    # Its window ended while the server was down: it is purged once the server is back.
    with Harness(clock=FakeClock(START + 8 * 86400), data_dir=tmp_path, store=store) as third:
        sm = client(third.url)
        wait_until(lambda: _gone(sm, doomed))
        assert sm.get_secret_value(SecretId="kept")["SecretBinary"] == b"binary-staple-0042"


def test_a_finished_rotations_pending_label_goes_when_current_moves_on(server: Server) -> None:
    """AWSPENDING moved with AWSCURRENT onto a version (a rotation finished by hand) is
    dropped when the next PutSecretValue takes AWSCURRENT, as Secrets Manager drops it."""
    sm = client(server.url)
    name = unique("rotated")
    first = sm.create_secret(Name=name, SecretString="S1")["VersionId"]
    pending = sm.put_secret_value(SecretId=name, SecretString="S2", VersionStages=["AWSPENDING"])[
        "VersionId"
    ]
    sm.update_secret_version_stage(
        SecretId=name,
        VersionStage="AWSCURRENT",
        MoveToVersionId=pending,
        RemoveFromVersionId=first,
    )
    latest = sm.put_secret_value(SecretId=name, SecretString="S3")["VersionId"]
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert stages[pending] == ["AWSPREVIOUS"]
    assert stages[latest] == ["AWSCURRENT"]
    assert first not in stages  # deprecated: no label left on it

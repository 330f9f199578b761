"""What is attached to functions, end to end through boto3: reserved and provisioned
concurrency, resource policies, URL configs, event invoke configs, tags, and
environment variables encrypted at rest."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server, create_function, invoke, log_tail, start_server

pytestmark = pytest.mark.integration

SLEEPY = {
    "app.py": (
        "import os, time, uuid\n"
        "ENV = uuid.uuid4().hex\n"
        "def handler(event, context):\n"
        "    time.sleep(event.get('sleep', 0))\n"
        "    return {'env': ENV, 'init': os.environ['AWS_LAMBDA_INITIALIZATION_TYPE']}\n"
    )
}


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, module_store: dict[str, str]
) -> Iterator[Server]:
    # 110 in all, of which 100 must stay unreserved: 10 can be reserved.
    server = start_server(
        tmp_path_factory.mktemp("settings"), {"ALTUS_CONCURRENCY_LIMIT": "110", **module_store}
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def lam(server: Server) -> Any:
    return server.client()


def _code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def test_reserved_concurrency(lam: Any) -> None:
    create_function(lam, "reserved", SLEEPY)
    assert (
        lam.get_function_concurrency(FunctionName="reserved").get("ReservedConcurrentExecutions")
        is None
    )
    with pytest.raises(ClientError) as too_much:
        lam.put_function_concurrency(FunctionName="reserved", ReservedConcurrentExecutions=11)
    assert _code(too_much) == "InvalidParameterValueException"
    assert "minimum value of [100]" in too_much.value.response["Error"]["Message"]

    answer = lam.put_function_concurrency(FunctionName="reserved", ReservedConcurrentExecutions=1)
    assert answer["ReservedConcurrentExecutions"] == 1
    assert lam.get_function(FunctionName="reserved")["Concurrency"] == {
        "ReservedConcurrentExecutions": 1
    }
    settings = lam.get_account_settings()["AccountLimit"]
    assert settings["ConcurrentExecutions"] == 110
    assert settings["UnreservedConcurrentExecutions"] == 109

    def call(_: int) -> str:
        try:
            invoke(lam, "reserved", {"sleep": 1.5})
            return "ok"
        except ClientError as error:
            assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 429
            assert error.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
            return "throttled"

    with ThreadPoolExecutor(3) as pool:
        outcomes = sorted(pool.map(call, range(3)))
    assert outcomes == ["ok", "throttled", "throttled"]

    lam.put_function_concurrency(FunctionName="reserved", ReservedConcurrentExecutions=0)
    with pytest.raises(ClientError) as disabled:
        invoke(lam, "reserved", {})
    assert disabled.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    lam.delete_function_concurrency(FunctionName="reserved")
    assert invoke(lam, "reserved", {})[0]["StatusCode"] == 200
    assert lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 110


def test_provisioned_concurrency(lam: Any) -> None:
    create_function(lam, "provisioned", SLEEPY)
    version = lam.publish_version(FunctionName="provisioned")["Version"]
    lam.create_alias(FunctionName="provisioned", Name="live", FunctionVersion=version)
    with pytest.raises(ClientError) as latest:
        lam.put_provisioned_concurrency_config(
            FunctionName="provisioned", Qualifier="$LATEST", ProvisionedConcurrentExecutions=1
        )
    assert _code(latest) == "InvalidParameterValueException"
    with pytest.raises(ClientError) as none:
        lam.get_provisioned_concurrency_config(FunctionName="provisioned", Qualifier="live")
    assert _code(none) == "ProvisionedConcurrencyConfigNotFoundException"

    put = lam.put_provisioned_concurrency_config(
        FunctionName="provisioned", Qualifier="live", ProvisionedConcurrentExecutions=2
    )
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert put["RequestedProvisionedConcurrentExecutions"] == 2
    assert put["Status"] in ("IN_PROGRESS", "READY")
    status = put["Status"]
    for _ in range(400):
        config = lam.get_provisioned_concurrency_config(
            FunctionName="provisioned", Qualifier="live"
        )
        status = config["Status"]
        if status != "IN_PROGRESS":
            break
        time.sleep(0.05)
    assert status == "READY"
    assert config["AllocatedProvisionedConcurrentExecutions"] == 2
    assert config["AvailableProvisionedConcurrentExecutions"] == 2

    # Served by the provisioned environments: no cold start while they are free.
    first, body = invoke(lam, "provisioned", {}, Qualifier="live", LogType="Tail")
    assert body["init"] == "provisioned-concurrency"
    assert "Init Duration" not in log_tail(first)
    with ThreadPoolExecutor(2) as pool:
        both = list(
            pool.map(
                lambda _: invoke(
                    lam, "provisioned", {"sleep": 0.5}, Qualifier="live", LogType="Tail"
                ),
                range(2),
            )
        )
    assert {b["init"] for _, b in both} == {"provisioned-concurrency"}
    assert len({b["env"] for _, b in both}) == 2
    assert all("Init Duration" not in log_tail(r) for r, _ in both)

    listed = lam.list_provisioned_concurrency_configs(FunctionName="provisioned")
    assert [
        c["FunctionArn"].rsplit(":", 1)[1] for c in listed["ProvisionedConcurrencyConfigs"]
    ] == ["live"]
    with pytest.raises(ClientError) as conflict:
        lam.put_provisioned_concurrency_config(
            FunctionName="provisioned", Qualifier=version, ProvisionedConcurrentExecutions=1
        )
    assert _code(conflict) == "ResourceConflictException"
    lam.update_function_configuration(FunctionName="provisioned", Timeout=4)
    lam.get_waiter("function_updated_v2").wait(
        FunctionName="provisioned", WaiterConfig={"Delay": 0.05, "MaxAttempts": 200}
    )
    second = lam.publish_version(FunctionName="provisioned")["Version"]
    lam.create_alias(
        FunctionName="provisioned",
        Name="canary",
        FunctionVersion=version,
        RoutingConfig={"AdditionalVersionWeights": {second: 0.5}},
    )
    with pytest.raises(ClientError) as weighted:
        lam.put_provisioned_concurrency_config(
            FunctionName="provisioned", Qualifier="canary", ProvisionedConcurrentExecutions=1
        )
    assert _code(weighted) == "InvalidParameterValueException"
    lam.delete_provisioned_concurrency_config(FunctionName="provisioned", Qualifier="live")
    with pytest.raises(ClientError):
        lam.get_provisioned_concurrency_config(FunctionName="provisioned", Qualifier="live")


def test_resource_policy(lam: Any) -> None:
    create_function(lam, "guarded", SLEEPY)
    arn = lam.get_function(FunctionName="guarded")["Configuration"]["FunctionArn"]
    with pytest.raises(ClientError) as empty:
        lam.get_policy(FunctionName="guarded")
    assert _code(empty) == "ResourceNotFoundException"
    added = lam.add_permission(
        FunctionName="guarded",
        StatementId="s3",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::bucket",
        SourceAccount="111122223333",
    )
    assert json.loads(added["Statement"]) == {
        "Sid": "s3",
        "Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": arn,
        "Condition": {
            "StringEquals": {"AWS:SourceAccount": "111122223333"},
            "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::bucket"},
        },
    }
    lam.add_permission(
        FunctionName="guarded", StatementId="acct", Action="lambda:*", Principal="111122223333"
    )
    policy = lam.get_policy(FunctionName="guarded")
    # A policy's revision is the function's (or its version's, or alias's).
    assert (
        policy["RevisionId"]
        == lam.get_function(FunctionName="guarded")["Configuration"]["RevisionId"]
    )
    document = json.loads(policy["Policy"])
    assert document["Version"] == "2012-10-17" and document["Id"] == "default"
    assert [s["Sid"] for s in document["Statement"]] == ["s3", "acct"]
    assert document["Statement"][1]["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    with pytest.raises(ClientError) as duplicate:
        lam.add_permission(
            FunctionName="guarded", StatementId="s3", Action="lambda:InvokeFunction", Principal="*"
        )
    assert _code(duplicate) == "ResourceConflictException"
    with pytest.raises(ClientError) as stale:
        lam.add_permission(
            FunctionName="guarded",
            StatementId="new",
            Principal="*",
            Action="lambda:InvokeFunction",
            RevisionId="not-the-revision",
        )
    assert _code(stale) == "PreconditionFailedException"
    # Versions and aliases have policies of their own.
    version = lam.publish_version(FunctionName="guarded")["Version"]
    lam.add_permission(
        FunctionName="guarded",
        Qualifier=version,
        StatementId="v",
        Action="lambda:InvokeFunction",
        Principal="*",
    )
    versioned = json.loads(lam.get_policy(FunctionName="guarded", Qualifier=version)["Policy"])
    assert versioned["Statement"][0]["Resource"] == f"{arn}:{version}"
    lam.remove_permission(FunctionName="guarded", StatementId="s3", RevisionId=policy["RevisionId"])
    left = json.loads(lam.get_policy(FunctionName="guarded")["Policy"])["Statement"]
    assert [s["Sid"] for s in left] == ["acct"]
    with pytest.raises(ClientError) as missing:
        lam.remove_permission(FunctionName="guarded", StatementId="s3")
    assert _code(missing) == "ResourceNotFoundException"


def test_function_url_configs(lam: Any, server: Server) -> None:
    create_function(lam, "web", SLEEPY)
    created = lam.create_function_url_config(
        FunctionName="web",
        AuthType="NONE",
        Cors={"AllowOrigins": ["https://example.com"], "AllowMethods": ["GET"], "MaxAge": 60},
    )
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    url = created["FunctionUrl"]
    assert url.startswith(server.url + "/lambda-url/") and url.endswith("/")
    url_id = url.rstrip("/").rsplit("/", 1)[1]
    assert len(url_id) == 32 and url_id.isalnum() and url_id.lower() == url_id
    assert created["InvokeMode"] == "BUFFERED"
    with pytest.raises(ClientError) as exists:
        lam.create_function_url_config(FunctionName="web", AuthType="NONE")
    assert _code(exists) == "ResourceConflictException"
    got = lam.get_function_url_config(FunctionName="web")
    assert got["FunctionUrl"] == url and got["Cors"]["MaxAge"] == 60
    updated = lam.update_function_url_config(FunctionName="web", InvokeMode="RESPONSE_STREAM")
    assert updated["InvokeMode"] == "RESPONSE_STREAM" and updated["FunctionUrl"] == url
    assert updated["Cors"]["AllowOrigins"] == ["https://example.com"]
    unchecked = server.client(parameter_validation=False)
    for qualifier in ("$LATEST", "1"):
        with pytest.raises(ClientError) as bad_qualifier:
            unchecked.create_function_url_config(
                FunctionName="web", Qualifier=qualifier, AuthType="NONE"
            )
        assert _code(bad_qualifier) == "ValidationException"
    lam.create_alias(FunctionName="web", Name="prod", FunctionVersion="$LATEST")
    aliased = lam.create_function_url_config(
        FunctionName="web", Qualifier="prod", AuthType="AWS_IAM"
    )
    assert aliased["FunctionArn"].endswith(":web:prod") and aliased["FunctionUrl"] != url
    listed = lam.list_function_url_configs(FunctionName="web")["FunctionUrlConfigs"]
    assert sorted(c["AuthType"] for c in listed) == ["AWS_IAM", "NONE"]
    lam.delete_function_url_config(FunctionName="web")
    with pytest.raises(ClientError) as gone:
        lam.get_function_url_config(FunctionName="web")
    assert _code(gone) == "ResourceNotFoundException"
    # Deleting the alias takes its URL with it.
    lam.delete_alias(FunctionName="web", Name="prod")
    assert lam.list_function_url_configs(FunctionName="web")["FunctionUrlConfigs"] == []


def test_event_invoke_configs(lam: Any, server: Server) -> None:
    create_function(lam, "events", SLEEPY)
    target = "arn:aws:sqs:us-east-1:000000000000:failures"
    put = lam.put_function_event_invoke_config(
        FunctionName="events",
        MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": target}},
    )
    assert put["MaximumRetryAttempts"] == 1
    assert put["FunctionArn"].endswith(":events:$LATEST")
    assert put["DestinationConfig"]["OnFailure"]["Destination"] == target
    updated = lam.update_function_event_invoke_config(
        FunctionName="events", MaximumEventAgeInSeconds=120
    )
    assert updated["MaximumRetryAttempts"] == 1 and updated["MaximumEventAgeInSeconds"] == 120
    replaced = lam.put_function_event_invoke_config(
        FunctionName="events", MaximumEventAgeInSeconds=60
    )
    assert "MaximumRetryAttempts" not in replaced  # Put overwrites the whole config
    unchecked = server.client(parameter_validation=False)
    for bad in (
        {"MaximumRetryAttempts": 3},
        {"MaximumEventAgeInSeconds": 59},
        {"DestinationConfig": {"OnSuccess": {"Destination": "arn:aws:s3:::bkt"}}},
    ):
        with pytest.raises(ClientError) as refused:
            unchecked.put_function_event_invoke_config(FunctionName="events", **bad)
        assert _code(refused) in ("ValidationException", "InvalidParameterValueException")
    assert (
        lam.get_function_event_invoke_config(FunctionName="events")["MaximumEventAgeInSeconds"]
        == 60
    )
    listed = lam.list_function_event_invoke_configs(FunctionName="events")
    assert len(listed["FunctionEventInvokeConfigs"]) == 1
    with pytest.raises(ClientError) as missing_version:
        lam.put_function_event_invoke_config(
            FunctionName="events", Qualifier="7", MaximumRetryAttempts=0
        )
    assert _code(missing_version) == "ResourceNotFoundException"
    lam.delete_function_event_invoke_config(FunctionName="events")
    with pytest.raises(ClientError) as gone:
        lam.get_function_event_invoke_config(FunctionName="events")
    assert _code(gone) == "ResourceNotFoundException"


def test_tags(lam: Any) -> None:
    arn = create_function(lam, "tagged", SLEEPY, Tags={"team": "core"})["FunctionArn"]
    lam.tag_resource(Resource=arn, Tags={"env": "test", "team": "platform"})
    assert lam.list_tags(Resource=arn)["Tags"] == {"team": "platform", "env": "test"}
    lam.untag_resource(Resource=arn, TagKeys=["team"])
    assert lam.list_tags(Resource=arn)["Tags"] == {"env": "test"}
    assert lam.get_function(FunctionName="tagged")["Tags"] == {"env": "test"}
    with pytest.raises(ClientError) as reserved:
        lam.tag_resource(Resource=arn, Tags={"aws:owner": "x"})
    assert _code(reserved) == "InvalidParameterValueException"
    with pytest.raises(ClientError) as unknown:
        lam.list_tags(Resource=arn + "-nope")
    assert _code(unknown) == "ResourceNotFoundException"


def test_environment_encrypted_at_rest(
    lam: Any, server: Server, module_store: dict[str, str]
) -> None:
    secret = "s3cr3t-value-that-must-not-be-stored-in-clear"
    create_function(
        lam,
        "secretive",
        {"app.py": ("import os\ndef handler(e, c):\n    return os.environ['TOKEN']\n")},
        Environment={"Variables": {"TOKEN": secret}},
    )
    lam.publish_version(FunctionName="secretive")
    assert invoke(lam, "secretive", {})[1] == secret
    assert lam.get_function_configuration(FunctionName="secretive")["Environment"] == {
        "Variables": {"TOKEN": secret}
    }
    key = server.data_dir / "secret.key"
    assert key.stat().st_mode & 0o077 == 0
    query = "SELECT latest FROM functions UNION ALL SELECT config FROM versions"
    if "ALTUS_STORE" in module_store:  # PostgreSQL: what its tables hold
        import psycopg

        with psycopg.connect(module_store["ALTUS_STORE"]) as db:
            rows = db.execute(query).fetchall()
    else:
        with sqlite3.connect(server.data_dir / "altus.db") as db:
            rows = db.execute(query).fetchall()
        for path in server.data_dir.glob("altus.db*"):
            assert secret.encode() not in path.read_bytes()
    assert rows and all(secret not in text for (text,) in rows)
    assert all(secret not in line for line in server.output)


def test_settings_survive_a_restart(tmp_path: Any, server_store: dict[str, str]) -> None:
    first = start_server(tmp_path, {"ALTUS_CONCURRENCY_LIMIT": "110", **server_store})
    try:
        lam = first.client()
        create_function(lam, "durable", SLEEPY, Environment={"Variables": {"KEY": "v"}})
        version = lam.publish_version(FunctionName="durable")["Version"]
        lam.put_function_concurrency(FunctionName="durable", ReservedConcurrentExecutions=5)
        lam.put_provisioned_concurrency_config(
            FunctionName="durable", Qualifier=version, ProvisionedConcurrentExecutions=1
        )
        lam.add_permission(
            FunctionName="durable", StatementId="s", Principal="*", Action="lambda:InvokeFunction"
        )
        url = lam.create_function_url_config(FunctionName="durable", AuthType="NONE")
    finally:
        first.stop()
    second = start_server(tmp_path, {"ALTUS_CONCURRENCY_LIMIT": "110", **server_store})
    try:
        lam = second.client()
        assert lam.get_function(FunctionName="durable")["Concurrency"] == {
            "ReservedConcurrentExecutions": 5
        }
        assert lam.get_function_configuration(FunctionName="durable")["Environment"] == {
            "Variables": {"KEY": "v"}
        }
        assert (
            json.loads(lam.get_policy(FunctionName="durable")["Policy"])["Statement"][0]["Sid"]
            == "s"
        )
        again = lam.get_function_url_config(FunctionName="durable")["FunctionUrl"]
        assert again.rsplit("/lambda-url/", 1)[1] == url["FunctionUrl"].rsplit("/lambda-url/", 1)[1]
        status = "IN_PROGRESS"
        for _ in range(400):
            status = lam.get_provisioned_concurrency_config(
                FunctionName="durable", Qualifier=version
            )["Status"]
            if status != "IN_PROGRESS":
                break
            time.sleep(0.05)
        assert status == "READY"
        assert invoke(lam, "durable", {}, Qualifier=version)[1]["init"] == "provisioned-concurrency"
    finally:
        second.stop()

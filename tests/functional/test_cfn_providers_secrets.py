"""The secret and parameter providers against a server in this process: a secret from
``SecretString`` and from ``GenerateSecretString`` (alone, and put into a JSON template),
its update and tags, its immediate delete; a parameter (map tags, its attributes),
overwritten and retagged; generated names found again; checked through boto3."""

from __future__ import annotations

import json
import string
from typing import Any

import pytest
from botocore.exceptions import ClientError

from altus.cloudformation.providers.base import Current, ResourceFailed
from altus.cloudformation.providers.secrets import PROVIDERS
from tests.functional import cloudformation_providers
from tests.functional.cloudformation_providers import (
    ACCOUNT,
    REGION,
    World,
    delete_twice,
    interrupted,
)

#: The module's server and contexts (a fixture, found by its name).
world = cloudformation_providers.world

SECRET = PROVIDERS["AWS::SecretsManager::Secret"]
PARAMETER = PROVIDERS["AWS::SSM::Parameter"]


def value_of(world: World, secret: str) -> str:
    return str(world.client("secretsmanager").get_secret_value(SecretId=secret)["SecretString"])


def secret_tags(world: World, secret: str) -> dict[str, str]:
    described = world.client("secretsmanager").describe_secret(SecretId=secret)
    return {t["Key"]: t["Value"] for t in described.get("Tags") or []}


def test_secret_lifecycle(world: World) -> None:
    secrets = world.client("secretsmanager")
    ctx = world.context("Db")
    props: dict[str, Any] = {
        "Description": "database",
        "GenerateSecretString": {
            "SecretStringTemplate": '{"username": "admin"}',
            "GenerateStringKey": "password",
            "PasswordLength": "20",
            "ExcludePunctuation": "true",
        },
        "Tags": [{"Key": "tier", "Value": "gold"}],
    }
    made = world.run(SECRET.create(ctx, "Db", props))
    arn = made.physical_id
    described = secrets.describe_secret(SecretId=arn)
    # Named <LogicalId>-<RANDOM>, as CloudFormation names secrets.
    assert described["Name"].startswith("Db-")
    assert arn.startswith(f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:Db-")
    assert made.attributes == {"Id": arn}
    assert described["Description"] == "database"
    value = json.loads(value_of(world, arn))
    assert value["username"] == "admin"
    assert len(value["password"]) == 20
    assert not set(value["password"]) & set(string.punctuation)
    assert secret_tags(world, arn) == {"team": "altus", "tier": "gold"}
    assert SECRET.replaced_by == frozenset({"Name"})

    changed: dict[str, Any] = {"SecretString": "plain", "Tags": [{"Key": "size", "Value": "xl"}]}
    current = Current("Db", arn, props, made.attributes)
    updated = world.run(SECRET.update(ctx, current, changed))
    assert updated == made
    assert value_of(world, arn) == "plain"
    assert not secrets.describe_secret(SecretId=arn).get("Description")
    assert secret_tags(world, arn) == {"team": "altus", "size": "xl"}

    # Only the tags change: the value stays.
    current = Current("Db", arn, changed, made.attributes)
    world.run(SECRET.update(ctx, current, {"SecretString": "plain"}))
    assert value_of(world, arn) == "plain"
    assert secret_tags(world, arn) == {"team": "altus"}

    delete_twice(world, SECRET, current, secrets.describe_secret, SecretId=arn)

    # A new secret of the same name at once (the delete had no recovery window).
    named = {"Name": "cfn/named", "GenerateSecretString": {}}
    made = world.run(SECRET.create(ctx, "Named", named))
    assert len(value_of(world, "cfn/named")) == 32
    world.run(SECRET.delete(ctx, Current("Named", made.physical_id, named)))
    made = world.run(SECRET.create(ctx, "Named", named))
    world.run(SECRET.delete(ctx, Current("Named", None, named)))
    with pytest.raises(ClientError):
        secrets.describe_secret(SecretId="cfn/named")

    lost = interrupted(world, SECRET, "Lost", {"SecretString": "v"}, deleted={})
    with pytest.raises(ClientError):
        secrets.describe_secret(SecretId=lost.physical_id)


def test_secret_refusals(world: World) -> None:
    ctx = world.context("Bad")
    with pytest.raises(ResourceFailed, match="both"):
        world.run(SECRET.create(ctx, "Bad", {"SecretString": "a", "GenerateSecretString": {}}))
    half = {"GenerateSecretString": {"GenerateStringKey": "password"}}
    with pytest.raises(ResourceFailed, match="SecretStringTemplate"):
        world.run(SECRET.create(ctx, "Bad", half))
    with pytest.raises(ResourceFailed, match="ReplicaRegions"):
        world.run(SECRET.create(ctx, "Bad", {"ReplicaRegions": [{"Region": "eu-west-1"}]}))
    assert (
        world.client("secretsmanager").list_secrets(Filters=[{"Key": "name", "Values": ["Bad-"]}])[
            "SecretList"
        ]
        == []
    )


def parameter_tags(world: World, name: str) -> dict[str, str]:
    listed = world.client("ssm").list_tags_for_resource(ResourceType="Parameter", ResourceId=name)
    return {t["Key"]: t["Value"] for t in listed["TagList"]}


def test_parameter_lifecycle(world: World) -> None:
    ssm = world.client("ssm")
    ctx = world.context("Setting")
    props: dict[str, Any] = {
        "Type": "StringList",
        "Value": "a,b",
        "Description": "letters",
        "Tags": {"tier": "gold"},
    }
    made = world.run(PARAMETER.create(ctx, "Setting", props))
    name = made.physical_id
    assert name.startswith("CFN-Setting-")
    assert made.attributes == {"Type": "StringList", "Value": "a,b"}
    got = ssm.get_parameter(Name=name)["Parameter"]
    assert (got["Type"], got["Value"], got["Version"]) == ("StringList", "a,b", 1)
    assert parameter_tags(world, name) == {"team": "altus", "tier": "gold"}
    assert PARAMETER.replaced_by == frozenset({"Name"})

    changed: dict[str, Any] = {"Type": "String", "Value": "c", "Tags": {"size": "xl"}}
    current = Current("Setting", name, props, made.attributes)
    updated = world.run(PARAMETER.update(ctx, current, changed))
    assert updated.physical_id == name
    assert updated.attributes == {"Type": "String", "Value": "c"}
    got = ssm.get_parameter(Name=name)["Parameter"]
    assert (got["Type"], got["Value"], got["Version"]) == ("String", "c", 2)
    described = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])[
        "Parameters"
    ][0]
    assert not described.get("Description")
    assert parameter_tags(world, name) == {"team": "altus", "size": "xl"}

    current = Current("Setting", name, changed, updated.attributes)
    delete_twice(world, PARAMETER, current, ssm.get_parameter, Name=name)

    again = world.context("Lost", seed="p")
    lost = world.run(
        PARAMETER.create(again, "Lost", {"Name": "/cfn/x", "Type": "String", "Value": "1"})
    )
    assert lost.physical_id == "/cfn/x"
    world.run(PARAMETER.delete(again, Current("Lost", None, {"Name": "/cfn/x"})))
    generated = world.run(PARAMETER.create(again, "Lost", changed))
    world.run(PARAMETER.delete(world.context("Lost", seed="p"), Current("Lost", None, changed)))
    for gone in ("/cfn/x", generated.physical_id):
        with pytest.raises(ClientError):
            ssm.get_parameter(Name=gone)

    with pytest.raises(ResourceFailed, match="SecureString"):
        world.run(PARAMETER.create(ctx, "Bad", {"Type": "SecureString", "Value": "x"}))
    with pytest.raises(ResourceFailed, match="Value"):
        world.run(PARAMETER.create(ctx, "Bad", {"Type": "String"}))

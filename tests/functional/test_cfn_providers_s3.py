"""The S3 providers against a server in this process: buckets (generated lower-case
names, tags, versioning, notifications written in CloudFormation's shape to a function,
a queue and a topic; a non-empty bucket's delete refused as S3 refuses it), properties
Altus's S3 cannot serve refused, and bucket policies, checked through boto3."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from altus.cloudformation.providers.base import Current, ResourceFailed, ServiceFailed
from altus.cloudformation.providers.s3 import PROVIDERS
from tests.functional import cloudformation_providers
from tests.functional.cloudformation_providers import ACCOUNT, REGION, World

#: The module's server and contexts (a fixture, found by its name).
world = cloudformation_providers.world

BUCKET = PROVIDERS["AWS::S3::Bucket"]
POLICY = PROVIDERS["AWS::S3::BucketPolicy"]


def exists(world: World, name: str) -> bool:
    try:
        world.client("s3").head_bucket(Bucket=name)
    except ClientError:
        return False
    return True


def destinations(world: World) -> tuple[str, str, str]:
    """A function S3 may invoke, a queue and a topic: their ARNs."""
    function = world.harness.create_function("cfn-on-upload", lambda event, context: None)
    world.client("lambda").add_permission(
        FunctionName="cfn-on-upload",
        StatementId="s3",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceAccount=ACCOUNT,
    )
    topic = world.client("sns").create_topic(Name="cfn-uploads")["TopicArn"]
    return function["FunctionArn"], world.queue_arn("cfn-uploads"), topic


def test_bucket_lifecycle(world: World) -> None:
    s3 = world.client("s3")
    function, queue, topic = destinations(world)
    ctx = world.context("Uploads")
    props: dict[str, Any] = {
        "VersioningConfiguration": {"Status": "Enabled"},
        "Tags": [{"Key": "tier", "Value": "gold"}],
        "BucketEncryption": {
            "ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}
            ]
        },
        "PublicAccessBlockConfiguration": {"BlockPublicPolicy": True},
        "NotificationConfiguration": {
            "LambdaConfigurations": [
                {
                    "Event": "s3:ObjectCreated:*",
                    "Function": function,
                    "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": "in/"}]}},
                }
            ],
            "QueueConfigurations": [{"Event": "s3:ObjectRemoved:*", "Queue": queue}],
        },
    }
    made = world.run(BUCKET.create(ctx, "Uploads", props))
    name = made.physical_id
    assert name.startswith("teststack-uploads-") and name == name.lower() and len(name) <= 63
    assert made.attributes == {
        "Arn": f"arn:aws:s3:::{name}",
        "DomainName": f"{name}.s3.amazonaws.com",
        "RegionalDomainName": f"{name}.s3.{REGION}.amazonaws.com",
        "DualStackDomainName": f"{name}.s3.dualstack.{REGION}.amazonaws.com",
        "WebsiteURL": f"http://{name}.s3-website-{REGION}.amazonaws.com",
    }
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
    tags = s3.get_bucket_tagging(Bucket=name)["TagSet"]
    assert {t["Key"]: t["Value"] for t in tags} == {"team": "altus", "tier": "gold"}
    got = s3.get_bucket_notification_configuration(Bucket=name)
    [lam] = got["LambdaFunctionConfigurations"]
    assert lam["LambdaFunctionArn"] == function and lam["Events"] == ["s3:ObjectCreated:*"]
    assert lam["Filter"]["Key"]["FilterRules"] == [{"Name": "prefix", "Value": "in/"}]
    [sqs] = got["QueueConfigurations"]
    assert sqs["QueueArn"] == queue and sqs["Events"] == ["s3:ObjectRemoved:*"]
    assert BUCKET.replaced_by == frozenset({"BucketName"})

    # Update: versioning removed (suspended), no tags of its own, a topic instead.
    changed: dict[str, Any] = {
        "NotificationConfiguration": {
            "TopicConfigurations": [{"Event": "s3:ObjectCreated:Put", "Topic": topic}]
        }
    }
    updated = world.run(BUCKET.update(ctx, Current("Uploads", name, props), changed))
    assert updated == made
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Suspended"
    tags = s3.get_bucket_tagging(Bucket=name)["TagSet"]
    assert {t["Key"]: t["Value"] for t in tags} == {"team": "altus"}
    got = s3.get_bucket_notification_configuration(Bucket=name)
    assert "LambdaFunctionConfigurations" not in got and "QueueConfigurations" not in got
    assert [c["TopicArn"] for c in got["TopicConfigurations"]] == [topic]

    cleared = world.run(BUCKET.update(ctx, Current("Uploads", name, changed), {}))
    assert cleared.physical_id == name
    assert "TopicConfigurations" not in s3.get_bucket_notification_configuration(Bucket=name)

    # A bucket with objects is not emptied: its delete fails as S3's does.
    s3.put_object(Bucket=name, Key="kept", Body=b"x")
    with pytest.raises(ServiceFailed) as refused:
        world.run(BUCKET.delete(ctx, Current("Uploads", name, {})))
    assert refused.value.error_code == "BucketNotEmpty"
    for version in s3.list_object_versions(Bucket=name).get("Versions", []):
        s3.delete_object(Bucket=name, Key=version["Key"], VersionId=version["VersionId"])
    for marker in s3.list_object_versions(Bucket=name).get("DeleteMarkers", []):
        s3.delete_object(Bucket=name, Key=marker["Key"], VersionId=marker["VersionId"])
    world.run(BUCKET.delete(ctx, Current("Uploads", name, {})))
    assert not exists(world, name)
    world.run(BUCKET.delete(ctx, Current("Uploads", name, {})))


def test_named_bucket_and_an_interrupted_create(world: World) -> None:
    ctx = world.context("Named")
    made = world.run(BUCKET.create(ctx, "Named", {"BucketName": "cfn-named-bucket"}))
    assert made.physical_id == "cfn-named-bucket"
    with pytest.raises(ResourceFailed, match="already exists") as refused:
        world.run(BUCKET.create(world.context("Twin"), "Twin", {"BucketName": "cfn-named-bucket"}))
    assert refused.value.code == "AlreadyExists"
    world.run(BUCKET.delete(ctx, Current("Named", None, {"BucketName": "cfn-named-bucket"})))
    assert not exists(world, "cfn-named-bucket")

    ctx = world.context("Lost")
    lost = world.run(BUCKET.create(ctx, "Lost", {}))
    world.run(BUCKET.delete(ctx, Current("Lost", None, {})))
    assert not exists(world, lost.physical_id)


def test_unserved_bucket_properties_are_refused(world: World) -> None:
    ctx = world.context("Site")
    with pytest.raises(ResourceFailed, match=r"WebsiteConfiguration.*PutBucketWebsite"):
        world.run(
            BUCKET.create(ctx, "Site", {"WebsiteConfiguration": {"IndexDocument": "index.html"}})
        )
    with pytest.raises(ResourceFailed, match="CorsConfiguration"):
        world.run(BUCKET.create(ctx, "Site", {"CorsConfiguration": {"CorsRules": []}}))
    with pytest.raises(ResourceFailed, match="AccessControl"):
        world.run(BUCKET.create(ctx, "Site", {"AccessControl": "PublicRead"}))
    # Refused before anything was made.
    assert not exists(world, ctx.name(max_length=63, lower=True))


def test_bucket_policy_lifecycle(world: World) -> None:
    s3 = world.client("s3")
    s3.create_bucket(Bucket="cfn-policed")
    ctx = world.context("Policy")

    def policy(action: str) -> dict[str, Any]:
        return {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": action,
                    "Resource": "arn:aws:s3:::cfn-policed/*",
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }

    props = {"Bucket": "cfn-policed", "PolicyDocument": policy("s3:GetObject")}
    made = world.run(POLICY.create(ctx, "Policy", props))
    assert made.physical_id == "cfn-policed"
    assert json.loads(s3.get_bucket_policy(Bucket="cfn-policed")["Policy"]) == policy(
        "s3:GetObject"
    )
    assert POLICY.replaced_by == frozenset({"Bucket"})
    changed = {"Bucket": "cfn-policed", "PolicyDocument": policy("s3:PutObject")}
    world.run(POLICY.update(ctx, Current("Policy", made.physical_id, props), changed))
    assert json.loads(s3.get_bucket_policy(Bucket="cfn-policed")["Policy"]) == policy(
        "s3:PutObject"
    )
    world.run(POLICY.delete(ctx, Current("Policy", None, changed)))
    with pytest.raises(ClientError) as missing:
        s3.get_bucket_policy(Bucket="cfn-policed")
    assert missing.value.response["Error"]["Code"] == "NoSuchBucketPolicy"
    s3.delete_bucket(Bucket="cfn-policed")
    world.run(POLICY.delete(ctx, Current("Policy", made.physical_id, changed)))

"""S3's resource types: buckets (versioning, tags, event notifications) and bucket
policies, made through Altus's S3 API.

A bucket's notification configuration is written in CloudFormation's shape and sent in
the API's: ``LambdaConfigurations`` with one ``Event`` and a ``Function`` become
``LambdaFunctionConfigurations`` with ``Events: [event]`` and a ``LambdaFunctionArn``
(queues and topics alike), and ``Filter.S3Key.Rules`` becomes ``Filter.Key.FilterRules``.
S3 checks the destinations when the configuration is put, so a queue, topic or
function must exist (and let S3 send to it) before the bucket names it.

As on CloudFormation, a bucket that still holds objects is not emptied: its delete
fails with S3's ``BucketNotEmpty``. A bucket's versioning, once enabled, can only be
suspended: removing ``VersioningConfiguration`` suspends it.

Some properties need nothing of Altus: default encryption (``BucketEncryption``: S3
encrypts every object anyway, and Altus keeps objects as its store does), blocking
public access and object ownership (Altus's S3 has no ACLs and no anonymous access),
``AccessControl: Private`` (the only ACL there is) and ``ObjectLockEnabled: false``.
They are accepted and change nothing. The ones whose operations Altus's S3 does not
serve (CORS, lifecycle, website hosting, logging, replication ...) are refused, naming
the property.

The ``Fn::GetAtt`` names are AWS's values (``<bucket>.s3.amazonaws.com``,
``http://<bucket>.s3-website-<region>.amazonaws.com``): they are DNS names and URLs
that templates take apart and pass on as such (a CloudFront origin, an allowed
``Referer``), and Altus serves neither DNS per bucket nor website hosting. Clients of
Altus reach a bucket by its name through the API's endpoint.
"""

from __future__ import annotations

from typing import Any

from altus.cloudformation.providers.base import (
    Current,
    Outcome,
    Properties,
    Provider,
    ProviderContext,
    ResourceFailed,
    boolean,
    required,
    tag_list,
)
from altus.cloudformation.providers.common import PolicyOnOne, known, quietly, refuse_taken

#: S3's limit on a bucket's name.
_MAX_NAME = 63
#: Properties whose API Altus's S3 does not serve -> the operation they would need.
_UNSERVED = {
    "AccelerateConfiguration": "PutBucketAccelerateConfiguration",
    "AnalyticsConfigurations": "PutBucketAnalyticsConfiguration",
    "CorsConfiguration": "PutBucketCors",
    "IntelligentTieringConfigurations": "PutBucketIntelligentTieringConfiguration",
    "InventoryConfigurations": "PutBucketInventoryConfiguration",
    "LifecycleConfiguration": "PutBucketLifecycleConfiguration",
    "LoggingConfiguration": "PutBucketLogging",
    "MetadataConfiguration": "CreateBucketMetadataConfiguration",
    "MetadataTableConfiguration": "CreateBucketMetadataTableConfiguration",
    "MetricsConfigurations": "PutBucketMetricsConfiguration",
    "ObjectLockConfiguration": "PutObjectLockConfiguration",
    "ReplicationConfiguration": "PutBucketReplication",
    "WebsiteConfiguration": "PutBucketWebsite",
    "AbacStatus": "PutBucketAbac",
}
#: Properties accepted that change nothing on Altus (the module docstring says why).
_NOTHING_TO_DO = ("BucketEncryption", "OwnershipControls", "PublicAccessBlockConfiguration")
_BUCKET_PROPERTIES = (
    *_UNSERVED,
    *_NOTHING_TO_DO,
    "AccessControl",
    "BucketName",
    "NotificationConfiguration",
    "ObjectLockEnabled",
    "Tags",
    "VersioningConfiguration",
)
#: Notification configurations: CloudFormation's list, its destination member, the
#: API's list and its ARN member.
_DESTINATIONS = (
    ("LambdaConfigurations", "Function", "LambdaFunctionConfigurations", "LambdaFunctionArn"),
    ("QueueConfigurations", "Queue", "QueueConfigurations", "QueueArn"),
    ("TopicConfigurations", "Topic", "TopicConfigurations", "TopicArn"),
)
#: Regions whose website endpoints are ``s3-website-<region>`` (the others':
#: ``s3-website.<region>``), as S3's endpoint table lists them.
_DASHED_WEBSITES = frozenset(
    {
        "us-east-1",
        "us-west-1",
        "us-west-2",
        "eu-west-1",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-northeast-1",
        "sa-east-1",
        "us-gov-west-1",
    }
)


def _check(props: Properties) -> None:
    known("AWS::S3::Bucket", props, _BUCKET_PROPERTIES)
    for name, operation in _UNSERVED.items():
        if props.get(name) is not None:
            raise ResourceFailed(
                f"Property {name} of AWS::S3::Bucket is not supported: Altus's S3 does not "
                f"serve {operation}"
            )
    acl = props.get("AccessControl")
    if acl is not None and acl != "Private":
        raise ResourceFailed(
            f"Property AccessControl of AWS::S3::Bucket is not supported for {acl}: Altus's "
            "S3 has no ACLs (PutBucketAcl); only Private, what every bucket is, is accepted"
        )
    if boolean(props, "ObjectLockEnabled"):
        raise ResourceFailed(
            "Property ObjectLockEnabled of AWS::S3::Bucket is not supported: Altus's S3 "
            "does not serve Object Lock"
        )


def notification_configuration(props: Properties) -> dict[str, Any]:
    """``NotificationConfiguration`` in the API's shape ({} for none)."""
    given = props.get("NotificationConfiguration") or {}
    out: dict[str, Any] = {}
    for cfn_list, cfn_member, api_list, api_member in _DESTINATIONS:
        configs = []
        for config in given.get(cfn_list) or []:
            if not config.get("Event") or not config.get(cfn_member):
                raise ResourceFailed(
                    "Properties validation failed for resource with message: "
                    f"#/NotificationConfiguration/{cfn_list}: required key "
                    f"[Event, {cfn_member}] not found"
                )
            made: dict[str, Any] = {api_member: config[cfn_member], "Events": [config["Event"]]}
            rules = ((config.get("Filter") or {}).get("S3Key") or {}).get("Rules")
            if rules:
                made["Filter"] = {
                    "Key": {
                        "FilterRules": [{"Name": r["Name"], "Value": r["Value"]} for r in rules]
                    }
                }
            configs.append(made)
        if configs:
            out[api_list] = configs
    bridge = given.get("EventBridgeConfiguration") or {}
    if boolean(bridge, "EventBridgeEnabled", True) and "EventBridgeConfiguration" in given:
        out["EventBridgeConfiguration"] = {}
    return out


def bucket_name(ctx: ProviderContext, props: Properties) -> str:
    return str(props.get("BucketName") or ctx.name(max_length=_MAX_NAME, lower=True))


def bucket_attributes(ctx: ProviderContext, name: str) -> dict[str, str]:
    """What ``Fn::GetAtt`` gives of a bucket, in AWS's forms (see the module docstring)."""
    suffix = "amazonaws.com.cn" if ctx.partition == "aws-cn" else "amazonaws.com"
    website = "s3-website-" if ctx.region in _DASHED_WEBSITES else "s3-website."
    return {
        "Arn": f"arn:{ctx.partition}:s3:::{name}",
        "DomainName": f"{name}.s3.{suffix}",
        "RegionalDomainName": f"{name}.s3.{ctx.region}.{suffix}",
        "DualStackDomainName": f"{name}.s3.dualstack.{ctx.region}.{suffix}",
        "WebsiteURL": f"http://{name}.{website}{ctx.region}.{suffix}",
    }


class Bucket:
    """``AWS::S3::Bucket``: Ref is the bucket's name."""

    replaced_by = frozenset({"BucketName"})
    attributes = frozenset(
        {"Arn", "DomainName", "RegionalDomainName", "DualStackDomainName", "WebsiteURL"}
    )

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        _check(props)
        name = bucket_name(ctx, props)
        notifications = notification_configuration(props)
        # CreateBucket succeeds for a bucket one owns already (us-east-1).
        await refuse_taken(ctx, "s3", "HeadBucket", {"Bucket": name}, f"{name} already exists")
        params: dict[str, Any] = {"Bucket": name}
        if ctx.region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": ctx.region}
        await ctx.call("s3", "CreateBucket", params)
        tags = tag_list(props, ctx)
        if tags:
            await ctx.call("s3", "PutBucketTagging", {"Bucket": name, "Tagging": {"TagSet": tags}})
        versioning = props.get("VersioningConfiguration")
        if versioning:
            await self._version(ctx, name, versioning)
        if notifications:
            await self._notify(ctx, name, notifications)
        return Outcome(name, bucket_attributes(ctx, name))

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        _check(props)
        old = current.properties
        name = current.physical_id or bucket_name(ctx, props)
        notifications = notification_configuration(props)
        tags = tag_list(props, ctx)
        if tags != tag_list(old, ctx):
            if tags:
                await ctx.call(
                    "s3", "PutBucketTagging", {"Bucket": name, "Tagging": {"TagSet": tags}}
                )
            else:
                await ctx.call("s3", "DeleteBucketTagging", {"Bucket": name})
        before = (old.get("VersioningConfiguration") or {}).get("Status")
        versioning = props.get("VersioningConfiguration")
        if (versioning or {}).get("Status") != before:
            if versioning:
                await self._version(ctx, name, versioning)
            elif before == "Enabled":
                # Versioning once enabled can only be suspended.
                await self._version(ctx, name, {"Status": "Suspended"})
        if notifications != notification_configuration(old):
            await self._notify(ctx, name, notifications)
        return Outcome(name, bucket_attributes(ctx, name))

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        # Not emptied first: a bucket with objects fails with S3's BucketNotEmpty, as
        # on CloudFormation.
        name = current.physical_id or bucket_name(ctx, current.properties)
        await quietly(ctx, "s3", "DeleteBucket", {"Bucket": name})

    async def _version(self, ctx: ProviderContext, name: str, versioning: Any) -> None:
        required(versioning, "Status")
        await ctx.call(
            "s3",
            "PutBucketVersioning",
            {"Bucket": name, "VersioningConfiguration": {"Status": str(versioning["Status"])}},
        )

    async def _notify(self, ctx: ProviderContext, name: str, configuration: Any) -> None:
        await ctx.call(
            "s3",
            "PutBucketNotificationConfiguration",
            {"Bucket": name, "NotificationConfiguration": configuration},
        )


async def _put_policy(ctx: ProviderContext, bucket: str, policy: str) -> None:
    await ctx.call("s3", "PutBucketPolicy", {"Bucket": bucket, "Policy": policy})


async def _delete_policy(ctx: ProviderContext, bucket: str) -> None:
    await quietly(ctx, "s3", "DeleteBucketPolicy", {"Bucket": bucket})


#: ``AWS::S3::BucketPolicy``: Ref is the bucket's name (its primary identifier).
PROVIDERS: dict[str, Provider] = {
    "AWS::S3::Bucket": Bucket(),
    "AWS::S3::BucketPolicy": PolicyOnOne(
        "AWS::S3::BucketPolicy", ("Bucket", "PolicyDocument"), _put_policy, _delete_policy
    ),
}

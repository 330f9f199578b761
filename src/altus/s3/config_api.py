"""A bucket's configuration: versioning, its policy (enforced by the identity layer:
``altus.s3.actions``), its tags, and its notification configuration.

Putting a notification configuration sends S3's test event to each queue and topic it
names, which is also how a destination that does not exist (or refuses the record) is
found out: the configuration is refused as S3 refuses it ("Unable to validate the
following destination configurations"). A function is not invoked to be checked: a
function that is missing, or whose policy does not let S3 invoke it, is found out when
a notification is delivered (refused there, dropped and logged).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from altus.api.protocols.common import parse_json
from altus.api.spec import Call, Members
from altus.errors import AltusError
from altus.events.handoff import HandOffFailed, check_pushed
from altus.identity.errors import AccessDenied
from altus.s3 import events, notifications
from altus.s3.component import ObjectStorage
from altus.s3.errors import (
    InvalidArgument,
    MalformedPolicy,
    MalformedXML,
    NoSuchBucketPolicy,
    NoSuchTagSet,
)
from altus.s3.members import checked_tags, tag_list
from altus.s3.model import ENABLED, SUSPENDED

MAX_BUCKET_TAGS = 50


# --- versioning ---------------------------------------------------------------------------


async def put_bucket_versioning(s3: ObjectStorage, call: Call, input: Members) -> Members:
    bucket = s3.bucket(input["Bucket"])
    status = (input.get("VersioningConfiguration") or {}).get("Status")
    if status not in (ENABLED, SUSPENDED):
        raise MalformedXML(
            "The XML you provided was not well-formed or did not validate against our "
            "published schema"
        )
    await s3.update_bucket(dataclasses.replace(bucket, versioning=status))
    return {}


async def get_bucket_versioning(s3: ObjectStorage, call: Call, input: Members) -> Members:
    bucket = s3.bucket(input["Bucket"])
    return {"Status": bucket.versioning} if bucket.versioning else {}


# --- policy -------------------------------------------------------------------------------


def check_policy(text: str) -> dict[str, Any]:
    """A bucket policy S3 would take: a JSON object with statements, each with an
    Effect, an action and a resource. MalformedPolicy otherwise."""
    if not text.lstrip().startswith("{"):
        raise MalformedPolicy("Policies must be valid JSON and the first byte must be '{'")
    try:
        document = parse_json(text)
    except ValueError:
        raise MalformedPolicy("This policy contains invalid Json") from None
    if not isinstance(document, dict):
        raise MalformedPolicy("Policies must be valid JSON and the first byte must be '{'")
    statements = document.get("Statement")
    if statements is None:
        raise MalformedPolicy("Missing required field Statement")
    for statement in statements if isinstance(statements, list) else [statements]:
        if not isinstance(statement, dict):
            raise MalformedPolicy("Statement is not a JSON object")
        if statement.get("Effect") not in ("Allow", "Deny"):
            raise MalformedPolicy("Invalid effect: " + str(statement.get("Effect")))
        if "Action" not in statement and "NotAction" not in statement:
            raise MalformedPolicy("Missing required field Action")
        if "Resource" not in statement and "NotResource" not in statement:
            raise MalformedPolicy("Missing required field Resource")
        if "Principal" not in statement and "NotPrincipal" not in statement:
            raise MalformedPolicy("Missing required field Principal")
    return document


async def put_bucket_policy(s3: ObjectStorage, call: Call, input: Members) -> Members:
    bucket = s3.bucket(input["Bucket"])
    text = str(input.get("Policy") or "")
    check_policy(text)
    await s3.update_bucket(dataclasses.replace(bucket, policy=text))
    return {}


async def get_bucket_policy(s3: ObjectStorage, call: Call, input: Members) -> Members:
    bucket = s3.bucket(input["Bucket"])
    if bucket.policy is None:
        raise NoSuchBucketPolicy("The bucket policy does not exist", BucketName=bucket.name)
    return {"Policy": bucket.policy}


async def delete_bucket_policy(s3: ObjectStorage, call: Call, input: Members) -> Members:
    bucket = s3.bucket(input["Bucket"])
    await s3.update_bucket(dataclasses.replace(bucket, policy=None))
    return {}


# --- tags ---------------------------------------------------------------------------------


async def put_bucket_tagging(s3: ObjectStorage, call: Call, input: Members) -> Members:
    bucket = s3.bucket(input["Bucket"])
    pairs = [
        (t.get("Key", ""), t.get("Value", ""))
        for t in (input.get("Tagging") or {}).get("TagSet") or []
    ]
    tags = checked_tags(pairs, MAX_BUCKET_TAGS)
    await s3.update_bucket(dataclasses.replace(bucket, tags=tags))
    return {}


async def get_bucket_tagging(s3: ObjectStorage, call: Call, input: Members) -> Members:
    bucket = s3.bucket(input["Bucket"])
    if bucket.tags is None:
        raise NoSuchTagSet("The TagSet does not exist", BucketName=bucket.name)
    return {"TagSet": tag_list(bucket.tags)}


async def delete_bucket_tagging(s3: ObjectStorage, call: Call, input: Members) -> Members:
    bucket = s3.bucket(input["Bucket"])
    await s3.update_bucket(dataclasses.replace(bucket, tags=None))
    return {}


# --- notifications ------------------------------------------------------------------------


async def put_bucket_notification_configuration(
    s3: ObjectStorage, call: Call, input: Members
) -> Members:
    bucket = s3.bucket(input["Bucket"])
    configuration = notifications.checked(input.get("NotificationConfiguration") or {}, s3.region)
    test = events.test_event(bucket.name, s3.now_ms(), call.request_id)
    for destination in notifications.destinations(configuration):
        if destination.kind == "lambda":
            continue
        target = s3.targets.find(destination.kind)
        reason = None
        if target is None:
            reason = f"The destination {_noun(destination.kind)} does not exist"
        else:
            try:
                # Under --auth iam the destination's own policy must let S3 send to it.
                check_pushed(
                    s3.identity,
                    s3.targets,
                    service_principal="s3.amazonaws.com",
                    source_arn=f"arn:aws:s3:::{bucket.name}",
                    source_account=s3.account.account_id,
                    target_arn=destination.arn,
                )
                await target.deliver(destination.arn, test)
            except HandOffFailed:
                reason = _reason(destination.kind, AccessDenied("refused"))
            except AltusError as error:
                reason = _reason(destination.kind, error)
        if reason is not None:
            raise InvalidArgument(
                "Unable to validate the following destination configurations",
                ArgumentName=destination.arn,
                ArgumentValue=reason,
            )
    await s3.update_bucket(dataclasses.replace(bucket, notification=configuration))
    return {}


def _noun(kind: str) -> str:
    return "queue" if kind == "sqs" else "topic"


def _reason(kind: str, error: AltusError) -> str:
    if error.status == 404 or "NotFound" in error.code or "NonExistent" in error.code:
        return f"The destination {_noun(kind)} does not exist"
    return (
        f"Permissions on the destination {_noun(kind)} do not allow S3 to publish "
        "notifications from this bucket"
    )


async def get_bucket_notification_configuration(
    s3: ObjectStorage, call: Call, input: Members
) -> Members:
    bucket = s3.bucket(input["Bucket"])
    return dict(bucket.notification)

"""The IAM action and resource each S3 operation needs, with the bucket's policy as the
resource's own policy (which may allow it too, or deny it).

S3's actions are not its operation names: listing a bucket is ``s3:ListBucket``, a
HeadObject is ``s3:GetObject``, a read of a named version ``s3:GetObjectVersion``,
every write of object data ``s3:PutObject``. Object operations are on
``arn:aws:s3:::bucket/key``, bucket operations on ``arn:aws:s3:::bucket``,
ListBuckets on ``*``.

Some operations need more than one action, which the operation checks itself with the
caller's principal (``authorize``): a copy reads its source (``s3:GetObject``, or
``s3:GetObjectVersion`` for a named version, on the source object with the source
bucket's policy); DeleteObjects is authorised key by key (``s3:DeleteObject`` or
``s3:DeleteObjectVersion``), a refusal being that key's error; a read of a missing key
is a 403 rather than a 404 for a caller without ``s3:ListBucket`` (``allowed``)."""

from __future__ import annotations

from altus.api.protocols.common import parse_json
from altus.api.service import PRINCIPAL, request_context
from altus.api.spec import Call, Members, Needs
from altus.identity.authenticator import Principal
from altus.identity.errors import AccessDenied
from altus.s3.component import ObjectStorage

#: Operation -> action, where they differ (the rest are ``s3:<Operation>``).
ACTIONS = {
    "ListObjects": "s3:ListBucket",
    "ListObjectsV2": "s3:ListBucket",
    "HeadBucket": "s3:ListBucket",
    "ListObjectVersions": "s3:ListBucketVersions",
    "ListBuckets": "s3:ListAllMyBuckets",
    "HeadObject": "s3:GetObject",
    "CopyObject": "s3:PutObject",
    "CreateMultipartUpload": "s3:PutObject",
    "UploadPart": "s3:PutObject",
    "UploadPartCopy": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject",
    "ListParts": "s3:ListMultipartUploadParts",
    "ListMultipartUploads": "s3:ListBucketMultipartUploads",
    "DeleteBucketPolicy": "s3:DeleteBucketPolicy",
    "DeleteBucketTagging": "s3:PutBucketTagging",
    "PutBucketNotificationConfiguration": "s3:PutBucketNotification",
    "GetBucketNotificationConfiguration": "s3:GetBucketNotification",
}
#: Reads and deletes of a named version have actions of their own.
VERSIONED = {
    "s3:GetObject": "s3:GetObjectVersion",
    "s3:DeleteObject": "s3:DeleteObjectVersion",
    "s3:GetObjectTagging": "s3:GetObjectVersionTagging",
    "s3:PutObjectTagging": "s3:PutObjectVersionTagging",
    "s3:DeleteObjectTagging": "s3:DeleteObjectVersionTagging",
}
#: Operations that authorise their calls themselves, key by key.
OWN = {"DeleteObjects"}


def actions(s3: ObjectStorage, operation: str, members: Members) -> Needs | None:
    if operation in OWN:
        return None
    action = ACTIONS.get(operation, f"s3:{operation}")
    if members.get("VersionId") and action in VERSIONED:
        action = VERSIONED[action]
    bucket = members.get("Bucket")
    if operation == "ListBuckets" or not isinstance(bucket, str) or not bucket:
        return action, "*"
    arn = f"arn:aws:s3:::{bucket}"
    key = members.get("Key")
    if isinstance(key, str) and key:
        arn = f"{arn}/{key}"
    return action, arn, policies(s3, bucket)


def _caller(call: Call) -> Principal | None:
    """Who signed the call, where calls are authenticated."""
    found = call.request.scope.get(PRINCIPAL)
    return found if isinstance(found, Principal) else None


def authorize(
    s3: ObjectStorage, call: Call, action: str, bucket: str, key: str | None = None
) -> None:
    """Where calls are authorised, raise AccessDenied unless the caller may perform
    ``action`` on the bucket (or its object ``key``), the bucket's policy applying."""
    caller = _caller(call)
    if caller is None or not s3.identity.enforcing:
        return
    arn = f"arn:aws:s3:::{bucket}" if key is None else f"arn:aws:s3:::{bucket}/{key}"
    s3.identity.authorize(
        caller, action, arn, policies(s3, bucket), request_context(call.request.scope)
    )


def allowed(
    s3: ObjectStorage, call: Call, action: str, bucket: str, key: str | None = None
) -> bool:
    """Whether ``authorize`` would let the call through."""
    try:
        authorize(s3, call, action, bucket, key)
    except AccessDenied:
        return False
    return True


def policies(s3: ObjectStorage, bucket: str) -> list[dict[str, object]]:
    found = s3.buckets.get(bucket)
    if found is None or found.policy is None:
        return []
    try:
        document = parse_json(found.policy)
    except ValueError:
        return []
    return [document] if isinstance(document, dict) else []

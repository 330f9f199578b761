"""S3's errors. Where botocore's model has a shape (NoSuchBucket, NoSuchKey, NoSuchUpload,
BucketAlreadyExists, BucketAlreadyOwnedByYou, InvalidRequest, AccessDenied) the class's
code is that shape's name; the many codes S3 documents that its model lacks
(InvalidBucketName, BucketNotEmpty, InvalidRange, PreconditionFailed ...) carry their
status here and are listed on the spec (``ServiceSpec.documented_errors``).

Messages are S3's own words (its ErrorResponses page, and the texts clients quote).
Extra fields (BucketName, Key, ...) go into the error document as S3 adds them.
"""

from __future__ import annotations

from altus.errors import ServiceError, UserError


class S3Error(UserError):
    """Root of the S3 service's family."""

    code = "InvalidRequest"


class InvalidRequest(S3Error):
    code = "InvalidRequest"


class InvalidArgument(S3Error):
    code = "InvalidArgument"


class MalformedXML(S3Error):
    code = "MalformedXML"


class InvalidBucketName(S3Error):
    code = "InvalidBucketName"


class NoSuchBucket(S3Error):
    code = "NoSuchBucket"
    status = 404


class NoSuchKey(S3Error):
    code = "NoSuchKey"
    status = 404


class NoSuchVersion(S3Error):
    code = "NoSuchVersion"
    status = 404


class NoSuchUpload(S3Error):
    code = "NoSuchUpload"
    status = 404


class NoSuchBucketPolicy(S3Error):
    code = "NoSuchBucketPolicy"
    status = 404


class NoSuchTagSet(S3Error):
    code = "NoSuchTagSet"
    status = 404


class BucketAlreadyExists(S3Error):
    code = "BucketAlreadyExists"
    status = 409


class BucketAlreadyOwnedByYou(S3Error):
    code = "BucketAlreadyOwnedByYou"
    status = 409


class BucketNotEmpty(S3Error):
    code = "BucketNotEmpty"
    status = 409


class IllegalLocationConstraint(S3Error):
    code = "IllegalLocationConstraintException"


class InvalidLocationConstraint(S3Error):
    code = "InvalidLocationConstraint"


class InvalidRange(S3Error):
    code = "InvalidRange"
    status = 416


class PreconditionFailed(S3Error):
    code = "PreconditionFailed"
    status = 412


class NotModified(S3Error):
    """A conditional read whose object did not change: 304, no body (clients see the
    status alone)."""

    code = "NotModified"
    status = 304


class EntityTooSmall(S3Error):
    code = "EntityTooSmall"


class EntityTooLarge(S3Error):
    code = "EntityTooLarge"


class InvalidPartNumber(S3Error):
    code = "InvalidPartNumber"
    status = 416


class MethodNotAllowed(S3Error):
    code = "MethodNotAllowed"
    status = 405


class InvalidPart(S3Error):
    code = "InvalidPart"


class InvalidPartOrder(S3Error):
    code = "InvalidPartOrder"


class BadDigest(S3Error):
    code = "BadDigest"


class InvalidDigest(S3Error):
    code = "InvalidDigest"


class MetadataTooLarge(S3Error):
    code = "MetadataTooLarge"


class KeyTooLong(S3Error):
    code = "KeyTooLongError"


class InvalidTag(S3Error):
    code = "InvalidTag"


class MalformedPolicy(S3Error):
    code = "MalformedPolicy"


class AccessDenied(S3Error):
    code = "AccessDenied"
    status = 403


class InternalError(ServiceError):
    code = "InternalError"


#: Every code above the model lacks: what ``test_routes`` accepts for S3.
DOCUMENTED = frozenset(
    {
        "InvalidArgument",
        "MalformedXML",
        "InvalidBucketName",
        "NoSuchVersion",
        "NoSuchBucketPolicy",
        "NoSuchTagSet",
        "BucketNotEmpty",
        "IllegalLocationConstraintException",
        "InvalidLocationConstraint",
        "InvalidRange",
        "PreconditionFailed",
        "NotModified",
        "EntityTooSmall",
        "EntityTooLarge",
        "InvalidPart",
        "InvalidPartNumber",
        "MethodNotAllowed",
        "InvalidPartOrder",
        "BadDigest",
        "InvalidDigest",
        "MetadataTooLarge",
        "KeyTooLongError",
        "InvalidTag",
        "MalformedPolicy",
        "InternalError",
        # What the framework's checks of a streamed payload answer S3's requests with
        # (altus.api.payload).
        "XAmzContentSHA256Mismatch",
        "IncompleteBody",
        "SignatureDoesNotMatch",
    }
)


def no_such_bucket(bucket: str) -> NoSuchBucket:
    return NoSuchBucket("The specified bucket does not exist", BucketName=bucket)


def no_such_key(key: str) -> NoSuchKey:
    return NoSuchKey("The specified key does not exist.", Key=key)


def no_such_version(key: str, version_id: str) -> NoSuchVersion:
    return NoSuchVersion("The specified version does not exist.", Key=key, VersionId=version_id)


def no_such_upload(upload_id: str) -> NoSuchUpload:
    return NoSuchUpload(
        "The specified upload does not exist. The upload ID may be invalid, or the upload "
        "may have been aborted or completed.",
        UploadId=upload_id,
    )

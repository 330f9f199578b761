"""The S3 service, as the framework sees it: botocore's ``s3`` model (rest-xml), the
bucket, object, multipart and configuration operations Altus serves (the rest are
refused as InvalidRequest), its tables, its component, and the error codes S3 documents
that its model lacks."""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping

from starlette.requests import ClientDisconnect

from altus.api.model import Overrides
from altus.api.spec import Call, Members, Operation, Schemas, ServiceSpec
from altus.api.validate import Problem, Unreadable, coral_message
from altus.errors import AltusError
from altus.s3 import actions, buckets_api, config_api, hosts, multipart_api, objects_api
from altus.s3.component import ObjectStorage
from altus.s3.errors import (
    DOCUMENTED,
    InternalError,
    InvalidArgument,
    InvalidRequest,
    MalformedXML,
    S3Error,
)
from altus.s3.sql_store import SCHEMA

log = logging.getLogger(__name__)


class S3Violations:
    """What the model refuses, as S3 words it: a missing or out-of-range member is an
    InvalidArgument, a body that is not the XML the operation takes MalformedXML."""

    def invalid(self, problems: list[Problem]) -> AltusError:
        first = problems[0]
        return InvalidArgument(coral_message(problems), ArgumentName=first.member)

    def unreadable(self, error: Unreadable) -> AltusError:
        if error.member:
            return InvalidArgument(
                f"Invalid value for {error.member}: expected {error.expected}",
                ArgumentName=error.member,
            )
        return MalformedXML(
            "The XML you provided was not well-formed or did not validate against our "
            "published schema"
        )


def _unknown(name: str | None) -> AltusError:
    # S3 answers what it cannot do with 501 NotImplemented; an operation Altus does not
    # serve is the caller's to avoid, answered in the model's own 400 InvalidRequest.
    if name is None:
        return InvalidRequest("The request names no S3 operation Altus serves.")
    return InvalidRequest(f"Altus does not serve the {name} operation of S3.")


def _internal(operation: Operation) -> Operation:
    """An unexpected failure answered as S3 answers one: 500 InternalError."""

    @functools.wraps(operation)
    async def run(s3: ObjectStorage, call: Call, input: Members) -> Members:
        try:
            return await operation(s3, call, input)
        except (AltusError, ClientDisconnect):
            raise
        except Exception:
            log.exception("unexpected error serving S3's %s", call.operation)
            raise InternalError("We encountered an internal error. Please try again.") from None

    return run


def _operations(table: Mapping[str, Operation]) -> dict[str, Operation]:
    return {name: _internal(operation) for name, operation in table.items()}


SPEC = ServiceSpec(
    name="s3",
    operations=_operations(
        {
            "CreateBucket": buckets_api.create_bucket,
            "HeadBucket": buckets_api.head_bucket,
            "ListBuckets": buckets_api.list_buckets,
            "DeleteBucket": buckets_api.delete_bucket,
            "GetBucketLocation": buckets_api.get_bucket_location,
            "ListObjectsV2": buckets_api.list_objects_v2,
            "ListObjects": buckets_api.list_objects,
            "ListObjectVersions": buckets_api.list_object_versions,
            "PutObject": objects_api.put_object,
            "GetObject": objects_api.get_object,
            "HeadObject": objects_api.head_object,
            "DeleteObject": objects_api.delete_object,
            "DeleteObjects": objects_api.delete_objects,
            "CopyObject": objects_api.copy_object,
            "PutObjectTagging": objects_api.put_object_tagging,
            "GetObjectTagging": objects_api.get_object_tagging,
            "DeleteObjectTagging": objects_api.delete_object_tagging,
            "CreateMultipartUpload": multipart_api.create_multipart_upload,
            "UploadPart": multipart_api.upload_part,
            "UploadPartCopy": multipart_api.upload_part_copy,
            "CompleteMultipartUpload": multipart_api.complete_multipart_upload,
            "AbortMultipartUpload": multipart_api.abort_multipart_upload,
            "ListParts": multipart_api.list_parts,
            "ListMultipartUploads": multipart_api.list_multipart_uploads,
            "PutBucketVersioning": config_api.put_bucket_versioning,
            "GetBucketVersioning": config_api.get_bucket_versioning,
            "PutBucketPolicy": config_api.put_bucket_policy,
            "GetBucketPolicy": config_api.get_bucket_policy,
            "DeleteBucketPolicy": config_api.delete_bucket_policy,
            "PutBucketTagging": config_api.put_bucket_tagging,
            "GetBucketTagging": config_api.get_bucket_tagging,
            "DeleteBucketTagging": config_api.delete_bucket_tagging,
            "PutBucketNotificationConfiguration": config_api.put_bucket_notification_configuration,
            "GetBucketNotificationConfiguration": config_api.get_bucket_notification_configuration,
        }
    ),
    errors=S3Error,
    violations=S3Violations(),
    build=ObjectStorage,
    schemas=(Schemas((SCHEMA,)),),
    actions=actions.actions,
    unknown=_unknown,
    documented_errors=DOCUMENTED,
    # Objects are streamed to disk, never read whole, also where signatures are checked.
    streamed_bodies=True,
    virtual_hosts=hosts.virtual_hosts,
    unsigned_claim=hosts.claims_unsigned,
    # S3 words these refusals itself (altus.s3.notifications).
    overrides=Overrides(
        open_enums=frozenset({"FilterRuleName", "Event"}),
        xml_namespace="http://s3.amazonaws.com/doc/2006-03-01/",
        # The documents' root elements as S3 names them (the model leaves them unnamed;
        # botocore reads any root, stricter XML clients check it).
        xml_roots={
            "ListObjectsV2Output": "ListBucketResult",
            "ListObjectsOutput": "ListBucketResult",
            "ListObjectVersionsOutput": "ListVersionsResult",
            "GetBucketVersioningOutput": "VersioningConfiguration",
            "ListBucketsOutput": "ListAllMyBucketsResult",
            "CreateMultipartUploadOutput": "InitiateMultipartUploadResult",
            "CompleteMultipartUploadOutput": "CompleteMultipartUploadResult",
            "ListPartsOutput": "ListPartsResult",
            "ListMultipartUploadsOutput": "ListMultipartUploadsResult",
            "DeleteObjectsOutput": "DeleteResult",
            "GetObjectTaggingOutput": "Tagging",
            "GetBucketTaggingOutput": "Tagging",
        },
    ),
)

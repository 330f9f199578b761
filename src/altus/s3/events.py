"""What S3 sends about an object change (pure): the event record functions, queues and
topics receive (``{"Records": [record]}``, event version 2.1, the key form-encoded),
the test event a queue or topic gets when a configuration names it, and the event the
default EventBridge bus receives when the bucket has EventBridge notifications on."""

from __future__ import annotations

import datetime
import json
import uuid
from dataclasses import dataclass

from altus.s3.model import NULL_VERSION
from altus.s3.names import event_key


@dataclass(frozen=True, slots=True)
class Change:
    """One object change, as every event about it tells it."""

    #: ``s3:ObjectCreated:Put`` ...
    event: str
    bucket: str
    key: str
    seq: int
    time_ms: int
    region: str
    account: str
    request_id: str
    source_ip: str
    principal: str
    size: int | None = None
    etag: str | None = None
    version_id: str | None = None


def iso_time(ms: int) -> str:
    moment = datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def sequencer(seq: int) -> str:
    """A hex string that grows with each change of a key, as S3's does."""
    return f"{seq:016X}"


def host_id(request_id: str) -> str:
    return f"altus/{request_id}"


def record(change: Change, configuration_id: str) -> dict[str, object]:
    """S3's event record (one element of ``Records``)."""
    obj: dict[str, object] = {"key": event_key(change.key)}
    if change.size is not None:
        obj["size"] = change.size
    if change.etag is not None:
        obj["eTag"] = change.etag.strip('"')
    if change.version_id is not None and change.version_id != NULL_VERSION:
        obj["versionId"] = change.version_id
    obj["sequencer"] = sequencer(change.seq)
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": change.region,
        "eventTime": iso_time(change.time_ms),
        "eventName": change.event.removeprefix("s3:"),
        "userIdentity": {"principalId": change.principal},
        "requestParameters": {"sourceIPAddress": change.source_ip},
        "responseElements": {
            "x-amz-request-id": change.request_id,
            "x-amz-id-2": host_id(change.request_id),
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": configuration_id,
            "bucket": {
                "name": change.bucket,
                "ownerIdentity": {"principalId": change.account},
                "arn": f"arn:aws:s3:::{change.bucket}",
            },
            "object": obj,
        },
    }


def notification(change: Change, configuration_id: str) -> str:
    return json.dumps({"Records": [record(change, configuration_id)]})


def test_event(bucket: str, time_ms: int, request_id: str) -> str:
    return json.dumps(
        {
            "Service": "Amazon S3",
            "Event": "s3:TestEvent",
            "Time": iso_time(time_ms),
            "Bucket": bucket,
            "RequestId": request_id,
            "HostId": host_id(request_id),
        }
    )


#: S3 event -> (EventBridge detail type, reason, deletion type).
_BRIDGED = {
    "s3:ObjectCreated:Put": ("Object Created", "PutObject", None),
    "s3:ObjectCreated:Post": ("Object Created", "POST Object", None),
    "s3:ObjectCreated:Copy": ("Object Created", "CopyObject", None),
    "s3:ObjectCreated:CompleteMultipartUpload": (
        "Object Created",
        "CompleteMultipartUpload",
        None,
    ),
    "s3:ObjectRemoved:Delete": ("Object Deleted", "DeleteObject", "Permanently Deleted"),
    "s3:ObjectRemoved:DeleteMarkerCreated": (
        "Object Deleted",
        "DeleteObject",
        "Delete Marker Created",
    ),
}


def bridged(change: Change) -> str | None:
    """The whole EventBridge event (``source: aws.s3``) for the default bus; None for
    an event S3 does not send there."""
    found = _BRIDGED.get(change.event)
    if found is None:
        return None
    detail_type, reason, deletion = found
    obj: dict[str, object] = {"key": change.key}
    if change.size is not None:
        obj["size"] = change.size
    if change.etag is not None:
        obj["etag"] = change.etag.strip('"')
    if change.version_id is not None and change.version_id != NULL_VERSION:
        obj["version-id"] = change.version_id
    obj["sequencer"] = sequencer(change.seq)
    detail: dict[str, object] = {
        "version": "0",
        "bucket": {"name": change.bucket},
        "object": obj,
        "request-id": change.request_id,
        "requester": change.account,
        "source-ip-address": change.source_ip,
        "reason": reason,
    }
    if deletion is not None:
        detail["deletion-type"] = deletion
    return json.dumps(
        {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": detail_type,
            "source": "aws.s3",
            "account": change.account,
            "time": iso_time(change.time_ms)[:19] + "Z",
            "region": change.region,
            "resources": [f"arn:aws:s3:::{change.bucket}"],
            "detail": detail,
        }
    )

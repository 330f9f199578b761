"""Bucket operations and listings: CreateBucket, HeadBucket, ListBuckets,
DeleteBucket, GetBucketLocation, ListObjectsV2, ListObjects and ListObjectVersions.

Listings page through the store by key (a page costs what it returns). With
``EncodingType=url`` keys and prefixes are percent-encoded and the element is echoed
(botocore always asks, and decodes what it is told was encoded). ListObjectsV2's
continuation token is the last key or common prefix returned, base64-encoded (opaque to
clients, as S3's is)."""

from __future__ import annotations

import base64
import binascii

from altus.api.spec import Call, Members
from altus.s3.component import ObjectStorage
from altus.s3.errors import InvalidArgument
from altus.s3.members import to_time
from altus.s3.model import Listed, ObjectVersion
from altus.s3.names import check_bucket_name, listing_encode

MAX_KEYS = 1000


def _owner(s3: ObjectStorage) -> Members:
    return {"ID": s3.account_id, "DisplayName": s3.account_id}


async def create_bucket(s3: ObjectStorage, call: Call, input: Members) -> Members:
    name = input["Bucket"]
    check_bucket_name(name)
    configuration = input.get("CreateBucketConfiguration") or {}
    await s3.create_bucket(name, configuration.get("LocationConstraint"))
    return {"Location": f"/{name}"}


async def head_bucket(s3: ObjectStorage, call: Call, input: Members) -> Members:
    bucket = s3.bucket(input["Bucket"])
    return {"BucketRegion": bucket.region}


async def list_buckets(s3: ObjectStorage, call: Call, input: Members) -> Members:
    prefix = input.get("Prefix") or ""
    buckets = [b for name, b in sorted(s3.buckets.items()) if name.startswith(prefix)]
    return {
        "Buckets": [
            {"Name": b.name, "CreationDate": to_time(b.created_ms), "BucketRegion": b.region}
            for b in buckets
        ],
        "Owner": _owner(s3),
    }


async def delete_bucket(s3: ObjectStorage, call: Call, input: Members) -> Members:
    await s3.delete_bucket(input["Bucket"])
    return {}


async def get_bucket_location(s3: ObjectStorage, call: Call, input: Members) -> Members:
    bucket = s3.bucket(input["Bucket"])
    # us-east-1 is written as no constraint at all, as S3 answers it.
    return {"LocationConstraint": None if bucket.region == "us-east-1" else bucket.region}


# --- listings -----------------------------------------------------------------------------


def _max_keys(input: Members) -> int:
    value = input.get("MaxKeys")
    if value is None:
        return MAX_KEYS
    if int(value) < 0:
        raise InvalidArgument(
            "Argument maxKeys must be an integer between 0 and 2147483647",
            ArgumentName="maxKeys",
            ArgumentValue=str(value),
        )
    return min(int(value), MAX_KEYS)


def _encoder(input: Members) -> tuple[bool, object]:
    encoding = input.get("EncodingType")
    if encoding is not None and encoding != "url":
        raise InvalidArgument(
            "Invalid Encoding Method specified in Request",
            ArgumentName="encoding-type",
            ArgumentValue=str(encoding),
        )
    return encoding == "url", None


def _shown(text: str, encode: bool) -> str:
    return listing_encode(text) if encode else text


def _contents(s3: ObjectStorage, listed: Listed, encode: bool, owner: bool) -> list[Members]:
    out = []
    for version in listed.items:
        entry: Members = {
            "Key": _shown(version.key, encode),
            "LastModified": to_time(version.modified_ms),
            "ETag": version.etag,
            "Size": version.size,
            "StorageClass": "STANDARD",
        }
        if owner:
            entry["Owner"] = _owner(s3)
        _checksum_algorithm(version, entry)
        out.append(entry)
    return out


def _checksum_algorithm(version: ObjectVersion, entry: Members) -> None:
    algorithms = [name.removeprefix("Checksum") for name in version.checksums]
    if algorithms:
        entry["ChecksumAlgorithm"] = algorithms
        entry["ChecksumType"] = "COMPOSITE" if version.parts else "FULL_OBJECT"


def _token(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


def _untoken(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidArgument(
            "The continuation token provided is incorrect",
            ArgumentName="continuation-token",
            ArgumentValue=token,
        ) from None


async def list_objects_v2(s3: ObjectStorage, call: Call, input: Members) -> Members:
    bucket = s3.bucket(input["Bucket"])
    encode, _ = _encoder(input)
    prefix = input.get("Prefix") or ""
    delimiter = input.get("Delimiter") or None
    limit = _max_keys(input)
    token = input.get("ContinuationToken")
    start_after = input.get("StartAfter")
    after = _untoken(token) if token else start_after
    if limit == 0:
        listed = Listed([], [])
    else:
        listed = await s3.store.list_current(bucket.name, prefix, after, delimiter, limit)
    out: Members = {
        "Name": bucket.name,
        "Prefix": _shown(prefix, encode),
        "MaxKeys": limit,
        "KeyCount": len(listed.items) + len(listed.prefixes),
        "IsTruncated": listed.next_key is not None,
        "Contents": _contents(s3, listed, encode, bool(input.get("FetchOwner"))) or None,
        "CommonPrefixes": [{"Prefix": _shown(p, encode)} for p in listed.prefixes] or None,
    }
    if delimiter:
        out["Delimiter"] = _shown(delimiter, encode)
    if token:
        out["ContinuationToken"] = token
    if start_after:
        out["StartAfter"] = _shown(start_after, encode)
    if listed.next_key is not None:
        out["NextContinuationToken"] = _token(listed.next_key)
    if encode:
        out["EncodingType"] = "url"
    return out


async def list_objects(s3: ObjectStorage, call: Call, input: Members) -> Members:
    bucket = s3.bucket(input["Bucket"])
    encode, _ = _encoder(input)
    prefix = input.get("Prefix") or ""
    delimiter = input.get("Delimiter") or None
    limit = _max_keys(input)
    marker = input.get("Marker") or None
    if limit == 0:
        listed = Listed([], [])
    else:
        listed = await s3.store.list_current(bucket.name, prefix, marker, delimiter, limit)
    out: Members = {
        "Name": bucket.name,
        "Prefix": _shown(prefix, encode),
        "Marker": _shown(marker or "", encode),
        "MaxKeys": limit,
        "IsTruncated": listed.next_key is not None,
        "Contents": _contents(s3, listed, encode, True) or None,
        "CommonPrefixes": [{"Prefix": _shown(p, encode)} for p in listed.prefixes] or None,
    }
    if delimiter:
        out["Delimiter"] = _shown(delimiter, encode)
        if listed.next_key is not None:
            # S3 gives NextMarker only with a delimiter (without one, clients use the
            # last key).
            out["NextMarker"] = _shown(listed.next_key, encode)
    if encode:
        out["EncodingType"] = "url"
    return out


async def list_object_versions(s3: ObjectStorage, call: Call, input: Members) -> Members:
    bucket = s3.bucket(input["Bucket"])
    encode, _ = _encoder(input)
    prefix = input.get("Prefix") or ""
    delimiter = input.get("Delimiter") or None
    limit = _max_keys(input)
    key_marker = input.get("KeyMarker") or None
    version_marker = input.get("VersionIdMarker") or None
    if limit == 0:
        listed = Listed([], [])
    else:
        listed = await s3.store.list_versions(
            bucket.name, prefix, key_marker, version_marker, delimiter, limit
        )
    versions: list[Members] = []
    markers: list[Members] = []
    for version in listed.items:
        entry: Members = {
            "Key": _shown(version.key, encode),
            "VersionId": version.version_id,
            "IsLatest": version.latest,
            "LastModified": to_time(version.modified_ms),
            "Owner": _owner(s3),
        }
        if version.delete_marker:
            markers.append(entry)
        else:
            entry.update({"ETag": version.etag, "Size": version.size, "StorageClass": "STANDARD"})
            _checksum_algorithm(version, entry)
            versions.append(entry)
    out: Members = {
        "Name": bucket.name,
        "Prefix": _shown(prefix, encode),
        "KeyMarker": _shown(key_marker or "", encode),
        "VersionIdMarker": version_marker or "",
        "MaxKeys": limit,
        "IsTruncated": listed.next_key is not None,
        "Versions": versions or None,
        "DeleteMarkers": markers or None,
        "CommonPrefixes": [{"Prefix": _shown(p, encode)} for p in listed.prefixes] or None,
    }
    if delimiter:
        out["Delimiter"] = _shown(delimiter, encode)
    if listed.next_key is not None:
        out["NextKeyMarker"] = _shown(listed.next_key, encode)
        if listed.next_version:
            out["NextVersionIdMarker"] = listed.next_version
    if encode:
        out["EncodingType"] = "url"
    return out

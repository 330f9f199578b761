"""Multipart uploads: CreateMultipartUpload, UploadPart, UploadPartCopy,
CompleteMultipartUpload, AbortMultipartUpload, ListParts, ListMultipartUploads.

Each part is a file of its own; the completed object is the list of its parts' files
(nothing is copied on completion), its ETag the MD5 of the parts' binary MD5s with
``-<count>``. Parts but the last must be at least 5 MiB (checked on completion, as S3
does)."""

from __future__ import annotations

import asyncio
import itertools
import secrets
from collections.abc import AsyncIterator

from altus.api.spec import Call, Members
from altus.s3.component import MAX_PUT, ObjectStorage
from altus.s3.errors import (
    EntityTooSmall,
    InvalidArgument,
    InvalidPart,
    InvalidPartOrder,
    MalformedXML,
    no_such_upload,
)
from altus.s3.files import etag_of, multipart_etag
from altus.s3.members import checksums, content_headers, metadata, tag_query, to_time, who
from altus.s3.model import NULL_VERSION, ObjectVersion, Part, Piece, Upload
from altus.s3.names import check_key, listing_encode
from altus.s3.objects_api import copy_from
from altus.s3.reads import ByteRange
from altus.s3.store import Completion

MIN_PART = 5 * 1024 * 1024
MAX_PARTS = 10000


def _owner(s3: ObjectStorage) -> Members:
    return {"ID": s3.account_id, "DisplayName": s3.account_id}


async def _upload(s3: ObjectStorage, input: Members) -> Upload:
    s3.bucket(input["Bucket"])
    upload = await s3.store.find_upload(input["UploadId"])
    if upload is None or upload.bucket != input["Bucket"] or upload.key != input["Key"]:
        raise no_such_upload(input["UploadId"])
    return upload


async def create_multipart_upload(s3: ObjectStorage, call: Call, input: Members) -> Members:
    bucket = s3.bucket(input["Bucket"])
    key = input["Key"]
    check_key(key)
    upload = Upload(
        upload_id=secrets.token_urlsafe(48),
        bucket=bucket.name,
        key=key,
        created_ms=s3.now_ms(),
        headers=content_headers(input),
        metadata=metadata(input),
        tags=tag_query(input.get("Tagging")),
        checksum_algorithm=input.get("ChecksumAlgorithm"),
    )
    await s3.store.create_upload(upload)
    out: Members = {"Bucket": bucket.name, "Key": key, "UploadId": upload.upload_id}
    if upload.checksum_algorithm:
        out["ChecksumAlgorithm"] = upload.checksum_algorithm
    return out


def _part_number(input: Members) -> int:
    number = int(input["PartNumber"])
    if not 1 <= number <= MAX_PARTS:
        raise InvalidArgument(
            "Part number must be an integer between 1 and 10000, inclusive",
            ArgumentName="partNumber",
            ArgumentValue=str(number),
        )
    return number


async def upload_part(s3: ObjectStorage, call: Call, input: Members) -> Members:
    number = _part_number(input)
    upload = await _upload(s3, input)
    # The framework's Body checks Content-MD5 (InvalidDigest, BadDigest) as it streams.
    body = input["Body"]
    written = await s3.receive(body.stream(), MAX_PUT)
    sums = checksums(input, body)
    async with s3.fresh([written.file]) as fresh:
        part = Part(
            upload.upload_id,
            number,
            etag_of(written.md5),
            written.size,
            s3.now_ms(),
            written.file,
            sums,
        )
        await s3.keep_part(part, fresh)
    return {"ETag": part.etag, **sums}


def copy_range(header: str | None, size: int) -> ByteRange | None:
    """The range ``x-amz-copy-source-range`` asks of a source of ``size`` bytes: None
    for the whole source; InvalidArgument unless it is ``bytes=first-last`` within it
    (no suffix, no open end, nothing past the end, unlike a GET's Range)."""
    if not header:
        return None
    unit, _, spec = header.strip().partition("=")
    first, dash, last = spec.strip().partition("-")
    if unit.strip().lower() != "bytes" or not dash or not first.isdigit() or not last.isdigit():
        raise InvalidArgument(
            "The x-amz-copy-source-range value must be of the form bytes=first-last where "
            "first and last are the zero-based offsets of the first and last bytes to copy",
            ArgumentName="x-amz-copy-source-range",
            ArgumentValue=header,
        )
    start, end = int(first), int(last)
    if end < start or end >= size:
        raise InvalidArgument(
            f"Range specified is not valid for source object of size: {size}",
            ArgumentName="x-amz-copy-source-range",
            ArgumentValue=header,
        )
    return ByteRange(start, end)


async def upload_part_copy(s3: ObjectStorage, call: Call, input: Members) -> Members:
    number = _part_number(input)
    upload = await _upload(s3, input)
    source, held = await copy_from(s3, call, input)
    try:
        wanted = copy_range(input.get("CopySourceRange"), source.size)
        if source.size == 0:
            written = await s3.receive(_nothing(), 0)
        else:
            start, end = (wanted.start, wanted.end) if wanted else (0, source.size - 1)
            written = await s3.files.copy_range(source.pieces, start, end)
    finally:
        await asyncio.shield(held.release())
    async with s3.fresh([written.file]) as fresh:
        part = Part(
            upload.upload_id, number, etag_of(written.md5), written.size, s3.now_ms(), written.file
        )
        await s3.keep_part(part, fresh)
    out: Members = {
        "CopyPartResult": {"ETag": part.etag, "LastModified": to_time(part.modified_ms)}
    }
    if source.version_id != NULL_VERSION:
        out["CopySourceVersionId"] = source.version_id
    return out


async def _nothing() -> AsyncIterator[bytes]:  # an empty body
    empty: tuple[bytes, ...] = ()
    for chunk in empty:
        yield chunk


async def complete_multipart_upload(s3: ObjectStorage, call: Call, input: Members) -> Members:
    upload = await _upload(s3, input)
    listed = (input.get("MultipartUpload") or {}).get("Parts") or []
    if not listed:
        raise MalformedXML(
            "The XML you provided was not well-formed or did not validate against our "
            "published schema"
        )
    numbers = [int(p.get("PartNumber") or 0) for p in listed]
    if any(b <= a for a, b in itertools.pairwise(numbers)):
        raise InvalidPartOrder(
            "The list of parts was not in ascending order. Parts must be ordered by part number.",
            UploadId=upload.upload_id,
        )
    stored = {p.number: p for p in await s3.store.parts(upload.upload_id)}
    chosen: list[Part] = []
    for item, number in zip(listed, numbers, strict=True):
        part = stored.get(number)
        given = str(item.get("ETag") or "").strip('"')
        if part is None or given != part.etag.strip('"'):
            raise InvalidPart(
                "One or more of the specified parts could not be found.  The part may not "
                "have been uploaded, or the specified entity tag may not have matched the "
                "part's entity tag.",
                UploadId=upload.upload_id,
                PartNumber=str(number),
                ETag=str(item.get("ETag") or ""),
            )
        chosen.append(part)
    for part in chosen[:-1]:
        if part.size < MIN_PART:
            raise EntityTooSmall(
                "Your proposed upload is smaller than the minimum allowed size",
                ProposedSize=str(part.size),
                MinSizeAllowed=str(MIN_PART),
                PartNumber=str(part.number),
                ETag=part.etag,
            )
    etag = multipart_etag([bytes.fromhex(p.etag.strip('"')) for p in chosen])
    async with s3.locked(upload.bucket, upload.key):
        bucket = s3.bucket(upload.bucket)
        version = ObjectVersion(
            bucket=bucket.name,
            key=upload.key,
            seq=s3.next_seq(),
            version_id=s3.new_version_id(bucket),
            modified_ms=s3.now_ms(),
            etag=etag,
            size=sum(p.size for p in chosen),
            headers=upload.headers,
            metadata=upload.metadata,
            tags=upload.tags,
            pieces=tuple(Piece(p.file, p.size) for p in chosen),
            parts=tuple(p.size for p in chosen),
        )
        # Checked again in the write: the upload still there, each part still the one
        # chosen here (a racing Complete, Abort or re-upload may have won meanwhile).
        await s3.commit(
            version,
            "s3:ObjectCreated:CompleteMultipartUpload",
            who(call),
            completes=Completion(upload.upload_id, tuple((p.number, p.file) for p in chosen)),
        )
    out: Members = {
        "Location": f"{call.base_url}/{bucket.name}/{listing_encode(upload.key)}",
        "Bucket": bucket.name,
        "Key": upload.key,
        "ETag": etag,
    }
    if version.version_id != NULL_VERSION:
        out["VersionId"] = version.version_id
    return out


async def abort_multipart_upload(s3: ObjectStorage, call: Call, input: Members) -> Members:
    await _upload(s3, input)
    await s3.abort_upload(input["UploadId"])
    return {}


async def list_parts(s3: ObjectStorage, call: Call, input: Members) -> Members:
    upload = await _upload(s3, input)
    marker = int(input.get("PartNumberMarker") or 0)
    limit = min(int(input.get("MaxParts") or 1000), 1000)
    parts = await s3.store.parts(upload.upload_id, marker, limit + 1)
    more = len(parts) > limit
    parts = parts[:limit]
    out: Members = {
        "Bucket": upload.bucket,
        "Key": upload.key,
        "UploadId": upload.upload_id,
        "PartNumberMarker": marker,
        "MaxParts": limit,
        "IsTruncated": more,
        "Parts": [
            {
                "PartNumber": p.number,
                "LastModified": to_time(p.modified_ms),
                "ETag": p.etag,
                "Size": p.size,
                **p.checksums,
            }
            for p in parts
        ],
        "Initiator": _owner(s3),
        "Owner": _owner(s3),
        "StorageClass": "STANDARD",
    }
    if parts:
        out["NextPartNumberMarker"] = parts[-1].number
    if upload.checksum_algorithm:
        out["ChecksumAlgorithm"] = upload.checksum_algorithm
    return out


async def list_multipart_uploads(s3: ObjectStorage, call: Call, input: Members) -> Members:
    bucket = s3.bucket(input["Bucket"])
    prefix = input.get("Prefix") or ""
    limit = min(int(input.get("MaxUploads") or 1000), 1000)
    key_marker = input.get("KeyMarker") or None
    # An upload id marker counts only with a key marker, as on S3.
    upload_id_marker = (input.get("UploadIdMarker") or None) if key_marker else None
    uploads = await s3.store.uploads(bucket.name, prefix, limit + 1, key_marker, upload_id_marker)
    more = len(uploads) > limit
    uploads = uploads[:limit]
    encode = input.get("EncodingType") == "url"

    def shown(text: str) -> str:
        return listing_encode(text) if encode else text

    out: Members = {
        "Bucket": bucket.name,
        "MaxUploads": limit,
        "IsTruncated": more,
        "Uploads": [
            {
                "UploadId": u.upload_id,
                "Key": shown(u.key),
                "Initiated": to_time(u.created_ms),
                "StorageClass": "STANDARD",
                "Owner": _owner(s3),
                "Initiator": _owner(s3),
            }
            for u in uploads
        ],
    }
    if prefix:
        out["Prefix"] = shown(prefix)
    if key_marker:
        out["KeyMarker"] = shown(key_marker)
    if upload_id_marker:
        out["UploadIdMarker"] = upload_id_marker
    if more and uploads:
        out["NextKeyMarker"] = shown(uploads[-1].key)
        out["NextUploadIdMarker"] = uploads[-1].upload_id
    if encode:
        out["EncodingType"] = "url"
    return out

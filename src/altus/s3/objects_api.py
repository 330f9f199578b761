"""Object operations: PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects,
CopyObject and object tagging. Bodies are streamed to disk and from it, never held
whole."""

from __future__ import annotations

import asyncio
from urllib.parse import unquote

from altus.api.protocols.rest import STATUS
from altus.api.protocols.xml import escape
from altus.api.spec import Call, Members
from altus.errors import AltusError
from altus.s3.actions import allowed, authorize
from altus.s3.component import Deletion, ObjectStorage
from altus.s3.errors import (
    AccessDenied,
    InvalidArgument,
    InvalidPartNumber,
    InvalidRequest,
    MalformedXML,
    MethodNotAllowed,
    NoSuchKey,
    NotModified,
    PreconditionFailed,
    S3Error,
    no_such_key,
)
from altus.s3.files import Held, etag_of
from altus.s3.members import (
    checksums,
    content_headers,
    metadata,
    object_headers,
    tag_list,
    tag_query,
    tag_set,
    to_time,
    who,
)
from altus.s3.model import NULL_VERSION, ObjectVersion, Piece
from altus.s3.names import check_key
from altus.s3.reads import ByteRange, byte_range, check_conditions

MAX_DELETE = 1000


# --- PutObject ---------------------------------------------------------------------------


async def put_object(s3: ObjectStorage, call: Call, input: Members) -> Members:
    bucket = s3.bucket(input["Bucket"])
    key = input["Key"]
    check_key(key)
    headers = content_headers(input)
    user = metadata(input)
    tags = tag_query(input.get("Tagging"))
    # The framework's Body checks Content-MD5 (InvalidDigest, BadDigest) as it streams.
    body = input["Body"]
    written = await s3.receive(body.stream())
    sums = checksums(input, body)
    async with s3.fresh([written.file]) as fresh, s3.locked(bucket.name, key):
        await _put_conditions(s3, bucket.name, key, input)
        version = ObjectVersion(
            bucket=bucket.name,
            key=key,
            seq=s3.next_seq(),
            version_id=s3.new_version_id(s3.bucket(bucket.name)),
            modified_ms=s3.now_ms(),
            etag=etag_of(written.md5),
            size=written.size,
            headers=headers,
            metadata=user,
            checksums=sums,
            tags=tags,
            pieces=(Piece(written.file, written.size),),
        )
        await s3.commit(version, "s3:ObjectCreated:Put", who(call), fresh)
    out: Members = {"ETag": version.etag, **sums}
    if version.version_id != NULL_VERSION:
        out["VersionId"] = version.version_id
    return out


async def _put_conditions(s3: ObjectStorage, bucket: str, key: str, input: Members) -> None:
    """Conditional writes: If-None-Match ``*`` (only if absent), If-Match (only over
    that ETag)."""
    if input.get("IfNoneMatch") is None and input.get("IfMatch") is None:
        return
    try:
        current: ObjectVersion | None = await s3.version(bucket, key, None)
    except NoSuchKey:
        current = None
    if input.get("IfNoneMatch") is not None and current is not None:
        raise PreconditionFailed(
            "At least one of the pre-conditions you specified did not hold",
            Condition="If-None-Match",
        )
    if input.get("IfMatch") is not None:
        if current is None:
            raise no_such_key(key)
        check_conditions(current.etag, to_time(current.modified_ms), if_match=input["IfMatch"])


# --- GetObject, HeadObject ---------------------------------------------------------------


class Refused(Exception):
    """A read answered with a status and headers of its own (S3 adds headers to these
    answers that an error document has no place for)."""

    def __init__(self, out: Members, error: S3Error | None = None) -> None:
        super().__init__()
        self.out = out
        self.error = error


async def _readable(s3: ObjectStorage, call: Call, input: Members) -> tuple[ObjectVersion, Held]:
    """The version a read names, its files held, its conditions checked."""
    bucket, key, version_id = input["Bucket"], input["Key"], input.get("VersionId")
    try:
        version, held = await s3.held_version(bucket, key, version_id)
    except NoSuchKey as error:
        # Without s3:ListBucket a caller may not learn that a key is absent.
        if not allowed(s3, call, "s3:ListBucket", bucket):
            raise AccessDenied("Access Denied") from None
        latest = await s3.store.find(bucket, key, None)
        if latest is not None and latest.delete_marker:
            raise Refused(_marker_headers(latest, error.status), error) from None
        raise
    try:
        if version.delete_marker:
            raise Refused(
                {**_marker_headers(version, 405), "LastModified": to_time(version.modified_ms)},
                MethodNotAllowed(
                    "The specified method is not allowed against this resource.",
                    Method=call.request.method,
                    ResourceType="DeleteMarker",
                ),
            )
        try:
            check_conditions(
                version.etag,
                to_time(version.modified_ms),
                if_match=input.get("IfMatch"),
                if_none_match=input.get("IfNoneMatch"),
                if_modified_since=input.get("IfModifiedSince"),
                if_unmodified_since=input.get("IfUnmodifiedSince"),
            )
        except NotModified:
            # 304: the validators, no body and no Content-Type (RFC 9110).
            raise Refused(
                {STATUS: 304, "ETag": version.etag, "LastModified": to_time(version.modified_ms)}
            ) from None
    except BaseException:
        await asyncio.shield(held.release())
        raise
    return version, held


def _marker_headers(version: ObjectVersion, status: int) -> Members:
    return {STATUS: status, "DeleteMarker": True, "VersionId": version.version_id}


def _refused(call: Call, refused: Refused, with_body: bool) -> Members:
    """A Refused read as output: its headers, and the error document S3 sends (a GET's
    body; a HEAD has none)."""
    out = dict(refused.out)
    if refused.error is not None and with_body:
        out["Body"] = error_document(refused.error, call.request_id)
        out["ContentType"] = "application/xml"
    return out


def error_document(error: AltusError, request_id: str) -> bytes:
    fields = "".join(
        f"<{name}>{escape(str(value))}</{name}>"
        for name, value in error.fields.items()
        if isinstance(value, (str, int)) and name.isalnum()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<Error><Code>{escape(error.code)}</Code><Message>{escape(error.message)}</Message>"
        f"{fields}<RequestId>{escape(request_id)}</RequestId></Error>"
    ).encode()


def _part_range(version: ObjectVersion, number: int) -> ByteRange:
    sizes = version.parts or (version.size,)
    if number < 1 or number > len(sizes):
        raise InvalidPartNumber("The requested partnumber is not satisfiable")
    start = sum(sizes[: number - 1])
    return ByteRange(start, start + sizes[number - 1] - 1)


def _answer(version: ObjectVersion, input: Members) -> tuple[Members, ByteRange | None]:
    """Headers of a read (overrides applied), and the range it returns (None: all)."""
    number = input.get("PartNumber")
    wanted: ByteRange | None
    if number is not None and input.get("Range"):
        raise InvalidRequest("Cannot specify both Range header and partNumber query parameter.")
    if number is not None:
        wanted = _part_range(version, int(number))
    else:
        wanted = byte_range(input.get("Range"), version.size)
    enabled = str(input.get("ChecksumMode") or "").upper() == "ENABLED"
    out = object_headers(version, with_checksums=enabled and wanted is None)
    if number is not None:
        out["PartsCount"] = len(version.parts) or 1
    for override, member in (
        ("ResponseContentType", "ContentType"),
        ("ResponseContentLanguage", "ContentLanguage"),
        ("ResponseContentDisposition", "ContentDisposition"),
        ("ResponseContentEncoding", "ContentEncoding"),
        ("ResponseCacheControl", "CacheControl"),
        ("ResponseExpires", "Expires"),
    ):
        if input.get(override) is not None:
            out[member] = input[override]
    if wanted is not None and (number is None or version.parts):
        out["ContentRange"] = wanted.content_range(version.size)
        out["ContentLength"] = wanted.length
        out[STATUS] = 206
    else:
        out["ContentLength"] = version.size
    return out, wanted


async def get_object(s3: ObjectStorage, call: Call, input: Members) -> Members:
    try:
        version, held = await _readable(s3, call, input)
    except Refused as refused:
        return _refused(call, refused, with_body=True)
    try:
        out, wanted = _answer(version, input)
    except BaseException:
        await asyncio.shield(held.release())
        raise
    if version.size == 0:
        await held.release()
        out["Body"] = b""
        return out
    start, end = (wanted.start, wanted.end) if wanted is not None else (0, version.size - 1)
    out["Body"] = s3.read(version, start, end, held)
    return out


async def head_object(s3: ObjectStorage, call: Call, input: Members) -> Members:
    try:
        version, held = await _readable(s3, call, input)
    except Refused as refused:
        return _refused(call, refused, with_body=False)
    await held.release()
    out, _ = _answer(version, input)
    return out


# --- DeleteObject(s) ---------------------------------------------------------------------


async def delete_object(s3: ObjectStorage, call: Call, input: Members) -> Members:
    s3.bucket(input["Bucket"])
    deletion = Deletion(input["Key"], input.get("VersionId"))
    (done,) = await s3.delete_objects(input["Bucket"], [deletion], who(call))
    return done


async def delete_objects(s3: ObjectStorage, call: Call, input: Members) -> Members:
    bucket = s3.bucket(input["Bucket"])
    request = input.get("Delete") or {}
    objects = request.get("Objects") or []
    if not objects or len(objects) > MAX_DELETE:
        raise MalformedXML(
            "The XML you provided was not well-formed or did not validate against our "
            "published schema"
        )
    quiet = bool(request.get("Quiet"))
    # Each key is authorised on its own (s3:DeleteObject, s3:DeleteObjectVersion), as
    # S3 does: a refusal is that key's error, the others go ahead.
    results: list[Members | None] = []
    deletions: list[Deletion] = []
    for item in objects:
        key = item.get("Key", "")
        version_id = item.get("VersionId")
        action = "s3:DeleteObjectVersion" if version_id else "s3:DeleteObject"
        try:
            check_key(key)
            if not allowed(s3, call, action, bucket.name, key):
                raise AccessDenied("Access Denied")
        except S3Error as error:
            failure: Members = {"Key": key, "Code": error.code, "Message": error.message}
            if version_id:
                failure["VersionId"] = version_id
            results.append(failure)
            continue
        deletions.append(Deletion(key, version_id))
        results.append(None)
    done = iter(await s3.delete_objects(bucket.name, deletions, who(call)) if deletions else [])
    deleted: list[Members] = []
    errors: list[Members] = []
    for item, result in zip(objects, results, strict=True):
        if result is not None:
            errors.append(result)
            continue
        answer = next(done)
        if quiet:
            continue
        version_id = item.get("VersionId")
        entry: Members = {"Key": item.get("Key", "")}
        if version_id:
            entry["VersionId"] = version_id
        if answer.get("DeleteMarker"):
            entry["DeleteMarker"] = True
            if version_id is None:
                entry["DeleteMarkerVersionId"] = answer.get("VersionId")
        deleted.append(entry)
    out: Members = {}
    if deleted:
        out["Deleted"] = deleted
    if errors:
        out["Errors"] = errors
    return out


# --- CopyObject --------------------------------------------------------------------------


def copy_source(text: str) -> tuple[str, str, str | None]:
    """(bucket, key, version id) of an ``x-amz-copy-source`` header: ``bucket/key``,
    URL-encoded, perhaps with a leading ``/`` and ``?versionId=``."""
    path, _, query = text.partition("?")
    version_id: str | None = None
    if query:
        for part in query.split("&"):
            name, _, value = part.partition("=")
            if name == "versionId":
                version_id = unquote(value)
    path = unquote(path).lstrip("/")
    bucket, _, key = path.partition("/")
    if not bucket or not key:
        raise InvalidArgument(
            "Invalid copy source object key",
            ArgumentName="x-amz-copy-source",
            ArgumentValue=text,
        )
    return bucket, key, version_id


async def copy_from(s3: ObjectStorage, call: Call, input: Members) -> tuple[ObjectVersion, Held]:
    """The source version a copy names, its conditions checked, the caller allowed to
    read it (s3:GetObject, s3:GetObjectVersion for a named version, the source bucket's
    policy applying), its files held until the ``Held`` is released."""
    bucket, key, version_id = copy_source(input["CopySource"])
    action = "s3:GetObjectVersion" if version_id is not None else "s3:GetObject"
    authorize(s3, call, action, bucket, key)
    source, held = await s3.held_version(bucket, key, version_id)
    try:
        if source.delete_marker:
            raise InvalidRequest(
                "The source of a copy request may not specifically refer to a delete marker "
                "by version id."
            )
        check_conditions(
            source.etag,
            to_time(source.modified_ms),
            if_match=input.get("CopySourceIfMatch"),
            if_none_match=input.get("CopySourceIfNoneMatch"),
            if_modified_since=input.get("CopySourceIfModifiedSince"),
            if_unmodified_since=input.get("CopySourceIfUnmodifiedSince"),
            copy_source=True,
        )
    except BaseException:
        await asyncio.shield(held.release())
        raise
    return source, held


async def copy_object(s3: ObjectStorage, call: Call, input: Members) -> Members:
    bucket = s3.bucket(input["Bucket"])
    key = input["Key"]
    check_key(key)
    replace = str(input.get("MetadataDirective") or "COPY").upper() == "REPLACE"
    replace_tags = str(input.get("TaggingDirective") or "COPY").upper() == "REPLACE"
    headers = content_headers(input) if replace else None
    user = metadata(input) if replace else None
    tags = tag_query(input.get("Tagging")) if replace_tags else None
    source, held = await copy_from(s3, call, input)
    try:
        same = source.bucket == bucket.name and source.key == key
        if same and not replace and not input.get("StorageClass") and not replace_tags:
            raise InvalidRequest(
                "This copy request is illegal because it is trying to copy an object to "
                "itself without changing the object's metadata, storage class, website "
                "redirect location or encryption attributes."
            )
        pieces: list[Piece] = []
        try:
            for piece in source.pieces:
                pieces.append(Piece(await s3.files.link(piece.file), piece.size))
        except BaseException:
            await asyncio.shield(s3.files.delete([p.file for p in pieces]))
            raise
    finally:
        await asyncio.shield(held.release())
    async with s3.fresh([p.file for p in pieces]) as fresh, s3.locked(bucket.name, key):
        version = ObjectVersion(
            bucket=bucket.name,
            key=key,
            seq=s3.next_seq(),
            version_id=s3.new_version_id(s3.bucket(bucket.name)),
            modified_ms=s3.now_ms(),
            etag=source.etag,
            size=source.size,
            headers=headers if headers is not None else dict(source.headers),
            metadata=user if user is not None else dict(source.metadata),
            checksums=dict(source.checksums),
            tags=tags if tags is not None else dict(source.tags),
            pieces=tuple(pieces),
            parts=source.parts,
        )
        await s3.commit(version, "s3:ObjectCreated:Copy", who(call), fresh)
    out: Members = {
        "CopyObjectResult": {"ETag": version.etag, "LastModified": to_time(version.modified_ms)}
    }
    if source.version_id != NULL_VERSION:
        out["CopySourceVersionId"] = source.version_id
    if version.version_id != NULL_VERSION:
        out["VersionId"] = version.version_id
    return out


# --- tagging -----------------------------------------------------------------------------


async def _tagged(s3: ObjectStorage, input: Members) -> ObjectVersion:
    version = await s3.version(input["Bucket"], input["Key"], input.get("VersionId"))
    if version.delete_marker:
        raise MethodNotAllowed(
            "The specified method is not allowed against this resource.",
            Method="GET",
            ResourceType="DeleteMarker",
        )
    return version


async def put_object_tagging(s3: ObjectStorage, call: Call, input: Members) -> Members:
    tags = tag_set(input)
    version = await _tagged(s3, input)
    await s3.store.set_tags(version.bucket, version.key, version.version_id, tags)
    return {"VersionId": version.version_id} if version.version_id != NULL_VERSION else {}


async def get_object_tagging(s3: ObjectStorage, call: Call, input: Members) -> Members:
    version = await _tagged(s3, input)
    out: Members = {"TagSet": tag_list(version.tags)}
    if version.version_id != NULL_VERSION:
        out["VersionId"] = version.version_id
    return out


async def delete_object_tagging(s3: ObjectStorage, call: Call, input: Members) -> Members:
    version = await _tagged(s3, input)
    await s3.store.set_tags(version.bucket, version.key, version.version_id, {})
    return {"VersionId": version.version_id} if version.version_id != NULL_VERSION else {}

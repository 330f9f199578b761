"""Between members and the component: who made a call (for notifications), the headers
an object keeps, its checksums, user metadata (with S3's 2 KB limit), tag sets (the
``x-amz-tagging`` query form and the XML ``TagSet``), and times."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from altus.api.spec import Call, Members
from altus.s3.component import Requester
from altus.s3.errors import InvalidTag, MetadataTooLarge
from altus.s3.model import ObjectVersion

#: Content headers an object keeps, by member name.
CONTENT = (
    "ContentType",
    "ContentEncoding",
    "ContentDisposition",
    "ContentLanguage",
    "CacheControl",
    "WebsiteRedirectLocation",
)
#: What a PUT without a Content-Type stores, as S3 does.
DEFAULT_TYPE = "binary/octet-stream"
MAX_METADATA = 2048
MAX_TAGS = 10

#: Checksum members that are not checksums.
_NOT_SUMS = {"ChecksumAlgorithm", "ChecksumMode", "ChecksumType"}


def who(call: Call) -> Requester:
    client = call.request.client
    return Requester(
        call.request_id,
        client.host if client is not None else "127.0.0.1",
        f"AWS:{call.account.account_id}",
    )


def to_time(ms: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC).replace(microsecond=0)


def content_headers(members: Members) -> dict[str, str]:
    """The content headers a PUT (or a replacing copy, or an upload) gives."""
    headers = {name: str(members[name]) for name in CONTENT if members.get(name)}
    encoding = headers.get("ContentEncoding")
    if encoding is not None:
        # aws-chunked is how the body was sent, not what it is.
        kept = [e.strip() for e in encoding.split(",") if e.strip() and e.strip() != "aws-chunked"]
        if kept:
            headers["ContentEncoding"] = ",".join(kept)
        else:
            del headers["ContentEncoding"]
    headers.setdefault("ContentType", DEFAULT_TYPE)
    expires = members.get("Expires")
    if isinstance(expires, datetime.datetime):
        headers["Expires"] = expires.isoformat()
    return headers


def metadata(members: Members) -> dict[str, str]:
    """User metadata by lowercase name; MetadataTooLarge past 2 KB (names and values,
    as UTF-8)."""
    found = {str(k).lower(): str(v) for k, v in (members.get("Metadata") or {}).items()}
    size = sum(len(k.encode()) + len(v.encode()) for k, v in found.items())
    if size > MAX_METADATA:
        raise MetadataTooLarge(
            "Your metadata headers exceed the maximum allowed metadata size",
            Size=str(size),
            MaxSizeAllowed=str(MAX_METADATA),
        )
    return found


def checksums(members: Members, body: Any = None) -> dict[str, str]:
    """The checksums a write carries: ``x-amz-checksum-*`` headers, and those the body
    verified from its trailer (``Body.checksums``: algorithm -> base64)."""
    found = {
        name: str(value)
        for name, value in members.items()
        if name.startswith("Checksum") and name not in _NOT_SUMS and isinstance(value, str)
    }
    for algorithm, value in (getattr(body, "checksums", None) or {}).items():
        found[f"Checksum{str(algorithm).upper()}"] = str(value)
    return found


def tag_query(text: str | None) -> dict[str, str]:
    """The ``x-amz-tagging`` header (``k=v&k2=v2``) as tags."""
    if not text:
        return {}
    return checked_tags(parse_qsl(text, keep_blank_values=True))


def tag_set(members: Members) -> dict[str, str]:
    """The ``Tagging.TagSet`` of a tagging call as tags."""
    tagging = members.get("Tagging") or {}
    return checked_tags((t.get("Key", ""), t.get("Value", "")) for t in tagging.get("TagSet") or [])


def checked_tags(pairs: Any, limit: int = MAX_TAGS) -> dict[str, str]:
    tags: dict[str, str] = {}
    for key, value in pairs:
        if key in tags:
            raise InvalidTag("Cannot provide multiple Tags with the same key", TagKey=key)
        if not key or len(key) > 128:
            raise InvalidTag("The TagKey you have provided is invalid", TagKey=key)
        if len(value) > 256:
            raise InvalidTag("The TagValue you have provided is invalid", TagKey=key)
        if key.startswith("aws:"):
            raise InvalidTag("Your TagKey cannot be prefixed with aws:", TagKey=key)
        tags[key] = value
    if len(tags) > limit:
        raise InvalidTag(f"Object tags cannot be greater than {limit}")
    return tags


def tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def object_headers(version: ObjectVersion, with_checksums: bool) -> Members:
    """What GetObject and HeadObject say of an object in headers."""
    out: Members = {
        "ETag": version.etag,
        "LastModified": to_time(version.modified_ms),
        "AcceptRanges": "bytes",
    }
    for name, value in version.headers.items():
        if name == "Expires":
            out["Expires"] = datetime.datetime.fromisoformat(value)
        else:
            out[name] = value
    if version.version_id != "null":
        out["VersionId"] = version.version_id
    if version.metadata:
        out["Metadata"] = dict(version.metadata)
    if version.tags:
        out["TagCount"] = len(version.tags)
    if version.parts:
        out["PartsCount"] = len(version.parts)
    if with_checksums and not version.parts:
        out.update(version.checksums)
        if version.checksums:
            out["ChecksumType"] = "FULL_OBJECT"
    return out

"""What the object store keeps, as frozen records: buckets (with their configuration),
object versions (a delete marker is a version without data), multipart uploads and
their parts, and the notification deliveries waiting to go out (the outbox).

An object's data is a list of ``Piece`` files (one for a plain PUT, one per part for a
completed multipart upload): reading an object is reading its pieces in order, so a
completed upload of 5 GB is not copied into one file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Versioning states of a bucket ("" never enabled).
ENABLED = "Enabled"
SUSPENDED = "Suspended"
#: The version id of what an unversioned (or suspended) bucket writes.
NULL_VERSION = "null"


@dataclass(frozen=True, slots=True)
class Bucket:
    name: str
    created_ms: int
    region: str
    versioning: str = ""
    #: The bucket policy document as it was put (None: no policy).
    policy: str | None = None
    #: Tag key -> value; None: no tag set at all (GetBucketTagging: NoSuchTagSet).
    tags: Mapping[str, str] | None = None
    #: The notification configuration, as members of the model's
    #: ``NotificationConfiguration`` (Ids filled in).
    notification: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Piece:
    """One file of an object's data: its name under the objects folder, its size."""

    file: str
    size: int


@dataclass(frozen=True, slots=True)
class ObjectVersion:
    bucket: str
    key: str
    #: Order of writes, store-wide: the latest version of a key has the highest.
    seq: int
    version_id: str
    modified_ms: int
    etag: str = ""
    size: int = 0
    delete_marker: bool = False
    #: Content headers (ContentType, CacheControl, ...), as model members.
    headers: Mapping[str, str] = field(default_factory=dict)
    #: User metadata (x-amz-meta-*), by lowercase name.
    metadata: Mapping[str, str] = field(default_factory=dict)
    #: Checksums given with the data (``ChecksumCRC32`` -> base64).
    checksums: Mapping[str, str] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    pieces: tuple[Piece, ...] = ()
    #: Sizes of the parts it was assembled from (multipart), for ``partNumber`` reads.
    parts: tuple[int, ...] = ()
    #: Whether it is its key's latest version (as read; writes decide it themselves).
    latest: bool = False

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(piece.file for piece in self.pieces)


@dataclass(frozen=True, slots=True)
class Upload:
    upload_id: str
    bucket: str
    key: str
    created_ms: int
    headers: Mapping[str, str] = field(default_factory=dict)
    metadata: Mapping[str, str] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    checksum_algorithm: str | None = None


@dataclass(frozen=True, slots=True)
class Part:
    upload_id: str
    number: int
    etag: str
    size: int
    modified_ms: int
    file: str
    checksums: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A notification on its way to one destination: ``kind`` is ``lambda``, ``sqs``,
    ``sns`` or ``events``; ``body`` what it receives."""

    seq: int
    kind: str
    arn: str
    bucket: str
    body: str
    attempts: int = 0
    due_ms: int = 0


@dataclass(frozen=True, slots=True)
class Listed:
    """One page of a listing: versions (or current objects) and common prefixes in key
    order, and where the next page begins (None: this is the last)."""

    items: list[ObjectVersion]
    prefixes: list[str]
    next_key: str | None = None
    next_version: str | None = None

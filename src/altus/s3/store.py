"""The object store's metadata: buckets, object versions, multipart uploads and their
parts, and the notification outbox. Object bytes are files (``altus.s3.files``); rows
name them.

Every write is one transaction, durable before it returns. A write that adds or removes
versions also writes the notification deliveries it causes (``outgoing``), so an
acknowledged change always has its notifications on their way, and a refused one has
none. Writes that drop rows return the files no row names any more, for the caller to
delete after the commit (a crash before that leaves files the start-up sweep removes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from altus.s3.model import Bucket, Listed, ObjectVersion, Outgoing, Part, Upload


class BucketNotEmptyError(Exception):
    """The bucket still has versions (or delete markers)."""


class UploadGoneError(Exception):
    """The upload a version completes is gone (completed or aborted meanwhile)."""


class PartChangedError(Exception):
    """A part a completion chose was replaced (or is gone) meanwhile."""

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.number = number


@dataclass(frozen=True, slots=True)
class Completion:
    """The upload a new version completes, and the (part number, file) of each part it
    chose: the write is refused unless these are still the upload's."""

    upload_id: str
    parts: tuple[tuple[int, str], ...]


@dataclass(frozen=True, slots=True)
class Add:
    """``version`` becomes its key's latest (a ``null`` version replaces the key's
    earlier ``null`` one); ``completes``: the upload it completes is dropped with its
    parts."""

    version: ObjectVersion
    outgoing: tuple[Outgoing, ...] = ()
    completes: Completion | None = None


@dataclass(frozen=True, slots=True)
class Remove:
    """One version is deleted for good (the next newest becomes the latest); ``seq``
    is the change's place in the write order (its notifications' sequencer)."""

    bucket: str
    key: str
    version_id: str
    seq: int
    outgoing: tuple[Outgoing, ...] = ()


Change = Add | Remove


@dataclass(frozen=True, slots=True)
class Changed:
    """What a change did: the version removed (None: none, and its ``outgoing`` was not
    written), and the files no row names any more."""

    removed: ObjectVersion | None
    freed: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Loaded:
    buckets: list[Bucket]
    outgoing: list[Outgoing]
    #: The highest sequence number used (objects and the outbox), 0 for none.
    last_seq: int


class ObjectStore(Protocol):
    async def load(self) -> Loaded:
        """Buckets in name order, the outbox in ``seq`` order."""
        ...

    async def identity(self, proposed: str) -> str:
        """The store's identity: ``proposed`` becomes it if it has none yet."""
        ...

    async def named_files(self) -> set[str]:
        """Every file a version or a part names (for the start-up sweep)."""
        ...

    # --- buckets ---------------------------------------------------------------------------

    async def create_bucket(self, bucket: Bucket) -> bool:
        """Add ``bucket``; False (nothing written) if one of that name exists."""
        ...

    async def put_bucket(self, bucket: Bucket) -> None:
        """Replace an existing bucket's configuration."""
        ...

    async def delete_bucket(self, name: str) -> list[str]:
        """Drop the bucket and its multipart uploads (their part files are returned);
        raises BucketNotEmptyError (nothing dropped) while any version is left."""
        ...

    # --- versions --------------------------------------------------------------------------

    async def find(self, bucket: str, key: str, version_id: str | None) -> ObjectVersion | None:
        """The latest version of ``key`` (perhaps a delete marker), or the version
        ``version_id`` names; None if there is none."""
        ...

    async def add_version(
        self,
        version: ObjectVersion,
        outgoing: Sequence[Outgoing] = (),
        completes: Completion | None = None,
    ) -> list[str]:
        """One ``Add``; the files it freed (a replaced ``null`` version's, a completed
        upload's parts it does not use). Raises UploadGoneError or PartChangedError
        (nothing written) where the completion no longer holds."""
        ...

    async def remove_version(
        self,
        bucket: str,
        key: str,
        version_id: str,
        seq: int,
        outgoing: Sequence[Outgoing] = (),
    ) -> tuple[ObjectVersion | None, list[str]]:
        """One ``Remove``: what was removed, and its files."""
        ...

    async def apply(self, changes: Sequence[Change]) -> list[Changed]:
        """Several changes in one transaction (DeleteObjects), each as the methods above
        would make it, in order."""
        ...

    async def set_tags(
        self, bucket: str, key: str, version_id: str, tags: Mapping[str, str]
    ) -> bool:
        """Replace a version's tags; False if there is no such version."""
        ...

    async def list_current(
        self, bucket: str, prefix: str, after: str | None, delimiter: str | None, limit: int
    ) -> Listed:
        """Up to ``limit`` current objects (not delete markers) and common prefixes
        together, keys beginning with ``prefix`` past ``after``, in key order;
        ``next_key`` is the last key or prefix returned when more follow."""
        ...

    async def list_versions(
        self,
        bucket: str,
        prefix: str,
        key_marker: str | None,
        version_marker: str | None,
        delimiter: str | None,
        limit: int,
    ) -> Listed:
        """Up to ``limit`` versions and delete markers (newest first within a key) and
        common prefixes, after the marker; ``next_key``/``next_version`` where more
        follow."""
        ...

    # --- multipart uploads -----------------------------------------------------------------

    async def create_upload(self, upload: Upload) -> None: ...

    async def find_upload(self, upload_id: str) -> Upload | None: ...

    async def put_part(self, part: Part) -> str | None:
        """Add or replace a part (the file of the part it replaced is returned, "" for
        none); None and nothing written if the upload is gone (aborted or completed
        meanwhile): the caller deletes the part's file."""
        ...

    async def parts(self, upload_id: str, after: int = 0, limit: int = 10000) -> list[Part]:
        """The upload's parts past number ``after``, in number order."""
        ...

    async def uploads(
        self,
        bucket: str,
        prefix: str,
        limit: int,
        key_marker: str | None = None,
        upload_id_marker: str | None = None,
    ) -> list[Upload]:
        """The bucket's uploads in progress, by key then creation, past the markers
        (``key_marker`` alone: past every upload of that key)."""
        ...

    async def abort_upload(self, upload_id: str) -> list[str] | None:
        """Drop the upload and its parts (their files are returned, but for any a
        version names); None if it was not there."""
        ...

    # --- the notification outbox -----------------------------------------------------------

    async def retry_outgoing(self, item: Outgoing) -> None:
        """Record an attempt made and when the next is due."""
        ...

    async def drop_outgoing(self, seq: int) -> None: ...

"""The S3 service's component: buckets (kept in memory, written through), object
versions and uploads (in the store, read when asked), object files on disk, and the
notification outbox. It is also the platform's ``ObjectSource`` (``fetch``), the way
Lambda reads a function's code from a bucket.

Every change to a key is made under that key's lock (so two writers of one key cannot
both become its latest on PostgreSQL's concurrent transactions), in this order: the new
data is whole on disk, then one transaction writes the version rows and the
notifications the change causes, then memory and the outbox follow, then files no row
names any more are deleted (once no reader holds them: ``altus.s3.files``). The write
and what follows it are shielded from the caller's cancellation (a client gone): a
write that may have committed is always followed through, and the files of one that
did not are deleted; new files are deleted too when the change is refused or abandoned
before its write (``fresh``).

Completing a multipart upload is checked in its own transaction (the upload still
there, each chosen part still the one chosen), so of a Complete, an Abort and a part's
re-upload racing each other exactly one wins and no file a version names is deleted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from altus.api.spec import Context, Members
from altus.objects import ObjectUnavailable
from altus.s3 import events, notifications
from altus.s3.delivery import Outbox
from altus.s3.errors import (
    BucketAlreadyOwnedByYou,
    BucketNotEmpty,
    EntityTooLarge,
    IllegalLocationConstraint,
    InvalidLocationConstraint,
    InvalidPart,
    S3Error,
    no_such_bucket,
    no_such_key,
    no_such_upload,
    no_such_version,
)
from altus.s3.files import Held, ObjectFiles, Reading, TooLarge, Written
from altus.s3.model import (
    ENABLED,
    NULL_VERSION,
    SUSPENDED,
    Bucket,
    ObjectVersion,
    Outgoing,
    Part,
)
from altus.s3.sql_store import SqlObjectStore
from altus.s3.store import (
    Add,
    BucketNotEmptyError,
    Change,
    Completion,
    ObjectStore,
    PartChangedError,
    Remove,
    UploadGoneError,
)

log = logging.getLogger(__name__)

#: The largest object a single PUT (and a part) takes: 5 GiB, as on S3.
MAX_PUT = 5 * 1024**3


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Requester:
    """Who asked for a change, as its notifications tell it."""

    request_id: str
    source_ip: str
    principal: str


class Fresh:
    """Files just written that no row names yet: deleted if the change they are for is
    refused or abandoned before its write (``taken``: the write has them now)."""

    def __init__(self, files: Sequence[str]) -> None:
        self.files = tuple(files)
        self.taken = False


@dataclass(frozen=True, slots=True)
class Deletion:
    """One delete of a DeleteObjects (or a DeleteObject): a key, perhaps a version."""

    key: str
    version_id: str | None = None


async def _through(work: Awaitable[T]) -> T:
    """``work`` carried through even if the caller is cancelled meanwhile."""
    return await asyncio.shield(asyncio.ensure_future(work))


class ObjectStorage:
    def __init__(self, context: Context, store: ObjectStore | None = None) -> None:
        self.account = context.account
        self.region = context.account.region
        self.clock = context.clock
        self.identity = context.identity
        self.targets = context.targets
        self.store: ObjectStore = store or SqlObjectStore(context.storage.database())
        self.files = ObjectFiles(context.settings.data_dir / "s3")
        self.buckets: dict[str, Bucket] = {}
        self.outbox = Outbox(
            self.store, context.clock, context.targets, self.account.account_id, context.identity
        )
        self._seq = 0
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._users: dict[tuple[str, str], int] = {}

    @property
    def account_id(self) -> str:
        return self.account.account_id

    # --- life ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Load buckets and the outbox; remove files no row names (a crash's leftovers),
        if the files on disk are this store's; start sending notifications."""
        await asyncio.to_thread(self.files.prepare)
        loaded = await self.store.load()
        self.buckets = {bucket.name: bucket for bucket in loaded.buckets}
        self._seq = loaded.last_seq
        store_id = await self.store.identity(secrets.token_hex(16))
        if await asyncio.to_thread(self.files.claim, store_id):
            named = await self.store.named_files()
            await asyncio.to_thread(self.files.sweep, named)
        else:
            log.warning(
                "the object files in %s belong to another store than this one: none of "
                "them is removed, and objects of this store's are written beside them",
                self.files.root,
            )
        self.outbox.add(loaded.outgoing)
        self.outbox.start()

    def interrupt(self) -> None:
        self.outbox.interrupt()

    async def close(self) -> None:
        await self.outbox.close()

    # --- helpers ---------------------------------------------------------------------------

    def now_ms(self) -> int:
        return int(self.clock.now() * 1000)

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    @contextlib.asynccontextmanager
    async def locked(self, bucket: str, key: str) -> AsyncIterator[None]:
        """The key's lock, held while its versions change."""
        name = (bucket, key)
        lock = self._locks.setdefault(name, asyncio.Lock())
        self._users[name] = self._users.get(name, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[name] -= 1
            if not self._users[name]:
                del self._users[name]
                del self._locks[name]

    def bucket(self, name: str) -> Bucket:
        found = self.buckets.get(name)
        if found is None:
            raise no_such_bucket(name)
        return found

    def new_version_id(self, bucket: Bucket) -> str:
        if bucket.versioning == ENABLED:
            return secrets.token_urlsafe(24)
        return NULL_VERSION

    # --- buckets ---------------------------------------------------------------------------

    async def create_bucket(self, name: str, location: str | None) -> Bucket:
        if location is not None and location != self.region:
            if self.region == "us-east-1" and location == "us-east-1":
                raise InvalidLocationConstraint(
                    "The specified location-constraint is not valid",
                    LocationConstraint=location,
                )
            raise IllegalLocationConstraint(
                f"The {location} location constraint is incompatible for the region "
                "specific endpoint this request was sent to."
            )
        if location is None and self.region != "us-east-1":
            raise IllegalLocationConstraint(
                "The unspecified location constraint is incompatible for the region "
                "specific endpoint this request was sent to."
            )
        existing = self.buckets.get(name)
        if existing is not None:
            return self._owned_again(existing)
        bucket = Bucket(name=name, created_ms=self.now_ms(), region=self.region)
        if not await self.store.create_bucket(bucket):
            return self._owned_again(self.buckets.get(name, bucket))
        self.buckets[name] = bucket
        return bucket

    def _owned_again(self, bucket: Bucket) -> Bucket:
        """Creating a bucket one already owns: fine in us-east-1 (for compatibility, as
        on S3), refused elsewhere."""
        if self.region == "us-east-1":
            return bucket
        raise BucketAlreadyOwnedByYou(
            "Your previous request to create the named bucket succeeded and you already own it.",
            BucketName=bucket.name,
        )

    async def delete_bucket(self, name: str) -> None:
        self.bucket(name)
        try:
            files = await self.store.delete_bucket(name)
        except BucketNotEmptyError:
            raise BucketNotEmpty(
                "The bucket you tried to delete is not empty", BucketName=name
            ) from None
        self.buckets.pop(name, None)
        self.outbox.forget_bucket(name)
        await self.files.delete(files)

    async def update_bucket(self, bucket: Bucket) -> None:
        """A bucket's new configuration, written, then in memory."""
        await self.store.put_bucket(bucket)
        self.buckets[bucket.name] = bucket

    # --- reading ---------------------------------------------------------------------------

    async def version(self, bucket: str, key: str, version_id: str | None) -> ObjectVersion:
        """The object a read names: NoSuchKey for no object (or a latest delete marker),
        NoSuchVersion for no such version; a delete marker named by its version id is
        returned (the caller refuses it as S3 does)."""
        self.bucket(bucket)
        found = await self.store.find(bucket, key, version_id)
        if found is None:
            if version_id is not None:
                raise no_such_version(key, version_id)
            raise no_such_key(key)
        if found.delete_marker and version_id is None:
            raise no_such_key(key)
        return found

    async def held_version(
        self, bucket: str, key: str, version_id: str | None
    ) -> tuple[ObjectVersion, Held]:
        """``version``'s answer with its files held for reading until the ``Held`` is
        released (nothing held when it raises)."""
        self.bucket(bucket)
        async with self.files.looking():
            version = await self.version(bucket, key, version_id)
            return version, self.files.hold(version.files)

    def read(self, version: ObjectVersion, start: int, end: int, held: Held) -> Reading:
        """Bytes of a held version, releasing it when done."""
        return self.files.read(version.pieces, start, end, held)

    # --- writing ---------------------------------------------------------------------------

    async def receive(self, stream: AsyncIterator[bytes], limit: int = MAX_PUT) -> Written:
        """A request body, whole on disk (EntityTooLarge past ``limit``)."""
        try:
            return await self.files.write(stream, limit)
        except TooLarge:
            raise EntityTooLarge(
                "Your proposed upload exceeds the maximum allowed size", MaxSizeAllowed=limit
            ) from None

    @contextlib.asynccontextmanager
    async def fresh(self, files: Sequence[str]) -> AsyncIterator[Fresh]:
        """Around what follows the writing of new files: they are deleted if it fails
        (or is cancelled, waiting for a key's lock) before a write took them."""
        made = Fresh(files)
        try:
            yield made
        except BaseException:
            if not made.taken:
                await asyncio.shield(self.files.delete(made.files))
            raise

    async def commit(
        self,
        version: ObjectVersion,
        event: str,
        who: Requester,
        fresh: Fresh | None = None,
        completes: Completion | None = None,
    ) -> None:
        """``version`` (its files whole on disk) becomes its key's latest, with the
        notifications it causes; call under the key's lock. If refused, nothing changed
        and its files (``fresh``) are deleted; a completion refused (the upload gone, a
        part replaced) is NoSuchUpload or InvalidPart, its parts' files kept."""
        if fresh is not None:
            fresh.taken = True
        await _through(self._commit(version, event, who, fresh, completes))

    async def _commit(
        self,
        version: ObjectVersion,
        event: str,
        who: Requester,
        fresh: Fresh | None,
        completes: Completion | None,
    ) -> None:
        try:
            bucket = self.bucket(version.bucket)
            outgoing = self._outgoing(bucket, version, event, who)
            freed = await self.store.add_version(version, outgoing, completes)
        except BaseException as error:
            if fresh is not None:
                await self.files.delete(fresh.files)
            if isinstance(error, UploadGoneError) and completes is not None:
                raise no_such_upload(completes.upload_id) from None
            if isinstance(error, PartChangedError) and completes is not None:
                raise InvalidPart(
                    "One or more of the specified parts could not be found.  The part may "
                    "not have been uploaded, or the specified entity tag may not have "
                    "matched the part's entity tag.",
                    UploadId=completes.upload_id,
                    PartNumber=str(error.number),
                ) from None
            raise
        self.outbox.add(outgoing)
        await self.files.delete(freed)

    async def keep_part(self, part: Part, fresh: Fresh) -> None:
        """Add (or replace) an upload's part, its file in ``fresh``; NoSuchUpload if
        the upload is gone. The file it replaced is deleted after the write."""
        fresh.taken = True
        await _through(self._keep_part(part))

    async def _keep_part(self, part: Part) -> None:
        try:
            replaced = await self.store.put_part(part)
        except BaseException:
            await self.files.delete([part.file])
            raise
        if replaced is None:  # aborted or completed meanwhile
            await self.files.delete([part.file])
            raise no_such_upload(part.upload_id)
        if replaced:
            await self.files.delete([replaced])

    async def abort_upload(self, upload_id: str) -> None:
        """Drop an upload and its parts; their files go after the write."""
        await _through(self._abort_upload(upload_id))

    async def _abort_upload(self, upload_id: str) -> None:
        files = await self.store.abort_upload(upload_id)
        if files is None:
            raise no_such_upload(upload_id)
        await self.files.delete(files)

    async def delete_objects(
        self, bucket_name: str, deletions: Sequence[Deletion], who: Requester
    ) -> list[Members]:
        """Deletes of a bucket's objects under their keys' locks, in one transaction;
        what each did, as DeleteObject answers it (DeleteMarker, VersionId)."""
        async with contextlib.AsyncExitStack() as stack:
            for key in sorted({d.key for d in deletions}):  # one order: no deadlock
                await stack.enter_async_context(self.locked(bucket_name, key))
            bucket = self.bucket(bucket_name)
            changes: list[Change] = []
            answers: list[Members] = []
            for deletion in deletions:
                change, answer = self._deletion(bucket, deletion, who)
                changes.append(change)
                answers.append(answer)
            return await _through(self._delete_objects(changes, answers))

    def _deletion(
        self, bucket: Bucket, deletion: Deletion, who: Requester
    ) -> tuple[Change, Members]:
        key, version_id = deletion.key, deletion.version_id
        if version_id is None and bucket.versioning in (ENABLED, SUSPENDED):
            marker = ObjectVersion(
                bucket=bucket.name,
                key=key,
                seq=self.next_seq(),
                version_id=self.new_version_id(bucket),
                modified_ms=self.now_ms(),
                delete_marker=True,
            )
            outgoing = self._outgoing(bucket, marker, "s3:ObjectRemoved:DeleteMarkerCreated", who)
            return Add(marker, tuple(outgoing)), {
                "DeleteMarker": True,
                "VersionId": marker.version_id,
            }
        named = version_id if version_id is not None else NULL_VERSION
        probe = ObjectVersion(bucket.name, key, self.next_seq(), named, self.now_ms())
        outgoing = self._outgoing(bucket, probe, "s3:ObjectRemoved:Delete", who)
        answer: Members = {"VersionId": version_id} if version_id is not None else {}
        return Remove(bucket.name, key, named, probe.seq, tuple(outgoing)), answer

    async def _delete_objects(self, changes: list[Change], answers: list[Members]) -> list[Members]:
        done = await self.store.apply(changes)
        freed: list[str] = []
        for change, changed, answer in zip(changes, done, answers, strict=True):
            if isinstance(change, Add) or changed.removed is not None:
                self.outbox.add(change.outgoing)
            if changed.removed is not None and changed.removed.delete_marker:
                answer["DeleteMarker"] = True
            freed.extend(changed.freed)
        await self.files.delete(freed)
        return answers

    # --- notifications ---------------------------------------------------------------------

    def _outgoing(
        self, bucket: Bucket, version: ObjectVersion, event: str, who: Requester
    ) -> list[Outgoing]:
        configuration = bucket.notification
        if not configuration:
            return []
        created = event.startswith("s3:ObjectCreated:")
        change = events.Change(
            event=event,
            bucket=bucket.name,
            key=version.key,
            seq=version.seq,
            time_ms=version.modified_ms,
            region=self.region,
            account=self.account_id,
            request_id=who.request_id,
            source_ip=who.source_ip,
            principal=who.principal,
            size=version.size if created else None,
            etag=version.etag if created else None,
            version_id=version.version_id,
        )
        due = self.now_ms()
        found = [
            Outgoing(
                self.next_seq(),
                d.kind,
                d.arn,
                bucket.name,
                events.notification(change, d.id),
                0,
                due,
            )
            for d in notifications.matching(configuration, event, version.key)
        ]
        if configuration.get("EventBridgeConfiguration") is not None:
            body = events.bridged(change)
            if body is not None:
                bus = f"arn:aws:events:{self.region}:{self.account_id}:event-bus/default"
                found.append(Outgoing(self.next_seq(), "events", bus, bucket.name, body, 0, due))
        return found

    # --- as the platform's object source ---------------------------------------------------

    async def fetch(self, bucket: str, key: str, version_id: str | None, limit: int) -> bytes:
        """``altus.objects.ObjectSource``: a whole object of at most ``limit`` bytes."""
        try:
            version, held = await self.held_version(bucket, key, version_id)
        except S3Error as error:
            raise ObjectUnavailable(error.code, error.message) from None
        try:
            if version.delete_marker:
                raise ObjectUnavailable("NoSuchKey", "The specified key does not exist.")
            if version.size > limit:
                raise ObjectUnavailable(
                    "EntityTooLarge", f"The object is larger than {limit} bytes"
                )
            return await self.files.read_all(version.pieces, version.size)
        finally:
            await asyncio.shield(held.release())

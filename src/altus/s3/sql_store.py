"""``ObjectStore`` in SQL, in the main database (the ``s3`` schema).

``s3_objects`` has a row per version (a delete marker too): its key, its place in the
store-wide write order (``seq``), whether it is the key's latest, and its pieces and
headers as JSON. Keys are compared as UTF-8 bytes, S3's order: SQLite's BINARY
collation is that, PostgreSQL's columns are ``COLLATE "C"``. Current objects are
listed through a partial index of latest versions by (bucket, key), so a page costs
what it returns, not what the bucket holds.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from altus.s3.model import Bucket, Listed, ObjectVersion, Outgoing, Part, Piece, Upload
from altus.s3.names import after as past_prefix
from altus.s3.store import (
    Add,
    BucketNotEmptyError,
    Change,
    Changed,
    Completion,
    Loaded,
    PartChangedError,
    Remove,
    UploadGoneError,
)
from altus.store.database import Database, Migration, Schema, Transaction

_TABLES = """
CREATE TABLE s3_buckets (
    name {text} PRIMARY KEY,
    created_ms {big} NOT NULL,
    config TEXT NOT NULL
);
CREATE TABLE s3_objects (
    bucket {text} NOT NULL,
    key {text} NOT NULL,
    seq {big} NOT NULL,
    version_id TEXT NOT NULL,
    latest INTEGER NOT NULL,
    marker INTEGER NOT NULL,
    size {big} NOT NULL,
    etag TEXT NOT NULL,
    modified_ms {big} NOT NULL,
    meta TEXT NOT NULL,
    pieces TEXT NOT NULL,
    PRIMARY KEY (bucket, key, seq)
);
CREATE UNIQUE INDEX s3_objects_version ON s3_objects (bucket, key, version_id);
CREATE INDEX s3_objects_latest ON s3_objects (bucket, key) WHERE latest = 1;
CREATE TABLE s3_uploads (
    upload_id TEXT PRIMARY KEY,
    bucket {text} NOT NULL,
    key {text} NOT NULL,
    created_ms {big} NOT NULL,
    meta TEXT NOT NULL
);
CREATE INDEX s3_uploads_bucket ON s3_uploads (bucket, key);
CREATE TABLE s3_parts (
    upload_id TEXT NOT NULL,
    number INTEGER NOT NULL,
    etag TEXT NOT NULL,
    size {big} NOT NULL,
    modified_ms {big} NOT NULL,
    file TEXT NOT NULL,
    checksums TEXT NOT NULL,
    PRIMARY KEY (upload_id, number)
);
CREATE TABLE s3_outbox (
    seq {big} PRIMARY KEY,
    kind TEXT NOT NULL,
    arn TEXT NOT NULL,
    bucket TEXT NOT NULL,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    due_ms {big} NOT NULL
)
"""

#: One row: the store's identity (which data files are its own, ``altus.s3.files``)
#: and the highest sequence number ever used, so sequencers never go back when the
#: newest versions and notifications are gone.
_STATE = """
CREATE TABLE s3_state (
    id INTEGER PRIMARY KEY,
    store_id TEXT NOT NULL,
    seq {big} NOT NULL
)
"""

SCHEMA = Schema(
    "s3",
    (
        Migration(
            _TABLES.format(text="TEXT", big="INTEGER"),
            postgresql=_TABLES.format(text='TEXT COLLATE "C"', big="BIGINT"),
        ),
        Migration(_STATE.format(big="INTEGER"), postgresql=_STATE.format(big="BIGINT")),
    ),
)

_COLUMNS = "bucket, key, seq, version_id, latest, marker, size, etag, modified_ms, meta, pieces"


def _dump(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _version_row(version: ObjectVersion, latest: bool) -> tuple[Any, ...]:
    meta = {
        "headers": dict(version.headers),
        "metadata": dict(version.metadata),
        "checksums": dict(version.checksums),
        "tags": dict(version.tags),
        "parts": list(version.parts),
    }
    return (
        version.bucket,
        version.key,
        version.seq,
        version.version_id,
        1 if latest else 0,
        1 if version.delete_marker else 0,
        version.size,
        version.etag,
        version.modified_ms,
        _dump(meta),
        _dump([[p.file, p.size] for p in version.pieces]),
    )


def _version(row: Sequence[Any]) -> ObjectVersion:
    meta = json.loads(row[9])
    return ObjectVersion(
        bucket=row[0],
        key=row[1],
        seq=int(row[2]),
        version_id=row[3],
        latest=bool(row[4]),
        delete_marker=bool(row[5]),
        size=int(row[6]),
        etag=row[7],
        modified_ms=int(row[8]),
        headers=meta.get("headers", {}),
        metadata=meta.get("metadata", {}),
        checksums=meta.get("checksums", {}),
        tags=meta.get("tags", {}),
        parts=tuple(meta.get("parts", ())),
        pieces=tuple(Piece(file, int(size)) for file, size in json.loads(row[10])),
    )


def _bucket(row: Sequence[Any]) -> Bucket:
    config = json.loads(row[2])
    tags = config.get("tags")
    return Bucket(
        name=row[0],
        created_ms=int(row[1]),
        region=config.get("region", ""),
        versioning=config.get("versioning", ""),
        policy=config.get("policy"),
        tags=dict(tags) if tags is not None else None,
        notification=config.get("notification") or {},
    )


def _bucket_config(bucket: Bucket) -> str:
    return _dump(
        {
            "region": bucket.region,
            "versioning": bucket.versioning,
            "policy": bucket.policy,
            "tags": dict(bucket.tags) if bucket.tags is not None else None,
            "notification": dict(bucket.notification),
        }
    )


def _upload(row: Sequence[Any]) -> Upload:
    meta = json.loads(row[4])
    return Upload(
        upload_id=row[0],
        bucket=row[1],
        key=row[2],
        created_ms=int(row[3]),
        headers=meta.get("headers", {}),
        metadata=meta.get("metadata", {}),
        tags=meta.get("tags", {}),
        checksum_algorithm=meta.get("checksum_algorithm"),
    )


def _part(row: Sequence[Any]) -> Part:
    return Part(
        upload_id=row[0],
        number=int(row[1]),
        etag=row[2],
        size=int(row[3]),
        modified_ms=int(row[4]),
        file=row[5],
        checksums=json.loads(row[6]),
    )


def _insert_outgoing(tx: Transaction, outgoing: Sequence[Outgoing]) -> None:
    if outgoing:
        tx.executemany(
            "INSERT INTO s3_outbox (seq, kind, arn, bucket, body, attempts, due_ms) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(o.seq, o.kind, o.arn, o.bucket, o.body, o.attempts, o.due_ms) for o in outgoing],
        )


def _files(row_pieces: str) -> list[str]:
    return [file for file, _ in json.loads(row_pieces)]


def _raise_seq(tx: Transaction, seqs: Sequence[int]) -> None:
    """The high-water mark of sequence numbers, in the transaction that uses them."""
    if seqs:
        top = max(seqs)
        tx.execute("UPDATE s3_state SET seq = ? WHERE id = 1 AND seq < ?", (top, top))


def _unnamed(tx: Transaction, bucket: str, key: str, files: Sequence[str]) -> list[str]:
    """Of files about to be freed, those no version of ``key`` names (a part's file a
    completed upload made an object of is that object's now, never to be deleted)."""
    if not files:
        return []
    named: set[str] = set()
    for (pieces,) in tx.execute(
        "SELECT pieces FROM s3_objects WHERE bucket = ? AND key = ? AND marker = 0",
        (bucket, key),
    ):
        named.update(_files(pieces))
    return [file for file in files if file not in named]


def _complete(tx: Transaction, version: ObjectVersion, completion: Completion) -> list[str]:
    """Drop the upload ``version`` completes, checking that it is still there and that
    every part it uses is still the one chosen (a Complete, an Abort or a part's upload
    may have won meanwhile); the files of parts it does not use. Deleting the upload's
    row first makes concurrent transactions on it (PostgreSQL) wait for each other."""
    gone = tx.execute("DELETE FROM s3_uploads WHERE upload_id = ?", (completion.upload_id,))
    if gone.rowcount != 1:
        raise UploadGoneError(completion.upload_id)
    stored = {
        int(number): str(file)
        for number, file in tx.execute(
            "SELECT number, file FROM s3_parts WHERE upload_id = ?", (completion.upload_id,)
        )
    }
    for number, file in completion.parts:
        if stored.get(number) != file:
            raise PartChangedError(number)
    tx.execute("DELETE FROM s3_parts WHERE upload_id = ?", (completion.upload_id,))
    used = set(version.files)
    return [file for file in stored.values() if file not in used]


def _add(tx: Transaction, change: Add) -> Changed:
    version = change.version
    freed: list[str] = []
    if change.completes is not None:
        freed.extend(_complete(tx, version, change.completes))
    where = (version.bucket, version.key)
    if version.version_id == "null":
        row = tx.execute(
            "SELECT pieces FROM s3_objects WHERE bucket = ? AND key = ? AND version_id = 'null'",
            where,
        ).fetchone()
        if row is not None:
            freed.extend(_files(row[0]))
            tx.execute(
                "DELETE FROM s3_objects WHERE bucket = ? AND key = ? AND version_id = 'null'",
                where,
            )
    tx.execute(
        "UPDATE s3_objects SET latest = 0 WHERE bucket = ? AND key = ? AND latest = 1", where
    )
    tx.execute(
        f"INSERT INTO s3_objects ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        _version_row(version, True),
    )
    _insert_outgoing(tx, change.outgoing)
    _raise_seq(tx, [version.seq, *(o.seq for o in change.outgoing)])
    return Changed(None, freed)


def _remove(tx: Transaction, change: Remove) -> Changed:
    bucket, key, version_id = change.bucket, change.key, change.version_id
    row = tx.execute(
        f"SELECT {_COLUMNS} FROM s3_objects WHERE bucket = ? AND key = ? AND version_id = ?",
        (bucket, key, version_id),
    ).fetchone()
    if row is None:
        return Changed(None, [])
    removed = _version(row)
    tx.execute(
        "DELETE FROM s3_objects WHERE bucket = ? AND key = ? AND version_id = ?",
        (bucket, key, version_id),
    )
    if row[4]:  # it was the latest: the next newest is now
        newest = tx.execute(
            "SELECT MAX(seq) FROM s3_objects WHERE bucket = ? AND key = ?", (bucket, key)
        ).fetchone()
        if newest is not None and newest[0] is not None:
            tx.execute(
                "UPDATE s3_objects SET latest = 1 WHERE bucket = ? AND key = ? AND seq = ?",
                (bucket, key, newest[0]),
            )
    _insert_outgoing(tx, change.outgoing)
    _raise_seq(tx, [change.seq, *(o.seq for o in change.outgoing)])
    return Changed(removed, list(removed.files))


class SqlObjectStore:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def load(self) -> Loaded:
        def work(tx: Transaction) -> Loaded:
            buckets = [
                _bucket(r)
                for r in tx.execute(
                    "SELECT name, created_ms, config FROM s3_buckets ORDER BY name"
                ).fetchall()
            ]
            outgoing = [
                Outgoing(int(r[0]), r[1], r[2], r[3], r[4], int(r[5]), int(r[6]))
                for r in tx.execute(
                    "SELECT seq, kind, arn, bucket, body, attempts, due_ms FROM s3_outbox "
                    "ORDER BY seq"
                ).fetchall()
            ]
            last = 0
            for table in ("s3_objects", "s3_outbox", "s3_state"):
                found = tx.execute(f"SELECT MAX(seq) FROM {table}").fetchone()
                if found is not None and found[0] is not None:
                    last = max(last, int(found[0]))
            return Loaded(buckets, outgoing, last)

        return await self._db.read(work)

    async def identity(self, proposed: str) -> str:
        def work(tx: Transaction) -> str:
            tx.execute(
                "INSERT INTO s3_state (id, store_id, seq) VALUES (1, ?, 0) "
                "ON CONFLICT (id) DO NOTHING",
                (proposed,),
            )
            row = tx.execute("SELECT store_id FROM s3_state WHERE id = 1").fetchone()
            return str(row[0])

        return await self._db.write(work)

    async def named_files(self) -> set[str]:
        def work(tx: Transaction) -> set[str]:
            named: set[str] = set()
            for (pieces,) in tx.execute("SELECT pieces FROM s3_objects WHERE marker = 0"):
                named.update(_files(pieces))
            for (file,) in tx.execute("SELECT file FROM s3_parts"):
                named.add(file)
            return named

        return await self._db.read(work)

    # --- buckets ---------------------------------------------------------------------------

    async def create_bucket(self, bucket: Bucket) -> bool:
        def work(tx: Transaction) -> bool:
            cursor = tx.execute(
                "INSERT INTO s3_buckets (name, created_ms, config) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO NOTHING",
                (bucket.name, bucket.created_ms, _bucket_config(bucket)),
            )
            return cursor.rowcount == 1

        return await self._db.write(work)

    async def put_bucket(self, bucket: Bucket) -> None:
        def work(tx: Transaction) -> None:
            tx.execute(
                "UPDATE s3_buckets SET config = ? WHERE name = ?",
                (_bucket_config(bucket), bucket.name),
            )

        await self._db.write(work)

    async def delete_bucket(self, name: str) -> list[str]:
        def work(tx: Transaction) -> list[str]:
            if tx.execute("SELECT 1 FROM s3_objects WHERE bucket = ? LIMIT 1", (name,)).fetchone():
                raise BucketNotEmptyError(name)
            files = [
                r[0]
                for r in tx.execute(
                    "SELECT p.file FROM s3_parts p JOIN s3_uploads u "
                    "ON p.upload_id = u.upload_id WHERE u.bucket = ?",
                    (name,),
                )
            ]
            tx.execute(
                "DELETE FROM s3_parts WHERE upload_id IN "
                "(SELECT upload_id FROM s3_uploads WHERE bucket = ?)",
                (name,),
            )
            tx.execute("DELETE FROM s3_uploads WHERE bucket = ?", (name,))
            tx.execute("DELETE FROM s3_outbox WHERE bucket = ?", (name,))
            tx.execute("DELETE FROM s3_buckets WHERE name = ?", (name,))
            return files

        return await self._db.write(work)

    # --- versions --------------------------------------------------------------------------

    async def find(self, bucket: str, key: str, version_id: str | None) -> ObjectVersion | None:
        def work(tx: Transaction) -> ObjectVersion | None:
            if version_id is None:
                row = tx.execute(
                    f"SELECT {_COLUMNS} FROM s3_objects "
                    "WHERE bucket = ? AND key = ? AND latest = 1",
                    (bucket, key),
                ).fetchone()
            else:
                row = tx.execute(
                    f"SELECT {_COLUMNS} FROM s3_objects "
                    "WHERE bucket = ? AND key = ? AND version_id = ?",
                    (bucket, key, version_id),
                ).fetchone()
            return _version(row) if row is not None else None

        return await self._db.read(work)

    async def add_version(
        self,
        version: ObjectVersion,
        outgoing: Sequence[Outgoing] = (),
        completes: Completion | None = None,
    ) -> list[str]:
        (done,) = await self.apply([Add(version, tuple(outgoing), completes)])
        return done.freed

    async def remove_version(
        self,
        bucket: str,
        key: str,
        version_id: str,
        seq: int,
        outgoing: Sequence[Outgoing] = (),
    ) -> tuple[ObjectVersion | None, list[str]]:
        (done,) = await self.apply([Remove(bucket, key, version_id, seq, tuple(outgoing))])
        return done.removed, done.freed

    async def apply(self, changes: Sequence[Change]) -> list[Changed]:
        def work(tx: Transaction) -> list[Changed]:
            return [
                _add(tx, change) if isinstance(change, Add) else _remove(tx, change)
                for change in changes
            ]

        return await self._db.write(work)

    async def set_tags(
        self, bucket: str, key: str, version_id: str, tags: Mapping[str, str]
    ) -> bool:
        def work(tx: Transaction) -> bool:
            row = tx.execute(
                "SELECT meta FROM s3_objects WHERE bucket = ? AND key = ? AND version_id = ?",
                (bucket, key, version_id),
            ).fetchone()
            if row is None:
                return False
            meta = json.loads(row[0])
            meta["tags"] = dict(tags)
            tx.execute(
                "UPDATE s3_objects SET meta = ? WHERE bucket = ? AND key = ? AND version_id = ?",
                (_dump(meta), bucket, key, version_id),
            )
            return True

        return await self._db.write(work)

    async def list_current(
        self, bucket: str, prefix: str, after: str | None, delimiter: str | None, limit: int
    ) -> Listed:
        def work(tx: Transaction) -> Listed:
            items: list[ObjectVersion] = []
            prefixes: list[str] = []
            start, inclusive = prefix, True
            if after is not None and after >= prefix:
                start, inclusive = after, False
            if after is not None and delimiter and after.startswith(prefix):
                # A page that ended with a common prefix goes on past every key in it.
                cut = after.find(delimiter, len(prefix))
                following = past_prefix(after) if cut == len(after) - len(delimiter) else None
                if following is not None:
                    start, inclusive = following, True
            while len(items) + len(prefixes) < limit + 1:
                want = limit + 1 - len(items) - len(prefixes)
                rows = tx.execute(
                    f"SELECT {_COLUMNS} FROM s3_objects "
                    f"WHERE bucket = ? AND latest = 1 AND key {'>=' if inclusive else '>'} ? "
                    "ORDER BY key LIMIT ?",
                    (bucket, start, want),
                ).fetchall()
                if not rows:
                    break
                jumped = False
                for row in rows:
                    key: str = row[1]
                    if not key.startswith(prefix):
                        rows = []
                        break
                    if row[5]:  # a delete marker: no current object
                        start, inclusive = key, False
                        continue
                    if delimiter:
                        cut = key.find(delimiter, len(prefix))
                        if cut >= 0:
                            common = key[: cut + len(delimiter)]
                            prefixes.append(common)
                            following = past_prefix(common)
                            if following is None:
                                return _page(items, prefixes, limit)
                            start, inclusive = following, True
                            jumped = True
                            break
                    items.append(_version(row))
                    start, inclusive = key, False
                    if len(items) + len(prefixes) > limit:
                        break
                if not rows or (not jumped and len(rows) < want):
                    break
            return _page(items, prefixes, limit)

        return await self._db.read(work)

    async def list_versions(
        self,
        bucket: str,
        prefix: str,
        key_marker: str | None,
        version_marker: str | None,
        delimiter: str | None,
        limit: int,
    ) -> Listed:
        def work(tx: Transaction) -> Listed:
            items: list[ObjectVersion] = []
            prefixes: list[str] = []
            order: list[tuple[str, str, ObjectVersion | None]] = []
            start_key = prefix
            after_seq: int | None = None
            following = None
            if key_marker is not None and delimiter and key_marker.startswith(prefix):
                # A page that ended with a common prefix goes on past every key in it.
                cut = key_marker.find(delimiter, len(prefix))
                if cut == len(key_marker) - len(delimiter):
                    following = past_prefix(key_marker)
                    if following is None:
                        return Listed([], [])
            if following is not None:
                start_key = following
            elif key_marker is not None and key_marker >= prefix:
                start_key = key_marker
                if version_marker:
                    found = tx.execute(
                        "SELECT seq FROM s3_objects "
                        "WHERE bucket = ? AND key = ? AND version_id = ?",
                        (bucket, key_marker, version_marker),
                    ).fetchone()
                    after_seq = int(found[0]) if found is not None else None
                else:
                    after_seq = -1  # past every version of the marker's key
            while len(order) <= limit:
                want = limit + 1 - len(order)
                if after_seq is None:
                    rows = tx.execute(
                        f"SELECT {_COLUMNS} FROM s3_objects "
                        "WHERE bucket = ? AND key >= ? ORDER BY key, seq DESC LIMIT ?",
                        (bucket, start_key, want),
                    ).fetchall()
                elif after_seq == -1:
                    rows = tx.execute(
                        f"SELECT {_COLUMNS} FROM s3_objects "
                        "WHERE bucket = ? AND key > ? ORDER BY key, seq DESC LIMIT ?",
                        (bucket, start_key, want),
                    ).fetchall()
                else:
                    rows = tx.execute(
                        f"SELECT {_COLUMNS} FROM s3_objects "
                        "WHERE bucket = ? AND ((key = ? AND seq < ?) OR key > ?) "
                        "ORDER BY key, seq DESC LIMIT ?",
                        (bucket, start_key, after_seq, start_key, want),
                    ).fetchall()
                if not rows:
                    break
                jumped = False
                stop = False
                for row in rows:
                    key: str = row[1]
                    if not key.startswith(prefix):
                        stop = True
                        break
                    if delimiter:
                        cut = key.find(delimiter, len(prefix))
                        if cut >= 0:
                            common = key[: cut + len(delimiter)]
                            order.append((common, "", None))
                            following = past_prefix(common)
                            if following is None:
                                stop = True
                                break
                            start_key, after_seq, jumped = following, None, True
                            break
                    version = _version(row)
                    order.append((key, version.version_id, version))
                    start_key, after_seq = key, version.seq
                    if len(order) > limit:
                        break
                if stop or (not jumped and len(rows) < want):
                    break
            more = len(order) > limit
            page = order[:limit]
            for name, _, found in page:
                if found is None:
                    prefixes.append(name)
                else:
                    items.append(found)
            if not more or not page:
                return Listed(items, prefixes)
            key, version_id, _ = page[-1]
            return Listed(items, prefixes, key, version_id or None)

        return await self._db.read(work)

    # --- multipart uploads -----------------------------------------------------------------

    async def create_upload(self, upload: Upload) -> None:
        meta = _dump(
            {
                "headers": dict(upload.headers),
                "metadata": dict(upload.metadata),
                "tags": dict(upload.tags),
                "checksum_algorithm": upload.checksum_algorithm,
            }
        )

        def work(tx: Transaction) -> None:
            tx.execute(
                "INSERT INTO s3_uploads (upload_id, bucket, key, created_ms, meta) "
                "VALUES (?, ?, ?, ?, ?)",
                (upload.upload_id, upload.bucket, upload.key, upload.created_ms, meta),
            )

        await self._db.write(work)

    async def find_upload(self, upload_id: str) -> Upload | None:
        def work(tx: Transaction) -> Upload | None:
            row = tx.execute(
                "SELECT upload_id, bucket, key, created_ms, meta FROM s3_uploads "
                "WHERE upload_id = ?",
                (upload_id,),
            ).fetchone()
            return _upload(row) if row is not None else None

        return await self._db.read(work)

    async def put_part(self, part: Part) -> str | None:
        def work(tx: Transaction) -> str | None:
            # Touching the upload's row holds it against a concurrent Complete or Abort
            # (PostgreSQL) until this commits; it is gone if one of them won.
            held = tx.execute(
                "UPDATE s3_uploads SET created_ms = created_ms WHERE upload_id = ?",
                (part.upload_id,),
            )
            if held.rowcount != 1:
                return None
            row = tx.execute(
                "SELECT file FROM s3_parts WHERE upload_id = ? AND number = ?",
                (part.upload_id, part.number),
            ).fetchone()
            tx.execute(
                "INSERT INTO s3_parts (upload_id, number, etag, size, modified_ms, file, "
                "checksums) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (upload_id, number) "
                "DO UPDATE SET etag = excluded.etag, size = excluded.size, "
                "modified_ms = excluded.modified_ms, file = excluded.file, "
                "checksums = excluded.checksums",
                (
                    part.upload_id,
                    part.number,
                    part.etag,
                    part.size,
                    part.modified_ms,
                    part.file,
                    _dump(dict(part.checksums)),
                ),
            )
            if row is None:
                return ""
            upload = tx.execute(
                "SELECT bucket, key FROM s3_uploads WHERE upload_id = ?", (part.upload_id,)
            ).fetchone()
            kept = _unnamed(tx, upload[0], upload[1], [str(row[0])])
            return kept[0] if kept else ""

        return await self._db.write(work)

    async def parts(self, upload_id: str, after: int = 0, limit: int = 10000) -> list[Part]:
        def work(tx: Transaction) -> list[Part]:
            return [
                _part(r)
                for r in tx.execute(
                    "SELECT upload_id, number, etag, size, modified_ms, file, checksums "
                    "FROM s3_parts WHERE upload_id = ? AND number > ? ORDER BY number LIMIT ?",
                    (upload_id, after, limit),
                )
            ]

        return await self._db.read(work)

    async def uploads(
        self,
        bucket: str,
        prefix: str,
        limit: int,
        key_marker: str | None = None,
        upload_id_marker: str | None = None,
    ) -> list[Upload]:
        def work(tx: Transaction) -> list[Upload]:
            columns = "SELECT upload_id, bucket, key, created_ms, meta FROM s3_uploads"
            order = "ORDER BY key, created_ms, upload_id LIMIT ?"
            start = prefix if key_marker is None or key_marker < prefix else key_marker
            if key_marker is None or key_marker < prefix:
                rows = tx.execute(
                    f"{columns} WHERE bucket = ? AND key >= ? {order}", (bucket, start, limit)
                ).fetchall()
            elif not upload_id_marker:
                rows = tx.execute(
                    f"{columns} WHERE bucket = ? AND key > ? {order}", (bucket, start, limit)
                ).fetchall()
            else:
                # Past the marker's upload among its key's, in the order they are listed.
                found = tx.execute(
                    "SELECT created_ms FROM s3_uploads WHERE upload_id = ? AND key = ?",
                    (upload_id_marker, key_marker),
                ).fetchone()
                if found is not None:
                    created = int(found[0])
                    rows = tx.execute(
                        f"{columns} WHERE bucket = ? AND (key > ? OR (key = ? AND "
                        f"(created_ms > ? OR (created_ms = ? AND upload_id > ?)))) {order}",
                        (bucket, start, start, created, created, upload_id_marker, limit),
                    ).fetchall()
                else:  # gone meanwhile: S3's own rule, greater upload ids
                    rows = tx.execute(
                        f"{columns} WHERE bucket = ? AND (key > ? OR (key = ? AND "
                        f"upload_id > ?)) {order}",
                        (bucket, start, start, upload_id_marker, limit),
                    ).fetchall()
            return [_upload(r) for r in rows if str(r[2]).startswith(prefix)]

        return await self._db.read(work)

    async def abort_upload(self, upload_id: str) -> list[str] | None:
        def work(tx: Transaction) -> list[str] | None:
            upload = tx.execute(
                "SELECT bucket, key FROM s3_uploads WHERE upload_id = ?", (upload_id,)
            ).fetchone()
            if upload is None:
                return None
            # Deleting the row first: a concurrent Complete (PostgreSQL) waits, or won.
            gone = tx.execute("DELETE FROM s3_uploads WHERE upload_id = ?", (upload_id,))
            if gone.rowcount != 1:
                return None
            files = [
                str(r[0])
                for r in tx.execute("SELECT file FROM s3_parts WHERE upload_id = ?", (upload_id,))
            ]
            tx.execute("DELETE FROM s3_parts WHERE upload_id = ?", (upload_id,))
            return _unnamed(tx, upload[0], upload[1], files)

        return await self._db.write(work)

    # --- the notification outbox -----------------------------------------------------------

    async def retry_outgoing(self, item: Outgoing) -> None:
        def work(tx: Transaction) -> None:
            tx.execute(
                "UPDATE s3_outbox SET attempts = ?, due_ms = ? WHERE seq = ?",
                (item.attempts, item.due_ms, item.seq),
            )

        await self._db.write(work)

    async def drop_outgoing(self, seq: int) -> None:
        def work(tx: Transaction) -> None:
            tx.execute("DELETE FROM s3_outbox WHERE seq = ?", (seq,))

        await self._db.write(work)


def _page(items: list[ObjectVersion], prefixes: list[str], limit: int) -> Listed:
    """Items and prefixes merged in key order, cut to ``limit``; where more followed,
    the last key or prefix kept is where the next page begins."""
    merged: list[tuple[str, ObjectVersion | None]] = sorted(
        [(v.key, v) for v in items] + [(p, None) for p in prefixes], key=lambda t: t[0]
    )
    more = len(merged) > limit
    merged = merged[:limit]
    kept_items = [v for _, v in merged if v is not None]
    kept_prefixes = [k for k, v in merged if v is None]
    next_key = merged[-1][0] if more and merged else None
    return Listed(kept_items, kept_prefixes, next_key)

"""``TableStore`` in SQL, in the main database (the ``dynamodb`` schema).

- ``ddb_tables``: a row per table, its definition as JSON (``codec``); ``ddb_purge``:
  the ids (of deleted tables, dropped indexes, streams past keeping) whose rows are
  still to delete, noted in the write that made them so.
- ``ddb_items``: a row per item, keyed (table id, partition hash, partition, sort) with
  the keys' order-preserving encodings (``keys``), so a Query is one range of the
  primary key and a Scan walks it in order (segments are ranges of the hash); ``size``
  (DynamoDB's count of the item's bytes) lets a read stop at 1 MB from the sizes alone;
  ``expires`` is when the item's time to live ends (the TTL attribute's number, when
  the table has one), with an index for the sweep.
- ``ddb_index_rows``: a row per item per secondary index that holds it, keyed (index
  id, the index's hash, partition and sort, the table's partition and sort), with what
  the index projects of the item.
- ``ddb_stream_records``: a row per change of a table with a stream, keyed (stream
  ARN, sequence), with the record (CBOR) and when it was written (trimmed after 24 h).

Every item write is one transaction: it reads the items (``FOR UPDATE`` on PostgreSQL,
where writers run at once), checks the conditions, makes the new items, and writes
them with their index rows and stream records. Two writers creating the same item on
PostgreSQL collide on the primary key: the loser's transaction is run again, and then
sees the item.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from altus.dynamodb import codec, rows, stream_records, writing
from altus.dynamodb.expressions.evaluate import evaluate
from altus.dynamodb.model import Index, ItemWrite, Table, Written
from altus.dynamodb.rows import Address
from altus.dynamodb.store import (
    ConditionsFailed,
    KeyRange,
    Row,
    ScanRange,
    TableChanged,
    TokenClaim,
    TokenRepeated,
)
from altus.dynamodb.values import Item, item_size
from altus.store.database import (
    POSTGRESQL,
    Database,
    IntegrityViolation,
    Migration,
    Schema,
    Transaction,
)

T = TypeVar("T")

SCHEMA = Schema(
    "dynamodb",
    (
        Migration(
            """
        CREATE TABLE ddb_tables (name TEXT PRIMARY KEY, body TEXT NOT NULL);
        CREATE TABLE ddb_purge (id TEXT PRIMARY KEY);
        CREATE TABLE ddb_items (
            tid TEXT NOT NULL,
            ph BLOB NOT NULL,
            pk BLOB NOT NULL,
            sk BLOB NOT NULL,
            size INTEGER NOT NULL,
            expires REAL,
            item BLOB NOT NULL,
            PRIMARY KEY (tid, ph, pk, sk)
        );
        CREATE INDEX ddb_items_expiry ON ddb_items (tid, expires) WHERE expires IS NOT NULL;
        CREATE TABLE ddb_index_rows (
            iid TEXT NOT NULL,
            ph BLOB NOT NULL,
            pk BLOB NOT NULL,
            sk BLOB NOT NULL,
            tpk BLOB NOT NULL,
            tsk BLOB NOT NULL,
            size INTEGER NOT NULL,
            item BLOB NOT NULL,
            PRIMARY KEY (iid, ph, pk, sk, tpk, tsk)
        );
        CREATE TABLE ddb_stream_records (
            sid TEXT NOT NULL,
            seq INTEGER NOT NULL,
            created REAL NOT NULL,
            record BLOB NOT NULL,
            PRIMARY KEY (sid, seq)
        );
        CREATE INDEX ddb_stream_records_created ON ddb_stream_records (created);
        CREATE TABLE ddb_stream_seqs (sid TEXT PRIMARY KEY, last INTEGER NOT NULL)
        """,
            postgresql="""
        CREATE TABLE ddb_tables (name TEXT COLLATE "C" PRIMARY KEY, body TEXT NOT NULL);
        CREATE TABLE ddb_purge (id TEXT COLLATE "C" PRIMARY KEY);
        CREATE TABLE ddb_items (
            tid TEXT COLLATE "C" NOT NULL,
            ph BYTEA NOT NULL,
            pk BYTEA NOT NULL,
            sk BYTEA NOT NULL,
            size INTEGER NOT NULL,
            expires DOUBLE PRECISION,
            item BYTEA NOT NULL,
            PRIMARY KEY (tid, ph, pk, sk)
        );
        CREATE INDEX ddb_items_expiry ON ddb_items (tid, expires) WHERE expires IS NOT NULL;
        CREATE TABLE ddb_index_rows (
            iid TEXT COLLATE "C" NOT NULL,
            ph BYTEA NOT NULL,
            pk BYTEA NOT NULL,
            sk BYTEA NOT NULL,
            tpk BYTEA NOT NULL,
            tsk BYTEA NOT NULL,
            size INTEGER NOT NULL,
            item BYTEA NOT NULL,
            PRIMARY KEY (iid, ph, pk, sk, tpk, tsk)
        );
        CREATE TABLE ddb_stream_records (
            sid TEXT COLLATE "C" NOT NULL,
            seq BIGINT NOT NULL,
            created DOUBLE PRECISION NOT NULL,
            record BYTEA NOT NULL,
            PRIMARY KEY (sid, seq)
        );
        CREATE INDEX ddb_stream_records_created ON ddb_stream_records (created);
        CREATE TABLE ddb_stream_seqs (sid TEXT COLLATE "C" PRIMARY KEY, last BIGINT NOT NULL)
        """,
        ),
        # A table's definition version (a write planned on an older one is planned
        # again), and TransactWriteItems' ClientRequestTokens, kept with the writes.
        Migration(
            """
        ALTER TABLE ddb_tables ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE ddb_tokens (
            token TEXT PRIMARY KEY, digest TEXT NOT NULL, expires REAL NOT NULL
        )
        """,
            postgresql="""
        ALTER TABLE ddb_tables ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE ddb_tokens (
            token TEXT COLLATE "C" PRIMARY KEY,
            digest TEXT NOT NULL,
            expires DOUBLE PRECISION NOT NULL
        )
        """,
        ),
    ),
)

#: Rows fetched by a read's first statement while it fills its page (each next one
#: fetches four times as many): a page of a few large items reads no more than it needs.
_CHUNK = 8
#: Times a write is run again after losing a race to create the same item (PostgreSQL).
_RACES = 5
_HASH_SPACE = 1 << 128


def _expires(table: Table, item: Item) -> float | None:
    """When ``item``'s time to live ends (epoch seconds), None if it has none."""
    name = table.ttl.attribute
    if name is None or table.ttl.status != "ENABLED":
        return None
    value = item.get(name)
    if value is None or "N" not in value:
        return None
    try:
        return float(Decimal(value["N"]))
    except (InvalidOperation, ValueError, OverflowError):
        return None


def _segment_bounds(segment: int, segments: int) -> tuple[bytes, bytes | None]:
    low = segment * _HASH_SPACE // segments
    high = (segment + 1) * _HASH_SPACE // segments
    return low.to_bytes(16, "big"), None if high >= _HASH_SPACE else high.to_bytes(16, "big")


def _bytes(value: Any) -> bytes:
    return bytes(value)


class SqlTableStore:
    """``TableStore`` on one database."""

    def __init__(self, database: Database) -> None:
        self._db = database

    # --- tables -----------------------------------------------------------------------------

    async def load(self) -> list[Table]:
        def work(tx: Transaction) -> list[Table]:
            found = tx.execute("SELECT body, version FROM ddb_tables ORDER BY name").fetchall()
            return [
                dataclasses.replace(codec.table_of(body), version=int(version))
                for body, version in found
            ]

        return await self._db.read(work)

    async def put_table(self, table: Table, purge: Sequence[str] = ()) -> None:
        body = codec.table_body(table)
        ids = list(purge)

        def work(tx: Transaction) -> None:
            tx.execute(
                "INSERT INTO ddb_tables (name, body, version) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET body = excluded.body, version = excluded.version",
                (table.name, body, table.version),
            )
            _note_purge(tx, ids)

        await self._db.write(work)

    async def drop_table(self, table: Table, purge: Sequence[str]) -> None:
        ids = list(purge)

        def work(tx: Transaction) -> None:
            tx.execute("DELETE FROM ddb_tables WHERE name = ?", (table.name,))
            _note_purge(tx, ids)

        await self._db.write(work)

    async def purge(self, limit: int) -> int:
        def work(tx: Transaction) -> int:
            row_id = "ctid" if tx.dialect == POSTGRESQL else "rowid"
            ids = [row[0] for row in tx.execute("SELECT id FROM ddb_purge ORDER BY id")]
            left = limit
            for id_ in ids:
                emptied = True
                for column, table in (
                    ("tid", "ddb_items"),
                    ("iid", "ddb_index_rows"),
                    ("sid", "ddb_stream_records"),
                ):
                    if left <= 0:
                        return limit
                    cursor = tx.execute(
                        f"DELETE FROM {table} WHERE {row_id} IN "
                        f"(SELECT {row_id} FROM {table} WHERE {column} = ? LIMIT ?)",
                        (id_, left),
                    )
                    deleted = max(cursor.rowcount, 0)
                    left -= deleted
                    emptied = emptied and deleted == 0
                if emptied:
                    tx.execute("DELETE FROM ddb_stream_seqs WHERE sid = ?", (id_,))
                    tx.execute("DELETE FROM ddb_purge WHERE id = ?", (id_,))
            return limit - left

        return await self._db.write(work)

    # --- items ------------------------------------------------------------------------------

    async def write(
        self,
        writes: Sequence[ItemWrite],
        now: float,
        region: str,
        claim: TokenClaim | None = None,
    ) -> list[Written]:
        given = list(writes)
        return await self._raced(lambda tx: _write(tx, given, now, region, claim))

    async def _raced(self, work: Callable[[Transaction], T]) -> T:
        for attempt in range(_RACES):
            try:
                return await self._db.write(work)
            except IntegrityViolation:
                # Another writer created one of the items first (PostgreSQL): run again,
                # and see it.
                if attempt == _RACES - 1:
                    raise
        raise AssertionError("unreachable")

    async def get(self, table: Table, keys: Sequence[Item]) -> list[Item | None]:
        addresses = [rows.primary(table, key) for key in keys]

        def work(tx: Transaction) -> list[Item | None]:
            return [_read_item(tx, table.id, address, lock=False) for address in addresses]

        return await self._db.read(work)

    async def query(self, read: KeyRange, limit: int, max_bytes: int) -> list[Row]:
        return await self._db.read(lambda tx: _fill(tx, _range_statement(read), limit, max_bytes))

    async def scan(self, read: ScanRange, limit: int, max_bytes: int) -> list[Row]:
        return await self._db.read(lambda tx: _fill(tx, _scan_statement(read), limit, max_bytes))

    async def stats(self, id: str) -> tuple[int, int]:
        def work(tx: Transaction) -> tuple[int, int]:
            for table, column in (("ddb_items", "tid"), ("ddb_index_rows", "iid")):
                count, size = tx.execute(
                    f"SELECT COUNT(*), COALESCE(SUM(size), 0) FROM {table} WHERE {column} = ?",
                    (id,),
                ).fetchone()
                if count:
                    return int(count), int(size)
            return 0, 0

        return await self._db.read(work)

    async def backfill(
        self, table: Table, index: Index, after: Address | None, limit: int
    ) -> Address | None:
        def work(tx: Transaction) -> Address | None:
            last, found = _walk(tx, table.id, after, limit)
            for _, item in found:
                for row in rows.index_rows(table, item):
                    if row.index_id == index.id:
                        _put_index_row(tx, row)
            return last

        return await self._db.write(work)

    async def expire(self, table: Table, now: float, limit: int, region: str) -> int:
        def work(tx: Transaction) -> int:
            found = tx.execute(
                "SELECT ph, pk, sk FROM ddb_items WHERE tid = ? AND expires IS NOT NULL "
                "AND expires < ? LIMIT ?",
                (table.id, now, limit),
            ).fetchall()
            deleted = 0
            addresses = [Address(_bytes(ph), _bytes(pk), _bytes(sk)) for ph, pk, sk in found]
            # Held all at once, in the writers' order (never waiting on one while
            # holding another out of that order): each is then read as it is now (a
            # writer may have renewed it since it was found), deleted only if it has
            # still expired.
            _lock(tx, [_item_name(table.id, address) for address in addresses])
            for address in addresses:
                old = _read_item(tx, table.id, address, lock=True)
                expires = None if old is None else _expires(table, old)
                if old is None or expires is None or expires >= now:
                    continue
                _remove_item(tx, table, address, old)
                deleted += 1
                stream = table.stream
                if stream is not None:
                    shown = stream_records.record(
                        table, stream, old, None, region=region, now=now, expired=True
                    )
                    _append_record(tx, stream.arn, shown, now)
            return deleted

        return await self._db.write(work)

    async def set_expiry(self, table: Table, after: Address | None, limit: int) -> Address | None:
        def work(tx: Transaction) -> Address | None:
            last, found = _walk(tx, table.id, after, limit)
            for address, item in found:
                tx.execute(
                    "UPDATE ddb_items SET expires = ? WHERE tid = ? AND ph = ? AND pk = ? "
                    "AND sk = ?",
                    (
                        _expires(table, item),
                        table.id,
                        address.hash,
                        address.partition,
                        address.sort,
                    ),
                )
            return last

        return await self._db.write(work)

    # --- streams ----------------------------------------------------------------------------

    async def stream_records(
        self, stream_id: str, after: int | None, limit: int
    ) -> list[tuple[int, dict[str, Any]]]:
        def work(tx: Transaction) -> list[tuple[int, dict[str, Any]]]:
            found = tx.execute(
                "SELECT seq, record FROM ddb_stream_records WHERE sid = ? AND seq > ? "
                "ORDER BY seq LIMIT ?",
                (stream_id, -1 if after is None else after, limit),
            ).fetchall()
            return [(int(seq), codec.item_of(record)) for seq, record in found]

        return await self._db.read(work)

    async def stream_bounds(self, stream_id: str) -> tuple[int | None, int | None]:
        def work(tx: Transaction) -> tuple[int | None, int | None]:
            low, high = tx.execute(
                "SELECT (SELECT MIN(seq) FROM ddb_stream_records WHERE sid = ?), "
                "(SELECT last FROM ddb_stream_seqs WHERE sid = ?)",
                (stream_id, stream_id),
            ).fetchone()
            return (None if low is None else int(low)), (None if high is None else int(high))

        return await self._db.read(work)

    async def forget_tokens(self, now: float) -> int:
        cursor = await self._db.write(
            lambda tx: tx.execute("DELETE FROM ddb_tokens WHERE expires <= ?", (now,))
        )
        return max(cursor.rowcount, 0)

    async def trim_streams(self, before: float, limit: int) -> int:
        def work(tx: Transaction) -> int:
            key = "ctid" if tx.dialect == POSTGRESQL else "rowid"
            cursor = tx.execute(
                f"DELETE FROM ddb_stream_records WHERE {key} IN (SELECT {key} FROM "
                "ddb_stream_records WHERE created < ? LIMIT ?)",
                (before, limit),
            )
            return max(cursor.rowcount, 0)

        return await self._db.write(work)


# --- the write ---------------------------------------------------------------------------------


def _note_purge(tx: Transaction, ids: Sequence[str]) -> None:
    for id_ in ids:
        tx.execute("INSERT INTO ddb_purge (id) VALUES (?) ON CONFLICT (id) DO NOTHING", (id_,))


def _lock(tx: Transaction, names: Sequence[bytes]) -> None:
    """PostgreSQL: hold these names (items, tokens) until the transaction ends, taken in
    one order (no two writers wait on each other), whether or not a row exists yet (two
    creators of one item queue, instead of colliding). SQLite has one writer at a time."""
    if tx.dialect != POSTGRESQL:
        return
    for key in sorted({_lock_key(name) for name in names}):
        tx.execute("SELECT pg_advisory_xact_lock(?)", (key,))


def _lock_key(name: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(name, digest_size=8).digest(), "big", signed=True)


def _item_name(table_id: str, address: Address) -> bytes:
    return b"\x00".join((table_id.encode(), address.hash, address.partition, address.sort))


def _check_versions(tx: Transaction, writes: Sequence[ItemWrite]) -> None:
    """``TableChanged`` if a table's definition changed since the writes were planned
    (a stream enabled, an index added, the table deleted): they are planned again."""
    seen: dict[str, int] = {}
    for write in writes:
        seen[write.table.name] = write.table.version
    share = " FOR SHARE" if tx.dialect == POSTGRESQL else ""
    for name, version in seen.items():
        row = tx.execute(
            f"SELECT version FROM ddb_tables WHERE name = ?{share}", (name,)
        ).fetchone()
        if row is None or int(row[0]) != version:
            raise TableChanged(name)


def _claim(tx: Transaction, claim: TokenClaim, now: float) -> None:
    """Keep ``claim``'s token with the write, or ``TokenRepeated`` when a live one of
    its name is kept already (nothing is written then)."""
    row = tx.execute(
        "SELECT digest, expires FROM ddb_tokens WHERE token = ?", (claim.token,)
    ).fetchone()
    if row is not None and float(row[1]) > now:
        raise TokenRepeated(str(row[0]) == claim.digest)
    tx.execute(
        "INSERT INTO ddb_tokens (token, digest, expires) VALUES (?, ?, ?) ON CONFLICT (token) "
        "DO UPDATE SET digest = excluded.digest, expires = excluded.expires",
        (claim.token, claim.digest, claim.expires),
    )


def _write(
    tx: Transaction,
    writes: list[ItemWrite],
    now: float,
    region: str,
    claim: TokenClaim | None = None,
) -> list[Written]:
    addresses = [rows.primary(write.table, write.key) for write in writes]
    names = [_item_name(w.table.id, a) for w, a in zip(writes, addresses, strict=True)]
    if claim is not None:
        names.append(b"token\x00" + claim.token.encode())
    _lock(tx, names)
    _check_versions(tx, writes)
    if claim is not None:
        _claim(tx, claim, now)
    olds = [
        _read_item(tx, write.table.id, address, lock=True)
        for write, address in zip(writes, addresses, strict=True)
    ]
    failed: dict[int, Item | None] = {}
    for index, (write, old) in enumerate(zip(writes, olds, strict=True)):
        if write.condition is not None and not evaluate(write.condition, old):
            failed[index] = old
    if failed:
        raise ConditionsFailed(failed)
    news = [writing.after(write, old) for write, old in zip(writes, olds, strict=True)]
    for write, address, old, new in zip(writes, addresses, olds, news, strict=True):
        if not stream_records.changed(old, new):
            continue
        table = write.table
        if old is not None and new is not None:
            # In place: a writer waiting on the row (PostgreSQL) reads the new version
            # when this one commits (after a DELETE and INSERT it would find none).
            _remove_index_rows(tx, table, old)
            _update_item(tx, table, address, new)
        elif old is not None:
            _remove_item(tx, table, address, old)
        elif new is not None:
            _put_item(tx, table, address, new)
        stream = table.stream
        if stream is not None:
            shown = stream_records.record(table, stream, old, new, region=region, now=now)
            _append_record(tx, stream.arn, shown, now)
    return [Written(old, new) for old, new in zip(olds, news, strict=True)]


def _read_item(tx: Transaction, table_id: str, address: Address, *, lock: bool) -> Item | None:
    sql = "SELECT item FROM ddb_items WHERE tid = ? AND ph = ? AND pk = ? AND sk = ?"
    if lock and tx.dialect == POSTGRESQL:
        sql += " FOR UPDATE"
    row = tx.execute(sql, (table_id, address.hash, address.partition, address.sort)).fetchone()
    return None if row is None else codec.item_of(row[0])


def _put_item(tx: Transaction, table: Table, address: Address, item: Item) -> None:
    tx.execute(
        "INSERT INTO ddb_items (tid, ph, pk, sk, size, expires, item) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            table.id,
            address.hash,
            address.partition,
            address.sort,
            item_size(item),
            _expires(table, item),
            codec.item_bytes(item),
        ),
    )
    for row in rows.index_rows(table, item):
        _put_index_row(tx, row)


def _update_item(tx: Transaction, table: Table, address: Address, item: Item) -> None:
    tx.execute(
        "UPDATE ddb_items SET size = ?, expires = ?, item = ? "
        "WHERE tid = ? AND ph = ? AND pk = ? AND sk = ?",
        (
            item_size(item),
            _expires(table, item),
            codec.item_bytes(item),
            table.id,
            address.hash,
            address.partition,
            address.sort,
        ),
    )
    for row in rows.index_rows(table, item):
        _put_index_row(tx, row)


def _put_index_row(tx: Transaction, row: rows.IndexRow) -> None:
    tx.execute(
        "INSERT INTO ddb_index_rows (iid, ph, pk, sk, tpk, tsk, size, item) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (iid, ph, pk, sk, tpk, tsk) "
        "DO UPDATE SET size = excluded.size, item = excluded.item",
        (
            row.index_id,
            row.address.hash,
            row.address.partition,
            row.address.sort,
            row.table.partition,
            row.table.sort,
            row.size,
            codec.item_bytes(row.item),
        ),
    )


def _remove_item(tx: Transaction, table: Table, address: Address, old: Item) -> None:
    tx.execute(
        "DELETE FROM ddb_items WHERE tid = ? AND ph = ? AND pk = ? AND sk = ?",
        (table.id, address.hash, address.partition, address.sort),
    )
    _remove_index_rows(tx, table, old)


def _remove_index_rows(tx: Transaction, table: Table, old: Item) -> None:
    for row in rows.index_rows(table, old):
        tx.execute(
            "DELETE FROM ddb_index_rows WHERE iid = ? AND ph = ? AND pk = ? AND sk = ? "
            "AND tpk = ? AND tsk = ?",
            (
                row.index_id,
                row.address.hash,
                row.address.partition,
                row.address.sort,
                row.table.partition,
                row.table.sort,
            ),
        )


def _append_record(tx: Transaction, stream_id: str, shown: dict[str, Any], now: float) -> None:
    # The stream's own counter, not the records' highest: numbers go on rising after
    # every record was trimmed, and concurrent writers (PostgreSQL) queue on its row.
    (seq,) = tx.execute(
        "INSERT INTO ddb_stream_seqs (sid, last) VALUES (?, 1) ON CONFLICT (sid) "
        "DO UPDATE SET last = ddb_stream_seqs.last + 1 RETURNING last",
        (stream_id,),
    ).fetchone()
    seq = int(seq)
    tx.execute(
        "INSERT INTO ddb_stream_records (sid, seq, created, record) VALUES (?, ?, ?, ?)",
        (stream_id, seq, now, codec.item_bytes(stream_records.with_sequence(shown, seq))),
    )


def _walk(
    tx: Transaction, table_id: str, after: Address | None, limit: int
) -> tuple[Address | None, list[tuple[Address, Item]]]:
    """Up to ``limit`` items of the table after ``after``, in the store's order, held
    as writers hold them (their locks first, in the writers' order): an item a writer
    is changing is read as it commits, so index rows and expiries follow its new
    version. Also the last address looked at (None: nothing was left), whether or not
    its item was still there."""
    sql = "SELECT ph, pk, sk FROM ddb_items WHERE tid = ?"
    params: list[Any] = [table_id]
    if after is not None:
        sql += " AND (ph, pk, sk) > (?, ?, ?)"
        params += [after.hash, after.partition, after.sort]
    sql += " ORDER BY ph, pk, sk LIMIT ?"
    params.append(limit)
    addresses = [
        Address(_bytes(ph), _bytes(pk), _bytes(sk))
        for ph, pk, sk in tx.execute(sql, params).fetchall()
    ]
    _lock(tx, [_item_name(table_id, address) for address in addresses])
    found = []
    for address in addresses:
        item = _read_item(tx, table_id, address, lock=True)
        if item is not None:
            found.append((address, item))
    return (addresses[-1] if addresses else None), found


# --- reads -------------------------------------------------------------------------------------

_Statement = tuple[str, list[Any]]


def _range_statement(read: KeyRange) -> _Statement:
    """The SELECT (without LIMIT) of a Query's rows, in its order."""
    partition = read.partition
    if read.index is None:
        sql = "SELECT size, item FROM ddb_items WHERE tid = ? AND ph = ? AND pk = ?"
        params: list[Any] = [read.table.id, partition.hash, partition.partition]
        order = ["sk"]
    else:
        sql = "SELECT size, item FROM ddb_index_rows WHERE iid = ? AND ph = ? AND pk = ?"
        params = [read.index.id, partition.hash, partition.partition]
        order = ["sk", "tpk", "tsk"]
    if read.low is not None:
        sql += " AND sk >= ?" if read.low_inclusive else " AND sk > ?"
        params.append(read.low)
    if read.high is not None:
        sql += " AND sk <= ?" if read.high_inclusive else " AND sk < ?"
        params.append(read.high)
    if read.after is not None:
        sort, table = read.after
        sign = ">" if read.forward else "<"
        if read.index is None or table is None:
            sql += f" AND sk {sign} ?"
            params.append(sort)
        else:
            sql += f" AND (sk, tpk, tsk) {sign} (?, ?, ?)"
            params += [sort, table.partition, table.sort]
    direction = "" if read.forward else " DESC"
    sql += " ORDER BY " + ", ".join(column + direction for column in order)
    return sql, params


def _scan_statement(read: ScanRange) -> _Statement:
    low, high = _segment_bounds(read.segment, read.segments)
    if read.index is None:
        sql = "SELECT size, item FROM ddb_items WHERE tid = ?"
        params: list[Any] = [read.table.id]
        order = ["ph", "pk", "sk"]
    else:
        sql = "SELECT size, item FROM ddb_index_rows WHERE iid = ?"
        params = [read.index.id]
        order = ["ph", "pk", "sk", "tpk", "tsk"]
    sql += " AND ph >= ?"
    params.append(low)
    if high is not None:
        sql += " AND ph < ?"
        params.append(high)
    if read.after is not None:
        address, table = read.after
        if read.index is None or table is None:
            sql += " AND (ph, pk, sk) > (?, ?, ?)"
            params += [address.hash, address.partition, address.sort]
        else:
            sql += " AND (ph, pk, sk, tpk, tsk) > (?, ?, ?, ?, ?)"
            params += [address.hash, address.partition, address.sort, table.partition, table.sort]
    sql += " ORDER BY " + ", ".join(order)
    return sql, params


def _fill(tx: Transaction, statement: _Statement, limit: int, max_bytes: int) -> list[Row]:
    """Rows of ``statement`` until ``limit`` rows or ``max_bytes`` (the row that reaches
    it included), fetched in chunks growing fourfold (a page of small items is a few
    statements, not one per chunk of the first size)."""
    sql, params = statement
    found: list[Row] = []
    total = 0
    offset = 0
    chunk_size = _CHUNK
    for _ in range(64):  # chunks, until the page is full or the rows run out
        want = min(chunk_size, limit - len(found))
        chunk = tx.execute(f"{sql} LIMIT ? OFFSET ?", [*params, want, offset]).fetchall()
        for size, data in chunk:
            found.append(Row(codec.item_of(data), int(size)))
            total += int(size)
            if total >= max_bytes or len(found) >= limit:
                return found
        if len(chunk) < want:
            return found
        offset += len(chunk)
        chunk_size *= 4
    return found

"""The messages of ``pgoutput``, PostgreSQL's logical replication output plugin, read from
their bytes: protocol version 1, as PostgreSQL 15's "Logical Replication Message Formats"
documents them.

Only what version 1 sends is read: no streamed transactions (no transaction ids inside
the change messages), no two-phase messages. Integers are big-endian; strings end with a
zero byte; LSNs are unsigned 64-bit positions in the WAL; times are microseconds since
2000-01-01 UTC. A column's value comes as text (``str``, in the session's client
encoding, UTF-8 here), as binary (``bytes``), as ``None`` (NULL) or as ``UNCHANGED`` (a
TOASTed value the change did not touch, so PostgreSQL did not send it).

The parser is pure: bytes in, frozen records out, ``ProtocolError`` on anything it
cannot read.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

#: Where PostgreSQL's clock starts.
POSTGRES_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)

#: ``Column.flags``: the column is part of the relation's replica identity key.
KEY_FLAG = 1


class ProtocolError(ValueError):
    """Bytes that are not a pgoutput version 1 message."""


class Unchanged(enum.Enum):
    """A TOASTed value the change left as it was: PostgreSQL does not send it."""

    UNCHANGED = "u"


UNCHANGED = Unchanged.UNCHANGED

#: One column of a row: text, binary, NULL or not sent.
Value = str | bytes | None | Unchanged
#: A row, one value per column of its relation, in the relation's column order.
Row = tuple[Value, ...]


@dataclass(frozen=True, slots=True)
class Begin:
    #: The LSN of the transaction's commit record.
    final_lsn: int
    commit_time: datetime
    xid: int


@dataclass(frozen=True, slots=True)
class Commit:
    flags: int
    #: The LSN of the commit record (``Begin.final_lsn``).
    commit_lsn: int
    #: Where the commit record ends: the position to confirm once it is all processed.
    end_lsn: int
    commit_time: datetime


@dataclass(frozen=True, slots=True)
class Origin:
    #: The commit's LSN on the server the transaction came from.
    commit_lsn: int
    name: str


@dataclass(frozen=True, slots=True)
class Column:
    flags: int
    name: str
    type_oid: int
    type_modifier: int

    @property
    def key(self) -> bool:
        return bool(self.flags & KEY_FLAG)


@dataclass(frozen=True, slots=True)
class Relation:
    oid: int
    #: The schema; empty for ``pg_catalog``.
    namespace: str
    name: str
    #: ``REPLICA IDENTITY`` as ``pg_class.relreplident`` spells it: ``d`` (default: the
    #: primary key), ``n`` (nothing), ``f`` (full: every column), ``i`` (an index).
    replica_identity: str
    columns: tuple[Column, ...]


@dataclass(frozen=True, slots=True)
class Type:
    oid: int
    namespace: str
    name: str


@dataclass(frozen=True, slots=True)
class Insert:
    relation_oid: int
    new: Row


@dataclass(frozen=True, slots=True)
class Update:
    relation_oid: int
    #: The old row where PostgreSQL sends one: ``K`` (its replica identity key columns,
    #: the others NULL) when the key changed, ``O`` (every column) under ``REPLICA
    #: IDENTITY FULL``; ``None`` otherwise.
    old_kind: str | None
    old: Row | None
    new: Row


@dataclass(frozen=True, slots=True)
class Delete:
    relation_oid: int
    #: ``K`` (the key columns, the others NULL) or ``O`` (every column).
    old_kind: str
    old: Row


@dataclass(frozen=True, slots=True)
class Truncate:
    relation_oids: tuple[int, ...]
    cascade: bool
    restart_identity: bool


@dataclass(frozen=True, slots=True)
class LogicalMessage:
    """A ``pg_logical_emit_message`` (sent only when asked for with ``messages``)."""

    transactional: bool
    lsn: int
    prefix: str
    content: bytes


Message = (
    Begin | Commit | Origin | Relation | Type | Insert | Update | Delete | Truncate | LogicalMessage
)


def parse(data: bytes, encoding: str = "utf-8") -> Message:
    """The message ``data`` holds, all of it; text decoded with ``encoding``."""
    reader = _Reader(bytes(data), encoding)
    kind = reader.byte()
    parser = _PARSERS.get(kind)
    if parser is None:
        raise ProtocolError(f"unknown pgoutput message type {kind!r}")
    message = parser(reader)
    reader.end()
    return message


def format_lsn(lsn: int) -> str:
    """An LSN as PostgreSQL writes it: ``16/B374D848``."""
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


def parse_lsn(text: str) -> int:
    """An LSN from PostgreSQL's ``16/B374D848`` form."""
    high, sep, low = text.partition("/")
    if not sep:
        raise ValueError(f"not an LSN: {text!r}")
    return (int(high, 16) << 32) | int(low, 16)


class _Reader:
    def __init__(self, data: bytes, encoding: str) -> None:
        self._data = data
        self._at = 0
        self._encoding = encoding

    def take(self, size: int) -> bytes:
        end = self._at + size
        if size < 0 or end > len(self._data):
            raise ProtocolError(f"message ends early: {size} bytes wanted at {self._at}")
        chunk = self._data[self._at : end]
        self._at = end
        return chunk

    def _unpack(self, fmt: str) -> int:
        size = struct.calcsize(fmt)
        value: int = struct.unpack(fmt, self.take(size))[0]
        return value

    def byte(self) -> str:
        return self.take(1).decode("ascii", errors="replace")

    def int8(self) -> int:
        return self._unpack(">b")

    def int16(self) -> int:
        return self._unpack(">h")

    def int32(self) -> int:
        return self._unpack(">i")

    def uint32(self) -> int:
        return self._unpack(">I")

    def uint64(self) -> int:
        return self._unpack(">Q")

    def time(self) -> datetime:
        return POSTGRES_EPOCH + timedelta(microseconds=self._unpack(">q"))

    def string(self) -> str:
        end = self._data.find(b"\0", self._at)
        if end < 0:
            raise ProtocolError(f"string at {self._at} has no end")
        text = self._data[self._at : end].decode(self._encoding)
        self._at = end + 1
        return text

    def row(self) -> Row:
        count = self.int16()
        values: list[Value] = []
        for _ in range(count):
            kind = self.byte()
            if kind == "n":
                values.append(None)
            elif kind == "u":
                values.append(UNCHANGED)
            elif kind == "t":
                values.append(self.take(self.int32()).decode(self._encoding))
            elif kind == "b":
                values.append(self.take(self.int32()))
            else:
                raise ProtocolError(f"unknown column value kind {kind!r}")
        return tuple(values)

    def end(self) -> None:
        if self._at != len(self._data):
            raise ProtocolError(f"{len(self._data) - self._at} bytes left after the message")


def _begin(reader: _Reader) -> Begin:
    return Begin(final_lsn=reader.uint64(), commit_time=reader.time(), xid=reader.uint32())


def _commit(reader: _Reader) -> Commit:
    return Commit(
        flags=reader.int8(),
        commit_lsn=reader.uint64(),
        end_lsn=reader.uint64(),
        commit_time=reader.time(),
    )


def _origin(reader: _Reader) -> Origin:
    return Origin(commit_lsn=reader.uint64(), name=reader.string())


def _relation(reader: _Reader) -> Relation:
    oid = reader.uint32()
    namespace = reader.string()
    name = reader.string()
    identity = reader.byte()
    columns = tuple(
        Column(
            flags=reader.int8(),
            name=reader.string(),
            type_oid=reader.uint32(),
            type_modifier=reader.int32(),
        )
        for _ in range(reader.int16())
    )
    return Relation(oid, namespace, name, identity, columns)


def _type(reader: _Reader) -> Type:
    return Type(oid=reader.uint32(), namespace=reader.string(), name=reader.string())


def _expect(reader: _Reader, *kinds: str) -> str:
    kind = reader.byte()
    if kind not in kinds:
        raise ProtocolError(f"expected one of {kinds}, found {kind!r}")
    return kind


def _insert(reader: _Reader) -> Insert:
    oid = reader.uint32()
    _expect(reader, "N")
    return Insert(relation_oid=oid, new=reader.row())


def _update(reader: _Reader) -> Update:
    oid = reader.uint32()
    kind = _expect(reader, "K", "O", "N")
    if kind == "N":
        return Update(relation_oid=oid, old_kind=None, old=None, new=reader.row())
    old = reader.row()
    _expect(reader, "N")
    return Update(relation_oid=oid, old_kind=kind, old=old, new=reader.row())


def _delete(reader: _Reader) -> Delete:
    oid = reader.uint32()
    kind = _expect(reader, "K", "O")
    return Delete(relation_oid=oid, old_kind=kind, old=reader.row())


def _truncate(reader: _Reader) -> Truncate:
    count = reader.int32()
    options = reader.int8()
    oids = tuple(reader.uint32() for _ in range(count))
    return Truncate(oids, cascade=bool(options & 1), restart_identity=bool(options & 2))


def _logical_message(reader: _Reader) -> LogicalMessage:
    flags = reader.int8()
    lsn = reader.uint64()
    prefix = reader.string()
    content = reader.take(reader.int32())
    return LogicalMessage(bool(flags & 1), lsn, prefix, content)


_PARSERS: dict[str, Callable[[_Reader], Message]] = {
    "B": _begin,
    "C": _commit,
    "O": _origin,
    "R": _relation,
    "Y": _type,
    "I": _insert,
    "U": _update,
    "D": _delete,
    "T": _truncate,
    "M": _logical_message,
}

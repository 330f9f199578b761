"""pgoutput's messages read from bytes made as PostgreSQL 15's "Logical Replication
Message Formats" lays them out (protocol version 1); and what altus.brokers.postgres makes
of values and failures without a server."""

from __future__ import annotations

import struct
import sys
from datetime import UTC, datetime

import psycopg
import pytest
from psycopg import errors

from altus.brokers import pgoutput, postgres
from altus.brokers.base import AUTHENTICATION as AUTH
from altus.brokers.base import CONFIGURATION as CONFIG
from altus.brokers.base import CONNECTION as CONN
from altus.brokers.pgoutput import (
    UNCHANGED,
    Begin,
    Column,
    Commit,
    Delete,
    Insert,
    LogicalMessage,
    Origin,
    ProtocolError,
    Relation,
    Truncate,
    Type,
    Update,
)
from altus.brokers.postgres import JSON_DEPTH, attribute, slot_problem

# 2024-05-06 07:08:09.123456 UTC in microseconds since 2000-01-01: 8892 days (24 years,
# 6 of them leap years, then 126 days) and 25689 seconds.
WHEN = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
WHEN_MICROS = (8892 * 86400 + 25689) * 1_000_000 + 123456


def string(text: str) -> bytes:
    return text.encode() + b"\0"


def int8(value: int) -> bytes:
    return struct.pack(">b", value)


def int16(value: int) -> bytes:
    return struct.pack(">h", value)


def int32(value: int) -> bytes:
    return struct.pack(">i", value)


def uint32(value: int) -> bytes:
    return struct.pack(">I", value)


def int64(value: int) -> bytes:
    return struct.pack(">Q", value)


def row(*values: str | bytes | None) -> bytes:
    """TupleData: ``str`` as text, ``bytes`` as binary, None as NULL, ``"<u>"`` as an
    unchanged TOASTed value."""
    out = int16(len(values))
    for value in values:
        if value is None:
            out += b"n"
        elif value == "<u>":
            out += b"u"
        elif isinstance(value, str):
            out += b"t" + int32(len(value.encode())) + value.encode()
        else:
            out += b"b" + int32(len(value)) + value
    return out


def test_begin() -> None:
    data = b"B" + int64(0x16_B374D848) + int64(WHEN_MICROS) + uint32(0xFFFFFFF0)
    assert pgoutput.parse(data) == Begin(final_lsn=0x16_B374D848, commit_time=WHEN, xid=0xFFFFFFF0)


def test_commit() -> None:
    data = b"C" + int8(0) + int64(0x1000) + int64(0x1038) + int64(WHEN_MICROS)
    assert pgoutput.parse(data) == Commit(
        flags=0, commit_lsn=0x1000, end_lsn=0x1038, commit_time=WHEN
    )


def test_origin() -> None:
    assert pgoutput.parse(b"O" + int64(77) + string("upstream")) == Origin(77, "upstream")


def test_relation_with_key_and_other_columns() -> None:
    data = (
        b"R"
        + uint32(16_385)
        + string("public")
        + string("orders")
        + b"d"
        + int16(3)
        + int8(1)
        + string("id")
        + uint32(23)
        + int32(-1)
        + int8(0)
        + string("note")
        + uint32(1043)
        + int32(44)
        + int8(0)
        + string("größe")
        + uint32(1700)
        + int32(-1)
    )
    relation = pgoutput.parse(data)
    assert relation == Relation(
        oid=16_385,
        namespace="public",
        name="orders",
        replica_identity="d",
        columns=(
            Column(1, "id", 23, -1),
            Column(0, "note", 1043, 44),
            Column(0, "größe", 1700, -1),
        ),
    )
    assert isinstance(relation, Relation)
    assert [column.key for column in relation.columns] == [True, False, False]


def test_relation_of_pg_catalog_has_an_empty_namespace() -> None:
    data = b"R" + uint32(1) + string("") + string("t") + b"f" + int16(0)
    assert pgoutput.parse(data) == Relation(1, "", "t", "f", ())


def test_type() -> None:
    data = b"Y" + uint32(16_400) + string("public") + string("mood")
    assert pgoutput.parse(data) == Type(16_400, "public", "mood")


def test_insert_with_every_kind_of_value() -> None:
    data = b"I" + uint32(16_385) + b"N" + row("1", None, "<u>", b"\x00\x01", "", "héllo")
    assert pgoutput.parse(data) == Insert(
        relation_oid=16_385, new=("1", None, UNCHANGED, b"\x00\x01", "", "héllo")
    )


def test_update_without_old_row() -> None:
    data = b"U" + uint32(5) + b"N" + row("1", "b")
    assert pgoutput.parse(data) == Update(5, old_kind=None, old=None, new=("1", "b"))


@pytest.mark.parametrize("kind", ["K", "O"])
def test_update_with_old_row(kind: str) -> None:
    data = b"U" + uint32(5) + kind.encode() + row("1", None) + b"N" + row("2", "b")
    assert pgoutput.parse(data) == Update(5, old_kind=kind, old=("1", None), new=("2", "b"))


@pytest.mark.parametrize("kind", ["K", "O"])
def test_delete(kind: str) -> None:
    data = b"D" + uint32(5) + kind.encode() + row("1", None)
    assert pgoutput.parse(data) == Delete(5, old_kind=kind, old=("1", None))


def test_truncate() -> None:
    data = b"T" + int32(2) + int8(3) + uint32(10) + uint32(11)
    assert pgoutput.parse(data) == Truncate((10, 11), cascade=True, restart_identity=True)
    plain = b"T" + int32(1) + int8(0) + uint32(10)
    assert pgoutput.parse(plain) == Truncate((10,), cascade=False, restart_identity=False)


def test_logical_message() -> None:
    data = b"M" + int8(1) + int64(99) + string("app") + int32(3) + b"abc"
    assert pgoutput.parse(data) == LogicalMessage(True, 99, "app", b"abc")


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"Z",
        b"B" + int64(1),
        b"B" + int64(1) + int64(2) + uint32(3) + b"extra",
        b"Y" + uint32(1) + b"public",
        b"I" + uint32(1) + b"X" + row("1"),
        b"I" + uint32(1) + b"N" + int16(1) + b"q",
        b"I" + uint32(1) + b"N" + int16(1) + b"t" + int32(10) + b"short",
        b"U" + uint32(1) + b"K" + row("1") + b"Q" + row("1"),
        b"D" + uint32(1) + b"N" + row("1"),
    ],
)
def test_malformed_messages_are_refused(data: bytes) -> None:
    with pytest.raises(ProtocolError):
        pgoutput.parse(data)


def test_lsns_round_trip_in_postgres_form() -> None:
    assert pgoutput.format_lsn(0x16_B374D848) == "16/B374D848"
    assert pgoutput.format_lsn(0) == "0/0"
    assert pgoutput.parse_lsn("16/B374D848") == 0x16_B374D848
    assert pgoutput.parse_lsn(pgoutput.format_lsn(2**64 - 1)) == 2**64 - 1
    with pytest.raises(ValueError):
        pgoutput.parse_lsn("16B374D848")


# pgoutput's text values as DynamoDB attribute values (altus.brokers.postgres).


@pytest.mark.parametrize(
    ("type_oid", "text", "expected"),
    [
        (23, "42", {"N": "42"}),
        (20, "-9223372036854775808", {"N": "-9223372036854775808"}),
        (1700, "1.50", {"N": "1.50"}),
        (701, "1.5e+300", {"N": "1.5e+300"}),
        (701, "NaN", {"S": "NaN"}),
        (700, "-Infinity", {"S": "-Infinity"}),
        (1700, "Infinity", {"S": "Infinity"}),
        (16, "t", {"BOOL": True}),
        (16, "f", {"BOOL": False}),
        (17, "\\x00ff", {"B": "AP8="}),
        (25, "hello", {"S": "hello"}),
        (
            2950,
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
            {"S": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
        ),
        (1184, "2024-05-06 07:08:09.5+00", {"S": "2024-05-06 07:08:09.5+00"}),
        (99_999, "(1,x)", {"S": "(1,x)"}),
        (23, None, {"NULL": True}),
        (
            3802,
            '{"a": [1, 2.50, "x", true, null], "b": {}}',
            {
                "M": {
                    "a": {
                        "L": [
                            {"N": "1"},
                            {"N": "2.50"},
                            {"S": "x"},
                            {"BOOL": True},
                            {"NULL": True},
                        ]
                    },
                    "b": {"M": {}},
                }
            },
        ),
        (114, '"just text"', {"S": "just text"}),
        (114, "12", {"N": "12"}),
        (1007, "{1,NULL,3}", {"L": [{"N": "1"}, {"NULL": True}, {"N": "3"}]}),
        (1007, "[0:1]={7,8}", {"L": [{"N": "7"}, {"N": "8"}]}),
        (
            1007,
            "{{1,2},{3,4}}",
            {"L": [{"L": [{"N": "1"}, {"N": "2"}]}, {"L": [{"N": "3"}, {"N": "4"}]}]},
        ),
        (
            1009,
            '{"a b","c\\"d","NULL",""}',
            {"L": [{"S": "a b"}, {"S": 'c"d'}, {"S": "NULL"}, {"S": ""}]},
        ),
        (1009, "{}", {"L": []}),
        (1000, "{t,f}", {"L": [{"BOOL": True}, {"BOOL": False}]}),
        (1001, '{"\\\\x01"}', {"L": [{"B": "AQ=="}]}),
        (3807, '{"{\\"k\\": 1}"}', {"L": [{"M": {"k": {"N": "1"}}}]}),
        (1022, "{NaN,1.5}", {"L": [{"S": "NaN"}, {"N": "1.5"}]}),
        (1007, "{1,2", {"S": "{1,2"}),
    ],
)
def test_values_as_dynamodb_attributes(
    type_oid: int, text: str | None, expected: dict[str, object]
) -> None:
    assert attribute(type_oid, text) == expected


@pytest.mark.parametrize("type_oid", [114, 3802])
def test_json_nested_deeper_than_dynamodb_allows_stays_text(type_oid: int) -> None:
    fits = "[" * JSON_DEPTH + "]" * JSON_DEPTH
    expected: dict[str, object] = {"L": []}
    for _ in range(JSON_DEPTH - 1):
        expected = {"L": [expected]}
    assert attribute(type_oid, fits) == expected
    objects = '{"k": ' * JSON_DEPTH + "1" + "}" * JSON_DEPTH
    assert "M" in attribute(type_oid, objects)
    for deeper in (
        "[" * (JSON_DEPTH + 1) + "]" * (JSON_DEPTH + 1),
        '{"k": ' * (JSON_DEPTH + 1) + "1" + "}" * (JSON_DEPTH + 1),
        # Deeper than Python's recursion limit: json.loads itself gives up.
        "[" * (sys.getrecursionlimit() * 10) + "]" * (sys.getrecursionlimit() * 10),
    ):
        assert attribute(type_oid, deeper) == {"S": deeper}
    inner = "[" * 40 + "]" * 40
    assert attribute(3807, '{"' + inner + '"}') == {"L": [{"S": inner}]}


# How a slot, a refusal and a URL are told apart (altus.brokers.postgres).


def test_a_slot_is_refused_when_invalidated_or_not_pgoutput_here() -> None:
    assert slot_problem("s", "pgoutput", True, "reserved") is None
    assert slot_problem("s", "pgoutput", True, "unreserved") is None
    lost = slot_problem("s", "pgoutput", True, "lost")
    assert lost is not None
    assert "replication slot s was invalidated" in lost
    assert "changes were lost" in lost
    assert "pg_drop_replication_slot('s')" in lost
    for plugin, here in (("test_decoding", True), ("pgoutput", False)):
        other = slot_problem("s", plugin, here, "reserved")
        assert other is not None
        assert "not a pgoutput slot of this database" in other


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        # libpq gives no SQLSTATE while connecting: the server's words.
        (psycopg.OperationalError('FATAL:  password authentication failed for user "u"'), AUTH),
        (psycopg.OperationalError('FATAL:  role "u" does not exist'), AUTH),
        # Where an error carries its SQLSTATE, that counts, whatever the language.
        (errors.InvalidPassword("Passwort-Authentifizierung fehlgeschlagen"), AUTH),
        (errors.InvalidAuthorizationSpecification("Rolle existiert nicht"), AUTH),
        (psycopg.OperationalError('FATAL:  database "x" does not exist'), CONFIG),
        (
            psycopg.OperationalError('invalid integer value "x" for connection option "port"'),
            CONFIG,
        ),
        (psycopg.OperationalError("connection refused"), CONN),
    ],
)
def test_connection_failures_by_kind(error: psycopg.Error, kind: str) -> None:
    assert postgres._connect_error(error).kind == kind


def test_a_url_parse_error_is_reported_without_the_url() -> None:
    error = psycopg.ProgrammingError('invalid percent-encoded token: "50%off"')
    refused = postgres._connect_error(error)
    assert refused.kind == CONFIG
    assert refused.message.startswith("The POSTGRES_URL cannot be parsed: check its percent")
    assert "50%off" not in refused.message
    other = postgres._connect_error(
        psycopg.ProgrammingError('unexpected "x" in "postgres://u:pw@h"')
    )
    assert "pw" not in other.message

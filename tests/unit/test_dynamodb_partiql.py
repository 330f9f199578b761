"""PartiQL for DynamoDB without a server: the lexer and grammar, DynamoDB's words for
statements that do not parse or that it refuses, the translation into the expression
language's conditions and updates (and their evaluation), the plans a statement makes
against a table (its key, its Query or Scan, its write's condition) and NextTokens.

The texts are DynamoDB's as the nubo-db conformance suite records them against
DynamoDB, DynamoDB Local's where that is the only record (``partiql`` says which)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import pytest

from altus.dynamodb import partiql_syntax
from altus.dynamodb.component import DynamoDB
from altus.dynamodb.errors import ResourceNotFound, ValidationException, table_not_found
from altus.dynamodb.expressions import evaluate
from altus.dynamodb.expressions.ast import (
    AddAction,
    And,
    Arithmetic,
    Between,
    Call,
    Comparison,
    Condition,
    DeleteAction,
    Function,
    In,
    Not,
    Operand,
    Or,
    Path,
    RemoveAction,
    SetAction,
    Update,
    Value,
)
from altus.dynamodb.model import GLOBAL, INCLUDE, LOCAL, Check, Index, KeySchema, Put, Table
from altus.dynamodb.model import Projection as IndexProjection
from altus.dynamodb.model import Remove as RemoveItem
from altus.dynamodb.partiql import Delete, Exists, Insert, Modify, Select, Source, parse
from altus.dynamodb.partiql_api import needs
from altus.dynamodb.partiql_plans import plan_get, plan_read, plan_write, shape, split_key
from altus.dynamodb.partiql_reads import (
    TOKEN_INVALID,
    TOKEN_MISMATCH,
    Resume,
    decode_token,
    encode_token,
    statement_digest,
)
from altus.dynamodb.partiql_syntax import SyntaxProblem, parse_tree, tokenize

WELL = "Statement wasn't well formed, can't be processed: "
TYPE = "Incorrect operand type for operator or function; operator or function: "


def S(text: str) -> dict[str, Any]:
    return {"S": text}


def N(text: str) -> dict[str, Any]:
    return {"N": text}


def show(node: Condition | Operand | Update | None) -> str:
    """A condition, operand or update as compact text, for the tables below."""
    if node is None:
        return "-"
    if isinstance(node, Path):
        return "".join(f"[{e}]" if isinstance(e, int) else f".{e}" for e in node.elements)[1:]
    if isinstance(node, Value):
        return json.dumps(node.value, separators=(",", ":"), default=str)
    if isinstance(node, (Call, Function)):
        return f"{node.function}({', '.join(show(arg) for arg in node.args)})"
    if isinstance(node, Arithmetic):
        return f"{show(node.left)} {node.operator} {show(node.right)}"
    if isinstance(node, Comparison):
        return f"{show(node.left)} {node.operator} {show(node.right)}"
    if isinstance(node, Between):
        return f"{show(node.subject)} BETWEEN {show(node.low)} AND {show(node.high)}"
    if isinstance(node, In):
        return f"{show(node.subject)} IN ({', '.join(show(c) for c in node.choices)})"
    if isinstance(node, Not):
        return f"NOT ({show(node.condition)})"
    if isinstance(node, (And, Or)):
        word = " AND " if isinstance(node, And) else " OR "
        return word.join(f"({show(part)})" for part in node.conditions)
    assert isinstance(node, Update)
    shown = []
    for action in node.actions:
        if isinstance(action, SetAction):
            shown.append(f"SET {show(action.path)} = {show(action.value)}")
        elif isinstance(action, RemoveAction):
            shown.append(f"REMOVE {show(action.path)}")
        elif isinstance(action, AddAction):
            shown.append(f"ADD {show(action.path)} {show(action.value)}")
        else:
            assert isinstance(action, DeleteAction)
            shown.append(f"DELETE {show(action.path)} {show(action.value)}")
    return "; ".join(shown)


def refused(text: str, parameters: list[dict[str, Any]] | None = None) -> str:
    with pytest.raises(ValidationException) as raised:
        parse(text, parameters)
    return raised.value.message


# --- the lexer ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("select", [("SELECT", "select")]),
        ("Where", [("WHERE", "Where")]),
        ("pad", [("RESERVED", "pad")]),  # a reserved word PartiQL's grammar does not use
        ("data name val", [("NAME", "data"), ("NAME", "name"), ("NAME", "val")]),
        ('"pad"', [("QUOTED", '"pad"')]),
        ("'it''s'", [("STRING", "'it''s'")]),
        ("1.5e-3 .5 7", [("NUMBER", "1.5e-3"), ("NUMBER", ".5"), ("NUMBER", "7")]),
        (
            "<<>> <> != <= >= < > =",
            [("LBAG", "<<"), ("RBAG", ">>")]
            + [("COMP", c) for c in ("<>", "!=", "<=", ">=", "<", ">")]
            + [("EQ", "=")],
        ),
        ("a -- comment\n b /* more */ c", [("NAME", "a"), ("NAME", "b"), ("NAME", "c")]),
        ("a$b _c", [("NAME", "a$b"), ("NAME", "_c")]),
    ],
)
def test_the_lexer_reads_words_names_and_literals(text: str, expected: list[Any]) -> None:
    assert [(token.type, str(token)) for token in tokenize(text)] == expected


@pytest.mark.parametrize(
    "text",
    ["a # b", "a /* b", "'open", '"open', "a ~ b", "1e2147483648", "1.5e-2147483647"],
)
def test_what_the_lexer_cannot_read_has_no_detail(text: str) -> None:
    with pytest.raises(SyntaxProblem) as raised:
        parse_tree(f"SELECT * FROM t WHERE a = {text}")
    assert raised.value.detail == ""


def test_every_grammar_keyword_is_a_reserved_word() -> None:
    assert partiql_syntax.KEYWORDS <= partiql_syntax.RESERVED


# --- syntax errors, in DynamoDB's words (the conformance suite's record) -----------------

LEFTOVER = "Unexpected token after expression"


@pytest.mark.parametrize(
    ("statement", "detail"),
    [
        ('SELECT * FROM "N" WHERE pk = 1 foo', LEFTOVER),
        ('SELECT * FROM "N" WHERE pk = 1 e5', LEFTOVER),
        ("INSERT INTO \"N\" VALUE {'pk': 970001} foo", LEFTOVER),
        ('UPDATE "N" SET a = 9 WHERE pk = 970002 foo', LEFTOVER),
        ('DELETE FROM "N" WHERE pk = 970003 foo', LEFTOVER),
        ('SELECT * FROM "N" WHERE pk = 1)', LEFTOVER),
        ('DELETE FROM "N" WHERE pk = 970004 ORDER BY pk', LEFTOVER),
        ('SELECT * FROM "N" ORDER BY pk WHERE pk = 1', LEFTOVER),
        ("INSERT INTO \"S\" t VALUE {'pk': 'x'}", LEFTOVER),
        ("FROM \"S\" SET c = 1 WHERE pk = 'pq-ff-msg'", LEFTOVER),
        ("SELECT * FROM t; SELECT * FROM t", LEFTOVER),
        ('SELECT * FROM "S" WHERE', "Unexpected term"),
        ('SELECT * FROM "S" WHERE;', "Unexpected term"),
        ('SELECT * FROM "S" WHERE   ', "Unexpected term"),
        ('UPDATE "S" SET a = 1 WHERE', "Unexpected term"),
        ('DELETE FROM "S" WHERE', "Unexpected term"),
        ('SELECT * FROM "S" WHERE NOT', "Unexpected term"),
        ('SELECT * FROM "S" WHERE (', "Unexpected term"),
        ("SELECT * FROM", "Unexpected term"),
        (
            "SELECT * FROM \"S\" WHERE pk = 'p1' AND",
            "Missing right-hand side expression of infix operator",
        ),
        (
            "SELECT * FROM \"S\" WHERE pk = 'p1' OR",
            "Missing right-hand side expression of infix operator",
        ),
        ('SELECT * FROM "S" WHERE ORDER BY pk', "Unexpected keyword"),
        ("SELECT * FROM t WHERE pad = 'none'", "Unexpected keyword"),
        ('SELECT * FROM "S" WHERE IS NULL', "Unexpected operator"),
        ('SELECT * FROM "S" WHERE pk = LIKE', "Unexpected operator"),
        ("DELETE FROM", "Expected identifier for simple path"),
        ("DELETE FROM;", "Expected identifier for simple path"),
        ("DELETE FROM WHERE pk = 'a'", "Expected identifier for simple path"),
        ("SLECT * FROM \"t\" WHERE pk = 'x'", "Expected data manipulation"),
        ("SELECT * FROM t WHERE pk = 1 # note", ""),
    ],
)
def test_a_statement_that_does_not_parse_gets_dynamodbs_detail(statement: str, detail: str) -> None:
    assert refused(statement) == WELL + detail


# --- statements and their translation ----------------------------------------------------


@pytest.mark.parametrize(
    ("statement", "parameters", "where"),
    [
        ("SELECT * FROM t WHERE pk = 'a'", None, 'pk = {"S":"a"}'),
        ("SELECT * FROM t WHERE pk = ?", [S("a")], 'pk = {"S":"a"}'),
        ("select * from t where a != 1 and b <> 2", None, '(a <> {"N":"1"}) AND (b <> {"N":"2"})'),
        (
            "SELECT * FROM t WHERE a < 1 OR a >= -2.50",
            None,
            '(a < {"N":"1"}) OR (a >= {"N":"-2.5"})',
        ),
        ("SELECT * FROM t WHERE a BETWEEN 1 AND 9", None, 'a BETWEEN {"N":"1"} AND {"N":"9"}'),
        (
            "SELECT * FROM t WHERE a NOT BETWEEN 1 AND 9",
            None,
            'NOT (a BETWEEN {"N":"1"} AND {"N":"9"})',
        ),
        ("SELECT * FROM t WHERE a IN ['x', 'y']", None, 'a IN ({"S":"x"}, {"S":"y"})'),
        ("SELECT * FROM t WHERE a NOT IN ('x')", None, 'NOT (a IN ({"S":"x"}))'),
        ("SELECT * FROM t WHERE a IS MISSING", None, "attribute_not_exists(a)"),
        ("SELECT * FROM t WHERE a IS NOT MISSING", None, "attribute_exists(a)"),
        ("SELECT * FROM t WHERE a IS NULL", None, 'attribute_type(a, {"S":"NULL"})'),
        ("SELECT * FROM t WHERE a IS NOT STRING", None, 'NOT (attribute_type(a, {"S":"S"}))'),
        ("SELECT * FROM t WHERE a is boolean", None, 'attribute_type(a, {"S":"BOOL"})'),
        ("SELECT * FROM t WHERE BEGINS_WITH(a, 'x')", None, 'begins_with(a, {"S":"x"})'),
        ("SELECT * FROM t WHERE contains(a, ?)", [N("1")], 'contains(a, {"N":"1"})'),
        ("SELECT * FROM t WHERE attribute_type(a, 'SS')", None, 'attribute_type(a, {"S":"SS"})'),
        ("SELECT * FROM t WHERE size(a.b) > 3", None, 'size(a.b) > {"N":"3"}'),
        (
            "SELECT * FROM t WHERE NOT (a = 1 OR b = 2)",
            None,
            'NOT ((a = {"N":"1"}) OR (b = {"N":"2"}))',
        ),
        (
            "SELECT * FROM t WHERE a = 1 AND (b = 2 AND c = 3)",
            None,
            '(a = {"N":"1"}) AND (b = {"N":"2"}) AND (c = {"N":"3"})',
        ),
        ('SELECT * FROM t WHERE "a b"[2]."c" = TRUE', None, 'a b[2].c = {"BOOL":true}'),
        ("SELECT * FROM t WHERE m['k.x'] = null", None, 'm.k.x = {"NULL":true}'),
        ("SELECT * FROM t WHERE a = 'it''s'", None, 'a = {"S":"it\'s"}'),
        (
            "SELECT * FROM t WHERE a = [1, 'x', {'k': false}]",
            None,
            'a = {"L":[{"N":"1"},{"S":"x"},{"M":{"k":{"BOOL":false}}}]}',
        ),
        ("SELECT * FROM t WHERE a = <<'x', 'y'>>", None, 'a = {"SS":["x","y"]}'),
        ("SELECT * FROM t WHERE a = <<1, 2.0>>", None, 'a = {"NS":["1","2"]}'),
        ("SELECT * FROM t WHERE a = ?", [{"B": b"\x01"}], 'a = {"B":"b\'\\\\x01\'"}'),
        ("SELECT * FROM t", None, "-"),
    ],
)
def test_a_where_clause_becomes_a_condition(
    statement: str, parameters: list[dict[str, Any]] | None, where: str
) -> None:
    parsed = parse(statement, parameters)
    assert isinstance(parsed, Select)
    assert show(parsed.where) == where


@pytest.mark.parametrize(
    ("statement", "parameters", "update"),
    [
        ("UPDATE t SET a = 1 WHERE pk = 'k'", None, 'SET a = {"N":"1"}'),
        (
            "UPDATE t SET a = ?, b = b + 1 WHERE pk = 'k'",
            [S("v")],
            'SET a = {"S":"v"}; SET b = b + {"N":"1"}',
        ),
        (
            "UPDATE t SET n = n - ? REMOVE c WHERE pk = 'k'",
            [N("2")],
            'SET n = n - {"N":"2"}; REMOVE c',
        ),
        (
            "UPDATE t REMOVE a[2], b.c SET d = 1 WHERE pk = 'k'",
            None,
            'REMOVE a[2]; REMOVE b.c; SET d = {"N":"1"}',
        ),
        (
            "UPDATE t SET l = list_append(l, [2016]) WHERE pk = 'k'",
            None,
            'SET l = list_append(l, {"L":[{"N":"2016"}]})',
        ),
        ("UPDATE t SET s = SET_ADD(s, <<'x'>>) WHERE pk = 'k'", None, 'ADD s {"SS":["x"]}'),
        ("UPDATE t SET s = set_delete(s, <<1>>) WHERE pk = 'k'", None, 'DELETE s {"NS":["1"]}'),
        (
            "UPDATE t SET a = if_not_exists(a, 0) WHERE pk = 'k'",
            None,
            'SET a = if_not_exists(a, {"N":"0"})',
        ),
        (
            "UPDATE t SET AwardDetail={'Grammys':[2020, 2018]} WHERE pk = 'k'",
            None,
            'SET AwardDetail = {"M":{"Grammys":{"L":[{"N":"2020"},{"N":"2018"}]}}}',
        ),
        ("FROM t WHERE pk = 'k' SET c = 1", None, 'SET c = {"N":"1"}'),
    ],
)
def test_an_update_becomes_an_update_expression(
    statement: str, parameters: list[dict[str, Any]] | None, update: str
) -> None:
    parsed = parse(statement, parameters)
    assert isinstance(parsed, Modify)
    assert show(parsed.update) == update
    assert show(parsed.where) == 'pk = {"S":"k"}'


def test_the_other_statement_forms() -> None:
    inserted = parse("INSERT INTO \"Music\" VALUE {'Artist': ?, 'n': 1.50, 's': <<'a'>>}", [S("x")])
    assert inserted == Insert(
        Source("Music"), {"Artist": S("x"), "n": N("1.5"), "s": {"SS": ["a"]}}
    )
    deleted = parse("DELETE FROM t WHERE pk = 'k' RETURNING ALL OLD *")
    assert isinstance(deleted, Delete) and deleted.returning == "ALL OLD"
    modified = parse("UPDATE t SET a = 1 WHERE pk = 'k' RETURNING modified new *")
    assert isinstance(modified, Modify) and modified.returning == "MODIFIED NEW"
    exists = parse("EXISTS(SELECT * FROM t WHERE pk = 'k' AND a = 1)")
    assert isinstance(exists, Exists) and exists.select.source == Source("t")
    selected = parse('SELECT a.b, c[0], "d" FROM "t"."i" WHERE pk = 1 ORDER BY sk DESC, pk;')
    assert isinstance(selected, Select)
    assert selected.source == Source("t", "i")
    assert [show(path) for path in selected.projection or ()] == ["a.b", "c[0]", "d"]
    assert [(show(path), descending) for path, descending in selected.order] == [
        ("sk", True),
        ("pk", False),
    ]


def test_too_many_parameters_are_accepted_too_few_are_not() -> None:
    assert isinstance(parse("SELECT * FROM t WHERE a = 1", [S("x")]), Select)
    assert refused("SELECT * FROM t WHERE a = ? AND b = ?", [S("x")]) == (
        "Number of parameters in request and statement don't match."
    )


@pytest.mark.parametrize(
    ("statement", "parameters", "message"),
    [
        ("SELECT * FROM \"S\" t WHERE pk = 'x'", None, "Aliasing is not supported"),
        ("SELECT * FROM \"S\" AS t WHERE pk = 'x'", None, "Aliasing is not supported"),
        ("UPDATE \"S\" t SET a = 3 WHERE pk = 'x'", None, "Aliasing is not supported"),
        ("DELETE FROM \"S\" t WHERE pk = 'x'", None, "Aliasing is not supported"),
        (
            'SELECT * FROM "t"."gsi"."x"',
            None,
            "A path may contain at most 2 components in the FROM clause",
        ),
        ('SELECT * FROM "t".""', None, "Path component cannot be an empty string"),
        ('SELECT * FROM ""', None, "Path component cannot be an empty string"),
        (
            "SELECT pk FROM t WHERE pk = 'x' AND val < ?",
            [{"BOOL": True}],
            TYPE + "<, operand type: BOOL",
        ),
        ("SELECT pk FROM t WHERE val >= ?", [{"NULL": True}], TYPE + ">=, operand type: NULL"),
        (
            "SELECT pk FROM t WHERE val BETWEEN ? AND ?",
            [{"BOOL": True}, {"BOOL": False}],
            TYPE + "BETWEEN, operand type: BOOL",
        ),
        (
            "SELECT * FROM t WHERE pk = 1e126",
            None,
            (
                "Number overflow. Attempting to store a number with magnitude larger than "
                "supported "
                "range under root"
            ),
        ),
        (
            "SELECT * FROM t WHERE pk = 1e-131",
            None,
            (
                "Number underflow. Attempting to store a number with magnitude smaller than "
                "supported range under root"
            ),
        ),
        (
            "SELECT * FROM t WHERE pk = 123456789012345678901234567890123456789",
            None,
            "Attempting to store more than 38 significant digits in a Number under root",
        ),
        (
            "INSERT INTO t VALUE {'pk': 1e126}",
            None,
            (
                "Number overflow. Attempting to store a number with magnitude larger than "
                "supported "
                "range under root"
            ),
        ),
        (
            "UPDATE t SET a = 1e-131 WHERE pk = 1",
            None,
            (
                "Number underflow. Attempting to store a number with magnitude smaller than "
                "supported range under root"
            ),
        ),
        (
            "INSERT INTO t VALUE {'pk': 1, 'm': {'x': 1e126}}",
            None,
            (
                "Number overflow. Attempting to store a number with magnitude larger than "
                "supported "
                "range under root.x"
            ),
        ),
        (
            "INSERT INTO t VALUE {'pk': 1, 'l': [1, 1e126]}",
            None,
            (
                "Number overflow. Attempting to store a number with magnitude larger than "
                "supported "
                "range under root[1]"
            ),
        ),
        (
            "DELETE FROM t WHERE pk = 'x' RETURNING MODIFIED OLD *",
            None,
            (
                "Invalid returning clause: RETURNING MODIFIED OLD *. Only RETURNING ALL OLD * is "
                "allowed in DELETE statements."
            ),
        ),
        (
            "DELETE FROM t WHERE pk = 'x' RETURNING ALL NEW *",
            None,
            (
                "Invalid returning clause: RETURNING ALL NEW *. Only RETURNING ALL OLD * is "
                "allowed "
                "in DELETE statements."
            ),
        ),
        ("SELECT * FROM t WHERE pk = 'a' AND x IS FOO", None, WELL + "Expected type name"),
        (
            "SELECT * FROM t WHERE x IS INT4",
            None,
            (
                "Unsupported data type for IS operator: INT4. Supported data types are [MISSING, "
                "NULL, BOOLEAN, BLOB, STRING, NUMERIC, STRUCT, TUPLE, LIST]"
            ),
        ),
        (
            "SELECT *, a FROM t",
            None,
            "Other attributes should not be present in the projection when '*' is used.",
        ),
        (
            "INSERT INTO t VALUE {'pk': 1} RETURNING ALL OLD *",
            None,
            "RETURNING is not supported in INSERT",
        ),
        (
            "INSERT INTO t <<{'pk': 1}>>",
            None,
            (
                "Unsupported operation: Inserting multiple items in a single statement is not "
                'supported, use "INSERT INTO tableName VALUE item" instead'
            ),
        ),
        (
            "INSERT INTO t VALUE 'x'",
            None,
            (
                "Unsupported format in item expression. Please use struct format {...} to express "
                "item values for insert statement."
            ),
        ),
        ("SELECT * FROM t WHERE a = MISSING", None, "MISSING must be compared using IS operator"),
        (
            "INSERT INTO t VALUE {'pk': 1, 'pk': 2}",
            None,
            "Duplicate keys in tuple. Key: pk under root",
        ),
        (
            "SELECT * FROM t WHERE a = {'k': 1, 'k': 2}",
            None,
            "Duplicate keys in tuple. Key: k under root",
        ),
        (
            "SELECT * FROM t WHERE a = {1: 2}",
            None,
            "Tuple keys must be of type String. Actual type: N under root",
        ),
        ("SELECT * FROM t WHERE a = <<>>", None, "Empty bags are not supported"),
        (
            "SELECT * FROM t WHERE a = <<?>>",
            [S("x")],
            (
                "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in "
                "bags"
            ),
        ),
        (
            "SELECT * FROM t WHERE a = <<[1]>>",
            None,
            (
                "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in "
                "bags"
            ),
        ),
        (
            "SELECT * FROM t WHERE a = <<'x', 'x'>>",
            None,
            (
                'One or more parameter values were invalid: Input collection ["x", "x"] contains '
                "duplicates."
            ),
        ),
        ("SELECT * FROM t WHERE nope(a)", None, "Unrecognized function: nope"),
        (
            "SELECT * FROM t WHERE size(a)",
            None,
            "The function is not allowed to be used this way in an expression; function: size",
        ),
        (
            "SELECT * FROM t WHERE begins_with(a, 'x') = 1",
            None,
            (
                "The function is not allowed to be used this way in an expression; function: "
                "begins_with"
            ),
        ),
        (
            "SELECT * FROM t WHERE begins_with(a)",
            None,
            (
                "Incorrect number of operands for operator or function; operator or function: "
                "begins_with, number of operands: 1"
            ),
        ),
        (
            "SELECT * FROM t WHERE 'x' IS MISSING",
            None,
            "The left hand side argument to IS must be a Variable Reference, Literal, or Path",
        ),
        (
            "UPDATE t SET a = size(b) WHERE pk = 1",
            None,
            "The function is not allowed in an update expression; function: size",
        ),
        (
            "UPDATE t SET s = set_add(t, <<1>>) WHERE pk = 1",
            None,
            "The first argument to SET_ADD must equal the assignment value",
        ),
        (
            "UPDATE t SET s = set_add(s, [1]) WHERE pk = 1",
            None,
            "The second argument to SET_ADD must be a value with type SET",
        ),
        (
            "UPDATE t SET s = set_delete(s) WHERE pk = 1",
            None,
            "SET_DELETE must have exactly two arguments",
        ),
        (
            "UPDATE t SET a = 1, a.b = 2 WHERE pk = 1",
            None,
            (
                "Two document paths overlap with each other; must remove or rewrite one of these "
                "paths; path one: [a], path two: [a, b]"
            ),
        ),
        ("UPDATE t SET a = 'x' + 1 WHERE pk = 1", None, TYPE + "+, operand type: S"),
        (
            "SELECT * FROM t WHERE a = ?",
            [{"N": "x"}],
            "The parameter cannot be converted to a numeric value: x",
        ),
        (
            "SELECT * FROM t WHERE " + "NOT " * 250 + "a = 1",
            None,
            WELL + "The statement is nested too deeply",
        ),
    ],
)
def test_what_dynamodb_refuses_in_a_statement(
    statement: str, parameters: list[dict[str, Any]] | None, message: str
) -> None:
    assert refused(statement, parameters) == message


# --- evaluation through the expression language -------------------------------------------

ITEM = {
    "pk": S("k"),
    "name": S("alpha"),
    "n": N("5"),
    "tags": {"L": [S("a"), S("b")]},
    "members": {"SS": ["b", "a"]},
    "m": {"M": {"x": N("1")}},
    "blank": {"NULL": True},
}


@pytest.mark.parametrize(
    ("where", "holds"),
    [
        ("name = 'alpha'", True),
        ("name <> 'alpha'", False),
        ("NOT begins_with(name, 'al')", False),
        ("begins_with(name, 'al') AND n > 4", True),
        ("n BETWEEN 1 AND 4", False),
        ("n IN [4, 5]", True),
        ("other IS MISSING", True),
        ("name IS NOT MISSING", True),
        ("blank IS NULL", True),
        ("name IS NULL", False),
        ("name IS STRING AND n IS NUMERIC AND m IS STRUCT AND tags IS LIST", True),
        ("contains(tags, 'b') AND contains(members, 'a')", True),
        ("size(tags) = 2", True),
        ("members = <<'a', 'b'>>", True),  # sets are unordered (the conformance suite)
        ("tags = ['b', 'a']", False),  # lists are not
        ("m = {'x': 1}", True),
        ("m.x = 1 OR other = 2", True),
        ("other <> 1", True),  # a missing attribute is unequal to anything
    ],
)
def test_conditions_evaluate_as_the_expression_language_does(where: str, holds: bool) -> None:
    parsed = parse(f"SELECT * FROM t WHERE {where}")
    assert isinstance(parsed, Select) and parsed.where is not None
    assert evaluate(parsed.where, ITEM) is holds


# --- plans against tables ------------------------------------------------------------------

KEY = KeySchema("pk", "S", "sk", "N")
LSI = Index("lsi", "t/lsi", LOCAL, KeySchema("pk", "S", "lk", "N"), IndexProjection())
GSI = Index("gsi", "t/gsi", GLOBAL, KeySchema("g", "S"), IndexProjection(INCLUDE, ("x",)))
TABLE = Table(
    "t", "t-id", "arn", KEY, {"pk": "S", "sk": "N", "lk": "N", "g": "S"}, 0.0, indexes=(LSI, GSI)
)
PLAIN = Table("p", "p-id", "arn", KeySchema("pk", "S"), {"pk": "S"}, 0.0)


@dataclass
class _Tables:
    """Stands in for the component where a plan only looks tables up."""

    tables: dict[str, Table] = field(default_factory=lambda: {"t": TABLE, "p": PLAIN})

    def table(self, name: str) -> Table:
        if name not in self.tables:
            raise table_not_found()
        return self.tables[name]


DYNAMODB = cast(DynamoDB, _Tables())


def where_of(text: str, parameters: list[dict[str, Any]] | None = None) -> Condition | None:
    parsed = parse(f"SELECT * FROM t WHERE {text}", parameters)
    assert isinstance(parsed, Select)
    return parsed.where


@pytest.mark.parametrize(
    ("where", "key", "rest"),
    [
        ("pk = 'a' AND sk = 1", {"pk": S("a"), "sk": N("1")}, "-"),
        ("1 = sk AND 'a' = pk", {"pk": S("a"), "sk": N("1")}, "-"),
        (
            "pk = 'a' AND x > 1 AND sk = 1 AND y = 2",
            {"pk": S("a"), "sk": N("1")},
            '(x > {"N":"1"}) AND (y = {"N":"2"})',
        ),
        ("sk = 1 AND pk = 'a' AND NOT x = 1", {"pk": S("a"), "sk": N("1")}, 'NOT (x = {"N":"1"})'),
    ],
)
def test_a_write_names_its_key_by_equality(where: str, key: dict[str, Any], rest: str) -> None:
    found, others = split_key(where_of(where), KEY)
    assert found == key
    assert show(others) == rest


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("pk = 'a'", "Where clause does not contain a mandatory equality on all key attributes"),
        (
            "pk = 'a' OR sk = 1",
            "Where clause does not contain a mandatory equality on all key attributes",
        ),
        (
            "pk = 'a' AND sk > 1",
            "Where clause does not contain a mandatory equality on all key attributes",
        ),
        (
            "pk = 'a' AND pk = 'b' AND sk = 1",
            (
                "Multiple conditions on same key pk. Only single item Update/Insert/Delete are "
                "supported"
            ),
        ),
        (
            "pk = 1 AND sk = 1",
            "Key attribute's data type should match its data type in table's schema: Key pk",
        ),
        (
            "pk = '' AND sk = 1",
            (
                "One or more parameter values are not valid. The AttributeValue for a key "
                "attribute "
                "cannot contain an empty string value. Key: pk"
            ),
        ),
    ],
)
def test_a_write_without_its_whole_key_is_refused(where: str, message: str) -> None:
    with pytest.raises(ValidationException) as raised:
        split_key(where_of(where), KEY)
    assert raised.value.message == message


def test_writes_plan_the_item_operations_conditions() -> None:
    insert = plan_write(
        DYNAMODB, parse("INSERT INTO p VALUE {'pk': 'a', 'x': 1}"), old_on_failure=False
    )
    assert isinstance(insert.plan.write.action, Put)
    assert (
        insert.kind == "INSERT" and show(insert.plan.write.condition) == "attribute_not_exists(pk)"
    )
    update = plan_write(
        DYNAMODB, parse("UPDATE p SET x = 2 WHERE pk = 'a' AND x = 1"), old_on_failure=True
    )
    assert update.plan.old_on_failure and update.plan.targets == (Path(("x",)),)
    assert show(update.plan.write.condition) == '(attribute_exists(pk)) AND (x = {"N":"1"})'
    bare = plan_write(DYNAMODB, parse("UPDATE p SET x = 2 WHERE pk = 'a'"), old_on_failure=False)
    assert show(bare.plan.write.condition) == "attribute_exists(pk)"
    delete = plan_write(
        DYNAMODB, parse("DELETE FROM p WHERE pk = 'a' AND x = 1"), old_on_failure=False
    )
    assert isinstance(delete.plan.write.action, RemoveItem)
    # A missing item is deleted without judging the other terms.
    assert show(delete.plan.write.condition) == '(attribute_not_exists(pk)) OR (x = {"N":"1"})'
    plain = plan_write(DYNAMODB, parse("DELETE FROM p WHERE pk = 'a'"), old_on_failure=False)
    assert plain.plan.write.condition is None
    check = plan_write(
        DYNAMODB, parse("EXISTS(SELECT * FROM p WHERE pk = 'a' AND x = 1)"), old_on_failure=False
    )
    assert isinstance(check.plan.write.action, Check)
    assert show(check.plan.write.condition) == '(attribute_exists(pk)) AND (x = {"N":"1"})'


@pytest.mark.parametrize(
    ("statement", "error", "message"),
    [
        (
            "INSERT INTO p VALUE {'x': 1}",
            ValidationException,
            "Key attribute should be present in the item: Key pk",
        ),
        (
            "INSERT INTO p VALUE {'pk': 1}",
            ValidationException,
            "Key attribute's data type should match its data type in table's schema: Key pk",
        ),
        (
            "INSERT INTO p VALUE {'pk': ''}",
            ValidationException,
            (
                "One or more parameter values are not valid. The AttributeValue for a key "
                "attribute "
                "cannot contain an empty string value. Key: pk"
            ),
        ),
        ("INSERT INTO nope VALUE {'pk': 'a'}", ResourceNotFound, "Requested resource not found"),
        (
            "UPDATE p SET pk = 'b' WHERE pk = 'a'",
            ValidationException,
            (
                "One or more parameter values were invalid: Cannot update attribute pk. This "
                "attribute is part of the key"
            ),
        ),
        (
            "UPDATE p SET x = 1",
            ValidationException,
            "Where clause does not contain a mandatory equality on all key attributes",
        ),
        (
            "DELETE FROM t.\"gsi\" WHERE g = 'a'",
            ValidationException,
            "This operation is not supported on an index",
        ),
        (
            "EXISTS(SELECT * FROM p WHERE pk = 'a')",
            ValidationException,
            "EXISTS() must contain a single item read with additional condition",
        ),
    ],
)
def test_writes_refused_against_the_table(
    statement: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as raised:
        plan_write(DYNAMODB, parse(statement), old_on_failure=False)
    assert raised.value.message == message  # type: ignore[attr-defined]


def read_of(statement: str, consistent: bool = False) -> Any:
    parsed = parse(statement)
    assert isinstance(parsed, Select)
    return plan_read(DYNAMODB, parsed, consistent=consistent)


@pytest.mark.parametrize(
    ("where", "partitions", "range"),
    [
        ("pk = 'a'", [S("a")], None),
        ("pk = 'a' AND sk = 1", [S("a")], ("=", [N("1")])),
        ("pk = 'a' AND sk > 1 AND x = 2", [S("a")], (">", [N("1")])),
        ("pk = 'a' AND 1 > sk", [S("a")], ("<", [N("1")])),
        ("pk = 'a' AND sk BETWEEN 1 AND 5", [S("a")], ("BETWEEN", [N("1"), N("5")])),
        ("pk = 'a' AND sk > 1 AND sk < 5", [S("a")], None),  # two terms: filtered, not narrowed
        ("pk = 'a' AND sk > 'x'", [S("a")], None),  # another type than the key's
        ("pk IN ['a', 'b', 'a']", [S("a"), S("b")], None),
        ("pk = 'a' OR pk = 'b'", [S("a"), S("b")], None),
        ("(pk = 'a' OR pk = 'b') AND pk IN ['b', 'c']", [S("b")], None),
        ("pk = 'a' OR x = 1", None, None),
        ("pk > 'a'", None, None),
        ("x = 1", None, None),
        ("NOT pk = 'a'", None, None),
        ("pk = 1", [], None),  # no item has a partition key of another type
        ("pk IN ['', 'a']", [S("a")], None),
    ],
)
def test_a_select_pinning_the_partition_key_is_a_query(
    where: str, partitions: list[Any] | None, range: tuple[str, list[Any]] | None
) -> None:
    read = read_of(f"SELECT * FROM t WHERE {where}")
    assert (list(read.partitions) if read.partitions is not None else None) == partitions
    found = (read.range.operator, list(read.range.values)) if read.range is not None else None
    assert found == range
    assert show(read.condition) == show(where_of(where))


def test_an_index_read_is_planned_on_the_index_key() -> None:
    read = read_of("SELECT * FROM t.\"gsi\" WHERE g = 'x' AND x = 1")
    assert read.index is GSI and read.partitions == (S("x"),)
    local = read_of("SELECT * FROM t.lsi WHERE pk = 'a' AND lk BETWEEN 1 AND 2")
    assert local.range is not None and local.range.operator == "BETWEEN"


def test_order_by_sorts_partitions_and_turns_the_sort_key() -> None:
    read = read_of("SELECT * FROM t WHERE pk IN ['b', 'c', 'a'] ORDER BY pk DESC, sk DESC")
    assert read.partitions == (S("c"), S("b"), S("a"))
    assert read.forward is False
    assert read_of("SELECT * FROM t WHERE pk = 'a' ORDER BY sk").forward is True


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("SELECT * FROM t.\"nope\" WHERE pk = 'p'", "The table does not have the specified index"),
        ("SELECT * FROM t.\"t\" WHERE pk = 'p'", "The table does not have the specified index"),
        (
            "SELECT y FROM t.gsi WHERE g = 'y'",
            (
                "One or more parameter values were invalid: Global secondary index gsi does not "
                "project [y]"
            ),
        ),
        (
            "SELECT pk FROM t.gsi WHERE g = 'y' AND y = 'n'",
            (
                "One or more parameter values were invalid: Secondary index gsi does not project "
                "one "
                "or more filter attributes: [y]"
            ),
        ),
        (
            "SELECT * FROM t ORDER BY pk",
            "Must have WHERE clause in the statement when using ORDER BY clause.",
        ),
        (
            "SELECT * FROM t WHERE x = 1 ORDER BY pk",
            (
                "Must have at least one non-optional hash key condition in WHERE clause when using "
                "ORDER BY clause."
            ),
        ),
        (
            "SELECT * FROM t WHERE pk IN ['a', 'b'] ORDER BY sk",
            (
                "Must have hash key in ORDER BY clause when more than one hash key condition "
                "specified in WHERE clause."
            ),
        ),
        (
            "SELECT * FROM t WHERE pk = 'a' ORDER BY x",
            "Variable reference x in ORDER BY clause must be part of the primary key",
        ),
    ],
)
def test_reads_refused_against_the_table(statement: str, message: str) -> None:
    with pytest.raises(ValidationException) as raised:
        read_of(statement)
    assert raised.value.message == message


def test_a_consistent_read_of_a_global_index_is_refused() -> None:
    with pytest.raises(ValidationException) as raised:
        read_of("SELECT * FROM t.gsi WHERE g = 'x'", consistent=True)
    assert raised.value.message == (
        "Strongly consistent read is not supported on Global Secondary Indexes"
    )


def test_a_single_item_read_names_the_whole_key() -> None:
    parsed = parse("SELECT a FROM t WHERE pk = 'x' AND sk = 1 AND a > 2")
    assert isinstance(parsed, Select)
    get = plan_get(DYNAMODB, parsed, missing="whole key", on_index="no index")
    assert get.key == {"pk": S("x"), "sk": N("1")} and show(get.filter) == 'a > {"N":"2"}'
    for text, message in (
        ("SELECT * FROM t WHERE pk = 'x'", "whole key"),
        ("SELECT * FROM t.gsi WHERE g = 'x'", "no index"),
    ):
        select = parse(text)
        assert isinstance(select, Select)
        with pytest.raises(ValidationException) as raised:
            plan_get(DYNAMODB, select, missing="whole key", on_index="no index")
        assert raised.value.message == message


@pytest.mark.parametrize(
    ("projection", "shown"),
    [
        (None, {"pk": S("k"), "m": {"M": {"x": N("1"), "y": N("2")}}, "l": {"L": [N("7")]}}),
        ((Path(("m", "x")),), {"x": N("1")}),  # named by the path's last name
        ((Path(("pk",)), Path(("m",))), {"pk": S("k"), "m": {"M": {"x": N("1"), "y": N("2")}}}),
        ((Path(("l", 0)), Path(("nope",))), {"_1": N("7")}),
    ],
)
def test_what_a_select_returns_of_an_item(
    projection: tuple[Path, ...] | None, shown: Mapping[str, Any]
) -> None:
    item = {"pk": S("k"), "m": {"M": {"x": N("1"), "y": N("2")}}, "l": {"L": [N("7")]}}
    assert shape(item, projection) == shown


# --- NextToken ----------------------------------------------------------------------------


def test_a_next_token_continues_its_own_statement_only() -> None:
    read = read_of("SELECT * FROM t.lsi WHERE pk IN ['a', 'b']")
    digest = statement_digest("SELECT ...", [S("x")], read)
    key = {"pk": S("a"), "sk": N("1"), "lk": N("2")}
    token = encode_token(digest, Resume(1, key))
    assert decode_token(token, digest, read) == Resume(1, key)
    other = statement_digest("SELECT ...", [S("y")], read)
    for bad, message in (
        (token, TOKEN_MISMATCH),
        ("not a token", TOKEN_INVALID),
        (encode_token(other, Resume(5, key)), TOKEN_INVALID),
        (encode_token(other, Resume(0, {"pk": S("a")})), TOKEN_INVALID),
        (encode_token(other, Resume(0, {**key, "sk": S("1")})), TOKEN_INVALID),
    ):
        with pytest.raises(ValidationException) as raised:
            decode_token(bad, other, read)
        assert raised.value.message == (message if bad is token else TOKEN_INVALID)


def test_a_next_token_keeps_binary_keys() -> None:
    table = Table("b", "b-id", "arn", KeySchema("pk", "B"), {"pk": "B"}, 0.0)
    tables = _Tables({"b": table})
    parsed = parse("SELECT * FROM b")
    assert isinstance(parsed, Select)
    read = plan_read(cast(DynamoDB, tables), parsed, consistent=False)
    digest = statement_digest("SELECT * FROM b", None, read)
    resume = Resume(0, {"pk": {"B": b"\x00\xff"}})
    assert decode_token(encode_token(digest, resume), digest, read) == resume


# --- IAM ------------------------------------------------------------------------------------


class _Arns:
    def arn(self, name: str) -> str:
        return f"arn:aws:dynamodb:us-east-1:000000000000:table/{name}"


def test_each_statement_needs_its_partiql_permission_on_its_table() -> None:
    arn = "arn:aws:dynamodb:us-east-1:000000000000:table/"
    one = needs(_Arns(), "ExecuteStatement", {"Statement": 'SELECT * FROM t."i" WHERE a = 1'})
    assert one == [("dynamodb:PartiQLSelect", arn + "t/index/i")]
    statements = [
        "INSERT INTO a VALUE {'k': 1}",
        "UPDATE b SET x = 1 WHERE k = 1",
        "DELETE FROM a WHERE k = 1",
        "SLECT",  # refused before it touches anything: it needs nothing
        "INSERT INTO a VALUE {'k': 2}",
    ]
    batch = {"Statements": [{"Statement": statement} for statement in statements]}
    assert needs(_Arns(), "BatchExecuteStatement", batch) == [
        ("dynamodb:PartiQLInsert", arn + "a"),
        ("dynamodb:PartiQLUpdate", arn + "b"),
        ("dynamodb:PartiQLDelete", arn + "a"),
    ]
    check = {
        "TransactStatements": [
            {"Statement": "EXISTS(SELECT * FROM c WHERE k = ? AND x = 1)", "Parameters": [N("1")]}
        ]
    }
    assert needs(_Arns(), "ExecuteTransaction", check) == [("dynamodb:PartiQLSelect", arn + "c")]

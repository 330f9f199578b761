"""The text of DynamoDB's PartiQL statements: its tokens, its grammar (lark's LALR parser
over a lexer of its own) and DynamoDB's words for a statement that does not parse. Pure:
no I/O. ``partiql`` builds statements from the trees this parses.

**Why a lexer of its own.** PartiQL reserves some 250 words (SQL-92's and its own:
``SELECT t.pad FROM ...`` is a syntax error, ``"pad"`` is fine), and the grammar names
only the 30 it uses. The lexer reads every word once and says what it is: one of the
grammar's keywords (case-insensitive), another reserved word (``RESERVED``, which no
rule takes, so it is refused where it stands), or a name. It also checks what PartiQL's
lexer refuses outright, with no detail after the colon (the conformance suite's record
of DynamoDB: a ``#``, an unterminated ``/*`` comment or string, an exponent past a
32-bit integer): :class:`LexError`.

**The forms** (the Developer Guide's PartiQL reference): ``SELECT`` (``*`` or paths;
``FROM "table"`` or ``"table"."index"``; ``WHERE``; ``ORDER BY``), ``INSERT INTO t
VALUE {...}``, ``UPDATE t SET ... REMOVE ... WHERE ... [RETURNING ...]``, the
``FROM t WHERE ... SET ...`` form of it, ``DELETE FROM t WHERE ... [RETURNING ALL OLD
*]``, and ``EXISTS(SELECT ...)`` (a transaction's condition check). Conditions have
``= <> != < <= > >=``, ``[NOT] BETWEEN``, ``[NOT] IN [...]`` (or ``(...)``), ``IS
[NOT] MISSING | NULL | <type>``, ``AND``, ``OR``, ``NOT``, parentheses and functions.
Values are PartiQL's literals: ``'strings'`` (``''`` for a quote), numbers, ``TRUE``,
``FALSE``, ``NULL``, ``[lists]``, ``{'maps': ...}``, ``<<sets>>`` and ``?`` parameters.
Forms the grammar takes only to refuse them in DynamoDB's words (``partiql``): table
aliases, ``INSERT INTO t <bag>``, ``MISSING`` as a value.

**Syntax errors** are ``Statement wasn't well formed, can't be processed: <detail>``;
:func:`syntax_detail` picks the detail DynamoDB gives from where the parser stopped.
The conformance suite (nubo-db, against DynamoDB in eu-west-2) records: a token after a
whole statement ("Unexpected token after expression"), nothing where a term belongs
("Unexpected term"), ``AND``/``OR`` with nothing after ("Missing right-hand side
expression of infix operator"), a keyword or an operator where a term belongs
("Unexpected keyword", "Unexpected operator"), ``DELETE FROM`` without a table
("Expected identifier for simple path"), a statement that starts with no statement
keyword ("Expected data manipulation"). Where the parser stops elsewhere the detail is
the nearest of these (not verified).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedInput, UnexpectedToken
from lark.lexer import Lexer

__all__ = [
    "KEYWORDS",
    "NOT_WELL_FORMED",
    "RESERVED",
    "LexError",
    "SyntaxProblem",
    "parse_tree",
    "syntax_detail",
    "tokenize",
]

NOT_WELL_FORMED = "Statement wasn't well formed, can't be processed: "

#: The keywords the grammar uses (each its own terminal, named as written here).
_KEYWORD_WORDS = """
SELECT FROM WHERE ORDER BY ASC DESC AS INSERT INTO VALUE UPDATE SET REMOVE DELETE EXISTS
RETURNING ALL MODIFIED OLD NEW AND OR NOT BETWEEN IN IS NULL MISSING TRUE FALSE SIZE
"""
KEYWORDS = frozenset(_KEYWORD_WORDS.split())
#: PartiQL's reserved words (partiql-docs, "PartiQL Reserved Keywords"): none may be a
#: bare name; a quoted one is a name like any other.
_RESERVED_WORDS = """
    ABSOLUTE ACTION ADD ALL ALLOCATE ALTER AND ANY ARE AS ASC ASSERTION AT AUTHORIZATION AVG
    BEGIN BETWEEN BIT BIT_LENGTH BY CAN_CAST CAN_LOSSLESS_CAST CASCADE CASCADED CASE CAST
    CATALOG CHAR CHARACTER CHARACTER_LENGTH CHAR_LENGTH CHECK CLOSE COALESCE COLLATE
    COLLATION COLUMN COMMIT CONFLICT CONNECT CONNECTION CONSTRAINT CONSTRAINTS CONTINUE
    CONVERT CORRESPONDING COUNT CREATE CROSS CURRENT CURRENT_DATE CURRENT_TIME
    CURRENT_TIMESTAMP CURRENT_USER CURSOR DATE DATE_ADD DATE_DIFF DEALLOCATE DEC DECIMAL
    DECLARE DEFAULT DEFERRABLE DEFERRED DELETE DESC DESCRIBE DESCRIPTOR DIAGNOSTICS
    DISCONNECT DISTINCT DO DOMAIN DOUBLE DROP ELSE END END_EXEC ESCAPE EXCEPT EXCEPTION
    EXCLUDED EXEC EXECUTE EXISTS EXPLAIN EXTERNAL EXTRACT FALSE FETCH FIRST FLOAT FOR
    FOREIGN FOUND FROM FULL GET GLOBAL GO GOTO GRANT GROUP HAVING IDENTITY IMMEDIATE IN
    INDEX INDICATOR INITIALLY INNER INPUT INSENSITIVE INSERT INT INTEGER INTERSECT INTERVAL
    INTO IS ISOLATION JOIN KEY LAG LANGUAGE LAST LATERAL LEAD LEFT LET LEVEL LIKE LIMIT
    LOCAL LOWER MATCH MAX MIN MISSING MODIFIED MODULE NAMES NATIONAL NATURAL NCHAR NEW NEXT
    NO NOT NOTHING NULL NULLIF NULLS NUMERIC OCTET_LENGTH OF OFFSET OLD ON ONLY OPEN OPTION
    OR ORDER OUTER OUTPUT OVER OVERLAPS OVERLAY PAD PARTIAL PARTITION PIVOT PLACING
    POSITION PRECISION PREPARE PRESERVE PRIMARY PRIOR PRIVILEGES PROCEDURE PUBLIC READ REAL
    REFERENCES RELATIVE REMOVE REPLACE RESTRICT RETURNING REVOKE RIGHT ROLLBACK ROWS SCHEMA
    SCROLL SECTION SELECT SESSION SESSION_USER SET SHORTEST SIZE SMALLINT SOME SPACE SQL
    SQLCODE SQLERROR SQLSTATE SUBSTRING SUM SYSTEM_USER TABLE TEMPORARY THEN TIME TIMESTAMP
    TO TRANSACTION TRANSLATE TRANSLATION TRIM TRUE UNION UNIQUE UNKNOWN UNPIVOT UPDATE
    UPPER UPSERT USAGE USER USING VALUE VALUES VARCHAR VARYING VIEW WHEN WHENEVER WHERE
    WITH WORK WRITE ZONE
"""
RESERVED = frozenset(_RESERVED_WORDS.split())
assert KEYWORDS <= RESERVED

_PUNCTUATION = {
    "<<": "LBAG",
    ">>": "RBAG",
    "<>": "COMP",
    "!=": "COMP",
    "<=": "COMP",
    ">=": "COMP",
    "<": "COMP",
    ">": "COMP",
    "=": "EQ",
    "(": "LPAR",
    ")": "RPAR",
    "[": "LBRACK",
    "]": "RBRACK",
    "{": "LBRACE",
    "}": "RBRACE",
    ",": "COMMA",
    ".": "DOT",
    ":": "COLON",
    ";": "SEMI",
    "*": "STAR",
    "?": "QMARK",
    "+": "PLUS",
    "-": "MINUS",
}
_TOKEN = re.compile(
    r"""
    (?P<space>[ \t\r\n\f]+)
    | (?P<line_comment>--[^\n]*)
    | (?P<block_comment>/\*.*?\*/)
    | (?P<STRING>'(?:[^']|'')*')
    | (?P<QUOTED>"(?:[^"]|"")*")
    | (?P<NUMBER>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
    | (?P<word>[A-Za-z_$][A-Za-z0-9_$]*)
    | (?P<punctuation><<|>>|<>|!=|<=|>=|[<>=()\[\]{},.:;*?+-])
    """,
    re.VERBOSE | re.DOTALL,
)
_NUMBER_PARTS = re.compile(r"[0-9]*(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?")
_INT32 = 2**31


class LexError(Exception):
    """Text PartiQL's lexer cannot read: DynamoDB answers with nothing after the colon."""


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text`` (comments and whitespace dropped), or LexError."""
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        found = _TOKEN.match(text, position)
        if found is None:
            raise LexError(f"no token at {position}")
        kind = found.lastgroup
        value = found.group()
        if kind == "word":
            upper = value.upper()
            kind = upper if upper in KEYWORDS else "RESERVED" if upper in RESERVED else "NAME"
        elif kind == "punctuation":
            kind = _PUNCTUATION[value]
        elif kind == "NUMBER":
            _check_number(value)
        if kind not in ("space", "line_comment", "block_comment"):
            assert kind is not None
            tokens.append(
                Token(kind, value, found.start(), 1, found.start() + 1, end_pos=found.end())
            )
        position = found.end()
    return tokens


def _check_number(text: str) -> None:
    """PartiQL reads a number as a decimal whose exponent and scale are 32-bit integers
    (the conformance suite: ``1e2147483648`` and ``1.5e-2147483647`` are refused with
    nothing after the colon)."""
    found = _NUMBER_PARTS.fullmatch(text)
    assert found is not None
    fraction, exponent_text = found.group(1) or "", found.group(2) or "0"
    exponent = int(exponent_text)
    if not -_INT32 <= exponent < _INT32 or not -_INT32 <= len(fraction) - exponent < _INT32:
        raise LexError(f"number out of range: {text}")


GRAMMAR = r"""
start: statement SEMI?

?statement: select
    | insert
    | update
    | from_update
    | delete
    | exists

select: SELECT projection FROM source alias? where? order_by?
projection: proj_item (COMMA proj_item)*
?proj_item: STAR -> star
    | path
source: ident (DOT ident)*
alias: AS? ident
where: WHERE condition
order_by: ORDER BY order_key (COMMA order_key)*
order_key: path (ASC | DESC)?

insert: INSERT INTO source VALUE value returning?
    | INSERT INTO source operand -> insert_many
update: UPDATE source alias? clause+ where? returning?
from_update: FROM source alias? where? clause+ returning?
delete: DELETE FROM source alias? where? returning?
exists: EXISTS LPAR select RPAR

?clause: SET assignment (COMMA assignment)* -> set_clause
    | REMOVE path (COMMA path)* -> remove_clause
assignment: path EQ set_value
?set_value: operand
    | operand PLUS operand -> plus
    | operand MINUS operand -> minus
returning: RETURNING (ALL | MODIFIED) (OLD | NEW) STAR

?condition: disjunction
?disjunction: conjunction
    | disjunction OR conjunction -> or_
?conjunction: negation
    | conjunction AND negation -> and_
?negation: predicate
    | NOT negation -> not_
?predicate: operand (EQ | COMP) operand -> comparison
    | operand NOT? BETWEEN operand AND operand -> between
    | operand NOT? IN in_list -> in_
    | operand IS NOT? is_type -> is_
    | call -> bare_call
    | LPAR disjunction RPAR -> parens
in_list: LBRACK operand (COMMA operand)* RBRACK
    | LPAR operand (COMMA operand)* RPAR
is_type: NULL
    | MISSING
    | (NAME | RESERVED)+

?operand: path
    | value
    | call
call: (NAME | SIZE) LPAR (operand (COMMA operand)*)? RPAR
path: ident (DOT ident | LBRACK NUMBER RBRACK | LBRACK STRING RBRACK)*
?ident: NAME
    | QUOTED

?value: STRING -> string
    | NUMBER -> number
    | MINUS NUMBER -> negative
    | TRUE -> true
    | FALSE -> false
    | NULL -> null
    | MISSING -> missing
    | QMARK -> parameter
    | LBRACK (value (COMMA value)*)? RBRACK -> list
    | LBRACE (pair (COMMA pair)*)? RBRACE -> tuple
    | LBAG (value (COMMA value)*)? RBAG -> bag
pair: value COLON value

%declare NAME QUOTED STRING NUMBER RESERVED
%declare LBAG RBAG COMP EQ LPAR RPAR LBRACK RBRACK LBRACE RBRACE COMMA DOT COLON SEMI
%declare STAR QMARK PLUS MINUS
%declare SELECT FROM WHERE ORDER BY ASC DESC AS INSERT INTO VALUE UPDATE SET REMOVE DELETE
%declare EXISTS RETURNING ALL MODIFIED OLD NEW AND OR NOT BETWEEN IN IS NULL MISSING TRUE
%declare FALSE SIZE
"""


class _Lexer(Lexer):
    """Hands lark the tokens :func:`tokenize` reads."""

    def __init__(self, lexer_conf: object) -> None:
        pass

    def lex(self, data: str) -> Iterator[Token]:  # type: ignore[override]
        yield from tokenize(data)


@functools.lru_cache(maxsize=1)
def _parser() -> Lark:
    """The LALR parser (built once: building takes tens of milliseconds)."""
    return Lark(GRAMMAR, parser="lalr", lexer=_Lexer, maybe_placeholders=False)


class SyntaxProblem(Exception):
    """A statement that does not parse; ``detail`` is DynamoDB's text after the colon."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def parse_tree(text: str) -> tuple[Tree[Token], list[Token]]:
    """The parse tree of ``text`` and its tokens, or SyntaxProblem."""
    try:
        tokens = tokenize(text)
    except LexError:
        raise SyntaxProblem("") from None
    try:
        tree = _parser().parse(text)
    except UnexpectedToken as problem:
        raise SyntaxProblem(syntax_detail(tokens, problem.token, problem.expected)) from None
    except UnexpectedInput:
        raise SyntaxProblem("Unexpected term") from None  # not verified
    return tree, tokens


_STATEMENT_STARTS = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "FROM", "EXISTS"})
_ENDS = frozenset({"$END", "SEMI"})
_INFIX = frozenset({"AND", "OR", "EQ", "COMP", "PLUS", "MINUS"})
_OPERATOR_WORDS = frozenset({"IS", "LIKE", "AND", "OR", "IN", "BETWEEN"})
_OPERATOR_SIGNS = frozenset({"EQ", "COMP", "PLUS", "MINUS"})


def syntax_detail(tokens: list[Token], bad: Token, expected: set[str]) -> str:
    """DynamoDB's detail for the parser stopping at ``bad`` (``$END``: the text ran out),
    wanting one of ``expected``."""
    at = len(tokens) if bad.type == "$END" else _index(tokens, bad)
    before = tokens[at - 1] if at > 0 else None
    if before is not None and before.type == "FROM" and at >= 2 and tokens[at - 2].type == "DELETE":
        return "Expected identifier for simple path"
    if at == 0 and bad.type not in _STATEMENT_STARTS:
        return "Expected data manipulation"
    if "$END" in expected:
        return "Unexpected token after expression"
    if bad.type in _ENDS:
        if before is not None and before.type in _INFIX:
            return "Missing right-hand side expression of infix operator"
        return "Unexpected term"
    if bad.type in _OPERATOR_SIGNS or bad.value.upper() in _OPERATOR_WORDS:
        return "Unexpected operator"
    if bad.type in KEYWORDS or bad.type == "RESERVED":
        return "Unexpected keyword"
    return "Unexpected term"  # not verified for the other places a parse can stop


def _index(tokens: list[Token], bad: Token) -> int:
    return next(
        (index for index, token in enumerate(tokens) if token.start_pos == bad.start_pos),
        len(tokens),
    )

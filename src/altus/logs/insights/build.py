"""From query text to its parsed form (``ast``), and the words a query that does not
parse is refused with (MalformedQueryException, with where it went wrong).

Checked here besides the grammar: functions known and given as many arguments as they
take; stats functions only in ``stats`` (and there only), every ``stats`` column an
expression of them; ``limit`` between 1 and 10,000; regexes that compile (with the
``regex`` library, to be matched under a timeout: ``altus.logs.timed_regex``);
expressions nested at most :data:`MAX_DEPTH` deep (what runs them recurses)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lark import Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from altus.logs import timed_regex
from altus.logs.insights import ast
from altus.logs.insights.functions import AGGREGATES, SCALARS
from altus.logs.insights.grammar import parser

#: The largest ``limit`` command (and default result count).
MAX_LIMIT = 10000
#: How deeply expressions may nest (``not not ...``, ``- - 1``, parentheses).
MAX_DEPTH = 100

_UNITS_MS = {
    "ms": 1,
    "s": 1000,
    "m": 60_000,
    "h": 3_600_000,
    "d": 86_400_000,
    "w": 7 * 86_400_000,
    "mo": 30 * 86_400_000,
    "q": 90 * 86_400_000,
    "y": 365 * 86_400_000,
}
_UNIT_NAMES = {
    "sec": "s",
    "secs": "s",
    "second": "s",
    "seconds": "s",
    "min": "m",
    "mins": "m",
    "minute": "m",
    "minutes": "m",
    "hr": "h",
    "hrs": "h",
    "hour": "h",
    "hours": "h",
    "day": "d",
    "days": "d",
    "week": "w",
    "weeks": "w",
    "month": "mo",
    "months": "mo",
    "quarter": "q",
    "quarters": "q",
    "year": "y",
    "years": "y",
}


@dataclass
class QueryError(ValueError):
    """A query that does not parse: the message, and the characters it is about."""

    message: str
    start: int
    end: int

    def __str__(self) -> str:
        return self.message


def parse_query(text: str) -> ast.Query:
    if not text.strip():
        raise QueryError("Query string is empty", 0, 0)
    try:
        tree = parser().parse(text)
        return _Builder(text).query(tree)
    except UnexpectedInput as problem:
        raise _syntax_error(text, problem) from None
    except RecursionError:  # nesting beyond even what the depth check sees
        raise QueryError("Query is nested too deeply", 0, len(text)) from None


def _syntax_error(text: str, problem: UnexpectedInput) -> QueryError:
    if isinstance(problem, UnexpectedEOF) or (
        isinstance(problem, UnexpectedToken) and problem.token.type == "$END"
    ):
        return QueryError("Unexpected end of query", len(text), len(text))
    at = problem.pos_in_stream if problem.pos_in_stream is not None else len(text)
    if isinstance(problem, UnexpectedCharacters):
        symbol = text[at : at + 1]
    else:
        assert isinstance(problem, UnexpectedToken)
        symbol = str(problem.token)
    line = text.count("\n", 0, at) + 1
    column = at - (text.rfind("\n", 0, at) + 1)
    return QueryError(
        f"unexpected symbol found {symbol} at line {line} and position {column}",
        at,
        at + max(len(symbol), 1) - 1,
    )


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def duration_ms(text: str) -> int:
    """A duration literal (``5m``, ``1.5h``, ``30seconds``) in milliseconds."""
    found = re.fullmatch(r"(\d+(?:\.\d+)?)([a-z]+)", text)
    assert found is not None
    unit = _UNIT_NAMES.get(found.group(2), found.group(2))
    return int(float(found.group(1)) * _UNITS_MS[unit])


def compile_regex(text: str, where: Token) -> timed_regex.Pattern:
    """A ``/regex/flags`` literal: Java's ``(?<name>...)`` groups read as Python's, the
    ``i`` flag (and ``(?i)`` inline) for case-insensitive matching."""
    body, _, flags = text[1:].rpartition("/")
    body = re.sub(r"\(\?<(?=[A-Za-z_])", "(?P<", body.replace("\\/", "/"))
    try:
        return timed_regex.compile_pattern(body, timed_regex.IGNORECASE if "i" in flags else 0)
    except timed_regex.BadPattern as problem:
        start = where.start_pos or 0
        end = start + len(text) - 1
        raise QueryError(f"Invalid regular expression: {problem}", start, end) from None


class _Builder:
    def __init__(self, text: str) -> None:
        self.text = text
        self.aggregates: list[ast.Aggregate] | None = None
        self.depth = 0

    def error(self, message: str, node: Tree[Token] | Token) -> QueryError:
        if isinstance(node, Token):
            start, end = node.start_pos or 0, (node.end_pos or 1) - 1
        else:
            start, end = node.meta.start_pos, node.meta.end_pos - 1
        return QueryError(message, start, end)

    def written(self, node: Tree[Token] | Token) -> str:
        """The expression as written (a column's name where no ``as`` gives one)."""
        if isinstance(node, Token):
            return str(node)
        return self.text[node.meta.start_pos : node.meta.end_pos]

    def query(self, tree: Tree[Token]) -> ast.Query:
        return ast.Query(tuple(self.command(c) for c in tree.children if isinstance(c, Tree)))

    def command(self, node: Tree[Token]) -> ast.Command:
        parts = [c for c in node.children if c is not None]
        kind = node.data
        if kind == "fields_cmd":
            return ast.Fields(tuple(self.named(p) for p in parts[1:] if isinstance(p, Tree)))
        if kind == "display_cmd":
            return ast.Display(tuple(self.field_name(p) for p in parts[1:]))
        if kind == "dedup_cmd":
            return ast.Dedup(tuple(self.field_name(p) for p in parts[1:]))
        if kind == "filter_cmd":
            return ast.Filter(self.expr(parts[1]))
        if kind == "limit_cmd":
            count = float(str(parts[1]))
            if count != int(count) or not 1 <= count <= MAX_LIMIT:
                raise self.error(f"limit must be between 1 and {MAX_LIMIT}", parts[1])
            return ast.Limit(int(count))
        if kind == "sort_cmd":
            keys = [p for p in parts[1:] if isinstance(p, Tree)]
            return ast.Sort(tuple(self.sort_key(k) for k in keys))
        if kind == "stats_cmd":
            return self.stats(parts)
        return self.parse_command(node)

    def sort_key(self, node: Tree[Token]) -> ast.SortKey:
        order = node.children[1] if len(node.children) > 1 else None
        expr_node = node.children[0]
        assert expr_node is not None
        # Insights sorts ascending unless told (``sort x desc``). An aggregate may be
        # named here (the column it made), though nowhere else outside stats.
        outer, self.aggregates = self.aggregates, []
        expr = self.expr(expr_node)
        self.aggregates = outer
        descending = order is not None and str(order).lower() == "desc"
        return ast.SortKey(expr, descending, self.written(expr_node))

    def named(self, node: Tree[Token]) -> ast.Named:
        expr_node = node.children[0]
        assert expr_node is not None
        alias = node.children[2] if len(node.children) > 2 else None
        name = self.field_name(alias) if alias is not None else self.written(expr_node)
        return name, self.expr(expr_node)

    def field_name(self, node: Tree[Token] | Token) -> str:
        token = node.children[0] if isinstance(node, Tree) else node
        assert isinstance(token, Token)
        text = str(token)
        return text[1:-1] if text.startswith("`") else text

    def stats(self, parts: list[Tree[Token] | Token]) -> ast.Stats:
        by = next((i for i, p in enumerate(parts) if isinstance(p, Token) and p.type == "BY"), None)
        column_nodes = parts[1:by] if by is not None else parts[1:]
        group_nodes = parts[by + 1 :] if by is not None else []
        self.aggregates = []
        columns = []
        for node in column_nodes:
            assert isinstance(node, Tree)
            before = len(self.aggregates)
            named = self.named(node)
            if len(self.aggregates) == before:
                raise self.error("stats needs an aggregation function", node)
            columns.append(named)
        aggregates = tuple(self.aggregates)
        self.aggregates = None
        groups = []
        for node in group_nodes:
            assert isinstance(node, Tree)
            groups.append(self.named(node))
        return ast.Stats(aggregates, tuple(columns), tuple(groups))

    def parse_command(self, node: Tree[Token]) -> ast.Parse:
        parts = [c for c in node.children if c is not None]
        source = "@message"
        if isinstance(parts[1], Tree) and parts[1].data == "source":
            source = self.field_name(parts[1])
            parts = [parts[0], *parts[2:]]
        pattern_token = parts[1]
        assert isinstance(pattern_token, Token)
        if node.data == "parse_regex":
            pattern = compile_regex(str(pattern_token), pattern_token)
            names = tuple(pattern.groupindex)
            if not names:
                raise self.error("parse's regex needs named groups: (?<name>...)", pattern_token)
            return ast.Parse(source, pattern, names)
        glob = _unquote(str(pattern_token))
        names = tuple(self.field_name(p) for p in parts[3:])
        pieces = glob.split("*")
        if len(pieces) - 1 != len(names):
            raise self.error(
                f"parse's pattern has {len(pieces) - 1} wildcards for {len(names)} fields",
                pattern_token,
            )
        # Each ``*`` takes as little as it can, but the last one, ending the pattern,
        # takes the rest of the text.
        regex = "".join(
            re.escape(piece)
            + (
                ""
                if i == len(names)
                else ("(.*)" if i == len(names) - 1 and not pieces[-1] else "(.*?)")
            )
            for i, piece in enumerate(pieces)
        )
        return ast.Parse(source, timed_regex.compile_pattern(regex, timed_regex.DOTALL), names)

    def expr(self, node: Tree[Token] | Token | None) -> ast.Expr:
        assert node is not None
        if isinstance(node, Token):  # pragma: no cover - every leaf has a rule
            raise self.error(f"unexpected {node}", node)
        if self.depth >= MAX_DEPTH:
            raise self.error(f"Expressions may nest at most {MAX_DEPTH} deep", node)
        self.depth += 1
        try:
            return self._expr(node)
        finally:
            self.depth -= 1

    def _expr(self, node: Tree[Token]) -> ast.Expr:
        kind = node.data
        kids = node.children
        if kind == "number":
            text = str(kids[0])
            number = float(text)
            return ast.Literal(
                int(number)
                if number.is_integer() and "." not in text and "e" not in text.lower()
                else number
            )
        if kind == "duration":
            return ast.Literal(duration_ms(str(kids[0])))
        if kind == "string":
            return ast.Literal(_unquote(str(kids[0])))
        if kind == "field":
            return ast.Field(self.field_name(node))
        if kind == "list":
            return ast.ListValue(tuple(self.expr(k) for k in kids if k is not None))
        if kind == "star":
            return ast.Star()
        if kind == "or_":
            return ast.Or(self.expr(kids[0]), self.expr(kids[2]))
        if kind == "and_":
            return ast.And(self.expr(kids[0]), self.expr(kids[2]))
        if kind == "not_":
            return ast.Not(self.expr(kids[1]))
        if kind == "negate":
            return ast.Negate(self.expr(kids[0]))
        if kind in ("compare", "arithmetic"):
            operator = str(kids[1])
            return ast.Binary(
                "=" if operator == "==" else operator, self.expr(kids[0]), self.expr(kids[2])
            )
        if kind in ("like", "not_like"):
            pattern = kids[-1]
            assert isinstance(pattern, Token)
            if pattern.type == "REGEX":
                compiled = compile_regex(str(pattern), pattern)
            else:
                compiled = timed_regex.compile_pattern(re.escape(_unquote(str(pattern))))
            return ast.Like(self.expr(kids[0]), compiled, kind == "not_like")
        if kind in ("in_", "not_in"):
            items = kids[-1]
            assert isinstance(items, Tree)
            listed = tuple(self.expr(k) for k in items.children if k is not None)
            return ast.In(self.expr(kids[0]), listed, kind == "not_in")
        if kind == "call":
            return self.call(node)
        raise self.error(f"unsupported expression {kind}", node)  # pragma: no cover

    def call(self, node: Tree[Token]) -> ast.Expr:
        name_token = node.children[0]
        assert isinstance(name_token, Token)
        name = str(name_token)
        args_nodes = [k for k in node.children[1:] if k is not None]
        if name in AGGREGATES:
            low, high = AGGREGATES[name]
            if self.aggregates is None:
                raise self.error(f"{name} can be used in stats only", name_token)
            outer = self.aggregates
            self.aggregates = None  # no stats function within one
            args = tuple(self.expr(a) for a in args_nodes)
            self.aggregates = outer
            self.check_arity(name, args, low, high, node)
            if any(isinstance(a, ast.Star) for a in args) and name != "count":
                raise self.error(f"{name}(*) is not a function", node)
            aggregate = ast.Aggregate(name, args, len(outer))
            outer.append(aggregate)
            return aggregate
        if name not in SCALARS:
            raise self.error(f"Unknown function: {name}", name_token)
        low, high = SCALARS[name]
        args = tuple(self.expr(a) for a in args_nodes)
        if any(isinstance(a, ast.Star) for a in args):
            raise self.error(f"{name}(*) is not a function", node)
        self.check_arity(name, args, low, high, node)
        return ast.Call(name, args)

    def check_arity(
        self, name: str, args: tuple[ast.Expr, ...], low: int, high: int | None, node: Tree[Token]
    ) -> None:
        if len(args) < low or (high is not None and len(args) > high):
            wanted = str(low) if low == high else f"{low} to {high if high is not None else 'any'}"
            raise self.error(f"{name} takes {wanted} arguments, not {len(args)}", node)

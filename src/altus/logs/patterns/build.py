"""From text to a filter pattern's parsed form (``ast``): choosing the kind by the first
character (``{`` JSON, ``[`` space-delimited, anything else terms), parsing with the
grammar, and checking what the grammar cannot: a number where ``<``/``>`` needs one,
a delimited condition naming its own slot only, at most two regexes."""

from __future__ import annotations

import re

from lark import Token, Tree
from lark.exceptions import LarkError

from altus.logs.patterns import ast
from altus.logs.patterns.grammar import parser
from altus.logs.patterns.regex import MAX_PER_PATTERN, BadRegex, compile_regex

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_STEP = re.compile(r"\.([^.\[]+)|\[(\d+)\]")
_ORDERED = frozenset({"<", "<=", ">", ">="})


class PatternError(ValueError):
    """A filter pattern that does not parse, or that CloudWatch refuses."""


def parse_pattern(text: str) -> ast.Pattern | None:
    """The parsed form of ``text``; None for an empty pattern (everything matches)."""
    stripped = text.strip()
    if not stripped:
        return None
    start = {"{": "json_pattern", "[": "delimited_pattern"}.get(stripped[0], "terms")
    try:
        tree = parser().parse(stripped, start=start)
    except LarkError as problem:
        raise PatternError(str(problem)) from None
    if start == "terms":
        return _terms(tree)
    builder = _Builder()
    if start == "json_pattern":
        (child,) = tree.children
        pattern: ast.Pattern = ast.JsonPattern(builder.condition(child))
    else:
        pattern = _delimited(tree, builder)
    if builder.regexes > MAX_PER_PATTERN:
        raise PatternError(f"at most {MAX_PER_PATTERN} regular expressions per pattern")
    return pattern


def _regex(text: str) -> ast.Regex:
    try:
        return ast.Regex(compile_regex(text[1:-1]))
    except BadRegex as problem:
        raise PatternError(str(problem)) from None


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def _terms(tree: Tree[Token]) -> ast.Terms:
    kinds: dict[str, list[str | ast.Regex]] = {"": [], "-": [], "?": []}
    for term in tree.children:
        assert isinstance(term, Tree)
        sign = ""
        for token in term.children:
            assert isinstance(token, Token)
            if token.type == "SIGN":
                # The guide's own example writes ``"ERROR" - "Exiting"``: spaces may
                # come between a sign and its term.
                sign = str(token)
            elif token.type == "REGEX":
                kinds[sign].append(_regex(str(token)))
            elif token.type == "PHRASE":
                kinds[sign].append(_unquote(str(token)))
            else:
                kinds[sign].append(str(token))
    return ast.Terms(tuple(kinds[""]), tuple(kinds["-"]), tuple(kinds["?"]))


def _delimited(tree: Tree[Token], builder: _Builder) -> ast.DelimitedPattern:
    slots: list[str] = []
    conditions: list[ast.Condition | None] = []
    for index, slot in enumerate(tree.children, start=1):
        condition = None
        if slot is None:
            slots.append(f"${index}")  # a field of no name: no condition can name it
            conditions.append(None)
            continue
        assert isinstance(slot, Tree)
        if slot.data == "ellipsis":
            slots.append(ast.ELLIPSIS)
        elif slot.data == "named":
            slots.append(str(slot.children[0]))
        else:
            condition = builder.condition(slot.children[0])
            name = _first_name(condition)
            # A condition is its slot's: one naming another slot's field would make
            # matching try every way the ``...`` could fall (exponential in them).
            others = sorted({n for n in _names(condition) if n != name})
            if others:
                raise PatternError(
                    f"the condition on {name!r} names {others[0]!r}: a condition names "
                    "its own field only"
                )
            slots.append(name)
        conditions.append(condition)
    return ast.DelimitedPattern(tuple(slots), tuple(conditions))


def _first_name(condition: ast.Condition) -> str:
    while isinstance(condition, ast.And | ast.Or):
        condition = condition.parts[0]
    assert isinstance(condition, ast.Compare) and isinstance(condition.field, str)
    return condition.field


def _names(condition: ast.Condition) -> list[str]:
    if isinstance(condition, ast.And | ast.Or):
        return [n for part in condition.parts for n in _names(part)]
    return [condition.field] if isinstance(condition.field, str) else []


class _Builder:
    """Builds conditions, counting the regexes met."""

    def __init__(self) -> None:
        self.regexes = 0

    def condition(self, node: Tree[Token] | Token) -> ast.Condition:
        assert isinstance(node, Tree)
        kind = node.data
        parts = [c for c in node.children if isinstance(c, Tree)]
        if kind in ("json_or", "delim_or"):
            return ast.Or(tuple(self.condition(p) for p in parts))
        if kind in ("json_and_many", "delim_and_many"):
            return ast.And(tuple(self.condition(p) for p in parts))
        tokens = [c for c in node.children if isinstance(c, Token)]
        if kind == "delim_compare":
            value_tree = parts[0]
            return self._compare(str(tokens[0]), str(tokens[1]), value_tree)
        selector = _selector(str(tokens[0]))
        if kind == "json_compare":
            return self._compare(selector, str(tokens[1]), parts[0])
        check = {
            "json_null": "null",
            "json_true": "true",
            "json_false": "false",
            "json_exists": "exists",
            "json_not_exists": "not_exists",
        }[str(kind)]
        return ast.Check(selector, check)

    def _compare(
        self, field: ast.Selector | str, operator: str, value_tree: Tree[Token]
    ) -> ast.Compare:
        (token,) = value_tree.children
        assert isinstance(token, Token)
        text = str(token)
        value: ast.Value
        if token.type == "REGEX":
            self.regexes += 1
            value = _regex(text)
        elif token.type == "BARE" and _NUMBER.fullmatch(text):
            value = ast.Number(float(text), text)
        else:
            raw = _unquote(text) if token.type == "PHRASE" else text
            prefix = raw.startswith("*")
            suffix = len(raw) > int(prefix) and raw.endswith("*")
            value = ast.Glob(raw[int(prefix) : len(raw) - int(suffix)], prefix, suffix)
        if operator in _ORDERED and not isinstance(value, ast.Number):
            raise PatternError(f"{operator} needs a number")
        if isinstance(value, ast.Regex) and operator not in ("=", "!="):
            raise PatternError("a regex is compared with = or != only")
        return ast.Compare(field, operator, value)


def _selector(text: str) -> ast.Selector:
    steps: list[str | int] = []
    for name, index in _STEP.findall(text[1:]):
        steps.append(int(index) if index else name)
    if not steps:
        raise PatternError("a selector names a field: $.field")
    return tuple(steps)

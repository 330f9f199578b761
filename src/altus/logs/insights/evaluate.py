"""Logs Insights expressions against a row (an event's fields, or a stats group's):
absent fields are None, and anything done with None is None (a comparison with it is
false, as Insights filters such events out), and so is what cannot be computed (a
function's argument out of its range, an overflow). Arithmetic keeps integers while
they fit in 64 bits and goes on in floats past that (``^`` is always a float's), so no
expression makes an integer of unbounded size. A regex's match that takes too long
raises ``MatchTimeout`` (``altus.logs.timed_regex``), which ends the query."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from altus.logs import timed_regex
from altus.logs.insights import ast
from altus.logs.insights.functions import IMPLEMENTATIONS
from altus.logs.insights.values import Time, as_float, equal, number, order, text, truthy

Row = Mapping[str, Any]

_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "%": operator.mod,
    # In floats: an integer power of an integer can have billions of digits.
    "^": lambda a, b: as_float(a) ** as_float(b),
}
#: Integers past this magnitude go on as floats.
_INT_LIMIT = 1 << 63
_ORDERING: dict[str, Callable[[int], bool]] = {
    "<": lambda c: c < 0,
    "<=": lambda c: c <= 0,
    ">": lambda c: c > 0,
    ">=": lambda c: c >= 0,
}


def evaluate(expr: ast.Expr, row: Row, aggregates: Sequence[Any] = ()) -> Any:
    """The value of ``expr`` for ``row``; ``aggregates`` are a stats group's results,
    by :class:`ast.Aggregate` index."""
    if isinstance(expr, ast.Literal):
        return expr.value
    if isinstance(expr, ast.Field):
        return row.get(expr.name)
    if isinstance(expr, ast.Aggregate):
        return aggregates[expr.index] if expr.index < len(aggregates) else None
    if isinstance(expr, ast.And):
        return truthy(evaluate(expr.left, row, aggregates)) and truthy(
            evaluate(expr.right, row, aggregates)
        )
    if isinstance(expr, ast.Or):
        return truthy(evaluate(expr.left, row, aggregates)) or truthy(
            evaluate(expr.right, row, aggregates)
        )
    if isinstance(expr, ast.Not):
        return not truthy(evaluate(expr.operand, row, aggregates))
    if isinstance(expr, ast.Negate):
        value = number(evaluate(expr.operand, row, aggregates))
        return None if value is None else -value
    if isinstance(expr, ast.Binary):
        return _binary(expr, row, aggregates)
    if isinstance(expr, ast.Like):
        value = evaluate(expr.operand, row, aggregates)
        if value is None:
            return False
        return (timed_regex.search(expr.pattern, text(value)) is not None) != expr.negated
    if isinstance(expr, ast.In):
        value = evaluate(expr.operand, row, aggregates)
        if value is None:
            return False
        found = any(equal(value, evaluate(i, row, aggregates)) for i in expr.items)
        return found != expr.negated
    if isinstance(expr, ast.ListValue):
        return [evaluate(i, row, aggregates) for i in expr.items]
    if isinstance(expr, ast.Call):
        args = [evaluate(a, row, aggregates) for a in expr.args]
        try:
            if expr.name == "bin":
                period = number(args[0])
                moment = number(row.get("@timestamp"))
                if not period or moment is None:
                    return None
                return Time(int(moment) // int(period) * int(period))
            return IMPLEMENTATIONS[expr.name](args)
        except (ArithmeticError, ValueError):  # out of range (``int(inf)``, ``log(-1)``)
            return None
    raise TypeError(f"not an expression: {expr!r}")  # pragma: no cover


def _binary(expr: ast.Binary, row: Row, aggregates: Sequence[Any]) -> Any:
    left = evaluate(expr.left, row, aggregates)
    right = evaluate(expr.right, row, aggregates)
    op = expr.operator
    if op == "=":
        return equal(left, right)
    if op == "!=":
        return left is not None and right is not None and not equal(left, right)
    if op in _ORDERING:
        compared = order(left, right)
        return compared is not None and _ORDERING[op](compared)
    a, b = number(left), number(right)
    if a is None or b is None:
        return None
    if any(isinstance(n, int) and abs(n) >= _INT_LIMIT for n in (a, b)):
        a, b = as_float(a), as_float(b)  # huge integers (from JSON) go on as floats
    try:
        result = _ARITHMETIC[op](a, b)
    except (ArithmeticError, ValueError):
        return None
    if isinstance(result, int) and abs(result) >= _INT_LIMIT:
        return as_float(result)
    return None if isinstance(result, complex) else result

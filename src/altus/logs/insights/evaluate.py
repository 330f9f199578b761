"""Logs Insights expressions against a row (an event's fields, or a stats group's):
absent fields are None, and anything done with None is None (a comparison with it is
false, as Insights filters such events out)."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from altus.logs.insights import ast
from altus.logs.insights.functions import IMPLEMENTATIONS
from altus.logs.insights.values import Time, equal, number, order, text, truthy

Row = Mapping[str, Any]

_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "%": operator.mod,
    "^": operator.pow,
}
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
        return (expr.pattern.search(text(value)) is not None) != expr.negated
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
        if expr.name == "bin":
            period = number(args[0])
            moment = number(row.get("@timestamp"))
            if not period or moment is None:
                return None
            return Time(int(moment) // int(period) * int(period))
        return IMPLEMENTATIONS[expr.name](args)
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
    try:
        result = _ARITHMETIC[op](a, b)
    except (ZeroDivisionError, OverflowError):
        return None
    return None if isinstance(result, complex) else result

"""Parsing each kind of expression, with DynamoDB's checks in DynamoDB's order, and the
checks that span a request's expressions.

A request is checked so (dynalite's tests, against DynamoDB): the placeholder maps
first (:func:`check_placeholders`: not empty, well-formed keys; the service also checks
each value), then each expression in turn (UpdateExpression, ConditionExpression,
KeyConditionExpression, FilterExpression, ProjectionExpression: the service's order),
then the placeholders no expression used (:func:`check_unused`, over the union of
their :class:`Usage`), then the key condition against the key schema
(``key_condition``).

Each ``parse_*`` returns the parsed form and the placeholders the text names; it raises
ExpressionProblem with the whole ValidationException text. Within one expression the
order is: empty text, syntax, the whole-expression checks of ``structure``, then the
placeholders and the operand checks of ``checks``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from lark import Token, Tree

from altus.dynamodb.expressions import errors
from altus.dynamodb.expressions.ast import AttributeValue, Condition, Projection, Update
from altus.dynamodb.expressions.build import build
from altus.dynamodb.expressions.checks import check_condition, check_update
from altus.dynamodb.expressions.paths import check_distinct
from altus.dynamodb.expressions.structure import check_structure
from altus.dynamodb.expressions.syntax import parse_tree

_NAME_KEY = re.compile(r"#[0-9A-Za-z_]+")
_VALUE_KEY = re.compile(r":[0-9A-Za-z_]+")

Names = Mapping[str, str]
Values = Mapping[str, AttributeValue]


@dataclass(frozen=True)
class Usage:
    """The placeholders one or more expressions name (``#n``, ``:v``); combine the
    usages of a request's expressions with ``|``."""

    names: frozenset[str] = frozenset()
    values: frozenset[str] = frozenset()

    def __or__(self, other: Usage) -> Usage:
        return Usage(self.names | other.names, self.values | other.values)


def check_placeholders(names: Names | None, values: Values | None) -> None:
    """Refuse an empty ExpressionAttributeNames or ExpressionAttributeValues, or a key
    that is not ``#`` / ``:`` followed by letters, digits and underscores (the values
    themselves are the service's to check)."""
    for given, pattern, parameter, empty in (
        (names, _NAME_KEY, "ExpressionAttributeNames", errors.NAMES_EMPTY),
        (values, _VALUE_KEY, "ExpressionAttributeValues", errors.VALUES_EMPTY),
    ):
        if given is None:
            continue
        if not given:
            raise errors.ExpressionProblem(empty)
        for key in given:
            if not pattern.fullmatch(key):
                raise errors.ExpressionProblem(errors.invalid_key(parameter, key))


def parse_condition(
    text: str,
    names: Names | None,
    values: Values | None,
    *,
    kind: str = "ConditionExpression",
) -> tuple[Condition, Usage]:
    """A ConditionExpression, or a FilterExpression with ``kind="FilterExpression"``."""
    return _condition(text, names, values, kind, parentheses=True)


def parse_key_condition(
    text: str, names: Names | None, values: Values | None
) -> tuple[Condition, Usage]:
    """A KeyConditionExpression, parsed as a condition (its shape is checked against
    the key schema by ``key_condition.plan_key_condition``). DynamoDB does not refuse
    redundant parentheses here."""
    return _condition(text, names, values, "KeyConditionExpression", parentheses=False)


def parse_update(text: str, names: Names | None, values: Values | None) -> tuple[Update, Usage]:
    """An UpdateExpression."""
    kind = "UpdateExpression"
    tree = parse_tree(text, "update", kind)
    check_structure(tree, kind)
    update = cast(Update, build(tree, kind, names or {}, values or {}))
    check_update(update, kind)
    return update, _usage(tree)


def parse_projection(text: str, names: Names | None) -> tuple[Projection, Usage]:
    """A ProjectionExpression (no two of its paths may overlap or conflict)."""
    kind = "ProjectionExpression"
    tree = parse_tree(text, "projection", kind)
    check_structure(tree, kind)
    projection = cast(Projection, build(tree, kind, names or {}, {}))
    check_distinct(projection.paths, kind)
    return projection, _usage(tree)


def check_unused(usage: Usage, names: Names | None, values: Values | None) -> None:
    """Refuse placeholders no expression of the request used: the names first, listed
    in the order the request gives them."""
    for given, used, parameter in (
        (names, usage.names, "ExpressionAttributeNames"),
        (values, usage.values, "ExpressionAttributeValues"),
    ):
        left = [key for key in (given or {}) if key not in used]
        if left:
            raise errors.ExpressionProblem(errors.unused(parameter, left))


def _condition(
    text: str, names: Names | None, values: Values | None, kind: str, *, parentheses: bool
) -> tuple[Condition, Usage]:
    tree = parse_tree(text, "condition", kind)
    check_structure(tree, kind, parentheses=parentheses)

    def on_leaf(leaf: Any) -> None:
        check_condition(leaf, kind)

    condition = cast(Condition, build(tree, kind, names or {}, values or {}, on_leaf))
    return condition, _usage(tree)


def _usage(tree: Tree[Token]) -> Usage:
    tokens = [
        str(token)
        for token in tree.scan_values(lambda v: isinstance(v, Token))
        if token.type in ("NAME_REF", "VALUE")
    ]
    return Usage(
        frozenset(t for t in tokens if t.startswith("#")),
        frozenset(t for t in tokens if t.startswith(":")),
    )

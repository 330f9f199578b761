"""From lark's parse tree to the expression's parsed form (``ast``), looking up each
placeholder as it is met in the text: the first undefined one, in the order written, is
the one reported (dynalite's tests: ``begins_with(:hello, #a, #b)`` with neither map
given is refused for ``:hello``).

A condition's comparisons and functions are handed to a check as each is completed,
so the problems of the first are reported before the placeholders of the next are
looked up (``checks``).

The walk is iterative, the tree being as deep as the text nests (a 4 KB expression
can hold two thousand parentheses). The parsed form is kept shallow: AND and OR chains
flatten, parentheses vanish, and a form nested deeper than :data:`MAX_DEPTH` (NOT NOT
NOT ..., size(size(...)), AND and OR alternating) is refused, so that evaluating it
never exhausts Python's stack.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from lark import Token, Tree

from altus.dynamodb.expressions import errors
from altus.dynamodb.expressions.ast import (
    AddAction,
    And,
    Arithmetic,
    AttributeValue,
    Between,
    Call,
    Comparison,
    DeleteAction,
    Function,
    In,
    Not,
    Or,
    Path,
    Projection,
    RemoveAction,
    SetAction,
    Update,
    Value,
)

#: How deep the parsed form may nest (conditions within conditions, calls within
#: calls). Altus's own bound; realistic expressions nest a few levels.
MAX_DEPTH = 100

LeafCheck = Callable[[Comparison | Between | In | Function], None]


def build(
    tree: Tree[Token],
    kind: str,
    names: Mapping[str, str],
    values: Mapping[str, AttributeValue],
    on_leaf: LeafCheck | None = None,
) -> Any:
    """The parsed form of ``tree`` (a Condition, an Update or a Projection, by its
    start rule), its placeholders resolved from ``names`` and ``values``; ``on_leaf``
    is called on each comparison and function of a condition as it is completed."""
    return _Builder(kind, names, values, on_leaf).fold(tree)


class _Builder:
    def __init__(
        self,
        kind: str,
        names: Mapping[str, str],
        values: Mapping[str, AttributeValue],
        on_leaf: LeafCheck | None,
    ) -> None:
        self.kind = kind
        self.names = names
        self.values = values
        self.on_leaf = on_leaf
        # The depth of each form built, by id; the form is held with it so that no id
        # is reused while the walk runs (a flattened AND is otherwise dropped).
        self.depths: dict[int, tuple[int, object]] = {}

    def fold(self, tree: Tree[Token]) -> Any:
        """Post-order over ``tree`` without recursion: each node's children are built,
        left to right, before the node."""
        results: list[Any] = []
        stack: list[tuple[Tree[Token] | Token, bool]] = [(tree, False)]
        while stack:
            node, ready = stack.pop()
            if isinstance(node, Token):
                results.append(self.token(node))
            elif ready:
                count = len(node.children)
                children = results[len(results) - count :]
                del results[len(results) - count :]
                results.append(self.node(str(node.data), children))
            else:
                stack.append((node, True))
                stack.extend((child, False) for child in reversed(node.children))
        return results[0]

    def token(self, token: Token) -> Any:
        if token.type == "NAME_REF":
            name = self.names.get(str(token))
            if name is None:
                raise errors.invalid(self.kind, errors.undefined_name(str(token)))
            return name
        if token.type == "VALUE":
            value = self.values.get(str(token))
            if value is None:
                raise errors.invalid(self.kind, errors.undefined_value(str(token)))
            return Value(str(token), value)
        if token.type == "INDEX":
            return int(token)
        return str(token)

    def node(self, rule: str, children: list[Any]) -> Any:
        if rule in ("condition", "operand_parens", "value_parens", "cond_parens"):
            return children[0]
        if rule == "path":
            return Path(tuple(children))
        if rule in ("call", "set_call"):
            return self.deeper(Call(children[0], tuple(children[1:])), children[1:])
        if rule == "arithmetic":
            left, operator, right = children
            return self.deeper(Arithmetic(operator, left, right), [left, right])
        if rule == "comparison":
            left, operator, right = children
            return self.leaf(Comparison(operator, left, right), [left, right])
        if rule == "between":
            subject, _, low, _, high = children
            return self.leaf(Between(subject, low, high), [subject, low, high])
        if rule == "membership":
            subject, _, *choices = children
            return self.leaf(In(subject, tuple(choices)), [subject, *choices])
        if rule == "bare":
            call = children[0]
            return self.leaf(Function(call.function, call.args), list(call.args))
        if rule == "not_":
            return self.deeper(Not(children[1]), [children[1]])
        if rule in ("and_", "or_"):
            return self.junction(rule, children[0], children[2])
        return self.update_node(rule, children)

    def update_node(self, rule: str, children: list[Any]) -> Any:
        if rule == "set_action":
            return SetAction(children[0], children[2])
        if rule == "set_clause":
            return children[1:]
        if rule == "remove_clause":
            return [RemoveAction(path) for path in children[1:]]
        if rule in ("add_clause", "delete_clause"):
            pairs = zip(children[1::2], children[2::2], strict=True)
            action = AddAction if rule == "add_clause" else DeleteAction
            return [action(path, value) for path, value in pairs]
        if rule == "update":
            return Update(tuple(action for clause in children for action in clause))
        if rule == "projection":
            return Projection(tuple(children))
        raise AssertionError(f"a grammar rule with no form: {rule}")

    def leaf(self, leaf: Comparison | Between | In | Function, parts: list[Any]) -> Any:
        built = self.deeper(leaf, parts)
        if self.on_leaf is not None:
            self.on_leaf(leaf)
        return built

    def junction(self, rule: str, left: Any, right: Any) -> Any:
        kind = And if rule == "and_" else Or
        parts = [
            part
            for side in (left, right)
            for part in (side.conditions if isinstance(side, kind) else (side,))
        ]
        return self.deeper(kind(tuple(parts)), parts)

    def deeper(self, form: Any, parts: list[Any]) -> Any:
        """Record ``form``'s depth (one more than its deepest part), refusing it past
        :data:`MAX_DEPTH`."""
        depth = 1 + max((self.depths.get(id(part), (0, None))[0] for part in parts), default=0)
        if depth > MAX_DEPTH:
            raise errors.invalid(self.kind, errors.too_deep())
        self.depths[id(form)] = (depth, form)
        return form

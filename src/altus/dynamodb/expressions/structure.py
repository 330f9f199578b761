"""The checks DynamoDB makes on a parsed expression as a whole, before it looks up any
placeholder, in the order it makes them (dynalite's tests, written against DynamoDB,
pin the order: ``a > whatever((:things), ((a)))`` is refused for its parentheses, not
its unknown function; ``attRIbute_exIsts((views), #a)`` for the function, not the
reserved word ``views``; ``attribute_exists(views, #a)`` for ``views``, not the operand
count or the undefined ``#a``):

1. redundant parentheses: a pair whose whole content is another pair, ``((a = :v))``,
   ``a > ((b))``, ``SET a = ((b + :c))`` (not in KeyConditionExpression, where
   DynamoDB accepts ``((#pk = :pk)) AND ((#sk = :sk))``: the nubo-db conformance suite);
2. unknown function names (case-sensitive);
3. functions used where they do not belong: in a condition, ``size`` standing alone or
   a boolean function (``attribute_exists`` ...) as an operand is "not allowed to be
   used this way", ``if_not_exists``/``list_append`` "not allowed in a condition
   expression"; in SET, a condition function is "not allowed in an update expression"
   and ``list_append`` inside ``list_append`` is "not allowed to be used this way"
   (ScyllaDB Alternator's tests);
4. reserved words used as bare names, anywhere in a path;
5. (updates) a clause keyword used twice.

The walks are iterative (lark's own subtree iterators): a 4 KB expression can nest far
deeper than Python's stack.
"""

from __future__ import annotations

from lark import Token, Tree

from altus.dynamodb.expressions import errors
from altus.dynamodb.expressions.reserved import is_reserved

#: Functions that are conditions of their own.
BOOLEAN_FUNCTIONS = frozenset(
    {"attribute_exists", "attribute_not_exists", "attribute_type", "begins_with", "contains"}
)
#: The functions of conditions: the boolean ones and size (an operand).
CONDITION_FUNCTIONS = BOOLEAN_FUNCTIONS | {"size"}
#: The functions of SET values.
UPDATE_FUNCTIONS = frozenset({"if_not_exists", "list_append"})
_CALLS = ("call", "set_call")
_PARENTHESES = ("cond_parens", "operand_parens", "value_parens")
_CLAUSES = {
    "set_clause": "SET",
    "remove_clause": "REMOVE",
    "add_clause": "ADD",
    "delete_clause": "DELETE",
}


def check_structure(tree: Tree[Token], kind: str, *, parentheses: bool = True) -> None:
    """Refuse ``tree`` (parsed from the ``kind`` expression) for the first problem of
    the list above; ``parentheses`` False skips the redundant-parentheses check."""
    if parentheses:
        _redundant_parentheses(tree, kind)
    parents = _parents(tree)
    calls = sorted((node for node in tree.iter_subtrees() if node.data in _CALLS), key=_start)
    for call in calls:
        name = _function_name(call)
        if name not in CONDITION_FUNCTIONS | UPDATE_FUNCTIONS:
            raise errors.invalid(kind, errors.unknown_function(name))
    for call in calls:
        problem = _misuse(call, parents)
        if problem is not None:
            raise errors.invalid(kind, problem)
    names = sorted(
        (
            token
            for node in tree.iter_subtrees()
            if node.data == "path"
            for token in node.children
            if isinstance(token, Token) and token.type == "NAME"
        ),
        key=lambda token: token.start_pos or 0,
    )
    for token in names:
        if is_reserved(str(token)):
            raise errors.invalid(kind, errors.reserved(str(token)))
    if tree.data == "update":
        seen: set[str] = set()
        for clause in tree.children:
            assert isinstance(clause, Tree)
            keyword = _CLAUSES[str(clause.data)]
            if keyword in seen:
                raise errors.invalid(kind, errors.section_twice(keyword))
            seen.add(keyword)


def _redundant_parentheses(tree: Tree[Token], kind: str) -> None:
    for node in tree.iter_subtrees():
        if node.data in _PARENTHESES:
            inner = node.children[0]
            if isinstance(inner, Tree) and inner.data in _PARENTHESES:
                raise errors.invalid(kind, errors.REDUNDANT_PARENTHESES)


def _misuse(call: Tree[Token], parents: dict[int, Tree[Token]]) -> str | None:
    """Why ``call`` may not stand where it is, or None."""
    name = _function_name(call)
    if call.data == "set_call":
        if name in CONDITION_FUNCTIONS:
            return errors.not_in_update(name)
        if name == "list_append" and _inside_list_append(call, parents):
            return errors.misused_function(name)
        return None
    if name in UPDATE_FUNCTIONS:
        return errors.not_in_condition(name)
    holder = parents.get(id(call))
    while holder is not None and holder.data == "operand_parens":
        holder = parents.get(id(holder))
    standing_alone = holder is not None and holder.data == "bare"
    if standing_alone != (name in BOOLEAN_FUNCTIONS):
        return errors.misused_function(name)
    return None


def _inside_list_append(call: Tree[Token], parents: dict[int, Tree[Token]]) -> bool:
    holder = parents.get(id(call))
    while holder is not None and holder.data in ("set_call", "operand_parens"):
        if holder.data == "set_call" and _function_name(holder) == "list_append":
            return True
        holder = parents.get(id(holder))
    return False


def _parents(tree: Tree[Token]) -> dict[int, Tree[Token]]:
    """Each subtree's parent, by the subtree's id (the tree outlives the map)."""
    return {
        id(child): node
        for node in tree.iter_subtrees()
        for child in node.children
        if isinstance(child, Tree)
    }


def _function_name(call: Tree[Token]) -> str:
    return str(call.children[0])


def _start(node: Tree[Token]) -> int:
    return node.meta.start_pos if not node.meta.empty else 0
